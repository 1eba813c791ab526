/* Program types from libbpf's section names, one program each. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define PROG(sec, name)                                                                            \
	SEC(sec) int name(void *ctx)                                                               \
	{                                                                                          \
		return 0;                                                                          \
	}

PROG("socket", p_socket)
PROG("xdp", p_xdp)
PROG("tc", p_tc)
PROG("classifier", p_classifier)
PROG("action", p_action)
PROG("tracepoint/syscalls/sys_enter_write", p_tracepoint)
PROG("tp/sched/sched_switch", p_tp)
PROG("raw_tracepoint/sched_switch", p_raw_tracepoint)
PROG("raw_tp/sched_wakeup", p_raw_tp)
PROG("kprobe/do_nanosleep", p_kprobe)
PROG("kretprobe/do_nanosleep", p_kretprobe)
PROG("uprobe//bin/true:main", p_uprobe)
PROG("uretprobe//bin/true:main", p_uretprobe)
PROG("perf_event", p_perf_event)
PROG("cgroup_skb/ingress", p_cgroup_skb)
PROG("cgroup/connect4", p_connect4)
PROG("cgroup/sock_create", p_sock_create)
PROG("cgroup/sysctl", p_sysctl)
PROG("cgroup/dev", p_dev)
PROG("sockops", p_sockops)
PROG("flow_dissector", p_flow_dissector)
PROG("sk_skb/stream_verdict", p_sk_skb)
PROG("lwt_in", p_lwt_in)

char LICENSE[] SEC("license") = "GPL";
