/* Loading an object: resolve externs, create (or reuse pinned) maps with
 * their initial values, relocate, create the programs, fill initial slots.
 * Any failure undoes everything, as libbpf's bpf_object__load does. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "core/prog.h"
#include "exobpf/map.h"
#include "loader/obj.h"
#include "maps/map.h"

/* Program slots in PROG_ARRAY maps come with the maps module's fd arrays;
 * until they are linked in, initial program slots are reported missing. */
extern int exo_map_prog_array_set(struct exo_map *map, uint32_t index, struct vm_prog *prog)
    __attribute__((weak));

struct exobpf_btf *ctx_btf(void);

void obj_release_runtime(struct exobpf_object *obj)
{
	/* a PROG_ARRAY may outlive us (pinned): take our programs out first */
	for (uint32_t i = 0; i < obj->nr_maps; i++) {
		struct exobpf_map *m = &obj->maps[i];
		for (uint32_t s = 0; m->fd >= 0 && s < m->nr_init; s++)
			if (m->init_progs[s] && m->init_progs[s]->prog)
				exobpf_map_set_prog(m->fd, s, NULL);
	}
	for (uint32_t i = 0; i < obj->nr_progs; i++) {
		exobpf_prog__free(obj->progs[i].prog);
		obj->progs[i].prog = NULL;
	}
	for (uint32_t i = 0; i < obj->nr_maps; i++) {
		struct exobpf_map *m = &obj->maps[i];
		if (m->live) {
			/* back to a private copy, so the host view outlives the map */
			uint8_t *copy = malloc(m->mmaped_size ? m->mmaped_size : 1);
			if (copy)
				memcpy(copy, m->mmaped, m->mmaped_size);
			m->mmaped = copy;
			exo_map_put(m->live);
			m->live = NULL;
		}
		if (m->inner && m->inner->fd >= 0) {
			close(m->inner->fd);
			m->inner->fd = -1;
		}
		if (m->fd >= 0)
			close(m->fd);
		m->fd = -1;
	}
}

static void fill_attr(union bpf_attr *attr, const struct exobpf_map *m)
{
	memset(attr, 0, sizeof(*attr));
	attr->map_type = m->def.type;
	attr->key_size = m->def.key_size;
	attr->value_size = m->def.value_size;
	attr->max_entries = m->def.max_entries;
	attr->map_flags = m->def.map_flags;
	attr->numa_node = m->def.numa_node;
	attr->map_extra = m->def.map_extra;
	snprintf(attr->map_name, sizeof(attr->map_name), "%s", m->name);
}

/* A pinned map is reused when it has the definition we would create. */
static int reuse_pinned(struct exobpf_object *obj, struct exobpf_map *m)
{
	struct bpf_map_info info;
	uint32_t len = sizeof(info);
	int fd = exobpf_obj_get(m->pin_path);

	if (fd < 0)
		return errno == ENOENT ? 0
				       : exo_err(errno, "%s: map '%s': pinned at %s: %s", obj->path,
						 m->name, m->pin_path, exobpf_errmsg());
	memset(&info, 0, sizeof(info));
	if (exobpf_map_get_info_by_fd(fd, &info, &len) || info.type != m->def.type ||
	    info.key_size != m->def.key_size || info.value_size != m->def.value_size ||
	    info.max_entries != m->def.max_entries || info.map_flags != m->def.map_flags) {
		close(fd);
		return exo_err(EINVAL,
			       "%s: map '%s': the map pinned at %s has a different definition",
			       obj->path, m->name, m->pin_path);
	}
	m->fd = fd;
	m->reused = m->pinned = true;
	return 1;
}

