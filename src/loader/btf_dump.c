/* BTF printers, shaped after bpftool's two formats. Raw: one line per type
 * with its fields. C: a header that compiles, types emitted after what they
 * embed, forward declarations where only a pointer needs them, duplicate
 * names suffixed ___N - the same order and text bpftool (libbpf's btf_dump)
 * produces, so the two can be diffed. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "loader/btf.h"

/* ---- raw ---- */

static const char *raw_str(const struct exobpf_btf *btf, uint32_t off)
{
	if (!off)
		return "(anon)";
	return off < btf->str_len ? btf->strs + off : "(invalid)";
}

static const char *int_encoding(uint32_t enc)
{
	switch (enc) {
	case 0:
		return "(none)";
	case BTF_INT_SIGNED:
		return "SIGNED";
	case BTF_INT_CHAR:
		return "CHAR";
	case BTF_INT_BOOL:
		return "BOOL";
	default:
		return "UNKN";
	}
}

static const char *linkage_name(uint32_t l)
{
	static const char *const names[] = {"static", "global", "extern"};
	return l < 3 ? names[l] : "(unknown)";
}

static void dump_raw_type(const struct exobpf_btf *btf, uint32_t id, FILE *out)
{
	const struct btf_type *t = btf->types[id];
	uint32_t vlen = btf_vlen(t);

	fprintf(out, "[%u] %s '%s'", id, btf_kind_name(btf_kind(t)), raw_str(btf, t->name_off));
	switch (btf_kind(t)) {
	case BTF_KIND_INT:
		fprintf(out, " size=%u bits_offset=%u nr_bits=%u encoding=%s", t->size,
			btf_int_offset(t), btf_int_bits(t), int_encoding(btf_int_encoding(t)));
		break;
	case BTF_KIND_PTR:
	case BTF_KIND_CONST:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_TYPE_TAG:
		fprintf(out, " type_id=%u", t->type);
		break;
	case BTF_KIND_ARRAY:
		fprintf(out, " type_id=%u index_type_id=%u nr_elems=%u", btf_array(t)->type,
			btf_array(t)->index_type, btf_array(t)->nelems);
		break;
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		fprintf(out, " size=%u vlen=%u", t->size, vlen);
		for (uint32_t i = 0; i < vlen; i++) {
			const struct btf_member *m = &btf_members(t)[i];
			fprintf(out, "\n\t'%s' type_id=%u bits_offset=%u",
				raw_str(btf, m->name_off), m->type, btf_member_bit_offset(t, i));
			if (btf_member_bitfield_size(t, i))
				fprintf(out, " bitfield_size=%u", btf_member_bitfield_size(t, i));
		}
		break;
	case BTF_KIND_ENUM:
		fprintf(out, " encoding=%s size=%u vlen=%u", btf_kflag(t) ? "SIGNED" : "UNSIGNED",
			t->size, vlen);
		for (uint32_t i = 0; i < vlen; i++) {
			const struct btf_enum *e = &btf_enums(t)[i];
			if (btf_kflag(t))
				fprintf(out, "\n\t'%s' val=%d", raw_str(btf, e->name_off), e->val);
			else
				fprintf(out, "\n\t'%s' val=%u", raw_str(btf, e->name_off),
					(uint32_t)e->val);
		}
		break;
	case BTF_KIND_ENUM64:
		fprintf(out, " encoding=%s size=%u vlen=%u", btf_kflag(t) ? "SIGNED" : "UNSIGNED",
			t->size, vlen);
		for (uint32_t i = 0; i < vlen; i++) {
			const struct btf_enum64 *e = &btf_enums64(t)[i];
			if (btf_kflag(t))
				fprintf(out, "\n\t'%s' val=%lldLL", raw_str(btf, e->name_off),
					(long long)btf_enum64_value(e));
			else
				fprintf(out, "\n\t'%s' val=%lluULL", raw_str(btf, e->name_off),
					(unsigned long long)btf_enum64_value(e));
		}
		break;
	case BTF_KIND_FWD:
		fprintf(out, " fwd_kind=%s", btf_kflag(t) ? "union" : "struct");
		break;
	case BTF_KIND_FUNC:
		fprintf(out, " type_id=%u linkage=%s", t->type, linkage_name(vlen));
		break;
	case BTF_KIND_FUNC_PROTO:
		fprintf(out, " ret_type_id=%u vlen=%u", t->type, vlen);
		for (uint32_t i = 0; i < vlen; i++)
			fprintf(out, "\n\t'%s' type_id=%u", raw_str(btf, btf_params(t)[i].name_off),
				btf_params(t)[i].type);
		break;
	case BTF_KIND_VAR:
		fprintf(out, " type_id=%u, linkage=%s", t->type,
			linkage_name(((const struct btf_var *)btf_payload(t))->linkage));
		break;
	case BTF_KIND_DATASEC:
		fprintf(out, " size=%u vlen=%u", t->size, vlen);
		for (uint32_t i = 0; i < vlen; i++) {
			const struct btf_var_secinfo *v = &btf_secinfos(t)[i];
			const struct btf_type *vt = btf->types[v->type];
			fprintf(out, "\n\ttype_id=%u offset=%u size=%u (%s '%s')", v->type,
				v->offset, v->size, btf_kind_name(btf_kind(vt)),
				raw_str(btf, vt->name_off));
		}
		break;
	case BTF_KIND_FLOAT:
		fprintf(out, " size=%u", t->size);
		break;
	case BTF_KIND_DECL_TAG:
		fprintf(out, " type_id=%u component_idx=%d", t->type,
			((const struct btf_decl_tag *)btf_payload(t))->component_idx);
		break;
	}
	fputc('\n', out);
}

