/* CO-RE: relocate field offsets, sizes, existence, type and enum facts
 * recorded by clang (__builtin_preserve_*_info) against a target BTF, with
 * libbpf's rules: candidates are target types of the same kind whose names
 * match up to a "___flavor" suffix; fields match by name (through anonymous
 * members), types by shape; all matching candidates must agree; a
 * relocation nothing satisfies poisons its instruction (call 0xbad2310) so
 * the verifier rejects it only if it is reachable. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "loader/obj.h"

enum core_kind {
	CORE_FIELD_BYTE_OFFSET = 0,
	CORE_FIELD_BYTE_SIZE = 1,
	CORE_FIELD_EXISTS = 2,
	CORE_FIELD_SIGNED = 3,
	CORE_FIELD_LSHIFT_U64 = 4,
	CORE_FIELD_RSHIFT_U64 = 5,
	CORE_TYPE_ID_LOCAL = 6,
	CORE_TYPE_ID_TARGET = 7,
	CORE_TYPE_EXISTS = 8,
	CORE_TYPE_SIZE = 9,
	CORE_ENUMVAL_EXISTS = 10,
	CORE_ENUMVAL_VALUE = 11,
	CORE_TYPE_MATCHES = 12,
};

#define CORE_SPEC_MAX 64
#define CORE_POISON   195896080 /* 0xbad2310, "bad relo", as libbpf writes it */

static const char *const kind_names[] = {
    "byte_off",	      "byte_sz",       "field_exists",	 "signed",	"lshift_u64",
    "rshift_u64",     "local_type_id", "target_type_id", "type_exists", "type_size",
    "enumval_exists", "enumval_value", "type_matches",
};

static bool field_based(uint32_t k)
{
	return k <= CORE_FIELD_RSHIFT_U64;
}
static bool type_based(uint32_t k)
{
	return k >= CORE_TYPE_ID_LOCAL && k <= CORE_TYPE_SIZE;
}
static bool enum_based(uint32_t k)
{
	return k == CORE_ENUMVAL_EXISTS || k == CORE_ENUMVAL_VALUE;
}

struct core_acc {
	uint32_t type_id, idx;
	const char *name; /* NULL: array index */
};

struct core_spec {
	const struct exobpf_btf *btf;
	uint32_t root_type_id, kind;
	struct core_acc acc[CORE_SPEC_MAX];
	int len;
	int raw[CORE_SPEC_MAX];
	int raw_len;
	uint32_t bit_offset;
};

struct core_res {
	uint64_t orig_val, new_val;
	uint32_t orig_sz, new_sz, orig_type_id, new_type_id;
	bool poison, validate, fail_memsz_adjust;
};

/* Where "name___flavor" stops being essential: before the last "X___Y". */
static size_t essential_len(const char *name)
{
	size_t n = strlen(name);

	for (long i = (long)n - 5; i >= 0; i--) {
		const char *s = name + i;
		if (s[0] != '_' && s[1] == '_' && s[2] == '_' && s[3] == '_' && s[4] != '_')
			return (size_t)i + 1;
	}
	return n;
}

static bool kinds_compat(const struct btf_type *a, const struct btf_type *b)
{
	return btf_kind(a) == btf_kind(b) || (btf_is_any_enum(a) && btf_is_any_enum(b));
}

static bool is_flex(const struct exobpf_btf *btf, const struct core_acc *acc,
		    const struct btf_array *a)
{
	if (!acc->name || a->nelems > 0)
		return false;
	return acc->idx == btf_vlen(btf_type(btf, acc->type_id)) - 1;
}

