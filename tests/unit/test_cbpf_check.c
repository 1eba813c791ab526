/* The classic checker: every rule Linux applies to socket filters and to
 * seccomp filters, each with exobpf's message, and each verdict compared
 * with Linux's own (SO_ATTACH_FILTER; seccomp in a child) where the kernel
 * lets us. */
#include <stdlib.h>

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
#define RET(k)	     S(BPF_RET | BPF_K, k)
#define RET_A	     S(BPF_RET | BPF_A, 0)
#define LD_IMM(k)    S(BPF_LD | BPF_IMM, k)
#define LDW_ABS(k)   S(BPF_LD | BPF_W | BPF_ABS, k)
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

struct case_ {
	const char *name;
	const struct sock_filter *insns;
	size_t cnt;
	int err;	 /* Linux's errno: 0 or EINVAL */
	const char *msg; /* part of exobpf's message */
};

/* exobpf's verdict and message, then Linux's verdict on the same bytes. */
static bool run_case(const struct case_ *c, enum exobpf_cbpf_kind kind, unsigned *kernel_compared)
{
	int err = exobpf_cbpf_check(c->insns, c->cnt, kind);

	if (err != -c->err) {
		printf("  %s: exobpf says %d (%s), expected %d\n", c->name, err,
		       err ? exobpf_errmsg() : "ok", -c->err);
		return false;
	}
	if (c->msg && !strstr(exobpf_errmsg(), c->msg)) {
		printf("  %s: message \"%s\" lacks \"%s\"\n", c->name, exobpf_errmsg(), c->msg);
		return false;
	}
	int kerr = kind == EXOBPF_CBPF_SOCKET ? ksock_check(c->insns, c->cnt)
					      : kseccomp_check(c->insns, c->cnt);
	if (kerr == -ENOMEM || kerr == -EPERM || kerr == -ENOSYS || kerr == -EACCES)
		return true; /* a limit or a refusal of ours, not a verdict on the program */
	(*kernel_compared)++;
	if (kerr != -c->err) {
		printf("  %s: Linux says %d, exobpf %d\n", c->name, kerr, -c->err);
		return false;
	}
	return true;
}

/* Socket filter rules (net/core/filter.c). */

static const struct sock_filter ok_min[] = {RET(0)};
static const struct sock_filter ok_ret_a[] = {LD_IMM(7), RET_A};
static const struct sock_filter no_ret[] = {LD_IMM(7)};
static const struct sock_filter ends_in_jump[] = {J(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1), RET(1),
						  J(BPF_JMP | BPF_JA, 0, 0, 0)};
static const struct sock_filter bad_opcode[] = {S(0x99, 0), RET(0)};
static const struct sock_filter ret_x[] = {S(BPF_RET | BPF_X, 0)};
static const struct sock_filter wide_opcode[] = {S(0x106, 0)};
static const struct sock_filter div0[] = {S(BPF_ALU | BPF_DIV | BPF_K, 0), RET_A};
static const struct sock_filter mod0[] = {S(BPF_ALU | BPF_MOD | BPF_K, 0), RET_A};
static const struct sock_filter divx[] = {S(BPF_ALU | BPF_DIV | BPF_X, 0), RET_A};
static const struct sock_filter lsh32[] = {S(BPF_ALU | BPF_LSH | BPF_K, 32), RET_A};
static const struct sock_filter rsh99[] = {S(BPF_ALU | BPF_RSH | BPF_K, 99), RET_A};
static const struct sock_filter lsh31[] = {S(BPF_ALU | BPF_LSH | BPF_K, 31), RET_A};
static const struct sock_filter st16[] = {S(BPF_ST, 16), RET_A};
static const struct sock_filter stx16[] = {S(BPF_STX, 16), RET_A};
static const struct sock_filter ld_mem16[] = {S(BPF_ST, 15), S(BPF_LD | BPF_MEM, 16), RET_A};
static const struct sock_filter ldx_mem16[] = {S(BPF_LDX | BPF_MEM, 0xffffffff), RET_A};
static const struct sock_filter ja_past[] = {S(BPF_JMP | BPF_JA, 1), RET(0)};
static const struct sock_filter ja_huge[] = {S(BPF_JMP | BPF_JA, 0xffffffff), RET(0)};
static const struct sock_filter ja_ok[] = {S(BPF_JMP | BPF_JA, 1), RET(1), RET(2)};
static const struct sock_filter jt_past[] = {J(BPF_JMP | BPF_JEQ | BPF_K, 2, 0, 0), RET(0), RET(1)};
static const struct sock_filter jf_past[] = {J(BPF_JMP | BPF_JSET | BPF_X, 0, 2, 0), RET(0),
					     RET(1)};
