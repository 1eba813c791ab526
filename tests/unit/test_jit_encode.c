/* The x86-64 encoder, checked by an independent decoder (capstone): each
 * encoding function for every register (and pair, and triple), operand size,
 * displacement and immediate class decodes to exactly one instruction with
 * the intended mnemonic and operands, in the shortest form the rules allow.
 * Then whole images: every byte of every instruction's code decodes, and
 * jumps take the short form exactly when the displacement fits. */
#include <capstone/capstone.h>
#include <stdlib.h>

#include "exobpf/exobpf.h"
#include "isa/isa.h"
#include "jit/x86.h"
#include "test.h"
#include "test_jit_util.h"

static const char *const n64[16] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
				    "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};
static const char *const n32[16] = {"eax", "ecx", "edx",  "ebx",  "esp",  "ebp",  "esi",  "edi",
				    "r8d", "r9d", "r10d", "r11d", "r12d", "r13d", "r14d", "r15d"};
static const char *const n16[16] = {"ax",  "cx",  "dx",	  "bx",	  "sp",	  "bp",	  "si",	  "di",
				    "r8w", "r9w", "r10w", "r11w", "r12w", "r13w", "r14w", "r15w"};
static const char *const n8[16] = {"al",  "cl",	 "dl",	 "bl",	 "spl",	 "bpl",	 "sil",	 "dil",
				   "r8b", "r9b", "r10b", "r11b", "r12b", "r13b", "r14b", "r15b"};

static const char *reg_name(int r, int bytes)
{
	return bytes == 8 ? n64[r] : bytes == 4 ? n32[r] : bytes == 2 ? n16[r] : n8[r];
}

static csh cs;

static bool cs_ready(void)
{
	if (cs)
		return true;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK)
		return false;
	cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);
	return true;
}

struct one {
	char mnem[32], text[256];
	unsigned size, nops;
	cs_x86_op op[8];
};

static struct jit_buf buf;

static void fresh(void)
{
	jit_buf_free(&buf);
	jit_buf_init(&buf, 0);
	jit_pass_begin(&buf);
}

/* The buffer must hold exactly one instruction. */
static bool decode_one(struct one *o)
{
	cs_insn *ci;
	size_t n = cs_disasm(cs, buf.code, buf.len, 0, 1, &ci);

	memset(o, 0, sizeof(*o));
	if (n != 1)
		return false;
	snprintf(o->mnem, sizeof(o->mnem), "%s", ci->mnemonic);
	snprintf(o->text, sizeof(o->text), "%s %s", ci->mnemonic, ci->op_str);
	o->size = ci->size;
	o->nops = ci->detail->x86.op_count;
	for (unsigned i = 0; i < o->nops && i < 8; i++)
		o->op[i] = ci->detail->x86.operands[i];
	cs_free(ci, n);
	return o->size == buf.len && !buf.err;
}

static bool is_reg(const struct one *o, unsigned i, int r, int bytes)
{
	return i < o->nops && o->op[i].type == X86_OP_REG &&
	       !strcmp(cs_reg_name(cs, o->op[i].reg), reg_name(r, bytes));
}

static bool is_mem(const struct one *o, unsigned i, int base, int index, int64_t disp, int bytes)
{
	if (i >= o->nops || o->op[i].type != X86_OP_MEM || o->op[i].size != bytes)
		return false;
	const x86_op_mem *m = &o->op[i].mem;
	if (strcmp(cs_reg_name(cs, m->base), n64[base]) || m->disp != disp)
		return false;
	return index < 0 ? m->index == X86_REG_INVALID
			 : !strcmp(cs_reg_name(cs, m->index), n64[index]);
}

static bool is_imm(const struct one *o, unsigned i, int64_t v)
{
	return i < o->nops && o->op[i].type == X86_OP_IMM && o->op[i].imm == v;
}

#define DECODE(o) \
	CHECK_MSG(decode_one(&(o)), "not one instruction: %zu bytes, err %d", buf.len, buf.err)

static const struct {
	enum x86_alu op;
	const char *name;
} alus[] = {{X_ADD, "add"}, {X_OR, "or"},   {X_AND, "and"},
	    {X_SUB, "sub"}, {X_XOR, "xor"}, {X_CMP, "cmp"}};

