/* The packet hooks offline: capture files in, the program run by several
 * workers, and what each verdict leads to out (files, callbacks, counters),
 * compared with the kernel running the same program on the same frames;
 * then every way the inputs can be wrong. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/if_packet.h>
#include <linux/pkt_cls.h>

#include "hook_util.h"
#include "kmirror.h"
#include "pktgen.h"
#include "test.h"
#include "util.h"

static char *path_in(const char *dir, const char *name)
{
	char *p = malloc(strlen(dir) + strlen(name) + 2);

	if (p)
		sprintf(p, "%s/%s", dir, name);
	return p;
}

/* Run prog over the capture at in with these outputs; events collected. */
static int run_hook(struct exobpf_prog *prog, const char *in, unsigned threads,
		    const struct exobpf_pkt_hook_opts *extra, struct hu_events *ev,
		    struct exobpf_pkt_stats *st)
{
	struct exobpf_pkt_hook_opts o = *extra;
	struct exobpf_pkt_hook *h;
	int err;

	o.sz = sizeof(o);
	o.threads = threads;
	o.on_packet = hu_on_packet;
	o.ctx = ev;
	h = exobpf_pkt_hook__new(prog, &o);
	if (!h)
		return -errno;
	err = exobpf_pkt_hook__add_file(h, in);
	if (!err)
		err = exobpf_pkt_hook__run(h, 0);
	if (st) {
		st->sz = sizeof(*st);
		exobpf_pkt_hook__stats(h, st);
	}
	exobpf_pkt_hook__free(h);
	return err;
}

/* XDP through the hook, two workers, against Linux frame by frame: the
 * action each return value means, the output bytes, the files, and the
 * maps at the end. */
TEST(hooks_offline_xdp_matches_linux)
{
	char *dir = hu_tmpdir(), why[1024];
	char *in = path_in(dir, "in.pcap"), *pass = path_in(dir, "pass.pcap"),
	     *drop = path_in(dir, "drop.pcap");
	struct exobpf_object *obj = hu_load("hook_parse", why, sizeof(why));
	struct pg_set set, pass_set, drop_set;
	struct hu_events ev;
	struct exobpf_pkt_stats st;
	struct kmirror km;
	struct hu_krun *k = malloc(sizeof(*k));
	int kfd = -1;
	bool workers[2] = {false, false};

	CHECK(dir && in && pass && drop && k);
	CHECK_MSG(obj, "%s", why);
	CHECK(!pg_mixed(&set, 600, 5));
	CHECK(!pg_write_pcap(in, &set));
	if (kmirror_open(&km, obj, why, sizeof(why)) == 0)
		kfd = kmirror_prog(&km, "parse_count", why, sizeof(why));
	hu_events_init(&ev);
	struct exobpf_pkt_hook_opts o = {.pass_file = pass, .drop_file = drop};
	CHECK_EQ(run_hook(hu_prog(obj, "parse_count"), in, 2, &o, &ev, &st), 0);
	CHECK_EQ(ev.n, set.n);
	CHECK_EQ(st.packets, set.n);
	CHECK_EQ(st.actions[EXOBPF_PKT_PASS] + st.actions[EXOBPF_PKT_DROP], set.n);
	CHECK(!pg_read_pcap(pass, &pass_set));
	CHECK(!pg_read_pcap(drop, &drop_set));
	CHECK_EQ(pass_set.n, st.actions[EXOBPF_PKT_PASS]);
	CHECK_EQ(drop_set.n, st.actions[EXOBPF_PKT_DROP]);
	unsigned np = 0, nd = 0;
	for (unsigned i = 0; i < ev.n; i++) {
		struct hu_event *e = &ev.ev[i];

		CHECK_EQ(e->seq, i + 1); /* callbacks in input order */
		workers[e->worker & 1] = true;
		CHECK(e->len == set.lens[i] && !memcmp(e->data, set.frames[i], e->len));
		struct pg_set *f = e->action == EXOBPF_PKT_PASS ? &pass_set : &drop_set;
		unsigned *at = e->action == EXOBPF_PKT_PASS ? &np : &nd;
		CHECK(*at < f->n && f->lens[*at] == e->len &&
		      !memcmp(f->frames[*at], e->data, e->len));
		(*at)++;
		if (kfd < 0)
			continue;
		hu_kernel_run(kfd, set.frames[i], set.lens[i], k);
		CHECK_MSG(!k->err && e->action == hu_expected_action(BPF_PROG_TYPE_XDP, k->retval),
			  "packet %u: exobpf %s (r0 %u), Linux r0 %u", i,
			  exobpf_pkt_action_str(e->action), e->retval, k->retval);
		CHECK(k->len == e->len && !memcmp(k->data, e->data, e->len));
	}
	CHECK(workers[0] && workers[1]); /* the flows were spread */
	/* each worker counted in its own slot; together they saw every packet */
	uint32_t zero = 0;
	uint64_t per[1024] = {0}, sum = 0;
	int fd = hu_map_fd(obj, "packets");
	CHECK_EQ(exobpf_map_lookup_elem(fd, &zero, per), 0);
	CHECK(per[0] && per[1]);
	for (int s = 0; s < exobpf_map_num_slots(fd); s++)
		sum += per[s];
	CHECK_EQ(sum, set.n);
	if (kfd >= 0)
		CHECK_MSG(kmirror_maps_equal(&km, NULL, why, sizeof(why)), "%s", why);
	if (kfd >= 0)
		close(kfd);
	kmirror_close(&km);
	hu_events_free(&ev);
	pg_free(&set);
	pg_free(&pass_set);
	pg_free(&drop_set);
	exobpf_object__close(obj);
	free(k);
	free(in);
	free(pass);
	free(drop);
	hu_rmdir(dir);
	if (kfd < 0)
		SKIP("bpf() not usable: outputs checked against the input alone");
}