static const struct sock_filter jmp_ok[] = {J(BPF_JMP | BPF_JGT | BPF_X, 1, 0, 0), RET(0), RET(1)};
static const struct sock_filter anc_ok[] = {
    LDW_ABS(SKF_AD_OFF + SKF_AD_PROTOCOL), S(BPF_LD | BPF_H | BPF_ABS, SKF_AD_OFF + SKF_AD_PKTTYPE),
    S(BPF_LD | BPF_B | BPF_ABS, SKF_AD_OFF + SKF_AD_VLAN_TPID), LDW_ABS(SKF_AD_OFF + SKF_AD_NLATTR),
    RET_A};
static const struct sock_filter anc_between[] = {LDW_ABS(SKF_AD_OFF + 1), RET_A};
static const struct sock_filter anc_past[] = {LDW_ABS(SKF_AD_OFF + SKF_AD_MAX), RET_A};
static const struct sock_filter anc_top[] = {S(BPF_LD | BPF_B | BPF_ABS, 0xffffffff), RET_A};
static const struct sock_filter net_off[] = {LDW_ABS(SKF_NET_OFF), LDW_ABS(SKF_LL_OFF + 12),
					     S(BPF_LD | BPF_W | BPF_IND, SKF_AD_OFF + 1), RET_A};
static const struct sock_filter mem_unwritten[] = {S(BPF_LD | BPF_MEM, 3), RET_A};
static const struct sock_filter mem_ok[] = {S(BPF_ST, 3), S(BPF_LDX | BPF_MEM, 3), RET_A};
static const struct sock_filter mem_one_branch[] = {J(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0),
						    S(BPF_ST, 5), S(BPF_LD | BPF_MEM, 5), RET_A};
static const struct sock_filter mem_both_branches[] = {J(BPF_JMP | BPF_JEQ | BPF_K, 0, 2, 0),
						       S(BPF_STX, 5),
						       S(BPF_JMP | BPF_JA, 1),
						       S(BPF_ST, 5),
						       S(BPF_LD | BPF_MEM, 5),
						       RET_A};
static const struct sock_filter mem_ja_skips[] = {S(BPF_JMP | BPF_JA, 1), S(BPF_ST, 0),
						  S(BPF_LD | BPF_MEM, 0), RET_A};
static const struct sock_filter mem_other_cell[] = {S(BPF_ST, 1), S(BPF_LDX | BPF_MEM, 2), RET_A};
/* after a return, the next instruction is reached only by jumps; Linux
 * intersects their states with the one before the return */
static const struct sock_filter mem_after_ret[] = {
    J(BPF_JMP | BPF_JEQ | BPF_K, 2, 0, 0), S(BPF_ST, 0), RET(1), S(BPF_LD | BPF_MEM, 0), RET_A};
/* the first broken rule in Linux's order wins: instructions one by one
 * (insn 2's opcode) before the last instruction and memory */
static const struct sock_filter two_faults[] = {S(BPF_LD | BPF_MEM, 0), LD_IMM(0), S(0x99, 0)};

#define CASE(arr, e, m)                         \
	{                                       \
#arr, arr, ARRAY_LEN(arr), e, m \
	}

static const struct case_ socket_cases[] = {
    CASE(ok_min, 0, NULL),
    CASE(ok_ret_a, 0, NULL),
    CASE(no_ret, EINVAL, "insn 0: the program must end with ret (ends with ld)"),
    CASE(ends_in_jump, EINVAL, "ja +0 jumps past the last instruction"),
    CASE(bad_opcode, EINVAL, "insn 0: unknown opcode 0x99"),
    CASE(ret_x, EINVAL, "insn 0: unknown opcode 0x0e"),
    CASE(wide_opcode, EINVAL, "insn 0: unknown opcode 0x106"),
    CASE(div0, EINVAL, "insn 0: div #0 divides by zero"),
    CASE(mod0, EINVAL, "insn 0: mod #0 divides by zero"),
    CASE(divx, 0, NULL),
    CASE(lsh32, EINVAL, "insn 0: lsh #32 shifts by 32 or more"),
    CASE(rsh99, EINVAL, "insn 0: rsh #99 shifts by 32 or more"),
    CASE(lsh31, 0, NULL),
    CASE(st16, EINVAL, "insn 0: st M[16] is outside scratch memory M[0..15]"),
    CASE(stx16, EINVAL, "insn 0: stx M[16] is outside"),
    CASE(ld_mem16, EINVAL, "insn 1: ld M[16] is outside"),
    CASE(ldx_mem16, EINVAL, "insn 0: ldx M[4294967295] is outside"),
    CASE(ja_past, EINVAL, "insn 0: ja +1 jumps past the last instruction (2 instructions)"),
    CASE(ja_huge, EINVAL, "insn 0: ja +4294967295 jumps past"),
    CASE(ja_ok, 0, NULL),
    CASE(jt_past, EINVAL, "insn 0: jeq jt 2 jf 0 jumps past the last instruction"),
    CASE(jf_past, EINVAL, "insn 0: jset jt 0 jf 2 jumps past"),
    CASE(jmp_ok, 0, NULL),
    CASE(anc_ok, 0, NULL),
    CASE(anc_between, EINVAL, "insn 0: ld [-4095]: no ancillary load at SKF_AD_OFF+1"),
    CASE(anc_past, EINVAL, "no ancillary load at SKF_AD_OFF+64"),
    CASE(anc_top, EINVAL, "insn 0: ldb [-1]: no ancillary load"),
    CASE(net_off, 0, NULL),
    CASE(mem_unwritten, EINVAL, "insn 0: ld M[3] may be read before it is written"),
    CASE(mem_ok, 0, NULL),
    CASE(mem_one_branch, EINVAL, "insn 2: ld M[5] may be read before it is written"),
    CASE(mem_both_branches, 0, NULL),
    CASE(mem_ja_skips, EINVAL, "insn 2: ld M[0] may be read"),
    CASE(mem_other_cell, EINVAL, "insn 1: ldx M[2] may be read"),
    CASE(mem_after_ret, EINVAL, "insn 3: ld M[0] may be read"),
    CASE(two_faults, EINVAL, "insn 2: unknown opcode 0x99"),
};

