/* The hooks' C test programs (tests/progs/hook_*.bpf.c) on exobpf and in
 * Linux: each built once by clang, loaded by exobpf's loader, and loaded
 * into the kernel from the same relocated instructions with kernel maps of
 * the same shape. Every packet runs through exobpf's BPF_PROG_TEST_RUN and
 * the kernel's: return value and output bytes must match, and at the end
 * every map must hold the same keys and values. Independent checks (valid
 * checksums, expected counts) stand beside the comparison, so the tests
 * still assert something where bpf() is refused. */
#include <stdlib.h>
#include <unistd.h>
#include <linux/pkt_cls.h>

#include "hook_util.h"
#include "kmirror.h"
#include "pktgen.h"
#include "test.h"
#include "util.h"

struct diff {
	struct exobpf_object *obj;
	struct exobpf_prog *prog;
	struct kmirror km;
	int kfd; /* kernel program, or -1 */
	char why[2048];
	unsigned compared;
};

static bool diff_open(struct diff *d, const char *object, const char *prog)
{
	memset(d, 0, sizeof(*d));
	d->kfd = -1;
	d->obj = hu_load(object, d->why, sizeof(d->why));
	if (!d->obj)
		return false;
	d->prog = hu_prog(d->obj, prog);
	if (!d->prog) {
		snprintf(d->why, sizeof(d->why), "%s: no program %s", object, prog);
		return false;
	}
	return true;
}

/* Mirror into the kernel now (after the test filled exobpf's maps). */
static bool diff_mirror(struct diff *d, const char *prog)
{
	int err = kmirror_open(&d->km, d->obj, d->why, sizeof(d->why));

	if (err == -ENOSYS)
		return true;
	if (err)
		return false;
	d->kfd = kmirror_prog(&d->km, prog, d->why, sizeof(d->why));
	if (d->kfd < 0)
		return false;
	return true;
}

static void diff_close(struct diff *d)
{
	if (d->kfd >= 0)
		close(d->kfd);
	kmirror_close(&d->km);
	exobpf_object__close(d->obj);
}

/* One frame on both; out gets exobpf's result. */
static bool diff_packet(struct diff *d, const uint8_t *frame, uint32_t len, uint32_t *retval,
			uint8_t *out, uint32_t *out_len)
{
	struct hu_krun *k;

	EXOBPF_OPTS(exobpf_run_opts, o, .data_in = frame, .data_size_in = len, .data_out = out,
		    .data_size_out = 4096);
	if (exobpf_prog__run(d->prog, &o)) {
		snprintf(d->why, sizeof(d->why), "exobpf run: %s", exobpf_errmsg());
		return false;
	}
	*retval = (uint32_t)o.retval;
	*out_len = o.data_size_out;
	if (d->kfd < 0)
		return true;
	k = malloc(sizeof(*k));
	if (!k)
		return false;
	hu_kernel_run(d->kfd, frame, len, k);
	bool same = !k->err && k->retval == *retval && k->len == *out_len &&
		    !memcmp(k->data, out, *out_len);
	if (!same)
		snprintf(d->why, sizeof(d->why),
			 "exobpf: r0 %u, %u bytes; Linux: err %d, r0 %u, %u bytes%s", *retval,
			 *out_len, k->err, k->retval, k->len,
			 k->len == *out_len ? " (bytes differ)" : "");
	free(k);
	d->compared++;
	return same;
}

static bool diff_maps(struct diff *d)
{
	return d->kfd < 0 || kmirror_maps_equal(&d->km, NULL, d->why, sizeof(d->why));
}

TEST(hooks_prog_parse_count_matches_linux)
{
	struct diff d;
	struct pg_set set;
	uint8_t out[4096];
	uint32_t r0, olen, drops = 0;

	CHECK_MSG(diff_open(&d, "hook_parse", "parse_count"), "%s", d.why);
	CHECK_MSG(diff_mirror(&d, "parse_count"), "%s", d.why);
	CHECK(!pg_mixed(&set, 400, 1));
	for (unsigned i = 0; i < set.n; i++) {
		CHECK_MSG(diff_packet(&d, set.frames[i], set.lens[i], &r0, out, &olen),
			  "packet %u: %s", i, d.why);
		CHECK(r0 == XDP_PASS || r0 == XDP_DROP);
		CHECK_EQ(olen, set.lens[i]); /* the parser changes nothing */
		drops += r0 == XDP_DROP;
	}
	CHECK(drops > 0); /* the mix has UDP to the discard port */
	uint32_t zero = 0;
	uint64_t per[1024] = {0}, sum = 0;
	int fd = hu_map_fd(d.obj, "packets");
	CHECK_EQ(exobpf_map_lookup_elem(fd, &zero, per), 0);
	for (int s = 0; s < exobpf_map_num_slots(fd); s++)
		sum += per[s];
	CHECK_EQ(sum, set.n);
	CHECK_MSG(diff_maps(&d), "%s", d.why);
	bool kran = d.compared > 0;
	pg_free(&set);
	diff_close(&d);
	if (!kran)
		SKIP("bpf() not usable: exobpf's counts checked alone");
}

