/* Map definitions: BTF-defined maps in .maps (libbpf's __uint/__type/
 * __array conventions), legacy struct bpf_map_def in "maps", and the
 * internal array maps behind global data and __kconfig externs. */
#include <ctype.h>
#include <errno.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "exobpf/map.h"
#include "loader/obj.h"

static bool has_prefix(const char *s, const char *p)
{
	return !strncmp(s, p, strlen(p));
}

/* __uint(name, val) is "int (*name)[val]": the value is an array's length. */
static int map_int(const struct exobpf_object *obj, const char *map, const struct btf_member *m,
		   uint32_t *out)
{
	const struct exobpf_btf *btf = obj->btf;
	const char *attr = btf_str(btf, m->name_off);
	const struct btf_type *t = btf_skip_mods_typedefs(btf, m->type, NULL), *arr;

	if (!t || btf_kind(t) != BTF_KIND_PTR)
		return exo_err(EINVAL, "%s: map '%s': attribute '%s': expected PTR, got %s",
			       obj->path, map, attr, t ? btf_kind_name(btf_kind(t)) : "void");
	arr = btf_skip_mods_typedefs(btf, t->type, NULL);
	if (!arr || btf_kind(arr) != BTF_KIND_ARRAY)
		return exo_err(EINVAL,
			       "%s: map '%s': attribute '%s': expected PTR to ARRAY, got PTR to %s",
			       obj->path, map, attr, arr ? btf_kind_name(btf_kind(arr)) : "void");
	*out = btf_array(arr)->nelems;
	return 0;
}

/* __type(name, T) is "T *name": the pointee's size and id. */
static int map_type(const struct exobpf_object *obj, const char *map, const struct btf_member *m,
		    uint32_t *id, uint32_t *size)
{
	const struct exobpf_btf *btf = obj->btf;
	const char *attr = btf_str(btf, m->name_off);
	const struct btf_type *t = btf_skip_mods_typedefs(btf, m->type, NULL);

	if (!t || btf_kind(t) != BTF_KIND_PTR)
		return exo_err(EINVAL, "%s: map '%s': attribute '%s': expected PTR, got %s",
			       obj->path, map, attr, t ? btf_kind_name(btf_kind(t)) : "void");
	long sz = btf_resolve_size(btf, t->type);
	if (sz < 0) {
		exo_err_prefix("%s: map '%s': attribute '%s'", obj->path, map, attr);
		return (int)sz;
	}
	*id = t->type;
	*size = (uint32_t)sz;
	return 0;
}

static int set_size(const struct exobpf_object *obj, const char *map, const char *what,
		    uint32_t *field, uint32_t size)
{
	if (*field && *field != size)
		return exo_err(EINVAL, "%s: map '%s': conflicting %s size %u != %u", obj->path, map,
			       what, *field, size);
	*field = size;
	return 0;
}

static bool is_map_in_map(uint32_t type)
{
	return type == BPF_MAP_TYPE_ARRAY_OF_MAPS || type == BPF_MAP_TYPE_HASH_OF_MAPS;
}

