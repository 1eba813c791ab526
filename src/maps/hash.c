/* HASH, PERCPU_HASH, LRU_HASH, LRU_PERCPU_HASH (Linux's kernel/bpf/hashtab.c
 * semantics) in one shared file.
 *
 * Layout (offsets from the data start, see htab_layout):
 *   shared state   free list, counts, LRU lists and their locks
 *   bucket heads   u32 per bucket, n_buckets = roundup_pow_of_two(max_entries)
 *   bucket locks   robust mutexes, striped (bucket b uses lock b % nlocks)
 *   elements       max_entries + nlocks preallocated elements
 *
 * Chains are "nulls" lists as in Linux: a link is (index + 1) << 1, and the
 * end of bucket b's chain is (b << 1) | 1. Lookups take no lock; when an
 * element is deleted and reused in another bucket under a reader's feet, the
 * reader ends on a foreign terminator and restarts.
 *
 * Reclamation: Linux's preallocated-element semantics. Elements are never
 * unmapped; a deleted element returns to the free list and may be reused at
 * once, so a program still holding its value pointer sees the new owner's
 * value (as in Linux). User-space reads copy under the bucket lock, so they
 * never see a torn update. An update of an existing key writes a fresh
 * element and swaps it in (readers see old or new, never a mix); the spares
 * (one per lock stripe) make that possible when the map is full.
 *
 * LRU maps evict from the tail of an LRU list with a second chance for
 * elements a program looked up since (Linux's reference bit). Lock order is
 * LRU lock, then bucket lock, then free-list lock. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "maps/internal.h"
#include "maps/jhash.h"

#define HTAB_CREATE_FLAG_MASK                                                             \
	(BPF_F_NO_PREALLOC | BPF_F_NO_COMMON_LRU | BPF_F_NUMA_NODE | BPF_F_ACCESS_MASK_ | \
	 BPF_F_ZERO_SEED)
#define KMALLOC_MAX_SIZE_  (1ull << 22) /* Linux x86-64: 4 MiB */
#define PCPU_MIN_UNIT_SIZE 32768
#define MAX_LOCKS	   1024u

enum { E_FREE = 0, E_USED = 1 };

struct helem {
	uint32_t next; /* chain link or nulls terminator */
	uint32_t hash;
	uint32_t free_next;	     /* free list: index + 1 */
	uint32_t state;		     /* E_FREE / E_USED */
	uint32_t lru_prev, lru_next; /* index + 1 */
	uint32_t lru_ref;	     /* looked up by a program since last rotation */
	uint32_t lru_list;	     /* which LRU list (slot with NO_COMMON_LRU) */
	uint64_t key[];		     /* round8(key_size) bytes, then the value(s) */
};

struct lru_list {
	uint32_t head, tail; /* index + 1 */
	uint32_t count;	     /* with BPF_F_NO_COMMON_LRU: entries this list owns */
	uint32_t pad;
	struct shm_lock lock;
};

struct htab_shared {
	/* Free list, lock-free: index + 1 in the low half, a tag bumped by every
	 * pop in the high half (no ABA). Pushes and pops happen only under a
	 * bucket or LRU lock, so recovery, holding them all, sees it still. */
	uint64_t free_top;
	uint32_t bump;	       /* elements never used yet start here */
	uint32_t count;	       /* elements in the table */
	uint64_t reserved;     /* BPF_F_NO_PREALLOC: data bytes allocated so far */
	struct lru_list lru[]; /* 1, or nslots with BPF_F_NO_COMMON_LRU */
};

/* map->lay[] */
enum { L_SHARED, L_HEADS, L_LOCKS, L_ELEMS, L_ELEM_SIZE, L_NBUCKETS, L_NLOCKS, L_NELEMS };

