/* libexobpf-preload.so: with LD_PRELOAD, an unmodified program's bpf()
 * calls, its perf_event_open()/ioctl()/close() of exobpf's perf events
 * (uprobes, BPF output rings), its mmap() of map fds and its epoll on ring
 * buffer fds go to exobpf instead of the kernel; everything else goes to
 * the kernel as usual.
 * `exobpf exec CMD...` runs a command this way.
 *
 * libbpf (and bpftool) call bpf() through libc's syscall(), so that is the
 * entry point taken over. Calls made by exobpf itself (which maps its own
 * files) must reach the real functions: a per-thread flag says we are
 * inside exobpf. */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/perf_event.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>

#include "api/api.h"
#include "api/kinds.h"
#include "exobpf/bpf.h"

#define PRELOAD_API __attribute__((visibility("default")))

static __thread int inside;

static long (*real_syscall)(long, ...);
static ssize_t (*real_readlink)(const char *, char *, size_t);
static void *(*real_mmap)(void *, size_t, int, int, int, off_t);
static int (*real_epoll_ctl)(int, int, int, struct epoll_event *);
static int (*real_epoll_wait)(int, struct epoll_event *, int, int);
static int (*real_ioctl)(int, unsigned long, ...);
static int (*real_close)(int);
static int (*real_epoll_pwait)(int, struct epoll_event *, int, int, const sigset_t *);
static int (*real_mkdir)(const char *, mode_t);
static int (*real_rmdir)(const char *);
static int (*real_unlink)(const char *);
static int (*real_unlinkat)(int, const char *, int);
static int (*real_statfs)(const char *, struct statfs *);
static int (*real_statfs64)(const char *, struct statfs64 *);

static void resolve(void)
{
	real_syscall = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
	real_readlink = (ssize_t(*)(const char *, char *, size_t))dlsym(RTLD_NEXT, "readlink");
	real_mmap = (void *(*)(void *, size_t, int, int, int, off_t))dlsym(RTLD_NEXT, "mmap");
	real_epoll_ctl =
	    (int (*)(int, int, int, struct epoll_event *))dlsym(RTLD_NEXT, "epoll_ctl");
	real_epoll_wait =
	    (int (*)(int, struct epoll_event *, int, int))dlsym(RTLD_NEXT, "epoll_wait");
	real_ioctl = (int (*)(int, unsigned long, ...))dlsym(RTLD_NEXT, "ioctl");
	real_close = (int (*)(int))dlsym(RTLD_NEXT, "close");
	real_epoll_pwait = (int (*)(int, struct epoll_event *, int, int, const sigset_t *))dlsym(
	    RTLD_NEXT, "epoll_pwait");
	real_mkdir = (int (*)(const char *, mode_t))dlsym(RTLD_NEXT, "mkdir");
	real_rmdir = (int (*)(const char *))dlsym(RTLD_NEXT, "rmdir");
	real_unlink = (int (*)(const char *))dlsym(RTLD_NEXT, "unlink");
	real_unlinkat = (int (*)(int, const char *, int))dlsym(RTLD_NEXT, "unlinkat");
	real_statfs = (int (*)(const char *, struct statfs *))dlsym(RTLD_NEXT, "statfs");
	real_statfs64 = (int (*)(const char *, struct statfs64 *))dlsym(RTLD_NEXT, "statfs64");
}

static pthread_once_t once = PTHREAD_ONCE_INIT;

#define REAL(fn) (pthread_once(&once, resolve), real_##fn)

/* A refusal is said on stderr too: the application (libbpf) prints only
 * the errno, and the reason is exobpf's. */
static long refuse(int err)
{
	fprintf(stderr, "exobpf exec: %s\n", exobpf_errmsg());
	errno = err;
	return -1;
}

static long perf_event_open(struct perf_event_attr *attr, pid_t pid, int cpu, int group_fd,
			    unsigned long flags)
{
	int owned, r;

	inside++;
	owned = exobpf_perf_event_owned(attr);
	r = owned > 0 ? exobpf_perf_event_open(attr, pid, cpu, group_fd, flags) : owned;
	inside--;
	if (r < 0)
		return refuse(-r);
	if (!owned)
		return REAL(syscall)(SYS_perf_event_open, attr, pid, cpu, group_fd, flags);
	return r;
}

