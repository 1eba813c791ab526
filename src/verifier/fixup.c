/* After a program is proved safe: rewrite its context accesses onto the
 * runtime's real context structures (Linux's convert_ctx_accesses; exobpf's
 * layouts keep every rewrite one instruction for one, so no jump moves),
 * replace what no path reaches by `goto -1` as Linux's sanitize_dead_code
 * does (so a CO-RE-poisoned call behind a false guard loads; the
 * instructions stay in place, nothing is removed) and hand out what each
 * instruction was proved to do, for the JIT. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "verifier/vrf.h"

static uint8_t size_code(unsigned bytes)
{
	switch (bytes) {
	case 1:
		return BPF_B;
	case 2:
		return BPF_H;
	case 4:
		return BPF_W;
	default:
		return BPF_DW;
	}
}

/* The first instruction of the function holding insn i. */
static uint32_t func_start(const struct vrf_env *env, uint32_t i)
{
	uint32_t k = 0;

	while (k + 1 < env->nsubprogs && (uint32_t)env->subprogs[k + 1].start <= i)
		k++;
	return (uint32_t)env->subprogs[k].start;
}

/* The facts about values (constants, divisors, shift counts) are merged
 * over the visits the verifier made. A state pruned with an imprecise
 * scalar that differs from the explored one never visits what follows, yet
 * runs it with its own value: downstream, such facts describe only the
 * explored values. Linux marks a register precise when it relies on its
 * value; the JIT's facts are not Linux's, so rather than change precision
 * (and the verifier's log) they are dropped wherever such a state can go.
 * What stays is structural (SEEN, NO_ZEXT, immediates) or proved with
 * precision (jumps, memory bounds). */
static int drop_value_facts(struct vrf_env *env, struct vrf_fact *facts)
{
	uint32_t n = env->len, top = 0;
	uint8_t *reach = calloc(n, 1), *cb_start = calloc(n, 1);
	uint32_t *work = malloc((size_t)n * sizeof(*work));
	bool any_call = false;

	if (!reach || !cb_start || !work) {
		free(reach);
		free(cb_start);
		free(work);
		return -ENOMEM;
	}
#define PUSH(t)                                                 \
	do {                                                    \
		int64_t t_ = (t);                               \
		if (t_ >= 0 && t_ < (int64_t)n && !reach[t_]) { \
			reach[t_] = 1;                          \
			work[top++] = (uint32_t)t_;             \
		}                                               \
	} while (0)
	for (uint32_t i = 0; i < n; i++) {
		const struct bpf_insn *insn = &env->insns[i];
		int64_t t = i + 1 + (int64_t)insn->imm;

		if (insn->code == (BPF_LD | BPF_IMM | BPF_DW) && insn->src_reg == BPF_PSEUDO_FUNC &&
		    t >= 0 && t < (int64_t)n)
			cb_start[t] = 1;
	}
	for (uint32_t i = 0; i < n; i++)
		if (env->aux[i].imprecise_prune)
			PUSH(i);
	while (top) {
		uint32_t i = work[--top];
		const struct bpf_insn *insn = &env->insns[i];
		uint8_t cls = BPF_CLASS(insn->code), op = BPF_OP(insn->code);
		uint32_t f;

		if (insn->code == (BPF_LD | BPF_IMM | BPF_DW)) {
			PUSH(i + 2);
			if (insn->src_reg == BPF_PSEUDO_FUNC)
				PUSH(i + 1 + (int64_t)insn->imm);
			continue;
		}
		if (cls != BPF_JMP && cls != BPF_JMP32) {
			PUSH(i + 1);
			continue;
		}
		switch (op) {
		case BPF_EXIT: /* back to wherever a function returns */
			if (!any_call) {
				any_call = true;
				for (uint32_t j = 0; j + 1 < n; j++)
					if (env->insns[j].code == (BPF_JMP | BPF_CALL))
						PUSH(j + 1);
			}
			/* and a callback (bpf_loop, for_each) runs again from its
			 * start with what this run left in the caller's memory */
			if (cb_start[(f = func_start(env, i))])
				PUSH(f);
			break;
		case BPF_CALL:
			PUSH(i + 1);
			if (insn->src_reg == BPF_PSEUDO_CALL)
				PUSH(i + 1 + (int64_t)insn->imm);
			break;
		case BPF_JA:
			PUSH(i + 1 + (int64_t)(cls == BPF_JMP32 ? insn->imm : insn->off));
			break;
		default:
			PUSH(i + 1);
			PUSH(i + 1 + (int64_t)insn->off);
		}
	}
#undef PUSH
	for (uint32_t i = 0; i < n; i++) {
		const struct bpf_insn *insn = &env->insns[i];
		uint8_t cls = BPF_CLASS(insn->code);
		bool by_imm = BPF_SRC(insn->code) == BPF_K;
		uint32_t drop = VRF_FACT_SRC_CONST;

		if (!reach[i])
			continue;
		if (!((cls == BPF_ALU || cls == BPF_ALU64) && by_imm &&
		      BPF_OP(insn->code) == BPF_MOV) &&
		    insn->code != (BPF_LD | BPF_IMM | BPF_DW))
			drop |= VRF_FACT_DST_CONST;
		if ((cls == BPF_ALU || cls == BPF_ALU64) && !by_imm)
			drop |= VRF_FACT_DIV_NONZERO | VRF_FACT_DIV_NOT_NEG1 | VRF_FACT_SHIFT_OK;
		facts[i].flags &= ~drop;
	}
	free(reach);
	free(cb_start);
	free(work);
	return 0;
}

