/* Opening an object: classify the ELF sections, read license and version,
 * parse BTF and .BTF.ext, split executable sections into programs at their
 * function symbols, then hand over to maps, externs and relocations. Nothing
 * is created in the runtime until exobpf_object__load. */
#include <errno.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/opts.h"
#include "loader/file.h"
#include "loader/obj.h"

static bool has_prefix(const char *s, const char *p)
{
	return !strncmp(s, p, strlen(p));
}

/* Programs in the order libbpf keeps them: by section, then by offset. */
static int cmp_progs(const void *a, const void *b)
{
	const struct exobpf_program *x = a, *y = b;

	if (x->sec_idx != y->sec_idx)
		return x->sec_idx < y->sec_idx ? -1 : 1;
	return x->sec_insn_off < y->sec_insn_off ? -1 : x->sec_insn_off > y->sec_insn_off;
}

static int add_program(struct exobpf_object *obj, const struct elf_sec *sec,
		       const struct elf_sym *sym)
{
	const char *path = obj->path;
	struct exobpf_program *p;

	if (sym->value % 8 || sym->size % 8)
		return exo_err(EINVAL,
			       "%s: section %s: function %s at offset %#llx (size %llu) is not "
			       "made of whole 8-byte instructions",
			       path, sec->name, sym->name, (unsigned long long)sym->value,
			       (unsigned long long)sym->size);
	if (!sym->size)
		return exo_err(EINVAL, "%s: section %s: function %s at offset %#llx has size 0",
			       path, sec->name, sym->name, (unsigned long long)sym->value);
	if (sym->value > sec->size || sym->size > sec->size - sym->value)
		return exo_err(EINVAL,
			       "%s: section %s: function %s [%#llx, +%llu) crosses the end of "
			       "the section (%llu bytes)",
			       path, sec->name, sym->name, (unsigned long long)sym->value,
			       (unsigned long long)sym->size, (unsigned long long)sec->size);
	if ((int)sec->idx != obj->text_sec && sym->bind == STB_LOCAL)
		return exo_err(ENOTSUP,
			       "%s: section %s: program '%s' is static, which libbpf does not "
			       "support either (make it global)",
			       path, sec->name, sym->name);
	if (obj->nr_progs % 16 == 0) {
		void *n = realloc(obj->progs, (obj->nr_progs + 16) * sizeof(*obj->progs));
		if (!n)
			return exo_err(ENOMEM, "%s: out of memory", path);
		obj->progs = n;
	}
	p = &obj->progs[obj->nr_progs];
	memset(p, 0, sizeof(*p));
	p->obj = obj;
	p->sec_idx = (int)sec->idx;
	p->sec_insn_off = (uint32_t)(sym->value / 8);
	p->sec_insn_cnt = (uint32_t)(sym->size / 8);
	p->is_subprog = (int)sec->idx == obj->text_sec;
	p->autoload = !p->is_subprog;
	/* hidden global functions are static as far as the verifier is concerned */
	p->mark_btf_static = sym->bind != STB_LOCAL &&
			     (sym->visibility == STV_HIDDEN || sym->visibility == STV_INTERNAL);
	p->name = strdup(sym->name);
	p->sec_name = strdup(sec->name);
	p->insns = malloc(sym->size);
	if (!p->name || !p->sec_name || !p->insns) {
		free(p->name);
		free(p->sec_name);
		free(p->insns);
		return exo_err(ENOMEM, "%s: out of memory", path);
	}
	memcpy(p->insns, sec->data + sym->value, sym->size);
	p->insns_cnt = p->sec_insn_cnt;
	obj->nr_progs++;
	if (p->is_subprog)
		return 0;
	const char *sname = sec->name;
	if (sname[0] == '?') { /* libbpf: declared but not loaded unless asked */
		p->autoload = false;
		sname++;
	}
	p->def = sec_def_find(sname);
	if (p->def) {
		p->type = p->def->prog_type;
		p->expected_attach_type = p->def->attach_type;
		p->attach_target = sec_def_target(p->def, sname);
		if (p->def->flags & SEC_SLEEPABLE)
			p->prog_flags |= BPF_F_SLEEPABLE;
		if (p->def->flags & SEC_XDP_FRAGS)
			p->prog_flags |= 1u << 5; /* BPF_F_XDP_HAS_FRAGS */
	}
	return 0;
}

