/* A relocation nothing satisfies poisons its instruction (call 0xbad2310):
 * harmless behind a field-exists guard, fatal where it can run. */
#include "common.h"
#include <bpf/bpf_core_read.h>

struct task_lite___p {
	int pid;
	int missing;
} __attribute__((preserve_access_index));

char task_buf[64];

SEC("syscall")
int guarded(struct args *ctx)
{
	struct task_lite___p *t = (void *)task_buf;

	if (bpf_core_field_exists(t->missing))
		return t->missing;
	return t->pid;
}

SEC("?syscall")
int unguarded(struct args *ctx)
{
	struct task_lite___p *t = (void *)task_buf;

	return t->missing;
}

char LICENSE[] SEC("license") = "GPL";