static int parse_spec(const struct exobpf_btf *btf, uint32_t type_id, const char *str,
		      uint32_t kind, struct core_spec *spec)
{
	const struct btf_type *t;
	uint32_t id;
	long sz;

	memset(spec, 0, sizeof(*spec));
	spec->btf = btf;
	spec->root_type_id = type_id;
	spec->kind = kind;
	if (!str[0] || str[0] == ':')
		return -EINVAL;
	if (type_based(kind) || kind == CORE_TYPE_MATCHES)
		return strcmp(str, "0") ? -EINVAL : 0;
	while (*str) {
		char *end;
		if (*str == ':')
			str++;
		long v = strtol(str, &end, 10);
		if (end == str || v < 0 || v > INT_MAX)
			return -EINVAL;
		if (spec->raw_len == CORE_SPEC_MAX)
			return -E2BIG;
		spec->raw[spec->raw_len++] = (int)v;
		str = end;
		if (*str && *str != ':')
			return -EINVAL;
	}
	if (!spec->raw_len)
		return -EINVAL;
	t = btf_skip_mods_typedefs(btf, type_id, &id);
	if (!t)
		return -EINVAL;
	spec->acc[0] = (struct core_acc){id, (uint32_t)spec->raw[0], NULL};
	spec->len = 1;
	if (enum_based(kind)) {
		if (!btf_is_any_enum(t) || spec->raw_len > 1 ||
		    (uint32_t)spec->raw[0] >= btf_vlen(t))
			return -EINVAL;
		uint32_t noff = btf_kind(t) == BTF_KIND_ENUM
				    ? btf_enums(t)[spec->raw[0]].name_off
				    : btf_enums64(t)[spec->raw[0]].name_off;
		spec->acc[0].name = btf_str(btf, noff);
		return 0;
	}
	if (!field_based(kind))
		return -EINVAL;
	if ((sz = btf_resolve_size(btf, id)) < 0)
		return (int)sz;
	spec->bit_offset = (uint32_t)(spec->raw[0] * sz * 8);
	for (int i = 1; i < spec->raw_len; i++) {
		uint32_t idx = (uint32_t)spec->raw[i];
		if (!(t = btf_skip_mods_typedefs(btf, id, &id)))
			return -EINVAL;
		if (btf_is_composite(t)) {
			if (idx >= btf_vlen(t))
				return -EINVAL;
			const struct btf_member *m = &btf_members(t)[idx];
			spec->bit_offset += btf_member_bit_offset(t, idx);
			if (m->name_off)
				spec->acc[spec->len++] =
				    (struct core_acc){id, idx, btf_str(btf, m->name_off)};
			id = m->type;
		} else if (btf_kind(t) == BTF_KIND_ARRAY) {
			const struct btf_array *a = btf_array(t);
			bool flex = is_flex(btf, &spec->acc[spec->len - 1], a);
			if (!btf_skip_mods_typedefs(btf, a->type, &id))
				return -EINVAL;
			if (!flex && idx >= a->nelems)
				return -EINVAL;
			spec->acc[spec->len++] = (struct core_acc){id, idx, NULL};
			if ((sz = btf_resolve_size(btf, id)) < 0)
				return (int)sz;
			spec->bit_offset += (uint32_t)(idx * sz * 8);
		} else {
			return -EINVAL;
		}
	}
	return 0;
}

/* Can a field of local type be read as the target's field type? */
static int fields_compat(const struct exobpf_btf *lb, uint32_t lid, const struct exobpf_btf *tb,
			 uint32_t tid)
{
	for (int depth = 0; depth < BTF_MAX_RESOLVE_DEPTH; depth++) {
		const struct btf_type *l = btf_skip_mods_typedefs(lb, lid, &lid);
		const struct btf_type *t = btf_skip_mods_typedefs(tb, tid, &tid);
		if (!l || !t)
			return -EINVAL;
		if (btf_is_composite(l) && btf_is_composite(t))
			return 1;
		if (!kinds_compat(l, t))
			return 0;
		switch (btf_kind(l)) {
		case BTF_KIND_PTR:
		case BTF_KIND_FLOAT:
			return 1;
		case BTF_KIND_FWD:
		case BTF_KIND_ENUM:
		case BTF_KIND_ENUM64: {
			const char *ln = btf_name(lb, l), *tn = btf_name(tb, t);
			size_t ll = essential_len(ln), tl = essential_len(tn);
			return !ll || !tl || (ll == tl && !strncmp(ln, tn, ll));
		}
		case BTF_KIND_INT:
			return btf_int_offset(l) == 0 && btf_int_offset(t) == 0;
		case BTF_KIND_ARRAY:
			lid = btf_array(l)->type;
			tid = btf_array(t)->type;
			continue;
		default:
			return 0;
		}
	}
	return -EINVAL;
}

