/* RINGBUF (Linux's kernel/bpf/ringbuf.c): many producers (programs in any
 * thread or process), one consumer. The file holds a consumer page, a
 * producer page and max_entries bytes of data; every process maps the data
 * twice back to back, as the kernel does, so a record that wraps is still
 * contiguous for the program writing it.
 *
 * A record is an 8-byte header (length with BUSY and DISCARD bits, then the
 * page offset of the header from the data start) followed by the sample,
 * padded to 8. Producers reserve under the map lock by advancing
 * producer_pos; submit clears BUSY; the consumer stops at the first busy
 * record, so records are seen in reservation order. exobpf also counts
 * reservations that failed for lack of room (libbpf cannot: it has no
 * counter), for exobpf_ring_buffer__lost. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "exobpf/map.h"
#include "maps/internal.h"
#include "maps/ringbuf.h"

#define RINGBUF_MAX_DATA_SZ (UINT32_MAX - 4 * MAP_PAGE)

struct rb_cons {
	uint64_t consumer_pos;
};

struct rb_prod {
	uint64_t producer_pos;
	uint64_t dropped;
};

/* Process-local: [one page holding the map pointer][data][data again]. */
struct rb_local {
	uint8_t *area;
	size_t area_len;
	uint8_t *data;
};

static int rb_check(const union bpf_attr *attr)
{
	if (attr->map_flags & ~(uint32_t)BPF_F_NUMA_NODE)
		return exo_err(EINVAL, "map_flags 0x%x: only BPF_F_NUMA_NODE", attr->map_flags);
	if (attr->key_size || attr->value_size || !attr->max_entries ||
	    (attr->max_entries & (attr->max_entries - 1)) || attr->max_entries % MAP_PAGE)
		return exo_err(EINVAL,
			       "key_size and value_size must be 0 and max_entries a power-of-2 "
			       "multiple of the page size (got key %u, value %u, entries %u)",
			       attr->key_size, attr->value_size, attr->max_entries);
	if (attr->max_entries > RINGBUF_MAX_DATA_SZ)
		return exo_err(E2BIG, "max_entries %u is too big", attr->max_entries);
	return 0;
}

static uint64_t rb_layout(struct exo_map *map)
{
	if (map->key_size || map->value_size || !map->max_entries ||
	    (map->max_entries & (map->max_entries - 1)) || map->max_entries % MAP_PAGE)
		return 0;
	return 2 * MAP_PAGE + (uint64_t)map->max_entries;
}

static struct rb_cons *cons(struct exo_map *map)
{
	return map_data(map, 0);
}

static struct rb_prod *prod(struct exo_map *map)
{
	return map_data(map, MAP_PAGE);
}

static int rb_open(struct exo_map *map)
{
	size_t size = map->max_entries;
	struct rb_local *l = calloc(1, sizeof(*l));
	uint8_t *area;

	if (!l)
		return exo_err(ENOMEM, "ring buffer: out of memory");
	l->area_len = MAP_PAGE + 2 * size;
	area = mmap(NULL, l->area_len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED)
		goto fail;
	if (mprotect(area, MAP_PAGE, PROT_READ | PROT_WRITE) < 0)
		goto fail_unmap;
	for (int i = 0; i < 2; i++)
		if (mmap(area + MAP_PAGE + i * size, size, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_FIXED, map->fd, (off_t)(3 * MAP_PAGE)) == MAP_FAILED)
			goto fail_unmap;
	memcpy(area, &map, sizeof(map)); /* submit finds the map from a sample */
	l->area = area;
	l->data = area + MAP_PAGE;
	map->local = l;
	return 0;
fail_unmap:
	munmap(area, l->area_len);
fail:
	free(l);
	return exo_err(ENOMEM, "ring buffer: cannot map the data twice");
}

static void rb_release(struct exo_map *map)
{
	struct rb_local *l = map->local;

	if (!l)
		return;
	munmap(l->area, l->area_len);
	free(l);
	map->local = NULL;
}

static uint8_t *rb_data(struct exo_map *map)
{
	return ((struct rb_local *)map->local)->data;
}

void *exo_ringbuf_reserve(struct exo_map *map, uint64_t size, uint64_t flags)
{
	uint64_t mask = map->max_entries - 1, len, c, p;
	uint32_t hdr[2];
	uint8_t *rec;

	if (map->type != BPF_MAP_TYPE_RINGBUF || flags || size > UINT32_MAX >> 2)
		return NULL;
	len = map_round8(size + RINGBUF_HDR_SZ);
	if (len > map->max_entries)
		return NULL;
	shm_lock(map, &map->hdr->lock);
	c = __atomic_load_n(&cons(map)->consumer_pos, __ATOMIC_ACQUIRE);
	p = prod(map)->producer_pos;
	if (p + len - c > map->max_entries) {
		__atomic_fetch_add(&prod(map)->dropped, 1, __ATOMIC_RELAXED);
		shm_unlock(&map->hdr->lock);
		return NULL;
	}
	rec = rb_data(map) + (p & mask);
	hdr[0] = (uint32_t)size | RINGBUF_BUSY_BIT;
	hdr[1] = (uint32_t)((p & mask) / MAP_PAGE);
	__atomic_store_n((uint32_t *)rec + 1, hdr[1], __ATOMIC_RELAXED);
	__atomic_store_n((uint32_t *)rec, hdr[0], __ATOMIC_RELAXED);
	__atomic_store_n(&prod(map)->producer_pos, p + len, __ATOMIC_RELEASE);
	shm_unlock(&map->hdr->lock);
	return rec + RINGBUF_HDR_SZ;
}

