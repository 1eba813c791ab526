/* Classic filters per packet: exobpf (libpcap's program checked, converted
 * to eBPF and run by exobpf's engine) beside libpcap's own
 * pcap_offline_filter, on the same packets, in the same run.
 *
 * The capture is generated (deterministic): Ethernet frames as tcpdump -s
 * 128 keeps them - IPv4 TCP and UDP, IPv6, ARP, VLAN-tagged IPv4 - with some
 * addresses and ports the expressions look for. It is written to a pcap
 * file and read back through exobpf's capture reader, then both engines
 * filter it from memory. Each engine runs each expression several times,
 * interleaved; the best time counts. Prints ns per packet and the ratio; no
 * pass/fail on time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "exobpf/exobpf.h"
#include "pcap_side.h"

#define SNAPLEN 128

static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint32_t rnd(void)
{
	rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
	return (uint32_t)rng;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v;
}

static uint32_t frame(uint8_t *p, uint32_t *wirelen)
{
	static const uint16_t ports[] = {80, 443, 53, 22, 8080, 1500, 5353, 123};
	uint32_t r = rnd() % 100, off = 14, len;

	memset(p, 0, SNAPLEN);
	for (int i = 0; i < 12; i++)
		p[i] = (uint8_t)rnd();
	if (rnd() % 50 == 0)
		memset(p, 0xff, 6);
	if (r >= 95) { /* ARP */
		put16(p + 12, 0x0806);
		*wirelen = 60;
		return 42;
	}
	if (r >= 90) { /* VLAN-tagged IPv4 */
		put16(p + 12, 0x8100);
		put16(p + 14, (uint16_t)(rnd() % 16));
		off = 18;
	}
	uint16_t sport = ports[rnd() % 8], dport = rnd() % 3 ? ports[rnd() % 8] : (uint16_t)rnd();
	bool udp = rnd() % 4 == 0;
	len = 60 + rnd() % 1455;
	if (r >= 80 && r < 90) { /* IPv6 */
		put16(p + off - 2, 0x86dd);
		p[off] = 0x60;
		put16(p + off + 4, (uint16_t)(len - off - 40));
		p[off + 6] = udp ? 17 : 6;
		p[off + 7] = 64;
		for (int i = 0; i < 32; i++)
			p[off + 8 + i] = (uint8_t)rnd();
		off += 40;
	} else {
		put16(p + off - 2, 0x0800);
		p[off] = 0x45;
		put16(p + off + 2, (uint16_t)(len - off));
		p[off + 8] = 64;
		p[off + 9] = udp ? 17 : 6;
		uint32_t src = rnd() % 4 == 0	? 0x0a010203
			       : rnd() % 3 == 0 ? 0xc0a80000 | (rnd() & 0xffff)
						: rnd();
		uint32_t dst = rnd();
		for (int i = 0; i < 4; i++) {
			p[off + 12 + i] = (uint8_t)(src >> (24 - 8 * i));
			p[off + 16 + i] = (uint8_t)(dst >> (24 - 8 * i));
		}
		off += 20;
	}
	put16(p + off, sport);
	put16(p + off + 2, dport);
	if (!udp)
		p[off + 13] = (uint8_t)(rnd() % 4 == 0 ? 0x02 : 0x10); /* SYN or ACK */
	*wirelen = len;
	return len < SNAPLEN ? len : SNAPLEN;
}

/* This thread's CPU time, as bench/bench.c: on a shared machine the wall
 * clock would charge the other tenants' work to whichever engine ran then. */
static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static const char *const exprs[] = {
    "",
    "tcp port 80",
    "ip and udp and dst port 53",
    "host 10.1.2.3 or net 192.168.0.0/16",
    "ip6 and tcp",
    "vlan and ip",
    "tcp[tcpflags] & tcp-syn != 0",
    "not arp",
    "len > 500",
    "ether broadcast",
    "portrange 1000-2000",
};

