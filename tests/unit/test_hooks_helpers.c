/* The packet helpers, each run on exobpf and through Linux's
 * BPF_PROG_TEST_RUN on the same packet: return value and output bytes must
 * match; each case also states the return value Linux documents, and the
 * checksum cases check the rewritten headers independently. */
#include <stdlib.h>
#include <unistd.h>
#include <linux/if_packet.h>
#include <linux/pkt_cls.h>

#include "exobpf/exobpf.h"
#include "pkt_diff.h"
#include "pktgen.h"
#include "test.h"
#include "util.h"

#define NONE 0xdeadbeef /* no expected return value stated */

struct hcase {
	const char *name;
	enum bpf_prog_type type;
	const char *text;
	uint32_t want; /* expected r0, or NONE */
};

static size_t udp_frame(uint8_t *buf)
{
	static const uint8_t src[4] = {192, 168, 1, 10}, dst[4] = {10, 0, 0, 2};

	return pkt_make_udp4(buf, src, dst, 40000, 53, "exobpf-payload!!", 16);
}

/* Run every case on the UDP frame; n_kernel counts kernel comparisons. */
static bool run_cases(const struct hcase *cases, size_t n, const int *efds, const int *kfds,
		      unsigned *n_kernel, char *err, size_t errlen)
{
	uint8_t pkt[128];
	size_t len = udp_frame(pkt);
	struct pkt_both *b = malloc(sizeof(*b));

	*n_kernel = 0;
	if (!b)
		return false;
	for (size_t i = 0; i < n; i++) {
		struct pkt_prog p = {
		    .type = cases[i].type, .text = cases[i].text, .efds = efds, .kfds = kfds};

		if (!pkt_run_both(&p, pkt, (uint32_t)len, NULL, 0, b)) {
			snprintf(err, errlen, "%s: %s", cases[i].name, b->why);
			free(b);
			return false;
		}
		if (cases[i].want != NONE && b->exo.retval != cases[i].want) {
			snprintf(err, errlen, "%s: r0 %d, Linux documents %d", cases[i].name,
				 (int)b->exo.retval, (int)cases[i].want);
			free(b);
			return false;
		}
		if (b->kernel_tried && !b->kern.ran) {
			snprintf(err, errlen, "%s: Linux refused the program: %.900s",
				 cases[i].name, b->klog);
			free(b);
			return false;
		}
		if (!pkt_same(b, false)) {
			snprintf(err, errlen, "%s: %s", cases[i].name, b->why);
			free(b);
			return false;
		}
		*n_kernel += b->kern.ran;
	}
	free(b);
	return true;
}

#define CALL5(helper, off, from, to, flags)                                           \
	"r6 = r1\nr1 = r6\nr2 = " #off "\nr3 = " #from "\nr4 = " #to "\nr5 = " #flags \
	"\ncall " helper "\nexit\n"