PRELOAD_API long syscall(long nr, ...)
{
	va_list ap;
	long a[6];

	va_start(ap, nr);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (nr == SYS_bpf && !inside) {
		int r;

		inside++;
		r = exobpf_bpf((int)a[0], (union bpf_attr *)a[1], (unsigned int)a[2]);
		inside--;
		if (r < 0) {
			errno = -r;
			return -1;
		}
		return r;
	}
	if (nr == SYS_perf_event_open && !inside)
		return perf_event_open((void *)a[0], (pid_t)a[1], (int)a[2], (int)a[3],
				       (unsigned long)a[4]);
	return REAL(syscall)(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

static bool is_map(int fd)
{
	int k;

	if (fd < 0 || inside)
		return false;
	inside++;
	k = api_fd_kind(fd);
	inside--;
	return k == API_KIND_MAP;
}

static bool is_perf_event(int fd)
{
	int r;

	if (fd < 0 || inside)
		return false;
	inside++;
	r = exobpf_perf_event_fd(fd);
	inside--;
	return r > 0;
}

PRELOAD_API int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	unsigned long arg;
	int r;

	va_start(ap, req);
	arg = va_arg(ap, unsigned long);
	va_end(ap);
	if (is_perf_event(fd)) {
		inside++;
		r = exobpf_perf_event_ioctl(fd, req, arg);
		inside--;
		return r < 0 ? (int)refuse(-r) : r;
	}
	/* an exobpf program never goes into the kernel's perf event */
	if (req == PERF_EVENT_IOC_SET_BPF && !inside) {
		inside++;
		r = exobpf_fd_is_object((int)arg);
		inside--;
		if (r > 0) {
			fprintf(stderr,
				"exobpf exec: PERF_EVENT_IOC_SET_BPF: fd %d is the kernel's perf "
				"event; exobpf programs attach only to exobpf's (the uprobe PMU)\n",
				fd);
			errno = EOPNOTSUPP;
			return -1;
		}
	}
	return REAL(ioctl)(fd, req, arg);
}

PRELOAD_API int close(int fd)
{
	if (!inside && fd >= 0) {
		inside++;
		exobpf_fd_closing(fd);
		inside--;
	}
	return REAL(close)(fd);
}

PRELOAD_API void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	void *p;

	if (!is_map(fd) && !is_perf_event(fd))
		return REAL(mmap)(addr, len, prot, flags, fd, off);
	inside++;
	p = exobpf_mmap(addr, len, prot, flags, fd, off);
	inside--;
	return p;
}

PRELOAD_API void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return mmap(addr, len, prot, flags, fd, off);
}

/* Ring buffer fds in epoll sets: the ring's wakeup FIFO stands in for the
 * map fd (a regular file cannot be polled). */
struct watch {
	int epfd, map_fd, wake_fd;
};
static pthread_mutex_t wmu = PTHREAD_MUTEX_INITIALIZER;
static struct watch *watches;
static size_t nwatch;

PRELOAD_API int epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	int wfd = -1, r;

	if (!is_map(fd))
		return REAL(epoll_ctl)(epfd, op, fd, ev);
	pthread_mutex_lock(&wmu);
	for (size_t i = 0; i < nwatch; i++)
		if (watches[i].epfd == epfd && watches[i].map_fd == fd) {
			wfd = watches[i].wake_fd;
			if (op == EPOLL_CTL_DEL)
				watches[i] = watches[--nwatch];
			break;
		}
	pthread_mutex_unlock(&wmu);
	if (op == EPOLL_CTL_ADD) {
		struct watch *w;

		inside++;
		wfd = api_map_wake_fd(fd);
		inside--;
		if (wfd < 0) {
			errno = EPERM; /* what epoll says of a file it cannot poll */
			return -1;
		}
		pthread_mutex_lock(&wmu);
		w = realloc(watches, (nwatch + 1) * sizeof(*w));
		if (w) {
			watches = w;
			watches[nwatch++] = (struct watch){epfd, fd, wfd};
		}
		pthread_mutex_unlock(&wmu);
	}
	r = REAL(epoll_ctl)(epfd, op, wfd, ev);
	if (op == EPOLL_CTL_DEL && wfd >= 0)
		close(wfd);
	return r;
}

/* After a wakeup the caller consumes the rings; the FIFOs are emptied
 * first, so a later record's wakeup is not lost. */
static void drain(int epfd)
{
	pthread_mutex_lock(&wmu);
	for (size_t i = 0; i < nwatch; i++)
		if (watches[i].epfd == epfd)
			api_drain(watches[i].wake_fd);
	pthread_mutex_unlock(&wmu);
}

PRELOAD_API int epoll_wait(int epfd, struct epoll_event *evs, int max, int timeout)
{
	int n = REAL(epoll_wait)(epfd, evs, max, timeout);

	if (n > 0)
		drain(epfd);
	return n;
}

