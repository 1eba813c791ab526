/* Differential tests for running classic programs: many tcpdump expressions
 * over every packet of the corpus captures and of generated packets, with
 * exobpf's three engines against
 *   - libpcap's own interpreter, bpf_filter();
 *   - Linux's classic BPF (check, conversion, run) through SO_ATTACH_FILTER
 *     on an AF_UNIX datagram socket, where the filter's verdict decides
 *     whether and how much of each packet arrives;
 *   - Linux running exobpf's conversion: each converted program must pass
 *     Linux's verifier as a socket filter and return the same values under
 *     BPF_PROG_TEST_RUN.
 * Two things libpcap's interpreter does differently from Linux are left out
 * of the libpcap comparison (and compared with Linux instead): shifts by a
 * register of 32 or more (libpcap gives 0, Linux shifts by the count's low 5
 * bits), and [x + k] with a negative k, which libpcap's unoptimized code for
 * some link types contains (libpcap calls it out of range, Linux adds with
 * 32-bit wrap-around; libpcap's own optimizer folds it to the in-range
 * offset Linux reads). */
#include <arpa/inet.h>
#include <stdlib.h>
#include <unistd.h>

#include "cbpf_kernel.h"
#include "cbpf_testutil.h"
#include "pcap_oracle.h"
#include "test.h"
#include "util.h"

static const char *const exprs[] = {
    "",
    "ip",
    "ip6",
    "arp",
    "rarp",
    "tcp",
    "udp",
    "icmp",
    "icmp6",
    "sctp",
    "igmp",
    "tcp port 80",
    "udp port 53",
    "port 4500",
    "tcp portrange 1-1024",
    "udp dst portrange 500-600",
    "host 192.168.1.1",
    "src net 10.0.0.0/8",
    "dst net 192.168.0.0/16",
    "net 172.16.0.0/12",
    "ip6 host ::1",
    "ip6 net 2001:db8::/32",
    "ether broadcast",
    "ether multicast",
    "ether host 00:10:18:de:38:1e",
    "ether src 00:00:00:00:00:00",
    "ether proto 0x88cc",
    "vlan",
    "vlan 8",
    "vlan and ip",
    "mpls",
    "pppoes",
    "pppoed",
    "ip multicast",
    "ip6 multicast",
    "len > 100",
    "len <= 64",
    "greater 200",
    "less 100",
    "ip[0] & 0xf > 5",
    "ip[6:2] & 0x1fff != 0",
    "ip[2:2] > 500",
    "tcp[tcpflags] & (tcp-syn|tcp-fin) != 0",
    "tcp[13] = 18",
    "udp[4:2] > 100",
    "icmp[icmptype] = icmp-echo",
    "icmp[icmptype] != icmp-echoreply",
    "ip[9] = 17 and udp[2:2] = 4500",
    "ip proto 50",
    "ah",
    "esp",
    "ip6 proto 58",
    "ip6[6] = 17",
    "ip6 and tcp port 443",
    "not ip",
    "not (tcp or udp)",
    "tcp or udp or icmp",
    "(tcp port 80 or tcp port 443) and not host 10.1.1.1",
    "ip[0] / (ip[1] & 3) = 1",
    "ip[2:2] % (ip[8] & 7) = 0",
    "len - 14 = ip[2:2]",
    "ip[2:2] * 2 > len",
    "ip[2:2] + 14 != len",
    "(ip[0] & 0xf) * 4 = 20",
    "ether[0] & 1 = 1",
    "ether[12:2] - 0x800 = 0",
    "ether[len - 1] = 0",
    "ip[ip[0] & 0xf] > 3",
    "tcp[((tcp[12:1] & 0xf0) >> 2):4] = 0x47455420",
    "iso",
    "isis",
    "stp",
    "llc",
    "decnet",
    "carp",
    "vrrp",
    "geneve",
    "udp port 4789",
    "ip protochain 17",
    "ip6 protochain 6",
    "ip6 protochain 44",
    "wlan type data",
    "link[0] = 0x45",
    "ip[2:2] ^ 0xffff > 0x8000",
    "-ip[0] & 0xff > 0x80",
    NULL,
};

