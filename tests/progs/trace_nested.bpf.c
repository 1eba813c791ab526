/* Probes on libc's getpid whose programs themselves ask for the pid. In
 * process, bpf_get_current_pid_tgid calls getpid, so each run reaches its
 * own probe again; that hit must run no program, as in Linux, where a
 * tracing program never runs inside another (bpf_prog_active). */
#define __TARGET_ARCH_x86
#include "common.h"
#include <linux/ptrace.h>
#include <bpf/bpf_tracing.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64); /* entry runs, its tgid, return runs, the return value */
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

char LICENSE[] SEC("license") = "GPL";