/* ---- C ---- */

enum { ST_NONE, ST_BUSY, ST_DONE };

struct name_count {
	const char *name;
	size_t count;
};

/* Names seen so far and how often, open addressing on a power-of-two table. */
struct name_set {
	struct name_count *slots;
	size_t cap, used;
};

struct cdump {
	const struct exobpf_btf *btf;
	FILE *out;
	uint8_t *order, *emit; /* ST_* per type */
	bool *fwd_done, *referenced, *named;
	char **names; /* resolved name per type when it needed a ___N suffix */
	uint32_t *queue, queue_len;
	uint32_t *decls, decls_len, decls_cap;
	struct name_set type_names, ident_names;
	uint64_t work; /* declarations and padding lines written */
	int depth;     /* recursion of order() and emit_type() */
	int err;
};

/* Hostile BTF can ask for absurd output (a 4 GiB struct padded 64 bits per
 * line, anonymous types nested to expand exponentially). Real BTF stays far
 * below this: all of vmlinux takes about a million steps. */
#define CDUMP_MAX_WORK (2u << 20)

static bool over_budget(struct cdump *d)
{
	if (++d->work > CDUMP_MAX_WORK && !d->err)
		d->err = -E2BIG;
	return d->err != 0;
}

static size_t hash_str(const char *s)
{
	size_t h = 5381;
	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h;
}

/* How many times name has been seen, counting this time. */
static size_t name_dups(struct cdump *d, struct name_set *set, const char *name)
{
	if (set->used * 2 >= set->cap) {
		size_t ncap = set->cap ? set->cap * 2 : 256;
		struct name_count *ns = calloc(ncap, sizeof(*ns));
		if (!ns) {
			d->err = -ENOMEM;
			return 1;
		}
		for (size_t i = 0; i < set->cap; i++) {
			if (!set->slots[i].name)
				continue;
			size_t j = hash_str(set->slots[i].name) & (ncap - 1);
			while (ns[j].name)
				j = (j + 1) & (ncap - 1);
			ns[j] = set->slots[i];
		}
		free(set->slots);
		set->slots = ns;
		set->cap = ncap;
	}
	size_t j = hash_str(name) & (set->cap - 1);
	while (set->slots[j].name && strcmp(set->slots[j].name, name))
		j = (j + 1) & (set->cap - 1);
	if (!set->slots[j].name) {
		set->slots[j].name = name;
		set->used++;
	}
	return ++set->slots[j].count;
}

static const char *resolve_name(struct cdump *d, uint32_t id, struct name_set *set)
{
	const struct btf_type *t = d->btf->types[id];
	const char *name = btf_name(d->btf, t);

	if (!t->name_off)
		return "";
	if (d->named[id])
		return d->names[id] ? d->names[id] : name;
	d->named[id] = true;
	/* forward declarations and empty enums never define anything new */
	if (btf_kind(t) == BTF_KIND_FWD || (btf_kind(t) == BTF_KIND_ENUM && !btf_vlen(t)))
		return name;
	size_t dups = name_dups(d, set, name);
	if (dups > 1) {
		size_t n = strlen(name) + 32;
		d->names[id] = malloc(n);
		if (!d->names[id]) {
			d->err = -ENOMEM;
			return name;
		}
		snprintf(d->names[id], n, "%s___%zu", name, dups);
	}
	return d->names[id] ? d->names[id] : name;
}

static const char *type_name(struct cdump *d, uint32_t id)
{
	return resolve_name(d, id, &d->type_names);
}

static const char *ident_name(struct cdump *d, uint32_t id)
{
	return resolve_name(d, id, &d->ident_names);
}

static void pfx(struct cdump *d, int lvl)
{
	for (int i = 0; i < lvl; i++)
		fputc('\t', d->out);
}

