/* The verifier's entry point, as core/prog.c calls it: instructions and
 * load parameters in, a verdict, the log, the rewritten program and the
 * facts out. Everything else under src/verifier is internal to it. */
#ifndef EXOBPF_VERIFY_H
#define EXOBPF_VERIFY_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/bpf.h>

#include "verifier/facts.h"

/* What the verifier knows of a map (filled by the map callback). */
struct vrf_map {
	uint64_t handle; /* what the lddw carries (fd or map pointer) */
	uint32_t type, key_size, value_size, max_entries, map_flags;
	char name[16];
	int32_t spin_lock_off; /* -1: none (needs BTF) */
	int32_t timer_off;     /* -1: none */
	struct vrf_map *inner; /* map-in-map template, owned */
	bool frozen;
};

struct vrf_params {
	enum bpf_prog_type prog_type;
	enum bpf_attach_type expected_attach_type;
	uint32_t prog_flags; /* BPF_F_STRICT_ALIGNMENT, BPF_F_ANY_ALIGNMENT, ... */
	bool gpl;	     /* license is GPL-compatible (gpl_only helpers) */
	bool unpriv;	     /* Linux's rules for callers without CAP_BPF/CAP_PERFMON */
	uint32_t log_level;  /* 0, 1, 2, | 4 for statistics */
	/* Describe the map an lddw (src 1 or 2, two slots at ld) refers to:
	 * fill out (type, sizes, flags, inner template; handle identifies the
	 * map) and for src 2 *value_off. Returns 0 or -errno (-EBADF: not a
	 * map). NULL: programs cannot use maps. */
	int (*map_info)(void *priv, const struct bpf_insn *ld, struct vrf_map *out,
			uint32_t *value_off);
	void *priv;
};

struct vrf_result {
	struct bpf_insn *insns; /* the program as it must run (ctx accesses rewritten) */
	uint32_t len;
	struct vrf_fact *facts; /* len entries */
	char *log;		/* the log text (NUL-terminated), also when rejected */
	uint32_t log_len;
	uint32_t insn_processed, total_states, peak_states, max_states_per_insn;
	uint32_t stack_depth; /* main program's, bytes */
	/* the end of the furthest context access: a syscall program's test
	 * run needs at least this much ctx_in (Linux's max_ctx_offset) */
	uint32_t max_ctx_offset;
	uint64_t time_ns;
};

/* Verify; 0 when the program is accepted, or a negative errno (-EACCES,
 * -EINVAL, -E2BIG, -ENOMEM ...) as Linux's BPF_PROG_LOAD returns it. The
 * result (log always, program and facts when accepted) is filled either
 * way; free it with vrf_result_free. */
int vrf_verify(const struct bpf_insn *insns, uint32_t len, const struct vrf_params *p,
	       struct vrf_result *res);
void vrf_result_free(struct vrf_result *res);

/* The map callback exobpf_prog__new gives the verifier (params.map_info),
 * in core/prog_verify.c: map fds looked up in the maps module. */
int exo_prog_map_info(void *priv, const struct bpf_insn *ld, struct vrf_map *out,
		      uint32_t *value_off);

#endif
