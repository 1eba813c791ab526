/* Arrays whose values are other objects (Linux's fd arrays): PROG_ARRAY,
 * PERF_EVENT_ARRAY and ARRAY_OF_MAPS. User space stores an fd; the map keeps
 * the object's id (what user space reads back, as in Linux) and a reference.
 *
 * Programs are process-local, so a PROG_ARRAY's programs live in a local
 * table beside the shared ids: another process sees the ids, and its tail
 * calls through the map fall through. Maps and perf rings are shared: their
 * ids resolve in any process (maps/refs.c). */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/prog.h"
#include "exobpf/map.h"
#include "maps/internal.h"

int array_check(const union bpf_attr *attr);

static struct exo_prog_resolver resolver;

void exo_map_set_prog_resolver(const struct exo_prog_resolver *r)
{
	memset(&resolver, 0, sizeof(resolver));
	if (r)
		resolver = *r;
}

static int fd_array_check(const union bpf_attr *attr)
{
	if (attr->value_size != 4)
		return exo_err(EINVAL, "value_size must be 4 (an fd), got %u", attr->value_size);
	if (attr->map_flags & (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG))
		return exo_err(EINVAL, "BPF_F_RDONLY_PROG/BPF_F_WRONLY_PROG are not for fd arrays");
	return array_check(attr);
}

static uint64_t fd_array_layout(struct exo_map *map)
{
	if (map->key_size != 4 || map->value_size != 4 || !map->max_entries)
		return 0;
	return map_page_round((uint64_t)map->max_entries * 4);
}

static uint32_t *ids(struct exo_map *map)
{
	return map_data(map, 0);
}

/* Process-local programs of a PROG_ARRAY (allocated when first opened). */
struct prog_slots {
	pthread_mutex_t mu;
	const struct vm_prog **progs;
	/* Linux's owner (bpf_prog_map_compatible): the type of the first
	 * program to use the array, loaded with it or put into it; every later
	 * one must have the same */
	bool owned;
	uint32_t owner_type;
};

/* Under ps->mu: may prog use the array? The first one makes it its own. */
static bool compatible_locked(struct prog_slots *ps, const struct vm_prog *prog)
{
	if (!ps->owned) {
		ps->owned = true;
		ps->owner_type = prog->type;
	}
	return ps->owner_type == prog->type;
}

static int incompatible(const struct exo_map *map, const struct prog_slots *ps,
			const struct vm_prog *prog)
{
	return exo_err(EINVAL, "prog array %u holds programs of type %u; this one is of type %u",
		       map->id, ps->owner_type, prog->type);
}

int exo_map_prog_array_use(struct exo_map *map, const struct vm_prog *prog)
{
	struct prog_slots *ps = map->local;
	bool ok;

	if (map->type != BPF_MAP_TYPE_PROG_ARRAY || !ps)
		return 0;
	pthread_mutex_lock(&ps->mu);
	ok = compatible_locked(ps, prog);
	pthread_mutex_unlock(&ps->mu);
	return ok ? 0 : incompatible(map, ps, prog);
}

static int fd_array_open(struct exo_map *map)
{
	struct prog_slots *ps;

	if (map->type != BPF_MAP_TYPE_PROG_ARRAY)
		return 0;
	ps = calloc(1, sizeof(*ps));
	if (!ps || !(ps->progs = calloc(map->max_entries, sizeof(*ps->progs)))) {
		free(ps);
		return exo_err(ENOMEM, "out of memory for a prog array of %u", map->max_entries);
	}
	pthread_mutex_init(&ps->mu, NULL);
	map->local = ps;
	return 0;
}

static void fd_array_release(struct exo_map *map)
{
	struct prog_slots *ps = map->local;

	if (!ps)
		return;
	for (uint32_t i = 0; i < map->max_entries; i++)
		if (ps->progs[i] && resolver.put)
			resolver.put((struct vm_prog *)ps->progs[i]);
	pthread_mutex_destroy(&ps->mu);
	free(ps->progs);
	free(ps);
	map->local = NULL;
}

static uint32_t next_local_prog_id = 1u << 30; /* ids of programs without a bpf() layer */

static uint32_t prog_id(const struct vm_prog *prog)
{
	if (resolver.id)
		return resolver.id(prog);
	return __atomic_fetch_add(&next_local_prog_id, 1, __ATOMIC_RELAXED);
}

