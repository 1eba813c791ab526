/* seccomp: verdicts as text, x86-64 system call names, the tracer's filter
 * (checked by exobpf and Linux, run by both), random filters whose verdicts
 * Linux shows through errno, and the explainer. */
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cbpf_kernel.h"
#include "exobpf/exobpf.h"
#include "test.h"

#define S(c, k)                                    \
	{                                          \
		(uint16_t)(c), 0, 0, (uint32_t)(k) \
	}
#define J(c, t, f, k)                              \
	{                                          \
		(uint16_t)(c), t, f, (uint32_t)(k) \
	}

TEST(seccomp_actions_as_text)
{
	static const struct {
		uint32_t ret;
		const char *text;
	} cases[] = {
	    {SECCOMP_RET_ALLOW, "ALLOW"},
	    {SECCOMP_RET_ALLOW | 5, "ALLOW"},
	    {SECCOMP_RET_LOG, "LOG"},
	    {SECCOMP_RET_KILL_PROCESS, "KILL_PROCESS"},
	    {SECCOMP_RET_KILL_THREAD, "KILL_THREAD"},
	    {SECCOMP_RET_TRAP | 7, "TRAP(7)"},
	    {SECCOMP_RET_ERRNO | 1, "ERRNO(1)"},
	    {SECCOMP_RET_ERRNO | 0xffff, "ERRNO(4095)"}, /* capped at MAX_ERRNO */
	    {SECCOMP_RET_TRACE | 42, "TRACE(42)"},
	    {SECCOMP_RET_USER_NOTIF, "USER_NOTIF"},
	    {0x12340000, "KILL_PROCESS (unknown action 0x12340000)"},
	    {0x7fff0001 - 0x10000, "KILL_PROCESS (unknown action 0x7ffe0001)"},
	};
	char buf[80];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK_STR(exobpf_seccomp_action_str(cases[i].ret, buf, sizeof(buf)), cases[i].text);
}

TEST(seccomp_syscall_names)
{
	/* the x86-64 ABI's numbers */
	CHECK_EQ(exobpf_seccomp_syscall_nr("read"), 0);
	CHECK_EQ(exobpf_seccomp_syscall_nr("write"), 1);
	CHECK_EQ(exobpf_seccomp_syscall_nr("getpid"), 39);
	CHECK_EQ(exobpf_seccomp_syscall_nr("exit_group"), 231);
	CHECK_EQ(exobpf_seccomp_syscall_nr("openat"), 257);
	CHECK_EQ(exobpf_seccomp_syscall_nr("nosuchcall"), -1);
	CHECK_EQ((long)exobpf_seccomp_syscall_nr(NULL), -1);
	CHECK_STR(exobpf_seccomp_syscall_name(110), "getppid");
	CHECK_STR(exobpf_seccomp_syscall_name(60), "exit");
	CHECK(exobpf_seccomp_syscall_name(100000) == NULL);
	CHECK(exobpf_seccomp_syscall_name(-1) == NULL);
}

static uint32_t run_filter(struct exobpf_cbpf_prog *prog, const struct sock_filter *insns,
			   size_t cnt, uint32_t arch, int nr, int *executed)
{
	struct seccomp_data sd = {.nr = nr, .arch = arch, .args = {1, 2, 3}};
	EXOBPF_OPTS(exobpf_cbpf_run_opts, ro, .seccomp = &sd);
	EXOBPF_OPTS(exobpf_cbpf_run_opts, io, .seccomp = &sd);
	EXOBPF_OPTS(exobpf_cbpf_opts, po, .kind = EXOBPF_CBPF_SECCOMP);
	char *trace;

	if (exobpf_cbpf_prog__run(prog, &ro) || exobpf_cbpf_interp(insns, cnt, &po, &io, &trace))
		return 1; /* KILL_THREAD | 1: never a verdict these filters give */
	*executed = 0;
	for (char *c = trace; *c; c++)
		*executed += *c == '\n';
	free(trace);
	return ro.retval == io.retval ? ro.retval : 1;
}

