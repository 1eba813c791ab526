/* Instruction text in Linux's syntax (byte-for-byte the kernel verifier log
 * and bpftool's xlated dump, without the "N: (code) " prefix) or uBPF's. */
#ifndef EXOBPF_DISASM_H
#define EXOBPF_DISASM_H

#include "isa/isa.h"

struct isa_disasm_cbs {
	/* Name of helper id, or NULL when unknown ("unknown" is printed). */
	const char *(*helper_name)(void *priv, int32_t id);
	/* Text for an lddw with a pseudo src (map fd, map value, ...). Return
	 * false to fall back to the default "map[fd:3]"-style text. */
	int (*imm_text)(void *priv, const struct bpf_insn *insn, char *buf, size_t size);
	void *priv;
};

/* Text of insns[idx]. Returns slots used (1 or 2), or -1 if the encoding is
 * invalid (buf then describes the fault). */
int isa_disasm(const struct bpf_insn *insns, size_t cnt, size_t idx, enum exobpf_syntax syntax,
	       const struct isa_disasm_cbs *cbs, char *buf, size_t size);

/* Default text for lddw pseudo forms, shared with the assembler's parser. */
void isa_pseudo_imm_text(const struct bpf_insn *insn, char *buf, size_t size);

#endif
