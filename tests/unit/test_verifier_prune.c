/* Liveness and precision: what state pruning may ignore (registers and
 * slots no later path reads, scalars no decision needed exact) and what it
 * may not. Each unsafe program below is only caught if pruning keeps the
 * right register; each efficiency program only verifies in few steps if it
 * ignores the right one. Verdicts are reasoned from the programs; where
 * bpf() works, Linux's verdict (and processed-instruction count, which its
 * liveness and precision rules decide) is compared too. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exobpf/exobpf.h"
#include "test.h"
#include "util.h"
#include "verifier/facts.h"

static char xlog[1 << 16], klog[1 << 16];

static unsigned processed(const char *log)
{
	const char *p = strstr(log, "processed ");

	return p ? (unsigned)strtoul(p + 10, NULL, 10) : 0;
}

/* exobpf: 1 accepted, 0 rejected; log at level 4 (stats) or 2. */
static int xverify(const char *text, uint32_t prog_flags, unsigned level)
{
	struct bpf_insn *insns;
	size_t cnt;
	struct exobpf_prog *p;

	if (exobpf_asm(text, "prune", &insns, &cnt))
		return -1;
	EXOBPF_OPTS(exobpf_prog_opts, o, .type = BPF_PROG_TYPE_SOCKET_FILTER,
		    .prog_flags = prog_flags, .log_buf = xlog, .log_size = sizeof(xlog),
		    .log_level = level);
	xlog[0] = '\0';
	p = exobpf_prog__new(insns, cnt, &o);
	free(insns);
	exobpf_prog__free(p);
	return p != NULL;
}

/* Linux: 1 accepted, 0 rejected, -1 bpf() refused here; stats in klog. */
static int kverify(const char *text, uint32_t prog_flags)
{
	struct bpf_insn *insns;
	size_t cnt;
	union bpf_attr attr;
	long fd;

	if (!kbpf_available() || exobpf_asm(text, "prune", &insns, &cnt))
		return -1;
	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
	attr.insns = (uintptr_t)insns;
	attr.insn_cnt = (uint32_t)cnt;
	attr.license = (uintptr_t) "GPL";
	attr.prog_flags = prog_flags;
	attr.log_buf = (uintptr_t)klog;
	attr.log_size = sizeof(klog);
	attr.log_level = 4;
	klog[0] = '\0';
	fd = kbpf_sys(BPF_PROG_LOAD, &attr);
	free(insns);
	if (fd >= 0)
		close((int)fd);
	return fd >= 0;
}

/* r7 is a constant that differs on every path (1024 of them) but is only
 * returned, never decided on: imprecise, so the paths merge at each join.
 * Without precision tracking every path would be walked to the end. */
TEST(verifier_imprecise_scalars_prune)
{
	char text[4096];
	size_t n = 0;

	n += (size_t)snprintf(text + n, sizeof(text) - n, "r6 = *(u32 *)(r1 +0)\nr7 = 0\n");
	for (int k = 0; k < 10; k++)
		n += (size_t)snprintf(text + n, sizeof(text) - n,
				      "r8 = r6\nr8 &= %d\nif r8 == 0 goto +1\nr7 += %d\n", 1 << k,
				      1 << k);
	snprintf(text + n, sizeof(text) - n, "r0 = r7\nexit\n");
	CHECK_EQ(xverify(text, 0, 4), 1);
	/* one walk down (43 insns) plus a few per join: far below 2^10 */
	CHECK_MSG(processed(xlog) < 200, "processed %u", processed(xlog));
	if (kverify(text, 0) >= 0)
		CHECK_EQ(processed(xlog), processed(klog));
}

/* The same shape, but r7 moves a stack pointer: its value decides the
 * access, so it is precise and the path adding 8 (fp-8+8 = fp+0) must be
 * walked and rejected, not pruned as "the same" as the safe one. */
