/* Program types: Linux's per-type context rules (net/core/filter.c's
 * *_is_valid_access, kernel/trace/bpf_trace.c's), return ranges and helper
 * groups, and test-run contexts built as BPF_PROG_TEST_RUN builds them. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <linux/if_packet.h>

#include "helpers/helpers.h"
#include "progtypes/progtypes.h"

#define SKB(f)	      offsetof(struct __sk_buff, f)
#define SKB_END(f)    (offsetof(struct __sk_buff, f) + sizeof(((struct __sk_buff *)0)->f))
#define IN(off, a, b) ((off) >= (int)(a) && (off) < (int)(b))
/* The whole field at f: bytes [SKB(f), SKB_END(f)). */
#define FIELD(off, f) IN(off, SKB(f), SKB_END(f))

static const struct pt_info infos[] = {
    {BPF_PROG_TYPE_SOCKET_FILTER, "socket_filter", HG_BASE | HG_SKB, false, false, true, true,
     false, 0},
    {BPF_PROG_TYPE_SCHED_CLS, "sched_cls", HG_BASE | HG_SKB | HG_TC, true, true, true, true, false,
     0},
    {BPF_PROG_TYPE_SCHED_ACT, "sched_act", HG_BASE | HG_SKB | HG_TC, true, true, true, true, false,
     0},
    {BPF_PROG_TYPE_CGROUP_SKB, "cgroup_skb", HG_BASE | HG_SKB | HG_CGROUP_SKB, true, false, true,
     true, false, 0},
    {BPF_PROG_TYPE_LWT_IN, "lwt_in", HG_BASE | HG_SKB, true, false, false, true, false, 0},
    {BPF_PROG_TYPE_LWT_OUT, "lwt_out", HG_BASE | HG_SKB, true, false, false, true, false, 0},
    {BPF_PROG_TYPE_LWT_XMIT, "lwt_xmit", HG_BASE | HG_SKB | HG_LWT_XMIT, true, true, false, true,
     false, 0},
    {BPF_PROG_TYPE_SK_SKB, "sk_skb", HG_BASE | HG_SKB, true, true, false, true, false, 0},
    {BPF_PROG_TYPE_XDP, "xdp", HG_BASE | HG_XDP, true, true, false, false, true, 0},
    {BPF_PROG_TYPE_KPROBE, "kprobe", HG_BASE | HG_TRACING, false, false, false, false, false,
     EXO_PT_REGS_SIZE},
    {BPF_PROG_TYPE_TRACEPOINT, "tracepoint", HG_BASE | HG_TRACING, false, false, false, false,
     false, EXO_TP_CTX_SIZE},
    {BPF_PROG_TYPE_RAW_TRACEPOINT, "raw_tracepoint", HG_BASE | HG_TRACING, false, false, false,
     false, false, EXO_RAW_TP_CTX_SIZE},
    {BPF_PROG_TYPE_PERF_EVENT, "perf_event", HG_BASE | HG_TRACING, false, false, false, false,
     false, EXO_PERF_EVENT_SIZE},
    /* the loader's test programs run as syscall programs: ctx_in is the context */
    {BPF_PROG_TYPE_SYSCALL, "syscall", HG_BASE, false, false, false, false, false,
     EXO_SYSCALL_CTX_SIZE},
};

const struct pt_info *pt_info(enum bpf_prog_type type)
{
	for (size_t i = 0; i < sizeof(infos) / sizeof(infos[0]); i++)
		if (infos[i].type == type)
			return &infos[i];
	return NULL;
}

static const char *const type_names[] = {
#define N(x) [BPF_PROG_TYPE_##x] = #x
    N(UNSPEC),
    N(SOCKET_FILTER),
    N(KPROBE),
    N(SCHED_CLS),
    N(SCHED_ACT),
    N(TRACEPOINT),
    N(XDP),
    N(PERF_EVENT),
    N(CGROUP_SKB),
    N(CGROUP_SOCK),
    N(LWT_IN),
    N(LWT_OUT),
    N(LWT_XMIT),
    N(SOCK_OPS),
    N(SK_SKB),
    N(CGROUP_DEVICE),
    N(SK_MSG),
    N(RAW_TRACEPOINT),
    N(CGROUP_SOCK_ADDR),
    N(LWT_SEG6LOCAL),
    N(LIRC_MODE2),
    N(SK_REUSEPORT),
    N(FLOW_DISSECTOR),
    N(CGROUP_SYSCTL),
    N(RAW_TRACEPOINT_WRITABLE),
    N(CGROUP_SOCKOPT),
    N(TRACING),
    N(STRUCT_OPS),
    N(EXT),
    N(LSM),
    N(SK_LOOKUP),
    N(SYSCALL),
#undef N
};

