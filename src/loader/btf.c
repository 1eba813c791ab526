/* BTF parsing and checking. The checks follow what Linux's btf_check_*
 * functions demand of BTF loaded with BPF_BTF_LOAD (bounds, known kinds,
 * type ids in range, no reference loops), so anything we accept the kernel
 * could accept too, and no reader can walk off the table or loop forever. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "loader/btf.h"

/* One BTF blob may not describe more types than this: vmlinux has ~150k. */
#define BTF_MAX_TYPES (1u << 24)

static const char *const kind_names[] = {
    [BTF_KIND_UNKN] = "UNKNOWN",      [BTF_KIND_INT] = "INT",
    [BTF_KIND_PTR] = "PTR",	      [BTF_KIND_ARRAY] = "ARRAY",
    [BTF_KIND_STRUCT] = "STRUCT",     [BTF_KIND_UNION] = "UNION",
    [BTF_KIND_ENUM] = "ENUM",	      [BTF_KIND_FWD] = "FWD",
    [BTF_KIND_TYPEDEF] = "TYPEDEF",   [BTF_KIND_VOLATILE] = "VOLATILE",
    [BTF_KIND_CONST] = "CONST",	      [BTF_KIND_RESTRICT] = "RESTRICT",
    [BTF_KIND_FUNC] = "FUNC",	      [BTF_KIND_FUNC_PROTO] = "FUNC_PROTO",
    [BTF_KIND_VAR] = "VAR",	      [BTF_KIND_DATASEC] = "DATASEC",
    [BTF_KIND_FLOAT] = "FLOAT",	      [BTF_KIND_DECL_TAG] = "DECL_TAG",
    [BTF_KIND_TYPE_TAG] = "TYPE_TAG", [BTF_KIND_ENUM64] = "ENUM64",
};

const char *btf_kind_name(uint32_t kind)
{
	return kind < sizeof(kind_names) / sizeof(kind_names[0]) ? kind_names[kind] : "UNKNOWN";
}

/* Bytes that follow struct btf_type for each kind. */
int64_t btf_payload_size(const struct btf_type *t)
{
	uint32_t vlen = btf_vlen(t);

	switch (btf_kind(t)) {
	case BTF_KIND_INT:
	case BTF_KIND_VAR:
	case BTF_KIND_DECL_TAG:
		return 4;
	case BTF_KIND_ARRAY:
		return sizeof(struct btf_array);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		return (int64_t)vlen * sizeof(struct btf_member);
	case BTF_KIND_ENUM:
		return (int64_t)vlen * sizeof(struct btf_enum);
	case BTF_KIND_ENUM64:
		return (int64_t)vlen * sizeof(struct btf_enum64);
	case BTF_KIND_FUNC_PROTO:
		return (int64_t)vlen * sizeof(struct btf_param);
	case BTF_KIND_DATASEC:
		return (int64_t)vlen * sizeof(struct btf_var_secinfo);
	case BTF_KIND_PTR:
	case BTF_KIND_FWD:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_FUNC:
	case BTF_KIND_FLOAT:
	case BTF_KIND_TYPE_TAG:
		return 0;
	default:
		return -1;
	}
}

const char *btf_str(const struct exobpf_btf *btf, uint32_t off)
{
	return off < btf->str_len ? btf->strs + off : "";
}

const struct btf_type *btf_type(const struct exobpf_btf *btf, uint32_t id)
{
	return id && id < btf->nr ? btf->types[id] : NULL;
}