TEST(verifier_precise_scalar_is_not_pruned)
{
	const char *text = "r6 = *(u32 *)(r1 +0)\n"
			   "r7 = 0\n"
			   "if r6 > 100 goto far\n"
			   "join:\n"
			   "r2 = r10\n"
			   "r2 += -8\n"
			   "r2 += r7\n"
			   "*(u64 *)(r2 +0) = r6\n"
			   "r0 = 0\n"
			   "exit\n"
			   "far:\n"
			   "r7 = 8\n"
			   "goto join\n";

	CHECK_EQ(xverify(text, BPF_F_TEST_STATE_FREQ, 2), 0);
	CHECK_CONTAINS(xlog, "invalid write to stack R2 off=0 size=8");
	/* the backtracking that made r7 precise, in Linux's words */
	CHECK_CONTAINS(xlog, "regs=80 stack=0 before");
	if (kverify(text, BPF_F_TEST_STATE_FREQ) >= 0)
		CHECK_EQ(kverify(text, BPF_F_TEST_STATE_FREQ), 0);
}

/* r7 is read after the join (it is the address written), so its pointer
 * offsets are compared there even though no scalar is involved. */
TEST(verifier_live_register_is_compared)
{
	const char *text = "r6 = *(u32 *)(r1 +0)\n"
			   "r7 = r10\n"
			   "r7 += -8\n"
			   "if r6 > 100 goto far\n"
			   "join:\n"
			   "*(u64 *)(r7 +0) = r6\n"
			   "r0 = 0\n"
			   "exit\n"
			   "far:\n"
			   "r7 = r10\n"
			   "goto join\n";

	CHECK_EQ(xverify(text, BPF_F_TEST_STATE_FREQ, 2), 0);
	CHECK_CONTAINS(xlog, "invalid write to stack R7 off=0 size=8");
	if (kverify(text, BPF_F_TEST_STATE_FREQ) >= 0)
		CHECK_EQ(kverify(text, BPF_F_TEST_STATE_FREQ), 0);
}

/* r7 is a pointer on one path and a number on the other, but it is
 * written before anything reads it after the join: dead there, so the
 * second path is pruned at the join. */
TEST(verifier_dead_register_is_ignored)
{
	const char *text = "r6 = *(u32 *)(r1 +0)\n"
			   "r7 = r10\n"
			   "if r6 > 100 goto far\n"
			   "join:\n"
			   "r7 = 1\n"
			   "r0 = r7\n"
			   "exit\n"
			   "far:\n"
			   "r7 = 5\n"
			   "goto join\n";

	CHECK_EQ(xverify(text, BPF_F_TEST_STATE_FREQ, 2), 1);
	CHECK_CONTAINS(xlog, "7: (05) goto pc-5\n3: safe\n");
	if (kverify(text, BPF_F_TEST_STATE_FREQ) >= 0) {
		CHECK_EQ(xverify(text, BPF_F_TEST_STATE_FREQ, 4), 1);
		CHECK_EQ(processed(xlog), processed(klog));
	}
}

/* r7 is a copy of r6 on one path (so "r6 <= 7" bounds r7 too) and an
 * unrelated number on the other. Pruning must see that the link is gone:
 * r7 is precise, its link to r6 counts, and the second path is rejected.
 * (Linux 6.1 lost the link here; later kernels track it, as exobpf does.) */
TEST(verifier_linked_scalars_stay_linked)
{
	const char *text = "r6 = *(u32 *)(r1 +0)\n"
			   "r8 = *(u32 *)(r1 +4)\n"
			   "r7 = r6\n"
			   "if r8 > 100 goto other\n"
			   "join:\n"
			   "if r6 > 7 goto out\n"
			   "r2 = r10\n"
			   "r2 += -8\n"
			   "r2 += r7\n"
			   "r0 = *(u8 *)(r2 +0)\n"
			   "out:\n"
			   "r0 = 0\n"
			   "exit\n"
			   "other:\n"
			   "r7 = r8\n"
			   "goto join\n";

	CHECK_EQ(xverify(text, BPF_F_TEST_STATE_FREQ, 2), 0);
	if (kverify(text, BPF_F_TEST_STATE_FREQ) >= 0)
		CHECK_EQ(kverify(text, BPF_F_TEST_STATE_FREQ), 0);
}

/* A spilled scalar keeps its precision through the stack: the constant
 * filled back from fp-8 decides the write, so the slot is precise too. */
