/* Ring buffers and perf rings for the helpers and the consumers. */
#ifndef EXOBPF_MAPS_RINGBUF_H
#define EXOBPF_MAPS_RINGBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "maps/map.h"

#define RINGBUF_BUSY_BIT    (1u << 31)
#define RINGBUF_DISCARD_BIT (1u << 30)
#define RINGBUF_HDR_SZ	    8

/* RINGBUF, with Linux's helper semantics (reserve returns NULL when full). */
void *exo_ringbuf_reserve(struct exo_map *map, uint64_t size, uint64_t flags);
void exo_ringbuf_commit(void *sample, uint64_t flags, bool discard);
struct exo_map *exo_ringbuf_of_sample(const void *sample);
long exo_ringbuf_output(struct exo_map *map, const void *data, uint64_t size, uint64_t flags);
uint64_t exo_ringbuf_query(struct exo_map *map, uint64_t flags);
uint64_t exo_ringbuf_dropped(struct exo_map *map);
long exo_ringbuf_consume(struct exo_map *map, int (*fn)(void *ctx, void *data, size_t size),
			 void *ctx);

/* bpf_perf_event_output into the PERF_EVENT_ARRAY's ring at index (flags'
 * index, or slot for BPF_F_CURRENT_CPU): 0, -EINVAL, -E2BIG, -ENOENT, or
 * -ENOSPC when the ring is full (counted as lost, as Linux). */
long exo_perf_output(struct exo_map *array, uint64_t flags, const void *data, uint64_t size,
		     uint32_t slot);

#endif