static int parse_def(struct exobpf_object *obj, struct exobpf_map *map, const struct btf_type *def,
		     bool inner)
{
	const struct exobpf_btf *btf = obj->btf;
	const char *name = map->name;
	struct bpf_map_def_full *d = &map->def;
	bool have_type = false;
	int err = 0;

	for (uint32_t i = 0; i < btf_vlen(def) && !err; i++) {
		const struct btf_member *m = &btf_members(def)[i];
		const char *attr = btf_str(btf, m->name_off);
		uint32_t v = 0, id = 0;

		if (!attr[0])
			return exo_err(EINVAL, "%s: map '%s': member %u has no name", obj->path,
				       name, i);
		if (!strcmp(attr, "type")) {
			err = map_int(obj, name, m, &d->type);
			have_type = true;
		} else if (!strcmp(attr, "max_entries")) {
			err = map_int(obj, name, m, &d->max_entries);
		} else if (!strcmp(attr, "map_flags")) {
			err = map_int(obj, name, m, &d->map_flags);
		} else if (!strcmp(attr, "numa_node")) {
			err = map_int(obj, name, m, &d->numa_node);
		} else if (!strcmp(attr, "map_extra")) {
			err = map_int(obj, name, m, &v);
			d->map_extra = v;
		} else if (!strcmp(attr, "key_size")) {
			err = map_int(obj, name, m, &v)
				  ?: set_size(obj, name, "key", &d->key_size, v);
		} else if (!strcmp(attr, "value_size")) {
			err = map_int(obj, name, m, &v)
				  ?: set_size(obj, name, "value", &d->value_size, v);
		} else if (!strcmp(attr, "key")) {
			err = map_type(obj, name, m, &id, &v)
				  ?: set_size(obj, name, "key", &d->key_size, v);
			d->btf_key_type_id = id;
		} else if (!strcmp(attr, "value")) {
			err = map_type(obj, name, m, &id, &v)
				  ?: set_size(obj, name, "value", &d->value_size, v);
			d->btf_value_type_id = id;
		} else if (!strcmp(attr, "pinning")) {
			if (inner)
				return exo_err(EINVAL, "%s: map '%s': inner maps cannot be pinned",
					       obj->path, name);
			err = map_int(obj, name, m, &d->pinning);
			if (!err && d->pinning > EXOBPF_PIN_BY_NAME)
				return exo_err(EINVAL, "%s: map '%s': invalid pinning value %u",
					       obj->path, name, d->pinning);
		} else if (!strcmp(attr, "values")) {
			const struct btf_type *arr, *ptr, *target;
			bool prog_array = d->type == BPF_MAP_TYPE_PROG_ARRAY;

			if (inner)
				return exo_err(
				    EINVAL,
				    "%s: map '%s': multi-level inner maps are not supported",
				    obj->path, name);
			if (i != btf_vlen(def) - 1)
				return exo_err(EINVAL,
					       "%s: map '%s': 'values' must be the last member",
					       obj->path, name);
			if (!is_map_in_map(d->type) && !prog_array)
				return exo_err(EINVAL,
					       "%s: map '%s': 'values' needs a map-in-map or a "
					       "prog-array type",
					       obj->path, name);
			if ((err = set_size(obj, name, "value", &d->value_size, 4)))
				return err;
			arr = btf_skip_mods_typedefs(btf, m->type, NULL);
			if (!arr || btf_kind(arr) != BTF_KIND_ARRAY)
				return exo_err(EINVAL, "%s: map '%s': 'values' must be an array",
					       obj->path, name);
			ptr = btf_skip_mods_typedefs(btf, btf_array(arr)->type, NULL);
			if (!ptr || btf_kind(ptr) != BTF_KIND_PTR)
				return exo_err(
				    EINVAL, "%s: map '%s': 'values' must be an array of pointers",
				    obj->path, name);
			target = btf_skip_mods_typedefs(btf, ptr->type, NULL);
			if (prog_array) {
				if (!target || btf_kind(target) != BTF_KIND_FUNC_PROTO)
					return exo_err(EINVAL,
						       "%s: map '%s': prog-array 'values' must "
						       "point to functions",
						       obj->path, name);
				continue;
			}
			if (!target || btf_kind(target) != BTF_KIND_STRUCT)
				return exo_err(EINVAL,
					       "%s: map '%s': 'values' must point to a map "
					       "definition struct",
					       obj->path, name);
			map->inner = calloc(1, sizeof(*map->inner));
			if (!map->inner)
				return exo_err(ENOMEM, "%s: out of memory", obj->path);
			map->inner->obj = obj;
			map->inner->fd = -1;
			map->inner->kind = MAP_USER;
			size_t n = strlen(name) + 7;
			map->inner->name = malloc(n);
			map->inner->real_name = malloc(n);
			if (!map->inner->name || !map->inner->real_name)
				return exo_err(ENOMEM, "%s: out of memory", obj->path);
			snprintf(map->inner->name, n, "%s.inner", name);
			snprintf(map->inner->real_name, n, "%s.inner", name);
			err = parse_def(obj, map->inner, target, true);
		} else {
			/* libbpf rejects what it does not know rather than ignore a typo */
			return exo_err(ENOTSUP, "%s: map '%s': unknown attribute '%s'", obj->path,
				       name, attr);
		}
	}
	if (err)
		return err;
	if (!have_type)
		return exo_err(EINVAL, "%s: map '%s': no map type given", obj->path, name);
	if (is_map_in_map(d->type) && !map->inner)
		return exo_err(EINVAL,
			       "%s: map '%s': a map-in-map needs 'values' describing the inner "
			       "map",
			       obj->path, name);
	return 0;
}

