/* Perf rings behind a PERF_EVENT_ARRAY. Linux's slots hold perf events, each
 * with a ring the consumer mmaps; here a slot names an internal map of type
 * EXO_MAP_TYPE_PERF_RING (a control page with head, tail and a lost count,
 * then page_cnt pages of data) that exobpf_perf_buffer__new creates per
 * slot. Records have Linux's format: PERF_RECORD_SAMPLE with a u32 raw size
 * and the data padded so the record is a multiple of 8 bytes. */
#include <string.h>
#include <linux/perf_event.h>

#include "maps/internal.h"
#include "maps/ringbuf.h"

/* The control page is Linux's perf_event_mmap_page (data_head: bytes
 * written, data_tail: bytes read), so an unmodified perf buffer consumer
 * (libbpf's, through the preload) reads the ring as it reads the kernel's.
 * Lost samples are told both ways: as Linux, a PERF_RECORD_LOST record
 * goes in before the next sample that fits (for libbpf), and a total is
 * counted after the page (exobpf's consumer reports that one at once and
 * skips the records). */
struct perf_ctl {
	struct perf_event_mmap_page pg;
	uint64_t lost;	       /* every sample lost so far */
	uint64_t lost_pending; /* not yet told by a PERF_RECORD_LOST */
};

/* Linux's PERF_RECORD_LOST without sample_id_all: header, id, count. */
struct lost_rec {
	struct perf_event_header h;
	uint64_t id, lost;
};
_Static_assert(sizeof(struct perf_ctl) <= MAP_PAGE, "the control page is one page");

static int perf_ring_check(const union bpf_attr *attr)
{
	if (attr->key_size || attr->value_size || !attr->max_entries ||
	    (attr->max_entries & (attr->max_entries - 1)) || attr->max_entries % MAP_PAGE)
		return exo_err(EINVAL, "perf ring: size %u is not a power-of-2 number of pages",
			       attr->max_entries);
	return 0;
}

static uint64_t perf_ring_layout(struct exo_map *map)
{
	if (map->key_size || map->value_size || !map->max_entries ||
	    (map->max_entries & (map->max_entries - 1)) || map->max_entries % MAP_PAGE)
		return 0;
	return MAP_PAGE + (uint64_t)map->max_entries;
}

static struct perf_ctl *ctl(struct exo_map *ring)
{
	return map_data(ring, 0);
}

static uint8_t *pdata(struct exo_map *ring)
{
	return map_data(ring, MAP_PAGE);
}

static void ring_write(struct exo_map *ring, uint64_t pos, const void *src, size_t len)
{
	uint64_t size = ring->max_entries, off = pos & (size - 1);
	size_t first = len < size - off ? len : (size_t)(size - off);

	memcpy(pdata(ring) + off, src, first);
	memcpy(pdata(ring), (const uint8_t *)src + first, len - first);
}

void perf_ring_read(struct exo_map *ring, uint64_t pos, void *dst, size_t len)
{
	uint64_t size = ring->max_entries, off = pos & (size - 1);
	size_t first = len < size - off ? len : (size_t)(size - off);

	memcpy(dst, pdata(ring) + off, first);
	memcpy((uint8_t *)dst + first, pdata(ring), len - first);
}

uint64_t perf_ring_head(struct exo_map *ring)
{
	return __atomic_load_n(&ctl(ring)->pg.data_head, __ATOMIC_ACQUIRE);
}

uint64_t perf_ring_tail(struct exo_map *ring)
{
	return __atomic_load_n(&ctl(ring)->pg.data_tail, __ATOMIC_ACQUIRE);
}

void perf_ring_set_tail(struct exo_map *ring, uint64_t tail)
{
	__atomic_store_n(&ctl(ring)->pg.data_tail, tail, __ATOMIC_SEQ_CST);
}

void perf_ring_describe(struct exo_map *ring)
{
	ctl(ring)->pg.data_offset = MAP_PAGE;
	ctl(ring)->pg.data_size = ring->max_entries;
}

uint64_t perf_ring_lost(struct exo_map *ring)
{
	return __atomic_load_n(&ctl(ring)->lost, __ATOMIC_RELAXED);
}

long exo_perf_output(struct exo_map *array, uint64_t flags, const void *data, uint64_t size,
		     uint32_t slot)
{
	struct perf_event_header h = {.type = PERF_RECORD_SAMPLE};
	uint64_t index = flags & BPF_F_INDEX_MASK, raw, total, head, tail, lost;
	static const uint8_t zero[8];
	struct exo_map *ring;
	uint32_t raw32;
	bool was_empty;

	if (flags & ~(uint64_t)(BPF_F_INDEX_MASK | BPF_F_CTXLEN_MASK))
		return -EINVAL;
	if (index == BPF_F_CURRENT_CPU)
		index = slot;
	if (array->type != BPF_MAP_TYPE_PERF_EVENT_ARRAY || index >= array->max_entries)
		return -E2BIG;
	ring = map_perf_ring_at(array, (uint32_t)index);
	if (!ring)
		return -ENOENT;
	raw = map_round8(size + 4) - 4;
	total = sizeof(h) + 4 + raw;
	if (total > 0xffff || total > ring->max_entries)
		return -E2BIG;
	h.size = (uint16_t)total;
	raw32 = (uint32_t)raw;
	shm_lock(ring, &ring->hdr->lock);
	head = ctl(ring)->pg.data_head;
	tail = __atomic_load_n(&ctl(ring)->pg.data_tail, __ATOMIC_SEQ_CST);
	lost = ctl(ring)->lost_pending;
	/* Linux keeps one byte free (CIRC_SPACE) and needs room for the lost
	 * record too */
	if (head + total + (lost ? sizeof(struct lost_rec) : 0) - tail >= ring->max_entries) {
		__atomic_fetch_add(&ctl(ring)->lost, 1, __ATOMIC_RELAXED);
		ctl(ring)->lost_pending++;
		shm_unlock(&ring->hdr->lock);
		return -ENOSPC;
	}
	was_empty = tail == head; /* the consumer had read everything: it may be asleep */
	if (lost) {
		struct lost_rec lr = {{PERF_RECORD_LOST, 0, sizeof(lr)}, 0, lost};

		ring_write(ring, head, &lr, sizeof(lr));
		head += sizeof(lr);
		ctl(ring)->lost_pending = 0;
	}
	ring_write(ring, head, &h, sizeof(h));
	ring_write(ring, head + sizeof(h), &raw32, 4);
	ring_write(ring, head + sizeof(h) + 4, data, size);
	ring_write(ring, head + sizeof(h) + 4 + size, zero, raw - size);
	__atomic_store_n(&ctl(ring)->pg.data_head, head + total, __ATOMIC_SEQ_CST);
	shm_unlock(&ring->hdr->lock);
	if (was_empty)
		notify_wake(ring);
	return 0;
}

static int no_key(struct exo_map *map, const void *key)
{
	(void)map, (void)key;
	return -ENOTSUPP_;
}

static int no_next(struct exo_map *map, const void *key, void *next)
{
	(void)map, (void)key, (void)next;
	return -ENOTSUPP_;
}

const struct map_ops perf_ring_ops = {
    .check = perf_ring_check,
    .layout = perf_ring_layout,
    .delete = no_key,
    .get_next_key = no_next,
};