TEST(jit_encode_alu_register_forms)
{
	struct one o;

	CHECK(cs_ready());
	for (unsigned a = 0; a < 6; a++)
		for (int w = 0; w < 2; w++)
			for (int d = 0; d < 16; d++)
				for (int s = 0; s < 16; s++) {
					fresh();
					x86_alu_rr(&buf, alus[a].op, w, d, s);
					DECODE(o);
					CHECK_MSG(!strcmp(o.mnem, alus[a].name) &&
						      is_reg(&o, 0, d, w ? 8 : 4) &&
						      is_reg(&o, 1, s, w ? 8 : 4),
						  "%s w%d %d,%d: %s", alus[a].name, w, d, s,
						  o.text);
				}
	for (int w = 0; w < 2; w++)
		for (int d = 0; d < 16; d++)
			for (int s = 0; s < 16; s++) {
				fresh();
				x86_mov_rr(&buf, w, d, s);
				DECODE(o);
				CHECK_MSG(!strcmp(o.mnem, "mov") && is_reg(&o, 0, d, w ? 8 : 4) &&
					      is_reg(&o, 1, s, w ? 8 : 4),
					  "mov %s", o.text);
				fresh();
				x86_test_rr(&buf, w, d, s);
				DECODE(o);
				CHECK_MSG(!strcmp(o.mnem, "test"), "%s", o.text);
				fresh();
				x86_imul_rr(&buf, w, d, s);
				DECODE(o);
				CHECK_MSG(!strcmp(o.mnem, "imul") && is_reg(&o, 0, d, w ? 8 : 4) &&
					      is_reg(&o, 1, s, w ? 8 : 4),
					  "%s", o.text);
			}
}

TEST(jit_encode_immediates_take_the_short_form_when_they_fit)
{
	static const int32_t imms[] = {0, 1, -1, 127, -128, 128, -129, 0x12345678, INT32_MIN};
	struct one o;

	CHECK(cs_ready());
	for (unsigned a = 0; a < 6; a++)
		for (int w = 0; w < 2; w++)
			for (int r = 0; r < 16; r++)
				for (unsigned i = 0; i < sizeof(imms) / sizeof(imms[0]); i++) {
					int32_t v = imms[i];
					bool small = v >= -128 && v <= 127;
					unsigned want = (w || r >= 8) + 2u + (small ? 1 : 4);
					fresh();
					x86_alu_ri(&buf, alus[a].op, w, r, v);
					DECODE(o);
					/* capstone shows a 32-bit operation's immediate as 32 bits */
					int64_t shown = w ? v : (int64_t)(uint32_t)v;
					CHECK_MSG(!strcmp(o.mnem, alus[a].name) &&
						      is_reg(&o, 0, r, w ? 8 : 4) &&
						      o.size == want &&
						      (is_imm(&o, 1, shown) || is_imm(&o, 1, v)),
						  "%s w%d r%d %d: %s (%u bytes)", alus[a].name, w,
						  r, v, o.text, o.size);
				}
}

TEST(jit_encode_constants_in_the_shortest_exact_form)
{
	static const uint64_t vals[] = {0,
					1,
					0x7fffffff,
					0x80000000,
					0xffffffff,
					0x100000000ull,
					0xffffffffffffffffull,
					0xffffffff80000000ull,
					0x8000000000000000ull,
					0x123456789abcdef0ull};
	struct one o;

	CHECK(cs_ready());
	for (int r = 0; r < 16; r++)
		for (unsigned i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
			uint64_t v = vals[i];
			fresh();
			x86_mov_imm64(&buf, r, v);
			DECODE(o);
			if (v == 0)
				CHECK_MSG(!strcmp(o.mnem, "xor") && is_reg(&o, 0, r, 4) &&
					      is_reg(&o, 1, r, 4),
					  "%s", o.text);
			else if (v <= 0xffffffff) /* mov r32 zero-extends */
				CHECK_MSG(
				    !strcmp(o.mnem, "mov") && is_reg(&o, 0, r, 4) &&
					(is_imm(&o, 1, (int64_t)v) || is_imm(&o, 1, (int32_t)v)),
				    "%s", o.text);
			else if ((int64_t)v == (int32_t)v) /* mov r/m64, imm32 sign-extends */
				CHECK_MSG(!strcmp(o.mnem, "mov") && is_reg(&o, 0, r, 8) &&
					      o.size == 7 && is_imm(&o, 1, (int64_t)v),
					  "%s", o.text);
			else
				CHECK_MSG(!strcmp(o.mnem, "movabs") && is_reg(&o, 0, r, 8) &&
					      is_imm(&o, 1, (int64_t)v),
					  "%s", o.text);
		}
}

