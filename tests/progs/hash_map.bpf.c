/* A BTF-defined hash map: count calls per key. */
#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

SEC("syscall")
int count(struct args *ctx)
{
	__u32 key = (__u32)ctx->a;
	__u64 one = 1, *v = bpf_map_lookup_elem(&counts, &key);

	if (v) {
		*v += 1;
		ctx->out = *v;
	} else {
		bpf_map_update_elem(&counts, &key, &one, BPF_NOEXIST);
		ctx->out = 1;
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
