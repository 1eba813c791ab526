/* Tracing hooks in user space: syscall tracepoints and uprobes run on a
 * command exobpf starts or a process it attaches to, through ptrace (and a
 * seccomp filter, so only the system calls that have programs stop).
 * Programs run in the tracer with the traced thread's view: its pid/tgid,
 * uid/gid, comm, and its memory for bpf_probe_read_user(_str). */
#ifndef EXOBPF_TRACE_H
#define EXOBPF_TRACE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "exobpf/common.h"

struct exobpf_object;
struct exobpf_tracer;

struct exobpf_tracer_opts {
	size_t sz;
	/* Attach only these programs (by name); NULL: every program of the
	 * object whose section is a syscall tracepoint or a u(ret)probe. */
	const char *const *programs;
	size_t nr_programs;
	/* Leave uprobes to the traced process itself (the fast path, through
	 * libexobpf-uprobe.so in its LD_PRELOAD): the tracer then runs only the
	 * syscall tracepoints and places no breakpoints. */
	bool uprobes_in_process;
};

/* A tracer for the loaded object's tracing programs. Every program to attach
 * is checked here (section names, syscall names, uprobe specs), so a bad
 * attach point fails before anything runs. NULL with errno and the message
 * set on failure. */
EXOBPF_API struct exobpf_tracer *exobpf_tracer__new(struct exobpf_object *obj,
						    const struct exobpf_tracer_opts *opts);

/* Start argv[0] (looked up in PATH) traced, with its children and threads.
 * Returns the child's pid or -errno. */
EXOBPF_API int exobpf_tracer__spawn(struct exobpf_tracer *t, char *const argv[]);

/* Trace a running process (all its threads, and the children it makes from
 * now on). No seccomp filter can be put into a running process, so its
 * threads stop at every system call and the tracer filters. 0 or -errno. */
EXOBPF_API int exobpf_tracer__attach_pid(struct exobpf_tracer *t, pid_t pid);

/* Wait for and handle the traced threads' stops, running the attached
 * programs. Returns the number of stops handled (> 0), 0 when no traced
 * process is left, -EINTR when a signal interrupted the wait (the caller
 * then decides whether to detach), other -errno on failure. */
EXOBPF_API int exobpf_tracer__poll(struct exobpf_tracer *t);

/* Stop tracing: breakpoints removed, pending uretprobe returns restored, the
 * processes left running unharmed. A spawned command carries the tracer's
 * seccomp filter, which fails the traced calls with ENOSYS once no tracer
 * is there, so a spawned command (with all it started) is killed instead.
 * 0 or -errno. */
EXOBPF_API int exobpf_tracer__detach(struct exobpf_tracer *t);

/* The spawned command's wait status once it ended (-1 before). */
EXOBPF_API int exobpf_tracer__exit_status(const struct exobpf_tracer *t);

struct exobpf_tracer_stats {
	uint64_t stops;	  /* ptrace stops handled */
	uint64_t runs;	  /* program runs */
	uint64_t faults;  /* program runs that stopped on a fault */
	uint64_t bp_hits; /* uprobe breakpoint hits */
};
EXOBPF_API void exobpf_tracer__stats(const struct exobpf_tracer *t,
				     struct exobpf_tracer_stats *stats);

EXOBPF_API void exobpf_tracer__free(struct exobpf_tracer *t);

/* ---- the fast uprobe path: probes inside the calling process ---- */

struct exobpf_uprobes;

/* Attach the loaded object's uprobe/uretprobe programs (opts->programs
 * selects) to the functions as this process maps them now, by patching
 * their entry with a jump to a stub that runs the programs in place (no
 * trap, no tracer). Functions shorter than 5 bytes or starting with
 * position-dependent instructions are refused (EOPNOTSUPP, naming them).
 * No other thread may run a probed function's first bytes while this
 * patches them. NULL with errno and the message set on failure. */
EXOBPF_API struct exobpf_uprobes *
exobpf_uprobes__attach_self(struct exobpf_object *obj, const struct exobpf_tracer_opts *opts);
/* Probe hits so far (entries of probed functions). */
EXOBPF_API uint64_t exobpf_uprobes__hits(const struct exobpf_uprobes *u);
/* Program runs skipped because the thread was already running a probe's
 * programs: a probed function reached from a helper, from exobpf's own
 * dispatch or from a signal handler. Linux has no such hits: its programs
 * and helpers run in the kernel, where no uprobe fires. */
EXOBPF_API uint64_t exobpf_uprobes__missed(const struct exobpf_uprobes *u);
/* Put the original instructions back (the stubs stay mapped, as a thread
 * may still be inside one) and free u. */
EXOBPF_API void exobpf_uprobes__detach(struct exobpf_uprobes *u);

#endif
