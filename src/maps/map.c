/* BPF_MAP_CREATE and the map commands from user space, with Linux's checks in
 * Linux's order (kernel/bpf/syscall.c), and the program-side entry points the
 * helpers call. The types' own rules live in their ops. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>

#include "core/opts.h"
#include "exobpf/map.h"
#include "maps/internal.h"

#define ATTR_END(field) (offsetof(union bpf_attr, field) + sizeof(((union bpf_attr *)0)->field))

/* Linux's CHECK_ATTR: bytes after the command's last field must be zero. */
static bool attr_tail_zero(const union bpf_attr *attr, size_t end)
{
	const uint8_t *p = (const uint8_t *)attr;

	for (size_t i = end; i < sizeof(*attr); i++)
		if (p[i])
			return false;
	return true;
}

static int check_name(const char *name, char *out)
{
	size_t i;

	for (i = 0; i < BPF_OBJ_NAME_LEN && name[i]; i++) {
		if (!isalnum((unsigned char)name[i]) && name[i] != '_' && name[i] != '.')
			return exo_err(EINVAL,
				       "map_create: map_name: character 0x%02x at %zu is not "
				       "alphanumeric, '_' or '.'",
				       (unsigned char)name[i], i);
		out[i] = name[i];
	}
	if (i == BPF_OBJ_NAME_LEN)
		return exo_err(EINVAL, "map_create: map_name is not NUL-terminated within %d bytes",
			       BPF_OBJ_NAME_LEN);
	out[i] = '\0';
	return 0;
}

static int create_checks(const union bpf_attr *attr, const struct exo_map_ext *ext)
{
	const struct map_ops *ops;
	int err;

	if (!attr_tail_zero(attr, ATTR_END(map_extra)))
		return exo_err(EINVAL, "map_create: attribute bytes after map_extra must be zero");
	if (attr->btf_vmlinux_value_type_id)
		return exo_err(EINVAL,
			       "map_create: btf_vmlinux_value_type_id is only for struct_ops maps");
	if (attr->map_type != BPF_MAP_TYPE_BLOOM_FILTER && attr->map_extra)
		return exo_err(EINVAL, "map_create: map_extra is only for bloom filters");
	if ((attr->map_flags & BPF_F_RDONLY) && (attr->map_flags & BPF_F_WRONLY))
		return exo_err(EINVAL,
			       "map_create: map_flags: BPF_F_RDONLY and BPF_F_WRONLY together");
	if ((attr->map_flags & BPF_F_NUMA_NODE) && attr->numa_node != 0)
		return exo_err(EINVAL,
			       "map_create: numa_node %u is not an online node (exobpf has node 0)",
			       attr->numa_node);
	ops = map_ops_of(attr->map_type);
	if (!ops)
		return exo_err(EINVAL,
			       "map_create: map_type %u is not a map type exobpf implements",
			       attr->map_type);
	if ((err = ops->check(attr))) {
		exo_err_prefix("map_create: %s", map_type_name(attr->map_type));
		return err;
	}
	if (ext && ext->has_spin_lock) {
		if (attr->map_type != BPF_MAP_TYPE_HASH && attr->map_type != BPF_MAP_TYPE_ARRAY &&
		    attr->map_type != BPF_MAP_TYPE_LRU_HASH)
			return exo_err(EOPNOTSUPP,
				       "map_create: %s maps cannot hold a bpf_spin_lock",
				       map_type_name(attr->map_type));
		if ((uint64_t)ext->spin_lock_off + 4 > attr->value_size || ext->spin_lock_off % 4)
			return exo_err(EINVAL,
				       "map_create: bpf_spin_lock at offset %u does not fit an "
				       "aligned 4 bytes in value_size %u",
				       ext->spin_lock_off, attr->value_size);
	}
	return 0;
}

/* The map-in-map template's parameters, from the inner map given at
 * creation (Linux's bpf_map_meta_alloc). */
