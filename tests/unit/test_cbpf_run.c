/* Running classic programs: hand-written programs whose results follow
 * from the instruction set's definition, the conversion's shape, ancillary
 * data from struct __sk_buff, and random programs run by exobpf and by
 * Linux's own classic BPF side by side. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <unistd.h>

#include "cbpf_kernel.h"
#include "cbpf_testutil.h"
#include "test.h"
#include "util.h"

#define S(c, k)                                    \
	{                                          \
		(uint16_t)(c), 0, 0, (uint32_t)(k) \
	}
#define J(c, t, f, k)                              \
	{                                          \
		(uint16_t)(c), t, f, (uint32_t)(k) \
	}
#define RET_A	     S(BPF_RET | BPF_A, 0)
#define LD_IMM(k)    S(BPF_LD | BPF_IMM, k)
#define LDX_IMM(k)   S(BPF_LDX | BPF_IMM, k)
#define ALU_K(op, k) S(BPF_ALU | (op) | BPF_K, k)
#define ALU_X(op)    S(BPF_ALU | (op) | BPF_X, 0)
#define N(a)	     (sizeof(a) / sizeof((a)[0]))

/* Run on a packet in every engine; UINT64_MAX when they disagree. */
static uint64_t run3(const struct sock_filter *p, size_t n, const uint8_t *pkt, uint32_t len,
		     const struct __sk_buff *skb)
{
	struct exobpf_cbpf_prog *prog = exobpf_cbpf_prog__new(p, n, NULL);
	uint64_t r = UINT64_MAX;

	if (!prog) {
		printf("  %s\n", exobpf_errmsg());
		return r;
	}
	EXOBPF_OPTS(exobpf_cbpf_run_opts, fast, .pkt = pkt, .caplen = len, .skb = skb);
	EXOBPF_OPTS(exobpf_cbpf_run_opts, checked, .pkt = pkt, .caplen = len, .skb = skb,
		    .flags = EXOBPF_RUN_CHECKED);
	EXOBPF_OPTS(exobpf_cbpf_run_opts, classic, .pkt = pkt, .caplen = len, .skb = skb);
	if (!exobpf_cbpf_prog__run(prog, &fast) && !exobpf_cbpf_prog__run(prog, &checked) &&
	    !exobpf_cbpf_interp(p, n, NULL, &classic, NULL) && fast.retval == checked.retval &&
	    fast.retval == classic.retval)
		r = fast.retval;
	else
		printf("  engines: %u %u %u (%s)\n", fast.retval, checked.retval, classic.retval,
		       exobpf_errmsg());
	exobpf_cbpf_prog__free(prog);
	return r;
}

static const uint8_t pkt[] = {0x45, 0x00, 0x00, 0x54, 0x12, 0x34, 0x40, 0x00, 0x40, 0x01,
			      0xab, 0xcd, 0x0a, 0x00, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0x02,
			      0x08, 0x00, 0xf7, 0xff, 0x00, 0x01, 0x00, 0x02, 0xfe, 0xdc};

