/* An exobpf object mirrored into the kernel, for differential tests: every
 * map created again through bpf() with the same type, sizes and flags
 * (global data copied in, .rodata frozen), and a program loaded from the
 * same relocated instructions with the kernel's map fds in the lddw slots. */
#ifndef EXOBPF_TEST_KMIRROR_H
#define EXOBPF_TEST_KMIRROR_H

#include <stdbool.h>
#include <stddef.h>

#include "exobpf/object.h"

#define KMIRROR_MAPS 32

struct kmirror {
	struct exobpf_object *obj;
	unsigned n;
	struct exobpf_map *maps[KMIRROR_MAPS];
	int efd[KMIRROR_MAPS], kfd[KMIRROR_MAPS];
};

/* The kernel's maps for a loaded object. 0, -ENOSYS when bpf() is not
 * usable, or -errno (why says which map). */
int kmirror_open(struct kmirror *km, struct exobpf_object *obj, char *why, size_t whylen);
/* The named program loaded into the kernel: its fd, or -errno with the
 * verifier's log in log. */
int kmirror_prog(struct kmirror *km, const char *name, char *log, size_t loglen);
/* The kernel's map fd for an exobpf map of the object (-1 if none). */
int kmirror_fd(const struct kmirror *km, const struct exobpf_map *map);
/* Do all maps hold the same keys and values? Per-CPU values compare as the
 * sums over CPUs of each 8-byte word (the CPUs runs landed on differ);
 * maps whose names are in skip (NULL-terminated) are not compared. */
bool kmirror_maps_equal(struct kmirror *km, const char *const *skip, char *why, size_t whylen);
void kmirror_close(struct kmirror *km);

/* Number of possible CPUs (the kernel's per-CPU value count). */
int kmirror_ncpus(void);

#endif
