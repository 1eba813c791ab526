/* One verification from start to end: the structural pass, the abstract
 * interpretation of the main program (and with it every subprogram and
 * callback it calls), the stack-depth check over the call graph, the
 * rewrites; then the statistics line Linux ends its log with. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "verifier/vrf.h"

int vrf_check_max_stack_depth(struct vrf_env *env);

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int do_check_main(struct vrf_env *env)
{
	struct vrf_state *st = calloc(1, sizeof(*st));
	struct vrf_func *f = calloc(1, sizeof(*f));

	if (!st || !f) {
		free(st);
		free(f);
		return -ENOMEM;
	}
	st->frame[0] = f;
	st->branches = 1;
	f->callsite = -1;
	vrf_init_reg_state(env, f);
	f->regs[1].type = PTR_TO_CTX;
	vrf_mark_reg_known(&f->regs[1], 0);
	env->cur = st;
	env->insn_idx = 0;
	vrf_mark_all_scratched(env);
	return vrf_do_check(env);
}

static void free_env(struct vrf_env *env)
{
	while (env->head) {
		struct vrf_stack_elem *e = env->head;

		env->head = e->next;
		vrf_free_state(&e->st, false);
		free(e);
	}
	if (env->cur)
		vrf_free_state(env->cur, true);
	vrf_free_explored(env);
	for (uint32_t i = 0; i < env->nmaps; i++) {
		free(env->maps[i]->inner);
		free(env->maps[i]);
	}
	free(env->aux);
	free(env->insns);
}

int vrf_verify(const struct bpf_insn *insns, uint32_t len, const struct vrf_params *p,
	       struct vrf_result *res)
{
	struct vrf_env *env;
	uint64_t start = now_ns();
	int err;

	memset(res, 0, sizeof(*res));
	env = calloc(1, sizeof(*env));
	if (!env)
		return -ENOMEM;
	env->p = p;
	env->len = len;
	env->log_level = p->log_level;
	env->insns = malloc((size_t)len * sizeof(*insns));
	env->aux = calloc(len + 1, sizeof(*env->aux));
	env->explored = calloc(len + 1, sizeof(*env->explored));
	if (!env->insns || !env->aux || !env->explored) {
		err = -ENOMEM;
		goto out;
	}
	memcpy(env->insns, insns, (size_t)len * sizeof(*insns));
	env->allow_ptr_leaks = !p->unpriv;
	env->bypass_spec_v1 = !p->unpriv;
	env->allow_uninit_stack = !p->unpriv;
	env->strict_alignment = (p->prog_flags & BPF_F_STRICT_ALIGNMENT) != 0;
	if (p->prog_flags & BPF_F_ANY_ALIGNMENT)
		env->strict_alignment = false;
	env->test_state_freq = (p->prog_flags & BPF_F_TEST_STATE_FREQ) != 0;
	env->gpl = p->gpl;
	env->pt = pt_info(p->prog_type);
	if (!env->pt) {
		vrf_verbose(env, "program type %s is not supported by exobpf's verifier\n",
			    pt_type_name(p->prog_type));
		err = -EOPNOTSUPP;
		goto out;
	}
	if (len == 0) {
		vrf_verbose(env, "empty program\n");
		err = -EINVAL;
		goto out;
	}
	if (p->unpriv && len > 4096) { /* BPF_MAXINSNS */
		err = -E2BIG;
		goto out;
	}
	err = vrf_check_structure(env);
	if (!err)
		err = do_check_main(env);
	if (!err)
		err = vrf_check_max_stack_depth(env);
	if (!err)
		err = vrf_fixup(env, res);
out:
	res->time_ns = now_ns() - start;
	res->insn_processed = env->insn_processed;
	res->total_states = env->total_states;
	res->peak_states = env->peak_states;
	res->max_states_per_insn = env->max_states_per_insn;
	res->stack_depth = (uint32_t)env->subprogs[0].stack_depth;
	res->max_ctx_offset = env->max_ctx_offset;
	if (env->log_level) {
		/* Level 1 keeps only the path that failed; a success leaves
		 * just the statistics. */
		if (!err && !(env->log_level & 2))
			vrf_log_reset(env, 0);
		if (env->log_level & 4) {
			vrf_verbose(env, "verification time %llu usec\n",
				    (unsigned long long)(res->time_ns / 1000));
			vrf_verbose(env, "stack depth ");
			for (uint32_t i = 0; i < env->nsubprogs; i++)
				vrf_verbose(env, "%d%s", env->subprogs[i].stack_depth,
					    i + 1 < env->nsubprogs ? "+" : "");
			vrf_verbose(env, "\n");
		}
		vrf_verbose(env,
			    "processed %u insns (limit %u) max_states_per_insn %u total_states %u "
			    "peak_states %u mark_read %u\n",
			    env->insn_processed, VRF_INSN_LIMIT, env->max_states_per_insn,
			    env->total_states, env->peak_states, 0u);
	}
	if (!env->log) {
		env->log = calloc(1, 1);
		env->log_len = 0;
	}
	res->log = env->log;
	res->log_len = env->log_len;
	env->log = NULL;
	free_env(env);
	free(env);
	return err;
}

void vrf_result_free(struct vrf_result *res)
{
	free(res->insns);
	free(res->facts);
	free(res->log);
	memset(res, 0, sizeof(*res));
}