static int inner_template(struct exo_map *map, uint32_t inner_fd)
{
	struct exo_map *inner = exo_map_get((int)inner_fd);
	struct map_hdr *h = map->hdr;
	int err = 0;

	if (!inner) {
		exo_err_prefix("map_create: inner_map_fd");
		return -errno;
	}
	if (inner->type == BPF_MAP_TYPE_ARRAY_OF_MAPS || inner->type == BPF_MAP_TYPE_HASH_OF_MAPS)
		err = exo_err(EINVAL, "map_create: inner_map_fd %u: maps of maps cannot nest",
			      inner_fd);
	else if (inner->type == BPF_MAP_TYPE_PROG_ARRAY || inner->spin_lock_off >= 0)
		err = exo_err(ENOTSUPP_,
			      "map_create: inner_map_fd %u: a %s map cannot be an inner map",
			      inner_fd, map_type_name(inner->type));
	if (!err) {
		h->inner_type = inner->type;
		h->inner_key_size = inner->key_size;
		h->inner_value_size = inner->value_size;
		h->inner_max_entries = inner->max_entries;
		h->inner_flags = inner->flags;
	}
	exo_map_put(inner);
	return err;
}

int exo_map_create_ext(const union bpf_attr *attr, const struct exo_map_ext *ext)
{
	struct exo_map probe = {0}, *map;
	char name[BPF_OBJ_NAME_LEN] = "", why[256];
	struct map_hdr hdr = {0};
	uint64_t data;
	int err, fd;

	if (!attr)
		return exo_err(EINVAL, "map_create: no attributes");
	if ((err = create_checks(attr, ext)) || (err = check_name(attr->map_name, name)))
		return err;

	/* Size the file from the parameters alone, as every opener will. */
	hdr.magic = MAP_MAGIC;
	hdr.version = MAP_VERSION;
	hdr.hdr_size = sizeof(hdr);
	hdr.type = attr->map_type;
	hdr.key_size = attr->key_size;
	hdr.value_size = attr->value_size;
	hdr.max_entries = attr->max_entries;
	hdr.flags = attr->map_flags;
	hdr.numa_node = attr->map_flags & BPF_F_NUMA_NODE ? attr->numa_node : 0;
	hdr.map_extra = attr->map_extra;
	hdr.nslots = exo_map_default_slots();
	if ((hdr.type == BPF_MAP_TYPE_LRU_HASH || hdr.type == BPF_MAP_TYPE_LRU_PERCPU_HASH) &&
	    (hdr.flags & BPF_F_NO_COMMON_LRU)) {
		/* Linux: every CPU's LRU list gets an equal share, at least one */
		uint64_t r = ((uint64_t)hdr.max_entries + hdr.nslots - 1) / hdr.nslots * hdr.nslots;
		hdr.max_entries =
		    r > UINT32_MAX ? hdr.max_entries / hdr.nslots * hdr.nslots : (uint32_t)r;
	}
	hdr.spin_lock_off = ext && ext->has_spin_lock ? (int32_t)ext->spin_lock_off : -1;
	hdr.btf_key_type_id = attr->btf_key_type_id;
	hdr.btf_value_type_id = attr->btf_value_type_id;
	hdr.btf_id = ext ? ext->btf_id : 0;
	memcpy(hdr.name, name, sizeof(hdr.name));
	if ((hdr.type == BPF_MAP_TYPE_ARRAY_OF_MAPS || hdr.type == BPF_MAP_TYPE_HASH_OF_MAPS) &&
	    (err = inner_template(&(struct exo_map){.hdr = &hdr}, attr->inner_map_fd)))
		return err;
	probe.ops = map_ops_of(hdr.type);
	probe.type = hdr.type;
	probe.key_size = hdr.key_size;
	probe.value_size = hdr.value_size;
	probe.max_entries = hdr.max_entries;
	probe.flags = hdr.flags;
	probe.nslots = hdr.nslots;
	probe.value_stride = (uint32_t)map_round8(hdr.value_size);
	probe.hdr = &hdr;
	data = probe.ops->layout(&probe);
	if (!data || data > (1ull << 40))
		return exo_err(
		    ENOMEM, "map_create: %s: %u entries of key %u and value %u bytes are too big",
		    map_type_name(hdr.type), hdr.max_entries, hdr.key_size, hdr.value_size);
	hdr.file_size = MAP_PAGE + data;
	hdr.id = map_alloc_id();
	if (!(attr->map_flags & BPF_F_ZERO_SEED) && getrandom(&hdr.seed, sizeof(hdr.seed), 0) < 0)
		hdr.seed = (uint64_t)getpid() * 0x9e3779b97f4a7c15ull ^ hdr.id;

	fd = store_create_file(hdr.file_size,
			       MAP_PAGE + (probe.ops->eager ? probe.ops->eager(&probe) : data), why,
			       sizeof(why));
	if (fd < 0)
		return exo_err(-fd, "map_create: %s", why);
	if (pwrite(fd, &hdr, sizeof(hdr), 0) != (ssize_t)sizeof(hdr)) {
		close(fd);
		return exo_err(ENOMEM, "map_create: cannot write the map's header");
	}
	map = map_open_file(fd, "map_create");
	if (!map) {
		err = -errno;
		close(fd);
		return err;
	}
	if ((err = shm_lock_init(&map->hdr->lock)) ||
	    (map->ops->init && (err = map->ops->init(map))) || (err = map_register_fd(map, fd))) {
		exo_map_put(map);
		close(fd);
		return err < 0 ? err : -err;
	}
	exo_map_put(map); /* the fd's slot keeps it */
	return fd;
}

