/* A bounded loop in a subprogram: sum of 1..n. */
#include "common.h"

static __attribute__((noinline)) __u64 sum_to(__u64 n)
{
	__u64 s = 0;

	for (int i = 1; i <= 64; i++) {
		if (i > n)
			break;
		s += i;
	}
	return s;
}

SEC("syscall")
int sum(struct args *ctx)
{
	ctx->out = sum_to(ctx->a);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
