/* CO-RE against the running kernel's BTF (/sys/kernel/btf/vmlinux): a
 * tp_btf program reading task_struct fields at their real offsets. */
#include <linux/bpf.h>
#include <linux/types.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

struct task_struct {
	int pid;
	int tgid;
	char comm[16];
} __attribute__((preserve_access_index));

__u64 last_pid;

SEC("tp_btf/sched_switch")
int BPF_PROG(on_switch, _Bool preempt, struct task_struct *prev, struct task_struct *next)
{
	last_pid = next->pid + prev->tgid;
	if (bpf_core_field_exists(next->comm))
		last_pid += next->comm[0];
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
