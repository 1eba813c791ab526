/* Text to instructions, in Linux's syntax and in uBPF's (chosen per line). */
#ifndef EXOBPF_ASM_H
#define EXOBPF_ASM_H

#include "isa/isa.h"

struct isa_asm_cbs {
	/* Helper id for a name like "bpf_map_lookup_elem", or -1. */
	int32_t (*helper_id)(void *priv, const char *name);
	void *priv;
};

/* Assemble text; name labels errors ("name:line: ..."). On success *out is
 * malloc'ed. Returns 0 or -EINVAL / -ENOMEM with exobpf_errmsg() set. */
int isa_asm(const char *text, const char *name, const struct isa_asm_cbs *cbs,
	    struct bpf_insn **out, size_t *cnt);

#endif