int exo_map_prog_array_set(struct exo_map *map, uint32_t index, struct vm_prog *prog)
{
	struct prog_slots *ps = map->local;
	const struct vm_prog *old;

	if (map->type != BPF_MAP_TYPE_PROG_ARRAY || !ps)
		return exo_err(EINVAL, "map %u is not a prog array", map->id);
	if (index >= map->max_entries)
		return exo_err(E2BIG, "index %u is past the prog array's %u entries", index,
			       map->max_entries);
	pthread_mutex_lock(&ps->mu);
	if (prog && !compatible_locked(ps, prog)) {
		pthread_mutex_unlock(&ps->mu);
		return incompatible(map, ps, prog);
	}
	old = ps->progs[index];
	__atomic_store_n(&ps->progs[index], prog, __ATOMIC_RELEASE);
	__atomic_store_n(&ids(map)[index], prog ? prog_id(prog) : 0, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&ps->mu);
	if (old && resolver.put)
		resolver.put((struct vm_prog *)old);
	return 0;
}

EXOBPF_API int exobpf_map_set_prog(int map_fd, __u32 index, struct exobpf_prog *prog)
{
	struct exo_map *map = exo_map_get(map_fd);
	int err;

	if (!map)
		return -errno;
	err = exo_map_prog_array_set(map, index, prog ? &prog->vm : NULL);
	exo_map_put(map);
	return err;
}

/* Called for each local map by map_for_each_local: clear prog's slots. */
static void forget_in(struct exo_map *map, void *prog)
{
	struct prog_slots *ps = map->local;

	if (map->type != BPF_MAP_TYPE_PROG_ARRAY || !ps)
		return;
	pthread_mutex_lock(&ps->mu);
	for (uint32_t i = 0; i < map->max_entries; i++)
		if (ps->progs[i] == prog) {
			__atomic_store_n(&ps->progs[i], NULL, __ATOMIC_RELEASE);
			__atomic_store_n(&ids(map)[i], 0, __ATOMIC_RELEASE);
		}
	pthread_mutex_unlock(&ps->mu);
}

void exo_map_forget_prog(const struct vm_prog *prog)
{
	map_for_each_local(forget_in, (void *)prog);
}

const struct vm_prog *exo_map_prog_at(struct exo_map *map, uint32_t index)
{
	struct prog_slots *ps = map->local;

	if (map->type != BPF_MAP_TYPE_PROG_ARRAY || !ps || index >= map->max_entries)
		return NULL;
	return __atomic_load_n(&ps->progs[index], __ATOMIC_ACQUIRE);
}

/* Linux's bpf_map_meta_equal (and array_map_meta_equal for max_entries). */
static bool meta_equal(const struct map_hdr *o, const struct exo_map *inner)
{
	bool arr = inner->type == BPF_MAP_TYPE_ARRAY || inner->type == BPF_MAP_TYPE_PERCPU_ARRAY;

	return o->inner_type == inner->type && o->inner_key_size == inner->key_size &&
	       o->inner_value_size == inner->value_size && o->inner_flags == inner->flags &&
	       (!arr || (o->inner_flags & BPF_F_INNER_MAP) ||
		o->inner_max_entries == inner->max_entries);
}

int map_inner_check(const struct exo_map *outer, uint32_t fd, struct exo_map **inner)
{
	struct exo_map *m = exo_map_get((int)fd);

	if (!m)
		return -errno;
	if (!meta_equal(outer->hdr, m)) {
		exo_map_put(m);
		return exo_err(EINVAL, "map %u (%s) does not match the inner map template", m->id,
			       map_type_name(m->type));
	}
	*inner = m;
	return 0;
}

static int fd_array_lookup_user(struct exo_map *map, const void *key, void *value, uint64_t flags)
{
	uint32_t index, id;

	(void)flags;
	if (map->type == BPF_MAP_TYPE_PERF_EVENT_ARRAY)
		return -ENOTSUPP_;
	memcpy(&index, key, 4);
	if (index >= map->max_entries ||
	    !(id = __atomic_load_n(&ids(map)[index], __ATOMIC_ACQUIRE)))
		return -ENOENT;
	memcpy(value, &id, 4);
	return 0;
}

static int perf_ring_check(struct exo_map *ring)
{
	if (ring->type != EXO_MAP_TYPE_PERF_RING)
		return exo_err(EBADF, "map %u is not a perf event ring", ring->id);
	return 0;
}

