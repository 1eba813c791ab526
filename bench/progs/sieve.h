/* sieve: the sieve of Eratosthenes on a bitmap of 3840 numbers on the stack,
 * then counting the primes; the packet's first byte moves the limit. */
#include "common.h"

BENCH_FN u64 bench_sieve(const u8 *p, const u8 *end)
{
	u64 bits[60];
	u32 limit, count = 0;

	if (p + 1 > end)
		return 0;
	limit = 3840 - (p[0] & 1);
	for (u32 i = 0; i < 60; i++)
		bits[i] = 0;
	for (u32 i = 2; i < 62; i++) {
		if (bits[i >> 6] & (1ull << (i & 63)))
			continue;
		for (u32 j = i * i; j < limit; j += i)
			bits[j >> 6] |= 1ull << (j & 63);
	}
	for (u32 i = 2; i < limit; i++)
		if (!(bits[i >> 6] & (1ull << (i & 63))))
			count++;
	return count;
}
