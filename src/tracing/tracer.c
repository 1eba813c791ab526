/* The tracer: ptrace (PTRACE_SEIZE) over a command or a running process,
 * following forks, threads and execs. System calls with programs stop the
 * thread through a seccomp filter built by the classic-BPF module
 * (SECCOMP_RET_TRACE for their numbers only); uprobes are int3 breakpoints
 * (uprobe.c). Each stop runs the attached programs in this process with the
 * stopped thread's view (task.c), then resumes the thread. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>

#include "core/err.h"
#include "core/opts.h"
#include "core/prog.h"
#include "exobpf/cbpf.h"
#include "exobpf/object.h"
#include "tracing/tracer.h"

#define PTRACE_OPTIONS                                                                            \
	(PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE | \
	 PTRACE_O_TRACEEXEC | PTRACE_O_TRACESECCOMP)

/* ---- threads and processes ---- */

struct trc_thread *trc_thread_find(struct exobpf_tracer *t, pid_t tid)
{
	for (size_t i = 0; i < t->nth; i++)
		if (t->th[i]->tid == tid)
			return t->th[i];
	return NULL;
}

static struct trc_thread *thread_add(struct exobpf_tracer *t, pid_t tid)
{
	struct trc_thread *th, **grown;

	if (t->nth == t->thcap) {
		size_t cap = t->thcap ? 2 * t->thcap : 16;
		if (!(grown = realloc(t->th, cap * sizeof(*grown))))
			return NULL;
		t->th = grown;
		t->thcap = cap;
	}
	if (!(th = calloc(1, sizeof(*th))))
		return NULL;
	th->tid = tid;
	th->tgid = trc_tgid_of(tid);
	if (th->tgid < 0)
		th->tgid = tid;
	th->nr = -1;
	t->th[t->nth++] = th;
	return th;
}

static void thread_remove(struct exobpf_tracer *t, struct trc_thread *th)
{
	for (size_t i = 0; i < t->nth; i++)
		if (t->th[i] == th) {
			t->th[i] = t->th[--t->nth];
			break;
		}
	free(th->rets);
	free(th);
}

struct trc_proc *trc_proc_find(struct exobpf_tracer *t, pid_t tgid, bool create)
{
	struct trc_proc *grown;

	for (size_t i = 0; i < t->nprocs; i++)
		if (t->procs[i].tgid == tgid)
			return &t->procs[i];
	if (!create)
		return NULL;
	if (!(grown = realloc(t->procs, (t->nprocs + 1) * sizeof(*grown))))
		return NULL;
	t->procs = grown;
	memset(&t->procs[t->nprocs], 0, sizeof(*t->procs));
	t->procs[t->nprocs].tgid = tgid;
	return &t->procs[t->nprocs++];
}

static void proc_remove_if_empty(struct exobpf_tracer *t, pid_t tgid)
{
	for (size_t i = 0; i < t->nth; i++)
		if (t->th[i]->tgid == tgid)
			return;
	for (size_t i = 0; i < t->nprocs; i++)
		if (t->procs[i].tgid == tgid) {
			free(t->procs[i].bps);
			t->procs[i] = t->procs[--t->nprocs];
			return;
		}
}

/* ---- running programs ---- */

void trc_run(struct exobpf_tracer *t, const struct trc_attach *a, void *ctx,
	     const struct trc_thread *th)
{
	struct trc_task task;
	struct vm_run run;

	trc_task_init(&task, th->tid, th->tgid);
	memset(&run, 0, sizeof(run));
	run.prog = &a->prog->vm;
	run.task = &task.h;
	vm_run(&run, (uintptr_t)ctx, 0);
	t->st.runs++;
	if (run.fault) {
		t->st.faults++;
		exo_warn("exobpf trace: program %s: %s\n", a->name, run.fault_msg);
	}
}

static bool want_exit(const struct exobpf_tracer *t, int nr)
{
	return nr >= 0 && nr < TRC_MAX_NR && (t->exit_nr[nr] || t->any_exit);
}

