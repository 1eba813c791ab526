/* Regression tests for what the reliability oracles found (the table in
 * docs/reliability.md names each one). Expected values are worked out by
 * hand from the documented semantics, and compared with Linux where bpf()
 * works. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "exobpf/bpf.h"
#include "exobpf/exobpf.h"
#include "test.h"
#include "util.h"
#include "verifier/facts.h"

/* bpf_csum_diff(&from, fsize, &to, tsize, seed) in an XDP program. */
static uint64_t csum_diff_sized(uint32_t from, int fsize, uint32_t to, int tsize, uint32_t seed,
				bool kernel, int *err)
{
	const struct bpf_insn prog[] = {
	    {BPF_ST | BPF_MEM | BPF_W, BPF_REG_10, 0, -8, (int32_t)from},
	    {BPF_ST | BPF_MEM | BPF_W, BPF_REG_10, 0, -4, (int32_t)to},
	    {BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_10, 0, 0},
	    {BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_1, 0, 0, -8},
	    {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_2, 0, 0, fsize},
	    {BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_3, BPF_REG_10, 0, 0},
	    {BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_3, 0, 0, -4},
	    {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_4, 0, 0, tsize},
	    {BPF_ALU | BPF_MOV | BPF_K, BPF_REG_5, 0, 0, (int32_t)seed},
	    {BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_csum_diff},
	    {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
	};
	size_t n = sizeof(prog) / sizeof(prog[0]);
	uint8_t pkt[64] = {0};
	if (kernel) {
		uint32_t ret = 0;
		int fd = kbpf_prog_load(BPF_PROG_TYPE_XDP, prog, n, NULL, 0, 0);
		*err = fd < 0 ? fd : kbpf_test_run(fd, pkt, sizeof(pkt), &ret);
		if (fd >= 0)
			close(fd);
		return ret;
	}
	EXOBPF_OPTS(exobpf_prog_opts, po, .type = BPF_PROG_TYPE_XDP);
	struct exobpf_prog *p = exobpf_prog__new(prog, n, &po);
	if (!p) {
		*err = -errno;
		return 0;
	}
	EXOBPF_OPTS(exobpf_run_opts, ro, .data_in = pkt, .data_size_in = sizeof(pkt));
	*err = exobpf_prog__run(p, &ro);
	exobpf_prog__free(p);
	return ro.retval;
}

static uint64_t csum_diff_of(uint32_t from, uint32_t to, bool kernel, int *err)
{
	return csum_diff_sized(from, 4, to, 4, 0, kernel, err);
}

/* Finding: bpf_csum_diff returned the unfolded 32-bit sum; Linux (since
 * 6.13, the machine's kernel) folds it to 16 bits with end-around carry. */
TEST(finding_csum_diff_folds_to_16_bits)
{
	int err;
	/* to = 0x3dedc4d4 alone (from's ~0 adds 0xffffffff, which is 0 in
	 * ones' complement): 0x3ded + 0xc4d4 = 0x102c1 -> 0x02c1 + 1 */
	CHECK_EQ(csum_diff_of(0, 0x3dedc4d4, false, &err), 0x2c2);
	CHECK_EQ(err, 0);
	/* ~1 + 3 = 0xfffffffe + 3 = 0x1_00000001 -> 2 */
	CHECK_EQ(csum_diff_of(1, 3, false, &err), 2);
	/* 0xffffffb8 folds to 0xffb8 (0xffff + 0xffb8 = 0x1ffb7 -> 0xffb8) */
	CHECK_EQ(csum_diff_of(0, 0xffffffb8, false, &err), 0xffb8);
	if (!kbpf_available())
		SKIP("bpf() is refused here: not compared with Linux");
	static const uint32_t words[][2] = {
	    {0, 0x3dedc4d4}, {1, 3}, {0, 0xffffffb8}, {0x12345678, 0x9abcdef0}, {0xffffffff, 0}};
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		int e1, e2;
		uint64_t ours = csum_diff_of(words[i][0], words[i][1], false, &e1);
		uint64_t linux_ = csum_diff_of(words[i][0], words[i][1], true, &e2);
		CHECK_EQ(e1, 0);
		CHECK_EQ(e2, 0);
		CHECK_EQ(ours & 0xffffffff, linux_);
	}
}

/* Finding (the same helper, a campaign later): ones' complement has two
 * zeros, and which one Linux returns follows its order of operations:
 * with only `from`, ~csum(from, ~seed); with both, csum(to, seed) plus
 * ~csum(from). */
