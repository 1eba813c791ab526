/* Getting data out: ring buffer and perf event helpers, and bpf_spin_lock. */
#include <string.h>

#include <errno.h>

#include "helpers/helpers.h"
#include "maps/map.h"
#include "maps/ringbuf.h"

#define MAP(r) ((struct exo_map *)(uintptr_t)(r))

static bool data_ok(struct vm_run *run, const char *helper, uint64_t p, uint64_t n)
{
	if (!run->checked || !n || vm_mem_ok(run, (uintptr_t)p, n, false))
		return true;
	vm_fail(run, VM_FAULT_HELPER_ARG,
		"%s: %llu bytes at 0x%llx are outside the program's memory", helper,
		(unsigned long long)n, (unsigned long long)p);
	return false;
}

static bool is_ringbuf(struct vm_run *run, const char *helper, uint64_t map)
{
	if (!helper_map_args_ok(run, helper, map, 0, 0, false))
		return false;
	if (exo_map_type(MAP(map)) != BPF_MAP_TYPE_RINGBUF) {
		vm_fail(run, VM_FAULT_HELPER_ARG, "%s: r1 is not a ring buffer", helper);
		return false;
	}
	return true;
}

HELPER_FN(ringbuf_output)
{
	if (!is_ringbuf(run, "bpf_ringbuf_output", r1) ||
	    !data_ok(run, "bpf_ringbuf_output", r2, r3))
		return 0;
	return (uint64_t)exo_ringbuf_output(MAP(r1), (const void *)(uintptr_t)r2, r3, r4);
}

HELPER_FN(ringbuf_reserve)
{
	if (!is_ringbuf(run, "bpf_ringbuf_reserve", r1))
		return 0;
	return (uintptr_t)exo_ringbuf_reserve(MAP(r1), r2, r3);
}

/* Checked mode: sample must be a record of a live ring buffer. */
static bool sample_ok(struct vm_run *run, const char *helper, uint64_t sample)
{
	if (!run->checked)
		return true;
	if (!vm_mem_ok(run, (uintptr_t)sample - RINGBUF_HDR_SZ, RINGBUF_HDR_SZ, false) ||
	    !exo_map_is_live(exo_ringbuf_of_sample((void *)(uintptr_t)sample))) {
		vm_fail(run, VM_FAULT_HELPER_ARG, "%s: 0x%llx is not a reserved ring buffer record",
			helper, (unsigned long long)sample);
		return false;
	}
	return true;
}

HELPER_FN(ringbuf_submit)
{
	if (sample_ok(run, "bpf_ringbuf_submit", r1))
		exo_ringbuf_commit((void *)(uintptr_t)r1, r2, false);
	return 0;
}

HELPER_FN(ringbuf_discard)
{
	if (sample_ok(run, "bpf_ringbuf_discard", r1))
		exo_ringbuf_commit((void *)(uintptr_t)r1, r2, true);
	return 0;
}

HELPER_FN(ringbuf_query)
{
	if (!is_ringbuf(run, "bpf_ringbuf_query", r1))
		return 0;
	return exo_ringbuf_query(MAP(r1), r2);
}

/* bpf_perf_event_output(ctx, map, flags, data, size) */
HELPER_FN(perf_event_output)
{
	if (!helper_map_args_ok(run, "bpf_perf_event_output", r2, 0, 0, false) ||
	    !data_ok(run, "bpf_perf_event_output", r4, r5))
		return 0;
	return (uint64_t)exo_perf_output(MAP(r2), r3, (const void *)(uintptr_t)r4, r5, run->slot);
}

static bool lock_ok(struct vm_run *run, const char *helper, uint64_t p)
{
	if (!run->checked)
		return true;
	if (!vm_mem_ok(run, (uintptr_t)p, 4, true) || (p & 3)) {
		vm_fail(run, VM_FAULT_HELPER_ARG,
			"%s: 0x%llx is not an aligned bpf_spin_lock in the program's memory",
			helper, (unsigned long long)p);
		return false;
	}
	return true;
}

HELPER_FN(spin_lock)
{
	if (lock_ok(run, "bpf_spin_lock", r1))
		exo_value_lock((void *)(uintptr_t)r1);
	return 0;
}

HELPER_FN(spin_unlock)
{
	if (lock_ok(run, "bpf_spin_unlock", r1))
		exo_value_unlock((void *)(uintptr_t)r1);
	return 0;
}