static int init_programs(struct exobpf_object *obj)
{
	for (size_t i = 1; i < obj->elf.nsecs; i++) {
		const struct elf_sec *sec = &obj->elf.secs[i];
		bool any = false;

		if (sec->type != SHT_PROGBITS || !(sec->flags & SHF_EXECINSTR) || !sec->size)
			continue;
		if (sec->size % 8)
			return exo_err(EINVAL,
				       "%s: section %s: %llu bytes is not a whole number of "
				       "8-byte instructions",
				       obj->path, sec->name, (unsigned long long)sec->size);
		for (size_t s = 0; s < obj->elf.nsyms; s++) {
			const struct elf_sym *sym = &obj->elf.syms[s];
			int err;

			if (sym->shndx != i || sym->type != STT_FUNC)
				continue;
			if ((err = add_program(obj, sec, sym)))
				return err;
			any = true;
		}
		if (!any && (int)i != obj->text_sec)
			return exo_err(EINVAL, "%s: section %s: code without any function symbol",
				       obj->path, sec->name);
	}
	if (obj->nr_progs)
		qsort(obj->progs, obj->nr_progs, sizeof(*obj->progs), cmp_progs);
	for (uint32_t i = 1; i < obj->nr_progs; i++) {
		const struct exobpf_program *a = &obj->progs[i - 1], *b = &obj->progs[i];
		if (a->sec_idx == b->sec_idx && a->sec_insn_off + a->sec_insn_cnt > b->sec_insn_off)
			return exo_err(EINVAL, "%s: section %s: functions %s and %s overlap",
				       obj->path, a->sec_name, a->name, b->name);
	}
	/* hidden global functions are static to the verifier: say so in BTF, as
	 * libbpf does before loading it */
	for (uint32_t i = 0; obj->btf && i < obj->nr_progs; i++) {
		int id = obj->progs[i].mark_btf_static
			     ? btf_find(obj->btf, obj->progs[i].name, BTF_KIND_FUNC)
			     : -1;
		if (id > 0) {
			struct btf_type *t = obj->btf->types[id];
			t->info = (t->info & ~0xffffu) | BTF_FUNC_STATIC;
		}
	}
	for (uint32_t i = 0; i < obj->nr_progs; i++)
		for (uint32_t j = 0; j < obj->nr_progs; j++)
			if (i != j && !strcmp(obj->progs[i].name, obj->progs[j].name))
				return exo_err(EINVAL, "%s: two functions are named '%s'",
					       obj->path, obj->progs[i].name);
	return 0;
}

static const struct elf_sym *find_var_sym(const struct exobpf_object *obj, const char *name)
{
	for (size_t i = 0; i < obj->elf.nsyms; i++) {
		const struct elf_sym *s = &obj->elf.syms[i];
		if ((s->type == STT_OBJECT || s->type == STT_NOTYPE) &&
		    (s->bind == STB_GLOBAL || s->bind == STB_WEAK || s->bind == STB_LOCAL) &&
		    s->shndx != SHN_UNDEF && !strcmp(s->name, name))
			return s;
	}
	return NULL;
}

