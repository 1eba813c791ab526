/* Parse and count (XDP): every packet in a per-CPU counter, each header
 * kind seen in a hash map, TCP/UDP destination ports in another; UDP to
 * the discard port and malformed frames are dropped. */
#include "hook_pkt.h"

enum { K_OTHER, K_VLAN, K_IPV4, K_IPV6, K_TCP, K_UDP, K_ICMP, K_ICMPV6, K_BAD };

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} packets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} kinds SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u16);
	__type(value, __u64);
} dports SEC(".maps");

static __always_inline void kind(__u32 k)
{
	bump(&kinds, &k);
}

SEC("xdp")
int parse_count(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&packets, &zero);
	struct pkt p;
	__u16 dport;

	if (n)
		*n += 1; /* this slot's own counter: no atomics needed */
	if (parse(data, end, &p)) {
		kind(K_BAD);
		return XDP_DROP;
	}
	if (p.vlans)
		kind(K_VLAN);
	if (p.ip)
		kind(K_IPV4);
	else if (p.ip6)
		kind(K_IPV6);
	else {
		kind(K_OTHER);
		return XDP_PASS;
	}
	if (!p.l4)
		return XDP_PASS;
	switch (p.l4proto) {
	case IPPROTO_TCP: {
		struct tcphdr *t = p.l4;

		if ((void *)(t + 1) > end)
			return XDP_DROP;
		kind(K_TCP);
		dport = bpf_ntohs(t->dest);
		bump(&dports, &dport);
		break;
	}
	case IPPROTO_UDP: {
		struct udphdr *u = p.l4;

		if ((void *)(u + 1) > end)
			return XDP_DROP;
		kind(K_UDP);
		dport = bpf_ntohs(u->dest);
		bump(&dports, &dport);
		if (dport == 9)
			return XDP_DROP; /* discard */
		break;
	}
	case IPPROTO_ICMP:
		kind(K_ICMP);
		break;
	case IPPROTO_ICMPV6:
		kind(K_ICMPV6);
		break;
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