/* The count-th root of product, by bisection (no libm). */
static double geomean(double product, unsigned count)
{
	double g = 1;

	for (double lo = 0.01, hi = 100; hi - lo > 1e-6;) {
		g = (lo + hi) / 2;
		double pw = 1;
		for (unsigned i = 0; i < count; i++)
			pw *= g;
		if (pw > product)
			hi = g;
		else
			lo = g;
	}
	return g;
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 0) : 200000;
	unsigned rounds = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 0) : 7;
	const char *only =
	    argc > 3 ? argv[3] : NULL; /* expressions containing this, for a profile */
	char path[] = "/tmp/exobpf-bench-XXXXXX";
	struct bench_pkt *pkts = calloc(n, sizeof(*pkts));
	uint8_t *mem = malloc(n * SNAPLEN);
	int fd = mkstemp(path);

	if (!pkts || !mem || fd < 0 || n == 0) {
		fprintf(stderr, "bench: cannot set up %zu packets\n", n);
		return 1;
	}
	close(fd);
	for (size_t i = 0; i < n; i++) {
		uint32_t wire;
		pkts[i].caplen = frame(mem + i * SNAPLEN, &wire);
		pkts[i].wirelen = wire;
		pkts[i].data = mem + i * SNAPLEN;
	}
	if (pcap_side_write(path, pkts, n, SNAPLEN))
		return 1;
	/* read the capture back through exobpf, so both filter what it holds */
	struct exobpf_capture *cap = exobpf_capture__open(path);
	struct exobpf_packet p;
	size_t got = 0;
	if (!cap) {
		fprintf(stderr, "bench: %s\n", exobpf_errmsg());
		return 1;
	}
	while (exobpf_capture__next(cap, &p) > 0 && got < n) {
		memcpy(mem + got * SNAPLEN, p.data, p.caplen);
		pkts[got].caplen = p.caplen;
		pkts[got].wirelen = p.wirelen;
		got++;
	}
	exobpf_capture__close(cap);
	unlink(path);

	printf("classic filters over %zu generated packets (snaplen %d), best of %u runs each\n\n",
	       got, SNAPLEN, rounds);
	/* exobpf filters the capture as a batch (exobpf_cbpf_prog__filter_batch,
	 * counting matches as libpcap's loop does); "1-by-1" is the same engine
	 * called once per packet, for reference */
	struct exobpf_cbpf_pkt *epkts = calloc(got ? got : 1, sizeof(*epkts));
	if (!epkts) {
		fprintf(stderr, "bench: out of memory\n");
		return 1;
	}
	for (size_t i = 0; i < got; i++)
		epkts[i] = (struct exobpf_cbpf_pkt){
		    .data = pkts[i].data, .caplen = pkts[i].caplen, .wirelen = pkts[i].wirelen};
	printf("%-38s %8s %12s %12s %12s %7s\n", "expression", "matches", "libpcap ns", "1-by-1 ns",
	       "exobpf ns", "ratio");
	double geo = 1, geo_one = 1;
	unsigned count = 0;
	for (size_t e = 0; e < sizeof(exprs) / sizeof(exprs[0]); e++) {
		if (only && !strstr(exprs[e], only))
			continue;
		struct pcap_filter *pf = pcap_side_compile(exprs[e], SNAPLEN);
		struct sock_filter *insns;
		size_t cnt;
		EXOBPF_OPTS(exobpf_cbpf_compile_opts, co, .snaplen = SNAPLEN);
		EXOBPF_OPTS(exobpf_cbpf_opts, po, .kind = EXOBPF_CBPF_PCAP);
		if (!pf || exobpf_cbpf_compile(exprs[e], &co, &insns, &cnt)) {
			fprintf(stderr, "bench: '%s': %s\n", exprs[e], exobpf_errmsg());
			return 1;
		}
		struct exobpf_cbpf_prog *prog = exobpf_cbpf_prog__new(insns, cnt, &po);
		free(insns);
		if (!prog) {
			fprintf(stderr, "bench: '%s': %s\n", exprs[e], exobpf_errmsg());
			return 1;
		}
		uint64_t best_pcap = UINT64_MAX, best_exo = UINT64_MAX, best_one = UINT64_MAX;
		size_t m_pcap = 0, m_exo = 0, m_one = 0;
		for (unsigned r = 0; r < rounds; r++) {
			uint64_t t0 = now_ns();
			m_pcap = pcap_side_run(pf, pkts, got);
			uint64_t t1 = now_ns();
			m_one = 0;
			for (size_t i = 0; i < got; i++)
				m_one +=
				    exobpf_cbpf_prog__filter(prog, pkts[i].data, pkts[i].caplen,
							     pkts[i].wirelen) != 0;
			uint64_t t2 = now_ns();
			long kept = exobpf_cbpf_prog__filter_batch(prog, epkts, got, NULL);
			uint64_t t3 = now_ns();
			if (kept < 0) {
				fprintf(stderr, "bench: '%s': %s\n", exprs[e], exobpf_errmsg());
				return 1;
			}
			m_exo = (size_t)kept;
			best_pcap = t1 - t0 < best_pcap ? t1 - t0 : best_pcap;
			best_one = t2 - t1 < best_one ? t2 - t1 : best_one;
			best_exo = t3 - t2 < best_exo ? t3 - t2 : best_exo;
		}
		if (m_pcap != m_exo || m_one != m_exo) {
			fprintf(stderr,
				"bench: '%s': libpcap matches %zu packets, exobpf %zu (one by one "
				"%zu)\n",
				exprs[e], m_pcap, m_exo, m_one);
			return 1;
		}
		double np = (double)best_pcap / (double)got, ne = (double)best_exo / (double)got;
		double no = (double)best_one / (double)got;
		printf("%-38s %8zu %12.2f %12.2f %12.2f %6.2fx\n", exprs[e], m_exo, np, no, ne,
		       np / ne);
		geo *= np / ne;
		geo_one *= np / no;
		count++;
		exobpf_cbpf_prog__free(prog);
		pcap_side_free(pf);
	}
	printf("\ngeometric mean: exobpf is %.2fx libpcap's speed per packet (goal: 2x); "
	       "one packet at a time %.2fx\n",
	       geomean(geo, count), geomean(geo_one, count));
	free(epkts);
	free(pkts);
	free(mem);
	return 0;
}
