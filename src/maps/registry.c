/* The process's view of maps: which fd is which map, shared mappings, ids.
 *
 * A map fd is a plain fd of the map's file. The table below remembers, per fd
 * number, the local object we made for it and the file's (dev, inode); every
 * lookup re-checks that with fstat, so an fd the caller closed and the kernel
 * reused for something else is never taken for the old map. A stale entry is
 * dropped the next time its number is looked up or handed out again. dup()ed
 * fds and fds from other processes (SCM_RIGHTS, /proc) share the local object
 * of the same inode. */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "exobpf/map.h"
#include "maps/internal.h"

struct fd_slot {
	struct exo_map *map; /* holds one reference */
	dev_t dev;
	ino_t ino;
};

static pthread_mutex_t reg_mu = PTHREAD_MUTEX_INITIALIZER;
static struct exo_map *all_maps;
static struct fd_slot *fdtab;
static size_t fdcap;

static void map_free(struct exo_map *map)
{
	if (map->ops && map->ops->release)
		map->ops->release(map);
	free(map->inner); /* a template: never registered */
	if (map->base)
		munmap(map->base, map->size);
	if (map->fd >= 0)
		close(map->fd);
	if (map->wake_fd >= 0)
		close(map->wake_fd);
	free(map);
}

/* Called with reg_mu held; returns the map to free (outside the lock) or NULL. */
static struct exo_map *put_locked(struct exo_map *map)
{
	if (--map->refcnt > 0)
		return NULL;
	for (struct exo_map **p = &all_maps; *p; p = &(*p)->next)
		if (*p == map) {
			*p = map->next;
			break;
		}
	return map;
}

void exo_map_put(struct exo_map *map)
{
	struct exo_map *dead;

	if (!map)
		return;
	pthread_mutex_lock(&reg_mu);
	dead = put_locked(map);
	pthread_mutex_unlock(&reg_mu);
	if (dead)
		map_free(dead);
}

struct exo_map *exo_map_ref(struct exo_map *map)
{
	pthread_mutex_lock(&reg_mu);
	map->refcnt++;
	pthread_mutex_unlock(&reg_mu);
	return map;
}

void map_for_each_local(void (*fn)(struct exo_map *map, void *arg), void *arg)
{
	pthread_mutex_lock(&reg_mu);
	for (struct exo_map *m = all_maps; m; m = m->next)
		fn(m, arg);
	pthread_mutex_unlock(&reg_mu);
}

bool exo_map_is_live(const void *ptr)
{
	bool live = false;

	pthread_mutex_lock(&reg_mu);
	for (struct exo_map *m = all_maps; m && !live; m = m->next)
		live = m == ptr;
	pthread_mutex_unlock(&reg_mu);
	return live;
}

static int read_hdr(int fd, struct map_hdr *hdr, const struct stat *st, const char *what)
{
	if (!S_ISREG(st->st_mode) || st->st_size < (off_t)MAP_PAGE ||
	    pread(fd, hdr, sizeof(*hdr), 0) != (ssize_t)sizeof(*hdr) || hdr->magic != MAP_MAGIC)
		return exo_err(EINVAL, "%s is not a map", what);
	if (hdr->version != MAP_VERSION || hdr->hdr_size != sizeof(*hdr))
		return exo_err(EINVAL, "%s: map file version %u (size %u) is not this exobpf's %u",
			       what, hdr->version, hdr->hdr_size, MAP_VERSION);
	return 0;
}

/* Make the trusted local copy of the header and check that the file is as
 * big as its layout says, so nothing later reads past the mapping. */
static int adopt_hdr(struct exo_map *map, const struct map_hdr *h, uint64_t file_size,
		     const char *what)
{
	uint64_t data;

	map->hdr = (struct map_hdr *)h; /* layouts may read it; the mapping replaces it */
	map->ops = map_ops_of(h->type);
	if (!map->ops)
		return exo_err(EINVAL, "%s: unknown map type %u", what, h->type);
	map->type = h->type;
	map->key_size = h->key_size;
	map->value_size = h->value_size;
	map->max_entries = h->max_entries;
	map->flags = h->flags;
	map->nslots = h->nslots;
	map->id = h->id;
	map->value_stride = (uint32_t)map_round8(h->value_size);
	map->spin_lock_off = h->spin_lock_off;
	if (map->nslots == 0 || map->nslots > 4096 ||
	    (map->spin_lock_off >= 0 && (uint64_t)map->spin_lock_off + 4 > map->value_size))
		return exo_err(EINVAL, "%s: corrupt map header", what);
	data = map->ops->layout(map);
	if (!data || MAP_PAGE + data != file_size || h->file_size != file_size)
		return exo_err(EINVAL, "%s: map file is %llu bytes, its layout needs %llu", what,
			       (unsigned long long)file_size,
			       (unsigned long long)(data ? MAP_PAGE + data : 0));
	return 0;
}

