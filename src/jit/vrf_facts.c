/* The verifier's per-instruction proofs, translated into the facts the code
 * generator reads. Only what the verifier states is carried over; what it
 * leaves unsaid the JIT keeps checking. */
#include <stdlib.h>

#include "exobpf/insn.h"
#include "jit/facts.h"
#include "verifier/facts.h"

/* A register source: ALU and jump instructions with BPF_X, except the byte
 * swaps, where BPF_X means big-endian. (For an immediate-form jump the
 * verifier's src_const is dst's value, which the JIT does not use.) */
static bool reads_src_reg(uint8_t code)
{
	unsigned cls = code & 7;

	if (!(code & BPF_X) || (code & 0xf0) == BPF_END)
		return false;
	return cls == BPF_ALU || cls == BPF_ALU64 || cls == BPF_JMP || cls == BPF_JMP32;
}

struct jit_fact *jit_facts_from_verifier(const struct vrf_fact *v, const struct bpf_insn *insns,
					 size_t cnt)
{
	struct jit_fact *out;

	if (!v || !cnt || !(out = calloc(cnt, sizeof(*out))))
		return NULL;
	for (size_t i = 0; i < cnt; i++) {
		uint32_t f = v[i].flags;

		/* An instruction no path reaches keeps its code anyway: if the
		 * proof were ever wrong, running it is still the interpreter's
		 * behaviour, which skipping it would not be. */
		if (!(f & VRF_FACT_SEEN))
			continue;
		if (f & VRF_FACT_DIV_NONZERO)
			out[i].flags |= JIT_FACT_DIV_NONZERO;
		if (f & VRF_FACT_DIV_NOT_NEG1)
			out[i].flags |= JIT_FACT_DIV_NOT_M1;
		if ((f & VRF_FACT_SRC_CONST) && reads_src_reg(insns[i].code)) {
			out[i].flags |= JIT_FACT_SRC_CONST;
			out[i].src_val = (int64_t)v[i].src_const;
		}
		if ((f & VRF_FACT_MEM_SAFE) && v[i].mem_kind != VRF_MEM_NONE &&
		    v[i].mem_kind != VRF_MEM_CTX && v[i].mem_kind != VRF_MEM_MIXED)
			out[i].flags |= JIT_FACT_MEM_OK |
					(v[i].mem_kind == VRF_MEM_STACK ? JIT_FACT_MEM_STACK : 0);
		if (f & VRF_FACT_JMP_ALWAYS)
			out[i].flags |= JIT_FACT_JMP_ALWAYS;
		if (f & VRF_FACT_JMP_NEVER)
			out[i].flags |= JIT_FACT_JMP_NEVER;
	}
	return out;
}
