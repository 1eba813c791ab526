/* The simplest syscall program: out = a * b + 7, returns a + b. */
#include "common.h"

SEC("syscall")
int arith(struct args *ctx)
{
	ctx->out = ctx->a * ctx->b + 7;
	return (int)(ctx->a + ctx->b);
}

char LICENSE[] SEC("license") = "GPL";
