/* The assembler. Linux syntax is the kernel's own output format, so its
 * conventions decide ambiguities: "r1 = 5" (decimal) is a mov and
 * "r1 = 0x5" (hex, as the kernel prints lddw) or "r1 = 5 ll" is an lddw.
 * uBPF syntax follows the bpf_conformance assembler, including its rule that
 * an undefined label "exit" means the program's first exit instruction. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "isa/asm.h"
#include "isa/disasm.h"

#define MAX_LABEL 64

struct label {
	char name[MAX_LABEL];
	size_t slot;
};

struct fixup {
	char name[MAX_LABEL];
	size_t slot;
	int line;
	bool imm; /* target goes to imm (gotol, local call) rather than off */
};

struct asm_state {
	const char *name;
	int line;
	const struct isa_asm_cbs *cbs;
	struct bpf_insn *insns;
	size_t cnt, cap;
	struct label *labels;
	size_t nlabels, labels_cap;
	struct fixup *fixups;
	size_t nfixups, fixups_cap;
};

struct cur {
	const char *p;
};

static int asm_error(struct asm_state *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int asm_error(struct asm_state *st, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return exo_err(EINVAL, "%s:%d: %s", st->name, st->line, msg);
}

static bool grow(void **arr, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return true;
	size_t ncap = *cap ? *cap * 2 : 64;
	while (ncap < need)
		ncap *= 2;
	void *n = realloc(*arr, ncap * elem);
	if (!n)
		return false;
	*arr = n;
	*cap = ncap;
	return true;
}

static int emit(struct asm_state *st, struct bpf_insn insn)
{
	if (!grow((void **)&st->insns, &st->cap, st->cnt + 1, sizeof(insn)))
		return exo_err(ENOMEM, "%s: out of memory", st->name);
	st->insns[st->cnt++] = insn;
	return 0;
}

static int emit_lddw(struct asm_state *st, int dst, int src, uint64_t imm)
{
	struct bpf_insn lo = isa_encode(ISA_LDDW, dst, src, 0, (int32_t)(uint32_t)imm);
	struct bpf_insn hi = {.imm = (int32_t)(uint32_t)(imm >> 32)};
	int err = emit(st, lo);

	return err ? err : emit(st, hi);
}

/* ---- lexing ---- */

static void skip_ws(struct cur *c)
{
	while (*c->p == ' ' || *c->p == '\t')
		c->p++;
}

static bool is_ident(char ch)
{
	return isalnum((unsigned char)ch) || ch == '_' || ch == '.' || ch == '$';
}

static bool at_end(struct cur *c)
{
	skip_ws(c);
	return *c->p == '\0';
}

/* Match literal punctuation s (after blanks). */
static bool eat(struct cur *c, const char *s)
{
	size_t n = strlen(s);

	skip_ws(c);
	if (strncmp(c->p, s, n))
		return false;
	c->p += n;
	return true;
}

/* Match a whole word. */
static bool eat_word(struct cur *c, const char *w)
{
	size_t n = strlen(w);

	skip_ws(c);
	if (strncmp(c->p, w, n) || is_ident(c->p[n]))
		return false;
	c->p += n;
	return true;
}

static bool ident(struct cur *c, char *buf, size_t size)
{
	size_t n = 0;

	skip_ws(c);
	if (!is_ident(*c->p) || isdigit((unsigned char)*c->p))
		return false;
	while (is_ident(c->p[n]))
		n++;
	if (n >= size)
		return false;
	memcpy(buf, c->p, n);
	buf[n] = '\0';
	c->p += n;
	return true;
}

/* A register: prefix 'r', 'w' or '%r' ("%r" written as '%'). */
static bool reg(struct cur *c, char prefix, int *r)
{
	const char *p;
	char *end;
	long v;

	skip_ws(c);
	p = c->p;
	if (prefix == '%') {
		if (p[0] != '%' || p[1] != 'r')
			return false;
		p += 2;
	} else {
		if (*p != prefix)
			return false;
		p++;
	}
	if (!isdigit((unsigned char)*p))
		return false;
	v = strtol(p, &end, 10);
	if (is_ident(*end))
		return false;
	*r = (int)(v > 99 ? 99 : v);
	c->p = end;
	return true;
}

struct num {
	uint64_t mag; /* magnitude */
	bool neg, hex;
	const char *text;
	int len;
};

static bool number(struct cur *c, struct num *n)
{
	const char *p;
	char *end;

	skip_ws(c);
	p = c->p;
	n->text = p;
	n->neg = false;
	if (*p == '+' || *p == '-')
		n->neg = *p++ == '-';
	if (!isdigit((unsigned char)*p))
		return false;
	n->hex = p[0] == '0' && (p[1] == 'x' || p[1] == 'X');
	errno = 0;
	n->mag = strtoull(p, &end, n->hex ? 16 : 10);
	if (errno == ERANGE || is_ident(*end))
		return false;
	n->len = (int)(end - n->text);
	c->p = end;
	return true;
}

/* A 32-bit immediate: decimal in int32 range, hex up to 0xffffffff. */
static int imm32(struct asm_state *st, const struct num *n, int32_t *out)
{
	uint64_t lim = n->neg ? 0x80000000ull : (n->hex ? 0xffffffffull : 0x7fffffffull);

	if (n->mag > lim)
		return asm_error(st, "immediate out of 32-bit range: %.*s", n->len, n->text);
	*out = (int32_t)(uint32_t)(n->neg ? -n->mag : n->mag);
	return 0;
}

static int off16(struct asm_state *st, const struct num *n, int *out)
{
	if (n->mag > (n->neg ? 32768u : 32767u))
		return asm_error(st, "offset out of 16-bit range: %.*s", n->len, n->text);
	*out = n->neg ? -(int)n->mag : (int)n->mag;
	return 0;
}

static int check_reg(struct asm_state *st, int r)
{
	if (r > 10)
		return asm_error(st, "invalid register r%d (r0-r10 exist)", r);
	return 0;
}

/* ---- rows by name ---- */

static int find_row(enum isa_shape shape, unsigned cls, const char *linux_op)
{
	for (int op = 0; op < ISA_NR_OPS; op++) {
		const struct isa_row *row = &isa_rows[op];

		if (row->shape == shape && isa_class(row->code) == cls &&
		    !strcmp(row->lxword, linux_op) && (row->key != ISA_KEY_OFF || row->keyval <= 1))
			return op;
	}
	return -1;
}

/* ---- jump targets ---- */

static int add_fixup(struct asm_state *st, const char *label, bool imm)
{
	if (!grow((void **)&st->fixups, &st->fixups_cap, st->nfixups + 1, sizeof(struct fixup)))
		return exo_err(ENOMEM, "%s: out of memory", st->name);
	struct fixup *f = &st->fixups[st->nfixups++];
	snprintf(f->name, sizeof(f->name), "%s", label);
	f->slot = st->cnt;
	f->line = st->line;
	f->imm = imm;
	return 0;
}

/* A target: a signed number (already relative) or a label. pc_prefix: Linux's
 * "pc+3" form. Sets *rel or registers a fixup for the next emitted insn. */
static int target(struct asm_state *st, struct cur *c, bool pc_prefix, bool imm, int32_t *rel)
{
	char name[MAX_LABEL];
	struct num n;
	int off = 0;

	*rel = 0;
	skip_ws(c);
	if (pc_prefix && c->p[0] == 'p' && c->p[1] == 'c' && (c->p[2] == '+' || c->p[2] == '-')) {
		c->p += 2;
		if (!number(c, &n))
			return asm_error(st, "bad jump offset");
	} else if (!number(c, &n)) {
		if (!ident(c, name, sizeof(name)))
			return asm_error(st, "expected a jump target");
		return add_fixup(st, name, imm);
	}
	if (imm) {
		int32_t v = 0;
		int err = imm32(st, &n, &v);
		*rel = v;
		return err;
	}
	int err = off16(st, &n, &off);
	*rel = off;
	return err;
}

/* ---- shared operand forms ---- */

static int size_word(struct cur *c, const char **sz)
{
	static const char *const sizes[] = {"u8", "u16", "u32", "u64", "s8", "s16", "s32"};

	skip_ws(c);
	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		if (eat_word(c, sizes[i])) {
			*sz = sizes[i];
			return 0;
		}
	return -1;
}

/* Linux memory operand after "*(SIZE *)": "(r1 +4)". */
static int linux_mem(struct asm_state *st, struct cur *c, int *r, int *off)
{
	struct num n;

	if (!eat(c, "(") || !reg(c, 'r', r))
		return asm_error(st, "expected (rN +off)");
	*off = 0;
	if (number(c, &n)) {
		if (!n.neg && *(n.text) != '+')
			return asm_error(st, "expected +off or -off after r%d", *r);
		int err = off16(st, &n, off);
		if (err)
			return err;
	}
	if (!eat(c, ")"))
		return asm_error(st, "expected ')'");
	return check_reg(st, *r);
}

/* "map[fd:3]", "map[fd:3][0]+8", "map[idx:1]", "map[idx:1][0]+8", "btf_id[5]", "func[pc+3]". */
static int pseudo_imm(struct asm_state *st, struct cur *c, int dst)
{
	struct num n, v = {0};
	int32_t a = 0, b = 0;
	int src, err = 0;

	if (eat(c, "map[")) {
		bool idx = eat(c, "idx:");
		if (!idx && !eat(c, "fd:"))
			return asm_error(st, "expected map[fd:N] or map[idx:N]");
		if (!number(c, &n) || !eat(c, "]"))
			return asm_error(st, "bad map reference");
		src = idx ? BPF_PSEUDO_MAP_IDX : BPF_PSEUDO_MAP_FD;
		if (eat(c, "[0]+")) {
			if (!number(c, &v))
				return asm_error(st, "bad map value offset");
			src = idx ? BPF_PSEUDO_MAP_IDX_VALUE : BPF_PSEUDO_MAP_VALUE;
		}
		if ((err = imm32(st, &n, &a)) || (err = imm32(st, &v, &b)))
			return err;
	} else if (eat(c, "btf_id[")) {
		if (!number(c, &n) || !eat(c, "]"))
			return asm_error(st, "bad btf_id reference");
		if ((err = imm32(st, &n, &a)))
			return err;
		src = BPF_PSEUDO_BTF_ID;
	} else if (eat(c, "func[")) {
		if ((err = target(st, c, true, true, &a)))
			return err;
		if (!eat(c, "]"))
			return asm_error(st, "expected ']'");
		src = BPF_PSEUDO_FUNC;
	} else {
		return 1; /* not a pseudo form */
	}
	return emit_lddw(st, dst, src, (uint64_t)(uint32_t)a | (uint64_t)(uint32_t)b << 32);
}

static int64_t imm64_value(const struct num *n)
{
	return n->neg ? -(int64_t)n->mag : (int64_t)n->mag;
}

/* ---- Linux syntax ---- */

static int linux_call(struct asm_state *st, struct cur *c)
{
	char name[MAX_LABEL];
	struct num n;
	int32_t imm = 0;
	int err = 0;

	skip_ws(c);
	if (c->p[0] == 'p' && c->p[1] == 'c' && (c->p[2] == '+' || c->p[2] == '-')) {
		if ((err = target(st, c, true, true, &imm)))
			return err;
		return emit(st, isa_encode(ISA_CALL_LOCAL, 0, 0, 0, imm));
	}
	if (eat(c, "kernel-function#")) {
		if (!number(c, &n) || (err = imm32(st, &n, &imm)))
			return err ? err : asm_error(st, "expected kfunc id");
		return emit(st, isa_encode(ISA_CALL_KFUNC, 0, 0, 0, imm));
	}
	if (number(c, &n)) {
		if ((err = imm32(st, &n, &imm)))
			return err;
		return emit(st, isa_encode(ISA_CALL, 0, 0, 0, imm));
	}
	if (!ident(c, name, sizeof(name)))
		return asm_error(st, "expected a helper, pc+N or a label after call");
	if (eat(c, "#")) {
		if (!number(c, &n) || (err = imm32(st, &n, &imm)))
			return err ? err : asm_error(st, "expected helper id after '#'");
		return emit(st, isa_encode(ISA_CALL, 0, 0, 0, imm));
	}
	int32_t id = st->cbs && st->cbs->helper_id ? st->cbs->helper_id(st->cbs->priv, name) : -1;
	if (id >= 0)
		return emit(st, isa_encode(ISA_CALL, 0, 0, 0, id));
	if ((err = add_fixup(st, name, true)))
		return err;
	return emit(st, isa_encode(ISA_CALL_LOCAL, 0, 0, 0, 0));
}

static int linux_if(struct asm_state *st, struct cur *c)
{
	static const char *const ops[] = {"s>=", "s<=", "s>", "s<", "==", "!=",
					  ">=",	 "<=",	">",  "<",  "&"};
	const char *op = NULL;
	int dst, src, err = 0;
	char pfx = 'r';
	struct num n;
	int32_t imm = 0, rel = 0;

	if (!reg(c, 'r', &dst)) {
		if (!reg(c, 'w', &dst))
			return asm_error(st, "expected a register after 'if'");
		pfx = 'w';
	}
	for (unsigned i = 0; i < sizeof(ops) / sizeof(ops[0]) && !op; i++)
		if (eat(c, ops[i]))
			op = ops[i];
	if (!op)
		return asm_error(st, "expected a comparison operator");
	unsigned cls = pfx == 'w' ? BPF_JMP32 : BPF_JMP;
	bool is_reg = reg(c, pfx, &src);
	if (!is_reg) {
		if (!number(c, &n))
			return asm_error(st, "expected a register or an immediate");
		if ((err = imm32(st, &n, &imm)))
			return err;
	}
	if (!eat_word(c, "goto"))
		return asm_error(st, "expected 'goto'");
	if ((err = check_reg(st, dst)) || (is_reg && (err = check_reg(st, src))))
		return err;
	if ((err = target(st, c, true, false, &rel)))
		return err;
	int row = find_row(is_reg ? ISA_SHAPE_JMP_X : ISA_SHAPE_JMP_K, cls, op);
	return emit(st, isa_encode(row, dst, is_reg ? src : 0, rel, imm));
}

static int linux_atomic_call(struct asm_state *st, struct cur *c, int dst, const char *fn)
{
	const char *sz = NULL;
	int mreg, off, src, op = -1, err = 0;

	for (int i = 0; i < ISA_NR_OPS; i++)
		if (isa_rows[i].shape == ISA_SHAPE_ATOMIC && !strcmp(isa_rows[i].lxword, fn))
			op = i;
	if (op < 0)
		return asm_error(st, "unknown atomic operation '%s'", fn);
	if (!eat(c, "((") || size_word(c, &sz) || !eat(c, "*)"))
		return asm_error(st, "expected ((SIZE *)(rN +off), ...)");
	if ((err = linux_mem(st, c, &mreg, &off)))
		return err;
	if (strcmp(sz, isa_is_atomic64(op) ? "u64" : "u32"))
		return asm_error(st, "%s takes a %s pointer", fn, isa_is_atomic64(op) ? "u64" : "u32");
	if (!eat(c, ","))
		return asm_error(st, "expected ','");
	if (isa_rows[op].keyval == BPF_CMPXCHG) {
		int r0;
		if (!reg(c, 'r', &r0) || r0 != 0 || dst != 0 || !eat(c, ","))
			return asm_error(st, "cmpxchg is written r0 = %s((SIZE *)(rN +off), r0, rM)", fn);
	}
	if (!reg(c, 'r', &src) || !eat(c, ")"))
		return asm_error(st, "expected rN)");
	if (isa_rows[op].keyval != BPF_CMPXCHG && src != dst)
		return asm_error(st, "%s returns into its operand register r%d", fn, src);
	if ((err = check_reg(st, src)))
		return err;
	return emit(st, isa_encode(op, mreg, src, off, 0));
}

/* Everything that starts with "rN" or "wN". */
static int linux_assign(struct asm_state *st, struct cur *c, int dst, char pfx)
{
	static const char *const aluops[] = {"s>>=", "s/=", "s%=", "<<=", ">>=", "+=", "-=",
					     "*=",   "/=",  "|=",  "&=",  "%=",	 "^="};
	unsigned cls = pfx == 'w' ? BPF_ALU : BPF_ALU64;
	char word[MAX_LABEL];
	const char *sz;
	struct num n;
	int src, off, err = 0;
	int32_t imm = 0;

	if ((err = check_reg(st, dst)))
		return err;
	for (unsigned i = 0; i < sizeof(aluops) / sizeof(aluops[0]); i++) {
		if (!eat(c, aluops[i]))
			continue;
		if (reg(c, pfx, &src)) {
			if ((err = check_reg(st, src)))
				return err;
			return emit(st, isa_encode(find_row(ISA_SHAPE_ALU_X, cls, aluops[i]), dst, src, 0, 0));
		}
		if (!number(c, &n))
			return asm_error(st, "expected a register or an immediate after '%s'", aluops[i]);
		if ((err = imm32(st, &n, &imm)))
			return err;
		return emit(st, isa_encode(find_row(ISA_SHAPE_ALU_K, cls, aluops[i]), dst, 0, 0, imm));
	}
	if (!eat(c, "="))
		return asm_error(st, "expected an assignment after %c%d", pfx, dst);

	struct cur t = *c;
	if (eat(&t, "-") && reg(&t, pfx, &src)) { /* neg */
		*c = t;
		if (src != dst)
			return asm_error(st, "negation is written %c%d = -%c%d", pfx, dst, pfx, dst);
		return emit(st, isa_encode(pfx == 'w' ? ISA_NEG32 : ISA_NEG64, dst, 0, 0, 0));
	}
	for (int op = 0; op < ISA_NR_OPS; op++) { /* (s8)rN */
		const struct isa_row *row = &isa_rows[op];
		if (row->shape == ISA_SHAPE_MOVSX && isa_class(row->code) == cls && eat(c, row->lxword)) {
			if (!reg(c, pfx, &src))
				return asm_error(st, "expected %cN after %s", pfx, row->lxword);
			if ((err = check_reg(st, src)))
				return err;
			return emit(st, isa_encode(op, dst, src, 0, 0));
		}
	}
	if (eat(c, "*(")) { /* loads */
		if (size_word(c, &sz) || !eat(c, "*)"))
			return asm_error(st, "expected *(SIZE *)");
		if (eat(c, "skb[")) {
			bool ind = reg(c, 'r', &src);
			if (ind && !eat(c, "+"))
				return asm_error(st, "expected skb[rN + imm]");
			if (!number(c, &n) || (err = imm32(st, &n, &imm)) || !eat(c, "]"))
				return err ? err : asm_error(st, "expected skb[imm]");
			if (dst != 0)
				return asm_error(st, "packet loads write r0");
			for (int op = 0; op < ISA_NR_OPS; op++)
				if (isa_rows[op].shape == (ind ? ISA_SHAPE_LDIND : ISA_SHAPE_LDABS) &&
				    !strcmp(isa_rows[op].lxword, sz))
					return emit(st, isa_encode(op, 0, ind ? src : 0, 0, imm));
			return asm_error(st, "no packet load of size %s", sz);
		}
		if ((err = linux_mem(st, c, &src, &off)))
			return err;
		for (int op = 0; op < ISA_NR_OPS; op++)
			if (isa_rows[op].shape == ISA_SHAPE_LDX && !strcmp(isa_rows[op].lxword, sz))
				return emit(st, isa_encode(op, dst, src, off, 0));
		return asm_error(st, "no load of size %s", sz);
	}
	if (reg(c, pfx, &src)) { /* mov */
		if ((err = check_reg(st, src)))
			return err;
		return emit(st, isa_encode(pfx == 'w' ? ISA_MOV32_X : ISA_MOV64_X, dst, src, 0, 0));
	}
	if ((err = pseudo_imm(st, c, dst)) <= 0)
		return err;
	if (number(c, &n)) {
		bool ll = eat_word(c, "ll");
		if (pfx == 'r' && (ll || n.hex)) {
			if (!n.neg || n.mag <= (1ull << 63))
				return emit_lddw(st, dst, 0, (uint64_t)imm64_value(&n));
			return asm_error(st, "immediate out of 64-bit range: %.*s", n.len, n.text);
		}
		if ((err = imm32(st, &n, &imm)))
			return err;
		return emit(st, isa_encode(pfx == 'w' ? ISA_MOV32_K : ISA_MOV64_K, dst, 0, 0, imm));
	}
	if (ident(c, word, sizeof(word))) {
		for (int op = 0; op < ISA_NR_OPS; op++) { /* be16 rN, bswap32 rN */
			const struct isa_row *row = &isa_rows[op];
			char full[32];
			if (row->shape != ISA_SHAPE_END)
				continue;
			snprintf(full, sizeof(full), "%s%d", row->lxword, row->keyval);
			if (strcmp(full, word))
				continue;
			if (!reg(c, 'r', &src) || src != dst)
				return asm_error(st, "byte swaps are written r%d = %s r%d", dst, full, dst);
			return emit(st, isa_encode(op, dst, 0, 0, 0));
		}
		skip_ws(c);
		if (*c->p == '(')
			return linux_atomic_call(st, c, dst, word);
		return asm_error(st, "unknown operation '%s'", word);
	}
	return asm_error(st, "cannot parse the right-hand side");
}

static int linux_store(struct asm_state *st, struct cur *c, bool lock)
{
	const char *sz = NULL;
	int dst, src, off, err = 0;
	struct num n;
	int32_t imm = 0;

	if (size_word(c, &sz) || !eat(c, "*)"))
		return asm_error(st, "expected *(SIZE *)");
	if ((err = linux_mem(st, c, &dst, &off)))
		return err;
	if (lock) {
		static const char *const ops[] = {"+=", "|=", "&=", "^="};
		for (unsigned i = 0; i < 4; i++) {
			if (!eat(c, ops[i]))
				continue;
			if (!reg(c, 'r', &src) || (err = check_reg(st, src)))
				return err ? err : asm_error(st, "expected rN after %s", ops[i]);
			for (int op = 0; op < ISA_NR_OPS; op++)
				if (isa_rows[op].shape == ISA_SHAPE_ATOMIC &&
				    !strcmp(isa_rows[op].lxword, ops[i]) &&
				    !strcmp(sz, isa_is_atomic64(op) ? "u64" : "u32"))
					return emit(st, isa_encode(op, dst, src, off, 0));
			return asm_error(st, "atomic operations take u32 or u64");
		}
		return asm_error(st, "expected +=, |=, &= or ^= after lock");
	}
	if (!eat(c, "="))
		return asm_error(st, "expected '='");
	bool is_reg = reg(c, 'r', &src);
	if (!is_reg) {
		if (!number(c, &n))
			return asm_error(st, "expected a register or an immediate");
		if ((err = imm32(st, &n, &imm)))
			return err;
	} else if ((err = check_reg(st, src))) {
		return err;
	}
	for (int op = 0; op < ISA_NR_OPS; op++)
		if (isa_rows[op].shape == (is_reg ? ISA_SHAPE_STX : ISA_SHAPE_ST) &&
		    !strcmp(isa_rows[op].lxword, sz))
			return emit(st, isa_encode(op, dst, is_reg ? src : 0, off, is_reg ? 0 : imm));
	return asm_error(st, "no store of size %s", sz);
}

static int parse_linux(struct asm_state *st, struct cur *c)
{
	int32_t rel;
	int r, err = 0;

	if (eat_word(c, "exit"))
		return emit(st, isa_encode(ISA_EXIT, 0, 0, 0, 0));
	if (eat_word(c, "gotol")) {
		if ((err = target(st, c, true, true, &rel)))
			return err;
		return emit(st, isa_encode(ISA_JA32, 0, 0, 0, rel));
	}
	if (eat_word(c, "goto")) {
		if ((err = target(st, c, true, false, &rel)))
			return err;
		return emit(st, isa_encode(ISA_JA, 0, 0, rel, 0));
	}
	if (eat_word(c, "callx")) {
		if (!reg(c, 'r', &r) || (err = check_reg(st, r)))
			return err ? err : asm_error(st, "expected a register after callx");
		return emit(st, isa_encode(ISA_CALLX, r, 0, 0, 0));
	}
	if (eat_word(c, "call"))
		return linux_call(st, c);
	if (eat_word(c, "if"))
		return linux_if(st, c);
	if (eat_word(c, "lock")) {
		if (!eat(c, "*("))
			return asm_error(st, "expected *( after lock");
		return linux_store(st, c, true);
	}
	if (eat(c, "*("))
		return linux_store(st, c, false);
	if (reg(c, 'r', &r))
		return linux_assign(st, c, r, 'r');
	if (reg(c, 'w', &r))
		return linux_assign(st, c, r, 'w');
	return asm_error(st, "cannot parse instruction");
}

/* ---- uBPF syntax ---- */

#define MAX_OPS 4

struct operands {
	char v[MAX_OPS][96];
	int n;
};

static int split_operands(struct asm_state *st, const char *p, struct operands *ops)
{
	ops->n = 0;
	while (*p == ' ' || *p == '\t')
		p++;
	if (!*p)
		return 0;
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		while (len && (*p == ' ' || *p == '\t'))
			p++, len--;
		if (ops->n == MAX_OPS || len >= sizeof(ops->v[0]))
			return asm_error(st, "too many or too long operands");
		memcpy(ops->v[ops->n], p, len);
		ops->v[ops->n++][len] = '\0';
		if (!comma)
			return 0;
		p = comma + 1;
	}
}

