/* A callback passed to bpf_loop: lddw src 4 (a function's address),
 * relocated to the appended subprogram. */
#include "common.h"

static int step(__u32 i, void *data)
{
	*(__u64 *)data += i;
	return 0;
}

SEC("syscall")
int looper(struct args *ctx)
{
	__u64 sum = 0;

	bpf_loop(10, step, &sum, 0);
	ctx->out = sum;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