TEST(cbpf_run_arithmetic)
{
	/* 32-bit wrap, unsigned division, shifts masked to 5 bits for X */
	static const struct sock_filter add[] = {LD_IMM(0xffffffff), ALU_K(BPF_ADD, 2), RET_A};
	static const struct sock_filter sub[] = {LD_IMM(1), ALU_K(BPF_SUB, 2), RET_A};
	static const struct sock_filter mul[] = {LD_IMM(0x10000), LDX_IMM(0x10001), ALU_X(BPF_MUL),
						 RET_A};
	static const struct sock_filter div[] = {LD_IMM(0xfffffff0), ALU_K(BPF_DIV, 3), RET_A};
	static const struct sock_filter mod[] = {LD_IMM(0xfffffff1), LDX_IMM(7), ALU_X(BPF_MOD),
						 RET_A};
	static const struct sock_filter divx0[] = {LD_IMM(9), ALU_X(BPF_DIV), RET_A};
	static const struct sock_filter modx0[] = {LD_IMM(9), ALU_X(BPF_MOD), ALU_K(BPF_ADD, 1),
						   RET_A};
	static const struct sock_filter lshx[] = {LD_IMM(1), LDX_IMM(33), ALU_X(BPF_LSH), RET_A};
	static const struct sock_filter rshx[] = {LD_IMM(0x80000000), LDX_IMM(63), ALU_X(BPF_RSH),
						  RET_A};
	static const struct sock_filter neg[] = {LD_IMM(5), S(BPF_ALU | BPF_NEG, 0), RET_A};
	static const struct sock_filter bits[] = {LD_IMM(0xf0f0), ALU_K(BPF_AND, 0xff00),
						  ALU_K(BPF_OR, 0x3), ALU_K(BPF_XOR, 0xffffffff),
						  RET_A};
	static const struct sock_filter txa[] = {LDX_IMM(77), S(BPF_MISC | BPF_TXA, 0),
						 S(BPF_MISC | BPF_TAX, 0), ALU_X(BPF_ADD), RET_A};
	static const struct sock_filter retk[] = {S(BPF_RET | BPF_K, 0xfffffffe)};

	CHECK_EQ(run3(add, N(add), pkt, sizeof(pkt), NULL), 1);
	CHECK_EQ(run3(sub, N(sub), pkt, sizeof(pkt), NULL), 0xffffffff);
	CHECK_EQ(run3(mul, N(mul), pkt, sizeof(pkt), NULL), 0x10000);
	CHECK_EQ(run3(div, N(div), pkt, sizeof(pkt), NULL), 0x55555550);
	CHECK_EQ(run3(mod, N(mod), pkt, sizeof(pkt), NULL), 0xfffffff1u % 7);
	CHECK_EQ(run3(divx0, N(divx0), pkt, sizeof(pkt), NULL), 0); /* ends with 0 */
	CHECK_EQ(run3(modx0, N(modx0), pkt, sizeof(pkt), NULL), 0); /* never adds 1 */
	CHECK_EQ(run3(lshx, N(lshx), pkt, sizeof(pkt), NULL), 2);
	CHECK_EQ(run3(rshx, N(rshx), pkt, sizeof(pkt), NULL), 1);
	CHECK_EQ(run3(neg, N(neg), pkt, sizeof(pkt), NULL), 0xfffffffb);
	CHECK_EQ(run3(bits, N(bits), pkt, sizeof(pkt), NULL), ~0xf003u);
	CHECK_EQ(run3(txa, N(txa), pkt, sizeof(pkt), NULL), 154);
	CHECK_EQ(run3(retk, N(retk), pkt, sizeof(pkt), NULL), 0xfffffffe);
}