TEST(jit_encode_memory_operands_for_every_base)
{
	static const int32_t disps[] = {0, 1, -1, 127, -128, 128, -129, 0x7fffffff, INT32_MIN};
	static const struct {
		int size;
		bool sign;
		const char *mnem;
	} loads[] = {{1, false, "movzx"}, {2, false, "movzx"}, {4, false, "mov"},
		     {8, false, "mov"},	  {1, true, "movsx"},  {2, true, "movsx"},
		     {4, true, "movsxd"}};
	struct one o;

	CHECK(cs_ready());
	for (int base = 0; base < 16; base++)
		for (unsigned d = 0; d < sizeof(disps) / sizeof(disps[0]); d++) {
			int32_t disp = disps[d];
			for (int r = 0; r < 16; r++) {
				for (unsigned l = 0; l < sizeof(loads) / sizeof(loads[0]); l++) {
					fresh();
					x86_load(&buf, loads[l].size, loads[l].sign, r,
						 x86_m(base, disp));
					DECODE(o);
					int dest = loads[l].sign || loads[l].size == 8 ? 8 : 4;
					CHECK_MSG(!strcmp(o.mnem, loads[l].mnem) &&
						      is_reg(&o, 0, r, dest) &&
						      is_mem(&o, 1, base, -1, disp, loads[l].size),
						  "load%d%s r%d [%d%+d]: %s", loads[l].size,
						  loads[l].sign ? "s" : "", r, base, disp, o.text);
				}
				for (int size = 1; size <= 8; size *= 2) {
					fresh();
					x86_store(&buf, size, x86_m(base, disp), r);
					DECODE(o);
					CHECK_MSG(!strcmp(o.mnem, "mov") &&
						      is_mem(&o, 0, base, -1, disp, size) &&
						      is_reg(&o, 1, r, size),
						  "store%d [%d%+d], r%d: %s", size, base, disp, r,
						  o.text);
				}
			}
			for (int size = 1; size <= 8; size *= 2) {
				fresh();
				x86_store_imm(&buf, size, x86_m(base, disp), -2);
				DECODE(o);
				CHECK_MSG(!strcmp(o.mnem, "mov") &&
					      is_mem(&o, 0, base, -1, disp, size),
					  "store imm%d: %s", size, o.text);
			}
			fresh();
			x86_lea(&buf, base, x86_m(15 - base, disp));
			DECODE(o);
			CHECK_MSG(!strcmp(o.mnem, "lea") && is_reg(&o, 0, base, 8) &&
				      is_mem(&o, 1, 15 - base, -1, disp, 8),
				  "%s", o.text);
		}
	/* base + index (rsp is no index) */
	for (int base = 0; base < 16; base++)
		for (int index = 0; index < 16; index++) {
			if (index == X_RSP)
				continue;
			fresh();
			x86_load(&buf, 4, false, X_RAX, x86_mi(base, index, 0));
			DECODE(o);
			CHECK_MSG(is_mem(&o, 1, base, index, 0, 4), "[%d+%d]: %s", base, index,
				  o.text);
		}
}