static int create_map(struct exobpf_object *obj, struct exobpf_map *m)
{
	union bpf_attr attr;
	int err;

	/* libbpf sizes a perf event array without max_entries to the possible
	 * CPUs; here that is the execution slots */
	if (m->def.type == BPF_MAP_TYPE_PERF_EVENT_ARRAY && !m->def.max_entries)
		m->def.max_entries = (uint32_t)exobpf_num_slots();
	if (m->pin_path && (err = reuse_pinned(obj, m)))
		return err < 0 ? err : 0;
	fill_attr(&attr, m);
	if (m->inner) {
		union bpf_attr in;
		fill_attr(&in, m->inner);
		m->inner->fd = exo_map_create_attr(&in);
		if (m->inner->fd < 0) {
			exo_err_prefix("%s: map '%s'", obj->path, m->inner->name);
			return m->inner->fd;
		}
		attr.inner_map_fd = (uint32_t)m->inner->fd;
	}
	m->fd = exo_map_create_attr(&attr);
	if (m->fd < 0) {
		exo_err_prefix("%s: map '%s'", obj->path, m->name);
		return m->fd;
	}
	if (m->mmaped) {
		uint32_t key = 0;
		size_t size;
		if ((err = exobpf_map_update_elem(m->fd, &key, m->mmaped, 0))) {
			exo_err_prefix("%s: map '%s': initial value", obj->path, m->name);
			return err;
		}
		if ((m->kind == MAP_RODATA || m->kind == MAP_KCONFIG) &&
		    (err = exobpf_map_freeze(m->fd))) {
			exo_err_prefix("%s: map '%s'", obj->path, m->name);
			return err;
		}
		/* from now on the host view is the map itself */
		struct exo_map *live = exo_map_get(m->fd);
		uint8_t *area = live ? exo_map_value_area(live, &size) : NULL;
		if (!area || size < m->mmaped_size) {
			exo_map_put(live);
			return exo_err(EINVAL, "%s: map '%s': no value area", obj->path, m->name);
		}
		free(m->mmaped);
		m->mmaped = area;
		m->live = live;
	}
	if (m->pin_path) {
		if ((err = exobpf_obj_pin(m->fd, m->pin_path))) {
			exo_err_prefix("%s: map '%s'", obj->path, m->name);
			return err;
		}
		m->pinned = true;
	}
	return 0;
}

static int fill_map_slots(struct exobpf_object *obj, struct exobpf_map *m)
{
	for (uint32_t s = 0; s < m->nr_init; s++) {
		int err;
		if (m->init_maps[s]) {
			uint32_t v = (uint32_t)m->init_maps[s]->fd;
			if ((err = exobpf_map_update_elem(m->fd, &s, &v, 0))) {
				exo_err_prefix("%s: map '%s': slot %u", obj->path, m->name, s);
				return err;
			}
		} else if (m->init_progs[s]) {
			struct exobpf_program *p = m->init_progs[s];
			if (!p->prog)
				return exo_err(EINVAL,
					       "%s: map '%s': slot %u: program %s is not loaded",
					       obj->path, m->name, s, p->name);
			err = exobpf_map_set_prog(m->fd, s, p->prog);
			if (err) {
				exo_err_prefix("%s: map '%s': slot %u", obj->path, m->name, s);
				return err;
			}
		}
	}
	return 0;
}