static int fd_array_update(struct exo_map *map, const void *key, const void *value, uint64_t flags,
			   uint32_t slot)
{
	uint32_t index, fd, old, id;
	struct exo_map *obj = NULL;
	int err;

	if (slot != MAP_ALL_SLOTS)
		return -EOPNOTSUPP; /* programs cannot store fds (the verifier says so too) */
	if (flags != BPF_ANY)
		return -EINVAL;
	memcpy(&index, key, 4);
	if (index >= map->max_entries)
		return -E2BIG;
	memcpy(&fd, value, 4);
	if (map->type == BPF_MAP_TYPE_PROG_ARRAY) {
		struct vm_prog *p = resolver.get_by_fd ? resolver.get_by_fd((int)fd) : NULL;
		struct stat st;

		/* Linux's bpf_prog_get: EBADF for no file, EINVAL for another one */
		if (!p && fstat((int)fd, &st) < 0)
			return exo_err(EBADF, "fd %u is not open", fd);
		if (!p)
			return exo_err(EINVAL,
				       "fd %u is not a program (without the bpf() layer use "
				       "exobpf_map_set_prog)",
				       fd);
		if ((err = exo_map_prog_array_set(map, index, p)) && resolver.put)
			resolver.put(p); /* not stored: its reference goes back */
		return err;
	}
	if (map->type == BPF_MAP_TYPE_ARRAY_OF_MAPS) {
		if ((err = map_inner_check(map, fd, &obj)))
			return err;
	} else {
		if (!(obj = exo_map_get((int)fd)))
			return -EBADF;
		if ((err = perf_ring_check(obj))) {
			exo_map_put(obj);
			return err;
		}
	}
	id = obj->id;
	map_ref_store(obj);
	exo_map_put(obj);
	old = __atomic_exchange_n(&ids(map)[index], id, __ATOMIC_ACQ_REL);
	if (old)
		map_ref_drop(old);
	return 0;
}

static int fd_array_delete(struct exo_map *map, const void *key)
{
	uint32_t index, old;

	memcpy(&index, key, 4);
	if (index >= map->max_entries)
		return -E2BIG;
	if (map->type == BPF_MAP_TYPE_PROG_ARRAY) {
		if (!exo_map_prog_at(map, index))
			return -ENOENT;
		return exo_map_prog_array_set(map, index, NULL);
	}
	old = __atomic_exchange_n(&ids(map)[index], 0, __ATOMIC_ACQ_REL);
	if (!old)
		return -ENOENT;
	map_ref_drop(old);
	return 0;
}

static int fd_array_get_next_key(struct exo_map *map, const void *key, void *next)
{
	uint32_t index = UINT32_MAX, n;

	if (key)
		memcpy(&index, key, 4);
	if (index >= map->max_entries)
		n = 0;
	else if (index == map->max_entries - 1)
		return -ENOENT;
	else
		n = index + 1;
	memcpy(next, &n, 4);
	return 0;
}

/* ARRAY_OF_MAPS from a program: the inner map itself, as Linux returns. */
static void *of_maps_lookup(struct exo_map *map, const void *key, uint32_t slot)
{
	uint32_t index;

	(void)slot;
	memcpy(&index, key, 4);
	if (index >= map->max_entries)
		return NULL;
	return map_ref_get(__atomic_load_n(&ids(map)[index], __ATOMIC_ACQUIRE));
}

/* The perf ring at index (PERF_EVENT_ARRAY), or NULL. */
struct exo_map *map_perf_ring_at(struct exo_map *map, uint32_t index)
{
	if (map->type != BPF_MAP_TYPE_PERF_EVENT_ARRAY || index >= map->max_entries)
		return NULL;
	return map_ref_get(__atomic_load_n(&ids(map)[index], __ATOMIC_ACQUIRE));
}

/* Used by the perf buffer consumer: store a ring without an fd round trip. */
int map_perf_ring_set(struct exo_map *map, uint32_t index, struct exo_map *ring)
{
	uint32_t old;

	if (index >= map->max_entries)
		return -E2BIG;
	if (ring)
		map_ref_store(ring);
	old = __atomic_exchange_n(&ids(map)[index], ring ? ring->id : 0, __ATOMIC_ACQ_REL);
	if (old)
		map_ref_drop(old);
	return 0;
}

static bool no_regions(struct exo_map *map, struct vm_run *run)
{
	(void)map, (void)run;
	return true;
}

#define FD_ARRAY_OPS                                                               \
	.check = fd_array_check, .layout = fd_array_layout, .open = fd_array_open, \
	.release = fd_array_release, .lookup_user = fd_array_lookup_user,          \
	.update = fd_array_update, .delete = fd_array_delete,                      \
	.get_next_key = fd_array_get_next_key, .regions = no_regions, .fd_values = true

const struct map_ops prog_array_ops = {FD_ARRAY_OPS};
const struct map_ops perf_event_array_ops = {FD_ARRAY_OPS};
const struct map_ops array_of_maps_ops = {FD_ARRAY_OPS, .lookup = of_maps_lookup};
