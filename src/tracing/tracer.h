/* The tracer object and the parts of it uprobe.c shares with tracer.c. */
#ifndef EXOBPF_TRACING_TRACER_H
#define EXOBPF_TRACING_TRACER_H

#include "tracing/tracing.h"

#define TRC_MAX_NR 512 /* x86-64 system call numbers are below this */

/* An int3 written into a process. */
struct trc_bp {
	uint64_t addr;
	uint8_t orig; /* the byte it replaced */
	int point;    /* index into points; -1 for the uretprobe trampoline */
};

struct trc_proc {
	pid_t tgid;
	struct trc_bp *bps;
	size_t nbps, cap;
	uint64_t tramp; /* where uretprobes return to (0: not placed yet) */
	bool removed;	/* detaching: the original bytes are back */
};

/* A uretprobe's pending return: the thread returns to the trampoline with
 * its stack pointer at sp, and goes on at ret. */
struct trc_ret {
	uint64_t sp, ret;
	int point;
};

struct trc_thread {
	pid_t tid, tgid;
	int nr;		 /* system call in progress, or -1 */
	bool await_exit; /* its exit stop was asked for (PTRACE_SYSCALL) */
	uint64_t args[6];
	bool started;  /* its first stop was seen */
	bool stepping; /* single-stepping over the breakpoint at step_addr */
	uint64_t step_addr;
	struct trc_ret *rets;
	size_t nrets, retcap;
};

struct exobpf_tracer {
	struct exobpf_object *obj;
	struct trc_attach *att;
	size_t natt;
	struct trc_point *points;
	size_t npoints;
	bool enter_nr[TRC_MAX_NR], exit_nr[TRC_MAX_NR];
	bool any_enter, any_exit; /* raw tracepoints: every system call */
	bool seccomp;		  /* the filter stops the threads (else every call does) */
	bool uprobes_elsewhere;	  /* the fast path runs the uprobes in the process */
	struct trc_thread **th;
	size_t nth, thcap;
	struct trc_proc *procs;
	size_t nprocs;
	pid_t child;
	int status;
	struct exobpf_tracer_stats st;
};

struct trc_thread *trc_thread_find(struct exobpf_tracer *t, pid_t tid);
struct trc_proc *trc_proc_find(struct exobpf_tracer *t, pid_t tgid, bool create);
void trc_run(struct exobpf_tracer *t, const struct trc_attach *a, void *ctx,
	     const struct trc_thread *th);
void trc_resume(struct exobpf_tracer *t, struct trc_thread *th, bool syscall_stop, int sig);

/* uprobe.c: place breakpoints for the points in th's process (after exec or
 * an executable mmap), copy them to a forked child, handle a SIGTRAP (true
 * when it was ours: the thread was resumed), take them all out. */
void trc_uprobe_scan(struct exobpf_tracer *t, struct trc_thread *th);
void trc_uprobe_exec(struct exobpf_tracer *t, struct trc_thread *th);
void trc_uprobe_fork(struct exobpf_tracer *t, struct trc_thread *parent, struct trc_thread *child);
bool trc_uprobe_trap(struct exobpf_tracer *t, struct trc_thread *th);
/* Detaching, with th stopped: put its process's original bytes back (once)
 * and its pending return addresses; undo_trap rewinds a thread that just
 * hit one of our int3s (true) so it runs the original instruction. */
void trc_uprobe_remove(struct exobpf_tracer *t, struct trc_thread *th);
bool trc_uprobe_undo_trap(struct exobpf_tracer *t, struct trc_thread *th);

#endif
