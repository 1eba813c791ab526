/* The type lines of Linux's BTF verifier log (btf_check_all_metas at log
 * level 1): one line per type, "[id] KIND name details", with the members
 * of structs, unions, enums and data sections on tab-indented lines below.
 * Written for BTF exobpf has parsed and accepted, so every id and string
 * offset is in range. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/btf_log.h"
#include "loader/btf.h"

struct out {
	char *buf;
	size_t len, cap;
	bool oom;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(o->buf ? o->buf + o->len : NULL, o->buf ? o->cap - o->len : 0, fmt,
			      ap);
		va_end(ap);
		if (n < 0) {
			o->oom = true;
			return;
		}
		if (o->buf && o->len + (size_t)n < o->cap) {
			o->len += (size_t)n;
			return;
		}
		size_t cap = (o->cap ? 2 * o->cap : 4096) + (size_t)n;
		char *b = realloc(o->buf, cap);

		if (!b) {
			o->oom = true;
			return;
		}
		o->buf = b;
		o->cap = cap;
	}
}

/* Linux's __btf_name_by_offset: offset 0 is "(anon)" */
static const char *name_or_anon(const struct exobpf_btf *btf, uint32_t off)
{
	return off ? btf_str(btf, off) : "(anon)";
}

/* Linux's btf_int_encoding_str */
static const char *int_encoding(uint8_t enc)
{
	if (enc == 0)
		return "(none)";
	if (enc == BTF_INT_SIGNED)
		return "SIGNED";
	if (enc == BTF_INT_CHAR)
		return "CHAR";
	if (enc == BTF_INT_BOOL)
		return "BOOL";
	return "UNKN";
}

static void log_details(struct out *o, const struct exobpf_btf *btf, const struct btf_type *t)
{
	uint32_t vlen = btf_vlen(t), u;

	/* references: Linux's btf_ref_type_log */
	if (btf_is_mod(t) || btf_kind(t) == BTF_KIND_PTR || btf_kind(t) == BTF_KIND_TYPEDEF ||
	    btf_kind(t) == BTF_KIND_FUNC) {
		put(o, " type_id=%u", t->type);
		return;
	}
	switch (btf_kind(t)) {
	case BTF_KIND_INT:
		memcpy(&u, btf_payload(t), 4);
		put(o, " size=%u bits_offset=%u nr_bits=%u encoding=%s", t->size, BTF_INT_OFFSET(u),
		    BTF_INT_BITS(u), int_encoding((uint8_t)BTF_INT_ENCODING(u)));
		break;
	case BTF_KIND_ARRAY: {
		const struct btf_array *a = btf_payload(t);

		put(o, " type_id=%u index_type_id=%u nr_elems=%u", a->type, a->index_type,
		    a->nelems);
		break;
	}
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
	case BTF_KIND_DATASEC:
		put(o, " size=%u vlen=%u", t->size, vlen);
		break;
	case BTF_KIND_FWD:
		put(o, " %s", btf_kflag(t) ? "union" : "struct");
		break;
	case BTF_KIND_FUNC_PROTO: {
		const struct btf_param *p = btf_params(t);

		/* no arguments: void; a last argument of type 0: vararg */
		put(o, " return=%u args=(", t->type);
		if (!vlen)
			put(o, "void");
		for (uint32_t i = 0; i < vlen; i++) {
			if (i == vlen - 1 && !p[i].type)
				put(o, "%svararg", i ? ", " : "");
			else
				put(o, "%s%u %s", i ? ", " : "", p[i].type,
				    name_or_anon(btf, p[i].name_off));
		}
		put(o, ")");
		break;
	}
	case BTF_KIND_VAR:
		memcpy(&u, btf_payload(t), 4);
		put(o, " type_id=%u linkage=%u", t->type, u);
		break;
	case BTF_KIND_FLOAT:
		put(o, " size=%u", t->size);
		break;
	case BTF_KIND_DECL_TAG: {
		int32_t idx;

		memcpy(&idx, btf_payload(t), 4);
		put(o, " type=%u component_idx=%d", t->type, idx);
		break;
	}
	}
}

/* The lines below a type: members, enumerators, section variables. */
static void log_members(struct out *o, const struct exobpf_btf *btf, const struct btf_type *t)
{
	uint32_t vlen = btf_vlen(t);

	switch (btf_kind(t)) {
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION: {
		const struct btf_member *m = btf_members(t);

		for (uint32_t i = 0; i < vlen; i++) {
			put(o, "\t%s type_id=%u", name_or_anon(btf, m[i].name_off), m[i].type);
			if (btf_kflag(t))
				put(o, " bitfield_size=%u bits_offset=%u",
				    BTF_MEMBER_BITFIELD_SIZE(m[i].offset),
				    BTF_MEMBER_BIT_OFFSET(m[i].offset));
			else
				put(o, " bits_offset=%u", m[i].offset);
			put(o, "\n");
		}
		break;
	}
	case BTF_KIND_ENUM: {
		const struct btf_enum *e = btf_payload(t);

		for (uint32_t i = 0; i < vlen; i++)
			if (btf_kflag(t)) /* kflag: signed values */
				put(o, "\t%s val=%d\n", name_or_anon(btf, e[i].name_off), e[i].val);
			else
				put(o, "\t%s val=%u\n", name_or_anon(btf, e[i].name_off),
				    (uint32_t)e[i].val);
		break;
	}
	case BTF_KIND_ENUM64: {
		const struct btf_enum64 *e = btf_payload(t);

		for (uint32_t i = 0; i < vlen; i++) {
			uint64_t v = (uint64_t)e[i].val_hi32 << 32 | e[i].val_lo32;

			if (btf_kflag(t))
				put(o, "\t%s val=%lld\n", name_or_anon(btf, e[i].name_off),
				    (long long)v);
			else
				put(o, "\t%s val=%llu\n", name_or_anon(btf, e[i].name_off),
				    (unsigned long long)v);
		}
		break;
	}
	case BTF_KIND_DATASEC: {
		const struct btf_var_secinfo *v = btf_payload(t);

		for (uint32_t i = 0; i < vlen; i++)
			put(o, "\t type_id=%u offset=%u size=%u\n", v[i].type, v[i].offset,
			    v[i].size);
		break;
	}
	}
}

char *api_btf_log_types(const struct exobpf_btf *btf)
{
	struct out o = {0};

	put(&o, "%s", "");
	for (uint32_t id = 1; id < btf->nr; id++) {
		const struct btf_type *t = btf->types[id];

		put(&o, "[%u] %s %s", id, btf_kind_name(btf_kind(t)),
		    name_or_anon(btf, t->name_off));
		log_details(&o, btf, t);
		put(&o, "\n");
		log_members(&o, btf, t);
	}
	if (o.oom) {
		free(o.buf);
		return NULL;
	}
	return o.buf;
}