TEST(seccomp_trace_filter)
{
	static const size_t sizes[] = {0, 1, 3, 4, 5, 17, 64, 300, 451};
	uint64_t s = 99;
	int nrs[451];

	for (size_t z = 0; z < sizeof(sizes) / sizeof(sizes[0]); z++) {
		size_t n = sizes[z];
		bool in[1200] = {false};
		for (size_t i = 0; i < n; i++) {
			/* the dense set is every number 0..450; the others random */
			s ^= s << 13, s ^= s >> 7, s ^= s << 17;
			nrs[i] = n == 451 ? (int)i : (int)(s % 1100);
			in[nrs[i]] = true;
		}
		struct sock_filter *f;
		size_t cnt;
		EXOBPF_OPTS(exobpf_seccomp_trace_opts, to, .data = 77);
		CHECK_EQ(exobpf_seccomp_trace_filter(nrs, n, &to, &f, &cnt), 0);
		CHECK_MSG(!exobpf_cbpf_check(f, cnt, EXOBPF_CBPF_SECCOMP), "%zu calls: %s", n,
			  exobpf_errmsg());
		int k = kseccomp_check(f, cnt);
		CHECK_MSG(k == 0 || k == -EPERM || k == -EACCES || k == -ENOSYS,
			  "Linux refuses it: %d", k);
		EXOBPF_OPTS(exobpf_cbpf_opts, po, .kind = EXOBPF_CBPF_SECCOMP);
		struct exobpf_cbpf_prog *prog = exobpf_cbpf_prog__new(f, cnt, &po);
		CHECK(prog);
		int most = 0, ex;
		for (int nr = 0; nr < 1200; nr++) {
			uint32_t v = run_filter(prog, f, cnt, EXOBPF_AUDIT_ARCH_X86_64, nr, &ex);
			CHECK_MSG(v == (in[nr] ? SECCOMP_RET_TRACE | 77 : SECCOMP_RET_ALLOW),
				  "%zu calls, nr %d: 0x%x", n, nr, v);
			most = ex > most ? ex : most;
		}
		/* what the filter cannot classify goes to the tracer */
		CHECK_EQ(run_filter(prog, f, cnt, 0x40000003 /* i386 */, 1, &ex),
			 SECCOMP_RET_TRACE | 77);
		CHECK_EQ(run_filter(prog, f, cnt, EXOBPF_AUDIT_ARCH_X86_64, 0x40000001, &ex),
			 SECCOMP_RET_TRACE | 77);
		CHECK_EQ(run_filter(prog, f, cnt, EXOBPF_AUDIT_ARCH_X86_64, -1, &ex),
			 SECCOMP_RET_TRACE | 77);
		/* a binary search: about log2(n) compares, 4 at the leaves */
		int depth = 0;
		while ((1u << depth) < n)
			depth++;
		CHECK_MSG(most <= 6 + 2 * depth + 5, "%zu calls take %d instructions", n, most);
		exobpf_cbpf_prog__free(prog);
		free(f);
	}
	int bad = -3, x32 = 0x40000000;
	struct sock_filter *f;
	size_t cnt;
	CHECK_EQ(exobpf_seccomp_trace_filter(&bad, 1, NULL, &f, &cnt), -EINVAL);
	CHECK_CONTAINS(exobpf_errmsg(), "system call number -3 is not an x86-64 number");
	CHECK_EQ(exobpf_seccomp_trace_filter(&x32, 1, NULL, &f, &cnt), -EINVAL);
}

