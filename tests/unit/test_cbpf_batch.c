/* The batch filter against the one-packet filter: the JIT's loop over
 * packets (vm_prog.jited_batch) and the C loop it falls back to must give
 * every packet the verdict exobpf_cbpf_prog__filter gives it alone, and the
 * count of packets kept. Packets are generated: Ethernet frames of every
 * kind the expressions look at, cut at random lengths (none, a few bytes,
 * through the headers), so loads fall in and out of range. */
#include <linux/filter.h>
#include <stdlib.h>
#include <string.h>

#include "core/prog.h"
#include "exobpf/exobpf.h"
#include "jit/jit.h"
#include "test.h"

#define NPKTS  333 /* more than the prefetch distance, not a multiple of it */
#define PKTMAX 128

static uint32_t next(uint64_t *s)
{
	*s ^= *s << 13, *s ^= *s >> 7, *s ^= *s << 17;
	return (uint32_t)*s;
}

static void gen(uint8_t (*mem)[PKTMAX], struct exobpf_cbpf_pkt *pkts, size_t n)
{
	static const uint16_t types[] = {0x0800, 0x86dd, 0x0806, 0x8100};
	static const uint16_t ports[] = {80, 53, 1500, 22};
	uint64_t s = 0x9e3779b97f4a7c15ull;

	for (size_t i = 0; i < n; i++) {
		uint8_t *p = mem[i];
		for (int b = 0; b < PKTMAX; b++)
			p[b] = (uint8_t)next(&s);
		uint16_t t = types[next(&s) % 4];
		p[12] = (uint8_t)(t >> 8), p[13] = (uint8_t)t;
		unsigned ip = 14;
		if (t == 0x8100) {
			p[16] = 0x08, p[17] = 0x00;
			ip = 18;
		}
		p[ip] = t == 0x86dd ? 0x60 : 0x45;
		p[ip + (t == 0x86dd ? 6 : 9)] = next(&s) % 2 ? 6 : 17;
		uint16_t port = ports[next(&s) % 4];
		unsigned l4 = ip + (t == 0x86dd ? 40 : 20);
		p[l4 + 2] = (uint8_t)(port >> 8), p[l4 + 3] = (uint8_t)port;
		uint32_t r = next(&s) % 8;
		uint32_t caplen = r == 0 ? 0 : r == 1 ? next(&s) % 40 : PKTMAX - next(&s) % 60;
		pkts[i] = (struct exobpf_cbpf_pkt){.data = caplen || i % 2 ? p : NULL,
						   .caplen = caplen,
						   .wirelen = caplen + next(&s) % 1400};
	}
}

/* Every packet's batch verdict against its one-packet verdict, with and
 * without a verdict array; *jit says whether the JIT's loop ran. */
static void compare(struct exobpf_cbpf_prog *prog, const char *what,
		    const struct exobpf_cbpf_pkt *pkts, size_t n, bool *jit)
{
	uint32_t *v = calloc(n, sizeof(*v)), *one = calloc(n, sizeof(*one));
	long want = 0, want_tail = 0;

	*jit = exobpf_cbpf_prog__ebpf(prog)->vm.jited_batch != NULL;
	CHECK(v && one);
	for (size_t i = 0; i < n; i++) {
		one[i] =
		    exobpf_cbpf_prog__filter(prog, pkts[i].data, pkts[i].caplen, pkts[i].wirelen);
		want += one[i] != 0;
		want_tail += i >= n - 5 && one[i];
	}
	long kept = exobpf_cbpf_prog__filter_batch(prog, pkts, n, v);
	CHECK_MSG(kept == want, "%s: the batch kept %ld, one by one %ld (%s)", what, kept, want,
		  kept < 0 ? exobpf_errmsg() : "");
	for (size_t i = 0; i < n; i++)
		CHECK_MSG(v[i] == one[i], "%s: packet %zu (%u of %u bytes): batch %u, alone %u",
			  what, i, pkts[i].caplen, pkts[i].wirelen, v[i], one[i]);
	CHECK_EQ(exobpf_cbpf_prog__filter_batch(prog, pkts, n, NULL), want);
	/* shorter than the prefetch distance */
	memset(v, 0xa5, n * sizeof(*v));
	CHECK_EQ(exobpf_cbpf_prog__filter_batch(prog, pkts + n - 5, 5, v), want_tail);
	for (size_t i = 0; i < 5; i++)
		CHECK_EQ(v[i], one[n - 5 + i]);
	CHECK_EQ(v[5], 0xa5a5a5a5u); /* nothing written past the batch */
	free(v);
	free(one);
}

