/* QUEUE and STACK (Linux's kernel/bpf/queue_stack_maps.c): no keys, a ring
 * of max_entries + 1 value slots under the map-wide lock. Pushing to a full
 * map fails with E2BIG unless BPF_EXIST asks to overwrite the oldest value. */
#include <string.h>

#include "maps/internal.h"

#define KMALLOC_MAX_SIZE_ (1ull << 22)

/* type_state: [0] head, [1] tail (slot indexes) */
#define HEAD(map) ((map)->hdr->type_state[0])
#define TAIL(map) ((map)->hdr->type_state[1])

static int qs_check(const union bpf_attr *attr)
{
	uint32_t mask = BPF_F_NUMA_NODE | BPF_F_ACCESS_MASK_;

	if (attr->max_entries == 0 || attr->key_size != 0 || attr->value_size == 0 ||
	    attr->map_flags & ~mask ||
	    (attr->map_flags & (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG)) ==
		(BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG))
		return exo_err(EINVAL,
			       "key_size must be 0, max_entries and value_size non-zero, flags "
			       "valid (got key %u, value %u, entries %u, flags 0x%x)",
			       attr->key_size, attr->value_size, attr->max_entries,
			       attr->map_flags);
	if (attr->value_size > KMALLOC_MAX_SIZE_)
		return exo_err(E2BIG, "value_size %u is too big", attr->value_size);
	return 0;
}

static uint64_t qs_size(const struct exo_map *map)
{
	return (uint64_t)map->max_entries + 1;
}

static uint64_t qs_layout(struct exo_map *map)
{
	if (map->key_size || !map->value_size || !map->max_entries)
		return 0;
	return map_page_round(qs_size(map) * map->value_size);
}

static void *slot_at(struct exo_map *map, uint64_t i)
{
	return map_data(map, i * map->value_size);
}

static bool is_stack(const struct exo_map *map)
{
	return map->type == BPF_MAP_TYPE_STACK;
}

static int qs_push(struct exo_map *map, const void *value, uint64_t flags)
{
	uint64_t size = qs_size(map);
	int err = 0;

	if ((flags & BPF_NOEXIST) || flags > BPF_EXIST)
		return -EINVAL;
	shm_lock(map, &map->hdr->lock);
	uint64_t head = HEAD(map) % size, tail = TAIL(map) % size;
	if ((head + 1) % size == tail) {
		if (!(flags & BPF_EXIST)) {
			err = -E2BIG;
			goto out;
		}
		TAIL(map) = (tail + 1) % size; /* overwrite the oldest */
	}
	memcpy(slot_at(map, head), value, map->value_size);
	__atomic_store_n(&HEAD(map), (head + 1) % size, __ATOMIC_RELEASE);
out:
	shm_unlock(&map->hdr->lock);
	return err;
}

static int qs_take(struct exo_map *map, void *value, bool remove)
{
	uint64_t size = qs_size(map), i;
	int err = 0;

	shm_lock(map, &map->hdr->lock);
	uint64_t head = HEAD(map) % size, tail = TAIL(map) % size;
	if (head == tail) {
		err = -ENOENT;
		goto out;
	}
	if (is_stack(map)) {
		i = head ? head - 1 : size - 1;
		memcpy(value, slot_at(map, i), map->value_size);
		if (remove)
			HEAD(map) = i;
	} else {
		memcpy(value, slot_at(map, tail), map->value_size);
		if (remove)
			TAIL(map) = (tail + 1) % size;
	}
out:
	shm_unlock(&map->hdr->lock);
	return err;
}

static int qs_pop(struct exo_map *map, void *value)
{
	return qs_take(map, value, true);
}

static int qs_peek(struct exo_map *map, void *value)
{
	return qs_take(map, value, false);
}

static bool qs_regions(struct exo_map *map, struct vm_run *run)
{
	(void)map, (void)run;
	return true; /* programs only copy values in and out through helpers */
}

const struct map_ops queue_ops = {
    .check = qs_check,
    .layout = qs_layout,
    .push = qs_push,
    .pop = qs_pop,
    .peek = qs_peek,
    .regions = qs_regions,
};

const struct map_ops stack_ops = {
    .check = qs_check,
    .layout = qs_layout,
    .push = qs_push,
    .pop = qs_pop,
    .peek = qs_peek,
    .regions = qs_regions,
};
