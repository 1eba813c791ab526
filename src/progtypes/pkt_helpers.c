/* Helpers that work on the runtime contexts of src/progtypes (skb, xdp
 * buffer) and the socket helpers: Linux's semantics (net/core/filter.c) on
 * exobpf's structures. exobpf has no kernel sockets, so socket lookups find
 * nothing (NULL), as a lookup of an unknown tuple does in Linux. */
#include <errno.h>
#include <string.h>

#include "helpers/helpers.h"
#include "hooks/pkt.h"
#include "progtypes/progtypes.h"

#define ENOTSUPP_ 524 /* Linux's internal ENOTSUPP */

static struct exo_skb *skb_of(struct vm_run *run, uint64_t r1)
{
	return (struct exo_skb *)(uintptr_t)(run->hook ? (uintptr_t)run->hook : r1);
}

static bool mem_ok(struct vm_run *run, uint64_t addr, uint64_t size, bool write, const char *what)
{
	if (vm_mem_ok(run, (uintptr_t)addr, size, write))
		return true;
	vm_fail(run, VM_FAULT_HELPER_ARG, "%s: %llu bytes at 0x%llx are not the program's", what,
		(unsigned long long)size, (unsigned long long)addr);
	return false;
}

static uint32_t skb_len(const struct exo_skb *skb)
{
	return (uint32_t)(skb->data_end - skb->data);
}

/* LD_ABS/LD_IND read run->pkt: keep it on the skb's data after a helper
 * moved it. */
static void sync_pkt(struct vm_run *run, const struct exo_skb *skb)
{
	run->pkt = (const uint8_t *)(uintptr_t)skb->data;
	run->pkt_len = skb_len(skb);
}

/* bpf_skb_load_bytes(skb, offset, to, len) */
HELPER_FN(skb_load_bytes)
{
	struct exo_skb *skb = skb_of(run, r1);
	uint32_t off = (uint32_t)r2, len = (uint32_t)r4;

	if (!mem_ok(run, r3, len, true, "bpf_skb_load_bytes"))
		return 0;
	if (off > INT32_MAX || (uint64_t)off + len > skb_len(skb)) {
		memset((void *)(uintptr_t)r3, 0, len);
		return (uint64_t)-EFAULT;
	}
	memcpy((void *)(uintptr_t)r3, (const uint8_t *)(uintptr_t)skb->data + off, len);
	return 0;
}

/* bpf_skb_store_bytes(skb, offset, from, len, flags) */
HELPER_FN(skb_store_bytes)
{
	struct exo_skb *skb = skb_of(run, r1);
	uint32_t off = (uint32_t)r2, len = (uint32_t)r4;

	if (!mem_ok(run, r3, len, false, "bpf_skb_store_bytes"))
		return 0;
	if (r5 & ~(uint64_t)(BPF_F_RECOMPUTE_CSUM | BPF_F_INVALIDATE_HASH))
		return (uint64_t)-EINVAL;
	if (off > 0xffff || (uint64_t)off + len > skb_len(skb))
		return (uint64_t)-EFAULT;
	memmove((uint8_t *)(uintptr_t)skb->data + off, (const void *)(uintptr_t)r3, len);
	if (r5 & BPF_F_INVALIDATE_HASH)
		skb->uapi.hash = 0;
	return 0;
}

/* Linux's csum_partial on x86-64: the words added to the seed, folded to 32
 * bits with end-around carry (the buffers here are 4-byte multiples). */
static uint32_t csum_partial32(const uint8_t *p, uint32_t n, uint32_t seed)
{
	uint64_t acc = seed;
	for (uint32_t i = 0; i + 4 <= n; i += 4) {
		uint32_t w;

		memcpy(&w, p + i, 4);
		acc += w;
	}
	while (acc >> 32)
		acc = (acc & 0xffffffff) + (acc >> 32);
	return (uint32_t)acc;
}

/* 32-bit ones' complement addition (csum_add) */
static uint32_t csum_add32(uint32_t a, uint32_t b)
{
	uint32_t r = a + b;
	return r + (r < b);
}