/* A system call's entry: the programs for it, then whether to stop at its exit. */
static bool on_sys_enter(struct exobpf_tracer *t, struct trc_thread *th, int nr,
			 const uint64_t args[6])
{
	struct user_regs_struct regs;
	bool have_regs = false;

	th->nr = nr;
	memcpy(th->args, args, sizeof(th->args));
	for (size_t i = 0; i < t->natt; i++) {
		const struct trc_attach *a = &t->att[i];
		struct trc_sys_ctx c;
		uint64_t raw[2];

		if ((a->kind == TRC_SYS_ENTER && a->nr == nr) || a->kind == TRC_RAW_ENTER) {
			trc_ctx_sys_enter(&c, a->kind == TRC_RAW_ENTER, th->tid, nr, args);
			trc_run(t, a, c.bytes, th);
		} else if (a->kind == TRC_RAWTP_ENTER) {
			/* args[0] is the task's struct pt_regs, "kernel" memory here */
			if (!have_regs && ptrace(PTRACE_GETREGS, th->tid, 0, &regs) == 0)
				have_regs = true;
			if (!have_regs)
				continue;
			raw[0] = (uintptr_t)&regs;
			raw[1] = (uint64_t)(int64_t)nr;
			trc_run(t, a, raw, th);
		}
	}
	return want_exit(t, nr) || (t->npoints && nr == SYS_mmap);
}

static void on_sys_exit(struct exobpf_tracer *t, struct trc_thread *th, int64_t ret)
{
	struct user_regs_struct regs;
	bool have_regs = false;
	int nr = th->nr;

	th->nr = -1;
	th->await_exit = false;
	if (nr < 0)
		return;
	for (size_t i = 0; i < t->natt; i++) {
		const struct trc_attach *a = &t->att[i];
		struct trc_sys_ctx c;
		uint64_t raw[2];

		if ((a->kind == TRC_SYS_EXIT && a->nr == nr) || a->kind == TRC_RAW_EXIT) {
			trc_ctx_sys_exit(&c, a->kind == TRC_RAW_EXIT, th->tid, nr, (long)ret);
			trc_run(t, a, c.bytes, th);
		} else if (a->kind == TRC_RAWTP_EXIT) {
			if (!have_regs && ptrace(PTRACE_GETREGS, th->tid, 0, &regs) == 0)
				have_regs = true;
			if (!have_regs)
				continue;
			raw[0] = (uintptr_t)&regs;
			raw[1] = (uint64_t)ret;
			trc_run(t, a, raw, th);
		}
	}
	/* a new executable mapping may hold a probed function */
	if (t->npoints && nr == SYS_mmap && ret >= 0 && (th->args[2] & 4 /* PROT_EXEC */))
		trc_uprobe_scan(t, th);
}

/* ---- the tracer object ---- */

static int add_attach(struct exobpf_tracer *t, struct exobpf_program *p)
{
	struct trc_attach a, *grown;
	struct trc_point pt;
	int err;

	err = trc_parse_attach(exobpf_program__section_name(p), exobpf_program__name(p), &a, &pt);
	if (err < 0)
		return err;
	if (err == 1 && t->uprobes_elsewhere) {
		trc_point_free(&pt);
		return 0;
	}
	a.prog = exobpf_program__prog(p);
	if (!a.prog)
		return exo_err(EINVAL, "program %s: not loaded", a.name);
	if (err == 1) { /* a uprobe: share the point with others at the same place */
		size_t i;
		for (i = 0; i < t->npoints; i++)
			if (!strcmp(t->points[i].path, pt.path) &&
			    !strcmp(t->points[i].func, pt.func) && t->points[i].off == pt.off)
				break;
		if (i == t->npoints) {
			struct trc_point *g = realloc(t->points, (i + 1) * sizeof(*g));
			if (!g) {
				trc_point_free(&pt);
				return exo_err(ENOMEM, "out of memory");
			}
			t->points = g;
			t->points[t->npoints++] = pt;
		} else {
			trc_point_free(&pt);
		}
		a.point = (int)i;
		if (a.kind == TRC_URETPROBE)
			t->points[i].ret = true;
		else
			t->points[i].entry = true;
	}
	if (!(grown = realloc(t->att, (t->natt + 1) * sizeof(*grown))))
		return exo_err(ENOMEM, "out of memory");
	t->att = grown;
	t->att[t->natt++] = a;
	switch (a.kind) {
	case TRC_SYS_ENTER:
		t->enter_nr[a.nr] = true;
		break;
	case TRC_SYS_EXIT:
		t->exit_nr[a.nr] = true;
		break;
	case TRC_RAW_ENTER:
	case TRC_RAWTP_ENTER:
		t->any_enter = true;
		break;
	case TRC_RAW_EXIT:
	case TRC_RAWTP_EXIT:
		t->any_exit = true;
		break;
	default:
		break;
	}
	return 0;
}

