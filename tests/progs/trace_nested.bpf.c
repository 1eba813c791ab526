/* Probes on libc functions that running them calls again. In process,
 * bpf_get_current_pid_tgid calls getpid, so each run of a program on getpid
 * reaches its own probe again, and the stub's dispatcher asks sched_getcpu
 * for the run's slot. Such a hit must run no program; in Linux, where
 * programs and helpers run in the kernel, it never happens. */
#define __TARGET_ARCH_x86
#include "common.h"
#include <linux/ptrace.h>
#include <bpf/bpf_tracing.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 5);
	__type(key, __u32);
	/* entry runs, its tgid, return runs, the return value; sched_getcpu's runs */
	__type(value, __u64);
} seen SEC(".maps");

static void count_and_store(__u32 runs, __u64 v)
{
	__u32 k = runs;
	__u64 *p = bpf_map_lookup_elem(&seen, &k);

	if (p)
		__sync_fetch_and_add(p, 1);
	v = v ? v : bpf_get_current_pid_tgid() >> 32; /* the nested getpid */
	k = runs + 1;
	p = bpf_map_lookup_elem(&seen, &k);
	if (p)
		*p = v;
}

SEC("uprobe/libc.so.6:getpid")
int BPF_KPROBE(getpid_entry)
{
	count_and_store(0, 0);
	return 0;
}

SEC("uretprobe/libc.so.6:getpid")
int BPF_KRETPROBE(getpid_exit, long ret)
{
	bpf_get_current_pid_tgid(); /* nested here too: inside a return probe */
	count_and_store(2, ret);
	return 0;
}

SEC("uprobe/libc.so.6:sched_getcpu")
int BPF_KPROBE(getcpu_entry)
{
	__u32 k = 4;
	__u64 *p = bpf_map_lookup_elem(&seen, &k);

	if (p)
		__sync_fetch_and_add(p, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
