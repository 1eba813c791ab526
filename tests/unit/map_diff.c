#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exobpf/map.h"
#include "map_diff.h"
#include "util.h"

struct side {
	int fd;
	bool kernel;
};

static bool percpu_type(enum bpf_map_type t)
{
	return t == BPF_MAP_TYPE_PERCPU_ARRAY || t == BPF_MAP_TYPE_PERCPU_HASH ||
	       t == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

static size_t user_value_size(const struct diff_map *m)
{
	return percpu_type(m->type) ? (size_t)exobpf_num_slots() * ((m->value_size + 7) & ~7u)
				    : m->value_size;
}

static int do_cmd(const struct side *s, enum diff_cmd cmd, const void *key, void *value,
		  uint64_t flags)
{
	switch (cmd) {
	case D_UPDATE:
		return s->kernel ? kbpf_map_update(s->fd, key, value, flags)
				 : exobpf_map_update_elem(s->fd, key, value, flags);
	case D_LOOKUP:
		return s->kernel ? kbpf_map_lookup(s->fd, key, value, flags)
				 : exobpf_map_lookup_elem_flags(s->fd, key, value, flags);
	case D_DELETE:
		return s->kernel ? kbpf_map_delete(s->fd, key) : exobpf_map_delete_elem(s->fd, key);
	case D_NEXT:
	case D_NEXT_NULL:
		return s->kernel ? kbpf_map_next_key(s->fd, key, value)
				 : exobpf_map_get_next_key(s->fd, key, value);
	case D_LOOKUP_DEL:
		return s->kernel
			   ? kbpf_map_lookup_and_delete(s->fd, key, value, flags)
			   : exobpf_map_lookup_and_delete_elem_flags(s->fd, key, value, flags);
	case D_FREEZE:
		return s->kernel ? kbpf_map_freeze(s->fd) : exobpf_map_freeze(s->fd);
	default:
		return -EINVAL;
	}
}

static void fill(uint8_t *buf, size_t len, uint64_t v)
{
	memset(buf, 0, len);
	memcpy(buf, &v, len < 8 ? len : 8);
}

static int cmp_keys(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Walk all keys; keys recorded as their first 8 bytes. Returns count. */
static int walk(const struct side *s, const struct diff_map *m, uint64_t *out, int max, int *end_rc)
{
	uint8_t *k = calloc(1, m->key_size + 8), *nk = calloc(1, m->key_size + 8);
	int n = 0, rc = do_cmd(s, D_NEXT, NULL, nk, 0);

	while (rc == 0 && n < max) {
		uint64_t v = 0;
		memcpy(&v, nk, m->key_size < 8 ? m->key_size : 8);
		out[n++] = v;
		memcpy(k, nk, m->key_size);
		rc = do_cmd(s, D_NEXT, k, nk, 0);
	}
	*end_rc = rc;
	free(k);
	free(nk);
	return n;
}

static int make(const struct diff_map *m, bool kernel)
{
	if (kernel)
		return kbpf_map_create(m->type, m->key_size, m->value_size, m->max_entries,
				       m->flags, m->map_extra, 0);
	struct exobpf_map_create_opts o = {
	    .sz = sizeof(o), .map_flags = m->flags, .map_extra = m->map_extra};
	return exobpf_map_create(m->type, "diff", m->key_size, m->value_size, m->max_entries, &o);
}

bool diff_run(const struct diff_map *m, const struct diff_op *ops, unsigned n, bool *kernel_ran,
	      char *why, size_t whylen)
{
	struct side e = {.fd = make(m, false)}, k = {.fd = -1, .kernel = true};
	size_t vs = user_value_size(m), ks = m->key_size ? m->key_size : 1;
	uint8_t *key = calloc(1, ks + 8), *ve = calloc(1, vs + 8), *vk = calloc(1, vs + 8);
	uint64_t *we = calloc(4096, 8), *wk = calloc(4096, 8);
	bool ok = true;

	*kernel_ran = false;
	if (e.fd < 0) {
		snprintf(why, whylen, "exobpf map_create failed: %d (%s)", e.fd, exobpf_errmsg());
		ok = false;
		goto out;
	}
	if (kbpf_available()) {
		k.fd = make(m, true);
		if (k.fd < 0) {
			snprintf(why, whylen, "kernel map_create failed: %d", k.fd);
			ok = false;
			goto out;
		}
		*kernel_ran = true;
	}
	for (unsigned i = 0; ok && i < n; i++) {
		const struct diff_op *op = &ops[i];
		int re, rk = 0;

		fill(key, ks, op->key);
		if (op->cmd == D_WALK) {
			int ende, endk = 0;
			int ne = walk(&e, m, we, 4096, &ende),
			    nk = k.fd >= 0 ? walk(&k, m, wk, 4096, &endk) : ne;

			if (k.fd < 0)
				continue;
			if (!m->ordered_walk) {
				qsort(we, (size_t)ne, 8, cmp_keys);
				qsort(wk, (size_t)nk, 8, cmp_keys);
			}
			if (ne != nk || ende != endk || memcmp(we, wk, (size_t)ne * 8)) {
				snprintf(why, whylen,
					 "op %u walk: exobpf %d keys (end %d, first %llu), kernel "
					 "%d keys (end %d, first %llu)",
					 i, ne, ende, ne ? (unsigned long long)we[0] : 0ull, nk,
					 endk, nk ? (unsigned long long)wk[0] : 0ull);
				ok = false;
			}
			continue;
		}
		for (size_t s = 0; s * 8 < vs; s++) /* each slot/word differs */
			fill(ve + s * 8, vs - s * 8 < 8 ? vs - s * 8 : 8, op->value + s);
		memcpy(vk, ve, vs);
		const void *kp = op->cmd == D_NEXT_NULL || !m->key_size ? NULL : key;
		re = do_cmd(&e, op->cmd, kp, ve, op->flags);
		if (k.fd >= 0)
			rk = do_cmd(&k, op->cmd, kp, vk, op->flags);
		if (k.fd < 0)
			continue;
		if (!m->ordered_walk && (op->cmd == D_NEXT || op->cmd == D_NEXT_NULL))
			continue; /* the order is the seed's: only whole walks compare */
		if (re != rk) {
			snprintf(why, whylen,
				 "op %u (cmd %d key %llu flags 0x%llx): exobpf %d (%s), kernel %d",
				 i, op->cmd, (unsigned long long)op->key,
				 (unsigned long long)op->flags, re, exobpf_errmsg(), rk);
			ok = false;
		} else if (re == 0 && (op->cmd == D_LOOKUP || op->cmd == D_LOOKUP_DEL) &&
			   memcmp(ve, vk, vs)) {
			snprintf(why, whylen,
				 "op %u (lookup key %llu): values differ: exobpf %016llx %016llx, "
				 "kernel %016llx %016llx",
				 i, (unsigned long long)op->key, *(unsigned long long *)ve,
				 vs > 8 ? *(unsigned long long *)(ve + 8) : 0ull,
				 *(unsigned long long *)vk,
				 vs > 8 ? *(unsigned long long *)(vk + 8) : 0ull);
			ok = false;
		} else if (re == 0 && (op->cmd == D_NEXT || op->cmd == D_NEXT_NULL) &&
			   m->ordered_walk && memcmp(ve, vk, m->key_size)) {
			snprintf(why, whylen, "op %u (next key after %llu): keys differ", i,
				 (unsigned long long)op->key);
			ok = false;
		}
	}
out:
	if (e.fd >= 0)
		close(e.fd);
	if (k.fd >= 0)
		close(k.fd);
	free(key), free(ve), free(vk), free(we), free(wk);
	return ok;
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

void diff_random_ops(struct diff_op *ops, unsigned n, unsigned keyspace, uint64_t seed,
		     bool with_lookup_del)
{
	static const uint64_t flags[] = {BPF_ANY, BPF_ANY, BPF_NOEXIST, BPF_EXIST, 3, BPF_F_LOCK};
	uint64_t s = seed | 1;

	for (unsigned i = 0; i < n; i++) {
		unsigned r = (unsigned)(rnd(&s) % 100);
		struct diff_op *op = &ops[i];

		op->key = rnd(&s) % keyspace;
		op->value = rnd(&s);
		op->flags = 0;
		if (r < 45) {
			op->cmd = D_UPDATE;
			op->flags = flags[rnd(&s) % 6];
		} else if (r < 65) {
			op->cmd = D_LOOKUP;
			op->flags = rnd(&s) % 10 == 0 ? 1 : 0;
		} else if (r < 80) {
			op->cmd = D_DELETE;
		} else if (r < 90) {
			op->cmd = D_NEXT;
		} else if (r < 92) {
			op->cmd = D_NEXT_NULL;
		} else if (r < 97) {
			op->cmd = with_lookup_del ? D_LOOKUP_DEL : D_LOOKUP;
		} else {
			op->cmd = D_WALK;
		}
	}
}
