/* .data and .bss globals, read and written by the program and the host. */
#include "common.h"

__u64 total = 1000;	/* .data */
__u32 calls;		/* .bss */
static __u64 hidden = 5; /* .data, static: relocated against the section */

SEC("syscall")
int add(struct args *ctx)
{
	total += ctx->a;
	calls++;
	hidden += 1;
	ctx->out = total + hidden;
	return (int)calls;
}

char LICENSE[] SEC("license") = "GPL";
