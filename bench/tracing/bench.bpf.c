/* What each probe hit runs, here and in Linux: one counter increment. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} hits SEC(".maps");

static int count(__u32 k)
{
	__u64 *v = bpf_map_lookup_elem(&hits, &k);

	if (v)
		__sync_fetch_and_add(v, 1);
	return 0;
}

SEC("uprobe/bench_target:bench_fn")
int on_fn(void *ctx)
{
	return count(0);
}

SEC("tracepoint/syscalls/sys_enter_getppid")
int on_sys(void *ctx)
{
	return count(1);
}

char LICENSE[] SEC("license") = "GPL";
