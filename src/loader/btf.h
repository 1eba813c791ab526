/* The BTF type table: parsed once and checked (bounds, kinds, type ids,
 * strings, reference loops), so every later reader may follow ids without
 * checking again. */
#ifndef EXOBPF_LOADER_BTF_H
#define EXOBPF_LOADER_BTF_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/btf.h>

#include "exobpf/btf.h"

#ifndef BTF_KIND_ENUM64
#define BTF_KIND_ENUM64 19
#endif

/* Longest chain of typedefs and modifiers we follow (libbpf and Linux use 32). */
#define BTF_MAX_RESOLVE_DEPTH 32

struct exobpf_btf {
	uint8_t *data; /* owned: header, types, strings (fixed up in place by the loader) */
	uint32_t size;
	struct btf_header hdr;
	const char *strs;
	uint32_t str_len;
	struct btf_type **types; /* types[0] is NULL: id 0 is void */
	uint32_t nr;		 /* number of types + 1 */
	int refcnt;
};

/* Parse; name labels messages ("prog.o: .BTF"). */
struct exobpf_btf *btf_parse(const void *data, size_t size, const char *name);
struct exobpf_btf *btf_get(struct exobpf_btf *btf);
void btf_put(struct exobpf_btf *btf);

static inline uint32_t btf_kind(const struct btf_type *t)
{
	return BTF_INFO_KIND(t->info);
}
static inline uint32_t btf_vlen(const struct btf_type *t)
{
	return BTF_INFO_VLEN(t->info);
}
static inline bool btf_kflag(const struct btf_type *t)
{
	return BTF_INFO_KFLAG(t->info);
}
static inline void *btf_payload(const struct btf_type *t)
{
	return (void *)(t + 1);
}
static inline const struct btf_member *btf_members(const struct btf_type *t)
{
	return btf_payload(t);
}
static inline const struct btf_param *btf_params(const struct btf_type *t)
{
	return btf_payload(t);
}
static inline const struct btf_enum *btf_enums(const struct btf_type *t)
{
	return btf_payload(t);
}
static inline const struct btf_enum64 *btf_enums64(const struct btf_type *t)
{
	return btf_payload(t);
}
static inline const struct btf_array *btf_array(const struct btf_type *t)
{
	return btf_payload(t);
}
static inline struct btf_var_secinfo *btf_secinfos(const struct btf_type *t)
{
	return btf_payload(t);
}
static inline uint32_t btf_int_bits(const struct btf_type *t)
{
	return BTF_INT_BITS(*(const uint32_t *)btf_payload(t));
}
static inline uint32_t btf_int_offset(const struct btf_type *t)
{
	return BTF_INT_OFFSET(*(const uint32_t *)btf_payload(t));
}
static inline uint32_t btf_int_encoding(const struct btf_type *t)
{
	return BTF_INT_ENCODING(*(const uint32_t *)btf_payload(t));
}
static inline uint32_t btf_member_bit_offset(const struct btf_type *t, uint32_t i)
{
	uint32_t off = btf_members(t)[i].offset;
	return btf_kflag(t) ? BTF_MEMBER_BIT_OFFSET(off) : off;
}
static inline uint32_t btf_member_bitfield_size(const struct btf_type *t, uint32_t i)
{
	return btf_kflag(t) ? BTF_MEMBER_BITFIELD_SIZE(btf_members(t)[i].offset) : 0;
}
static inline uint64_t btf_enum64_value(const struct btf_enum64 *e)
{
	return (uint64_t)e->val_hi32 << 32 | e->val_lo32;
}
static inline bool btf_is_composite(const struct btf_type *t)
{
	return btf_kind(t) == BTF_KIND_STRUCT || btf_kind(t) == BTF_KIND_UNION;
}
static inline bool btf_is_any_enum(const struct btf_type *t)
{
	return btf_kind(t) == BTF_KIND_ENUM || btf_kind(t) == BTF_KIND_ENUM64;
}
static inline bool btf_is_mod(const struct btf_type *t)
{
	uint32_t k = btf_kind(t);
	return k == BTF_KIND_VOLATILE || k == BTF_KIND_CONST || k == BTF_KIND_RESTRICT ||
	       k == BTF_KIND_TYPE_TAG;
}

/* Type by id; ids were checked at parse time, so only the caller's own ids
 * can be out of range (then NULL). Id 0 (void) is NULL too. */
const struct btf_type *btf_type(const struct exobpf_btf *btf, uint32_t id);
/* Name (never NULL; "" for anonymous). */
const char *btf_str(const struct exobpf_btf *btf, uint32_t off);
static inline const char *btf_name(const struct exobpf_btf *btf, const struct btf_type *t)
{
	return t ? btf_str(btf, t->name_off) : "";
}
/* Skip const/volatile/restrict/type tags (and typedefs too); *res_id gets the id. */
const struct btf_type *btf_skip_mods(const struct exobpf_btf *btf, uint32_t id, uint32_t *res_id);
const struct btf_type *btf_skip_mods_typedefs(const struct exobpf_btf *btf, uint32_t id,
					      uint32_t *res_id);
/* Bytes that follow struct btf_type for its kind; -1 for an unknown kind. */
int64_t btf_payload_size(const struct btf_type *t);
/* Kind name as bpftool prints it ("STRUCT"). */
const char *btf_kind_name(uint32_t kind);
/* Alignment of a type in bytes (for laying out externs). */
long btf_resolve_size_depth(const struct exobpf_btf *btf, uint32_t id, int depth);
static inline long btf_resolve_size(const struct exobpf_btf *btf, uint32_t id)
{
	return btf_resolve_size_depth(btf, id, 0);
}
long btf_align(const struct exobpf_btf *btf, uint32_t id);
int btf_find(const struct exobpf_btf *btf, const char *name, uint32_t kind);

#endif