/* The ring buffer a sample was reserved from. */
struct exo_map *exo_ringbuf_of_sample(const void *sample)
{
	const uint8_t *rec = (const uint8_t *)sample - RINGBUF_HDR_SZ;
	uint32_t pg = __atomic_load_n((const uint32_t *)rec + 1, __ATOMIC_RELAXED);
	const uint8_t *data = (const uint8_t *)((uintptr_t)rec & ~(uintptr_t)(MAP_PAGE - 1)) -
			      (uint64_t)pg * MAP_PAGE;
	struct exo_map *map;

	memcpy(&map, data - MAP_PAGE, sizeof(map));
	return map;
}

void exo_ringbuf_commit(void *sample, uint64_t flags, bool discard)
{
	uint8_t *rec = (uint8_t *)sample - RINGBUF_HDR_SZ;
	struct exo_map *map = exo_ringbuf_of_sample(sample);
	uint32_t *lenp = (uint32_t *)rec, len = __atomic_load_n(lenp, __ATOMIC_RELAXED);
	uint64_t rec_pos = (uint64_t)(rec - rb_data(map)), c;

	len &= ~RINGBUF_BUSY_BIT;
	if (discard)
		len |= RINGBUF_DISCARD_BIT;
	__atomic_exchange_n(lenp, len, __ATOMIC_SEQ_CST);
	/* Linux wakes the consumer when it had caught up with this record */
	c = __atomic_load_n(&cons(map)->consumer_pos, __ATOMIC_SEQ_CST) & (map->max_entries - 1);
	if (flags & BPF_RB_FORCE_WAKEUP)
		notify_wake(map);
	else if (c == rec_pos && !(flags & BPF_RB_NO_WAKEUP))
		notify_wake(map);
}

long exo_ringbuf_output(struct exo_map *map, const void *data, uint64_t size, uint64_t flags)
{
	void *rec;

	if (flags & ~(uint64_t)(BPF_RB_NO_WAKEUP | BPF_RB_FORCE_WAKEUP))
		return -EINVAL;
	rec = exo_ringbuf_reserve(map, size, 0);
	if (!rec)
		return -EAGAIN;
	memcpy(rec, data, size);
	exo_ringbuf_commit(rec, flags, false);
	return 0;
}

uint64_t exo_ringbuf_query(struct exo_map *map, uint64_t flags)
{
	uint64_t c = __atomic_load_n(&cons(map)->consumer_pos, __ATOMIC_ACQUIRE);
	uint64_t p = __atomic_load_n(&prod(map)->producer_pos, __ATOMIC_ACQUIRE);

	switch (flags) {
	case BPF_RB_AVAIL_DATA:
		return p - c;
	case BPF_RB_RING_SIZE:
		return map->max_entries;
	case BPF_RB_CONS_POS:
		return c;
	case BPF_RB_PROD_POS:
		return p;
	default:
		return 0;
	}
}

uint64_t exo_ringbuf_dropped(struct exo_map *map)
{
	return __atomic_load_n(&prod(map)->dropped, __ATOMIC_RELAXED);
}

/* Consume every committed record in order; stops at a busy one or when
 * fn returns < 0 (returned). Returns the number of records handed to fn. */
long exo_ringbuf_consume(struct exo_map *map, int (*fn)(void *ctx, void *data, size_t size),
			 void *ctx)
{
	uint64_t mask = map->max_entries - 1, c, p;
	long n = 0;
	bool more;

	c = __atomic_load_n(&cons(map)->consumer_pos, __ATOMIC_ACQUIRE);
	do {
		more = false;
		p = __atomic_load_n(&prod(map)->producer_pos, __ATOMIC_ACQUIRE);
		while (c < p) {
			uint8_t *rec = rb_data(map) + (c & mask);
			uint32_t len = __atomic_load_n((uint32_t *)rec, __ATOMIC_ACQUIRE);

			if (len & RINGBUF_BUSY_BIT)
				return n;
			c += map_round8((len & ~(RINGBUF_BUSY_BIT | RINGBUF_DISCARD_BIT)) +
					RINGBUF_HDR_SZ);
			if (!(len & RINGBUF_DISCARD_BIT)) {
				int err = fn(ctx, rec + RINGBUF_HDR_SZ, len & ~RINGBUF_DISCARD_BIT);

				if (err < 0) {
					__atomic_store_n(&cons(map)->consumer_pos, c,
							 __ATOMIC_SEQ_CST);
					return err;
				}
				n++;
			}
			/* published after each record: a producer compares with it */
			__atomic_store_n(&cons(map)->consumer_pos, c, __ATOMIC_SEQ_CST);
			more = true;
		}
	} while (more);
	return n;
}

static int rb_unsupported_key(struct exo_map *map, const void *key)
{
	(void)map, (void)key;
	return -ENOTSUPP_;
}

static int rb_unsupported_next(struct exo_map *map, const void *key, void *next)
{
	(void)map, (void)key, (void)next;
	return -ENOTSUPP_;
}

static bool rb_regions(struct exo_map *map, struct vm_run *run)
{
	struct rb_local *l = map->local;

	for (unsigned i = 0; i < run->nregions; i++)
		if (run->regions[i].start == (uintptr_t)l->data)
			return true;
	return vm_add_region(run, l->data, 2ull * map->max_entries, true);
}

const struct map_ops ringbuf_ops = {
    .check = rb_check,
    .layout = rb_layout,
    .open = rb_open,
    .release = rb_release,
    .delete = rb_unsupported_key,
    .get_next_key = rb_unsupported_next,
    .regions = rb_regions,
};
