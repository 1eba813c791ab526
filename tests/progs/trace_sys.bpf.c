/* Syscall tracepoints of every kind on tests/trace/sys_target: counts and
 * values the tests compare with what the target does. */
#include "common.h"
#include <linux/ptrace.h>

#define NR_getppid 110
#define NR_openat  257

/* the syscalls/ and raw_syscalls/ records (Linux's layouts) */
struct enter_ctx {
	__u64 common;
	long nr;
	unsigned long args[6];
};

struct exit_ctx {
	__u64 common;
	long nr;
	long ret;
};

enum {
	RAW_ENTER,	 /* raw_syscalls/sys_enter hits for getppid */
	RAWTP_ENTER,	 /* raw_tracepoint/sys_enter hits for getppid */
	RAWTP_MISMATCH,	 /* pt_regs->orig_rax differing from the id */
	TP_ENTER,	 /* syscalls/sys_enter_getppid hits */
	TP_EXIT_RET,	 /* syscalls/sys_exit_getppid: last return value */
	RAW_EXIT_RET,	 /* raw_syscalls/sys_exit: getppid's last return value */
	UID_GID,	 /* bpf_get_current_uid_gid at the last getppid */
	PID_TGID,	 /* bpf_get_current_pid_tgid there */
	BAD_PTR_RET,	 /* bpf_probe_read_user_str on openat's bad pointer */
	GOOD_PTR_RET,	 /* ... on the path that does not exist */
	GOOD_PTR_HEAD,	 /* its first 8 bytes */
	OPENAT_ERR,	 /* syscalls/sys_exit_openat: the two returns, -errno */
	OPENAT_ERR2,
	COMM,		 /* bpf_get_current_comm's first 8 bytes */
	NVALS,
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, NVALS);
	__type(key, __u32);
	__type(value, __s64);
} vals SEC(".maps");

static void set(__u32 k, __s64 v)
{
	bpf_map_update_elem(&vals, &k, &v, BPF_ANY);
}

static void inc(__u32 k)
{
	__s64 *v = bpf_map_lookup_elem(&vals, &k);

	if (v)
		__sync_fetch_and_add(v, 1);
}

SEC("tp/raw_syscalls/sys_enter")
int raw_enter(struct enter_ctx *ctx)
{
	if (ctx->nr == NR_getppid)
		inc(RAW_ENTER);
	return 0;
}

SEC("tp/raw_syscalls/sys_exit")
int raw_exit(struct exit_ctx *ctx)
{
	if (ctx->nr == NR_getppid)
		set(RAW_EXIT_RET, ctx->ret);
	return 0;
}

SEC("raw_tracepoint/sys_enter")
int rawtp_enter(struct bpf_raw_tracepoint_args *ctx)
{
	struct pt_regs *regs = (struct pt_regs *)ctx->args[0];
	unsigned long orig = 0;

	bpf_probe_read_kernel(&orig, sizeof(orig), &regs->orig_rax);
	if (orig != ctx->args[1])
		inc(RAWTP_MISMATCH);
	if (ctx->args[1] == NR_getppid)
		inc(RAWTP_ENTER);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_getppid")
int tp_enter(struct enter_ctx *ctx)
{
	char comm[16] = {};
	__s64 head = 0;

	inc(TP_ENTER);
	set(UID_GID, (__s64)bpf_get_current_uid_gid());
	set(PID_TGID, (__s64)bpf_get_current_pid_tgid());
	bpf_get_current_comm(comm, sizeof(comm));
	__builtin_memcpy(&head, comm, 8);
	set(COMM, head);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_getppid")
int tp_exit(struct exit_ctx *ctx)
{
	set(TP_EXIT_RET, ctx->ret);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_openat")
int tp_openat(struct enter_ctx *ctx)
{
	char path[64] = {};
	__s64 head = 0;
	long n = bpf_probe_read_user_str(path, sizeof(path), (const void *)ctx->args[1]);

	if (ctx->args[1] == 8) {
		set(BAD_PTR_RET, n);
	} else {
		set(GOOD_PTR_RET, n);
		__builtin_memcpy(&head, path, 8);
		set(GOOD_PTR_HEAD, head);
	}
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_openat")
int tp_openat_exit(struct exit_ctx *ctx)
{
	__u32 k = OPENAT_ERR;
	__s64 *v = bpf_map_lookup_elem(&vals, &k);

	/* the first return goes to OPENAT_ERR, later ones to OPENAT_ERR2 */
	if (v && *v == 0)
		*v = ctx->ret;
	else
		set(OPENAT_ERR2, ctx->ret);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