TEST(cbpf_batch_gives_each_packet_its_own_verdict)
{
	static const char *const exprs[] = {
	    "",
	    "tcp port 80",
	    "ip and udp and dst port 53",
	    "ip6 and tcp",
	    "vlan and ip",
	    "tcp[tcpflags] & tcp-syn != 0",
	    "len > 700",
	    "portrange 1000-2000",
	    "ether[100:4] = 0x01020304 or ether[60] > 10",
	    "ip[0] & 0xf = 5 and ip[6:2] & 0x1fff = 0",
	};
	uint8_t(*mem)[PKTMAX] = calloc(NPKTS, PKTMAX);
	struct exobpf_cbpf_pkt *pkts = calloc(NPKTS, sizeof(*pkts));
	unsigned jitted = 0;

	CHECK(mem && pkts);
	if (!mem || !pkts)
		goto out;
	gen(mem, pkts, NPKTS);
	for (size_t e = 0; e < sizeof(exprs) / sizeof(exprs[0]); e++) {
		EXOBPF_OPTS(exobpf_cbpf_compile_opts, co, .snaplen = PKTMAX);
		EXOBPF_OPTS(exobpf_cbpf_opts, po, .kind = EXOBPF_CBPF_PCAP);
		struct sock_filter *insns;
		size_t cnt;
		CHECK_MSG(!exobpf_cbpf_compile(exprs[e], &co, &insns, &cnt), "'%s': %s", exprs[e],
			  exobpf_errmsg());
		struct exobpf_cbpf_prog *prog = exobpf_cbpf_prog__new(insns, cnt, &po);
		free(insns);
		CHECK_MSG(prog, "'%s': %s", exprs[e], exobpf_errmsg());
		if (!prog)
			continue;
		bool jit = false;
		compare(prog, exprs[e], pkts, NPKTS, &jit);
		jitted += jit;
		exobpf_cbpf_prog__free(prog);
	}
	/* libpcap's expressions are verified leaves: the JIT's loop ran them */
	if (jit_supported())
		CHECK_EQ(jitted, sizeof(exprs) / sizeof(exprs[0]));
out:
	free(mem);
	free(pkts);
}

/* Hand-written programs for what expressions do not reach: A returned
 * whole (the length, a 32-bit word), LD_IND below 0 (the JIT's call into C
 * from inside the loop), ancillary fields, and a helper call (no leaf: the
 * C loop). */
TEST(cbpf_batch_runs_hand_written_programs_as_alone)
{
#define S(c, k)                                    \
	{                                          \
		(uint16_t)(c), 0, 0, (uint32_t)(k) \
	}
	static const struct sock_filter len[] = {S(BPF_LD | BPF_W | BPF_LEN, 0),
						 S(BPF_RET | BPF_A, 0)};
	static const struct sock_filter word[] = {S(BPF_LD | BPF_W | BPF_ABS, 30),
						  S(BPF_RET | BPF_A, 0)};
	static const struct sock_filter msh[] = {S(BPF_LDX | BPF_B | BPF_MSH, 14),
						 S(BPF_LD | BPF_H | BPF_IND, 16),
						 S(BPF_RET | BPF_A, 0)};
	static const struct sock_filter wrap[] = {S(BPF_LDX | BPF_IMM, 8),
						  S(BPF_LD | BPF_B | BPF_IND, (uint32_t)-4),
						  S(BPF_RET | BPF_A, 0)};
	static const struct sock_filter neg[] = {
	    S(BPF_LDX | BPF_IMM, 0), S(BPF_LD | BPF_H | BPF_IND, (uint32_t)(SKF_LL_OFF + 12)),
	    S(BPF_RET | BPF_A, 0)};
	static const struct sock_filter proto[] = {
	    S(BPF_LD | BPF_H | BPF_ABS, SKF_AD_OFF + SKF_AD_PROTOCOL), S(BPF_RET | BPF_A, 0)};
	static const struct sock_filter rnd[] = {
	    S(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + SKF_AD_RANDOM),
	    S(BPF_ALU | BPF_AND | BPF_K, 1), S(BPF_RET | BPF_A, 0)};
#undef S
	static const struct {
		const char *name;
		const struct sock_filter *insns;
		size_t cnt;
		bool leaf;
	} progs[] = {
	    {"len", len, 2, true},     {"word", word, 2, true}, {"msh", msh, 3, true},
	    {"wrap", wrap, 3, true},   {"neg", neg, 3, true},	{"proto", proto, 2, true},
	    {"random", rnd, 3, false},
	};
	uint8_t(*mem)[PKTMAX] = calloc(NPKTS, PKTMAX);
	struct exobpf_cbpf_pkt *pkts = calloc(NPKTS, sizeof(*pkts));

	CHECK(mem && pkts);
	if (!mem || !pkts)
		goto out;
	gen(mem, pkts, NPKTS);
	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		EXOBPF_OPTS(exobpf_cbpf_opts, po, .name = progs[i].name);
		struct exobpf_cbpf_prog *prog =
		    exobpf_cbpf_prog__new(progs[i].insns, progs[i].cnt, &po);
		CHECK_MSG(prog, "%s: %s", progs[i].name, exobpf_errmsg());
		if (!prog)
			continue;
		if (progs[i].leaf) {
			bool jit = false;
			compare(prog, progs[i].name, pkts, NPKTS, &jit);
			CHECK_MSG(jit || !jit_supported(), "%s: no JIT batch loop", progs[i].name);
		} else { /* its verdicts are random: the C loop ran them, 0 or 1 */
			uint32_t v[NPKTS];
			long kept = exobpf_cbpf_prog__filter_batch(prog, pkts, NPKTS, v), ones = 0;
			for (size_t k = 0; k < NPKTS; k++) {
				CHECK(v[k] <= 1);
				ones += v[k];
			}
			CHECK_EQ(kept, ones);
			CHECK(exobpf_cbpf_prog__ebpf(prog)->vm.jited_batch == NULL);
		}
		exobpf_cbpf_prog__free(prog);
	}
out:
	free(mem);
	free(pkts);
}