TEST(finding_csum_diff_zero_representation)
{
	int err;
	/* from = 1, seed = 1: ~(1 + 0xfffffffe) = ~0xffffffff = 0, so 0 (a
	 * plain sum of seed and ~from gives 0xffffffff, folded 0xffff) */
	CHECK_EQ(csum_diff_sized(1, 4, 0, 0, 1, false, &err), 0);
	CHECK_EQ(err, 0);
	/* nothing to add: the seed, folded (0x12345678 -> 0x1234 + 0x5678) */
	CHECK_EQ(csum_diff_sized(0, 0, 0, 0, 0x12345678, false, &err), 0x68ac);
	/* to only: csum(to, seed) = 0xffff0000 + 0xffff = 0xffffffff -> 0xffff */
	CHECK_EQ(csum_diff_sized(0, 0, 0xffff0000, 4, 0xffff, false, &err), 0xffff);
	if (!kbpf_available())
		SKIP("bpf() is refused here: not compared with Linux");
	static const uint32_t cases[][5] = {{1, 4, 0, 0, 1},
					    {0, 0, 0, 0, 0x12345678},
					    {0, 0, 0xffff0000, 4, 0xffff},
					    {0xffffffff, 4, 0, 4, 0},
					    {0x80000000, 4, 0x7fffffff, 4, 1},
					    {0, 4, 0, 4, 0},
					    {0xffff, 4, 0, 0, 0xffff}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const uint32_t *c = cases[i];
		int e1, e2;
		uint64_t ours = csum_diff_sized(c[0], (int)c[1], c[2], (int)c[3], c[4], false, &e1);
		uint64_t linux_ =
		    csum_diff_sized(c[0], (int)c[1], c[2], (int)c[3], c[4], true, &e2);
		CHECK_EQ(e1, 0);
		CHECK_EQ(e2, 0);
		CHECK_MSG(ours == linux_, "case %zu: exobpf %#llx, Linux %#llx", i,
			  (unsigned long long)ours, (unsigned long long)linux_);
	}
}

/* Finding (verifier target, seed corpus run): a subprogram may exit with r0
 * unset when its caller never reads r0 (Linux accepts this program); the
 * checked interpreter treated every exit as a read of r0 and faulted. Now a
 * subprogram's exit hands r0 back as it is, and the read is caught where
 * the caller makes it. */
