/* The packet hooks live: AF_PACKET rings on veth interfaces the test makes
 * in a network namespace of its own (a forked child unshares one, so the
 * machine's interfaces are never touched). Frames are sent into one end of
 * a veth pair and looked for at the other ends: redirected by a device map
 * to a second pair, or answered with XDP_TX. Skipped where namespaces or
 * veth pairs cannot be made.
 *
 * The child reports by exit status: 0 passed, SKIPPED, or the number of
 * the step that failed (with a message on stderr). Waiting for frames has
 * a generous guard so a lost frame fails the test instead of hanging it;
 * nothing is timed. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>

#include "hook_util.h"
#include "pktgen.h"
#include "test.h"

#define SKIPPED 77
/* Sixteen flows: the chance that the kernel's fanout hash (seeded at boot)
 * puts them all on one of the two workers is 2^-15. */
#define NFLOWS	 16
#define PER_FLOW 20
#define GUARD_MS 30000
#define MARK	 0xe0b7f00du

static int fail(int step, const char *what)
{
	fprintf(stderr, "live step %d: %s (%s; %s)\n", step, what, strerror(errno),
		exobpf_errmsg());
	return step;
}

/* Two veth pairs, up, with no IPv6 chatter (router solicitations would be
 * extra frames). */
static int make_net(void)
{
	FILE *f = fopen("/proc/sys/net/ipv6/conf/default/disable_ipv6", "w");

	if (f) {
		fputs("1\n", f);
		fclose(f);
	}
	return system("ip link add xa0 type veth peer name xa1 && "
		      "ip link add xb0 type veth peer name xb1 && "
		      "ip link set xa0 up && ip link set xa1 up && "
		      "ip link set xb0 up && ip link set xb1 up") == 0
		   ? 0
		   : -1;
}

static int raw_socket(const char *ifname)
{
	struct sockaddr_ll sll = {.sll_family = AF_PACKET,
				  .sll_protocol = htons(ETH_P_ALL),
				  .sll_ifindex = (int)if_nametoindex(ifname)};
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL)), big = 8 << 20;

	/* room for every frame a test sends before it reads (the default
	 * buffer holds about 200 small frames) */
	if (fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A UDP frame of flow `flow` carrying MARK and its number in the flow. */
static uint32_t frame(uint8_t *buf, unsigned flow, uint32_t seq)
{
	struct pg_spec s = {
	    .ipver = 4, .l4 = 17, .sport = (uint16_t)(5000 + flow), .dport = 7777, .payload = 16};
	uint32_t len = (uint32_t)pg_build(buf, &s), v[2] = {htonl(MARK), htonl(flow << 16 | seq)};

	memcpy(buf + len - 8, v, 8); /* the last payload bytes */
	return len;
}

/* The next frame of ours on fd (not one we sent): its flow and sequence. */
static int recv_marked(int fd, uint8_t *buf, uint32_t *flow, uint32_t *seq, int *len)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	for (;;) {
		struct sockaddr_ll from;
		socklen_t fl = sizeof(from);
		uint32_t v[2];
		ssize_t n;

		if (poll(&p, 1, GUARD_MS) != 1)
			return -1;
		n = recvfrom(fd, buf, 2048, 0, (struct sockaddr *)&from, &fl);
		if (n < 0)
			return -1;
		if (from.sll_pkttype == PACKET_OUTGOING || n < 50)
			continue;
		memcpy(v, buf + n - 8, 8);
		if (ntohl(v[0]) != MARK)
			continue;
		*flow = ntohl(v[1]) >> 16;
		*seq = ntohl(v[1]) & 0xffff;
		*len = (int)n;
		return 0;
	}
}

struct runner {
	struct exobpf_pkt_hook *h;
	int err;
};

static void *run(void *arg)
{
	struct runner *r = arg;

	r->err = exobpf_pkt_hook__run(r->h, 0);
	return NULL;
}

/* Send warm-up frames (flow NFLOWS) until the hook has seen one, so its
 * rings are bound before the frames that count are sent. */
