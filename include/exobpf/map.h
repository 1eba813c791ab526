/* SPDX-License-Identifier: MIT */
/* exobpf: maps - the bpf() map commands in libbpf's bpf.h shape, pinning,
 * per-CPU slots, and ring/perf buffer consumers.
 *
 * A map is one memory-mapped file (tmpfs); the int every call takes is a real
 * file descriptor of that file, so close(), dup(), fork() and passing it over
 * a socket behave as they do for the kernel's map fds. Every call returns 0 or
 * a negative errno (also left in errno) with exobpf_errmsg() naming the input. */
#ifndef EXOBPF_MAP_H
#define EXOBPF_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/bpf.h>

#include "exobpf/common.h"

struct exobpf_map_create_opts {
	size_t sz;
	__u32 btf_fd;
	__u32 btf_key_type_id;
	__u32 btf_value_type_id;
	__u32 btf_vmlinux_value_type_id;
	__u32 inner_map_fd; /* template for ARRAY_OF_MAPS / HASH_OF_MAPS */
	__u32 map_flags;
	__u64 map_extra;
	__u32 numa_node;
	__u32 map_ifindex;
	/* exobpf: where BTF would say so, a struct bpf_spin_lock in the value */
	bool has_spin_lock;
	__u32 spin_lock_off;
};

/* BPF_MAP_CREATE: returns the new map's fd. name may be NULL. */
EXOBPF_API int exobpf_map_create(enum bpf_map_type map_type, const char *map_name, __u32 key_size,
				 __u32 value_size, __u32 max_entries,
				 const struct exobpf_map_create_opts *opts);

EXOBPF_API int exobpf_map_update_elem(int fd, const void *key, const void *value, __u64 flags);
EXOBPF_API int exobpf_map_lookup_elem(int fd, const void *key, void *value);
EXOBPF_API int exobpf_map_lookup_elem_flags(int fd, const void *key, void *value, __u64 flags);
EXOBPF_API int exobpf_map_lookup_and_delete_elem(int fd, const void *key, void *value);
EXOBPF_API int exobpf_map_lookup_and_delete_elem_flags(int fd, const void *key, void *value,
						       __u64 flags);
EXOBPF_API int exobpf_map_delete_elem(int fd, const void *key);
EXOBPF_API int exobpf_map_delete_elem_flags(int fd, const void *key, __u64 flags);
EXOBPF_API int exobpf_map_get_next_key(int fd, const void *key, void *next_key);
EXOBPF_API int exobpf_map_freeze(int fd);

struct exobpf_map_batch_opts {
	size_t sz;
	__u64 elem_flags;
	__u64 flags;
};

/* The batch commands, as libbpf's bpf_map_*_batch: *count is in/out. */
EXOBPF_API int exobpf_map_delete_batch(int fd, const void *keys, __u32 *count,
				       const struct exobpf_map_batch_opts *opts);
EXOBPF_API int exobpf_map_lookup_batch(int fd, void *in_batch, void *out_batch, void *keys,
				       void *values, __u32 *count,
				       const struct exobpf_map_batch_opts *opts);
EXOBPF_API int exobpf_map_lookup_and_delete_batch(int fd, void *in_batch, void *out_batch,
						  void *keys, void *values, __u32 *count,
						  const struct exobpf_map_batch_opts *opts);
EXOBPF_API int exobpf_map_update_batch(int fd, const void *keys, const void *values, __u32 *count,
				       const struct exobpf_map_batch_opts *opts);

EXOBPF_API int exobpf_map_get_info_by_fd(int fd, struct bpf_map_info *info, __u32 *info_len);

/* Ids: every live map has one, unique on this machine. get_next_id walks the
 * maps of every process (as bpftool map show does); fd_by_id opens one. */
EXOBPF_API int exobpf_map_get_next_id(__u32 start_id, __u32 *next_id);
EXOBPF_API int exobpf_map_get_fd_by_id(__u32 id);

