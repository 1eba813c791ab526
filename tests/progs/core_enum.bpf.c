/* CO-RE enum relocations: values renumbered in the target, one missing. */
#include "common.h"
#include <bpf/bpf_core_read.h>

enum exo_state___local {
	EXO_RUNNING = 1,
	EXO_SLEEPING = 2,
	EXO_ZOMBIE = 99,
};

SEC("syscall")
int enums(struct args *ctx)
{
	ctx->a = bpf_core_enum_value(enum exo_state___local, EXO_RUNNING);
	ctx->b = bpf_core_enum_value(enum exo_state___local, EXO_SLEEPING);
	ctx->out = bpf_core_enum_value_exists(enum exo_state___local, EXO_ZOMBIE) * 10 +
		   bpf_core_enum_value_exists(enum exo_state___local, EXO_SLEEPING);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
