/* Perf events that exobpf owns, for programs written against the kernel's
 * attach path (libbpf's bpf_program__attach_uprobe, perf_buffer__new):
 *  - the uprobe PMU (its type number read from sysfs, as libbpf reads it):
 *    config1 the path, config2 the file offset, config bit 0 a return
 *    probe. The program runs through the in-process uprobes of
 *    src/tracing (self.h), so only the calling process (pid 0, -1 or our
 *    own) can be probed.
 *  - PERF_COUNT_SW_BPF_OUTPUT: the ring behind one PERF_EVENT_ARRAY slot.
 *    Its size is known only at mmap, so the fd is a placeholder until then
 *    and becomes the ring map's fd (the same number) at the first mmap.
 * The fd handed out is a memfd: close and dup work on it, and the table
 * below (this process's, as a kernel perf event belongs to its opener)
 * says what it is. Kernel PMUs whose events would run programs in the
 * kernel (kprobes, tracepoints, including libbpf's legacy tracefs probes)
 * are refused with EOPNOTSUPP; every other event is the kernel's. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "api/kinds.h"
#include "api/perf_event.h"
#include "api/uaccess.h"
#include "exobpf/bpf.h"
#include "maps/internal.h"
#include "maps/map.h"
#include "tracing/self.h"
#include "tracing/tracing.h"

/* Linux's enum bpf_perf_event_type (6.5+) and link type */
#define PE_INFO_UPROBE	  1u
#define PE_INFO_URETPROBE 2u
#ifndef BPF_LINK_TYPE_PERF_EVENT
#define BPF_LINK_TYPE_PERF_EVENT 7
#endif

enum pe_kind { PE_UPROBE, PE_OUTPUT };

struct pe {
	int fd; /* -1 once closed while a link still holds the event */
	dev_t dev;
	ino_t ino;
	enum pe_kind kind;
	bool ret;
	bool ring;	     /* an output event mapped: fd is its ring map now */
	char path[PATH_MAX]; /* resolved */
	uint64_t off, addr;
	struct trc_point pt;
	struct api_obj *prog; /* attached (SET_BPF or a link) */
	struct api_obj *link;
	uint64_t cookie; /* the link's bpf_cookie */
	void *site;	 /* while the program is patched in */
	struct pe *next;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct pe *events;

/* The uprobe PMU's type (what libbpf reads), -1 if the kernel has none. */
static int pmu_type(const char *name)
{
	char path[96];
	FILE *f;
	int t = -1;

	snprintf(path, sizeof(path), "/sys/bus/event_source/devices/%s/type", name);
	if ((f = fopen(path, "re"))) {
		if (fscanf(f, "%d", &t) != 1)
			t = -1;
		fclose(f);
	}
	return t;
}

static struct pe *find_locked(int fd)
{
	struct stat st;