/* Alignment as a compiler would give it, 1 for a packed struct. */
static int align_of(const struct exobpf_btf *btf, uint32_t id, int depth)
{
	const struct btf_type *t = btf_type(btf, id);

	if (!t || depth > BTF_MAX_RESOLVE_DEPTH)
		return 0;
	switch (btf_kind(t)) {
	case BTF_KIND_INT:
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
	case BTF_KIND_FLOAT:
		return t->size < 8 ? (int)t->size : 8;
	case BTF_KIND_PTR:
		return 8;
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_TYPE_TAG:
		return align_of(btf, t->type, depth + 1);
	case BTF_KIND_ARRAY:
		return align_of(btf, btf_array(t)->type, depth + 1);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION: {
		int max = 1;
		for (uint32_t i = 0; i < btf_vlen(t); i++) {
			const struct btf_member *m = &btf_members(t)[i];
			int a = align_of(btf, m->type, depth + 1);
			if (a <= 0)
				return a;
			max = a > max ? a : max;
			if (!btf_member_bitfield_size(t, i) && m->offset % (8u * a))
				return 1;
		}
		return t->size % max ? 1 : max;
	}
	default:
		return 0;
	}
}

/* A struct is packed when a plain member sits off its natural alignment or
 * the size is not a multiple of the largest member alignment. */
static bool is_packed(const struct exobpf_btf *btf, const struct btf_type *t)
{
	int max = 1;

	for (uint32_t i = 0; i < btf_vlen(t); i++) {
		const struct btf_member *m = &btf_members(t)[i];
		int align = align_of(btf, m->type, 0);
		if (align && !btf_member_bitfield_size(t, i) && m->offset % (8u * align))
			return true;
		max = align > max ? align : max;
	}
	return t->size % max != 0;
}

static void mark_referenced(struct cdump *d)
{
	const struct exobpf_btf *btf = d->btf;

	for (uint32_t id = 1; id < btf->nr; id++) {
		const struct btf_type *t = btf->types[id];
		switch (btf_kind(t)) {
		case BTF_KIND_PTR:
		case BTF_KIND_TYPEDEF:
		case BTF_KIND_VOLATILE:
		case BTF_KIND_CONST:
		case BTF_KIND_RESTRICT:
		case BTF_KIND_FUNC:
		case BTF_KIND_VAR:
		case BTF_KIND_DECL_TAG:
		case BTF_KIND_TYPE_TAG:
			d->referenced[t->type] = true;
			break;
		case BTF_KIND_ARRAY:
			d->referenced[btf_array(t)->index_type] = true;
			d->referenced[btf_array(t)->type] = true;
			break;
		case BTF_KIND_STRUCT:
		case BTF_KIND_UNION:
			for (uint32_t i = 0; i < btf_vlen(t); i++)
				d->referenced[btf_members(t)[i].type] = true;
			break;
		case BTF_KIND_FUNC_PROTO:
			d->referenced[t->type] = true;
			for (uint32_t i = 0; i < btf_vlen(t); i++)
				d->referenced[btf_params(t)[i].type] = true;
			break;
		case BTF_KIND_DATASEC:
			for (uint32_t i = 0; i < btf_vlen(t); i++)
				d->referenced[btf_secinfos(t)[i].type] = true;
			break;
		}
	}
}

static void enqueue(struct cdump *d, uint32_t id)
{
	d->queue[d->queue_len++] = id; /* each id is queued at most once */
}

/* Put id's definition after everything it needs by value. Returns 1 when id
 * is a "strong" dependency (a definition must come first), 0 when a forward
 * declaration will do, negative on an unsatisfiable loop. */
static int order(struct cdump *d, uint32_t id, bool through_ptr);

/* Types nest (a struct holding a struct ...) far less deeply than this in
 * any real program or kernel; hostile BTF could nest until the stack ends. */
#define CDUMP_MAX_DEPTH 256

static int order_inner(struct cdump *d, uint32_t id, bool through_ptr);

static int order(struct cdump *d, uint32_t id, bool through_ptr)
{
	if (d->depth >= CDUMP_MAX_DEPTH)
		return exo_err(ELOOP, "BTF type [%u]: types nest deeper than %d", id,
			       CDUMP_MAX_DEPTH);
	d->depth++;
	int r = order_inner(d, id, through_ptr);
	d->depth--;
	return r;
}

