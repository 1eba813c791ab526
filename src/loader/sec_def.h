/* Program types from ELF section names, with libbpf's conventions: one table
 * (sec_def.def) read by the matcher and by anything that lists the names. */
#ifndef EXOBPF_LOADER_SEC_DEF_H
#define EXOBPF_LOADER_SEC_DEF_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/bpf.h>

enum sec_flags {
	SEC_PLUS = 1 << 0,	 /* "name+": exactly "name" or "name/TARGET" */
	SEC_SLASH = 1 << 1,	 /* "name/": needs "name/TARGET" */
	SEC_SLEEPABLE = 1 << 2,	 /* loaded with BPF_F_SLEEPABLE */
	SEC_ATTACH_BTF = 1 << 3, /* the target names a BTF function (fentry, lsm, ...) */
	SEC_XDP_FRAGS = 1 << 4,	 /* loaded with BPF_F_XDP_HAS_FRAGS */
};

struct sec_def {
	const char *name; /* without the trailing + or / */
	uint32_t prog_type;
	uint32_t attach_type; /* expected_attach_type */
	uint32_t flags;
};

/* The definition a section name matches, or NULL. A leading '?' (libbpf's
 * "do not autoload") must be stripped by the caller. */
const struct sec_def *sec_def_find(const char *sec_name);

/* The attach target: the text after "name/" (NULL when there is none). */
const char *sec_def_target(const struct sec_def *def, const char *sec_name);

/* Name of a program type as bpftool prints it ("socket_filter"), or NULL. */
const char *sec_prog_type_name(uint32_t type);

#endif
