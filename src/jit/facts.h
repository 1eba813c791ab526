/* What the JIT may assume at one instruction. A flag is set only when an
 * analysis proved it for every run that reaches the instruction; the JIT
 * drops a check or folds a value only on such a flag, and emits the fully
 * checked form otherwise. Facts come from the JIT's own analyses (liveness,
 * analysis.c) and from the verifier (jit_opts.verifier_facts). */
#ifndef EXOBPF_JIT_FACTS_H
#define EXOBPF_JIT_FACTS_H

#include <stdint.h>

#include "vm/vm.h"

enum jit_fact_flag {
	/* DIV/MOD/SDIV/SMOD with a register divisor: it is never 0 (in the
	 * width the instruction reads). */
	JIT_FACT_DIV_NONZERO = 1 << 0,
	/* SDIV/SMOD with a register divisor: it is never -1. */
	JIT_FACT_DIV_NOT_M1 = 1 << 1,
	/* The source register holds src_val whenever this instruction runs. */
	JIT_FACT_SRC_CONST = 1 << 2,
	/* No run reaches this instruction. */
	JIT_FACT_DEAD = 1 << 3,
	/* live_after/live_after_deep are known (else every register counts as
	 * live). */
	JIT_FACT_LIVENESS = 1 << 4,
	/* A conditional jump that every run takes, or that no run takes. */
	JIT_FACT_JMP_ALWAYS = 1 << 5,
	JIT_FACT_JMP_NEVER = 1 << 6,
	/* Control may arrive here other than from the previous instruction
	 * (a jump, a call, the entry; anything in a program with callx), so
	 * this instruction's code cannot be merged into its predecessor's. */
	JIT_FACT_TARGET = 1 << 7,
	/* A helper call whose r1 is, on every path, the map an lddw earlier in
	 * the same straight-line code loaded: src_val holds the map pointer. */
	JIT_FACT_R1_MAP = 1 << 8,
	/* A load or store the verifier proved inside memory of one kind on
	 * every path (not the context, whose loads it rewrote); MEM_STACK:
	 * that memory is the stack. */
	JIT_FACT_MEM_OK = 1 << 9,
	JIT_FACT_MEM_STACK = 1 << 10,
	/* A value assembled from byte loads (see combine_loads in
	 * analysis.c): the root instruction loads wide.size bytes at
	 * wide.base + wide.off at once (byte-swapped when wide.be); the
	 * instructions it replaces are SUBSUMED and emit nothing. */
	JIT_FACT_WIDE_LOAD = 1 << 11,
	JIT_FACT_SUBSUMED = 1 << 12,
	/* A constant move needed only where a later jump is taken (see
	 * sink_consts in analysis.c): the move is SUNK and emits nothing; the
	 * jump (SINK_JMP) sets sink.reg on its taken edge. */
	JIT_FACT_SUNK = 1 << 13,
	JIT_FACT_SINK_JMP = 1 << 14,
};

struct jit_fact {
	uint16_t flags;
	/* Bit n: rn may be read after this instruction before it is written,
	 * when the program was entered at call depth 0 (live_after) or may
	 * have been tail-called from a subprogram, whose caller may read r0-r5
	 * after this program exits (live_after_deep). */
	uint16_t live_after, live_after_deep;
	int64_t src_val;
	struct jit_wide {
		uint8_t base, size; /* an eBPF register; 2, 4 or 8 */
		bool be;
		int32_t off;
	} wide;
	struct jit_sink {
		uint8_t reg; /* an eBPF register */
		bool w64;    /* MOV64_K: imm sign-extended; else zero-extended */
		int32_t imm;
	} sink;
};

/* Fill out[0..prog->len) with the JIT's own facts merged with the
 * verifier's (may be NULL). 0 or -ENOMEM. */
int jit_analyze(const struct vm_prog *prog, const struct jit_fact *verifier, struct jit_fact *out);

struct vrf_fact;

/* The verifier's facts (src/verifier/facts.h) for the cnt instructions
 * insns, in the JIT's terms: malloc'ed, NULL when there are none or memory
 * ran out (the JIT then assumes nothing). */
struct jit_fact *jit_facts_from_verifier(const struct vrf_fact *v, const struct bpf_insn *insns,
					 size_t cnt);

#endif