/* A private fd of the same file, read-write (the caller's may be read-only). */
static int own_fd(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	char self[64];

	if (fl >= 0 && (fl & O_ACCMODE) == O_RDWR)
		return fcntl(fd, F_DUPFD_CLOEXEC, 3);
	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	return open(self, O_RDWR | O_CLOEXEC);
}

struct exo_map *map_open_file(int fd, const char *what)
{
	struct exo_map *map;
	struct map_hdr hdr;
	struct stat st;
	int err;

	if (fstat(fd, &st) < 0) {
		exo_err(EBADF, "%s is not an open file descriptor", what);
		return NULL;
	}
	if ((err = read_hdr(fd, &hdr, &st, what)))
		return NULL;
	map = calloc(1, sizeof(*map));
	if (!map) {
		exo_err(ENOMEM, "%s: out of memory", what);
		return NULL;
	}
	map->refcnt = 1;
	map->fd = -1;
	map->wake_fd = -1;
	map->dev = st.st_dev;
	map->ino = st.st_ino;
	if ((err = adopt_hdr(map, &hdr, (uint64_t)st.st_size, what)))
		goto fail;
	map->fd = own_fd(fd);
	if (map->fd < 0) {
		err = exo_err(errno, "%s: cannot reopen the map's file: %s", what, strerror(errno));
		goto fail;
	}
	map->size = (size_t)st.st_size;
	map->base = mmap(NULL, map->size, PROT_READ | PROT_WRITE, MAP_SHARED, map->fd, 0);
	if (map->base == MAP_FAILED) {
		map->base = NULL;
		err = exo_err(ENOMEM, "%s: cannot map %zu bytes: %s", what, map->size,
			      strerror(errno));
		goto fail;
	}
	map->hdr = (struct map_hdr *)map->base;
	if (map->type == BPF_MAP_TYPE_ARRAY_OF_MAPS || map->type == BPF_MAP_TYPE_HASH_OF_MAPS) {
		struct exo_map *t = calloc(1, sizeof(*t));

		if (!t) {
			err = exo_err(ENOMEM, "%s: out of memory", what);
			goto fail;
		}
		t->type = hdr.inner_type;
		t->key_size = hdr.inner_key_size;
		t->value_size = hdr.inner_value_size;
		t->max_entries = hdr.inner_max_entries;
		t->flags = hdr.inner_flags;
		t->value_stride = (uint32_t)map_round8(t->value_size);
		t->spin_lock_off = -1;
		t->fd = -1;
		t->ops = map_ops_of(t->type);
		map->inner = t;
	}
	if (map->ops->open && (err = map->ops->open(map)))
		goto fail;
	return map;
fail:
	map_free(map);
	errno = -err;
	return NULL;
}

static void link_map(struct exo_map *map)
{
	map->next = all_maps;
	all_maps = map;
}

static int grow_fdtab(size_t fd)
{
	size_t cap = fdcap ? fdcap : 64;
	struct fd_slot *t;

	while (cap <= fd)
		cap *= 2;
	if (cap == fdcap)
		return 0;
	t = realloc(fdtab, cap * sizeof(*t));
	if (!t)
		return -ENOMEM;
	memset(t + fdcap, 0, (cap - fdcap) * sizeof(*t));
	fdtab = t;
	fdcap = cap;
	return 0;
}

/* Point fd's slot at map (taking a reference); returns a map to free. */
static struct exo_map *set_slot_locked(int fd, struct exo_map *map)
{
	struct fd_slot *s = &fdtab[fd];
	struct exo_map *old = s->map;

	map->refcnt++;
	s->map = map;
	s->dev = map->dev;
	s->ino = map->ino;
	return old ? put_locked(old) : NULL;
}

int map_register_fd(struct exo_map *map, int fd)
{
	struct exo_map *dead = NULL;
	int err;

	pthread_mutex_lock(&reg_mu);
	err = grow_fdtab((size_t)fd);
	if (!err) {
		if (map->refcnt == 1 && !map->next && all_maps != map)
			link_map(map);
		dead = set_slot_locked(fd, map);
	}
	pthread_mutex_unlock(&reg_mu);
	if (dead)
		map_free(dead);
	return err ? exo_err(ENOMEM, "out of memory registering fd %d", fd) : 0;
}