static int init_btf_maps(struct exobpf_object *obj)
{
	const struct exobpf_btf *btf = obj->btf;
	const struct btf_type *sec;
	int id;

	if (obj->maps_sec < 0)
		return 0;
	if (!btf)
		return exo_err(EINVAL, "%s: section .maps needs BTF (compile with -g)", obj->path);
	id = btf_find(btf, ".maps", BTF_KIND_DATASEC);
	if (id < 0)
		return exo_err(EINVAL, "%s: section .maps has no BTF DATASEC", obj->path);
	sec = btf_type(btf, (uint32_t)id);
	for (uint32_t i = 0; i < btf_vlen(sec); i++) {
		const struct btf_var_secinfo *vi = &btf_secinfos(sec)[i];
		const struct btf_type *var = btf_type(btf, vi->type), *def;
		struct exobpf_map *map;
		const char *name = btf_name(btf, var);
		int err;

		if (btf_kind(var) != BTF_KIND_VAR)
			return exo_err(EINVAL, "%s: .maps entry %u is not a variable", obj->path,
				       i);
		if (((const struct btf_var *)btf_payload(var))->linkage == BTF_VAR_STATIC &&
		    strlen(name) == 0)
			return exo_err(EINVAL, "%s: .maps entry %u has no name", obj->path, i);
		def = btf_skip_mods_typedefs(btf, var->type, NULL);
		if (!def || btf_kind(def) != BTF_KIND_STRUCT)
			return exo_err(EINVAL, "%s: map '%s': definition is %s, not a struct",
				       obj->path, name,
				       def ? btf_kind_name(btf_kind(def)) : "void");
		if ((err = obj_add_map(obj, &map)))
			return err;
		map->kind = MAP_USER;
		map->sec_idx = obj->maps_sec;
		map->sec_off = vi->offset;
		map->sec_size = vi->size;
		map->name = strdup(name);
		map->real_name = strdup(name);
		if (!map->name || !map->real_name)
			return exo_err(ENOMEM, "%s: out of memory", obj->path);
		if ((err = parse_def(obj, map, def, false)))
			return err;
	}
	return 0;
}

