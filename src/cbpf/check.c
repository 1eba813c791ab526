/* Linux's classic BPF checker: the rules sk_attach_filter applies
 * (bpf_check_basics_ok, bpf_check_classic, check_load_and_stores in
 * net/core/filter.c) and, for seccomp, seccomp_check_filter after them, in
 * Linux's order, so the first rule a program breaks is the one Linux would
 * refuse it for. Linux answers every broken rule with EINVAL and no text; the
 * messages here name the instruction and the rule. */
#include <errno.h>
#include <stdlib.h>

#include "cbpf/cbpf.h"
#include "core/err.h"

/* Scratch memory is read only after it is written on every path. Classic
 * jumps only go forward, so one pass in program order sees every predecessor
 * of an instruction before the instruction itself: valid_at[pc] is what all
 * the jumps into pc agree on, intersected with what falls through into it.
 * Like Linux, an instruction after a return inherits the state before the
 * return (it is reached only by jumps, whose states are intersected in).
 * libpcap's loops (backward ja) feed a state back into an instruction
 * already passed; the pass then repeats until no such state shrinks, which
 * ends since states only lose bits. Forward-only programs take one pass,
 * exactly Linux's. */
int cbpf_check_memory(const struct sock_filter *insns, uint32_t cnt)
{
	uint16_t *valid_at = malloc(cnt * sizeof(*valid_at));
	bool again = true;
	int err = 0;

	if (!valid_at)
		return exo_err(ENOMEM, "out of memory checking %u instructions", cnt);
	for (uint32_t pc = 0; pc < cnt; pc++)
		valid_at[pc] = 0xffff;
	while (again && !err) {
		uint16_t valid = 0; /* bit n: M[n] written on every path to here */
		again = false;
		for (uint32_t pc = 0; pc < cnt && !err; pc++) {
			const struct sock_filter *in = &insns[pc];
			int op = cbpf_op_of(in->code);
			uint32_t t;

			valid &= valid_at[pc];
			switch (cbpf_rows[op].shape) {
			case CBPF_SHAPE_ST:
			case CBPF_SHAPE_STX:
				valid |= (uint16_t)(1u << in->k);
				break;
			case CBPF_SHAPE_LD_MEM:
			case CBPF_SHAPE_LDX_MEM:
				if (!(valid & (1u << in->k)))
					err = exo_err(EINVAL,
						      "insn %u: %s M[%u] may be read before it is "
						      "written (scratch memory must be stored to "
						      "first on every path)",
						      pc, cbpf_rows[op].mnemonic, in->k);
				break;
			case CBPF_SHAPE_JA:
				t = pc + 1 + in->k; /* wraps for libpcap's backward jumps */
				if (t <= pc && (valid_at[t] & valid) != valid_at[t])
					again = true;
				valid_at[t] &= valid;
				valid = 0xffff;
				break;
			case CBPF_SHAPE_JMP_K:
			case CBPF_SHAPE_JMP_X:
				valid_at[cbpf_jt(in, pc)] &= valid;
				valid_at[cbpf_jf(in, pc)] &= valid;
				valid = 0xffff;
				break;
			default:
				break;
			}
		}
	}
	free(valid_at);
	return err;
}

/* bpf_check_classic: every instruction on its own, then the last one, then
 * scratch memory. */
