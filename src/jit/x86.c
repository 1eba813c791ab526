/* x86-64 encodings (see x86.h). An instruction is: legacy prefixes (lock,
 * operand size), REX (W = 64-bit operand, R/X/B = high bit of the ModRM reg,
 * SIB index and rm/base fields), opcode bytes, ModRM, SIB, displacement,
 * immediate. */
#include <errno.h>

#include "jit/x86.h"

static bool fits8(int64_t v)
{
	return v >= -128 && v <= 127;
}

static bool fits32(int64_t v)
{
	return v >= INT32_MIN && v <= INT32_MAX;
}

static int hi(int r)
{
	return r < 0 ? 0 : (r >> 3) & 1;
}

/* byte_reg: an 8-bit operand names spl/bpl/sil/dil only under a REX prefix. */
static void rex(struct jit_buf *b, bool w, int reg, int index, int base, bool byte_reg)
{
	uint8_t v = (uint8_t)(0x40 | (w ? 8 : 0) | hi(reg) << 2 | hi(index) << 1 | hi(base));

	if (v != 0x40 || byte_reg)
		jit_byte(b, v);
}

static void opcode(struct jit_buf *b, uint32_t op)
{
	if (op > 0xffff)
		jit_byte(b, (uint8_t)(op >> 16));
	if (op > 0xff)
		jit_byte(b, (uint8_t)(op >> 8));
	jit_byte(b, (uint8_t)op);
}

static void prefix(struct jit_buf *b, uint16_t pfx)
{
	if (pfx > 0xff)
		jit_byte(b, (uint8_t)(pfx >> 8));
	if (pfx)
		jit_byte(b, (uint8_t)pfx);
}

static bool is_byte_alias(int r)
{
	return r >= X_RSP && r <= X_RDI; /* spl, bpl, sil, dil */
}

/* Register-direct form: ModRM mod=11. */
static void ins_rr(struct jit_buf *b, uint16_t pfx, bool w, uint32_t op, int reg, int rm,
		   bool byte_reg)
{
	prefix(b, pfx);
	rex(b, w, reg, -1, rm, byte_reg);
	opcode(b, op);
	jit_byte(b, (uint8_t)(0xc0 | (reg & 7) << 3 | (rm & 7)));
}

static void modrm_mem(struct jit_buf *b, int reg, struct x86_mem m)
{
	int mod = m.disp == 0 && (m.base & 7) != X_RBP ? 0 : fits8(m.disp) ? 1 : 2;

	/* rsp/r12 as base need a SIB byte; rbp/r13 as base have no mod=00 form. */
	if (m.index < 0 && (m.base & 7) != X_RSP) {
		jit_byte(b, (uint8_t)(mod << 6 | (reg & 7) << 3 | (m.base & 7)));
	} else {
		int ss = m.scale == 8 ? 3 : m.scale == 4 ? 2 : m.scale == 2 ? 1 : 0;
		int idx = m.index < 0 ? X_RSP : m.index; /* index field 100 without REX.X: none */
		jit_byte(b, (uint8_t)(mod << 6 | (reg & 7) << 3 | 4));
		jit_byte(b, (uint8_t)(ss << 6 | (idx & 7) << 3 | (m.base & 7)));
	}
	if (mod == 1)
		jit_byte(b, (uint8_t)(int8_t)m.disp);
	else if (mod == 2)
		jit_u32(b, (uint32_t)m.disp);
}

static void ins_rm(struct jit_buf *b, uint16_t pfx, bool w, uint32_t op, int reg, struct x86_mem m,
		   bool byte_reg)
{
	if (m.index == X_RSP) {
		jit_fail(b, -EINVAL, "rsp cannot be an index register");
		return;
	}
	prefix(b, pfx);
	rex(b, w, reg, m.index, m.base, byte_reg);
	opcode(b, op);
	modrm_mem(b, reg, m);
}

void x86_alu_rr(struct jit_buf *b, enum x86_alu op, bool w64, int dst, int src)
{
	ins_rr(b, 0, w64, (uint32_t)(op << 3 | 1), src, dst, false);
}

void x86_alu_ri(struct jit_buf *b, enum x86_alu op, bool w64, int dst, int32_t imm)
{
	if (fits8(imm)) {
		ins_rr(b, 0, w64, 0x83, op, dst, false);
		jit_byte(b, (uint8_t)(int8_t)imm);
	} else {
		ins_rr(b, 0, w64, 0x81, op, dst, false);
		jit_u32(b, (uint32_t)imm);
	}
}

