/* Inside the maps module: the file layout every map shares, the local object
 * that maps it, the per-type ops table, and process-shared locks.
 *
 * A map file starts with struct map_hdr (page 0); the type's data follows at
 * page-aligned offsets computed by its ops->layout from the header fields
 * alone, so every process that opens the file finds the same layout. Inside
 * the data, links are element indexes, never pointers. */
#ifndef EXOBPF_MAPS_INTERNAL_H
#define EXOBPF_MAPS_INTERNAL_H

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/err.h"
#include "core/fdtab.h"
#include "maps/map.h"

#define MAP_MAGIC   0x3150414d4f425845ull /* "EXOBMAP1" little-endian */
#define MAP_VERSION 1
#define MAP_PAGE    4096u

/* Linux's ENOTSUPP (kernel-internal 524), which bpf() does return for some map
 * commands (e.g. lookup in a ring buffer). */
#define ENOTSUPP_ 524

#ifndef BPF_F_INNER_MAP
#define BPF_F_INNER_MAP (1U << 12)
#endif
#ifndef BPF_F_PRESERVE_ELEMS
#define BPF_F_PRESERVE_ELEMS (1U << 11)
#endif
#define BPF_F_ACCESS_MASK_ (BPF_F_RDONLY | BPF_F_RDONLY_PROG | BPF_F_WRONLY | BPF_F_WRONLY_PROG)

/* A process-shared robust mutex. A holder that dies leaves the next locker
 * EOWNERDEAD; the lock marks the map for recovery (ops->recover). */
struct shm_lock {
	pthread_mutex_t m;
};

/* The map's header, in shared memory. Everything above `lock` is written once
 * at creation and validated on open. */
struct map_hdr {
	uint64_t magic;
	uint32_t version;
	uint32_t hdr_size;
	uint64_t file_size;
	uint32_t type, key_size, value_size, max_entries, flags;
	uint32_t id, nslots, numa_node;
	uint64_t map_extra;
	char name[16];
	uint32_t btf_id, btf_key_type_id, btf_value_type_id, btf_vmlinux_value_type_id;
	int32_t spin_lock_off;
	/* map-in-map template */
	uint32_t inner_type, inner_key_size, inner_value_size, inner_max_entries, inner_flags;
	uint64_t seed; /* hash seed (0 with BPF_F_ZERO_SEED) */
	/* mutable */
	uint32_t frozen;
	uint32_t needs_recovery; /* a lock holder died: rebuild before the next op */
	uint32_t refs;		 /* outer maps holding this one (map-in-map) */
	uint32_t pad;
	struct shm_lock lock;	 /* map-wide: freeze, recovery, queue, ring producers */
	uint64_t type_state[32]; /* the type's shared mutable scalars */
};

struct exo_map;

struct map_ops {
	/* Linux's map_alloc_check: the type's attribute rules and errors. */
	int (*check)(const union bpf_attr *attr);
	/* Fill map->lay from the header fields; return the data size (bytes
	 * after the header page) or 0 for an impossible size. */
	uint64_t (*layout)(struct exo_map *map);
	/* Data bytes Linux would allocate at creation (the rest is reserved
	 * as elements are used); NULL: all of it. */
	uint64_t (*eager)(struct exo_map *map);
	/* Initialise a fresh (zeroed) file. */
	int (*init)(struct exo_map *map);
	/* Set up process-local state once the file is mapped. */
	int (*open)(struct exo_map *map);
	void *(*lookup)(struct exo_map *map, const void *key, uint32_t slot);
	/* user space: copy the value out (per-CPU: every slot) */
	int (*lookup_user)(struct exo_map *map, const void *key, void *value, uint64_t flags);
	/* slot == MAP_ALL_SLOTS: value holds every slot (user space) */
	int (*update)(struct exo_map *map, const void *key, const void *value, uint64_t flags,
		      uint32_t slot);
	int (*delete)(struct exo_map *map, const void *key);
	int (*get_next_key)(struct exo_map *map, const void *key, void *next);
	int (*lookup_and_delete)(struct exo_map *map, const void *key, void *value, uint64_t flags);
	int (*push)(struct exo_map *map, const void *value, uint64_t flags);
	int (*pop)(struct exo_map *map, void *value);
	int (*peek)(struct exo_map *map, void *value);
	void *(*lookup_percpu)(struct exo_map *map, const void *key, uint32_t slot);
	/* lookup for programs as a function of the map and key alone, chosen
	 * once for this map (exo_map_prog_lookup); NULL: use lookup */
	exo_map_lookup_fn (*gen_lookup)(const struct exo_map *map);
	long (*for_each)(struct exo_map *map, exo_map_each_fn fn, void *ctx, void *arg,
			 uint32_t slot);
	/* After a crashed holder: make the structure consistent again. */
	void (*recover)(struct exo_map *map);
	/* checked mode: the memory programs may touch */
	bool (*regions)(struct exo_map *map, struct vm_run *run);
	/* drop process-local state (prog array references) */
	void (*release)(struct exo_map *map);
	/* does lookup_user/update accept a value of value_size bytes per slot? */
	bool percpu;
	/* user-space values are fds turned into ids (prog/map arrays) */
	bool fd_values;
	/* which BPF_MAP_*_BATCH commands the type has (Linux's choice) */
	uint8_t batch;
};

enum {
	BATCH_LOOKUP = 1 << 0, /* generic: by get_next_key */
	BATCH_HTAB = 1 << 1,   /* by bucket, with lookup-and-delete */
	BATCH_UPDATE = 1 << 2,
	BATCH_DELETE = 1 << 3,
};

