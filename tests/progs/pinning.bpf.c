/* pinning = LIBBPF_PIN_BY_NAME: the map is pinned under the pin root on
 * first load and reused, contents and all, by the next. */
#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} exo_pinned_counter SEC(".maps");

SEC("syscall")
int bump(struct args *ctx)
{
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&exo_pinned_counter, &k);

	if (!v)
		return -1;
	*v += 1;
	ctx->out = *v;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