static int check_classic(const struct sock_filter *insns, uint32_t cnt, bool back)
{
	for (uint32_t pc = 0; pc < cnt; pc++) {
		const struct sock_filter *in = &insns[pc];
		int op = cbpf_op_of(in->code);

		if (op < 0)
			return exo_err(EINVAL, "insn %u: unknown opcode 0x%02x", pc, in->code);
		const struct cbpf_row *row = &cbpf_rows[op];
		switch (op) {
		case CBPF_DIV_K:
		case CBPF_MOD_K:
			if (in->k == 0)
				return exo_err(EINVAL, "insn %u: %s #0 divides by zero", pc,
					       row->mnemonic);
			break;
		case CBPF_LSH_K:
		case CBPF_RSH_K:
			if (in->k >= 32)
				return exo_err(EINVAL, "insn %u: %s #%u shifts by 32 or more", pc,
					       row->mnemonic, in->k);
			break;
		case CBPF_LD_MEM:
		case CBPF_LDX_MEM:
		case CBPF_ST:
		case CBPF_STX:
			if (in->k >= BPF_MEMWORDS)
				return exo_err(
				    EINVAL, "insn %u: %s M[%u] is outside scratch memory M[0..%d]",
				    pc, row->mnemonic, in->k, BPF_MEMWORDS - 1);
			break;
		case CBPF_JA:
			/* libpcap's rule: the target, wrapping at 32 bits, is inside */
			if (back && pc + 1 + in->k < cnt)
				break;
			/* Linux's: k is 32 bits, compared before adding */
			if (in->k >= cnt - pc - 1)
				return exo_err(EINVAL,
					       "insn %u: ja +%u jumps past the last instruction "
					       "(%u instructions)",
					       pc, in->k, cnt);
			break;
		case CBPF_LD_W_ABS:
		case CBPF_LD_H_ABS:
		case CBPF_LD_B_ABS:
			/* libpcap reads other negative offsets as out of range */
			if (in->k >= (uint32_t)SKF_AD_OFF && !cbpf_ad_of(in->k) && !back)
				return exo_err(
				    EINVAL, "insn %u: %s [%d]: no ancillary load at SKF_AD_OFF%+d",
				    pc, row->mnemonic, (int32_t)in->k,
				    (int32_t)(in->k - (uint32_t)SKF_AD_OFF));
			break;
		default:
			if (row->shape != CBPF_SHAPE_JMP_K && row->shape != CBPF_SHAPE_JMP_X)
				break;
			if (cbpf_jt(in, pc) >= cnt || cbpf_jf(in, pc) >= cnt)
				return exo_err(EINVAL,
					       "insn %u: %s jt %u jf %u jumps past the last "
					       "instruction (%u instructions)",
					       pc, row->mnemonic, in->jt, in->jf, cnt);
			break;
		}
	}
	int last = cbpf_op_of(insns[cnt - 1].code);
	if (last != CBPF_RET_K && last != CBPF_RET_A)
		return exo_err(EINVAL, "insn %u: the program must end with ret (ends with %s)",
			       cnt - 1, cbpf_rows[last].mnemonic);
	/* libpcap checks no scratch memory; its programs may read a cell on a
	 * path Linux's analysis cannot rule out (pppoes, geneve). The
	 * conversion zeroes such cells first. */
	return back ? 0 : cbpf_check_memory(insns, cnt);
}

/* seccomp_check_filter: only instructions that make sense on struct
 * seccomp_data, and its words read whole. */
static int check_seccomp(const struct sock_filter *insns, uint32_t cnt)
{
	for (uint32_t pc = 0; pc < cnt; pc++) {
		const struct sock_filter *in = &insns[pc];
		int op = cbpf_op_of(in->code);

		if (!cbpf_rows[op].seccomp)
			return exo_err(
			    EINVAL, "insn %u: %s (opcode 0x%02x) is not allowed in seccomp filters",
			    pc, cbpf_rows[op].mnemonic, in->code);
		if (op == CBPF_LD_W_ABS && (in->k >= sizeof(struct seccomp_data) || in->k & 3))
			return exo_err(EINVAL,
				       "insn %u: ld [%u] is not an aligned word of struct "
				       "seccomp_data (%zu bytes)",
				       pc, in->k, sizeof(struct seccomp_data));
	}
	return 0;
}

int cbpf_check(const struct sock_filter *insns, size_t cnt, enum exobpf_cbpf_kind kind)
{
	int err;

	if (kind != EXOBPF_CBPF_SOCKET && kind != EXOBPF_CBPF_SECCOMP && kind != EXOBPF_CBPF_PCAP)
		return exo_err(EINVAL, "unknown classic program kind %d", (int)kind);
	if (!insns || cnt == 0)
		return exo_err(EINVAL, "a classic program needs at least one instruction");
	if (cnt > BPF_MAXINSNS)
		return exo_err(EINVAL, "%zu instructions exceed BPF_MAXINSNS (%d)", cnt,
			       BPF_MAXINSNS);
	err = check_classic(insns, (uint32_t)cnt, kind == EXOBPF_CBPF_PCAP);
	if (err || kind != EXOBPF_CBPF_SECCOMP)
		return err;
	return check_seccomp(insns, (uint32_t)cnt);
}

EXOBPF_API int exobpf_cbpf_check(const struct sock_filter *insns, size_t cnt,
				 enum exobpf_cbpf_kind kind)
{
	return cbpf_check(insns, cnt, kind);
}