/* map.c: user-space commands on a map object */
enum { CAN_READ = 1, CAN_WRITE = 2 };
struct exo_map *map_get_for(int fd, int need, const char *cmd); /* + permission check */
int map_user_lookup(struct exo_map *map, const void *key, void *value, uint64_t flags);
int map_user_update(struct exo_map *map, const void *key, const void *value, uint64_t flags);
int map_user_delete(struct exo_map *map, const void *key);

/* hash.c: Linux's bucket-wise batch (token = bucket index) */
int htab_batch(struct exo_map *map, uint32_t *bucket, uint32_t max, void *keys, void *values,
	       bool del, uint64_t elem_flags, uint32_t *done_out);
uint32_t htab_nbuckets(const struct exo_map *map);

#define MAP_ALL_SLOTS UINT32_MAX

/* One map as this process sees it. */
struct exo_map {
	struct fdtab_obj tab; /* refcount, file identity, registry list */
	int fd;		      /* our own close-on-exec fd of the file */
	uint8_t *base;	      /* the whole file, mapped shared */
	size_t size;
	struct map_hdr *hdr;
	const struct map_ops *ops;
	/* trusted copies of the header (validated when opened) */
	uint32_t type, key_size, value_size, max_entries, flags, nslots, id;
	uint32_t value_stride; /* round_up(value_size, 8) */
	int32_t spin_lock_off;
	uint64_t lay[8];       /* the type's layout (offsets, counts) */
	struct exo_map *inner; /* map-in-map template (local, unregistered) */
	void *local;	       /* the type's process-local state */
	int wake_fd;	       /* notify.c: writer end of the ring FIFO, or -1 */
};

static inline uint64_t map_round8(uint64_t v)
{
	return (v + 7) & ~7ull;
}

static inline uint64_t map_page_round(uint64_t v)
{
	return (v + MAP_PAGE - 1) & ~(uint64_t)(MAP_PAGE - 1);
}

static inline void *map_data(struct exo_map *map, uint64_t off)
{
	return map->base + MAP_PAGE + off;
}

const struct map_ops *map_ops_of(uint32_t type);
const char *map_type_name(uint32_t type);
int map_type_by_name(const char *name);

/* locks (lock.c) */
int shm_lock_init(struct shm_lock *l);
void shm_lock(struct exo_map *map, struct shm_lock *l);
void shm_unlock(struct shm_lock *l);
/* Run ops->recover if a holder died; call with no lock held. */
void map_maybe_recover(struct exo_map *map);

/* bpf_spin_lock in values (helpers/lock.c uses the same word) */
void map_value_lock(void *lockword);
void map_value_unlock(void *lockword);
/* Copy a value in or out holding its spin lock (BPF_F_LOCK), leaving the
 * lock word itself alone; or plainly when lock is false. */
void map_copy_value(struct exo_map *map, void *dst, const void *src, bool lock);
/* The same, out to user space: the lock word reads as zero. */
void map_copy_out(struct exo_map *map, void *dst, const void *src, bool lock);

/* registry.c */
struct exo_map *map_open_file(int fd, const char *what); /* new local object, ref 1 */
int map_register_fd(struct exo_map *map, int fd);
struct exo_map *map_by_id(uint32_t id); /* new reference or NULL */
/* fn on every map this process has mapped (registry lock held: fn must not
 * take it) */
void map_for_each_local(void (*fn)(struct exo_map *map, void *arg), void *arg);
uint32_t map_alloc_id(void);

/* store.c */
/* A map file of size bytes, the first eager of them allocated now. */
int store_create_file(uint64_t size, uint64_t eager, char *why, size_t whylen);
/* Make sure data bytes [0, end) are allocated (*reserved tracks how far,
 * in the shared file); 0 or -ENOMEM. */
int store_reserve(struct exo_map *map, uint64_t *reserved, uint64_t end);
const char *store_dir(void);
int store_ref_path(uint32_t id, char *buf, size_t size);

/* refs.c: values naming other maps by id (map-in-map, perf rings) */
int map_ref_store(struct exo_map *map);	  /* one more value names map */
void map_ref_drop(uint32_t id);		  /* one value less */
struct exo_map *map_ref_get(uint32_t id); /* borrowed; NULL if gone */

/* fdarray.c: user-space values of fd maps */
int map_inner_check(const struct exo_map *outer, uint32_t fd, struct exo_map **inner);
struct exo_map *map_perf_ring_at(struct exo_map *map, uint32_t index); /* borrowed */
int map_perf_ring_set(struct exo_map *map, uint32_t index, struct exo_map *ring);

/* notify.c: consumer wakeups (ring buffers, perf rings) */
int notify_reader(struct exo_map *map); /* fd for epoll, or -1 */
void notify_drain(int fd);
void notify_wake(struct exo_map *map);

/* perfbuf.c: the consumer's side of a perf ring */
void perf_ring_read(struct exo_map *ring, uint64_t pos, void *dst, size_t len);
uint64_t perf_ring_head(struct exo_map *ring);
uint64_t perf_ring_tail(struct exo_map *ring);
void perf_ring_set_tail(struct exo_map *ring, uint64_t tail);
uint64_t perf_ring_lost(struct exo_map *ring);
/* Fill data_offset and data_size of the ring's perf_event_mmap_page. */
void perf_ring_describe(struct exo_map *ring);

/* internal map types beyond Linux's numbering */
#define EXO_MAP_TYPE_PERF_RING 0x7e000001u

#endif