/* Are two types the same shape (pointers and arrays followed, prototypes
 * compared parameter by parameter)? */
static int types_compat(const struct exobpf_btf *lb, uint32_t lid, const struct exobpf_btf *tb,
			uint32_t tid, int level)
{
	const struct btf_type *l = btf_type(lb, lid), *t = btf_type(tb, tid);

	if (level <= 0)
		return -EINVAL;
	if ((l == NULL) != (t == NULL))
		return 0;
	if (l && !kinds_compat(l, t))
		return 0;
	for (int depth = 0; depth < BTF_MAX_RESOLVE_DEPTH; depth++) {
		if (!lid && !tid)
			return 1; /* void and void */
		l = btf_skip_mods_typedefs(lb, lid, &lid);
		t = btf_skip_mods_typedefs(tb, tid, &tid);
		if (!l || !t)
			return !l && !t ? 1 : 0;
		if (!kinds_compat(l, t))
			return 0;
		switch (btf_kind(l)) {
		case BTF_KIND_STRUCT:
		case BTF_KIND_UNION:
		case BTF_KIND_ENUM:
		case BTF_KIND_ENUM64:
		case BTF_KIND_FWD:
			return 1;
		case BTF_KIND_INT:
			return btf_int_offset(l) == 0 && btf_int_offset(t) == 0;
		case BTF_KIND_PTR:
			lid = l->type;
			tid = t->type;
			continue;
		case BTF_KIND_ARRAY:
			lid = btf_array(l)->type;
			tid = btf_array(t)->type;
			continue;
		case BTF_KIND_FUNC_PROTO:
			if (btf_vlen(l) != btf_vlen(t))
				return 0;
			for (uint32_t i = 0; i < btf_vlen(l); i++) {
				uint32_t a, b;
				btf_skip_mods_typedefs(lb, btf_params(l)[i].type, &a);
				btf_skip_mods_typedefs(tb, btf_params(t)[i].type, &b);
				int r = types_compat(lb, a, tb, b, level - 1);
				if (r <= 0)
					return r;
			}
			lid = l->type;
			tid = t->type;
			continue;
		default:
			return 0;
		}
	}
	return -EINVAL;
}

static int match_member(const struct exobpf_btf *lb, const struct core_acc *lacc,
			const struct exobpf_btf *tb, uint32_t tid, struct core_spec *spec,
			uint32_t *next, int depth)
{
	const struct btf_type *lt = btf_type(lb, lacc->type_id), *tt;
	const struct btf_member *lm = &btf_members(lt)[lacc->idx];
	const char *lname = btf_str(lb, lm->name_off);

	if (depth > BTF_MAX_RESOLVE_DEPTH)
		return -ELOOP;
	tt = btf_skip_mods_typedefs(tb, tid, &tid);
	if (!tt)
		return -EINVAL;
	if (!btf_is_composite(tt))
		return 0;
	for (uint32_t i = 0; i < btf_vlen(tt); i++) {
		const struct btf_member *m = &btf_members(tt)[i];
		uint32_t bo = btf_member_bit_offset(tt, i);
		const char *tname = btf_str(tb, m->name_off);
		int found;

		if (spec->raw_len == CORE_SPEC_MAX)
			return -E2BIG;
		spec->bit_offset += bo;
		spec->raw[spec->raw_len++] = (int)i;
		if (!tname[0]) { /* anonymous member: look inside */
			found = match_member(lb, lacc, tb, m->type, spec, next, depth + 1);
			if (found)
				return found;
		} else if (!strcmp(lname, tname)) {
			if (spec->len == CORE_SPEC_MAX)
				return -E2BIG;
			spec->acc[spec->len++] = (struct core_acc){tid, i, tname};
			*next = m->type;
			found = fields_compat(lb, lm->type, tb, m->type);
			if (!found)
				spec->len--;
			return found;
		}
		spec->bit_offset -= bo;
		spec->raw_len--;
	}
	return 0;
}

