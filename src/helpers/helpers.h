/* The one helper table: every helper exobpf implements, with Linux's id,
 * name, prototype and availability. The interpreter, the JIT, the verifier
 * and the disassembler all read it. Rows live in helpers.def. */
#ifndef EXOBPF_HELPERS_H
#define EXOBPF_HELPERS_H

#include <stddef.h>
#include <stdint.h>

#include "vm/vm.h"

/* Argument types, named after Linux's enum bpf_arg_type; flags below may be
 * or'ed in. */
enum helper_arg {
	ARG_DONTCARE = 0,
	ARG_CONST_MAP_PTR,
	ARG_PTR_TO_MAP_KEY,
	ARG_PTR_TO_MAP_VALUE,
	ARG_PTR_TO_MEM,
	ARG_CONST_SIZE,
	ARG_CONST_SIZE_OR_ZERO,
	ARG_PTR_TO_CTX,
	ARG_ANYTHING,
	ARG_PTR_TO_SPIN_LOCK,
	ARG_PTR_TO_LONG,
	ARG_PTR_TO_INT,
	ARG_PTR_TO_FUNC,
	ARG_PTR_TO_STACK,
	ARG_PTR_TO_CONST_STR,
	ARG_PTR_TO_ALLOC_MEM,
	ARG_CONST_ALLOC_SIZE_OR_ZERO,
	ARG_PTR_TO_TIMER,
	ARG_PTR_TO_BTF_ID,
	ARG_PTR_TO_DYNPTR,
	ARG_PTR_TO_SOCK_COMMON,
	ARG_PTR_TO_SOCKET,
	ARG_PTR_TO_BTF_ID_SOCK_COMMON,
	ARG__BASE_MASK = 0xff,
	/* flags */
	PTR_MAYBE_NULL = 1 << 8,
	MEM_RDONLY = 1 << 9,
	MEM_UNINIT = 1 << 10,
	OBJ_RELEASE = 1 << 11,
	MEM_FIXED_SIZE = 1 << 12,
};

/* Return types, after Linux's enum bpf_return_type. */
enum helper_ret {
	RET_INTEGER,
	RET_VOID,
	RET_PTR_TO_MAP_VALUE_OR_NULL,
	RET_PTR_TO_ALLOC_MEM_OR_NULL,
	RET_PTR_TO_MEM_OR_NULL,
	RET_PTR_TO_BTF_ID,
	RET_PTR_TO_SOCKET_OR_NULL,
	RET_PTR_TO_TCP_SOCK_OR_NULL,
	RET_PTR_TO_SOCK_COMMON_OR_NULL,
};

/* Who may call a helper: groups of program types, after Linux's func_proto
 * functions (bpf_base_func_proto, bpf_tracing_func_proto, ...). */
enum helper_group {
	HG_BASE = 1 << 0,    /* every program type */
	HG_TRACING = 1 << 1, /* kprobe, tracepoint, raw_tracepoint, perf_event */
	HG_SKB = 1 << 2,     /* socket filter, tc, cgroup skb */
	HG_TC = 1 << 3,	     /* tc (sched_cls/act) only */
	HG_XDP = 1 << 4,
	HG_PRIV = 1 << 5, /* needs privilege (CAP_BPF/CAP_PERFMON) */
	HG_GPL = 1 << 6,  /* gpl_only */
	HG_CGROUP_SKB = 1 << 7, /* cgroup skb programs */
	HG_LWT_XMIT = 1 << 8,	/* lwt_xmit programs */
};

struct helper {
	int32_t id;
	const char *name; /* without "bpf_" */
	vm_helper_fn fn;
	uint8_t ret;
	uint16_t args[5];
	uint16_t groups;
};

/* Linux's helper ids run up to about 220; the table is indexed by id. */
#define HELPER_MAX_ID 256

/* The helper with this id, or NULL when exobpf does not implement it. */
const struct helper *helper_by_id(int32_t id);

/* Linux's name for any helper id ("bpf_map_lookup_elem"), implemented or not;
 * NULL for ids Linux does not define. */
const char *helper_linux_name(int32_t id);

/* Id for "bpf_map_lookup_elem" or "map_lookup_elem", or -1. */
int32_t helper_id_by_name(const char *name);

/* The task a program runs on behalf of, when that is not the running
 * process (a tracer runs programs for the thread it stopped). Linux's pid
 * is the thread id, its tgid the process id. Each callback is asked only
 * when a helper needs it, so a program that never reads comm costs no
 * /proc read. read copies size bytes at addr of the task's memory: 0 or
 * -EFAULT. */
struct helper_task {
	uint32_t pid, tgid;
	uint64_t (*uid_gid)(const struct helper_task *t);	  /* gid << 32 | uid */
	void (*comm)(const struct helper_task *t, char comm[16]); /* NUL-padded */
	long (*read)(const struct helper_task *t, void *dst, size_t size, uint64_t addr);
};

/* Define a helper: HELPER_FN(ktime_get_ns) { ... } with r1..r5 and run in scope. */
#define HELPER_UNUSED __attribute__((unused))
#define HELPER_FN(name)                                                                            \
	uint64_t exo_helper_##name(uint64_t r1 HELPER_UNUSED, uint64_t r2 HELPER_UNUSED,          \
				   uint64_t r3 HELPER_UNUSED, uint64_t r4 HELPER_UNUSED,          \
				   uint64_t r5 HELPER_UNUSED, struct vm_run *run HELPER_UNUSED)

/* Checked mode: r1 is a live map and [ptr, ptr+size) is in the run's memory;
 * else the run fails with VM_FAULT_HELPER_ARG naming the helper. */
bool helper_map_args_ok(struct vm_run *run, const char *helper, uint64_t map, uint64_t ptr,
			uint64_t size, bool write);

#define HELPER(id, name, ret, a1, a2, a3, a4, a5, groups) HELPER_FN(name);
#include "helpers/helpers.def"
#undef HELPER

#endif
