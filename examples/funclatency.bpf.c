// funclatency for exobpf: how long libc's nanosleep takes, per call (an
// event) and as a log2 histogram of nanoseconds (the map "hist", pinned
// while tracing with --pin). A uprobe stamps the entry, a uretprobe the return.
//   exobpf trace examples/funclatency.bpf.o -- sleep 0.2
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct event {
	__u32 pid;
	char comm[16];
	__u64 ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, __u64);
} start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} hist SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} events SEC(".maps");

const struct event *unused_event __attribute__((unused));

SEC("uprobe/libc.so.6:nanosleep")
int BPF_KPROBE(on_entry)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 now = bpf_ktime_get_ns();

	bpf_map_update_elem(&start, &tid, &now, BPF_ANY);
	return 0;
}

SEC("uretprobe/libc.so.6:nanosleep")
int BPF_KRETPROBE(on_return)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id, slot = 0;
	__u64 *t0 = bpf_map_lookup_elem(&start, &tid), ns, *count;
	struct event *e;

	if (!t0)
		return 0;
	ns = bpf_ktime_get_ns() - *t0;
	bpf_map_delete_elem(&start, &tid);
	for (__u64 v = ns; v > 1 && slot < 63; v >>= 1)
		slot++;
	count = bpf_map_lookup_elem(&hist, &slot);
	if (count)
		__sync_fetch_and_add(count, 1);
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	e->pid = id >> 32;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	e->ns = ns;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
