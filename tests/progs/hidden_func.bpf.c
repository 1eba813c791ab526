/* A global function with hidden visibility is static to the verifier:
 * its BTF FUNC is marked static before load, as libbpf does. */
#include "common.h"

__attribute__((noinline, visibility("hidden"))) int twice(int x)
{
	return x * 2;
}

SEC("syscall")
int use_hidden(struct args *ctx)
{
	ctx->out = twice((int)ctx->a);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