static int order_inner(struct cdump *d, uint32_t id, bool through_ptr)
{
	const struct btf_type *t = btf_type(d->btf, id);
	int err, strong;

	if (!t || d->order[id] == ST_DONE)
		return !t ? 0 : 1;
	if (d->order[id] == ST_BUSY) {
		if (btf_is_composite(t) && through_ptr && t->name_off)
			return 0;
		return exo_err(ELOOP, "BTF type [%u]: unsatisfiable type cycle", id);
	}
	switch (btf_kind(t)) {
	case BTF_KIND_INT:
	case BTF_KIND_FLOAT:
		d->order[id] = ST_DONE;
		return 0;
	case BTF_KIND_PTR:
		err = order(d, t->type, true);
		d->order[id] = ST_DONE;
		return err;
	case BTF_KIND_ARRAY:
		return order(d, btf_array(t)->type, false);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		/* a named struct behind a pointer needs only "struct X;" */
		if (through_ptr && t->name_off)
			return 0;
		d->order[id] = ST_BUSY;
		for (uint32_t i = 0; i < btf_vlen(t); i++)
			if ((err = order(d, btf_members(t)[i].type, false)) < 0)
				return err;
		if (t->name_off)
			enqueue(d, id);
		d->order[id] = ST_DONE;
		return 1;
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
	case BTF_KIND_FWD:
		if (t->name_off || !d->referenced[id])
			enqueue(d, id);
		d->order[id] = ST_DONE;
		return 1;
	case BTF_KIND_TYPEDEF:
		strong = order(d, t->type, through_ptr);
		if (strong < 0)
			return strong;
		if (through_ptr && !strong)
			return 0;
		enqueue(d, id);
		d->order[id] = ST_DONE;
		return 1;
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_TYPE_TAG:
		return order(d, t->type, through_ptr);
	case BTF_KIND_FUNC_PROTO:
		err = order(d, t->type, through_ptr);
		if (err < 0)
			return err;
		strong = err > 0;
		for (uint32_t i = 0; i < btf_vlen(t); i++) {
			err = order(d, btf_params(t)[i].type, through_ptr);
			if (err < 0)
				return err;
			strong |= err > 0;
		}
		return strong;
	default: /* FUNC, VAR, DATASEC, DECL_TAG print nothing */
		d->order[id] = ST_DONE;
		return 0;
	}
}

static void emit_decl(struct cdump *d, uint32_t id, const char *fname, int lvl);

static void emit_struct_fwd(struct cdump *d, uint32_t id, const struct btf_type *t)
{
	fprintf(d->out, "%s%s%s", btf_kind(t) == BTF_KIND_STRUCT ? "struct" : "union",
		t->name_off ? " " : "", type_name(d, id));
}

static int64_t round_up(int64_t x, int64_t unit)
{
	return (x + unit - 1) / unit * unit;
}

/* Fill [cur, next) with anonymous bitfields so a compiler lays the next
 * member where BTF says. First align with the widest of long/int/short/char
 * that does not overshoot (a ": 0" marker when the compiler would not align
 * by itself), then fill whole units, then the remainder with the smallest
 * type that holds it. */
static void emit_padding(struct cdump *d, int64_t cur, int64_t next, int next_align,
			 bool in_bitfield, int lvl)
{
	static const struct {
		const char *name;
		int bits;
	} pads[] = {{"long", 64}, {"int", 32}, {"short", 16}, {"char", 8}};
	int64_t new_off = 0, bits = 0;
	const char *type = NULL;

	if (cur >= next || d->err)
		return;
	for (size_t i = 0; i < 4; i++) {
		bits = pads[i].bits;
		type = pads[i].name;
		new_off = round_up(cur, bits);
		if (new_off <= next)
			break;
	}
	if (new_off > cur && new_off <= next) {
		if (in_bitfield || (new_off == next && round_up(cur, next_align * 8) != new_off) ||
		    (new_off != next && next - new_off <= new_off - cur)) {
			fputc('\n', d->out);
			pfx(d, lvl);
			fprintf(d->out, "%s: %d;", type, in_bitfield ? (int)(new_off - cur) : 0);
		}
		cur = new_off;
	}
	while (cur != next && !over_budget(d)) {
		int64_t n = next - cur < bits ? next - cur : bits;
		if (n != bits) {
			for (int i = 3; i >= 0; i--) {
				if (pads[i].bits >= n) {
					type = pads[i].name;
					break;
				}
			}
		}
		fputc('\n', d->out);
		pfx(d, lvl);
		fprintf(d->out, "%s: %d;", type, (int)n);
		cur += n;
	}
}