TEST(seccomp_trace_filter_in_linux)
{
	int nr = SYS_getppid;
	struct sock_filter *f;
	size_t cnt;
	struct kseccomp_outcome o;
	uint64_t args[6] = {0};

	CHECK_EQ(exobpf_seccomp_trace_filter(&nr, 1, NULL, &f, &cnt), 0);
	int k = kseccomp_run(f, cnt, SYS_getppid, args, &o);
	if (k == -EPERM || k == -EACCES || k == -ENOSYS) {
		free(f);
		SKIP("seccomp filters are refused here (%d)", k);
	}
	CHECK_EQ(k, 0);
	/* traced with no tracer attached: Linux fails the call with ENOSYS */
	CHECK_EQ(o.ret, -1);
	CHECK_EQ(o.err, ENOSYS);
	CHECK_EQ(kseccomp_run(f, cnt, SYS_getpid, args, &o), 0);
	CHECK(o.ret > 0);
	free(f);
}

/* Filters that act only on getppid (so the child can exit), computing a
 * verdict from its arguments; Linux's verdict comes back as errno. */
static uint32_t next(uint64_t *s)
{
	*s ^= *s << 13, *s ^= *s >> 7, *s ^= *s << 17;
	return (uint32_t)*s;
}

static size_t random_filter(uint64_t *s, struct sock_filter *p, uint32_t *final_action)
{
#define R() next(s)
	static const uint16_t alu[] = {BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_OR,
				       BPF_AND, BPF_XOR, BPF_LSH, BPF_RSH, BPF_NEG};
	static const uint16_t jmp[] = {BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET};
	size_t n = 0, body = 6 + R() % 20;

	p[n++] = (struct sock_filter)S(BPF_LD | BPF_W | BPF_ABS, 0);
	p[n++] = (struct sock_filter)J(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, SYS_getppid);
	p[n++] = (struct sock_filter)S(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	for (uint32_t k = 0; k < BPF_MEMWORDS; k++)
		p[n++] = (struct sock_filter)S(BPF_ST, k);
	for (size_t i = 0; i < body; i++) {
		uint32_t k = R() % 3 ? R() % 100 : R();
		switch (R() % 8) {
		case 0:
		case 1: {
			uint16_t op = alu[R() % 10];
			if (op == BPF_DIV && !k)
				k = 7;
			if (op == BPF_LSH || op == BPF_RSH)
				k %= 32;
			p[n++] = (struct sock_filter)S(BPF_ALU | op | (R() % 3 ? BPF_K : BPF_X), k);
			if (op == BPF_NEG)
				p[n - 1].code = BPF_ALU | BPF_NEG, p[n - 1].k = 0;
			break;
		}
		case 2: /* nr, arch or an argument word */
			p[n++] =
			    (struct sock_filter)S(BPF_LD | BPF_W | BPF_ABS,
						  R() % 3 ? 16 + 4 * (R() % 12) : 4 * (R() % 2));
			break;
		case 3:
			p[n++] = (struct sock_filter)S(
			    R() % 2 ? BPF_MISC | BPF_TAX : BPF_MISC | BPF_TXA, 0);
			break;
		case 4:
			p[n++] = (struct sock_filter)S(
			    R() % 2 ? BPF_LD | BPF_W | BPF_LEN : BPF_LDX | BPF_IMM, k);
			break;
		case 5:
			p[n++] = (struct sock_filter)S(R() % 2 ? BPF_ST : BPF_STX, R() % 16);
			p[n++] =
			    (struct sock_filter)S((R() % 2 ? BPF_LD : BPF_LDX) | BPF_MEM, R() % 16);
			break;
		default:
			p[n++] = (struct sock_filter)J(BPF_JMP | jmp[R() % 4] |
							   (R() % 2 ? BPF_X : BPF_K),
						       (uint8_t)(R() % 4), (uint8_t)(R() % 4), k);
			for (int j = 0; j < 4; j++)
				p[n++] = (struct sock_filter)S(BPF_ALU | BPF_ADD | BPF_K, R() % 5);
			break;
		}
	}
	p[n++] = (struct sock_filter)S(BPF_ALU | BPF_AND | BPF_K, 0xfff);
	p[n++] = (struct sock_filter)S(BPF_ALU | BPF_OR | BPF_K, *final_action);
	p[n++] = (struct sock_filter)S(BPF_RET | BPF_A, 0);
	return n;
#undef R
}

TEST(seccomp_random_filters_match_linux)
{
	uint64_t s = 4242;
	unsigned runs = 0, bad = 0;
	struct sock_filter p[256];
	uint32_t errno_action = SECCOMP_RET_ERRNO;
	struct kseccomp_outcome o;

	for (int i = 0; i < 150 && bad < 5; i++) {
		size_t n = random_filter(&s, p, &errno_action);
		uint64_t args[6];
		for (int a = 0; a < 6; a++)
			args[a] = (uint64_t)next(&s) << 32 | next(&s);
		struct seccomp_data sd = {.nr = SYS_getppid, .arch = EXOBPF_AUDIT_ARCH_X86_64};
		memcpy(sd.args, args, sizeof(args));
		EXOBPF_OPTS(exobpf_cbpf_opts, po, .kind = EXOBPF_CBPF_SECCOMP);
		EXOBPF_OPTS(exobpf_cbpf_run_opts, ro, .seccomp = &sd);
		struct exobpf_cbpf_prog *prog = exobpf_cbpf_prog__new(p, n, &po);
		CHECK_MSG(prog, "%s", exobpf_errmsg());
		CHECK_EQ(exobpf_cbpf_prog__run(prog, &ro), 0);
		exobpf_cbpf_prog__free(prog);
		int k = kseccomp_run(p, n, SYS_getppid, args, &o);
		if (k == -EPERM || k == -EACCES || k == -ENOSYS)
			SKIP("seccomp filters are refused here (%d)", k);
		CHECK_EQ(k, 0);
		uint32_t data = ro.retval & SECCOMP_RET_DATA;
		runs++;
		if (ro.retval == SECCOMP_RET_KILL_THREAD) { /* a division by zero */
			if (o.killed_by != SIGSYS) {
				printf("  filter %d: exobpf KILL_THREAD, Linux did not kill\n", i);
				bad++;
			}
			continue;
		}
		/* ERRNO(0) makes the call return 0 */
		if (data ? (o.ret != -1 || (uint32_t)o.err != data) : o.ret != 0) {
			printf("  filter %d: exobpf ERRNO(%u), Linux returned %ld errno %d\n", i,
			       data, o.ret, o.err);
			bad++;
		}
	}
	printf("  %u random filters: Linux's errno is exobpf's verdict\n", runs);
	CHECK_EQ(bad, 0);
}

TEST(seccomp_actions_in_linux)
{
	/* each action, as a child meets it on getppid */
	static const uint32_t actions[] = {
	    SECCOMP_RET_ALLOW,	    SECCOMP_RET_LOG,  SECCOMP_RET_ERRNO | 13,	SECCOMP_RET_TRACE,
	    SECCOMP_RET_USER_NOTIF, SECCOMP_RET_TRAP, SECCOMP_RET_KILL_PROCESS, 0x12340000};
	uint64_t args[6] = {0};
	char text[80];

	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
		struct sock_filter f[] = {
		    S(BPF_LD | BPF_W | BPF_ABS, 0), J(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, SYS_getppid),
		    S(BPF_RET | BPF_K, SECCOMP_RET_ALLOW), S(BPF_RET | BPF_K, actions[i])};
		struct seccomp_data sd = {.nr = SYS_getppid};
		EXOBPF_OPTS(exobpf_cbpf_opts, po, .kind = EXOBPF_CBPF_SECCOMP);
		EXOBPF_OPTS(exobpf_cbpf_run_opts, ro, .seccomp = &sd);
		struct exobpf_cbpf_prog *prog = exobpf_cbpf_prog__new(f, 4, &po);
		CHECK(prog && !exobpf_cbpf_prog__run(prog, &ro));
		exobpf_cbpf_prog__free(prog);
		exobpf_seccomp_action_str(ro.retval, text, sizeof(text));
		struct kseccomp_outcome o;
		int k = kseccomp_run(f, 4, SYS_getppid, args, &o);
		if (k == -EPERM || k == -EACCES || k == -ENOSYS)
			SKIP("seccomp filters are refused here (%d)", k);
		CHECK_EQ(k, 0);
		if (!strcmp(text, "ALLOW") || !strcmp(text, "LOG"))
			CHECK_MSG(o.ret > 0 && !o.killed_by, "%s: %ld", text, o.ret);
		else if (!strncmp(text, "ERRNO", 5))
			CHECK_MSG(o.ret == -1 && o.err == 13, "%s: %ld %d", text, o.ret, o.err);
		else if (!strncmp(text, "TRACE", 5) || !strcmp(text, "USER_NOTIF"))
			CHECK_MSG(o.ret == -1 && o.err == ENOSYS, "%s: %ld %d", text, o.ret, o.err);
		else /* TRAP, KILL_PROCESS and unknown actions end the child with SIGSYS */
			CHECK_MSG(o.killed_by == SIGSYS, "%s: signal %d", text, o.killed_by);
	}
}

