/* Custom .data.* and .rodata.* sections each become their own map, named
 * after the section. */
#include "common.h"

__u64 tally SEC(".data.counters") = 7;
__u64 other_tally SEC(".data.counters") = 9;
const volatile __u64 limits[2] SEC(".rodata.limits") = {100, 200};

SEC("syscall")
int custom(struct args *ctx)
{
	tally += 1;
	other_tally += 2;
	ctx->out = tally + other_tally + limits[ctx->a & 1];
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
