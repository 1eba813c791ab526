/* The BPF_MAP_*_BATCH commands (Linux's generic_map_*_batch and the hash
 * table's bucket-wise batch): which types have which, the in/out batch
 * token, count in and out, and -ENOENT once the whole map was walked. */
#include <stdlib.h>
#include <string.h>

#include "core/opts.h"
#include "exobpf/map.h"
#include "maps/internal.h"

static size_t user_value_size(const struct exo_map *map)
{
	return map->ops->percpu ? (size_t)map->value_stride * map->nslots : map->value_size;
}

static int elem_flags_ok(const struct exo_map *map, uint64_t elem_flags, const char *cmd)
{
	if (elem_flags & ~(uint64_t)BPF_F_LOCK)
		return exo_err(EINVAL, "%s: elem_flags 0x%llx: only BPF_F_LOCK", cmd,
			       (unsigned long long)elem_flags);
	if ((elem_flags & BPF_F_LOCK) && map->spin_lock_off < 0)
		return exo_err(EINVAL, "%s: BPF_F_LOCK on a map without bpf_spin_lock", cmd);
	return 0;
}

static int batch_begin(int fd, int need, unsigned have, const char *cmd, __u32 *count,
		       struct exo_map **out)
{
	struct exo_map *map;

	if (!count)
		return exo_err(EINVAL, "%s: count is NULL", cmd);
	if (!(map = map_get_for(fd, need, cmd)))
		return -errno;
	if (!(map->ops->batch & have)) {
		exo_map_put(map);
		return exo_err(ENOTSUPP_, "%s: %s maps have no batch command for this", cmd,
			       map_type_name(map->type));
	}
	*out = map;
	return 0;
}

static int finish(struct exo_map *map, int err)
{
	exo_map_put(map);
	if (err < 0)
		errno = -err;
	return err;
}

/* Linux's generic_map_lookup_batch: walk with get_next_key from the key in
 * in_batch (or the start); out_batch gets the last key copied. */
static int generic_lookup(struct exo_map *map, void *in_batch, void *out_batch, void *keys,
			  void *values, __u32 *count, uint64_t elem_flags)
{
	size_t vs = user_value_size(map), ks = map->key_size;
	uint32_t max = *count, cp = 0;
	uint8_t *prev = NULL, *pbuf = malloc(ks), *key = malloc(ks);
	int err = 0;

	*count = 0;
	if (!pbuf || !key) {
		free(pbuf), free(key);
		return exo_err(ENOMEM, "map_lookup_batch: out of memory");
	}
	if (in_batch) {
		memcpy(pbuf, in_batch, ks);
		prev = pbuf;
	}
	while (cp < max) {
		if ((err = map->ops->get_next_key(map, prev, key)))
			break;
		err = map_user_lookup(map, key, (uint8_t *)values + cp * vs, elem_flags);
		if (err == -ENOENT)
			continue; /* deleted meanwhile: the next one */
		if (err)
			break;
		memcpy((uint8_t *)keys + (size_t)cp * ks, key, ks);
		memcpy(pbuf, key, ks);
		prev = pbuf;
		cp++;
	}
	*count = cp;
	if (cp && out_batch)
		memcpy(out_batch, prev, ks);
	free(pbuf);
	free(key);
	return err;
}