int exo_map_create_attr(const union bpf_attr *attr)
{
	return exo_map_create_ext(attr, NULL);
}

EXOBPF_API int exobpf_map_create(enum bpf_map_type map_type, const char *map_name, __u32 key_size,
				 __u32 value_size, __u32 max_entries,
				 const struct exobpf_map_create_opts *opts)
{
	struct exo_map_ext ext = {0};
	union bpf_attr attr;

	if (!OPTS_VALID(opts, exobpf_map_create_opts))
		return -errno;
	memset(&attr, 0, sizeof(attr));
	attr.map_type = map_type;
	attr.key_size = key_size;
	attr.value_size = value_size;
	attr.max_entries = max_entries;
	attr.btf_fd = OPT(opts, btf_fd, 0);
	attr.btf_key_type_id = OPT(opts, btf_key_type_id, 0);
	attr.btf_value_type_id = OPT(opts, btf_value_type_id, 0);
	attr.btf_vmlinux_value_type_id = OPT(opts, btf_vmlinux_value_type_id, 0);
	attr.inner_map_fd = OPT(opts, inner_map_fd, 0);
	attr.map_flags = OPT(opts, map_flags, 0);
	attr.map_extra = OPT(opts, map_extra, 0);
	attr.numa_node = OPT(opts, numa_node, 0);
	attr.map_ifindex = OPT(opts, map_ifindex, 0);
	if (map_name) {
		size_t n = strlen(map_name);
		/* libbpf truncates to BPF_OBJ_NAME_LEN - 1 */
		memcpy(attr.map_name, map_name, n < BPF_OBJ_NAME_LEN ? n : BPF_OBJ_NAME_LEN - 1);
	}
	ext.has_spin_lock = OPT(opts, has_spin_lock, false);
	ext.spin_lock_off = OPT(opts, spin_lock_off, 0);
	return exo_map_create_ext(&attr, &ext);
}

/* ---- user-space commands ---- */

/* Linux's map_get_sys_perms: the fd's view of the map. */
static int sys_perms(const struct exo_map *map)
{
	int p = CAN_READ | CAN_WRITE;

	if (map->flags & BPF_F_RDONLY)
		p &= ~CAN_WRITE;
	if (map->flags & BPF_F_WRONLY)
		p &= ~CAN_READ;
	if (__atomic_load_n(&map->hdr->frozen, __ATOMIC_ACQUIRE))
		p &= ~CAN_WRITE;
	return p;
}

struct exo_map *map_get_for(int fd, int need, const char *cmd)
{
	struct exo_map *map = exo_map_get(fd);

	if (!map) {
		exo_err_prefix("%s", cmd);
		return NULL;
	}
	if ((sys_perms(map) & need) != need) {
		bool frozen = __atomic_load_n(&map->hdr->frozen, __ATOMIC_ACQUIRE);
		exo_err(EPERM, "%s: map %u is %s", cmd, map->id,
			need & CAN_WRITE ? (frozen ? "frozen" : "read-only from user space")
					 : "write-only from user space");
		exo_map_put(map);
		return NULL;
	}
	map_maybe_recover(map);
	exo_err(0, "%s",
		""); /* ops that explain themselves set a message; op_result fills in the rest */
	return map;
}

static int done(struct exo_map *map, int err)
{
	exo_map_put(map);
	if (err < 0)
		errno = -err;
	return err;
}

static int need_key(const struct exo_map *map, const void *key, const char *cmd)
{
	if (map->key_size && !key)
		return exo_err(EFAULT, "%s: key is NULL but the map's key_size is %u", cmd,
			       map->key_size);
	if (!map->key_size && key)
		return exo_err(EINVAL, "%s: the map has no keys (key_size 0) but a key was given",
			       cmd);
	return 0;
}

