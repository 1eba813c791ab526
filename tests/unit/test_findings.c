/* Regression tests for what the reliability oracles found (the table in
 * docs/reliability.md names each one). Expected values are worked out by
 * hand from the documented semantics, and compared with Linux where bpf()
 * works. */
#include <string.h>
#include <unistd.h>

#include "exobpf/exobpf.h"
#include "test.h"
#include "util.h"

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