/* Pinning: path is absolute or relative to the pin directory. */
EXOBPF_API int exobpf_obj_pin(int fd, const char *pathname);
EXOBPF_API int exobpf_obj_get(const char *pathname);

/* The pin directory: EXOBPF_PIN_DIR, else /run/exobpf. NULL restores that. */
EXOBPF_API int exobpf_set_pin_dir(const char *dir);
EXOBPF_API const char *exobpf_pin_dir(void);

/* Execution slots (Linux's CPUs for per-CPU maps): EXOBPF_SLOTS, else the
 * number of possible CPUs. A map keeps the count it was created with; user
 * space reads and writes a per-CPU value as slots x round_up(value_size, 8). */
EXOBPF_API int exobpf_set_num_slots(unsigned int n);
EXOBPF_API int exobpf_num_slots(void);
/* The slot count of one map. */
EXOBPF_API int exobpf_map_num_slots(int fd);

/* PROG_ARRAY without the bpf() layer: store prog (NULL clears) at index.
 * Freeing the program removes it from every prog array of the process. */
struct exobpf_prog;
EXOBPF_API int exobpf_map_set_prog(int map_fd, __u32 index, struct exobpf_prog *prog);

/* ---- ring buffer consumer (libbpf's ring_buffer) ---- */

struct exobpf_ring_buffer;
typedef int (*exobpf_ring_buffer_sample_fn)(void *ctx, void *data, size_t size);

struct exobpf_ring_buffer_opts {
	size_t sz;
};

EXOBPF_API struct exobpf_ring_buffer *
exobpf_ring_buffer__new(int map_fd, exobpf_ring_buffer_sample_fn sample_cb, void *ctx,
			const struct exobpf_ring_buffer_opts *opts);
EXOBPF_API int exobpf_ring_buffer__add(struct exobpf_ring_buffer *rb, int map_fd,
				       exobpf_ring_buffer_sample_fn sample_cb, void *ctx);
/* Wait up to timeout_ms (-1: forever) for records and consume them; returns
 * the number of records consumed or a negative errno. */
EXOBPF_API int exobpf_ring_buffer__poll(struct exobpf_ring_buffer *rb, int timeout_ms);
EXOBPF_API int exobpf_ring_buffer__consume(struct exobpf_ring_buffer *rb);
/* An fd that epoll reports readable when a record may be ready. */
EXOBPF_API int exobpf_ring_buffer__epoll_fd(const struct exobpf_ring_buffer *rb);
EXOBPF_API void exobpf_ring_buffer__free(struct exobpf_ring_buffer *rb);
/* Records producers could not reserve because the ring was full, summed
 * over the consumer's rings (exobpf counts them in the map; Linux has no
 * such counter). */
EXOBPF_API __u64 exobpf_ring_buffer__lost(const struct exobpf_ring_buffer *rb);

/* ---- perf buffer consumer (libbpf's perf_buffer) ---- */

struct exobpf_perf_buffer;
typedef void (*exobpf_perf_buffer_sample_fn)(void *ctx, int cpu, void *data, __u32 size);
typedef void (*exobpf_perf_buffer_lost_fn)(void *ctx, int cpu, __u64 cnt);

struct exobpf_perf_buffer_opts {
	size_t sz;
};

/* Consume a PERF_EVENT_ARRAY: one ring of page_cnt pages per slot. */
EXOBPF_API struct exobpf_perf_buffer *
exobpf_perf_buffer__new(int map_fd, size_t page_cnt, exobpf_perf_buffer_sample_fn sample_cb,
			exobpf_perf_buffer_lost_fn lost_cb, void *ctx,
			const struct exobpf_perf_buffer_opts *opts);
EXOBPF_API int exobpf_perf_buffer__poll(struct exobpf_perf_buffer *pb, int timeout_ms);
EXOBPF_API int exobpf_perf_buffer__consume(struct exobpf_perf_buffer *pb);
EXOBPF_API int exobpf_perf_buffer__epoll_fd(const struct exobpf_perf_buffer *pb);
EXOBPF_API void exobpf_perf_buffer__free(struct exobpf_perf_buffer *pb);

#endif
