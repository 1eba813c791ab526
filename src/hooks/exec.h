/* Running a packet program on one frame as Linux's receive path would: the
 * context (struct exo_xdp or exo_skb) built over the frame's buffer, the
 * program run in the worker's execution slot, and its return value turned
 * into what happens to the packet. One struct hook_exec per worker. */
#ifndef EXOBPF_HOOKS_EXEC_H
#define EXOBPF_HOOKS_EXEC_H

#include <stdbool.h>
#include <stdint.h>

#include "exobpf/hook.h"
#include "progtypes/progtypes.h"
#include "vm/vm.h"

/* Every frame sits in a buffer with this much room before it (Linux's
 * XDP_PACKET_HEADROOM); the buffer is at least a page and ends with
 * EXO_XDP_TAILROOM bytes XDP programs cannot grow into. */
#define HOOK_HEADROOM 256
/* The buffer for a frame of len bytes. */
uint32_t hook_frame_size(uint32_t len);

/* How a packet arrived. */
struct hook_meta {
	uint64_t ts_ns;
	uint32_t wire_len;
	uint32_t ifindex;  /* ingress port */
	uint32_t hash;	   /* flow hash (skb->hash, like a NIC's RSS hash) */
	uint32_t max_len;  /* skb: port MTU + link header (0: lo's) */
	uint8_t pkt_type;  /* PACKET_HOST, ... (skb) */
	bool vlan_present; /* the receive path took an outer tag off already */
	uint16_t vlan_tci;
	uint16_t vlan_proto; /* big-endian value, e.g. 0x8100 */
};

/* What became of it. */
struct hook_verdict {
	enum exobpf_pkt_action action;
	uint32_t retval;
	uint32_t port;	/* TX: the ingress port; REDIRECT: the target (0: none) */
	bool broadcast; /* REDIRECT to every port of map */
	void *map;	/* the device map (struct exo_map *) */
	bool exclude_ingress;
	bool to_ingress; /* tc: BPF_F_INGRESS (into the port, not out of it) */
	bool fault;
	const uint8_t *data; /* the frame to send or write */
	uint32_t len;
	uint32_t wire_len;
	uint8_t *own; /* a buffer a helper grew the packet into: free after use */
};

struct exobpf_prog;

struct hook_exec {
	struct exobpf_prog *prog;
	const struct pt_info *pt;
	bool xdp, sk_filter;
	bool checked;
	struct vm_run run;
	union {
		struct exo_xdp xdp;
		struct exo_skb skb;
	} ctx;
};

void hook_exec_init(struct hook_exec *e, struct exobpf_prog *prog, uint32_t slot, bool checked);

/* Run the program on the len-byte frame at buf + HOOK_HEADROOM (buf holds
 * size bytes) and fill *v. The frame may be changed in place; v->data
 * points into buf (or v->own). */
void hook_exec_packet(struct hook_exec *e, uint8_t *buf, uint32_t size, uint32_t len,
		      const struct hook_meta *m, struct hook_verdict *v);

#endif
