/* Internals of the user-space tracer (src/tracing): attach points parsed
 * from section names, the traced threads and processes, their stops. */
#ifndef EXOBPF_TRACING_H
#define EXOBPF_TRACING_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "exobpf/trace.h"
#include "helpers/helpers.h"
#include "progtypes/progtypes.h"

struct exobpf_prog;

enum trc_kind {
	TRC_SYS_ENTER,	 /* tracepoint/syscalls/sys_enter_NAME */
	TRC_SYS_EXIT,	 /* tracepoint/syscalls/sys_exit_NAME */
	TRC_RAW_ENTER,	 /* tracepoint/raw_syscalls/sys_enter */
	TRC_RAW_EXIT,	 /* tracepoint/raw_syscalls/sys_exit */
	TRC_RAWTP_ENTER, /* raw_tracepoint/sys_enter */
	TRC_RAWTP_EXIT,	 /* raw_tracepoint/sys_exit */
	TRC_UPROBE,
	TRC_URETPROBE,
};

/* One attached program. */
struct trc_attach {
	enum trc_kind kind;
	struct exobpf_prog *prog;
	const char *name; /* the program's name, for messages */
	int nr;		  /* syscall number (TRC_SYS_*), else -1 */
	int point;	  /* uprobes: index into the tracer's points */
};

/* A uprobe location: FUNCTION[+OFFSET] in the file PATH. */
struct trc_point {
	char *path; /* as written; a name without '/' matches a mapped file's basename */
	char *func;
	uint64_t off;
	bool resolved;	   /* file_off is known */
	uint64_t file_off; /* the probed byte's offset in the file */
	uint64_t left;	   /* bytes of the function from there to its end */
	bool entry, ret;   /* it has uprobe / uretprobe programs */
};

/* Parse a section's attach target into *a (and a new point for uprobes):
 * 0 or -errno with the message naming the program. (attach.c) */
int trc_parse_attach(const char *sec_name, const char *prog_name, struct trc_attach *a,
		     struct trc_point *point);
void trc_point_free(struct trc_point *p);

/* Linux's tracepoint contexts (trace_event_raw_sys_enter/_exit, the
 * syscalls/ events' records), filled for thread tid. (attach.c) */
#define TRC_TP_COMMON 8 /* common_type, common_flags, common_preempt_count, common_pid */
/* As big as the verifier lets a tracepoint program read (PERF_MAX_TRACE_SIZE). */
struct trc_sys_ctx {
	uint8_t bytes[EXO_TP_CTX_SIZE];
};
void trc_ctx_sys_enter(struct trc_sys_ctx *c, bool raw, pid_t tid, long nr, const uint64_t args[6]);
void trc_ctx_sys_exit(struct trc_sys_ctx *c, bool raw, pid_t tid, long nr, long ret);

/* The helpers' view of a traced thread (task.c). */
struct trc_task {
	struct helper_task h;
};
void trc_task_init(struct trc_task *t, pid_t tid, pid_t tgid);
/* Read a process's memory: 0 or -EFAULT. */
long trc_mem_read(pid_t tid, void *dst, size_t size, uint64_t addr);
/* The thread group of tid from /proc, or -errno. */
pid_t trc_tgid_of(pid_t tid);

/* Where the points are in process pid's executable mappings: found() for
 * each (point index, address); points resolve their file offset from the
 * first file that matches. 0 or -errno. (uprobe.c) */
int trc_points_locate(pid_t pid, struct trc_point *pts, size_t n,
		      void (*found)(void *arg, int point, uint64_t addr), void *arg);

/* ELF: the file offset of FUNCTION+OFF in path, and (left, may be NULL)
 * the bytes of the function from there on (elf_sym.c). 0 or -errno. */
int trc_elf_func_offset(const char *path, const char *func, uint64_t off, uint64_t *file_off,
			uint64_t *left);

/* The reverse: the function covering file offset file_off of path, named
 * "FUNC+0xOFF" in name, and the bytes from there to its end. 0 or -errno
 * (EOPNOTSUPP when no sized function symbol covers it). (elf_sym.c) */
int trc_elf_offset_func(const char *path, uint64_t file_off, char *name, size_t name_size,
			uint64_t *left);

#endif
