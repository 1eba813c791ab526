/* Programs using maps: lddw resolution (map pointer, direct value address),
 * the map helpers, checked mode regions, and atomics on map values. */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "exobpf/exobpf.h"
#include "maps/map.h"
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

/* Tail calls: a jump into the program at an index, fall-through on an empty
 * slot or an index past the end, and at most 33 in a row (Linux's limit). */
TEST(map_prog_tail_call)
{
	int pa = exobpf_map_create(BPF_MAP_TYPE_PROG_ARRAY, "pa", 4, 4, 4, NULL);
	struct exobpf_prog *target, *caller, *self;
	uint64_t r0;
	uint32_t k = 1, id;

	CHECK(pa >= 0);
	target = prog_fd("r0 = 77\nexit\n", pa);
	caller = prog_fd("r6 = 0\n"
			 "r2 = map[fd:%d]\n"
			 "r3 = 1\n"
			 "call bpf_tail_call\n"
			 "r0 = 5\n" /* reached only when the tail call falls through */
			 "exit\n",
			 pa);
	CHECK(target && caller);
	CHECK_EQ(run(caller, true, &r0), 0);
	CHECK_EQ(r0, 5); /* empty slot */
	CHECK_EQ(exobpf_map_lookup_elem(pa, &k, &id), -ENOENT);
	CHECK_EQ(exobpf_map_set_prog(pa, 1, target), 0);
	CHECK_EQ(exobpf_map_lookup_elem(pa, &k, &id), 0);
	CHECK(id != 0);
	CHECK_EQ(run(caller, true, &r0), 0);
	CHECK_EQ(r0, 77);
	CHECK_EQ(run(caller, false, &r0), 0);
	CHECK_EQ(r0, 77);
	CHECK_EQ(exobpf_map_set_prog(pa, 4, target), -E2BIG);
	/* user space cannot store a program by fd without the bpf() layer:
	 * any open fd is "not a program" (EINVAL), a closed one EBADF, as in
	 * Linux; the kernel's prog array says the same */
	uint32_t fd = (uint32_t)pa, bad = 9999;
	CHECK_EQ(exobpf_map_update_elem(pa, &k, &fd, 0), -EINVAL);
	CHECK_EQ(exobpf_map_update_elem(pa, &k, &bad, 0), -EBADF);
	CHECK_EQ(exobpf_map_update_elem(pa, &k, &fd, BPF_NOEXIST), -EINVAL);
	if (kbpf_available()) {
		int kpa = kbpf_map_create(BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 4, 0, 0, 0);
		struct bpf_insn ret0[] = {{.code = BPF_ALU64 | BPF_MOV | BPF_K},
					  {.code = BPF_JMP | BPF_EXIT}};
		int kp = kbpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, ret0, 2, NULL, 0, 0);
		uint32_t kfd = (uint32_t)kpa, kpfd = (uint32_t)kp, id;
		CHECK(kpa >= 0 && kp >= 0);
		CHECK_EQ(kbpf_map_update(kpa, &k, &kfd, 0), -EINVAL);
		CHECK_EQ(kbpf_map_update(kpa, &k, &bad, 0), -EBADF);
		CHECK_EQ(kbpf_map_update(kpa, &k, &kpfd, BPF_NOEXIST), -EINVAL);
		CHECK_EQ(kbpf_map_lookup(kpa, &k, &id, 0), -ENOENT);
		CHECK_EQ(kbpf_map_update(kpa, &k, &kpfd, 0), 0);
		CHECK_EQ(kbpf_map_lookup(kpa, &k, &id, 0), 0);
		CHECK_EQ(kbpf_map_delete(kpa, &k), 0);
		CHECK_EQ(kbpf_map_delete(kpa, &k), -ENOENT);
		uint32_t k9 = 9;
		CHECK_EQ(kbpf_map_delete(kpa, &k9), -E2BIG);
		CHECK_EQ(kbpf_map_update(kpa, &k9, &kpfd, 0), -E2BIG);
		close(kp);
		close(kpa);
	}
	CHECK_EQ(exobpf_map_delete_elem(pa, &k), 0);
	CHECK_EQ(exobpf_map_delete_elem(pa, &k), -ENOENT);
	k = 9;
	CHECK_EQ(exobpf_map_delete_elem(pa, &k), -E2BIG);

	/* a program that tail-calls itself counts in a map value: 1 + 33 runs */
	int cnt = exobpf_map_create(BPF_MAP_TYPE_ARRAY, "cnt", 4, 8, 1, NULL);
	char text[1024];
	snprintf(text, sizeof(text),
		 "*(u32 *)(r10 -4) = 0\n"
		 "r2 = r10\n"
		 "r2 += -4\n"
		 "r1 = map[fd:%d]\n"
		 "call bpf_map_lookup_elem\n"
		 "if r0 == 0 goto out\n"
		 "r1 = 1\n"
		 "lock *(u64 *)(r0 +0) += r1\n"
		 "r2 = map[fd:%%d]\n"
		 "r3 = 0\n"
		 "call bpf_tail_call\n"
		 "out:\n"
		 "r0 = 0\n"
		 "exit\n",
		 cnt);
	self = prog_fd(text, pa);
	CHECK_MSG(self, "%s", exobpf_errmsg());
	CHECK_EQ(exobpf_map_set_prog(pa, 0, self), 0);
	CHECK_EQ(run(self, true, &r0), 0);
	uint64_t v;
	k = 0;
	CHECK_EQ(exobpf_map_lookup_elem(cnt, &k, &v), 0);
	CHECK_EQ(v, 34);
	/* freeing a program takes it out of the array: the caller falls through */
	CHECK_EQ(exobpf_map_set_prog(pa, 1, target), 0);
	exobpf_prog__free(target);
	target = NULL;
	CHECK_EQ(run(caller, true, &r0), 0);
	CHECK_EQ(r0, 5);
	k = 1;
	CHECK_EQ(exobpf_map_lookup_elem(pa, &k, &id), -ENOENT);
	CHECK_EQ(exobpf_map_set_prog(pa, 0, NULL), 0);
	exobpf_prog__free(self);
	exobpf_prog__free(caller);
	exobpf_prog__free(target);
	close(cnt);
	close(pa);
}

