/* Maps from user space: Linux's errors for misuse, per-type semantics, and
 * differential runs against the kernel's maps of the same type. */
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>

#include <fcntl.h>

#include "exobpf/exobpf.h"
#include "maps/map.h"
#include "map_diff.h"
#include "test.h"
#include "util.h"

static int mk(enum bpf_map_type t, uint32_t ks, uint32_t vs, uint32_t n, uint32_t flags)
{
	struct exobpf_map_create_opts o = {.sz = sizeof(o), .map_flags = flags};
	return exobpf_map_create(t, "t", ks, vs, n, &o);
}

/* Creation errors, each compared with the kernel's verdict where it runs. */
TEST(map_create_errors)
{
	static const struct {
		enum bpf_map_type t;
		uint32_t ks, vs, n, flags;
		int err;
	} cases[] = {
	    {BPF_MAP_TYPE_ARRAY, 8, 4, 1, 0, -EINVAL}, /* key must be 4 */
	    {BPF_MAP_TYPE_ARRAY, 4, 0, 1, 0, -EINVAL}, /* value 0 */
	    {BPF_MAP_TYPE_ARRAY, 4, 4, 0, 0, -EINVAL}, /* no entries */
	    {BPF_MAP_TYPE_ARRAY, 4, 4, 1, BPF_F_NO_PREALLOC, -EINVAL},
	    {BPF_MAP_TYPE_ARRAY, 4, 4, 1, BPF_F_RDONLY | BPF_F_WRONLY, -EINVAL},
	    {BPF_MAP_TYPE_ARRAY, 4, 4, 1, BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG, -EINVAL},
	    {BPF_MAP_TYPE_PERCPU_ARRAY, 4, 4, 1, BPF_F_MMAPABLE, -EINVAL},
	    {BPF_MAP_TYPE_PERCPU_ARRAY, 4, 40000, 1, 0, -E2BIG},
	    {BPF_MAP_TYPE_HASH, 0, 4, 1, 0, -EINVAL},
	    {BPF_MAP_TYPE_HASH, 4, 4, 0, 0, -EINVAL},
	    {BPF_MAP_TYPE_HASH, 4, 4, 1, BPF_F_MMAPABLE, -EINVAL},
	    {BPF_MAP_TYPE_HASH, 4, 4, 1, BPF_F_NO_COMMON_LRU, -EINVAL},
	    {BPF_MAP_TYPE_LRU_HASH, 4, 4, 1, BPF_F_NO_PREALLOC, -524},
	    {BPF_MAP_TYPE_HASH, 4, 1u << 22, 1, 0, -E2BIG},
	    {BPF_MAP_TYPE_PERCPU_HASH, 4, 40000, 1, 0, -E2BIG},
	    {(enum bpf_map_type)200, 4, 4, 1, 0, -EINVAL},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int fd = mk(cases[i].t, cases[i].ks, cases[i].vs, cases[i].n, cases[i].flags);
		CHECK_MSG(fd == cases[i].err, "case %zu: got %d (%s), want %d", i, fd,
			  exobpf_errmsg(), cases[i].err);
		if (kbpf_available()) {
			int kfd = kbpf_map_create(cases[i].t, cases[i].ks, cases[i].vs, cases[i].n,
						  cases[i].flags, 0, 0);
			if (kfd >= 0)
				close(kfd);
			CHECK_MSG(kfd == cases[i].err, "case %zu: kernel says %d, we expect %d", i,
				  kfd, cases[i].err);
		}
	}
	/* names: alphanumerics, '_' and '.' only */
	union bpf_attr attr = {
	    .map_type = BPF_MAP_TYPE_ARRAY, .key_size = 4, .value_size = 4, .max_entries = 1};
	memcpy(attr.map_name, "bad-name", 8);
	CHECK_EQ(exo_map_create_attr(&attr), -EINVAL);
	CHECK_CONTAINS(exobpf_errmsg(), "map_name");
}

