/* AF_PACKET with TPACKET_V3. The socket is bound to ETH_P_ALL only after
 * its ring exists, so no frame arrives before there is a place for it;
 * frames this process sends are not received back (PACKET_IGNORE_OUTGOING,
 * and outgoing frames are skipped should the kernel not know the option). */
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>

#include "core/err.h"
#include "hooks/afpacket.h"

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

#define RING_BLOCK_SIZE (1u << 20) /* holds the largest (GSO) frame */
#define RING_BLOCKS	8
#define RING_FRAME_SIZE 2048 /* TPACKET_V3 ignores it but checks it */
#define RING_TIMEOUT_MS 10   /* a partly filled block is handed over after this */

int afp_dev_info(const char *ifname, uint32_t *ifindex, uint32_t *mtu)
{
	struct ifreq ifr;
	int fd, err = 0;

	if (strlen(ifname) >= IFNAMSIZ)
		return exo_err(EINVAL, "%s: interface names have at most %d characters", ifname,
			       IFNAMSIZ - 1);
	*ifindex = if_nametoindex(ifname);
	if (!*ifindex)
		return exo_err(ENODEV, "%s: no such interface", ifname);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (fd < 0 || ioctl(fd, SIOCGIFMTU, &ifr) < 0)
		err = exo_err(errno, "%s: cannot read its MTU: %s", ifname, strerror(errno));
	else
		*mtu = (uint32_t)ifr.ifr_mtu;
	if (fd >= 0)
		close(fd);
	return err;
}

static int fail(struct afp_ring *r, const char *ifname, const char *what)
{
	int err = errno;

	afp_ring_close(r);
	if (err == EPERM || err == EACCES)
		return exo_err(err, "%s: %s: %s (packet sockets need CAP_NET_RAW)", ifname, what,
			       strerror(err));
	return exo_err(err, "%s: %s: %s", ifname, what, strerror(err));
}

int afp_ring_open(struct afp_ring *r, uint32_t ifindex, const char *ifname, uint16_t group)
{
	struct tpacket_req3 req = {
	    .tp_block_size = RING_BLOCK_SIZE,
	    .tp_block_nr = RING_BLOCKS,
	    .tp_frame_size = RING_FRAME_SIZE,
	    .tp_frame_nr = RING_BLOCK_SIZE / RING_FRAME_SIZE * RING_BLOCKS,
	    .tp_retire_blk_tov = RING_TIMEOUT_MS,
	    .tp_feature_req_word = TP_FT_REQ_FILL_RXHASH,
	};
	struct sockaddr_ll sll = {
	    .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL), .sll_ifindex = (int)ifindex};
	int v3 = TPACKET_V3, one = 1, fanout = group | PACKET_FANOUT_HASH << 16;

	memset(r, 0, sizeof(*r));
	r->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	r->ifindex = ifindex;
	if (r->fd < 0)
		return fail(r, ifname, "cannot open a packet socket");
	if (setsockopt(r->fd, SOL_PACKET, PACKET_VERSION, &v3, sizeof(v3)) < 0)
		return fail(r, ifname, "TPACKET_V3");
	if (setsockopt(r->fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)) < 0)
		return fail(r, ifname, "cannot make a receive ring");
	r->map_len = (size_t)req.tp_block_size * req.tp_block_nr;
	r->map = mmap(NULL, r->map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_LOCKED, r->fd, 0);
	if (r->map == MAP_FAILED) /* MAP_LOCKED may exceed RLIMIT_MEMLOCK */
		r->map = mmap(NULL, r->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
	if (r->map == MAP_FAILED) {
		r->map = NULL;
		return fail(r, ifname, "cannot map the receive ring");
	}
	r->block_size = req.tp_block_size;
	r->nblocks = req.tp_block_nr;
	setsockopt(r->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
	if (bind(r->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		return fail(r, ifname, "cannot bind");
	if (setsockopt(r->fd, SOL_PACKET, PACKET_FANOUT, &fanout, sizeof(fanout)) < 0)
		return fail(r, ifname, "cannot join the fanout group");
	return 0;
}

/* r must be open or zeroed with fd -1. */
void afp_ring_close(struct afp_ring *r)
{
	if (r->map)
		munmap(r->map, r->map_len);
	if (r->fd >= 0)
		close(r->fd);
	memset(r, 0, sizeof(*r));
	r->fd = -1;
}

unsigned afp_ring_drain(struct afp_ring *r, afp_frame_fn fn, void *arg)
{
	unsigned n = 0;

	for (uint32_t blocks = 0; blocks < r->nblocks; blocks++) {
		struct tpacket_block_desc *bd =
		    (struct tpacket_block_desc *)(r->map + (size_t)r->cur * r->block_size);
		struct tpacket3_hdr *h;
		uint32_t count;

		if (!(__atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE) &
		      TP_STATUS_USER))
			break;
		count = bd->hdr.bh1.num_pkts;
		h = (struct tpacket3_hdr *)((uint8_t *)bd + bd->hdr.bh1.offset_to_first_pkt);
		for (uint32_t i = 0; i < count; i++) {
			const struct sockaddr_ll *sll =
			    (const struct sockaddr_ll *)((uint8_t *)h + TPACKET_ALIGN(sizeof(*h)));
			struct afp_frame f = {
			    .data = (const uint8_t *)h + h->tp_mac,
			    .caplen = h->tp_snaplen,
			    .len = h->tp_len,
			    .ts_ns = (uint64_t)h->tp_sec * 1000000000ull + h->tp_nsec,
			    .hash = h->hv1.tp_rxhash,
			    .pkt_type = sll->sll_pkttype,
			};

			if (h->tp_status & TP_STATUS_VLAN_VALID) {
				f.vlan_present = true;
				f.vlan_tci = (uint16_t)h->hv1.tp_vlan_tci;
				f.vlan_proto = h->tp_status & TP_STATUS_VLAN_TPID_VALID
						   ? (uint16_t)h->hv1.tp_vlan_tpid
						   : ETH_P_8021Q;
			}
			if (f.pkt_type != PACKET_OUTGOING) {
				fn(arg, &f);
				n++;
			}
			h = (struct tpacket3_hdr *)((uint8_t *)h + h->tp_next_offset);
		}
		__atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
		r->cur = (r->cur + 1) % r->nblocks;
	}
	return n;
}

uint64_t afp_ring_drops(struct afp_ring *r)
{
	struct tpacket_stats_v3 st;
	socklen_t len = sizeof(st);

	if (getsockopt(r->fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) < 0)
		return 0;
	return st.tp_drops;
}

int afp_tx_open(uint32_t ifindex, const char *ifname)
{
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_ifindex = (int)ifindex};
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0), one = 1, err;

	if (fd < 0)
		return exo_err(errno, "%s: cannot open a packet socket: %s", ifname,
			       strerror(errno));
	/* straight to the driver, as XDP_TX and redirects go */
	setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		err = errno;
		close(fd);
		return exo_err(err, "%s: cannot bind: %s", ifname, strerror(err));
	}
	return fd;
}

int afp_send(int fd, const void *frame, uint32_t len)
{
	for (int tries = 0; tries < 100; tries++) {
		if (send(fd, frame, len, MSG_DONTWAIT) == (ssize_t)len)
			return 0;
		if (errno != EAGAIN && errno != ENOBUFS && errno != EINTR)
			return -errno;
		poll(NULL, 0, 0);
	}
	return -EAGAIN;
}
