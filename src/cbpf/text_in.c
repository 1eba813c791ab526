/* Reading classic programs from text: tcpdump's -d listing, -dd C array and
 * -ddd decimal, the kernel's bpf_asm syntax, and the one-line bytecode of
 * bpf_asm/xt_bpf/tc. The listing and bpf_asm share their operand syntax, so
 * one line parser reads both, choosing per line: "(012) ldh [12]" is a
 * listing line (absolute jump targets, "jt 5 jf 9"), anything else is
 * bpf_asm (labels, "jeq #0x800, lt, lf"). */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cbpf/cbpf.h"
#include "core/err.h"

#define MAX_NAME 64

struct fixup {
	char label[MAX_NAME];
	uint32_t insn;
	int line;
	char field; /* 't' jt, 'f' jf, 'k' ja's k */
};

struct label {
	char name[MAX_NAME];
	uint32_t insn;
};

struct parser {
	const char *name;
	int line;
	struct sock_filter *out;
	size_t n, cap;
	struct label *labels;
	size_t nlabels, labels_cap;
	struct fixup *fixups;
	size_t nfixups, fixups_cap;
	char pending[MAX_NAME]; /* a label on a line of its own, for the next instruction */
};

static int perr(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int perr(struct parser *p, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->line)
		return exo_err(EINVAL, "%s:%d: %s", p->name, p->line, msg);
	return exo_err(EINVAL, "%s: %s", p->name, msg);
}

static int grow(void **arr, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return 0;
	size_t ncap = *cap ? *cap * 2 : 64;
	while (ncap < need)
		ncap *= 2;
	void *n = realloc(*arr, ncap * elem);
	if (!n)
		return -ENOMEM;
	*arr = n;
	*cap = ncap;
	return 0;
}

static int push(struct parser *p, uint16_t code, uint8_t jt, uint8_t jf, uint32_t k)
{
	if (p->n >= BPF_MAXINSNS * 16) /* far beyond any limit, but bounded */
		return perr(p, "more than %d instructions", BPF_MAXINSNS * 16);
	if (grow((void **)&p->out, &p->cap, p->n + 1, sizeof(*p->out)))
		return exo_err(ENOMEM, "%s: out of memory", p->name);
	p->out[p->n++] = (struct sock_filter){.code = code, .jt = jt, .jf = jf, .k = k};
	return 0;
}

/* A number as C and bpf_asm write them: 0x hex, 0b binary, 0 octal,
 * decimal, optional sign; it must fit in 32 bits, signed or unsigned. */
static int number(struct parser *p, const char **s, uint32_t *v)
{
	const char *q = *s;
	bool neg = false;
	unsigned base = 10;
	uint64_t x = 0;
	int digits = 0;

	if (*q == '-' || *q == '+')
		neg = *q++ == '-';
	if (q[0] == '0' && (q[1] == 'x' || q[1] == 'X'))
		base = 16, q += 2;
	else if (q[0] == '0' && (q[1] == 'b' || q[1] == 'B'))
		base = 2, q += 2;
	else if (q[0] == '0' && isdigit((unsigned char)q[1]))
		base = 8, q++;
	for (;; q++, digits++) {
		int c = tolower((unsigned char)*q), d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else
			break;
		if ((unsigned)d >= base)
			return perr(p, "'%c' is not a digit in base %u", *q, base);
		x = x * base + (unsigned)d;
		if (x > 0xffffffffull)
			return perr(p, "number does not fit in 32 bits");
	}
	if (!digits)
		return perr(p, "expected a number at '%.16s'", *s);
	if (neg && x > 0x80000000ull)
		return perr(p, "number does not fit in 32 bits");
	*v = neg ? (uint32_t)-x : (uint32_t)x;
	*s = q;
	return 0;
}

static void skip_ws(const char **s)
{
	while (**s == ' ' || **s == '\t' || **s == '\r')
		(*s)++;
}

/* Consume c (after blanks) if it is there. */
static bool eat(const char **s, char c)
{
	skip_ws(s);
	if (**s != c)
		return false;
	(*s)++;
	return true;
}

static int expect(struct parser *p, const char **s, char c)
{
	if (!eat(s, c))
		return perr(p, "expected '%c' at '%.16s'", c, *s);
	return 0;
}

static size_t word(const char *s, char *buf, size_t size)
{
	size_t n = 0;

	while ((isalnum((unsigned char)s[n]) || s[n] == '_') && n + 1 < size) {
		buf[n] = s[n];
		n++;
	}
	buf[n] = '\0';
	return n;
}