/* Packets with plausible and implausible headers: Ethernet, VLAN, IPv4 with
 * any header length, IPv6, ARP, random protocols and ports, truncated
 * captures, runts. Deterministic. */
static void generate(struct test_capture *cap, size_t n, uint32_t seed)
{
	uint64_t s = seed * 0x9e3779b97f4a7c15ull + 1;
#define RND() (s ^= s << 13, s ^= s >> 7, s ^= s << 17, (uint32_t)s)
	static const uint16_t types[] = {0x0800, 0x86dd, 0x0806, 0x8100,
					 0x8864, 0x88cc, 0x0800, 0x86dd};
	static const uint8_t protos[] = {6, 17, 1, 58, 132, 50, 51, 0, 43, 44, 60, 2, 4, 41, 112};

	cap->linktype = 1;
	cap->snaplen = 262144;
	cap->n = n;
	cap->pkts = calloc(n, sizeof(*cap->pkts));
	for (size_t i = 0; i < n && cap->pkts; i++) {
		uint32_t len = 14 + RND() % 200, off = 14;
		uint8_t *p = calloc(1, len + 64);
		for (uint32_t j = 0; j < len; j++)
			p[j] = (uint8_t)RND();
		if (RND() % 4 == 0)
			memset(p, 0xff, 6); /* broadcast */
		uint16_t type = RND() % 10 ? types[RND() % 8] : (uint16_t)RND();
		if (type == 0x8100 && len > 18) {
			p[12] = 0x81, p[13] = 0;
			p[14] = 0, p[15] = (uint8_t)(RND() % 10);
			off = 18;
			type = RND() % 2 ? 0x0800 : 0x86dd;
		}
		p[off - 2] = (uint8_t)(type >> 8), p[off - 1] = (uint8_t)type;
		if (type == 0x0800 && len > off + 20) {
			p[off] = (uint8_t)(0x40 | (RND() % 3 ? 5 : RND() % 16));
			p[off + 9] = protos[RND() % sizeof(protos)];
			p[off + 6] = RND() % 4 ? 0x40 : p[off + 6];
			if (RND() % 3 == 0)
				p[off + 12] = 10, p[off + 16] = 192, p[off + 17] = 168;
		} else if (type == 0x86dd && len > off + 40) {
			p[off] = 0x60;
			p[off + 6] = protos[RND() % sizeof(protos)];
		}
		if (RND() % 3 == 0 && len > off + 24) { /* well-known ports */
			static const uint16_t ports[] = {80, 443, 53, 4500, 4789, 500, 6081};
			uint16_t port = ports[RND() % 7];
			p[off + 22] = (uint8_t)(port >> 8), p[off + 23] = (uint8_t)port;
		}
		cap->pkts[i].data = p;
		cap->pkts[i].wirelen = len;
		cap->pkts[i].caplen = RND() % 5 ? len : RND() % (len + 1); /* truncated */
	}
#undef RND
}

static bool load_corpus(size_t i, struct test_capture *cap)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/pcap/libpcap_tests/filter/%s", test_shared_dir(),
		 test_corpus_captures[i]);
	return test_capture_load(path, cap) == 0;
}

struct tally {
	unsigned programs, packets, mismatches, negative_ind;
};

static bool negative_ind(const struct sock_filter *insns, size_t cnt)
{
	for (size_t i = 0; i < cnt; i++)
		if (BPF_CLASS(insns[i].code) == BPF_LD && BPF_MODE(insns[i].code) == BPF_IND &&
		    (int32_t)insns[i].k < 0)
			return true;
	return false;
}

/* One expression over one capture against libpcap; false if it does not
 * compile for this link type. */
static bool diff_libpcap(const char *expr, const struct test_capture *cap, bool optimize,
			 struct tally *t)
{
	EXOBPF_OPTS(exobpf_cbpf_compile_opts, co, .linktype = cap->linktype,
		    .snaplen = cap->snaplen, .no_optimize = !optimize);
	EXOBPF_OPTS(exobpf_cbpf_opts, po, .kind = EXOBPF_CBPF_PCAP);
	struct sock_filter *insns;
	size_t cnt;
	char why[256];