struct exo_map *exo_map_get(int fd)
{
	struct exo_map *map = NULL, *dead = NULL, *fresh;
	char what[32];
	struct stat st;

	snprintf(what, sizeof(what), "fd %d", fd);
	if (fd < 0 || fstat(fd, &st) < 0) {
		exo_err(EBADF, "%s is not an open file descriptor", what);
		return NULL;
	}
	pthread_mutex_lock(&reg_mu);
	if ((size_t)fd < fdcap && fdtab[fd].map && fdtab[fd].dev == st.st_dev &&
	    fdtab[fd].ino == st.st_ino) {
		map = fdtab[fd].map;
		map->refcnt++;
	} else {
		for (struct exo_map *m = all_maps; m; m = m->next)
			if (m->dev == st.st_dev && m->ino == st.st_ino) {
				map = m;
				break;
			}
		if (map && !grow_fdtab((size_t)fd)) {
			dead = set_slot_locked(fd, map);
			map->refcnt++;
		} else if (map) {
			map->refcnt++;
		}
	}
	pthread_mutex_unlock(&reg_mu);
	if (dead)
		map_free(dead);
	if (map)
		return map;

	/* Not seen yet: map the file (outside the lock), then publish. */
	fresh = map_open_file(fd, what);
	if (!fresh)
		return NULL;
	pthread_mutex_lock(&reg_mu);
	for (struct exo_map *m = all_maps; m; m = m->next)
		if (m->dev == fresh->dev && m->ino == fresh->ino) {
			map = m; /* another thread won the race */
			break;
		}
	if (!map) {
		map = fresh;
		fresh = NULL;
		link_map(map);
		map->refcnt = 0;
	}
	if (!grow_fdtab((size_t)fd))
		dead = set_slot_locked(fd, map);
	map->refcnt++;
	pthread_mutex_unlock(&reg_mu);
	if (dead)
		map_free(dead);
	if (fresh)
		map_free(fresh);
	return map;
}

/* Ids are unique on the machine: a counter in a shared file, so maps made by
 * different processes never collide. */
uint32_t map_alloc_id(void)
{
	static uint32_t local_next = 1;
	static uint32_t *shared;
	static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	uint32_t id;

	pthread_mutex_lock(&mu);
	if (!shared) {
		int fd = open("/dev/shm/.exobpf-ids", O_RDWR | O_CREAT | O_CLOEXEC, 0600);

		if (fd >= 0 && ftruncate(fd, MAP_PAGE) == 0) {
			void *p = mmap(NULL, MAP_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
			if (p != MAP_FAILED)
				shared = p;
		}
		if (fd >= 0)
			close(fd);
	}
	pthread_mutex_unlock(&mu);
	if (shared) {
		do
			id = __atomic_add_fetch(shared, 1, __ATOMIC_SEQ_CST) & 0x7fffffff;
		while (!id);
		return id;
	}
	return __atomic_fetch_add(&local_next, 1, __ATOMIC_SEQ_CST);
}

uint32_t exo_alloc_id(void)
{
	return map_alloc_id();
}

/* Map files under dir (depth levels down, .refs included). */
static int scan_dir(const char *dir, int (*fn)(const struct map_hdr *hdr, int fd, void *arg),
		    void *arg, int depth)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int stop = 0;

	if (!d)
		return 0;
	while (!stop && (e = readdir(d))) {
		char path[PATH_MAX];
		struct stat st;
		struct map_hdr hdr;
		int fd;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= (int)sizeof(path) ||
		    lstat(path, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			if (depth > 0)
				stop = scan_dir(path, fn, arg, depth - 1);
			continue;
		}
		if (!S_ISREG(st.st_mode) || st.st_size < (off_t)MAP_PAGE)
			continue;
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
		if (fd < 0)
			continue;
		if (pread(fd, &hdr, sizeof(hdr), 0) == (ssize_t)sizeof(hdr) &&
		    hdr.magic == MAP_MAGIC && hdr.version == MAP_VERSION)
			stop = fn(&hdr, fd, arg);
		close(fd);
	}
	closedir(d);
	return stop;
}

/* Every map file open in any process we may look at: our own, then every
 * /proc/PID/fd entry that is a regular file with a map header. fn returns
 * nonzero to stop; it receives an fd it must not keep (closed after). */
