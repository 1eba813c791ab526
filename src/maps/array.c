/* ARRAY and PERCPU_ARRAY (Linux's kernel/bpf/arraymap.c semantics): u32 keys,
 * every element always present, values in one page-aligned area so an ARRAY
 * can back global data and mmap(). Per-CPU values are slot-major within an
 * element: element i, slot s lives at (i * nslots + s) * stride. */
#include <limits.h>
#include <string.h>

#include "maps/internal.h"

#define PCPU_MIN_UNIT_SIZE 32768 /* Linux's bound on one per-CPU value */
#define ARRAY_CREATE_FLAG_MASK                                                          \
	(BPF_F_NUMA_NODE | BPF_F_MMAPABLE | BPF_F_ACCESS_MASK_ | BPF_F_PRESERVE_ELEMS | \
	 BPF_F_INNER_MAP)

static bool percpu(const struct exo_map *map)
{
	return map->type == BPF_MAP_TYPE_PERCPU_ARRAY;
}

/* Linux's bpf_map_flags_access_ok: not both _PROG access restrictions. */
static bool prog_access_ok(uint32_t flags)
{
	return (flags & (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG)) !=
	       (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG);
}

int array_check(const union bpf_attr *attr)
{
	bool pcpu = attr->map_type == BPF_MAP_TYPE_PERCPU_ARRAY;

	if (attr->max_entries == 0 || attr->key_size != 4 || attr->value_size == 0)
		return exo_err(EINVAL,
			       "key_size must be 4 and max_entries, value_size non-zero (got key "
			       "%u, value %u, entries %u)",
			       attr->key_size, attr->value_size, attr->max_entries);
	if (attr->map_flags & ~ARRAY_CREATE_FLAG_MASK || !prog_access_ok(attr->map_flags))
		return exo_err(EINVAL, "map_flags 0x%x are not valid for an array",
			       attr->map_flags);
	if (pcpu && (attr->map_flags & BPF_F_NUMA_NODE))
		return exo_err(EINVAL, "BPF_F_NUMA_NODE is not valid for a per-CPU array");
	if (attr->map_type != BPF_MAP_TYPE_ARRAY &&
	    attr->map_flags & (BPF_F_MMAPABLE | BPF_F_INNER_MAP))
		return exo_err(EINVAL, "BPF_F_MMAPABLE and BPF_F_INNER_MAP are only for ARRAY");
	if (attr->map_type != BPF_MAP_TYPE_PERF_EVENT_ARRAY &&
	    attr->map_flags & BPF_F_PRESERVE_ELEMS)
		return exo_err(EINVAL, "BPF_F_PRESERVE_ELEMS is only for PERF_EVENT_ARRAY");
	if (attr->value_size > INT_MAX)
		return exo_err(E2BIG, "value_size %u is too big", attr->value_size);
	if (pcpu && map_round8(attr->value_size) > PCPU_MIN_UNIT_SIZE)
		return exo_err(E2BIG, "per-CPU value_size %u exceeds %d bytes", attr->value_size,
			       PCPU_MIN_UNIT_SIZE);
	return 0;
}

static uint64_t array_layout(struct exo_map *map)
{
	uint64_t per = (uint64_t)map->value_stride * (percpu(map) ? map->nslots : 1);

	if (map->key_size != 4 || !map->max_entries || !map->value_size)
		return 0;
	map->lay[0] = 0; /* values */
	return map_page_round(per * map->max_entries);
}

static void *elem(struct exo_map *map, uint32_t index, uint32_t slot)
{
	uint64_t per = percpu(map) ? map->nslots : 1;

	return map_data(map,
			((uint64_t)index * per + (percpu(map) ? slot : 0)) * map->value_stride);
}

static void *array_lookup(struct exo_map *map, const void *key, uint32_t slot)
{
	uint32_t index;

	memcpy(&index, key, 4);
	return index < map->max_entries ? elem(map, index, slot) : NULL;
}

/* A plain array's lookup needs no slot: what the JIT calls directly. */
static void *array_prog_lookup(struct exo_map *map, const void *key)
{
	uint32_t index;

	memcpy(&index, key, 4);
	return index < map->max_entries ? map_data(map, (uint64_t)index * map->value_stride) : NULL;
}

static exo_map_lookup_fn array_gen_lookup(const struct exo_map *map)
{
	(void)map;
	return array_prog_lookup;
}