/* struct bpf_map_def of old objects: five u32s per map, one symbol each. */
static int init_legacy_maps(struct exobpf_object *obj)
{
	const struct elf_sec *sec;
	size_t nr = 0, def_sz;

	if (obj->legacy_maps_sec < 0)
		return 0;
	sec = &obj->elf.secs[obj->legacy_maps_sec];
	for (size_t i = 0; i < obj->elf.nsyms; i++)
		if (obj->elf.syms[i].shndx == obj->legacy_maps_sec &&
		    obj->elf.syms[i].type != STT_SECTION && obj->elf.syms[i].bind == STB_GLOBAL)
			nr++;
	if (!nr)
		return sec->size
			   ? exo_err(EINVAL, "%s: section maps: %llu bytes but no map symbols",
				     obj->path, (unsigned long long)sec->size)
			   : 0;
	def_sz = sec->size / nr;
	if (sec->size % nr || def_sz % 4 || def_sz < 4 * 5)
		return exo_err(EINVAL,
			       "%s: section maps: %llu bytes do not divide into %zu definitions "
			       "of at least 20 bytes",
			       obj->path, (unsigned long long)sec->size, nr);
	for (size_t i = 0; i < obj->elf.nsyms; i++) {
		const struct elf_sym *s = &obj->elf.syms[i];
		struct exobpf_map *map;
		uint32_t f[5];
		int err;

		if (s->shndx != obj->legacy_maps_sec || s->type == STT_SECTION ||
		    s->bind != STB_GLOBAL)
			continue;
		if (s->value % def_sz || s->value + def_sz > sec->size)
			return exo_err(EINVAL,
				       "%s: section maps: map '%s' at offset %#llx is not on a "
				       "%zu-byte definition boundary",
				       obj->path, s->name, (unsigned long long)s->value, def_sz);
		for (size_t b = 4 * 5; b < def_sz; b++)
			if (sec->data[s->value + b])
				return exo_err(ENOTSUP,
					       "%s: section maps: map '%s' sets fields beyond "
					       "struct bpf_map_def",
					       obj->path, s->name);
		memcpy(f, sec->data + s->value, sizeof(f));
		if ((err = obj_add_map(obj, &map)))
			return err;
		map->kind = MAP_USER;
		map->sec_idx = obj->legacy_maps_sec;
		map->sec_off = s->value;
		map->sec_size = def_sz;
		map->name = strdup(s->name);
		map->real_name = strdup(s->name);
		if (!map->name || !map->real_name)
			return exo_err(ENOMEM, "%s: out of memory", obj->path);
		map->def.type = f[0];
		map->def.key_size = f[1];
		map->def.value_size = f[2];
		map->def.max_entries = f[3];
		map->def.map_flags = f[4];
	}
	return 0;
}

/* libbpf's internal map names: a prefix of the object name plus the
 * section, 15 characters at most, so "test_globals.o" gives
 * "test_gl.data"; sections with a second dot (".data.foo") are their own
 * name. */
static char *internal_map_name(const struct exobpf_object *obj, const char *sec)
{
	char name[OBJ_NAME_LEN];
	size_t sfx = strlen(sec) < 7 ? 7 : strlen(sec), pfx = 0;

	if (!strchr(sec + 1, '.') && sfx < OBJ_NAME_LEN - 1) {
		pfx = OBJ_NAME_LEN - 1 - sfx;
		if (pfx > strlen(obj->name))
			pfx = strlen(obj->name);
	}
	snprintf(name, sizeof(name), "%.*s%.*s", (int)pfx, obj->name, (int)sfx, sec);
	for (char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '.')
			*p = '_';
	return strdup(name);
}

int obj_add_internal_map(struct exobpf_object *obj, enum obj_map_kind kind, const char *sec_name,
			 int sec_idx, const void *data, size_t size, struct exobpf_map **out);

int obj_add_internal_map(struct exobpf_object *obj, enum obj_map_kind kind, const char *sec_name,
			 int sec_idx, const void *data, size_t size, struct exobpf_map **out)
{
	struct exobpf_map *map;
	int err = obj_add_map(obj, &map), id;

	if (err)
		return err;
	map->kind = kind;
	map->sec_idx = sec_idx;
	map->name = internal_map_name(obj, sec_name);
	map->real_name = strdup(sec_name);
	map->mmaped = calloc(1, size ? size : 1);
	if (!map->name || !map->real_name || !map->mmaped)
		return exo_err(ENOMEM, "%s: out of memory", obj->path);
	map->mmaped_size = size;
	if (data)
		memcpy(map->mmaped, data, size);
	map->def.type = BPF_MAP_TYPE_ARRAY;
	map->def.key_size = 4;
	map->def.value_size = (uint32_t)size;
	map->def.max_entries = 1;
	map->def.map_flags = BPF_F_MMAPABLE;
	if (kind == MAP_RODATA || kind == MAP_KCONFIG)
		map->def.map_flags |= BPF_F_RDONLY_PROG;
	if (obj->btf && (id = btf_find(obj->btf, sec_name, BTF_KIND_DATASEC)) > 0)
		map->def.btf_value_type_id = (uint32_t)id;
	if (out)
		*out = map;
	return 0;
}