/* Does target type tid satisfy the local spec? Fills tspec. 1, 0 or -err. */
static int spec_match(const struct core_spec *ls, const struct exobpf_btf *tb, uint32_t tid,
		      struct core_spec *ts)
{
	memset(ts, 0, sizeof(*ts));
	ts->btf = tb;
	ts->root_type_id = tid;
	ts->kind = ls->kind;
	if (type_based(ls->kind))
		return types_compat(ls->btf, ls->root_type_id, tb, tid, 32);
	if (ls->kind == CORE_TYPE_MATCHES)
		return -EOPNOTSUPP;
	if (enum_based(ls->kind)) {
		const struct btf_type *t = btf_skip_mods_typedefs(tb, tid, &tid);
		size_t ll = essential_len(ls->acc[0].name);
		if (!t || !btf_is_any_enum(t))
			return 0;
		for (uint32_t i = 0; i < btf_vlen(t); i++) {
			uint32_t noff = btf_kind(t) == BTF_KIND_ENUM ? btf_enums(t)[i].name_off
								     : btf_enums64(t)[i].name_off;
			const char *tn = btf_str(tb, noff);
			if (essential_len(tn) == ll && !strncmp(ls->acc[0].name, tn, ll)) {
				ts->acc[0] = (struct core_acc){tid, i, tn};
				ts->len = 1;
				ts->raw[ts->raw_len++] = (int)i;
				return 1;
			}
		}
		return 0;
	}
	for (int i = 0; i < ls->len; i++) {
		const struct core_acc *la = &ls->acc[i];
		const struct btf_type *t = btf_skip_mods_typedefs(tb, tid, &tid);
		long sz;

		if (!t)
			return -EINVAL;
		if (la->name) {
			int m = match_member(ls->btf, la, tb, tid, ts, &tid, 0);
			if (m <= 0)
				return m;
			continue;
		}
		if (i > 0) {
			if (btf_kind(t) != BTF_KIND_ARRAY)
				return 0;
			const struct btf_array *a = btf_array(t);
			if (!is_flex(tb, &ts->acc[ts->len - 1], a) && la->idx >= a->nelems)
				return 0;
			if (!btf_skip_mods_typedefs(tb, a->type, &tid))
				return -EINVAL;
		}
		if (ts->raw_len == CORE_SPEC_MAX || ts->len == CORE_SPEC_MAX)
			return -E2BIG;
		ts->acc[ts->len++] = (struct core_acc){tid, la->idx, NULL};
		ts->raw[ts->raw_len++] = (int)la->idx;
		if ((sz = btf_resolve_size(tb, tid)) < 0)
			return (int)sz;
		ts->bit_offset += (uint32_t)(la->idx * sz * 8);
	}
	return 1;
}

