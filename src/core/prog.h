/* The program object behind the public exobpf_prog__* API. */
#ifndef EXOBPF_CORE_PROG_H
#define EXOBPF_CORE_PROG_H

#include "exobpf/prog.h"
#include "vm/vm.h"

struct exo_map;

struct exobpf_prog {
	char name[16];
	enum bpf_prog_type type;
	uint32_t flags;
	struct bpf_insn *insns; /* as run (after loader relocation and verifier rewrites) */
	size_t cnt;
	struct vm_prog vm;
	struct exo_map **maps; /* maps the program's lddw name (one reference each) */
	uint32_t nr_maps;
};

#endif
