/* Encapsulation (XDP): IPv4 frames get an outer IPv4 + UDP header pushed
 * in front (bpf_xdp_adjust_head), its checksum computed with
 * bpf_csum_diff; Ethernet padding after the inner datagram is cut off
 * first (bpf_xdp_adjust_tail). Sent back out: XDP_TX. */
#include "hook_pkt.h"

#define OUTER (sizeof(struct iphdr) + sizeof(struct udphdr))

SEC("xdp")
int encap(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr eth, *neth;
	struct iphdr *oip;
	struct udphdr *ou;
	struct pkt p;
	__u32 inner, frame;
	__s64 csum;

	if (parse(data, end, &p) || !p.ip || p.vlans)
		return XDP_PASS;
	inner = bpf_ntohs(p.ip->tot_len);
	frame = (__u32)(end - data);
	if (inner < sizeof(struct iphdr) || inner > 1400 || ETH_HLEN + inner > frame)
		return XDP_DROP;
	__builtin_memcpy(&eth, p.eth, sizeof(eth)); /* packet pointers die in the helpers */
	if (ETH_HLEN + inner < frame &&
	    bpf_xdp_adjust_tail(ctx, (int)(ETH_HLEN + inner) - (int)frame))
		return XDP_ABORTED;
	if (bpf_xdp_adjust_head(ctx, -(int)OUTER))
		return XDP_ABORTED;
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	neth = data;
	oip = (void *)(neth + 1);
	ou = (void *)(oip + 1);
	if ((void *)(ou + 1) > end)
		return XDP_ABORTED;
	__builtin_memcpy(neth, &eth, sizeof(eth));
	oip->version = 4;
	oip->ihl = 5;
	oip->tos = 0;
	oip->tot_len = bpf_htons(inner + OUTER);
	oip->id = 0;
	oip->frag_off = bpf_htons(0x4000);
	oip->ttl = 64;
	oip->protocol = IPPROTO_UDP;
	oip->check = 0;
	oip->saddr = bpf_htonl(0xc0000201); /* 192.0.2.1 */
	oip->daddr = bpf_htonl(0xc0000202);
	csum = bpf_csum_diff(0, 0, (__be32 *)oip, sizeof(*oip), 0);
	if (csum < 0)
		return XDP_ABORTED;
	csum = (csum & 0xffff) + (csum >> 16);
	csum = (csum & 0xffff) + (csum >> 16);
	oip->check = (__u16)~csum;
	ou->source = bpf_htons(4000);
	ou->dest = bpf_htons(4789);
	ou->len = bpf_htons(inner + sizeof(struct udphdr));
	ou->check = 0;
	return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
