/* The program object behind the public exobpf_prog__* API. */
#ifndef EXOBPF_CORE_PROG_H
#define EXOBPF_CORE_PROG_H

#include "exobpf/prog.h"
#include "exobpf/verifier.h"
#include "verifier/facts.h"
#include "vm/vm.h"

struct exo_map;

/* Internal flag (exobpf_prog_opts.flags): also JIT a batch entry, the loop
 * over packets of vm_prog.jited_batch (classic filters over captures). */
#define EXO_PROG_JIT_BATCH (1u << 31)

struct exobpf_prog {
	char name[16];
	enum bpf_prog_type type;
	uint32_t flags;
	struct bpf_insn *insns; /* as run (after loader relocation and verifier rewrites) */
	size_t cnt;
	struct vm_prog vm;
	/* The verifier's results (NULL/false when not verified). */
	struct vrf_fact *facts; /* one per instruction of insns */
	bool verified;
	enum bpf_attach_type expected_attach_type;
	struct exobpf_verifier_stats vstats;
	uint32_t max_ctx_offset; /* the verifier's; 0 when not verified */
	struct exo_map **maps; /* maps the program's lddw name (one reference each) */
	uint32_t nr_maps;
};

/* Verify prog->insns with opts (Linux's BPF_PROG_LOAD semantics for the
 * log), replace them by the rewritten program and keep the facts. 0 or
 * -errno with the message set. (core/prog_verify.c) */
int exo_prog_verify(struct exobpf_prog *prog, const struct exobpf_prog_opts *opts);

/* May a syscall program run with a context of size bytes? It must hold
 * every byte the program accesses (the verifier's max_ctx_offset) and at
 * most U16_MAX, as Linux's bpf_prog_test_run_syscall. 0 or -EINVAL with
 * the message set. (core/prog.c) */
int exo_prog_syscall_ctx_ok(const struct exobpf_prog *prog, uint32_t size);

#endif
