/* DEVMAP and DEVMAP_HASH from user space: Linux's creation rules, update
 * and delete semantics, compared command by command with the kernel's maps
 * (ifindex 1, the loopback device, exists in every namespace, so the
 * kernel accepts the same values exobpf does). */
#include <unistd.h>

#include "exobpf/exobpf.h"
#include "map_diff.h"
#include "test.h"
#include "util.h"

static int mk(enum bpf_map_type t, uint32_t ks, uint32_t vs, uint32_t n, uint32_t flags)
{
	struct exobpf_map_create_opts o = {.sz = sizeof(o), .map_flags = flags};
	return exobpf_map_create(t, "dev", ks, vs, n, &o);
}

TEST(devmap_create_rules_match_linux)
{
	static const struct {
		enum bpf_map_type t;
		uint32_t ks, vs, n, flags;
		int err;
	} cases[] = {
	    {BPF_MAP_TYPE_DEVMAP, 4, 4, 4, 0, 0},
	    {BPF_MAP_TYPE_DEVMAP, 4, 8, 4, 0, 0},
	    {BPF_MAP_TYPE_DEVMAP, 4, 6, 4, 0, -EINVAL},		     /* neither 4 nor 8 */
	    {BPF_MAP_TYPE_DEVMAP, 8, 4, 4, 0, -EINVAL},		     /* key must be 4 */
	    {BPF_MAP_TYPE_DEVMAP, 4, 4, 0, 0, -EINVAL},		     /* no entries */
	    {BPF_MAP_TYPE_DEVMAP, 4, 4, 4, BPF_F_MMAPABLE, -EINVAL}, /* not a devmap flag */
	    {BPF_MAP_TYPE_DEVMAP, 4, 4, 4, BPF_F_RDONLY_PROG, -EINVAL},
	    {BPF_MAP_TYPE_DEVMAP, 4, 4, 4, BPF_F_RDONLY, 0},
	    {BPF_MAP_TYPE_DEVMAP_HASH, 4, 4, 4, 0, 0},
	    {BPF_MAP_TYPE_DEVMAP_HASH, 4, 8, 100, 0, 0},
	    {BPF_MAP_TYPE_DEVMAP_HASH, 4, 12, 4, 0, -EINVAL},
	    {BPF_MAP_TYPE_DEVMAP_HASH, 4, 4, 4, BPF_F_NO_PREALLOC, -EINVAL},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int fd = mk(cases[i].t, cases[i].ks, cases[i].vs, cases[i].n, cases[i].flags);
		CHECK_MSG(fd >= 0 ? cases[i].err == 0 : fd == cases[i].err,
			  "case %zu: got %d (%s), want %d", i, fd, exobpf_errmsg(), cases[i].err);
		if (fd >= 0)
			close(fd);
		if (kbpf_available()) {
			int kfd = kbpf_map_create(cases[i].t, cases[i].ks, cases[i].vs, cases[i].n,
						  cases[i].flags, 0, 0);
			CHECK_MSG(kfd >= 0 ? cases[i].err == 0 : kfd == cases[i].err,
				  "case %zu: kernel says %d, we expect %d", i, kfd, cases[i].err);
			if (kfd >= 0)
				close(kfd);
		}
	}
}

