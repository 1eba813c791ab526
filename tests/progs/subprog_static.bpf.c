/* A static .text function called by two programs: each gets its own copy. */
#include "common.h"

static __attribute__((noinline)) __u64 square(__u64 x)
{
	return x * x;
}

SEC("syscall")
int sq_a(struct args *ctx)
{
	ctx->out = square(ctx->a);
	return 0;
}

SEC("syscall")
int sq_sum(struct args *ctx)
{
	ctx->out = square(ctx->a) + square(ctx->b);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