static bool is_tracing_section(const char *sec)
{
	static const char *const prefixes[] = {"tracepoint/", "tp/",	 "raw_tracepoint/",
					       "raw_tp/",     "uprobe/", "uretprobe/"};

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (!strncmp(sec, prefixes[i], strlen(prefixes[i])))
			return true;
	return false;
}

EXOBPF_API struct exobpf_tracer *exobpf_tracer__new(struct exobpf_object *obj,
						    const struct exobpf_tracer_opts *opts)
{
	struct exobpf_tracer *t;
	struct exobpf_program *p;
	int err = 0;

	if (!obj) {
		exo_err(EINVAL, "exobpf_tracer__new: no object");
		return NULL;
	}
	if (!OPTS_VALID(opts, exobpf_tracer_opts))
		return NULL;
	if (!(t = calloc(1, sizeof(*t)))) {
		exo_err(ENOMEM, "out of memory");
		return NULL;
	}
	t->obj = obj;
	t->uprobes_elsewhere = OPT(opts, uprobes_in_process, false);
	t->child = -1;
	t->status = -1;
	if (OPT(opts, programs, NULL)) {
		for (size_t i = 0; !err && i < opts->nr_programs; i++) {
			p = exobpf_object__find_program_by_name(obj, opts->programs[i]);
			err = p ? add_attach(t, p)
				: exo_err(ENOENT, "%s: no program named '%s'",
					  exobpf_object__name(obj), opts->programs[i]);
		}
	} else {
		for (p = exobpf_object__next_program(obj, NULL); !err && p;
		     p = exobpf_object__next_program(obj, p))
			if (exobpf_program__autoload(p) &&
			    is_tracing_section(exobpf_program__section_name(p)))
				err = add_attach(t, p);
		if (!err && !t->natt && !t->uprobes_elsewhere)
			err =
			    exo_err(ENOENT, "%s: no syscall tracepoint or uprobe program to attach",
				    exobpf_object__name(obj));
	}
	/* a probe in a named file must resolve now; a bare library name waits
	 * for a process that maps it */
	for (size_t i = 0; !err && i < t->npoints; i++) {
		struct trc_point *pt = &t->points[i];

		if (strchr(pt->path, '/')) {
			err = trc_elf_func_offset(pt->path, pt->func, pt->off, &pt->file_off,
						  &pt->left);
			pt->resolved = !err;
		}
	}
	if (err) {
		exobpf_tracer__free(t);
		errno = -err;
		return NULL;
	}
	return t;
}

EXOBPF_API void exobpf_tracer__free(struct exobpf_tracer *t)
{
	if (!t)
		return;
	while (t->nth)
		thread_remove(t, t->th[0]);
	for (size_t i = 0; i < t->nprocs; i++)
		free(t->procs[i].bps);
	for (size_t i = 0; i < t->npoints; i++)
		trc_point_free(&t->points[i]);
	free(t->points);
	free(t->procs);
	free(t->th);
	free(t->att);
	free(t);
}

EXOBPF_API int exobpf_tracer__exit_status(const struct exobpf_tracer *t)
{
	return t ? t->status : -1;
}

EXOBPF_API void exobpf_tracer__stats(const struct exobpf_tracer *t,
				     struct exobpf_tracer_stats *stats)
{
	if (t && stats)
		*stats = t->st;
}