TEST(finding_subprog_exit_with_r0_unset)
{
	const struct bpf_insn prog[] = {
	    {BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, 3}, /* call 4 */
	    {BPF_ST | BPF_MEM | BPF_B, BPF_REG_10, 0, -32, 0},
	    {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 7},
	    {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
	    {BPF_ST | BPF_MEM | BPF_B, BPF_REG_10, 0, -64, 0}, /* 4: r0 never set */
	    {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
	};
	uint8_t pkt[64] = {0};
	EXOBPF_OPTS(exobpf_prog_opts, po, .type = BPF_PROG_TYPE_XDP);
	struct exobpf_prog *p = exobpf_prog__new(prog, 6, &po);
	CHECK_MSG(p, "%s", exobpf_errmsg());
	EXOBPF_OPTS(exobpf_run_opts, ro, .data_in = pkt, .data_size_in = sizeof(pkt),
		    .flags = EXOBPF_RUN_CHECKED | EXOBPF_RUN_INTERP);
	CHECK_MSG(exobpf_prog__run(p, &ro) == 0, "%s", exobpf_errmsg());
	CHECK_EQ(ro.retval, 7);
	exobpf_prog__free(p);
	if (kbpf_available()) { /* and Linux accepts it too */
		int fd = kbpf_prog_load(BPF_PROG_TYPE_XDP, prog, 6, NULL, 0, 0);
		CHECK_MSG(fd >= 0, "Linux: %d", fd);
		if (fd >= 0)
			close(fd);
	}
	/* the caller reading the unset r0 (unverified, so only checked mode
	 * stands between it and the garbage) is still caught, at its exit */
	struct bpf_insn bad[6];
	memcpy(bad, prog, sizeof(bad));
	bad[2] = (struct bpf_insn){BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_0, 0, 0, 7};
	EXOBPF_OPTS(exobpf_prog_opts, nv, .type = EXOBPF_PROG_TYPE_RAW,
		    .flags = EXOBPF_PROG_NO_VERIFY);
	p = exobpf_prog__new(bad, 6, &nv);
	CHECK(p);
	EXOBPF_OPTS(exobpf_run_opts, rc, .flags = EXOBPF_RUN_CHECKED | EXOBPF_RUN_INTERP);
	CHECK_EQ(exobpf_prog__run(p, &rc), -EFAULT);
	CHECK_CONTAINS(exobpf_errmsg(), "insn 2: r0 is read before it is written");
	exobpf_prog__free(p);
}

/* Both bpf() implementations, for the attr target's findings: exobpf's, and
 * Linux's where it answers. */
static long both_bpf(bool kernel, int cmd, union bpf_attr *a)
{
	if (kernel)
		return kbpf_sys(cmd, a) < 0 ? -errno : 0;
	return exobpf_bpf(cmd, a, sizeof(*a));
}

/* Finding 5 (attr target): MAP_UPDATE_BATCH staged all count elements
 * before updating, so count = 2^32 - 1 asked for 48 GiB. Linux goes element
 * by element: the batch stops at the first unreadable key with count = the
 * elements done, and those stay updated. */
TEST(finding_update_batch_huge_count_stops_at_fault)
{
	/* pages: keys | none | values | none */
	uint8_t *pg =
	    mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(pg != MAP_FAILED);
	if (pg == MAP_FAILED)
		return;
	CHECK(mprotect(pg + 4096, 4096, PROT_NONE) == 0);
	CHECK(mprotect(pg + 3 * 4096, 4096, PROT_NONE) == 0);
	/* two keys and two values, each pair at the end of a readable page */
	uint32_t *keys = (uint32_t *)(pg + 4096 - 8);
	uint64_t *vals = (uint64_t *)(pg + 3 * 4096 - 16);
	keys[0] = 1, keys[1] = 3;
	vals[0] = 111, vals[1] = 333;
	for (int kernel = 0; kernel < 2; kernel++) {
		if (kernel && !kbpf_available())
			break;
		union bpf_attr a;
		memset(&a, 0, sizeof(a));
		a.map_type = BPF_MAP_TYPE_ARRAY, a.key_size = 4, a.value_size = 8;
		a.max_entries = 4;
		int fd = kernel ? (int)kbpf_sys(BPF_MAP_CREATE, &a)
				: exobpf_bpf(BPF_MAP_CREATE, &a, sizeof(a));
		CHECK_MSG(fd >= 0, "%s map: %d", kernel ? "Linux" : "exobpf", fd);
		if (fd < 0)
			continue;
		memset(&a, 0, sizeof(a));
		a.batch.map_fd = (uint32_t)fd;
		a.batch.keys = (uint64_t)(uintptr_t)keys;
		a.batch.values = (uint64_t)(uintptr_t)vals;
		a.batch.count = UINT32_MAX;
		long r = both_bpf(kernel, BPF_MAP_UPDATE_BATCH, &a);
		CHECK_MSG(r == -EFAULT, "%s: %ld %s", kernel ? "Linux" : "exobpf", r,
			  exobpf_errmsg());
		CHECK_EQ(a.batch.count, 2);
		for (uint32_t k = 0; k < 4; k++) {
			uint64_t v = 0;
			union bpf_attr l;
			memset(&l, 0, sizeof(l));
			l.map_fd = (uint32_t)fd;
			l.key = (uint64_t)(uintptr_t)&k;
			l.value = (uint64_t)(uintptr_t)&v;
			CHECK_EQ(both_bpf(kernel, BPF_MAP_LOOKUP_ELEM, &l), 0);
			CHECK_EQ(v, k == 1 ? 111u : k == 3 ? 333u : 0u);
		}
		close(fd);
	}
	munmap(pg, 4 * 4096);
}

/* Finding 6 (attr target): PROG_TEST_RUN copied data_in of any size before
 * anything checked it (4 GiB asked: out of memory). Linux refuses an skb
 * program's oversized packet at once (EINVAL) and an XDP program's once its
 * frags run out, reading as it goes: EFAULT here, where the bytes after the
 * 64-byte buffer are not readable. */
TEST(finding_test_run_huge_data_is_refused)
{
	static const struct bpf_insn prog[] = {
	    {BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 2},
	    {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
	};
	static const char license[] = "GPL";
	uint8_t *pg =
	    mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(pg != MAP_FAILED);
	if (pg == MAP_FAILED)
		return;
	CHECK(mprotect(pg + 4096, 4096, PROT_NONE) == 0);
	uint8_t *pkt = pg + 4096 - 64;
	for (int kernel = 0; kernel < 4; kernel++) {
		bool k = kernel & 1, xdp = kernel < 2;
		if (k && !kbpf_available())
			continue;
		union bpf_attr a;
		memset(&a, 0, sizeof(a));
		a.prog_type = xdp ? BPF_PROG_TYPE_XDP : BPF_PROG_TYPE_SOCKET_FILTER;
		a.insn_cnt = 2;
		a.insns = (uint64_t)(uintptr_t)prog, a.license = (uint64_t)(uintptr_t)license;
		int fd =
		    k ? (int)kbpf_sys(BPF_PROG_LOAD, &a) : exobpf_bpf(BPF_PROG_LOAD, &a, sizeof(a));
		CHECK_MSG(fd >= 0, "%s prog: %d", k ? "Linux" : "exobpf", fd);
		if (fd < 0)
			continue;
		memset(&a, 0, sizeof(a));
		a.test.prog_fd = (uint32_t)fd;
		a.test.data_in = (uint64_t)(uintptr_t)pkt;
		a.test.data_size_in = 0xffffff00u; /* far past the 64 readable bytes */
		long r = both_bpf(k, BPF_PROG_TEST_RUN, &a);
		CHECK_MSG(r == (xdp ? -EFAULT : -EINVAL), "%s %s: %ld", k ? "Linux" : "exobpf",
			  xdp ? "XDP" : "socket filter", r);
		/* a context far past any context struct: E2BIG before a copy */
		memset(&a, 0, sizeof(a));
		a.test.prog_fd = (uint32_t)fd;
		a.test.data_in = (uint64_t)(uintptr_t)pkt;
		a.test.data_size_in = 64;
		a.test.ctx_in = (uint64_t)(uintptr_t)pkt;
		a.test.ctx_size_in = 0xffffff00u;
		r = both_bpf(k, BPF_PROG_TEST_RUN, &a);
		CHECK_MSG(r == -E2BIG, "%s %s ctx: %ld", k ? "Linux" : "exobpf",
			  xdp ? "XDP" : "socket filter", r);
		/* and mmap of a program fd is refused as Linux refuses it
		 * (finding 7: it mapped the fd's file, which a touch past its
		 * end turned into SIGBUS) */
		void *m = k ? mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0)
			    : exobpf_mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
		CHECK(m == MAP_FAILED);
		CHECK_EQ(errno, ENODEV);
		if (m != MAP_FAILED)
			munmap(m, 4096);
		close(fd);
	}
	munmap(pg, 2 * 4096);
}

/* Finding 4 (exobpf-fuzz jit, seed 20000997): the JIT left out the
 * divide-by-zero fix-up of `r3 %= r2` because every visit the verifier made
 * saw r2 nonzero; the path with r2 = 0 had been pruned, since nothing had
 * marked r2 precise. The JIT's `div` then raised SIGFPE. A divisor of 0
 * must leave the dividend (RFC 9669), on every engine. */
TEST(finding_div_fact_survives_imprecise_pruning)
{
	const struct bpf_insn prog[] = {
	    {BPF_LDX | BPF_MEM | BPF_W, BPF_REG_2, BPF_REG_1, 0, 0},   /* r2 = data */
	    {BPF_LDX | BPF_MEM | BPF_W, BPF_REG_3, BPF_REG_1, 4, 0},   /* r3 = data_end */
	    {BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_4, BPF_REG_2, 0, 0}, /* r4 = r2 */
	    {BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_4, 0, 0, 1},	       /* r4 += 1 */
	    {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0},	       /* r0 = 0 */
	    {BPF_JMP | BPF_JGT | BPF_X, BPF_REG_4, BPF_REG_3, 8, 0},   /* if r4 > r3 goto 14 */
	    {BPF_LDX | BPF_MEM | BPF_B, BPF_REG_0, BPF_REG_2, 0, 0},   /* r0 = pkt[0] */
	    {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_2, 0, 0, 0},	       /* r2 = 0 */
	    {BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_0, 0, 1, 0},	       /* if r0 == 0 goto 10 */
	    {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_2, 0, 0, 5},	       /* r2 = 5 */
	    {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_3, 0, 0, 7},	       /* 10: r3 = 7 */
	    {BPF_ALU64 | BPF_MOD | BPF_X, BPF_REG_3, BPF_REG_2, 0, 0}, /* r3 %= r2 */
	    {BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_0, BPF_REG_3, 0, 0}, /* r0 = r3 */
	    {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
	    {BPF_JMP | BPF_EXIT, 0, 0, 0, 0}, /* 14 */
	};
	const size_t n = sizeof(prog) / sizeof(prog[0]);
	/* a checkpoint at every prune point, so the path with r2 = 0 is
	 * pruned at insn 10 against the explored one with r2 = 5 */
	EXOBPF_OPTS(exobpf_prog_opts, po, .type = BPF_PROG_TYPE_XDP,
		    .prog_flags = BPF_F_TEST_STATE_FREQ);
	struct exobpf_prog *p = exobpf_prog__new(prog, n, &po);
	CHECK_MSG(p, "%s", exobpf_errmsg());
	if (!p)
		return;
	static const uint32_t engines[] = {0, EXOBPF_RUN_INTERP,
					   EXOBPF_RUN_INTERP | EXOBPF_RUN_CHECKED};
	for (size_t e = 0; e < sizeof(engines) / sizeof(engines[0]); e++) {
		for (uint8_t b = 0; b < 2; b++) {
			uint8_t pkt[64] = {b};
			EXOBPF_OPTS(exobpf_run_opts, ro, .data_in = pkt,
				    .data_size_in = sizeof(pkt), .flags = engines[e]);
			CHECK_MSG(exobpf_prog__run(p, &ro) == 0, "%s", exobpf_errmsg());
			/* 7 % 0 leaves 7; 7 % 5 is 2 */
			CHECK_EQ(ro.retval, b ? 2u : 7u);
		}
	}
	exobpf_prog__free(p);
}

/* Review of the JIT's facts (session 7): a bpf_loop callback runs again
 * from its first instruction with what its last run left in the caller's
 * memory. Its first run (index 0) stores 2 where the next run reads its
 * divisor; that path is pruned at the padding's end against the path
 * that does not store, so the verifier only ever saw the divisor 1.
 * Dropping value facts after an imprecise prune followed exits only back to
 * call sites, not to the callback's start: the division kept "divisor is
 * the constant 1" and its machine code was folded away. Callbacks run in
 * the interpreter today, so no result was wrong; the fact was. */
TEST(finding_callback_rerun_drops_value_facts)
{
	/* fp-16, the result, is unknown to the verifier, so it stays imprecise */
	const char *text = "r6 = 1\n*(u64 *)(r10 -8) = r6\nr6 = *(u32 *)(r1 +12)\n"
			   "r6 *= r6\nr6 *= r6\nr6 *= r6\n*(u64 *)(r10 -16) = r6\nr6 = 0\n"
			   "r1 = 2\nr2 = func[cb]\nr3 = r10\nr3 += -8\nr4 = 0\ncall 181\n"
			   "r0 = *(u64 *)(r10 -16)\nexit\n" CB_RERUN_TEXT;
	const uint32_t div = 19; /* r4 /= r3: after 17 slots of the main function and 2 */
	struct bpf_insn *insns;
	size_t cnt, nfacts;

	CHECK_MSG(!exobpf_asm(text, "cb", &insns, &cnt), "%s", exobpf_errmsg());
	CHECK_EQ(insns[div].code, BPF_ALU64 | BPF_DIV | BPF_X);
	EXOBPF_OPTS(exobpf_prog_opts, po, .type = BPF_PROG_TYPE_XDP, .license = "GPL");
	struct exobpf_prog *p = exobpf_prog__new(insns, cnt, &po);
	CHECK_MSG(p, "%s", exobpf_errmsg());
	if (p) {
		const struct vrf_fact *f = vrf_prog_facts(p, &nfacts);
		CHECK(f && nfacts == cnt);
		CHECK(f && (f[div].flags & VRF_FACT_SEEN));
		CHECK(f && !(f[div].flags & (VRF_FACT_SRC_CONST | VRF_FACT_DIV_NONZERO)));
		for (int e = 0; e < 2; e++) {
			uint8_t pkt[64] = {0};
			EXOBPF_OPTS(exobpf_run_opts, ro, .data_in = pkt,
				    .data_size_in = sizeof(pkt),
				    .flags = e ? EXOBPF_RUN_INTERP : 0);
			CHECK_MSG(!exobpf_prog__run(p, &ro), "%s", exobpf_errmsg());
			CHECK_EQ(ro.retval, 50); /* the second run: 100 / 2 */
		}
	}
	if (kbpf_available()) {
		uint8_t pkt[64] = {0};
		uint32_t ret = 0;
		int fd = kbpf_prog_load(BPF_PROG_TYPE_XDP, insns, cnt, NULL, 0, 0);
		CHECK_MSG(fd >= 0, "Linux refused it: %s", strerror(-fd));
		CHECK_EQ(kbpf_test_run(fd, pkt, sizeof(pkt), &ret), 0);
		CHECK_EQ(ret, 50);
		close(fd);
	}
	free(insns);
	exobpf_prog__free(p);
}

/* One program of finding_callback_may_never_run: call runs cb, which
 * stores 1 through its ctx (call may name the empty hash map with %d);
 * then a value of the 8-byte array is read at that slot's offset. */
static void never_run(const char *call, const char *store)
{
	static char log[1 << 16];
	char text[2048];
	struct bpf_insn *insns;
	size_t cnt;

	for (int kernel = 0; kernel < 2; kernel++) {
		int h = -1, m = -1;
		if (kernel && !kbpf_available())
			return;
		h = kernel ? kbpf_map_create(BPF_MAP_TYPE_HASH, 4, 8, 4, 0, 0, 0)
			   : exobpf_map_create(BPF_MAP_TYPE_HASH, "h", 4, 8, 4, NULL);
		m = kernel ? kbpf_map_create(BPF_MAP_TYPE_ARRAY, 4, 8, 1, 0, 0, 0)
			   : exobpf_map_create(BPF_MAP_TYPE_ARRAY, "m", 4, 8, 1, NULL);
		CHECK(h >= 0 && m >= 0);
		int n = snprintf(text, sizeof(text),
				 "call bpf_get_prandom_u32\n*(u64 *)(r10 -8) = r0\n"
				 "*(u32 *)(r10 -12) = 0\n");
		n += snprintf(text + n, sizeof(text) - (size_t)n, call, h);
		snprintf(text + n, sizeof(text) - (size_t)n,
			 "r1 = map[fd:%d]\nr2 = r10\nr2 += -12\ncall bpf_map_lookup_elem\n"
			 "if r0 == 0 goto out\nr1 = *(u64 *)(r10 -8)\nr1 &= 255\nr0 += r1\n"
			 "r0 = *(u8 *)(r0 +0)\nout:\nexit\ncb:\nr5 = 1\n%s\nr0 = 0\nexit\n",
			 m, store);
		CHECK_MSG(!exobpf_asm(text, "cb", &insns, &cnt), "%s", exobpf_errmsg());
		if (kernel) {
			int fd = kbpf_prog_load(BPF_PROG_TYPE_XDP, insns, cnt, log, sizeof(log), 1);
			if (fd >= 0)
				close(fd);
			CHECK_MSG(fd < 0, "Linux accepted it");
		} else {
			EXOBPF_OPTS(exobpf_prog_opts, po, .type = BPF_PROG_TYPE_XDP,
				    .license = "GPL", .log_buf = log, .log_size = sizeof(log),
				    .log_level = 1);
			struct exobpf_prog *p = exobpf_prog__new(insns, cnt, &po);
			CHECK_MSG(!p, "%s: accepted", call);
			exobpf_prog__free(p);
		}
		free(insns);
		close(h);
		close(m);
		/* the read at an offset up to 255 into the 8-byte value */
		CHECK_CONTAINS(log, "R0 max value is outside of the allowed memory range");
	}
}

/* exobpf-fuzz all, seed 1635, once the generator wrote bpf_loop callbacks:
 * the verifier went from a bpf_loop call into the callback and on past the
 * call only with what the callback left, never with the caller's own state,
 * yet nr_loops may be 0 (and a map empty, for for_each_map_elem). Here the
 * callback makes the slot 1, the verifier believed it, and the map value
 * was read at an offset that is really random: out of bounds. Linux since
 * 6.7 also goes on past the call as if no callback had run. */
TEST(finding_callback_may_never_run)
{
	never_run("r1 = 0\nr2 = func[cb]\nr3 = r10\nr3 += -8\nr4 = 0\ncall bpf_loop\n",
		  "*(u64 *)(r2 +0) = r5");
	never_run("r1 = map[fd:%d]\nr2 = func[cb]\nr3 = r10\nr3 += -8\nr4 = 0\n"
		  "call bpf_for_each_map_elem\n",
		  "*(u64 *)(r4 +0) = r5");
}

/* Found in Linux 6.18 by the generator's callbacks (seed 1830): precision
 * backtracking treats an atomic fetch from the stack as a store, so the
 * fetched register stays precise and the slot it came from does not. Here
 * the path with 100 in fp-8 is pruned against the one with 0, and 6.18
 * accepts a read 100 bytes into an 8-byte map value. exobpf keeps the
 * fetched value unknown (as Linux 6.1 records it in the log) and refuses
 * the read; this test holds exobpf to that, whatever Linux says. */
TEST(verifier_atomic_fetch_from_the_stack_stays_unsafe)
{
	static const char *const fetch[] = {
	    "r9 = atomic64_fetch_or((u64 *)(r10 -8), r9)",
	    "r9 = atomic64_fetch_add((u64 *)(r10 -8), r9)",
	    "r9 = atomic64_xchg((u64 *)(r10 -8), r9)",
	};
	static char log[1 << 16];
	int m = exobpf_map_create(BPF_MAP_TYPE_ARRAY, "m", 4, 8, 1, NULL);

	CHECK(m >= 0);
	for (size_t i = 0; i < sizeof(fetch) / sizeof(fetch[0]); i++) {
		char text[1024];
		struct bpf_insn *insns;
		size_t cnt;

		snprintf(text, sizeof(text),
			 "*(u32 *)(r10 -16) = 0\ncall bpf_get_prandom_u32\nr6 = 0\n"
			 "if r0 s> 100 goto big\ngoto join\nbig:\nr6 = 100\njoin:\n"
			 "*(u64 *)(r10 -8) = r6\nr1 = map[fd:%d]\nr2 = r10\nr2 += -16\n"
			 "call bpf_map_lookup_elem\nif r0 == 0 goto out\nr9 = 0\n%s\n"
			 "r0 += r9\nr0 = *(u8 *)(r0 +0)\nout:\nr0 = 0\nexit\n",
			 m, fetch[i]);
		CHECK_MSG(!exobpf_asm(text, "fetch", &insns, &cnt), "%s", exobpf_errmsg());
		EXOBPF_OPTS(exobpf_prog_opts, po, .type = BPF_PROG_TYPE_XDP, .license = "GPL",
			    .log_buf = log, .log_size = sizeof(log), .log_level = 1);
		struct exobpf_prog *p = exobpf_prog__new(insns, cnt, &po);
		free(insns);
		CHECK_MSG(!p, "%s: accepted", fetch[i]);
		CHECK_CONTAINS(log, "R0 min value is outside of the allowed memory range");
	}
	close(m);
}

/* Found in Linux 6.18 by the generator's callbacks (seed 812): with a
 * constant 0 for nr_loops it never walks the callback, removes it as dead
 * code, and then, when another function follows, fails its own check
 * ("verifier bug: No program to jit"). The program is valid and does
 * nothing: exobpf accepts and runs it, the dead callback included. */
TEST(verifier_callback_never_walked_is_dead_code)
{
	const char *text = "r1 = 0\nr2 = func[cb]\nr3 = 0\nr4 = 0\ncall bpf_loop\n"
			   "r1 = 0\ncall pc+2\nr0 = 7\nexit\nr0 = 0\nexit\n"
			   "cb:\nr1 = 5\nr1 += 1\nr0 = 0\nexit\n";
	struct bpf_insn *insns;
	size_t cnt;
	uint8_t pkt[64] = {0};

	CHECK(!exobpf_asm(text, "dead", &insns, &cnt));
	EXOBPF_OPTS(exobpf_prog_opts, po, .type = BPF_PROG_TYPE_XDP, .license = "GPL");
	struct exobpf_prog *p = exobpf_prog__new(insns, cnt, &po);
	free(insns);
	CHECK_MSG(p, "%s", exobpf_errmsg());
	for (int e = 0; e < 2; e++) {
		EXOBPF_OPTS(exobpf_run_opts, ro, .data_in = pkt, .data_size_in = sizeof(pkt),
			    .flags = e ? EXOBPF_RUN_INTERP : 0);
		CHECK_MSG(!exobpf_prog__run(p, &ro), "%s", exobpf_errmsg());
		CHECK_EQ(ro.retval, 7);
	}
	exobpf_prog__free(p);
}

/* Verdict disagreement triaged as an exobpf bug (Linux differential, seeds
 * 1289 and 30091682): for a 32-bit div, mod or shift by an unknown
 * register, exobpf kept the result's upper half zero, while Linux gives up
 * before the operation and leaves all 64 bits unknown. exobpf then proved
 * the path below dead and accepted what Linux rejects. */
TEST(finding_alu32_by_unknown_leaves_64_bits_unknown)
{
	static const uint8_t ops[] = {BPF_DIV, BPF_MOD, BPF_LSH, BPF_RSH, BPF_ARSH};
	for (size_t i = 0; i < sizeof(ops); i++) {
		const struct bpf_insn prog[] = {
		    {BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_get_prandom_u32},
		    {BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_0, 0, 0},
		    {BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_0, 0, 0},
		    {BPF_ALU | ops[i] | BPF_X, BPF_REG_1, BPF_REG_2, 0, 0},  /* w1 op= w2 */
		    {BPF_ALU | BPF_MOV | BPF_K, BPF_REG_4, 0, 0, -1},	     /* r4 = 0xffffffff */
		    {BPF_JMP | BPF_JLE | BPF_X, BPF_REG_1, BPF_REG_4, 1, 0}, /* r1 <= r4: skip */
		    {BPF_LDX | BPF_MEM | BPF_DW, BPF_REG_0, BPF_REG_10, 0, 0},
		    {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0},
		    {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
		};
		const size_t n = sizeof(prog) / sizeof(prog[0]);
		char log[4096] = "";
		EXOBPF_OPTS(exobpf_prog_opts, po, .type = BPF_PROG_TYPE_XDP, .log_buf = log,
			    .log_size = sizeof(log), .log_level = 1);
		struct exobpf_prog *p = exobpf_prog__new(prog, n, &po);
		CHECK_MSG(!p, "op 0x%x: accepted; Linux rejects the read at insn 6", ops[i]);
		exobpf_prog__free(p);
		CHECK_CONTAINS(log, "invalid read from stack R10 off=0 size=8");
		if (kbpf_available()) {
			char klog[4096] = "";
			int fd = kbpf_prog_load(BPF_PROG_TYPE_XDP, prog, n, klog, sizeof(klog), 1);
			CHECK_MSG(fd < 0, "op 0x%x: Linux accepts", ops[i]);
			if (fd >= 0)
				close(fd);
			CHECK_CONTAINS(klog, "invalid read from stack R10 off=0 size=8");
		}
	}
}

/* Finding 8 (exobpf-fuzz jit, seeds 20266863, 20269218, 20326230): a run
 * reached an instruction the verifier had found dead. Precision for the
 * caller's r9, needed at a branch after a call returned, was looked for in
 * the callee's r9 when the walk stepped from the checkpoint made at the
 * return into the history before it (the callee's exit), so the checkpoint
 * before the call never learnt r9 mattered, and a path with another r9 was
 * pruned there. Here path r9 = 1 must be walked to the bad read. */
TEST(finding_precision_crosses_a_return_at_a_checkpoint)
{
	const struct bpf_insn prog[] = {
	    {BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_get_prandom_u32},
	    {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_9, 0, 0, 1},
	    {BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_0, 0, 1, 0}, /* if r0 == 0 goto 4 */
	    {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_9, 0, 0, 2},
	    {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_1, 0, 0, 0},	       /* 4 */
	    {BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, 5},	       /* call 11 */
	    {BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_9, 0, 2, 2},	       /* if r9 == 2 goto 9 */
	    {BPF_LDX | BPF_MEM | BPF_DW, BPF_REG_0, BPF_REG_10, 8, 0}, /* bad read */
	    {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
	    {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0}, /* 9 */
	    {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
	    {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_9, 0, 0, 7}, /* 11: the callee's own r9 */
	    {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0},
	    {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
	};
	const size_t n = sizeof(prog) / sizeof(prog[0]);
	/* checkpoints at every prune point: before the call, at the
	 * callee's entry and where it returns */
	for (uint32_t flags = 0; flags <= BPF_F_TEST_STATE_FREQ; flags += BPF_F_TEST_STATE_FREQ) {
		char log[8192] = "";
		EXOBPF_OPTS(exobpf_prog_opts, po, .type = BPF_PROG_TYPE_XDP, .prog_flags = flags,
			    .log_buf = log, .log_size = sizeof(log), .log_level = 1);
		struct exobpf_prog *p = exobpf_prog__new(prog, n, &po);
		CHECK_MSG(!p, "flags %u: accepted; the path with r9 = 1 reads fp+8", flags);
		exobpf_prog__free(p);
		CHECK_CONTAINS(log, "R10");
		if (kbpf_available()) {
			int fd = kbpf_prog_load(BPF_PROG_TYPE_XDP, prog, n, NULL, 0, 0);
			CHECK_MSG(fd < 0, "Linux accepts");
			if (fd >= 0)
				close(fd);
		}
	}
}
