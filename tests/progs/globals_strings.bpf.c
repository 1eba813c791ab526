/* String literals land in .rodata.str1.1 (its own map); a char array in
 * .rodata. The program counts the bytes of a string it indexes. */
#include "common.h"

const char greeting[] = "hello, exobpf";

SEC("syscall")
int strsum(struct args *ctx)
{
	const char *msg = "abcdefgh";
	__u64 s = 0;
	__u32 i = (__u32)ctx->a & 7;

	s += msg[i];
	s += greeting[i];
	ctx->out = s;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
