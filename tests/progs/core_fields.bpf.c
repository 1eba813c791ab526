/* CO-RE field relocations against core_target.bpf.o's BTF: a ___flavor
 * local type matched by its essential name, fields found by name. The
 * syscall context holds a struct laid out as the target says. */
#include "common.h"
#include <bpf/bpf_core_read.h>

struct task_lite___local {
	int pid;
	long state;
	char comm[16];
	int missing;
} __attribute__((preserve_access_index));

struct only_in_target {
	int x;
} __attribute__((preserve_access_index));

struct not_anywhere {
	int y;
} __attribute__((preserve_access_index));

SEC("syscall")
int core_read(struct task_lite___local *t)
{
	return t->pid + (int)t->state + t->comm[1];
}

SEC("syscall")
int core_facts(struct task_lite___local *t)
{
	int r = 0;

	if (bpf_core_field_exists(t->pid))
		r |= 1;
	if (bpf_core_field_exists(t->missing))
		r |= 2;
	if (bpf_core_type_exists(struct only_in_target))
		r |= 4;
	if (bpf_core_type_exists(struct not_anywhere))
		r |= 8;
	r += bpf_core_type_size(struct task_lite___local) << 8;
	r += bpf_core_field_size(t->state) << 16;
	r += bpf_core_field_offset(t->pid) << 24;
	return r;
}

char LICENSE[] SEC("license") = "GPL";
