/* The helpers' view of a traced thread: ids from the stop, the rest from
 * /proc when a helper asks, memory through process_vm_readv. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/uio.h>

#include "tracing/tracing.h"

long trc_mem_read(pid_t tid, void *dst, size_t size, uint64_t addr)
{
	struct iovec local = {dst, size}, remote = {(void *)(uintptr_t)addr, size};

	if (!size)
		return 0;
	return process_vm_readv(tid, &local, 1, &remote, 1, 0) == (ssize_t)size ? 0 : -EFAULT;
}

static ssize_t read_proc(pid_t tid, const char *what, char *buf, size_t size)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)tid, what);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return n;
}

/* The first (real) id on a /proc status line such as "Uid:\t0\t0\t0\t0". */
static long status_field(const char *status, const char *key)
{
	const char *p = strstr(status, key);

	return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

pid_t trc_tgid_of(pid_t tid)
{
	char buf[2048];
	long v;

	if (read_proc(tid, "status", buf, sizeof(buf)) < 0)
		return -ESRCH;
	v = status_field(buf, "\nTgid:");
	return v > 0 ? (pid_t)v : -ESRCH;
}

static uint64_t task_uid_gid(const struct helper_task *t)
{
	char buf[2048];
	long uid, gid;

	if (read_proc((pid_t)t->pid, "status", buf, sizeof(buf)) < 0)
		return 0;
	uid = status_field(buf, "\nUid:");
	gid = status_field(buf, "\nGid:");
	return (uint64_t)(uint32_t)gid << 32 | (uint32_t)uid;
}

static void task_comm(const struct helper_task *t, char comm[16])
{
	char buf[32];
	ssize_t n = read_proc((pid_t)t->pid, "comm", buf, sizeof(buf));

	memset(comm, 0, 16);
	if (n <= 0)
		return;
	if (buf[n - 1] == '\n')
		buf[--n] = '\0';
	memcpy(comm, buf, n < 15 ? (size_t)n : 15);
}

static long task_read(const struct helper_task *t, void *dst, size_t size, uint64_t addr)
{
	return trc_mem_read((pid_t)t->pid, dst, size, addr);
}

void trc_task_init(struct trc_task *t, pid_t tid, pid_t tgid)
{
	t->h.pid = (uint32_t)tid;
	t->h.tgid = (uint32_t)tgid;
	t->h.uid_gid = task_uid_gid;
	t->h.comm = task_comm;
	t->h.read = task_read;
}