static int ub_reg(struct asm_state *st, const char *s, int *r)
{
	struct cur c = {s};

	if (!reg(&c, '%', r) || !at_end(&c))
		return asm_error(st, "invalid register: %s", s);
	return check_reg(st, *r);
}

static int ub_imm(struct asm_state *st, const char *s, int32_t *v)
{
	struct cur c = {s};
	struct num n;

	if (!number(&c, &n) || !at_end(&c))
		return asm_error(st, "invalid immediate: %s", s);
	return imm32(st, &n, v);
}

/* "[%r1+4]", "[%r1-4]", "[%r1]" */
static int ub_mem(struct asm_state *st, const char *s, int *r, int *off)
{
	struct cur c = {s};
	struct num n;

	*off = 0;
	if (!eat(&c, "[") || !reg(&c, '%', r))
		return asm_error(st, "failed to decode register and offset: %s", s);
	if (number(&c, &n)) {
		if (!n.neg && *n.text != '+')
			return asm_error(st, "failed to decode register and offset: %s", s);
		if (n.mag > (n.neg ? 32768u : 32767u))
			return asm_error(st, "offset out of 16-bit range: %s", s);
		*off = n.neg ? -(int)n.mag : (int)n.mag;
	}
	if (!eat(&c, "]") || !at_end(&c))
		return asm_error(st, "failed to decode register and offset: %s", s);
	return check_reg(st, *r);
}