static void *array_lookup_percpu(struct exo_map *map, const void *key, uint32_t slot)
{
	return percpu(map) ? array_lookup(map, key, slot) : NULL;
}

static int array_lookup_user(struct exo_map *map, const void *key, void *value, uint64_t flags)
{
	uint32_t index;

	memcpy(&index, key, 4);
	if (index >= map->max_entries)
		return -ENOENT;
	if (percpu(map)) {
		memcpy(value, elem(map, index, 0), (size_t)map->value_stride * map->nslots);
		return 0;
	}
	map_copy_out(map, value, elem(map, index, 0), flags & BPF_F_LOCK);
	return 0;
}

static int array_update(struct exo_map *map, const void *key, const void *value, uint64_t flags,
			uint32_t slot)
{
	uint32_t index;

	if ((percpu(map) ? flags : flags & ~(uint64_t)BPF_F_LOCK) > BPF_EXIST)
		return -EINVAL;
	memcpy(&index, key, 4);
	if (index >= map->max_entries)
		return -E2BIG;
	if (flags & BPF_NOEXIST)
		return -EEXIST;
	if ((flags & BPF_F_LOCK) && map->spin_lock_off < 0)
		return -EINVAL;
	if (percpu(map)) {
		if (slot == MAP_ALL_SLOTS) {
			memcpy(elem(map, index, 0), value, (size_t)map->value_stride * map->nslots);
		} else {
			memcpy(elem(map, index, slot), value, map->value_size);
		}
		return 0;
	}
	map_copy_value(map, elem(map, index, 0), value, flags & BPF_F_LOCK);
	return 0;
}

static int array_delete(struct exo_map *map, const void *key)
{
	(void)map, (void)key;
	return -EINVAL;
}

static int array_get_next_key(struct exo_map *map, const void *key, void *next)
{
	uint32_t index = UINT32_MAX, n;

	if (key)
		memcpy(&index, key, 4);
	if (index >= map->max_entries) {
		n = 0;
	} else if (index == map->max_entries - 1) {
		return -ENOENT;
	} else {
		n = index + 1;
	}
	memcpy(next, &n, 4);
	return 0;
}

static long array_for_each(struct exo_map *map, exo_map_each_fn fn, void *ctx, void *arg,
			   uint32_t slot)
{
	long n = 0;

	for (uint32_t i = 0; i < map->max_entries; i++) {
		uint32_t key = i;

		n++;
		if (fn(map, &key, elem(map, i, slot), ctx, arg))
			break;
	}
	return n;
}

static bool array_regions(struct exo_map *map, struct vm_run *run)
{
	uint64_t len =
	    (uint64_t)map->max_entries * map->value_stride * (percpu(map) ? map->nslots : 1);
	void *start = map_data(map, 0);

	for (unsigned i = 0; i < run->nregions; i++)
		if (run->regions[i].start == (uintptr_t)start)
			return true;
	return vm_add_region(run, start, len, !(map->flags & BPF_F_RDONLY_PROG));
}

void *exo_map_value_area(struct exo_map *map, size_t *size)
{
	if (map->type != BPF_MAP_TYPE_ARRAY)
		return NULL;
	if (size)
		*size = (size_t)map->max_entries * map->value_stride;
	return map_data(map, 0);
}

uint64_t exo_map_value_area_offset(const struct exo_map *map)
{
	(void)map;
	return MAP_PAGE;
}

const struct map_ops array_ops = {
    .check = array_check,
    .layout = array_layout,
    .lookup = array_lookup,
    .lookup_user = array_lookup_user,
    .update = array_update,
    .delete = array_delete,
    .get_next_key = array_get_next_key,
    .for_each = array_for_each,
    .regions = array_regions,
    .gen_lookup = array_gen_lookup,
    .batch = BATCH_LOOKUP | BATCH_UPDATE,
};

const struct map_ops percpu_array_ops = {
    .check = array_check,
    .layout = array_layout,
    .lookup = array_lookup,
    .lookup_user = array_lookup_user,
    .update = array_update,
    .delete = array_delete,
    .get_next_key = array_get_next_key,
    .lookup_percpu = array_lookup_percpu,
    .for_each = array_for_each,
    .regions = array_regions,
    .percpu = true,
    .batch = BATCH_LOOKUP | BATCH_UPDATE,
};