PRELOAD_API int epoll_pwait(int epfd, struct epoll_event *evs, int max, int timeout,
			    const sigset_t *sigmask)
{
	int n = REAL(epoll_pwait)(epfd, evs, max, timeout, sigmask);

	if (n > 0)
		drain(epfd);
	return n;
}

/* bpftool tells maps, programs and links apart by what /proc/self/fd/N
 * links to: the kernel's anonymous inode names. */
PRELOAD_API ssize_t readlink(const char *path, char *buf, size_t size)
{
	static const char *const names[] = {
	    [API_KIND_PROG] = "anon_inode:bpf-prog",
	    [API_KIND_BTF] = "anon_inode:btf",
	    [API_KIND_LINK] = "anon_inode:bpf_link",
	};
	char *end;
	const char *name = NULL;
	long fd = -1;
	int k;

	if (!strncmp(path, "/proc/self/fd/", 14))
		fd = strtol(path + 14, &end, 10);
	if (fd >= 0 && !*end && !inside) {
		inside++;
		k = api_fd_kind((int)fd);
		inside--;
		if (exobpf_perf_event_fd((int)fd) > 0)
			name = "anon_inode:[perf_event]";
		else if (k == API_KIND_MAP)
			name = "anon_inode:bpf-map";
		else if (k > API_KIND_NONE && k < API_KIND_NR)
			name = names[k];
	}
	if (name) {
		size_t n = strlen(name) < size ? strlen(name) : size;

		memcpy(buf, name, n);
		return (ssize_t)n;
	}
	return REAL(readlink)(path, buf, size);
}

/* ---- /sys/fs/bpf ----
 * OBJ_PIN and OBJ_GET take /sys/fs/bpf/... as a path in the pin directory,
 * exobpf's bpffs. libbpf and bpftool also make that directory's
 * subdirectories (bpftool prog loadall, libbpf's pin paths), remove pins
 * and check the filesystem is bpffs before pinning; those calls go to the
 * same directory, which then reports itself as bpffs. */

/* path's place in the pin directory: 0 with buf set, 1 when path is not
 * on /sys/fs/bpf (or when exobpf itself calls), or -ENAMETOOLONG, which
 * fails the call: the real /sys/fs/bpf is never what a mapped path meant. */
static int on_bpffs(const char *path, char buf[PATH_MAX])
{
	int r;

	if (inside || !path)
		return 1;
	inside++;
	r = api_bpffs_path(path, buf, PATH_MAX);
	inside--;
	return r;
}

/* ... as unlinkat sees it: relative to dirfd, unless absolute */
static int on_bpffs_at(int dirfd, const char *path, char buf[PATH_MAX])
{
	if (!path || (path[0] != '/' && dirfd != AT_FDCWD))
		return 1;
	return on_bpffs(path, buf);
}

static int fail(int err)
{
	errno = err;
	return -1;
}

PRELOAD_API int mkdir(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	int r = on_bpffs(path, buf);

	return r < 0 ? fail(-r) : REAL(mkdir)(r ? path : buf, mode);
}

PRELOAD_API int rmdir(const char *path)
{
	char buf[PATH_MAX];
	int r = on_bpffs(path, buf);

	return r < 0 ? fail(-r) : REAL(rmdir)(r ? path : buf);
}

PRELOAD_API int unlink(const char *path)
{
	char buf[PATH_MAX];
	int r = on_bpffs(path, buf);

	return r < 0 ? fail(-r) : REAL(unlink)(r ? path : buf);
}

PRELOAD_API int unlinkat(int dirfd, const char *path, int flags)
{
	char buf[PATH_MAX];
	int r = on_bpffs_at(dirfd, path, buf);

	return r < 0 ? fail(-r)
	       : r   ? REAL(unlinkat)(dirfd, path, flags)
		     : REAL(unlinkat)(AT_FDCWD, buf, flags);
}

PRELOAD_API int statfs(const char *path, struct statfs *st)
{
	char buf[PATH_MAX];
	int r = on_bpffs(path, buf);
	int ret = r < 0 ? fail(-r) : REAL(statfs)(r ? path : buf, st);

	if (!r && !ret)
		st->f_type = BPF_FS_MAGIC;
	return ret;
}

PRELOAD_API int statfs64(const char *path, struct statfs64 *st)
{
	char buf[PATH_MAX];
	int r = on_bpffs(path, buf);
	int ret = r < 0 ? fail(-r) : REAL(statfs64)(r ? path : buf, st);

	if (!r && !ret)
		st->f_type = BPF_FS_MAGIC;
	return ret;
}
