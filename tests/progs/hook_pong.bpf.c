/* An ICMP echo responder (XDP): turn an echo request into its reply in
 * place (addresses swapped, type changed, TTL reset) with both checksums
 * updated incrementally (RFC 1624), and send it back out: XDP_TX. */
#include "hook_pkt.h"

/* ~(~sum + ~old + new), for one 16-bit word changing from old to new */
static __always_inline __u16 csum_fix(__u16 sum, __u16 old, __u16 new)
{
	__u32 s = (__u16)~bpf_ntohs(sum) + (__u16)~old + (__u32) new;

	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return bpf_htons((__u16)~s);
}

SEC("xdp")
int pong(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	unsigned char mac[ETH_ALEN];
	struct icmp_hdr *icmp;
	struct pkt p;
	__be32 a;
	__u16 old;

	if (parse(data, end, &p) || !p.ip || p.l4proto != IPPROTO_ICMP || !p.l4)
		return XDP_PASS;
	icmp = p.l4;
	if ((void *)(icmp + 1) > end || icmp->type != ICMP_ECHO_)
		return XDP_PASS;
	__builtin_memcpy(mac, p.eth->h_dest, ETH_ALEN);
	__builtin_memcpy(p.eth->h_dest, p.eth->h_source, ETH_ALEN);
	__builtin_memcpy(p.eth->h_source, mac, ETH_ALEN);
	a = p.ip->saddr;
	p.ip->saddr = p.ip->daddr;
	p.ip->daddr = a;
	old = bpf_ntohs(*(__be16 *)&p.ip->ttl); /* TTL and protocol share a word */
	p.ip->ttl = 64;
	p.ip->check = csum_fix(p.ip->check, old, bpf_ntohs(*(__be16 *)&p.ip->ttl));
	old = (__u16)(icmp->type << 8 | icmp->code);
	icmp->type = ICMP_ECHOREPLY_;
	icmp->checksum = csum_fix(icmp->checksum, old, (__u16)(icmp->type << 8 | icmp->code));
	return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
