/* Socket filters. tcp_head: keep the first 64 bytes of IPv4 TCP frames,
 * drop the rest, reading the frame with LD_ABS (clang's load_* builtins),
 * as packet sockets see it (from the MAC header). by_net: the same choice
 * through bpf_skb_load_bytes_relative from the network header, which reads
 * alike wherever the data starts. */
#include "hook_pkt.h"

unsigned long long load_byte(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");
unsigned long long load_half(void *skb, unsigned long long off) asm("llvm.bpf.load.half");

SEC("socket")
int tcp_head(struct __sk_buff *skb)
{
	if (load_half(skb, 12) != ETH_P_IP || load_byte(skb, 23) != IPPROTO_TCP)
		return 0;
	return 64;
}

SEC("socket")
int by_net(struct __sk_buff *skb)
{
	__u8 proto;

	if (skb->protocol != bpf_htons(ETH_P_IP) ||
	    bpf_skb_load_bytes_relative(skb, 9, &proto, 1, BPF_HDR_START_NET))
		return 0;
	return proto == IPPROTO_TCP ? 64 : 0;
}

char LICENSE[] SEC("license") = "GPL";