/* Flow order: a flow's packets all go to one worker, and the files come
 * out identical whatever the number of workers. */
TEST(hooks_offline_same_output_for_any_thread_count)
{
	char *dir = hu_tmpdir(), why[1024];
	char *in = path_in(dir, "in.pcap"), *p1 = path_in(dir, "p1.pcap"),
	     *p2 = path_in(dir, "p2.pcapng"), *p2b = path_in(dir, "p2b.pcap");
	struct exobpf_object *obj = hu_load("hook_pong", why, sizeof(why));
	struct pg_set set, a, b;
	struct hu_events ev;

	CHECK(dir && in && p1 && p2 && p2b);
	CHECK_MSG(obj, "%s", why);
	CHECK(!pg_mixed(&set, 3000, 6));
	CHECK(!pg_write_pcap(in, &set));
	hu_events_init(&ev);
	struct exobpf_pkt_hook_opts o1 = {.pass_file = p1};
	CHECK_EQ(run_hook(hu_prog(obj, "pong"), in, 1, &o1, &ev, NULL), 0);
	hu_events_free(&ev);
	hu_events_init(&ev);
	struct exobpf_pkt_hook_opts o2 = {.pass_file = p2, .tx_file = p2b};
	CHECK_EQ(run_hook(hu_prog(obj, "pong"), in, 2, &o2, &ev, NULL), 0);
	CHECK(!pg_read_pcap(p1, &a));
	CHECK(!pg_read_pcap(p2, &b)); /* pcapng, read back by libpcap */
	CHECK_EQ(a.n, b.n);
	for (unsigned i = 0; i < a.n; i++)
		CHECK(a.lens[i] == b.lens[i] && !memcmp(a.frames[i], b.frames[i], a.lens[i]));
	/* untagged unfragmented IPv4 TCP/UDP: same addresses and ports, same
	 * worker (fragments carry no ports, so they may go elsewhere) */
	CHECK_EQ(ev.n, set.n);
	unsigned pairs = 0;
	for (unsigned i = 0; i < ev.n; i++)
		for (unsigned j = i + 1; j < ev.n && j < i + 200; j++) {
			const uint8_t *x = set.frames[i], *y = set.frames[j];

			if (x[12] == 8 && x[13] == 0 && (x[23] == 6 || x[23] == 17) &&
			    !(x[20] & 0x3f) && !x[21] && !(y[20] & 0x3f) && !y[21] &&
			    !memcmp(x + 23, y + 23, 1) && !memcmp(x + 26, y + 26, 12) &&
			    y[12] == 8 && y[13] == 0) {
				CHECK_EQ(ev.ev[i].worker, ev.ev[j].worker);
				pairs++;
			}
		}
	CHECK(pairs > 100);
	/* and both workers had work */
	unsigned on1 = 0;
	for (unsigned i = 0; i < ev.n; i++)
		on1 += ev.ev[i].worker == 1;
	CHECK(on1 > 0 && on1 < ev.n);
	hu_events_free(&ev);
	pg_free(&set);
	pg_free(&a);
	pg_free(&b);
	exobpf_object__close(obj);
	free(in);
	free(p1);
	free(p2);
	free(p2b);
	hu_rmdir(dir);
}

