/* The map commands: the attribute's pointers are the caller's memory, read
 * and written as the kernel does (EFAULT, never a crash), checks in Linux's
 * order (fd, then permissions, then flags, then the key), and the maps
 * module does the work on local copies. */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#include "api/kinds.h"
#include "api/sha256.h"
#include "api/uaccess.h"
#include "exobpf/btf.h"
#include "exobpf/map.h"
#include "maps/map.h"

#define CAN_READ  1
#define CAN_WRITE 2

static bool percpu(enum bpf_map_type t)
{
	return t == BPF_MAP_TYPE_PERCPU_HASH || t == BPF_MAP_TYPE_PERCPU_ARRAY ||
	       t == BPF_MAP_TYPE_LRU_PERCPU_HASH || t == BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE;
}

/* Linux's bpf_map_value_size: what user space reads and writes. */
static size_t user_value_size(const struct exo_map *m)
{
	enum bpf_map_type t = exo_map_type(m);

	if (percpu(t))
		return (size_t)((exo_map_value_size(m) + 7) & ~7u) * exo_map_nslots(m);
	if (t == BPF_MAP_TYPE_ARRAY_OF_MAPS || t == BPF_MAP_TYPE_HASH_OF_MAPS ||
	    t == BPF_MAP_TYPE_PROG_ARRAY || t == BPF_MAP_TYPE_PERF_EVENT_ARRAY)
		return 4;
	return exo_map_value_size(m);
}

/* Linux's map_get_sys_perms: the fd's access mode, the map's flags and
 * whether it is frozen. */
static int perms(int fd, const struct exo_map *m)
{
	int fl = fcntl(fd, F_GETFL), p = 0;

	if (fl >= 0 && (fl & O_ACCMODE) != O_WRONLY)
		p |= CAN_READ;
	if (fl >= 0 && (fl & O_ACCMODE) != O_RDONLY)
		p |= CAN_WRITE;
	if (exo_map_flags(m) & BPF_F_RDONLY)
		p &= ~CAN_WRITE;
	if (exo_map_flags(m) & BPF_F_WRONLY)
		p &= ~CAN_READ;
	if (exo_map_frozen(m))
		p &= ~CAN_WRITE;
	return p;
}

/* The map behind attr's fd with the permissions need, or NULL and errno. */
static struct exo_map *get_map(uint32_t fd, int need, const char *cmd)
{
	struct exo_map *m = exo_map_get((int)fd);

	if (!m) {
		int err = errno;
		exo_err_prefix("%s: map_fd", cmd);
		errno = err;
		return NULL;
	}
	if ((perms((int)fd, m) & need) != need) {
		exo_err(EPERM, "%s: map %u is not %s through fd %u", cmd, exo_map_id(m),
			need & CAN_WRITE ? "writable" : "readable", fd);
		exo_map_put(m);
		errno = EPERM;
		return NULL;
	}
	return m;
}

/* Linux's ___bpf_copy_key. */
static void *copy_key(const struct exo_map *m, uint64_t ukey, const char *cmd, int *err)
{
	void *k;

	*err = 0;
	if (!exo_map_key_size(m)) {
		if (ukey)
			*err = exo_err(EINVAL, "%s: the map has no keys but key is set", cmd);
		return NULL;
	}
	if (!(k = api_memdup_user(ukey, exo_map_key_size(m), err)))
		*err = exo_err(-*err, "%s: key at 0x%llx is not readable", cmd,
			       (unsigned long long)ukey);
	return k;
}

static int lock_ok(const struct exo_map *m, uint64_t flags, const char *cmd)
{
	if ((flags & BPF_F_LOCK) && exo_map_spin_lock_off(m) < 0)
		return exo_err(EINVAL, "%s: BPF_F_LOCK on a map without bpf_spin_lock", cmd);
	return 0;
}