int pt_type_by_name(const char *name)
{
	if (!strncmp(name, "BPF_PROG_TYPE_", 14))
		name += 14;
	for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
		if (type_names[i] && !strcasecmp(type_names[i], name))
			return (int)i;
	return -1;
}

const char *pt_type_name(enum bpf_prog_type type)
{
	const struct pt_info *pt = pt_info(type);

	if (pt)
		return pt->name;
	if ((size_t)type < sizeof(type_names) / sizeof(type_names[0]) && type_names[type])
		return type_names[type];
	return "unknown";
}

/* Loads narrower than the field, at any power-of-two size (little-endian:
 * the same bytes sit at the same offsets). */
static bool narrow_ok(int size, int field)
{
	return size <= field && !(size & (size - 1));
}

/* Rules shared by every skb type (Linux's bpf_skb_is_valid_access). */
static bool skb_common(int off, int size, enum pt_access_type t, struct pt_access *acc)
{
	if (off < 0 || off >= (int)sizeof(struct __sk_buff))
		return false;
	if (off % size)
		return false;
	acc->rt_off = off;
	acc->rt_size = (uint8_t)size;
	if (IN(off, SKB(cb[0]), SKB_END(cb[4]))) {
		if (off + size > (int)SKB_END(cb[4]))
			return false;
		return true;
	}
	if (IN(off, SKB(remote_ip6[0]), SKB_END(local_ip6[3])) || FIELD(off, remote_ip4) ||
	    FIELD(off, local_ip4))
		return size == 4;
	if (FIELD(off, data) || FIELD(off, data_meta) || FIELD(off, data_end)) {
		if (size != 4)
			return false;
		acc->rt_size = 8;
		acc->rt_off = FIELD(off, data)	     ? (int)offsetof(struct exo_skb, data)
			      : FIELD(off, data_end) ? (int)offsetof(struct exo_skb, data_end)
						     : (int)offsetof(struct exo_skb, data_meta);
		return true;
	}
	if (IN(off, SKB(flow_keys), SKB(flow_keys) + 8))
		return false;
	if (FIELD(off, hwtstamp))
		return t == PT_READ && size == 8;
	if (FIELD(off, tstamp))
		return size == 8;
	if (IN(off, SKB(sk), SKB(sk) + 8)) {
		if (t == PT_WRITE || size != 8 || off != (int)SKB(sk))
			return false;
		acc->val = PT_SOCK_COMMON_OR_NULL;
		acc->rt_off = offsetof(struct exo_skb, sk);
		return true;
	}
	if (off == (int)SKB(tstamp_type))
		return false;
	if (IN(off, SKB(tstamp_type) + 1, SKB(hwtstamp)))
		return false; /* padding */
	if (t == PT_WRITE)
		return size == 4;
	acc->field_size = 4;
	return narrow_ok(size, 4);
}

static bool sk_filter_access(int off, int size, enum pt_access_type t, struct pt_access *acc)
{
	if (FIELD(off, tc_classid) || FIELD(off, data) || FIELD(off, data_meta) ||
	    FIELD(off, data_end) || IN(off, SKB(family), SKB_END(local_port)) ||
	    FIELD(off, tstamp) || FIELD(off, wire_len) || FIELD(off, hwtstamp))
		return false;
	if (t == PT_WRITE && !IN(off, SKB(cb[0]), SKB_END(cb[4])))
		return false;
	return skb_common(off, size, t, acc);
}