/* XDP_TX to the tx file; redirects to one file per port, broadcasts to
 * every port of the map but the ingress one. */
TEST(hooks_offline_tx_and_redirect_files)
{
	char *dir = hu_tmpdir(), why[1024], name[600];
	char *in = path_in(dir, "in.pcap"), *tx = path_in(dir, "tx.pcap");
	struct exobpf_object *pong = hu_load("hook_pong", why, sizeof(why));
	struct exobpf_object *rd = hu_load("hook_redirect", why, sizeof(why));
	struct pg_set set, out;
	struct hu_events ev;
	struct exobpf_pkt_stats st;
	unsigned echoes = 0;
	uint32_t k, v;

	CHECK(dir && in && tx);
	CHECK_MSG(pong && rd, "%s", why);
	CHECK(!pg_mixed(&set, 500, 7));
	CHECK(!pg_write_pcap(in, &set));
	for (unsigned i = 0; i < set.n; i++)
		echoes += set.frames[i][12] == 8 && set.frames[i][13] == 0 &&
			  set.frames[i][23] == 1 && set.frames[i][34] == 8;
	CHECK(echoes > 10);
	hu_events_init(&ev);
	struct exobpf_pkt_hook_opts o = {.tx_file = tx, .ifindex = 3};
	CHECK_EQ(run_hook(hu_prog(pong, "pong"), in, 2, &o, &ev, &st), 0);
	CHECK_EQ(st.actions[EXOBPF_PKT_TX], echoes);
	for (unsigned i = 0; i < ev.n; i++)
		if (ev.ev[i].action == EXOBPF_PKT_TX)
			CHECK(ev.ev[i].port == 3 && ev.ev[i].ingress == 3);
	CHECK(!pg_read_pcap(tx, &out));
	CHECK_EQ(out.n, echoes);
	for (unsigned i = 0; i < out.n; i++)
		CHECK_EQ(out.frames[i][34], 0); /* echo replies */
	pg_free(&out);
	hu_events_free(&ev);

	/* forward: ingress 1 -> port 5 */
	k = 1, v = 5;
	CHECK_EQ(exobpf_map_update_elem(hu_map_fd(rd, "fwd"), &k, &v, 0), 0);
	hu_events_init(&ev);
	struct exobpf_pkt_hook_opts r = {.redirect_dir = dir};
	CHECK_EQ(run_hook(hu_prog(rd, "forward"), in, 2, &r, &ev, &st), 0);
	CHECK_EQ(st.actions[EXOBPF_PKT_REDIRECT], set.n);
	snprintf(name, sizeof(name), "%s/port-5.pcap", dir);
	CHECK(!pg_read_pcap(name, &out));
	CHECK_EQ(out.n, set.n);
	for (unsigned i = 0; i < out.n; i++)
		CHECK(out.lens[i] == set.lens[i] &&
		      !memcmp(out.frames[i], set.frames[i], out.lens[i]));
	pg_free(&out);
	hu_events_free(&ev);

	/* flood: ports 1, 2, 3; packets arrive on 1 */
	for (k = 0; k < 3; k++) {
		v = k + 1;
		CHECK_EQ(exobpf_map_update_elem(hu_map_fd(rd, "flood_ports"), &k, &v, 0), 0);
	}
	hu_events_init(&ev);
	CHECK_EQ(run_hook(hu_prog(rd, "flood"), in, 2, &r, &ev, &st), 0);
	CHECK_EQ(ev.n, 2 * set.n); /* one event per port */
	for (unsigned p = 1; p <= 3; p++) {
		snprintf(name, sizeof(name), "%s/port-%u.pcap", dir, p);
		if (p == 1) {
			CHECK(access(name, F_OK) != 0); /* the ingress port is excluded */
			continue;
		}
		CHECK(!pg_read_pcap(name, &out));
		CHECK_EQ(out.n, set.n);
		pg_free(&out);
	}
	/* the per-CPU counter of forwarded packets: both runs, every packet */
	uint32_t zero = 0;
	uint64_t per[1024] = {0}, sum = 0;
	int fd = hu_map_fd(rd, "forwarded");
	CHECK_EQ(exobpf_map_lookup_elem(fd, &zero, per), 0);
	for (int s = 0; s < exobpf_map_num_slots(fd); s++)
		sum += per[s];
	CHECK_EQ(sum, 2 * set.n);
	hu_events_free(&ev);
	pg_free(&set);
	exobpf_object__close(pong);
	exobpf_object__close(rd);
	free(in);
	free(tx);
	hu_rmdir(dir);
}

