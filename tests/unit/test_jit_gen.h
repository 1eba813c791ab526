/* Random valid eBPF programs for differential testing of the JIT, from a
 * byte source (a fuzzer's input) or a seeded generator (reproducible: the
 * seed names the program). "Valid" means what makes two engines' runs
 * comparable: every run ends (jumps go forward, loops count down a stack
 * slot, calls form a DAG except deliberate recursion that meets the depth
 * limit), memory accesses stay inside the GEN_MEM bytes at r9 (= r1, never
 * written) or the 64 initialised bytes below r10, and stack addresses never
 * leave r10. Everything else is fair: every ALU, jump, load, store and
 * atomic row, division by zero, shifts by anything, helpers (some of which
 * clobber registers natively), bpf_loop calling back the last function
 * (whose r9 is its ctx), tail calls (through the table of
 * jt_differential_tail: run the programs with it), local calls, callx,
 * LD_ABS/LD_IND in and out
 * of range, falling off the end. Each function's end folds the initialised
 * stack into r0, so comparing r0 compares the stack too. */
#ifndef EXOBPF_TEST_JIT_GEN_H
#define EXOBPF_TEST_JIT_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/bpf.h>

#define GEN_MEM	      256
#define GEN_MAX_INSNS 1024

struct gen_src {
	const uint8_t *data; /* fuzzer bytes, or NULL: use the generator */
	size_t len, pos;
	uint64_t state;
};

static inline struct gen_src gen_seeded(uint64_t seed)
{
	return (struct gen_src){.state = seed * 0x9e3779b97f4a7c15ull + 1};
}

static inline struct gen_src gen_bytes(const uint8_t *data, size_t len)
{
	return (struct gen_src){.data = data, .len = len};
}

/* A program into out (GEN_MAX_INSNS entries); returns its length (>= 1). */
size_t gen_program(struct gen_src *src, struct bpf_insn *out);

/* Initial memory for a program: GEN_MEM bytes from the source. */
void gen_memory(struct gen_src *src, uint8_t *mem);

#endif
