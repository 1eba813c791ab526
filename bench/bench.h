/* What the benchmark runner and the native twins share. */
#ifndef EXOBPF_BENCH_H
#define EXOBPF_BENCH_H

#include <stdint.h>

typedef uint64_t (*bench_native_fn)(const uint8_t *p, const uint8_t *end);

struct exo_map;
extern struct exo_map *bench_native_map; /* the hash map twin's map */

#define BENCH_NATIVE(name) uint64_t native_##name(const uint8_t *p, const uint8_t *end);
BENCH_NATIVE(parse)
BENCH_NATIVE(checksum)
BENCH_NATIVE(arith)
BENCH_NATIVE(bits)
BENCH_NATIVE(strings)
BENCH_NATIVE(dispatch)
BENCH_NATIVE(sieve)
BENCH_NATIVE(hashmap)
BENCH_NATIVE(empty)
#undef BENCH_NATIVE

#endif
