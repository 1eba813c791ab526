/* Object files (programs, BTF, links): creation, the per-process table of
 * which fd is which object (core/fdtab, as the maps registry), ids across
 * processes, holds and their garbage collection. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "api/obj.h"
#include "core/err.h"
#include "core/fdtab.h"
#include "exobpf/map.h"
#include "maps/internal.h" /* the map file header: ids of map files during scans */

extern const struct api_kind_ops api_prog_ops, api_btf_ops, api_link_ops;

static const char *const kind_names[API_KIND_NR] = {
    [API_KIND_NONE] = "object",
    [API_KIND_PROG] = "program",
    [API_KIND_BTF] = "BTF object",
    [API_KIND_LINK] = "link",
};

const struct api_kind_ops *api_kind_ops(enum api_kind kind)
{
	switch (kind) {
	case API_KIND_PROG:
		return &api_prog_ops;
	case API_KIND_BTF:
		return &api_btf_ops;
	case API_KIND_LINK:
		return &api_link_ops;
	default:
		return NULL;
	}
}

uint64_t api_boottime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void tab_free(struct fdtab_obj *t);
static struct fdtab tab = {.mu = PTHREAD_MUTEX_INITIALIZER, .free = tab_free};

static inline struct api_obj *obj_of(struct fdtab_obj *t)
{
	return (struct api_obj *)((char *)t - offsetof(struct api_obj, tab));
}

static void obj_free(struct api_obj *o)
{
	const struct api_kind_ops *ops = api_kind_ops(o->kind);

	if (o->priv && ops && ops->release)
		ops->release(o);
	if (o->base)
		munmap(o->base, o->size);
	if (o->fd >= 0)
		close(o->fd);
	free(o);
}

static void tab_free(struct fdtab_obj *t)
{
	obj_free(obj_of(t));
}

void api_obj_put(struct api_obj *o)
{
	if (o)
		fdtab_put(&tab, &o->tab);
}

struct api_obj *api_obj_ref(struct api_obj *o)
{
	fdtab_ref(&tab, &o->tab);
	return o;
}

static int read_hdr(int fd, const struct stat *st, struct api_file_hdr *h)
{
	if (!S_ISREG(st->st_mode) || st->st_size < (off_t)API_PAGE ||
	    pread(fd, h, sizeof(*h), 0) != (ssize_t)sizeof(*h) || h->magic != API_OBJ_MAGIC)
		return -EINVAL;
	if (h->version != API_OBJ_VERSION || h->kind == API_KIND_NONE || h->kind >= API_KIND_NR ||
	    h->file_size != (uint64_t)st->st_size || h->rec_size > API_PAGE - API_REC_OFF)
		return -EINVAL;
	return 0;
}

/* A local object for the file behind fd (not yet published). */
static struct api_obj *open_file(int fd, const struct stat *st, const struct api_file_hdr *h,
				 const char *what)
{
	const struct api_kind_ops *ops = api_kind_ops(h->kind);
	struct api_obj *o = calloc(1, sizeof(*o));
	int err;

	if (!o) {
		exo_err(ENOMEM, "%s: out of memory", what);
		return NULL;
	}
	o->tab.refcnt = 1;
	o->kind = h->kind;
	o->id = h->id;
	o->tab.dev = st->st_dev;
	o->tab.ino = st->st_ino;
	o->size = (size_t)st->st_size;
	o->fd = fdtab_own_fd(fd);
	if (o->fd < 0) {
		err = exo_err(errno, "%s: cannot reopen the %s's file: %s", what,
			      kind_names[h->kind], strerror(errno));
		goto fail;
	}
	o->base = mmap(NULL, o->size, PROT_READ | PROT_WRITE, MAP_SHARED, o->fd, 0);
	if (o->base == MAP_FAILED) {
		o->base = NULL;
		err = exo_err(ENOMEM, "%s: cannot map the %s's file: %s", what, kind_names[h->kind],
			      strerror(errno));
		goto fail;
	}
	if ((err = ops->open(o))) {
		exo_err_prefix("%s", what);
		goto fail;
	}
	return o;
fail:
	obj_free(o);
	errno = -err;
	return NULL;
}

struct api_obj *api_obj_get(int fd, enum api_kind kind, const char *what)
{
	struct api_obj *o, *fresh;
	struct fdtab_obj *t;
	struct api_file_hdr h;
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0) {
		exo_err(EBADF, "%s: fd %d is not an open file descriptor", what, fd);
		return NULL;
	}
	if ((t = fdtab_lookup(&tab, fd, &st))) {
		o = obj_of(t);
		if (kind != API_KIND_NONE && o->kind != kind) {
			exo_err(EINVAL, "%s: fd %d is a %s, not a %s", what, fd,
				kind_names[o->kind], kind_names[kind]);
			api_obj_put(o);
			return NULL;
		}
		return o;
	}
	if (read_hdr(fd, &st, &h) || (kind != API_KIND_NONE && h.kind != kind)) {
		exo_err(EINVAL, "%s: fd %d is not a %s", what, fd, kind_names[kind]);
		return NULL;
	}
	if (!(fresh = open_file(fd, &st, &h, what)))
		return NULL;
	return obj_of(fdtab_publish(&tab, fd, &fresh->tab));
}

