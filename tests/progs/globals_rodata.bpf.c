/* const volatile .rodata set by the host before load (skeleton style); the
 * map is frozen, BPF_F_RDONLY_PROG. */
#include "common.h"

const volatile __u64 scale = 3;
const volatile __u32 offset_by = 11;

SEC("syscall")
int scaled(struct args *ctx)
{
	ctx->out = ctx->a * scale + offset_by;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
