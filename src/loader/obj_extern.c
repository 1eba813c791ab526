/* Externs: __kconfig variables live in one read-only array map (.kconfig)
 * laid out as libbpf lays it out (by alignment, then size, then name); their
 * values come from the open options, the running kernel's config and a few
 * LINUX_* facts. __ksym variables and kfuncs name kernel symbols, which
 * exobpf does not have: weak ones read as zero, strong ones are an error. */
#include <errno.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <zlib.h>

#include "core/err.h"
#include "loader/obj.h"

int obj_add_internal_map(struct exobpf_object *obj, enum obj_map_kind kind, const char *sec_name,
			 int sec_idx, const void *data, size_t size, struct exobpf_map **out);

static const struct btf_type *extern_sec(const struct exobpf_btf *btf, uint32_t id)
{
	for (uint32_t s = 1; s < btf->nr; s++) {
		const struct btf_type *t = btf->types[s];
		if (btf_kind(t) != BTF_KIND_DATASEC)
			continue;
		for (uint32_t i = 0; i < btf_vlen(t); i++)
			if (btf_secinfos(t)[i].type == id)
				return t;
	}
	return NULL;
}

static int kcfg_type(struct exobpf_object *obj, struct obj_extern *e)
{
	const struct exobpf_btf *btf = obj->btf;
	const struct btf_type *var = btf_type(btf, e->btf_id);
	const struct btf_type *t = btf_skip_mods_typedefs(btf, var->type, NULL);
	long size = btf_resolve_size(btf, var->type), align = btf_align(btf, var->type);

	if (!t || size <= 0 || align <= 0)
		return exo_err(EINVAL, "%s: extern (kcfg) '%s': type has no size", obj->path,
			       e->name);
	e->kcfg_size = (uint32_t)size;
	e->kcfg_align = (uint32_t)align;
	switch (btf_kind(t)) {
	case BTF_KIND_INT:
		if (t->size == 1 && (btf_int_encoding(t) & BTF_INT_BOOL))
			e->kcfg_type = KCFG_BOOL;
		else if (t->size == 1 && (btf_int_encoding(t) & BTF_INT_CHAR))
			e->kcfg_type = KCFG_CHAR;
		else if (t->size <= 8)
			e->kcfg_type = KCFG_INT;
		e->kcfg_signed = btf_int_encoding(t) & BTF_INT_SIGNED;
		break;
	case BTF_KIND_ENUM:
		if (t->size == 4 && !strcmp(btf_name(btf, t), "libbpf_tristate"))
			e->kcfg_type = KCFG_TRISTATE;
		break;
	case BTF_KIND_ARRAY: {
		const struct btf_type *el = btf_skip_mods_typedefs(btf, btf_array(t)->type, NULL);
		if (el && btf_kind(el) == BTF_KIND_INT && el->size == 1)
			e->kcfg_type = KCFG_CHAR_ARR;
		break;
	}
	}
	if (e->kcfg_type == KCFG_UNKNOWN)
		return exo_err(EINVAL, "%s: extern (kcfg) '%s': type %s is not a Kconfig type",
			       obj->path, e->name, btf_kind_name(btf_kind(t)));
	return 0;
}

static int cmp_externs(const void *a, const void *b)
{
	const struct obj_extern *x = a, *y = b;

	if (x->is_kcfg != y->is_kcfg)
		return x->is_kcfg ? -1 : 1;
	if (x->is_kcfg) {
		if (x->kcfg_align != y->kcfg_align)
			return x->kcfg_align > y->kcfg_align ? -1 : 1;
		if (x->kcfg_size != y->kcfg_size)
			return x->kcfg_size < y->kcfg_size ? -1 : 1;
	}
	return strcmp(x->name, y->name);
}

