/* Helpers that call back into the program: bpf_loop and
 * bpf_for_each_map_elem (vm_call_func runs the callback on the same run). */
#include <errno.h>
#include <string.h>

#include "helpers/helpers.h"
#include "maps/map.h"

#define BPF_MAX_LOOPS (8 * 1024 * 1024) /* Linux's limit */

/* bpf_loop(nr_loops, callback, ctx, flags): callback(i, ctx) until it
 * returns nonzero; the number of iterations run. */
HELPER_FN(loop)
{
	uint32_t n = (uint32_t)r1;

	if (r4)
		return (uint64_t)-EINVAL;
	if (n > BPF_MAX_LOOPS)
		return (uint64_t)-E2BIG;
	return vm_call_loop(run, r2, n, r3);
}

struct each {
	struct vm_run *run;
	uint64_t func;
	uint32_t *key; /* where an array's key is handed over, or NULL */
};

/* Array maps' keys are indexes the map makes up on its own stack. */
static bool key_is_index(const struct exo_map *map)
{
	return exo_map_key_size(map) == sizeof(uint32_t) &&
	       (exo_map_type(map) == BPF_MAP_TYPE_ARRAY ||
		exo_map_type(map) == BPF_MAP_TYPE_PERCPU_ARRAY);
}

static uint64_t each_elem(struct exo_map *map, void *key, void *value, void *ctx, void *arg)
{
	struct each *e = arg;
	bool region;
	uint64_t ret;

	if (e->key) {
		memcpy(e->key, key, sizeof(*e->key));
		key = e->key;
	}
	region = e->run->checked && vm_add_region(e->run, key, exo_map_key_size(map), false);

	ret = vm_call_func(e->run, e->func, (uintptr_t)map, (uintptr_t)key, (uintptr_t)value,
			   (uintptr_t)ctx, 0);
	if (region)
		e->run->nregions--;
	return e->run->fault ? 1 : ret;
}

/* bpf_for_each_map_elem(map, callback, ctx, flags): callback(map, key,
 * value, ctx) per element until it returns nonzero; elements visited. */
HELPER_FN(for_each_map_elem)
{
	struct exo_map *map = (struct exo_map *)(uintptr_t)r1;
	struct each e = {run, r2, NULL};
	long n;

	if (r4)
		return (uint64_t)-EINVAL;
	if (!helper_map_args_ok(run, "bpf_for_each_map_elem", r1, 0, 0, false))
		return 0;
	if (run->each_depth >= VM_MAX_FRAMES) { /* callbacks nest at most that deep */
		vm_fail(run, VM_FAULT_DEPTH, "bpf_for_each_map_elem nested too deep");
		return 0;
	}
	if (key_is_index(map))
		e.key = &run->each_keys[run->each_depth];
	run->each_depth++;
	n = exo_map_for_each(map, each_elem, (void *)(uintptr_t)r3, &e, run->slot);
	run->each_depth--;
	return run->fault ? 0 : (uint64_t)n;
}