static int load_program(struct exobpf_object *obj, struct exobpf_program *p)
{
	if (!p->def && !p->type_set)
		return exo_err(EINVAL,
			       "%s: program '%s': section '%s' names no program type (unknown "
			       "SEC() name; see libbpf's section names)",
			       obj->path, p->name, p->sec_name);
	EXOBPF_OPTS(
	    exobpf_prog_opts, opts, .type = p->type, .name = p->name, .license = obj->license,
	    .expected_attach_type = p->expected_attach_type, .kern_version = obj->kern_version,
	    .prog_flags = p->prog_flags, .prog_btf = obj->btf, .func_info = p->func_info,
	    .func_info_cnt = p->func_info_cnt,
	    .func_info_rec_size = p->func_info_cnt ? sizeof(*p->func_info) : 0,
	    .line_info = p->line_info, .line_info_cnt = p->line_info_cnt,
	    .line_info_rec_size = p->line_info_cnt ? sizeof(*p->line_info) : 0,
	    .flags = p->load_flags, .log_buf = p->log_level ? p->log_buf : NULL,
	    .log_size = p->log_level ? (uint32_t)p->log_size : 0, .log_level = p->log_level);
	p->prog = exobpf_prog__new(p->insns, p->insns_cnt, &opts);
	if (!p->prog && p->log_level && p->log_buf) {
		int err = errno; /* the caller has the log */
		char msg[1024];

		snprintf(msg, sizeof(msg), "%s", exobpf_errmsg());
		return exo_err(err, "%s: program '%s': %s", obj->path, p->name, msg);
	}
	if (!p->prog) {
		int err = errno;
		char msg[1024];
		snprintf(msg, sizeof(msg), "%s", exobpf_errmsg());
		/* as libbpf does: load again with a log and show it, so the user sees
		 * why (with source lines where line info exists) */
		size_t log_size = 1 << 20;
		char *log = err == EACCES || err == EINVAL ? malloc(log_size) : NULL;
		if (log) {
			opts.log_buf = log;
			opts.log_size = (uint32_t)log_size;
			opts.log_level = 1;
			log[0] = '\0';
			struct exobpf_prog *again = exobpf_prog__new(p->insns, p->insns_cnt, &opts);
			exobpf_prog__free(again);
			if (log[0])
				exo_warn("%s: program '%s': -- BEGIN PROG LOAD LOG --\n%s-- END "
					 "PROG LOAD "
					 "LOG --\n",
					 obj->path, p->name, log);
			free(log);
		}
		return exo_err(err, "%s: program '%s': %s", obj->path, p->name, msg);
	}
	return 0;
}

static struct exobpf_btf *target_btf(struct exobpf_object *obj)
{
	if (!obj->has_ext || !obj->ext.core.nsecs)
		return NULL;
	if (obj->btf_custom_path)
		return exobpf_btf__parse(obj->btf_custom_path);
	return btf_get(ctx_btf());
}

static int fail(struct exobpf_object *obj, int err)
{
	int e = errno;
	obj_release_runtime(obj);
	obj->prepared = false;
	errno = e;
	return err;
}

EXOBPF_API int exobpf_object__prepare(struct exobpf_object *obj)
{
	struct exobpf_btf *target = NULL;
	int err;

	if (!obj)
		return exo_err(EINVAL, "exobpf_object__prepare: NULL object");
	if (obj->prepared || obj->loaded)
		return exo_err(EBUSY, "%s: already prepared", obj->path);
	/* relocation rewrites the programs in place: like libbpf, one attempt */
	if (obj->attempted)
		return exo_err(EBUSY, "%s: a failed load cannot be retried; open the object again",
			       obj->path);
	obj->attempted = true;
	if ((err = obj_resolve_externs(obj)))
		return err;
	if (obj->has_ext && obj->ext.core.nsecs && !(target = target_btf(obj))) {
		err = -errno;
		exo_err_prefix("%s: CO-RE target BTF", obj->path);
		return err;
	}
	for (uint32_t i = 0; i < obj->nr_maps && !err; i++)
		if (obj->maps[i].autocreate)
			err = create_map(obj, &obj->maps[i]);
	err = err ?: obj_relocate(obj, target);
	btf_put(target);
	if (err)
		return fail(obj, err);
	obj->prepared = true;
	return 0;
}

EXOBPF_API int exobpf_object__load(struct exobpf_object *obj)
{
	int err = 0;

	if (!obj)
		return exo_err(EINVAL, "exobpf_object__load: NULL object");
	if (obj->loaded)
		return exo_err(EBUSY, "%s: already loaded", obj->path);
	if (obj->attempted && !obj->prepared)
		return exo_err(EBUSY, "%s: a failed load cannot be retried; open the object again",
			       obj->path);
	if (!obj->prepared && (err = exobpf_object__prepare(obj)))
		return err;
	for (uint32_t i = 0; i < obj->nr_progs && !err; i++)
		if (!obj->progs[i].is_subprog && obj->progs[i].autoload)
			err = load_program(obj, &obj->progs[i]);
	for (uint32_t i = 0; i < obj->nr_maps && !err; i++)
		err = fill_map_slots(obj, &obj->maps[i]);
	if (err)
		return fail(obj, err);
	obj->loaded = true;
	return 0;
}