TEST(verifier_precision_through_spills)
{
	const char *text = "r6 = *(u32 *)(r1 +0)\n"
			   "r7 = 0\n"
			   "if r6 > 100 goto far\n"
			   "join:\n"
			   "*(u64 *)(r10 -8) = r7\n"
			   "r3 = *(u32 *)(r1 +4)\n"
			   "if r3 > 5 goto next\n"
			   "next:\n"
			   "r7 = *(u64 *)(r10 -8)\n"
			   "r2 = r10\n"
			   "r2 += -16\n"
			   "r2 += r7\n"
			   "*(u64 *)(r2 +0) = r6\n"
			   "r0 = 0\n"
			   "exit\n"
			   "far:\n"
			   "r7 = 16\n"
			   "goto join\n";

	CHECK_EQ(xverify(text, BPF_F_TEST_STATE_FREQ, 2), 0);
	CHECK_CONTAINS(xlog, "invalid write to stack R2 off=0 size=8");
	CHECK_CONTAINS(xlog, "regs=0 stack=1 before");
	if (kverify(text, BPF_F_TEST_STATE_FREQ) >= 0)
		CHECK_EQ(kverify(text, BPF_F_TEST_STATE_FREQ), 0);
}

/* Unreachable code becomes `goto -1` once verified (Linux's
 * sanitize_dead_code), so a call no helper answers may sit behind a guard
 * the verifier proved false, as CO-RE's poisoned calls do. */
TEST(verifier_dead_code_is_sanitized)
{
	const char *text = "r1 = 0\n"
			   "if r1 == 0 goto +1\n"
			   "call 195896080\n"
			   "r0 = 7\n"
			   "exit\n";
	struct bpf_insn *insns;
	size_t cnt;
	struct exobpf_prog *p;

	CHECK(!exobpf_asm(text, "dead", &insns, &cnt));
	EXOBPF_OPTS(exobpf_prog_opts, o, .type = BPF_PROG_TYPE_SOCKET_FILTER);
	p = exobpf_prog__new(insns, cnt, &o);
	free(insns);
	CHECK_MSG(p, "%s", exobpf_errmsg());
	if (!p)
		return;
	uint8_t pkt[64] = {0};
	EXOBPF_OPTS(exobpf_run_opts, ro, .data_in = pkt, .data_size_in = sizeof(pkt),
		    .flags = EXOBPF_RUN_CHECKED);
	CHECK_MSG(!exobpf_prog__run(p, &ro), "%s", exobpf_errmsg());
	CHECK_EQ(ro.retval, 7);
	exobpf_prog__free(p);
}

/* A clang object whose bpf_loop callback adds into the caller's stack:
 * Linux accepts it; the callback's runs converge (the sum is imprecise and
 * widened) instead of counting to the instruction limit. The loop adds
 * 0..9, so the program stores 45. */
TEST(verifier_bpf_loop_callback_object)
{
	static char log[1 << 16];
	const char *b = getenv("EXOBPF_BUILD");
	char path[512];
	struct exobpf_object *obj;
	struct exobpf_program *p;
	struct {
		uint64_t a, b, out;
	} args = {0, 0, 0};

	snprintf(path, sizeof(path), "%s/progs/func_ptr.bpf.o", b && *b ? b : "build");
	obj = exobpf_object__open_file(path, NULL);
	CHECK_MSG(obj, "%s", exobpf_errmsg());
	if (!obj)
		return;
	p = exobpf_object__find_program_by_name(obj, "looper");
	CHECK(p);
	/* a buffer without a size (and the reverse) is refused, by name */
	CHECK_EQ(exobpf_program__set_log_buf(p, NULL, 64), -EINVAL);
	CHECK_CONTAINS(exobpf_errmsg(), "looper: log buffer and size must be given together");
	CHECK_EQ(exobpf_program__set_log_buf(p, log, 0), -EINVAL);
	CHECK_EQ(exobpf_program__set_log_buf(p, log, sizeof(log)), 0);
	CHECK_EQ(exobpf_program__set_log_level(p, 4), 0);
	CHECK_MSG(!exobpf_object__load(obj), "%s", exobpf_errmsg());
	CHECK_CONTAINS(log, "processed ");
	CHECK_MSG(processed(log) < 1000, "processed %u", processed(log));
	if (exobpf_program__prog(p)) {
		EXOBPF_OPTS(exobpf_run_opts, o, .ctx_in = &args, .ctx_size_in = sizeof(args),
			    .ctx_out = &args, .ctx_size_out = sizeof(args),
			    .flags = EXOBPF_RUN_CHECKED);
		CHECK_MSG(!exobpf_prog__run(exobpf_program__prog(p), &o), "%s", exobpf_errmsg());
		CHECK_EQ(args.out, 45);
	}
	exobpf_object__close(obj);
}

