/* Packet parsing shared by the hooks' test programs: Ethernet, up to two
 * VLAN tags, IPv4 (any header length) or IPv6, and the transport header's
 * start, with every access bounds-checked as the verifier demands. */
#ifndef EXOBPF_TEST_HOOK_PKT_H
#define EXOBPF_TEST_HOOK_PKT_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

/* <linux/icmp.h> pulls in libc's socket headers, which -target bpf lacks */
struct icmp_hdr {
	__u8 type, code;
	__sum16 checksum;
	__be16 id, seq;
};
#define ICMP_ECHOREPLY_ 0
#define ICMP_ECHO_	8

struct vlan_tag {
	__be16 tci;
	__be16 proto;
};

struct pkt {
	void *end;
	struct ethhdr *eth;
	struct iphdr *ip;    /* NULL unless IPv4 */
	struct ipv6hdr *ip6; /* NULL unless IPv6 */
	void *l4;	     /* NULL when there is none to read */
	__u16 proto;	     /* innermost EtherType, host order */
	__u8 l4proto;
	__u8 vlans;
};

/* 0, or -1 for a frame too short for what its headers claim. */
static __always_inline int parse(void *data, void *end, struct pkt *p)
{
	struct ethhdr *eth = data;
	void *l3;

	__builtin_memset(p, 0, sizeof(*p));
	p->end = end;
	if ((void *)(eth + 1) > end)
		return -1;
	p->eth = eth;
	p->proto = bpf_ntohs(eth->h_proto);
	l3 = eth + 1;
#pragma unroll
	for (int i = 0; i < 2; i++) {
		struct vlan_tag *t = l3;

		if (p->proto != ETH_P_8021Q && p->proto != ETH_P_8021AD)
			break;
		if ((void *)(t + 1) > end)
			return -1;
		p->vlans++;
		p->proto = bpf_ntohs(t->proto);
		l3 = t + 1;
	}
	if (p->proto == ETH_P_IP) {
		struct iphdr *ip = l3;

		if ((void *)(ip + 1) > end || ip->ihl < 5)
			return -1;
		p->ip = ip;
		p->l4proto = ip->protocol;
		/* later fragments carry no transport header */
		if (!(ip->frag_off & bpf_htons(0x1fff)))
			p->l4 = (void *)ip + ip->ihl * 4;
	} else if (p->proto == ETH_P_IPV6) {
		struct ipv6hdr *ip6 = l3;

		if ((void *)(ip6 + 1) > end)
			return -1;
		p->ip6 = ip6;
		p->l4proto = ip6->nexthdr;
		p->l4 = ip6 + 1;
	}
	return 0;
}

/* Add one to map[key], creating it; safe when several threads race. */
static __always_inline void bump(void *map, const void *key)
{
	__u64 one = 1, *v = bpf_map_lookup_elem(map, key);

	if (v) {
		__sync_fetch_and_add(v, 1);
		return;
	}
	if (bpf_map_update_elem(map, key, &one, BPF_NOEXIST)) {
		v = bpf_map_lookup_elem(map, key);
		if (v)
			__sync_fetch_and_add(v, 1);
	}
}

#endif
