/* The map-type registry, built from map_types.def. */
#include <string.h>

#include "maps/internal.h"

#define MAP_TYPE(suffix, ops, name) extern const struct map_ops ops;
#include "maps/map_types.def"
#undef MAP_TYPE

static const struct {
	const struct map_ops *ops;
	const char *name;
} types[] = {
#define MAP_TYPE(suffix, o, n) [BPF_MAP_TYPE_##suffix] = {&o, n},
#include "maps/map_types.def"
#undef MAP_TYPE
};

#define NTYPES (sizeof(types) / sizeof(types[0]))

extern const struct map_ops perf_ring_ops;

const struct map_ops *map_ops_of(uint32_t type)
{
	if (type == EXO_MAP_TYPE_PERF_RING)
		return &perf_ring_ops;
	return type < NTYPES ? types[type].ops : NULL;
}

const char *map_type_name(uint32_t type)
{
	if (type == EXO_MAP_TYPE_PERF_RING)
		return "perf_ring";
	return type < NTYPES && types[type].name ? types[type].name : "unknown";
}

int map_type_by_name(const char *name)
{
	for (size_t i = 0; i < NTYPES; i++)
		if (types[i].name && !strcmp(types[i].name, name))
			return (int)i;
	return -1;
}
