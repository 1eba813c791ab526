/* A tc classifier touching __sk_buff fields and a .bss counter. */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

__u64 packets;

SEC("tc")
int mark(struct __sk_buff *skb)
{
	packets++;
	skb->mark = skb->len > 100 ? 1 : 2;
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
