/* A global (non-static) function: called through a relocation against its
 * own symbol (imm -1), verified by Linux on its own. */
#include "common.h"

__attribute__((noinline)) int clamp(int v, int lo, int hi)
{
	if (v < lo)
		return lo;
	if (v > hi)
		return hi;
	return v;
}

SEC("syscall")
int clamp_prog(struct args *ctx)
{
	ctx->out = clamp((int)ctx->a, 10, 20);
	return clamp((int)ctx->b, 10, 20);
}

char LICENSE[] SEC("license") = "GPL";