/* The numbers whose entry must stop (NULL list with *n = 0: none). */
static int filter_numbers(const struct exobpf_tracer *t, int **nrs, size_t *n)
{
	*n = 0;
	if (!(*nrs = malloc(TRC_MAX_NR * sizeof(int))))
		return exo_err(ENOMEM, "out of memory");
	for (int nr = 0; nr < TRC_MAX_NR; nr++)
		if (t->enter_nr[nr] || t->exit_nr[nr] || (t->npoints && nr == SYS_mmap))
			(*nrs)[(*n)++] = nr;
	return 0;
}

EXOBPF_API int exobpf_tracer__spawn(struct exobpf_tracer *t, char *const argv[])
{
	struct sock_filter *filter = NULL;
	struct sock_fprog fprog;
	size_t cnt = 0, n;
	int *nrs, status, err;
	pid_t pid;

	if (!t || !argv || !argv[0])
		return exo_err(EINVAL, "exobpf_tracer__spawn: no command");
	if (t->child > 0)
		return exo_err(EBUSY, "exobpf_tracer__spawn: a command is already traced");
	/* every system call stops when raw tracepoints want them all */
	t->seccomp = !t->any_enter && !t->any_exit;
	if (t->seccomp) {
		if ((err = filter_numbers(t, &nrs, &n)))
			return err;
		err = exobpf_seccomp_trace_filter(nrs, n, NULL, &filter, &cnt);
		free(nrs);
		if (err)
			return err;
	}
	fprog.len = (unsigned short)cnt;
	fprog.filter = filter;
	pid = fork();
	if (pid < 0) {
		free(filter);
		return exo_err(errno, "fork: %s", strerror(errno));
	}
	if (pid == 0) {
		/* the tracer seizes us while we are stopped; the filter goes in last
		 * so it sees only the exec and the command's own calls */
		raise(SIGSTOP);
		if (filter && syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) &&
		    (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
		     syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog)))
			_exit(126);
		execvp(argv[0], argv);
		_exit(127);
	}
	free(filter);
	if (waitpid(pid, &status, WUNTRACED) != pid || !WIFSTOPPED(status)) {
		err = exo_err(ECHILD, "%s: the child did not stop before exec", argv[0]);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return err;
	}
	if (ptrace(PTRACE_SEIZE, pid, 0, PTRACE_OPTIONS | PTRACE_O_EXITKILL)) {
		err = exo_err(errno, "ptrace(PTRACE_SEIZE, %d): %s", (int)pid, strerror(errno));
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return err;
	}
	if (!thread_add(t, pid) || !trc_proc_find(t, pid, true)) {
		kill(pid, SIGKILL);
		return exo_err(ENOMEM, "out of memory");
	}
	t->child = pid;
	kill(pid, SIGCONT);
	return pid;
}

EXOBPF_API int exobpf_tracer__attach_pid(struct exobpf_tracer *t, pid_t pid)
{
	char path[64];
	DIR *dir;
	struct dirent *de;
	int attached = 0, err = 0;

	if (!t || pid <= 0)
		return exo_err(EINVAL, "exobpf_tracer__attach_pid: bad pid %d", (int)pid);
	t->seccomp = false;
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	if (!(dir = opendir(path)))
		return exo_err(ESRCH, "pid %d: no such process", (int)pid);
	if (!trc_proc_find(t, pid, true)) {
		closedir(dir);
		return exo_err(ENOMEM, "out of memory");
	}
	while ((de = readdir(dir))) {
		pid_t tid = (pid_t)atoi(de->d_name);
		struct trc_thread *th;

		if (tid <= 0)
			continue;
		if (ptrace(PTRACE_SEIZE, tid, 0, PTRACE_OPTIONS)) {
			if (errno == ESRCH)
				continue; /* the thread ended meanwhile */
			err = exo_err(errno, "ptrace(PTRACE_SEIZE, %d): %s", (int)tid,
				      strerror(errno));
			break;
		}
		if (!(th = thread_add(t, tid))) {
			err = exo_err(ENOMEM, "out of memory");
			break;
		}
		ptrace(PTRACE_INTERRUPT, tid, 0, 0);
		attached++;
	}
	closedir(dir);
	if (err)
		return err;
	return attached ? 0 : exo_err(ESRCH, "pid %d: no thread to attach to", (int)pid);
}