	if (exobpf_cbpf_compile(expr, &co, &insns, &cnt))
		return false;
	struct exobpf_cbpf_prog *prog = exobpf_cbpf_prog__new(insns, cnt, &po);
	if (!prog) {
		printf("  '%s': %s\n", expr, exobpf_errmsg());
		t->mismatches++;
		free(insns);
		return true;
	}
	t->programs++;
	bool skip_libpcap = negative_ind(insns, cnt);
	t->negative_ind += skip_libpcap;
	/* the whole capture as one batch, its verdicts checked against each
	 * packet's below */
	struct exobpf_cbpf_pkt *batch = calloc(cap->n + 1, sizeof(*batch));
	uint32_t *bv = calloc(cap->n + 1, sizeof(*bv));
	long kept = -1, want_kept = 0;
	for (size_t i = 0; batch && i < cap->n; i++)
		batch[i] = (struct exobpf_cbpf_pkt){.data = cap->pkts[i].data,
						    .caplen = cap->pkts[i].caplen,
						    .wirelen = cap->pkts[i].wirelen};
	if (batch && bv)
		kept = exobpf_cbpf_prog__filter_batch(prog, batch, cap->n, bv);
	if (kept < 0) {
		printf("  '%s': batch: %s\n", expr, exobpf_errmsg());
		t->mismatches++;
	}
	for (size_t i = 0; i < cap->n; i++) {
		const struct test_pkt *p = &cap->pkts[i];
		uint32_t v = 0, lp = oracle_bpf_filter(insns, cnt, p->data, p->wirelen, p->caplen);
		bool agree = true;
		t->packets++;
		want_kept += lp != 0;
		if (kept >= 0 && bv[i] != lp && !skip_libpcap && t->mismatches++ < 20)
			printf("  '%s' (link type %d) packet %zu: exobpf's batch %u, libpcap %u\n",
			       expr, cap->linktype, i + 1, bv[i], lp);
		if (!test_cbpf_all_engines(prog, insns, cnt, p, &v, why, sizeof(why))) {
			printf("  '%s' packet %zu: %s\n", expr, i + 1, why);
			t->mismatches++;
			agree = false;
		} else if (v != lp && !skip_libpcap) {
			if (t->mismatches++ < 20)
				printf("  '%s' (link type %d) packet %zu: exobpf %u, libpcap %u\n",
				       expr, cap->linktype, i + 1, v, lp);
		}
		if (kept >= 0 && agree && bv[i] != v && t->mismatches++ < 20)
			printf("  '%s' packet %zu: exobpf's batch %u, one packet %u\n", expr, i + 1,
			       bv[i], v);
	}
	if (kept >= 0 && !skip_libpcap && kept != want_kept && t->mismatches++ < 20)
		printf("  '%s': the batch kept %ld packets, libpcap %ld\n", expr, kept, want_kept);
	free(batch);
	free(bv);
	exobpf_cbpf_prog__free(prog);
	free(insns);
	return true;
}

TEST(cbpf_matches_libpcap_bpf_filter)
{
	struct tally t = {0};
	struct test_capture cap;
	unsigned captures = 0;

	for (size_t c = 0; test_corpus_captures[c]; c++) {
		CHECK_MSG(load_corpus(c, &cap), "%s: %s", test_corpus_captures[c], exobpf_errmsg());
		captures++;
		for (size_t e = 0; exprs[e]; e++)
			if (diff_libpcap(exprs[e], &cap, true, &t))
				diff_libpcap(exprs[e], &cap, false, &t);
		test_capture_free(&cap);
	}
	generate(&cap, 3000, 1);
	CHECK(cap.pkts);
	for (size_t e = 0; exprs[e]; e++)
		if (diff_libpcap(exprs[e], &cap, true, &t))
			diff_libpcap(exprs[e], &cap, false, &t);
	test_capture_free(&cap);
	printf("  %u programs (%zu expressions, optimized and not) over %u captures and 3000 "
	       "generated packets: %u packet runs, %u differ (%u programs with [x + negative k] "
	       "compared among exobpf's engines only)\n",
	       t.programs, sizeof(exprs) / sizeof(exprs[0]) - 1, captures, t.packets, t.mismatches,
	       t.negative_ind);
	CHECK(t.programs > 1000);
	CHECK_EQ(t.mismatches, 0);
}