struct api_obj *api_obj_find(enum api_kind kind, int (*match)(struct api_obj *o, void *arg),
			     void *arg)
{
	struct api_obj *found = NULL;

	pthread_mutex_lock(&tab.mu);
	for (struct fdtab_obj *t = tab.all; t && !found; t = t->next)
		if (obj_of(t)->kind == kind && match(obj_of(t), arg)) {
			found = obj_of(t);
			t->refcnt++;
		}
	pthread_mutex_unlock(&tab.mu);
	return found;
}

int api_fd_kind(int fd)
{
	struct api_file_hdr h;
	struct exo_map *map;
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0)
		return -EBADF;
	if (!S_ISREG(st.st_mode))
		return API_KIND_NONE;
	if (!read_hdr(fd, &st, &h))
		return (int)h.kind;
	map = exo_map_get(fd);
	if (!map)
		return API_KIND_NONE;
	exo_map_put(map);
	return API_KIND_MAP;
}

/* A new file in the pin directory, or a memfd where it cannot be made. */
static int new_file(enum api_kind kind, size_t size)
{
	int fd = open(exobpf_pin_dir(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	if (fd < 0) {
		char name[32];

		snprintf(name, sizeof(name), "exobpf-%s", kind_names[kind]);
		fd = memfd_create(name, MFD_CLOEXEC);
	}
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)size) < 0) {
		int err = errno;
		close(fd);
		return -err;
	}
	return fd;
}

int api_obj_create(enum api_kind kind, size_t size,
		   int (*fill)(uint8_t *base, uint32_t id, void *arg), void *arg, void *priv,
		   struct api_obj **out)
{
	const struct api_kind_ops *ops = api_kind_ops(kind);
	struct api_file_hdr *h;
	struct api_obj *o;
	struct fdtab_obj *dead;
	struct stat st;
	int fd, err;

	size = (size + API_PAGE - 1) & ~(size_t)(API_PAGE - 1);
	if (size < API_PAGE)
		size = API_PAGE;
	o = calloc(1, sizeof(*o));
	if (!o) {
		if (priv)
			ops->release(&(struct api_obj){.kind = kind, .priv = priv, .fd = -1});
		return exo_err(ENOMEM, "out of memory for a %s", kind_names[kind]);
	}
	o->tab.refcnt = 1;
	o->kind = kind;
	o->fd = -1;
	o->priv = priv;
	fd = new_file(kind, size);
	if (fd < 0) {
		err = exo_err(-fd == ENOSPC ? ENOMEM : -fd, "cannot create the %s's file: %s",
			      kind_names[kind], strerror(-fd));
		goto fail;
	}
	o->size = size;
	o->base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (o->base == MAP_FAILED || fstat(fd, &st) < 0) {
		if (o->base == MAP_FAILED)
			o->base = NULL;
		err = exo_err(ENOMEM, "cannot map the %s's file", kind_names[kind]);
		goto fail_fd;
	}
	o->tab.dev = st.st_dev;
	o->tab.ino = st.st_ino;
	/* The id is taken once the file exists, so a holds collection that
	 * started before cannot miss an object whose id it may judge. */
	o->id = exo_alloc_id();
	h = (struct api_file_hdr *)o->base;
	*h = (struct api_file_hdr){.magic = API_OBJ_MAGIC,
				   .version = API_OBJ_VERSION,
				   .kind = kind,
				   .id = o->id,
				   .rec_size = API_PAGE - API_REC_OFF,
				   .file_size = size};
	if ((err = fill(o->base, o->id, arg)))
		goto fail_fd;
	if ((o->fd = fcntl(fd, F_DUPFD_CLOEXEC, 3)) < 0) {
		err = exo_err(EMFILE, "no fd for the %s: %s", kind_names[kind], strerror(errno));
		goto fail_fd;
	}
	pthread_mutex_lock(&tab.mu);
	fdtab_link_locked(&tab, &o->tab);
	dead = fdtab_remember_locked(&tab, fd, &o->tab);
	if (out)
		o->tab.refcnt++;
	else
		o->tab.refcnt--; /* the fd's slot keeps it (or nothing, if the table is full) */
	pthread_mutex_unlock(&tab.mu);
	if (dead)
		tab_free(dead);
	if (out)
		*out = o;
	return fd;
fail_fd:
	close(fd);
fail:
	obj_free(o);
	return err;
}