/* Argument checks of the checksum helpers: offsets and flags. */
TEST(hooks_csum_replace_arguments)
{
	static const struct hcase cases[] = {
	    {"l3 odd offset", BPF_PROG_TYPE_SCHED_CLS, CALL5("bpf_l3_csum_replace", 25, 0, 1, 2),
	     (uint32_t)-EFAULT},
	    {"l3 past the end", BPF_PROG_TYPE_SCHED_CLS, CALL5("bpf_l3_csum_replace", 58, 0, 1, 2),
	     (uint32_t)-EFAULT},
	    {"l3 last field", BPF_PROG_TYPE_SCHED_CLS, CALL5("bpf_l3_csum_replace", 56, 0, 1, 2),
	     0},
	    {"l3 huge offset", BPF_PROG_TYPE_SCHED_CLS,
	     CALL5("bpf_l3_csum_replace", 65536, 0, 1, 2), (uint32_t)-EFAULT},
	    {"l3 size 8", BPF_PROG_TYPE_SCHED_CLS, CALL5("bpf_l3_csum_replace", 24, 0, 1, 8),
	     (uint32_t)-EINVAL},
	    {"l3 unknown flag", BPF_PROG_TYPE_SCHED_CLS,
	     CALL5("bpf_l3_csum_replace", 24, 0, 1, 0x12), (uint32_t)-EINVAL},
	    {"l3 diff with from", BPF_PROG_TYPE_SCHED_CLS,
	     CALL5("bpf_l3_csum_replace", 24, 1, 1, 0), (uint32_t)-EINVAL},
	    {"l3 diff", BPF_PROG_TYPE_SCHED_CLS, CALL5("bpf_l3_csum_replace", 24, 0, 0x1234, 0), 0},
	    {"l3 size 2", BPF_PROG_TYPE_SCHED_CLS,
	     CALL5("bpf_l3_csum_replace", 24, 0x4011, 0x3f11, 2), 0},
	    {"l3 size 4", BPF_PROG_TYPE_SCHED_CLS,
	     CALL5("bpf_l3_csum_replace", 24, 0x0a01a8c0, 0x0b01a8c0, 4), 0},
	    {"l4 pseudo size 4", BPF_PROG_TYPE_SCHED_CLS,
	     CALL5("bpf_l4_csum_replace", 40, 0x0a01a8c0, 0x0b01a8c0, 0x14), 0},
	    {"l4 mangled", BPF_PROG_TYPE_SCHED_CLS,
	     CALL5("bpf_l4_csum_replace", 40, 0x9c40, 0x9c41, 0x22), 0},
	    {"l4 bad flag", BPF_PROG_TYPE_SCHED_CLS, CALL5("bpf_l4_csum_replace", 40, 0, 1, 0x100),
	     (uint32_t)-EINVAL},
	    {"l4 odd", BPF_PROG_TYPE_SCHED_CLS, CALL5("bpf_l4_csum_replace", 41, 0, 1, 2),
	     (uint32_t)-EFAULT},
	    {"l4 diff", BPF_PROG_TYPE_SCHED_CLS, CALL5("bpf_l4_csum_replace", 40, 0, 0xfffe, 0x10),
	     0},
	    /* a zero UDP checksum means "none": left alone unless enforced */
	    {"l4 zero kept", BPF_PROG_TYPE_SCHED_CLS,
	     "r6 = r1\nr1 = 0\n*(u16 *)(r10 -2) = r1\nr1 = r6\nr2 = 40\nr3 = r10\nr3 += -2\n"
	     "r4 = 2\nr5 = 0\ncall bpf_skb_store_bytes\n"
	     "r1 = r6\nr2 = 40\nr3 = 0\nr4 = 5\nr5 = 34\ncall bpf_l4_csum_replace\nexit\n",
	     0},
	    {"l4 zero enforced", BPF_PROG_TYPE_SCHED_CLS,
	     "r6 = r1\nr1 = 0\n*(u16 *)(r10 -2) = r1\nr1 = r6\nr2 = 40\nr3 = r10\nr3 += -2\n"
	     "r4 = 2\nr5 = 0\ncall bpf_skb_store_bytes\n"
	     "r1 = r6\nr2 = 40\nr3 = 0\nr4 = 5\nr5 = 98\ncall bpf_l4_csum_replace\nexit\n",
	     0},
	};
	unsigned nk;
	char err[1200];

	CHECK_MSG(
	    run_cases(cases, sizeof(cases) / sizeof(cases[0]), NULL, NULL, &nk, err, sizeof(err)),
	    "%s", err);
	if (!nk)
		SKIP("bpf() not usable: exobpf's return values checked alone");
}

/* Rewrite the source address and fix both checksums the way tc programs do:
 * the result must be valid IPv4 and UDP, and equal Linux's bytes. */
