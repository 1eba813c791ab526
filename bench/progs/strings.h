/* strings: memcpy and strcmp over a buffer: copy 256 bytes of the packet to
 * the stack eight bytes at a time, then compare them byte by byte, as
 * strcmp does, with a second 256-byte region of the packet; four rounds at
 * different offsets of a 1024-byte packet. */
#include "common.h"

BENCH_FN u64 bench_strings(const u8 *p, const u8 *end)
{
	u64 buf[32];
	u64 total = 0;

	for (u32 round = 0; round < 4; round++) {
		const u8 *src = p + round * 64, *other = p + 512 + round * 32;
		if (src + 256 > end || other + 256 > end)
			return 0;
		for (u32 k = 0; k < 32; k++) /* memcpy */
			buf[k] = le64_at(src + 8 * k);
		const u8 *b = (const u8 *)buf;
		u32 i = 0;
		for (; i < 256; i++) { /* strcmp */
			if (b[i] != other[i] || !b[i])
				break;
		}
		total += i < 256 ? (u64)(b[i] - other[i]) + i * 1000u : 256000u;
		total += buf[round * 7 & 31];
	}
	return total;
}
