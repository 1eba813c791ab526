/* .BTF.ext: per-section func_info, line_info and CO-RE relocation records,
 * checked against the object's BTF and copied into aligned memory. */
#ifndef EXOBPF_LOADER_BTF_EXT_H
#define EXOBPF_LOADER_BTF_EXT_H

#include <stdint.h>

#include "loader/btf.h"

/* The kernel's record layouts (struct bpf_func_info, bpf_line_info, and
 * libbpf's struct bpf_core_relo); records may be longer in newer objects. */
struct btf_ext_func {
	uint32_t insn_off; /* bytes, section-relative in the ELF */
	uint32_t type_id;
};
struct btf_ext_line {
	uint32_t insn_off;
	uint32_t file_name_off;
	uint32_t line_off;
	uint32_t line_col;
};
struct btf_ext_core {
	uint32_t insn_off;
	uint32_t type_id;
	uint32_t access_str_off;
	uint32_t kind;
};

struct btf_ext_sec {
	const char *name; /* ELF section the records describe */
	uint32_t cnt;
	const uint8_t *recs; /* cnt records of the info's rec_size, 4-byte aligned */
};

struct btf_ext_info {
	uint32_t rec_size;
	struct btf_ext_sec *secs;
	uint32_t nsecs;
};

struct btf_ext {
	uint8_t *data; /* owned, aligned copy */
	struct btf_ext_info func, line, core;
};

/* Parse and check (record sizes, counts, bounds, section and string names
 * against btf). name labels messages. */
int btf_ext_parse(struct btf_ext *ext, const void *data, size_t size, const struct exobpf_btf *btf,
		  const char *name);
void btf_ext_free(struct btf_ext *ext);

/* Record i of a section, as the common prefix (copy: records are aligned). */
static inline const void *btf_ext_rec(const struct btf_ext_info *info, const struct btf_ext_sec *s,
				      uint32_t i)
{
	(void)s;
	return s->recs + (size_t)i * info->rec_size;
}

#endif
