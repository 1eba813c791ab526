/* key_size/value_size instead of key/value types, map_flags, numa_node,
 * an LRU hash and a per-CPU array. */
#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8);
	__uint(key_size, 8);
	__uint(value_size, 16);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(numa_node, 0);
} sized SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} lru SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} pcpu SEC(".maps");

SEC("syscall")
int touch(struct args *ctx)
{
	__u64 key = 5;
	char val[16] = {1, 2, 3};
	__u32 k = 1, v = 9;

	bpf_map_update_elem(&sized, &key, val, BPF_ANY);
	bpf_map_update_elem(&lru, &k, &v, BPF_ANY);
	__u64 *p = bpf_map_lookup_elem(&pcpu, &k);
	if (p)
		*p += 3;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
