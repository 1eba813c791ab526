/* What the verifier proved about each instruction of a verified program, for
 * the JIT (and anyone else who wants to drop a run-time check). Facts hold on
 * every path that reaches the instruction; an instruction no path reaches has
 * no facts (flags 0) and is never executed. Indexes are those of the program
 * as it runs (exobpf_prog__insns, after context rewriting). */
#ifndef EXOBPF_VERIFIER_FACTS_H
#define EXOBPF_VERIFIER_FACTS_H

#include <stddef.h>
#include <stdint.h>

enum vrf_fact_flags {
	VRF_FACT_SEEN = 1u << 0, /* some path executes this instruction */
	/* div/mod: the divisor (src, or imm) is never zero on any path, so the
	 * "x / 0 = 0, x % 0 = x" fix-up code can be left out. */
	VRF_FACT_DIV_NONZERO = 1u << 1,
	/* sdiv/smod: the divisor is never -1 (no INT_MIN / -1 special case). */
	VRF_FACT_DIV_NOT_NEG1 = 1u << 2,
	/* ALU32 and 32-bit loads: no later instruction reads the upper 32 bits
	 * of dst before it is written again, so the zero-extension may be
	 * skipped (Linux's insn_aux_data.zext_dst, inverted). */
	VRF_FACT_NO_ZEXT = 1u << 3,
	/* The value of dst after this instruction is the same constant on
	 * every path: struct vrf_fact.dst_const holds it. */
	VRF_FACT_DST_CONST = 1u << 4,
	/* The value of src (or of dst for jumps with an immediate) before this
	 * instruction is constant on every path: src_const holds it. */
	VRF_FACT_SRC_CONST = 1u << 5,
	/* Memory access (LDX/ST/STX/ATOMIC): proved inside the object named by
	 * mem_kind on every path; no bounds check is needed. */
	VRF_FACT_MEM_SAFE = 1u << 6,
	/* Shift: the count is proved below the operand width. */
	VRF_FACT_SHIFT_OK = 1u << 7,
	/* Conditional jump: always taken / never taken on every path. */
	VRF_FACT_JMP_ALWAYS = 1u << 8,
	VRF_FACT_JMP_NEVER = 1u << 9,
};

/* Which memory a load or store touches (the pointer type the verifier saw). */
enum vrf_mem_kind {
	VRF_MEM_NONE = 0,
	VRF_MEM_STACK,
	VRF_MEM_CTX,
	VRF_MEM_MAP_VALUE,
	VRF_MEM_MAP_KEY,
	VRF_MEM_PACKET,
	VRF_MEM_PACKET_META,
	VRF_MEM_MEM,	/* helper-returned memory (ringbuf record, ...) */
	VRF_MEM_TP_BUF, /* writable tracepoint buffer */
	VRF_MEM_MIXED,	/* different kinds on different paths */
};

struct vrf_fact {
	uint32_t flags;	  /* enum vrf_fact_flags */
	uint8_t mem_kind; /* enum vrf_mem_kind, for memory accesses */
	uint8_t pad[3];
	uint64_t dst_const; /* valid with VRF_FACT_DST_CONST */
	uint64_t src_const; /* valid with VRF_FACT_SRC_CONST */
};

struct exobpf_prog;

/* The facts of a program, one per instruction slot (lddw's second slot has
 * none), and their count; NULL (and *cnt = 0) when the program was not
 * verified (EXOBPF_PROG_NO_VERIFY, the raw-memory type). Valid as long as the
 * program is. */
const struct vrf_fact *vrf_prog_facts(const struct exobpf_prog *prog, size_t *cnt);

#endif
