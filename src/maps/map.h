/* Maps as the rest of exobpf sees them: created from a BPF_MAP_CREATE
 * attribute, found by fd, referenced by programs (lddw), used by helpers.
 * The layout in shared memory and the per-type ops are in maps/internal.h. */
#ifndef EXOBPF_MAPS_MAP_H
#define EXOBPF_MAPS_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/bpf.h>

#include "vm/vm.h"

struct exo_map;

/* What BTF would tell (the loader fills it; NULL means none). */
struct exo_map_ext {
	bool has_spin_lock;
	uint32_t spin_lock_off;
	uint32_t btf_id; /* the BTF object btf_fd named (bpf() layer), shown in map info */
};

/* BPF_MAP_CREATE: Linux's attribute checks and errors; returns the new fd or
 * -errno with a message naming the attribute. */
int exo_map_create_attr(const union bpf_attr *attr);
int exo_map_create_ext(const union bpf_attr *attr, const struct exo_map_ext *ext);

/* A new reference to the map behind fd; NULL and errno EBADF (not an open
 * fd) or EINVAL (not a map), with the message set. */
struct exo_map *exo_map_get(int fd);
struct exo_map *exo_map_ref(struct exo_map *map); /* another reference */
void exo_map_put(struct exo_map *map);

void exo_map_get_info(const struct exo_map *map, struct bpf_map_info *info);
enum bpf_map_type exo_map_type(const struct exo_map *map);
uint32_t exo_map_key_size(const struct exo_map *map);
uint32_t exo_map_value_size(const struct exo_map *map);
uint32_t exo_map_max_entries(const struct exo_map *map);
uint32_t exo_map_flags(const struct exo_map *map);
uint32_t exo_map_id(const struct exo_map *map);
/* Offset of the bpf_spin_lock in the value, or -1. */
int exo_map_spin_lock_off(const struct exo_map *map);
bool exo_map_frozen(const struct exo_map *map);

/* The inner-map template of ARRAY_OF_MAPS / HASH_OF_MAPS, else NULL. Only
 * the getters above work on it (type, sizes, flags; id 0, no name); it is
 * not a live map and never reaches a helper. */
const struct exo_map *exo_map_inner(const struct exo_map *map);

/* An ARRAY's values as one area (global data, mmap-able arrays); NULL for
 * other types. *size is max_entries * round_up(value_size, 8). */
void *exo_map_value_area(struct exo_map *map, size_t *size);
/* Where that area starts in the map's file (page-aligned), for mmap(). */
uint64_t exo_map_value_area_offset(const struct exo_map *map);

/* Checked mode: let a run touch the map's values (read-only when the map is
 * BPF_F_RDONLY_PROG). Adding a map twice is harmless. False when the run's
 * region table is full. */
bool exo_map_add_regions(struct exo_map *map, struct vm_run *run);

/* Is ptr a live map of this process (checked mode validates helper args)? */
bool exo_map_is_live(const void *ptr);

/* The program-side operations behind the map helpers (r1 is the map). They
 * return what the helper returns: a value pointer or NULL, 0 or -errno. */
void *exo_map_lookup(struct exo_map *map, const void *key, uint32_t slot);
long exo_map_update(struct exo_map *map, const void *key, const void *value, uint64_t flags,
		    uint32_t slot);
long exo_map_delete(struct exo_map *map, const void *key);
long exo_map_push(struct exo_map *map, const void *value, uint64_t flags);
long exo_map_pop(struct exo_map *map, void *value);
long exo_map_peek(struct exo_map *map, void *value);
void *exo_map_lookup_percpu(struct exo_map *map, const void *key, uint32_t slot);

/* What bpf_map_lookup_elem does on this map, as a function of the map and
 * the key alone, specialised for the map's type and key size (Linux's
 * map_gen_lookup), for the JIT to call directly instead of the helper: NULL
 * where the type has none (per-CPU values need the run's slot) or ptr is not
 * a live map. The function stays valid while the map lives. */
typedef void *(*exo_map_lookup_fn)(struct exo_map *map, const void *key);
exo_map_lookup_fn exo_map_prog_lookup(const void *ptr);

/* bpf_for_each_map_elem: cb(map, key, value, ctx) per element until it
 * returns nonzero; returns the number of elements visited or -errno. */
typedef uint64_t (*exo_map_each_fn)(struct exo_map *map, void *key, void *value, void *ctx,
				    void *arg);
long exo_map_for_each(struct exo_map *map, exo_map_each_fn fn, void *ctx, void *arg, uint32_t slot);

/* PROG_ARRAY: the program at index, or NULL (tail call falls through). */
const struct vm_prog *exo_map_prog_at(struct exo_map *map, uint32_t index);

/* Programs in PROG_ARRAY are process-local; the bpf() layer tells the maps
 * how a prog fd becomes a program and how references are kept. */
struct exo_prog_resolver {
	struct vm_prog *(*get_by_fd)(int fd); /* new reference or NULL */
	void (*put)(struct vm_prog *prog);
	uint32_t (*id)(const struct vm_prog *prog);
};
void exo_map_set_prog_resolver(const struct exo_prog_resolver *r);
/* A program is going away: remove it from every PROG_ARRAY of this process
 * (exobpf_prog__free calls it, so a tail call never reaches a freed one). */
void exo_map_forget_prog(const struct vm_prog *prog);
/* Store a program (NULL clears) at index of a PROG_ARRAY; takes a reference
 * through the resolver. */
int exo_map_prog_array_set(struct exo_map *map, uint32_t index, struct vm_prog *prog);
/* A program loaded with map among its maps: a prog array takes the type of
 * the first program that uses it, and refuses others (EINVAL), as Linux's
 * bpf_prog_map_compatible; 0 for any other map. */
int exo_map_prog_array_use(struct exo_map *map, const struct vm_prog *prog);

/* Program load (Linux's resolve_pseudo_ldimm64): rewrite every lddw with
 * src BPF_PSEUDO_MAP_FD / BPF_PSEUDO_MAP_VALUE so its 64-bit immediate is the
 * struct exo_map * / the value's address; src stays. *maps gets one reference
 * per distinct map (release with exo_map_release_used). Errors name the
 * instruction with Linux's wording. */
int exo_map_resolve_ldimm64(struct bpf_insn *insns, size_t cnt, struct exo_map ***maps,
			    uint32_t *nr);
void exo_map_release_used(struct exo_map **maps, uint32_t nr);

/* bpf_spin_lock / bpf_spin_unlock on the 4-byte lock word in a value:
 * process-shared, and a dead holder's lock is taken over. */
void exo_value_lock(void *lockword);
void exo_value_unlock(void *lockword);

/* A fresh id from the machine-wide counter map ids come from; the bpf()
 * layer numbers programs, BTF objects and links from it too. */
uint32_t exo_alloc_id(void);

/* Current slot count for new maps. */
uint32_t exo_map_default_slots(void);
uint32_t exo_map_nslots(const struct exo_map *map);

#endif
