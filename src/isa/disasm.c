#include <stdio.h>
#include <string.h>

#include "isa/disasm.h"

void isa_pseudo_imm_text(const struct bpf_insn *insn, char *buf, size_t size)
{
	uint64_t imm = isa_imm64(insn);
	int32_t hi = insn[1].imm;

	switch (insn->src_reg) {
	case BPF_PSEUDO_MAP_FD:
		snprintf(buf, size, "map[fd:%d]", insn->imm);
		break;
	case BPF_PSEUDO_MAP_VALUE:
		snprintf(buf, size, "map[fd:%d][0]+%d", insn->imm, hi);
		break;
	case BPF_PSEUDO_BTF_ID:
		snprintf(buf, size, "btf_id[%d]", insn->imm);
		break;
	case BPF_PSEUDO_FUNC:
		snprintf(buf, size, "func[pc%+d]", insn->imm);
		break;
	case BPF_PSEUDO_MAP_IDX:
		snprintf(buf, size, "map[idx:%d]", insn->imm);
		break;
	case BPF_PSEUDO_MAP_IDX_VALUE:
		snprintf(buf, size, "map[idx:%d][0]+%d", insn->imm, hi);
		break;
	default:
		snprintf(buf, size, "0x%llx", (unsigned long long)imm);
	}
}

static void imm64_text(const struct bpf_insn *insn, const struct isa_disasm_cbs *cbs, char *buf,
		       size_t size)
{
	if (insn->src_reg && cbs && cbs->imm_text && cbs->imm_text(cbs->priv, insn, buf, size))
		return;
	isa_pseudo_imm_text(insn, buf, size);
}

static const char *helper_name(const struct isa_disasm_cbs *cbs, int32_t id)
{
	const char *name = cbs && cbs->helper_name ? cbs->helper_name(cbs->priv, id) : NULL;

	return name ? name : "unknown";
}

static void disasm_linux(const struct bpf_insn *insn, enum isa_op op,
			 const struct isa_disasm_cbs *cbs, char *buf, size_t size)
{
	const struct isa_row *row = &isa_rows[op];
	unsigned cls = isa_class(row->code);
	char r = (cls == BPF_ALU || cls == BPF_JMP32) ? 'w' : 'r';
	const char *sz = row->lxword;
	char tmp[64];

	switch ((enum isa_shape)row->shape) {
	case ISA_SHAPE_ALU_K:
		snprintf(buf, size, "%c%d %s %d", r, insn->dst_reg, row->lxword, insn->imm);
		break;
	case ISA_SHAPE_ALU_X:
		snprintf(buf, size, "%c%d %s %c%d", r, insn->dst_reg, row->lxword, r, insn->src_reg);
		break;
	case ISA_SHAPE_NEG:
		snprintf(buf, size, "%c%d = -%c%d", r, insn->dst_reg, r, insn->dst_reg);
		break;
	case ISA_SHAPE_MOVSX:
		snprintf(buf, size, "%c%d = %s%c%d", r, insn->dst_reg, row->lxword, r, insn->src_reg);
		break;
	case ISA_SHAPE_END:
		snprintf(buf, size, "r%d = %s%d r%d", insn->dst_reg, row->lxword, insn->imm,
			 insn->dst_reg);
		break;
	case ISA_SHAPE_JA:
		snprintf(buf, size, "goto pc%+d", insn->off);
		break;
	case ISA_SHAPE_JA32:
		snprintf(buf, size, "gotol pc%+d", insn->imm);
		break;
	case ISA_SHAPE_JMP_K:
		snprintf(buf, size, "if %c%d %s 0x%x goto pc%+d", r, insn->dst_reg, row->lxword,
			 (uint32_t)insn->imm, insn->off);
		break;
	case ISA_SHAPE_JMP_X:
		snprintf(buf, size, "if %c%d %s %c%d goto pc%+d", r, insn->dst_reg, row->lxword, r,
			 insn->src_reg, insn->off);
		break;
	case ISA_SHAPE_CALL:
		snprintf(buf, size, "call %s#%d", helper_name(cbs, insn->imm), insn->imm);
		break;
	case ISA_SHAPE_CALL_LOCAL:
		snprintf(buf, size, "call pc%+d", insn->imm);
		break;
	case ISA_SHAPE_CALL_KFUNC:
		snprintf(buf, size, "call kernel-function#%d", insn->imm);
		break;
	case ISA_SHAPE_CALLX:
		/* Linux has no text for callx (its verifier rejects it); this is LLVM's. */
		snprintf(buf, size, "callx r%d", insn->dst_reg);
		break;
	case ISA_SHAPE_EXIT:
		snprintf(buf, size, "exit");
		break;
	case ISA_SHAPE_LDDW:
		imm64_text(insn, cbs, tmp, sizeof(tmp));
		snprintf(buf, size, "r%d = %s", insn->dst_reg, tmp);
		break;
	case ISA_SHAPE_LDABS:
		snprintf(buf, size, "r0 = *(%s *)skb[%d]", sz, insn->imm);
		break;
	case ISA_SHAPE_LDIND:
		snprintf(buf, size, "r0 = *(%s *)skb[r%d + %d]", sz, insn->src_reg, insn->imm);
		break;
	case ISA_SHAPE_LDX:
		snprintf(buf, size, "r%d = *(%s *)(r%d %+d)", insn->dst_reg, sz, insn->src_reg,
			 insn->off);
		break;
	case ISA_SHAPE_ST:
		snprintf(buf, size, "*(%s *)(r%d %+d) = %d", sz, insn->dst_reg, insn->off,
			 insn->imm);
		break;
	case ISA_SHAPE_STX:
		snprintf(buf, size, "*(%s *)(r%d %+d) = r%d", sz, insn->dst_reg, insn->off,
			 insn->src_reg);
		break;
	case ISA_SHAPE_ATOMIC: {
		const char *w = isa_is_atomic64(op) ? "u64" : "u32";

		if (insn->imm == BPF_CMPXCHG)
			snprintf(buf, size, "r0 = %s((%s *)(r%d %+d), r0, r%d)", row->lxword, w,
				 insn->dst_reg, insn->off, insn->src_reg);
		else if (insn->imm & BPF_FETCH)
			snprintf(buf, size, "r%d = %s((%s *)(r%d %+d), r%d)", insn->src_reg,
				 row->lxword, w, insn->dst_reg, insn->off, insn->src_reg);
		else
			snprintf(buf, size, "lock *(%s *)(r%d %+d) %s r%d", w, insn->dst_reg,
				 insn->off, row->lxword, insn->src_reg);
		break;
	}
	}
}

