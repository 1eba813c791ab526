/* CO-RE bitfields: byte offset, size and the two shifts relocated, so
 * BPF_CORE_READ_BITFIELD extracts fields the target moved. */
#include "common.h"
#include <bpf/bpf_core_read.h>

struct task_lite {
	unsigned int mode : 5, prio : 3;
	int pid;
} __attribute__((preserve_access_index));

/* the host writes the target-layout struct here (a map value: Linux lets
 * programs compute addresses in it, unlike in the syscall context) */
char task_buf[64];

SEC("syscall")
int bits(struct args *ctx)
{
	struct task_lite *t = (void *)task_buf;

	__u64 prio = BPF_CORE_READ_BITFIELD(t, prio);
	__u64 mode = BPF_CORE_READ_BITFIELD(t, mode);

	return (int)(prio * 100 + mode);
}

char LICENSE[] SEC("license") = "GPL";