TEST(hooks_nat_rewrite_fixes_checksums)
{
	const char *text = "r6 = r1\n"
			   "r7 = *(u32 *)(r6 +76)\n"
			   "r8 = *(u32 *)(r6 +80)\n"
			   "r2 = r7\n"
			   "r2 += 42\n"
			   "if r2 > r8 goto out\n"
			   "r9 = *(u32 *)(r7 +26)\n"
			   "r1 = 218893066\n" /* 10.11.12.13 as stored */
			   "*(u32 *)(r10 -4) = r1\n"
			   "r1 = r6\nr2 = 26\nr3 = r10\nr3 += -4\nr4 = 4\nr5 = 0\n"
			   "call bpf_skb_store_bytes\n"
			   "r1 = r6\nr2 = 24\nr3 = r9\nr4 = 218893066\nr5 = 4\n"
			   "call bpf_l3_csum_replace\n"
			   "r1 = r6\nr2 = 40\nr3 = r9\nr4 = 218893066\nr5 = 52\n"
			   "call bpf_l4_csum_replace\n"
			   "r0 = 0\nexit\n"
			   "out:\nr0 = 99\nexit\n";
	static const uint8_t want_src[4] = {10, 11, 12, 13};
	struct pkt_prog p = {.type = BPF_PROG_TYPE_SCHED_CLS, .text = text};
	struct pkt_both *b = malloc(sizeof(*b));
	uint8_t pkt[128], pseudo[12 + 24];
	size_t len = udp_frame(pkt);

	CHECK(b);
	CHECK_MSG(pkt_run_both(&p, pkt, (uint32_t)len, NULL, 0, b), "%s", b->why);
	CHECK_EQ(b->exo.retval, 0);
	CHECK_EQ(b->exo.len, len);
	CHECK(!memcmp(b->exo.data + 26, want_src, 4));
	CHECK_EQ(pg_csum(b->exo.data + 14, 20), 0); /* IPv4 header checksum valid */
	memcpy(pseudo, b->exo.data + 26, 8);
	pseudo[8] = 0;
	pseudo[9] = 17;
	pseudo[10] = 0;
	pseudo[11] = 24;
	memcpy(pseudo + 12, b->exo.data + 34, 24);
	CHECK_EQ(pg_csum(pseudo, sizeof(pseudo)), 0); /* UDP checksum valid */
	CHECK_MSG(pkt_same(b, false), "%s", b->why);
	bool kran = b->kern.ran;
	free(b);
	if (!kran)
		SKIP("bpf() not usable: checked against independent checksums only");
}