static void mem_operand(char *buf, size_t size, int reg, int off)
{
	snprintf(buf, size, "[%%r%d%+d]", reg, off);
}

static void disasm_ubpf(const struct bpf_insn *insn, enum isa_op op, char *buf, size_t size)
{
	const struct isa_row *row = &isa_rows[op];
	char m[32], tmp[64];

	switch ((enum isa_shape)row->shape) {
	case ISA_SHAPE_ALU_K:
		snprintf(buf, size, "%s %%r%d, %d", row->ubpf, insn->dst_reg, insn->imm);
		break;
	case ISA_SHAPE_ALU_X:
	case ISA_SHAPE_MOVSX:
		snprintf(buf, size, "%s %%r%d, %%r%d", row->ubpf, insn->dst_reg, insn->src_reg);
		break;
	case ISA_SHAPE_NEG:
	case ISA_SHAPE_END:
		snprintf(buf, size, "%s %%r%d", row->ubpf, insn->dst_reg);
		break;
	case ISA_SHAPE_JA:
		snprintf(buf, size, "ja %+d", insn->off);
		break;
	case ISA_SHAPE_JA32:
		snprintf(buf, size, "ja32 %+d", insn->imm);
		break;
	case ISA_SHAPE_JMP_K:
		snprintf(buf, size, "%s %%r%d, %d, %+d", row->ubpf, insn->dst_reg, insn->imm,
			 insn->off);
		break;
	case ISA_SHAPE_JMP_X:
		snprintf(buf, size, "%s %%r%d, %%r%d, %+d", row->ubpf, insn->dst_reg, insn->src_reg,
			 insn->off);
		break;
	case ISA_SHAPE_CALL:
		snprintf(buf, size, "call %d", insn->imm);
		break;
	case ISA_SHAPE_CALL_LOCAL:
		snprintf(buf, size, "call local %+d", insn->imm);
		break;
	case ISA_SHAPE_CALL_KFUNC:
		if (insn->off)
			snprintf(buf, size, "call kfunc %d, %d", insn->imm, insn->off);
		else
			snprintf(buf, size, "call kfunc %d", insn->imm);
		break;
	case ISA_SHAPE_CALLX:
		snprintf(buf, size, "call %%r%d", insn->dst_reg);
		break;
	case ISA_SHAPE_EXIT:
		snprintf(buf, size, "exit");
		break;
	case ISA_SHAPE_LDDW:
		isa_pseudo_imm_text(insn, tmp, sizeof(tmp));
		snprintf(buf, size, "lddw %%r%d, %s", insn->dst_reg, tmp);
		break;
	case ISA_SHAPE_LDABS:
		snprintf(buf, size, "%s %d", row->ubpf, insn->imm);
		break;
	case ISA_SHAPE_LDIND:
		snprintf(buf, size, "%s %%r%d, %d", row->ubpf, insn->src_reg, insn->imm);
		break;
	case ISA_SHAPE_LDX:
		mem_operand(m, sizeof(m), insn->src_reg, insn->off);
		snprintf(buf, size, "%s %%r%d, %s", row->ubpf, insn->dst_reg, m);
		break;
	case ISA_SHAPE_ST:
		mem_operand(m, sizeof(m), insn->dst_reg, insn->off);
		snprintf(buf, size, "%s %s, %d", row->ubpf, m, insn->imm);
		break;
	case ISA_SHAPE_STX:
		mem_operand(m, sizeof(m), insn->dst_reg, insn->off);
		snprintf(buf, size, "%s %s, %%r%d", row->ubpf, m, insn->src_reg);
		break;
	case ISA_SHAPE_ATOMIC:
		mem_operand(m, sizeof(m), insn->dst_reg, insn->off);
		snprintf(buf, size, "lock %s %s, %%r%d", row->ubpf, m, insn->src_reg);
		break;
	}
}

int isa_disasm(const struct bpf_insn *insns, size_t cnt, size_t idx, enum exobpf_syntax syntax,
	       const struct isa_disasm_cbs *cbs, char *buf, size_t size)
{
	enum isa_fault fault;
	int op = isa_decode(insns, cnt, idx, &fault);

	if (op < 0) {
		isa_fault_text(&insns[idx], fault, buf, size);
		return -1;
	}
	if (syntax == EXOBPF_SYNTAX_UBPF)
		disasm_ubpf(&insns[idx], op, buf, size);
	else
		disasm_linux(&insns[idx], op, cbs, buf, size);
	return (int)isa_slots(insns[idx].code);
}
