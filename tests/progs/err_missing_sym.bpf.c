/* A plain extern nobody defines: neither __kconfig nor __ksym. Opening must
 * fail and name it. */
#include "common.h"

extern int undefined_thing;

SEC("syscall")
int uses_missing(struct args *ctx)
{
	return undefined_thing;
}

char LICENSE[] SEC("license") = "GPL";
