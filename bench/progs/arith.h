/* arith: a tight arithmetic loop, 4096 steps of a 64-bit LCG feeding a
 * multiply-xorshift accumulator (seeded from the packet). */
#include "common.h"

BENCH_FN u64 bench_arith(const u8 *p, const u8 *end)
{
	u64 x, acc = 0x243f6a8885a308d3ull;

	if (p + 8 > end)
		return 0;
	x = le64_at(p) | 1;
	for (u32 i = 0; i < 4096; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		acc += (x >> 29) ^ (acc << 7);
		acc ^= acc >> 11;
	}
	return acc ^ (acc >> 32);
}