struct seen {
	uint32_t len, protocol, vlan_present, vlan_tci, pkt_type, ifindex, mark, hash_set;
};

/* tc on the receive path: an outer VLAN tag is in vlan_tci, not in the
 * frame; the verdicts pass, drop and redirect; what passes is written
 * with its tag back in place. */
TEST(hooks_offline_tc_sees_the_receive_path)
{
	char *dir = hu_tmpdir(), why[1024], name[600];
	char *in = path_in(dir, "in.pcap"), *pass = path_in(dir, "pass.pcap"),
	     *drop = path_in(dir, "drop.pcap");
	struct exobpf_object *obj = hu_load("hook_tc", why, sizeof(why));
	struct pg_spec specs[] = {
	    {.ipver = 4, .l4 = 17, .dport = 53, .nvlan = 1, .vlan = {0x2064}, .payload = 10},
	    {.ipver = 4, .l4 = 6, .dport = 80, .payload = 11},
	    {.ipver = 4, .l4 = 17, .dport = 9, .payload = 12},
	    {.ipver = 4, .l4 = 1, .icmp_type = 8, .payload = 13, .dst_mac_first = 0xff},
	    {.ipver = 6, .l4 = 17, .dport = 53, .payload = 14, .dst_mac_first = 0x33},
	};
	uint8_t frames[5][2048];
	struct pg_set set = {0}, out;
	struct exobpf_pkt_stats st;
	struct hu_events ev;
	struct seen s;
	uint32_t key;
	uint8_t *fr[5];
	uint32_t lens[5];

	CHECK(dir && in && pass && drop);
	CHECK_MSG(obj, "%s", why);
	for (int i = 0; i < 5; i++) {
		fr[i] = frames[i];
		lens[i] = (uint32_t)pg_build(frames[i], &specs[i]);
	}
	set.frames = fr;
	set.lens = lens;
	set.n = 5;
	CHECK(!pg_write_pcap(in, &set));
	hu_events_init(&ev);
	struct exobpf_pkt_hook_opts o = {
	    .pass_file = pass, .drop_file = drop, .redirect_dir = dir, .ifindex = 4};
	CHECK_EQ(run_hook(hu_prog(obj, "classify"), in, 1, &o, &ev, &st), 0);
	CHECK_EQ(st.actions[EXOBPF_PKT_PASS], 3);
	CHECK_EQ(st.actions[EXOBPF_PKT_DROP], 1);
	CHECK_EQ(st.actions[EXOBPF_PKT_REDIRECT], 1);
	int fd = hu_map_fd(obj, "seen");
	key = lens[0] - 4; /* the program saw the frame without its tag */
	CHECK_EQ(exobpf_map_lookup_elem(fd, &key, &s), 0);
	CHECK_EQ(s.vlan_present, 1);
	CHECK_EQ(s.vlan_tci, 0x2064);
	CHECK_EQ(s.protocol, 0x0008); /* htons(ETH_P_IP), read little-endian */
	CHECK_EQ(s.ifindex, 4);
	CHECK_EQ(s.pkt_type, PACKET_HOST);
	CHECK_EQ(s.hash_set, 1);
	key = lens[1];
	CHECK_EQ(exobpf_map_lookup_elem(fd, &key, &s), 0);
	CHECK_EQ(s.vlan_present, 0);
	CHECK_EQ(s.mark, 0x77);
	key = lens[3];
	CHECK_EQ(exobpf_map_lookup_elem(fd, &key, &s), 0);
	CHECK_EQ(s.pkt_type, PACKET_BROADCAST);
	key = lens[4];
	CHECK_EQ(exobpf_map_lookup_elem(fd, &key, &s), 0);
	CHECK_EQ(s.pkt_type, PACKET_MULTICAST);
	CHECK_EQ(s.protocol, 0xdd86);
	CHECK(!pg_read_pcap(pass, &out));
	CHECK_EQ(out.n, 3);
	CHECK(out.lens[0] == lens[0] && !memcmp(out.frames[0], frames[0], lens[0]));
	pg_free(&out);
	CHECK(!pg_read_pcap(drop, &out));
	CHECK(out.n == 1 && out.lens[0] == lens[2]);
	pg_free(&out);
	snprintf(name, sizeof(name), "%s/port-7.pcap", dir);
	CHECK(!pg_read_pcap(name, &out));
	CHECK(out.n == 1 && out.lens[0] == lens[3]);
	pg_free(&out);
	hu_events_free(&ev);
	exobpf_object__close(obj);
	free(in);
	free(pass);
	free(drop);
	hu_rmdir(dir);
}