/* The value a field relocation takes for one spec (NULL: no target). */
static int calc_field(uint32_t kind, const struct core_spec *spec, uint64_t *val, uint32_t *fsz,
		      uint32_t *ftype, bool *validate)
{
	const struct core_acc *acc;
	const struct btf_type *t, *mt;
	uint32_t bit_off, bit_sz, byte_sz, byte_off, fid;
	bool bitfield;
	long sz;

	if (kind == CORE_FIELD_EXISTS) {
		*val = spec != NULL;
		return 0;
	}
	if (!spec)
		return -EUCLEAN;
	acc = &spec->acc[spec->len - 1];
	if (!acc->name) {
		if ((sz = btf_resolve_size(spec->btf, acc->type_id)) < 0)
			return -EINVAL;
		if (kind == CORE_FIELD_BYTE_OFFSET) {
			*val = spec->bit_offset / 8;
			*fsz = (uint32_t)sz;
			*ftype = acc->type_id;
		} else if (kind == CORE_FIELD_BYTE_SIZE) {
			*val = (uint64_t)sz;
		} else {
			return -EINVAL; /* signedness/shifts of an array element */
		}
		if (validate)
			*validate = true;
		return 0;
	}
	t = btf_type(spec->btf, acc->type_id);
	mt = btf_skip_mods_typedefs(spec->btf, btf_members(t)[acc->idx].type, &fid);
	if (!mt)
		return -EINVAL;
	bit_off = spec->bit_offset;
	bit_sz = btf_member_bitfield_size(t, acc->idx);
	bitfield = bit_sz > 0;
	if (bitfield) {
		byte_sz = mt->size;
		if (!byte_sz)
			return -EINVAL;
		byte_off = bit_off / 8 / byte_sz * byte_sz;
		/* the smallest load that covers the bitfield */
		while (bit_off + bit_sz - byte_off * 8 > byte_sz * 8) {
			if (byte_sz >= 8)
				return -E2BIG;
			byte_sz *= 2;
			byte_off = bit_off / 8 / byte_sz * byte_sz;
		}
	} else {
		if ((sz = btf_resolve_size(spec->btf, fid)) < 0)
			return -EINVAL;
		byte_sz = (uint32_t)sz;
		byte_off = bit_off / 8;
		bit_sz = byte_sz * 8;
	}
	/* bitfield layout is the compiler's choice: only check what is not */
	if (validate)
		*validate = !bitfield;
	switch (kind) {
	case CORE_FIELD_BYTE_OFFSET:
		*val = byte_off;
		if (!bitfield) {
			*fsz = byte_sz;
			*ftype = fid;
		}
		break;
	case CORE_FIELD_BYTE_SIZE:
		*val = byte_sz;
		break;
	case CORE_FIELD_SIGNED:
		*val = (btf_is_any_enum(mt) && btf_kflag(mt)) ||
		       (btf_kind(mt) == BTF_KIND_INT && (btf_int_encoding(mt) & BTF_INT_SIGNED));
		if (validate)
			*validate = true;
		break;
	case CORE_FIELD_LSHIFT_U64:
		*val = 64 - (bit_off + bit_sz - byte_off * 8);
		break;
	case CORE_FIELD_RSHIFT_U64:
		*val = 64 - bit_sz;
		if (validate)
			*validate = true;
		break;
	default:
		return -EOPNOTSUPP;
	}
	return 0;
}