TEST(cbpf_run_loads_and_jumps)
{
	static const struct sock_filter ldw[] = {S(BPF_LD | BPF_W | BPF_ABS, 12), RET_A};
	static const struct sock_filter ldh_past[] = {S(BPF_LD | BPF_H | BPF_ABS, 29), RET_A};
	static const struct sock_filter ldb_last[] = {S(BPF_LD | BPF_B | BPF_ABS, 29), RET_A};
	/* X = 4 * (pkt[0] & 0xf) = 20: the ICMP header after the IPv4 one */
	static const struct sock_filter msh[] = {LD_IMM(3), S(BPF_LDX | BPF_B | BPF_MSH, 0),
						 S(BPF_LD | BPF_H | BPF_IND, 2), ALU_X(BPF_ADD),
						 RET_A};
	/* X + k wraps at 32 bits: 0xffffffff + 3 reads byte 2 */
	static const struct sock_filter ind_wrap[] = {LDX_IMM(0xffffffff),
						      S(BPF_LD | BPF_B | BPF_IND, 3), RET_A};
	static const struct sock_filter ind_past[] = {LDX_IMM(28), S(BPF_LD | BPF_W | BPF_IND, 0),
						      RET_A};
	static const struct sock_filter len[] = {
	    S(BPF_LD | BPF_W | BPF_LEN, 0), S(BPF_LDX | BPF_W | BPF_LEN, 0), ALU_X(BPF_ADD), RET_A};
	/* the network header starts the packet: SKF_NET_OFF + 9 is byte 9 */
	static const struct sock_filter net[] = {S(BPF_LD | BPF_B | BPF_ABS, SKF_NET_OFF + 9),
						 RET_A};
	static const struct sock_filter mem[] = {LD_IMM(11),
						 S(BPF_ST, 15),
						 LDX_IMM(4),
						 S(BPF_STX, 0),
						 LD_IMM(0),
						 S(BPF_LD | BPF_MEM, 15),
						 S(BPF_LDX | BPF_MEM, 0),
						 ALU_X(BPF_MUL),
						 RET_A};
	/* unsigned compares against k above 2^31 */
	static const struct sock_filter jgt[] = {LD_IMM(0xffffff00),
						 J(BPF_JMP | BPF_JGT | BPF_K, 1, 0, 0x80000000),
						 S(BPF_RET | BPF_K, 1), S(BPF_RET | BPF_K, 2)};
	static const struct sock_filter jge[] = {LD_IMM(5), J(BPF_JMP | BPF_JGE | BPF_K, 0, 1, 6),
						 S(BPF_RET | BPF_K, 1), S(BPF_RET | BPF_K, 2)};
	static const struct sock_filter jset[] = {LD_IMM(6),
						  LDX_IMM(1),
						  J(BPF_JMP | BPF_JSET | BPF_X, 1, 2, 0),
						  S(BPF_RET | BPF_K, 1),
						  S(BPF_RET | BPF_K, 2),
						  S(BPF_RET | BPF_K, 3)};
	static const struct sock_filter ja[] = {S(BPF_JMP | BPF_JA, 1), S(BPF_RET | BPF_K, 1),
						S(BPF_RET | BPF_K, 2)};

	CHECK_EQ(run3(ldw, N(ldw), pkt, sizeof(pkt), NULL), 0x0a000001);
	CHECK_EQ(run3(ldh_past, N(ldh_past), pkt, sizeof(pkt), NULL), 0);
	CHECK_EQ(run3(ldb_last, N(ldb_last), pkt, sizeof(pkt), NULL), 0xdc);
	CHECK_EQ(run3(msh, N(msh), pkt, sizeof(pkt), NULL), 0xf7ff + 20);
	CHECK_EQ(run3(ind_wrap, N(ind_wrap), pkt, sizeof(pkt), NULL), 0x00);
	CHECK_EQ(run3(ind_past, N(ind_past), pkt, sizeof(pkt), NULL), 0);
	CHECK_EQ(run3(len, N(len), pkt, sizeof(pkt), NULL), 60);
	CHECK_EQ(run3(net, N(net), pkt, sizeof(pkt), NULL), 0x01);
	CHECK_EQ(run3(mem, N(mem), pkt, sizeof(pkt), NULL), 44);
	CHECK_EQ(run3(jgt, N(jgt), pkt, sizeof(pkt), NULL), 2);
	CHECK_EQ(run3(jge, N(jge), pkt, sizeof(pkt), NULL), 2);
	CHECK_EQ(run3(jset, N(jset), pkt, sizeof(pkt), NULL), 3);
	CHECK_EQ(run3(ja, N(ja), pkt, sizeof(pkt), NULL), 2);
	/* the wire length, not the bytes captured, is what #pktlen says */
	struct exobpf_cbpf_prog *p = exobpf_cbpf_prog__new(len, N(len), NULL);
	CHECK(p);
	CHECK_EQ(exobpf_cbpf_prog__filter(p, pkt, 10, 1500), 3000);
	CHECK_EQ(exobpf_cbpf_prog__filter(p, pkt, 0, 0), 0);
	exobpf_cbpf_prog__free(p);
}