TEST(cbpf_check_socket_rules_match_linux)
{
	unsigned compared = 0, failed = 0;

	for (size_t i = 0; i < ARRAY_LEN(socket_cases); i++)
		failed += !run_case(&socket_cases[i], EXOBPF_CBPF_SOCKET, &compared);
	printf("  %zu rules checked, %u compared with Linux\n", ARRAY_LEN(socket_cases), compared);
	CHECK_EQ(failed, 0);
}

TEST(cbpf_check_lengths_match_linux)
{
	size_t n = BPF_MAXINSNS + 1;
	struct sock_filter *p = calloc(n, sizeof(*p));
	unsigned compared = 0;

	CHECK(p);
	for (size_t i = 0; i < n; i++)
		p[i] = (struct sock_filter)RET(0);
	struct case_ empty = {"empty", p, 0, EINVAL, "at least one instruction"};
	struct case_ longest = {"4096", p, BPF_MAXINSNS, 0, NULL};
	struct case_ too_long = {"4097", p, n, EINVAL,
				 "4097 instructions exceed BPF_MAXINSNS (4096)"};
	bool ok = run_case(&empty, EXOBPF_CBPF_SOCKET, &compared) &&
		  run_case(&longest, EXOBPF_CBPF_SOCKET, &compared) &&
		  run_case(&too_long, EXOBPF_CBPF_SOCKET, &compared) &&
		  run_case(&too_long, EXOBPF_CBPF_SECCOMP, &compared);
	free(p);
	CHECK(ok);
	CHECK_EQ(exobpf_cbpf_check(NULL, 3, EXOBPF_CBPF_SOCKET), -EINVAL);
	CHECK_EQ(exobpf_cbpf_check(ok_min, 1, (enum exobpf_cbpf_kind)7), -EINVAL);
	CHECK_CONTAINS(exobpf_errmsg(), "unknown classic program kind 7");
}

/* Seccomp's rules (kernel/seccomp.c), after the socket filter rules. */

static const struct sock_filter sc_ok[] = {LDW_ABS(4),
					   J(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0xc000003e),
					   LDW_ABS(60),
					   S(BPF_LD | BPF_W | BPF_LEN, 0),
					   S(BPF_LDX | BPF_W | BPF_LEN, 0),
					   RET(SECCOMP_RET_ALLOW)};