static int ub_target(struct asm_state *st, const char *s, bool imm, int32_t *rel)
{
	struct cur c = {s};
	int err = target(st, &c, false, imm, rel);

	if (!err && !at_end(&c))
		return asm_error(st, "invalid jump target: %s", s);
	return err;
}

static int ub_count(struct asm_state *st, const char *mn, const struct operands *ops, int want)
{
	if (ops->n != want)
		return asm_error(st, "invalid number of operands for mnemonic: %s", mn);
	return 0;
}

static bool is_reg_text(const char *s)
{
	return s[0] == '%';
}

static int parse_ubpf_lock(struct asm_state *st, const char *rest)
{
	struct cur c = {rest};
	char mn[32], full[40];
	struct operands ops;
	int dst, src, off, err = 0;

	bool fetch = eat_word(&c, "fetch");
	if (!ident(&c, mn, sizeof(mn)))
		return asm_error(st, "invalid number of operands for lock");
	snprintf(full, sizeof(full), "%s%s", fetch ? "fetch " : "", mn);
	int op = -1;
	for (int i = 0; i < ISA_NR_OPS; i++)
		if (isa_rows[i].shape == ISA_SHAPE_ATOMIC && !strcmp(isa_rows[i].ubpf, full))
			op = i;
	if (op < 0)
		return asm_error(st, "invalid atomic operation: %s", full);
	if ((err = split_operands(st, c.p, &ops)) || (err = ub_count(st, mn, &ops, 2)))
		return err;
	if ((err = ub_mem(st, ops.v[0], &dst, &off)) || (err = ub_reg(st, ops.v[1], &src)))
		return err;
	return emit(st, isa_encode(op, dst, src, off, 0));
}

