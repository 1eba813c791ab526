/* license and version sections. */
#include "common.h"

SEC("kprobe/do_nanosleep")
int kp(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
__u32 VERSION SEC("version") = 0x060100;
