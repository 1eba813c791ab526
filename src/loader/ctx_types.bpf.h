/* The context structures exobpf gives programs, compiled by clang -g -target
 * bpf at build time; its .BTF becomes exobpf's own BTF (ctx_btf.c), the
 * default target of CO-RE relocations. One variable holds them all by value
 * (behind a pointer clang would emit only forward declarations). */
#include <linux/bpf.h>
#include <linux/bpf_perf_event.h>

struct exobpf_contexts {
	struct __sk_buff skb;
	struct xdp_md xdp;
	struct bpf_sock sk;
	struct bpf_sock_addr sock_addr;
	struct bpf_sock_ops sock_ops;
	struct sk_msg_md msg;
	struct sk_reuseport_md reuseport;
	struct bpf_sysctl sysctl;
	struct bpf_sockopt sockopt;
	struct bpf_perf_event_data perf_event;
	struct bpf_raw_tracepoint_args raw_tp;
	struct bpf_flow_keys flow_keys;
	struct bpf_sk_lookup sk_lookup;
	struct bpf_cgroup_dev_ctx cgroup_dev;
	struct pt_regs regs;
};

struct exobpf_contexts exobpf_contexts;