/* A socket filter reads the frame from its MAC header with LD_ABS; its
 * return value is the snap length: the file holds 64 captured bytes of
 * each TCP frame and its full length on the wire. */
TEST(hooks_offline_socket_filter_snap_length)
{
	char *dir = hu_tmpdir(), why[1024];
	char *in = path_in(dir, "in.pcap"), *pass = path_in(dir, "pass.pcap");
	struct exobpf_object *obj = hu_load("hook_sockfilter", why, sizeof(why));
	struct pg_set set, out;
	struct exobpf_pkt_stats st;
	struct hu_events ev;
	unsigned tcp = 0;

	CHECK(dir && in && pass);
	CHECK_MSG(obj, "%s", why);
	CHECK(!pg_mixed(&set, 300, 8));
	CHECK(!pg_write_pcap(in, &set));
	hu_events_init(&ev);
	struct exobpf_pkt_hook_opts o = {.pass_file = pass};
	CHECK_EQ(run_hook(hu_prog(obj, "tcp_head"), in, 2, &o, &ev, &st), 0);
	CHECK(!pg_read_pcap(pass, &out));
	for (unsigned i = 0, j = 0; i < set.n; i++) {
		const uint8_t *f = set.frames[i];

		if (!(f[12] == 8 && f[13] == 0 && f[23] == 6))
			continue;
		tcp++;
		CHECK(j < out.n);
		CHECK_EQ(out.lens[j], set.lens[i] < 64 ? set.lens[i] : 64);
		CHECK_EQ(out.wire[j], set.lens[i]);
		CHECK(!memcmp(out.frames[j], f, out.lens[j]));
		j++;
	}
	CHECK_EQ(out.n, tcp);
	CHECK_EQ(st.actions[EXOBPF_PKT_PASS], tcp);
	CHECK_EQ(st.actions[EXOBPF_PKT_DROP], set.n - tcp);
	pg_free(&out);
	pg_free(&set);
	hu_events_free(&ev);
	exobpf_object__close(obj);
	free(in);
	free(pass);
	hu_rmdir(dir);
}

/* A pcapng capture made by hand (section header, one Ethernet interface
 * with microsecond timestamps, enhanced packet blocks) reads like pcap. */
static void put_block(FILE *f, uint32_t type, const void *body, uint32_t len)
{
	uint32_t pad = (4 - (len & 3)) & 3, total = 12 + len + pad, zero = 0;

	fwrite(&type, 4, 1, f);
	fwrite(&total, 4, 1, f);
	fwrite(body, len, 1, f);
	fwrite(&zero, pad, 1, f);
	fwrite(&total, 4, 1, f);
}