static const struct sock_filter sc_ldh[] = {S(BPF_LD | BPF_H | BPF_ABS, 0), RET(0)};
static const struct sock_filter sc_ldb[] = {S(BPF_LD | BPF_B | BPF_ABS, 0), RET(0)};
static const struct sock_filter sc_unaligned[] = {LDW_ABS(2), RET(0)};
static const struct sock_filter sc_past[] = {LDW_ABS(64), RET(0)};
static const struct sock_filter sc_ancillary[] = {LDW_ABS(SKF_AD_OFF + SKF_AD_CPU), RET_A};
static const struct sock_filter sc_ind[] = {S(BPF_LD | BPF_W | BPF_IND, 0), RET(0)};
static const struct sock_filter sc_msh[] = {S(BPF_LDX | BPF_B | BPF_MSH, 0), RET(0)};
static const struct sock_filter sc_mod[] = {S(BPF_ALU | BPF_MOD | BPF_K, 3), RET(0)};
static const struct sock_filter sc_modx[] = {S(BPF_ALU | BPF_MOD | BPF_X, 0), RET(0)};
static const struct sock_filter sc_alu[] = {LDW_ABS(16),
					    S(BPF_ALU | BPF_ADD | BPF_K, 1),
					    S(BPF_ALU | BPF_SUB | BPF_X, 0),
					    S(BPF_ALU | BPF_MUL | BPF_K, 3),
					    S(BPF_ALU | BPF_DIV | BPF_K, 3),
					    S(BPF_ALU | BPF_DIV | BPF_X, 0),
					    S(BPF_ALU | BPF_AND | BPF_K, 0xff),
					    S(BPF_ALU | BPF_OR | BPF_X, 0),
					    S(BPF_ALU | BPF_XOR | BPF_K, 1),
					    S(BPF_ALU | BPF_LSH | BPF_K, 1),
					    S(BPF_ALU | BPF_RSH | BPF_X, 0),
					    S(BPF_ALU | BPF_NEG, 0),
					    S(BPF_MISC | BPF_TAX, 0),
					    S(BPF_MISC | BPF_TXA, 0),
					    S(BPF_ST, 0),
					    S(BPF_LDX | BPF_MEM, 0),
					    S(BPF_STX, 1),
					    S(BPF_LD | BPF_MEM, 1),
					    J(BPF_JMP | BPF_JSET | BPF_X, 0, 0, 0),
					    RET_A};
static const struct sock_filter sc_div0[] = {S(BPF_ALU | BPF_DIV | BPF_K, 0), RET(0)};
/* the socket rules come first: this breaks both, Linux reports neither
 * differently, exobpf names the first */
static const struct sock_filter sc_order[] = {S(BPF_LD | BPF_H | BPF_ABS, 0),
					      S(BPF_LD | BPF_MEM, 0), RET(0)};

static const struct case_ seccomp_cases[] = {
    CASE(sc_ok, 0, NULL),
    CASE(sc_ldh, EINVAL, "insn 0: ldh (opcode 0x28) is not allowed in seccomp filters"),
    CASE(sc_ldb, EINVAL, "insn 0: ldb (opcode 0x30) is not allowed"),
    CASE(sc_unaligned, EINVAL,
	 "insn 0: ld [2] is not an aligned word of struct seccomp_data (64 bytes)"),
    CASE(sc_past, EINVAL, "insn 0: ld [64] is not an aligned word"),
    CASE(sc_ancillary, EINVAL, "insn 0: ld [4294963236] is not an aligned word"),
    CASE(sc_ind, EINVAL, "insn 0: ld (opcode 0x40) is not allowed"),
    CASE(sc_msh, EINVAL, "insn 0: ldxb (opcode 0xb1) is not allowed"),
    CASE(sc_mod, EINVAL, "insn 0: mod (opcode 0x94) is not allowed"),
    CASE(sc_modx, EINVAL, "insn 0: mod (opcode 0x9c) is not allowed"),
    CASE(sc_alu, 0, NULL),
    CASE(sc_div0, EINVAL, "insn 0: div #0 divides by zero"),
    CASE(sc_order, EINVAL, "insn 1: ld M[0] may be read before it is written"),
};

TEST(cbpf_check_seccomp_rules_match_linux)
{
	unsigned compared = 0, failed = 0;

	for (size_t i = 0; i < ARRAY_LEN(seccomp_cases); i++)
		failed += !run_case(&seccomp_cases[i], EXOBPF_CBPF_SECCOMP, &compared);
	printf("  %zu rules checked, %u compared with Linux\n", ARRAY_LEN(seccomp_cases), compared);
	CHECK_EQ(failed, 0);
}

/* Every opcode byte: exobpf accepts exactly the ones Linux accepts. */
TEST(cbpf_check_every_opcode_matches_linux)
{
	unsigned agree = 0, compared = 0;

	for (unsigned code = 0; code < 0x100; code++) {
		/* k = 1 keeps div/mod/shift/M[] legal; jumps go to the next insn */
		struct sock_filter p[] = {S(code, 1), RET(0), RET(0)};
		bool ours = exobpf_cbpf_check(p, 3, EXOBPF_CBPF_SOCKET) == 0;
		int k = ksock_check(p, 3);
		if (k == -ENOMEM || k == -EPERM)
			continue;
		compared++;
		if (ours == (k == 0))
			agree++;
		else
			printf("  opcode 0x%02x: exobpf %s, Linux %d\n", code,
			       ours ? "accepts" : "refuses", k);
	}
	if (!compared)
		SKIP("Linux refused every SO_ATTACH_FILTER");
	CHECK_EQ(agree, compared);
}
