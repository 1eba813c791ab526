/* Three programs in one section, and one alone in another: split at their
 * function symbols, iterated by section then offset. */
#include "common.h"

SEC("syscall")
int first(struct args *ctx)
{
	return 1;
}

SEC("syscall")
int second(struct args *ctx)
{
	ctx->out = 2;
	return 2;
}

SEC("syscall")
int third(struct args *ctx)
{
	return (int)ctx->a + 3;
}

SEC("socket")
int sock(struct __sk_buff *skb)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
