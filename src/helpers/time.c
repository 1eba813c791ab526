/* Clocks, randomness and the execution slot: helpers that need no context. */
#include <time.h>

#include "helpers/helpers.h"

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

HELPER_FN(ktime_get_ns)
{
	return clock_ns(CLOCK_MONOTONIC);
}

HELPER_FN(ktime_get_boot_ns)
{
	return clock_ns(CLOCK_BOOTTIME);
}

HELPER_FN(ktime_get_coarse_ns)
{
	return clock_ns(CLOCK_MONOTONIC_COARSE);
}

HELPER_FN(ktime_get_tai_ns)
{
	return clock_ns(CLOCK_TAI);
}

/* Linux counts jiffies at CONFIG_HZ; exobpf ticks at 1000 Hz on the monotonic clock. */
HELPER_FN(jiffies64)
{
	return clock_ns(CLOCK_MONOTONIC) / 1000000ull;
}

/* xorshift64* per thread, seeded from the clock and the thread: fast and not
 * cryptographic, like Linux's prandom. */
HELPER_FN(get_prandom_u32)
{
	static __thread uint64_t state;

	if (!state)
		state = clock_ns(CLOCK_MONOTONIC) ^ (uint64_t)(uintptr_t)&state ^ 0x9e3779b97f4a7c15ull;
	state ^= state >> 12;
	state ^= state << 25;
	state ^= state >> 27;
	return (uint32_t)((state * 0x2545f4914f6cdd1dull) >> 32);
}

HELPER_FN(get_smp_processor_id)
{
	return run->slot;
}

HELPER_FN(get_numa_node_id)
{
	return 0;
}