TEST(cbpf_run_ancillary_from_sk_buff)
{
#define AD(k) S(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + (k))
	struct __sk_buff skb = {.protocol = htons(0x86dd),
				.pkt_type = 3,
				.ifindex = 7,
				.mark = 0x1234,
				.queue_mapping = 5,
				.hash = 0xdeadbeef,
				.vlan_tci = 0x0123,
				.vlan_present = 1,
				.vlan_proto = htons(0x88a8)};
	static const struct sock_filter proto[] = {AD(SKF_AD_PROTOCOL), RET_A};
	static const struct sock_filter type[] = {
	    S(BPF_LD | BPF_B | BPF_ABS, SKF_AD_OFF + SKF_AD_PKTTYPE), RET_A};
	static const struct sock_filter ifidx[] = {AD(SKF_AD_IFINDEX), RET_A};
	static const struct sock_filter mark[] = {AD(SKF_AD_MARK), RET_A};
	static const struct sock_filter queue[] = {AD(SKF_AD_QUEUE), RET_A};
	static const struct sock_filter hatype[] = {AD(SKF_AD_HATYPE), RET_A};
	static const struct sock_filter hash[] = {AD(SKF_AD_RXHASH), RET_A};
	static const struct sock_filter tci[] = {AD(SKF_AD_VLAN_TAG), RET_A};
	static const struct sock_filter present[] = {AD(SKF_AD_VLAN_TAG_PRESENT), RET_A};
	static const struct sock_filter tpid[] = {AD(SKF_AD_VLAN_TPID), RET_A};
	static const struct sock_filter xorx[] = {LD_IMM(0xf0), LDX_IMM(0xff), AD(SKF_AD_ALU_XOR_X),
						  RET_A};
	static const struct sock_filter cpu[] = {AD(SKF_AD_CPU), RET_A};
	static const struct sock_filter nla[] = {AD(SKF_AD_NLATTR), RET_A};

	CHECK_EQ(run3(proto, N(proto), pkt, sizeof(pkt), &skb), 0x86dd);
	CHECK_EQ(run3(type, N(type), pkt, sizeof(pkt), &skb), 3);
	CHECK_EQ(run3(ifidx, N(ifidx), pkt, sizeof(pkt), &skb), 7);
	CHECK_EQ(run3(mark, N(mark), pkt, sizeof(pkt), &skb), 0x1234);
	CHECK_EQ(run3(queue, N(queue), pkt, sizeof(pkt), &skb), 5);
	CHECK_EQ(run3(hatype, N(hatype), pkt, sizeof(pkt), &skb), 1); /* ARPHRD_ETHER */
	CHECK_EQ(run3(hash, N(hash), pkt, sizeof(pkt), &skb), 0xdeadbeef);
	CHECK_EQ(run3(tci, N(tci), pkt, sizeof(pkt), &skb), 0x0123);
	CHECK_EQ(run3(present, N(present), pkt, sizeof(pkt), &skb), 1);
	CHECK_EQ(run3(tpid, N(tpid), pkt, sizeof(pkt), &skb), 0x88a8);
	CHECK_EQ(run3(xorx, N(xorx), pkt, sizeof(pkt), &skb), 0x0f);
	CHECK_EQ(run3(cpu, N(cpu), pkt, sizeof(pkt), &skb), 0); /* execution slot 0 */

	/* a given device type */
	EXOBPF_OPTS(exobpf_cbpf_opts, lo, .hatype = 772);
	struct exobpf_cbpf_prog *p = exobpf_cbpf_prog__new(hatype, N(hatype), &lo);
	CHECK(p);
	CHECK_EQ(exobpf_cbpf_prog__filter(p, pkt, sizeof(pkt), sizeof(pkt)), 772);
	exobpf_cbpf_prog__free(p);

	/* random numbers differ from run to run */
	static const struct sock_filter rnd[] = {AD(SKF_AD_RANDOM), RET_A};
	p = exobpf_cbpf_prog__new(rnd, N(rnd), NULL);
	CHECK(p);
	uint32_t a = exobpf_cbpf_prog__filter(p, pkt, 1, 1),
		 b = exobpf_cbpf_prog__filter(p, pkt, 1, 1);
	uint32_t c = exobpf_cbpf_prog__filter(p, pkt, 1, 1);
	CHECK(a != b || b != c);
	exobpf_cbpf_prog__free(p);

	/* what exobpf's packets cannot answer: Linux accepts it, conversion refuses */
	CHECK_EQ(exobpf_cbpf_check(nla, N(nla), EXOBPF_CBPF_SOCKET), 0);
	CHECK(!exobpf_cbpf_prog__new(nla, N(nla), NULL));
	CHECK_EQ(errno, EOPNOTSUPP);
	CHECK_CONTAINS(exobpf_errmsg(),
		       "insn 0: ld [nla] (SKF_AD_NLATTR) reads what exobpf's packets do not have");
#undef AD
}

