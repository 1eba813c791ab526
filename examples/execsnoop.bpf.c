// execsnoop for exobpf: every exec of a command and its children, with the
// file it ran and the result (0, or the error).
//   exobpf trace examples/execsnoop.bpf.o -- sh -c 'ls /; /nonexistent'
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "syscall_tp.h"

#define PATH_LEN 256

struct event {
	__u32 pid;
	char comm[16];
	int ret;
	char path[PATH_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, struct event);
} execs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

const struct event *unused_event __attribute__((unused));

SEC("tracepoint/syscalls/sys_enter_execve")
int enter_execve(struct sys_enter_ctx *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct event e = {};

	e.pid = id >> 32;
	bpf_probe_read_user_str(e.path, sizeof(e.path), (const void *)ctx->args[0]);
	bpf_map_update_elem(&execs, &tid, &e, BPF_ANY);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_execve")
int exit_execve(struct sys_exit_ctx *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct event *e = bpf_map_lookup_elem(&execs, &tid), *out;

	if (!e)
		return 0;
	out = bpf_ringbuf_reserve(&events, sizeof(*out), 0);
	if (out) {
		__builtin_memcpy(out, e, sizeof(*out));
		out->ret = ctx->ret;
		/* after a successful exec, comm is the new program's */
		bpf_get_current_comm(out->comm, sizeof(out->comm));
		bpf_ringbuf_submit(out, 0);
	}
	bpf_map_delete_elem(&execs, &tid);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
