/* skb helpers beyond src/progtypes/pkt_helpers.c, with Linux's semantics
 * (net/core/filter.c) on exobpf's skb: checksum replacement, resizing the
 * tail, pulling data, loads relative to a header, the hash and the packet
 * type. exobpf's skbs are always linear and carry no checksum state
 * (CHECKSUM_NONE, as BPF_PROG_TEST_RUN's), so the checksum helpers always
 * take Linux's CHECKSUM_NONE paths. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/if_packet.h>

#include "helpers/helpers.h"
#include "hooks/csum.h"
#include "hooks/pkt.h"

#define ENOTSUPP_	524    /* Linux's internal ENOTSUPP */
#define SKB_MAX_LEN_LO	65550  /* lo: MTU 65536 + its 14-byte link header */
#define CSUM_MANGLED_0_ 0xffff /* what a UDP checksum of 0 is written as */

static struct exo_skb *skb_of(struct vm_run *run, uint64_t r1)
{
	return (struct exo_skb *)(uintptr_t)(run->hook ? (uintptr_t)run->hook : r1);
}

static uint32_t skb_len(const struct exo_skb *skb)
{
	return (uint32_t)(skb->data_end - skb->data);
}

bool pkt_mem_ok(struct vm_run *run, uint64_t addr, uint64_t size, bool write, const char *helper)
{
	if (vm_mem_ok(run, (uintptr_t)addr, size, write))
		return true;
	vm_fail(run, VM_FAULT_HELPER_ARG, "%s: %llu bytes at 0x%llx are not the program's", helper,
		(unsigned long long)size, (unsigned long long)addr);
	return false;
}

bool pkt_ctx_is_xdp(const struct vm_run *run)
{
	return run->prog && run->prog->type == BPF_PROG_TYPE_XDP;
}

uint32_t pkt_skb_max_len(const struct exo_skb *skb)
{
	return skb->max_len ? skb->max_len : SKB_MAX_LEN_LO;
}

void pkt_skb_sync(struct vm_run *run, const struct exo_skb *skb)
{
	run->pkt = (const uint8_t *)(uintptr_t)skb->data;
	run->pkt_len = skb_len(skb);
}

int pkt_skb_grow(struct vm_run *run, struct exo_skb *skb, uint32_t head, uint32_t tail)
{
	uint64_t pre = skb->data - (uintptr_t)skb->head;
	uint64_t post = (uintptr_t)skb->head + skb->buf_size - skb->data_end;
	uint64_t len = skb_len(skb), new_pre, new_post, size, shift;
	uint8_t *buf;
	intptr_t delta;

	if (pre >= head && post >= tail)
		return 0;
	/* room for a few more pushes or pulls, as Linux's reallocations keep */
	new_pre = pre >= head ? pre : (uint64_t)head + 64;
	new_post = post >= tail ? post : (uint64_t)tail + 64;
	size = new_pre + len + new_post;
	if (size > UINT32_MAX / 2 || !(buf = calloc(1, size)))
		return -ENOMEM;
	shift = new_pre - pre;
	memcpy(buf + shift, skb->head, pre + len);
	delta = (intptr_t)(buf + shift) - (intptr_t)skb->head;
	free(skb->own);
	skb->own = buf;
	skb->head = buf;
	skb->buf_size = (uint32_t)size;
	skb->headroom += (uint32_t)shift;
	skb->data += (uint64_t)delta;
	skb->data_end += (uint64_t)delta;
	skb->data_meta += (uint64_t)delta;
	if (run->checked && !vm_add_region(run, buf, size, true))
		return -ENOMEM;
	pkt_skb_sync(run, skb);
	return 0;
}

/* The 16-bit checksum field at offset, if writable (Linux: offset even,
 * inside the packet), else NULL with *err set. */
static uint16_t *csum_field(struct exo_skb *skb, uint32_t offset, long *err)
{
	if (offset > 0xffff || (offset & 1) || (uint64_t)offset + 2 > skb_len(skb)) {
		*err = -EFAULT;
		return NULL;
	}
	return (uint16_t *)(uintptr_t)(skb->data + offset);
}

