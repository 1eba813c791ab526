/* Section name matching, with libbpf 1.x's rules: a plain entry matches only
 * itself; "name+" matches "name" or "name/anything"; no other prefix matches,
 * so "xdpfoo" or "socket1" are unknown rather than guessed. */
#include <string.h>

#include "exobpf/object.h"
#include "loader/sec_def.h"

static const struct sec_def defs[] = {
#define SEC(n, type, attach, flags) {n, type, attach, flags},
#include "loader/sec_def.def"
#undef SEC
};

static bool matches(const struct sec_def *d, const char *name)
{
	size_t n = strlen(d->name);

	if (strncmp(name, d->name, n))
		return false;
	if (d->flags & SEC_PLUS)
		return name[n] == '\0' || name[n] == '/';
	if (d->flags & SEC_SLASH)
		return name[n] == '/';
	return name[n] == '\0';
}

const struct sec_def *sec_def_find(const char *sec_name)
{
	for (size_t i = 0; i < sizeof(defs) / sizeof(defs[0]); i++)
		if (matches(&defs[i], sec_name))
			return &defs[i];
	return NULL;
}

const char *sec_def_target(const struct sec_def *def, const char *sec_name)
{
	size_t n = strlen(def->name);

	return (def->flags & (SEC_PLUS | SEC_SLASH)) && sec_name[n] == '/' ? sec_name + n + 1
									   : NULL;
}

/* bpftool's names (its prog_type_name table follows Linux's enum). */
static const char *const prog_types[] = {
    "unspec",
    "socket_filter",
    "kprobe",
    "sched_cls",
    "sched_act",
    "tracepoint",
    "xdp",
    "perf_event",
    "cgroup_skb",
    "cgroup_sock",
    "lwt_in",
    "lwt_out",
    "lwt_xmit",
    "sock_ops",
    "sk_skb",
    "cgroup_device",
    "sk_msg",
    "raw_tracepoint",
    "cgroup_sock_addr",
    "lwt_seg6local",
    "lirc_mode2",
    "sk_reuseport",
    "flow_dissector",
    "cgroup_sysctl",
    "raw_tracepoint_writable",
    "cgroup_sockopt",
    "tracing",
    "struct_ops",
    "ext",
    "lsm",
    "sk_lookup",
    "syscall",
    "netfilter",
};

const char *sec_prog_type_name(uint32_t type)
{
	return type < sizeof(prog_types) / sizeof(prog_types[0]) ? prog_types[type] : NULL;
}

EXOBPF_API const char *exobpf_prog_type_str(enum bpf_prog_type type)
{
	return sec_prog_type_name(type);
}
