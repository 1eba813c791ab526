/* Differential running for JIT tests: the same decoded program through the
 * interpreter (the reference engine, fast mode) and through the JIT with
 * chosen options, from the same memory, and a comparison of everything a
 * run leaves behind: r0, fault, fault pc and message, tail calls, memory. */
#ifndef EXOBPF_TEST_JIT_UTIL_H
#define EXOBPF_TEST_JIT_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jit/jit.h"
#include "vm/vm.h"

#define JT_MEM_MAX 4096

struct jt_outcome {
	uint64_t r0;
	enum vm_fault fault;
	uint32_t fault_pc, tail_calls;
	char msg[192];
	uint8_t mem[JT_MEM_MAX];
	uint32_t mem_len;
};

/* The JIT configurations every differential test runs. */
extern const struct jit_opts jt_configs[];
extern const char *const jt_config_names[];
extern const unsigned jt_nconfigs;

/* Run vp (already decoded; compiled when jit) on a copy of mem. The memory
 * is also the packet for LD_ABS/LD_IND. */
void jt_run(struct vm_prog *vp, bool jit, const uint8_t *mem, uint32_t len, struct jt_outcome *o);

/* Compare two outcomes; false with why filled when they differ. */
bool jt_same(const struct jt_outcome *a, const struct jt_outcome *b, char *why, size_t size);

/* Decode insns, run them in the interpreter and under every JIT
 * configuration, and compare. 1 identical, 0 different (why says how), -1
 * the program does not decode or compile (why says why). */
int jt_differential(const struct bpf_insn *insns, size_t cnt, const uint8_t *mem, uint32_t len,
		    char *why, size_t size);

/* jt_differential of a program whose bpf_tail_call calls (patched after
 * decoding) take index 0 to the second program, 1 to the first, anything
 * else to nothing; tail calls from the second program alike. The second
 * program is compiled under each configuration, and also left interpreted
 * once. tinsns NULL: jt_differential (no table, tail calls left as they are). */
int jt_differential_tail(const struct bpf_insn *insns, size_t cnt, const struct bpf_insn *tinsns,
			 size_t tcnt, const uint8_t *mem, uint32_t len, char *why, size_t size);

/* The interpreter's outcome in the last jt_differential(_tail). */
const struct jt_outcome *jt_last_reference(void);

#endif
