/* The instruction set as data: rows of opcodes.def, decoding and validation.
 * Every other module asks this one what an instruction is. */
#ifndef EXOBPF_ISA_H
#define EXOBPF_ISA_H

#include <stdbool.h>
#include <stdint.h>
#include "exobpf/insn.h"

enum isa_op {
#define OP(name, code, key, keyval, shape, lx, ub) ISA_##name,
#include "isa/opcodes.def"
#undef OP
	ISA_NR_OPS
};

enum isa_key { ISA_KEY_NONE, ISA_KEY_OFF, ISA_KEY_IMM, ISA_KEY_SRC };

enum isa_shape {
	ISA_SHAPE_ALU_K,      /* dst OP= imm */
	ISA_SHAPE_ALU_X,      /* dst OP= src */
	ISA_SHAPE_NEG,	      /* dst = -dst */
	ISA_SHAPE_MOVSX,      /* dst = (sN)src; off = N */
	ISA_SHAPE_END,	      /* byte order; imm = width */
	ISA_SHAPE_JA,	      /* goto off */
	ISA_SHAPE_JA32,	      /* goto imm */
	ISA_SHAPE_JMP_K,      /* if dst OP imm goto off */
	ISA_SHAPE_JMP_X,      /* if dst OP src goto off */
	ISA_SHAPE_CALL,	      /* helper imm */
	ISA_SHAPE_CALL_LOCAL, /* subprogram at pc + imm + 1 */
	ISA_SHAPE_CALL_KFUNC, /* kernel function btf id imm (off: module btf) */
	ISA_SHAPE_CALLX,      /* call the target held in dst */
	ISA_SHAPE_EXIT,
	ISA_SHAPE_LDDW,	 /* dst = imm64; src: pseudo kind 0..6 */
	ISA_SHAPE_LDABS, /* r0 = skb[imm] */
	ISA_SHAPE_LDIND, /* r0 = skb[src + imm] */
	ISA_SHAPE_LDX,	 /* dst = *(size *)(src + off) */
	ISA_SHAPE_ST,	 /* *(size *)(dst + off) = imm */
	ISA_SHAPE_STX,	 /* *(size *)(dst + off) = src */
	ISA_SHAPE_ATOMIC /* atomic op imm on *(size *)(dst + off) with src */
};

/* Fields an instruction of a shape reads; the others must be zero. */
enum { ISA_F_DST = 1, ISA_F_SRC = 2, ISA_F_OFF = 4, ISA_F_IMM = 8 };

struct isa_row {
	uint8_t code;
	uint8_t key;
	uint8_t shape;
	int32_t keyval;
	const char *name;  /* row name, e.g. "ADD64_K" */
	const char *lxword; /* operator or word in Linux syntax */
	const char *ubpf;  /* mnemonic in uBPF syntax */
};

extern const struct isa_row isa_rows[ISA_NR_OPS];
extern const uint8_t isa_shape_fields[];

/* Why an encoding is invalid. */
enum isa_fault {
	ISA_OK = 0,
	ISA_E_OPCODE,	   /* no instruction has this opcode byte */
	ISA_E_DST,	   /* dst_reg set where unused */
	ISA_E_SRC,	   /* src_reg set where unused (or bad pseudo kind) */
	ISA_E_OFF,	   /* off set where unused (or no row has this off) */
	ISA_E_IMM,	   /* imm set where unused (or no row has this imm) */
	ISA_E_REG,	   /* a register number above r10 */
	ISA_E_LDDW_TRUNC,  /* lddw in the last slot */
	ISA_E_LDDW_SECOND, /* lddw's second slot has non-zero code/regs/off */
};

/* Decode insns[idx]: the row (>= 0) or -1 with *fault set. */
int isa_decode(const struct bpf_insn *insns, size_t cnt, size_t idx, enum isa_fault *fault);

/* "off must be 0 (is 1)"-style text for a fault of insns[idx]. */
void isa_fault_text(const struct bpf_insn *insn, enum isa_fault fault, char *buf, size_t size);

/* An instruction of a row: its opcode, the given operands, and the row's key
 * field (off, imm or src) set to the value that selects the row. */
struct bpf_insn isa_encode(enum isa_op op, int dst, int src, int off, int32_t imm);

/* Byte width of a memory access row (LDX/ST/STX/ATOMIC/LDABS/LDIND), else 0. */
unsigned isa_mem_size(enum isa_op op);

static inline unsigned isa_class(uint8_t code)
{
	return code & 0x07;
}

static inline bool isa_is_alu32(enum isa_op op)
{
	return isa_class(isa_rows[op].code) == BPF_ALU;
}

static inline bool isa_is_jmp32(enum isa_op op)
{
	return isa_class(isa_rows[op].code) == BPF_JMP32;
}

static inline bool isa_is_atomic64(enum isa_op op)
{
	return isa_rows[op].code == (BPF_STX | BPF_ATOMIC | BPF_DW);
}

/* Does an instruction of this shape only compute in registers and go on to
 * the next one (no jump, call or memory; eBPF's arithmetic never faults)? */
static inline bool isa_shape_computes(enum isa_shape shape)
{
	return shape == ISA_SHAPE_ALU_K || shape == ISA_SHAPE_ALU_X || shape == ISA_SHAPE_NEG ||
	       shape == ISA_SHAPE_MOVSX || shape == ISA_SHAPE_END;
}

/* A plain load or store (not an atomic): it faults only out of bounds. */
static inline bool isa_shape_loads_or_stores(enum isa_shape shape)
{
	return shape == ISA_SHAPE_LDX || shape == ISA_SHAPE_ST || shape == ISA_SHAPE_STX;
}

/* Slots taken by an instruction: 2 for lddw, else 1. */
static inline unsigned isa_slots(uint8_t code)
{
	return code == (BPF_LD | BPF_IMM | BPF_DW) ? 2 : 1;
}

static inline uint64_t isa_imm64(const struct bpf_insn *insn)
{
	return (uint64_t)(uint32_t)insn[0].imm | (uint64_t)(uint32_t)insn[1].imm << 32;
}

#endif