static int init_data_maps(struct exobpf_object *obj)
{
	for (size_t i = 1; i < obj->elf.nsecs; i++) {
		const struct elf_sec *s = &obj->elf.secs[i];
		enum obj_map_kind kind;
		int err;

		if (s->type == SHT_PROGBITS && !(s->flags & SHF_EXECINSTR) &&
		    (!strcmp(s->name, ".data") || has_prefix(s->name, ".data.")))
			kind = MAP_DATA;
		else if (s->type == SHT_PROGBITS && !(s->flags & SHF_EXECINSTR) &&
			 (!strcmp(s->name, ".rodata") || has_prefix(s->name, ".rodata.")))
			kind = MAP_RODATA;
		else if (s->type == SHT_NOBITS && !strcmp(s->name, ".bss"))
			kind = MAP_BSS;
		else
			continue;
		if (!s->size)
			continue;
		if (s->size > OBJ_MAX_VALUE_SIZE)
			return exo_err(
			    E2BIG,
			    "%s: section %s: %llu bytes exceed the %u bytes one map value may "
			    "hold (Linux's KMALLOC_MAX_SIZE)",
			    obj->path, s->name, (unsigned long long)s->size, OBJ_MAX_VALUE_SIZE);
		err = obj_add_internal_map(obj, kind, s->name, (int)i,
					   kind == MAP_BSS ? NULL : s->data, s->size, NULL);
		if (err)
			return err;
	}
	return 0;
}

int obj_init_kconfig_map(struct exobpf_object *obj);

int obj_init_maps(struct exobpf_object *obj)
{
	int err = init_legacy_maps(obj);

	err = err ?: init_btf_maps(obj);
	err = err ?: init_data_maps(obj);
	err = err ?: obj_init_kconfig_map(obj);
	if (err)
		return err;
	/* pinned maps get their path now so callers can inspect or change it */
	for (uint32_t i = 0; i < obj->nr_maps; i++) {
		struct exobpf_map *m = &obj->maps[i];
		if (m->def.pinning != EXOBPF_PIN_BY_NAME)
			continue;
		/* exobpf's maps can be pinned only in its pin directory (not bpffs) */
		const char *root = obj->pin_root_path ? obj->pin_root_path : exobpf_pin_dir();
		size_t n = strlen(root) + strlen(m->name) + 2;
		if (!(m->pin_path = malloc(n)))
			return exo_err(ENOMEM, "%s: out of memory", obj->path);
		snprintf(m->pin_path, n, "%s/%s", root, m->name);
	}
	return 0;
}

static struct exobpf_map *map_at(struct exobpf_object *obj, uint64_t off, bool contains)
{
	for (uint32_t i = 0; i < obj->nr_maps; i++) {
		struct exobpf_map *m = &obj->maps[i];
		if (m->sec_idx != obj->maps_sec || m->kind != MAP_USER)
			continue;
		if (contains ? off >= m->sec_off && off < m->sec_off + m->sec_size
			     : off == m->sec_off)
			return m;
	}
	return NULL;
}

/* values[] initialisers: relocations in .maps put a map or a program into
 * slot i of the map whose definition holds the relocated address. */