/* Maps of maps: user space stores inner fds and reads ids back; programs
 * get the inner map and use it. Errors checked against the kernel's. */
TEST(map_prog_map_in_map)
{
	int inner = exobpf_map_create(BPF_MAP_TYPE_ARRAY, "in", 4, 8, 2, NULL);
	int wrong = exobpf_map_create(BPF_MAP_TYPE_ARRAY, "wr", 4, 4, 2, NULL);
	struct exobpf_map_create_opts o = {.sz = sizeof(o), .inner_map_fd = (uint32_t)inner};
	int aom = exobpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, "aom", 4, 4, 2, &o);
	int hom = exobpf_map_create(BPF_MAP_TYPE_HASH_OF_MAPS, "hom", 4, 4, 2, &o);
	struct bpf_map_info info = {0};
	uint32_t len = sizeof(info), k = 0, v32, ifd = (uint32_t)inner, wfd = (uint32_t)wrong;
	uint64_t r0, v;

	CHECK(inner >= 0 && wrong >= 0);
	CHECK_MSG(aom >= 0 && hom >= 0, "%s", exobpf_errmsg());
	CHECK_EQ(exobpf_map_get_info_by_fd(inner, &info, &len), 0);
	CHECK_EQ(exobpf_map_update_elem(aom, &k, &ifd, 0), 0);
	CHECK_EQ(exobpf_map_lookup_elem(aom, &k, &v32), 0);
	CHECK_EQ(v32, info.id);
	CHECK_EQ(exobpf_map_update_elem(aom, &k, &wfd, 0), -EINVAL); /* template mismatch */
	CHECK_EQ(exobpf_map_update_elem(hom, &k, &ifd, BPF_NOEXIST), 0);
	CHECK_EQ(exobpf_map_update_elem(hom, &k, &ifd, BPF_NOEXIST), -EEXIST);
	CHECK_EQ(exobpf_map_lookup_elem(hom, &k, &v32), 0);
	CHECK_EQ(v32, info.id);

	/* outer[0] -> inner; inner[1] = 9 from the program */
	struct exobpf_prog *p = prog_fd("*(u32 *)(r10 -4) = 0\n"
					"r2 = r10\n"
					"r2 += -4\n"
					"r1 = map[fd:%d]\n"
					"call bpf_map_lookup_elem\n"
					"if r0 == 0 goto out\n"
					"*(u32 *)(r10 -4) = 1\n"
					"*(u64 *)(r10 -16) = 9\n"
					"r1 = r0\n"
					"r2 = r10\n"
					"r2 += -4\n"
					"r3 = r10\n"
					"r3 += -16\n"
					"r4 = 0\n"
					"call bpf_map_update_elem\n"
					"out:\n"
					"exit\n",
					aom);
	CHECK_MSG(p, "%s", exobpf_errmsg());
	CHECK_EQ(run(p, true, &r0), 0);
	CHECK_EQ(r0, 0);
	k = 1;
	CHECK_EQ(exobpf_map_lookup_elem(inner, &k, &v), 0);
	CHECK_EQ(v, 9);
	exobpf_prog__free(p);

	/* the outer map keeps the inner alive after its fd is closed */
	close(inner);
	k = 0;
	CHECK_EQ(exobpf_map_lookup_elem(aom, &k, &v32), 0);
	int again = exobpf_map_get_fd_by_id(v32);
	CHECK(again >= 0);
	k = 1;
	CHECK_EQ(exobpf_map_lookup_elem(again, &k, &v), 0);
	CHECK_EQ(v, 9);
	close(again);
	k = 0;
	CHECK_EQ(exobpf_map_delete_elem(aom, &k), 0);
	CHECK_EQ(exobpf_map_delete_elem(aom, &k), -ENOENT);
	CHECK_EQ(exobpf_map_delete_elem(hom, &k), 0);
	/* Linux's errors for the same misuse */
	uint32_t bad = 9999;
	CHECK_EQ(exobpf_map_update_elem(aom, &k, &bad, 0), -EBADF);
	CHECK_EQ(exobpf_map_update_elem(aom, &k, &wfd, BPF_EXIST), -EINVAL);
	k = 2;
	CHECK_EQ(exobpf_map_update_elem(aom, &k, &wfd, 0), -E2BIG);
	CHECK_EQ(exobpf_map_lookup_elem(aom, &k, &v32), -ENOENT);
	o.inner_map_fd = (uint32_t)aom;
	CHECK_EQ(exobpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, "x", 4, 4, 2, &o), -EINVAL);
	o.inner_map_fd = 9999;
	CHECK_EQ(exobpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, "x", 4, 4, 2, &o), -EBADF);
	if (kbpf_available()) {
		int ki = kbpf_map_create(BPF_MAP_TYPE_ARRAY, 4, 8, 2, 0, 0, 0);
		int kw = kbpf_map_create(BPF_MAP_TYPE_ARRAY, 4, 4, 2, 0, 0, 0);
		int ko = kbpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, 4, 4, 2, 0, 0, ki);
		uint32_t kifd = (uint32_t)ki, kwfd = (uint32_t)kw;
		CHECK(ki >= 0 && kw >= 0 && ko >= 0);
		k = 0;
		CHECK_EQ(kbpf_map_update(ko, &k, &kwfd, 0), -EINVAL);
		CHECK_EQ(kbpf_map_update(ko, &k, &bad, 0), -EBADF);
		CHECK_EQ(kbpf_map_update(ko, &k, &kifd, BPF_EXIST), -EINVAL);
		CHECK_EQ(kbpf_map_delete(ko, &k), -ENOENT);
		k = 2;
		CHECK_EQ(kbpf_map_update(ko, &k, &kifd, 0), -E2BIG);
		CHECK_EQ(kbpf_map_lookup(ko, &k, &v32, 0), -ENOENT);
		CHECK_EQ(kbpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, 4, 4, 2, 0, 0, ko), -EINVAL);
		/* hash of maps: the same misuse, the same answers */
		int kh = kbpf_map_create(BPF_MAP_TYPE_HASH_OF_MAPS, 4, 4, 2, 0, 0, ki);
		int eh = exobpf_map_create(BPF_MAP_TYPE_HASH_OF_MAPS, "hom2", 4, 4, 2,
					   &(struct exobpf_map_create_opts){
					       .sz = sizeof(o), .inner_map_fd = (uint32_t)wrong});
		int devnull = open("/dev/null", O_RDONLY);
		uint32_t eok = (uint32_t)wrong, ebad = (uint32_t)devnull; /* not a map */
		CHECK(kh >= 0 && eh >= 0);
		k = 5;
		CHECK_EQ(kbpf_map_update(kh, &k, &kwfd, 0), -EINVAL);
		CHECK_EQ(exobpf_map_update_elem(eh, &k, &bad, 0), -EBADF);
		CHECK_EQ(exobpf_map_update_elem(eh, &k, &ebad, 0),
			 -EINVAL); /* an fd, not a matching map */
		CHECK_EQ(kbpf_map_update(kh, &k, &bad, 0), -EBADF);
		CHECK_EQ(kbpf_map_update(kh, &k, &kifd, BPF_NOEXIST), 0);
		CHECK_EQ(exobpf_map_update_elem(eh, &k, &eok, BPF_NOEXIST), 0);
		CHECK_EQ(kbpf_map_update(kh, &k, &kifd, BPF_NOEXIST), -EEXIST);
		CHECK_EQ(exobpf_map_update_elem(eh, &k, &eok, BPF_NOEXIST), -EEXIST);
		CHECK_EQ(kbpf_map_update(kh, &k, &kifd, 4), -EINVAL);
		CHECK_EQ(exobpf_map_update_elem(eh, &k, &eok, 4), -EINVAL);
		k = 6;
		CHECK_EQ(kbpf_map_update(kh, &k, &kifd, BPF_EXIST), -ENOENT);
		CHECK_EQ(exobpf_map_update_elem(eh, &k, &eok, BPF_EXIST), -ENOENT);
		CHECK_EQ(kbpf_map_delete(kh, &k), -ENOENT);
		CHECK_EQ(exobpf_map_delete_elem(eh, &k), -ENOENT);
		uint32_t k2 = 7;
		CHECK_EQ(kbpf_map_update(kh, &k2, &kifd, 0), 0);
		CHECK_EQ(exobpf_map_update_elem(eh, &k2, &eok, 0), 0);
		k2 = 8;
		CHECK_EQ(kbpf_map_update(kh, &k2, &kifd, 0), -E2BIG);
		CHECK_EQ(exobpf_map_update_elem(eh, &k2, &eok, 0), -E2BIG);
		close(kh);
		close(eh);
		close(devnull);
		CHECK_EQ(kbpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, 4, 4, 2, 0, 0, 9999), -EBADF);
		close(ki), close(kw), close(ko);
	}
	close(wrong);
	close(aom);
	close(hom);
}