static int pin_path(char *buf, size_t size, const char *dir, const char *name)
{
	if ((size_t)snprintf(buf, size, "%s/%s", dir, name) >= size)
		return exo_err(ENAMETOOLONG, "%s/%s: path too long", dir, name);
	return 0;
}

EXOBPF_API int exobpf_map__pin(struct exobpf_map *map, const char *path)
{
	int err;

	if (map->fd < 0)
		return exo_err(EINVAL, "map %s: not created yet", map->name);
	if (!path)
		path = map->pin_path;
	if (!path)
		return exo_err(EINVAL, "map %s: no pin path", map->name);
	if (map->pinned && map->pin_path && !strcmp(map->pin_path, path))
		return 0;
	/* like libbpf, create the pin's directory (one level) */
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0700) && errno != EEXIST)
			return exo_err(errno, "map %s: cannot create %s: %s", map->name, dir,
				       strerror(errno));
	}
	if ((err = exobpf_obj_pin(map->fd, path)))
		return err;
	if ((err = exobpf_map__set_pin_path(map, path)))
		return err;
	map->pinned = true;
	return 0;
}

EXOBPF_API int exobpf_map__unpin(struct exobpf_map *map, const char *path)
{
	if (!path)
		path = map->pin_path;
	if (!path)
		return exo_err(EINVAL, "map %s: no pin path", map->name);
	if (unlink(path))
		return exo_err(errno, "map %s: unpin %s: %s", map->name, path, strerror(errno));
	map->pinned = false;
	return 0;
}

EXOBPF_API int exobpf_object__pin_maps(struct exobpf_object *obj, const char *dir)
{
	char buf[4096];
	int err;

	for (uint32_t i = 0; i < obj->nr_maps; i++) {
		struct exobpf_map *m = &obj->maps[i];
		const char *p = m->pin_path;
		if (dir) {
			if ((err = pin_path(buf, sizeof(buf), dir, m->name)))
				return err;
			p = buf;
		} else if (!p) {
			continue;
		}
		if ((err = exobpf_map__pin(m, p)))
			return err;
	}
	return 0;
}

EXOBPF_API int exobpf_object__unpin_maps(struct exobpf_object *obj, const char *dir)
{
	char buf[4096];
	int err;

	for (uint32_t i = 0; i < obj->nr_maps; i++) {
		struct exobpf_map *m = &obj->maps[i];
		const char *p = m->pin_path;
		if (dir) {
			if ((err = pin_path(buf, sizeof(buf), dir, m->name)))
				return err;
			p = buf;
		} else if (!p || !m->pinned) {
			continue;
		}
		if ((err = exobpf_map__unpin(m, p)))
			return err;
	}
	return 0;
}

/* Programs have no fds until the bpf() layer exists; pinning them is the
 * one thing objects cannot do yet, and says so. */
EXOBPF_API int exobpf_program__pin(struct exobpf_program *prog, const char *path)
{
	(void)path;
	return exo_err(ENOTSUP, "program %s: pinning programs needs program fds (the bpf() layer)",
		       prog->name);
}

EXOBPF_API int exobpf_program__unpin(struct exobpf_program *prog, const char *path)
{
	(void)path;
	return exo_err(ENOTSUP, "program %s: pinning programs needs program fds (the bpf() layer)",
		       prog->name);
}

EXOBPF_API int exobpf_object__pin_programs(struct exobpf_object *obj, const char *path)
{
	for (uint32_t i = 0; i < obj->nr_progs; i++)
		if (!obj->progs[i].is_subprog && obj->progs[i].prog)
			return exobpf_program__pin(&obj->progs[i], path);
	return 0;
}

EXOBPF_API int exobpf_object__unpin_programs(struct exobpf_object *obj, const char *path)
{
	for (uint32_t i = 0; i < obj->nr_progs; i++)
		if (!obj->progs[i].is_subprog && obj->progs[i].prog)
			return exobpf_program__unpin(&obj->progs[i], path);
	return 0;
}