int api_obj_new_fd(struct api_obj *o, int accmode)
{
	char self[64];
	struct fdtab_obj *dead;
	int fd;

	snprintf(self, sizeof(self), "/proc/self/fd/%d", o->fd);
	fd = open(self, accmode | O_CLOEXEC);
	if (fd < 0)
		return exo_err(errno == EMFILE ? EMFILE : ENOMEM, "cannot open %s %u: %s",
			       kind_names[o->kind], o->id, strerror(errno));
	pthread_mutex_lock(&tab.mu);
	dead = fdtab_remember_locked(&tab, fd, &o->tab);
	pthread_mutex_unlock(&tab.mu);
	if (dead)
		tab_free(dead);
	return fd;
}

/* ---- scanning: every object file on the machine ---- */

struct scan {
	enum api_kind kind;
	int (*fn)(const struct api_file_hdr *h, int fd, void *arg);
	void *arg;
};

/* Read an object header from fd. A scan for API_KIND_MAP is the holds
 * collection's: it wants every object, maps reported with their id. */
static int check_file(int fd, void *arg)
{
	struct scan *s = arg;
	union {
		struct api_file_hdr a;
		struct map_hdr m;
	} u;
	struct api_file_hdr h;

	if (pread(fd, &u, sizeof(u), 0) < (ssize_t)sizeof(u.a))
		return 0;
	if (u.a.magic == API_OBJ_MAGIC && u.a.version == API_OBJ_VERSION) {
		h = u.a;
	} else if (u.m.magic == MAP_MAGIC && s->kind == API_KIND_MAP) {
		h = (struct api_file_hdr){.magic = MAP_MAGIC, .kind = API_KIND_MAP, .id = u.m.id};
	} else {
		return 0;
	}
	if (s->kind != API_KIND_NONE && h.kind != (uint32_t)s->kind &&
	    !(s->kind == API_KIND_MAP && h.kind != API_KIND_NONE))
		return 0;
	return s->fn(&h, fd, s->arg);
}

int api_scan(enum api_kind kind, int (*fn)(const struct api_file_hdr *h, int fd, void *arg),
	     void *arg)
{
	struct scan s = {kind, fn, arg};
	struct fdtab_scan fs = {.min_size = API_PAGE, .fn = check_file, .arg = &s};

	/* pinned and held objects nobody has open live in the pin directory */
	if (fdtab_scan_dir(&fs, exobpf_pin_dir(), 3, NULL))
		return 1;
	return fdtab_scan_procs(&fs, false);
}

struct next_arg {
	uint32_t start, best;
};

static int next_fn(const struct api_file_hdr *h, int fd, void *arg)
{
	struct next_arg *a = arg;

	(void)fd;
	if (h->id > a->start && (!a->best || h->id < a->best))
		a->best = h->id;
	return 0;
}

int api_obj_next_id(enum api_kind kind, uint32_t start, uint32_t *next)
{
	struct next_arg a = {.start = start};

	pthread_mutex_lock(&tab.mu);
	for (struct fdtab_obj *t = tab.all; t; t = t->next) {
		struct api_obj *o = obj_of(t);

		if (o->kind == kind && o->id > start && (!a.best || o->id < a.best))
			a.best = o->id;
	}
	pthread_mutex_unlock(&tab.mu);
	api_scan(kind, next_fn, &a);
	if (!a.best)
		return -ENOENT;
	*next = a.best;
	return 0;
}

struct byid_arg {
	uint32_t id;
	int accmode;
	int fd;
};

static int byid_fn(const struct api_file_hdr *h, int fd, void *arg)
{
	struct byid_arg *a = arg;
	char self[64];

	if (h->id != a->id)
		return 0;
	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	a->fd = open(self, a->accmode | O_CLOEXEC);
	return a->fd >= 0;
}

int api_obj_fd_by_id(enum api_kind kind, uint32_t id, int accmode)
{
	struct byid_arg a = {.id = id, .accmode = accmode, .fd = -1};
	struct api_obj *o = NULL;
	char what[48];
	int fd;

	pthread_mutex_lock(&tab.mu);
	for (struct fdtab_obj *t = tab.all; t; t = t->next)
		if (obj_of(t)->kind == kind && obj_of(t)->id == id) {
			o = obj_of(t);
			t->refcnt++;
			break;
		}
	pthread_mutex_unlock(&tab.mu);
	if (o) {
		fd = api_obj_new_fd(o, accmode);
		api_obj_put(o);
		return fd;
	}
	api_scan(kind, byid_fn, &a);
	if (a.fd < 0)
		return -ENOENT;
	snprintf(what, sizeof(what), "%s %u", kind_names[kind], id);
	o = api_obj_get(a.fd, kind, what);
	if (!o) {
		int err = errno;
		close(a.fd);
		return -err;
	}
	api_obj_put(o);
	return a.fd;
}

