/* The public text API: the ISA's disassembler and assembler with helper names
 * from the one helper table. */
#include <errno.h>

#include "core/err.h"
#include "helpers/helpers.h"
#include "isa/asm.h"
#include "isa/disasm.h"

static const char *name_cb(void *priv, int32_t id)
{
	(void)priv;
	return helper_linux_name(id);
}

static int32_t id_cb(void *priv, const char *name)
{
	(void)priv;
	return helper_id_by_name(name);
}

const struct isa_disasm_cbs exo_disasm_cbs = {.helper_name = name_cb};

EXOBPF_API int exobpf_insn_disasm(const struct bpf_insn *insns, size_t cnt, size_t idx,
				  enum exobpf_syntax syntax, char *buf, size_t size)
{
	if (idx >= cnt)
		return exo_err(EINVAL, "insn %zu: past the end (%zu instructions)", idx, cnt);
	int n = isa_disasm(insns, cnt, idx, syntax, &exo_disasm_cbs, buf, size);
	if (n < 0)
		return exo_err(EINVAL, "insn %zu: %s", idx, buf);
	return n;
}

EXOBPF_API int exobpf_insn_check(const struct bpf_insn *insns, size_t cnt, size_t idx)
{
	enum isa_fault fault;
	char why[128];

	if (idx >= cnt)
		return exo_err(EINVAL, "insn %zu: past the end (%zu instructions)", idx, cnt);
	if (isa_decode(insns, cnt, idx, &fault) < 0) {
		isa_fault_text(&insns[idx], fault, why, sizeof(why));
		return exo_err(EINVAL, "insn %zu: %s", idx, why);
	}
	return (int)isa_slots(insns[idx].code);
}

EXOBPF_API int exobpf_asm(const char *text, const char *name, struct bpf_insn **insns,
			  size_t *cnt)
{
	static const struct isa_asm_cbs cbs = {.helper_id = id_cb};

	if (!text || !insns || !cnt)
		return exo_err(EINVAL, "exobpf_asm: NULL argument");
	return isa_asm(text, name, &cbs, insns, cnt);
}