TEST(cbpf_conversion_shape)
{
	/* Linux's layout: A and X zeroed, ctx kept in r6, jf == 0 needs one
	 * jump, jt == 0 an inverted one, both a jump and a ja */
	static const struct sock_filter p[] = {
	    S(BPF_LD | BPF_H | BPF_ABS, 12),
	    J(BPF_JMP | BPF_JEQ | BPF_K, 0, 3, 0x800),
	    J(BPF_JMP | BPF_JGT | BPF_K, 1, 0, 5),
	    J(BPF_JMP | BPF_JSET | BPF_K, 0, 1, 1),
	    J(BPF_JMP | BPF_JGE | BPF_X, 1, 1, 0),
	    S(BPF_RET | BPF_K, 1),
	    S(BPF_RET | BPF_K, 0),
	};
	static const char *const want[] = {
	    "w0 = 0",
	    "w7 = 0",
	    "r6 = r1",
	    "r0 = *(u16 *)skb[12]",
	    "if w0 != 0x800 goto pc+5",
	    "if w0 > 0x5 goto pc+2",
	    "if w0 & 0x1 goto pc+1",
	    "goto pc+2",
	    "if w0 >= w7 goto pc+3",
	    "goto pc+2",
	    "w0 = 1",
	    "exit",
	    "w0 = 0",
	    "exit",
	};
	struct bpf_insn *e;
	size_t n;
	char text[128];

	CHECK_EQ(exobpf_cbpf_convert(p, N(p), NULL, &e, &n), 0);
	CHECK_EQ(n, N(want));
	for (size_t i = 0; i < n; i++) {
		CHECK(exobpf_insn_disasm(e, n, i, EXOBPF_SYNTAX_LINUX, text, sizeof(text)) == 1);
		CHECK_STR(text, want[i]);
	}
	free(e);

	/* unreachable classic code is dropped: the eBPF verifier refuses it */
	static const struct sock_filter dead[] = {S(BPF_JMP | BPF_JA, 1), LD_IMM(5),
						  S(BPF_RET | BPF_K, 9)};
	CHECK_EQ(exobpf_cbpf_convert(dead, N(dead), NULL, &e, &n), 0);
	CHECK_EQ(n, 3 + 1 + 2);
	free(e);

	/* seccomp: words of struct seccomp_data from r6, #len is its size */
	static const struct sock_filter sc[] = {S(BPF_LD | BPF_W | BPF_ABS, 4),
						S(BPF_LD | BPF_W | BPF_LEN, 0), RET_A};
	EXOBPF_OPTS(exobpf_cbpf_opts, so, .kind = EXOBPF_CBPF_SECCOMP);
	CHECK_EQ(exobpf_cbpf_convert(sc, N(sc), &so, &e, &n), 0);
	CHECK_EQ(n, 6);
	CHECK(exobpf_insn_disasm(e, n, 3, EXOBPF_SYNTAX_LINUX, text, sizeof(text)) == 1);
	CHECK_STR(text, "r0 = *(u32 *)(r6 +4)");
	CHECK(exobpf_insn_disasm(e, n, 4, EXOBPF_SYNTAX_LINUX, text, sizeof(text)) == 1);
	CHECK_STR(text, "w0 = 64");
	free(e);
	/* every eBPF instruction the conversion emits is a valid encoding */
	CHECK_EQ(exobpf_cbpf_convert(p, 0, NULL, &e, &n), -EINVAL);
}