void x86_alu_mi(struct jit_buf *b, enum x86_alu op, bool w64, struct x86_mem m, int32_t imm)
{
	if (fits8(imm)) {
		ins_rm(b, 0, w64, 0x83, op, m, false);
		jit_byte(b, (uint8_t)(int8_t)imm);
	} else {
		ins_rm(b, 0, w64, 0x81, op, m, false);
		jit_u32(b, (uint32_t)imm);
	}
}

void x86_test_rr(struct jit_buf *b, bool w64, int a, int c)
{
	ins_rr(b, 0, w64, 0x85, c, a, false);
}

void x86_test_ri(struct jit_buf *b, bool w64, int r, int32_t imm)
{
	ins_rr(b, 0, w64, 0xf7, 0, r, false);
	jit_u32(b, (uint32_t)imm);
}

void x86_mov_rr(struct jit_buf *b, bool w64, int dst, int src)
{
	ins_rr(b, 0, w64, 0x89, src, dst, false);
}

void x86_mov_imm32(struct jit_buf *b, int dst, uint32_t v)
{
	if (v == 0) { /* xor r32, r32: shorter; clobbers flags */
		x86_alu_rr(b, X_XOR, false, dst, dst);
		return;
	}
	rex(b, false, -1, -1, dst, false);
	jit_byte(b, (uint8_t)(0xb8 | (dst & 7)));
	jit_u32(b, v);
}

void x86_movabs(struct jit_buf *b, int dst, uint64_t v)
{
	rex(b, true, -1, -1, dst, false);
	jit_byte(b, (uint8_t)(0xb8 | (dst & 7)));
	jit_u64(b, v);
}

void x86_mov_imm64(struct jit_buf *b, int dst, uint64_t v)
{
	if (v <= UINT32_MAX) {
		x86_mov_imm32(b, dst, (uint32_t)v);
	} else if (fits32((int64_t)v)) { /* mov r/m64, imm32 sign-extends */
		ins_rr(b, 0, true, 0xc7, 0, dst, false);
		jit_u32(b, (uint32_t)v);
	} else {
		x86_movabs(b, dst, v);
	}
}

void x86_imul_rr(struct jit_buf *b, bool w64, int dst, int src)
{
	ins_rr(b, 0, w64, 0x0faf, dst, src, false);
}

void x86_imul_rri(struct jit_buf *b, bool w64, int dst, int src, int32_t imm)
{
	if (fits8(imm)) {
		ins_rr(b, 0, w64, 0x6b, dst, src, false);
		jit_byte(b, (uint8_t)(int8_t)imm);
	} else {
		ins_rr(b, 0, w64, 0x69, dst, src, false);
		jit_u32(b, (uint32_t)imm);
	}
}

void x86_unary(struct jit_buf *b, enum x86_unary op, bool w64, int r)
{
	ins_rr(b, 0, w64, 0xf7, op, r, false);
}

void x86_shift_ri(struct jit_buf *b, enum x86_shift op, bool w64, int r, uint8_t n)
{
	if (n == 1) {
		ins_rr(b, 0, w64, 0xd1, op, r, false);
	} else {
		ins_rr(b, 0, w64, 0xc1, op, r, false);
		jit_byte(b, n);
	}
}

void x86_shift_cl(struct jit_buf *b, enum x86_shift op, bool w64, int r)
{
	ins_rr(b, 0, w64, 0xd3, op, r, false);
}

void x86_shiftx(struct jit_buf *b, enum x86_shift op, bool w64, int dst, int src, int count)
{
	/* VEX.LZ.{66,F3,F2}.0F38.W{0,1} F7 /r: reg = dst, rm = src, vvvv = count. */
	uint8_t pp = op == X_SHL ? 1 : op == X_SAR ? 2 : 3;

	if (op != X_SHL && op != X_SHR && op != X_SAR) {
		jit_fail(b, -EINVAL, "no BMI2 form of shift %d", op);
		return;
	}
	jit_byte(b, 0xc4);
	jit_byte(b, (uint8_t)((!hi(dst)) << 7 | 1 << 6 | (!hi(src)) << 5 | 0x02));
	jit_byte(b, (uint8_t)((w64 ? 0x80 : 0) | (~count & 0xf) << 3 | pp));
	jit_byte(b, 0xf7);
	jit_byte(b, (uint8_t)(0xc0 | (dst & 7) << 3 | (src & 7)));
}

void x86_ror16_8(struct jit_buf *b, int r)
{
	ins_rr(b, 0x66, false, 0xc1, X_ROR, r, false);
	jit_byte(b, 8);
}

void x86_bswap(struct jit_buf *b, bool w64, int r)
{
	rex(b, w64, -1, -1, r, false);
	jit_byte(b, 0x0f);
	jit_byte(b, (uint8_t)(0xc8 | (r & 7)));
}