/* What an operand says. */
enum opd {
	OPD_NONE,
	OPD_IMM, /* #k */
	OPD_LEN, /* #len, #pktlen */
	OPD_AD,	 /* an ancillary name: #proto, [proto] */
	OPD_ABS, /* [k] */
	OPD_IND, /* [x + k] */
	OPD_MEM, /* M[k] */
	OPD_MSH, /* 4*([k]&0xf) */
	OPD_X,
	OPD_A,
	OPD_NUM, /* a bare number: a listing's ja target, unimp's opcode */
	OPD_LABEL,
};

static const struct cbpf_ad *ad_by_name(const char *name)
{
	if (!strcasecmp(name, "vlan_pr")) /* bpf_asm's second name for it */
		name = "vlan_avail";
	for (unsigned i = 0; i < cbpf_nr_ads; i++)
		if (!strcasecmp(name, cbpf_ads[i].pcap) ||
		    (cbpf_ads[i].asm_ && !strcasecmp(name, cbpf_ads[i].asm_)))
			return &cbpf_ads[i];
	return NULL;
}

static int operand(struct parser *p, const char **s, enum opd *kind, uint32_t *k, char *label)
{
	char w[MAX_NAME];
	const struct cbpf_ad *ad;
	size_t n;
	int err;

	skip_ws(s);
	*kind = OPD_NONE;
	if (!**s || **s == ',')
		return 0;
	if (eat(s, '#')) {
		n = word(*s, w, sizeof(w));
		if (n && !isdigit((unsigned char)w[0])) {
			*s += n;
			if (!strcasecmp(w, "len") || !strcasecmp(w, "pktlen")) {
				*kind = OPD_LEN;
				return 0;
			}
			if (!(ad = ad_by_name(w)))
				return perr(p, "unknown extension '#%s'", w);
			*kind = OPD_AD, *k = (uint32_t)SKF_AD_OFF + (uint32_t)ad->off;
			return 0;
		}
		*kind = OPD_IMM;
		return number(p, s, k);
	}
	if (**s == '[') {
		(*s)++;
		skip_ws(s);
		n = word(*s, w, sizeof(w));
		if (**s == '%' || (n == 1 && tolower((unsigned char)w[0]) == 'x')) {
			if (**s == '%')
				(*s)++;
			if (tolower((unsigned char)**s) != 'x')
				return perr(p, "expected x in [x + k]");
			(*s)++;
			if ((err = expect(p, s, '+')))
				return err;
			skip_ws(s);
			if ((err = number(p, s, k)))
				return err;
			*kind = OPD_IND;
			return expect(p, s, ']');
		}
		if (n && !isdigit((unsigned char)w[0])) {
			if (!(ad = ad_by_name(w)))
				return perr(p, "unknown extension '[%s]'", w);
			*s += n;
			*kind = OPD_AD, *k = (uint32_t)SKF_AD_OFF + (uint32_t)ad->off;
			return expect(p, s, ']');
		}
		if ((err = number(p, s, k)))
			return err;
		*kind = OPD_ABS;
		return expect(p, s, ']');
	}
	if ((**s == 'M' || **s == 'm') && (*s)[1] != '\0' && ((*s)[1] == '[' || (*s)[1] == ' ')) {
		const char *q = *s + 1;
		if (eat(&q, '[')) {
			*s = q;
			skip_ws(s);
			if ((err = number(p, s, k)))
				return err;
			*kind = OPD_MEM;
			return expect(p, s, ']');
		}
	}
	if (**s == '%') {
		(*s)++;
		if (tolower((unsigned char)**s) != 'x' && tolower((unsigned char)**s) != 'a')
			return perr(p, "expected %%x or %%a");
	}
	if (isdigit((unsigned char)**s) || **s == '-' || **s == '+') {
		uint32_t v;
		if ((err = number(p, s, &v)))
			return err;
		if (eat(s, '*')) { /* 4*([k]&0xf) */
			uint32_t mask;
			if ((err = expect(p, s, '(')) || (err = expect(p, s, '[')))
				return err;
			skip_ws(s);
			if ((err = number(p, s, k)) || (err = expect(p, s, ']')) ||
			    (err = expect(p, s, '&')))
				return err;
			skip_ws(s);
			if ((err = number(p, s, &mask)) || (err = expect(p, s, ')')))
				return err;
			if (v != 4 || mask != 0xf)
				return perr(p, "only 4*([k]&0xf) exists (not %u*([k]&0x%x))", v,
					    mask);
			*kind = OPD_MSH;
			return 0;
		}
		*kind = OPD_NUM, *k = v;
		return 0;
	}
	n = word(*s, w, sizeof(w));
	if (!n)
		return perr(p, "unexpected '%.16s'", *s);
	*s += n;
	if (!strcasecmp(w, "x")) {
		*kind = OPD_X;
	} else if (!strcasecmp(w, "a")) {
		*kind = OPD_A;
	} else if (!strcasecmp(w, "len") || !strcasecmp(w, "pktlen")) {
		*kind = OPD_LEN;
	} else if ((ad = ad_by_name(w))) {
		*kind = OPD_AD, *k = (uint32_t)SKF_AD_OFF + (uint32_t)ad->off;
	} else {
		*kind = OPD_LABEL;
		snprintf(label, MAX_NAME, "%s", w);
	}
	return 0;
}