/* Resizing, pulling, loading relative to headers, hash and type. */
TEST(hooks_skb_resize_and_fields)
{
	static const struct hcase cases[] = {
	    {"change_tail grow", BPF_PROG_TYPE_SCHED_CLS,
	     "r6 = r1\nr2 = 70\nr3 = 0\ncall bpf_skb_change_tail\nr0 = *(u32 *)(r6 +0)\nexit\n",
	     70},
	    {"change_tail shrink", BPF_PROG_TYPE_SCHED_CLS,
	     "r6 = r1\nr2 = 40\nr3 = 0\ncall bpf_skb_change_tail\nr0 = *(u32 *)(r6 +0)\nexit\n",
	     40},
	    {"change_tail to the network header", BPF_PROG_TYPE_SCHED_CLS,
	     "r2 = 14\nr3 = 0\ncall bpf_skb_change_tail\nexit\n", 0},
	    {"change_tail into the link header", BPF_PROG_TYPE_SCHED_CLS,
	     "r2 = 13\nr3 = 0\ncall bpf_skb_change_tail\nexit\n", (uint32_t)-EINVAL},
	    {"change_tail flags", BPF_PROG_TYPE_SCHED_CLS,
	     "r2 = 60\nr3 = 1\ncall bpf_skb_change_tail\nexit\n", (uint32_t)-EINVAL},
	    {"change_tail past lo's MTU", BPF_PROG_TYPE_SCHED_CLS,
	     "r2 = 65551\nr3 = 0\ncall bpf_skb_change_tail\nexit\n", (uint32_t)-EINVAL},
	    {"change_tail far", BPF_PROG_TYPE_SCHED_CLS,
	     "r6 = r1\nr2 = 5000\nr3 = 0\ncall bpf_skb_change_tail\nr0 = *(u32 *)(r6 +0)\nexit\n",
	     5000},
	    {"change_head", BPF_PROG_TYPE_SCHED_CLS,
	     "r6 = r1\nr2 = 14\nr3 = 0\ncall bpf_skb_change_head\nr0 = *(u32 *)(r6 +0)\nexit\n",
	     72},
	    {"change_head far", BPF_PROG_TYPE_SCHED_CLS,
	     "r6 = r1\nr2 = 3000\nr3 = 0\ncall bpf_skb_change_head\nr0 = *(u32 *)(r6 +0)\n"
	     "exit\n",
	     3058},
	    {"change_head flags", BPF_PROG_TYPE_SCHED_CLS,
	     "r2 = 4\nr3 = 1\ncall bpf_skb_change_head\nexit\n", (uint32_t)-EINVAL},
	    {"pull_data", BPF_PROG_TYPE_SCHED_CLS, "r2 = 58\ncall bpf_skb_pull_data\nexit\n", 0},
	    {"pull_data too much", BPF_PROG_TYPE_SCHED_CLS,
	     "r2 = 59\ncall bpf_skb_pull_data\nexit\n", (uint32_t)-ENOMEM},
	    {"load_bytes_relative mac", BPF_PROG_TYPE_SCHED_CLS,
	     "r2 = 12\nr3 = r10\nr3 += -8\nr4 = 2\nr5 = 0\ncall bpf_skb_load_bytes_relative\n"
	     "if r0 != 0 goto +1\nr0 = *(u16 *)(r10 -8)\nexit\n",
	     0x0008},
	    {"load_bytes_relative net", BPF_PROG_TYPE_SCHED_CLS,
	     "r2 = 9\nr3 = r10\nr3 += -8\nr4 = 1\nr5 = 1\ncall bpf_skb_load_bytes_relative\n"
	     "if r0 != 0 goto +1\nr0 = *(u8 *)(r10 -8)\nexit\n",
	     17},
	    {"load_bytes_relative socket filter mac", BPF_PROG_TYPE_SOCKET_FILTER,
	     "r2 = 12\nr3 = r10\nr3 += -8\nr4 = 2\nr5 = 0\ncall bpf_skb_load_bytes_relative\n"
	     "if r0 != 0 goto +1\nr0 = *(u16 *)(r10 -8)\nexit\n",
	     0x0008},
	    {"load_bytes_relative socket filter net", BPF_PROG_TYPE_SOCKET_FILTER,
	     "r2 = 12\nr3 = r10\nr3 += -8\nr4 = 4\nr5 = 1\ncall bpf_skb_load_bytes_relative\n"
	     "if r0 != 0 goto +1\nr0 = *(u32 *)(r10 -8)\nexit\n",
	     0x0a01a8c0},
	    {"load_bytes_relative past the end", BPF_PROG_TYPE_SCHED_CLS,
	     "r2 = 40\nr3 = r10\nr3 += -8\nr4 = 8\nr5 = 1\ncall bpf_skb_load_bytes_relative\n"
	     "exit\n",
	     (uint32_t)-EFAULT},
	    {"load_bytes_relative bad header", BPF_PROG_TYPE_SCHED_CLS,
	     "r2 = 0\nr3 = r10\nr3 += -8\nr4 = 8\nr5 = 2\ncall bpf_skb_load_bytes_relative\nexit\n",
	     (uint32_t)-EFAULT},
	    {"set_hash", BPF_PROG_TYPE_SCHED_CLS,
	     "r6 = r1\nr2 = 4660\ncall bpf_set_hash\nr0 = *(u32 *)(r6 +68)\nexit\n", 4660},
	    {"set_hash_invalid", BPF_PROG_TYPE_SCHED_CLS,
	     "r6 = r1\nr2 = 4660\ncall bpf_set_hash\nr1 = r6\ncall bpf_set_hash_invalid\n"
	     "r0 = *(u32 *)(r6 +68)\nexit\n",
	     0},
	    {"change_type", BPF_PROG_TYPE_SCHED_CLS,
	     "r6 = r1\nr2 = 2\ncall bpf_skb_change_type\nr1 = *(u32 *)(r6 +4)\nr0 <<= 8\n"
	     "r0 |= r1\nexit\n",
	     PACKET_MULTICAST},
	    {"change_type outgoing", BPF_PROG_TYPE_SCHED_CLS,
	     "r2 = 4\ncall bpf_skb_change_type\nexit\n", (uint32_t)-EINVAL},
	    {"store_bytes invalidates the hash", BPF_PROG_TYPE_SCHED_CLS,
	     "r6 = r1\nr2 = 4660\ncall bpf_set_hash\n*(u32 *)(r10 -4) = r0\nr1 = r6\nr2 = 0\n"
	     "r3 = r10\nr3 += -4\nr4 = 4\nr5 = 2\ncall bpf_skb_store_bytes\n"
	     "r0 = *(u32 *)(r6 +68)\nexit\n",
	     0},
	};
	unsigned nk;
	char err[1200];

	CHECK_MSG(
	    run_cases(cases, sizeof(cases) / sizeof(cases[0]), NULL, NULL, &nk, err, sizeof(err)),
	    "%s", err);
	if (!nk)
		SKIP("bpf() not usable: exobpf's return values checked alone");
}

