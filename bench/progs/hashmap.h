/* hashmap: a flow counter: 64 keys taken from a 1024-byte packet are looked
 * up in a hash map (1024 entries, u32 -> u64); a hit is incremented
 * atomically, a miss inserted. The result counts hits and misses, so it is
 * the same in every run once the map holds the keys. The including file
 * defines BENCH_LOOKUP(key) and BENCH_INSERT(key, value) for its map. */
#include "common.h"

BENCH_FN u64 bench_hashmap(const u8 *p, const u8 *end)
{
	u64 total = 0;

	for (u32 i = 0; i < 64; i++) {
		if (p + 16 * i + 4 > end)
			break;
		u32 key = be32_at(p + 16 * i) & 1023;
		u64 *v = BENCH_LOOKUP(&key);
		if (v) {
			__sync_fetch_and_add(v, 1);
			total += 1;
		} else {
			u64 one = 1;
			BENCH_INSERT(&key, &one);
			total += 1 << 16;
		}
	}
	return total;
}
