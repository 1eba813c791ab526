/* The benchmarks' native twins: the same algorithm headers as the BPF
 * programs, compiled by gcc -O2 (the physical limit the JIT is measured
 * against). Each twin is a separate, never-inlined function called through a
 * pointer, as the engines are. The hash map twin calls the same map code
 * the helpers call, on the same map. */
#include <stdint.h>

#include "bench.h"
#include "maps/map.h"

#include "progs/arith.h"
#include "progs/bits.h"
#include "progs/checksum.h"
#include "progs/dispatch.h"
#include "progs/parse.h"
#include "progs/sieve.h"
#include "progs/strings.h"

struct exo_map *bench_native_map;

#define BENCH_LOOKUP(key)	 ((u64 *)exo_map_lookup(bench_native_map, key, 0))
#define BENCH_INSERT(key, value) exo_map_update(bench_native_map, key, value, BPF_ANY, 0)
#include "progs/hashmap.h"

#define TWIN(name)                                                                                 \
	__attribute__((noinline)) uint64_t native_##name(const uint8_t *p, const uint8_t *end)    \
	{                                                                                          \
		return bench_##name(p, end);                                                       \
	}
TWIN(parse)
TWIN(checksum)
TWIN(arith)
TWIN(bits)
TWIN(strings)
TWIN(dispatch)
TWIN(sieve)
TWIN(hashmap)

__attribute__((noinline)) uint64_t native_empty(const uint8_t *p, const uint8_t *end)
{
	(void)p, (void)end;
	return 0;
}
