/* One frame through one program, on a worker's execution slot.
 *
 * XDP programs see the frame as it was on the wire, VLAN tags inline (a
 * tag the capture socket reported separately is put back first). skb
 * programs see it as Linux's receive path hands it to tc ingress and packet
 * sockets: the outer VLAN tag taken off into vlan_tci (skb_vlan_untag), the
 * data starting at the MAC header; the tag goes back in front of the
 * payload when the packet is written or sent. */
#include <string.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>

#include "core/prog.h"
#include "hooks/exec.h"
#include "maps/map.h"

#define ETH_P_8021Q_  0x8100
#define ETH_P_8021AD_ 0x88a8

uint32_t hook_frame_size(uint32_t len)
{
	uint64_t need = (uint64_t)HOOK_HEADROOM + len + EXO_XDP_TAILROOM;

	if (need < EXO_XDP_FRAME_SIZE)
		return EXO_XDP_FRAME_SIZE;
	return (uint32_t)((need + 63) & ~(uint64_t)63);
}

void hook_exec_init(struct hook_exec *e, struct exobpf_prog *prog, uint32_t slot, bool checked)
{
	memset(e, 0, sizeof(*e));
	e->prog = prog;
	e->pt = pt_info(prog->type);
	e->xdp = prog->type == BPF_PROG_TYPE_XDP;
	e->sk_filter = prog->type == BPF_PROG_TYPE_SOCKET_FILTER;
	e->checked = checked;
	e->run.slot = slot;
	e->run.checked = checked;
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Put a tag back after the MAC addresses of the frame at *frame (room
 * before it is needed): the frame starts 4 bytes earlier. */
static void vlan_insert(uint8_t **frame, uint32_t *len, uint16_t proto, uint16_t tci)
{
	uint8_t *f = *frame - 4;

	memmove(f, f + 4, 12);
	put_be16(f + 12, proto);
	put_be16(f + 14, tci);
	*frame = f;
	*len += 4;
}

static void prepare_run(struct hook_exec *e, void *ctx, void *head, uint32_t size)
{
	struct vm_run *r = &e->run;

	r->prog = &e->prog->vm;
	r->tail_calls = 0;
	r->fault = VM_OK;
	r->hook = ctx;
	if (e->checked) {
		r->nregions = 0;
		r->executed = 0;
		vm_add_region(r, ctx, e->xdp ? sizeof(struct exo_xdp) : sizeof(struct exo_skb),
			      true);
		vm_add_region(r, head, size, true);
		for (uint32_t i = 0; i < e->prog->nr_maps; i++)
			exo_map_add_regions(e->prog->maps[i], r);
	}
}

/* A redirect's target: the port, every port of a device map, or none. */
static void take_redirect(const struct exo_redirect *rd, struct hook_verdict *v)
{
	v->action = EXOBPF_PKT_REDIRECT;
	v->port = rd->ifindex;
	v->broadcast = rd->map && (rd->flags & BPF_F_BROADCAST);
	v->map = rd->map;
	v->exclude_ingress = rd->flags & BPF_F_EXCLUDE_INGRESS;
	v->to_ingress = !rd->map && (rd->flags & BPF_F_INGRESS);
}

static void run_xdp(struct hook_exec *e, uint8_t *buf, uint32_t size, uint8_t *frame, uint32_t len,
		    const struct hook_meta *m, struct hook_verdict *v)
{
	struct exo_xdp *x = &e->ctx.xdp;
	uint64_t r0;

	memset(x, 0, sizeof(*x));
	x->uapi.ingress_ifindex = m->ifindex;
	x->data = (uintptr_t)frame;
	x->data_meta = x->data;
	x->data_end = x->data + len;
	x->head = buf;
	x->buf_size = size;
	x->frame_sz = size;
	prepare_run(e, x, buf, size);
	e->run.pkt = frame;
	e->run.pkt_len = len;
	r0 = vm_run(&e->run, (uintptr_t)x, 0);
	v->retval = (uint32_t)r0;
	v->data = (const uint8_t *)(uintptr_t)x->data;
	v->len = (uint32_t)(x->data_end - x->data);
	v->wire_len = v->len;
	if (e->run.fault) {
		v->fault = true;
		v->action = EXOBPF_PKT_ABORTED;
		return;
	}
	switch (v->retval) {
	case XDP_DROP:
		v->action = EXOBPF_PKT_DROP;
		break;
	case XDP_PASS:
		v->action = EXOBPF_PKT_PASS;
		break;
	case XDP_TX:
		v->action = EXOBPF_PKT_TX;
		v->port = m->ifindex;
		break;
	case XDP_REDIRECT:
		take_redirect(&x->redir, v);
		break;
	default: /* XDP_ABORTED, and actions Linux warns about and drops */
		v->action = EXOBPF_PKT_ABORTED;
		break;
	}
}

/* cls_bpf in direct-action mode knows OK, SHOT, STOLEN, TRAP, REDIRECT and
 * UNSPEC; anything else is UNSPEC, which (no further filter) passes. */
static enum exobpf_pkt_action tc_action(int32_t r0)
{
	switch (r0) {
	case TC_ACT_SHOT:
	case TC_ACT_STOLEN:
	case TC_ACT_TRAP:
		return EXOBPF_PKT_DROP;
	case TC_ACT_REDIRECT:
		return EXOBPF_PKT_REDIRECT;
	default:
		return EXOBPF_PKT_PASS;
	}
}

static void run_skb(struct hook_exec *e, uint8_t *buf, uint32_t size, uint8_t *frame, uint32_t len,
		    const struct hook_meta *m, struct hook_verdict *v)
{
	struct exo_skb *s = &e->ctx.skb;
	uint8_t *out;
	uint32_t out_len;
	uint64_t r0;

	memset(s, 0, sizeof(*s));
	if (m->vlan_present) {
		s->uapi.vlan_present = 1;
		s->uapi.vlan_tci = m->vlan_tci;
		s->uapi.vlan_proto = (uint32_t)(m->vlan_proto >> 8 | (m->vlan_proto & 0xff) << 8);
	} else if (len >= 18 &&
		   (be16(frame + 12) == ETH_P_8021Q_ || be16(frame + 12) == ETH_P_8021AD_)) {
		/* skb_vlan_untag: the outer tag into the skb */
		s->uapi.vlan_present = 1;
		s->uapi.vlan_proto = (uint32_t)frame[12] | (uint32_t)frame[13] << 8;
		s->uapi.vlan_tci = be16(frame + 14);
		memmove(frame + 4, frame, 12);
		frame += 4;
		len -= 4;
	}
	s->uapi.len = len;
	s->uapi.pkt_type = m->pkt_type;
	s->uapi.protocol = pt_eth_protocol(frame, len);
	s->uapi.ingress_ifindex = m->ifindex;
	s->uapi.ifindex = m->ifindex;
	s->uapi.hash = m->hash;
	s->uapi.tstamp = m->ts_ns;
	s->uapi.wire_len = m->wire_len;
	s->data = (uintptr_t)frame;
	s->data_meta = s->data;
	s->data_end = s->data + len;
	s->head = buf;
	s->headroom = (uint32_t)(frame - buf);
	s->buf_size = size;
	s->mac_len = EXO_ETH_HLEN;
	s->max_len = m->max_len;
	prepare_run(e, s, buf, size);
	e->run.pkt = frame;
	e->run.pkt_len = len;
	r0 = vm_run(&e->run, (uintptr_t)s, 0);
	v->retval = (uint32_t)r0;
	v->own = s->own;
	/* the frame as it leaves: from the MAC header, the tag put back */
	out = s->head + s->headroom;
	out_len = (uint32_t)(s->data_end - (uintptr_t)out);
	v->wire_len = out_len + (s->uapi.vlan_present ? 4 : 0);
	if (e->sk_filter && v->retval < out_len)
		out_len = v->retval; /* the snap length */
	if (s->uapi.vlan_present && out_len >= 12 && out - s->head >= 4) {
		uint16_t proto =
		    (uint16_t)(s->uapi.vlan_proto >> 8 | (s->uapi.vlan_proto & 0xff) << 8);

		vlan_insert(&out, &out_len, proto, (uint16_t)s->uapi.vlan_tci);
	}
	v->data = out;
	v->len = out_len;
	if (e->run.fault) {
		v->fault = true;
		v->action = EXOBPF_PKT_ABORTED;
		return;
	}
	if (e->sk_filter) {
		v->action = v->retval ? EXOBPF_PKT_PASS : EXOBPF_PKT_DROP;
		return;
	}
	v->action = tc_action((int32_t)v->retval);
	if (v->action == EXOBPF_PKT_REDIRECT)
		take_redirect(&s->redir, v);
}

void hook_exec_packet(struct hook_exec *e, uint8_t *buf, uint32_t size, uint32_t len,
		      const struct hook_meta *m, struct hook_verdict *v)
{
	uint8_t *frame = buf + HOOK_HEADROOM;

	memset(v, 0, sizeof(*v));
	if (e->xdp) {
		if (m->vlan_present) /* XDP runs before the receive path takes tags off */
			vlan_insert(&frame, &len, m->vlan_proto, m->vlan_tci);
		run_xdp(e, buf, size, frame, len, m, v);
	} else {
		run_skb(e, buf, size, frame, len, m, v);
	}
}