int obj_collect_externs(struct exobpf_object *obj)
{
	uint32_t n = 0;

	for (size_t i = 0; i < obj->elf.nsyms; i++) {
		const struct elf_sym *s = &obj->elf.syms[i];
		if (s->shndx == SHN_UNDEF && (s->bind == STB_GLOBAL || s->bind == STB_WEAK) &&
		    s->type != STT_SECTION && s->name[0])
			n++;
	}
	if (!n)
		return 0;
	if (!obj->btf)
		return exo_err(EINVAL, "%s: externs need BTF (compile with -g)", obj->path);
	obj->externs = calloc(n, sizeof(*obj->externs));
	if (!obj->externs)
		return exo_err(ENOMEM, "%s: out of memory", obj->path);
	for (size_t i = 0; i < obj->elf.nsyms; i++) {
		const struct elf_sym *s = &obj->elf.syms[i];
		struct obj_extern *e;
		int id;

		if (!(s->shndx == SHN_UNDEF && (s->bind == STB_GLOBAL || s->bind == STB_WEAK) &&
		      s->type != STT_SECTION && s->name[0]))
			continue;
		e = &obj->externs[obj->nr_externs++];
		e->name = s->name;
		e->sym_idx = (int)i;
		e->is_weak = s->bind == STB_WEAK;
		id = btf_find(obj->btf, s->name, BTF_KIND_VAR);
		if (id < 0)
			id = btf_find(obj->btf, s->name, BTF_KIND_FUNC);
		if (id < 0)
			return exo_err(ENOENT,
				       "%s: symbol '%s' is used but defined nowhere (a missing "
				       "symbol; externs must be __kconfig or __ksym)",
				       obj->path, s->name);
		e->btf_id = (uint32_t)id;
		const struct btf_type *sec = extern_sec(obj->btf, (uint32_t)id);
		const char *sname = sec ? btf_name(obj->btf, sec) : "";
		if (!strcmp(sname, ".kconfig")) {
			int err;
			e->is_kcfg = true;
			if ((err = kcfg_type(obj, e)))
				return err;
		} else if (!sname[0]) {
			return exo_err(ENOENT,
				       "%s: symbol '%s' is used but defined nowhere (a missing "
				       "symbol; externs must be __kconfig or __ksym)",
				       obj->path, s->name);
		} else if (strcmp(sname, ".ksyms")) {
			return exo_err(EINVAL,
				       "%s: extern '%s' is in section '%s', neither .kconfig nor "
				       ".ksyms",
				       obj->path, s->name, sname);
		}
	}
	qsort(obj->externs, obj->nr_externs, sizeof(*obj->externs), cmp_externs);
	return 0;
}

int obj_init_kconfig_map(struct exobpf_object *obj)
{
	uint64_t off = 0;
	int id;

	for (uint32_t i = 0; i < obj->nr_externs; i++) {
		struct obj_extern *e = &obj->externs[i];
		if (!e->is_kcfg)
			continue;
		off = (off + e->kcfg_align - 1) / e->kcfg_align * e->kcfg_align;
		e->data_off = (uint32_t)off;
		off += e->kcfg_size;
		if (off > OBJ_MAX_VALUE_SIZE)
			return exo_err(E2BIG,
				       "%s: extern (kcfg) '%s': the .kconfig externs exceed the "
				       "%u bytes one map value may hold",
				       obj->path, e->name, OBJ_MAX_VALUE_SIZE);
	}
	if (!off)
		return 0;
	/* the .kconfig DATASEC now describes the map's layout */
	if ((id = btf_find(obj->btf, ".kconfig", BTF_KIND_DATASEC)) > 0) {
		struct btf_type *t = obj->btf->types[id];
		t->size = (uint32_t)off;
		for (uint32_t i = 0; i < btf_vlen(t); i++)
			for (uint32_t e = 0; e < obj->nr_externs; e++)
				if (obj->externs[e].btf_id == btf_secinfos(t)[i].type)
					btf_secinfos(t)[i].offset = obj->externs[e].data_off;
	}
	obj->kconfig_map_idx = (int)obj->nr_maps;
	return obj_add_internal_map(obj, MAP_KCONFIG, ".kconfig", -1, NULL, off, NULL);
}

static uint32_t running_kernel_version(void)
{
	struct utsname u;
	unsigned a = 0, b = 0, c = 0;

	if (uname(&u) || sscanf(u.release, "%u.%u.%u", &a, &b, &c) < 2)
		return 0;
	return (a << 16) + (b << 8) + (c > 255 ? 255 : c);
}