/* ---- holds ---- */

static int held_dir(uint32_t holder, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s/.held/%u", exobpf_pin_dir(), holder);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int api_hold(uint32_t holder, int fd, uint32_t held_id)
{
	char dir[PATH_MAX], path[PATH_MAX + 16], self[64];

	if (held_dir(holder, dir, sizeof(dir)))
		return -ENAMETOOLONG;
	snprintf(path, sizeof(path), "%s/.held", exobpf_pin_dir());
	mkdir(path, 0700);
	mkdir(dir, 0700);
	snprintf(path, sizeof(path), "%s/%u", dir, held_id);
	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	if (linkat(AT_FDCWD, self, AT_FDCWD, path, AT_SYMLINK_FOLLOW) < 0 && errno != EEXIST) {
		/* memfd-backed objects cannot be linked: they live as long as
		 * this process holds them */
		exo_debug("object %u: cannot hold %u across processes: %s\n", holder, held_id,
			  strerror(errno));
		return -errno;
	}
	return 0;
}

int api_hold_open(uint32_t holder, uint32_t held_id)
{
	char dir[PATH_MAX], path[PATH_MAX + 16];
	int fd;

	if (held_dir(holder, dir, sizeof(dir)))
		return -ENAMETOOLONG;
	snprintf(path, sizeof(path), "%s/%u", dir, held_id);
	fd = open(path, O_RDWR | O_CLOEXEC);
	return fd < 0 ? -ENOENT : fd;
}

struct idset {
	uint32_t *ids;
	size_t n, cap;
};

static bool idset_has(const struct idset *s, uint32_t id)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->ids[i] == id)
			return true;
	return false;
}

static void idset_add(struct idset *s, uint32_t id)
{
	if (idset_has(s, id))
		return;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		uint32_t *p = realloc(s->ids, cap * sizeof(*p));
		if (!p)
			return;
		s->ids = p;
		s->cap = cap;
	}
	s->ids[s->n++] = id;
}

static int live_fn(const struct api_file_hdr *h, int fd, void *arg)
{
	(void)fd;
	idset_add(arg, h->id);
	return 0;
}

static void rm_tree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		char path[PATH_MAX + 300];

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) < (int)sizeof(path))
			unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

void api_gc_holds(void)
{
	struct scan s = {.kind = API_KIND_MAP, .fn = live_fn};
	struct fdtab_scan fs = {.min_size = API_PAGE, .fn = check_file, .arg = &s};
	struct idset live = {0};
	char held[PATH_MAX];
	uint32_t horizon;
	bool grew = true;
	DIR *d;
	struct dirent *e;

	/* Objects with an id below the horizon existed before the scans
	 * began, so being missed by them means being gone. */
	horizon = exo_alloc_id();
	s.arg = &live;
	pthread_mutex_lock(&tab.mu);
	for (struct fdtab_obj *t = tab.all; t; t = t->next)
		idset_add(&live, obj_of(t)->id);
	pthread_mutex_unlock(&tab.mu);
	/* processes first, pins after: an object pinned and then closed
	 * while we scan is seen by one or the other */
	fdtab_scan_procs(&fs, true);
	fdtab_scan_dir(&fs, exobpf_pin_dir(), 3, ".held");
	snprintf(held, sizeof(held), "%s/.held", exobpf_pin_dir());
	/* what live objects hold is live, transitively */
	while (grew) {
		grew = false;
		if (!(d = opendir(held)))
			break;
		while ((e = readdir(d))) {
			char sub[PATH_MAX + 300];
			unsigned long holder = strtoul(e->d_name, NULL, 10);
			DIR *hd;
			struct dirent *f;

			if (e->d_name[0] == '.' || !idset_has(&live, (uint32_t)holder))
				continue;
			snprintf(sub, sizeof(sub), "%s/%s", held, e->d_name);
			if (!(hd = opendir(sub)))
				continue;
			while ((f = readdir(hd))) {
				uint32_t id = (uint32_t)strtoul(f->d_name, NULL, 10);

				if (f->d_name[0] != '.' && !idset_has(&live, id)) {
					idset_add(&live, id);
					grew = true;
				}
			}
			closedir(hd);
		}
		closedir(d);
	}
	if ((d = opendir(held))) {
		while ((e = readdir(d))) {
			char sub[PATH_MAX + 300];
			uint32_t holder = (uint32_t)strtoul(e->d_name, NULL, 10);

			if (e->d_name[0] == '.' || idset_has(&live, holder) || holder >= horizon)
				continue;
			snprintf(sub, sizeof(sub), "%s/%s", held, e->d_name);
			rm_tree(sub);
		}
		closedir(d);
	}
	free(live.ids);
}
