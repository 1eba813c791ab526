/* DEVMAP and DEVMAP_HASH (Linux's kernel/bpf/devmap.c semantics): u32 keys
 * naming egress ports by ifindex, the targets of bpf_redirect_map. A value
 * is struct bpf_devmap_val's first value_size bytes (4: the ifindex; 8: and
 * the id of a program to run on egress).
 *
 * exobpf's ports are numbered by ifindex. Linux refuses an ifindex that is
 * not a device of the caller's namespace; exobpf only refuses 0, because an
 * offline run has no devices: its ports are output files, and a live run
 * decides at redirect time whether the port is one of its interfaces.
 *
 * DEVMAP is an array whose empty slots read as absent (ifindex 0); each slot
 * is one 8-byte word written with a single atomic store, so programs read
 * it without locks. DEVMAP_HASH is the hash map's structure with devmap's
 * update rules in front. */
#include <string.h>

#include "maps/internal.h"

#define DEV_CREATE_FLAG_MASK (BPF_F_NUMA_NODE | BPF_F_RDONLY | BPF_F_WRONLY)

extern const struct map_ops htab_ops;

static int devmap_check(const union bpf_attr *attr)
{
	if (attr->max_entries == 0 || attr->key_size != 4 ||
	    (attr->value_size != 4 && attr->value_size != 8))
		return exo_err(EINVAL,
			       "key_size must be 4, value_size 4 or 8 and max_entries non-zero "
			       "(got key %u, value %u, entries %u)",
			       attr->key_size, attr->value_size, attr->max_entries);
	if (attr->map_flags & ~DEV_CREATE_FLAG_MASK)
		return exo_err(EINVAL, "map_flags 0x%x are not valid for a device map",
			       attr->map_flags);
	if (attr->map_type == BPF_MAP_TYPE_DEVMAP_HASH && attr->max_entries > (1u << 31))
		return exo_err(EINVAL, "max_entries %u has no power-of-two bucket count",
			       attr->max_entries);
	return 0;
}

/* Linux marks device maps read-only for programs at creation, and map info
 * shows the flag: do the same, in the shared header so every opener agrees. */
static void mark_rdonly_prog(struct exo_map *map)
{
	map->hdr->flags |= BPF_F_RDONLY_PROG;
	map->flags |= BPF_F_RDONLY_PROG;
}

/* The value user space gave, as Linux reads it (missing bytes mean "no
 * program": fd -1), normalised to what a lookup returns: the ifindex and
 * program id 0. Programs on entries need program fds, which exobpf has not
 * got yet: such an entry is refused (EOPNOTSUPP), an empty entry with a
 * program is refused as in Linux (EINVAL). The maps module words the
 * message. */
static int parse_value(const struct exo_map *map, const void *value, uint64_t *word)
{
	struct bpf_devmap_val v = {.bpf_prog.fd = -1};

	memcpy(&v, value, map->value_size);
	if (v.bpf_prog.fd > 0)
		return v.ifindex ? -EOPNOTSUPP : -EINVAL;
	*word = v.ifindex;
	return 0;
}

/* ---- DEVMAP ---- */

static uint64_t devmap_layout(struct exo_map *map)
{
	if (map->key_size != 4 || !map->max_entries)
		return 0;
	return map_page_round((uint64_t)map->max_entries * 8);
}

static int devmap_init(struct exo_map *map)
{
	mark_rdonly_prog(map);
	return 0;
}

static uint64_t *slot_word(struct exo_map *map, uint32_t index)
{
	return (uint64_t *)map_data(map, (uint64_t)index * 8);
}

static void *devmap_lookup(struct exo_map *map, const void *key, uint32_t slot)
{
	uint32_t index;

	(void)slot;
	memcpy(&index, key, 4);
	if (index >= map->max_entries || !(uint32_t)__atomic_load_n(slot_word(map, index),
								   __ATOMIC_ACQUIRE))
		return NULL;
	return slot_word(map, index);
}

static int devmap_lookup_user(struct exo_map *map, const void *key, void *value, uint64_t flags)
{
	uint64_t w;
	uint32_t index;

	(void)flags;
	memcpy(&index, key, 4);
	if (index >= map->max_entries)
		return -ENOENT;
	w = __atomic_load_n(slot_word(map, index), __ATOMIC_ACQUIRE);
	if (!(uint32_t)w)
		return -ENOENT;
	memcpy(value, &w, map->value_size);
	return 0;
}

static int devmap_update(struct exo_map *map, const void *key, const void *value, uint64_t flags,
			 uint32_t slot)
{
	uint64_t word;
	uint32_t index;
	int err;

	(void)slot;
	if (flags > BPF_EXIST)
		return -EINVAL;
	memcpy(&index, key, 4);
	if (index >= map->max_entries)
		return -E2BIG;
	if (flags == BPF_NOEXIST)
		return -EEXIST;
	if ((err = parse_value(map, value, &word)))
		return err;
	/* ifindex 0 empties the slot, as in Linux */
	__atomic_store_n(slot_word(map, index), word, __ATOMIC_RELEASE);
	return 0;
}