static void emit_struct_def(struct cdump *d, uint32_t id, const struct btf_type *t, int lvl)
{
	bool is_struct = btf_kind(t) == BTF_KIND_STRUCT;
	bool packed = is_struct && is_packed(d->btf, t), prev_bitfield = false;
	int64_t off = 0;
	int align = align_of(d->btf, id, 0);

	emit_struct_fwd(d, id, t);
	fprintf(d->out, " {");
	for (uint32_t i = 0; i < btf_vlen(t); i++) {
		const struct btf_member *m = &btf_members(t)[i];
		int m_off = (int)btf_member_bit_offset(t, i),
		    m_sz = (int)btf_member_bitfield_size(t, i);
		int m_align = packed ? 1 : align_of(d->btf, m->type, 0);

		emit_padding(d, off, m_off, m_align, prev_bitfield && m_sz, lvl + 1);
		fputc('\n', d->out);
		pfx(d, lvl + 1);
		emit_decl(d, m->type, btf_str(d->btf, m->name_off), lvl + 1);
		if (m_sz) {
			fprintf(d->out, ": %d", m_sz);
			off = m_off + m_sz;
		} else {
			long sz = btf_resolve_size(d->btf, m->type);
			off = m_off + (int64_t)(sz > 0 ? sz : 0) * 8;
		}
		prev_bitfield = m_sz != 0;
		fputc(';', d->out);
	}
	if (is_struct)
		emit_padding(d, off, (int64_t)t->size * 8, align, false, lvl + 1);
	if (btf_vlen(t) || t->size) {
		fputc('\n', d->out);
		pfx(d, lvl);
	}
	fputc('}', d->out);
	if (packed)
		fprintf(d->out, " __attribute__((packed))");
}

static void emit_enum_def(struct cdump *d, uint32_t id, const struct btf_type *t, int lvl)
{
	bool is64 = btf_kind(t) == BTF_KIND_ENUM64, sign = btf_kflag(t);
	uint32_t vlen = btf_vlen(t);

	fprintf(d->out, "enum%s%s", t->name_off ? " " : "", type_name(d, id));
	if (!vlen)
		return;
	fprintf(d->out, " {");
	for (uint32_t i = 0; i < vlen; i++) {
		uint32_t noff = is64 ? btf_enums64(t)[i].name_off : btf_enums(t)[i].name_off;
		const char *name = btf_str(d->btf, noff);
		/* enumerators share one namespace with typedefs */
		size_t dups = name_dups(d, &d->ident_names, name);
		char v[32];

		if (is64) {
			uint64_t x = btf_enum64_value(&btf_enums64(t)[i]);
			if (sign)
				snprintf(v, sizeof(v), "%lldLL", (long long)x);
			else
				snprintf(v, sizeof(v), "%lluULL", (unsigned long long)x);
		} else {
			int32_t x = btf_enums(t)[i].val;
			if (sign)
				snprintf(v, sizeof(v), "%d", x);
			else
				snprintf(v, sizeof(v), "%u", (uint32_t)x);
		}
		fputc('\n', d->out);
		pfx(d, lvl + 1);
		if (dups > 1)
			fprintf(d->out, "%s___%zu = %s,", name, dups, v);
		else
			fprintf(d->out, "%s = %s,", name, v);
	}
	fputc('\n', d->out);
	pfx(d, lvl);
	fputc('}', d->out);
	/* bpftool 7.1 (libbpf 1.1) marks only 8-byte enums; one-byte ones print plain */
	if (t->size == 8) {
		/* an enum64 whose values all fit 32 bits would shrink without it */
		bool word = true;
		for (uint32_t i = 0; is64 && i < vlen; i++)
			if (btf_enums64(t)[i].val_hi32)
				word = false;
		if (word)
			fprintf(d->out, " __attribute__((mode(word)))");
	}
}

static void emit_fwd_def(struct cdump *d, uint32_t id, const struct btf_type *t)
{
	fprintf(d->out, "%s %s", btf_kflag(t) ? "union" : "struct", type_name(d, id));
}

static void emit_typedef_def(struct cdump *d, uint32_t id, const struct btf_type *t, int lvl)
{
	const char *name = ident_name(d, id);

	/* old GCC emitted this typedef of void; what it means is the builtin */
	if (t->type == 0 && !strcmp(name, "__gnuc_va_list")) {
		fprintf(d->out, "typedef __builtin_va_list __gnuc_va_list");
		return;
	}
	fprintf(d->out, "typedef ");
	emit_decl(d, t->type, name, lvl);
}

static bool skipped_typedef(struct cdump *d, uint32_t id)
{
	const struct btf_type *t = d->btf->types[id];
	return t->name_off && !strcmp(btf_name(d->btf, t), "__builtin_va_list");
}

static void emit_type_inner(struct cdump *d, uint32_t id, uint32_t cont_id);

static void emit_type(struct cdump *d, uint32_t id, uint32_t cont_id)
{
	if (d->depth >= CDUMP_MAX_DEPTH) {
		if (!d->err)
			d->err = -ELOOP;
		return;
	}
	d->depth++;
	emit_type_inner(d, id, cont_id);
	d->depth--;
}