/* Linux's classic BPF on the same programs and packets. */
static void diff_linux_socket(const char *expr, const struct test_capture *cap, struct tally *t,
			      unsigned *refused_both)
{
	EXOBPF_OPTS(exobpf_cbpf_compile_opts, co, .linktype = cap->linktype,
		    .snaplen = cap->snaplen);
	struct sock_filter *insns;
	size_t cnt;
	struct ksock k;

	if (exobpf_cbpf_compile(expr, &co, &insns, &cnt))
		return;
	struct exobpf_cbpf_prog *prog = exobpf_cbpf_prog__new(insns, cnt, NULL);
	int kerr = ksock_open(&k, insns, cnt);
	if (!prog || kerr) {
		/* Linux refuses libpcap's loops (protochain); so must exobpf */
		if (!prog && kerr == -EINVAL)
			(*refused_both)++;
		else {
			printf("  '%s': exobpf %s, Linux %d\n", expr, prog ? "accepts" : "refuses",
			       kerr);
			t->mismatches++;
		}
		exobpf_cbpf_prog__free(prog);
		if (!kerr)
			ksock_close(&k);
		free(insns);
		return;
	}
	t->programs++;
	for (size_t i = 0; i < cap->n; i++) {
		const struct test_pkt *p = &cap->pkts[i];
		if (!p->caplen)
			continue;
		/* the kernel sees caplen bytes: that is also its length */
		uint32_t v = exobpf_cbpf_prog__filter(prog, p->data, p->caplen, p->caplen);
		long want = v == 0 ? -1 : v < p->caplen ? (long)v : (long)p->caplen;
		long got = ksock_send(&k, p->data, p->caplen);
		t->packets++;
		if (got != want && t->mismatches++ < 20)
			printf("  '%s' packet %zu (%u bytes): Linux delivers %ld, exobpf's verdict "
			       "%u\n",
			       expr, i + 1, p->caplen, got, v);
	}
	ksock_close(&k);
	exobpf_cbpf_prog__free(prog);
	free(insns);
}

TEST(cbpf_matches_linux_socket_filters)
{
	struct tally t = {0};
	struct test_capture cap;
	unsigned refused_both = 0;
	struct sock_filter probe[] = {{BPF_RET | BPF_K, 0, 0, 1}};

	if (ksock_check(probe, 1))
		SKIP("SO_ATTACH_FILTER is refused here");
	for (size_t c = 0; test_corpus_captures[c]; c++) {
		CHECK(load_corpus(c, &cap));
		for (size_t e = 0; exprs[e]; e++)
			diff_linux_socket(exprs[e], &cap, &t, &refused_both);
		test_capture_free(&cap);
	}
	generate(&cap, 1500, 2);
	CHECK(cap.pkts);
	for (size_t e = 0; exprs[e]; e++)
		diff_linux_socket(exprs[e], &cap, &t, &refused_both);
	/* register shifts: Linux and exobpf mask the count, libpcap does not */
	diff_linux_socket("ip[0] << ip[1] > 0x1000", &cap, &t, &refused_both);
	diff_linux_socket("ip[2:2] >> (ip[3] & 0x3f) = 0", &cap, &t, &refused_both);
	test_capture_free(&cap);
	printf("  %u programs run by Linux and exobpf over %u packets (%u refused by both), %u "
	       "differ\n",
	       t.programs, t.packets, refused_both, t.mismatches);
	CHECK(t.programs > 1000);
	CHECK(refused_both > 0);
	CHECK_EQ(t.mismatches, 0);
}