static bool cg_skb_access(int off, int size, enum pt_access_type t, bool priv,
			  struct pt_access *acc)
{
	if (FIELD(off, tc_classid) || FIELD(off, data_meta) || FIELD(off, wire_len))
		return false;
	if ((FIELD(off, data) || FIELD(off, data_end)) && !priv)
		return false;
	if (t == PT_WRITE) {
		if (FIELD(off, mark) || FIELD(off, priority) || IN(off, SKB(cb[0]), SKB_END(cb[4])))
			;
		else if (FIELD(off, tstamp)) {
			if (!priv)
				return false;
		} else
			return false;
	}
	if (FIELD(off, data))
		acc->val = PT_PKT;
	else if (FIELD(off, data_end))
		acc->val = PT_PKT_END;
	return skb_common(off, size, t, acc);
}

static bool tc_access(int off, int size, enum pt_access_type t, struct pt_access *acc)
{
	if (t == PT_WRITE && !(FIELD(off, mark) || FIELD(off, tc_index) || FIELD(off, priority) ||
			       FIELD(off, tc_classid) || IN(off, SKB(cb[0]), SKB_END(cb[4])) ||
			       FIELD(off, tstamp) || FIELD(off, queue_mapping)))
		return false;
	if (FIELD(off, data))
		acc->val = PT_PKT;
	else if (FIELD(off, data_meta))
		acc->val = PT_PKT_META;
	else if (FIELD(off, data_end))
		acc->val = PT_PKT_END;
	else if (IN(off, SKB(family), SKB_END(local_port)))
		return false;
	return skb_common(off, size, t, acc);
}

static bool lwt_access(int off, int size, enum pt_access_type t, struct pt_access *acc)
{
	if (FIELD(off, tc_classid) || IN(off, SKB(family), SKB_END(local_port)) ||
	    FIELD(off, data_meta) || FIELD(off, tstamp) || FIELD(off, wire_len) ||
	    FIELD(off, hwtstamp))
		return false;
	if (t == PT_WRITE &&
	    !(FIELD(off, mark) || FIELD(off, priority) || IN(off, SKB(cb[0]), SKB_END(cb[4]))))
		return false;
	if (FIELD(off, data))
		acc->val = PT_PKT;
	else if (FIELD(off, data_end))
		acc->val = PT_PKT_END;
	return skb_common(off, size, t, acc);
}

static bool sk_skb_access(int off, int size, enum pt_access_type t, struct pt_access *acc)
{
	if (FIELD(off, tc_classid) || FIELD(off, data_meta) || FIELD(off, tstamp) ||
	    FIELD(off, wire_len) || FIELD(off, hwtstamp))
		return false;
	if (t == PT_WRITE && !(FIELD(off, tc_index) || FIELD(off, priority)))
		return false;
	if (FIELD(off, mark))
		return false;
	if (FIELD(off, data))
		acc->val = PT_PKT;
	else if (FIELD(off, data_end))
		acc->val = PT_PKT_END;
	return skb_common(off, size, t, acc);
}

static bool xdp_access(int off, int size, enum pt_access_type t, enum bpf_attach_type eat,
		       struct pt_access *acc)
{
	if (eat != BPF_XDP_DEVMAP && off == (int)offsetof(struct xdp_md, egress_ifindex))
		return false;
	if (t == PT_WRITE)
		return false; /* only offloaded programs may write rx_queue_index */
	if (off < 0 || off >= (int)sizeof(struct xdp_md) || off % size || size != 4)
		return false;
	acc->rt_off = off;
	acc->rt_size = 4;
	switch (off) {
	case offsetof(struct xdp_md, data):
		acc->val = PT_PKT;
		acc->rt_off = offsetof(struct exo_xdp, data);
		acc->rt_size = 8;
		break;
	case offsetof(struct xdp_md, data_meta):
		acc->val = PT_PKT_META;
		acc->rt_off = offsetof(struct exo_xdp, data_meta);
		acc->rt_size = 8;
		break;
	case offsetof(struct xdp_md, data_end):
		acc->val = PT_PKT_END;
		acc->rt_off = offsetof(struct exo_xdp, data_end);
		acc->rt_size = 8;
		break;
	}
	return true;
}

