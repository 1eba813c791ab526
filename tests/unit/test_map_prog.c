/* Programs using maps: lddw resolution (map pointer, direct value address),
 * the map helpers, checked mode regions, and atomics on map values. */
#include <stdlib.h>
#include <unistd.h>

#include "exobpf/exobpf.h"
#include "test.h"
#include "util.h"

/* Assemble text with %d replaced by fd, make a raw program. */
static struct exobpf_prog *prog_fd(const char *fmt, int fd)
{
	char text[2048];
	struct bpf_insn *insns;
	size_t cnt;
	struct exobpf_prog *p;

	snprintf(text, sizeof(text), fmt, fd, fd, fd, fd);
	if (exobpf_asm(text, "test.s", &insns, &cnt))
		return NULL;
	p = exobpf_prog__new(insns, cnt, NULL);
	free(insns);
	return p;
}

static int run(struct exobpf_prog *p, bool checked, uint64_t *r0)
{
	EXOBPF_OPTS(exobpf_run_opts, o, .flags = checked ? EXOBPF_RUN_CHECKED : 0);
	int err = exobpf_prog__run(p, &o);
	*r0 = o.retval;
	return err;
}

static const char *count_prog = "*(u32 *)(r10 -4) = 0\n"
				"r2 = r10\n"
				"r2 += -4\n"
				"r1 = map[fd:%d]\n"
				"call bpf_map_lookup_elem\n"
				"if r0 == 0 goto out\n"
				"r1 = 1\n"
				"lock *(u64 *)(r0 +0) += r1\n"
				"r0 = *(u64 *)(r0 +0)\n"
				"out:\n"
				"exit\n";

TEST(map_prog_lookup_and_atomic)
{
	int fd = exobpf_map_create(BPF_MAP_TYPE_ARRAY, "cnt", 4, 8, 1, NULL);
	struct exobpf_prog *p;
	uint64_t r0, v;
	uint32_t k = 0;

	CHECK(fd >= 0);
	p = prog_fd(count_prog, fd);
	CHECK_MSG(p, "%s", exobpf_errmsg());
	close(fd); /* the program holds its own reference */
	CHECK_EQ(run(p, false, &r0), 0);
	CHECK_EQ(r0, 1);
	CHECK_EQ(run(p, true, &r0), 0);
	CHECK_EQ(r0, 2);
	exobpf_prog__free(p);
	(void)k, (void)v;
}

TEST(map_prog_hash_update_delete)
{
	int fd = exobpf_map_create(BPF_MAP_TYPE_HASH, "h", 4, 8, 4, NULL);
	static const char *text = "*(u32 *)(r10 -4) = 7\n"
				  "*(u64 *)(r10 -16) = 99\n"
				  "r1 = map[fd:%d]\n"
				  "r2 = r10\n"
				  "r2 += -4\n"
				  "r3 = r10\n"
				  "r3 += -16\n"
				  "r4 = 1\n" /* BPF_NOEXIST */
				  "call bpf_map_update_elem\n"
				  "r6 = r0\n"
				  "r1 = map[fd:%d]\n"
				  "r2 = r10\n"
				  "r2 += -4\n"
				  "r3 = r10\n"
				  "r3 += -16\n"
				  "r4 = 1\n"
				  "call bpf_map_update_elem\n" /* -EEXIST the second time */
				  "r0 <<= 8\n"
				  "r0 |= r6\n"
				  "exit\n";
	struct exobpf_prog *p;
	uint64_t r0, v;
	uint32_t k = 7;

	CHECK(fd >= 0);
	p = prog_fd(text, fd);
	CHECK_MSG(p, "%s", exobpf_errmsg());
	CHECK_EQ(run(p, true, &r0), 0);
	CHECK_EQ(r0, (uint64_t)-EEXIST << 8);
	CHECK_EQ(exobpf_map_lookup_elem(fd, &k, &v), 0);
	CHECK_EQ(v, 99);
	exobpf_prog__free(p);
	close(fd);
}