/* Resume a thread: stopping at the next system call when there is no
 * filter (or its exit is wanted), stepping when it steps over a probe. */
void trc_resume(struct exobpf_tracer *t, struct trc_thread *th, bool syscall_stop, int sig)
{
	enum __ptrace_request req = PTRACE_CONT;

	if (th->stepping)
		req = PTRACE_SINGLESTEP;
	else if (syscall_stop || !t->seccomp)
		req = PTRACE_SYSCALL;
	ptrace(req, th->tid, 0, (void *)(uintptr_t)sig);
}

static void on_event(struct exobpf_tracer *t, struct trc_thread *th, int event)
{
	unsigned long msg = 0;
	struct __ptrace_syscall_info info;
	struct trc_thread *nt;

	ptrace(PTRACE_GETEVENTMSG, th->tid, 0, &msg);
	switch (event) {
	case PTRACE_EVENT_SECCOMP:
		if (ptrace(PTRACE_GET_SYSCALL_INFO, th->tid, sizeof(info), &info) <= 0 ||
		    info.op != PTRACE_SYSCALL_INFO_SECCOMP) {
			trc_resume(t, th, false, 0);
			return;
		}
		th->await_exit = on_sys_enter(t, th, (int)info.seccomp.nr, info.seccomp.args);
		trc_resume(t, th, th->await_exit, 0);
		return;
	case PTRACE_EVENT_FORK:
	case PTRACE_EVENT_VFORK:
	case PTRACE_EVENT_CLONE:
		nt = trc_thread_find(t, (pid_t)msg);
		if (!nt && (nt = thread_add(t, (pid_t)msg)) && event != PTRACE_EVENT_CLONE)
			nt->tgid = (pid_t)msg;
		if (nt && nt->tgid != th->tgid)
			trc_uprobe_fork(t, th, nt);
		trc_resume(t, th, false, 0);
		return;
	case PTRACE_EVENT_EXEC:
		/* the other threads are gone; a non-leader exec takes the leader's id */
		for (size_t i = 0; i < t->nth;) {
			if (t->th[i] != th && t->th[i]->tgid == th->tgid)
				thread_remove(t, t->th[i]);
			else
				i++;
		}
		th->tid = th->tgid;
		th->nrets = 0;
		trc_uprobe_exec(t, th);
		/* execve's own exit stop comes after this event */
		trc_resume(t, th, th->await_exit, 0);
		return;
	case PTRACE_EVENT_STOP:
	default:
		/* group-stops and the first stop after attaching: keep running (a
		 * new thread is scanned for probes by its process already) */
		if (!th->started) {
			th->started = true;
			if (t->child <= 0) /* attached: its mappings are all there */
				trc_uprobe_scan(t, th);
		}
		trc_resume(t, th, false, 0);
		return;
	}
}

static void on_syscall_stop(struct exobpf_tracer *t, struct trc_thread *th)
{
	struct __ptrace_syscall_info info;

	if (ptrace(PTRACE_GET_SYSCALL_INFO, th->tid, sizeof(info), &info) <= 0) {
		trc_resume(t, th, false, 0);
		return;
	}
	if (info.op == PTRACE_SYSCALL_INFO_ENTRY) {
		int nr = (int)info.entry.nr;
		bool wanted =
		    t->any_enter || t->any_exit ||
		    (nr >= 0 && nr < TRC_MAX_NR &&
		     (t->enter_nr[nr] || t->exit_nr[nr] || (t->npoints && nr == SYS_mmap)));
		if (wanted)
			on_sys_enter(t, th, nr, info.entry.args);
		else
			th->nr = -1;
	} else if (info.op == PTRACE_SYSCALL_INFO_EXIT) {
		on_sys_exit(t, th, info.exit.rval);
	}
	trc_resume(t, th, false, 0);
}

static void on_exit_status(struct exobpf_tracer *t, struct trc_thread *th, int status)
{
	pid_t tgid = th->tgid;

	if (th->tid == t->child)
		t->status = status;
	thread_remove(t, th);
	proc_remove_if_empty(t, tgid);
}