/* bpf_csum_diff(from, from_size, to, to_size, seed). Since 6.13 Linux
 * computes csum(to, seed) - csum(from) in ones' complement (for from alone,
 * ~csum(from, ~seed)) and folds the result to 16 bits, not complemented, on
 * every architecture; the representation of zero (0 or 0xffff) depends on
 * that order, so it is followed step by step. */
HELPER_FN(csum_diff)
{
	uint32_t from_size = (uint32_t)r2, to_size = (uint32_t)r4, seed = (uint32_t)r5, sum;
	const uint8_t *from = (const uint8_t *)(uintptr_t)r1, *to = (const uint8_t *)(uintptr_t)r3;

	if ((from_size | to_size) & 3 || from_size + (uint64_t)to_size > 512)
		return (uint64_t)-EINVAL;
	if ((from_size && !mem_ok(run, r1, from_size, false, "bpf_csum_diff")) ||
	    (to_size && !mem_ok(run, r3, to_size, false, "bpf_csum_diff")))
		return 0;
	if (from_size && to_size)
		sum = csum_add32(csum_partial32(to, to_size, seed),
				 ~csum_partial32(from, from_size, 0));
	else if (to_size)
		sum = csum_partial32(to, to_size, seed);
	else if (from_size)
		sum = ~csum_partial32(from, from_size, ~seed);
	else
		sum = seed;
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

/* bpf_csum_update(skb, csum): only skbs with a complete checksum carry one;
 * test-run skbs have none. */
HELPER_FN(csum_update)
{
	return (uint64_t)-ENOTSUPP_;
}

/* bpf_get_hash_recalc(skb): a flow hash of the packet (Linux seeds its hash
 * randomly per boot, so only its stability matters). */
HELPER_FN(get_hash_recalc)
{
	struct exo_skb *skb = skb_of(run, r1);
	const uint8_t *p = (const uint8_t *)(uintptr_t)skb->data;
	uint32_t h = 2166136261u, n = skb_len(skb) < 64 ? skb_len(skb) : 64;

	for (uint32_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	skb->uapi.hash = h;
	return h;
}

/* bpf_get_cgroup_classid(skb): no net_cls cgroup here */
HELPER_FN(get_cgroup_classid)
{
	return 0;
}

static uint8_t *skb_mac(struct exo_skb *skb)
{
	return skb->head + skb->headroom;
}

/* bpf_skb_vlan_push(skb, proto, tci): the tag goes into the skb's metadata
 * (hardware-accelerated VLAN); a tag already there moves into the frame
 * after the MAC addresses first, as Linux's skb_vlan_push does. */
HELPER_FN(skb_vlan_push)
{
	struct exo_skb *skb = skb_of(run, r1);
	uint16_t proto = (uint16_t)r2;

	if (proto != 0x0081 && proto != 0xa888) /* htons(ETH_P_8021Q), htons(ETH_P_8021AD) */
		proto = 0x0081;
	if (skb->uapi.vlan_present) {
		uint8_t *mac = skb_mac(skb);
		uint16_t old_proto = (uint16_t)skb->uapi.vlan_proto;
		uint8_t tag[4] = {(uint8_t)old_proto, (uint8_t)(old_proto >> 8),
				  (uint8_t)(skb->uapi.vlan_tci >> 8), (uint8_t)skb->uapi.vlan_tci};

		if (skb->headroom < 4)
			return (uint64_t)-ENOMEM;
		memmove(mac - 4, mac, 12);
		memcpy(mac + 8, tag, 4);
		skb->headroom -= 4;
		skb->data -= 4;
		skb->data_meta = skb->data;
		skb->uapi.len += 4;
		sync_pkt(run, skb);
	}
	skb->uapi.vlan_present = 1;
	skb->uapi.vlan_tci = (uint16_t)r3;
	skb->uapi.vlan_proto = proto;
	return 0;
}

/* bpf_skb_vlan_pop(skb): the accelerated tag, else one in the frame */
HELPER_FN(skb_vlan_pop)
{
	struct exo_skb *skb = skb_of(run, r1);
	uint8_t *mac = skb_mac(skb);

	if (skb->uapi.vlan_present) {
		skb->uapi.vlan_present = 0;
		skb->uapi.vlan_tci = 0;
		skb->uapi.vlan_proto = 0;
		return 0;
	}
	if ((uint64_t)(uintptr_t)mac + 18 > skb->data_end ||
	    !((mac[12] == 0x81 && mac[13] == 0x00) || (mac[12] == 0x88 && mac[13] == 0xa8)))
		return 0;
	memmove(mac + 4, mac, 12);
	skb->headroom += 4;
	skb->data += 4;
	skb->data_meta = skb->data;
	skb->uapi.len -= 4;
	sync_pkt(run, skb);
	return 0;
}

/* bpf_skb_change_head(skb, len, flags): len zero bytes before the data,
 * which become the new link-layer header (the network header stays). */
HELPER_FN(skb_change_head)
{
	struct exo_skb *skb = skb_of(run, r1);
	uint32_t len = (uint32_t)r2, new_len = skb_len(skb) + len;
	uint64_t net;
	int err;

	if (r3 || new_len > pkt_skb_max_len(skb) || new_len < skb_len(skb))
		return (uint64_t)-EINVAL;
	if ((err = pkt_skb_grow(run, skb, len, 0)))
		return (uint64_t)(int64_t)err;
	net = (uintptr_t)skb->head + skb->headroom + skb->mac_len;
	skb->data -= len;
	skb->data_meta = skb->data;
	memset((void *)(uintptr_t)skb->data, 0, len);
	skb->headroom = (uint32_t)(skb->data - (uintptr_t)skb->head);
	skb->mac_len = (uint32_t)(net - skb->data);
	skb->uapi.len = new_len;
	sync_pkt(run, skb);
	return 0;
}

#define XDP_FRAME_SIZE 40 /* sizeof(struct xdp_frame): Linux keeps it at the head */

static struct exo_xdp *xdp_of(struct vm_run *run, uint64_t r1)
{
	return (struct exo_xdp *)(uintptr_t)(run->hook ? (uintptr_t)run->hook : r1);
}

/* bpf_xdp_adjust_head(xdp, offset) */
HELPER_FN(xdp_adjust_head)
{
	struct exo_xdp *x = xdp_of(run, r1);
	int64_t off = (int32_t)r2;
	uint64_t metalen = x->data - x->data_meta;
	uint64_t start = (uintptr_t)x->head + XDP_FRAME_SIZE + metalen;
	uint64_t data = x->data + (uint64_t)off;

	if (data < start || data > x->data_end - EXO_ETH_HLEN)
		return (uint64_t)-EINVAL;
	if (metalen)
		memmove((void *)(uintptr_t)(x->data_meta + (uint64_t)off),
			(const void *)(uintptr_t)x->data_meta, metalen);
	x->data_meta += (uint64_t)off;
	x->data = data;
	return 0;
}

/* bpf_xdp_adjust_meta(xdp, offset) */
HELPER_FN(xdp_adjust_meta)
{
	struct exo_xdp *x = xdp_of(run, r1);
	uint64_t meta = x->data_meta + (uint64_t)(int64_t)(int32_t)r2;
	uint64_t metalen = x->data - meta;

	if (meta < (uintptr_t)x->head + XDP_FRAME_SIZE || meta > x->data)
		return (uint64_t)-EINVAL;
	if (metalen > 32 || (metalen & 3))
		return (uint64_t)-EACCES;
	x->data_meta = meta;
	return 0;
}

/* bpf_get_socket_cookie(skb): no socket, cookie 0 */
HELPER_FN(get_socket_cookie)
{
	return 0;
}

/* Socket lookups find no socket; releasing a NULL-checked one is a no-op. */
HELPER_FN(sk_lookup_tcp)
{
	return 0;
}

HELPER_FN(sk_lookup_udp)
{
	return 0;
}

HELPER_FN(skc_lookup_tcp)
{
	return 0;
}

HELPER_FN(sk_release)
{
	return 0;
}

HELPER_FN(sk_fullsock)
{
	return 0;
}

HELPER_FN(tcp_sock)
{
	return 0;
}

HELPER_FN(get_listener_sock)
{
	return 0;
}
