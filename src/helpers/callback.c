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

/* An ARRAY's walk in the program's machine code, as vm_call_each_array
 * can: its values lie in one area, so the loop needs no C per element. */
static bool each_array_jited(struct exo_map *map, const struct each *e, uint64_t ctx, long *n)
{
	size_t size;
	uint8_t *values = e->key ? exo_map_value_area(map, &size) : NULL;
	uint64_t visited;

	if (!values)
		return false;
	struct vm_each_array a = {.map = (uintptr_t)map,
				  .ctx = ctx,
				  .stride = size / exo_map_max_entries(map),
				  .key = e->key,
				  .values = values,
				  .n = exo_map_max_entries(map)};
	if (!vm_call_each_array(e->run, e->func, &a, &visited))
		return false;
	*n = (long)visited;
	return true;
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
	if (!each_array_jited(map, &e, r3, &n))
		n = exo_map_for_each(map, each_elem, (void *)(uintptr_t)r3, &e, run->slot);
	run->each_depth--;
	return run->fault ? 0 : (uint64_t)n;
}