static void emit_type_inner(struct cdump *d, uint32_t id, uint32_t cont_id)
{
	const struct btf_type *t = btf_type(d->btf, id);
	bool top = cont_id == 0;

	if (!t)
		return;
	if (d->emit[id] == ST_BUSY) {
		/* referenced while being defined: a forward declaration breaks it */
		if (d->fwd_done[id])
			return;
		if (btf_is_composite(t)) {
			if (id == cont_id || !t->name_off)
				return;
			emit_struct_fwd(d, id, t);
			fprintf(d->out, ";\n\n");
			d->fwd_done[id] = true;
		} else if (btf_kind(t) == BTF_KIND_TYPEDEF) {
			if (!skipped_typedef(d, id)) {
				emit_typedef_def(d, id, t, 0);
				fprintf(d->out, ";\n\n");
			}
			d->fwd_done[id] = true;
		}
		return;
	}
	if (d->emit[id] == ST_DONE)
		return;
	switch (btf_kind(t)) {
	case BTF_KIND_INT:
		d->emit[id] = ST_DONE;
		break;
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
		if (top) {
			emit_enum_def(d, id, t, 0);
			fprintf(d->out, ";\n\n");
		}
		d->emit[id] = ST_DONE;
		break;
	case BTF_KIND_PTR:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_TYPE_TAG:
		emit_type(d, t->type, cont_id);
		break;
	case BTF_KIND_ARRAY:
		emit_type(d, btf_array(t)->type, cont_id);
		break;
	case BTF_KIND_FWD:
		emit_fwd_def(d, id, t);
		fprintf(d->out, ";\n\n");
		d->emit[id] = ST_DONE;
		break;
	case BTF_KIND_TYPEDEF:
		d->emit[id] = ST_BUSY;
		emit_type(d, t->type, id);
		if (!d->fwd_done[id] && !skipped_typedef(d, id)) {
			emit_typedef_def(d, id, t, 0);
			fprintf(d->out, ";\n\n");
		}
		d->emit[id] = ST_DONE;
		break;
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		d->emit[id] = ST_BUSY;
		if (top || !t->name_off) {
			/* members will be spelled out: their types need declaring first */
			uint32_t inner = t->name_off ? id : cont_id;
			for (uint32_t i = 0; i < btf_vlen(t); i++)
				emit_type(d, btf_members(t)[i].type, inner);
		} else if (!d->fwd_done[id] && id != cont_id) {
			emit_struct_fwd(d, id, t);
			fprintf(d->out, ";\n\n");
			d->fwd_done[id] = true;
		}
		if (top) {
			emit_struct_def(d, id, t, 0);
			fprintf(d->out, ";\n\n");
			d->emit[id] = ST_DONE;
		} else {
			d->emit[id] = ST_NONE;
		}
		break;
	case BTF_KIND_FUNC_PROTO:
		emit_type(d, t->type, cont_id);
		for (uint32_t i = 0; i < btf_vlen(t); i++)
			emit_type(d, btf_params(t)[i].type, cont_id);
		break;
	}
}

/* Declarators: the chain from a name out to its base type is pushed on a
 * stack and printed base first, so pointers, arrays and function prototypes
 * nest as C spells them. */
static void push_decl(struct cdump *d, uint32_t id)
{
	if (d->decls_len == d->decls_cap) {
		uint32_t ncap = d->decls_cap ? d->decls_cap * 2 : 64;
		uint32_t *n = realloc(d->decls, ncap * sizeof(*n));
		if (!n) {
			d->err = -ENOMEM;
			return;
		}
		d->decls = n;
		d->decls_cap = ncap;
	}
	d->decls[d->decls_len++] = id;
}

struct decl_stack {
	uint32_t base, cnt; /* d->decls[base .. base+cnt) */
};

static uint32_t top_id(struct cdump *d, struct decl_stack *s)
{
	return d->decls[s->base + s->cnt - 1];
}

static void emit_mods(struct cdump *d, struct decl_stack *s)
{
	while (s->cnt) {
		const struct btf_type *t = btf_type(d->btf, top_id(d, s));
		if (!t)
			return;
		if (btf_kind(t) == BTF_KIND_VOLATILE)
			fprintf(d->out, "volatile ");
		else if (btf_kind(t) == BTF_KIND_CONST)
			fprintf(d->out, "const ");
		else if (btf_kind(t) == BTF_KIND_RESTRICT)
			fprintf(d->out, "restrict ");
		else
			return;
		s->cnt--;
	}
}

/* Qualifiers on arrays and function prototypes mean nothing in C (GCC's
 * quirks put them there); drop them. */
static void drop_mods(struct cdump *d, struct decl_stack *s)
{
	while (s->cnt) {
		const struct btf_type *t = btf_type(d->btf, top_id(d, s));
		if (!t || !(btf_is_mod(t) && btf_kind(t) != BTF_KIND_TYPE_TAG))
			return;
		s->cnt--;
	}
}