int api_cmd_map_create(union api_attr *attr, const struct api_call *c)
{
	struct api_attr_map_create *a = &attr->map_create;
	struct exo_map_ext ext = {0};
	struct api_obj *btfo = NULL;
	int fd;

	(void)c;
	if (a->map_token_fd || a->value_type_btf_obj_fd || a->excl_prog_hash ||
	    a->excl_prog_hash_size)
		return exo_err(EINVAL, "MAP_CREATE: tokens, value_type_btf_obj_fd and exclusive "
				       "maps are not supported");
	if (a->btf_key_type_id || a->btf_value_type_id || a->btf_vmlinux_value_type_id) {
		if (!(btfo = api_obj_get((int)a->btf_fd, API_KIND_BTF, "MAP_CREATE: btf_fd")))
			return -errno;
		ext.btf_id = btfo->id;
		if (a->btf_value_type_id) {
			const struct exobpf_btf *b = api_btf_of(btfo);
			long vs = exobpf_btf__resolve_size(b, a->btf_value_type_id);
			long ks = a->btf_key_type_id
				      ? exobpf_btf__resolve_size(b, a->btf_key_type_id)
				      : (long)a->key_size;

			if (vs != (long)a->value_size || ks != (long)a->key_size) {
				api_obj_put(btfo);
				return exo_err(EINVAL,
					       "MAP_CREATE: the BTF key/value types' sizes "
					       "(%ld/%ld) are not key_size/value_size (%u/%u)",
					       ks, vs, a->key_size, a->value_size);
			}
			api_btf_spin_lock(b, a->btf_value_type_id, &ext);
		}
	}
	fd = exo_map_create_ext((const union bpf_attr *)attr, &ext);
	if (fd >= 0 && btfo) {
		struct exo_map *m = exo_map_get(fd);

		/* the map keeps its BTF alive, in any process */
		if (m) {
			api_hold(exo_map_id(m), (int)a->btf_fd, btfo->id);
			exo_map_put(m);
		}
	}
	api_obj_put(btfo);
	return fd;
}

/* MAP_LOOKUP_ELEM and MAP_LOOKUP_AND_DELETE_ELEM: the same attribute, the
 * same checks, a value copied out. */
static int lookup_cmd(union api_attr *attr, const char *cmd, int need,
		      int (*op)(int fd, const void *key, void *value, __u64 flags))
{
	struct api_attr_elem *e = &attr->elem;
	struct exo_map *m;
	void *key = NULL, *val = NULL;
	int err;

	if (e->flags & ~(uint64_t)BPF_F_LOCK)
		return exo_err(EINVAL, "%s: flags 0x%llx: only BPF_F_LOCK", cmd,
			       (unsigned long long)e->flags);
	if (!(m = get_map(e->map_fd, need, cmd)))
		return -errno;
	if ((err = lock_ok(m, e->flags, cmd)))
		goto out;
	key = copy_key(m, e->key, cmd, &err);
	if (err)
		goto out;
	if (!(val = calloc(1, user_value_size(m) + 1))) {
		err = exo_err(ENOMEM, "%s: out of memory", cmd);
		goto out;
	}
	err = op((int)e->map_fd, key, val, e->flags);
	if (!err && api_copy_to_user(e->value, val, user_value_size(m)))
		err = exo_err(EFAULT, "%s: value at 0x%llx is not writable", cmd,
			      (unsigned long long)e->value);
out:
	free(key), free(val);
	exo_map_put(m);
	return err;
}

int api_cmd_map_lookup(union api_attr *attr, const struct api_call *c)
{
	return lookup_cmd(attr, c->name, CAN_READ, exobpf_map_lookup_elem_flags);
}

int api_cmd_map_update(union api_attr *attr, const struct api_call *c)
{
	const char *cmd = "MAP_UPDATE_ELEM";
	struct api_attr_elem *e = &attr->elem;
	struct exo_map *m;
	void *key = NULL, *val = NULL;
	int err;

	(void)c;
	if (!(m = get_map(e->map_fd, CAN_WRITE, cmd)))
		return -errno;
	if ((err = lock_ok(m, e->flags, cmd)))
		goto out;
	key = copy_key(m, e->key, cmd, &err);
	if (err)
		goto out;
	if (!(val = api_memdup_user(e->value, user_value_size(m), &err))) {
		err = exo_err(-err, "%s: value at 0x%llx is not readable", cmd,
			      (unsigned long long)e->value);
		goto out;
	}
	err = exobpf_map_update_elem((int)e->map_fd, key, val, e->flags);
out:
	free(key), free(val);
	exo_map_put(m);
	return err;
}

