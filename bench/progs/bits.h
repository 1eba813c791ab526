/* bits: integer log2 and population count by loops, over 256 32-bit words
 * of a 1024-byte packet. */
#include "common.h"

BENCH_FN u64 bench_bits(const u8 *p, const u8 *end)
{
	u64 total = 0;

	for (u32 i = 0; i < 256; i++) {
		if (p + 4 * i + 4 > end)
			break;
		u32 v = be32_at(p + 4 * i), w = v, lg = 0, pop = 0;
		for (u32 k = 0; k < 31 && v > 1; k++) {
			v >>= 1;
			lg++;
		}
		for (u32 k = 0; k < 32 && w; k++) {
			w &= w - 1;
			pop++;
		}
		total += lg * 64 + pop;
	}
	return total;
}