static int set_int(struct exobpf_object *obj, struct obj_extern *e, uint8_t *data, uint64_t v,
		   const char *text)
{
	if (e->kcfg_type == KCFG_BOOL && v > 1)
		return exo_err(EINVAL, "%s: extern (kcfg) '%s': value '%s' is not a boolean",
			       obj->path, e->name, text);
	if (e->kcfg_type != KCFG_INT && e->kcfg_type != KCFG_CHAR && e->kcfg_type != KCFG_BOOL)
		return exo_err(EINVAL,
			       "%s: extern (kcfg) '%s': value '%s' is a number, the type is not",
			       obj->path, e->name, text);
	if (e->kcfg_size < 8) {
		uint64_t bits = e->kcfg_size * 8ull;
		bool fits = e->kcfg_signed ? (int64_t)v >= -(1ll << (bits - 1)) &&
						 (int64_t)v < (1ll << (bits - 1))
					   : v < (1ull << bits);
		if (!fits)
			return exo_err(ERANGE,
				       "%s: extern (kcfg) '%s': value '%s' does not fit %u bytes",
				       obj->path, e->name, text, e->kcfg_size);
	}
	memcpy(data + e->data_off, &v, e->kcfg_size); /* little-endian: the low bytes */
	e->is_set = true;
	return 0;
}

/* One "CONFIG_X=value" line. */
static int kconfig_line(struct exobpf_object *obj, uint8_t *data, char *line)
{
	char *eq, *val;

	line[strcspn(line, "\r\n")] = '\0';
	if (strncmp(line, "CONFIG_", 7) || !(eq = strchr(line, '=')))
		return 0;
	*eq = '\0';
	val = eq + 1;
	for (uint32_t i = 0; i < obj->nr_externs; i++) {
		struct obj_extern *e = &obj->externs[i];
		if (!e->is_kcfg || strcmp(e->name, line))
			continue;
		if (e->is_set)
			return exo_err(EINVAL, "%s: extern (kcfg) '%s' is given more than once",
				       obj->path, e->name);
		if ((val[0] == 'y' || val[0] == 'n' || val[0] == 'm') && !val[1]) {
			uint8_t v = val[0] == 'y' ? 1 : val[0] == 'm' ? 2 : 0;
			if (e->kcfg_type == KCFG_CHAR)
				v = (uint8_t)val[0];
			else if (e->kcfg_type == KCFG_BOOL && v == 2)
				return exo_err(EINVAL,
					       "%s: extern (kcfg) '%s': 'm' is not a boolean",
					       obj->path, e->name);
			else if (e->kcfg_type != KCFG_BOOL && e->kcfg_type != KCFG_TRISTATE)
				return exo_err(EINVAL,
					       "%s: extern (kcfg) '%s': value '%s' needs a bool, "
					       "tristate or char type",
					       obj->path, e->name, val);
			if (e->kcfg_type == KCFG_TRISTATE) {
				uint32_t t = v;
				memcpy(data + e->data_off, &t, 4);
			} else {
				data[e->data_off] = v;
			}
			e->is_set = true;
		} else if (val[0] == '"') {
			size_t len = strlen(val);
			if (len < 2 || val[len - 1] != '"')
				return exo_err(EINVAL,
					       "%s: extern (kcfg) '%s': unterminated string %s",
					       obj->path, e->name, val);
			if (e->kcfg_type != KCFG_CHAR_ARR)
				return exo_err(
				    EINVAL, "%s: extern (kcfg) '%s': a string needs a char array",
				    obj->path, e->name);
			len -= 2;
			if (len >= e->kcfg_size)
				len = e->kcfg_size - 1; /* truncated, as libbpf does */
			memcpy(data + e->data_off, val + 1, len);
			data[e->data_off + len] = '\0';
			e->is_set = true;
		} else {
			char *end;
			errno = 0;
			uint64_t v = strtoull(val, &end, 0);
			if (errno || end == val || *end)
				return exo_err(EINVAL,
					       "%s: extern (kcfg) '%s': cannot parse value '%s'",
					       obj->path, e->name, val);
			int err = set_int(obj, e, data, v, val);
			if (err)
				return err;
		}
	}
	return 0;
}

