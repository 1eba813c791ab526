/* CO-RE against exobpf's own context BTF (the default target): a program
 * built with its own idea of __sk_buff finds the fields where exobpf (and
 * Linux) have them. */
#include "common.h"
#include <bpf/bpf_core_read.h>

struct __sk_buff___old {
	__u32 len;
	__u32 mark;
	__u32 gone;
} __attribute__((preserve_access_index));

SEC("syscall")
int ctx_offsets(struct args *ctx)
{
	struct __sk_buff___old *skb = 0;

	ctx->a = bpf_core_field_offset(skb->mark);
	ctx->b = bpf_core_field_exists(skb->gone) * 10 + bpf_core_type_exists(struct xdp_md);
	ctx->out = bpf_core_type_size(struct __sk_buff___old);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
