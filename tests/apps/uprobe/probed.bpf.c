/* A libbpf application's uprobes, written as libbpf-bootstrap's `uprobe`
 * example writes them: entry and return probes on functions of the
 * application's own executable (attached by the loader and auto-attached
 * through SEC names on /proc/self/exe) and of a shared library it links.
 * Each hit goes to a perf buffer; totals go to global data. */
#define __TARGET_ARCH_x86
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

/* what: 1 add entry, 2 add return, 3 sub entry, 4 sub return, 5 library
 * entry, 6 library return */
struct hit {
	__u32 what;
	__u32 pad;  /* the attach cookie */
	__s64 a, b; /* arguments, or the return value in a */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} hits SEC(".maps");

__u64 entries = 0, returns = 0;
__s64 ret_sum = 0;

static int emit(struct pt_regs *ctx, __u32 what, __s64 a, __s64 b)
{
	/* the cookie the loader attached with (0 without one) */
	struct hit h = {.what = what, .pad = (__u32)bpf_get_attach_cookie(ctx), .a = a, .b = b};

	if (what % 2)
		__sync_fetch_and_add(&entries, 1);
	else
		__sync_fetch_and_add(&returns, 1), __sync_fetch_and_add(&ret_sum, a);
	return bpf_perf_event_output(ctx, &hits, BPF_F_CURRENT_CPU, &h, sizeof(h));
}

SEC("uprobe")
int BPF_KPROBE(add_entry, int a, int b)
{
	emit(ctx, 1, a, b);
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(add_return, int ret)
{
	emit(ctx, 2, ret, 0);
	return 0;
}

SEC("uprobe//proc/self/exe:probed_sub")
int BPF_KPROBE(sub_entry, int a, int b)
{
	emit(ctx, 3, a, b);
	return 0;
}

SEC("uretprobe//proc/self/exe:probed_sub")
int BPF_KRETPROBE(sub_return, int ret)
{
	emit(ctx, 4, ret, 0);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(lib_entry, long a, long b)
{
	emit(ctx, 5, a, b);
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(lib_return, long ret)
{
	emit(ctx, 6, ret, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
