/* BLOOM_FILTER (Linux's kernel/bpf/bloom_filter.c): push sets k bits, peek
 * tests them. Sizes, hash (jhash of the value with seed + i) and masks follow
 * Linux exactly, so with BPF_F_ZERO_SEED exobpf and the kernel give the same
 * answers, false positives included. map_extra's low 4 bits say k (0: 5). */
#include <string.h>

#include "maps/internal.h"
#include "maps/jhash.h"

enum { B_NR_HASH, B_MASK, B_BYTES, B_WORDS }; /* map->lay[] */

static int bloom_check(const union bpf_attr *attr)
{
	uint32_t mask = BPF_F_NUMA_NODE | BPF_F_ZERO_SEED | BPF_F_ACCESS_MASK_;

	if (attr->key_size != 0 || attr->value_size == 0 || attr->max_entries == 0 ||
	    attr->map_flags & ~mask ||
	    (attr->map_flags & (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG)) ==
		(BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG) ||
	    (attr->map_extra & ~0xfull))
		return exo_err(EINVAL,
			       "key_size must be 0, value_size and max_entries non-zero, map_extra "
			       "at most 15 (got key %u, value %u, entries %u, extra 0x%llx)",
			       attr->key_size, attr->value_size, attr->max_entries,
			       (unsigned long long)attr->map_extra);
	return 0;
}

static uint64_t bloom_layout(struct exo_map *map)
{
	uint32_t k = (uint32_t)(map->hdr->map_extra & 0xf);
	uint64_t bits, bytes, maskv;

	if (map->key_size || !map->value_size || !map->max_entries)
		return 0;
	if (!k)
		k = 5;
	/* n * k / ln 2, with 7/5 for 1/ln 2, in u32 arithmetic as Linux */
	bits = (uint64_t)map->max_entries * k;
	if (bits > UINT32_MAX || (bits / 5) * 7 > UINT32_MAX || (bits / 5) * 7 > (1ull << 31)) {
		bytes = ((uint64_t)UINT32_MAX + 7) / 8;
		maskv = UINT32_MAX;
	} else {
		bits = (bits / 5) * 7;
		if (bits <= 64) {
			bits = 64;
		} else {
			uint64_t p = 1;
			while (p < bits)
				p <<= 1;
			bits = p;
		}
		bytes = bits / 8;
		maskv = bits - 1;
	}
	bytes = (bytes + 7) & ~7ull;
	map->lay[B_NR_HASH] = k;
	map->lay[B_MASK] = maskv;
	map->lay[B_BYTES] = bytes;
	map->lay[B_WORDS] = map->value_size % 4 == 0 ? map->value_size / 4 : 0;
	return map_page_round(bytes);
}

static uint32_t bit_of(struct exo_map *map, const void *value, uint32_t i)
{
	uint32_t seed = (uint32_t)map->hdr->seed + i, h;

	h = map->lay[B_WORDS] ? jhash_words(value, (uint32_t)map->lay[B_WORDS], seed)
			      : jhash_bytes(value, map->value_size, seed);
	return h & (uint32_t)map->lay[B_MASK];
}

static int bloom_push(struct exo_map *map, const void *value, uint64_t flags)
{
	uint8_t *bits = map_data(map, 0);

	if (flags != BPF_ANY)
		return -EINVAL;
	for (uint32_t i = 0; i < map->lay[B_NR_HASH]; i++) {
		uint32_t b = bit_of(map, value, i);
		__atomic_fetch_or(&bits[b / 8], (uint8_t)(1u << (b % 8)), __ATOMIC_RELAXED);
	}
	return 0;
}

static int bloom_peek(struct exo_map *map, void *value)
{
	const uint8_t *bits = map_data(map, 0);

	for (uint32_t i = 0; i < map->lay[B_NR_HASH]; i++) {
		uint32_t b = bit_of(map, value, i);
		if (!(__atomic_load_n(&bits[b / 8], __ATOMIC_RELAXED) & (1u << (b % 8))))
			return -ENOENT;
	}
	return 0;
}

static int bloom_unsupported(struct exo_map *map, void *value)
{
	(void)map, (void)value;
	return -EOPNOTSUPP;
}

static int bloom_delete(struct exo_map *map, const void *key)
{
	(void)map, (void)key;
	return -EOPNOTSUPP;
}

static int bloom_next(struct exo_map *map, const void *key, void *next)
{
	(void)map, (void)key, (void)next;
	return -EOPNOTSUPP;
}

static bool bloom_regions(struct exo_map *map, struct vm_run *run)
{
	(void)map, (void)run;
	return true;
}

const struct map_ops bloom_ops = {
    .check = bloom_check,
    .layout = bloom_layout,
    .push = bloom_push,
    .peek = bloom_peek,
    .pop = bloom_unsupported,
    .delete = bloom_delete,
    .get_next_key = bloom_next,
    .regions = bloom_regions,
};