static bool is_lru(const struct exo_map *map)
{
	return map->type == BPF_MAP_TYPE_LRU_HASH || map->type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

static bool is_percpu(const struct exo_map *map)
{
	return map->type == BPF_MAP_TYPE_PERCPU_HASH || map->type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

static bool lru_percpu_lists(const struct exo_map *map)
{
	return is_lru(map) && (map->flags & BPF_F_NO_COMMON_LRU);
}

static uint64_t pow2_ceil(uint64_t v)
{
	uint64_t p = 1;

	while (p < v)
		p <<= 1;
	return p;
}

int htab_check(const union bpf_attr *attr)
{
	bool percpu = attr->map_type == BPF_MAP_TYPE_PERCPU_HASH ||
		      attr->map_type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
	bool lru = attr->map_type == BPF_MAP_TYPE_LRU_HASH ||
		   attr->map_type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
	bool percpu_lru = attr->map_flags & BPF_F_NO_COMMON_LRU;
	bool prealloc = !(attr->map_flags & BPF_F_NO_PREALLOC);

	if (attr->map_flags & ~HTAB_CREATE_FLAG_MASK ||
	    (attr->map_flags & (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG)) ==
		(BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG))
		return exo_err(EINVAL, "map_flags 0x%x are not valid for a hash map",
			       attr->map_flags);
	if (!lru && percpu_lru)
		return exo_err(EINVAL, "BPF_F_NO_COMMON_LRU is only for LRU maps");
	if (lru && !prealloc)
		return exo_err(ENOTSUPP_, "LRU maps cannot be BPF_F_NO_PREALLOC");
	if ((attr->map_flags & BPF_F_NUMA_NODE) && (percpu || percpu_lru))
		return exo_err(EINVAL,
			       "BPF_F_NUMA_NODE is not valid for per-CPU values or LRU lists");
	if (attr->max_entries == 0 || attr->key_size == 0 || attr->value_size == 0)
		return exo_err(
		    EINVAL,
		    "max_entries, key_size and value_size must be non-zero (got %u, %u, %u)",
		    attr->max_entries, attr->key_size, attr->value_size);
	if ((uint64_t)attr->key_size + attr->value_size >= KMALLOC_MAX_SIZE_ - 48)
		return exo_err(E2BIG, "key_size %u + value_size %u is too big", attr->key_size,
			       attr->value_size);
	if (percpu && map_round8(attr->value_size) > PCPU_MIN_UNIT_SIZE)
		return exo_err(E2BIG, "per-CPU value_size %u exceeds %d bytes", attr->value_size,
			       PCPU_MIN_UNIT_SIZE);
	/* Linux: n_buckets (max_entries rounded up to a power of 2) must stay
	 * below U32_MAX / sizeof(struct bucket), 16 bytes */
	if (pow2_ceil(attr->max_entries) > UINT32_MAX / 16)
		return exo_err(E2BIG, "max_entries %u needs too many buckets", attr->max_entries);
	return 0;
}

static uint64_t htab_layout(struct exo_map *map)
{
	uint64_t nb, nlocks, nelems, esize, nlists, off;

	if (!map->max_entries || !map->key_size || !map->value_size)
		return 0;
	if (lru_percpu_lists(map) && map->max_entries % map->nslots)
		return 0; /* rounded at creation */
	nb = pow2_ceil(map->max_entries);
	if (nb > (1ull << 31))
		return 0;
	nlocks = nb < MAX_LOCKS ? nb : MAX_LOCKS;
	nelems = (uint64_t)map->max_entries + nlocks;
	esize = sizeof(struct helem) + map_round8(map->key_size) +
		(uint64_t)map->value_stride * (is_percpu(map) ? map->nslots : 1);
	nlists = is_lru(map) ? (lru_percpu_lists(map) ? map->nslots : 1) : 0;
	map->lay[L_SHARED] = 0;
	off = map_round8(sizeof(struct htab_shared) + nlists * sizeof(struct lru_list));
	map->lay[L_HEADS] = off;
	off = map_round8(off + nb * 4);
	map->lay[L_LOCKS] = off;
	off += nlocks * sizeof(struct shm_lock);
	off = map_page_round(off);
	map->lay[L_ELEMS] = off;
	map->lay[L_ELEM_SIZE] = esize;
	map->lay[L_NBUCKETS] = nb;
	map->lay[L_NLOCKS] = nlocks;
	map->lay[L_NELEMS] = nelems;
	return map_page_round(off + nelems * esize);
}

static struct htab_shared *shared(struct exo_map *map)
{
	return map_data(map, map->lay[L_SHARED]);
}

static uint32_t *heads(struct exo_map *map)
{
	return map_data(map, map->lay[L_HEADS]);
}

static struct shm_lock *bucket_lock(struct exo_map *map, uint32_t b)
{
	return (struct shm_lock *)map_data(map, map->lay[L_LOCKS]) + (b & (map->lay[L_NLOCKS] - 1));
}

static struct helem *elem(struct exo_map *map, uint32_t idx)
{
	return map_data(map, map->lay[L_ELEMS] + (uint64_t)idx * map->lay[L_ELEM_SIZE]);
}

static uint32_t elem_idx(struct exo_map *map, const struct helem *e)
{
	return (uint32_t)(((const uint8_t *)e - (const uint8_t *)elem(map, 0)) /
			  map->lay[L_ELEM_SIZE]);
}

static void *elem_value(struct exo_map *map, struct helem *e)
{
	return (uint8_t *)e->key + map_round8(map->key_size);
}

static uint64_t htab_eager(struct exo_map *map)
{
	return map->flags & BPF_F_NO_PREALLOC
		   ? map->lay[L_ELEMS]
		   : map->lay[L_ELEMS] + map->lay[L_NELEMS] * map->lay[L_ELEM_SIZE];
}

static int htab_init(struct exo_map *map)
{
	uint32_t nb = (uint32_t)map->lay[L_NBUCKETS];
	struct htab_shared *s = shared(map);
	int err;

	s->reserved = htab_eager(map);
	for (uint32_t b = 0; b < nb; b++)
		heads(map)[b] = b << 1 | 1;
	for (uint32_t i = 0; i < map->lay[L_NLOCKS]; i++)
		if ((err = shm_lock_init(bucket_lock(map, i))))
			return err;
	if (is_lru(map))
		for (uint32_t i = 0; i < (lru_percpu_lists(map) ? map->nslots : 1); i++)
			if ((err = shm_lock_init(&s->lru[i].lock)))
				return err;
	return 0;
}

static __attribute__((noinline)) uint32_t hash_any(struct exo_map *map, const void *key)
{
	return jhash_key(key, map->key_size, (uint32_t)map->hdr->seed);
}

/* The common key sizes inline, with the word count known at compile time. */
static inline uint32_t hash_of(struct exo_map *map, const void *key)
{
	if (map->key_size == 4)
		return jhash_words(key, 1, (uint32_t)map->hdr->seed);
	if (map->key_size == 8)
		return jhash_words(key, 2, (uint32_t)map->hdr->seed);
	return hash_any(map, key);
}

/* Keys are compared and written a word at a time with atomic accesses, so a
 * lock-free reader racing a writer is defined behaviour (and TSan-clean).
 * n is the key size; inlined with a constant n (the program-side lookups)
 * the size tests fold away. */
static inline __attribute__((always_inline)) bool key_eq_n(struct helem *e, const void *key,
							   uint32_t n)
{
	if (n <= 8) { /* one word: what most maps' keys fit in */
		uint64_t a = __atomic_load_n(&e->key[0], __ATOMIC_RELAXED), b = 0;

		if (n == 4) {
			uint32_t k;
			memcpy(&k, key, 4);
			return (uint32_t)a == k;
		}
		if (n == 8) {
			memcpy(&b, key, 8);
			return a == b;
		}
		memcpy(&b, key, n);
		return (a & ((1ull << (n * 8)) - 1)) == b;
	}
	for (uint32_t off = 0; off < n; off += 8) {
		uint64_t a = __atomic_load_n(&e->key[off / 8], __ATOMIC_RELAXED), b = 0;
		uint32_t len = n - off < 8 ? n - off : 8;

		memcpy(&b, (const uint8_t *)key + off, len);
		if (len < 8)
			a &= (1ull << (len * 8)) - 1;
		if (a != b)
			return false;
	}
	return true;
}

static void key_store(struct exo_map *map, struct helem *e, const void *key)
{
	uint32_t n = map->key_size;

	for (uint32_t off = 0; off < n; off += 8) {
		uint64_t w = 0;

		memcpy(&w, (const uint8_t *)key + off, n - off < 8 ? n - off : 8);
		__atomic_store_n(&e->key[off / 8], w, __ATOMIC_RELAXED);
	}
}

static void key_load(struct exo_map *map, struct helem *e, void *out)
{
	uint32_t n = map->key_size;

	for (uint32_t off = 0; off < n; off += 8) {
		uint64_t w = __atomic_load_n(&e->key[off / 8], __ATOMIC_RELAXED);

		memcpy((uint8_t *)out + off, &w, n - off < 8 ? n - off : 8);
	}
}

static bool link_is_elem(uint32_t link)
{
	return !(link & 1);
}

static uint32_t link_idx(uint32_t link)
{
	return (link >> 1) - 1;
}

static uint32_t elem_link(uint32_t idx)
{
	return (idx + 1) << 1;
}

/* Lock-free: walk bucket's chain; restart when the walk ended in another
 * bucket's terminator (an element moved under us). n is the key size. */
static inline __attribute__((always_inline)) struct helem *
find_n(struct exo_map *map, uint32_t hash, const void *key, uint32_t n)
{
	uint32_t b = hash & (uint32_t)(map->lay[L_NBUCKETS] - 1);
	uint32_t nelems = (uint32_t)map->lay[L_NELEMS];
	/* in locals: the acquire loads below would make the compiler reload
	 * them from the map at every step */
	uint32_t *head = &heads(map)[b];
	uint8_t *elems = (uint8_t *)elem(map, 0);
	uint64_t esize = map->lay[L_ELEM_SIZE];

	for (;;) {
		uint32_t link = __atomic_load_n(head, __ATOMIC_ACQUIRE), steps = 0;

		while (link_is_elem(link) && link_idx(link) < nelems && steps++ <= nelems) {
			struct helem *e =
			    (struct helem *)(elems + (uint64_t)link_idx(link) * esize);

			if (__atomic_load_n(&e->hash, __ATOMIC_RELAXED) == hash &&
			    key_eq_n(e, key, n))
				return e;
			link = __atomic_load_n(&e->next, __ATOMIC_ACQUIRE);
		}
		if (!link_is_elem(link) && link >> 1 == b)
			return NULL;
		if (link_is_elem(link))
			return NULL; /* corrupt chain: treat as absent */
	}
}

static struct helem *find(struct exo_map *map, uint32_t hash, const void *key)
{
	return find_n(map, hash, key, map->key_size);
}

/* The link that points at e within bucket b (caller holds b's lock). */
static uint32_t *link_to(struct exo_map *map, uint32_t b, struct helem *e)
{
	uint32_t *p = &heads(map)[b], target = elem_link(elem_idx(map, e));
	uint32_t nelems = (uint32_t)map->lay[L_NELEMS], steps = 0;

	while (link_is_elem(*p) && steps++ <= nelems) {
		if (*p == target)
			return p;
		if (link_idx(*p) >= nelems)
			return NULL;
		p = &elem(map, link_idx(*p))->next;
	}
	return NULL;
}

static void unlink_elem(struct exo_map *map, uint32_t b, struct helem *e)
{
	uint32_t *p = link_to(map, b, e);

	if (p)
		__atomic_store_n(p, __atomic_load_n(&e->next, __ATOMIC_RELAXED), __ATOMIC_RELEASE);
}

static void link_head(struct exo_map *map, uint32_t b, struct helem *e)
{
	__atomic_store_n(&e->next, heads(map)[b], __ATOMIC_RELAXED);
	__atomic_store_n(&heads(map)[b], elem_link(elem_idx(map, e)), __ATOMIC_RELEASE);
}

/* ---- free list ---- */

static struct helem *free_pop(struct exo_map *map)
{
	struct htab_shared *s = shared(map);
	uint32_t nelems = (uint32_t)map->lay[L_NELEMS];
	uint64_t top = __atomic_load_n(&s->free_top, __ATOMIC_ACQUIRE);
	struct helem *e;

	while ((uint32_t)top && (uint32_t)top <= nelems) {
		e = elem(map, (uint32_t)top - 1);
		uint64_t next = __atomic_load_n(&e->free_next, __ATOMIC_RELAXED) | ((top >> 32) + 1)
										       << 32;

		if (__atomic_compare_exchange_n(&s->free_top, &top, next, false, __ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE)) {
			__atomic_store_n(&e->state, E_USED, __ATOMIC_RELAXED);
			return e;
		}
	}
	for (uint32_t b = __atomic_load_n(&s->bump, __ATOMIC_RELAXED); b < nelems;) {
		/* BPF_F_NO_PREALLOC: memory for an element is allocated at its
		 * first use (Linux allocates then too); none left is ENOMEM */
		if ((map->flags & BPF_F_NO_PREALLOC) &&
		    store_reserve(map, &s->reserved,
				  map->lay[L_ELEMS] + ((uint64_t)b + 1) * map->lay[L_ELEM_SIZE]))
			return NULL;
		if (__atomic_compare_exchange_n(&s->bump, &b, b + 1, false, __ATOMIC_ACQ_REL,
						__ATOMIC_RELAXED)) {
			e = elem(map, b);
			__atomic_store_n(&e->state, E_USED, __ATOMIC_RELAXED);
			return e;
		}
	}
	return NULL;
}

static void free_push(struct exo_map *map, struct helem *e)
{
	struct htab_shared *s = shared(map);
	uint64_t top = __atomic_load_n(&s->free_top, __ATOMIC_RELAXED), next;

	__atomic_store_n(&e->state, E_FREE, __ATOMIC_RELAXED);
	do {
		__atomic_store_n(&e->free_next, (uint32_t)top, __ATOMIC_RELAXED);
		next = (top & ~(uint64_t)UINT32_MAX) | (elem_idx(map, e) + 1);
	} while (!__atomic_compare_exchange_n(&s->free_top, &top, next, false, __ATOMIC_RELEASE,
					      __ATOMIC_RELAXED));
}

/* Count a new element in, unless the map is full (Linux: E2BIG). */
static bool count_inc(struct exo_map *map)
{
	uint32_t *c = &shared(map)->count, cur = __atomic_load_n(c, __ATOMIC_RELAXED);

	do {
		if (cur >= map->max_entries)
			return false;
	} while (!__atomic_compare_exchange_n(c, &cur, cur + 1, false, __ATOMIC_SEQ_CST,
					      __ATOMIC_RELAXED));
	return true;
}

static void count_dec(struct exo_map *map)
{
	__atomic_fetch_sub(&shared(map)->count, 1, __ATOMIC_SEQ_CST);
}

/* ---- LRU ---- */

static struct lru_list *lru_of(struct exo_map *map, uint32_t list)
{
	return &shared(map)->lru[lru_percpu_lists(map) ? list % map->nslots : 0];
}

static void lru_unlink(struct exo_map *map, struct lru_list *l, struct helem *e)
{
	if (e->lru_prev)
		elem(map, e->lru_prev - 1)->lru_next = e->lru_next;
	else
		l->head = e->lru_next;
	if (e->lru_next)
		elem(map, e->lru_next - 1)->lru_prev = e->lru_prev;
	else
		l->tail = e->lru_prev;
	e->lru_prev = e->lru_next = 0;
}

static void lru_push_head(struct exo_map *map, struct lru_list *l, struct helem *e)
{
	uint32_t idx = elem_idx(map, e) + 1;

	e->lru_prev = 0;
	e->lru_next = l->head;
	if (l->head)
		elem(map, l->head - 1)->lru_prev = idx;
	l->head = idx;
	if (!l->tail)
		l->tail = idx;
}

/* An element for a new entry of an LRU map (caller holds the list's lock):
 * a free one, else the least recently used one, evicted. Elements a program
 * looked up since they were last passed over get a second chance. */
static struct helem *lru_take(struct exo_map *map, struct lru_list *l)
{
	uint32_t guard = (uint32_t)map->lay[L_NELEMS] * 2 + 2;
	/* Linux gives each CPU's list an equal share of the elements */
	bool own = !lru_percpu_lists(map) || l->count < map->max_entries / map->nslots;

	if (own && count_inc(map)) {
		struct helem *e = free_pop(map);
		if (e) {
			l->count++;
			return e;
		}
		count_dec(map);
	}
	while (l->tail && guard--) {
		struct helem *v = elem(map, l->tail - 1);
		uint32_t b = __atomic_load_n(&v->hash, __ATOMIC_RELAXED) &
			     (uint32_t)(map->lay[L_NBUCKETS] - 1);

		if (__atomic_exchange_n(&v->lru_ref, 0, __ATOMIC_RELAXED) && guard > 2) {
			lru_unlink(map, l, v);
			lru_push_head(map, l, v);
			continue;
		}
		shm_lock(map, bucket_lock(map, b));
		unlink_elem(map, b, v);
		shm_unlock(bucket_lock(map, b));
		lru_unlink(map, l, v);
		return v; /* stays counted: it becomes the new entry */
	}
	return NULL;
}

/* ---- operations ---- */

static void *htab_lookup(struct exo_map *map, const void *key, uint32_t slot)
{
	struct helem *e = find(map, hash_of(map, key), key);

	if (!e)
		return NULL;
	if (is_lru(map) && !__atomic_load_n(&e->lru_ref, __ATOMIC_RELAXED))
		__atomic_store_n(&e->lru_ref, 1, __ATOMIC_RELAXED);
	return (uint8_t *)elem_value(map, e) +
	       (is_percpu(map) ? (uint64_t)slot * map->value_stride : 0);
}

static void *htab_lookup_percpu(struct exo_map *map, const void *key, uint32_t slot)
{
	struct helem *e = is_percpu(map) ? find(map, hash_of(map, key), key) : NULL;

	return e ? (uint8_t *)elem_value(map, e) + (uint64_t)slot * map->value_stride : NULL;
}

/* Program-side lookups with the key size fixed when the program is compiled
 * (Linux's map_gen_lookup): the JIT calls one of these directly, so a lookup
 * is the hash and the chain walk, with no helper dispatch, no type tests and
 * the key compared as one word. n is 4, 8 or 0 (any size). */
static inline __attribute__((always_inline)) void *prog_lookup(struct exo_map *map, const void *key,
							       uint32_t n, bool lru)
{
	uint32_t seed = (uint32_t)map->hdr->seed, hash;
	struct helem *e;

	if (n == 4)
		hash = jhash_words(key, 1, seed);
	else if (n == 8)
		hash = jhash_words(key, 2, seed);
	else
		hash = hash_any(map, key), n = map->key_size;
	e = find_n(map, hash, key, n);
	if (!e)
		return NULL;
	if (lru && !__atomic_load_n(&e->lru_ref, __ATOMIC_RELAXED))
		__atomic_store_n(&e->lru_ref, 1, __ATOMIC_RELAXED);
	return (uint8_t *)e->key + map_round8(n);
}

#define PROG_LOOKUP(name, n, lru)                               \
	static void *name(struct exo_map *map, const void *key) \
	{                                                       \
		return prog_lookup(map, key, n, lru);           \
	}
PROG_LOOKUP(lookup_k4, 4, false)
PROG_LOOKUP(lookup_k8, 8, false)
PROG_LOOKUP(lookup_any, 0, false)
PROG_LOOKUP(lookup_lru_k4, 4, true)
PROG_LOOKUP(lookup_lru_k8, 8, true)
PROG_LOOKUP(lookup_lru_any, 0, true)

/* Per-CPU values need the run's slot: those keep the helper. */
static exo_map_lookup_fn htab_gen_lookup(const struct exo_map *map)
{
	static const exo_map_lookup_fn fns[2][3] = {{lookup_k4, lookup_k8, lookup_any},
						    {lookup_lru_k4, lookup_lru_k8, lookup_lru_any}};
	unsigned k = map->key_size == 4 ? 0 : map->key_size == 8 ? 1 : 2;

	return is_percpu(map) ? NULL : fns[is_lru(map)][k];
}

static void copy_out(struct exo_map *map, struct helem *e, void *value, uint64_t flags)
{
	if (is_percpu(map))
		memcpy(value, elem_value(map, e), (size_t)map->value_stride * map->nslots);
	else
		map_copy_out(map, value, elem_value(map, e), flags & BPF_F_LOCK);
}

static int htab_lookup_user(struct exo_map *map, const void *key, void *value, uint64_t flags)
{
	uint32_t hash = hash_of(map, key), b = hash & (uint32_t)(map->lay[L_NBUCKETS] - 1);
	struct helem *e;

	shm_lock(map, bucket_lock(map, b));
	e = find(map, hash, key);
	if (e)
		copy_out(map, e, value, flags);
	shm_unlock(bucket_lock(map, b));
	return e ? 0 : -ENOENT;
}

/* Fill a fresh element's value: from user space every slot; from a program
 * its slot, the others zeroed (Linux's pcpu_init_value). */
static void fill_value(struct exo_map *map, struct helem *e, const void *value, uint32_t slot)
{
	uint8_t *v = elem_value(map, e);

	if (!is_percpu(map)) {
		memcpy(v, value, map->value_size);
		memset(v + map->value_size, 0, map->value_stride - map->value_size);
		if (map->spin_lock_off >= 0)
			memset(v + map->spin_lock_off, 0, 4);
		return;
	}
	if (slot == MAP_ALL_SLOTS) {
		memcpy(v, value, (size_t)map->value_stride * map->nslots);
		return;
	}
	memset(v, 0, (size_t)map->value_stride * map->nslots);
	memcpy(v + (uint64_t)slot * map->value_stride, value, map->value_size);
}

/* Existing per-CPU value updated in place (Linux does too). */
static void percpu_write(struct exo_map *map, struct helem *e, const void *value, uint32_t slot)
{
	uint8_t *v = elem_value(map, e);

	if (slot == MAP_ALL_SLOTS)
		memcpy(v, value, (size_t)map->value_stride * map->nslots);
	else
		memcpy(v + (uint64_t)slot * map->value_stride, value, map->value_size);
}

static int check_flags(struct helem *old, uint64_t flags)
{
	if (old && (flags & ~(uint64_t)BPF_F_LOCK) == BPF_NOEXIST)
		return -EEXIST;
	if (!old && (flags & ~(uint64_t)BPF_F_LOCK) == BPF_EXIST)
		return -ENOENT;
	return 0;
}

static int lru_update(struct exo_map *map, const void *key, const void *value, uint64_t flags,
		      uint32_t slot)
{
	uint32_t hash = hash_of(map, key), b = hash & (uint32_t)(map->lay[L_NBUCKETS] - 1);
	struct lru_list *l = lru_of(map, slot == MAP_ALL_SLOTS ? 0 : slot);
	struct helem *old, *e;
	int err;

	if (flags > BPF_EXIST)
		return -EINVAL;
	shm_lock(map, &l->lock);
	if (is_percpu(map)) {
		/* Linux updates an existing per-CPU LRU value in place */
		shm_lock(map, bucket_lock(map, b));
		old = find(map, hash, key);
		if ((err = check_flags(old, flags)) || old) {
			if (old && !err) {
				percpu_write(map, old, value, slot);
				__atomic_store_n(&old->lru_ref, 1, __ATOMIC_RELAXED);
			}
			shm_unlock(bucket_lock(map, b));
			shm_unlock(&l->lock);
			return err;
		}
		shm_unlock(bucket_lock(map, b));
	}
	/* As Linux, take an element before looking: in a full map even an
	 * update of an existing key evicts the least recently used one. */
	e = lru_take(map, l);
	if (!e) {
		shm_unlock(&l->lock);
		return -ENOMEM;
	}
	e->lru_list = slot == MAP_ALL_SLOTS ? 0 : slot;
	__atomic_store_n(&e->hash, hash, __ATOMIC_RELAXED);
	key_store(map, e, key);
	fill_value(map, e, value, slot);
	shm_lock(map, bucket_lock(map, b));
	old = find(map, hash, key);
	if ((err = check_flags(old, flags))) {
		shm_unlock(bucket_lock(map, b));
		l->count--;
		count_dec(map);
		free_push(map, e);
		shm_unlock(&l->lock);
		return err;
	}
	__atomic_store_n(&e->lru_ref, old ? 1 : 0, __ATOMIC_RELAXED);
	link_head(map, b, e);
	if (old)
		unlink_elem(map, b, old);
	shm_unlock(bucket_lock(map, b));
	lru_push_head(map, l, e);
	if (old) {
		struct lru_list *ol = lru_of(map, old->lru_list);

		lru_unlink(map, ol, old);
		ol->count--;
		count_dec(map);
		free_push(map, old);
	}
	shm_unlock(&l->lock);
	return 0;
}

static int htab_update(struct exo_map *map, const void *key, const void *value, uint64_t flags,
		       uint32_t slot)
{
	uint32_t hash, b;
	struct helem *old, *e;
	int err;

	if (is_lru(map))
		return lru_update(map, key, value, flags, slot);
	if ((flags & ~(uint64_t)BPF_F_LOCK) > BPF_EXIST)
		return -EINVAL;
	if ((flags & BPF_F_LOCK) && (map->spin_lock_off < 0 || is_percpu(map)))
		return -EINVAL;
	hash = hash_of(map, key);
	b = hash & (uint32_t)(map->lay[L_NBUCKETS] - 1);
	shm_lock(map, bucket_lock(map, b));
	old = find(map, hash, key);
	if ((err = check_flags(old, flags)))
		goto out;
	if (old && (flags & BPF_F_LOCK)) {
		map_copy_value(map, elem_value(map, old), value, true);
		goto out;
	}
	if (old && is_percpu(map)) {
		percpu_write(map, old, value, slot);
		goto out;
	}
	if (!old && !count_inc(map)) {
		err = -E2BIG;
		goto out;
	}
	e = free_pop(map);
	if (!e) { /* no memory for a first use (spares cover replacements) */
		if (!old)
			count_dec(map);
		err = old ? (map_copy_value(map, elem_value(map, old), value, false), 0) : -ENOMEM;
		goto out;
	}
	__atomic_store_n(&e->hash, hash, __ATOMIC_RELAXED);
	key_store(map, e, key);
	fill_value(map, e, value, slot);
	link_head(map, b, e);
	if (old) {
		unlink_elem(map, b, old);
		free_push(map, old);
	}
out:
	shm_unlock(bucket_lock(map, b));
	return err;
}

static int delete_locked(struct exo_map *map, const void *key, void *value, uint64_t flags)
{
	uint32_t hash = hash_of(map, key), b = hash & (uint32_t)(map->lay[L_NBUCKETS] - 1);
	struct lru_list *l = NULL;
	struct helem *e;

	if (is_lru(map)) {
		/* the element's list is known only once found: lists are few */
		l = lru_of(map, 0);
		if (lru_percpu_lists(map)) {
			e = find(map, hash, key);
			if (!e)
				return -ENOENT;
			l = lru_of(map, __atomic_load_n(&e->lru_list, __ATOMIC_RELAXED));
		}
		shm_lock(map, &l->lock);
	}
	shm_lock(map, bucket_lock(map, b));
	e = find(map, hash, key);
	if (e && l && lru_of(map, e->lru_list) != l)
		e = NULL; /* moved lists meanwhile: report absent, as a racing delete would */
	if (e) {
		if (value)
			copy_out(map, e, value, flags);
		unlink_elem(map, b, e);
		if (!l) { /* freed under the lock, so recovery never races it */
			count_dec(map);
			free_push(map, e);
		}
	}
	shm_unlock(bucket_lock(map, b));
	if (e && l) {
		lru_unlink(map, l, e);
		l->count--;
		count_dec(map);
		free_push(map, e);
	}
	if (l)
		shm_unlock(&l->lock);
	return e ? 0 : -ENOENT;
}

static int htab_delete(struct exo_map *map, const void *key)
{
	return delete_locked(map, key, NULL, 0);
}

static int htab_lookup_and_delete(struct exo_map *map, const void *key, void *value, uint64_t flags)
{
	if ((flags & BPF_F_LOCK) && (map->spin_lock_off < 0 || is_percpu(map)))
		return -EINVAL;
	return delete_locked(map, key, value, flags);
}

static int htab_get_next_key(struct exo_map *map, const void *key, void *next)
{
	uint32_t nb = (uint32_t)map->lay[L_NBUCKETS], nelems = (uint32_t)map->lay[L_NELEMS];
	uint32_t i = 0;

	if (key) {
		uint32_t hash = hash_of(map, key);
		struct helem *e = find(map, hash, key);

		if (e) {
			uint32_t link = __atomic_load_n(&e->next, __ATOMIC_ACQUIRE);

			if (link_is_elem(link) && link_idx(link) < nelems) {
				key_load(map, elem(map, link_idx(link)), next);
				return 0;
			}
			i = (hash & (nb - 1)) + 1;
		}
	}
	for (; i < nb; i++) {
		uint32_t link = __atomic_load_n(&heads(map)[i], __ATOMIC_ACQUIRE);

		if (link_is_elem(link) && link_idx(link) < nelems) {
			key_load(map, elem(map, link_idx(link)), next);
			return 0;
		}
	}
	return -ENOENT;
}

static long htab_for_each(struct exo_map *map, exo_map_each_fn fn, void *ctx, void *arg,
			  uint32_t slot)
{
	uint32_t nb = (uint32_t)map->lay[L_NBUCKETS], nelems = (uint32_t)map->lay[L_NELEMS];
	long n = 0;

	for (uint32_t b = 0; b < nb; b++) {
		uint32_t link = __atomic_load_n(&heads(map)[b], __ATOMIC_ACQUIRE), steps = 0;

		while (link_is_elem(link) && link_idx(link) < nelems && steps++ < nelems) {
			struct helem *e = elem(map, link_idx(link));
			uint8_t *v = elem_value(map, e);

			n++;
			if (fn(map, e->key,
			       v + (is_percpu(map) ? (uint64_t)slot * map->value_stride : 0), ctx,
			       arg))
				return n;
			link = __atomic_load_n(&e->next, __ATOMIC_ACQUIRE);
		}
	}
	return n;
}

/* After a crashed holder: with every lock held, keep the first element of
 * each key per chain, return everything unreachable to the free list and
 * recount; LRU lists are rebuilt from the chains. */
static void htab_recover(struct exo_map *map)
{
	uint32_t nb = (uint32_t)map->lay[L_NBUCKETS], nelems = (uint32_t)map->lay[L_NELEMS];
	uint32_t nlocks = (uint32_t)map->lay[L_NLOCKS], count = 0;
	uint32_t nlists = is_lru(map) ? (lru_percpu_lists(map) ? map->nslots : 1) : 0;
	struct htab_shared *s = shared(map);
	uint8_t *seen = calloc(nelems, 1);

	if (!seen)
		return; /* try again at the next operation */
	for (uint32_t i = 0; i < nlists; i++)
		shm_lock(map, &s->lru[i].lock);
	for (uint32_t i = 0; i < nlocks; i++)
		shm_lock(map, bucket_lock(map, i));
	for (uint32_t i = 0; i < nlists; i++)
		s->lru[i].head = s->lru[i].tail = s->lru[i].count = 0;
	for (uint32_t b = 0; b < nb; b++) {
		uint32_t *p = &heads(map)[b];

		while (link_is_elem(*p)) {
			uint32_t idx = link_idx(*p);
			struct helem *e = idx < nelems ? elem(map, idx) : NULL;
			bool dup = !e || seen[idx];

			for (uint32_t q = heads(map)[b]; e && !dup && link_is_elem(q) && q != *p;) {
				struct helem *o = elem(map, link_idx(q));
				dup = o->hash == e->hash && !memcmp(o->key, e->key, map->key_size);
				q = o->next;
			}
			if (dup) {
				*p = e ? e->next : (b << 1 | 1);
				continue;
			}
			seen[idx] = 1;
			e->state = E_USED;
			count++;
			if (nlists) {
				lru_push_head(map, lru_of(map, e->lru_list), e);
				lru_of(map, e->lru_list)->count++;
			}
			p = &e->next;
		}
		if (*p != (b << 1 | 1))
			*p = b << 1 | 1;
	}
	uint32_t head = 0;
	for (uint32_t i = 0; i < s->bump && i < nelems; i++)
		if (!seen[i]) {
			struct helem *e = elem(map, i);
			e->state = E_FREE;
			e->free_next = head;
			head = i + 1;
		}
	s->free_top = ((s->free_top >> 32) + 1) << 32 | head;
	s->count = count;
	for (uint32_t i = nlocks; i-- > 0;)
		shm_unlock(bucket_lock(map, i));
	for (uint32_t i = nlists; i-- > 0;)
		shm_unlock(&s->lru[i].lock);
	free(seen);
}

static bool htab_regions(struct exo_map *map, struct vm_run *run)
{
	void *start = elem(map, 0);

	for (unsigned i = 0; i < run->nregions; i++)
		if (run->regions[i].start == (uintptr_t)start)
			return true;
	return vm_add_region(run, start, map->lay[L_NELEMS] * map->lay[L_ELEM_SIZE],
			     !(map->flags & BPF_F_RDONLY_PROG));
}

uint32_t htab_nbuckets(const struct exo_map *map)
{
	return (uint32_t)map->lay[L_NBUCKETS];
}

/* Batch iteration by bucket, as Linux's htab batch ops: the batch token is a
 * bucket index, and a bucket is never split across calls. */
int htab_batch(struct exo_map *map, uint32_t *bucket, uint32_t max, void *keys, void *values,
	       bool del, uint64_t elem_flags, uint32_t *done_out)
{
	uint32_t nb = (uint32_t)map->lay[L_NBUCKETS], nelems = (uint32_t)map->lay[L_NELEMS];
	size_t vsize = is_percpu(map) ? (size_t)map->value_stride * map->nslots : map->value_size;
	uint32_t total = 0, b = *bucket;
	uint8_t *kbuf = malloc(map->key_size);
	int err = 0;

	if (!kbuf)
		return -ENOMEM;
	for (; b < nb; b++) {
		uint32_t cnt = 0, link;

		shm_lock(map, bucket_lock(map, b));
		for (link = heads(map)[b];
		     link_is_elem(link) && link_idx(link) < nelems && cnt <= nelems;
		     link = elem(map, link_idx(link))->next)
			cnt++;
		if (cnt > max - total) {
			shm_unlock(bucket_lock(map, b));
			if (!total)
				err = -ENOSPC;
			break;
		}
		for (link = heads(map)[b]; link_is_elem(link) && link_idx(link) < nelems;
		     link = elem(map, link_idx(link))->next) {
			struct helem *e = elem(map, link_idx(link));

			key_load(map, e, (uint8_t *)keys + (size_t)total * map->key_size);
			copy_out(map, e, (uint8_t *)values + total * vsize, elem_flags);
			total++;
		}
		shm_unlock(bucket_lock(map, b));
		if (del)
			for (uint32_t i = total - cnt; i < total; i++) {
				memcpy(kbuf, (uint8_t *)keys + (size_t)i * map->key_size,
				       map->key_size);
				delete_locked(map, kbuf, NULL, 0);
			}
	}
	free(kbuf);
	*done_out = total;
	*bucket = b;
	if (!err && b >= nb)
		err = -ENOENT;
	return err;
}

#define HTAB_OPS(pcpu)                                                                      \
	.check = htab_check, .layout = htab_layout, .eager = htab_eager, .init = htab_init, \
	.lookup = htab_lookup, .lookup_user = htab_lookup_user, .update = htab_update,      \
	.delete = htab_delete, .get_next_key = htab_get_next_key,                           \
	.lookup_and_delete = htab_lookup_and_delete, .for_each = htab_for_each,             \
	.recover = htab_recover, .regions = htab_regions, .gen_lookup = htab_gen_lookup,    \
	.percpu = pcpu, .batch = BATCH_HTAB | BATCH_UPDATE | BATCH_DELETE

const struct map_ops htab_ops = {HTAB_OPS(false)};
const struct map_ops htab_percpu_ops = {HTAB_OPS(true), .lookup_percpu = htab_lookup_percpu};
const struct map_ops htab_lru_ops = {HTAB_OPS(false)};
const struct map_ops htab_lru_percpu_ops = {HTAB_OPS(true), .lookup_percpu = htab_lookup_percpu};

/* HASH_OF_MAPS: a hash map whose values are inner map ids. */
static int htab_of_maps_check(const union bpf_attr *attr)
{
	if (attr->value_size != 4)
		return exo_err(EINVAL, "value_size must be 4 (an fd), got %u", attr->value_size);
	return htab_check(attr);
}

static void *htab_of_maps_lookup(struct exo_map *map, const void *key, uint32_t slot)
{
	uint32_t *v = htab_lookup(map, key, slot);

	return v ? map_ref_get(__atomic_load_n(v, __ATOMIC_ACQUIRE)) : NULL;
}

static int htab_of_maps_update(struct exo_map *map, const void *key, const void *value,
			       uint64_t flags, uint32_t slot)
{
	struct exo_map *inner;
	uint32_t fd, id, old = 0;
	bool had;
	int err;

	if (slot != MAP_ALL_SLOTS)
		return -EOPNOTSUPP;
	memcpy(&fd, value, 4);
	if ((err = map_inner_check(map, fd, &inner)))
		return err;
	id = inner->id;
	had = htab_lookup_user(map, key, &old, 0) == 0;
	err = htab_update(map, key, &id, flags, slot);
	if (!err) {
		map_ref_store(inner);
		if (had && old)
			map_ref_drop(old);
	}
	exo_map_put(inner);
	return err;
}

static int htab_of_maps_delete(struct exo_map *map, const void *key)
{
	uint32_t old;
	int err = delete_locked(map, key, &old, 0);

	if (!err && old)
		map_ref_drop(old);
	return err;
}

const struct map_ops htab_of_maps_ops = {
    .check = htab_of_maps_check,
    .layout = htab_layout,
    .init = htab_init,
    .lookup = htab_of_maps_lookup,
    .lookup_user = htab_lookup_user,
    .update = htab_of_maps_update,
    .delete = htab_of_maps_delete,
    .get_next_key = htab_get_next_key,
    .recover = htab_recover,
    .fd_values = true,
    .batch = BATCH_HTAB | BATCH_UPDATE | BATCH_DELETE,
};
