/* LPM_TRIE (Linux's kernel/bpf/lpm_trie.c): keys are struct bpf_lpm_trie_key
 * (u32 prefixlen, then the data bytes, most significant bit first); lookups
 * return the value of the longest stored prefix that matches. The trie is
 * the same shape as Linux's - one node per prefix plus "intermediate" nodes
 * where two prefixes diverge - so get_next_key walks in Linux's postorder
 * and every verdict (EEXIST, ENOENT, ENOSPC when full) matches.
 *
 * Nodes come from a pool in the map file (2 * max_entries + 2: intermediate
 * nodes never outnumber prefixes, plus one spare for a replacement); links
 * are node indexes + 1. Writers hold the map lock; program lookups walk
 * without it, bounded by the trie's depth, and see Linux's preallocated-reuse
 * semantics if a node is freed under them. */
#include <stdlib.h>
#include <string.h>

#include "maps/internal.h"

#define LPM_DATA_SIZE_MAX 256
#define LPM_VAL_SIZE_MAX  ((1u << 22) - LPM_DATA_SIZE_MAX - 40)
#define LPM_IM		  1u /* intermediate: exists only to join two subtrees */

struct lnode {
	uint32_t child[2]; /* index + 1 */
	uint32_t prefixlen;
	uint32_t flags;
	uint32_t free_next;
	uint32_t pad;
	uint8_t data[]; /* round8(data_size) bytes, then the value */
};

/* map->lay[] */
enum { T_DATA, T_NODE_SIZE, T_NODES };
/* Shared state, the first page of the data; nodes follow. */
struct lpm_state {
	uint32_t root; /* link */
	uint32_t entries;
	uint32_t free;	   /* link */
	uint32_t bump;	   /* nodes handed out so far */
	uint64_t reserved; /* data bytes allocated so far (nodes are allocated as used) */
};

#define STATE(map)   ((struct lpm_state *)map_data(map, 0))
#define ROOTP(map)   (&STATE(map)->root)
#define ENTRIES(map) (STATE(map)->entries)
#define FREE(map)    (STATE(map)->free)
#define BUMP(map)    (STATE(map)->bump)

static int lpm_check(const union bpf_attr *attr)
{
	uint32_t mask = BPF_F_NO_PREALLOC | BPF_F_NUMA_NODE | BPF_F_ACCESS_MASK_;

	if (attr->max_entries == 0 || !(attr->map_flags & BPF_F_NO_PREALLOC) ||
	    attr->map_flags & ~mask ||
	    (attr->map_flags & (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG)) ==
		(BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG) ||
	    attr->key_size < 4 + 1 || attr->key_size > 4 + LPM_DATA_SIZE_MAX ||
	    attr->value_size < 1 || attr->value_size > LPM_VAL_SIZE_MAX)
		return exo_err(EINVAL,
			       "needs BPF_F_NO_PREALLOC, key_size 5..260, value_size 1..%u, "
			       "max_entries > 0 (got flags 0x%x, key %u, value %u, entries %u)",
			       LPM_VAL_SIZE_MAX, attr->map_flags, attr->key_size, attr->value_size,
			       attr->max_entries);
	return 0;
}

static uint32_t data_size(const struct exo_map *map)
{
	return map->key_size - 4;
}

static uint32_t max_prefixlen(const struct exo_map *map)
{
	return data_size(map) * 8;
}

/* Linux allocates trie nodes as prefixes arrive: only the state page now. */
static uint64_t lpm_eager(struct exo_map *map)
{
	(void)map;
	return MAP_PAGE;
}

static uint64_t lpm_layout(struct exo_map *map)
{
	uint64_t nodes = 2ull * map->max_entries + 2;

	if (map->key_size < 5 || map->key_size > 260 || !map->value_size)
		return 0;
	map->lay[T_DATA] = map_round8(data_size(map));
	map->lay[T_NODE_SIZE] = sizeof(struct lnode) + map->lay[T_DATA] + map->value_stride;
	map->lay[T_NODES] = nodes;
	return MAP_PAGE + map_page_round(nodes * map->lay[T_NODE_SIZE]);
}

static struct lnode *node_at(struct exo_map *map, uint64_t link)
{
	if (!link || link > map->lay[T_NODES])
		return NULL;
	return map_data(map, MAP_PAGE + (link - 1) * map->lay[T_NODE_SIZE]);
}

