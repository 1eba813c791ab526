/* The batch commands against the kernel's: the same maps, the same calls,
 * the same errors, counts, tokens, keys and values. */
#include <stdlib.h>
#include <unistd.h>

#include "exobpf/exobpf.h"
#include "test.h"
#include "util.h"

static int kbatch(int cmd, int fd, void *in, void *out, void *k, void *v, __u32 *count,
		  uint64_t elem_flags)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.batch.map_fd = (uint32_t)fd;
	a.batch.in_batch = (uintptr_t)in;
	a.batch.out_batch = (uintptr_t)out;
	a.batch.keys = (uintptr_t)k;
	a.batch.values = (uintptr_t)v;
	a.batch.count = *count;
	a.batch.elem_flags = elem_flags;
	int r = (int)kbpf_sys(cmd, &a);
	*count = a.batch.count;
	return r;
}

struct side {
	int fd;
	bool kernel;
};

static int batch(const struct side *s, int cmd, void *in, void *out, void *k, void *v, __u32 *count,
		 uint64_t ef)
{
	struct exobpf_map_batch_opts o = {.sz = sizeof(o), .elem_flags = ef};

	if (s->kernel)
		return kbatch(cmd, s->fd, in, out, k, v, count, ef);
	switch (cmd) {
	case BPF_MAP_LOOKUP_BATCH:
		return exobpf_map_lookup_batch(s->fd, in, out, k, v, count, &o);
	case BPF_MAP_LOOKUP_AND_DELETE_BATCH:
		return exobpf_map_lookup_and_delete_batch(s->fd, in, out, k, v, count, &o);
	case BPF_MAP_UPDATE_BATCH:
		return exobpf_map_update_batch(s->fd, k, v, count, &o);
	default:
		return exobpf_map_delete_batch(s->fd, k, count, &o);
	}
}

/* Walk the whole map with lookup (or lookup-and-delete) batches of n on
 * both sides and compare every result. */
static void walk_both(struct side sd[2], int cmd, uint32_t n, uint32_t ks, uint32_t vs)
{
	uint8_t tok[2][64] = {{0}}, *k[2], *v[2];
	bool first = true;

	for (int i = 0; i < 2; i++) {
		k[i] = calloc(n, ks);
		v[i] = calloc(n, vs);
	}
	for (int round = 0; round < 100; round++) {
		int r[2];
		__u32 c[2];
		uint8_t out[2][64];

		for (int i = 0; i < 2; i++) {
			c[i] = n;
			memset(out[i], 0, sizeof(out[i]));
			r[i] =
			    batch(&sd[i], cmd, first ? NULL : tok[i], out[i], k[i], v[i], &c[i], 0);
		}
		CHECK_MSG(r[0] == r[1] && c[0] == c[1],
			  "round %d cmd %d: exobpf %d (%u), kernel %d (%u): %s", round, cmd, r[0],
			  c[0], r[1], c[1], exobpf_errmsg());
		CHECK_MSG(!memcmp(k[0], k[1], (size_t)c[0] * ks), "round %d: keys differ", round);
		CHECK_MSG(!memcmp(v[0], v[1], (size_t)c[0] * vs), "round %d: values differ", round);
		if (r[0] && r[0] != -ENOSPC)
			break;
		if (r[0] == -ENOSPC)
			break;
		CHECK_MSG(!memcmp(out[0], out[1], ks < 4 ? 4 : ks), "round %d: tokens differ",
			  round);
		memcpy(tok[0], out[0], sizeof(out[0]));
		memcpy(tok[1], out[1], sizeof(out[1]));
		first = false;
	}
	for (int i = 0; i < 2; i++)
		free(k[i]), free(v[i]);
}