static void emit_name(struct cdump *d, const char *name, bool last_was_ptr)
{
	fprintf(d->out, "%s%s", name[0] && !last_was_ptr ? " " : "", name);
}

static void emit_chain(struct cdump *d, struct decl_stack *s, const char *fname, int lvl)
{
	bool last_was_ptr = true;

	while (s->cnt) {
		uint32_t id = d->decls[s->base + --s->cnt];
		const struct btf_type *t = btf_type(d->btf, id);

		if (!t) {
			emit_mods(d, s);
			fprintf(d->out, "void");
			last_was_ptr = false;
			continue;
		}
		switch (btf_kind(t)) {
		case BTF_KIND_INT:
		case BTF_KIND_FLOAT:
			emit_mods(d, s);
			fprintf(d->out, "%s", btf_name(d->btf, t));
			break;
		case BTF_KIND_STRUCT:
		case BTF_KIND_UNION:
			emit_mods(d, s);
			if (!t->name_off)
				emit_struct_def(d, id, t, lvl);
			else
				emit_struct_fwd(d, id, t);
			break;
		case BTF_KIND_ENUM:
		case BTF_KIND_ENUM64:
			emit_mods(d, s);
			if (!t->name_off)
				emit_enum_def(d, id, t, lvl);
			else
				fprintf(d->out, "enum %s", type_name(d, id));
			break;
		case BTF_KIND_FWD:
			emit_mods(d, s);
			emit_fwd_def(d, id, t);
			break;
		case BTF_KIND_TYPEDEF:
			emit_mods(d, s);
			fprintf(d->out, "%s", ident_name(d, id));
			break;
		case BTF_KIND_PTR:
			fprintf(d->out, "%s", last_was_ptr ? "*" : " *");
			break;
		case BTF_KIND_VOLATILE:
			fprintf(d->out, " volatile");
			break;
		case BTF_KIND_CONST:
			fprintf(d->out, " const");
			break;
		case BTF_KIND_RESTRICT:
			fprintf(d->out, " restrict");
			break;
		case BTF_KIND_TYPE_TAG:
			emit_mods(d, s);
			fprintf(d->out, " __attribute__((btf_type_tag(\"%s\")))",
				btf_name(d->btf, t));
			break;
		case BTF_KIND_ARRAY: {
			uint32_t nelems = btf_array(t)->nelems;
			drop_mods(d, s);
			if (!s->cnt) {
				emit_name(d, fname, last_was_ptr);
				fprintf(d->out, "[%u]", nelems);
				return;
			}
			const struct btf_type *next = btf_type(d->btf, top_id(d, s));
			bool multidim = next && btf_kind(next) == BTF_KIND_ARRAY;
			if (fname[0] && !last_was_ptr)
				fputc(' ', d->out);
			if (!multidim)
				fputc('(', d->out);
			emit_chain(d, s, fname, lvl);
			if (!multidim)
				fputc(')', d->out);
			fprintf(d->out, "[%u]", nelems);
			return;
		}
		case BTF_KIND_FUNC_PROTO: {
			uint32_t vlen = btf_vlen(t);
			drop_mods(d, s);
			if (s->cnt) {
				fprintf(d->out, " (");
				emit_chain(d, s, fname, lvl);
				fputc(')', d->out);
			} else {
				emit_name(d, fname, last_was_ptr);
			}
			fputc('(', d->out);
			/* clang writes f(void) as one void parameter */
			if (vlen == 0 || (vlen == 1 && btf_params(t)[0].type == 0)) {
				fprintf(d->out, "void)");
				return;
			}
			for (uint32_t i = 0; i < vlen; i++) {
				const struct btf_param *p = &btf_params(t)[i];
				if (i)
					fprintf(d->out, ", ");
				if (i + 1 == vlen && p->type == 0) {
					fprintf(d->out, "...");
					break;
				}
				emit_decl(d, p->type, btf_str(d->btf, p->name_off), lvl);
			}
			fputc(')', d->out);
			return;
		}
		default:
			break;
		}
		last_was_ptr = btf_kind(t) == BTF_KIND_PTR;
	}
	emit_name(d, fname, last_was_ptr);
}

static void emit_decl(struct cdump *d, uint32_t id, const char *fname, int lvl)
{
	uint32_t base = d->decls_len;

	if (over_budget(d))
		return;
	if (d->depth >= CDUMP_MAX_DEPTH) { /* anonymous types inlined inside each other */
		d->err = -ELOOP;
		return;
	}
	d->depth++;
	for (int depth = 0;; depth++) {
		const struct btf_type *t;

		/* checked BTF has no loops, but a deep chain is still bounded */
		if (depth > 1024 || d->err) {
			d->decls_len = base;
			d->depth--;
			return;
		}
		push_decl(d, id);
		if (!(t = btf_type(d->btf, id)))
			break;
		uint32_t k = btf_kind(t);
		if (k == BTF_KIND_PTR || btf_is_mod(t) || k == BTF_KIND_FUNC_PROTO)
			id = t->type;
		else if (k == BTF_KIND_ARRAY)
			id = btf_array(t)->type;
		else
			break;
	}
	struct decl_stack s = {base, d->decls_len - base};
	emit_chain(d, &s, fname, lvl);
	d->decls_len = base;
	d->depth--;
}