TEST(jit_encode_shifts_unaries_and_extensions)
{
	static const struct {
		enum x86_shift op;
		const char *name;
	} shifts[] = {
	    {X_SHL, "shl"}, {X_SHR, "shr"}, {X_SAR, "sar"}, {X_ROL, "rol"}, {X_ROR, "ror"}};
	static const struct {
		enum x86_unary op;
		const char *name;
	} unaries[] = {
	    {X_NOT, "not"}, {X_NEG, "neg"}, {X_MUL, "mul"}, {X_DIV, "div"}, {X_IDIV, "idiv"}};
	struct one o;

	CHECK(cs_ready());
	for (int w = 0; w < 2; w++)
		for (int r = 0; r < 16; r++) {
			int bytes = w ? 8 : 4;
			for (unsigned s = 0; s < 5; s++) {
				fresh();
				x86_shift_ri(&buf, shifts[s].op, w, r, 5);
				DECODE(o);
				CHECK_MSG(!strcmp(o.mnem, shifts[s].name) &&
					      is_reg(&o, 0, r, bytes) && is_imm(&o, 1, 5),
					  "%s", o.text);
				fresh();
				x86_shift_cl(&buf, shifts[s].op, w, r);
				DECODE(o);
				CHECK_MSG(!strcmp(o.mnem, shifts[s].name) &&
					      is_reg(&o, 0, r, bytes) && is_reg(&o, 1, X_RCX, 1),
					  "%s", o.text);
			}
			for (unsigned u = 0; u < 5; u++) {
				fresh();
				x86_unary(&buf, unaries[u].op, w, r);
				DECODE(o);
				CHECK_MSG(!strcmp(o.mnem, unaries[u].name) &&
					      is_reg(&o, 0, r, bytes),
					  "%s", o.text);
			}
			fresh();
			x86_bswap(&buf, w, r);
			DECODE(o);
			CHECK_MSG(!strcmp(o.mnem, "bswap") && is_reg(&o, 0, r, bytes), "%s",
				  o.text);
			fresh();
			x86_imul_rri(&buf, w, r, 15 - r, 1000);
			DECODE(o);
			CHECK_MSG(!strcmp(o.mnem, "imul") && is_reg(&o, 0, r, bytes) &&
				      is_reg(&o, 1, 15 - r, bytes) && is_imm(&o, 2, 1000),
				  "%s", o.text);
			for (int s = 0; s < 16; s++) {
				/* the three BMI2 shifts, every count register */
				static const char *const bmi[] = {"shlx", "shrx", "sarx"};
				static const enum x86_shift bop[] = {X_SHL, X_SHR, X_SAR};
				for (int k = 0; k < 3; k++) {
					int c = (r + s + k) % 16;
					fresh();
					x86_shiftx(&buf, bop[k], w, r, s, c);
					DECODE(o);
					CHECK_MSG(
					    !strcmp(o.mnem, bmi[k]) && is_reg(&o, 0, r, bytes) &&
						is_reg(&o, 1, s, bytes) && is_reg(&o, 2, c, bytes),
					    "%s", o.text);
				}
				/* extensions, where 8-bit sources need REX to mean spl..dil */
				fresh();
				x86_movzx_rr(&buf, 8, r, s);
				DECODE(o);
				CHECK_MSG(!strcmp(o.mnem, "movzx") && is_reg(&o, 0, r, 4) &&
					      is_reg(&o, 1, s, 1),
					  "%s", o.text);
				fresh();
				x86_movzx_rr(&buf, 16, r, s);
				DECODE(o);
				CHECK_MSG(!strcmp(o.mnem, "movzx") && is_reg(&o, 1, s, 2), "%s",
					  o.text);
				fresh();
				x86_movsx_rr(&buf, 8, w, r, s);
				DECODE(o);
				CHECK_MSG(!strcmp(o.mnem, "movsx") && is_reg(&o, 0, r, bytes) &&
					      is_reg(&o, 1, s, 1),
					  "%s", o.text);
				fresh();
				x86_movsx_rr(&buf, 16, w, r, s);
				DECODE(o);
				CHECK_MSG(!strcmp(o.mnem, "movsx") && is_reg(&o, 1, s, 2), "%s",
					  o.text);
				fresh();
				x86_movsx_rr(&buf, 32, true, r, s);
				DECODE(o);
				CHECK_MSG(!strcmp(o.mnem, "movsxd") && is_reg(&o, 0, r, 8) &&
					      is_reg(&o, 1, s, 4),
					  "%s", o.text);
			}
		}
	for (int r = 0; r < 16; r++) {
		fresh();
		x86_ror16_8(&buf, r);
		DECODE(o);
		CHECK_MSG(!strcmp(o.mnem, "ror") && is_reg(&o, 0, r, 2) && is_imm(&o, 1, 8), "%s",
			  o.text);
	}
}