TEST(cbpf_pcap_kind_loops_and_budget)
{
	/* a counted loop through a backward ja, libpcap's protochain shape:
	 * ten rounds adding 7 */
	static const struct sock_filter p[] = {
	    LD_IMM(0),
	    S(BPF_ST, 0), /* M[0] = counter */
	    LD_IMM(0),
	    S(BPF_ST, 1), /* M[1] = sum */
	    /* 4: */ S(BPF_LD | BPF_MEM, 0),
	    J(BPF_JMP | BPF_JGE | BPF_K, 6, 0, 10),
	    ALU_K(BPF_ADD, 1),
	    S(BPF_ST, 0),
	    S(BPF_LD | BPF_MEM, 1),
	    ALU_K(BPF_ADD, 7),
	    S(BPF_ST, 1),
	    S(BPF_JMP | BPF_JA, (uint32_t)-8), /* back to 4 */
	    S(BPF_LD | BPF_MEM, 1),
	    RET_A,
	};
	CHECK_EQ(exobpf_cbpf_check(p, N(p), EXOBPF_CBPF_SOCKET), -EINVAL);
	CHECK_CONTAINS(exobpf_errmsg(), "insn 11: ja +4294967288 jumps past the last instruction");
	CHECK_EQ(exobpf_cbpf_check(p, N(p), EXOBPF_CBPF_PCAP), 0);
	EXOBPF_OPTS(exobpf_cbpf_opts, po, .kind = EXOBPF_CBPF_PCAP);
	struct exobpf_cbpf_prog *prog = exobpf_cbpf_prog__new(p, N(p), &po);
	CHECK(prog);
	CHECK(exobpf_cbpf_prog__loops(prog));
	/* a loop bounded by the packet is more than a verifier can prove, in
	 * Linux or exobpf: it runs unverified, under its budget */
	EXOBPF_OPTS(exobpf_verifier_stats, vs);
	CHECK_EQ(exobpf_prog__verifier_stats(exobpf_cbpf_prog__ebpf(prog), &vs), -EINVAL);
	CHECK_EQ(exobpf_cbpf_prog__filter(prog, pkt, 4, 4), 70);
	EXOBPF_OPTS(exobpf_cbpf_run_opts, ro, .pkt = pkt, .caplen = 4);
	CHECK_EQ(exobpf_cbpf_interp(p, N(p), &po, &ro, NULL), 0);
	CHECK_EQ(ro.retval, 70);
	exobpf_cbpf_prog__free(prog);

	/* a loop that never ends runs out of its budget */
	static const struct sock_filter spin[] = {LD_IMM(1), S(BPF_JMP | BPF_JA, (uint32_t)-2),
						  RET_A};
	prog = exobpf_cbpf_prog__new(spin, N(spin), &po);
	CHECK(prog);
	CHECK_EQ(exobpf_cbpf_prog__filter(prog, pkt, 4, 4), 0);
	EXOBPF_OPTS(exobpf_cbpf_run_opts, so, .pkt = pkt, .caplen = 4);
	CHECK_EQ(exobpf_cbpf_prog__run(prog, &so), -EFAULT);
	CHECK_CONTAINS(exobpf_errmsg(), "its loop ran 16777216 instructions without returning");
	CHECK_EQ(exobpf_cbpf_interp(spin, N(spin), &po, &so, NULL), -EFAULT);
	exobpf_cbpf_prog__free(prog);

	/* unproven reads of M[] are allowed and read 0 */
	static const struct sock_filter unproven[] = {J(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0),
						      LD_IMM(4), S(BPF_LD | BPF_MEM, 3),
						      ALU_K(BPF_ADD, 1), RET_A};
	CHECK_EQ(exobpf_cbpf_check(unproven, N(unproven), EXOBPF_CBPF_SOCKET), -EINVAL);
	prog = exobpf_cbpf_prog__new(unproven, N(unproven), &po);
	CHECK(prog);
	CHECK_EQ(exobpf_cbpf_prog__filter(prog, pkt, 4, 4), 1);
	exobpf_cbpf_prog__free(prog);
}

/* Random valid programs: exobpf and Linux must compute the same A. Linux
 * shows only how many bytes of a packet it delivers, so each program ends
 * by returning 11 bits of A, and runs three times to see all 32. */
static uint32_t rnd(uint64_t *s)
{
	*s ^= *s << 13, *s ^= *s >> 7, *s ^= *s << 17;
	return (uint32_t)*s;
}

