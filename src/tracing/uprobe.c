/* uprobes and uretprobes as breakpoints. A probed function's first byte
 * becomes int3 in every traced process that maps its file; a hit runs the
 * programs with the thread's registers as struct pt_regs (ip at the probed
 * instruction, as Linux), then the original byte is put back for one single
 * step and the int3 rewritten. A uretprobe replaces the return address with
 * a trampoline: a second int3, at the executable's entry point (_start runs
 * once, before anything is probed; if it is hit while no return is pending,
 * it is stepped over like any probe). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>

#include "core/err.h"
#include "exobpf/common.h"
#include "tracing/tracer.h"

static int poke_byte(pid_t tid, uint64_t addr, uint8_t byte, uint8_t *old)
{
	long word;

	errno = 0;
	word = ptrace(PTRACE_PEEKTEXT, tid, (void *)(uintptr_t)addr, 0);
	if (errno)
		return -errno;
	if (old)
		*old = (uint8_t)word;
	word = (long)(((unsigned long)word & ~0xfful) | byte);
	return ptrace(PTRACE_POKETEXT, tid, (void *)(uintptr_t)addr, (void *)word) ? -errno : 0;
}

static struct trc_bp *bp_find(struct trc_proc *p, uint64_t addr)
{
	for (size_t i = 0; p && i < p->nbps; i++)
		if (p->bps[i].addr == addr)
			return &p->bps[i];
	return NULL;
}

static struct trc_bp *bp_insert(struct trc_proc *p, pid_t tid, uint64_t addr, int point)
{
	struct trc_bp *bp = bp_find(p, addr);
	uint8_t orig;

	if (bp)
		return bp;
	if (p->nbps == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 8;
		struct trc_bp *g = realloc(p->bps, cap * sizeof(*g));
		if (!g)
			return NULL;
		p->bps = g;
		p->cap = cap;
	}
	if (poke_byte(tid, addr, 0xcc, &orig)) {
		exo_warn("exobpf trace: pid %d: cannot write a breakpoint at 0x%llx: %s\n",
			 (int)tid, (unsigned long long)addr, strerror(errno));
		return NULL;
	}
	bp = &p->bps[p->nbps++];
	bp->addr = addr;
	bp->orig = orig;
	bp->point = point;
	return bp;
}

static bool path_matches(const struct trc_point *pt, const char *real, const char *mapped)
{
	const char *base;

	if (strchr(pt->path, '/'))
		return real && !strcmp(real, mapped);
	base = strrchr(mapped, '/');
	return base && !strcmp(base + 1, pt->path);
}

int trc_points_locate(pid_t pid, struct trc_point *pts, size_t n,
		      void (*found)(void *arg, int point, uint64_t addr), void *arg)
{
	char path[64], line[PATH_MAX + 128];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	if (!(f = fopen(path, "re")))
		return exo_err(errno, "%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		unsigned long long start, end, pgoff;
		char perms[8], mapped[PATH_MAX];
		int k = 0;

		if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %n", &start, &end, perms, &pgoff, &k) <
			4 ||
		    !strchr(perms, 'x') || !k || line[k] != '/')
			continue;
		snprintf(mapped, sizeof(mapped), "%s", line + k);
		mapped[strcspn(mapped, "\n")] = '\0';
		for (size_t i = 0; i < n; i++) {
			struct trc_point *pt = &pts[i];
			char *real = strchr(pt->path, '/') ? realpath(pt->path, NULL) : NULL;
			bool match = path_matches(pt, real, mapped);

			free(real);
			if (!match)
				continue;
			if (!pt->resolved) {
				if (trc_elf_func_offset(mapped, pt->func, pt->off, &pt->file_off,
							&pt->left)) {
					exo_warn("exobpf trace: %s\n", exobpf_errmsg());
					continue;
				}
				pt->resolved = true;
			}
			if (pt->file_off >= pgoff && pt->file_off < pgoff + (end - start))
				found(arg, (int)i, start + (pt->file_off - pgoff));
		}
	}
	fclose(f);
	return 0;
}

struct scan {
	struct trc_proc *proc;
	pid_t tid;
};

static void place(void *arg, int point, uint64_t addr)
{
	struct scan *sc = arg;

	bp_insert(sc->proc, sc->tid, addr, point);
}

void trc_uprobe_scan(struct exobpf_tracer *t, struct trc_thread *th)
{
	struct scan sc = {NULL, th->tid};

	if (!t->npoints || !(sc.proc = trc_proc_find(t, th->tgid, true)))
		return;
	trc_points_locate(th->tgid, t->points, t->npoints, place, &sc);
}

void trc_uprobe_exec(struct exobpf_tracer *t, struct trc_thread *th)
{
	struct trc_proc *proc = trc_proc_find(t, th->tgid, true);

	if (proc) {
		proc->nbps = 0;
		proc->tramp = 0;
	}
	trc_uprobe_scan(t, th);
}

void trc_uprobe_fork(struct exobpf_tracer *t, struct trc_thread *parent, struct trc_thread *child)
{
	struct trc_proc *pp = trc_proc_find(t, parent->tgid, false), *cp;
	size_t n = pp ? pp->nbps : 0;
	uint64_t tramp = pp ? pp->tramp : 0;
	struct trc_bp *copy = n ? malloc(n * sizeof(*copy)) : NULL;

	/* the child's memory is a copy: same breakpoints, same pending returns */
	if (n && copy)
		memcpy(copy, pp->bps, n * sizeof(*copy));
	cp = trc_proc_find(t, child->tgid, true); /* may move pp */
	if (!cp) {
		free(copy);
		return;
	}
	free(cp->bps);
	cp->bps = copy;
	cp->nbps = cp->cap = copy ? n : 0;
	cp->tramp = tramp;
	if (parent->nrets && (child->rets = malloc(parent->nrets * sizeof(*child->rets)))) {
		memcpy(child->rets, parent->rets, parent->nrets * sizeof(*child->rets));
		child->nrets = child->retcap = parent->nrets;
	}
}