TEST(hooks_redirect_return_codes)
{
	static const struct hcase cases[] = {
	    {"tc redirect", BPF_PROG_TYPE_SCHED_CLS, "r1 = 1\nr2 = 0\ncall bpf_redirect\nexit\n",
	     TC_ACT_REDIRECT},
	    {"tc redirect ingress", BPF_PROG_TYPE_SCHED_CLS,
	     "r1 = 1\nr2 = 1\ncall bpf_redirect\nexit\n", TC_ACT_REDIRECT},
	    {"tc redirect bad flags", BPF_PROG_TYPE_SCHED_CLS,
	     "r1 = 1\nr2 = 2\ncall bpf_redirect\nexit\n", TC_ACT_SHOT},
	    {"xdp redirect", BPF_PROG_TYPE_XDP, "r1 = 1\nr2 = 0\ncall bpf_redirect\nexit\n",
	     XDP_REDIRECT},
	    {"xdp redirect flags", BPF_PROG_TYPE_XDP, "r1 = 1\nr2 = 1\ncall bpf_redirect\nexit\n",
	     XDP_ABORTED},
	};
	unsigned nk;
	char err[1200];

	CHECK_MSG(
	    run_cases(cases, sizeof(cases) / sizeof(cases[0]), NULL, NULL, &nk, err, sizeof(err)),
	    "%s", err);
	if (!nk)
		SKIP("bpf() not usable: exobpf's return values checked alone");
}

/* bpf_redirect_map on both device map types: a present key redirects, a
 * missing one returns flags' action bits, unknown flags abort. */
TEST(hooks_redirect_map)
{
	static const struct hcase cases[] = {
	    {"hit", BPF_PROG_TYPE_XDP,
	     "r1 = map[fd:%d]\nr2 = 0\nr3 = 0\ncall bpf_redirect_map\nexit\n", XDP_REDIRECT},
	    {"miss passes", BPF_PROG_TYPE_XDP,
	     "r1 = map[fd:%d]\nr2 = 3\nr3 = 2\ncall bpf_redirect_map\nexit\n", XDP_PASS},
	    {"miss drops", BPF_PROG_TYPE_XDP,
	     "r1 = map[fd:%d]\nr2 = 3\nr3 = 1\ncall bpf_redirect_map\nexit\n", XDP_DROP},
	    {"bad flags", BPF_PROG_TYPE_XDP,
	     "r1 = map[fd:%d]\nr2 = 0\nr3 = 4\ncall bpf_redirect_map\nexit\n", XDP_ABORTED},
	    {"broadcast", BPF_PROG_TYPE_XDP,
	     "r1 = map[fd:%d]\nr2 = 3\nr3 = 8\ncall bpf_redirect_map\nexit\n", XDP_REDIRECT},
	    {"lookup", BPF_PROG_TYPE_XDP,
	     "r1 = map[fd:%d]\nr2 = 0\n*(u32 *)(r10 -4) = r2\nr2 = r10\nr2 += -4\n"
	     "call bpf_map_lookup_elem\nif r0 == 0 goto +2\nr0 = *(u32 *)(r0 +0)\nexit\n"
	     "r0 = 77\nexit\n",
	     1},
	};
	static const enum bpf_map_type types[] = {BPF_MAP_TYPE_DEVMAP, BPF_MAP_TYPE_DEVMAP_HASH};

	for (int t = 0; t < 2; t++) {
		uint32_t k = 0, v = 1; /* port: ifindex 1 (lo exists everywhere) */
		int efd = exobpf_map_create(types[t], "ports", 4, 4, 4, NULL), kfd = -1, efds[1],
		    kfds[1];
		unsigned nk;
		char err[1200];

		CHECK(efd >= 0);
		CHECK_EQ(exobpf_map_update_elem(efd, &k, &v, 0), 0);
		if (kbpf_available()) {
			kfd = kbpf_map_create(types[t], 4, 4, 4, 0, 0, 0);
			CHECK(kfd >= 0);
			CHECK_EQ(kbpf_map_update(kfd, &k, &v, 0), 0);
		}
		efds[0] = efd;
		kfds[0] = kfd;
		bool ok = run_cases(cases, sizeof(cases) / sizeof(cases[0]), efds,
				    kfd >= 0 ? kfds : NULL, &nk, err, sizeof(err));
		close(efd);
		if (kfd >= 0)
			close(kfd);
		CHECK_MSG(ok, "%s: %s", t ? "devmap_hash" : "devmap", err);
	}
	if (!kbpf_available())
		SKIP("bpf() not usable: exobpf's return values checked alone");
}

