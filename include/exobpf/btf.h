/* SPDX-License-Identifier: MIT */
/* exobpf: BTF - the BPF Type Format. Read, check, look up and print type
 * information from raw BTF (/sys/kernel/btf/vmlinux) or an object's .BTF. */
#ifndef EXOBPF_BTF_H
#define EXOBPF_BTF_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <linux/btf.h>

#include "exobpf/common.h"

struct exobpf_btf;

/* Raw BTF bytes (copied) into a checked type table. NULL and errno on bad
 * input, with exobpf_errmsg() naming the type id and the offset. */
EXOBPF_API struct exobpf_btf *exobpf_btf__new(const void *data, size_t size);
/* A raw BTF file or an ELF object's .BTF section. */
EXOBPF_API struct exobpf_btf *exobpf_btf__parse(const char *path);
EXOBPF_API void exobpf_btf__free(struct exobpf_btf *btf);

/* Number of types plus one (id 0 is void), like libbpf's btf__type_cnt. */
EXOBPF_API uint32_t exobpf_btf__type_cnt(const struct exobpf_btf *btf);
EXOBPF_API const struct btf_type *exobpf_btf__type_by_id(const struct exobpf_btf *btf, uint32_t id);
EXOBPF_API const char *exobpf_btf__name_by_offset(const struct exobpf_btf *btf, uint32_t off);
/* The id of the first type with this name and kind, or -ENOENT. */
EXOBPF_API int exobpf_btf__find_by_name_kind(const struct exobpf_btf *btf, const char *name,
					     uint32_t kind);
/* Size in bytes of a type (through typedefs, modifiers, arrays), or -errno. */
EXOBPF_API long exobpf_btf__resolve_size(const struct exobpf_btf *btf, uint32_t id);
/* The BTF as bytes (header, types, strings). */
EXOBPF_API const void *exobpf_btf__raw_data(const struct exobpf_btf *btf, uint32_t *size);

enum exobpf_btf_dump_format {
	EXOBPF_BTF_DUMP_RAW = 0, /* bpftool btf dump ... format raw */
	EXOBPF_BTF_DUMP_C = 1,	 /* bpftool btf dump ... format c: a compilable header */
};

/* Print every type, as bpftool does. 0 or -errno. */
EXOBPF_API int exobpf_btf__dump(const struct exobpf_btf *btf, enum exobpf_btf_dump_format format,
				FILE *out);

/* One declaration in C ("int (*name)[4]"), as the C dump would write a
 * member of type id named name; strip_mods drops leading const/volatile.
 * Used by skeleton generation. */
EXOBPF_API int exobpf_btf__emit_type_decl(const struct exobpf_btf *btf, uint32_t id,
					  const char *name, int indent, bool strip_mods, FILE *out);

#endif
