/* seccomp's side of classic BPF: SECCOMP_RET_* as text, x86-64 system call
 * names, the tracer's filter, and filters explained line by line. The
 * checker (check.c) and the converter know seccomp's rules and context. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <asm/unistd_64.h>
#include <linux/audit.h>

#include "cbpf/cbpf.h"
#include "cbpf/text.h"
#include "core/err.h"
#include "core/opts.h"

EXOBPF_API const char *exobpf_seccomp_action_str(uint32_t ret, char *buf, size_t size)
{
	uint32_t data = ret & SECCOMP_RET_DATA;

	switch (ret & SECCOMP_RET_ACTION_FULL) {
	case SECCOMP_RET_KILL_PROCESS:
		snprintf(buf, size, "KILL_PROCESS");
		break;
	case SECCOMP_RET_KILL_THREAD:
		snprintf(buf, size, "KILL_THREAD");
		break;
	case SECCOMP_RET_TRAP:
		snprintf(buf, size, "TRAP(%u)", data);
		break;
	case SECCOMP_RET_ERRNO:
		/* Linux caps the errno at MAX_ERRNO */
		snprintf(buf, size, "ERRNO(%u)", data > 4095 ? 4095 : data);
		break;
	case SECCOMP_RET_USER_NOTIF:
		snprintf(buf, size, "USER_NOTIF");
		break;
	case SECCOMP_RET_TRACE:
		snprintf(buf, size, "TRACE(%u)", data);
		break;
	case SECCOMP_RET_LOG:
		snprintf(buf, size, "LOG");
		break;
	case SECCOMP_RET_ALLOW:
		snprintf(buf, size, "ALLOW");
		break;
	default:
		snprintf(buf, size, "KILL_PROCESS (unknown action 0x%08x)", ret);
		break;
	}
	return buf;
}

static const struct {
	const char *name;
	int nr;
} syscalls[] = {
#define SYSCALL(n) {#n, __NR_##n},
#include "cbpf/syscalls_x86_64.def"
#undef SYSCALL
};

#define NR_SYSCALLS (sizeof(syscalls) / sizeof(syscalls[0]))

EXOBPF_API int exobpf_seccomp_syscall_nr(const char *name)
{
	for (size_t i = 0; name && i < NR_SYSCALLS; i++)
		if (!strcmp(syscalls[i].name, name))
			return syscalls[i].nr;
	return -1;
}

EXOBPF_API const char *exobpf_seccomp_syscall_name(int nr)
{
	for (size_t i = 0; i < NR_SYSCALLS; i++)
		if (syscalls[i].nr == nr)
			return syscalls[i].name;
	return NULL;
}

static const struct {
	const char *name;
	uint32_t arch;
} arches[] = {
#define ARCH_ROW(n) {"AUDIT_ARCH_" #n, AUDIT_ARCH_##n},
#include "cbpf/audit_arch.def"
#undef ARCH_ROW
};

static const char *arch_name(uint32_t arch)
{
	for (size_t i = 0; i < sizeof(arches) / sizeof(arches[0]); i++)
		if (arches[i].arch == arch)
			return arches[i].name;
	return NULL;
}

/* The tracer's filter. */

struct builder {
	struct sock_filter *out;
	size_t n;
	uint32_t trace;
};

static void put(struct builder *b, uint16_t code, uint8_t jt, uint8_t jf, uint32_t k)
{
	b->out[b->n++] = (struct sock_filter){.code = code, .jt = jt, .jf = jf, .k = k};
}

#define LEAF 4 /* numbers compared one by one at the bottom of the search */

/* Instructions the search over nrs[lo, hi) takes. */
static size_t tree_size(size_t lo, size_t hi)
{
	if (hi - lo <= LEAF)
		return hi - lo + 2;
	size_t mid = lo + (hi - lo) / 2, left = tree_size(lo, mid);
	return (left > 255 ? 2 : 1) + left + tree_size(mid, hi);
}

/* Jumps are forward and 8 bits, so each leaf carries its own two returns
 * and a subtree too far for jt is reached through ja. */
