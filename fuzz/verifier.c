/* libFuzzer target for the verifier: the input is a program type byte and
 * raw instructions (8 bytes each). Whatever the verifier accepts runs in
 * the checked interpreter on a fixed packet with an instruction budget of
 * what the verifier processed: a fault there is a verifier bug (the
 * soundness oracle on arbitrary streams). Maps: fds of an array and a
 * hash map exist, so map references can resolve. Seeds: Linux 6.1's
 * test_verifier programs and generated programs (make fuzz). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Helpers whose callbacks may run far more instructions than the verifier
 * processed (bpf_loop: up to 2^23 iterations of one verified body). */
static bool loops_by_helper(const struct bpf_insn *insns, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (insns[i].code == (BPF_JMP | BPF_CALL) && insns[i].src_reg == 0 &&
		    (insns[i].imm == BPF_FUNC_loop || insns[i].imm == BPF_FUNC_for_each_map_elem))
			return true;
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t pkt[128];
	static int init;
	if (!init) {
		fuzz_init(1);
		exobpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, 64, 4, NULL);
		exobpf_map_create(BPF_MAP_TYPE_HASH, NULL, 8, 16, 16, NULL);
		for (size_t i = 0; i < sizeof(pkt); i++)
			pkt[i] = (uint8_t)(i * 7 + 3);
		init = 1;
	}
	if (size < 1 + sizeof(struct bpf_insn))
		return 0;
	/* the type byte names a Linux program type exobpf knows, else a
	 * socket filter */
	enum bpf_prog_type type = (enum bpf_prog_type)data[0];
	if (!exobpf_prog_type_supported(type))
		type = BPF_PROG_TYPE_SOCKET_FILTER;
	size_t n = (size - 1) / sizeof(struct bpf_insn);
	struct bpf_insn *insns = malloc(n * sizeof(*insns));
	if (!insns)
		return 0;
	memcpy(insns, data + 1, n * sizeof(*insns));
	EXOBPF_OPTS(exobpf_prog_opts, po, .type = type, .license = "GPL",
		    .flags = EXOBPF_PROG_INTERP,
		    .prog_flags = type == BPF_PROG_TYPE_SYSCALL ? BPF_F_SLEEPABLE : 0);
	struct exobpf_prog *prog = exobpf_prog__new(insns, n, &po);
	struct exobpf_verifier_stats vs = {.sz = sizeof(vs)};
	/* (raw-memory programs, type 0, are not verified: nothing to check) */
	if (prog && !exobpf_prog__verifier_stats(prog, &vs)) {
		bool helper_loops = loops_by_helper(insns, n);
		EXOBPF_OPTS(exobpf_run_opts, ro, .data_in = pkt, .data_size_in = sizeof(pkt),
			    .flags = EXOBPF_RUN_CHECKED | EXOBPF_RUN_INTERP,
			    .insn_budget = helper_loops ? (1u << 24) : vs.insn_processed + 1ull);
		int err = exobpf_prog__run(prog, &ro);
		/* tracing contexts cannot be test-run; their refusal is not a fault */
		if (err == -EFAULT && !(helper_loops && ro.insns_executed >= (1u << 24))) {
			fprintf(stderr, "verifier: accepted program (type %d) faults: %s\n", type,
				exobpf_errmsg());
			abort();
		}
	}
	exobpf_prog__free(prog);
	free(insns);
	return 0;
}