static int parse_ubpf(struct asm_state *st, struct cur *c)
{
	char mn[32];
	struct operands ops;
	int dst, src, off, err = 0;
	int32_t imm = 0, rel = 0;

	if (!ident(c, mn, sizeof(mn)))
		return asm_error(st, "invalid mnemonic: %s", c->p);
	if (!strcmp(mn, "lock")) {
		if (at_end(c))
			return asm_error(st, "invalid number of operands for lock");
		return parse_ubpf_lock(st, c->p);
	}
	if (!strcmp(mn, "call")) {
		if (eat_word(c, "local")) {
			if ((err = ub_target(st, c->p, true, &rel)))
				return err;
			return emit(st, isa_encode(ISA_CALL_LOCAL, 0, 0, 0, rel));
		}
		if (eat_word(c, "kfunc")) {
			if ((err = split_operands(st, c->p, &ops)))
				return err;
			if (ops.n < 1 || ops.n > 2)
				return asm_error(st, "invalid number of operands for mnemonic: call kfunc");
			if ((err = ub_imm(st, ops.v[0], &imm)) ||
			    (ops.n == 2 && (err = ub_imm(st, ops.v[1], &rel))))
				return err;
			if (rel < -32768 || rel > 32767)
				return asm_error(st, "offset out of 16-bit range: %s", ops.v[1]);
			return emit(st, isa_encode(ISA_CALL_KFUNC, 0, 0, ops.n == 2 ? rel : 0, imm));
		}
		if ((err = split_operands(st, c->p, &ops)) || (err = ub_count(st, mn, &ops, 1)))
			return err;
		if (is_reg_text(ops.v[0])) {
			if ((err = ub_reg(st, ops.v[0], &dst)))
				return err;
			return emit(st, isa_encode(ISA_CALLX, dst, 0, 0, 0));
		}
		if ((err = ub_imm(st, ops.v[0], &imm)))
			return err;
		return emit(st, isa_encode(ISA_CALL, 0, 0, 0, imm));
	}
	const char *name = mn;
	char alias[40];
	if (!strncmp(mn, "swap", 4)) { /* swapN is bswapN */
		snprintf(alias, sizeof(alias), "b%s", mn);
		name = alias;
	}
	if ((err = split_operands(st, c->p, &ops)))
		return err;

	int op_k = -1, op_x = -1;
	for (int i = 0; i < ISA_NR_OPS; i++) {
		const struct isa_row *row = &isa_rows[i];
		if (row->shape == ISA_SHAPE_ATOMIC || strcmp(row->ubpf, name))
			continue;
		if (row->shape == ISA_SHAPE_ALU_X || row->shape == ISA_SHAPE_JMP_X)
			op_x = i;
		else if (op_k < 0)
			op_k = i;
	}
	if (op_k < 0 && op_x < 0)
		return asm_error(st, "invalid mnemonic: %s", mn);
	int op = op_k >= 0 ? op_k : op_x;

	switch ((enum isa_shape)isa_rows[op].shape) {
	case ISA_SHAPE_ALU_K:
	case ISA_SHAPE_ALU_X:
		if ((err = ub_count(st, mn, &ops, 2)) || (err = ub_reg(st, ops.v[0], &dst)))
			return err;
		if (is_reg_text(ops.v[1])) {
			if (op_x < 0)
				return asm_error(st, "%s takes an immediate", mn);
			if ((err = ub_reg(st, ops.v[1], &src)))
				return err;
			return emit(st, isa_encode(op_x, dst, src, 0, 0));
		}
		if ((err = ub_imm(st, ops.v[1], &imm)))
			return err;
		return emit(st, isa_encode(op_k, dst, 0, 0, imm));
	case ISA_SHAPE_MOVSX:
		if ((err = ub_count(st, mn, &ops, 2)) || (err = ub_reg(st, ops.v[0], &dst)) ||
		    (err = ub_reg(st, ops.v[1], &src)))
			return err;
		return emit(st, isa_encode(op, dst, src, 0, 0));
	case ISA_SHAPE_NEG:
	case ISA_SHAPE_END:
		if ((err = ub_count(st, mn, &ops, 1)) || (err = ub_reg(st, ops.v[0], &dst)))
			return err;
		return emit(st, isa_encode(op, dst, 0, 0, 0));
	case ISA_SHAPE_JA:
		if ((err = ub_count(st, mn, &ops, 1)) || (err = ub_target(st, ops.v[0], false, &rel)))
			return err;
		return emit(st, isa_encode(op, 0, 0, rel, 0));
	case ISA_SHAPE_JA32:
		if ((err = ub_count(st, mn, &ops, 1)) || (err = ub_target(st, ops.v[0], true, &rel)))
			return err;
		return emit(st, isa_encode(op, 0, 0, 0, rel));
	case ISA_SHAPE_JMP_K:
	case ISA_SHAPE_JMP_X:
		if ((err = ub_count(st, mn, &ops, 3)) || (err = ub_reg(st, ops.v[0], &dst)))
			return err;
		if (is_reg_text(ops.v[1])) {
			if ((err = ub_reg(st, ops.v[1], &src)) ||
			    (err = ub_target(st, ops.v[2], false, &rel)))
				return err;
			return emit(st, isa_encode(op_x, dst, src, rel, 0));
		}
		if ((err = ub_imm(st, ops.v[1], &imm)) ||
		    (err = ub_target(st, ops.v[2], false, &rel)))
			return err;
		return emit(st, isa_encode(op_k, dst, 0, rel, imm));
	case ISA_SHAPE_EXIT:
		if ((err = ub_count(st, mn, &ops, 0)))
			return err;
		return emit(st, isa_encode(op, 0, 0, 0, 0));
	case ISA_SHAPE_LDDW: {
		struct num n;
		if ((err = ub_count(st, mn, &ops, 2)) || (err = ub_reg(st, ops.v[0], &dst)))
			return err;
		struct cur v = {ops.v[1]};
		if ((err = pseudo_imm(st, &v, dst)) <= 0)
			return err;
		if (!number(&v, &n) || !at_end(&v))
			return asm_error(st, "invalid 64-bit immediate: %s", ops.v[1]);
		if (n.neg && n.mag > (1ull << 63))
			return asm_error(st, "immediate out of 64-bit range: %s", ops.v[1]);
		return emit_lddw(st, dst, 0, (uint64_t)imm64_value(&n));
	}
	case ISA_SHAPE_LDABS:
		if ((err = ub_count(st, mn, &ops, 1)) || (err = ub_imm(st, ops.v[0], &imm)))
			return err;
		return emit(st, isa_encode(op, 0, 0, 0, imm));
	case ISA_SHAPE_LDIND:
		if ((err = ub_count(st, mn, &ops, 2)) || (err = ub_reg(st, ops.v[0], &src)) ||
		    (err = ub_imm(st, ops.v[1], &imm)))
			return err;
		return emit(st, isa_encode(op, 0, src, 0, imm));
	case ISA_SHAPE_LDX:
		if ((err = ub_count(st, mn, &ops, 2)) || (err = ub_reg(st, ops.v[0], &dst)) ||
		    (err = ub_mem(st, ops.v[1], &src, &off)))
			return err;
		return emit(st, isa_encode(op, dst, src, off, 0));
	case ISA_SHAPE_ST:
		if ((err = ub_count(st, mn, &ops, 2)) || (err = ub_mem(st, ops.v[0], &dst, &off)) ||
		    (err = ub_imm(st, ops.v[1], &imm)))
			return err;
		return emit(st, isa_encode(op, dst, 0, off, imm));
	case ISA_SHAPE_STX:
		if ((err = ub_count(st, mn, &ops, 2)) || (err = ub_mem(st, ops.v[0], &dst, &off)) ||
		    (err = ub_reg(st, ops.v[1], &src)))
			return err;
		return emit(st, isa_encode(op, dst, src, off, 0));
	default:
		return asm_error(st, "invalid mnemonic: %s", mn);
	}
}