TEST(jit_encode_atomics_stack_and_control)
{
	struct one o;

	CHECK(cs_ready());
	for (int r = 0; r < 16; r++) {
		for (int size = 4; size <= 8; size += 4) {
			for (unsigned a = 0; a < 5; a++) { /* no locked cmp */
				fresh();
				x86_lock_alu(&buf, alus[a].op, size, x86_m(15 - r, 16), r);
				DECODE(o);
				CHECK_MSG(!strncmp(o.text, "lock ", 5) &&
					      !strcmp(o.mnem + 5, alus[a].name) &&
					      is_mem(&o, 0, 15 - r, -1, 16, size) &&
					      is_reg(&o, 1, r, size),
					  "%s", o.text);
			}
			fresh();
			x86_lock_xadd(&buf, size, x86_m(15 - r, -8), r);
			DECODE(o);
			CHECK_MSG(!strcmp(o.mnem, "lock xadd") && is_reg(&o, 1, r, size), "%s",
				  o.text);
			fresh();
			x86_lock_cmpxchg(&buf, size, x86_m(15 - r, -8), r);
			DECODE(o);
			CHECK_MSG(!strcmp(o.mnem, "lock cmpxchg") && is_reg(&o, 1, r, size), "%s",
				  o.text);
			fresh();
			x86_xchg(&buf, size, x86_m(15 - r, 0), r);
			DECODE(o);
			CHECK_MSG(!strcmp(o.mnem, "xchg"), "%s", o.text);
		}
		fresh();
		x86_push(&buf, r);
		DECODE(o);
		CHECK_MSG(!strcmp(o.mnem, "push") && is_reg(&o, 0, r, 8), "%s", o.text);
		fresh();
		x86_pop(&buf, r);
		DECODE(o);
		CHECK_MSG(!strcmp(o.mnem, "pop") && is_reg(&o, 0, r, 8), "%s", o.text);
		fresh();
		x86_call_r(&buf, r);
		DECODE(o);
		CHECK_MSG(!strcmp(o.mnem, "call") && is_reg(&o, 0, r, 8), "%s", o.text);
		fresh();
		x86_jmp_r(&buf, r);
		DECODE(o);
		CHECK_MSG(!strcmp(o.mnem, "jmp") && is_reg(&o, 0, r, 8), "%s", o.text);
		fresh();
		x86_jmp_m(&buf, x86_m(r, -16));
		DECODE(o);
		CHECK_MSG(!strcmp(o.mnem, "jmp") && is_mem(&o, 0, r, -1, -16, 8), "%s", o.text);
	}
	fresh();
	x86_cqo(&buf, true);
	DECODE(o);
	CHECK_STR(o.mnem, "cqo");
	fresh();
	x86_cqo(&buf, false);
	DECODE(o);
	CHECK_STR(o.mnem, "cdq");
}

/* Jumps: the short form exactly when the displacement fits in 8 bits,
 * landing on the label either way. */
TEST(jit_encode_jumps_settle_to_the_shortest_form)
{
	static const int dists[] = {0, 1, 100, 125, 126, 127, 128, 129, 130, 1000};

	CHECK(cs_ready());
	for (int back = 0; back < 2; back++)
		for (unsigned d = 0; d < sizeof(dists) / sizeof(dists[0]); d++) {
			for (int cc = -1; cc < 16; cc += 5) {
				struct jit_buf b;
				uint32_t jump_at = 0, target = 0;
				bool final = false;
				CHECK(!jit_buf_init(&b, 1));
				for (int pass = 0; pass < 10 && !final; pass++) {
					jit_pass_begin(&b);
					if (back) {
						jit_label_bind(&b, 0);
						for (int i = 0; i < dists[d]; i++)
							x86_int3(&b);
					}
					jump_at = (uint32_t)b.len;
					jit_jmp(&b, cc, 0);
					if (!back) {
						for (int i = 0; i < dists[d]; i++)
							x86_int3(&b);
						jit_label_bind(&b, 0);
					}
					target = b.addr[0];
					final = jit_pass_end(&b);
				}
				CHECK(final && !b.err);
				cs_insn *ci;
				size_t n = cs_disasm(cs, b.code + jump_at, b.len - jump_at, jump_at,
						     1, &ci);
				CHECK(n == 1);
				int64_t rel = (int64_t)target - (int64_t)(jump_at + 2);
				bool short_fits = rel >= -128 && rel <= 127;
				unsigned want = short_fits ? 2 : cc < 0 ? 5 : 6;
				bool ok =
				    ci->size == want && ci->detail->x86.operands[0].imm == target;
				char text[256];
				snprintf(text, sizeof(text), "%s %s (%u bytes)", ci->mnemonic,
					 ci->op_str, ci->size);
				cs_free(ci, n);
				jit_buf_free(&b);
				CHECK_MSG(ok, "back=%d dist=%d cc=%d: %s, target %u", back,
					  dists[d], cc, text, target);
			}
		}
}