static size_t random_program(uint64_t *s, struct sock_filter *p, unsigned shift)
{
	static const uint16_t alu[] = {BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_MOD,
				       BPF_OR,	BPF_AND, BPF_XOR, BPF_LSH, BPF_RSH};
	static const uint16_t jmp[] = {BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET};
	/* ancillary data an AF_UNIX skb has for certain: no device, no tag */
	static const int32_t ads[] = {SKF_AD_PROTOCOL,	SKF_AD_PKTTYPE,	 SKF_AD_MARK,
				      SKF_AD_QUEUE,	SKF_AD_VLAN_TAG, SKF_AD_VLAN_TAG_PRESENT,
				      SKF_AD_VLAN_TPID, SKF_AD_ALU_XOR_X};
	size_t n = 0, body = 8 + rnd(s) % 24;

	for (uint32_t k = 0; k < BPF_MEMWORDS; k++) /* every M[] written first */
		p[n++] = (struct sock_filter)S(BPF_ST, k);
	for (size_t i = 0; i < body; i++) {
		uint32_t k = rnd(s) % 4 ? rnd(s) % 64 : rnd(s);
		switch (rnd(s) % 12) {
		case 0:
		case 1: {
			uint16_t op = alu[rnd(s) % 10];
			if ((op == BPF_DIV || op == BPF_MOD) && !k)
				k = 3;
			if (op == BPF_LSH || op == BPF_RSH)
				k %= 32;
			p[n++] = (struct sock_filter)S(BPF_ALU | op | BPF_K, k);
			break;
		}
		case 2:
			p[n++] = (struct sock_filter)S(BPF_ALU | alu[rnd(s) % 10] | BPF_X, 0);
			break;
		case 3:
			p[n++] = (struct sock_filter)S(BPF_LD | (rnd(s) % 3) << 3 | BPF_ABS,
						       rnd(s) % 80);
			break;
		case 4:
			p[n++] = (struct sock_filter)S(BPF_LD | (rnd(s) % 3) << 3 | BPF_IND,
						       rnd(s) % 8 ? rnd(s) % 40 : rnd(s));
			break;
		case 5:
			p[n++] = (struct sock_filter)S(
			    rnd(s) % 2 ? BPF_MISC | BPF_TAX : BPF_MISC | BPF_TXA, 0);
			break;
		case 6:
			p[n++] = (struct sock_filter)S(
			    rnd(s) % 2 ? BPF_LDX | BPF_IMM : BPF_LD | BPF_IMM, k);
			break;
		case 7:
			p[n++] = (struct sock_filter)S(BPF_LDX | BPF_B | BPF_MSH, rnd(s) % 70);
			break;
		case 8:
			p[n++] =
			    (struct sock_filter)S((rnd(s) % 2 ? BPF_ST : BPF_STX), rnd(s) % 16);
			p[n++] = (struct sock_filter)S((rnd(s) % 2 ? BPF_LD : BPF_LDX) | BPF_MEM,
						       rnd(s) % 16);
			break;
		case 9:
			p[n++] = (struct sock_filter)S(BPF_LD | BPF_W | BPF_ABS,
						       SKF_AD_OFF + ads[rnd(s) % 8]);
			break;
		case 10:
			p[n++] = (struct sock_filter)S(
			    rnd(s) % 2 ? BPF_LD | BPF_W | BPF_LEN : BPF_LDX | BPF_W | BPF_LEN, 0);
			break;
		default: {
			/* forward into the four instructions after it */
			uint8_t jt = (uint8_t)(rnd(s) % 4), jf = (uint8_t)(rnd(s) % 4);
			p[n++] = (struct sock_filter)J(
			    BPF_JMP | jmp[rnd(s) % 4] | (rnd(s) % 2 ? BPF_X : BPF_K), jt, jf, k);
			for (unsigned j = 0; j < 4; j++)
				p[n++] =
				    (struct sock_filter)S(BPF_ALU | BPF_ADD | BPF_K, rnd(s) % 9);
			i += 4;
			break;
		}
		}
	}
	p[n++] = (struct sock_filter)ALU_K(BPF_RSH, shift);
	p[n++] = (struct sock_filter)ALU_K(BPF_AND, 0x7ff);
	p[n++] = (struct sock_filter)RET_A;
	return n;
}