static int add_fixup(struct parser *p, const char *label, char field)
{
	if (grow((void **)&p->fixups, &p->fixups_cap, p->nfixups + 1, sizeof(*p->fixups)))
		return exo_err(ENOMEM, "%s: out of memory", p->name);
	struct fixup *f = &p->fixups[p->nfixups++];
	snprintf(f->label, sizeof(f->label), "%s", label);
	f->insn = (uint32_t)p->n;
	f->line = p->line;
	f->field = field;
	return 0;
}

static int add_label(struct parser *p, const char *name)
{
	for (size_t i = 0; i < p->nlabels; i++)
		if (!strcmp(p->labels[i].name, name))
			return perr(p, "label '%s' defined twice", name);
	if (grow((void **)&p->labels, &p->labels_cap, p->nlabels + 1, sizeof(*p->labels)))
		return exo_err(ENOMEM, "%s: out of memory", p->name);
	snprintf(p->labels[p->nlabels].name, MAX_NAME, "%s", name);
	p->labels[p->nlabels++].insn = (uint32_t)p->n;
	return 0;
}

/* The row with this mnemonic and shape. */
static int row_for(const char *mn, enum cbpf_shape shape)
{
	for (int op = 0; op < CBPF_NR_OPS; op++)
		if (cbpf_rows[op].shape == shape && !strcmp(cbpf_rows[op].mnemonic, mn))
			return op;
	return -1;
}

/* A listing's absolute target as a forward offset from insn n. */
static int listing_target(struct parser *p, const char **s, const char *what, uint8_t *off)
{
	char w[MAX_NAME];
	uint32_t t;

	skip_ws(s);
	size_t n = word(*s, w, sizeof(w));
	if (strcasecmp(w, what))
		return perr(p, "expected '%s <target>'", what);
	*s += n;
	skip_ws(s);
	char *end;
	unsigned long v = strtoul(*s, &end, 10); /* libpcap prints targets in decimal */
	if (end == *s || v > UINT32_MAX)
		return perr(p, "expected the %s target at '%.16s'", what, *s);
	*s = end;
	t = (uint32_t)v;
	if (t <= p->n || t - p->n - 1 > 255)
		return perr(p, "%s %u cannot be reached from instruction %zu (0-255 ahead)", what,
			    t, p->n);
	*off = (uint8_t)(t - p->n - 1);
	return 0;
}