/* ICMP echo requests become valid replies; other frames pass unchanged. */
TEST(hooks_prog_pong_rewrites_headers_like_linux)
{
	struct diff d;
	uint8_t frame[2048], out[4096];
	uint32_t r0, olen;
	unsigned kran = 0;

	CHECK_MSG(diff_open(&d, "hook_pong", "pong"), "%s", d.why);
	CHECK_MSG(diff_mirror(&d, "pong"), "%s", d.why);
	for (unsigned i = 0; i < 40; i++) {
		struct pg_spec s = {.ipver = 4,
				    .l4 = i % 4 ? 1 : 17,
				    .icmp_type = 8,
				    .payload = (uint16_t)(i * 7),
				    .seed = (uint8_t)i,
				    .nvlan = (uint8_t)(i % 5 == 1),
				    .vlan = {42},
				    .ip_opts = (uint8_t)(i % 3 * 4)};
		uint32_t len = (uint32_t)pg_build(frame, &s);

		CHECK_MSG(diff_packet(&d, frame, len, &r0, out, &olen), "packet %u: %s", i, d.why);
		if (s.l4 != 1) {
			CHECK_EQ(r0, XDP_PASS);
			CHECK(!memcmp(out, frame, len));
			continue;
		}
		unsigned l3 = 14 + 4 * s.nvlan, ihl = 20 + s.ip_opts;
		CHECK_EQ(r0, XDP_TX);
		CHECK(!memcmp(out, frame + 6, 6) && !memcmp(out + 6, frame, 6));
		CHECK(!memcmp(out + l3 + 12, frame + l3 + 16, 4)); /* addresses swapped */
		CHECK_EQ(out[l3 + 8], 64);
		CHECK_EQ(pg_csum(out + l3, ihl), 0);		       /* IPv4 header valid */
		CHECK_EQ(out[l3 + ihl], 0);			       /* echo reply */
		CHECK_EQ(pg_csum(out + l3 + ihl, olen - l3 - ihl), 0); /* ICMP valid */
	}
	kran = d.compared;
	diff_close(&d);
	if (!kran)
		SKIP("bpf() not usable: replies checked alone");
}

TEST(hooks_prog_nat_fixes_checksums_like_linux)
{
	struct diff d;
	uint8_t frame[2048], out[4096], pseudo[2048];
	uint32_t r0, olen;
	unsigned rewrites = 0;

	CHECK_MSG(diff_open(&d, "hook_nat", "dnat"), "%s", d.why);
	CHECK_MSG(diff_mirror(&d, "dnat"), "%s", d.why);
	for (unsigned i = 0; i < 30; i++) {
		struct pg_spec s = {.ipver = 4,
				    .l4 = 17,
				    .sport = (uint16_t)(1000 + i),
				    .dport = i % 3 ? 53 : 54,
				    .payload = (uint16_t)(i * 5 + 1),
				    .seed = (uint8_t)i,
				    .src4 = 0xc0a80000 + i};
		uint32_t len = (uint32_t)pg_build(frame, &s);

		CHECK_MSG(diff_packet(&d, frame, len, &r0, out, &olen), "packet %u: %s", i, d.why);
		CHECK_EQ(r0, TC_ACT_OK);
		if (s.dport != 53) {
			CHECK(!memcmp(out, frame, len));
			continue;
		}
		rewrites++;
		CHECK(!memcmp(out + 30, "\x0a\x00\x00\x63", 4));
		CHECK(out[36] == 0x14 && out[37] == 0xe9); /* 5353 */
		CHECK_EQ(pg_csum(out + 14, 20), 0);
		/* UDP over its pseudo-header */
		uint32_t ul = olen - 34;
		memcpy(pseudo, out + 26, 8);
		pseudo[8] = 0;
		pseudo[9] = 17;
		pseudo[10] = (uint8_t)(ul >> 8);
		pseudo[11] = (uint8_t)ul;
		memcpy(pseudo + 12, out + 34, ul);
		CHECK_EQ(pg_csum(pseudo, 12 + ul), 0);
	}
	uint32_t zero = 0;
	uint64_t bss = 0;
	CHECK_EQ(exobpf_map_lookup_elem(hu_map_fd(d.obj, ".bss"), &zero, &bss), 0);
	CHECK_EQ(bss, rewrites);
	CHECK_MSG(diff_maps(&d), "%s", d.why);
	unsigned kran = d.compared;
	diff_close(&d);
	if (!kran)
		SKIP("bpf() not usable: checksums checked alone");
}