void x86_movzx_rr(struct jit_buf *b, int bits, int dst, int src)
{
	if (bits == 8)
		ins_rr(b, 0, false, 0x0fb6, dst, src, is_byte_alias(src));
	else if (bits == 16)
		ins_rr(b, 0, false, 0x0fb7, dst, src, false);
	else
		x86_mov_rr(b, false, dst, src);
}

void x86_movsx_rr(struct jit_buf *b, int bits, bool w64, int dst, int src)
{
	if (bits == 8)
		ins_rr(b, 0, w64, 0x0fbe, dst, src, is_byte_alias(src));
	else if (bits == 16)
		ins_rr(b, 0, w64, 0x0fbf, dst, src, false);
	else
		ins_rr(b, 0, true, 0x63, dst, src, false);
}

void x86_cqo(struct jit_buf *b, bool w64)
{
	rex(b, w64, -1, -1, -1, false);
	jit_byte(b, 0x99);
}

void x86_load(struct jit_buf *b, int size, bool sign, int dst, struct x86_mem m)
{
	switch (size) {
	case 1:
		ins_rm(b, 0, sign, sign ? 0x0fbe : 0x0fb6, dst, m, false);
		break;
	case 2:
		ins_rm(b, 0, sign, sign ? 0x0fbf : 0x0fb7, dst, m, false);
		break;
	case 4:
		ins_rm(b, 0, sign, sign ? 0x63 : 0x8b, dst, m, false);
		break;
	default:
		ins_rm(b, 0, true, 0x8b, dst, m, false);
	}
}

void x86_store(struct jit_buf *b, int size, struct x86_mem m, int src)
{
	switch (size) {
	case 1:
		ins_rm(b, 0, false, 0x88, src, m, is_byte_alias(src));
		break;
	case 2:
		ins_rm(b, 0x66, false, 0x89, src, m, false);
		break;
	default:
		ins_rm(b, 0, size == 8, 0x89, src, m, false);
	}
}

void x86_store_imm(struct jit_buf *b, int size, struct x86_mem m, int32_t imm)
{
	switch (size) {
	case 1:
		ins_rm(b, 0, false, 0xc6, 0, m, false);
		jit_byte(b, (uint8_t)imm);
		break;
	case 2:
		ins_rm(b, 0x66, false, 0xc7, 0, m, false);
		jit_u16(b, (uint16_t)imm);
		break;
	default:
		ins_rm(b, 0, size == 8, 0xc7, 0, m, false);
		jit_u32(b, (uint32_t)imm);
	}
}

void x86_lea(struct jit_buf *b, int dst, struct x86_mem m)
{
	ins_rm(b, 0, true, 0x8d, dst, m, false);
}

void x86_prefetch(struct jit_buf *b, struct x86_mem m)
{
	ins_rm(b, 0, false, 0x0f18, 1, m, false); /* 0F 18 /1 */
}

void x86_lea32(struct jit_buf *b, int dst, struct x86_mem m)
{
	ins_rm(b, 0, false, 0x8d, dst, m, false);
}

void x86_lock_alu(struct jit_buf *b, enum x86_alu op, int size, struct x86_mem m, int src)
{
	ins_rm(b, 0xf0, size == 8, (uint32_t)(op << 3 | 1), src, m, false);
}

void x86_lock_xadd(struct jit_buf *b, int size, struct x86_mem m, int src)
{
	ins_rm(b, 0xf0, size == 8, 0x0fc1, src, m, false);
}

void x86_xchg(struct jit_buf *b, int size, struct x86_mem m, int src)
{
	ins_rm(b, 0, size == 8, 0x87, src, m, false); /* locked implicitly */
}

void x86_lock_cmpxchg(struct jit_buf *b, int size, struct x86_mem m, int src)
{
	ins_rm(b, 0xf0, size == 8, 0x0fb1, src, m, false);
}

void x86_push(struct jit_buf *b, int r)
{
	rex(b, false, -1, -1, r, false);
	jit_byte(b, (uint8_t)(0x50 | (r & 7)));
}

void x86_pop(struct jit_buf *b, int r)
{
	rex(b, false, -1, -1, r, false);
	jit_byte(b, (uint8_t)(0x58 | (r & 7)));
}

void x86_call_r(struct jit_buf *b, int r)
{
	ins_rr(b, 0, false, 0xff, 2, r, false);
}

void x86_jmp_r(struct jit_buf *b, int r)
{
	ins_rr(b, 0, false, 0xff, 4, r, false);
}

void x86_jmp_m(struct jit_buf *b, struct x86_mem m)
{
	ins_rm(b, 0, false, 0xff, 4, m, false);
}

void x86_ret(struct jit_buf *b)
{
	jit_byte(b, 0xc3);
}

void x86_int3(struct jit_buf *b)
{
	jit_byte(b, 0xcc);
}
