// opensnoop for exobpf: the opens of a command, with their fd or error.
// Written after libbpf-tools' opensnoop: syscall tracepoints keep the
// arguments in a hash map keyed by thread id until the call returns, then
// one event per open goes to user space through a perf buffer.
//   exobpf trace examples/opensnoop.bpf.o -- cat /etc/hostname
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "syscall_tp.h"

#define PATH_LEN 256

struct args_t {
	const char *path;
};

/* the record user space gets; the CLI prints its fields by their BTF names */
struct event {
	__u32 pid;
	char comm[16];
	int fd;
	int err;
	char path[PATH_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, struct args_t);
} start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} events SEC(".maps");

/* keeps struct event in the object's BTF for the printer */
const struct event *unused_event __attribute__((unused));

static int enter(const char *path)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct args_t a = {.path = path};

	bpf_map_update_elem(&start, &tid, &a, BPF_ANY);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_open")
int trace_enter_open(struct sys_enter_ctx *ctx)
{
	return enter((const char *)ctx->args[0]);
}

SEC("tracepoint/syscalls/sys_enter_openat")
int trace_enter_openat(struct sys_enter_ctx *ctx)
{
	return enter((const char *)ctx->args[1]);
}

static int leave(struct sys_exit_ctx *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct args_t *a = bpf_map_lookup_elem(&start, &tid);
	struct event e = {};

	if (!a)
		return 0;
	e.pid = id >> 32;
	bpf_get_current_comm(e.comm, sizeof(e.comm));
	if (ctx->ret >= 0) {
		e.fd = ctx->ret;
	} else {
		e.fd = -1;
		e.err = -ctx->ret;
	}
	bpf_probe_read_user_str(e.path, sizeof(e.path), a->path);
	bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &e, sizeof(e));
	bpf_map_delete_elem(&start, &tid);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_open")
int trace_exit_open(struct sys_exit_ctx *ctx)
{
	return leave(ctx);
}

SEC("tracepoint/syscalls/sys_exit_openat")
int trace_exit_openat(struct sys_exit_ctx *ctx)
{
	return leave(ctx);
}

char LICENSE[] SEC("license") = "GPL";