static int devmap_delete(struct exo_map *map, const void *key)
{
	uint32_t index;

	memcpy(&index, key, 4);
	if (index >= map->max_entries)
		return -EINVAL;
	__atomic_store_n(slot_word(map, index), 0, __ATOMIC_RELEASE);
	return 0;
}

/* Every index, present or not, as Linux walks a DEVMAP. */
static int devmap_get_next_key(struct exo_map *map, const void *key, void *next)
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

/* Present entries only: the broadcast redirect walks the map this way
 * (programs cannot: the verifier refuses for_each on device maps). */
static long devmap_for_each(struct exo_map *map, exo_map_each_fn fn, void *ctx, void *arg,
			    uint32_t slot)
{
	long n = 0;

	(void)slot;
	for (uint32_t i = 0; i < map->max_entries; i++) {
		uint32_t key = i;

		if (!(uint32_t)__atomic_load_n(slot_word(map, i), __ATOMIC_ACQUIRE))
			continue;
		n++;
		if (fn(map, &key, slot_word(map, i), ctx, arg))
			break;
	}
	return n;
}

static bool devmap_regions(struct exo_map *map, struct vm_run *run)
{
	void *start = map_data(map, 0);

	for (unsigned i = 0; i < run->nregions; i++)
		if (run->regions[i].start == (uintptr_t)start)
			return true;
	return vm_add_region(run, start, (uint64_t)map->max_entries * 8, false);
}

const struct map_ops devmap_ops = {
    .check = devmap_check,
    .layout = devmap_layout,
    .init = devmap_init,
    .lookup = devmap_lookup,
    .lookup_user = devmap_lookup_user,
    .update = devmap_update,
    .delete = devmap_delete,
    .get_next_key = devmap_get_next_key,
    .for_each = devmap_for_each,
    .regions = devmap_regions,
};

/* ---- DEVMAP_HASH ---- */

static int devmap_hash_init(struct exo_map *map)
{
	int err = htab_ops.init ? htab_ops.init(map) : 0;

	if (!err)
		mark_rdonly_prog(map);
	return err;
}

/* Linux's rules: ifindex 0 is invalid here, BPF_NOEXIST on a present key is
 * -EEXIST, and BPF_EXIST on an absent key inserts (the kernel never checks
 * it), so it reaches the hash table as BPF_ANY. */
static int devmap_hash_update(struct exo_map *map, const void *key, const void *value,
			      uint64_t flags, uint32_t slot)
{
	uint64_t word;
	int err;

	if (flags > BPF_EXIST)
		return -EINVAL;
	if ((err = parse_value(map, value, &word)))
		return err;
	if (!(uint32_t)word)
		return -EINVAL;
	return htab_ops.update(map, key, &word, flags == BPF_EXIST ? BPF_ANY : flags, slot);
}

/* The rest is the hash map's own behaviour (wrappers: another file's ops
 * table is not a constant initialiser). */
static uint64_t devmap_hash_layout(struct exo_map *map)
{
	return htab_ops.layout(map);
}

static void *devmap_hash_lookup(struct exo_map *map, const void *key, uint32_t slot)
{
	return htab_ops.lookup(map, key, slot);
}

static int devmap_hash_lookup_user(struct exo_map *map, const void *key, void *value,
				   uint64_t flags)
{
	return htab_ops.lookup_user(map, key, value, flags & ~(uint64_t)BPF_F_LOCK);
}

static int devmap_hash_delete(struct exo_map *map, const void *key)
{
	return htab_ops.delete(map, key);
}

static int devmap_hash_get_next_key(struct exo_map *map, const void *key, void *next)
{
	return htab_ops.get_next_key(map, key, next);
}

static long devmap_hash_for_each(struct exo_map *map, exo_map_each_fn fn, void *ctx, void *arg,
				 uint32_t slot)
{
	return htab_ops.for_each(map, fn, ctx, arg, slot);
}

static void devmap_hash_recover(struct exo_map *map)
{
	htab_ops.recover(map);
}

static bool devmap_hash_regions(struct exo_map *map, struct vm_run *run)
{
	return htab_ops.regions(map, run);
}

const struct map_ops devmap_hash_ops = {
    .check = devmap_check,
    .layout = devmap_hash_layout,
    .init = devmap_hash_init,
    .lookup = devmap_hash_lookup,
    .lookup_user = devmap_hash_lookup_user,
    .update = devmap_hash_update,
    .delete = devmap_hash_delete,
    .get_next_key = devmap_hash_get_next_key,
    .for_each = devmap_hash_for_each,
    .recover = devmap_hash_recover,
    .regions = devmap_hash_regions,
};