static uint16_t load16(const uint16_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

static void store16(uint16_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

/* *sum adjusted for a 32-bit field changing from `from` to `to`, or by a
 * precomputed difference (Linux's csum_replace4, csum_replace_by_diff). */
static uint16_t replace4(uint16_t sum, uint32_t from, uint32_t to)
{
	return pkt_csum_fold(pkt_csum_add(pkt_csum_sub((uint16_t)~sum, from), to));
}

static uint16_t replace_by_diff(uint16_t sum, uint32_t diff)
{
	return pkt_csum_fold(pkt_csum_add(diff, (uint16_t)~sum));
}

/* bpf_l3_csum_replace(skb, offset, from, to, flags): flags' low bits give
 * the field's size (0: `to` is a csum_diff result). */
HELPER_FN(l3_csum_replace)
{
	struct exo_skb *skb = skb_of(run, r1);
	long err = 0;
	uint16_t *p, sum;

	if (r5 & ~(uint64_t)BPF_F_HDR_FIELD_MASK)
		return (uint64_t)-EINVAL;
	if (!(p = csum_field(skb, (uint32_t)r2, &err)))
		return (uint64_t)err;
	sum = load16(p);
	switch (r5 & BPF_F_HDR_FIELD_MASK) {
	case 0:
		if (r3)
			return (uint64_t)-EINVAL;
		sum = replace_by_diff(sum, (uint32_t)r4);
		break;
	case 2: /* Linux's csum_replace2: 16-bit ones' complement arithmetic */
		sum = (uint16_t)~pkt_csum16_add(pkt_csum16_add((uint16_t)~sum, (uint16_t)~r3),
						(uint16_t)r4);
		break;
	case 4:
		sum = replace4(sum, (uint32_t)r3, (uint32_t)r4);
		break;
	default:
		return (uint64_t)-EINVAL;
	}
	store16(p, sum);
	return 0;
}

/* bpf_l4_csum_replace(skb, offset, from, to, flags): as l3, plus UDP's
 * "zero means no checksum" marks. BPF_F_PSEUDO_HDR changes nothing for a
 * CHECKSUM_NONE skb. */
HELPER_FN(l4_csum_replace)
{
	struct exo_skb *skb = skb_of(run, r1);
	bool mmzero = r5 & BPF_F_MARK_MANGLED_0, force = r5 & BPF_F_MARK_ENFORCE;
	long err = 0;
	uint16_t *p, sum;

	if (r5 & ~(uint64_t)(BPF_F_MARK_MANGLED_0 | BPF_F_MARK_ENFORCE | BPF_F_PSEUDO_HDR |
			     BPF_F_HDR_FIELD_MASK))
		return (uint64_t)-EINVAL;
	if (!(p = csum_field(skb, (uint32_t)r2, &err)))
		return (uint64_t)err;
	sum = load16(p);
	if (mmzero && !force && !sum)
		return 0;
	switch (r5 & BPF_F_HDR_FIELD_MASK) {
	case 0:
		if (r3)
			return (uint64_t)-EINVAL;
		sum = replace_by_diff(sum, (uint32_t)r4);
		break;
	case 2: /* Linux widens 16-bit fields to 32 here */
		sum = replace4(sum, (uint16_t)r3, (uint16_t)r4);
		break;
	case 4:
		sum = replace4(sum, (uint32_t)r3, (uint32_t)r4);
		break;
	default:
		return (uint64_t)-EINVAL;
	}
	if (mmzero && !sum)
		sum = CSUM_MANGLED_0_;
	store16(p, sum);
	return 0;
}

/* Linux's __bpf_skb_min_len: the bytes up to the network header. */
static uint32_t skb_min_len(const struct exo_skb *skb)
{
	uint64_t net = (uintptr_t)skb->head + skb->headroom + skb->mac_len;

	return net > skb->data ? (uint32_t)(net - skb->data) : 0;
}

/* bpf_skb_change_tail(skb, len, flags): trim, or grow with zeros. */
HELPER_FN(skb_change_tail)
{
	struct exo_skb *skb = skb_of(run, r1);
	uint32_t new_len = (uint32_t)r2, len = skb_len(skb);
	int err;

	if (r3 || new_len > pkt_skb_max_len(skb) || new_len < skb_min_len(skb))
		return (uint64_t)-EINVAL;
	if (new_len > len) {
		if ((err = pkt_skb_grow(run, skb, 0, new_len - len)))
			return (uint64_t)(int64_t)err;
		memset((void *)(uintptr_t)skb->data_end, 0, new_len - len);
	}
	skb->data_end = skb->data + new_len;
	skb->uapi.len = new_len;
	pkt_skb_sync(run, skb);
	return 0;
}

/* bpf_skb_pull_data(skb, len): exobpf's skbs are linear already, so only
 * the bounds matter. */
HELPER_FN(skb_pull_data)
{
	struct exo_skb *skb = skb_of(run, r1);

	if ((uint32_t)r2 > skb_len(skb))
		return (uint64_t)-ENOMEM;
	pkt_skb_sync(run, skb);
	return 0;
}

/* bpf_skb_load_bytes_relative(skb, offset, to, len, start_header) */
HELPER_FN(skb_load_bytes_relative)
{
	struct exo_skb *skb = skb_of(run, r1);
	uint32_t off = (uint32_t)r2, len = (uint32_t)r4;
	const uint8_t *mac = skb->head + skb->headroom, *from;

	if (!pkt_mem_ok(run, r3, len, true, "bpf_skb_load_bytes_relative"))
		return 0;
	if (off > 0xffff || r5 > BPF_HDR_START_NET)
		goto fail;
	from = (r5 == BPF_HDR_START_MAC ? mac : mac + skb->mac_len) + off;
	if ((uintptr_t)from + len > skb->data_end)
		goto fail;
	memcpy((void *)(uintptr_t)r3, from, len);
	return 0;
fail:
	memset((void *)(uintptr_t)r3, 0, len);
	return (uint64_t)-EFAULT;
}

/* bpf_set_hash(skb, hash) and bpf_set_hash_invalid(skb) */
HELPER_FN(set_hash)
{
	skb_of(run, r1)->uapi.hash = (uint32_t)r2;
	return 0;
}

HELPER_FN(set_hash_invalid)
{
	skb_of(run, r1)->uapi.hash = 0;
	return 0;
}

/* bpf_skb_change_type(skb, type): only between the receive-side types */
HELPER_FN(skb_change_type)
{
	struct exo_skb *skb = skb_of(run, r1);

	if (skb->uapi.pkt_type > PACKET_OTHERHOST || r2 > PACKET_OTHERHOST)
		return (uint64_t)-EINVAL;
	skb->uapi.pkt_type = (uint32_t)r2;
	return 0;
}
