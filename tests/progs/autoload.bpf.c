/* SEC("?...") declares a program that is not loaded unless asked. */
#include "common.h"

SEC("syscall")
int always(struct args *ctx)
{
	return 1;
}

SEC("?syscall")
int on_demand(struct args *ctx)
{
	return 2;
}

char LICENSE[] SEC("license") = "GPL";