TEST(hooks_offline_reads_pcapng)
{
	char *dir = hu_tmpdir(), why[1024];
	char *in = path_in(dir, "in.pcapng"), *pass = path_in(dir, "pass.pcap");
	struct exobpf_object *obj = hu_load("hook_parse", why, sizeof(why));
	const uint32_t shb[4] = {0x1a2b3c4d, 1, 0xffffffff, 0xffffffff};
	const uint32_t idb[2] = {1, 0}; /* Ethernet, no snap length */
	struct pg_set set, out;
	struct hu_events ev;
	FILE *f;

	CHECK(dir && in && pass);
	CHECK_MSG(obj, "%s", why);
	CHECK(!pg_mixed(&set, 40, 9));
	f = fopen(in, "wb");
	CHECK(f);
	put_block(f, 0x0a0d0d0a, shb, sizeof(shb));
	put_block(f, 1, idb, sizeof(idb));
	for (unsigned i = 0; i < set.n; i++) {
		uint8_t epb[20 + 2048];
		uint32_t hdr[5] = {0, 0, 1000000 + i, set.lens[i], set.lens[i]};

		memcpy(epb, hdr, 20);
		memcpy(epb + 20, set.frames[i], set.lens[i]);
		put_block(f, 6, epb, 20 + set.lens[i]);
	}
	fclose(f);
	hu_events_init(&ev);
	struct exobpf_pkt_hook_opts o = {.pass_file = pass};
	CHECK_EQ(run_hook(hu_prog(obj, "parse_count"), in, 1, &o, &ev, NULL), 0);
	CHECK_EQ(ev.n, set.n);
	for (unsigned i = 0; i < ev.n; i++)
		CHECK_EQ(ev.ev[i].seq, i + 1);
	CHECK(!pg_read_pcap(pass, &out));
	CHECK(out.n > 0);
	pg_free(&out);
	hu_events_free(&ev);
	pg_free(&set);
	exobpf_object__close(obj);
	free(in);
	free(pass);
	hu_rmdir(dir);
}

/* Programs that move the packet's ends run the same checked and fast. */
TEST(hooks_offline_checked_mode_agrees)
{
	char *dir = hu_tmpdir(), why[1024];
	char *in = path_in(dir, "in.pcap"), *a = path_in(dir, "a.pcap"),
	     *b = path_in(dir, "b.pcap");
	struct exobpf_object *obj = hu_load("hook_encap", why, sizeof(why));
	struct pg_set set, x, y;
	struct hu_events ev;

	CHECK(dir && in && a && b);
	CHECK_MSG(obj, "%s", why);
	CHECK(!pg_mixed(&set, 200, 10));
	CHECK(!pg_write_pcap(in, &set));
	hu_events_init(&ev);
	struct exobpf_pkt_hook_opts o1 = {.tx_file = a, .flags = EXOBPF_PKT_CHECKED};
	CHECK_EQ(run_hook(hu_prog(obj, "encap"), in, 2, &o1, &ev, NULL), 0);
	struct exobpf_pkt_hook_opts o2 = {.tx_file = b};
	CHECK_EQ(run_hook(hu_prog(obj, "encap"), in, 2, &o2, &ev, NULL), 0);
	CHECK(!pg_read_pcap(a, &x));
	CHECK(!pg_read_pcap(b, &y));
	CHECK(x.n > 50);
	CHECK_EQ(x.n, y.n);
	for (unsigned i = 0; i < x.n; i++)
		CHECK(x.lens[i] == y.lens[i] && !memcmp(x.frames[i], y.frames[i], x.lens[i]));
	pg_free(&x);
	pg_free(&y);
	pg_free(&set);
	hu_events_free(&ev);
	exobpf_object__close(obj);
	free(in);
	free(a);
	free(b);
	hu_rmdir(dir);
}

struct stopper {
	struct exobpf_pkt_hook *h;
	unsigned seen;
};

static void stop_after_100(void *ctx, const struct exobpf_pkt_event *ev)
{
	struct stopper *s = ctx;

	(void)ev;
	if (++s->seen == 100)
		exobpf_pkt_hook__stop(s->h);
}

/* Stopping (Ctrl-C in the CLI) ends the run cleanly: what was read is
 * processed and written, the rest is not read. */