TEST(jit_sticky_errors_stop_emission)
{
	struct jit_buf b;

	CHECK(!jit_buf_init(&b, 0));
	jit_pass_begin(&b);
	x86_ret(&b);
	CHECK_EQ(jit_fail(&b, -ENOTSUP, "first %d", 1), -ENOTSUP);
	jit_fail(&b, -ENOMEM, "second");
	x86_alu_rr(&b, X_ADD, true, X_RAX, X_RCX);
	jit_jmp(&b, -1, 0);
	x86_movabs(&b, X_RAX, 1);
	CHECK_EQ(b.len, 1);
	CHECK_EQ(b.err, -ENOTSUP);
	CHECK_STR(b.errmsg, "first 1");
	jit_buf_free(&b);
}

/* Whole images: each instruction's code decodes completely, for programs
 * covering every row (the row tests' shapes) and the stubs. */
TEST(jit_images_decode_completely)
{
	static const char *const progs[] = {
	    "r0 = *(u32 *)(r1 +4)\nr0 /= r2\nr0 %= r3\nr0 s/= r4\nr0 s%= r5\nr3 <<= r4\n"
	    "r0 s>>= r1\nw0 >>= w3\nr0 = be16 r0\nr0 = bswap64 r0\nr0 = (s8)r1\nw0 = (s16)w1\n"
	    "lock *(u64 *)(r10 -8) |= r1\nr1 = atomic64_fetch_and((u64 *)(r10 -8), r1)\n"
	    "r0 = atomic_cmpxchg((u32 *)(r10 -8), r0, r1)\nr2 = atomic64_xchg((u64 *)(r10 -16), "
	    "r2)\n"
	    "r6 = r1\nr0 = *(u16 *)skb[3]\nr0 = *(u32 *)skb[r7 + 5]\ncall 8\ncall f\nr2 = func[f]\n"
	    "callx r2\nif r0 s> r3 goto +1\nif w0 & 0x10 goto -3\nexit\nf:\nr0 = 1\nexit\n",
	};

	CHECK(cs_ready());
	for (unsigned p = 0; p < sizeof(progs) / sizeof(progs[0]); p++) {
		struct bpf_insn *insns;
		size_t cnt;
		struct vm_prog vp;
		CHECK_MSG(!exobpf_asm(progs[p], "t", &insns, &cnt), "%s", exobpf_errmsg());
		memset(&vp, 0, sizeof(vp));
		CHECK(!vm_prog_decode(&vp, insns, (uint32_t)cnt));
		free(insns);
		for (unsigned c = 0; c < jt_nconfigs; c++) {
			CHECK(!jit_compile(&vp, &jt_configs[c]));
			const struct jit_image *img = jit_image_of(&vp);
			/* the trampoline, each instruction, the stubs: back to back */
			uint32_t at = img->entry_off, end = img->code_len;
			cs_insn *ci;
			size_t n = cs_disasm(cs, img->mem + at, img->body_off - at, at, 0, &ci);
			cs_free(ci, n);
			at = img->body_off;
			while (at < end) {
				n = cs_disasm(cs, img->mem + at, end - at, at, 0, &ci);
				CHECK_MSG(n > 0, "%s: undecodable byte at %u", jt_config_names[c],
					  at);
				at = (uint32_t)(ci[n - 1].address + ci[n - 1].size);
				cs_free(ci, n);
			}
			CHECK_EQ(at, end);
			jit_release(&vp);
		}
		vm_prog_release(&vp);
	}
}
