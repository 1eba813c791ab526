/* PROG_ARRAY with initial program slots from values[]. */
#include "common.h"

SEC("socket")
int tail_a(struct __sk_buff *skb)
{
	return 10;
}

SEC("socket")
int tail_b(struct __sk_buff *skb)
{
	return 20;
}

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__array(values, int(void *));
} jumps SEC(".maps") = {
	.values = {[0] = (void *)&tail_a, [2] = (void *)&tail_b},
};

SEC("socket")
int entry(struct __sk_buff *skb)
{
	bpf_tail_call(skb, &jumps, 2);
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