static int warm_up(int tx, struct exobpf_pkt_hook *h)
{
	uint8_t buf[2048];

	for (int i = 0; i < GUARD_MS / 10; i++) {
		struct exobpf_pkt_stats st = {.sz = sizeof(st)};
		uint32_t len = frame(buf, NFLOWS, (uint32_t)i);

		if (send(tx, buf, len, 0) != (ssize_t)len)
			return -1;
		poll(NULL, 0, 10);
		if (!exobpf_pkt_hook__stats(h, &st) && st.packets)
			return 0;
	}
	return -1;
}

/* Redirect: frames into xa1 leave by xb1 (a DEVMAP_HASH names the port),
 * two workers, each flow in order; the per-CPU counters sum to the count. */
static int redirect_child(void)
{
	char why[1024];
	struct exobpf_object *obj;
	struct exobpf_pkt_hook *h;
	struct runner r;
	pthread_t th;
	uint8_t buf[2048];
	uint32_t a1 = if_nametoindex("xa1"), b1 = if_nametoindex("xb1"), next[NFLOWS + 1] = {0};
	int tx = raw_socket("xa0"), rx = raw_socket("xb0"), got = 0;

	if (tx < 0 || rx < 0 || !a1 || !b1)
		return fail(1, "packet sockets on the veth ends");
	exobpf_set_num_slots(2);
	if (!(obj = hu_load("hook_redirect", why, sizeof(why))))
		return fprintf(stderr, "%s\n", why), 2;
	if (exobpf_map_update_elem(hu_map_fd(obj, "fwd"), &a1, &b1, 0))
		return fail(3, "fwd[xa1] = xb1");
	struct exobpf_pkt_hook_opts o = {.sz = sizeof(o), .threads = 2};
	h = exobpf_pkt_hook__new(hu_prog(obj, "forward"), &o);
	if (!h || exobpf_pkt_hook__add_dev(h, "xa1") || exobpf_pkt_hook__add_port(h, "xb1"))
		return fail(4, "the hook on xa1 with port xb1");
	r.h = h;
	if (pthread_create(&th, NULL, run, &r))
		return fail(5, "the hook's thread");
	if (warm_up(tx, h))
		return fail(6, "no frame reached the hook");
	for (uint32_t seq = 0; seq < PER_FLOW; seq++)
		for (unsigned f = 0; f < NFLOWS; f++) {
			uint32_t len = frame(buf, f, seq);

			if (send(tx, buf, len, 0) != (ssize_t)len)
				return fail(7, "send into xa0");
		}
	while (got < NFLOWS * PER_FLOW) {
		uint32_t flow, seq;
		int len;

		if (recv_marked(rx, buf, &flow, &seq, &len)) {
			struct exobpf_pkt_stats st = {.sz = sizeof(st)};

			exobpf_pkt_hook__stats(h, &st);
			fprintf(stderr,
				"%d of %d frames arrived; the hook saw %llu, redirected %llu, "
				"%llu send errors\n",
				got, NFLOWS * PER_FLOW, (unsigned long long)st.packets,
				(unsigned long long)st.actions[EXOBPF_PKT_REDIRECT],
				(unsigned long long)st.tx_errors);
			return fail(8, "a redirected frame did not arrive at xb0");
		}
		if (flow == NFLOWS)
			continue; /* warm-up */
		if (flow > NFLOWS || seq != next[flow])
			return fprintf(stderr, "flow %u: frame %u arrived, expected %u\n", flow,
				       seq, next[flow]),
			       9;
		next[flow]++;
		got++;
	}
	exobpf_pkt_hook__stop(h);
	pthread_join(th, NULL);
	if (r.err)
		return fail(10, "the hook's run");
	struct exobpf_pkt_stats st = {.sz = sizeof(st)};
	uint64_t per[256] = {0}, sum = 0;
	uint32_t zero = 0;
	exobpf_pkt_hook__stats(h, &st);
	if (exobpf_map_lookup_elem(hu_map_fd(obj, "forwarded"), &zero, per))
		return fail(11, "the per-CPU counter");
	for (int s = 0; s < 2; s++)
		sum += per[s];
	if (sum != st.actions[EXOBPF_PKT_REDIRECT] || sum < NFLOWS * PER_FLOW ||
	    st.redirect_errors || st.tx_errors)
		return fprintf(stderr, "per-CPU sum %llu, redirects %llu, errors %llu/%llu\n",
			       (unsigned long long)sum,
			       (unsigned long long)st.actions[EXOBPF_PKT_REDIRECT],
			       (unsigned long long)st.redirect_errors,
			       (unsigned long long)st.tx_errors),
		       12;
	if (!per[0] || !per[1])
		return fprintf(stderr, "one worker did everything: %llu + %llu\n",
			       (unsigned long long)per[0], (unsigned long long)per[1]),
		       13;
	exobpf_pkt_hook__free(h);
	exobpf_object__close(obj);
	close(tx);
	close(rx);
	return 0;
}

