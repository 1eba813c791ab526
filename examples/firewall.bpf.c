/* The demo's XDP program: a small firewall in front of 10.0.0.0/16.
 *
 *   - pings to the firewall itself (10.0.0.1) are answered on the spot
 *     (the frame turned into an echo reply and sent back: XDP_TX);
 *   - telnet (23) and SMB (445) are dropped;
 *   - a source sending SYNs to more than 8 ports is a scanner: its packets
 *     are dropped from then on;
 *   - everything else passes.
 *
 * It counts packets and bytes per protocol (a per-CPU array: each worker
 * thread its own slot, summed by the reader) and per destination port (a
 * hash map), and reports notable events through a ring buffer. Built with
 * clang -target bpf against libbpf's headers, like any XDP program; the
 * same object loads into Linux. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "firewall.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FW_PROTO__MAX);
	__type(key, __u32);
	__type(value, struct fw_count);
} proto_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u16); /* destination port, host order */
	__type(value, struct fw_count);
} port_stats SEC(".maps");

/* Distinct ports each source sent SYNs to (a bitmap of port % 64). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
} syn_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u32); /* IPv4 source, network order */
	__type(value, __u64);
} scanners SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} events SEC(".maps");

struct icmphdr_ {
	__u8 type, code;
	__sum16 checksum;
	__be16 id, seq;
};

static __always_inline void count(struct fw_count *c, __u64 bytes, int shared)
{
	if (!c)
		return;
	if (shared) { /* several workers may hit the same port at once */
		__sync_fetch_and_add(&c->packets, 1);
		__sync_fetch_and_add(&c->bytes, bytes);
	} else { /* a per-CPU slot belongs to this worker alone */
		c->packets++;
		c->bytes += bytes;
	}
}

static __always_inline void proto(__u32 p, __u64 bytes)
{
	count(bpf_map_lookup_elem(&proto_stats, &p), bytes, 0);
}

static __always_inline void port(__u16 p, __u64 bytes)
{
	struct fw_count *c = bpf_map_lookup_elem(&port_stats, &p), zero = {};

	if (!c) {
		bpf_map_update_elem(&port_stats, &p, &zero, BPF_NOEXIST);
		c = bpf_map_lookup_elem(&port_stats, &p);
	}
	count(c, bytes, 1);
}

static __always_inline void report(__u32 kind, __u32 saddr, __u16 dport)
{
	struct fw_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e)
		return;
	e->kind = kind;
	e->saddr = saddr;
	e->dport = dport;
	e->pad = 0;
	bpf_ringbuf_submit(e, 0);
}

/* 16-bit one's complement update for a field that changed from old to new. */
static __always_inline __u16 csum_update(__u16 csum, __u16 old, __u16 new)
{
	__u32 s = (__u16)~csum + (__u16)~old + new;

	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (__u16)~s;
}

/* Turn an echo request into its reply, in place. */
static __always_inline int pong(struct ethhdr *eth, struct iphdr *ip, struct icmphdr_ *icmp)
{
	unsigned char mac[ETH_ALEN];
	__be32 a = ip->saddr;

	__builtin_memcpy(mac, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, mac, ETH_ALEN);
	ip->saddr = ip->daddr; /* swapping addresses leaves the IP checksum as it is */
	ip->daddr = a;
	icmp->checksum = csum_update(icmp->checksum, bpf_htons(8 << 8), bpf_htons(0));
	icmp->type = 0;
	return XDP_TX;
}

SEC("xdp")
int firewall(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u64 bytes = end - data;
	__u16 h_proto;
	void *l3;

	if ((void *)(eth + 1) > end)
		return XDP_DROP;
	h_proto = eth->h_proto;
	l3 = eth + 1;
	if (h_proto == bpf_htons(ETH_P_8021Q)) {
		__be16 *tag = l3;

		if ((void *)(tag + 2) > end)
			return XDP_DROP;
		proto(FW_VLAN, bytes);
		h_proto = tag[1];
		l3 = tag + 2;
	}
	if (h_proto == bpf_htons(ETH_P_ARP)) {
		proto(FW_ARP, bytes);
		return XDP_PASS;
	}
	if (h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = l3;

		if ((void *)(ip6 + 1) > end)
			return XDP_DROP;
		proto(FW_IPV6, bytes);
		if (ip6->nexthdr == IPPROTO_TCP) {
			struct tcphdr *tcp = (void *)(ip6 + 1);

			if ((void *)(tcp + 1) > end)
				return XDP_DROP;
			proto(FW_TCP, bytes);
			port(bpf_ntohs(tcp->dest), bytes);
		}
		return XDP_PASS;
	}
	if (h_proto != bpf_htons(ETH_P_IP)) {
		proto(FW_OTHER, bytes);
		return XDP_PASS;
	}

	struct iphdr *ip = l3;
	__u32 saddr;

	if ((void *)(ip + 1) > end || ip->ihl != 5) {
		report(FW_EV_MALFORMED, 0, 0);
		return XDP_DROP;
	}
	proto(FW_IPV4, bytes);
	saddr = ip->saddr;
	if (bpf_map_lookup_elem(&scanners, &saddr))
		return XDP_DROP;
	if (ip->protocol == IPPROTO_ICMP) {
		struct icmphdr_ *icmp = (void *)(ip + 1);

		if ((void *)(icmp + 1) > end)
			return XDP_DROP;
		proto(FW_ICMP, bytes);
		if (icmp->type == 8 && ip->daddr == bpf_htonl(FW_ADDR))
			return pong(eth, ip, icmp);
		return XDP_PASS;
	}
	if (ip->protocol == IPPROTO_UDP) {
		struct udphdr *udp = (void *)(ip + 1);

		if ((void *)(udp + 1) > end)
			return XDP_DROP;
		proto(FW_UDP, bytes);
		port(bpf_ntohs(udp->dest), bytes);
		return XDP_PASS;
	}
	if (ip->protocol != IPPROTO_TCP)
		return XDP_PASS;

	struct tcphdr *tcp = (void *)(ip + 1);
	__u16 dport;

	if ((void *)(tcp + 1) > end)
		return XDP_DROP;
	proto(FW_TCP, bytes);
	dport = bpf_ntohs(tcp->dest);
	port(dport, bytes);
	if (tcp->syn && !tcp->ack) {
		__u64 bit = 1ull << (dport & 63), *seen = bpf_map_lookup_elem(&syn_ports, &saddr);
		__u64 ports = bit, one = 1;

		/* A scanner's SYNs are different flows, so different workers see
		 * them: the bitmap is updated atomically, and only the worker that
		 * lists the scanner reports it. */
		if (seen)
			ports |= __sync_fetch_and_or(seen, bit);
		else if (bpf_map_update_elem(&syn_ports, &saddr, &ports, BPF_NOEXIST) &&
			 (seen = bpf_map_lookup_elem(&syn_ports, &saddr)))
			ports |= __sync_fetch_and_or(seen, bit);
		if (__builtin_popcountll(ports) > FW_SCAN_PORTS) {
			if (!bpf_map_update_elem(&scanners, &saddr, &one, BPF_NOEXIST))
				report(FW_EV_SCANNER, saddr, dport);
			return XDP_DROP;
		}
	}
	if (dport == 23 || dport == 445) {
		report(FW_EV_BLOCKED, saddr, dport);
		return XDP_DROP;
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
