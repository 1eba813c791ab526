/* uprobes and uretprobes on tests/trace/uprobe_target (PIE) and its shared
 * library, found by file name, reading arguments and return values through
 * libbpf's PT_REGS_* accessors. */
#define __TARGET_ARCH_x86
#include "common.h"
#include <linux/ptrace.h>
#include <bpf/bpf_tracing.h>

/* Debian 12's libbpf (1.1) stops at PT_REGS_PARM5; newer ones read r9 too */
#ifdef PT_REGS_PARM6
#define PARM6(x) PT_REGS_PARM6(x)
#else
#define PARM6(x) ((x)->r9)
#endif

struct six {
	long a[6];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);   /* lib_add's a */
	__type(value, __u64); /* b << 32 | tgid */
} add_args SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);   /* lib_add's a */
	__type(value, __u32); /* tid (thread id) */
} add_tid SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);   /* lib_add's return value */
	__type(value, __u32); /* times seen */
} add_rets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct six); /* [0] self_mul's arguments, [1].a[0] its result */
} mul SEC(".maps");

SEC("uprobe/libexotarget.so:lib_add")
int BPF_KPROBE(add_entry, int a, int b)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 key = a, tid = (__u32)id;
	__u64 v = (__u64)(__u32)b << 32 | id >> 32;

	bpf_map_update_elem(&add_args, &key, &v, BPF_ANY);
	bpf_map_update_elem(&add_tid, &key, &tid, BPF_ANY);
	return 0;
}

SEC("uretprobe/libexotarget.so:lib_add")
int BPF_KRETPROBE(add_exit, int ret)
{
	__u32 key = ret, one = 1, *n = bpf_map_lookup_elem(&add_rets, &key);

	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&add_rets, &key, &one, BPF_ANY);
	return 0;
}

SEC("uprobe/uprobe_target:self_mul")
int mul_entry(struct pt_regs *ctx)
{
	__u32 k = 0;
	struct six s = {{PT_REGS_PARM1(ctx), PT_REGS_PARM2(ctx), PT_REGS_PARM3(ctx),
			 PT_REGS_PARM4(ctx), PT_REGS_PARM5(ctx), PARM6(ctx)}};

	bpf_map_update_elem(&mul, &k, &s, BPF_ANY);
	return 0;
}

SEC("uretprobe/uprobe_target:self_mul")
int mul_exit(struct pt_regs *ctx)
{
	__u32 k = 1;
	struct six s = {{PT_REGS_RC(ctx)}};

	bpf_map_update_elem(&mul, &k, &s, BPF_ANY);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";

/* lib_mix: the fast path's test (the unit tests load the library themselves) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct six); /* [0] lib_mix's arguments, [1].a[0] its result, [1].a[1] calls */
} mix SEC(".maps");

/* lib_mix's calls as records for the CLI (exobpf trace prints struct event) */
struct event {
	__u32 pid, tid;
	long a, b, c, d, e, f;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

const struct event *unused_event __attribute__((unused));

SEC("uprobe/libexotarget.so:lib_mix")
int mix_entry(struct pt_regs *ctx)
{
	__u32 k = 0;
	__u64 id = bpf_get_current_pid_tgid();
	struct six s = {{PT_REGS_PARM1(ctx), PT_REGS_PARM2(ctx), PT_REGS_PARM3(ctx),
			 PT_REGS_PARM4(ctx), PT_REGS_PARM5(ctx), PARM6(ctx)}};
	struct event *e;

	bpf_map_update_elem(&mix, &k, &s, BPF_ANY);
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	e->pid = id >> 32;
	e->tid = (__u32)id;
	e->a = s.a[0], e->b = s.a[1], e->c = s.a[2];
	e->d = s.a[3], e->e = s.a[4], e->f = s.a[5];
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("uretprobe/libexotarget.so:lib_mix")
int mix_exit(struct pt_regs *ctx)
{
	__u32 k = 1;
	struct six *s = bpf_map_lookup_elem(&mix, &k);

	if (s) {
		s->a[0] = PT_REGS_RC(ctx);
		s->a[1]++;
	}
	return 0;
}