/* One instruction: mnemonic and operands, in either dialect. */
static int instruction(struct parser *p, const char *s, bool listing)
{
	char mn[MAX_NAME], label1[MAX_NAME] = "", label2[MAX_NAME] = "";
	enum opd kind, k2;
	uint32_t k = 0, dummy;
	uint8_t jt = 0, jf = 0;
	bool negate = false;
	enum cbpf_shape shape;
	int op = -1, err;

	size_t n = word(s, mn, sizeof(mn));
	if (!n)
		return perr(p, "expected an instruction at '%.16s'", s);
	s += n;
	for (char *c = mn; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	if ((err = operand(p, &s, &kind, &k, label1)))
		return err;

	/* bpf_asm's other spellings */
	if (!strcmp(mn, "ldi") || !strcmp(mn, "ldxi")) { /* "ldi 5" needs no '#' */
		mn[strlen(mn) - 1] = '\0';
		if (kind == OPD_NUM)
			kind = OPD_IMM;
	} else if (!strcmp(mn, "jmp"))
		strcpy(mn, "ja");
	else if (!strcmp(mn, "jne") || !strcmp(mn, "jneq"))
		strcpy(mn, "jeq"), negate = true;
	else if (!strcmp(mn, "jlt"))
		strcpy(mn, "jge"), negate = true;
	else if (!strcmp(mn, "jle"))
		strcpy(mn, "jgt"), negate = true;

	bool known = !strcmp(mn, "unimp");
	for (int op = 0; op < CBPF_NR_OPS && !known; op++)
		known = !strcmp(cbpf_rows[op].mnemonic, mn);
	if (!known)
		return perr(p, "unknown instruction '%s'", mn);
	if (!strcmp(mn, "unimp")) { /* libpcap's line for an opcode it does not know */
		if (kind != OPD_NUM || k > 0xffff)
			return perr(p, "unimp takes the opcode, e.g. unimp 0x99");
		return push(p, (uint16_t)k, 0, 0, 0);
	}
	bool is_jmp =
	    !strcmp(mn, "jeq") || !strcmp(mn, "jgt") || !strcmp(mn, "jge") || !strcmp(mn, "jset");
	bool x_reg = !strcmp(mn, "ldx") || !strcmp(mn, "ldxb") || !strcmp(mn, "stx");

	switch (kind) {
	case OPD_NONE:
		shape = !strcmp(mn, "ret")   ? CBPF_SHAPE_RET_A
			: !strcmp(mn, "neg") ? CBPF_SHAPE_NEG
			: !strcmp(mn, "tax") ? CBPF_SHAPE_TAX
			: !strcmp(mn, "txa") ? CBPF_SHAPE_TXA
					     : (enum cbpf_shape) - 1;
		break;
	case OPD_A:
		shape = !strcmp(mn, "ret") ? CBPF_SHAPE_RET_A : (enum cbpf_shape) - 1;
		break;
	case OPD_IMM:
		shape = !strcmp(mn, "ret")  ? CBPF_SHAPE_RET_K
			: !strcmp(mn, "ld") ? CBPF_SHAPE_LD_IMM
			: x_reg		    ? CBPF_SHAPE_LDX_IMM
			: is_jmp	    ? CBPF_SHAPE_JMP_K
					    : CBPF_SHAPE_ALU_K;
		break;
	case OPD_X:
		if (!strcmp(mn, "ret"))
			return perr(p, "ret x (opcode 0x0e) is not an instruction Linux accepts");
		shape = is_jmp ? CBPF_SHAPE_JMP_X : CBPF_SHAPE_ALU_X;
		break;
	case OPD_LEN:
		shape = x_reg ? CBPF_SHAPE_LDX_LEN : CBPF_SHAPE_LD_LEN;
		break;
	case OPD_AD:
	case OPD_ABS:
		shape = CBPF_SHAPE_LD_ABS;
		break;
	case OPD_IND:
		shape = CBPF_SHAPE_LD_IND;
		break;
	case OPD_MEM:
		shape = !strcmp(mn, "st")    ? CBPF_SHAPE_ST
			: !strcmp(mn, "stx") ? CBPF_SHAPE_STX
			: x_reg		     ? CBPF_SHAPE_LDX_MEM
					     : CBPF_SHAPE_LD_MEM;
		break;
	case OPD_MSH:
		shape = CBPF_SHAPE_LDX_MSH;
		if (!strcmp(mn, "ldx"))
			strcpy(mn, "ldxb");
		break;
	default: /* a number or a label: ja's target */
		shape = CBPF_SHAPE_JA;
		break;
	}
	if ((int)shape >= 0)
		op = row_for(mn, shape);
	if (op < 0 || (shape == CBPF_SHAPE_JA && kind == OPD_NUM && !listing) ||
	    (negate && shape != CBPF_SHAPE_JMP_K && shape != CBPF_SHAPE_JMP_X))
		return perr(p, "'%s' does not take that operand", mn);

	if (shape == CBPF_SHAPE_JA) {
		if (kind == OPD_NUM) { /* absolute; below n for libpcap's loops */
			k = k - (uint32_t)p->n - 1;
		} else if ((err = add_fixup(p, label1, 'k'))) {
			return err;
		}
	} else if (shape == CBPF_SHAPE_JMP_K || shape == CBPF_SHAPE_JMP_X) {
		if (listing) {
			if ((err = listing_target(p, &s, "jt", &jt)) ||
			    (err = listing_target(p, &s, "jf", &jf)))
				return err;
		} else {
			if ((err = expect(p, &s, ',')) ||
			    (err = operand(p, &s, &k2, &dummy, label1)))
				return err;
			if (k2 != OPD_LABEL)
				return perr(p, "%s: expected a label to jump to", mn);
			if (eat(&s, ',')) {
				if ((err = operand(p, &s, &k2, &dummy, label2)))
					return err;
				if (k2 != OPD_LABEL || negate)
					return perr(p, "%s: expected one label to jump to", mn);
			}
			if ((err = add_fixup(p, label1, negate ? 'f' : 't')) ||
			    (label2[0] && (err = add_fixup(p, label2, 'f'))))
				return err;
		}
	}
	skip_ws(&s);
	if (*s)
		return perr(p, "unexpected '%.16s' after the instruction", s);
	if (shape == CBPF_SHAPE_JMP_X || shape == CBPF_SHAPE_ALU_X || shape == CBPF_SHAPE_RET_A ||
	    shape == CBPF_SHAPE_NEG || shape == CBPF_SHAPE_TAX || shape == CBPF_SHAPE_TXA ||
	    shape == CBPF_SHAPE_LD_LEN || shape == CBPF_SHAPE_LDX_LEN)
		k = 0;
	return push(p, cbpf_rows[op].code, jt, jf, k);
}

/* Comments go: bpf_asm's ';' to the end of the line, and '#' starting a
 * line; C's block comments are blanked beforehand. */
static int line_of_text(struct parser *p, char *line)
{
	char *s = line, w[MAX_NAME];
	int err;

	line[strcspn(line, ";")] = '\0';
	skip_ws((const char **)&s);
	if (*s == '#' || !*s)
		return 0;
	if (*s == '(') { /* a listing line: "(012) op operand", decimal however padded */
		char *end;
		unsigned long idx = strtoul(s + 1, &end, 10);
		const char *q = end;
		if (end == s + 1 || *q != ')')
			return perr(p, "expected (NNN) at '%.16s'", s);
		q++;
		if (idx != p->n)
			return perr(p, "listing line (%03lu) is instruction %zu", idx, p->n);
		skip_ws(&q);
		return instruction(p, q, true);
	}
	size_t n = word(s, w, sizeof(w));
	const char *q = s + n;
	skip_ws(&q);
	if (n && *q == ':') { /* label */
		if (p->pending[0])
			return perr(p, "two labels for one instruction ('%s', '%s')", p->pending,
				    w);
		snprintf(p->pending, sizeof(p->pending), "%s", w);
		q++;
		skip_ws(&q);
		if (!*q)
			return 0;
		s = (char *)q;
	}
	if (p->pending[0]) {
		if ((err = add_label(p, p->pending)))
			return err;
		p->pending[0] = '\0';
	}
	return instruction(p, s, false);
}

static int resolve(struct parser *p)
{
	if (p->pending[0])
		return perr(p, "label '%s' at the end labels no instruction", p->pending);
	for (size_t i = 0; i < p->nfixups; i++) {
		struct fixup *f = &p->fixups[i];
		struct label *l = NULL;

		for (size_t j = 0; j < p->nlabels && !l; j++)
			if (!strcmp(p->labels[j].name, f->label))
				l = &p->labels[j];
		p->line = f->line;
		if (!l)
			return perr(p, "no such label '%s'", f->label);
		/* only ja may go back (libpcap's loops; Linux refuses them) */
		if (l->insn <= f->insn && f->field != 'k')
			return perr(p,
				    "insn #%u jumps back to '%s' (insn #%u): jumps only go forward",
				    f->insn, f->label, l->insn);
		uint32_t off = l->insn - f->insn - 1;
		struct sock_filter *in = &p->out[f->insn];
		if (f->field == 'k') {
			in->k = off;
		} else if (off > 255) {
			return perr(
			    p,
			    "insn #%u jumps to insn #%u, which is out of range (255 ahead at most)",
			    f->insn, l->insn);
		} else if (f->field == 't') {
			in->jt = (uint8_t)off;
		} else {
			in->jf = (uint8_t)off;
		}
	}
	return 0;
}

static int parse_lines(struct parser *p, char *text)
{
	char *save = NULL, *line;
	int err;

	/* blank C comments, keeping newlines so line numbers stay right */
	for (char *c = strstr(text, "/*"); c; c = strstr(c, "/*")) {
		char *end = strstr(c + 2, "*/");
		if (!end)
			return perr(p, "unterminated /* comment");
		for (; c < end + 2; c++)
			if (*c != '\n')
				*c = ' ';
	}
	p->line = 0;
	for (char *s = text;; s = NULL) {
		/* strtok_r would merge empty lines and break numbering */
		if (s)
			save = s;
		if (!save)
			break;
		line = save;
		char *nl = strchr(save, '\n');
		if (nl) {
			*nl = '\0';
			save = nl + 1;
		} else {
			save = NULL;
		}
		p->line++;
		if ((err = line_of_text(p, line)))
			return err;
	}
	return resolve(p);
}

/* Numbers separated by blanks, commas or braces (the -dd, -ddd and bytecode
 * formats); each value checked against its field's width. The -ddd and
 * bytecode formats start with the count. */
static int parse_numbers(struct parser *p, const char *text, enum exobpf_cbpf_format fmt)
{
	bool c_array = fmt == EXOBPF_CBPF_FMT_C, want_count = !c_array;
	const char *s = text;
	uint32_t v[4], count = 0, x;
	int err, field = 0;

	p->line = 1;
	for (;;) {
		while (*s && (isspace((unsigned char)*s) || *s == ',' || *s == '{' || *s == '}' ||
			      (c_array && strchr(";=[]", *s)))) {
			if (*s == '\n')
				p->line++;
			if (*s == '}' && field != 0)
				return perr(p, "an instruction needs 4 numbers: code, jt, jf, k");
			s++;
		}
		if (!*s)
			break;
		if (c_array && (isalpha((unsigned char)*s) || *s == '_')) {
			/* "struct sock_filter code[] = {" around the array */
			while (isalnum((unsigned char)*s) || *s == '_')
				s++;
			continue;
		}
		if ((err = number(p, &s, &x)))
			return err;
		if (want_count) {
			if (x == 0 || x > BPF_MAXINSNS * 16)
				return perr(p, "%u instructions announced", x);
			count = x;
			want_count = false;
			continue;
		}
		v[field++] = x;
		if (field < 4)
			continue;
		if (v[0] > 0xffff || v[1] > 255 || v[2] > 255)
			return perr(p, "%u %u %u %u: code is 16 bits, jt and jf 8", v[0], v[1],
				    v[2], v[3]);
		if ((err = push(p, (uint16_t)v[0], (uint8_t)v[1], (uint8_t)v[2], v[3])))
			return err;
		field = 0;
	}
	if (field)
		return perr(p, "the last instruction has %d of its 4 numbers", field);
	if (!c_array && p->n != count)
		return perr(p, "%u instructions announced, %zu given", count, p->n);
	return 0;
}

static enum exobpf_cbpf_format detect(const char *text)
{
	const char *s = text;

	while (isspace((unsigned char)*s))
		s++;
	if (strchr(text, '{'))
		return EXOBPF_CBPF_FMT_C;
	if (isdigit((unsigned char)*s)) {
		while (isdigit((unsigned char)*s))
			s++;
		while (*s == ' ' || *s == '\t')
			s++;
		return *s == ',' ? EXOBPF_CBPF_FMT_BYTECODE : EXOBPF_CBPF_FMT_DECIMAL;
	}
	return EXOBPF_CBPF_FMT_ASM; /* and listing, line by line */
}

EXOBPF_API int exobpf_cbpf_parse(const char *text, const char *name, enum exobpf_cbpf_format fmt,
				 struct sock_filter **out, size_t *cnt)
{
	struct parser p = {.name = name ? name : "cbpf"};
	char *copy;
	int err;

	if (!text || !out || !cnt)
		return exo_err(EINVAL, "exobpf_cbpf_parse: NULL argument");
	if ((unsigned)fmt > EXOBPF_CBPF_FMT_BYTECODE)
		return exo_err(EINVAL, "exobpf_cbpf_parse: unknown format %d", (int)fmt);
	if (fmt == EXOBPF_CBPF_FMT_AUTO)
		fmt = detect(text);
	if (fmt == EXOBPF_CBPF_FMT_LISTING || fmt == EXOBPF_CBPF_FMT_ASM) {
		if (!(copy = strdup(text)))
			return exo_err(ENOMEM, "%s: out of memory", p.name);
		err = parse_lines(&p, copy);
		free(copy);
	} else {
		err = parse_numbers(&p, text, fmt);
	}
	if (!err && p.n == 0) {
		p.line = 0;
		err = perr(&p, "no instructions");
	}
	free(p.labels);
	free(p.fixups);
	if (err) {
		free(p.out);
		return err;
	}
	*out = p.out;
	*cnt = p.n;
	return 0;
}