TEST(hooks_xdp_resize_and_bytes)
{
	static const struct hcase cases[] = {
	    {"adjust_tail grow", BPF_PROG_TYPE_XDP,
	     "r6 = r1\nr2 = 10\ncall bpf_xdp_adjust_tail\nr1 = r6\ncall bpf_xdp_get_buff_len\n"
	     "exit\n",
	     68},
	    {"adjust_tail shrink", BPF_PROG_TYPE_XDP,
	     "r6 = r1\nr2 = -18\ncall bpf_xdp_adjust_tail\nr1 = r6\ncall bpf_xdp_get_buff_len\n"
	     "exit\n",
	     40},
	    {"adjust_tail to a bare header", BPF_PROG_TYPE_XDP,
	     "r2 = -44\ncall bpf_xdp_adjust_tail\nexit\n", 0},
	    {"adjust_tail below a header", BPF_PROG_TYPE_XDP,
	     "r2 = -45\ncall bpf_xdp_adjust_tail\nexit\n", (uint32_t)-EINVAL},
	    /* a page frame: 4096 - 256 headroom - 320 shared info = 3520 bytes */
	    {"adjust_tail to the frame end", BPF_PROG_TYPE_XDP,
	     "r2 = 3462\ncall bpf_xdp_adjust_tail\nexit\n", 0},
	    {"adjust_tail past the frame end", BPF_PROG_TYPE_XDP,
	     "r2 = 3463\ncall bpf_xdp_adjust_tail\nexit\n", (uint32_t)-EINVAL},
	    {"adjust_head pull", BPF_PROG_TYPE_XDP,
	     "r6 = r1\nr2 = 14\ncall bpf_xdp_adjust_head\nr1 = r6\ncall bpf_xdp_get_buff_len\n"
	     "exit\n",
	     44},
	    {"adjust_head push", BPF_PROG_TYPE_XDP,
	     "r6 = r1\nr2 = -20\ncall bpf_xdp_adjust_head\nr1 = r6\ncall bpf_xdp_get_buff_len\n"
	     "exit\n",
	     78},
	    {"adjust_head into the frame header", BPF_PROG_TYPE_XDP,
	     "r2 = -217\ncall bpf_xdp_adjust_head\nexit\n", (uint32_t)-EINVAL},
	    {"adjust_head to the frame header", BPF_PROG_TYPE_XDP,
	     "r2 = -216\ncall bpf_xdp_adjust_head\nexit\n", 0},
	    {"load_bytes", BPF_PROG_TYPE_XDP,
	     "r2 = 23\nr3 = r10\nr3 += -8\nr4 = 1\ncall bpf_xdp_load_bytes\n"
	     "if r0 != 0 goto +1\nr0 = *(u8 *)(r10 -8)\nexit\n",
	     17},
	    {"load_bytes past the end", BPF_PROG_TYPE_XDP,
	     "r2 = 51\nr3 = r10\nr3 += -8\nr4 = 8\ncall bpf_xdp_load_bytes\nexit\n",
	     (uint32_t)-EINVAL},
	    {"load_bytes huge offset", BPF_PROG_TYPE_XDP,
	     "r2 = 65536\nr3 = r10\nr3 += -8\nr4 = 8\ncall bpf_xdp_load_bytes\nexit\n",
	     (uint32_t)-EFAULT},
	};
	static const struct hcase store[] = {
	    {"store_bytes", BPF_PROG_TYPE_XDP,
	     "r6 = r1\nr1 = -1\n*(u64 *)(r10 -8) = r1\nr1 = r6\nr2 = 50\nr3 = r10\nr3 += -8\n"
	     "r4 = 8\ncall bpf_xdp_store_bytes\nexit\n",
	     0},
	    {"store_bytes past the end", BPF_PROG_TYPE_XDP,
	     "r6 = r1\nr1 = -1\n*(u64 *)(r10 -8) = r1\nr1 = r6\nr2 = 51\nr3 = r10\nr3 += -8\n"
	     "r4 = 8\ncall bpf_xdp_store_bytes\nexit\n",
	     (uint32_t)-EINVAL},
	};
	unsigned nk, nk2;
	char err[1200];

	CHECK_MSG(
	    run_cases(cases, sizeof(cases) / sizeof(cases[0]), NULL, NULL, &nk, err, sizeof(err)),
	    "%s", err);
	CHECK_MSG(run_cases(store, 2, NULL, NULL, &nk2, err, sizeof(err)), "%s", err);
	if (!nk)
		SKIP("bpf() not usable: exobpf's return values checked alone");
}
