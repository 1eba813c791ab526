/* Subprograms calling subprograms: appended depth first in the order first
 * called (libbpf's order), a shared callee appended once per program. */
#include "common.h"

static __attribute__((noinline)) __u64 leaf(__u64 x)
{
	return x + 1;
}

static __attribute__((noinline)) __u64 mid(__u64 x)
{
	return leaf(x) * 2;
}

static __attribute__((noinline)) __u64 other(__u64 x)
{
	return leaf(x) + 100;
}

SEC("syscall")
int chain(struct args *ctx)
{
	/* (a+1)*2 + (b+1)+100 */
	ctx->out = mid(ctx->a) + other(ctx->b);
	return 0;
}

SEC("syscall")
int chain_rev(struct args *ctx)
{
	ctx->out = other(ctx->a) + mid(ctx->b);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
