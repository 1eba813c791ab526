/* References from one map's values to other maps (map-in-map, perf rings).
 *
 * A value names the other map by id. While any value names it, the named
 * map has a hard link <pin dir>/.refs/<id> (so it outlives the process that
 * stored it, as a kernel inner map outlives its fd) and a count in its
 * header. Each process resolves ids through a table of maps it holds. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "exobpf/map.h"
#include "maps/internal.h"

static pthread_mutex_t held_mu = PTHREAD_MUTEX_INITIALIZER;
static struct exo_map **held;
static size_t nheld, capheld;

static struct exo_map *held_find(uint32_t id)
{
	for (size_t i = 0; i < nheld; i++)
		if (held[i]->id == id)
			return held[i];
	return NULL;
}

/* Keep a reference to map in this process's table (once). */
static void held_add(struct exo_map *map)
{
	pthread_mutex_lock(&held_mu);
	if (!held_find(map->id)) {
		if (nheld == capheld) {
			size_t cap = capheld ? capheld * 2 : 16;
			struct exo_map **h = realloc(held, cap * sizeof(*h));
			if (!h) {
				pthread_mutex_unlock(&held_mu);
				return;
			}
			held = h;
			capheld = cap;
		}
		held[nheld++] = exo_map_ref(map);
	}
	pthread_mutex_unlock(&held_mu);
}

static void held_drop(uint32_t id)
{
	struct exo_map *m = NULL;

	pthread_mutex_lock(&held_mu);
	for (size_t i = 0; i < nheld; i++)
		if (held[i]->id == id) {
			m = held[i];
			held[i] = held[--nheld];
			break;
		}
	pthread_mutex_unlock(&held_mu);
	exo_map_put(m);
}

int map_ref_store(struct exo_map *map)
{
	char path[PATH_MAX], self[64];

	if (__atomic_fetch_add(&map->hdr->refs, 1, __ATOMIC_SEQ_CST) == 0 &&
	    store_ref_path(map->id, path, sizeof(path)) == 0) {
		char dir[PATH_MAX];

		snprintf(dir, sizeof(dir), "%s/.refs", store_dir());
		mkdir(dir, 0700);
		snprintf(self, sizeof(self), "/proc/self/fd/%d", map->fd);
		/* fails for memfd-backed maps: they then live as long as this process */
		if (linkat(AT_FDCWD, self, AT_FDCWD, path, AT_SYMLINK_FOLLOW) < 0 &&
		    errno != EEXIST)
			exo_debug("map %u: no cross-process reference link: %s\n", map->id,
				  strerror(errno));
	}
	held_add(map);
	return 0;
}

void map_ref_drop(uint32_t id)
{
	struct exo_map *m = map_ref_get(id);
	char path[PATH_MAX];

	if (!m)
		return;
	if (__atomic_sub_fetch(&m->hdr->refs, 1, __ATOMIC_SEQ_CST) == 0) {
		if (store_ref_path(id, path, sizeof(path)) == 0)
			unlink(path);
		held_drop(id);
	}
}

struct exo_map *map_ref_get(uint32_t id)
{
	struct exo_map *m;
	char path[PATH_MAX];
	int fd;

	if (!id)
		return NULL;
	pthread_mutex_lock(&held_mu);
	m = held_find(id);
	pthread_mutex_unlock(&held_mu);
	if (m)
		return m;
	/* stored by another process: open its reference link, else search */
	if (store_ref_path(id, path, sizeof(path)) == 0 &&
	    (fd = open(path, O_RDWR | O_CLOEXEC)) >= 0) {
		m = exo_map_get(fd);
		close(fd);
	} else {
		m = map_by_id(id);
	}
	if (!m)
		return NULL;
	held_add(m);
	exo_map_put(m);
	return m; /* the held table keeps it */
}