TEST(cbpf_random_programs_match_linux)
{
	uint8_t packet[2048];
	uint64_t s = 0x1234567;
	unsigned programs = 0, runs = 0, bad = 0, refused = 0;
	struct sock_filter p[256];
	struct sock_filter probe[] = {S(BPF_RET | BPF_K, 1)};

	if (ksock_check(probe, 1))
		SKIP("SO_ATTACH_FILTER is refused here");
	for (int i = 0; i < 3000 && bad < 10; i++) {
		uint64_t seed = s;
		for (unsigned part = 0; part < 3; part++) {
			uint64_t t = seed; /* the same program, a different slice of A */
			size_t n = random_program(&t, p, 11 * part);
			struct exobpf_cbpf_prog *prog = exobpf_cbpf_prog__new(p, n, NULL);
			struct ksock k;
			if (!prog) {
				printf("  program %d: %s\n", i, exobpf_errmsg());
				bad++;
				break;
			}
			EXOBPF_OPTS(exobpf_verifier_stats, vs);
			if (exobpf_prog__verifier_stats(exobpf_cbpf_prog__ebpf(prog), &vs)) {
				printf("  program %d: not verified by exobpf\n", i);
				bad++;
			}
			if (ksock_open(&k, p, n)) {
				refused++;
				exobpf_cbpf_prog__free(prog);
				break;
			}
			for (unsigned r = 0; r < 2; r++) {
				uint32_t len = 2048 - rnd(&s) % 4;
				for (uint32_t j = 0; j < len; j++)
					packet[j] = (uint8_t)rnd(&s);
				struct test_pkt tp = {packet, len, len};
				uint32_t v;
				char why[200];
				if (!test_cbpf_all_engines(prog, p, n, &tp, &v, why, sizeof(why))) {
					printf("  program %d: %s\n", i, why);
					bad++;
					continue;
				}
				/* Linux keeps min(len, verdict) bytes, none for 0 */
				long want = !v ? -1 : v < len ? (long)v : (long)len;
				long got = ksock_send(&k, packet, len);
				runs++;
				if (got != want) {
					printf("  program %d part %u: Linux %ld, exobpf %ld\n", i,
					       part, got, want);
					bad++;
				}
			}
			ksock_close(&k);
			exobpf_cbpf_prog__free(prog);
		}
		programs++;
		rnd(&s);
	}
	printf("  %u random programs, %u runs compared with Linux, %u refused by Linux\n", programs,
	       runs, refused);
	CHECK_EQ(refused, 0);
	CHECK_EQ(bad, 0);
}

/* The batch refuses what it cannot run before running anything, naming the
 * packet; an empty batch keeps nothing. */
TEST(cbpf_filter_batch_rejects_bad_packets)
{
	struct sock_filter ret_all[] = {{.code = BPF_RET | BPF_K, .k = 0xffff}};
	EXOBPF_OPTS(exobpf_cbpf_opts, po, .name = "all");
	struct exobpf_cbpf_prog *prog = exobpf_cbpf_prog__new(ret_all, 1, &po);
	static const uint8_t bytes[16];
	struct exobpf_cbpf_pkt pkts[3] = {
	    {.data = bytes, .caplen = 16, .wirelen = 16},
	    {.data = NULL, .caplen = 10, .wirelen = 10},
	    {.data = NULL, .caplen = 0, .wirelen = 60}, /* nothing captured: fine */
	};
	uint32_t v[3] = {7, 7, 7};

	CHECK_MSG(prog, "%s", exobpf_errmsg());
	CHECK_EQ(exobpf_cbpf_prog__filter_batch(prog, pkts, 3, v), -EINVAL);
	CHECK_MSG(strstr(exobpf_errmsg(), "packet 1 of the batch"), "%s", exobpf_errmsg());
	CHECK(v[0] == 7 && v[1] == 7 && v[2] == 7); /* nothing ran */
	CHECK_EQ(exobpf_cbpf_prog__filter_batch(prog, NULL, 2, v), -EINVAL);
	CHECK_EQ(exobpf_cbpf_prog__filter_batch(NULL, pkts, 1, v), -EINVAL);
	CHECK_EQ(exobpf_cbpf_prog__filter_batch(prog, NULL, 0, NULL), 0);
	pkts[1] = pkts[0];
	CHECK_EQ(exobpf_cbpf_prog__filter_batch(prog, pkts, 3, v), 3);
	CHECK(v[0] == 0xffff && v[1] == 0xffff && v[2] == 0xffff);
	exobpf_cbpf_prog__free(prog);
}