int api_cmd_map_delete(union api_attr *attr, const struct api_call *c)
{
	const char *cmd = "MAP_DELETE_ELEM";
	struct api_attr_elem *e = &attr->elem;
	struct exo_map *m;
	void *key;
	int err;

	(void)c;
	if (!(m = get_map(e->map_fd, CAN_WRITE, cmd)))
		return -errno;
	key = copy_key(m, e->key, cmd, &err);
	if (!err)
		err = exobpf_map_delete_elem_flags((int)e->map_fd, key, e->flags);
	free(key);
	exo_map_put(m);
	return err;
}

int api_cmd_map_next_key(union api_attr *attr, const struct api_call *c)
{
	const char *cmd = "MAP_GET_NEXT_KEY";
	struct api_attr_elem *e = &attr->elem;
	struct exo_map *m;
	void *key = NULL, *next = NULL;
	int err = 0;

	(void)c;
	if (!(m = get_map(e->map_fd, CAN_READ, cmd)))
		return -errno;
	if (e->key && !(key = copy_key(m, e->key, cmd, &err)) && err)
		goto out;
	if (!(next = calloc(1, exo_map_key_size(m) + 1))) {
		err = exo_err(ENOMEM, "%s: out of memory", cmd);
		goto out;
	}
	err = exobpf_map_get_next_key((int)e->map_fd, key, next);
	if (!err && api_copy_to_user(e->value, next, exo_map_key_size(m)))
		err = exo_err(EFAULT, "%s: next_key at 0x%llx is not writable", cmd,
			      (unsigned long long)e->value);
out:
	free(key), free(next);
	exo_map_put(m);
	return err;
}

int api_cmd_map_lookup_delete(union api_attr *attr, const struct api_call *c)
{
	return lookup_cmd(attr, c->name, CAN_READ | CAN_WRITE,
			  exobpf_map_lookup_and_delete_elem_flags);
}

int api_cmd_map_freeze(union api_attr *attr, const struct api_call *c)
{
	struct exo_map *m = exo_map_get((int)attr->elem.map_fd);
	int err = 0;

	(void)c;
	if (!m) {
		exo_err_prefix("MAP_FREEZE: map_fd");
		return -errno;
	}
	/* Linux: special fields first, then write permission (a frozen map
	 * has none, so freezing twice is EPERM), then the freeze itself */
	if (exo_map_spin_lock_off(m) < 0 && !(perms((int)attr->elem.map_fd, m) & CAN_WRITE))
		err = exo_err(EPERM, "MAP_FREEZE: map %u is not writable (or already frozen)",
			      exo_map_id(m));
	else if (api_map_mapped_writable((int)attr->elem.map_fd))
		err = exo_err(EBUSY, "MAP_FREEZE: map %u has a writable mmap; unmap it first",
			      exo_map_id(m));
	exo_map_put(m);
	return err ? err : exobpf_map_freeze((int)attr->elem.map_fd);
}

/* ---- batches ---- */

enum batch_kind { B_LOOKUP, B_LOOKUP_DELETE, B_UPDATE, B_DELETE };

/* Staging limits: a lookup returns at most this many bytes of keys and
 * values per call (callers loop on out_batch until ENOENT anyway); updates
 * and deletes go through in pieces of this many elements. */
#define BATCH_STAGE_BYTES (64u << 20)
#define BATCH_WRITE_CHUNK 256u