/* XDP_TX: echo requests into xa1 come back out of xa1 as replies. */
static int tx_child(void)
{
	char why[1024];
	struct exobpf_object *obj;
	struct exobpf_pkt_hook *h;
	struct runner r;
	pthread_t th;
	uint8_t buf[2048];
	int tx = raw_socket("xa0"), got = 0;

	if (tx < 0)
		return fail(21, "a packet socket on xa0");
	if (!(obj = hu_load("hook_pong", why, sizeof(why))))
		return fprintf(stderr, "%s\n", why), 22;
	h = exobpf_pkt_hook__new(hu_prog(obj, "pong"), NULL);
	if (!h || exobpf_pkt_hook__add_dev(h, "xa1"))
		return fail(23, "the hook on xa1");
	r.h = h;
	if (pthread_create(&th, NULL, run, &r))
		return fail(24, "the hook's thread");
	if (warm_up(tx, h)) /* UDP: passed, not answered */
		return fail(25, "no frame reached the hook");
	for (uint16_t i = 0; i < 20; i++) {
		struct pg_spec s = {
		    .ipver = 4, .l4 = 1, .icmp_type = 8, .payload = 16, .seed = (uint8_t)i};
		uint32_t len = (uint32_t)pg_build(buf, &s), v[2] = {htonl(MARK), htonl(i)};

		memcpy(buf + len - 8, v, 8);
		/* the ICMP checksum covers the marker */
		buf[36] = buf[37] = 0;
		uint16_t c = pg_csum(buf + 34, len - 34);
		buf[36] = (uint8_t)(c >> 8);
		buf[37] = (uint8_t)c;
		if (send(tx, buf, len, 0) != (ssize_t)len)
			return fail(26, "send into xa0");
	}
	while (got < 20) {
		uint32_t flow, seq;
		int len;

		if (recv_marked(tx, buf, &flow, &seq, &len))
			return fail(27, "an echo reply did not come back to xa0");
		if (buf[23] != 1)
			continue; /* a warm-up frame the program passed */
		/* a reply: type 0, addresses swapped, both checksums valid */
		if (buf[34] != 0 || buf[26] != 10 || buf[30] != 192 || pg_csum(buf + 14, 20) ||
		    pg_csum(buf + 34, (size_t)len - 34))
			return fprintf(stderr, "echo reply %u is wrong\n", seq), 28;
		got++;
	}
	exobpf_pkt_hook__stop(h);
	pthread_join(th, NULL);
	struct exobpf_pkt_stats st = {.sz = sizeof(st)};
	exobpf_pkt_hook__stats(h, &st);
	if (r.err || st.actions[EXOBPF_PKT_TX] != 20 || st.tx_errors)
		return fprintf(stderr, "run %d, tx %llu, tx errors %llu\n", r.err,
			       (unsigned long long)st.actions[EXOBPF_PKT_TX],
			       (unsigned long long)st.tx_errors),
		       29;
	exobpf_pkt_hook__free(h);
	exobpf_object__close(obj);
	close(tx);
	return 0;
}

static int in_netns(int (*fn)(void))
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (unshare(CLONE_NEWNET) || make_net())
			_exit(SKIPPED);
		_exit(fn());
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

TEST(hooks_live_veth_redirect_in_flow_order)
{
	int rc = in_netns(redirect_child);

	if (rc == SKIPPED)
		SKIP("no network namespace or veth pair (needs CAP_NET_ADMIN and ip(8))");
	CHECK_MSG(rc == 0, "the child failed at step %d (its stderr says why)", rc);
}

TEST(hooks_live_veth_xdp_tx)
{
	int rc = in_netns(tx_child);

	if (rc == SKIPPED)
		SKIP("no network namespace or veth pair (needs CAP_NET_ADMIN and ip(8))");
	CHECK_MSG(rc == 0, "the child failed at step %d (its stderr says why)", rc);
}
