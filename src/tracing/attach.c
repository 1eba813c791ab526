/* Attach points from section names, and the contexts Linux gives syscall
 * tracepoints. Layouts (x86-64), as the kernel's format files describe them:
 *   syscalls/sys_enter_NAME: common (8), int __syscall_nr @8, args @16 + 8*i
 *   syscalls/sys_exit_NAME:  common (8), int __syscall_nr @8, long ret @16
 *   raw_syscalls/sys_enter:  common (8), long id @8, unsigned long args[6] @16
 *   raw_syscalls/sys_exit:   common (8), long id @8, long ret @16
 * common: u16 common_type, u8 common_flags, u8 common_preempt_count,
 * int common_pid @4. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "exobpf/cbpf.h"
#include "tracing/tracing.h"

/* Tracepoints named after the kernel's SYSCALL_DEFINE name where it differs
 * from the system call's own name (x86-64). */
static const struct {
	const char *tp, *sys;
} aliases[] = {
    {"newstat", "stat"},   {"newfstat", "fstat"},      {"newlstat", "lstat"},
    {"newuname", "uname"}, {"sendfile64", "sendfile"}, {"umount", "umount2"},
};

static int syscall_by_tp_name(const char *name)
{
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (!strcmp(name, aliases[i].tp))
			return exobpf_seccomp_syscall_nr(aliases[i].sys);
	return exobpf_seccomp_syscall_nr(name);
}

static bool has_prefix(const char *s, const char *p)
{
	return !strncmp(s, p, strlen(p));
}

static int parse_uprobe(const char *target, const char *prog, struct trc_point *p)
{
	const char *colon = target ? strrchr(target, ':') : NULL;
	char *plus, *end;

	memset(p, 0, sizeof(*p));
	if (!colon || colon == target || !colon[1])
		return exo_err(EINVAL,
			       "program %s: uprobe target '%s' is not PATH:FUNCTION[+OFFSET]", prog,
			       target ? target : "");
	p->path = strndup(target, (size_t)(colon - target));
	p->func = strdup(colon + 1);
	if (!p->path || !p->func) {
		trc_point_free(p);
		return exo_err(ENOMEM, "program %s: out of memory", prog);
	}
	plus = strchr(p->func, '+');
	if (plus) {
		errno = 0;
		p->off = strtoull(plus + 1, &end, 0);
		if (errno || end == plus + 1 || *end || plus == p->func) {
			exo_err(EINVAL, "program %s: uprobe target '%s': bad offset '%s'", prog,
				target, plus + 1);
			trc_point_free(p);
			return -EINVAL;
		}
		*plus = '\0';
	}
	return 0;
}

int trc_parse_attach(const char *sec, const char *prog, struct trc_attach *a,
		     struct trc_point *point)
{
	const char *t;

	memset(a, 0, sizeof(*a));
	a->nr = -1;
	a->point = -1;
	a->name = prog;
	if (has_prefix(sec, "uprobe/") || has_prefix(sec, "uretprobe/")) {
		a->kind = sec[1] == 'r' ? TRC_URETPROBE : TRC_UPROBE;
		return parse_uprobe(strchr(sec, '/') + 1, prog, point) ? -errno : 1;
	}
	if (has_prefix(sec, "raw_tracepoint/") || has_prefix(sec, "raw_tp/")) {
		t = strchr(sec, '/') + 1;
		if (!strcmp(t, "sys_enter"))
			a->kind = TRC_RAWTP_ENTER;
		else if (!strcmp(t, "sys_exit"))
			a->kind = TRC_RAWTP_EXIT;
		else
			return exo_err(EOPNOTSUPP,
				       "program %s: raw tracepoint '%s': exobpf traces only "
				       "sys_enter and sys_exit",
				       prog, t);
		return 0;
	}
	if (!has_prefix(sec, "tracepoint/") && !has_prefix(sec, "tp/"))
		return exo_err(EOPNOTSUPP,
			       "program %s: section '%s' is not a syscall tracepoint or a uprobe",
			       prog, sec);
	t = strchr(sec, '/') + 1;
	if (!strcmp(t, "raw_syscalls/sys_enter")) {
		a->kind = TRC_RAW_ENTER;
		return 0;
	}
	if (!strcmp(t, "raw_syscalls/sys_exit")) {
		a->kind = TRC_RAW_EXIT;
		return 0;
	}
	if (has_prefix(t, "syscalls/sys_enter_") || has_prefix(t, "syscalls/sys_exit_")) {
		bool enter = has_prefix(t, "syscalls/sys_enter_");
		const char *name = t + (enter ? 19 : 18);

		a->kind = enter ? TRC_SYS_ENTER : TRC_SYS_EXIT;
		a->nr = syscall_by_tp_name(name);
		if (a->nr < 0)
			return exo_err(ENOENT, "program %s: tracepoint '%s': no system call '%s'",
				       prog, t, name);
		return 0;
	}
	return exo_err(EOPNOTSUPP,
		       "program %s: tracepoint '%s': exobpf traces only syscalls/ and "
		       "raw_syscalls/ tracepoints",
		       prog, t);
}

void trc_point_free(struct trc_point *p)
{
	free(p->path);
	free(p->func);
	p->path = p->func = NULL;
}

static void put(struct trc_sys_ctx *c, size_t off, const void *v, size_t n)
{
	memcpy(c->bytes + off, v, n);
}

/* The common fields and the syscall number: an int __syscall_nr in the
 * syscalls/ records, a long id in raw_syscalls/ ones. */
static void header(struct trc_sys_ctx *c, bool raw, pid_t tid, long nr)
{
	int32_t pid = tid, n = (int32_t)nr;
	int64_t id = nr;

	memset(c, 0, sizeof(*c));
	put(c, 4, &pid, 4);
	if (raw)
		put(c, 8, &id, 8);
	else
		put(c, 8, &n, 4);
}

void trc_ctx_sys_enter(struct trc_sys_ctx *c, bool raw, pid_t tid, long nr, const uint64_t args[6])
{
	header(c, raw, tid, nr);
	put(c, 16, args, 6 * 8);
}

void trc_ctx_sys_exit(struct trc_sys_ctx *c, bool raw, pid_t tid, long nr, long ret)
{
	int64_t r = ret;

	header(c, raw, tid, nr);
	put(c, 16, &r, 8);
}