static int cmp_secinfo(const void *a, const void *b)
{
	const struct btf_var_secinfo *x = a, *y = b;
	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* Clang leaves DATASEC sizes (and, in older versions, variable offsets) for
 * the loader to fill in from the ELF, as libbpf does before BTF_LOAD. */
static int fixup_datasecs(struct exobpf_object *obj)
{
	struct exobpf_btf *btf = obj->btf;

	for (uint32_t id = 1; id < btf->nr; id++) {
		struct btf_type *t = btf->types[id];
		const char *name = btf_name(btf, t);

		if (btf_kind(t) != BTF_KIND_DATASEC)
			continue;
		if (strcmp(name, ".kconfig") && strcmp(name, ".ksyms")) {
			const struct elf_sec *sec = elf_sec_by_name(&obj->elf, name);
			if (!sec)
				return exo_err(ENOENT, "%s: BTF DATASEC '%s' has no ELF section",
					       obj->path, name);
			if (sec->size > UINT32_MAX)
				return exo_err(E2BIG, "%s: section %s is too large", obj->path,
					       name);
			t->size = (uint32_t)sec->size;
			for (uint32_t i = 0; i < btf_vlen(t); i++) {
				struct btf_var_secinfo *v = &btf_secinfos(t)[i];
				const struct btf_type *var = btf_type(btf, v->type);
				const struct btf_var *vp = btf_payload(var);
				if (btf_kind(var) != BTF_KIND_VAR || vp->linkage == BTF_VAR_STATIC)
					continue;
				const struct elf_sym *sym = find_var_sym(obj, btf_name(btf, var));
				if (!sym)
					return exo_err(
					    ENOENT, "%s: section %s: variable '%s' has no symbol",
					    obj->path, name, btf_name(btf, var));
				v->offset = (uint32_t)sym->value;
			}
		}
		if (btf_vlen(t))
			qsort(btf_secinfos(t), btf_vlen(t), sizeof(struct btf_var_secinfo),
			      cmp_secinfo);
		for (uint32_t i = 0; i < btf_vlen(t); i++) {
			const struct btf_var_secinfo *v = &btf_secinfos(t)[i];
			if ((uint64_t)v->offset + v->size > t->size && strcmp(name, ".kconfig") &&
			    strcmp(name, ".ksyms"))
				return exo_err(EINVAL,
					       "%s: BTF DATASEC '%s': variable %u [%u, +%u) is "
					       "outside the section (%u bytes)",
					       obj->path, name, i, v->offset, v->size, t->size);
		}
	}
	return 0;
}

static int init_btf(struct exobpf_object *obj, const struct elf_sec *btf_sec,
		    const struct elf_sec *ext_sec)
{
	char label[600];
	int err;

	if (!btf_sec)
		return 0;
	snprintf(label, sizeof(label), "%s: section .BTF", obj->path);
	obj->btf = btf_parse(btf_sec->data, btf_sec->size, label);
	if (!obj->btf)
		return -errno;
	if ((err = fixup_datasecs(obj)))
		return err;
	if (ext_sec && ext_sec->data) {
		snprintf(label, sizeof(label), "%s: section .BTF.ext", obj->path);
		if ((err = btf_ext_parse(&obj->ext, ext_sec->data, ext_sec->size, obj->btf, label)))
			return err;
		obj->has_ext = true;
	}
	return 0;
}

static int scan_sections(struct exobpf_object *obj, const struct elf_sec **btf_sec,
			 const struct elf_sec **ext_sec)
{
	for (size_t i = 1; i < obj->elf.nsecs; i++) {
		const struct elf_sec *s = &obj->elf.secs[i];

		if (s->type == SHT_NOBITS || s->type == SHT_NULL)
			continue;
		if (!strcmp(s->name, "license")) {
			size_t n =
			    s->size < sizeof(obj->license) - 1 ? s->size : sizeof(obj->license) - 1;
			memcpy(obj->license, s->data, n);
			obj->license[n] = '\0';
		} else if (!strcmp(s->name, "version")) {
			if (s->size != 4)
				return exo_err(EINVAL,
					       "%s: section version: %llu bytes, expected 4",
					       obj->path, (unsigned long long)s->size);
			memcpy(&obj->kern_version, s->data, 4);
		} else if (!strcmp(s->name, "maps")) {
			obj->legacy_maps_sec = (int)i;
		} else if (!strcmp(s->name, ".maps")) {
			obj->maps_sec = (int)i;
		} else if (!strcmp(s->name, ".BTF")) {
			*btf_sec = s;
		} else if (!strcmp(s->name, ".BTF.ext")) {
			*ext_sec = s;
		} else if (!strcmp(s->name, ".text") && (s->flags & SHF_EXECINSTR)) {
			obj->text_sec = (int)i;
		} else if (!strcmp(s->name, ".struct_ops") || has_prefix(s->name, ".struct_ops.")) {
			return exo_err(ENOTSUP, "%s: section %s: struct_ops maps are not supported",
				       obj->path, s->name);
		}
	}
	return 0;
}

static void obj_name(struct exobpf_object *obj, const char *path, const char *given)
{
	const char *base = given;

	if (!base) {
		base = strrchr(path, '/');
		base = base ? base + 1 : path;
	}
	snprintf(obj->name, sizeof(obj->name), "%s", base);
	if (!given) { /* libbpf: the file name up to its first dot */
		char *dot = strchr(obj->name, '.');
		if (dot)
			*dot = '\0';
	}
}

static struct exobpf_object *open_buf(uint8_t *buf, size_t size, const char *path,
				      const struct exobpf_object_open_opts *opts)
{
	const struct elf_sec *btf_sec = NULL, *ext_sec = NULL;
	struct exobpf_object *obj = calloc(1, sizeof(*obj));
	int err;

	if (!obj) {
		free(buf);
		exo_err(ENOMEM, "%s: out of memory", path);
		return NULL;
	}
	obj->buf = buf;
	obj->size = size;
	obj->maps_sec = obj->legacy_maps_sec = obj->text_sec = obj->kconfig_map_idx = -1;
	obj->path = strdup(path);
	obj_name(obj, path, OPT(opts, object_name, NULL));
	obj->kern_version = OPT(opts, kern_version, 0);
	const char *kc = OPT(opts, kconfig, NULL), *bp = OPT(opts, btf_custom_path, NULL);
	const char *pin = OPT(opts, pin_root_path, NULL);
	if (!obj->path || (kc && !(obj->kconfig = strdup(kc))) ||
	    (bp && !(obj->btf_custom_path = strdup(bp))) ||
	    (pin && !(obj->pin_root_path = strdup(pin)))) {
		exobpf_object__close(obj);
		exo_err(ENOMEM, "%s: out of memory", path);
		return NULL;
	}
	uint32_t opt_kver = obj->kern_version;
	err = elf_open(&obj->elf, obj->path, obj->buf, obj->size);
	err = err ?: scan_sections(obj, &btf_sec, &ext_sec);
	if (!err && opt_kver)
		obj->kern_version = opt_kver;
	err = err ?: init_btf(obj, btf_sec, ext_sec);
	err = err ?: init_programs(obj);
	err = err ?: obj_collect_externs(obj);
	err = err ?: obj_init_maps(obj);
	err = err ?: obj_collect_relos(obj);
	err = err ?: obj_init_map_slots(obj);
	if (err) {
		int e = errno;
		exobpf_object__close(obj);
		errno = e;
		return NULL;
	}
	return obj;
}

EXOBPF_API struct exobpf_object *
exobpf_object__open_file(const char *path, const struct exobpf_object_open_opts *opts)
{
	uint8_t *buf;
	size_t size;

	if (!path)
		return exo_err(EINVAL, "exobpf_object__open_file: NULL path"), NULL;
	if (!OPTS_VALID(opts, exobpf_object_open_opts))
		return NULL;
	if (file_read(path, &buf, &size))
		return NULL;
	return open_buf(buf, size, path, opts);
}

EXOBPF_API struct exobpf_object *exobpf_object__open_mem(const void *mem, size_t size,
							 const struct exobpf_object_open_opts *opts)
{
	char name[64];
	uint8_t *buf;

	if (!mem || !size)
		return exo_err(EINVAL, "exobpf_object__open_mem: no object"), NULL;
	if (!OPTS_VALID(opts, exobpf_object_open_opts))
		return NULL;
	buf = malloc(size);
	if (!buf)
		return exo_err(ENOMEM, "out of memory for a %zu-byte object", size), NULL;
	memcpy(buf, mem, size);
	/* libbpf names in-memory objects after their address */
	snprintf(name, sizeof(name), "%lx-%lx", (unsigned long)(uintptr_t)mem, (unsigned long)size);
	return open_buf(buf, size, name, opts);
}

int obj_add_map(struct exobpf_object *obj, struct exobpf_map **out)
{
	if (obj->nr_maps % 8 == 0) {
		void *n = realloc(obj->maps, (obj->nr_maps + 8) * sizeof(*obj->maps));
		if (!n)
			return exo_err(ENOMEM, "%s: out of memory", obj->path);
		obj->maps = n;
	}
	struct exobpf_map *m = &obj->maps[obj->nr_maps++];
	memset(m, 0, sizeof(*m));
	m->obj = obj;
	m->fd = -1;
	m->sec_idx = -1;
	m->autocreate = true;
	*out = m;
	return 0;
}

static void free_map(struct exobpf_map *m)
{
	if (m->inner) {
		free_map(m->inner);
		free(m->inner);
	}
	free(m->name);
	free(m->real_name);
	free(m->init_progs);
	free(m->init_maps);
	if (!m->live)
		free(m->mmaped);
	free(m->pin_path);
}

void obj_release_runtime(struct exobpf_object *obj);

EXOBPF_API void exobpf_object__close(struct exobpf_object *obj)
{
	if (!obj)
		return;
	obj_release_runtime(obj);
	for (uint32_t i = 0; i < obj->nr_progs; i++) {
		struct exobpf_program *p = &obj->progs[i];
		free(p->name);
		free(p->sec_name);
		free(p->insns);
		free(p->relos);
		free(p->func_info);
		free(p->line_info);
		free(p->pin_path);
	}
	for (uint32_t i = 0; i < obj->nr_maps; i++)
		free_map(&obj->maps[i]);
	free(obj->progs);
	free(obj->maps);
	free(obj->externs);
	if (obj->has_ext)
		btf_ext_free(&obj->ext);
	btf_put(obj->btf);
	elf_close(&obj->elf);
	free(obj->buf);
	free(obj->path);
	free(obj->kconfig);
	free(obj->btf_custom_path);
	free(obj->pin_root_path);
	free(obj);
}

/* ---- getters ---- */

EXOBPF_API const char *exobpf_object__name(const struct exobpf_object *obj)
{
	return obj->name;
}

EXOBPF_API const char *exobpf_object__license(const struct exobpf_object *obj)
{
	return obj->license;
}

EXOBPF_API uint32_t exobpf_object__kversion(const struct exobpf_object *obj)
{
	return obj->kern_version;
}

EXOBPF_API struct exobpf_btf *exobpf_object__btf(const struct exobpf_object *obj)
{
	return obj->btf;
}

EXOBPF_API struct exobpf_program *
exobpf_object__find_program_by_name(const struct exobpf_object *obj, const char *name)
{
	for (uint32_t i = 0; obj && name && i < obj->nr_progs; i++)
		if (!obj->progs[i].is_subprog && !strcmp(obj->progs[i].name, name))
			return &obj->progs[i];
	exo_err(ENOENT, "%s: no program named '%s'", obj ? obj->path : "?", name ? name : "");
	return NULL;
}

EXOBPF_API struct exobpf_map *exobpf_object__find_map_by_name(const struct exobpf_object *obj,
							      const char *name)
{
	for (uint32_t i = 0; obj && name && i < obj->nr_maps; i++) {
		struct exobpf_map *m = &obj->maps[i];
		/* ".data"-style names match internal maps by their section */
		if (name[0] == '.') {
			if (m->kind != MAP_USER && !strcmp(m->real_name, name))
				return m;
			continue;
		}
		if (!strcmp(m->name, name) || (m->kind == MAP_USER && !strcmp(m->real_name, name)))
			return m;
	}
	exo_err(ENOENT, "%s: no map named '%s'", obj ? obj->path : "?", name ? name : "");
	return NULL;
}

EXOBPF_API struct exobpf_program *exobpf_object__next_program(const struct exobpf_object *obj,
							      const struct exobpf_program *prev)
{
	uint32_t i = prev ? (uint32_t)(prev - obj->progs) + 1 : 0;

	for (; i < obj->nr_progs; i++)
		if (!obj->progs[i].is_subprog)
			return &obj->progs[i];
	return NULL;
}

EXOBPF_API struct exobpf_map *exobpf_object__next_map(const struct exobpf_object *obj,
						      const struct exobpf_map *prev)
{
	uint32_t i = prev ? (uint32_t)(prev - obj->maps) + 1 : 0;
	return i < obj->nr_maps ? &obj->maps[i] : NULL;
}

EXOBPF_API const char *exobpf_program__name(const struct exobpf_program *prog)
{
	return prog->name;
}

EXOBPF_API const char *exobpf_program__section_name(const struct exobpf_program *prog)
{
	return prog->sec_name;
}

EXOBPF_API enum bpf_prog_type exobpf_program__type(const struct exobpf_program *prog)
{
	return prog->type;
}

EXOBPF_API int exobpf_program__set_type(struct exobpf_program *prog, enum bpf_prog_type type)
{
	if (prog->obj->loaded)
		return exo_err(EBUSY, "%s: already loaded", prog->name);
	prog->type = type;
	prog->type_set = true;
	return 0;
}

EXOBPF_API enum bpf_attach_type
exobpf_program__expected_attach_type(const struct exobpf_program *prog)
{
	return prog->expected_attach_type;
}

EXOBPF_API int exobpf_program__set_expected_attach_type(struct exobpf_program *prog,
							enum bpf_attach_type type)
{
	if (prog->obj->loaded)
		return exo_err(EBUSY, "%s: already loaded", prog->name);
	prog->expected_attach_type = type;
	return 0;
}

EXOBPF_API const char *exobpf_program__attach_target(const struct exobpf_program *prog)
{
	return prog->attach_target;
}

EXOBPF_API bool exobpf_program__autoload(const struct exobpf_program *prog)
{
	return prog->autoload;
}

EXOBPF_API int exobpf_program__set_autoload(struct exobpf_program *prog, bool autoload)
{
	if (prog->obj->loaded)
		return exo_err(EBUSY, "%s: already loaded", prog->name);
	prog->autoload = autoload;
	return 0;
}

EXOBPF_API int exobpf_program__set_log_buf(struct exobpf_program *prog, char *log_buf,
					   size_t log_size)
{
	if ((log_size && !log_buf) || (log_buf && !log_size) || log_size > UINT32_MAX)
		return exo_err(EINVAL, "%s: log buffer and size must be given together",
			       prog->name);
	prog->log_buf = log_buf;
	prog->log_size = log_size;
	return 0;
}

EXOBPF_API int exobpf_program__set_log_level(struct exobpf_program *prog, uint32_t log_level)
{
	if (prog->obj->loaded)
		return exo_err(EBUSY, "%s: already loaded", prog->name);
	prog->log_level = log_level;
	return 0;
}

EXOBPF_API int exobpf_program__set_load_flags(struct exobpf_program *prog, uint32_t flags)
{
	const uint32_t known =
	    EXOBPF_PROG_INTERP | EXOBPF_PROG_NO_VERIFY | EXOBPF_PROG_UNPRIV | EXOBPF_PROG_JIT_BLIND;

	if (!prog)
		return exo_err(EINVAL, "exobpf_program__set_load_flags: no program");
	if (flags & ~known)
		return exo_err(EINVAL, "%s: load flags %#x: unknown bits %#x", prog->name, flags,
			       flags & ~known);
	if (prog->obj->loaded)
		return exo_err(EBUSY, "%s: already loaded", prog->name);
	prog->load_flags = flags;
	return 0;
}

EXOBPF_API uint32_t exobpf_program__load_flags(const struct exobpf_program *prog)
{
	return prog ? prog->load_flags : 0;
}

EXOBPF_API const struct bpf_insn *exobpf_program__insns(const struct exobpf_program *prog)
{
	return prog->insns;
}

EXOBPF_API size_t exobpf_program__insn_cnt(const struct exobpf_program *prog)
{
	return prog->insns_cnt;
}

EXOBPF_API struct exobpf_prog *exobpf_program__prog(const struct exobpf_program *prog)
{
	return prog->prog;
}

EXOBPF_API const char *exobpf_program__line(const struct exobpf_program *prog, size_t idx,
					    uint32_t *line, uint32_t *col)
{
	const struct btf_ext_line *best = NULL;

	for (uint32_t i = 0; i < prog->line_info_cnt; i++)
		if (prog->line_info[i].insn_off <= idx &&
		    (!best || prog->line_info[i].insn_off >= best->insn_off))
			best = &prog->line_info[i];
	if (!best || !prog->obj->btf)
		return NULL;
	if (line)
		*line = BPF_LINE_INFO_LINE_NUM(best->line_col);
	if (col)
		*col = BPF_LINE_INFO_LINE_COL(best->line_col);
	return btf_str(prog->obj->btf, best->line_off);
}

EXOBPF_API const char *exobpf_map__name(const struct exobpf_map *map)
{
	return map->name;
}

EXOBPF_API enum bpf_map_type exobpf_map__type(const struct exobpf_map *map)
{
	return map->def.type;
}

EXOBPF_API uint32_t exobpf_map__key_size(const struct exobpf_map *map)
{
	return map->def.key_size;
}

EXOBPF_API uint32_t exobpf_map__value_size(const struct exobpf_map *map)
{
	return map->def.value_size;
}

EXOBPF_API uint32_t exobpf_map__max_entries(const struct exobpf_map *map)
{
	return map->def.max_entries;
}

EXOBPF_API uint32_t exobpf_map__map_flags(const struct exobpf_map *map)
{
	return map->def.map_flags;
}

EXOBPF_API uint32_t exobpf_map__numa_node(const struct exobpf_map *map)
{
	return map->def.numa_node;
}

EXOBPF_API uint64_t exobpf_map__map_extra(const struct exobpf_map *map)
{
	return map->def.map_extra;
}

EXOBPF_API uint32_t exobpf_map__btf_key_type_id(const struct exobpf_map *map)
{
	return map->def.btf_key_type_id;
}

EXOBPF_API uint32_t exobpf_map__btf_value_type_id(const struct exobpf_map *map)
{
	return map->def.btf_value_type_id;
}

static int map_settable(const struct exobpf_map *map)
{
	return map->obj->prepared ? exo_err(EBUSY, "map %s: already created", map->name) : 0;
}

EXOBPF_API int exobpf_map__set_max_entries(struct exobpf_map *map, uint32_t n)
{
	int err = map_settable(map);
	if (!err)
		map->def.max_entries = n;
	return err;
}

EXOBPF_API int exobpf_map__set_map_flags(struct exobpf_map *map, uint32_t flags)
{
	int err = map_settable(map);
	if (!err)
		map->def.map_flags = flags;
	return err;
}

EXOBPF_API int exobpf_map__set_value_size(struct exobpf_map *map, uint32_t size)
{
	int err = map_settable(map);
	if (err)
		return err;
	if (map->mmaped) {
		uint8_t *n = realloc(map->mmaped, size ? size : 1);
		if (!n)
			return exo_err(ENOMEM, "map %s: out of memory", map->name);
		if (size > map->mmaped_size)
			memset(n + map->mmaped_size, 0, size - map->mmaped_size);
		map->mmaped = n;
		map->mmaped_size = size;
	}
	map->def.value_size = size;
	return 0;
}

EXOBPF_API bool exobpf_map__is_internal(const struct exobpf_map *map)
{
	return map->kind != MAP_USER;
}

EXOBPF_API struct exobpf_map *exobpf_map__inner_map(struct exobpf_map *map)
{
	return map->inner;
}

EXOBPF_API int exobpf_map__fd(const struct exobpf_map *map)
{
	return map->fd >= 0 ? map->fd : exo_err(EINVAL, "map %s: not created yet", map->name);
}

EXOBPF_API void *exobpf_map__initial_value(struct exobpf_map *map, size_t *size)
{
	if (!map->mmaped)
		return NULL;
	if (size)
		*size = map->mmaped_size;
	return map->mmaped;
}

EXOBPF_API int exobpf_map__set_initial_value(struct exobpf_map *map, const void *data, size_t size)
{
	if (map->obj->prepared)
		return exo_err(EBUSY, "map %s: already created", map->name);
	if (!map->mmaped || size != map->mmaped_size)
		return exo_err(EINVAL, "map %s: initial value of %zu bytes does not match %zu",
			       map->name, size, map->mmaped_size);
	memcpy(map->mmaped, data, size);
	return 0;
}

EXOBPF_API const char *exobpf_map__pin_path(const struct exobpf_map *map)
{
	return map->pin_path;
}

EXOBPF_API int exobpf_map__set_pin_path(struct exobpf_map *map, const char *path)
{
	char *p = path ? strdup(path) : NULL;
	if (path && !p)
		return exo_err(ENOMEM, "out of memory");
	free(map->pin_path);
	map->pin_path = p;
	return 0;
}

EXOBPF_API bool exobpf_map__is_pinned(const struct exobpf_map *map)
{
	return map->pinned;
}