TEST(seccomp_explain)
{
	int nrs[] = {SYS_getppid, SYS_openat};
	struct sock_filter *f;
	size_t cnt;
	char *text;

	CHECK_EQ(exobpf_seccomp_trace_filter(nrs, 2, NULL, &f, &cnt), 0);
	CHECK_EQ(exobpf_seccomp_explain(f, cnt, &text), 0);
	free(f);
	/* each line: the listing, padded to 44 columns, then the meaning */
	char line[160];
	snprintf(line, sizeof(line), "%-44s ; A = arch\n", "(000) ld       [4]");
	CHECK_CONTAINS(text, line);
	CHECK_CONTAINS(text, "; if (arch == AUDIT_ARCH_X86_64)\n");
	snprintf(line, sizeof(line), "%-44s ; TRACE(0)\n", "(002) ret      #2146435072");
	CHECK_CONTAINS(text, line);
	snprintf(line, sizeof(line), "%-44s ; A = nr\n", "(003) ld       [0]");
	CHECK_CONTAINS(text, line);
	CHECK_CONTAINS(text, "; if (nr >= 1073741824)\n");
	CHECK_CONTAINS(text, "; if (nr == getppid)\n");
	CHECK_CONTAINS(text, "; if (nr == openat)\n");
	CHECK_CONTAINS(text, "; ALLOW\n");
	free(text);

	/* arguments, halves, unreachable code, and a refusal */
	static const struct sock_filter g[] = {S(BPF_LD | BPF_W | BPF_ABS, 20),
					       J(BPF_JMP | BPF_JSET | BPF_K, 0, 0, 1),
					       S(BPF_JMP | BPF_JA, 1), S(BPF_RET | BPF_K, 0),
					       S(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 1)};
	CHECK_EQ(exobpf_seccomp_explain(g, 5, &text), 0);
	CHECK_CONTAINS(text, "; A = args[0] (high 32 bits)\n");
	CHECK_CONTAINS(text, "; if (args[0] (high 32 bits) & 1)\n");
	snprintf(line, sizeof(line), "%-44s ; unreachable\n", "(003) ret      #0");
	CHECK_CONTAINS(text, line);
	CHECK_CONTAINS(text, "; ERRNO(1)\n");
	free(text);
	static const struct sock_filter h[] = {S(BPF_LD | BPF_H | BPF_ABS, 0),
					       S(BPF_RET | BPF_A, 0)};
	CHECK_EQ(exobpf_seccomp_explain(h, 2, &text), -EINVAL);
	CHECK_CONTAINS(exobpf_errmsg(),
		       "insn 0: ldh (opcode 0x28) is not allowed in seccomp filters");
}