static uint32_t link_of(struct exo_map *map, const struct lnode *n)
{
	return (uint32_t)(((const uint8_t *)n - (const uint8_t *)map_data(map, MAP_PAGE)) /
			  map->lay[T_NODE_SIZE]) +
	       1;
}

static void *node_value(struct exo_map *map, struct lnode *n)
{
	return n->data + map->lay[T_DATA];
}

static struct lnode *child(struct exo_map *map, struct lnode *n, unsigned bit)
{
	return node_at(map, __atomic_load_n(&n->child[bit], __ATOMIC_ACQUIRE));
}

static unsigned extract_bit(const uint8_t *data, uint32_t index)
{
	return (data[index / 8] >> (7 - index % 8)) & 1;
}

static uint32_t key_prefixlen(const void *key)
{
	uint32_t p;

	memcpy(&p, key, 4);
	return p;
}

static const uint8_t *key_data(const void *key)
{
	return (const uint8_t *)key + 4;
}

/* Leading bits node and key share, at most both prefix lengths. Node data
 * is read with relaxed atomics: lock-free lookups race with writers. */
static uint32_t prefix_match(struct exo_map *map, struct lnode *n, const void *key)
{
	uint32_t limit = __atomic_load_n(&n->prefixlen, __ATOMIC_RELAXED), kp = key_prefixlen(key);
	const uint8_t *kd = key_data(key);
	uint32_t len = 0;

	if (kp < limit)
		limit = kp;
	for (uint32_t i = 0; i < data_size(map) && len < limit; i++) {
		uint8_t b = __atomic_load_n(&n->data[i], __ATOMIC_RELAXED) ^ kd[i];

		if (b) {
			len += (uint32_t)__builtin_clz((unsigned)b) - 24;
			break;
		}
		len += 8;
	}
	return len < limit ? len : limit;
}

static struct lnode *node_alloc(struct exo_map *map)
{
	struct lnode *n = NULL;

	if (FREE(map)) {
		n = node_at(map, FREE(map));
		if (n)
			FREE(map) = n->free_next;
	} else if (BUMP(map) < map->lay[T_NODES] &&
		   !store_reserve(map, &STATE(map)->reserved,
				  MAP_PAGE + ((uint64_t)BUMP(map) + 1) * map->lay[T_NODE_SIZE])) {
		n = node_at(map, ++BUMP(map));
	}
	if (n)
		memset(n, 0, map->lay[T_NODE_SIZE]);
	return n;
}

static void node_free(struct exo_map *map, struct lnode *n)
{
	n->free_next = (uint32_t)FREE(map);
	FREE(map) = link_of(map, n);
}

static struct lnode *lpm_find(struct exo_map *map, const void *key)
{
	struct lnode *n = node_at(map, __atomic_load_n(ROOTP(map), __ATOMIC_ACQUIRE)),
		     *found = NULL;
	uint32_t steps = 0;

	if (key_prefixlen(key) > max_prefixlen(map))
		return NULL; /* Linux: no match for an impossible prefix */
	while (n && steps++ <= max_prefixlen(map) + 1) {
		uint32_t m = prefix_match(map, n, key),
			 plen = __atomic_load_n(&n->prefixlen, __ATOMIC_RELAXED);

		if (m == max_prefixlen(map)) {
			found = n;
			break;
		}
		if (m < plen)
			break;
		if (!(__atomic_load_n(&n->flags, __ATOMIC_RELAXED) & LPM_IM))
			found = n;
		if (plen >= max_prefixlen(map))
			break;
		n = child(map, n, extract_bit(key_data(key), plen));
	}
	return found;
}

static void *lpm_lookup(struct exo_map *map, const void *key, uint32_t slot)
{
	struct lnode *n = lpm_find(map, key);

	(void)slot;
	return n ? node_value(map, n) : NULL;
}

static int lpm_lookup_user(struct exo_map *map, const void *key, void *value, uint64_t flags)
{
	struct lnode *n;

	(void)flags;
	shm_lock(map, &map->hdr->lock);
	n = lpm_find(map, key);
	if (n)
		memcpy(value, node_value(map, n), map->value_size);
	shm_unlock(&map->hdr->lock);
	return n ? 0 : -ENOENT;
}

/* Linux's trie_check_add_elem */
static int add_entry(struct exo_map *map, uint64_t flags)
{
	if (flags == BPF_EXIST)
		return -ENOENT;
	if (ENTRIES(map) >= map->max_entries)
		return -ENOSPC;
	ENTRIES(map)++;
	return 0;
}

