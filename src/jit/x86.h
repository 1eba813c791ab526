/* x86-64 instruction encodings the JIT uses, written from the Intel SDM /
 * AMD APM encoding rules (REX, ModRM, SIB, VEX). Each function appends one
 * instruction to a jit_buf; operand size is 64 bits when w64, else 32 (which
 * zero-extends the destination, exactly eBPF's ALU32 rule). */
#ifndef EXOBPF_JIT_X86_H
#define EXOBPF_JIT_X86_H

#include <stdbool.h>
#include <stdint.h>

#include "jit/emit.h"

enum x86_gpr {
	X_RAX,
	X_RCX,
	X_RDX,
	X_RBX,
	X_RSP,
	X_RBP,
	X_RSI,
	X_RDI,
	X_R8,
	X_R9,
	X_R10,
	X_R11,
	X_R12,
	X_R13,
	X_R14,
	X_R15,
};

/* Condition codes (the low nibble of Jcc/SETcc/CMOVcc). */
enum x86_cc {
	X_CC_O = 0x0,
	X_CC_NO = 0x1,
	X_CC_B = 0x2,
	X_CC_AE = 0x3,
	X_CC_E = 0x4,
	X_CC_NE = 0x5,
	X_CC_BE = 0x6,
	X_CC_A = 0x7,
	X_CC_S = 0x8,
	X_CC_NS = 0x9,
	X_CC_L = 0xc,
	X_CC_GE = 0xd,
	X_CC_LE = 0xe,
	X_CC_G = 0xf,
};

/* The /digit of the 0x81/0x83 group; opcode (op << 3) | 1 is "op r/m, r". */
enum x86_alu { X_ADD = 0, X_OR = 1, X_ADC = 2, X_AND = 4, X_SUB = 5, X_XOR = 6, X_CMP = 7 };

/* The /digit of the 0xC1/0xD3 group. */
enum x86_shift { X_ROL = 0, X_ROR = 1, X_SHL = 4, X_SHR = 5, X_SAR = 7 };

/* The /digit of the 0xF7 group. */
enum x86_unary { X_NOT = 2, X_NEG = 3, X_MUL = 4, X_DIV = 6, X_IDIV = 7 };

/* A memory operand [base + index*scale + disp]; index < 0 for none. */
struct x86_mem {
	int base, index, scale;
	int32_t disp;
};

static inline struct x86_mem x86_m(int base, int32_t disp)
{
	return (struct x86_mem){.base = base, .index = -1, .scale = 1, .disp = disp};
}

static inline struct x86_mem x86_mi(int base, int index, int32_t disp)
{
	return (struct x86_mem){.base = base, .index = index, .scale = 1, .disp = disp};
}

/* op dst, src / op dst, imm (sign-extended imm32; imm8 form when it fits). */
void x86_alu_rr(struct jit_buf *b, enum x86_alu op, bool w64, int dst, int src);
void x86_alu_ri(struct jit_buf *b, enum x86_alu op, bool w64, int dst, int32_t imm);
void x86_alu_mi(struct jit_buf *b, enum x86_alu op, bool w64, struct x86_mem m, int32_t imm);
void x86_test_rr(struct jit_buf *b, bool w64, int a, int c);
void x86_test_ri(struct jit_buf *b, bool w64, int r, int32_t imm);

void x86_mov_rr(struct jit_buf *b, bool w64, int dst, int src);
/* dst = v (all 64 bits), in the shortest encoding. */
void x86_mov_imm64(struct jit_buf *b, int dst, uint64_t v);
/* dst = v zero-extended. */
void x86_mov_imm32(struct jit_buf *b, int dst, uint32_t v);
/* dst = v: always the 10-byte movabs (for patchable or blinded constants). */
void x86_movabs(struct jit_buf *b, int dst, uint64_t v);

void x86_imul_rr(struct jit_buf *b, bool w64, int dst, int src);
void x86_imul_rri(struct jit_buf *b, bool w64, int dst, int src, int32_t imm);
void x86_unary(struct jit_buf *b, enum x86_unary op, bool w64, int r);
void x86_shift_ri(struct jit_buf *b, enum x86_shift op, bool w64, int r, uint8_t n);
void x86_shift_cl(struct jit_buf *b, enum x86_shift op, bool w64, int r);
/* BMI2 shlx/shrx/sarx dst = src shifted by count (masked as eBPF masks). */
void x86_shiftx(struct jit_buf *b, enum x86_shift op, bool w64, int dst, int src, int count);
/* ror r16, 8: swap the two low bytes. */
void x86_ror16_8(struct jit_buf *b, int r);
void x86_bswap(struct jit_buf *b, bool w64, int r);
/* dst = zero- or sign-extended low `bits` of src; result 64-bit when w64. */
void x86_movzx_rr(struct jit_buf *b, int bits, int dst, int src);
void x86_movsx_rr(struct jit_buf *b, int bits, bool w64, int dst, int src);
void x86_cqo(struct jit_buf *b, bool w64); /* cqo / cdq */

/* Loads zero-extend (size 1, 2, 4) or sign-extend to 64 bits. */
void x86_load(struct jit_buf *b, int size, bool sign, int dst, struct x86_mem m);
void x86_store(struct jit_buf *b, int size, struct x86_mem m, int src);
void x86_store_imm(struct jit_buf *b, int size, struct x86_mem m, int32_t imm);
void x86_lea(struct jit_buf *b, int dst, struct x86_mem m);
/* prefetcht0 m: a hint, never a fault, whatever the address */
void x86_prefetch(struct jit_buf *b, struct x86_mem m);
/* dst = low 32 bits of the address, zero-extended. */
void x86_lea32(struct jit_buf *b, int dst, struct x86_mem m);

/* Atomic read-modify-writes (lock prefix), size 4 or 8. */
void x86_lock_alu(struct jit_buf *b, enum x86_alu op, int size, struct x86_mem m, int src);
void x86_lock_xadd(struct jit_buf *b, int size, struct x86_mem m, int src);
void x86_xchg(struct jit_buf *b, int size, struct x86_mem m, int src);
void x86_lock_cmpxchg(struct jit_buf *b, int size, struct x86_mem m, int src);

void x86_push(struct jit_buf *b, int r);
void x86_pop(struct jit_buf *b, int r);
void x86_call_r(struct jit_buf *b, int r);
void x86_jmp_r(struct jit_buf *b, int r);
void x86_jmp_m(struct jit_buf *b, struct x86_mem m);
void x86_ret(struct jit_buf *b);
void x86_int3(struct jit_buf *b);

#endif