TEST(hooks_offline_stop_is_clean)
{
	char *dir = hu_tmpdir(), why[1024];
	char *in = path_in(dir, "in.pcap"), *pass = path_in(dir, "pass.pcap");
	struct exobpf_object *obj = hu_load("hook_parse", why, sizeof(why));
	struct exobpf_pkt_stats st = {.sz = sizeof(st)};
	struct stopper s = {0};
	struct pg_set set, out;

	CHECK(dir && in && pass);
	CHECK_MSG(obj, "%s", why);
	CHECK(!pg_mixed(&set, 8000, 11));
	CHECK(!pg_write_pcap(in, &set));
	struct exobpf_pkt_hook_opts o = {.sz = sizeof(o),
					 .threads = 2,
					 .pass_file = pass,
					 .on_packet = stop_after_100,
					 .ctx = &s};
	s.h = exobpf_pkt_hook__new(hu_prog(obj, "parse_count"), &o);
	CHECK(s.h);
	CHECK_EQ(exobpf_pkt_hook__add_file(s.h, in), 0);
	CHECK_EQ(exobpf_pkt_hook__run(s.h, 0), 0);
	CHECK_EQ(exobpf_pkt_hook__stats(s.h, &st), 0);
	CHECK(st.packets >= 100 && st.packets < set.n);
	CHECK_EQ(s.seen, st.packets);
	CHECK(!pg_read_pcap(pass, &out));
	CHECK_EQ(out.n, st.actions[EXOBPF_PKT_PASS]);
	exobpf_pkt_hook__free(s.h);
	pg_free(&out);
	pg_free(&set);
	exobpf_object__close(obj);
	free(in);
	free(pass);
	hu_rmdir(dir);
}

/* ---- bad input ---- */

static struct exobpf_prog *tiny(enum bpf_prog_type t)
{
	const struct bpf_insn insns[] = {
	    {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 2},
	    {.code = BPF_JMP | BPF_EXIT},
	};
	EXOBPF_OPTS(exobpf_prog_opts, o, .type = t, .license = "GPL");
	return exobpf_prog__new(insns, 2, &o);
}

static int run_on(struct exobpf_prog *p, const char *in, const char *pass)
{
	struct exobpf_pkt_hook_opts o = {.sz = sizeof(o), .pass_file = pass};
	struct exobpf_pkt_hook *h = exobpf_pkt_hook__new(p, &o);
	int err;

	if (!h)
		return -errno;
	err = exobpf_pkt_hook__add_file(h, in);
	if (!err)
		err = exobpf_pkt_hook__run(h, 0);
	exobpf_pkt_hook__free(h);
	return err;
}