static bool raw_access(const struct pt_info *pt, int off, int size, enum pt_access_type t,
		       struct pt_access *acc)
{
	acc->rt_off = off;
	acc->rt_size = (uint8_t)size;
	if (t != PT_READ)
		return false;
	switch (pt->type) {
	case BPF_PROG_TYPE_KPROBE:
		return off >= 0 && off < EXO_PT_REGS_SIZE && !(off % size) &&
		       off + size <= EXO_PT_REGS_SIZE;
	case BPF_PROG_TYPE_TRACEPOINT:
		/* the first 8 bytes are the tracepoint's common fields */
		return off >= 8 && off < EXO_TP_CTX_SIZE && !(off % size);
	case BPF_PROG_TYPE_RAW_TRACEPOINT:
		return off >= 0 && off < EXO_RAW_TP_CTX_SIZE && !(off % size);
	case BPF_PROG_TYPE_PERF_EVENT:
		if (off < 0 || off >= EXO_PERF_EVENT_SIZE || off % size)
			return false;
		if (off >= EXO_PT_REGS_SIZE) { /* sample_period, addr: u64, narrow ok */
			acc->field_size = 8;
			return narrow_ok(size, 8);
		}
		return size == 8;
	default:
		return false;
	}
}

bool pt_ctx_access(const struct pt_info *pt, enum bpf_attach_type eat, int off, int size,
		   enum pt_access_type t, bool privileged, struct pt_access *acc)
{
	memset(acc, 0, sizeof(*acc));
	if (size <= 0)
		return false;
	switch (pt->type) {
	case BPF_PROG_TYPE_SOCKET_FILTER:
		return sk_filter_access(off, size, t, acc);
	case BPF_PROG_TYPE_SCHED_CLS:
	case BPF_PROG_TYPE_SCHED_ACT:
		return tc_access(off, size, t, acc);
	case BPF_PROG_TYPE_CGROUP_SKB:
		return cg_skb_access(off, size, t, privileged, acc);
	case BPF_PROG_TYPE_LWT_IN:
	case BPF_PROG_TYPE_LWT_OUT:
	case BPF_PROG_TYPE_LWT_XMIT:
		return lwt_access(off, size, t, acc);
	case BPF_PROG_TYPE_SK_SKB:
		return sk_skb_access(off, size, t, acc);
	case BPF_PROG_TYPE_XDP:
		return xdp_access(off, size, t, eat, acc);
	case BPF_PROG_TYPE_SYSCALL: /* Linux's syscall_prog_is_valid_access: read or write */
		acc->rt_off = off;
		acc->rt_size = (uint8_t)size;
		return off >= 0 && off < EXO_SYSCALL_CTX_SIZE && !(off % size);
	default:
		return raw_access(pt, off, size, t, acc);
	}
}

bool pt_ret_range(const struct pt_info *pt, enum bpf_attach_type eat, struct tnum *range)
{
	switch (pt->type) {
	case BPF_PROG_TYPE_CGROUP_SKB:
		*range = eat == BPF_CGROUP_INET_EGRESS ? tnum_range(0, 3) : tnum_range(0, 1);
		return true;
	case BPF_PROG_TYPE_RAW_TRACEPOINT:
		if (!eat)
			return false;
		*range = tnum_const(0);
		return true;
	default:
		return false;
	}
}

/* ---- test-run contexts ---- */