static int kconfig_text(struct exobpf_object *obj, uint8_t *data, const char *text)
{
	char *copy = strdup(text), *save = NULL;
	int err = 0;

	if (!copy)
		return exo_err(ENOMEM, "out of memory");
	for (char *l = strtok_r(copy, "\n", &save); l && !err; l = strtok_r(NULL, "\n", &save))
		err = kconfig_line(obj, data, l);
	free(copy);
	return err;
}

/* The running kernel's config: /proc/config.gz, else /boot/config-RELEASE. */
static int kconfig_system(struct exobpf_object *obj, uint8_t *data)
{
	char buf[4096];
	struct utsname u;
	gzFile f = gzopen("/proc/config.gz", "r");
	int err = 0;

	if (!f && !uname(&u)) {
		snprintf(buf, sizeof(buf), "/boot/config-%s", u.release);
		f = gzopen(buf, "r"); /* gzread reads plain files too */
	}
	if (!f)
		return 0; /* nothing to read: unresolved strong externs are reported next */
	while (!err && gzgets(f, buf, sizeof(buf)))
		err = kconfig_line(obj, data, buf);
	gzclose(f);
	return err;
}

int obj_resolve_externs(struct exobpf_object *obj)
{
	struct exobpf_map *kmap =
	    obj->kconfig_map_idx >= 0 ? &obj->maps[obj->kconfig_map_idx] : NULL;
	uint8_t *data = kmap ? kmap->mmaped : NULL;
	bool need_config = false;
	int err;

	for (uint32_t i = 0; i < obj->nr_externs; i++) {
		struct obj_extern *e = &obj->externs[i];
		if (!e->is_kcfg)
			continue;
		if (!strcmp(e->name, "LINUX_KERNEL_VERSION")) {
			uint32_t v =
			    obj->kern_version ? obj->kern_version : running_kernel_version();
			if (e->kcfg_type != KCFG_INT || e->kcfg_size != 4)
				return exo_err(
				    EINVAL, "%s: extern LINUX_KERNEL_VERSION must be a 4-byte int",
				    obj->path);
			if ((err = set_int(obj, e, data, v, "LINUX_KERNEL_VERSION")))
				return err;
		} else if (!strcmp(e->name, "LINUX_HAS_BPF_COOKIE") ||
			   !strcmp(e->name, "LINUX_HAS_SYSCALL_WRAPPER")) {
			if ((err = set_int(obj, e, data, 1, e->name)))
				return err;
		} else if (!strncmp(e->name, "LINUX_", 6)) {
			return exo_err(EINVAL, "%s: extern '%s': unknown LINUX_ value", obj->path,
				       e->name);
		} else if (!strncmp(e->name, "CONFIG_", 7)) {
			need_config = true;
		} else {
			return exo_err(
			    EINVAL, "%s: extern (kcfg) '%s': only CONFIG_* and LINUX_* names exist",
			    obj->path, e->name);
		}
	}
	if (need_config && obj->kconfig && (err = kconfig_text(obj, data, obj->kconfig)))
		return err;
	need_config = false;
	for (uint32_t i = 0; i < obj->nr_externs; i++)
		need_config |= obj->externs[i].is_kcfg && !obj->externs[i].is_set;
	if (need_config && (err = kconfig_system(obj, data)))
		return err;
	for (uint32_t i = 0; i < obj->nr_externs; i++) {
		struct obj_extern *e = &obj->externs[i];
		if (e->is_set || e->is_weak)
			continue; /* weak and unset: zero */
		if (e->is_kcfg)
			return exo_err(
			    ESRCH,
			    "%s: extern (kcfg) '%s' (strong) has no value: give it in the "
			    "kconfig option or declare it __weak",
			    obj->path, e->name);
		return exo_err(ESRCH,
			       "%s: extern (ksym) '%s' (strong): kernel symbols are not available "
			       "in exobpf (declare it __weak to read it as 0)",
			       obj->path, e->name);
	}
	return 0;
}