/* Linux adds BPF_F_RDONLY_PROG to every device map at creation. */
TEST(devmap_is_read_only_for_programs)
{
	int fd = mk(BPF_MAP_TYPE_DEVMAP_HASH, 4, 4, 8, 0);
	struct bpf_map_info info = {0};
	__u32 len = sizeof(info);

	CHECK(fd >= 0);
	CHECK_EQ(exobpf_map_get_info_by_fd(fd, &info, &len), 0);
	CHECK_EQ(info.map_flags, BPF_F_RDONLY_PROG);
	close(fd);
	fd = mk(BPF_MAP_TYPE_DEVMAP, 4, 8, 8, BPF_F_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(exobpf_map_get_info_by_fd(fd, &info, &len), 0);
	CHECK_EQ(info.map_flags, BPF_F_RDONLY_PROG | BPF_F_RDONLY);
	close(fd);
}

TEST(devmap_semantics)
{
	int fd = mk(BPF_MAP_TYPE_DEVMAP, 4, 8, 4, 0);
	uint32_t k = 1, next;
	struct bpf_devmap_val v = {.ifindex = 7, .bpf_prog.fd = -1}, out;

	CHECK(fd >= 0);
	CHECK_EQ(exobpf_map_lookup_elem(fd, &k, &out), -ENOENT); /* empty slot */
	CHECK_EQ(exobpf_map_update_elem(fd, &k, &v, BPF_NOEXIST), -EEXIST);
	CHECK_EQ(exobpf_map_update_elem(fd, &k, &v, BPF_ANY), 0);
	CHECK_EQ(exobpf_map_lookup_elem(fd, &k, &out), 0);
	CHECK_EQ(out.ifindex, 7);
	CHECK_EQ(out.bpf_prog.id, 0);
	k = 4;
	CHECK_EQ(exobpf_map_update_elem(fd, &k, &v, BPF_ANY), -E2BIG);
	CHECK_EQ(exobpf_map_delete_elem(fd, &k), -EINVAL);
	/* every index is a key, present or not */
	CHECK_EQ(exobpf_map_get_next_key(fd, NULL, &next), 0);
	CHECK_EQ(next, 0);
	k = 3;
	CHECK_EQ(exobpf_map_get_next_key(fd, &k, &next), -ENOENT);
	/* ifindex 0 empties a slot; an empty slot cannot carry a program */
	k = 1;
	v.ifindex = 0;
	CHECK_EQ(exobpf_map_update_elem(fd, &k, &v, BPF_ANY), 0);
	CHECK_EQ(exobpf_map_lookup_elem(fd, &k, &out), -ENOENT);
	v.bpf_prog.fd = 5;
	CHECK_EQ(exobpf_map_update_elem(fd, &k, &v, BPF_ANY), -EINVAL);
	CHECK_CONTAINS(exobpf_errmsg(), "devmap");
	/* programs on entries need program fds, which exobpf has not got */
	v.ifindex = 1;
	CHECK_EQ(exobpf_map_update_elem(fd, &k, &v, BPF_ANY), -EOPNOTSUPP);
	close(fd);
}

TEST(devmap_hash_semantics)
{
	int fd = mk(BPF_MAP_TYPE_DEVMAP_HASH, 4, 4, 2, 0);
	uint32_t k = 1000, v = 3, out, next;

	CHECK(fd >= 0);
	CHECK_EQ(exobpf_map_lookup_elem(fd, &k, &out), -ENOENT);
	CHECK_EQ(exobpf_map_delete_elem(fd, &k), -ENOENT);
	/* BPF_EXIST on an absent key inserts, as Linux's devmap does */
	CHECK_EQ(exobpf_map_update_elem(fd, &k, &v, BPF_EXIST), 0);
	CHECK_EQ(exobpf_map_lookup_elem(fd, &k, &out), 0);
	CHECK_EQ(out, 3);
	CHECK_EQ(exobpf_map_update_elem(fd, &k, &v, BPF_NOEXIST), -EEXIST);
	v = 0;
	CHECK_EQ(exobpf_map_update_elem(fd, &k, &v, BPF_ANY), -EINVAL);
	v = 4;
	k = 7;
	CHECK_EQ(exobpf_map_update_elem(fd, &k, &v, BPF_ANY), 0);
	k = 8;
	CHECK_EQ(exobpf_map_update_elem(fd, &k, &v, BPF_ANY), -E2BIG);
	CHECK_EQ(exobpf_map_get_next_key(fd, NULL, &next), 0);
	CHECK(next == 7 || next == 1000);
	close(fd);
}

/* Random commands over a few keys with values the kernel accepts too:
 * ifindex 0 or 1, with or without a program fd of -1/0. */
static void devmap_diff(enum bpf_map_type t, uint32_t value_size, uint64_t seed)
{
	static const uint64_t vals[] = {1, 0, 0xffffffff00000001ull, 0xffffffff00000000ull};
	struct diff_map m = {t, 4, value_size, 6, 0, 0, t == BPF_MAP_TYPE_DEVMAP};
	struct diff_op ops[600];
	uint64_t x = seed;
	char why[512];
	bool kran;

	for (unsigned i = 0; i < 600; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		unsigned r = (unsigned)(x >> 33);
		uint64_t val = vals[(r >> 8) % (value_size == 8 ? 4 : 2)];

		ops[i] = (struct diff_op){(enum diff_cmd)(r % 5), (r >> 4) % 9, val, (r >> 12) % 4};
		if (ops[i].cmd == D_NEXT_NULL || ops[i].cmd == D_LOOKUP)
			ops[i].flags = 0;
		if (i % 50 == 49)
			ops[i].cmd = D_WALK;
	}
	CHECK_MSG(diff_run(&m, ops, 600, &kran, why, sizeof(why)), "%s", why);
	if (!kran)
		SKIP("bpf() not usable: exobpf side ran alone");
}

TEST(devmap_diff_with_kernel)
{
	devmap_diff(BPF_MAP_TYPE_DEVMAP, 4, 11);
}

TEST(devmap_diff_with_kernel_value8)
{
	devmap_diff(BPF_MAP_TYPE_DEVMAP, 8, 12);
}

TEST(devmap_hash_diff_with_kernel)
{
	devmap_diff(BPF_MAP_TYPE_DEVMAP_HASH, 4, 13);
}

TEST(devmap_hash_diff_with_kernel_value8)
{
	devmap_diff(BPF_MAP_TYPE_DEVMAP_HASH, 8, 14);
}