/* A bpf_loop callback's second run meets, at a jump, a state of its first
 * run that is still being explored (the first run's other branch waits on
 * the stack). That is the next run, not an infinite loop: Linux 6.18
 * accepts it (callback_unroll_depth tells the runs apart). The first run
 * (index 0) stores 2 where the second reads its divisor: 100 / 2. */
TEST(verifier_callback_rerun_is_not_an_infinite_loop)
{
	const char *text = "r6 = 1\n*(u64 *)(r10 -8) = r6\nr6 = 0\n*(u64 *)(r10 -16) = r6\n"
			   "r1 = 2\nr2 = func[cb]\nr3 = r10\nr3 += -8\nr4 = 0\ncall 181\n"
			   "r0 = *(u64 *)(r10 -16)\nexit\n" CB_RERUN_TEXT;
	struct bpf_insn *insns;
	size_t cnt;
	uint8_t pkt[64] = {0};

	CHECK(!exobpf_asm(text, "rerun", &insns, &cnt));
	EXOBPF_OPTS(exobpf_prog_opts, o, .type = BPF_PROG_TYPE_XDP, .license = "GPL",
		    .log_buf = xlog, .log_size = sizeof(xlog), .log_level = 4);
	struct exobpf_prog *p = exobpf_prog__new(insns, cnt, &o);
	CHECK_MSG(p, "%s", exobpf_errmsg());
	CHECK(!strstr(xlog, "infinite loop"));
	EXOBPF_OPTS(exobpf_run_opts, ro, .data_in = pkt, .data_size_in = sizeof(pkt));
	CHECK_MSG(!exobpf_prog__run(p, &ro), "%s", exobpf_errmsg());
	CHECK_EQ(ro.retval, 50);
	exobpf_prog__free(p);
	if (kbpf_available()) {
		uint32_t ret = 0;
		int fd = kbpf_prog_load(BPF_PROG_TYPE_XDP, insns, cnt, klog, sizeof(klog), 4);
		CHECK_MSG(fd >= 0, "Linux refused it: %s\n%s", strerror(-fd), klog);
		CHECK_EQ(kbpf_test_run(fd, pkt, sizeof(pkt), &ret), 0);
		CHECK_EQ(ret, 50);
		close(fd);
	}
	free(insns);
}

/* Found by the seventh session's review: a bpf_loop callback's second run
 * stops at the callback's entry against the first run, still being
 * explored, so what the second run reads never reaches the first run's
 * checkpoints. Path 1 (count 0 or 1, X the context) walks the first run;
 * path 2 (count 0, X a number) was then pruned inside its first run, where
 * X was not live, and its second run, which dereferences X, was never
 * walked: both engines crashed. Linux 6.18 refuses both programs (one makes
 * the count precise, one leaves it to be widened). */
TEST(verifier_callback_run_states_keep_later_runs_reads)
{
	static const char *const count[] = {"r5 = r2\nr5 += r4\n", ""};
	char text[2048];

	for (size_t i = 0; i < sizeof(count) / sizeof(count[0]); i++) {
		struct bpf_insn *insns;
		size_t cnt;

		snprintf(text, sizeof(text),
			 "r9 = r1\ncall bpf_get_prandom_u32\nr6 = r0\nif r6 > 100 goto P2\n"
			 "r7 = r6\nr7 &= 1\nr8 = r9\ngoto J\nP2:\nr7 = 0\nr8 = 0x41414141\nJ:\n"
			 "*(u64 *)(r10 -8) = r7\n*(u64 *)(r10 -16) = r8\nr1 = 2\n"
			 "r2 = func[cb]\nr3 = r10\nr3 += -16\nr4 = 0\ncall bpf_loop\nr0 = 2\n"
			 "exit\n"
			 "cb:\nr3 = *(u64 *)(r2 +8)\nif r3 != 0 goto B\nr4 = 1\n%s"
			 "*(u64 *)(r2 +8) = r4\nr6 = 0\nif r6 == 1 goto C\nr6 += 1\n"
			 "if r6 == 2 goto C\nr6 += 1\nr6 += 1\nr6 += 1\nC:\nr6 += 1\nr6 += 1\n"
			 "r0 = 0\nexit\n"
			 "B:\nr6 = *(u64 *)(r2 +0)\nr0 = *(u32 *)(r6 +0)\nr0 = 0\nexit\n",
			 count[i]);
		CHECK(!exobpf_asm(text, "runs", &insns, &cnt));
		EXOBPF_OPTS(exobpf_prog_opts, o, .type = BPF_PROG_TYPE_XDP, .license = "GPL",
			    .log_buf = xlog, .log_size = sizeof(xlog), .log_level = 1);
		struct exobpf_prog *p = exobpf_prog__new(insns, cnt, &o);
		exobpf_prog__free(p);
		CHECK_MSG(!p, "program %zu accepted", i);
		CHECK_CONTAINS(xlog, "R6 invalid mem access 'scalar'");
		if (kbpf_available()) {
			int fd =
			    kbpf_prog_load(BPF_PROG_TYPE_XDP, insns, cnt, klog, sizeof(klog), 1);
			if (fd >= 0)
				close(fd);
			CHECK_MSG(fd < 0, "Linux accepted program %zu", i);
			CHECK_CONTAINS(klog, "R6 invalid mem access 'scalar'");
		}
		free(insns);
	}
}

