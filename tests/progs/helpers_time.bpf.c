/* Helper calls: time and random numbers, results checked for sanity. */
#include "common.h"

SEC("syscall")
int clocks(struct args *ctx)
{
	__u64 t0 = bpf_ktime_get_ns(), t1 = bpf_ktime_get_ns();

	ctx->out = t1 >= t0;
	ctx->a = bpf_get_prandom_u32() | 1;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
