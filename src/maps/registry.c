/* The process's view of maps: which fd is which map, shared mappings, ids.
 * A map fd is a plain fd of the map's file; which fd is which local map is
 * core/fdtab's table, with its checks against reused fd numbers. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "core/fdtab.h"
#include "exobpf/map.h"
#include "maps/internal.h"

static void tab_free(struct fdtab_obj *o);
static struct fdtab tab = {.mu = PTHREAD_MUTEX_INITIALIZER, .free = tab_free};

static inline struct exo_map *map_of(struct fdtab_obj *o)
{
	return (struct exo_map *)((char *)o - offsetof(struct exo_map, tab));
}

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

static void tab_free(struct fdtab_obj *o)
{
	map_free(map_of(o));
}

void exo_map_put(struct exo_map *map)
{
	if (map)
		fdtab_put(&tab, &map->tab);
}

struct exo_map *exo_map_ref(struct exo_map *map)
{
	fdtab_ref(&tab, &map->tab);
	return map;
}

void map_for_each_local(void (*fn)(struct exo_map *map, void *arg), void *arg)
{
	pthread_mutex_lock(&tab.mu);
	for (struct fdtab_obj *o = tab.all; o; o = o->next)
		fn(map_of(o), arg);
	pthread_mutex_unlock(&tab.mu);
}

bool exo_map_is_live(const void *ptr)
{
	bool live = false;

	pthread_mutex_lock(&tab.mu);
	for (struct fdtab_obj *o = tab.all; o && !live; o = o->next)
		live = map_of(o) == ptr;
	pthread_mutex_unlock(&tab.mu);
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
	map->tab.refcnt = 1;
	map->fd = -1;
	map->wake_fd = -1;
	map->tab.dev = st.st_dev;
	map->tab.ino = st.st_ino;
	if ((err = adopt_hdr(map, &hdr, (uint64_t)st.st_size, what)))
		goto fail;
	map->fd = fdtab_own_fd(fd);
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

int map_register_fd(struct exo_map *map, int fd)
{
	struct fdtab_obj *dead = NULL;
	int err;

	pthread_mutex_lock(&tab.mu);
	err = fdtab_grow_locked(&tab, (size_t)fd);
	if (!err) {
		if (map->tab.refcnt == 1 && !map->tab.next && tab.all != &map->tab)
			fdtab_link_locked(&tab, &map->tab);
		dead = fdtab_set_locked(&tab, fd, &map->tab);
	}
	pthread_mutex_unlock(&tab.mu);
	if (dead)
		tab_free(dead);
	return err ? exo_err(ENOMEM, "out of memory registering fd %d", fd) : 0;
}

struct exo_map *exo_map_get(int fd)
{
	struct exo_map *fresh;
	struct fdtab_obj *o;
	char what[32];
	struct stat st;

	snprintf(what, sizeof(what), "fd %d", fd);
	if (fd < 0 || fstat(fd, &st) < 0) {
		exo_err(EBADF, "%s is not an open file descriptor", what);
		return NULL;
	}
	if ((o = fdtab_lookup(&tab, fd, &st)))
		return map_of(o);
	/* Not seen yet: map the file (outside the lock), then publish. */
	fresh = map_open_file(fd, what);
	if (!fresh)
		return NULL;
	return map_of(fdtab_publish(&tab, fd, &fresh->tab));
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

struct scan_arg {
	int (*fn)(const struct map_hdr *hdr, int fd, void *arg);
	void *arg;
};

static int scan_fn(int fd, void *arg)
{
	struct scan_arg *a = arg;
	struct map_hdr hdr;

	if (pread(fd, &hdr, sizeof(hdr), 0) == (ssize_t)sizeof(hdr) && hdr.magic == MAP_MAGIC &&
	    hdr.version == MAP_VERSION)
		return a->fn(&hdr, fd, a->arg);
	return 0;
}

/* Every map file we may look at: pinned or held ones (.refs included), then
 * every one open in a process. fn returns nonzero to stop; it receives an fd
 * it must not keep (closed after). */
static int scan_maps(int (*fn)(const struct map_hdr *hdr, int fd, void *arg), void *arg)
{
	struct scan_arg a = {fn, arg};
	struct fdtab_scan s = {.min_size = MAP_PAGE, .fn = scan_fn, .arg = &a};

	/* pinned maps nobody has open live in the pin directory only */
	if (fdtab_scan_dir(&s, store_dir(), 2, NULL))
		return 1;
	return fdtab_scan_procs(&s, false);
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
	pthread_mutex_lock(&tab.mu);
	for (struct fdtab_obj *o = tab.all; o; o = o->next) {
		struct exo_map *m = map_of(o);

		if (m->id > start_id && (!a.best || m->id < a.best))
			a.best = m->id;
	}
	pthread_mutex_unlock(&tab.mu);
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

	pthread_mutex_lock(&tab.mu);
	for (struct fdtab_obj *o = tab.all; o; o = o->next)
		if (map_of(o)->id == id) {
			a.fd = fcntl(map_of(o)->fd, F_DUPFD_CLOEXEC, 3);
			break;
		}
	pthread_mutex_unlock(&tab.mu);
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

	pthread_mutex_lock(&tab.mu);
	for (struct fdtab_obj *o = tab.all; o; o = o->next)
		if (map_of(o)->id == id) {
			map = map_of(o);
			o->refcnt++;
			break;
		}
	pthread_mutex_unlock(&tab.mu);
	if (map)
		return map;
	fd = exobpf_map_get_fd_by_id(id);
	if (fd < 0)
		return NULL;
	map = exo_map_get(fd);
	close(fd);
	return map;
}