int vrf_fixup(struct vrf_env *env, struct vrf_result *res)
{
	struct bpf_insn *out = malloc((size_t)env->len * sizeof(*out));
	struct vrf_fact *facts = calloc(env->len, sizeof(*facts));

	if (!out || !facts) {
		free(out);
		free(facts);
		return -ENOMEM;
	}
	memcpy(out, env->insns, (size_t)env->len * sizeof(*out));
	for (uint32_t i = 0; i < env->len; i++) {
		const struct vrf_aux *aux = &env->aux[i];
		struct bpf_insn *insn = &out[i];
		uint8_t cls = BPF_CLASS(insn->code);

		if (aux->fact_init)
			facts[i] = aux->fact;
		else if (aux->seen)
			facts[i].flags = VRF_FACT_SEEN;
		if (!aux->seen) {
			*insn = (struct bpf_insn){.code = BPF_JMP | BPF_JA, .off = -1};
			continue;
		}
		if (insn->code == (BPF_JMP | BPF_CALL) && insn->src_reg == 0 &&
		    insn->imm == BPF_FUNC_tail_call && aux->map_state == 2 &&
		    !env->bypass_spec_v1) {
			/* a speculated tail call could index the wrong array */
			vrf_verbose(env, "tail_call abusing map_ptr\n");
			free(out);
			free(facts);
			return -EINVAL;
		}
		if (insn->code == (BPF_JMP | BPF_CALL) && insn->src_reg == BPF_PSEUDO_KFUNC_CALL) {
			vrf_verbose(env, "invalid kernel function call not eliminated in verifier "
					 "pass\n");
			free(out);
			free(facts);
			return -EINVAL;
		}
		if (!aux->ctx_field_ok)
			continue;
		if (cls != BPF_LDX && cls != BPF_STX && cls != BPF_ST)
			continue;
		insn->code = (uint8_t)(cls | BPF_MODE(insn->code) | size_code(aux->ctx_size));
		insn->off = aux->ctx_field;
	}
	if (env->any_imprecise_prune && drop_value_facts(env, facts)) {
		free(out);
		free(facts);
		return -ENOMEM;
	}
	res->insns = out;
	res->len = env->len;
	res->facts = facts;
	return 0;
}
