/* The type lines of Linux's BTF verifier log (btf_check_all_metas at log
 * level 1): one line per type, "[id] KIND name details", with the members
 * of structs, unions, enums and data sections on tab-indented lines below,
 * and the checks of Linux's that end such a log early. The BTF is raw user
 * input: every read is bounded by the type section. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
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

/* "[id] KIND name details", then msg (if any), then the newline. */
static void log_type(struct out *o, const struct exobpf_btf *btf, uint32_t id,
		     const struct btf_type *t, const char *msg)
{
	put(o, "[%u] %s %s", id, btf_kind_name(btf_kind(t)), name_or_anon(btf, t->name_off));
	log_details(o, btf, t);
	put(o, "%s%s\n", msg ? " " : "", msg ? msg : "");
}

static char *finish(struct out *o)
{
	if (o->oom) {
		free(o->buf);
		return NULL;
	}
	return o->buf;
}

#define INFO_MASK 0x9f00ffffu /* Linux's BTF_INFO_MASK: vlen, kind, kind_flag */

/* Linux's btf_int_check_meta past the meta size: its message (*err its
 * errno), or NULL. */
static const char *int_check(const struct btf_type *t, int *err)
{
	uint32_t u, bits;
	uint8_t enc;

	memcpy(&u, btf_payload(t), 4);
	bits = BTF_INT_BITS(u) + BTF_INT_OFFSET(u);
	enc = (uint8_t)BTF_INT_ENCODING(u);
	*err = -EINVAL;
	if (btf_vlen(t))
		return NULL; /* "vlen != 0": not compared with the kernel yet */
	if (btf_kflag(t))
		return "Invalid btf_info kind_flag";
	if (bits <= 128 && (bits + 7) / 8 > t->size)
		return "nr_bits exceeds type_size";
	if (bits <= 128 && enc && enc != BTF_INT_SIGNED && enc != BTF_INT_CHAR &&
	    enc != BTF_INT_BOOL) {
		*err = -API_ENOTSUPP;
		return "Unsupported encoding";
	}
	return NULL;
}

/* Linux's btf_ref_type_check_meta for pointers and qualifiers. */
static const char *ref_check(const struct btf_type *t)
{
	uint32_t k = btf_kind(t);

	if (k != BTF_KIND_PTR && k != BTF_KIND_CONST && k != BTF_KIND_VOLATILE &&
	    k != BTF_KIND_RESTRICT)
		return NULL;
	if (btf_kflag(t))
		return "Invalid btf_info kind_flag";
	if (t->name_off)
		return "Invalid name";
	return NULL;
}

/* Linux's btf_check_all_metas, for the checks this file knows: 0 when the
 * walk ended without an error (*complete: every type walked), or the
 * error's -errno with its message logged. *nr gets the types walked. */
static int walk_metas(struct out *o, const struct exobpf_btf *view, const uint8_t *p, uint32_t left,
		      uint32_t str_len, uint32_t *nr, bool *complete)
{
	uint32_t id = 0;
	int err = 0;

	*complete = false;
	while (left) {
		const struct btf_type *tp = (const struct btf_type *)p;
		const char *msg;
		int64_t extra;

		id++;
		*nr = id;
		if (left < sizeof(*tp)) {
			put(o, "[%u] meta_left:%u meta_needed:%zu", id, left, sizeof(*tp));
			return -EINVAL;
		}
		if (tp->info & ~INFO_MASK) {
			put(o, "[%u] Invalid btf_info:%x", id, tp->info);
			return -EINVAL;
		}
		if (!btf_kind(tp) || btf_kind(tp) > BTF_KIND_ENUM64) {
			put(o, "[%u] Invalid kind:%u", id, btf_kind(tp));
			return -EINVAL;
		}
		if (tp->name_off >= str_len) {
			put(o, "[%u] Invalid name_offset:%u", id, tp->name_off);
			return -EINVAL;
		}
		extra = btf_payload_size(tp);
		if (extra < 0 || (uint64_t)extra > left - sizeof(*tp))
			return 0; /* Linux's words for a short payload: not known here */
		err = 0;
		msg = btf_kind(tp) == BTF_KIND_INT ? int_check(tp, &err) : ref_check(tp);
		log_type(o, view, id, tp, msg);
		if (msg)
			return err ? err : -EINVAL;
		log_members(o, view, tp);
		p += sizeof(*tp) + (uint64_t)extra;
		left -= (uint32_t)(sizeof(*tp) + (uint64_t)extra);
	}
	*complete = true;
	return 0;
}

int api_btf_log_check(const uint8_t *data, uint32_t size, const struct btf_header *h, char **text)
{
	uint64_t types = (uint64_t)h->hdr_len + h->type_off,
		 strs = (uint64_t)h->hdr_len + h->str_off;
	struct exobpf_btf view;
	struct out o = {0};
	const uint8_t *p;
	uint32_t left, nr = 0, id;
	bool complete;
	int err;

	*text = NULL;
	/* only where Linux's section and string checks would pass (aligned:
	 * the data is malloc'ed, the offsets multiples of 4) */
	if (types + h->type_len > size || strs + h->str_len > size || !h->str_len || data[strs] ||
	    data[strs + h->str_len - 1] || h->type_len % 4 || types % 4)
		return 0;
	memset(&view, 0, sizeof(view));
	view.strs = (const char *)data + strs;
	view.str_len = h->str_len;
	put(&o, "%s", "");
	err = walk_metas(&o, &view, data + types, h->type_len, h->str_len, &nr, &complete);
	/* Linux's resolve pass, for references to ids that do not exist (only
	 * when every type was walked: nr is then the real count) */
	for (p = data + types, id = 1, left = h->type_len; complete && !err && left; id++) {
		const struct btf_type *tp = (const struct btf_type *)p;
		uint64_t step = sizeof(*tp) + (uint64_t)btf_payload_size(tp);

		if ((btf_is_mod(tp) || btf_kind(tp) == BTF_KIND_PTR ||
		     btf_kind(tp) == BTF_KIND_TYPEDEF) &&
		    tp->type > nr) {
			log_type(&o, &view, id, tp, "Invalid type_id");
			err = -EINVAL;
		}
		p += step;
		left -= (uint32_t)step;
	}
	*text = finish(&o);
	return err;
}
