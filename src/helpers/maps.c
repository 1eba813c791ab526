/* Map helpers: the program side of maps. r1 is the struct exo_map * the
 * program's lddw resolved to. In checked mode every pointer argument is
 * validated against the run's regions first, and the map's own memory is
 * added as a region so the value pointers returned can be used. */
#include "helpers/helpers.h"
#include "maps/map.h"

/* Checked mode: r1 names a live map and [ptr, ptr+size) is readable (or
 * writable). Fails the run with a message naming the helper. */
bool helper_map_args_ok(struct vm_run *run, const char *helper, uint64_t map, uint64_t ptr,
			uint64_t size, bool write)
{
	if (!run->checked)
		return true;
	if (!exo_map_is_live((void *)(uintptr_t)map)) {
		vm_fail(run, VM_FAULT_HELPER_ARG, "%s: r1 0x%llx is not a map", helper,
			(unsigned long long)map);
		return false;
	}
	if (!exo_map_add_regions((struct exo_map *)(uintptr_t)map, run)) {
		vm_fail(run, VM_FAULT_HELPER_ARG, "%s: too many memory regions", helper);
		return false;
	}
	if (size && !vm_mem_ok(run, (uintptr_t)ptr, size, write)) {
		vm_fail(run, VM_FAULT_HELPER_ARG,
			"%s: %llu bytes at 0x%llx are outside the program's memory", helper,
			(unsigned long long)size, (unsigned long long)ptr);
		return false;
	}
	return true;
}

#define MAP(r) ((struct exo_map *)(uintptr_t)(r))
#define PTR(r) ((void *)(uintptr_t)(r))

HELPER_FN(map_lookup_elem)
{
	if (!helper_map_args_ok(
		run, "bpf_map_lookup_elem", r1, r2,
		run->checked && exo_map_is_live(PTR(r1)) ? exo_map_key_size(MAP(r1)) : 0, false))
		return 0;
	return (uintptr_t)exo_map_lookup(MAP(r1), PTR(r2), run->slot);
}

HELPER_FN(map_update_elem)
{
	if (!helper_map_args_ok(
		run, "bpf_map_update_elem", r1, r2,
		run->checked && exo_map_is_live(PTR(r1)) ? exo_map_key_size(MAP(r1)) : 0, false) ||
	    !helper_map_args_ok(run, "bpf_map_update_elem", r1, r3,
				run->checked ? exo_map_value_size(MAP(r1)) : 0, false))
		return 0;
	return (uint64_t)exo_map_update(MAP(r1), PTR(r2), PTR(r3), r4, run->slot);
}

HELPER_FN(map_delete_elem)
{
	if (!helper_map_args_ok(
		run, "bpf_map_delete_elem", r1, r2,
		run->checked && exo_map_is_live(PTR(r1)) ? exo_map_key_size(MAP(r1)) : 0, false))
		return 0;
	return (uint64_t)exo_map_delete(MAP(r1), PTR(r2));
}

HELPER_FN(map_push_elem)
{
	if (!helper_map_args_ok(
		run, "bpf_map_push_elem", r1, r2,
		run->checked && exo_map_is_live(PTR(r1)) ? exo_map_value_size(MAP(r1)) : 0, false))
		return 0;
	return (uint64_t)exo_map_push(MAP(r1), PTR(r2), r3);
}

HELPER_FN(map_pop_elem)
{
	if (!helper_map_args_ok(
		run, "bpf_map_pop_elem", r1, r2,
		run->checked && exo_map_is_live(PTR(r1)) ? exo_map_value_size(MAP(r1)) : 0, true))
		return 0;
	return (uint64_t)exo_map_pop(MAP(r1), PTR(r2));
}

HELPER_FN(map_peek_elem)
{
	if (!helper_map_args_ok(
		run, "bpf_map_peek_elem", r1, r2,
		run->checked && exo_map_is_live(PTR(r1)) ? exo_map_value_size(MAP(r1)) : 0, true))
		return 0;
	return (uint64_t)exo_map_peek(MAP(r1), PTR(r2));
}

HELPER_FN(map_lookup_percpu_elem)
{
	if (!helper_map_args_ok(
		run, "bpf_map_lookup_percpu_elem", r1, r2,
		run->checked && exo_map_is_live(PTR(r1)) ? exo_map_key_size(MAP(r1)) : 0, false))
		return 0;
	return (uintptr_t)exo_map_lookup_percpu(MAP(r1), PTR(r2), (uint32_t)r3);
}

/* The interpreter runs the tail call (VM_OP_TAIL_CALL); this finds the
 * target: the program at r3 in the PROG_ARRAY r2, or 0 to fall through. */
HELPER_FN(tail_call)
{
	if (run->checked && !exo_map_is_live(PTR(r2))) {
		vm_fail(run, VM_FAULT_HELPER_ARG, "bpf_tail_call: r2 0x%llx is not a map",
			(unsigned long long)r2);
		return 0;
	}
	return (uintptr_t)exo_map_prog_at(MAP(r2), (uint32_t)r3);
}
