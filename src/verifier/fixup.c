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
		/* A pruned path joined an explored one that had only to be as
		 * good where decisions were made: registers no decision read
		 * (not precise) matched whatever their values, so what the
		 * explored path saw of a scalar's value (a constant, a nonzero
		 * divisor, a small shift) may not hold on the pruned one. Jump
		 * facts stay: a decided branch marks its scalars precise. */
		if (env->pruned)
			facts[i].flags &= ~(uint32_t)(VRF_FACT_SRC_CONST | VRF_FACT_DST_CONST |
						      VRF_FACT_DIV_NONZERO | VRF_FACT_DIV_NOT_NEG1 |
						      VRF_FACT_SHIFT_OK);
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
	res->insns = out;
	res->len = env->len;
	res->facts = facts;
	return 0;
}
