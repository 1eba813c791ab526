/* XDP helpers beyond src/progtypes/pkt_helpers.c, and the redirect helpers
 * of XDP and tc, with Linux's semantics (net/core/filter.c). exobpf's XDP
 * buffers are single-buffer (no fragments). */
#include <errno.h>
#include <string.h>
#include <linux/pkt_cls.h>

#include "helpers/helpers.h"
#include "hooks/pkt.h"
#include "maps/map.h"

static struct exo_xdp *xdp_of(struct vm_run *run, uint64_t r1)
{
	return (struct exo_xdp *)(uintptr_t)(run->hook ? (uintptr_t)run->hook : r1);
}

static uint32_t xdp_len(const struct exo_xdp *x)
{
	return (uint32_t)(x->data_end - x->data);
}

/* bpf_xdp_adjust_tail(xdp, offset): move data_end within the frame, never
 * into the shared info Linux keeps at its end, never below an Ethernet
 * header; grown bytes are zeroed (they could hold a previous packet). */
HELPER_FN(xdp_adjust_tail)
{
	struct exo_xdp *x = xdp_of(run, r1);
	int64_t off = (int32_t)r2;
	uint64_t hard_end = (uintptr_t)x->head + x->frame_sz - EXO_XDP_TAILROOM;
	uint64_t end = x->data_end + (uint64_t)off;

	if (end > hard_end || end < x->data + EXO_ETH_HLEN)
		return (uint64_t)-EINVAL;
	if (off > 0)
		memset((void *)(uintptr_t)x->data_end, 0, (size_t)off);
	x->data_end = end;
	return 0;
}

/* bpf_xdp_get_buff_len(xdp): no fragments, so the linear length */
HELPER_FN(xdp_get_buff_len)
{
	return xdp_len(xdp_of(run, r1));
}

/* Linux's bpf_xdp_pointer checks, shared by load and store. */
static long xdp_range(const struct exo_xdp *x, uint32_t off, uint32_t len)
{
	if (off > 0xffff || len > 0xffff)
		return -EFAULT;
	if ((uint64_t)off + len > xdp_len(x))
		return -EINVAL;
	return 0;
}

/* bpf_xdp_load_bytes(xdp, offset, buf, len) */
HELPER_FN(xdp_load_bytes)
{
	struct exo_xdp *x = xdp_of(run, r1);
	long err = xdp_range(x, (uint32_t)r2, (uint32_t)r4);

	if (!pkt_mem_ok(run, r3, (uint32_t)r4, true, "bpf_xdp_load_bytes"))
		return 0;
	if (err)
		return (uint64_t)err;
	memcpy((void *)(uintptr_t)r3, (const uint8_t *)(uintptr_t)x->data + (uint32_t)r2,
	       (uint32_t)r4);
	return 0;
}

/* bpf_xdp_store_bytes(xdp, offset, buf, len) */
HELPER_FN(xdp_store_bytes)
{
	struct exo_xdp *x = xdp_of(run, r1);
	long err = xdp_range(x, (uint32_t)r2, (uint32_t)r4);

	if (!pkt_mem_ok(run, r3, (uint32_t)r4, false, "bpf_xdp_store_bytes"))
		return 0;
	if (err)
		return (uint64_t)err;
	memmove((uint8_t *)(uintptr_t)x->data + (uint32_t)r2, (const void *)(uintptr_t)r3,
		(uint32_t)r4);
	return 0;
}

/* The packet's redirect state, whichever context the program has. */
static struct exo_redirect *redir_of(struct vm_run *run)
{
	if (!run->hook)
		return NULL;
	if (pkt_ctx_is_xdp(run))
		return &((struct exo_xdp *)run->hook)->redir;
	return &((struct exo_skb *)run->hook)->redir;
}

/* bpf_redirect(ifindex, flags): XDP allows no flags (else XDP_ABORTED),
 * tc only BPF_F_INGRESS (else TC_ACT_SHOT). The redirect happens when the
 * program returns XDP_REDIRECT / TC_ACT_REDIRECT. */
HELPER_FN(redirect)
{
	struct exo_redirect *rd = redir_of(run);
	bool xdp = pkt_ctx_is_xdp(run);

	if (xdp ? r2 != 0 : (r2 & ~(uint64_t)BPF_F_INGRESS) != 0)
		return xdp ? XDP_ABORTED : (uint64_t)TC_ACT_SHOT;
	if (rd)
		*rd = (struct exo_redirect){.ifindex = (uint32_t)r1, .flags = (uint32_t)r2};
	return xdp ? XDP_REDIRECT : TC_ACT_REDIRECT;
}

/* bpf_redirect_map(map, key, flags): the entry is looked up now; a missing
 * one returns the action in flags' low bits (and clears the state, so the
 * last call wins). BPF_F_BROADCAST sends to every entry of the map. */
HELPER_FN(redirect_map)
{
	const uint64_t action_mask = XDP_ABORTED | XDP_DROP | XDP_PASS | XDP_TX;
	const uint64_t flag_mask = BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS;
	struct exo_redirect *rd = redir_of(run);
	struct exo_map *map = (struct exo_map *)(uintptr_t)r1;
	uint32_t key = (uint32_t)r2;
	const uint32_t *val;

	if (!helper_map_args_ok(run, "bpf_redirect_map", r1, 0, 0, false))
		return 0;
	if (r3 & ~(action_mask | flag_mask))
		return XDP_ABORTED;
	val = exo_map_lookup(map, &key, run->slot);
	if (!val && !(r3 & BPF_F_BROADCAST)) {
		if (rd)
			*rd = (struct exo_redirect){0};
		return r3 & action_mask;
	}
	if (rd)
		*rd = (struct exo_redirect){
		    .ifindex = val ? __atomic_load_n(val, __ATOMIC_RELAXED) : 0,
		    .flags = (uint32_t)(r3 & BPF_F_BROADCAST ? r3 & flag_mask : 0),
		    .map = r3 & BPF_F_BROADCAST ? map : NULL};
	return XDP_REDIRECT;
}