static int calc_type(uint32_t kind, const struct core_spec *spec, uint64_t *val)
{
	long sz;

	if (!spec) { /* type relocations read 0 when the type is missing */
		*val = 0;
		return 0;
	}
	switch (kind) {
	case CORE_TYPE_ID_TARGET:
		*val = spec->root_type_id;
		return 0;
	case CORE_TYPE_EXISTS:
		*val = 1;
		return 0;
	case CORE_TYPE_SIZE:
		if ((sz = btf_resolve_size(spec->btf, spec->root_type_id)) < 0)
			return -EINVAL;
		*val = (uint64_t)sz;
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

static int calc_enum(uint32_t kind, const struct core_spec *spec, uint64_t *val)
{
	if (kind == CORE_ENUMVAL_EXISTS) {
		*val = spec != NULL;
		return 0;
	}
	if (!spec)
		return -EUCLEAN;
	const struct btf_type *t = btf_type(spec->btf, spec->acc[0].type_id);
	if (btf_kind(t) == BTF_KIND_ENUM)
		*val = (uint64_t)(int64_t)btf_enums(t)[spec->acc[0].idx].val;
	else
		*val = btf_enum64_value(&btf_enums64(t)[spec->acc[0].idx]);
	if (btf_kind(t) == BTF_KIND_ENUM && !btf_kflag(t))
		*val &= 0xffffffffu;
	return 0;
}

static bool is_unsigned_int(const struct btf_type *t)
{
	return t && btf_kind(t) == BTF_KIND_INT && btf_int_encoding(t) != BTF_INT_SIGNED;
}

static int calc_relo(uint32_t kind, const struct core_spec *ls, const struct core_spec *ts,
		     struct core_res *res)
{
	int err = 0;

	memset(res, 0, sizeof(*res));
	res->validate = true;
	if (field_based(kind)) {
		err = calc_field(kind, ls, &res->orig_val, &res->orig_sz, &res->orig_type_id,
				 &res->validate);
		err = err
			  ?: calc_field(kind, ts, &res->new_val, &res->new_sz, &res->new_type_id,
					NULL);
		if (!err && res->orig_sz != res->new_sz) {
			const struct btf_type *o = btf_type(ls->btf, res->orig_type_id);
			const struct btf_type *n = ts ? btf_type(ts->btf, res->new_type_id) : NULL;
			/* narrowing is safe for pointers and unsigned integers only */
			if (!(o && n && btf_kind(o) == BTF_KIND_PTR &&
			      btf_kind(n) == BTF_KIND_PTR) &&
			    !(is_unsigned_int(o) && is_unsigned_int(n)))
				res->fail_memsz_adjust = true;
		}
	} else if (type_based(kind)) {
		err = calc_type(kind, ls, &res->orig_val);
		err = err ?: calc_type(kind, ts, &res->new_val);
	} else if (enum_based(kind)) {
		err = calc_enum(kind, ls, &res->orig_val);
		err = err ?: calc_enum(kind, ts, &res->new_val);
	} else {
		err = -EOPNOTSUPP;
	}
	if (err == -EUCLEAN) {
		res->poison = true;
		err = 0;
	}
	return err;
}

static void poison(struct bpf_insn *insn)
{
	memset(insn, 0, sizeof(*insn));
	insn->code = BPF_JMP | BPF_CALL;
	insn->imm = CORE_POISON;
}

static int size_code(uint32_t bytes)
{
	switch (bytes) {
	case 1:
		return BPF_B;
	case 2:
		return BPF_H;
	case 4:
		return BPF_W;
	case 8:
		return BPF_DW;
	default:
		return -1;
	}
}

static int patch(struct exobpf_program *p, uint32_t idx, const struct core_res *res,
		 const char *where)
{
	struct bpf_insn *insn = &p->insns[idx];
	bool lddw = insn->code == (BPF_LD | BPF_IMM | BPF_DW);

	if (res->poison) {
	poison:
		if (lddw && idx + 1 < p->insns_cnt)
			poison(insn + 1);
		poison(insn);
		return 0;
	}
	switch (BPF_CLASS(insn->code)) {
	case BPF_ALU:
	case BPF_ALU64:
		if (BPF_SRC(insn->code) != BPF_K)
			return exo_err(EINVAL, "%s: insn %u is not an ALU op with an immediate",
				       where, idx);
		if (res->validate && (uint32_t)insn->imm != (uint32_t)res->orig_val)
			return exo_err(EINVAL, "%s: insn %u (ALU/ALU64) has value %u, expected %u",
				       where, idx, (uint32_t)insn->imm, (uint32_t)res->orig_val);
		insn->imm = (int32_t)res->new_val;
		return 0;
	case BPF_LDX:
	case BPF_ST:
	case BPF_STX:
		if (res->validate && (uint64_t)(int64_t)insn->off != res->orig_val)
			return exo_err(EINVAL,
				       "%s: insn %u (LDX/ST/STX) has offset %d, expected %llu",
				       where, idx, insn->off, (unsigned long long)res->orig_val);
		if (res->new_val > SHRT_MAX)
			return exo_err(ERANGE, "%s: insn %u (LDX/ST/STX): offset %llu is too big",
				       where, idx, (unsigned long long)res->new_val);
		if (res->fail_memsz_adjust)
			goto poison; /* the field changed size in a way a narrower load cannot fix */
		insn->off = (int16_t)res->new_val;
		if (res->new_sz != res->orig_sz) {
			int code = size_code(res->new_sz);
			static const uint8_t bytes[4] = {4, 2, 1, 8};
			if (bytes[BPF_SIZE(insn->code) >> 3] != res->orig_sz)
				return exo_err(
				    EINVAL, "%s: insn %u: access size is not the field's %u bytes",
				    where, idx, res->orig_sz);
			if (code < 0)
				return exo_err(EINVAL,
					       "%s: insn %u: new field size %u cannot be loaded",
					       where, idx, res->new_sz);
			insn->code = (uint8_t)(BPF_MODE(insn->code) | code | BPF_CLASS(insn->code));
		}
		return 0;
	case BPF_LD:
		if (!lddw || idx + 1 >= p->insns_cnt || insn[0].src_reg || insn[0].off ||
		    insn[1].code || insn[1].dst_reg || insn[1].src_reg || insn[1].off)
			return exo_err(EINVAL, "%s: insn %u (lddw) has an unexpected form", where,
				       idx);
		uint64_t imm = (uint32_t)insn[0].imm | (uint64_t)(uint32_t)insn[1].imm << 32;
		if (res->validate && imm != res->orig_val)
			return exo_err(EINVAL, "%s: insn %u (lddw) has value %llu, expected %llu",
				       where, idx, (unsigned long long)imm,
				       (unsigned long long)res->orig_val);
		insn[0].imm = (int32_t)(uint32_t)res->new_val;
		insn[1].imm = (int32_t)(uint32_t)(res->new_val >> 32);
		return 0;
	default:
		return exo_err(EINVAL, "%s: insn %u (code %#x) cannot be relocated", where, idx,
			       insn->code);
	}
}

/* Candidates per local root type, narrowed by each relocation as libbpf
 * narrows its cache. */
struct cand_list {
	uint32_t local_id;
	uint32_t *ids;
	uint32_t len;
};

static int find_cands(const struct exobpf_btf *lb, uint32_t lid, const struct exobpf_btf *tb,
		      struct cand_list *c)
{
	const struct btf_type *lt = btf_type(lb, lid);
	const char *lname = btf_name(lb, lt);
	size_t ll = essential_len(lname);

	c->local_id = lid;
	c->len = 0;
	c->ids = NULL;
	if (!tb)
		return 0;
	for (uint32_t id = 1; id < tb->nr; id++) {
		const struct btf_type *t = tb->types[id];
		const char *tn = btf_name(tb, t);
		if (!kinds_compat(t, lt) || !tn[0] || strncmp(lname, tn, ll) ||
		    essential_len(tn) != ll)
			continue;
		uint32_t *n = realloc(c->ids, (c->len + 1) * sizeof(*n));
		if (!n)
			return -ENOMEM;
		c->ids = n;
		c->ids[c->len++] = id;
	}
	return 0;
}

static int resolve(struct exobpf_object *obj, const struct btf_ext_core *r, struct cand_list *cands,
		   const struct exobpf_btf *tb, struct core_res *res, const char *where)
{
	const struct exobpf_btf *lb = obj->btf;
	const struct btf_type *lt = btf_type(lb, r->type_id);
	const char *str = btf_str(lb, r->access_str_off);
	struct core_spec *ls = malloc(3 * sizeof(*ls)), *cs = ls + 1, *ts = ls + 2;
	struct core_res cres;
	uint32_t j = 0;
	int err;

	if (!ls)
		return exo_err(ENOMEM, "out of memory");
	if (!lt || r->kind > CORE_TYPE_MATCHES) {
		err = exo_err(EINVAL, "%s: bad type id %u or kind %u", where, r->type_id, r->kind);
		goto out;
	}
	err = parse_spec(lb, r->type_id, str, r->kind, ls);
	if (err) {
		err = exo_err(EINVAL, "%s: parsing [%u] %s %s + %s failed", where, r->type_id,
			      btf_kind_name(btf_kind(lt)), btf_name(lb, lt), str);
		goto out;
	}
	if (r->kind == CORE_TYPE_ID_LOCAL) {
		memset(res, 0, sizeof(*res));
		res->orig_val = res->new_val = r->type_id;
		goto out;
	}
	if (!btf_name(lb, lt)[0]) {
		err =
		    exo_err(EOPNOTSUPP, "%s: <%s> relocations of anonymous types are not supported",
			    where, kind_names[r->kind]);
		goto out;
	}
	for (uint32_t i = 0; i < cands->len; i++) {
		int m = spec_match(ls, tb, cands->ids[i], cs);
		if (m < 0) {
			err = exo_err(-m == EOPNOTSUPP ? EOPNOTSUPP : EINVAL,
				      "%s: matching candidate [%u] failed (%s)", where,
				      cands->ids[i], kind_names[r->kind]);
			goto out;
		}
		if (!m)
			continue;
		if ((err = calc_relo(r->kind, ls, cs, &cres))) {
			err = exo_err(-err, "%s: cannot compute %s", where, kind_names[r->kind]);
			goto out;
		}
		if (j == 0) {
			*res = cres;
			*ts = *cs;
		} else if (cs->bit_offset != ts->bit_offset) {
			err = exo_err(EINVAL, "%s: field offset ambiguity: %u != %u", where,
				      cs->bit_offset, ts->bit_offset);
			goto out;
		} else if (cres.poison != res->poison || cres.new_val != res->new_val) {
			err = exo_err(EINVAL, "%s: relocation decision ambiguity: %llu != %llu",
				      where, (unsigned long long)cres.new_val,
				      (unsigned long long)res->new_val);
			goto out;
		}
		cands->ids[j++] = cands->ids[i];
	}
	if (j > 0)
		cands->len = j;
	else if ((err = calc_relo(r->kind, ls, NULL, res)))
		err = exo_err(-err, "%s: cannot compute %s", where, kind_names[r->kind]);
out:
	free(ls);
	return err;
}

int core_relocate(struct exobpf_object *obj, const struct exobpf_btf *tb)
{
	const struct btf_ext_info *info = &obj->ext.core;
	struct cand_list *cache = NULL;
	uint32_t ncache = 0;
	int err = 0;

	if (!obj->btf)
		return 0;
	for (uint32_t s = 0; s < info->nsecs && !err; s++) {
		const struct btf_ext_sec *es = &info->secs[s];
		const struct elf_sec *sec = elf_sec_by_name(&obj->elf, es->name);

		if (!sec) {
			err = exo_err(EINVAL,
				      "%s: .BTF.ext: CO-RE relocations for missing section %s",
				      obj->path, es->name);
			break; /* the candidate cache is freed below */
		}
		for (uint32_t i = 0; i < es->cnt && !err; i++) {
			const struct btf_ext_core *r = btf_ext_rec(info, es, i);
			struct exobpf_program *p = obj_prog_at(obj, (int)sec->idx, r->insn_off / 8);
			struct cand_list *c = NULL;
			struct core_res res;
			char where[512];

			if (!p || (!p->autoload && !p->is_subprog))
				continue; /* code of no program we load */
			uint32_t idx = r->insn_off / 8 - p->sec_insn_off;
			snprintf(where, sizeof(where), "%s: program %s: CO-RE relocation #%u (%s)",
				 obj->path, p->name, i,
				 r->kind <= CORE_TYPE_MATCHES ? kind_names[r->kind] : "?");
			if (r->kind != CORE_TYPE_ID_LOCAL) {
				for (uint32_t k = 0; k < ncache; k++)
					if (cache[k].local_id == r->type_id)
						c = &cache[k];
				if (!c) {
					void *n = realloc(cache, (ncache + 1) * sizeof(*cache));
					if (!n) {
						err = exo_err(ENOMEM, "out of memory");
						break;
					}
					cache = n;
					c = &cache[ncache++];
					if (!btf_type(obj->btf, r->type_id) ||
					    find_cands(obj->btf, r->type_id, tb, c)) {
						c->ids = NULL;
						c->len = 0;
						if (!btf_type(obj->btf, r->type_id)) {
							err = exo_err(EINVAL,
								      "%s: type id %u is void",
								      where, r->type_id);
							break;
						}
					}
				}
			}
			struct cand_list none = {0};
			err = resolve(obj, r, c ? c : &none, tb, &res, where);
			err = err ?: patch(p, idx, &res, where);
		}
	}
	for (uint32_t k = 0; k < ncache; k++)
		free(cache[k].ids);
	free(cache);
	return err;
}