	if (fd < 0 || fstat(fd, &st))
		return NULL;
	for (struct pe *e = events; e; e = e->next)
		if (e->fd == fd && e->dev == st.st_dev && e->ino == st.st_ino)
			return e;
	return NULL;
}

static void unlink_locked(struct pe *e)
{
	for (struct pe **p = &events; *p; p = &(*p)->next)
		if (*p == e) {
			*p = e->next;
			return;
		}
}

static const uint32_t *gate_of(const struct pe *e)
{
	return e->link ? &((const struct api_link_rec *)api_obj_rec(e->link))->detached : NULL;
}

/* Patch the program in or out to match the event's state. Linux runs a
 * uprobe event's program whether or not the event is enabled (the probe is
 * registered when the event is made, the program runs before perf's own
 * enabled check; checked against the kernel), so only the program counts. */
static int sync_locked(struct pe *e)
{
	bool want = e->kind == PE_UPROBE && e->prog && api_prog_of(e->prog);
	int err;

	if (want && !e->site) {
		if ((err = trc_self_attach(&e->pt, e->addr, api_prog_of(e->prog), gate_of(e),
					   e->cookie, e->ret, &e->site)))
			return err;
	} else if (!want && e->site) {
		trc_self_detach(e->site, e->prog ? api_prog_of(e->prog) : NULL, e->ret);
		e->site = NULL;
	}
	return 0;
}

static void free_pe(struct pe *e)
{
	if (e->site && e->prog)
		trc_self_detach(e->site, api_prog_of(e->prog), e->ret);
	api_obj_put(e->prog);
	api_obj_put(e->link);
	trc_point_free(&e->pt);
	free(e);
}

EXOBPF_API int exobpf_perf_event_owned(const struct perf_event_attr *attr)
{
	struct perf_event_attr a;
	int up = pmu_type("uprobe"), kp = pmu_type("kprobe");

	memset(&a, 0, sizeof(a));
	if (api_copy_from_user(&a, (uintptr_t)attr, offsetof(struct perf_event_attr, config2) + 8))
		return exo_err(EFAULT, "perf_event_open: attr is not readable");
	if (up >= 0 && a.type == (uint32_t)up)
		return 1;
	if (a.type == PERF_TYPE_SOFTWARE && a.config == PERF_COUNT_SW_BPF_OUTPUT)
		return 1;
	if (kp >= 0 && a.type == (uint32_t)kp)
		return exo_err(EOPNOTSUPP,
			       "perf_event_open: kprobe events run programs in the kernel; exobpf "
			       "cannot attach to them (uprobes and syscall tracepoints: `exobpf "
			       "trace`)");
	if (a.type == PERF_TYPE_TRACEPOINT)
		return exo_err(EOPNOTSUPP,
			       "perf_event_open: tracepoint %llu is the kernel's; exobpf cannot "
			       "attach programs to it (libbpf's legacy tracefs probes included: "
			       "exobpf needs the uprobe PMU, "
			       "/sys/bus/event_source/devices/uprobe/type; syscall tracepoints: "
			       "`exobpf trace`)",
			       (unsigned long long)a.config);
	return 0;
}

static int open_uprobe(struct pe *e, const struct perf_event_attr *a, pid_t pid)
{
	char raw[PATH_MAX], func[256];
	long n;
	int err;

	if (pid > 0 && pid != getpid())
		return exo_err(EOPNOTSUPP,
			       "perf_event_open: uprobe for pid %d: exobpf probes only the "
			       "calling process in place (another process: `exobpf trace --pid`)",
			       (int)pid);
	n = api_strncpy_from_user(raw, a->config1, sizeof(raw));
	if (n < 0)
		return exo_err(EFAULT, "perf_event_open: uprobe path (config1) is not readable");
	if (n >= (long)sizeof(raw) - 1)
		return exo_err(ENAMETOOLONG, "perf_event_open: uprobe path is too long");
	if (!realpath(raw, e->path))
		return exo_err(errno, "perf_event_open: uprobe path %s: %s", raw, strerror(errno));
	e->off = a->config2;
	e->ret = a->config & 1; /* format/retprobe: config:0 */
	if ((err = trc_elf_offset_func(e->path, e->off, func, sizeof(func), &e->pt.left)))
		return err;
	e->pt.path = strdup(e->path);
	e->pt.func = strdup(func);
	if (!e->pt.path || !e->pt.func)
		return exo_err(ENOMEM, "out of memory");
	e->pt.resolved = true;
	e->pt.file_off = e->off;
	e->pt.ret = e->ret;
	e->pt.entry = !e->ret;
	return trc_self_locate(&e->pt, &e->addr);
}

EXOBPF_API int exobpf_perf_event_open(const struct perf_event_attr *attr, pid_t pid, int cpu,
				      int group_fd, unsigned long flags)
{
	struct perf_event_attr a;
	struct pe *e;
	struct stat st;
	int owned = exobpf_perf_event_owned(attr), err;

	if (owned <= 0)
		return owned < 0 ? owned : exo_err(ENOENT, "perf_event_open: not an exobpf event");
	memset(&a, 0, sizeof(a));
	api_copy_from_user(&a, (uintptr_t)attr, offsetof(struct perf_event_attr, config2) + 8);
	if (flags & ~(unsigned long)(PERF_FLAG_FD_CLOEXEC | PERF_FLAG_FD_NO_GROUP))
		return exo_err(EINVAL, "perf_event_open: flags 0x%lx", flags);
	if (group_fd != -1)
		return exo_err(EINVAL,
			       "perf_event_open: exobpf events have no groups (group_fd %d)",
			       group_fd);
	if (pid == -1 && cpu == -1)
		return exo_err(EINVAL, "perf_event_open: pid -1 needs a cpu");
	if (!(e = calloc(1, sizeof(*e))))
		return exo_err(ENOMEM, "out of memory");
	e->kind = a.type == PERF_TYPE_SOFTWARE ? PE_OUTPUT : PE_UPROBE;
	if (e->kind == PE_UPROBE && (err = open_uprobe(e, &a, pid))) {
		free_pe(e);
		return err;
	}
	e->fd = memfd_create("[perf_event]", flags & PERF_FLAG_FD_CLOEXEC ? MFD_CLOEXEC : 0);
	if (e->fd < 0 || fstat(e->fd, &st)) {
		err = exo_err(errno, "perf_event_open: memfd: %s", strerror(errno));
		if (e->fd >= 0)
			close(e->fd);
		free_pe(e);
		return err;
	}
	e->dev = st.st_dev;
	e->ino = st.st_ino;
	pthread_mutex_lock(&mu);
	e->next = events;
	events = e;
	pthread_mutex_unlock(&mu);
	return e->fd;
}

EXOBPF_API int exobpf_perf_event_fd(int fd)
{
	int r;

	pthread_mutex_lock(&mu);
	r = find_locked(fd) != NULL;
	pthread_mutex_unlock(&mu);
	return r;
}

/* Linux's perf_event_set_bpf_prog checks for a uprobe event. */
static int check_prog(const struct pe *e, struct api_obj *prog, const char *what)
{
	const struct api_prog_rec *r = api_obj_rec(prog);

	if (e->kind != PE_UPROBE)
		return exo_err(EINVAL, "%s: a BPF output event runs no program", what);
	if (r->type != BPF_PROG_TYPE_KPROBE)
		return exo_err(EINVAL, "%s: a uprobe runs kprobe programs, not type %u", what,
			       r->type);
	if (e->prog)
		return exo_err(EEXIST, "%s: the event already has a program", what);
	if (!api_prog_of(prog))
		return exo_err(EINVAL, "%s: program %u cannot run in this process", what, prog->id);
	return 0;
}

EXOBPF_API int exobpf_perf_event_ioctl(int fd, unsigned long req, unsigned long arg)
{
	struct api_obj *prog;
	struct pe *e;
	int err = 0;

	pthread_mutex_lock(&mu);
	if (!(e = find_locked(fd))) {
		err = exo_err(EBADF, "perf event ioctl: fd %d is not an exobpf perf event", fd);
	} else if (req == PERF_EVENT_IOC_ENABLE || req == PERF_EVENT_IOC_DISABLE) {
		err = 0; /* no counting: a program runs either way (see sync_locked) */
	} else if (req == PERF_EVENT_IOC_SET_BPF) {
		if (!(prog = api_obj_get((int)arg, API_KIND_PROG, "PERF_EVENT_IOC_SET_BPF")))
			err = -errno;
		else if ((err = check_prog(e, prog, "PERF_EVENT_IOC_SET_BPF")))
			api_obj_put(prog);
		else if ((e->prog = prog), (err = sync_locked(e)))
			e->prog = NULL, api_obj_put(prog);
	} else if (req == PERF_EVENT_IOC_RESET || req == PERF_EVENT_IOC_REFRESH) {
		err = 0; /* no counts to reset */
	} else {
		err = exo_err(ENOTTY,
			      "perf event ioctl 0x%lx: exobpf events take ENABLE, DISABLE "
			      "and SET_BPF",
			      req);
	}
	pthread_mutex_unlock(&mu);
	return err;
}

/* Does anything but our own object fd still reach the link's file? */
static bool link_alive(struct api_obj *link, int closing)
{
	struct stat st;
	struct dirent *d;
	bool alive = false;
	DIR *dir;

	if (fstat(link->fd, &st) || st.st_nlink > 0 || !(dir = opendir("/proc/self/fd")))
		return true; /* pinned (or unknowable: keep it) */
	while (!alive && (d = readdir(dir))) {
		struct stat o;
		int fd = atoi(d->d_name);

		if (d->d_name[0] < '0' || d->d_name[0] > '9' || fd == closing || fd == link->fd ||
		    fd == dirfd(dir) || fstat(fd, &o))
			continue;
		alive = o.st_dev == st.st_dev && o.st_ino == st.st_ino;
	}
	closedir(dir);
	return alive;
}

/* The link's program leaves (the link's last fd closed). */
static void drop_link_prog_locked(struct pe *e)
{
	if (e->site && e->prog)
		trc_self_detach(e->site, api_prog_of(e->prog), e->ret);
	e->site = NULL;
	api_obj_put(e->prog);
	e->prog = NULL;
	e->cookie = 0;
}

EXOBPF_API void exobpf_fd_closing(int fd)
{
	struct stat st;

	if (fd < 0 || fstat(fd, &st))
		return;
	pthread_mutex_lock(&mu);
	for (struct pe *e = events, *next; e; e = next) {
		bool mine = e->fd == fd && e->dev == st.st_dev && e->ino == st.st_ino;
		bool link =
		    e->link && e->link->tab.dev == st.st_dev && e->link->tab.ino == st.st_ino;

		next = e->next;
		if (mine)
			e->fd = -1; /* the event lives on while its link does */
		if (link && !link_alive(e->link, fd)) {
			drop_link_prog_locked(e);
			api_obj_put(e->link);
			e->link = NULL;
		}
		if (e->fd < 0 && !e->link) {
			unlink_locked(e);
			free_pe(e);
		}
	}
	pthread_mutex_unlock(&mu);
}

/* ---- BPF_PERF_EVENT links ---- */

struct link_fill {
	const struct pe *e;
	uint32_t prog_id;
	uint64_t cookie;
};

static int fill_link(uint8_t *base, uint32_t id, void *arg)
{
	const struct link_fill *f = arg;
	struct api_link_rec *r = (struct api_link_rec *)(base + API_REC_OFF);

	(void)id;
	r->type = BPF_LINK_TYPE_PERF_EVENT;
	r->prog_id = f->prog_id;
	r->attach_type = BPF_PERF_EVENT;
	r->perf_type = f->e->ret ? PE_INFO_URETPROBE : PE_INFO_UPROBE;
	r->offset = f->e->off;
	r->cookie = f->cookie;
	memcpy(r->path, f->e->path, strlen(f->e->path) + 1); /* checked to fit */
	return 0;
}

int api_perf_link_create(struct api_obj *prog, const struct api_attr_link_create *a)
{
	struct api_obj *link = NULL;
	struct pe *e;
	int fd, err;

	if (a->flags)
		return exo_err(EINVAL, "LINK_CREATE: flags 0x%x must be 0 for a perf event link",
			       a->flags);
	pthread_mutex_lock(&mu);
	if (!(e = find_locked((int)a->target_fd))) {
		pthread_mutex_unlock(&mu);
		if (api_fd_names((int)a->target_fd, "anon_inode:[perf_event]"))
			return exo_err(
			    EOPNOTSUPP,
			    "LINK_CREATE: target_fd %d is the kernel's perf event; exobpf "
			    "programs attach only to exobpf's (the uprobe PMU, through "
			    "exobpf exec)",
			    (int)a->target_fd);
		return exo_err(EBADF, "LINK_CREATE: target_fd %d is not a perf event",
			       (int)a->target_fd);
	}
	if (strlen(e->path) >= sizeof(((struct api_link_rec *)0)->path))
		err = exo_err(ENAMETOOLONG,
			      "LINK_CREATE: the probed path is longer than a link "
			      "records (%zu bytes)",
			      sizeof(((struct api_link_rec *)0)->path) - 1);
	else
		err = check_prog(e, prog, "LINK_CREATE");
	if (err) {
		pthread_mutex_unlock(&mu);
		return err;
	}
	fd =
	    api_obj_create(API_KIND_LINK, API_PAGE, fill_link,
			   &(struct link_fill){e, prog->id, a->perf_event.bpf_cookie}, NULL, &link);
	if (fd < 0) {
		pthread_mutex_unlock(&mu);
		return fd;
	}
	e->prog = api_obj_ref(prog);
	e->link = link;
	e->cookie = a->perf_event.bpf_cookie;
	if ((err = api_hold(link->id, (int)a->prog_fd, prog->id)) || (err = sync_locked(e))) {
		e->link = NULL;
		drop_link_prog_locked(e);
		pthread_mutex_unlock(&mu);
		api_obj_put(link);
		close(fd);
		return err;
	}
	pthread_mutex_unlock(&mu);
	return fd;
}

/* Linux 6.18's bpf_link_info.perf_event.uprobe, at offset 16 of the info. */
struct perf_uprobe_info {
	uint32_t type, pad;
	uint64_t file_name;
	uint32_t name_len, offset;
	uint64_t cookie, ref_ctr_offset;
};

int api_perf_link_info(struct api_obj *link, uint8_t *info, uint32_t len)
{
	const struct api_link_rec *r = api_obj_rec(link);
	struct perf_uprobe_info u;
	uint32_t n = (uint32_t)strnlen(r->path, sizeof(r->path));
	int err = 0;

	if (len < 16 + sizeof(u))
		return 0; /* Linux fills only what the caller's info has room for */
	memcpy(&u, info + 16, sizeof(u));
	if (!u.name_len != !u.file_name)
		return exo_err(EINVAL,
			       "OBJ_GET_INFO_BY_FD: link %u: file_name and name_len go "
			       "together",
			       link->id);
	if (u.file_name && u.name_len >= n + 1) {
		if (api_copy_to_user(u.file_name, r->path, n + 1))
			return exo_err(EFAULT, "OBJ_GET_INFO_BY_FD: file_name is not writable");
	} else if (u.file_name) {
		if (api_copy_to_user(u.file_name, r->path, u.name_len - 1) ||
		    api_clear_user(u.file_name + u.name_len - 1, 1))
			return exo_err(EFAULT, "OBJ_GET_INFO_BY_FD: file_name is not writable");
		err = -ENOSPC;
	}
	u.type = r->perf_type;
	u.name_len = n + 1;
	u.offset = (uint32_t)r->offset;
	u.cookie = r->cookie;
	u.ref_ctr_offset = 0;
	memcpy(info + 16, &u, sizeof(u));
	return err;
}

/* ---- BPF output rings ---- */

int api_perf_output_ring(int fd, size_t len)
{
	union bpf_attr attr;
	struct exo_map *ring;
	struct stat st;
	struct pe *e;
	int rfd, err = 0;

	pthread_mutex_lock(&mu);
	if (!(e = find_locked(fd)) || e->kind != PE_OUTPUT) {
		pthread_mutex_unlock(&mu);
		return e ? exo_err(EINVAL, "mmap: a uprobe perf event has no ring") : 1;
	}
	if (e->ring) {
		pthread_mutex_unlock(&mu);
		return 0;
	}
	if (len <= API_PAGE || len % API_PAGE || ((len - API_PAGE) & (len - API_PAGE - 1))) {
		pthread_mutex_unlock(&mu);
		return exo_err(EINVAL, "mmap: a perf ring is 1 + 2^n pages, not %zu bytes", len);
	}
	memset(&attr, 0, sizeof(attr));
	attr.map_type = EXO_MAP_TYPE_PERF_RING;
	attr.max_entries = (uint32_t)(len - API_PAGE);
	rfd = exo_map_create_attr(&attr);
	if (rfd < 0) {
		pthread_mutex_unlock(&mu);
		return rfd;
	}
	if ((ring = exo_map_get(rfd))) {
		perf_ring_describe(ring);
		exo_map_put(ring);
	}
	/* the ring takes the placeholder's number: the caller's fd is the ring */
	if (dup3(rfd, fd, fcntl(fd, F_GETFD) & FD_CLOEXEC ? O_CLOEXEC : 0) < 0 || fstat(fd, &st))
		err = exo_err(errno, "mmap: perf ring: %s", strerror(errno));
	close(rfd);
	if (!err) { /* a map from now on (mmap, epoll), still a perf event (ioctl) */
		e->ring = true;
		e->dev = st.st_dev;
		e->ino = st.st_ino;
	}
	pthread_mutex_unlock(&mu);
	return err;
}
