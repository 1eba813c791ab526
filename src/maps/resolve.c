/* lddw with a map fd (BPF_PSEUDO_MAP_FD) or a map value (BPF_PSEUDO_MAP_VALUE)
 * becomes the map's address or the value's, as Linux's resolve_pseudo_ldimm64
 * does at load; the program keeps a reference on every map it names. src
 * stays 1 or 2 so the verifier still knows which lddw names which map. */
#include <stdlib.h>

#include "maps/internal.h"

#define BPF_MAX_VAR_OFF_ (1u << 29)

static int add_used(struct exo_map ***maps, uint32_t *nr, struct exo_map *map)
{
	struct exo_map **m;

	for (uint32_t i = 0; i < *nr; i++)
		if ((*maps)[i] == map) {
			exo_map_put(map); /* already held once */
			return 0;
		}
	m = realloc(*maps, (*nr + 1) * sizeof(*m));
	if (!m) {
		exo_map_put(map);
		return exo_err(ENOMEM, "out of memory recording used maps");
	}
	m[(*nr)++] = map;
	*maps = m;
	return 0;
}

void exo_map_release_used(struct exo_map **maps, uint32_t nr)
{
	for (uint32_t i = 0; i < nr; i++)
		exo_map_put(maps[i]);
	free(maps);
}

int exo_map_resolve_ldimm64(struct bpf_insn *insns, size_t cnt, struct exo_map ***maps,
			    uint32_t *nr)
{
	*maps = NULL;
	*nr = 0;
	for (size_t i = 0; i + 1 < cnt; i++) {
		struct bpf_insn *in = &insns[i];
		struct exo_map *map;
		uint64_t addr;
		int err;

		if (in->code != (BPF_LD | BPF_IMM | BPF_DW))
			continue;
		if (in->src_reg != BPF_PSEUDO_MAP_FD && in->src_reg != BPF_PSEUDO_MAP_VALUE) {
			i++;
			continue;
		}
		map = exo_map_get(in->imm);
		if (!map) {
			err = -errno;
			exo_map_release_used(*maps, *nr);
			*maps = NULL;
			*nr = 0;
			return exo_err(-err, "insn %zu: fd %d is not pointing to valid bpf_map", i,
				       in->imm);
		}
		addr = (uintptr_t)map;
		if (in->src_reg == BPF_PSEUDO_MAP_VALUE) {
			uint32_t off = (uint32_t)in[1].imm;
			const char *why = NULL;
			int e = EINVAL;

			if (off >= BPF_MAX_VAR_OFF_)
				why = "direct value offset is not allowed";
			else if (map->type != BPF_MAP_TYPE_ARRAY)
				why = "no direct value access support for this map type";
			else if (map->max_entries != 1)
				why = "invalid access to map value pointer", e = ENOTSUPP_;
			else if (off >= map->value_size)
				why = "invalid access to map value pointer";
			if (why) {
				err = exo_err(e, "insn %zu: %s, value_size=%u off=%u", i, why,
					      map->value_size, off);
				exo_map_put(map);
				exo_map_release_used(*maps, *nr);
				*maps = NULL;
				*nr = 0;
				return err;
			}
			addr = (uintptr_t)map_data(map, 0) + off;
		}
		in[0].imm = (int32_t)(uint32_t)addr;
		in[1].imm = (int32_t)(uint32_t)(addr >> 32);
		if ((err = add_used(maps, nr, map))) {
			exo_map_release_used(*maps, *nr);
			*maps = NULL;
			*nr = 0;
			return err;
		}
		i++;
	}
	return 0;
}