static int dump_c(const struct exobpf_btf *btf, FILE *out)
{
	struct cdump d = {.btf = btf, .out = out};
	uint32_t n = btf->nr;
	int err = 0;

	d.order = calloc(n, 1);
	d.emit = calloc(n, 1);
	d.fwd_done = calloc(n, sizeof(bool));
	d.referenced = calloc(n, sizeof(bool));
	d.named = calloc(n, sizeof(bool));
	d.names = calloc(n, sizeof(char *));
	d.queue = calloc(n, sizeof(uint32_t));
	if (!d.order || !d.emit || !d.fwd_done || !d.referenced || !d.named || !d.names ||
	    !d.queue) {
		err = exo_err(ENOMEM, "BTF dump: out of memory");
		goto out;
	}
	mark_referenced(&d);
	fprintf(out, "#ifndef __VMLINUX_H__\n#define __VMLINUX_H__\n\n");
	fprintf(out, "#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n#pragma clang attribute push "
		     "(__attribute__((preserve_access_index)), apply_to = record)\n#endif\n\n");
	for (uint32_t id = 1; id < n && !d.err; id++) {
		d.queue_len = 0;
		if ((err = order(&d, id, false)) < 0)
			goto out;
		for (uint32_t i = 0; i < d.queue_len; i++)
			emit_type(&d, d.queue[i], 0);
	}
	fprintf(out,
		"#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n#pragma clang attribute pop\n#endif\n\n");
	fprintf(out, "#endif /* __VMLINUX_H__ */\n");
	if (d.err == -ELOOP)
		err = exo_err(ELOOP, "BTF dump: types nest deeper than %d", CDUMP_MAX_DEPTH);
	else if (d.err == -E2BIG)
		err = exo_err(E2BIG,
			      "BTF dump: the C output would exceed %u declarations (absurd "
			      "sizes or nesting)",
			      CDUMP_MAX_WORK);
	else if (d.err)
		err = exo_err(-d.err, "BTF dump: out of memory");
out:
	for (uint32_t i = 0; d.names && i < n; i++)
		free(d.names[i]);
	free(d.names);
	free(d.order);
	free(d.emit);
	free(d.fwd_done);
	free(d.referenced);
	free(d.named);
	free(d.queue);
	free(d.decls);
	free(d.type_names.slots);
	free(d.ident_names.slots);
	return err < 0 ? err : 0;
}

EXOBPF_API int exobpf_btf__dump(const struct exobpf_btf *btf, enum exobpf_btf_dump_format format,
				FILE *out)
{
	if (!btf || !out)
		return exo_err(EINVAL, "exobpf_btf__dump: NULL argument");
	if (format == EXOBPF_BTF_DUMP_C)
		return dump_c(btf, out);
	if (format != EXOBPF_BTF_DUMP_RAW)
		return exo_err(EINVAL, "exobpf_btf__dump: unknown format %d", format);
	for (uint32_t id = 1; id < btf->nr; id++)
		dump_raw_type(btf, id, out);
	return 0;
}

EXOBPF_API int exobpf_btf__emit_type_decl(const struct exobpf_btf *btf, uint32_t id,
					  const char *name, int indent, bool strip_mods, FILE *out)
{
	struct cdump d = {.btf = btf, .out = out};
	uint32_t n;
	int err = 0;

	if (!btf || !out)
		return exo_err(EINVAL, "exobpf_btf__emit_type_decl: NULL argument");
	if (id >= btf->nr)
		return exo_err(EINVAL, "BTF: type id %u out of range", id);
	n = btf->nr;
	d.named = calloc(n, sizeof(bool));
	d.names = calloc(n, sizeof(char *));
	if (!d.named || !d.names) {
		err = exo_err(ENOMEM, "BTF: out of memory");
		goto out;
	}
	if (strip_mods) /* skeletons show "int x", not "const volatile int x" */
		btf_skip_mods(btf, id, &id);
	emit_decl(&d, id, name ? name : "", indent);
	if (d.err)
		err = exo_err(-d.err, "BTF: out of memory");
out:
	for (uint32_t i = 0; d.names && i < n; i++)
		free(d.names[i]);
	free(d.names);
	free(d.named);
	free(d.decls);
	free(d.type_names.slots);
	free(d.ident_names.slots);
	return err;
}