static int lookup_batch(int fd, void *in_batch, void *out_batch, void *keys, void *values,
			__u32 *count, const struct exobpf_map_batch_opts *opts, bool del)
{
	const char *cmd = del ? "map_lookup_and_delete_batch" : "map_lookup_batch";
	uint64_t elem_flags = OPT(opts, elem_flags, 0), flags = OPT(opts, flags, 0);
	struct exo_map *map;
	int err;

	if (!OPTS_VALID(opts, exobpf_map_batch_opts))
		return -errno;
	if ((err = batch_begin(fd, del ? CAN_READ | CAN_WRITE : CAN_READ,
			       del ? BATCH_HTAB : BATCH_HTAB | BATCH_LOOKUP, cmd, count, &map)))
		return err;
	if ((err = elem_flags_ok(map, elem_flags, cmd)))
		return finish(map, err);
	if (!*count)
		return finish(map, 0);
	if (!keys || !values || !out_batch)
		return finish(map,
			      exo_err(EFAULT, "%s: keys, values and out_batch are needed", cmd));
	if (!(map->ops->batch & BATCH_HTAB))
		return finish(
		    map, generic_lookup(map, in_batch, out_batch, keys, values, count, elem_flags));
	if (flags)
		return finish(map, exo_err(EINVAL, "%s: flags must be 0", cmd));
	uint32_t bucket = 0, done = 0;
	if (in_batch)
		memcpy(&bucket, in_batch, 4);
	if (bucket >= htab_nbuckets(map)) {
		*count = 0;
		return finish(map, -ENOENT);
	}
	err = htab_batch(map, &bucket, *count, keys, values, del, elem_flags, &done);
	*count = done;
	memcpy(out_batch, &bucket, 4);
	return finish(map, err);
}

EXOBPF_API int exobpf_map_lookup_batch(int fd, void *in_batch, void *out_batch, void *keys,
				       void *values, __u32 *count,
				       const struct exobpf_map_batch_opts *opts)
{
	return lookup_batch(fd, in_batch, out_batch, keys, values, count, opts, false);
}

EXOBPF_API int exobpf_map_lookup_and_delete_batch(int fd, void *in_batch, void *out_batch,
						  void *keys, void *values, __u32 *count,
						  const struct exobpf_map_batch_opts *opts)
{
	return lookup_batch(fd, in_batch, out_batch, keys, values, count, opts, true);
}

EXOBPF_API int exobpf_map_update_batch(int fd, const void *keys, const void *values, __u32 *count,
				       const struct exobpf_map_batch_opts *opts)
{
	const char *cmd = "map_update_batch";
	uint64_t elem_flags = OPT(opts, elem_flags, 0);
	struct exo_map *map;
	uint32_t cp = 0;
	int err;

	if (!OPTS_VALID(opts, exobpf_map_batch_opts))
		return -errno;
	if ((err = batch_begin(fd, CAN_WRITE, BATCH_UPDATE, cmd, count, &map)))
		return err;
	if ((elem_flags & BPF_F_LOCK) && map->spin_lock_off < 0)
		return finish(
		    map, exo_err(EINVAL, "%s: BPF_F_LOCK on a map without bpf_spin_lock", cmd));
	if (*count && (!keys || !values))
		return finish(map, exo_err(EFAULT, "%s: keys or values is NULL", cmd));
	for (; cp < *count; cp++)
		if ((err = map_user_update(map, (const uint8_t *)keys + (size_t)cp * map->key_size,
					   (const uint8_t *)values + cp * user_value_size(map),
					   elem_flags)))
			break;
	*count = cp;
	return finish(map, err);
}

EXOBPF_API int exobpf_map_delete_batch(int fd, const void *keys, __u32 *count,
				       const struct exobpf_map_batch_opts *opts)
{
	const char *cmd = "map_delete_batch";
	uint64_t elem_flags = OPT(opts, elem_flags, 0);
	struct exo_map *map;
	uint32_t cp = 0;
	int err;

	if (!OPTS_VALID(opts, exobpf_map_batch_opts))
		return -errno;
	if ((err = batch_begin(fd, CAN_WRITE, BATCH_DELETE, cmd, count, &map)))
		return err;
	if ((err = elem_flags_ok(map, elem_flags, cmd)))
		return finish(map, err);
	if (*count && !keys)
		return finish(map, exo_err(EFAULT, "%s: keys is NULL", cmd));
	for (; cp < *count; cp++)
		if ((err =
			 map_user_delete(map, (const uint8_t *)keys + (size_t)cp * map->key_size)))
			break;
	*count = cp;
	return finish(map, err);
}
