/* The `attr` target's seed corpus, written by `exobpf-fuzz seeds`. */
#ifndef EXOBPF_FUZZ_ATTR_SEEDS_H
#define EXOBPF_FUZZ_ATTR_SEEDS_H

#include <stddef.h>

/* Calls emit for every seed; stops at (and returns) the first nonzero. */
int attr_seeds(int (*emit)(const char *name, const void *buf, size_t len, void *arg), void *arg);

#endif