static void batch_diff(enum bpf_map_type t, uint32_t ks, uint32_t vs, uint32_t max, uint32_t flags)
{
	struct exobpf_map_create_opts o = {.sz = sizeof(o), .map_flags = flags};
	struct side sd[2] = {{exobpf_map_create(t, "b", ks, vs, max, &o), false}, {-1, true}};
	uint32_t uvs = t == BPF_MAP_TYPE_PERCPU_HASH || t == BPF_MAP_TYPE_PERCPU_ARRAY
			   ? (uint32_t)exobpf_num_slots() * ((vs + 7) & ~7u)
			   : vs;
	uint8_t *keys = calloc(max + 4, ks), *vals = calloc(max + 4, uvs);

	if (!kbpf_available()) {
		close(sd[0].fd);
		free(keys), free(vals);
		SKIP("bpf() not usable");
	}
	sd[1].fd = kbpf_map_create(t, ks, vs, max, flags, 0, 0);
	CHECK(sd[0].fd >= 0 && sd[1].fd >= 0);
	for (uint32_t i = 0; i < max + 4; i++) {
		uint32_t kv = t == BPF_MAP_TYPE_LPM_TRIE ? 32 : i * 7 + 1;
		memcpy(keys + (size_t)i * ks, &kv, 4);
		if (t == BPF_MAP_TYPE_LPM_TRIE)
			memcpy(keys + (size_t)i * ks + 4, &i, 4);
		for (uint32_t b = 0; b < uvs; b++)
			vals[(size_t)i * uvs + b] = (uint8_t)(i + b);
	}
	/* update: the last 4 do not fit (E2BIG/ENOSPC) or lie past an array */
	for (int i = 0; i < 2; i++) {
		__u32 c = max + 4;
		int r = batch(&sd[i], BPF_MAP_UPDATE_BATCH, NULL, NULL, keys, vals, &c, 0);
		static int r0;
		static __u32 c0;
		if (i == 0) {
			r0 = r, c0 = c;
		} else {
			CHECK_MSG(r == r0 && c == c0,
				  "update batch: exobpf %d (%u), kernel %d (%u)", r0, c0, r, c);
		}
	}
	/* BPF_NOEXIST on what exists stops at once */
	for (int i = 0; i < 2; i++) {
		__u32 c = 3;
		CHECK_EQ(batch(&sd[i], BPF_MAP_UPDATE_BATCH, NULL, NULL, keys, vals, &c,
			       BPF_NOEXIST) == 0
			     ? 0
			     : 1,
			 1);
	}
	walk_both(sd, BPF_MAP_LOOKUP_BATCH, 3, ks, uvs);
	walk_both(sd, BPF_MAP_LOOKUP_BATCH, 1, ks, uvs);
	walk_both(sd, BPF_MAP_LOOKUP_BATCH, max, ks, uvs);
	walk_both(sd, BPF_MAP_LOOKUP_AND_DELETE_BATCH, 4, ks, uvs);
	/* delete: the second key is gone by now or never was */
	for (int i = 0; i < 2; i++) {
		__u32 c = 3;
		int r = batch(&sd[i], BPF_MAP_DELETE_BATCH, NULL, NULL, keys, NULL, &c, 0);
		static int r0;
		static __u32 c0;
		if (i == 0) {
			r0 = r, c0 = c;
		} else {
			CHECK_MSG(r == r0 && c == c0,
				  "delete batch: exobpf %d (%u), kernel %d (%u)", r0, c0, r, c);
		}
	}
	/* bad elem_flags */
	for (int i = 0; i < 2; i++) {
		__u32 c = 1;
		uint8_t out[64];
		CHECK_EQ(batch(&sd[i], BPF_MAP_LOOKUP_BATCH, NULL, out, keys, vals, &c, 8),
			 -EINVAL);
	}
	close(sd[0].fd);
	close(sd[1].fd);
	free(keys), free(vals);
}

TEST(map_batch_hash)
{
	batch_diff(BPF_MAP_TYPE_HASH, 4, 8, 32, BPF_F_ZERO_SEED);
}

TEST(map_batch_percpu_hash)
{
	batch_diff(BPF_MAP_TYPE_PERCPU_HASH, 4, 4, 16, BPF_F_ZERO_SEED);
}

TEST(map_batch_array)
{
	batch_diff(BPF_MAP_TYPE_ARRAY, 4, 12, 10, 0);
}

TEST(map_batch_percpu_array)
{
	batch_diff(BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, 6, 0);
}

TEST(map_batch_lpm)
{
	batch_diff(BPF_MAP_TYPE_LPM_TRIE, 8, 4, 12, BPF_F_NO_PREALLOC);
}

TEST(map_batch_unsupported)
{
	int q = exobpf_map_create(BPF_MAP_TYPE_QUEUE, "q", 0, 4, 4, NULL);
	__u32 c = 1;
	uint8_t k[8], v[8], out[8];

	CHECK(q >= 0);
	CHECK_EQ(exobpf_map_lookup_batch(q, NULL, out, k, v, &c, NULL), -524);
	CHECK_EQ(exobpf_map_update_batch(q, k, v, &c, NULL), -524);
	int a = exobpf_map_create(BPF_MAP_TYPE_ARRAY, "a", 4, 4, 4, NULL);
	CHECK_EQ(exobpf_map_delete_batch(a, k, &c, NULL), -524);
	CHECK_EQ(exobpf_map_lookup_and_delete_batch(a, NULL, out, k, v, &c, NULL), -524);
	c = 0;
	CHECK_EQ(exobpf_map_lookup_batch(a, NULL, out, k, v, &c, NULL), 0);
	CHECK_EQ(exobpf_map_lookup_batch(a, NULL, out, k, v, NULL, NULL), -EINVAL);
	close(q);
	close(a);
}
