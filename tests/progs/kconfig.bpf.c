/* __kconfig externs: LINUX_KERNEL_VERSION, configured values of every
 * Kconfig type, and a weak one nobody sets. */
#include "common.h"

extern __u32 LINUX_KERNEL_VERSION __kconfig;
extern int CONFIG_EXO_INT __kconfig;
extern _Bool CONFIG_EXO_BOOL __kconfig;
extern enum libbpf_tristate CONFIG_EXO_TRI __kconfig;
extern char CONFIG_EXO_STR[8] __kconfig;
extern __u64 CONFIG_EXO_MISSING __kconfig __weak;

SEC("syscall")
int kcfg(struct args *ctx)
{
	ctx->a = LINUX_KERNEL_VERSION;
	ctx->b = CONFIG_EXO_INT + (CONFIG_EXO_BOOL ? 1000 : 0) + CONFIG_EXO_TRI * 100;
	ctx->out = CONFIG_EXO_STR[0] + CONFIG_EXO_STR[1] + CONFIG_EXO_MISSING;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