TEST(map_perf_event_array_errors)
{
	int pe = exobpf_map_create(BPF_MAP_TYPE_PERF_EVENT_ARRAY, "pe", 4, 4, 2, NULL);
	uint32_t k = 0, v = 0;

	CHECK(pe >= 0);
	CHECK_EQ(exobpf_map_lookup_elem(pe, &k, &v), -524);
	CHECK_EQ(exobpf_map_delete_elem(pe, &k), -ENOENT);
	v = 9999;
	CHECK_EQ(exobpf_map_update_elem(pe, &k, &v, 0), -EBADF);
	if (kbpf_available()) {
		int kpe = kbpf_map_create(BPF_MAP_TYPE_PERF_EVENT_ARRAY, 4, 4, 2, 0, 0, 0);
		CHECK(kpe >= 0);
		CHECK_EQ(kbpf_map_lookup(kpe, &k, &v, 0), -524);
		CHECK_EQ(kbpf_map_delete(kpe, &k), -ENOENT);
		CHECK_EQ(kbpf_map_update(kpe, &k, &v, 0), -EBADF);
		close(kpe);
	}
	close(pe);
}

/* What the verifier reads about a map: getters on the object, and the
 * map-in-map template (which has no file of its own). */
TEST(map_internal_getters)
{
	int inner = exobpf_map_create(BPF_MAP_TYPE_HASH, "in", 8, 16, 32, NULL);
	struct exobpf_map_create_opts o = {
	    .sz = sizeof(o), .inner_map_fd = (uint32_t)inner, .map_flags = BPF_F_RDONLY};
	int outer = exobpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, "out", 4, 4, 3, &o);
	struct exo_map *m;
	const struct exo_map *t;
	struct bpf_map_info info;

	CHECK(inner >= 0 && outer >= 0);
	m = exo_map_get(outer);
	CHECK(m);
	CHECK_EQ(exo_map_type(m), BPF_MAP_TYPE_ARRAY_OF_MAPS);
	CHECK_EQ(exo_map_max_entries(m), 3);
	CHECK_EQ(exo_map_flags(m), BPF_F_RDONLY);
	CHECK(!exo_map_frozen(m));
	CHECK_EQ(exo_map_spin_lock_off(m), -1);
	t = exo_map_inner(m);
	CHECK(t);
	CHECK_EQ(exo_map_type(t), BPF_MAP_TYPE_HASH);
	CHECK_EQ(exo_map_key_size(t), 8);
	CHECK_EQ(exo_map_value_size(t), 16);
	CHECK_EQ(exo_map_max_entries(t), 32);
	CHECK(!exo_map_frozen(t));
	exo_map_get_info(t, &info);
	CHECK_EQ(info.type, BPF_MAP_TYPE_HASH);
	CHECK_EQ(info.id, 0);
	CHECK(!exo_map_inner(t));
	size_t sz;
	CHECK(!exo_map_value_area(m, &sz));
	exo_map_put(m);
	int arr = exobpf_map_create(BPF_MAP_TYPE_ARRAY, "data", 4, 12, 3, NULL);
	m = exo_map_get(arr);
	CHECK(m);
	CHECK(exo_map_value_area(m, &sz));
	CHECK_EQ(sz, 3 * 16); /* values rounded up to 8 bytes */
	CHECK_EQ(exo_map_value_area_offset(m) % 4096, 0);
	exo_map_put(m);
	close(arr);
	close(outer);
	close(inner);
}
