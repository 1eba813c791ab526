/* Destination NAT (tc): UDP to 10.0.0.2:53 goes to 10.0.0.99:5353, the
 * IPv4 and UDP checksums fixed with bpf_l3/l4_csum_replace; rewrites are
 * counted in global data. Untagged IPv4 only (offsets are fixed). */
#include "hook_pkt.h"
#include <linux/pkt_cls.h>

#define IP_OFF	  ETH_HLEN
#define DADDR_OFF (IP_OFF + offsetof(struct iphdr, daddr))
#define CSUM_OFF  (IP_OFF + offsetof(struct iphdr, check))
#define UDP_OFF	  (IP_OFF + sizeof(struct iphdr))

__u64 rewritten;

SEC("tc")
int dnat(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	__be32 to_addr = bpf_htonl(0x0a000063), from_addr = bpf_htonl(0x0a000002);
	__be16 to_port = bpf_htons(5353);
	struct udphdr *u;
	struct pkt p;
	__be16 from_port;

	if (parse(data, end, &p) || !p.ip || p.vlans || p.ip->ihl != 5 ||
	    p.l4proto != IPPROTO_UDP || !p.l4)
		return TC_ACT_OK;
	u = p.l4;
	if ((void *)(u + 1) > end || p.ip->daddr != from_addr || u->dest != bpf_htons(53))
		return TC_ACT_OK;
	from_port = u->dest;
	bpf_l4_csum_replace(skb, UDP_OFF + offsetof(struct udphdr, check), from_addr, to_addr,
			    BPF_F_PSEUDO_HDR | BPF_F_MARK_MANGLED_0 | sizeof(to_addr));
	bpf_l4_csum_replace(skb, UDP_OFF + offsetof(struct udphdr, check), from_port, to_port,
			    BPF_F_MARK_MANGLED_0 | sizeof(to_port));
	bpf_l3_csum_replace(skb, CSUM_OFF, from_addr, to_addr, sizeof(to_addr));
	bpf_skb_store_bytes(skb, DADDR_OFF, &to_addr, sizeof(to_addr), 0);
	bpf_skb_store_bytes(skb, UDP_OFF + offsetof(struct udphdr, dest), &to_port,
			    sizeof(to_port), 0);
	__sync_fetch_and_add(&rewritten, 1);
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
