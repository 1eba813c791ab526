/* A tc classifier reading __sk_buff as Linux fills it on ingress: VLAN
 * frames arrive untagged with the tag in vlan_tci; it records what it saw
 * per packet in a hash map keyed by skb->len, marks TCP, drops UDP to port
 * 9, and redirects ICMP to port 7. */
#include "hook_pkt.h"
#include <linux/pkt_cls.h>

struct seen {
	__u32 len, protocol, vlan_present, vlan_tci, pkt_type, ifindex, mark, hash_set;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, struct seen);
} seen SEC(".maps");

SEC("tc")
int classify(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct seen s = {
	    .len = skb->len,
	    .protocol = skb->protocol,
	    .vlan_present = skb->vlan_present,
	    .vlan_tci = skb->vlan_tci,
	    .pkt_type = skb->pkt_type,
	    .ifindex = skb->ifindex,
	    .hash_set = skb->hash != 0,
	};
	__u32 key = skb->len;
	struct pkt p;

	if (parse(data, end, &p))
		return TC_ACT_SHOT;
	if (p.l4proto == IPPROTO_TCP)
		skb->mark = 0x77;
	s.mark = skb->mark;
	bpf_map_update_elem(&seen, &key, &s, BPF_ANY);
	if (p.l4proto == IPPROTO_UDP && p.l4) {
		struct udphdr *u = p.l4;

		if ((void *)(u + 1) <= end && u->dest == bpf_htons(9))
			return TC_ACT_SHOT;
	}
	if (p.l4proto == IPPROTO_ICMP)
		return bpf_redirect(7, 0);
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
