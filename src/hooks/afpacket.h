/* Live interfaces through AF_PACKET: a receive ring per worker (TPACKET_V3,
 * memory-mapped blocks the kernel fills), joined in a hash fanout group so
 * the kernel sends all packets of a flow to the same worker, and a raw
 * socket per worker and port to send on. */
#ifndef EXOBPF_HOOKS_AFPACKET_H
#define EXOBPF_HOOKS_AFPACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct afp_ring {
	int fd;
	uint8_t *map;
	size_t map_len;
	uint32_t block_size, nblocks, cur;
	uint32_t ifindex;
};

/* One received frame (pointers into the ring, valid until the block is
 * released). */
struct afp_frame {
	const uint8_t *data;
	uint32_t caplen, len;
	uint64_t ts_ns;
	uint32_t hash;
	uint8_t pkt_type;
	bool vlan_present;
	uint16_t vlan_tci, vlan_proto;
};

/* The interface's index and MTU; -errno with a message naming it. */
int afp_dev_info(const char *ifname, uint32_t *ifindex, uint32_t *mtu);

/* A ring on ifindex in fanout group `group`. 0 or -errno (message set,
 * naming ifname). */
int afp_ring_open(struct afp_ring *r, uint32_t ifindex, const char *ifname, uint16_t group);
void afp_ring_close(struct afp_ring *r);

/* Hand every frame of the blocks ready now to fn, releasing each block
 * after; returns the number of frames. */
typedef void (*afp_frame_fn)(void *arg, const struct afp_frame *f);
unsigned afp_ring_drain(struct afp_ring *r, afp_frame_fn fn, void *arg);

/* Frames the kernel dropped for lack of ring space since the last call. */
uint64_t afp_ring_drops(struct afp_ring *r);

/* A socket that sends frames out of ifindex; fd or -errno. */
int afp_tx_open(uint32_t ifindex, const char *ifname);
/* 0 or -errno. */
int afp_send(int fd, const void *frame, uint32_t len);

#endif
