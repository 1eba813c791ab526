/* bpf_for_each_map_elem over arrays, which the JIT walks in machine code
 * (its for_each entry): an order-sensitive sum that writes the values and
 * stops where ctx->a says, and a walk nested in each callback whose outer
 * key must be intact after the inner walk. */
#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} vals SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 3);
	__type(key, __u32);
	__type(value, __u32);
} small SEC(".maps");

struct walk {
	__u64 sum, stop, seen;
};

static long add(void *map, __u32 *key, __u64 *val, struct walk *w)
{
	*val += *key + w->stop;
	w->sum = w->sum * 31 + *val + *key;
	w->seen++;
	return *key == w->stop;
}

SEC("syscall")
int each_sum(struct args *ctx)
{
	struct walk w = {.stop = ctx->a};
	long n = bpf_for_each_map_elem(&vals, add, &w, 0);

	ctx->out = w.sum ^ (__u64)n << 48 ^ w.seen << 56;
	return (int)n;
}

static long inner(void *map, __u32 *key, __u32 *val, __u64 *acc)
{
	*acc = *acc * 7 + *key + *val;
	*val += 1;
	return 0;
}

static long outer(void *map, __u32 *key, __u64 *val, __u64 *acc)
{
	__u64 in = *key;
	long n = bpf_for_each_map_elem(&small, inner, &in, 0);

	*acc = *acc * 131 + in + *key * 1000 + n; /* *key read after the inner walk */
	return *key >= 5;
}

SEC("syscall")
int each_nested(struct args *ctx)
{
	__u64 acc = ctx->b;
	long n = bpf_for_each_map_elem(&vals, outer, &acc, 0);

	ctx->out = acc;
	return (int)n;
}

char LICENSE[] SEC("license") = "GPL";