/* Linux's verifier and interpreter on exobpf's conversion. */
static void diff_linux_test_run(const char *expr, const struct test_capture *cap, struct tally *t,
				unsigned *loaded)
{
	EXOBPF_OPTS(exobpf_cbpf_compile_opts, co, .linktype = cap->linktype,
		    .snaplen = cap->snaplen);
	struct sock_filter *insns;
	struct bpf_insn *ebpf;
	size_t cnt, ecnt;
	static char log[1 << 16];
	static uint8_t buf[2048];

	if (exobpf_cbpf_compile(expr, &co, &insns, &cnt))
		return;
	if (exobpf_cbpf_convert(insns, cnt, NULL, &ebpf, &ecnt)) {
		free(insns); /* protochain: refused as Linux refuses it */
		return;
	}
	int fd = kbpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, ebpf, ecnt, log, sizeof(log), 1);
	free(ebpf);
	if (fd < 0) {
		printf("  '%s': Linux's verifier refuses the conversion (%d):\n%.2000s\n", expr, fd,
		       log);
		t->mismatches++;
		free(insns);
		return;
	}
	(*loaded)++;
	struct exobpf_cbpf_prog *prog = exobpf_cbpf_prog__new(insns, cnt, NULL);
	/* and exobpf's own verifier took it on the way in */
	EXOBPF_OPTS(exobpf_verifier_stats, vs);
	if (!prog || exobpf_prog__verifier_stats(exobpf_cbpf_prog__ebpf(prog), &vs) ||
	    !vs.insn_processed) {
		printf("  '%s': not verified by exobpf: %s\n", expr, exobpf_errmsg());
		t->mismatches++;
	}
	/* BPF_PROG_TEST_RUN strips an Ethernet header for socket filters */
	struct __sk_buff skb = {.protocol = htons(0x0800)};
	for (size_t i = 0; prog && i < cap->n; i++) {
		const struct test_pkt *p = &cap->pkts[i];
		uint32_t kret;
		if (p->caplen + 14 > sizeof(buf))
			continue;
		memset(buf, 0, 14);
		buf[12] = 0x08;
		memcpy(buf + 14, p->data, p->caplen);
		if (kbpf_test_run(fd, buf, p->caplen + 14, &kret))
			continue;
		EXOBPF_OPTS(exobpf_cbpf_run_opts, ro, .pkt = p->data, .caplen = p->caplen,
			    .skb = &skb);
		if (exobpf_cbpf_prog__run(prog, &ro)) {
			printf("  '%s' packet %zu: %s\n", expr, i + 1, exobpf_errmsg());
			t->mismatches++;
			continue;
		}
		t->packets++;
		if (ro.retval != kret && t->mismatches++ < 20)
			printf("  '%s' packet %zu: Linux %u, exobpf %u\n", expr, i + 1, kret,
			       ro.retval);
	}
	exobpf_cbpf_prog__free(prog);
	close(fd);
	free(insns);
}

TEST(cbpf_conversion_verifies_and_runs_in_linux)
{
	struct tally t = {0};
	struct test_capture cap;
	unsigned loaded = 0;

	if (!kbpf_available())
		SKIP("bpf() is not usable here");
	generate(&cap, 400, 3);
	CHECK(cap.pkts);
	for (size_t e = 0; exprs[e]; e++)
		diff_linux_test_run(exprs[e], &cap, &t, &loaded);
	test_capture_free(&cap);
	for (size_t c = 0; test_corpus_captures[c]; c++) {
		CHECK(load_corpus(c, &cap));
		if (cap.linktype == 1)
			for (size_t e = 0; exprs[e]; e++)
				diff_linux_test_run(exprs[e], &cap, &t, &loaded);
		test_capture_free(&cap);
	}
	printf("  %u converted programs pass Linux's verifier and exobpf's; %u test runs, %u "
	       "differ\n",
	       loaded, t.packets, t.mismatches);
	CHECK(loaded > 200);
	CHECK_EQ(t.mismatches, 0);
}
