/* libFuzzer target: the input chooses a valid program and its memory (the
 * generator of tests/unit/test_jit_gen.c reads the bytes, and a second
 * program its tail calls reach), which then runs
 * in the interpreter and under every JIT configuration; any difference in
 * r0, fault, message or memory is a finding (the target aborts with the
 * difference). Build with `make fuzz`; run build/fuzz/jit-diff [corpus]. */
#include <stdio.h>
#include <stdlib.h>

#include "test_jit_gen.h"
#include "test_jit_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct bpf_insn prog[GEN_MAX_INSNS], next[GEN_MAX_INSNS];
	static uint8_t mem[GEN_MEM] __attribute__((aligned(8)));
	struct gen_src src = gen_bytes(data, size);
	char why[1024];

	size_t n = gen_program(&src, prog), nn = gen_program(&src, next);
	gen_memory(&src, mem);
	int r = jt_differential_tail(prog, n, next, nn, mem, GEN_MEM, why, sizeof(why));
	if (r != 1) {
		fprintf(stderr, "jit-diff: %s\n", why);
		abort();
	}
	return 0;
}