static int lock_flag_ok(const struct exo_map *map, uint64_t flags, const char *cmd)
{
	if ((flags & BPF_F_LOCK) && map->spin_lock_off < 0)
		return exo_err(EINVAL, "%s: BPF_F_LOCK on a map whose values have no bpf_spin_lock",
			       cmd);
	return 0;
}

static int op_result(int err, const struct exo_map *map, const char *cmd)
{
	if (err < 0 && !strcmp(exobpf_errmsg(), "no error")) {
		const char *why = err == -ENOENT      ? "no such element"
				  : err == -EEXIST    ? "element exists (BPF_NOEXIST)"
				  : err == -E2BIG     ? "map is full or index out of range"
				  : err == -ENOTSUPP_ ? "not supported by this map type"
						      : strerror(-err);
		exo_err(-err, "%s: map %u (%s): %s", cmd, map->id, map_type_name(map->type), why);
	}
	return err;
}

EXOBPF_API int exobpf_map_lookup_elem_flags(int fd, const void *key, void *value, __u64 flags)
{
	const char *cmd = "map_lookup_elem";
	struct exo_map *map;
	int err;

	if (flags & ~(uint64_t)BPF_F_LOCK)
		return exo_err(EINVAL, "%s: flags 0x%llx: only BPF_F_LOCK is allowed", cmd,
			       (unsigned long long)flags);
	if (!(map = map_get_for(fd, CAN_READ, cmd)))
		return -errno;
	if ((err = lock_flag_ok(map, flags, cmd)) || (err = need_key(map, key, cmd)))
		return done(map, err);
	if (!value)
		return done(map, exo_err(EFAULT, "%s: value is NULL", cmd));
	return done(map, op_result(map_user_lookup(map, key, value, flags), map, cmd));
}

int map_user_lookup(struct exo_map *map, const void *key, void *value, uint64_t flags)
{
	if (map->ops->peek && !map->ops->lookup_user)
		return map->ops->peek(map, value);
	if (map->ops->lookup_user)
		return map->ops->lookup_user(map, key, value, flags);
	return -ENOTSUPP_;
}

int map_user_update(struct exo_map *map, const void *key, const void *value, uint64_t flags)
{
	if ((flags & BPF_F_LOCK) && map->spin_lock_off < 0)
		return -EINVAL;
	if (map->ops->push && !map->ops->update)
		return map->ops->push(map, value, flags);
	if (map->ops->update)
		return map->ops->update(map, key, value, flags, MAP_ALL_SLOTS);
	return -ENOTSUPP_;
}

int map_user_delete(struct exo_map *map, const void *key)
{
	return map->ops->delete ? map->ops->delete (map, key) : -EINVAL;
}

EXOBPF_API int exobpf_map_lookup_elem(int fd, const void *key, void *value)
{
	return exobpf_map_lookup_elem_flags(fd, key, value, 0);
}

EXOBPF_API int exobpf_map_update_elem(int fd, const void *key, const void *value, __u64 flags)
{
	const char *cmd = "map_update_elem";
	struct exo_map *map;
	int err;

	if (!(map = map_get_for(fd, CAN_WRITE, cmd)))
		return -errno;
	if ((err = lock_flag_ok(map, flags, cmd)) || (err = need_key(map, key, cmd)))
		return done(map, err);
	if (!value)
		return done(map, exo_err(EFAULT, "%s: value is NULL", cmd));
	return done(map, op_result(map_user_update(map, key, value, flags), map, cmd));
}

EXOBPF_API int exobpf_map_delete_elem_flags(int fd, const void *key, __u64 flags)
{
	const char *cmd = "map_delete_elem";
	struct exo_map *map;
	int err;

	if (!(map = map_get_for(fd, CAN_WRITE, cmd)))
		return -errno;
	if ((err = lock_flag_ok(map, flags, cmd)) || (err = need_key(map, key, cmd)))
		return done(map, err);
	err = map->ops->delete ? map->ops->delete (map, key) : -EINVAL;
	return done(map, op_result(err, map, cmd));
}

EXOBPF_API int exobpf_map_delete_elem(int fd, const void *key)
{
	return exobpf_map_delete_elem_flags(fd, key, 0);
}

