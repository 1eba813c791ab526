/* A weak kfunc nobody provides: the call stays, unresolved (imm 0), and a
 * bpf_ksym_exists() check lets the program avoid it. */
#include "common.h"

extern int bpf_exo_no_such_kfunc(int x) __ksym __weak;

SEC("syscall")
int maybe_kfunc(struct args *ctx)
{
	if (bpf_exo_no_such_kfunc)
		ctx->out = bpf_exo_no_such_kfunc(1);
	else
		ctx->out = 5;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