TEST(map_bad_fds)
{
	uint32_t k = 0, v = 0;
	int fd;

	CHECK_EQ(exobpf_map_lookup_elem(-1, &k, &v), -EBADF);
	CHECK_CONTAINS(exobpf_errmsg(), "fd -1");
	CHECK_EQ(exobpf_map_lookup_elem(9999, &k, &v), -EBADF);
	fd = open("/dev/null", O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(exobpf_map_update_elem(fd, &k, &v, 0), -EINVAL);
	CHECK_CONTAINS(exobpf_errmsg(), "is not a map");
	close(fd);
	/* a closed map fd reused by another file is not taken for the map */
	fd = mk(BPF_MAP_TYPE_ARRAY, 4, 4, 4, 0);
	CHECK(fd >= 0);
	CHECK_EQ(exobpf_map_update_elem(fd, &k, &v, 0), 0);
	close(fd);
	int other = open("/dev/null", O_RDONLY);
	CHECK_EQ(other, fd);
	CHECK_EQ(exobpf_map_lookup_elem(other, &k, &v), -EINVAL);
	close(other);
}

TEST(map_array_semantics)
{
	int fd = mk(BPF_MAP_TYPE_ARRAY, 4, 12, 4, 0);
	uint8_t v[12], out[12];
	uint32_t k, next;

	CHECK(fd >= 0);
	k = 2;
	CHECK_EQ(exobpf_map_lookup_elem(fd, &k, out), 0);
	for (int i = 0; i < 12; i++)
		CHECK_EQ(out[i], 0); /* elements exist from creation, zeroed */
	memset(v, 0xab, sizeof(v));
	CHECK_EQ(exobpf_map_update_elem(fd, &k, v, BPF_EXIST), 0);
	CHECK_EQ(exobpf_map_lookup_elem(fd, &k, out), 0);
	CHECK(!memcmp(out, v, 12));
	CHECK_EQ(exobpf_map_update_elem(fd, &k, v, BPF_NOEXIST), -EEXIST);
	CHECK_EQ(exobpf_map_update_elem(fd, &k, v, 4), -EINVAL);
	k = 4;
	CHECK_EQ(exobpf_map_update_elem(fd, &k, v, 0), -E2BIG);
	CHECK_EQ(exobpf_map_lookup_elem(fd, &k, out), -ENOENT);
	CHECK_EQ(exobpf_map_delete_elem(fd, &k), -EINVAL);
	CHECK_EQ(exobpf_map_get_next_key(fd, NULL, &next), 0);
	CHECK_EQ(next, 0);
	k = 3;
	CHECK_EQ(exobpf_map_get_next_key(fd, &k, &next), -ENOENT);
	k = 99;
	CHECK_EQ(exobpf_map_get_next_key(fd, &k, &next), 0);
	CHECK_EQ(next, 0);
	CHECK_EQ(exobpf_map_lookup_elem_flags(fd, &k, out, BPF_F_LOCK), -EINVAL);
	CHECK_EQ(exobpf_map_lookup_elem_flags(fd, &k, out, 8), -EINVAL);
	CHECK_EQ(exobpf_map_freeze(fd), 0);
	CHECK_EQ(exobpf_map_freeze(fd), -EBUSY);
	k = 0;
	CHECK_EQ(exobpf_map_update_elem(fd, &k, v, 0), -EPERM);
	CHECK_CONTAINS(exobpf_errmsg(), "frozen");
	CHECK_EQ(exobpf_map_lookup_elem(fd, &k, out), 0);
	close(fd);
}

TEST(map_rdonly_wronly)
{
	int ro = mk(BPF_MAP_TYPE_HASH, 4, 4, 4, BPF_F_RDONLY);
	int wo = mk(BPF_MAP_TYPE_HASH, 4, 4, 4, BPF_F_WRONLY);
	uint32_t k = 1, v = 2, n;

	CHECK(ro >= 0 && wo >= 0);
	CHECK_EQ(exobpf_map_update_elem(ro, &k, &v, 0), -EPERM);
	CHECK_EQ(exobpf_map_delete_elem(ro, &k), -EPERM);
	CHECK_EQ(exobpf_map_lookup_elem(ro, &k, &v), -ENOENT);
	CHECK_EQ(exobpf_map_update_elem(wo, &k, &v, 0), 0);
	CHECK_EQ(exobpf_map_lookup_elem(wo, &k, &v), -EPERM);
	CHECK_EQ(exobpf_map_get_next_key(wo, NULL, &n), -EPERM);
	CHECK_EQ(exobpf_map_freeze(ro), -EPERM);
	close(ro);
	close(wo);
}

TEST(map_hash_semantics)
{
	int fd = mk(BPF_MAP_TYPE_HASH, 8, 8, 3, 0);
	uint64_t k, v, out, next;
	int seen = 0;

	CHECK(fd >= 0);
	for (k = 1; k <= 3; k++) {
		v = k * 100;
		CHECK_EQ(exobpf_map_update_elem(fd, &k, &v, BPF_NOEXIST), 0);
	}
	k = 4;
	CHECK_EQ(exobpf_map_update_elem(fd, &k, &v, 0), -E2BIG); /* full */
	k = 2;
	v = 7;
	CHECK_EQ(exobpf_map_update_elem(fd, &k, &v, BPF_ANY), 0); /* replace when full works */
	CHECK_EQ(exobpf_map_lookup_elem(fd, &k, &out), 0);
	CHECK_EQ(out, 7);
	CHECK_EQ(exobpf_map_update_elem(fd, &k, &v, BPF_NOEXIST), -EEXIST);
	k = 9;
	CHECK_EQ(exobpf_map_update_elem(fd, &k, &v, BPF_EXIST), -ENOENT);
	CHECK_EQ(exobpf_map_delete_elem(fd, &k), -ENOENT);
	/* next-key visits every key once */
	for (int rc = exobpf_map_get_next_key(fd, NULL, &next); rc == 0;
	     k = next, rc = exobpf_map_get_next_key(fd, &k, &next))
		seen |= 1 << next;
	CHECK_EQ(seen, 0xe);
	/* a key that is gone restarts from the first */
	k = 1;
	CHECK_EQ(exobpf_map_delete_elem(fd, &k), 0);
	uint64_t first;
	CHECK_EQ(exobpf_map_get_next_key(fd, NULL, &first), 0);
	CHECK_EQ(exobpf_map_get_next_key(fd, &k, &next), 0);
	CHECK_EQ(next, first);
	k = 3;
	CHECK_EQ(exobpf_map_lookup_and_delete_elem(fd, &k, &out), 0);
	CHECK_EQ(out, 300);
	CHECK_EQ(exobpf_map_lookup_elem(fd, &k, &out), -ENOENT);
	CHECK_EQ(exobpf_map_update_elem(fd, NULL, &v, 0), -EFAULT);
	close(fd);
}

TEST(map_percpu_values_all_slots)
{
	int n = exobpf_num_slots(), fd = mk(BPF_MAP_TYPE_PERCPU_ARRAY, 4, 4, 2, 0);
	uint64_t *vals = calloc((size_t)n, 8), *out = calloc((size_t)n, 8);
	uint32_t k = 1;

	CHECK(n >= 1 && fd >= 0);
	CHECK_EQ(exobpf_map_num_slots(fd), n);
	for (int i = 0; i < n; i++)
		vals[i] = 0x1000 + (uint64_t)i; /* 4-byte values, each padded to 8 */
	CHECK_EQ(exobpf_map_update_elem(fd, &k, vals, 0), 0);
	CHECK_EQ(exobpf_map_lookup_elem(fd, &k, out), 0);
	for (int i = 0; i < n; i++)
		CHECK_EQ(out[i], 0x1000 + (uint64_t)i);
	close(fd);
	free(vals);
	free(out);
}

TEST(map_info_and_ids)
{
	int fd = exobpf_map_create(BPF_MAP_TYPE_HASH, "my_map.x", 4, 16, 10, NULL);
	struct bpf_map_info info;
	uint32_t len = sizeof(info), next;

	CHECK(fd >= 0);
	memset(&info, 0, sizeof(info));
	CHECK_EQ(exobpf_map_get_info_by_fd(fd, &info, &len), 0);
	CHECK_EQ(len, sizeof(info));
	CHECK_EQ(info.type, BPF_MAP_TYPE_HASH);
	CHECK_EQ(info.key_size, 4);
	CHECK_EQ(info.value_size, 16);
	CHECK_EQ(info.max_entries, 10);
	CHECK_STR(info.name, "my_map.x");
	CHECK(info.id > 0);
	CHECK_EQ(exobpf_map_get_next_id(info.id - 1, &next), 0);
	CHECK_EQ(next, info.id);
	int fd2 = exobpf_map_get_fd_by_id(info.id);
	CHECK(fd2 >= 0 && fd2 != fd);
	uint32_t k = 5, v[4] = {1, 2, 3, 4}, o[4];
	CHECK_EQ(exobpf_map_update_elem(fd2, &k, v, 0), 0);
	CHECK_EQ(exobpf_map_lookup_elem(fd, &k, o), 0); /* same map */
	CHECK_EQ(o[3], 4);
	close(fd2);
	/* a dup()ed fd is the same map too */
	int d = dup(fd);
	CHECK_EQ(exobpf_map_lookup_elem(d, &k, o), 0);
	close(d);
	close(fd);
}

TEST(map_pin_and_get)
{
	int fd = mk(BPF_MAP_TYPE_ARRAY, 4, 8, 2, 0), fd2;
	uint32_t k = 1;
	uint64_t v = 42, o = 0;
	char path[256];

	CHECK(fd >= 0);
	CHECK_EQ(exobpf_map_update_elem(fd, &k, &v, 0), 0);
	CHECK_EQ(exobpf_obj_pin(fd, "pinned_a"), 0);
	CHECK_EQ(exobpf_obj_pin(fd, "pinned_a"), -EEXIST);
	CHECK_EQ(exobpf_obj_pin(fd, "nodir/x"), -ENOENT);
	snprintf(path, sizeof(path), "%s/pinned_a", exobpf_pin_dir());
	struct stat st;
	CHECK_EQ(stat(path, &st), 0);
	close(fd); /* the pin keeps the map */
	fd2 = exobpf_obj_get(path);
	CHECK(fd2 >= 0);
	CHECK_EQ(exobpf_map_lookup_elem(fd2, &k, &o), 0);
	CHECK_EQ(o, 42);
	close(fd2);
	CHECK_EQ(exobpf_obj_get("no_such_pin"), -ENOENT);
	unlink(path);
}

/* ---- differential ---- */

static void run_diff(const struct diff_map *m, unsigned keyspace, bool lookup_del, uint64_t seed)
{
	struct diff_op ops[3000];
	char why[512];
	bool kran;

	diff_random_ops(ops, 3000, keyspace, seed, lookup_del);
	bool ok = diff_run(m, ops, 3000, &kran, why, sizeof(why));
	CHECK_MSG(ok, "%s", why);
	if (!kran)
		SKIP("bpf() not usable: exobpf side ran alone");
}

TEST(map_diff_array)
{
	struct diff_map m = {BPF_MAP_TYPE_ARRAY, 4, 12, 16, 0, 0, true};
	run_diff(&m, 20, false, 1);
}

TEST(map_diff_percpu_array)
{
	struct diff_map m = {BPF_MAP_TYPE_PERCPU_ARRAY, 4, 4, 8, 0, 0, true};
	run_diff(&m, 10, false, 2);
}

TEST(map_diff_hash)
{
	/* zero seed: the kernel's bucket order, so walks compare in order */
	struct diff_map m = {BPF_MAP_TYPE_HASH, 4, 8, 16, BPF_F_ZERO_SEED, 0, true};
	run_diff(&m, 24, true, 3);
}

TEST(map_diff_hash_odd_key)
{
	struct diff_map m = {BPF_MAP_TYPE_HASH, 7, 3, 32, BPF_F_ZERO_SEED, 0, true};
	run_diff(&m, 48, true, 4);
}

TEST(map_diff_hash_random_seed)
{
	struct diff_map m = {BPF_MAP_TYPE_HASH, 8, 16, 64, BPF_F_NO_PREALLOC, 0, false};
	run_diff(&m, 100, true, 5);
}

TEST(map_diff_percpu_hash)
{
	struct diff_map m = {BPF_MAP_TYPE_PERCPU_HASH, 4, 8, 16, BPF_F_ZERO_SEED, 0, true};
	run_diff(&m, 24, true, 6);
}

static void run_diff_ops(const struct diff_map *m, const struct diff_op *ops, unsigned n)
{
	char why[512];
	bool kran;

	CHECK_MSG(diff_run(m, ops, n, &kran, why, sizeof(why)), "%s", why);
	if (!kran)
		SKIP("bpf() not usable: exobpf side ran alone");
}

/* Queue and stack: fill past full, overwrite with BPF_EXIST, drain past
 * empty, and the commands they refuse. */
static void queue_stack_diff(enum bpf_map_type t)
{
	struct diff_map m = {t, 0, 8, 4, 0, 0, true};
	struct diff_op ops[64];
	unsigned n = 0;

	for (int i = 0; i < 6; i++)
		ops[n++] = (struct diff_op){D_UPDATE, 0, 100 + (uint64_t)i, BPF_ANY};
	ops[n++] = (struct diff_op){D_UPDATE, 0, 200, BPF_EXIST};
	ops[n++] = (struct diff_op){D_UPDATE, 0, 201, BPF_NOEXIST};
	ops[n++] = (struct diff_op){D_UPDATE, 0, 202, 3};
	ops[n++] = (struct diff_op){D_LOOKUP, 0, 0, 0};
	ops[n++] = (struct diff_op){D_LOOKUP, 0, 0, BPF_F_LOCK};
	ops[n++] = (struct diff_op){D_DELETE, 0, 0, 0};
	ops[n++] = (struct diff_op){D_NEXT_NULL, 0, 0, 0};
	for (int i = 0; i < 6; i++)
		ops[n++] = (struct diff_op){D_LOOKUP_DEL, 0, 0, 0};
	ops[n++] = (struct diff_op){D_UPDATE, 0, 300, BPF_ANY};
	ops[n++] = (struct diff_op){D_LOOKUP_DEL, 0, 0, BPF_F_LOCK};
	ops[n++] = (struct diff_op){D_LOOKUP_DEL, 0, 0, 0};
	ops[n++] = (struct diff_op){D_LOOKUP, 0, 0, 0};
	ops[n++] = (struct diff_op){D_FREEZE, 0, 0, 0};
	ops[n++] = (struct diff_op){D_UPDATE, 0, 1, 0};
	run_diff_ops(&m, ops, n);
}

TEST(map_diff_queue)
{
	queue_stack_diff(BPF_MAP_TYPE_QUEUE);
}

TEST(map_diff_stack)
{
	queue_stack_diff(BPF_MAP_TYPE_STACK);
}

/* Bloom filter with a zero seed: the same bits as the kernel, so the same
 * answers for members and non-members alike (false positives included). */
TEST(map_diff_bloom)
{
	struct diff_map m = {BPF_MAP_TYPE_BLOOM_FILTER, 0, 8, 40, BPF_F_ZERO_SEED, 3, true};
	struct diff_op ops[700];
	unsigned n = 0;

	for (uint64_t i = 0; i < 40; i++)
		ops[n++] = (struct diff_op){D_UPDATE, 0, i * 7919, BPF_ANY};
	ops[n++] = (struct diff_op){D_UPDATE, 0, 1, BPF_EXIST};
	ops[n++] = (struct diff_op){D_UPDATE, 0, 1, BPF_NOEXIST};
	for (uint64_t i = 0; i < 600; i++)
		ops[n++] = (struct diff_op){D_LOOKUP, 0, i * 13, 0};
	ops[n++] = (struct diff_op){D_DELETE, 0, 0, 0};
	ops[n++] = (struct diff_op){D_NEXT_NULL, 0, 0, 0};
	ops[n++] = (struct diff_op){D_LOOKUP_DEL, 0, 0, 0};
	run_diff_ops(&m, ops, n);
}

TEST(map_bloom_odd_size_and_errors)
{
	struct exobpf_map_create_opts o = {.sz = sizeof(o), .map_extra = 16};
	CHECK_EQ(exobpf_map_create(BPF_MAP_TYPE_BLOOM_FILTER, "b", 0, 4, 10, &o), -EINVAL);
	o.map_extra = 0;
	CHECK_EQ(exobpf_map_create(BPF_MAP_TYPE_BLOOM_FILTER, "b", 4, 4, 10, &o), -EINVAL);
	CHECK_EQ(
	    exobpf_map_create(BPF_MAP_TYPE_HASH, "b", 4, 4, 10,
			      &(struct exobpf_map_create_opts){.sz = sizeof(o), .map_extra = 1}),
	    -EINVAL);
	/* 3-byte values hash byte-wise (jhash, not jhash2) */
	struct diff_map m = {BPF_MAP_TYPE_BLOOM_FILTER, 0, 3, 1000, BPF_F_ZERO_SEED, 0, true};
	struct diff_op ops[400];
	for (unsigned i = 0; i < 400; i++)
		ops[i] = (struct diff_op){i < 100 ? D_UPDATE : D_LOOKUP, 0, (uint64_t)i * 31, 0};
	run_diff_ops(&m, ops, 400);
}

/* LPM: random prefixes of a 16-bit space (some with prefixlen past the
 * maximum), longest-prefix lookups, exact deletes, postorder walks. */
TEST(map_diff_lpm)
{
	struct diff_map m = {BPF_MAP_TYPE_LPM_TRIE, 6, 8, 24, BPF_F_NO_PREALLOC, 0, true};
	struct diff_op ops[4000];
	uint64_t s = 12345;

	for (unsigned i = 0; i < 4000; i++) {
		s ^= s << 13, s ^= s >> 7, s ^= s << 17;
		unsigned r = (unsigned)(s % 100), plen = (unsigned)((s >> 8) % 18);
		uint64_t data = (s >> 16) & 0xffff;
		if (r < 35 && plen > 12) /* fewer long prefixes: more overlaps */
			plen = (unsigned)((s >> 40) % 9);
		ops[i].key = plen | data << 32;
		ops[i].value = s >> 3;
		ops[i].flags = r < 40 ? (uint64_t)((s >> 50) % 4) : 0;
		ops[i].cmd = r < 40   ? D_UPDATE
			     : r < 65 ? D_LOOKUP
			     : r < 80 ? D_DELETE
			     : r < 95 ? D_NEXT
			     : r < 97 ? D_NEXT_NULL
				      : D_WALK;
		if (ops[i].cmd == D_LOOKUP) /* lookups mostly ask full-length keys */
			ops[i].key = (r % 3 ? 16u : plen) | data << 32;
	}
	run_diff_ops(&m, ops, 4000);
}

TEST(map_lpm_longest_prefix)
{
	struct exobpf_map_create_opts o = {.sz = sizeof(o), .map_flags = BPF_F_NO_PREALLOC};
	int fd = exobpf_map_create(BPF_MAP_TYPE_LPM_TRIE, "lpm", 8, 4, 8, &o);
	struct {
		uint32_t plen;
		uint8_t a[4];
	} k;
	uint32_t v;

	CHECK(fd >= 0);
	/* 10.0.0.0/8 -> 8, 10.1.0.0/16 -> 16, 10.1.2.0/24 -> 24 */
	k = (typeof(k)){8, {10, 0, 0, 0}}, v = 8;
	CHECK_EQ(exobpf_map_update_elem(fd, &k, &v, 0), 0);
	k = (typeof(k)){16, {10, 1, 0, 0}}, v = 16;
	CHECK_EQ(exobpf_map_update_elem(fd, &k, &v, 0), 0);
	k = (typeof(k)){24, {10, 1, 2, 0}}, v = 24;
	CHECK_EQ(exobpf_map_update_elem(fd, &k, &v, 0), 0);
	k = (typeof(k)){32, {10, 1, 2, 3}};
	CHECK_EQ(exobpf_map_lookup_elem(fd, &k, &v), 0);
	CHECK_EQ(v, 24);
	k = (typeof(k)){32, {10, 1, 3, 3}};
	CHECK_EQ(exobpf_map_lookup_elem(fd, &k, &v), 0);
	CHECK_EQ(v, 16);
	k = (typeof(k)){32, {10, 9, 3, 3}};
	CHECK_EQ(exobpf_map_lookup_elem(fd, &k, &v), 0);
	CHECK_EQ(v, 8);
	k = (typeof(k)){32, {11, 1, 2, 3}};
	CHECK_EQ(exobpf_map_lookup_elem(fd, &k, &v), -ENOENT);
	k = (typeof(k)){33, {10, 0, 0, 0}};
	CHECK_EQ(exobpf_map_update_elem(fd, &k, &v, 0), -EINVAL);
	CHECK_EQ(exobpf_map_create(BPF_MAP_TYPE_LPM_TRIE, "lpm", 8, 4, 8, NULL), -EINVAL);
	close(fd);
}

static int count_keys(int fd, uint32_t ks)
{
	uint8_t k[64], nk[64];
	int n = 0;

	for (int rc = exobpf_map_get_next_key(fd, NULL, nk); rc == 0 && n < 100000;
	     rc = exobpf_map_get_next_key(fd, k, nk)) {
		memcpy(k, nk, ks);
		n++;
	}
	return n;
}

/* LRU: never E2BIG, the least recently used goes first, and (as Linux) an
 * update of a present key in a full map evicts one. Linux's eviction victims
 * depend on its per-CPU free lists, so these are invariants, not a diff. */
TEST(map_lru_eviction)
{
	int fd = mk(BPF_MAP_TYPE_LRU_HASH, 4, 8, 8, 0);
	uint32_t k;
	uint64_t v;

	CHECK(fd >= 0);
	for (k = 0; k < 8; k++) {
		v = k;
		CHECK_EQ(exobpf_map_update_elem(fd, &k, &v, BPF_NOEXIST), 0);
	}
	CHECK_EQ(count_keys(fd, 4), 8);
	for (k = 8; k < 40; k++) {
		v = k;
		CHECK_EQ(exobpf_map_update_elem(fd, &k, &v, BPF_ANY), 0);
		CHECK(count_keys(fd, 4) <= 8);
		CHECK_EQ(exobpf_map_lookup_elem(fd, &k, &v), 0); /* the newest is there */
		uint32_t old = k - 8;
		CHECK_EQ(exobpf_map_lookup_elem(fd, &old, &v), -ENOENT); /* the oldest went */
	}
	k = 39;
	v = 1;
	CHECK_EQ(exobpf_map_update_elem(fd, &k, &v, BPF_EXIST), 0);
	CHECK_EQ(count_keys(fd, 4), 7);
	CHECK_EQ(exobpf_map_update_elem(fd, &k, &v, BPF_F_LOCK), -EINVAL);
	k = 1000;
	CHECK_EQ(exobpf_map_update_elem(fd, &k, &v, BPF_EXIST), -ENOENT);
	close(fd);
}

TEST(map_lru_no_common_lru_rounds_entries)
{
	int n = exobpf_num_slots(),
	    fd = mk(BPF_MAP_TYPE_LRU_PERCPU_HASH, 4, 8, 3, BPF_F_NO_COMMON_LRU);
	struct bpf_map_info info = {0};
	uint32_t len = sizeof(info);

	CHECK(fd >= 0);
	CHECK_EQ(exobpf_map_get_info_by_fd(fd, &info, &len), 0);
	CHECK_EQ(info.max_entries, (3 + (uint32_t)n - 1) / (uint32_t)n * (uint32_t)n);
	if (kbpf_available()) {
		int kfd = kbpf_map_create(BPF_MAP_TYPE_LRU_PERCPU_HASH, 4, 8, 3,
					  BPF_F_NO_COMMON_LRU, 0, 0);
		struct bpf_map_info ki = {0};
		union bpf_attr a = {0};
		CHECK(kfd >= 0);
		a.info.bpf_fd = (uint32_t)kfd;
		a.info.info_len = sizeof(ki);
		a.info.info = (uintptr_t)&ki;
		CHECK_EQ(kbpf_sys(BPF_OBJ_GET_INFO_BY_FD, &a), 0);
		CHECK_EQ(ki.max_entries, info.max_entries);
		close(kfd);
	}
	close(fd);
}

/* The LRU maps behave as hash maps while they have room. */
TEST(map_lru_flags_errors)
{
	int fd = mk(BPF_MAP_TYPE_LRU_HASH, 4, 8, 64, 0);
	uint32_t k = 1;
	uint64_t v = 2;

	CHECK(fd >= 0);
	CHECK_EQ(exobpf_map_update_elem(fd, &k, &v, 4), -EINVAL);
	CHECK_EQ(exobpf_map_update_elem(fd, &k, &v, BPF_NOEXIST), 0);
	CHECK_EQ(exobpf_map_update_elem(fd, &k, &v, BPF_NOEXIST), -EEXIST);
	CHECK_EQ(exobpf_map_delete_elem(fd, &k), 0);
	CHECK_EQ(exobpf_map_delete_elem(fd, &k), -ENOENT);
	close(fd);
}

/* While they need not evict (keys far fewer than entries, so the kernel's
 * per-CPU free lists never run dry), LRU maps answer exactly as the kernel
 * does, walk order included. */
TEST(map_diff_lru_hash)
{
	struct diff_map m = {BPF_MAP_TYPE_LRU_HASH, 4, 8, 4096, BPF_F_ZERO_SEED, 0, true};
	run_diff(&m, 40, true, 7);
}

TEST(map_diff_lru_percpu_hash)
{
	struct diff_map m = {BPF_MAP_TYPE_LRU_PERCPU_HASH, 4, 8, 4096, BPF_F_ZERO_SEED, 0, true};
	run_diff(&m, 40, true, 8);
}

TEST(map_diff_lru_no_common_lru)
{
	struct diff_map m = {
	    BPF_MAP_TYPE_LRU_HASH, 8, 4, 4096, BPF_F_ZERO_SEED | BPF_F_NO_COMMON_LRU, 0, true};
	run_diff(&m, 40, true, 9);
}

/* Absurd sizes: the kernel's verdicts (ENOMEM where it cannot allocate,
 * E2BIG where the hash needs too many buckets, success where it allocates
 * only as elements arrive), and never a crash. */
TEST(map_absurd_sizes)
{
	static const struct {
		enum bpf_map_type t;
		uint32_t k, v, n, flags;
		int err;
	} c[] = {
	    {BPF_MAP_TYPE_ARRAY, 4, 0x7fffffff, 0xffffffff, 0, -ENOMEM},
	    {BPF_MAP_TYPE_ARRAY, 4, 1 << 20, 1 << 20, 0, -ENOMEM},
	    {BPF_MAP_TYPE_HASH, 4, 1 << 20, 0xffffffff, 0, -E2BIG},
	    {BPF_MAP_TYPE_HASH, 4, 8, 0x80000001, BPF_F_NO_PREALLOC, -E2BIG},
	    {BPF_MAP_TYPE_HASH, 4, 8, 1u << 28, BPF_F_NO_PREALLOC, -E2BIG},
	    {BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, 0xffffffff, 0, -ENOMEM},
	    {BPF_MAP_TYPE_QUEUE, 0, 1 << 20, 1 << 20, 0, -ENOMEM},
	    {BPF_MAP_TYPE_LPM_TRIE, 8, 8, 0xffffffff, BPF_F_NO_PREALLOC, 0},
	    {BPF_MAP_TYPE_HASH, 4, 8, 1u << 22, BPF_F_NO_PREALLOC, 0},
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		int fd = mk(c[i].t, c[i].k, c[i].v, c[i].n, c[i].flags);
		CHECK_MSG(c[i].err ? fd == c[i].err : fd >= 0, "case %zu: %d (%s)", i, fd,
			  exobpf_errmsg());
		if (fd >= 0) {
			/* usable: an element of the lazily allocated map goes in */
			uint8_t key[8] = {32}, val[8] = {1};
			CHECK_EQ(exobpf_map_update_elem(fd, key, val, 0), 0);
			close(fd);
		}
		if (kbpf_available()) {
			int kfd = kbpf_map_create(c[i].t, c[i].k, c[i].v, c[i].n, c[i].flags, 0, 0);
			CHECK_MSG(c[i].err ? kfd == c[i].err : kfd >= 0, "case %zu: kernel %d", i,
				  kfd);
			if (kfd >= 0)
				close(kfd);
		}
	}
}

/* Every refusal names the input and the place. */
TEST(map_error_messages)
{
	int fd;
	uint32_t k = 0;
	uint64_t v = 0;
	char path[256];

	CHECK_EQ(mk(BPF_MAP_TYPE_ARRAY, 8, 4, 1, 0), -EINVAL);
	CHECK_CONTAINS(exobpf_errmsg(), "map_create: array: key_size must be 4");
	CHECK_EQ(mk(BPF_MAP_TYPE_HASH, 4, 4, 1, BPF_F_MMAPABLE), -EINVAL);
	CHECK_CONTAINS(exobpf_errmsg(), "map_flags 0x400 are not valid for a hash map");
	CHECK_EQ(mk((enum bpf_map_type)200, 4, 4, 1, 0), -EINVAL);
	CHECK_CONTAINS(exobpf_errmsg(), "map_type 200 is not a map type exobpf implements");
	CHECK_EQ(mk(BPF_MAP_TYPE_ARRAY, 4, 4, 1, BPF_F_RDONLY | BPF_F_WRONLY), -EINVAL);
	CHECK_CONTAINS(exobpf_errmsg(), "BPF_F_RDONLY and BPF_F_WRONLY together");
	fd = mk(BPF_MAP_TYPE_ARRAY, 4, 8, 1, 0);
	CHECK(fd >= 0);
	CHECK_EQ(exobpf_map_lookup_elem(fd, &k, NULL), -EFAULT);
	CHECK_CONTAINS(exobpf_errmsg(), "map_lookup_elem: value is NULL");
	CHECK_EQ(exobpf_map_lookup_elem_flags(fd, &k, &v, 8), -EINVAL);
	CHECK_CONTAINS(exobpf_errmsg(), "flags 0x8: only BPF_F_LOCK is allowed");
	CHECK_EQ(exobpf_map_update_elem(fd, &k, &v, BPF_F_LOCK), -EINVAL);
	CHECK_CONTAINS(exobpf_errmsg(),
		       "map_update_elem: BPF_F_LOCK on a map whose values have no bpf_spin_lock");
	k = 5;
	CHECK_EQ(exobpf_map_update_elem(fd, &k, &v, 0), -E2BIG);
	CHECK_CONTAINS(exobpf_errmsg(), "(array): map is full or index out of range");
	CHECK_EQ(exobpf_obj_pin(fd, "msg_pin"), 0);
	CHECK_EQ(exobpf_obj_pin(fd, "msg_pin"), -EEXIST);
	snprintf(path, sizeof(path), "%s/msg_pin", exobpf_pin_dir());
	CHECK_CONTAINS(exobpf_errmsg(), path);
	unlink(path);
	struct bpf_map_info info[2];
	uint32_t len = sizeof(info);
	memset(info, 0, sizeof(info));
	((uint8_t *)&info[1])[3] = 1;
	CHECK_EQ(exobpf_map_get_info_by_fd(fd, info, &len), -E2BIG);
	CHECK_CONTAINS(exobpf_errmsg(), "beyond struct bpf_map_info");
	close(fd);
	/* a regular file that is not a map */
	snprintf(path, sizeof(path), "%s/not_a_map", exobpf_pin_dir());
	FILE *f = fopen(path, "w");
	CHECK(f);
	for (int i = 0; i < 5000; i++)
		fputc('x', f);
	fclose(f);
	CHECK_EQ(exobpf_obj_get(path), -EINVAL);
	CHECK_CONTAINS(exobpf_errmsg(), "is not a map");
	unlink(path);
	CHECK_EQ(exobpf_set_num_slots(100000), -EINVAL);
	CHECK_CONTAINS(exobpf_errmsg(), "exceed the limit");
	CHECK_EQ(exobpf_set_pin_dir(""), -EINVAL);
	CHECK_CONTAINS(exobpf_errmsg(), "exobpf_set_pin_dir");
}