static void tree(struct builder *b, const uint32_t *nrs, size_t lo, size_t hi)
{
	if (hi - lo <= LEAF) {
		size_t n = hi - lo;
		for (size_t i = 0; i < n; i++) /* to this leaf's TRACE return */
			put(b, BPF_JMP | BPF_JEQ | BPF_K, (uint8_t)(n - i), 0, nrs[lo + i]);
		put(b, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ALLOW);
		put(b, BPF_RET | BPF_K, 0, 0, b->trace);
		return;
	}
	size_t mid = lo + (hi - lo) / 2, left = tree_size(lo, mid);
	if (left > 255) {
		put(b, BPF_JMP | BPF_JGE | BPF_K, 0, 1, nrs[mid]);
		put(b, BPF_JMP | BPF_JA, 0, 0, (uint32_t)left);
	} else {
		put(b, BPF_JMP | BPF_JGE | BPF_K, (uint8_t)left, 0, nrs[mid]);
	}
	tree(b, nrs, lo, mid);
	tree(b, nrs, mid, hi);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

#define X32_SYSCALL_BIT 0x40000000u

EXOBPF_API int exobpf_seccomp_trace_filter(const int *nrs, size_t n,
					   const struct exobpf_seccomp_trace_opts *opts,
					   struct sock_filter **out, size_t *cnt)
{
	struct builder b = {0};
	uint32_t *sorted;
	size_t u = 0;

	if (!OPTS_VALID(opts, exobpf_seccomp_trace_opts))
		return -errno;
	if ((!nrs && n) || !out || !cnt)
		return exo_err(EINVAL, "exobpf_seccomp_trace_filter: NULL argument");
	for (size_t i = 0; i < n; i++)
		if (nrs[i] < 0 || (uint32_t)nrs[i] >= X32_SYSCALL_BIT)
			return exo_err(EINVAL, "system call number %d is not an x86-64 number",
				       nrs[i]);
	if (!(sorted = malloc((n ? n : 1) * sizeof(*sorted))))
		return exo_err(ENOMEM, "out of memory building a filter for %zu calls", n);
	for (size_t i = 0; i < n; i++)
		sorted[i] = (uint32_t)nrs[i];
	qsort(sorted, n, sizeof(*sorted), cmp_u32);
	for (size_t i = 0; i < n; i++)
		if (!u || sorted[u - 1] != sorted[i])
			sorted[u++] = sorted[i];
	size_t total = 6 + (u ? tree_size(0, u) : 1);
	if (total > BPF_MAXINSNS) {
		free(sorted);
		return exo_err(E2BIG, "%zu system calls need %zu instructions (BPF_MAXINSNS %d)", u,
			       total, BPF_MAXINSNS);
	}
	if (!(b.out = calloc(total, sizeof(*b.out)))) {
		free(sorted);
		return exo_err(ENOMEM, "out of memory building a filter for %zu calls", n);
	}
	b.trace = SECCOMP_RET_TRACE | OPT(opts, data, 0);
	put(&b, BPF_LD | BPF_W | BPF_ABS, 0, 0, offsetof(struct seccomp_data, arch));
	put(&b, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, EXOBPF_AUDIT_ARCH_X86_64);
	put(&b, BPF_RET | BPF_K, 0, 0, b.trace); /* another arch: the tracer decides */
	put(&b, BPF_LD | BPF_W | BPF_ABS, 0, 0, offsetof(struct seccomp_data, nr));
	put(&b, BPF_JMP | BPF_JGE | BPF_K, 0, 1, X32_SYSCALL_BIT);
	put(&b, BPF_RET | BPF_K, 0, 0, b.trace); /* x32 or no number: likewise */
	if (u)
		tree(&b, sorted, 0, u);
	else
		put(&b, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ALLOW);
	free(sorted);
	*out = b.out;
	*cnt = b.n;
	return 0;
}

/* Explaining a filter: what A holds at each instruction, found by walking
 * the (forward-only) control flow, so compares can be named. */

enum a_src { A_UNKNOWN, A_NR, A_ARCH, A_FIELD, A_LEN };

struct state {
	bool seen;
	uint8_t a;   /* enum a_src */
	uint32_t k;  /* the offset loaded, for A_FIELD */
	bool x86_64; /* arch known to be AUDIT_ARCH_X86_64 here */
};

static void merge(struct state *to, struct state from)
{
	if (!to->seen) {
		*to = from;
		to->seen = true;
		return;
	}
	if (to->a != from.a || to->k != from.k)
		to->a = A_UNKNOWN;
	to->x86_64 = to->x86_64 && from.x86_64;
}

static void field_name(uint32_t k, char *buf, size_t size)
{
	if (k == offsetof(struct seccomp_data, nr))
		snprintf(buf, size, "nr");
	else if (k == offsetof(struct seccomp_data, arch))
		snprintf(buf, size, "arch");
	else if (k < offsetof(struct seccomp_data, args))
		snprintf(buf, size, "instruction_pointer (%s 32 bits)", k % 8 ? "high" : "low");
	else
		snprintf(buf, size, "args[%u] (%s 32 bits)",
			 (unsigned)((k - offsetof(struct seccomp_data, args)) / 8),
			 k % 8 ? "high" : "low");
}

static void explain_one(const struct sock_filter *in, const struct state *st, char *buf,
			size_t size)
{
	int op = cbpf_op_of(in->code);
	const struct cbpf_row *row = &cbpf_rows[op];
	char what[64], act[64];
	const char *name = NULL, *rel;

	switch ((enum cbpf_shape)row->shape) {
	case CBPF_SHAPE_LD_ABS:
		field_name(in->k, what, sizeof(what));
		snprintf(buf, size, "A = %s", what);
		return;
	case CBPF_SHAPE_LD_LEN:
	case CBPF_SHAPE_LDX_LEN:
		snprintf(buf, size, "%s = %zu, the size of struct seccomp_data",
			 row->shape == CBPF_SHAPE_LD_LEN ? "A" : "X", sizeof(struct seccomp_data));
		return;
	case CBPF_SHAPE_RET_K:
		snprintf(buf, size, "%s", exobpf_seccomp_action_str(in->k, act, sizeof(act)));
		return;
	case CBPF_SHAPE_RET_A:
		snprintf(buf, size, "the action in A");
		return;
	case CBPF_SHAPE_JMP_K:
		rel = BPF_OP(in->code) == BPF_JEQ   ? "=="
		      : BPF_OP(in->code) == BPF_JGT ? ">"
		      : BPF_OP(in->code) == BPF_JGE ? ">="
						    : "&";
		if (st->a == A_NR && st->x86_64 && BPF_OP(in->code) != BPF_JSET)
			name = exobpf_seccomp_syscall_name((int)in->k);
		else if (st->a == A_ARCH)
			name = arch_name(in->k);
		if (st->a == A_NR || st->a == A_ARCH || st->a == A_FIELD) {
			char val[48];
			if (st->a == A_FIELD)
				field_name(st->k, what, sizeof(what));
			if (name)
				snprintf(val, sizeof(val), "%s", name);
			else
				snprintf(val, sizeof(val), "%u", in->k);
			snprintf(buf, size, "if (%s %s %s)",
				 st->a == A_NR	   ? "nr"
				 : st->a == A_ARCH ? "arch"
						   : what,
				 rel, val);
			return;
		}
		break;
	default:
		break;
	}
	buf[0] = '\0';
}

EXOBPF_API int exobpf_seccomp_explain(const struct sock_filter *insns, size_t cnt, char **text)
{
	struct state *st;
	char *buf = NULL, line[160], why[160];
	size_t len = 0;
	FILE *f;
	int err = cbpf_check(insns, cnt, EXOBPF_CBPF_SECCOMP);

	if (err)
		return err;
	if (!text)
		return exo_err(EINVAL, "exobpf_seccomp_explain: NULL argument");
	if (!(st = calloc(cnt, sizeof(*st))) || !(f = open_memstream(&buf, &len))) {
		free(st);
		return exo_err(ENOMEM, "out of memory explaining %zu instructions", cnt);
	}
	st[0].seen = true;
	for (uint32_t pc = 0; pc < cnt; pc++) {
		const struct sock_filter *in = &insns[pc];
		struct state s = st[pc], t, e;
		uint8_t shape = cbpf_rows[cbpf_op_of(in->code)].shape;

		cbpf_listing_line(in, pc, line, sizeof(line));
		if (!s.seen) {
			fprintf(f, "%-44s ; unreachable\n", line);
			continue;
		}
		explain_one(in, &s, why, sizeof(why));
		if (why[0])
			fprintf(f, "%-44s ; %s\n", line, why);
		else
			fprintf(f, "%s\n", line);
		switch (shape) {
		case CBPF_SHAPE_RET_K:
		case CBPF_SHAPE_RET_A:
			continue;
		case CBPF_SHAPE_JA:
			merge(&st[cbpf_ja(in, pc)], s);
			continue;
		case CBPF_SHAPE_JMP_K:
		case CBPF_SHAPE_JMP_X:
			t = e = s;
			if (shape == CBPF_SHAPE_JMP_K && BPF_OP(in->code) == BPF_JEQ &&
			    s.a == A_ARCH)
				t.x86_64 = in->k == EXOBPF_AUDIT_ARCH_X86_64;
			merge(&st[cbpf_jt(in, pc)], t);
			merge(&st[cbpf_jf(in, pc)], e);
			continue;
		case CBPF_SHAPE_LD_ABS:
			s.a = in->k == offsetof(struct seccomp_data, nr)     ? A_NR
			      : in->k == offsetof(struct seccomp_data, arch) ? A_ARCH
									     : A_FIELD;
			s.k = in->k;
			break;
		case CBPF_SHAPE_LD_LEN:
			s.a = A_LEN;
			break;
		case CBPF_SHAPE_ST:
		case CBPF_SHAPE_STX:
		case CBPF_SHAPE_LDX_IMM:
		case CBPF_SHAPE_LDX_MEM:
		case CBPF_SHAPE_LDX_LEN:
		case CBPF_SHAPE_TAX:
			break; /* A unchanged */
		default:
			s.a = A_UNKNOWN;
			break;
		}
		merge(&st[pc + 1], s);
	}
	free(st);
	if (ferror(f)) {
		fclose(f);
		free(buf);
		return exo_err(ENOMEM, "out of memory explaining %zu instructions", cnt);
	}
	fclose(f);
	*text = buf;
	return 0;
}