EXOBPF_API int exobpf_map_get_next_key(int fd, const void *key, void *next_key)
{
	const char *cmd = "map_get_next_key";
	struct exo_map *map;
	int err;

	if (!(map = map_get_for(fd, CAN_READ, cmd)))
		return -errno;
	if (key && !map->key_size)
		return done(map, exo_err(EINVAL, "%s: the map has no keys", cmd));
	if (!next_key && map->ops->get_next_key)
		return done(map, exo_err(EFAULT, "%s: next_key is NULL", cmd));
	err = map->ops->get_next_key ? map->ops->get_next_key(map, key, next_key) : -EINVAL;
	return done(map, op_result(err, map, cmd));
}

EXOBPF_API int exobpf_map_lookup_and_delete_elem_flags(int fd, const void *key, void *value,
						       __u64 flags)
{
	const char *cmd = "map_lookup_and_delete_elem";
	struct exo_map *map;
	int err;

	if (flags & ~(uint64_t)BPF_F_LOCK)
		return exo_err(EINVAL, "%s: flags 0x%llx: only BPF_F_LOCK is allowed", cmd,
			       (unsigned long long)flags);
	if (!(map = map_get_for(fd, CAN_READ | CAN_WRITE, cmd)))
		return -errno;
	if (flags && (map->type == BPF_MAP_TYPE_QUEUE || map->type == BPF_MAP_TYPE_STACK))
		return done(map, exo_err(EINVAL, "%s: queue and stack maps take no flags", cmd));
	if ((err = lock_flag_ok(map, flags, cmd)) || (err = need_key(map, key, cmd)))
		return done(map, err);
	if (!value)
		return done(map, exo_err(EFAULT, "%s: value is NULL", cmd));
	if (map->type == BPF_MAP_TYPE_QUEUE || map->type == BPF_MAP_TYPE_STACK)
		err = map->ops->pop(map, value);
	else if (map->ops->lookup_and_delete)
		err = map->ops->lookup_and_delete(map, key, value, flags);
	else
		err = -ENOTSUPP_;
	return done(map, op_result(err, map, cmd));
}

EXOBPF_API int exobpf_map_lookup_and_delete_elem(int fd, const void *key, void *value)
{
	return exobpf_map_lookup_and_delete_elem_flags(fd, key, value, 0);
}

EXOBPF_API int exobpf_map_freeze(int fd)
{
	struct exo_map *map = exo_map_get(fd);
	int err = 0;

	if (!map) {
		exo_err_prefix("map_freeze");
		return -errno;
	}
	if (map->spin_lock_off >= 0)
		return done(map, exo_err(ENOTSUPP_,
					 "map_freeze: map %u has special fields (bpf_spin_lock)",
					 map->id));
	if (!(sys_perms(map) & CAN_WRITE) && !map->hdr->frozen)
		return done(map, exo_err(EPERM, "map_freeze: map %u is read-only from user space",
					 map->id));
	shm_lock(map, &map->hdr->lock);
	if (map->hdr->frozen)
		err = exo_err(EBUSY, "map_freeze: map %u is already frozen", map->id);
	else
		__atomic_store_n(&map->hdr->frozen, 1, __ATOMIC_RELEASE);
	shm_unlock(&map->hdr->lock);
	return done(map, err);
}

EXOBPF_API int exobpf_map_get_info_by_fd(int fd, struct bpf_map_info *info, __u32 *info_len)
{
	struct bpf_map_info mine;
	struct exo_map *map;
	uint32_t len;

	if (!info || !info_len)
		return exo_err(EINVAL, "map_get_info_by_fd: info or info_len is NULL");
	len = *info_len;
	/* Linux: a bigger struct than ours is fine if the extra bytes are zero */
	for (uint32_t i = sizeof(mine); i < len; i++)
		if (((const uint8_t *)info)[i])
			return exo_err(
			    E2BIG,
			    "map_get_info_by_fd: non-zero byte %u beyond struct bpf_map_info", i);
	if (!(map = exo_map_get(fd))) {
		exo_err_prefix("map_get_info_by_fd");
		return -errno;
	}
	exo_map_get_info(map, &mine);
	exo_map_put(map);
	if (len > sizeof(mine))
		len = sizeof(mine);
	memcpy(info, &mine, len);
	*info_len = len;
	return 0;
}

EXOBPF_API int exobpf_map_num_slots(int fd)
{
	struct exo_map *map = exo_map_get(fd);
	int n;

	if (!map)
		return -errno;
	n = (int)map->nslots;
	exo_map_put(map);
	return n;
}

/* ---- for the rest of exobpf ---- */

