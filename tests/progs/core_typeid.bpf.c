/* Local and target type ids (bpf_core_type_id_local/kernel). */
#include "common.h"
#include <bpf/bpf_core_read.h>

struct only_in_target {
	int x;
};

SEC("syscall")
int type_ids(struct args *ctx)
{
	ctx->a = bpf_core_type_id_local(struct only_in_target);
	ctx->b = bpf_core_type_id_kernel(struct only_in_target);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