/* ---- lines ---- */

/* Strip a comment: ';', "//", or '#' at line start or after a blank
 * (Linux syntax uses '#' inside "call name#id"). */
static void strip_comment(char *s)
{
	for (char *p = s; *p; p++) {
		if (*p == ';' || (p[0] == '/' && p[1] == '/') ||
		    (*p == '#' && (p == s || p[-1] == ' ' || p[-1] == '\t'))) {
			*p = '\0';
			return;
		}
	}
}

/* Skip a "12: (b7) " prefix as printed by the verifier log and bpftool. */
static void skip_listing_prefix(struct cur *c)
{
	const char *p = c->p;

	while (*p == ' ' || *p == '\t')
		p++;
	if (!isdigit((unsigned char)*p))
		return;
	while (isdigit((unsigned char)*p))
		p++;
	if (*p != ':')
		return;
	p++;
	while (*p == ' ')
		p++;
	if (p[0] == '(' && isxdigit((unsigned char)p[1]) && isxdigit((unsigned char)p[2]) &&
	    p[3] == ')')
		p += 4;
	c->p = p;
}

static int define_label(struct asm_state *st, const char *name)
{
	for (size_t i = 0; i < st->nlabels; i++)
		if (!strcmp(st->labels[i].name, name))
			return asm_error(st, "label '%s' defined twice", name);
	if (!grow((void **)&st->labels, &st->labels_cap, st->nlabels + 1, sizeof(struct label)))
		return exo_err(ENOMEM, "%s: out of memory", st->name);
	snprintf(st->labels[st->nlabels].name, MAX_LABEL, "%s", name);
	st->labels[st->nlabels++].slot = st->cnt;
	return 0;
}

