/* Forwarding by device map (XDP): each ingress port names its egress port
 * in a DEVMAP_HASH; packets from ports with no entry pass. A second
 * program floods every port of a DEVMAP except the one a packet came in
 * on. Both count what they forward per CPU. */
#include "hook_pkt.h"

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u32);
} fwd SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u32);
} flood_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} forwarded SEC(".maps");

static __always_inline int count(int action)
{
	__u32 zero = 0;
	__u64 *n;

	if (action == XDP_REDIRECT && (n = bpf_map_lookup_elem(&forwarded, &zero)))
		*n += 1;
	return action;
}

SEC("xdp")
int forward(struct xdp_md *ctx)
{
	return count(bpf_redirect_map(&fwd, ctx->ingress_ifindex, XDP_PASS));
}

SEC("xdp")
int flood(struct xdp_md *ctx)
{
	return count(bpf_redirect_map(&flood_ports, 0, BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS));
}

char LICENSE[] SEC("license") = "GPL";
