/* The verifier's place in program creation: BPF_PROG_LOAD's log semantics
 * (caller's buffer, Linux's size rules, ENOSPC when it was too small), the
 * program replaced by its rewritten form, and the facts kept for the JIT. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/opts.h"
#include "core/prog.h"
#include "maps/map.h"
#include "progtypes/progtypes.h"
#include "verifier/verify.h"

/* Inner-map templates have no shared header: use the field accessors. */
static void describe_map(const struct exo_map *m, struct vrf_map *out)
{
	out->handle = (uintptr_t)m;
	out->type = exo_map_type(m);
	out->key_size = exo_map_key_size(m);
	out->value_size = exo_map_value_size(m);
	out->max_entries = exo_map_max_entries(m);
	out->map_flags = exo_map_flags(m);
	out->spin_lock_off = exo_map_spin_lock_off(m);
	out->timer_off = -1;
}

/* The verifier sees map fds, as Linux's does (src 1: the map; src 2: an
 * address inside its value). The handle is the map itself, so copies of
 * one map are one map to the verifier. */
int exo_prog_map_info(void *priv, const struct bpf_insn *ld, struct vrf_map *out,
		      uint32_t *value_off)
{
	struct exo_map *m;
	const struct exo_map *inner;

	(void)priv;
	m = exo_map_get(ld->imm);
	if (!m)
		return -EBADF;
	describe_map(m, out);
	{
		struct bpf_map_info info;

		exo_map_get_info(m, &info);
		memcpy(out->name, info.name, sizeof(out->name) - 1);
		out->frozen = exo_map_frozen(m);
	}
	inner = exo_map_inner(m);
	if (inner) {
		out->inner = calloc(1, sizeof(*out->inner));
		if (!out->inner) {
			exo_map_put(m);
			return -ENOMEM;
		}
		describe_map(inner, out->inner);
	}
	if (ld->src_reg == BPF_PSEUDO_MAP_VALUE)
		*value_off = (uint32_t)ld[1].imm;
	exo_map_put(m);
	return 0;
}

static bool gpl_compatible(const char *license)
{
	static const char *const ok[] = {
	    "GPL",	    "GPL v2",	    "GPL and additional rights",
	    "Dual BSD/GPL", "Dual MIT/GPL", "Dual MPL/GPL"};

	if (!license)
		return false;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (!strcmp(license, ok[i]))
			return true;
	return false;
}

/* The last non-empty line of the log: the error, for exobpf_errmsg(). */
static void last_line(const char *log, uint32_t len, char *buf, size_t size)
{
	uint32_t end = len, start;

	while (end && (log[end - 1] == '\n'))
		end--;
	start = end;
	while (start && log[start - 1] != '\n')
		start--;
	/* Skip the statistics lines to the error before them. */
	while (start && (!strncmp(log + start, "processed ", 10) ||
			 !strncmp(log + start, "stack depth ", 12) ||
			 !strncmp(log + start, "verification time ", 18))) {
		end = start - 1;
		start = end;
		while (start && log[start - 1] != '\n')
			start--;
	}
	snprintf(buf, size, "%.*s", (int)(end - start), log + start);
}

int exo_prog_verify(struct exobpf_prog *prog, const struct exobpf_prog_opts *opts)
{
	char *log_buf = OPT(opts, log_buf, NULL);
	uint32_t log_size = OPT(opts, log_size, 0), log_level = OPT(opts, log_level, 0);
	struct vrf_params p = {
	    .prog_type = prog->type,
	    .expected_attach_type = OPT(opts, expected_attach_type, 0),
	    .prog_flags = OPT(opts, prog_flags, 0),
	    .gpl = gpl_compatible(OPT(opts, license, NULL)),
	    .unpriv = (prog->flags & EXOBPF_PROG_UNPRIV) != 0,
	    .log_level = log_level,
	    .map_info = exo_prog_map_info,
	    .priv = prog,
	};
	struct vrf_result res;
	char why[512];
	int err;

	if (log_level &&
	    (log_size < 128 || log_size > (UINT32_MAX >> 2) || !log_buf || log_level > 7))
		return exo_err(
		    EINVAL, "%s: log_level %u needs log_buf and a log_size of at least 128 bytes",
		    prog->name, log_level);
	if (!log_level && (log_buf || log_size))
		return exo_err(EINVAL, "%s: log_buf given without a log_level", prog->name);
	err = vrf_verify(prog->insns, (uint32_t)prog->cnt, &p, &res);
	if (log_level) {
		uint32_t n = res.log_len < log_size - 1 ? res.log_len : log_size - 1;

		memcpy(log_buf, res.log, n);
		log_buf[n] = '\0';
		if (res.log_len > log_size - 1)
			err = -ENOSPC;
	}
	if (err) {
		last_line(res.log, res.log_len, why, sizeof(why));
		if (err == -ENOSPC && log_level)
			exo_err(ENOSPC, "%s: the verifier log did not fit in %u bytes", prog->name,
				log_size);
		else
			exo_err(-err, "%s: rejected by the verifier: %s", prog->name,
				why[0] ? why : "no reason given");
		vrf_result_free(&res);
		return err;
	}
	free(prog->insns);
	prog->insns = res.insns;
	prog->cnt = res.len;
	prog->facts = res.facts;
	res.insns = NULL;
	res.facts = NULL;
	prog->verified = true;
	prog->max_ctx_offset = res.max_ctx_offset;
	prog->vstats = (struct exobpf_verifier_stats){
	    .sz = sizeof(prog->vstats),
	    .insn_processed = res.insn_processed,
	    .total_states = res.total_states,
	    .peak_states = res.peak_states,
	    .max_states_per_insn = res.max_states_per_insn,
	    .stack_depth = res.stack_depth,
	    .time_ns = res.time_ns,
	};
	vrf_result_free(&res);
	return 0;
}

EXOBPF_API int exobpf_prog__verifier_stats(const struct exobpf_prog *prog,
					   struct exobpf_verifier_stats *stats)
{
	size_t sz;

	if (!prog || !stats)
		return exo_err(EINVAL, "exobpf_prog__verifier_stats: no program or stats");
	if (!prog->verified)
		return exo_err(EINVAL, "%s: the program was not verified", prog->name);
	sz = stats->sz && stats->sz < sizeof(*stats) ? stats->sz : sizeof(*stats);
	memcpy(stats, &prog->vstats, sz);
	stats->sz = sz;
	return 0;
}

const struct vrf_fact *vrf_prog_facts(const struct exobpf_prog *prog, size_t *cnt)
{
	*cnt = prog->facts ? prog->cnt : 0;
	return prog->facts;
}

EXOBPF_API bool exobpf_prog_type_supported(enum bpf_prog_type type)
{
	return type == EXOBPF_PROG_TYPE_RAW || pt_info(type) != NULL;
}