int obj_init_map_slots(struct exobpf_object *obj)
{
	const struct exobpf_btf *btf = obj->btf;

	if (obj->maps_sec < 0)
		return 0;
	for (size_t r = 1; r < obj->elf.nsecs; r++) {
		const struct elf_sec *rs = &obj->elf.secs[r];
		struct elf_rel *rels;
		size_t cnt;
		int err;

		if (rs->type != SHT_REL || (int)rs->info != obj->maps_sec)
			continue;
		if ((err = elf_rels(&obj->elf, rs, &rels, &cnt)))
			return err;
		for (size_t i = 0; i < cnt; i++) {
			const struct elf_sym *sym = &obj->elf.syms[rels[i].sym];
			struct exobpf_map *map = map_at(obj, rels[i].offset, true), *target = NULL;
			struct exobpf_program *prog = NULL;
			const struct btf_type *def;
			uint64_t moff = 0;

			err = EINVAL;
			if (!map) {
				exo_err(EINVAL,
					"%s: section %s: relocation %zu at offset %#llx is not "
					"inside any map",
					obj->path, rs->name, i, (unsigned long long)rels[i].offset);
				goto fail;
			}
			if (map->def.type == BPF_MAP_TYPE_PROG_ARRAY) {
				const struct elf_sec *ps =
				    sym->shndx < obj->elf.nsecs ? &obj->elf.secs[sym->shndx] : NULL;
				if (sym->type != STT_FUNC || !ps || !(ps->flags & SHF_EXECINSTR) ||
				    !(prog = obj_prog_at(obj, sym->shndx,
							 (uint32_t)(sym->value / 8))) ||
				    prog->is_subprog) {
					exo_err(
					    EINVAL,
					    "%s: map '%s': slot initialiser '%s' is not a program",
					    obj->path, map->name, sym->name);
					goto fail;
				}
			} else {
				target = sym->shndx == obj->maps_sec
					     ? map_at(obj, sym->value, false)
					     : NULL;
				if (!target) {
					exo_err(EINVAL,
						"%s: map '%s': slot initialiser '%s' is not a map",
						obj->path, map->name, sym->name);
					goto fail;
				}
			}
			int var_id = btf_find(btf, map->real_name, BTF_KIND_VAR);
			def = var_id > 0 ? btf_skip_mods_typedefs(
					       btf, btf_type(btf, (uint32_t)var_id)->type, NULL)
					 : NULL;
			for (uint32_t m = 0; def && m < btf_vlen(def); m++)
				if (!strcmp(btf_str(btf, btf_members(def)[m].name_off), "values"))
					moff = btf_member_bit_offset(def, m) / 8;
			if (!moff || rels[i].offset < map->sec_off + moff ||
			    (rels[i].offset - map->sec_off - moff) % 8) {
				exo_err(EINVAL,
					"%s: map '%s': relocation at offset %#llx is not a "
					"'values' slot",
					obj->path, map->name, (unsigned long long)rels[i].offset);
				goto fail;
			}
			uint64_t slot = (rels[i].offset - map->sec_off - moff) / 8;
			if (slot >= map->def.max_entries) {
				exo_err(EINVAL,
					"%s: map '%s': 'values' slot %llu is beyond max_entries %u",
					obj->path, map->name, (unsigned long long)slot,
					map->def.max_entries);
				goto fail;
			}
			if (slot >= map->nr_init) {
				uint32_t n = (uint32_t)slot + 1;
				void *a = realloc(map->init_progs, n * sizeof(*map->init_progs));
				if (a)
					map->init_progs = a;
				void *b =
				    a ? realloc(map->init_maps, n * sizeof(*map->init_maps)) : NULL;
				if (!a || !b) {
					exo_err(ENOMEM, "%s: out of memory", obj->path);
					err = ENOMEM;
					goto fail;
				}
				map->init_maps = b;
				for (uint32_t k = map->nr_init; k < n; k++)
					map->init_progs[k] = NULL, map->init_maps[k] = NULL;
				map->nr_init = n;
			}
			map->init_progs[slot] = prog;
			map->init_maps[slot] = target;
			continue;
		fail:
			free(rels);
			return -err;
		}
		free(rels);
	}
	return 0;
}