static bool looks_linux(struct cur *c)
{
	struct cur t = *c;
	int r;

	if (strstr(c->p, "%r"))
		return false;
	if (reg(&t, 'r', &r) || reg(&t, 'w', &r))
		return true;
	t = *c;
	if (eat_word(&t, "if") || eat_word(&t, "goto") || eat_word(&t, "gotol") ||
	    eat_word(&t, "callx") || eat(&t, "*("))
		return true;
	t = *c;
	if (eat_word(&t, "lock"))
		return eat(&t, "*(");
	t = *c;
	if (eat_word(&t, "call"))
		return !eat_word(&t, "local") && !eat_word(&t, "kfunc");
	return false;
}

static int assemble_line(struct asm_state *st, char *line)
{
	struct cur c = {line};
	char name[MAX_LABEL];
	int err = 0;

	strip_comment(line);
	skip_listing_prefix(&c);
	/* labels: "name:" (possibly followed by an instruction) */
	for (;;) {
		struct cur t = c;
		if (ident(&t, name, sizeof(name)) && eat(&t, ":")) {
			if ((err = define_label(st, name)))
				return err;
			c = t;
			continue;
		}
		break;
	}
	if (at_end(&c))
		return 0;
	if (!looks_linux(&c))
		return parse_ubpf(st, &c);
	if ((err = parse_linux(st, &c)))
		return err;
	if (!at_end(&c))
		return asm_error(st, "unexpected text: '%s'", c.p);
	return 0;
}

