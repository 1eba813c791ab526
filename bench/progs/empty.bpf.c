/* The empty program: what a run costs before the program does anything. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "common.h"

BENCH_FN u64 bench_empty(const u8 *p, const u8 *end)
{
	(void)p, (void)end;
	return 0;
}

#include "entry.h"

BENCH_ENTRIES(empty)
