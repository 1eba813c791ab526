/* A weak __ksym variable exobpf cannot resolve reads as NULL. */
#include "common.h"

extern const void bpf_prog_active __ksym __weak;

SEC("syscall")
int ksym(struct args *ctx)
{
	ctx->out = &bpf_prog_active ? 1 : 2;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