/* exobpf-fuzz jit, seed 75081206: precision backtracking stopped at a
 * state's first instruction even when the path had gone round a loop and
 * come back to it, so the loop's later iterations (where r4 is made from
 * r1) were never walked back: r4 was marked precise at the checkpoint
 * instead of r1. The path with r1 = 0 was then pruned there, and the
 * instruction only it reaches (r0 = 1) was left as dead code, a jump to
 * itself: the run hung. Linux fixed the walk in 6.4; 6.18 walks both paths
 * (processed 37). */
TEST(verifier_precision_walks_back_round_a_loop)
{
	const char *text = "call bpf_get_prandom_u32\nr6 = r0\nr1 = 0\nif r6 s> 100 goto l5\n"
			   "r1 -= 8\nl5:\nr9 = 4\nl6:\nw4 = (s8)w1\nr9 -= 1\nif r9 != 0 goto l6\n"
			   "if w4 s< w9 goto l12\nr0 = 1\nexit\nl12:\nr0 = 2\nexit\n";
	struct bpf_insn *insns;
	size_t cnt;

	CHECK(!exobpf_asm(text, "loop", &insns, &cnt));
	EXOBPF_OPTS(exobpf_prog_opts, o, .type = BPF_PROG_TYPE_XDP, .license = "GPL",
		    .log_buf = xlog, .log_size = sizeof(xlog), .log_level = 4);
	struct exobpf_prog *p = exobpf_prog__new(insns, cnt, &o);
	free(insns);
	CHECK_MSG(p, "%s", exobpf_errmsg());
	/* both paths walked, as Linux walks them */
	CHECK_EQ(processed(xlog), 37);
	const struct vrf_fact *f;
	size_t n;
	CHECK((f = vrf_prog_facts(p, &n)) && n == cnt);
	CHECK_MSG(f[10].flags & VRF_FACT_SEEN, "r0 = 1 left as dead code");
	exobpf_prog__free(p);
}

/* With a log of the caller's, a rejected program's error names the object
 * and the program once, then the verifier's message; the log has it too. */
TEST(verifier_object_rejection_with_caller_log)
{
	static char log[1 << 16];
	const char *b = getenv("EXOBPF_BUILD");
	char path[512];
	struct exobpf_object *obj;
	struct exobpf_program *p;

	snprintf(path, sizeof(path), "%s/progs/err_verifier.bpf.o", b && *b ? b : "build");
	obj = exobpf_object__open_file(path, NULL);
	CHECK_MSG(obj, "%s", exobpf_errmsg());
	if (!obj)
		return;
	p = exobpf_object__find_program_by_name(obj, "deref_scalar");
	CHECK(p);
	CHECK_EQ(exobpf_program__set_log_buf(p, log, sizeof(log)), 0);
	CHECK_EQ(exobpf_program__set_log_level(p, 1), 0);
	CHECK(exobpf_object__load(obj) < 0);
	CHECK_CONTAINS(exobpf_errmsg(), "err_verifier.bpf.o: program 'deref_scalar': ");
	CHECK_CONTAINS(exobpf_errmsg(), "R1 invalid mem access 'scalar'");
	CHECK_CONTAINS(log, "R1 invalid mem access 'scalar'");
	exobpf_object__close(obj);
}