void exo_map_get_info(const struct exo_map *map, struct bpf_map_info *info)
{
	memset(info, 0, sizeof(*info));
	info->type = map->type;
	info->id = map->id;
	info->key_size = map->key_size;
	info->value_size = map->value_size;
	info->max_entries = map->max_entries;
	info->map_flags = map->flags;
	if (!map->hdr) /* a map-in-map template has no file */
		return;
	memcpy(info->name, map->hdr->name, sizeof(info->name));
	info->name[sizeof(info->name) - 1] = '\0';
	info->btf_id = map->hdr->btf_id;
	info->btf_key_type_id = map->hdr->btf_key_type_id;
	info->btf_value_type_id = map->hdr->btf_value_type_id;
	info->map_extra = map->hdr->map_extra;
}

enum bpf_map_type exo_map_type(const struct exo_map *map)
{
	return (enum bpf_map_type)map->type;
}

uint32_t exo_map_key_size(const struct exo_map *map)
{
	return map->key_size;
}

uint32_t exo_map_value_size(const struct exo_map *map)
{
	return map->value_size;
}

uint32_t exo_map_max_entries(const struct exo_map *map)
{
	return map->max_entries;
}

uint32_t exo_map_flags(const struct exo_map *map)
{
	return map->flags;
}

uint32_t exo_map_id(const struct exo_map *map)
{
	return map->id;
}

uint32_t exo_map_nslots(const struct exo_map *map)
{
	return map->nslots;
}

int exo_map_spin_lock_off(const struct exo_map *map)
{
	return map->spin_lock_off;
}

bool exo_map_frozen(const struct exo_map *map)
{
	return map->hdr && __atomic_load_n(&map->hdr->frozen, __ATOMIC_ACQUIRE);
}

const struct exo_map *exo_map_inner(const struct exo_map *map)
{
	return map->inner;
}

bool exo_map_add_regions(struct exo_map *map, struct vm_run *run)
{
	return map->ops->regions ? map->ops->regions(map, run) : true;
}

/* Slots past the map's count wrap (a map made with fewer slots than the
 * running configuration); the common case costs no division. */
static inline uint32_t slot_of(const struct exo_map *map, uint32_t slot)
{
	return slot < map->nslots ? slot : slot % map->nslots;
}

void *exo_map_lookup(struct exo_map *map, const void *key, uint32_t slot)
{
	return map->ops->lookup ? map->ops->lookup(map, key, slot_of(map, slot)) : NULL;
}

long exo_map_update(struct exo_map *map, const void *key, const void *value, uint64_t flags,
		    uint32_t slot)
{
	if (!map->ops->update)
		return map->ops->push ? map->ops->push(map, value, flags) : -ENOTSUPP_;
	if (map->flags & BPF_F_RDONLY_PROG)
		return -EPERM;
	map_maybe_recover(map);
	return map->ops->update(map, key, value, flags, slot_of(map, slot));
}

long exo_map_delete(struct exo_map *map, const void *key)
{
	if (!map->ops->delete)
		return -EINVAL;
	if (map->flags & BPF_F_RDONLY_PROG)
		return -EPERM;
	map_maybe_recover(map);
	return map->ops->delete (map, key);
}

long exo_map_push(struct exo_map *map, const void *value, uint64_t flags)
{
	return map->ops->push ? map->ops->push(map, value, flags) : -ENOTSUPP_;
}

long exo_map_pop(struct exo_map *map, void *value)
{
	return map->ops->pop ? map->ops->pop(map, value) : -ENOTSUPP_;
}

long exo_map_peek(struct exo_map *map, void *value)
{
	return map->ops->peek ? map->ops->peek(map, value) : -ENOTSUPP_;
}

exo_map_lookup_fn exo_map_prog_lookup(const void *ptr)
{
	const struct exo_map *map = ptr;

	if (!exo_map_is_live(ptr) || !map->ops->gen_lookup)
		return NULL;
	return map->ops->gen_lookup(map);
}

void *exo_map_lookup_percpu(struct exo_map *map, const void *key, uint32_t slot)
{
	if (!map->ops->lookup_percpu || slot >= map->nslots)
		return NULL;
	return map->ops->lookup_percpu(map, key, slot);
}

long exo_map_for_each(struct exo_map *map, exo_map_each_fn fn, void *ctx, void *arg, uint32_t slot)
{
	if (!map->ops->for_each)
		return -ENOTSUPP_;
	return map->ops->for_each(map, fn, ctx, arg, slot_of(map, slot));
}