static int do_batch(union api_attr *attr, const struct api_call *c, enum batch_kind k)
{
	static const char *const names[] = {"MAP_LOOKUP_BATCH", "MAP_LOOKUP_AND_DELETE_BATCH",
					    "MAP_UPDATE_BATCH", "MAP_DELETE_BATCH"};
	static const int need[] = {CAN_READ, CAN_READ | CAN_WRITE, CAN_WRITE, CAN_WRITE};
	const char *cmd = names[k];
	struct api_attr_batch *b = &attr->batch;
	struct exobpf_map_batch_opts o = {
	    .sz = sizeof(o), .elem_flags = b->elem_flags, .flags = b->flags};
	uint8_t *keys = NULL, *vals = NULL, *inb = NULL, *outb = NULL;
	size_t ks, vs, tok;
	enum bpf_map_type t;
	uint32_t count = b->count, n;
	struct exo_map *m;
	int err = 0;

	if (!(m = get_map(b->map_fd, need[k], cmd)))
		return -errno;
	ks = exo_map_key_size(m);
	vs = user_value_size(m);
	t = exo_map_type(m);
	/* a hash map's batch token is a bucket index, an array's the last key */
	tok = t == BPF_MAP_TYPE_HASH || t == BPF_MAP_TYPE_PERCPU_HASH ||
		      t == BPF_MAP_TYPE_LRU_HASH || t == BPF_MAP_TYPE_LRU_PERCPU_HASH ||
		      t == BPF_MAP_TYPE_HASH_OF_MAPS
		  ? 4
		  : ks;
	/* No more elements can come back than the map holds, and a batch is
	 * staged in bounded pieces: count is the caller's, up to 2^32 - 1. */
	n = count;
	if (k <= B_LOOKUP_DELETE && n > exo_map_max_entries(m) + 1)
		n = exo_map_max_entries(m) + 1;
	if ((uint64_t)n * (ks + vs) > BATCH_STAGE_BYTES)
		n = (uint32_t)(BATCH_STAGE_BYTES / (ks + vs ? ks + vs : 1));
	if (k >= B_UPDATE && n > BATCH_WRITE_CHUNK)
		n = BATCH_WRITE_CHUNK;
	if (!n)
		n = 1;
	if (!(keys = calloc((size_t)n + 1, ks ? ks : 1)) ||
	    !(vals = calloc((size_t)n + 1, vs ? vs : 1)) || !(inb = calloc(1, tok + 4)) ||
	    !(outb = calloc(1, tok + 4))) {
		err = exo_err(ENOMEM, "%s: out of memory for %u elements", cmd, n);
		goto out;
	}
	if (k >= B_UPDATE && count) {
		/* As Linux: element by element in order, so a fault or a
		 * failed update stops the batch with count = elements done. */
		uint32_t done = 0;
		bool fault = false;

		while (done < count && !err && !fault) {
			uint32_t got = 0, want = count - done < n ? count - done : n;

			for (; got < want; got++) {
				uint64_t at = (uint64_t)done + got;
				if (api_copy_from_user(keys + (size_t)got * ks, b->keys + at * ks,
						       ks) ||
				    (k == B_UPDATE &&
				     api_copy_from_user(vals + (size_t)got * vs,
							b->values + at * vs, vs))) {
					fault = true;
					break;
				}
			}
			uint32_t part = got;
			if (got)
				err = k == B_UPDATE ? exobpf_map_update_batch((int)b->map_fd, keys,
									      vals, &part, &o)
						    : exobpf_map_delete_batch((int)b->map_fd, keys,
									      &part, &o);
			done += part;
		}
		if (!err && fault)
			err = exo_err(EFAULT, "%s: key or value %u is not readable", cmd, done);
		if (API_PUT(c, batch.count, done))
			err = exo_err(EFAULT, "%s: the attribute is not writable", cmd);
		goto out;
	}
	if (k >= B_UPDATE) {
		err = k == B_UPDATE
			  ? exobpf_map_update_batch((int)b->map_fd, keys, vals, &count, &o)
			  : exobpf_map_delete_batch((int)b->map_fd, keys, &count, &o);
		goto out;
	}
	if (b->in_batch && api_copy_from_user(inb, b->in_batch, tok)) {
		err = exo_err(EFAULT, "%s: in_batch is not readable", cmd);
		goto out;
	}
	err = (k == B_LOOKUP ? exobpf_map_lookup_batch : exobpf_map_lookup_and_delete_batch)(
	    (int)b->map_fd, b->in_batch ? inb : NULL, b->out_batch ? outb : NULL,
	    b->keys ? keys : NULL, b->values ? vals : NULL, &n, &o);
	if (count && n &&
	    (api_copy_to_user(b->keys, keys, (size_t)n * ks) ||
	     api_copy_to_user(b->values, vals, (size_t)n * vs) ||
	     api_copy_to_user(b->out_batch, outb, tok)))
		err = exo_err(EFAULT, "%s: keys, values or out_batch are not writable", cmd);
	if (count && API_PUT(c, batch.count, n))
		err = exo_err(EFAULT, "%s: the attribute is not writable", cmd);
out:
	free(keys), free(vals), free(inb), free(outb);
	exo_map_put(m);
	return err;
}