static void set_link(uint32_t *slot, uint32_t link)
{
	__atomic_store_n(slot, link, __ATOMIC_RELEASE);
}

static int update_locked(struct exo_map *map, const void *key, const void *value, uint64_t flags)
{
	uint32_t kp = key_prefixlen(key), m = 0, *slot = ROOTP(map);
	struct lnode *n, *nn, *im;
	int err;

	nn = node_alloc(map);
	if (!nn)
		return -ENOMEM;
	nn->prefixlen = kp;
	memcpy(nn->data, key_data(key), data_size(map));
	memcpy(node_value(map, nn), value, map->value_size);

	while ((n = node_at(map, *slot))) {
		m = prefix_match(map, n, key);
		if (n->prefixlen != m || n->prefixlen == kp)
			break;
		slot = &n->child[extract_bit(key_data(key), n->prefixlen)];
	}
	if (!n) {
		if ((err = add_entry(map, flags)))
			goto fail;
		set_link(slot, link_of(map, nn));
		return 0;
	}
	if (n->prefixlen == m) {
		if (!(n->flags & LPM_IM)) {
			if (flags == BPF_NOEXIST) {
				err = -EEXIST;
				goto fail;
			}
		} else if ((err = add_entry(map, flags))) {
			goto fail;
		}
		nn->child[0] = n->child[0];
		nn->child[1] = n->child[1];
		set_link(slot, link_of(map, nn));
		node_free(map, n);
		return 0;
	}
	if ((err = add_entry(map, flags)))
		goto fail;
	if (m == kp) {
		nn->child[extract_bit(n->data, m)] = link_of(map, n);
		set_link(slot, link_of(map, nn));
		return 0;
	}
	im = node_alloc(map);
	if (!im) {
		ENTRIES(map)--;
		err = -ENOMEM;
		goto fail;
	}
	im->prefixlen = m;
	im->flags = LPM_IM;
	memcpy(im->data, n->data, data_size(map));
	if (extract_bit(key_data(key), m)) {
		im->child[0] = link_of(map, n);
		im->child[1] = link_of(map, nn);
	} else {
		im->child[0] = link_of(map, nn);
		im->child[1] = link_of(map, n);
	}
	set_link(slot, link_of(map, im));
	return 0;
fail:
	node_free(map, nn);
	return err;
}

static int lpm_update(struct exo_map *map, const void *key, const void *value, uint64_t flags,
		      uint32_t slot)
{
	int err;

	(void)slot;
	if (flags > BPF_EXIST)
		return -EINVAL;
	if (key_prefixlen(key) > max_prefixlen(map))
		return -EINVAL;
	shm_lock(map, &map->hdr->lock);
	err = update_locked(map, key, value, flags);
	shm_unlock(&map->hdr->lock);
	return err;
}

static int delete_locked(struct exo_map *map, const void *key)
{
	uint32_t kp = key_prefixlen(key), m = 0;
	uint32_t *trim = ROOTP(map), *trim2 = trim;
	struct lnode *n, *parent = NULL;

	while ((n = node_at(map, *trim))) {
		m = prefix_match(map, n, key);
		if (n->prefixlen != m || n->prefixlen == kp)
			break;
		parent = n;
		trim2 = trim;
		trim = &n->child[extract_bit(key_data(key), n->prefixlen)];
	}
	if (!n || n->prefixlen != kp || n->prefixlen != m || (n->flags & LPM_IM))
		return -ENOENT;
	ENTRIES(map)--;
	if (n->child[0] && n->child[1]) {
		n->flags |= LPM_IM;
		return 0;
	}
	if (parent && (parent->flags & LPM_IM) && !n->child[0] && !n->child[1]) {
		uint32_t other =
		    parent->child[0] == link_of(map, n) ? parent->child[1] : parent->child[0];

		set_link(trim2, other);
		node_free(map, parent);
		node_free(map, n);
		return 0;
	}
	set_link(trim, n->child[0] ? n->child[0] : n->child[1]);
	node_free(map, n);
	return 0;
}

static int lpm_delete(struct exo_map *map, const void *key)
{
	int err;

	if (key_prefixlen(key) > max_prefixlen(map))
		return -EINVAL;
	shm_lock(map, &map->hdr->lock);
	err = delete_locked(map, key);
	shm_unlock(&map->hdr->lock);
	return err;
}