TEST(hooks_bad_capture_files)
{
	char *dir = hu_tmpdir(), path[600], pass[600];
	struct exobpf_prog *p = tiny(BPF_PROG_TYPE_XDP);
	struct pg_set set, out;
	struct stat sb;
	FILE *f;

	CHECK(dir && p);
	snprintf(pass, sizeof(pass), "%s/pass.pcap", dir);
	/* missing */
	snprintf(path, sizeof(path), "%s/missing.pcap", dir);
	CHECK_EQ(run_on(p, path, NULL), -ENOENT);
	CHECK_CONTAINS(exobpf_errmsg(), path);
	/* not a capture */
	snprintf(path, sizeof(path), "%s/junk.pcap", dir);
	f = fopen(path, "w");
	CHECK(f);
	fputs("this is not a capture file at all\n", f);
	fclose(f);
	CHECK_EQ(run_on(p, path, NULL), -EINVAL);
	CHECK_CONTAINS(exobpf_errmsg(), path);
	CHECK_CONTAINS(exobpf_errmsg(), "not a readable pcap or pcapng file");
	/* an empty file */
	snprintf(path, sizeof(path), "%s/empty.pcap", dir);
	f = fopen(path, "w");
	CHECK(f);
	fclose(f);
	CHECK_EQ(run_on(p, path, NULL), -EINVAL);
	CHECK_CONTAINS(exobpf_errmsg(), path);
	/* a directory */
	CHECK(run_on(p, dir, NULL) < 0);
	CHECK_CONTAINS(exobpf_errmsg(), dir);
	/* truncated in the middle of packet 7: the six before are processed */
	snprintf(path, sizeof(path), "%s/cut.pcap", dir);
	CHECK(!pg_mixed(&set, 10, 12));
	CHECK(!pg_write_pcap(path, &set));
	long cut = 24;
	for (unsigned i = 0; i < 6; i++)
		cut += 16 + set.lens[i];
	cut += 16 + set.lens[6] / 2;
	CHECK_EQ(truncate(path, cut), 0);
	CHECK_EQ(run_on(p, path, pass), -EINVAL);
	CHECK_CONTAINS(exobpf_errmsg(), path);
	CHECK_CONTAINS(exobpf_errmsg(), "packet 7");
	CHECK(!pg_read_pcap(pass, &out));
	CHECK_EQ(out.n, 6);
	pg_free(&out);
	/* cut inside a record header */
	CHECK_EQ(truncate(path, 24 + 16 + set.lens[0] + 5), 0);
	CHECK_EQ(run_on(p, path, NULL), -EINVAL);
	CHECK_CONTAINS(exobpf_errmsg(), "packet 2");
	/* a frame shorter than an Ethernet header */
	set.lens[3] = 9;
	snprintf(path, sizeof(path), "%s/runt.pcap", dir);
	CHECK(!pg_write_pcap(path, &set));
	CHECK_EQ(run_on(p, path, NULL), -EINVAL);
	CHECK_CONTAINS(exobpf_errmsg(), "packet 4 has 9 bytes");
	/* not Ethernet */
	snprintf(path, sizeof(path), "%s/raw.pcap", dir);
	CHECK(!pg_write_empty_pcap(path, 12 /* DLT_RAW */));
	CHECK_EQ(run_on(p, path, NULL), -EINVAL);
	CHECK_CONTAINS(exobpf_errmsg(), "is not Ethernet");
	/* an output that cannot be written */
	snprintf(path, sizeof(path), "%s/ok.pcap", dir);
	set.lens[3] = 60;
	CHECK(!pg_write_pcap(path, &set));
	snprintf(pass, sizeof(pass), "%s/no/such/dir/pass.pcap", dir);
	CHECK(run_on(p, path, pass) < 0);
	CHECK_CONTAINS(exobpf_errmsg(), pass);
	CHECK(stat(pass, &sb) != 0);
	pg_free(&set);
	exobpf_prog__free(p);
	hu_rmdir(dir);
}

TEST(hooks_bad_setup)
{
	struct exobpf_prog *kp = tiny(BPF_PROG_TYPE_KPROBE), *xp = tiny(BPF_PROG_TYPE_XDP);
	struct exobpf_pkt_hook_opts o = {.sz = sizeof(o), .threads = 100000};
	struct exobpf_pkt_hook *h;

	CHECK(kp && xp);
	CHECK(!exobpf_pkt_hook__new(kp, NULL));
	CHECK_CONTAINS(exobpf_errmsg(), "cannot run on packets");
	CHECK(!exobpf_pkt_hook__new(NULL, NULL));
	CHECK(!exobpf_pkt_hook__new(xp, &o));
	CHECK_CONTAINS(exobpf_errmsg(), "threads");
	h = exobpf_pkt_hook__new(xp, NULL);
	CHECK(h);
	CHECK_EQ(exobpf_pkt_hook__run(h, 0), -EINVAL); /* nothing to read */
	CHECK_CONTAINS(exobpf_errmsg(), "nothing to read");
	CHECK_EQ(exobpf_pkt_hook__add_dev(h, "exobpfnoif0"), -ENODEV);
	CHECK_CONTAINS(exobpf_errmsg(), "exobpfnoif0");
	CHECK_EQ(exobpf_pkt_hook__add_dev(h, "an-interface-name-far-too-long"), -EINVAL);
	CHECK_EQ(exobpf_pkt_hook__add_file(h, "x.pcap"), 0);
	CHECK_EQ(exobpf_pkt_hook__add_dev(h, "lo"), -EINVAL); /* files and devices */
	CHECK_CONTAINS(exobpf_errmsg(), "do not mix");
	exobpf_pkt_hook__free(h);
	exobpf_prog__free(kp);
	exobpf_prog__free(xp);
}
