/* A strong __kconfig extern that has no value: loading must fail, naming it. */
#include "common.h"

extern int CONFIG_EXO_NOT_THERE __kconfig;

SEC("syscall")
int strong(struct args *ctx)
{
	return CONFIG_EXO_NOT_THERE;
}

char LICENSE[] SEC("license") = "GPL";