static void copy_key(struct exo_map *map, struct lnode *n, void *out)
{
	memcpy(out, &n->prefixlen, 4);
	memcpy((uint8_t *)out + 4, n->data, data_size(map));
}

/* Linux's postorder: children before their parent, left before right. */
static int next_locked(struct exo_map *map, const void *key, void *next)
{
	struct lnode *root = node_at(map, *ROOTP(map)), *n, *found = NULL;
	struct lnode *stack[LPM_DATA_SIZE_MAX * 8 + 2];
	uint32_t m = 0;
	int sp = -1;

	if (!root)
		return -ENOENT;
	if (key && key_prefixlen(key) <= max_prefixlen(map)) {
		for (n = root; n && sp + 1 < (int)(sizeof(stack) / sizeof(stack[0]));) {
			stack[++sp] = n;
			m = prefix_match(map, n, key);
			if (n->prefixlen != m || n->prefixlen == key_prefixlen(key))
				break;
			n = node_at(map, n->child[extract_bit(key_data(key), n->prefixlen)]);
		}
		if (n && n->prefixlen == m && !(n->flags & LPM_IM)) {
			n = stack[sp];
			root = NULL;
			while (sp > 0) {
				struct lnode *parent = stack[sp - 1];

				if (node_at(map, parent->child[0]) == n &&
				    (root = node_at(map, parent->child[1])))
					break;
				if (!(parent->flags & LPM_IM)) {
					copy_key(map, parent, next);
					return 0;
				}
				n = parent;
				sp--;
			}
			if (!root)
				return -ENOENT;
		}
	}
	/* the leftmost non-intermediate node under root, in postorder */
	for (n = root; n;) {
		if (n->flags & LPM_IM) {
			n = node_at(map, n->child[0]);
		} else {
			found = n;
			n = node_at(map, n->child[0]);
			if (!n)
				n = node_at(map, found->child[1]);
		}
	}
	if (!found)
		return -ENOENT;
	copy_key(map, found, next);
	return 0;
}

static int lpm_get_next_key(struct exo_map *map, const void *key, void *next)
{
	int err;

	shm_lock(map, &map->hdr->lock);
	err = next_locked(map, key, next);
	shm_unlock(&map->hdr->lock);
	return err;
}

/* After a crashed writer (called with the map lock held): the trie itself is
 * consistent - every change is one store of a link - but a node taken from
 * the pool may be unlinked and the count off. Walk the trie, recount, and
 * give every unreachable node back. */
static void mark(struct exo_map *map, struct lnode *n, uint8_t *seen, uint32_t *entries,
		 unsigned depth)
{
	uint32_t link;

	if (!n || depth > LPM_DATA_SIZE_MAX * 8 + 2 || seen[(link = link_of(map, n))])
		return;
	seen[link] = 1;
	if (!(n->flags & LPM_IM))
		(*entries)++;
	mark(map, node_at(map, n->child[0]), seen, entries, depth + 1);
	mark(map, node_at(map, n->child[1]), seen, entries, depth + 1);
}

static void lpm_recover(struct exo_map *map)
{
	uint8_t *seen = calloc(map->lay[T_NODES] + 1, 1);
	uint32_t entries = 0, head = 0;

	if (!seen)
		return;
	mark(map, node_at(map, *ROOTP(map)), seen, &entries, 0);
	for (uint32_t link = 1; link <= BUMP(map) && link <= map->lay[T_NODES]; link++)
		if (!seen[link]) {
			node_at(map, link)->free_next = head;
			head = link;
		}
	FREE(map) = head;
	ENTRIES(map) = entries;
	free(seen);
}

static bool lpm_regions(struct exo_map *map, struct vm_run *run)
{
	void *start = map_data(map, MAP_PAGE);

	for (unsigned i = 0; i < run->nregions; i++)
		if (run->regions[i].start == (uintptr_t)start)
			return true;
	return vm_add_region(run, start, map->lay[T_NODES] * map->lay[T_NODE_SIZE],
			     !(map->flags & BPF_F_RDONLY_PROG));
}

const struct map_ops lpm_ops = {
    .check = lpm_check,
    .layout = lpm_layout,
    .eager = lpm_eager,
    .lookup = lpm_lookup,
    .lookup_user = lpm_lookup_user,
    .update = lpm_update,
    .delete = lpm_delete,
    .get_next_key = lpm_get_next_key,
    .recover = lpm_recover,
    .regions = lpm_regions,
    .batch = BATCH_LOOKUP | BATCH_UPDATE | BATCH_DELETE,
};