static uint64_t entry_point(pid_t tgid)
{
	char path[64];
	uint64_t aux[2];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/auxv", (int)tgid);
	if (!(f = fopen(path, "re")))
		return 0;
	while (fread(aux, sizeof(aux), 1, f) == 1 && aux[0])
		if (aux[0] == 9 /* AT_ENTRY */) {
			fclose(f);
			return aux[1];
		}
	fclose(f);
	return 0;
}

static void run_point(struct exobpf_tracer *t, struct trc_thread *th, int point, bool ret,
		      struct user_regs_struct *regs)
{
	for (size_t i = 0; i < t->natt; i++) {
		const struct trc_attach *a = &t->att[i];

		if (a->point == point && (a->kind == TRC_URETPROBE) == ret)
			trc_run(t, a, regs, th); /* its first 168 bytes are struct pt_regs */
	}
}

/* Hijack the return address at the entry of a function with uretprobes. */
static void push_return(struct exobpf_tracer *t, struct trc_thread *th, struct trc_proc *proc,
			int point, const struct user_regs_struct *regs)
{
	uint64_t ret;

	if (!proc->tramp) {
		uint64_t at = entry_point(th->tgid);
		if (!at || !bp_insert(proc, th->tid, at, -1))
			return;
		proc->tramp = at;
	}
	if (trc_mem_read(th->tid, &ret, 8, regs->rsp))
		return;
	if (th->nrets == th->retcap) {
		size_t cap = th->retcap ? 2 * th->retcap : 8;
		struct trc_ret *g = realloc(th->rets, cap * sizeof(*g));
		if (!g)
			return;
		th->rets = g;
		th->retcap = cap;
	}
	if (ptrace(PTRACE_POKEDATA, th->tid, (void *)(uintptr_t)regs->rsp,
		   (void *)(uintptr_t)proc->tramp))
		return;
	th->rets[th->nrets++] = (struct trc_ret){regs->rsp + 8, ret, point};
	(void)t;
}

bool trc_uprobe_trap(struct exobpf_tracer *t, struct trc_thread *th)
{
	struct trc_proc *proc = trc_proc_find(t, th->tgid, false);
	struct user_regs_struct regs;
	struct trc_bp *bp;
	uint64_t addr;

	if (th->stepping) { /* the probed instruction ran: re-arm it */
		th->stepping = false;
		if (bp_find(proc, th->step_addr))
			poke_byte(th->tid, th->step_addr, 0xcc, NULL);
		trc_resume(t, th, false, 0);
		return true;
	}
	if (!proc || ptrace(PTRACE_GETREGS, th->tid, 0, &regs))
		return false;
	addr = regs.rip - 1;
	if (!(bp = bp_find(proc, addr)))
		return false;
	t->st.bp_hits++;
	if (bp->point < 0) {
		/* frames left by longjmp are deeper (lower sp) than where we are */
		while (th->nrets && th->rets[th->nrets - 1].sp < regs.rsp)
			th->nrets--;
		if (th->nrets && th->rets[th->nrets - 1].sp == regs.rsp) {
			struct trc_ret r = th->rets[--th->nrets];

			regs.rip = r.ret;
			ptrace(PTRACE_SETREGS, th->tid, 0, &regs);
			run_point(t, th, r.point, true, &regs);
			trc_resume(t, th, false, 0);
			return true;
		}
	} else {
		int point = bp->point;
		uint8_t orig = bp->orig;

		regs.rip = addr;
		if (t->points[point].entry)
			run_point(t, th, point, false, &regs);
		if (t->points[point].ret)
			push_return(t, th, proc, point, &regs); /* may move bp */
		bp = bp_find(proc, addr);
		if (!bp || bp->orig != orig)
			return false;
	}
	/* run the original instruction once, then write the int3 back */
	regs.rip = addr;
	ptrace(PTRACE_SETREGS, th->tid, 0, &regs);
	poke_byte(th->tid, addr, bp->orig, NULL);
	th->stepping = true;
	th->step_addr = addr;
	trc_resume(t, th, false, 0);
	return true;
}

bool trc_uprobe_undo_trap(struct exobpf_tracer *t, struct trc_thread *th)
{
	struct trc_proc *proc = trc_proc_find(t, th->tgid, false);
	struct user_regs_struct regs;

	if (th->stepping) /* its step ended; the instruction ran once */
		return true;
	if (!proc || ptrace(PTRACE_GETREGS, th->tid, 0, &regs) || !bp_find(proc, regs.rip - 1))
		return false;
	regs.rip--;
	return ptrace(PTRACE_SETREGS, th->tid, 0, &regs) == 0;
}

void trc_uprobe_remove(struct exobpf_tracer *t, struct trc_thread *th)
{
	struct trc_proc *proc = trc_proc_find(t, th->tgid, false);

	for (size_t j = th->nrets; j-- > 0;)
		ptrace(PTRACE_POKEDATA, th->tid, (void *)(uintptr_t)(th->rets[j].sp - 8),
		       (void *)(uintptr_t)th->rets[j].ret);
	th->nrets = 0;
	th->stepping = false;
	if (!proc || proc->removed)
		return;
	for (size_t b = 0; b < proc->nbps; b++)
		poke_byte(th->tid, proc->bps[b].addr, proc->bps[b].orig, NULL);
	proc->removed = true; /* the list stays, to recognise late traps */
}