static int scan_maps(int (*fn)(const struct map_hdr *hdr, int fd, void *arg), void *arg)
{
	DIR *proc = opendir("/proc");
	struct dirent *p;
	int stop = 0;

	/* pinned maps nobody has open live in the pin directory only */
	stop = scan_dir(store_dir(), fn, arg, 2);
	if (!proc || stop) {
		if (proc)
			closedir(proc);
		return stop;
	}
	while (!stop && (p = readdir(proc))) {
		char dpath[300];
		DIR *fds;
		struct dirent *f;

		if (p->d_name[0] < '0' || p->d_name[0] > '9')
			continue;
		snprintf(dpath, sizeof(dpath), "/proc/%s/fd", p->d_name);
		if (!(fds = opendir(dpath)))
			continue;
		while (!stop && (f = readdir(fds))) {
			char path[600];
			struct stat st;
			struct map_hdr hdr;
			int fd;

			if (f->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", dpath, f->d_name);
			/* stat follows the link without opening: devices, pipes and
			 * sockets are skipped before anything is opened */
			if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) ||
			    st.st_size < (off_t)MAP_PAGE)
				continue;
			fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
			if (fd < 0)
				fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
			if (fd < 0)
				continue;
			if (pread(fd, &hdr, sizeof(hdr), 0) == (ssize_t)sizeof(hdr) &&
			    hdr.magic == MAP_MAGIC && hdr.version == MAP_VERSION)
				stop = fn(&hdr, fd, arg);
			close(fd);
		}
		closedir(fds);
	}
	closedir(proc);
	return stop;
}

struct next_id_arg {
	uint32_t start, best;
};

static int next_id_fn(const struct map_hdr *hdr, int fd, void *arg)
{
	struct next_id_arg *a = arg;

	(void)fd;
	if (hdr->id > a->start && (!a->best || hdr->id < a->best))
		a->best = hdr->id;
	return 0;
}

EXOBPF_API int exobpf_map_get_next_id(__u32 start_id, __u32 *next_id)
{
	struct next_id_arg a = {.start = start_id};

	if (!next_id)
		return exo_err(EINVAL, "exobpf_map_get_next_id: next_id is NULL");
	pthread_mutex_lock(&reg_mu);
	for (struct exo_map *m = all_maps; m; m = m->next)
		if (m->id > start_id && (!a.best || m->id < a.best))
			a.best = m->id;
	pthread_mutex_unlock(&reg_mu);
	scan_maps(next_id_fn, &a);
	if (!a.best)
		return exo_err(ENOENT, "no map has an id above %u", start_id);
	*next_id = a.best;
	return 0;
}

struct by_id_arg {
	uint32_t id;
	int fd;
};

static int by_id_fn(const struct map_hdr *hdr, int fd, void *arg)
{
	struct by_id_arg *a = arg;
	char self[64];

	if (hdr->id != a->id)
		return 0;
	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	a->fd = open(self, O_RDWR | O_CLOEXEC);
	return a->fd >= 0;
}

EXOBPF_API int exobpf_map_get_fd_by_id(__u32 id)
{
	struct by_id_arg a = {.id = id, .fd = -1};
	struct exo_map *map;

	pthread_mutex_lock(&reg_mu);
	for (struct exo_map *m = all_maps; m; m = m->next)
		if (m->id == id) {
			a.fd = fcntl(m->fd, F_DUPFD_CLOEXEC, 3);
			break;
		}
	pthread_mutex_unlock(&reg_mu);
	if (a.fd < 0)
		scan_maps(by_id_fn, &a);
	if (a.fd < 0)
		return exo_err(ENOENT, "no map has id %u", id);
	map = exo_map_get(a.fd);
	if (!map) {
		int err = errno;
		close(a.fd);
		return -err;
	}
	exo_map_put(map);
	return a.fd;
}

struct exo_map *map_by_id(uint32_t id)
{
	struct exo_map *map = NULL;
	int fd;

	pthread_mutex_lock(&reg_mu);
	for (struct exo_map *m = all_maps; m; m = m->next)
		if (m->id == id) {
			map = m;
			map->refcnt++;
			break;
		}
	pthread_mutex_unlock(&reg_mu);
	if (map)
		return map;
	fd = exobpf_map_get_fd_by_id(id);
	if (fd < 0)
		return NULL;
	map = exo_map_get(fd);
	close(fd);
	return map;
}
