/* A libbpf application's BPF side, written the usual way: global data
 * (rodata set before load, data, bss), hash/array/per-CPU maps and a ring
 * buffer, run through BPF_PROG_TEST_RUN by the loader (ringstat.c). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct event {
	__u32 key;
	__u32 len;
	__u64 total;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} bytes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} runs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 * 4096);
} events SEC(".maps");

const volatile __u32 multiplier = 1;
__u64 total = 0;
char banner[16] = "ringstat";

SEC("xdp")
int count_pkt(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u32 len = (__u32)(end - data), key, zero = 0;
	__u64 one = 1, *v;
	struct event *e;

	if (data + 1 > end)
		return XDP_ABORTED;
	key = *(__u8 *)data % 4;
	v = bpf_map_lookup_elem(&counts, &key);
	if (v)
		__sync_fetch_and_add(v, 1);
	else
		bpf_map_update_elem(&counts, &key, &one, BPF_NOEXIST);
	v = bpf_map_lookup_elem(&bytes, &key);
	if (v)
		*v += len;
	v = bpf_map_lookup_elem(&runs, &zero);
	if (v)
		*v += 1;
	total += (__u64)len * multiplier;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return XDP_ABORTED;
	e->key = key;
	e->len = len;
	e->total = total;
	bpf_ringbuf_submit(e, 0);
	return key % 2 ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
