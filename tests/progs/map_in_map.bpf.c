/* Map-in-map: the inner map described by values[], two slots initialised. */
#include "common.h"

struct inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
};

struct inner inner_a SEC(".maps");
struct inner inner_b SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 4);
	__type(key, __u32);
	__array(values, struct inner);
} outer SEC(".maps") = {
	.values = {&inner_a, [2] = &inner_b},
};

SEC("syscall")
int mim(struct args *ctx)
{
	__u32 k = (__u32)ctx->a, ik = 1;
	void *in = bpf_map_lookup_elem(&outer, &k);

	if (!in)
		return -1;
	__u32 *v = bpf_map_lookup_elem(in, &ik);
	ctx->out = v ? *v : 0;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