static int bad(const char *name, uint32_t id, const struct exobpf_btf *btf, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int bad(const char *name, uint32_t id, const struct exobpf_btf *btf, const char *fmt, ...)
{
	char what[256];
	const struct btf_type *t = btf->types[id];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return exo_err(EINVAL, "%s: type [%u] %s '%s' (types offset %#lx): %s", name, id,
		       btf_kind_name(btf_kind(t)), btf_name(btf, t),
		       (unsigned long)((const uint8_t *)t -
				       (btf->data + btf->hdr.hdr_len + btf->hdr.type_off)),
		       what);
}

static int check_name(const struct exobpf_btf *btf, const char *name, uint32_t id, uint32_t off,
		      const char *what)
{
	if (off >= btf->str_len)
		return bad(name, id, btf, "%s name offset %u is outside the strings (%u bytes)",
			   what, off, btf->str_len);
	return 0;
}

static int check_ref(const struct exobpf_btf *btf, const char *name, uint32_t id, uint32_t ref,
		     const char *what, bool void_ok)
{
	if (ref >= btf->nr)
		return bad(name, id, btf, "%s type id %u is out of range (%u types)", what, ref,
			   btf->nr - 1);
	if (!ref && !void_ok)
		return bad(name, id, btf, "%s type id is 0 (void)", what);
	return 0;
}

/* Per-kind checks that need only this type: sizes, refs, names. */
static int check_type(const struct exobpf_btf *btf, const char *name, uint32_t id)
{
	const struct btf_type *t = btf->types[id];
	uint32_t vlen = btf_vlen(t), kind = btf_kind(t);
	int err = check_name(btf, name, id, t->name_off, "its");

	if (err)
		return err;
	switch (kind) {
	case BTF_KIND_INT: {
		uint32_t v = *(const uint32_t *)btf_payload(t);
		if (t->size != 1 && t->size != 2 && t->size != 4 && t->size != 8 && t->size != 16)
			return bad(name, id, btf, "size %u is not 1, 2, 4, 8 or 16", t->size);
		if (BTF_INT_BITS(v) > 128 || BTF_INT_OFFSET(v) + BTF_INT_BITS(v) > t->size * 8)
			return bad(name, id, btf, "%u bits at offset %u do not fit its size",
				   BTF_INT_BITS(v), BTF_INT_OFFSET(v));
		break;
	}
	case BTF_KIND_PTR:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_TYPE_TAG:
		return check_ref(btf, name, id, t->type, "referenced", true);
	case BTF_KIND_FUNC:
		if ((err = check_ref(btf, name, id, t->type, "prototype", false)))
			return err;
		if (btf_kind(btf->types[t->type]) != BTF_KIND_FUNC_PROTO)
			return bad(name, id, btf, "type [%u] is not a FUNC_PROTO", t->type);
		if (vlen > BTF_FUNC_EXTERN)
			return bad(name, id, btf, "linkage %u is unknown", vlen);
		break;
	case BTF_KIND_VAR:
		return check_ref(btf, name, id, t->type, "variable", false);
	case BTF_KIND_DECL_TAG:
		return check_ref(btf, name, id, t->type, "tagged", false);
	case BTF_KIND_ARRAY: {
		const struct btf_array *a = btf_array(t);
		if ((err = check_ref(btf, name, id, a->type, "element", false)) ||
		    (err = check_ref(btf, name, id, a->index_type, "index", false)))
			return err;
		break;
	}
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		for (uint32_t i = 0; i < vlen; i++) {
			const struct btf_member *m = &btf_members(t)[i];
			if ((err = check_name(btf, name, id, m->name_off, "a member's")) ||
			    (err = check_ref(btf, name, id, m->type, "a member's", false)))
				return err;
			uint64_t end =
			    (uint64_t)btf_member_bit_offset(t, i) + btf_member_bitfield_size(t, i);
			if (end > (uint64_t)t->size * 8)
				return bad(
				    name, id, btf,
				    "member '%s' ends at bit %llu, past the size of %u bytes",
				    btf_str(btf, m->name_off), (unsigned long long)end, t->size);
		}
		break;
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
		if (t->size != 1 && t->size != 2 && t->size != 4 && t->size != 8)
			return bad(name, id, btf, "size %u is not 1, 2, 4 or 8", t->size);
		for (uint32_t i = 0; i < vlen; i++) {
			uint32_t off = kind == BTF_KIND_ENUM ? btf_enums(t)[i].name_off
							     : btf_enums64(t)[i].name_off;
			if ((err = check_name(btf, name, id, off, "an enumerator's")))
				return err;
		}
		break;
	case BTF_KIND_FUNC_PROTO:
		if ((err = check_ref(btf, name, id, t->type, "return", true)))
			return err;
		for (uint32_t i = 0; i < vlen; i++) {
			const struct btf_param *p = &btf_params(t)[i];
			/* type 0 is allowed only as the last parameter: "..." */
			if ((err = check_name(btf, name, id, p->name_off, "a parameter's")) ||
			    (err =
				 check_ref(btf, name, id, p->type, "a parameter's", i + 1 == vlen)))
				return err;
		}
		break;
	case BTF_KIND_DATASEC:
		for (uint32_t i = 0; i < vlen; i++) {
			const struct btf_var_secinfo *v = &btf_secinfos(t)[i];
			if ((err = check_ref(btf, name, id, v->type, "a variable's", false)))
				return err;
			uint32_t k = btf_kind(btf->types[v->type]);
			if (k != BTF_KIND_VAR && k != BTF_KIND_FUNC)
				return bad(name, id, btf, "entry %u is type [%u], not a VAR", i,
					   v->type);
		}
		break;
	case BTF_KIND_FLOAT:
		if (t->size != 2 && t->size != 4 && t->size != 8 && t->size != 12 && t->size != 16)
			return bad(name, id, btf, "size %u is not 2, 4, 8, 12 or 16", t->size);
		break;
	case BTF_KIND_FWD:
		break;
	}
	return 0;
}

/* Edges along which a type needs another one complete (by value). A cycle
 * along them has no finite size: a loop. Pointers break the need; chains of
 * pointers, typedefs and modifiers are checked for loops separately. */
static uint32_t value_edge(const struct exobpf_btf *btf, const struct btf_type *t, uint32_t i)
{
	(void)btf;
	switch (btf_kind(t)) {
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_TYPE_TAG:
	case BTF_KIND_VAR:
		return i == 0 ? t->type : 0;
	case BTF_KIND_ARRAY:
		return i == 0 ? btf_array(t)->type : 0;
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		return i < btf_vlen(t) ? btf_members(t)[i].type : 0;
	case BTF_KIND_DATASEC:
		return i < btf_vlen(t) ? btf_secinfos(t)[i].type : 0;
	default:
		return 0;
	}
}

/* References that do not go through a struct or union: along them every
 * type must bottom out, since C can only make a type refer to itself through
 * a struct tag ("typedef const T *T", a prototype taking a pointer to itself,
 * cannot be written). */
static uint32_t ref_count(const struct btf_type *t)
{
	switch (btf_kind(t)) {
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
	case BTF_KIND_INT:
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
	case BTF_KIND_FWD:
	case BTF_KIND_FLOAT:
		return 0;
	case BTF_KIND_ARRAY:
		return 2;
	case BTF_KIND_FUNC_PROTO:
		return btf_vlen(t) + 1;
	case BTF_KIND_DATASEC:
		return btf_vlen(t);
	default:
		return 1;
	}
}

static uint32_t ref_edge(const struct btf_type *t, uint32_t i)
{
	switch (btf_kind(t)) {
	case BTF_KIND_ARRAY:
		return i ? btf_array(t)->index_type : btf_array(t)->type;
	case BTF_KIND_FUNC_PROTO:
		return i ? btf_params(t)[i - 1].type : t->type;
	case BTF_KIND_DATASEC:
		return btf_secinfos(t)[i].type;
	default:
		return t->type;
	}
}

static int check_chains(const struct exobpf_btf *btf, const char *name)
{
	uint8_t *state = calloc(btf->nr, 1);
	uint32_t *stack_id = malloc(btf->nr * sizeof(uint32_t));
	uint32_t *stack_edge = malloc(btf->nr * sizeof(uint32_t));
	int err = 0;

	if (!state || !stack_id || !stack_edge) {
		err = exo_err(ENOMEM, "%s: out of memory", name);
		goto out;
	}
	for (uint32_t root = 1; root < btf->nr && !err; root++) {
		uint32_t sp = 0;

		if (state[root])
			continue;
		stack_id[sp] = root;
		stack_edge[sp++] = 0;
		state[root] = 1;
		while (sp) {
			uint32_t id = stack_id[sp - 1], e = stack_edge[sp - 1]++;
			const struct btf_type *t = btf->types[id];

			if (e >= ref_count(t)) {
				state[id] = 2;
				sp--;
				continue;
			}
			uint32_t next = ref_edge(t, e);
			if (!next || state[next] == 2)
				continue;
			if (state[next] == 1) {
				err = bad(name, id, btf,
					  "references type [%u] which leads back to it (a loop)",
					  next);
				break;
			}
			state[next] = 1;
			stack_id[sp] = next;
			stack_edge[sp++] = 0;
		}
	}
out:
	free(state);
	free(stack_id);
	free(stack_edge);
	return err;
}

static uint32_t edge_count(const struct btf_type *t)
{
	return btf_is_composite(t) || btf_kind(t) == BTF_KIND_DATASEC ? btf_vlen(t) : 1;
}

static int check_loops(const struct exobpf_btf *btf, const char *name)
{
	uint8_t *state = calloc(btf->nr, 1); /* 0 new, 1 on the stack, 2 done */
	uint32_t *stack_id = malloc(btf->nr * sizeof(uint32_t));
	uint32_t *stack_edge = malloc(btf->nr * sizeof(uint32_t));
	int err = 0;

	if (!state || !stack_id || !stack_edge) {
		err = exo_err(ENOMEM, "%s: out of memory", name);
		goto out;
	}
	for (uint32_t root = 1; root < btf->nr && !err; root++) {
		uint32_t sp = 0;

		if (state[root])
			continue;
		stack_id[sp] = root;
		stack_edge[sp++] = 0;
		state[root] = 1;
		while (sp) {
			uint32_t id = stack_id[sp - 1], e = stack_edge[sp - 1]++;
			const struct btf_type *t = btf->types[id];

			if (e >= edge_count(t)) {
				state[id] = 2;
				sp--;
				continue;
			}
			uint32_t next = value_edge(btf, t, e);
			if (!next || state[next] == 2)
				continue;
			if (state[next] == 1) {
				err = bad(name, id, btf,
					  "references type [%u] which leads back to it (a loop)",
					  next);
				break;
			}
			state[next] = 1;
			stack_id[sp] = next;
			stack_edge[sp++] = 0;
		}
	}
out:
	free(state);
	free(stack_id);
	free(stack_edge);
	return err;
}

static int parse_header(struct exobpf_btf *btf, const char *name)
{
	const struct btf_header *h = (const struct btf_header *)btf->data;

	if (btf->size < sizeof(*h))
		return exo_err(EINVAL, "%s: truncated: %u bytes cannot hold the 24-byte BTF header",
			       name, btf->size);
	if (h->magic != BTF_MAGIC)
		return exo_err(EINVAL, "%s: bad magic %#x (expected %#x)", name, h->magic,
			       BTF_MAGIC);
	if (h->version != BTF_VERSION)
		return exo_err(EINVAL, "%s: version %u is not %u", name, h->version, BTF_VERSION);
	if (h->flags)
		return exo_err(EINVAL, "%s: unknown header flags %#x", name, h->flags);
	if (h->hdr_len < sizeof(*h) || h->hdr_len > btf->size)
		return exo_err(EINVAL, "%s: header length %u is outside [%zu, %u]", name,
			       h->hdr_len, sizeof(*h), btf->size);
	for (uint32_t i = sizeof(*h); i < h->hdr_len; i++)
		if (btf->data[i])
			return exo_err(EINVAL, "%s: unknown non-zero header byte at offset %u",
				       name, i);
	btf->hdr = *h;
	uint64_t body = btf->size - h->hdr_len;
	if ((uint64_t)h->type_off + h->type_len > body)
		return exo_err(EINVAL, "%s: type section [%u, +%u) runs past the end (%llu bytes)",
			       name, h->type_off, h->type_len, (unsigned long long)body);
	if ((uint64_t)h->str_off + h->str_len > body)
		return exo_err(EINVAL,
			       "%s: string section [%u, +%u) runs past the end (%llu bytes)", name,
			       h->str_off, h->str_len, (unsigned long long)body);
	if ((h->hdr_len + h->type_off) % 4 || h->type_len % 4)
		return exo_err(EINVAL, "%s: type section at %u (+%u bytes) is not 4-byte aligned",
			       name, h->hdr_len + h->type_off, h->type_len);
	if (h->type_len && h->str_len &&
	    (h->type_off < h->str_off ? (uint64_t)h->type_off + h->type_len > h->str_off
				      : (uint64_t)h->str_off + h->str_len > h->type_off))
		return exo_err(EINVAL, "%s: type and string sections overlap", name);
	btf->strs = (const char *)btf->data + h->hdr_len + h->str_off;
	btf->str_len = h->str_len;
	if (!h->str_len || btf->strs[0] || btf->strs[h->str_len - 1])
		return exo_err(EINVAL, "%s: string section must start and end with a NUL byte",
			       name);
	return 0;
}

static int parse_types(struct exobpf_btf *btf, const char *name)
{
	uint8_t *p = btf->data + btf->hdr.hdr_len + btf->hdr.type_off, *end = p + btf->hdr.type_len;
	uint32_t cap = 64, n = 1;

	btf->types = calloc(cap, sizeof(*btf->types));
	if (!btf->types)
		return exo_err(ENOMEM, "%s: out of memory", name);
	while (p < end) {
		struct btf_type *t = (struct btf_type *)p;
		uint64_t off = (uint64_t)(p - (btf->data + btf->hdr.hdr_len + btf->hdr.type_off));

		if ((size_t)(end - p) < sizeof(*t))
			return exo_err(EINVAL,
				       "%s: type [%u] at types offset %#llx: truncated header",
				       name, n, (unsigned long long)off);
		int64_t extra = btf_payload_size(t);
		if (extra < 0)
			return exo_err(EINVAL,
				       "%s: type [%u] at types offset %#llx: unknown kind %u", name,
				       n, (unsigned long long)off, btf_kind(t));
		if ((uint64_t)(end - p) - sizeof(*t) < (uint64_t)extra)
			return exo_err(
			    EINVAL,
			    "%s: type [%u] %s at types offset %#llx: its %u entries run past "
			    "the end of the type section",
			    name, n, btf_kind_name(btf_kind(t)), (unsigned long long)off,
			    btf_vlen(t));
		if (n >= BTF_MAX_TYPES)
			return exo_err(E2BIG, "%s: more than %u types", name, BTF_MAX_TYPES);
		if (n == cap) {
			struct btf_type **nt = realloc(btf->types, 2 * cap * sizeof(*nt));
			if (!nt)
				return exo_err(ENOMEM, "%s: out of memory", name);
			btf->types = nt;
			cap *= 2;
		}
		btf->types[n++] = t;
		p += sizeof(*t) + (size_t)extra;
	}
	btf->nr = n;
	return 0;
}

struct exobpf_btf *btf_parse(const void *data, size_t size, const char *name)
{
	struct exobpf_btf *btf = calloc(1, sizeof(*btf));
	int err;

	if (!btf) {
		exo_err(ENOMEM, "%s: out of memory", name);
		return NULL;
	}
	btf->refcnt = 1;
	if (size > UINT32_MAX) {
		exo_err(E2BIG, "%s: %zu bytes of BTF is too large", name, size);
		goto fail;
	}
	btf->size = (uint32_t)size;
	btf->data = malloc(size ? size : 1);
	if (!btf->data) {
		exo_err(ENOMEM, "%s: out of memory", name);
		goto fail;
	}
	memcpy(btf->data, data, size);
	err = parse_header(btf, name);
	err = err ?: parse_types(btf, name);
	for (uint32_t id = 1; !err && id < btf->nr; id++)
		err = check_type(btf, name, id);
	err = err ?: check_loops(btf, name);
	err = err ?: check_chains(btf, name);
	if (!err)
		return btf;
fail:
	btf_put(btf);
	return NULL;
}

struct exobpf_btf *btf_get(struct exobpf_btf *btf)
{
	if (btf)
		btf->refcnt++;
	return btf;
}

void btf_put(struct exobpf_btf *btf)
{
	if (!btf || --btf->refcnt > 0)
		return;
	free(btf->types);
	free(btf->data);
	free(btf);
}

const struct btf_type *btf_skip_mods(const struct exobpf_btf *btf, uint32_t id, uint32_t *res_id)
{
	const struct btf_type *t = btf_type(btf, id);

	for (int d = 0; t && btf_is_mod(t) && d < BTF_MAX_RESOLVE_DEPTH; d++) {
		id = t->type;
		t = btf_type(btf, id);
	}
	if (res_id)
		*res_id = id;
	return t;
}

const struct btf_type *btf_skip_mods_typedefs(const struct exobpf_btf *btf, uint32_t id,
					      uint32_t *res_id)
{
	const struct btf_type *t = btf_type(btf, id);

	for (int d = 0;
	     t && (btf_is_mod(t) || btf_kind(t) == BTF_KIND_TYPEDEF) && d < BTF_MAX_RESOLVE_DEPTH;
	     d++) {
		id = t->type;
		t = btf_type(btf, id);
	}
	if (res_id)
		*res_id = id;
	return t;
}

long btf_resolve_size_depth(const struct exobpf_btf *btf, uint32_t id, int depth)
{
	const struct btf_type *t = btf_type(btf, id);

	if (!t)
		return exo_err(EINVAL, "BTF type id %u has no size (void or out of range)", id);
	if (depth > BTF_MAX_RESOLVE_DEPTH)
		return exo_err(ELOOP, "BTF type [%u]: more than %d levels deep", id,
			       BTF_MAX_RESOLVE_DEPTH);
	switch (btf_kind(t)) {
	case BTF_KIND_INT:
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
	case BTF_KIND_DATASEC:
	case BTF_KIND_FLOAT:
		return t->size;
	case BTF_KIND_PTR:
		return 8;
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_TYPE_TAG:
	case BTF_KIND_VAR:
		return btf_resolve_size_depth(btf, t->type, depth + 1);
	case BTF_KIND_ARRAY: {
		long e = btf_resolve_size_depth(btf, btf_array(t)->type, depth + 1);
		if (e < 0)
			return e;
		uint64_t total = (uint64_t)e * btf_array(t)->nelems;
		if (total > UINT32_MAX)
			return exo_err(E2BIG, "BTF type [%u]: array of %u x %ld bytes is too large",
				       id, btf_array(t)->nelems, e);
		return (long)total;
	}
	default:
		return exo_err(EINVAL, "BTF type [%u] %s has no size", id,
			       btf_kind_name(btf_kind(t)));
	}
}

long btf_align(const struct exobpf_btf *btf, uint32_t id)
{
	const struct btf_type *t = btf_skip_mods_typedefs(btf, id, &id);

	if (!t)
		return exo_err(EINVAL, "BTF type id %u has no alignment", id);
	switch (btf_kind(t)) {
	case BTF_KIND_INT:
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
	case BTF_KIND_FLOAT:
		return t->size < 8 ? t->size : 8;
	case BTF_KIND_PTR:
		return 8;
	case BTF_KIND_ARRAY:
		return btf_align(btf, btf_array(t)->type);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION: {
		long a = 1;
		for (uint32_t i = 0; i < btf_vlen(t); i++) {
			long m = btf_align(btf, btf_members(t)[i].type);
			if (m < 0)
				return m;
			a = m > a ? m : a;
		}
		return a;
	}
	default:
		return exo_err(EINVAL, "BTF type [%u] %s has no alignment", id,
			       btf_kind_name(btf_kind(t)));
	}
}

int btf_find(const struct exobpf_btf *btf, const char *name, uint32_t kind)
{
	for (uint32_t id = 1; id < btf->nr; id++)
		if (btf_kind(btf->types[id]) == kind &&
		    !strcmp(btf_name(btf, btf->types[id]), name))
			return (int)id;
	return -ENOENT;
}

/* Public API. */

EXOBPF_API struct exobpf_btf *exobpf_btf__new(const void *data, size_t size)
{
	if (!data && size)
		return exo_err(EINVAL, "exobpf_btf__new: NULL data"), NULL;
	return btf_parse(data, size, "BTF");
}

EXOBPF_API void exobpf_btf__free(struct exobpf_btf *btf)
{
	btf_put(btf);
}

EXOBPF_API uint32_t exobpf_btf__type_cnt(const struct exobpf_btf *btf)
{
	return btf->nr;
}

EXOBPF_API const struct btf_type *exobpf_btf__type_by_id(const struct exobpf_btf *btf, uint32_t id)
{
	return btf_type(btf, id);
}

EXOBPF_API const char *exobpf_btf__name_by_offset(const struct exobpf_btf *btf, uint32_t off)
{
	return off < btf->str_len ? btf->strs + off : NULL;
}

EXOBPF_API int exobpf_btf__find_by_name_kind(const struct exobpf_btf *btf, const char *name,
					     uint32_t kind)
{
	int id = btf_find(btf, name, kind);
	return id < 0 ? exo_err(ENOENT, "BTF: no %s named '%s'", btf_kind_name(kind), name) : id;
}

EXOBPF_API long exobpf_btf__resolve_size(const struct exobpf_btf *btf, uint32_t id)
{
	return btf_resolve_size_depth(btf, id, 0);
}

EXOBPF_API const void *exobpf_btf__raw_data(const struct exobpf_btf *btf, uint32_t *size)
{
	*size = btf->size;
	return btf->data;
}