/* bpf_conformance's assembler reads an undefined label "exit" as the
 * program's first exit instruction. */
static long first_exit(const struct asm_state *st)
{
	for (size_t j = 0; j < st->cnt; j++)
		if (st->insns[j].code == (BPF_JMP | BPF_EXIT) &&
		    !(j > 0 && st->insns[j - 1].code == (BPF_LD | BPF_IMM | BPF_DW)))
			return (long)j;
	return -1;
}

static int resolve(struct asm_state *st)
{
	for (size_t i = 0; i < st->nfixups; i++) {
		struct fixup *f = &st->fixups[i];
		long target = -1;

		for (size_t j = 0; j < st->nlabels; j++)
			if (!strcmp(st->labels[j].name, f->name))
				target = (long)st->labels[j].slot;
		if (target < 0 && !strcmp(f->name, "exit"))
			target = first_exit(st);
		st->line = f->line;
		if (target < 0)
			return asm_error(st, "invalid label: %s", f->name);
		long rel = target - (long)f->slot - 1;
		struct bpf_insn *insn = &st->insns[f->slot];
		if (insn->code == (BPF_LD | BPF_IMM | BPF_DW) || f->imm) {
			insn->imm = (int32_t)rel;
		} else {
			if (rel < -32768 || rel > 32767)
				return asm_error(st, "jump to '%s' is out of 16-bit range", f->name);
			insn->off = (int16_t)rel;
		}
	}
	return 0;
}

int isa_asm(const char *text, const char *name, const struct isa_asm_cbs *cbs,
	    struct bpf_insn **out, size_t *cnt)
{
	struct asm_state st = {.name = name ? name : "<input>", .cbs = cbs};
	const char *p = text;
	char line[1024];
	int err = 0;

	while (*p && !err) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		st.line++;
		if (len >= sizeof(line)) {
			err = asm_error(&st, "line too long");
			break;
		}
		memcpy(line, p, len);
		line[len] = '\0';
		if (len && line[len - 1] == '\r')
			line[len - 1] = '\0';
		err = assemble_line(&st, line);
		p = nl ? nl + 1 : p + len;
	}
	if (!err)
		err = resolve(&st);
	free(st.labels);
	free(st.fixups);
	if (err) {
		free(st.insns);
		return err;
	}
	*out = st.insns;
	*cnt = st.cnt;
	return 0;
}