static int handle(struct exobpf_tracer *t, pid_t tid, int status)
{
	struct trc_thread *th = trc_thread_find(t, tid);
	int sig;

	if (!th) {
		if (!(th = thread_add(t, tid)))
			return exo_err(ENOMEM, "out of memory");
	}
	t->st.stops++;
	if (WIFEXITED(status) || WIFSIGNALED(status)) {
		on_exit_status(t, th, status);
		return 0;
	}
	if (!WIFSTOPPED(status))
		return 0;
	sig = WSTOPSIG(status);
	if (sig == (SIGTRAP | 0x80)) {
		on_syscall_stop(t, th);
	} else if (status >> 16) {
		on_event(t, th, status >> 16);
	} else if (sig == SIGTRAP && trc_uprobe_trap(t, th)) {
		/* a breakpoint or the end of a step over one: handled */
	} else if (!th->started && sig == SIGSTOP) {
		th->started = true;
		trc_resume(t, th, false, 0);
	} else {
		trc_resume(t, th, false, sig); /* the thread's own signal */
	}
	return 0;
}

EXOBPF_API int exobpf_tracer__poll(struct exobpf_tracer *t)
{
	int status, handled = 0;
	pid_t tid;

	if (!t)
		return exo_err(EINVAL, "exobpf_tracer__poll: no tracer");
	if (!t->nth)
		return 0;
	tid = waitpid(-1, &status, __WALL);
	if (tid < 0) {
		if (errno == ECHILD) { /* everything traced is gone */
			while (t->nth)
				thread_remove(t, t->th[0]);
			return 0;
		}
		return -errno;
	}
	do {
		int err = handle(t, tid, status);
		if (err)
			return err;
		handled++;
	} while (t->nth && (tid = waitpid(-1, &status, __WALL | WNOHANG)) > 0);
	return handled;
}

EXOBPF_API int exobpf_tracer__detach(struct exobpf_tracer *t)
{
	if (!t)
		return exo_err(EINVAL, "exobpf_tracer__detach: no tracer");
	if (t->seccomp && t->child > 0) {
		/* without its tracer the filter fails the traced calls with ENOSYS */
		for (size_t i = 0; i < t->nth; i++)
			syscall(SYS_tgkill, t->th[i]->tgid, t->th[i]->tid, SIGKILL);
		while (t->nth && exobpf_tracer__poll(t) > 0)
			;
		return 0;
	}
	/* Interrupt every thread and detach each as it reports its stop. Not
	 * one after the other: a vfork parent cannot stop before its child
	 * runs on, and the child may be stopped by us. A process's breakpoints
	 * are taken out through its first stopped thread. */
	for (size_t i = 0; i < t->nth; i++)
		ptrace(PTRACE_INTERRUPT, t->th[i]->tid, 0, 0);
	while (t->nth) {
		struct trc_thread *th;
		int status, sig = 0;
		pid_t tid = waitpid(-1, &status, __WALL);

		if (tid < 0) {
			if (errno == EINTR)
				continue;
			break; /* nothing traced is left */
		}
		if (!(th = trc_thread_find(t, tid)) && !(th = thread_add(t, tid)))
			return exo_err(ENOMEM, "out of memory");
		if (WIFEXITED(status) || WIFSIGNALED(status)) {
			on_exit_status(t, th, status);
			continue;
		}
		if (!WIFSTOPPED(status))
			continue;
		if (!(status >> 16) && WSTOPSIG(status) == SIGTRAP)
			sig = trc_uprobe_undo_trap(t, th) ? 0 : SIGTRAP;
		else if (!(status >> 16) && WSTOPSIG(status) != (SIGTRAP | 0x80))
			sig = WSTOPSIG(status); /* a signal it was about to get */
		trc_uprobe_remove(t, th);
		ptrace(PTRACE_DETACH, tid, 0, (void *)(uintptr_t)sig);
		thread_remove(t, th);
	}
	while (t->nth)
		thread_remove(t, t->th[0]);
	return 0;
}