static uint32_t be16_at(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

uint32_t pt_eth_protocol(const uint8_t *eth, uint32_t len)
{
	if (be16_at(eth + 12) >= 0x600)
		return (uint32_t)eth[12] | (uint32_t)eth[13] << 8;
	/* 802.3 frames: raw IPX (0xffff) or 802.2 LLC */
	if (len >= 16 && eth[14] == 0xff && eth[15] == 0xff)
		return 0x0100; /* htons(ETH_P_802_3) */
	return 0x0400;	       /* htons(ETH_P_802_2) */
}

/* Linux's eth_type_trans on the loopback device (address 00:00:00:00:00:00):
 * the packet type and the protocol as a __be16 read little-endian. */
static void eth_trans(const uint8_t *eth, uint32_t len, uint32_t *pkt_type, uint32_t *proto)
{
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	static const uint8_t zero[6];

	if (eth[0] & 1)
		*pkt_type = memcmp(eth, bcast, 6) ? PACKET_MULTICAST : PACKET_BROADCAST;
	else
		*pkt_type = memcmp(eth, zero, 6) ? PACKET_OTHERHOST : PACKET_HOST;
	*proto = pt_eth_protocol(eth, len);
}

static int build_skb(const struct pt_info *pt, const uint8_t *data, uint32_t size,
		     const void *ctx_in, uint32_t ctx_size_in, struct pt_run_ctx *rc,
		     const char **why)
{
	bool l2 = pt->type == BPF_PROG_TYPE_SCHED_CLS || pt->type == BPF_PROG_TYPE_SCHED_ACT;
	struct exo_skb *skb;
	uint8_t *buf;
	uint32_t off;

	if (size < EXO_ETH_HLEN) {
		*why = "data_size_in is smaller than an Ethernet header (14 bytes)";
		return -EINVAL;
	}
	if (ctx_size_in > sizeof(struct __sk_buff)) {
		*why = "ctx_size_in is larger than struct __sk_buff";
		return -EINVAL;
	}
	skb = calloc(1, sizeof(*skb));
	buf = calloc(1, (size_t)EXO_SKB_HEADROOM + size);
	if (!skb || !buf) {
		free(skb);
		free(buf);
		*why = "out of memory";
		return -ENOMEM;
	}
	memcpy(buf + EXO_SKB_HEADROOM, data, size);
	if (ctx_in && ctx_size_in)
		memcpy(&skb->uapi, ctx_in, ctx_size_in);
	skb->head = buf;
	skb->buf_size = EXO_SKB_HEADROOM + size;
	skb->headroom = EXO_SKB_HEADROOM;
	skb->mac_len = EXO_ETH_HLEN;
	eth_trans(data, size, &skb->uapi.pkt_type, &skb->uapi.protocol);
	/* Layer-3 types start at the network header, as Linux pulls the
	 * Ethernet header off before running them. */
	off = l2 ? 0 : EXO_ETH_HLEN;
	skb->data = (uintptr_t)(buf + EXO_SKB_HEADROOM + off);
	skb->data_meta = skb->data;
	skb->data_end = (uintptr_t)(buf + EXO_SKB_HEADROOM + size);
	skb->uapi.len = size - off;
	skb->uapi.ifindex = 1; /* loopback, where Linux's test runs attach */
	rc->ctx = skb;
	rc->ctx_size = sizeof(*skb);
	rc->skb = skb;
	rc->pkt = (uint8_t *)(uintptr_t)skb->data;
	rc->pkt_len = skb->uapi.len;
	rc->alloc = buf;
	return 0;
}

static int build_xdp(const uint8_t *data, uint32_t size, const void *ctx_in, uint32_t ctx_size_in,
		     struct pt_run_ctx *rc, const char **why)
{
	struct xdp_md md = {0};
	struct exo_xdp *x;
	uint8_t *buf;
	size_t frame;

	if (ctx_size_in > sizeof(md)) {
		*why = "ctx_size_in is larger than struct xdp_md";
		return -EINVAL;
	}
	if (ctx_in && ctx_size_in)
		memcpy(&md, ctx_in, ctx_size_in);
	if (md.data || md.data_end || md.data_meta > size) {
		*why = "xdp_md: data must be 0, data_end unset and data_meta within the data";
		return -EINVAL;
	}
	/* One page per frame as Linux's test run has it (bigger for jumbo
	 * frames, which Linux would split into fragments). */
	frame = EXO_XDP_HEADROOM + size + EXO_XDP_TAILROOM;
	if (frame < EXO_XDP_FRAME_SIZE)
		frame = EXO_XDP_FRAME_SIZE;
	x = calloc(1, sizeof(*x));
	buf = calloc(1, frame);
	if (!x || !buf) {
		free(x);
		free(buf);
		*why = "out of memory";
		return -ENOMEM;
	}
	if (size) /* no data at all is a NULL buffer */
		memcpy(buf + EXO_XDP_HEADROOM, data, size);
	x->head = buf;
	x->buf_size = (uint32_t)frame;
	x->frame_sz = (uint32_t)frame;
	x->data_meta = (uintptr_t)(buf + EXO_XDP_HEADROOM);
	x->data = x->data_meta + md.data_meta;
	x->data_end = (uintptr_t)(buf + EXO_XDP_HEADROOM + size);
	x->uapi.ingress_ifindex = md.ingress_ifindex ? md.ingress_ifindex : 1;
	x->uapi.rx_queue_index = md.rx_queue_index;
	rc->ctx = x;
	rc->ctx_size = sizeof(*x);
	rc->xdp = x;
	rc->pkt = (uint8_t *)(uintptr_t)x->data;
	rc->pkt_len = (uint32_t)(x->data_end - x->data);
	rc->alloc = buf;
	return 0;
}

int pt_run_ctx_build(const struct pt_info *pt, const void *data, uint32_t data_size,
		     const void *ctx_in, uint32_t ctx_size_in, struct pt_run_ctx *rc,
		     const char **why)
{
	memset(rc, 0, sizeof(*rc));
	*why = "";
	rc->pt = pt;
	if (pt->ctx_is_skb)
		return build_skb(pt, data, data_size, ctx_in, ctx_size_in, rc, why);
	if (pt->ctx_is_xdp)
		return build_xdp(data, data_size, ctx_in, ctx_size_in, rc, why);
	/* Raw contexts: ctx_in, or else data_in, as the context's bytes. */
	{
		const void *src = ctx_in && ctx_size_in ? ctx_in : data;
		uint32_t n = ctx_in && ctx_size_in ? ctx_size_in : data_size;
		uint8_t *ctx;

		if (n > pt->raw_ctx_size) {
			*why = "context input is larger than the program type's context";
			return -EINVAL;
		}
		ctx = calloc(1, pt->raw_ctx_size);
		if (!ctx) {
			*why = "out of memory";
			return -ENOMEM;
		}
		if (n)
			memcpy(ctx, src, n);
		rc->ctx = ctx;
		rc->ctx_size = pt->raw_ctx_size;
		return 0;
	}
}

void pt_run_ctx_out(const struct pt_info *pt, const struct pt_run_ctx *rc, void *data_out,
		    uint32_t *data_size_out, void *ctx_out, uint32_t *ctx_size_out)
{
	const void *ctx = rc->ctx;
	uint32_t csize = rc->ctx_size, n;

	if (pt->ctx_is_skb) {
		ctx = &rc->skb->uapi;
		csize = sizeof(rc->skb->uapi);
	} else if (pt->ctx_is_xdp) {
		ctx = &rc->xdp->uapi;
		csize = sizeof(rc->xdp->uapi);
	}
	if (data_out && data_size_out) {
		const uint8_t *from = rc->pkt;
		uint32_t len = rc->pkt_len, zeros = 0;

		if (pt->ctx_is_skb) {
			from = (const uint8_t *)(uintptr_t)rc->skb->data;
			len = (uint32_t)(rc->skb->data_end - rc->skb->data);
			/* Linux gives layer-3 types' output a link-layer header
			 * again: hard_header_len zero bytes before the data */
			if (pt->type != BPF_PROG_TYPE_SCHED_CLS &&
			    pt->type != BPF_PROG_TYPE_SCHED_ACT)
				zeros = EXO_ETH_HLEN;
		} else if (pt->ctx_is_xdp) {
			from = (const uint8_t *)(uintptr_t)rc->xdp->data;
			len = (uint32_t)(rc->xdp->data_end - rc->xdp->data);
		}
		n = *data_size_out < zeros ? *data_size_out : zeros;
		memset(data_out, 0, n);
		len = *data_size_out - n < len ? *data_size_out - n : len;
		if (from && len)
			memcpy((uint8_t *)data_out + n, from, len);
		*data_size_out = n + len;
	}
	if (ctx_out && ctx_size_out) {
		n = *ctx_size_out < csize ? *ctx_size_out : csize;
		memcpy(ctx_out, ctx, n);
		*ctx_size_out = n;
	}
}

void pt_run_ctx_free(struct pt_run_ctx *rc)
{
	if (rc->pt && rc->pt->ctx_is_skb && rc->skb->own)
		free(rc->skb->own); /* a helper grew the packet into it */
	free(rc->alloc);
	free(rc->ctx);
	memset(rc, 0, sizeof(*rc));
}