int api_cmd_map_lookup_batch(union api_attr *attr, const struct api_call *c)
{
	return do_batch(attr, c, B_LOOKUP);
}

int api_cmd_map_lookup_delete_batch(union api_attr *attr, const struct api_call *c)
{
	return do_batch(attr, c, B_LOOKUP_DELETE);
}

int api_cmd_map_update_batch(union api_attr *attr, const struct api_call *c)
{
	return do_batch(attr, c, B_UPDATE);
}

int api_cmd_map_delete_batch(union api_attr *attr, const struct api_call *c)
{
	return do_batch(attr, c, B_DELETE);
}

/* ---- ids ---- */

int api_cmd_map_next_id(union api_attr *attr, const struct api_call *c)
{
	uint32_t next;
	int err;

	if ((err = exobpf_map_get_next_id(attr->id.start_id, &next)))
		return err;
	return API_PUT(c, id.next_id, next) ? exo_err(EFAULT, "MAP_GET_NEXT_ID: bad attr") : 0;
}

int api_cmd_map_fd_by_id(union api_attr *attr, const struct api_call *c)
{
	uint32_t f = attr->id.open_flags;
	int fd, acc;

	(void)c;
	if (f & ~(uint32_t)(BPF_F_RDONLY | BPF_F_WRONLY) ||
	    (f & (BPF_F_RDONLY | BPF_F_WRONLY)) == (BPF_F_RDONLY | BPF_F_WRONLY))
		return exo_err(EINVAL, "MAP_GET_FD_BY_ID: open_flags 0x%x", f);
	fd = exobpf_map_get_fd_by_id(attr->id.start_id);
	if (fd < 0 || !f)
		return fd;
	/* a narrower view: a new open of the same file in that mode */
	acc = f & BPF_F_RDONLY ? O_RDONLY : O_WRONLY;
	{
		char self[64];
		int nfd;

		snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
		nfd = open(self, acc | O_CLOEXEC);
		close(fd);
		if (nfd < 0)
			return exo_err(errno, "MAP_GET_FD_BY_ID: %s", strerror(errno));
		return nfd;
	}
}

/* struct bpf_map_info of Linux 6.18: the exclusive-map hash follows. */
struct map_info_618 {
	struct bpf_map_info base;
	uint64_t hash;
	uint32_t hash_size, pad;
};
#define MAP_INFO_NAMED (offsetof(struct map_info_618, hash_size) + 4)

int api_map_info(int fd, union api_attr *attr, const struct api_call *c)
{
	struct map_info_618 info;
	struct exo_map *m;
	uint64_t uhash;
	uint32_t len, hs;
	int err = 0;

	if ((err = api_info_in(attr->info.info, attr->info.info_len, &info, MAP_INFO_NAMED,
			       sizeof(info), &len)))
		return err;
	uhash = info.hash;
	hs = info.hash_size;
	if (!(m = exo_map_get(fd)))
		return -errno;
	exo_map_get_info(m, &info.base);
	if (uhash) {
		size_t size;
		void *area = exo_map_value_area(m, &size);
		uint8_t sha[32];

		/* Linux hashes an array's values (the exclusive-map check) */
		if (!area || hs != sizeof(sha)) {
			err =
			    exo_err(EINVAL, "OBJ_GET_INFO_BY_FD: hash: only arrays, hash_size 32");
		} else {
			api_sha256(area, size, sha);
			if (api_copy_to_user(uhash, sha, sizeof(sha)))
				err = exo_err(EFAULT, "OBJ_GET_INFO_BY_FD: hash is not writable");
		}
	} else if (hs) {
		err = exo_err(EINVAL, "OBJ_GET_INFO_BY_FD: hash_size without hash");
	}
	exo_map_put(m);
	if (err)
		return err;
	info.hash = uhash;
	info.hash_size = hs;
	return api_info_out(c, attr->info.info, &info, len);
}