TEST(map_prog_direct_value)
{
	int fd = exobpf_map_create(BPF_MAP_TYPE_ARRAY, "data", 4, 16, 1, NULL);
	struct exobpf_prog *p;
	uint64_t r0, v[2] = {0};
	uint32_t k = 0;

	CHECK(fd >= 0);
	p = prog_fd("r1 = map[fd:%d][0]+8\n"
		    "*(u64 *)(r1 +0) = 1234\n"
		    "r0 = *(u64 *)(r1 +0)\n"
		    "exit\n",
		    fd);
	CHECK_MSG(p, "%s", exobpf_errmsg());
	CHECK_EQ(run(p, true, &r0), 0);
	CHECK_EQ(r0, 1234);
	CHECK_EQ(exobpf_map_lookup_elem(fd, &k, v), 0);
	CHECK_EQ(v[1], 1234);
	exobpf_prog__free(p);
	/* Linux's errors: offset past the value, hash maps have no direct values */
	CHECK(!prog_fd("r1 = map[fd:%d][0]+16\nr0 = 0\nexit\n", fd));
	CHECK_CONTAINS(exobpf_errmsg(),
		       "invalid access to map value pointer, value_size=16 off=16");
	int h = exobpf_map_create(BPF_MAP_TYPE_HASH, "h", 4, 16, 1, NULL);
	CHECK(!prog_fd("r1 = map[fd:%d][0]+0\nr0 = 0\nexit\n", h));
	CHECK_CONTAINS(exobpf_errmsg(), "no direct value access support for this map type");
	close(h);
	close(fd);
}

TEST(map_prog_bad_fd)
{
	CHECK(!prog_fd("r1 = map[fd:%d]\nr0 = 0\nexit\n", 9999));
	CHECK_EQ(errno, EBADF);
	CHECK_CONTAINS(exobpf_errmsg(), "insn 0: fd 9999 is not pointing to valid bpf_map");
}

TEST(map_prog_checked_helper_args)
{
	int fd = exobpf_map_create(BPF_MAP_TYPE_HASH, "h", 8, 8, 4, NULL);
	struct exobpf_prog *p;
	uint64_t r0;

	CHECK(fd >= 0);
	/* key pointer 4 bytes below the stack top: an 8-byte key runs past it */
	p = prog_fd("r1 = map[fd:%d]\nr2 = r10\nr2 += -4\ncall bpf_map_lookup_elem\nexit\n", fd);
	CHECK(p);
	CHECK_EQ(run(p, true, &r0), -EFAULT);
	CHECK_CONTAINS(exobpf_errmsg(), "bpf_map_lookup_elem: 8 bytes at");
	exobpf_prog__free(p);
	/* r1 that is not a map */
	p = prog_fd("r1 = 0x1234 ll\nr2 = r10\nr2 += -8\ncall bpf_map_lookup_elem\nexit\n", fd);
	CHECK(p);
	CHECK_EQ(run(p, true, &r0), -EFAULT);
	CHECK_CONTAINS(exobpf_errmsg(), "is not a map");
	exobpf_prog__free(p);
	close(fd);
}

TEST(map_prog_percpu_slot)
{
	int fd = exobpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "pc", 4, 8, 1, NULL);
	int n = exobpf_num_slots();
	struct exobpf_prog *p;
	uint64_t *vals = calloc((size_t)n, 8);
	uint32_t k = 0;

	CHECK(fd >= 0 && vals);
	p = prog_fd(count_prog, fd);
	CHECK(p);
	for (int s = 0; s < n; s++) {
		EXOBPF_OPTS(exobpf_run_opts, o, .slot = (uint32_t)s, .repeat = (uint32_t)s + 1);
		CHECK_EQ(exobpf_prog__run(p, &o), 0);
	}
	CHECK_EQ(exobpf_map_lookup_elem(fd, &k, vals), 0);
	for (int s = 0; s < n; s++)
		CHECK_EQ(vals[s], (uint64_t)s + 1); /* slot s ran s+1 times */
	exobpf_prog__free(p);
	close(fd);
	free(vals);
}