TEST(hooks_prog_encap_resizes_like_linux)
{
	struct diff d;
	uint8_t frame[2048], out[4096];
	uint32_t r0, olen;

	CHECK_MSG(diff_open(&d, "hook_encap", "encap"), "%s", d.why);
	CHECK_MSG(diff_mirror(&d, "encap"), "%s", d.why);
	for (unsigned i = 0; i < 24; i++) {
		struct pg_spec s = {.ipver = i % 6 == 5 ? 6 : 4,
				    .l4 = 17,
				    .sport = 7,
				    .dport = 8,
				    .payload = (uint16_t)(i * 3),
				    .pad = (uint8_t)(i % 4 * 5),
				    .seed = (uint8_t)i};
		uint32_t len = (uint32_t)pg_build(frame, &s);

		CHECK_MSG(diff_packet(&d, frame, len, &r0, out, &olen), "packet %u: %s", i, d.why);
		if (s.ipver == 6) {
			CHECK_EQ(r0, XDP_PASS);
			continue;
		}
		CHECK_EQ(r0, XDP_TX);
		CHECK_EQ(olen, len - s.pad + 28); /* padding cut, 28 bytes pushed */
		CHECK_EQ(pg_csum(out + 14, 20), 0);
		CHECK(!memcmp(out + 42, frame + 14, len - s.pad - 14)); /* the inner datagram */
		CHECK(!memcmp(out, frame, 14));
	}
	unsigned kran = d.compared;
	diff_close(&d);
	if (!kran)
		SKIP("bpf() not usable: encapsulation checked alone");
}

/* Test runs arrive on ifindex 1 (lo), as in Linux; the forwarding table
 * sends lo's packets to lo. */
TEST(hooks_prog_redirect_map_like_linux)
{
	struct diff d;
	struct pg_set set;
	uint8_t out[4096];
	uint32_t r0, olen, one = 1, zero = 0;

	CHECK_MSG(diff_open(&d, "hook_redirect", "forward"), "%s", d.why);
	CHECK_EQ(exobpf_map_update_elem(hu_map_fd(d.obj, "fwd"), &one, &one, 0), 0);
	CHECK_EQ(exobpf_map_update_elem(hu_map_fd(d.obj, "flood_ports"), &zero, &one, 0), 0);
	CHECK_MSG(diff_mirror(&d, "forward"), "%s", d.why);
	CHECK(!pg_mixed(&set, 20, 2));
	for (unsigned i = 0; i < set.n; i++) {
		CHECK_MSG(diff_packet(&d, set.frames[i], set.lens[i], &r0, out, &olen),
			  "packet %u: %s", i, d.why);
		CHECK_EQ(r0, XDP_REDIRECT);
	}
	CHECK_EQ(exobpf_map_delete_elem(hu_map_fd(d.obj, "fwd"), &one), 0);
	if (d.kfd >= 0)
		CHECK_EQ(
		    kbpf_map_delete(
			kmirror_fd(&d.km, exobpf_object__find_map_by_name(d.obj, "fwd")), &one),
		    0);
	CHECK_MSG(diff_packet(&d, set.frames[0], set.lens[0], &r0, out, &olen), "%s", d.why);
	CHECK_EQ(r0, XDP_PASS); /* no entry: the fallback action */
	CHECK_MSG(diff_maps(&d), "%s", d.why);
	unsigned kran = d.compared;
	pg_free(&set);
	diff_close(&d);
	if (!kran)
		SKIP("bpf() not usable: return values checked alone");
}

/* A socket filter's verdict is a snap length; by_net reads relative to the
 * network header, so Linux's test run (data at the network header) and
 * exobpf's agree on every frame. */
TEST(hooks_prog_socket_filter_like_linux)
{
	struct diff d;
	struct pg_set set;
	uint8_t out[4096];
	uint32_t r0, olen;

	CHECK_MSG(diff_open(&d, "hook_sockfilter", "by_net"), "%s", d.why);
	CHECK_MSG(diff_mirror(&d, "by_net"), "%s", d.why);
	CHECK(!pg_mixed(&set, 120, 3));
	for (unsigned i = 0; i < set.n; i++) {
		const uint8_t *f = set.frames[i];
		bool tcp4 = f[12] == 8 && f[13] == 0 && f[23] == 6;

		CHECK_MSG(diff_packet(&d, f, set.lens[i], &r0, out, &olen), "packet %u: %s", i,
			  d.why);
		CHECK_EQ(r0, tcp4 ? 64 : 0);
	}
	unsigned kran = d.compared;
	pg_free(&set);
	diff_close(&d);
	if (!kran)
		SKIP("bpf() not usable: snap lengths checked alone");
}

TEST(hooks_prog_tc_fields_like_linux)
{
	struct diff d;
	struct pg_set set;
	uint8_t out[4096];
	uint32_t r0, olen;

	CHECK_MSG(diff_open(&d, "hook_tc", "classify"), "%s", d.why);
	CHECK_MSG(diff_mirror(&d, "classify"), "%s", d.why);
	CHECK(!pg_mixed(&set, 150, 4));
	for (unsigned i = 0; i < set.n; i++) {
		CHECK_MSG(diff_packet(&d, set.frames[i], set.lens[i], &r0, out, &olen),
			  "packet %u: %s", i, d.why);
		CHECK(r0 == TC_ACT_OK || r0 == TC_ACT_SHOT || r0 == TC_ACT_REDIRECT);
	}
	CHECK_MSG(diff_maps(&d), "%s", d.why);
	unsigned kran = d.compared;
	pg_free(&set);
	diff_close(&d);
	if (!kran)
		SKIP("bpf() not usable: verdicts checked alone");
}
