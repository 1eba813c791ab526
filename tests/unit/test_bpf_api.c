/* bpf() command by command: each scenario runs the same calls against
 * exobpf_bpf and, where bpf() is usable, against Linux. Every step states
 * the result Linux documents (an fd, 0 or an errno); both must give it, and
 * whatever the calls write back (values, sizes, tags, logs) is recorded and
 * must be byte-identical between the two. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dlfcn.h>
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "api/obj.h"
#include "exobpf/bpf.h"
#include "exobpf/map.h"
#include "exobpf/exobpf.h"
#include "test.h"
#include "tracing/tracing.h"
#include "util.h"

#define ATTR_BYTES    168  /* Linux 6.18's union bpf_attr */
#define FD	      1000 /* "a new fd" */
#define API_ENOTSUPP_ 524  /* Linux's ENOTSUPP, which bpf() returns */

struct be {
	const char *name;
	bool kernel;
	char pin[128]; /* where this backend pins */
	char rec[131072];
	size_t len;
	char fail[512];
};

union attr {
	union bpf_attr a;
	unsigned char bytes[ATTR_BYTES];
};

static long call(struct be *b, int cmd, void *attr, unsigned size)
{
	long r;

	if (!b->kernel)
		return exobpf_bpf(cmd, attr, size);
	r = syscall(SYS_bpf, cmd, attr, size);
	return r < 0 ? -errno : r;
}

static void rec(struct be *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void rec(struct be *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (b->len < sizeof(b->rec))
		b->len += (size_t)vsnprintf(b->rec + b->len, sizeof(b->rec) - b->len, fmt, ap);
	va_end(ap);
	if (b->len > sizeof(b->rec))
		b->len = sizeof(b->rec);
}

static void rec_hex(struct be *b, const char *what, const void *p, size_t n)
{
	rec(b, " %s=", what);
	for (size_t i = 0; i < n; i++)
		rec(b, "%02x", ((const uint8_t *)p)[i]);
}

/* One call whose result must be want (FD: any fd >= 0). */
static long step(struct be *b, int line, long want, int cmd, void *attr, unsigned size)
{
	long r = call(b, cmd, attr, size);
	bool ok = want == FD ? r >= 0 : r == want;

	rec(b, "\nL%d:%s", line, r >= 0 ? (want == FD ? "fd" : "0") : strerror((int)-r));
	if (!ok && !b->fail[0])
		snprintf(b->fail, sizeof(b->fail), "%s line %d: cmd %d gave %ld (%s), want %ld",
			 b->name, line, cmd, r, r < 0 ? strerror((int)-r) : "ok", want);
	return r;
}
#define E(b, want, cmd, at)	   step(b, __LINE__, want, cmd, at, sizeof(union attr))
#define ES(b, want, cmd, at, size) step(b, __LINE__, want, cmd, at, size)

static void run(struct be *b, void (*sc)(struct be *b), bool kernel)
{
	memset(b, 0, sizeof(*b));
	b->kernel = kernel;
	b->name = kernel ? "linux" : "exobpf";
	if (kernel)
		snprintf(b->pin, sizeof(b->pin), "/sys/fs/bpf/exobpf-api-test-%d", getpid());
	else
		snprintf(b->pin, sizeof(b->pin), "%s/api-test-%d", exobpf_pin_dir(), getpid());
	sc(b);
}

/* Run sc on exobpf and on Linux; each must meet the expectations, and
 * record the same bytes. */
static int both(void (*sc)(struct be *b), bool pins, char *why, size_t whylen)
{
	static struct be e, k;

	run(&e, sc, false);
	if (e.fail[0]) {
		snprintf(why, whylen, "%s", e.fail);
		return -1;
	}
	if (!kbpf_available())
		return 1;
	if (pins && !kbpf_fs_available())
		return 2;
	run(&k, sc, true);
	if (k.fail[0]) {
		snprintf(why, whylen, "%s", k.fail);
		return -1;
	}
	if (strcmp(e.rec, k.rec)) {
		size_t i = 0;

		while (e.rec[i] && e.rec[i] == k.rec[i])
			i++;
		while (i && e.rec[i - 1] != '\n')
			i--;
		snprintf(why, whylen, "records differ:\nexobpf: %.200s\nlinux:  %.200s", e.rec + i,
			 k.rec + i);
		return -1;
	}
	return 0;
}

#define BOTH_(sc, pins)                                                                      \
	do {                                                                                 \
		char why_[1024];                                                             \
		int r_ = both(sc, pins, why_, sizeof(why_));                                 \
		CHECK_MSG(r_ >= 0, "%s", why_);                                              \
		if (r_ > 0)                                                                  \
			SKIP("%s: exobpf checked against the stated results only",           \
			     r_ == 1 ? "bpf() is refused here" : "no bpffs on /sys/fs/bpf"); \
	} while (0)
#define BOTH(sc) BOTH_(sc, false)
/* A scenario that pins: Linux's side needs bpffs. */
#define BOTH_PINS(sc) BOTH_(sc, true)

static int map_create(struct be *b, uint32_t type, uint32_t ks, uint32_t vs, uint32_t n,
		      uint32_t flags)
{
	union attr a = {0};

	a.a.map_type = type;
	a.a.key_size = ks;
	a.a.value_size = vs;
	a.a.max_entries = n;
	a.a.map_flags = flags;
	return (int)E(b, FD, BPF_MAP_CREATE, &a);
}

static void elem(union attr *a, int fd, const void *key, const void *val, uint64_t flags)
{
	memset(a, 0, sizeof(*a));
	a->a.map_fd = (uint32_t)fd;
	a->a.key = (uintptr_t)key;
	a->a.value = (uintptr_t)val;
	a->a.flags = flags;
}

/* ---- the attribute itself ---- */

static void sc_attr(struct be *b)
{
	static unsigned char big[8192];
	union attr a = {0};
	int fd = map_create(b, BPF_MAP_TYPE_ARRAY, 4, 8, 4, 0);
	uint32_t key = 1;
	uint64_t val = 0;

	memset(big, 0, sizeof(big));
	memcpy(big, &(union attr){0}, 0);
	/* larger than Linux knows: fine when zero, E2BIG otherwise */
	elem((union attr *)big, fd, &key, &val, 0);
	ES(b, 0, BPF_MAP_LOOKUP_ELEM, big, 4096);
	big[200] = 1;
	ES(b, -E2BIG, BPF_MAP_LOOKUP_ELEM, big, 4096);
	big[200] = 0;
	ES(b, -E2BIG, BPF_MAP_LOOKUP_ELEM, big, 4097); /* more than a page */
	/* a field past the command's last one */
	elem(&a, fd, &key, &val, 0);
	a.a.batch.elem_flags = 0;
	a.bytes[40] = 1;
	E(b, -EINVAL, BPF_MAP_LOOKUP_ELEM, &a);
	/* shorter than the command: missing fields are zero */
	elem(&a, fd, &key, &val, 0);
	ES(b, 0, BPF_MAP_LOOKUP_ELEM, &a, 24);
	ES(b, -EFAULT, BPF_MAP_LOOKUP_ELEM, &a, 8); /* key NULL */
	E(b, -EINVAL, 999, &a);
	E(b, -EINVAL, -1, &a);
	ES(b, -EFAULT, BPF_MAP_LOOKUP_ELEM, (void *)16, 32);
	close(fd);
}

TEST(bpf_api_attr)
{
	BOTH(sc_attr);
}

/* ---- map commands ---- */

static void sc_map_elem(struct be *b)
{
	union attr a;
	uint32_t k = 7, k2 = 8, nk = 0, big = 99;
	uint64_t v = 0x1122334455667788ull, out = 0;
	int nul = open("/dev/null", O_RDONLY);
	int h = map_create(b, BPF_MAP_TYPE_HASH, 4, 8, 2, 0);
	int ar = map_create(b, BPF_MAP_TYPE_ARRAY, 4, 8, 4, 0);

	elem(&a, h, &k, &out, 0);
	E(b, -ENOENT, BPF_MAP_LOOKUP_ELEM, &a);
	elem(&a, h, &k, &v, BPF_NOEXIST);
	E(b, 0, BPF_MAP_UPDATE_ELEM, &a);
	E(b, -EEXIST, BPF_MAP_UPDATE_ELEM, &a);
	elem(&a, h, &k, &v, BPF_EXIST);
	E(b, 0, BPF_MAP_UPDATE_ELEM, &a);
	elem(&a, h, &k2, &v, BPF_EXIST);
	E(b, -ENOENT, BPF_MAP_UPDATE_ELEM, &a);
	elem(&a, h, &k2, &v, 4);
	E(b, -EINVAL, BPF_MAP_UPDATE_ELEM, &a);
	elem(&a, h, &k, &out, 0);
	E(b, 0, BPF_MAP_LOOKUP_ELEM, &a);
	rec_hex(b, "value", &out, 8);
	elem(&a, h, &k, &out, 2);
	E(b, -EINVAL, BPF_MAP_LOOKUP_ELEM, &a);
	elem(&a, h, &k, &out, BPF_F_LOCK);
	E(b, -EINVAL, BPF_MAP_LOOKUP_ELEM, &a);
	/* bad fds and bad pointers */
	elem(&a, 9999, &k, &out, 0);
	E(b, -EBADF, BPF_MAP_LOOKUP_ELEM, &a);
	E(b, -EBADF, BPF_MAP_UPDATE_ELEM, &a);
	elem(&a, nul, &k, &out, 0);
	E(b, -EINVAL, BPF_MAP_LOOKUP_ELEM, &a);
	E(b, -EINVAL, BPF_MAP_DELETE_ELEM, &a);
	elem(&a, h, NULL, &out, 0);
	E(b, -EFAULT, BPF_MAP_LOOKUP_ELEM, &a);
	elem(&a, h, (void *)16, &out, 0);
	E(b, -EFAULT, BPF_MAP_UPDATE_ELEM, &a);
	elem(&a, h, &k, (void *)16, 0);
	E(b, -EFAULT, BPF_MAP_LOOKUP_ELEM, &a);
	E(b, -EFAULT, BPF_MAP_UPDATE_ELEM, &a);
	/* next key */
	elem(&a, h, NULL, &nk, 0);
	E(b, 0, BPF_MAP_GET_NEXT_KEY, &a);
	rec(b, " next=%u", nk);
	elem(&a, h, &k, &nk, 0);
	E(b, -ENOENT, BPF_MAP_GET_NEXT_KEY, &a);
	elem(&a, h, &k2, &nk, 0);
	E(b, 0, BPF_MAP_GET_NEXT_KEY, &a); /* a missing key: the first */
	rec(b, " next=%u", nk);
	elem(&a, h, &k, (void *)16, 0);
	a.a.flags = 0;
	E(b, -ENOENT, BPF_MAP_GET_NEXT_KEY, &a);
	/* full */
	elem(&a, h, &k2, &v, 0);
	E(b, 0, BPF_MAP_UPDATE_ELEM, &a);
	elem(&a, h, &big, &v, 0);
	E(b, -E2BIG, BPF_MAP_UPDATE_ELEM, &a);
	/* lookup and delete */
	elem(&a, h, &k2, &out, 0);
	E(b, 0, BPF_MAP_LOOKUP_AND_DELETE_ELEM, &a);
	E(b, -ENOENT, BPF_MAP_LOOKUP_AND_DELETE_ELEM, &a);
	elem(&a, h, &k, NULL, 0);
	E(b, 0, BPF_MAP_DELETE_ELEM, &a);
	E(b, -ENOENT, BPF_MAP_DELETE_ELEM, &a);
	/* arrays */
	elem(&a, ar, &big, &v, 0);
	E(b, -E2BIG, BPF_MAP_UPDATE_ELEM, &a);
	elem(&a, ar, &big, &out, 0);
	E(b, -ENOENT, BPF_MAP_LOOKUP_ELEM, &a);
	elem(&a, ar, &nk, &v, BPF_NOEXIST); /* nk is 7 or 8 here: use index 1 */
	nk = 1;
	E(b, -EEXIST, BPF_MAP_UPDATE_ELEM, &a);
	elem(&a, ar, &k, NULL, 0);
	E(b, -EINVAL, BPF_MAP_DELETE_ELEM, &a);
	elem(&a, ar, &big, &nk, 0);
	E(b, 0, BPF_MAP_GET_NEXT_KEY, &a);
	rec(b, " next=%u", nk);
	/* freeze */
	elem(&a, ar, NULL, NULL, 0);
	E(b, 0, BPF_MAP_FREEZE, &a);
	E(b, -EPERM, BPF_MAP_FREEZE, &a); /* frozen: no longer writable */
	elem(&a, ar, &k, &v, 0);
	E(b, -EPERM, BPF_MAP_UPDATE_ELEM, &a);
	elem(&a, ar, &nk, &out, 0);
	E(b, 0, BPF_MAP_LOOKUP_ELEM, &a);
	close(h), close(ar), close(nul);
}

TEST(bpf_api_map_elem)
{
	BOTH(sc_map_elem);
}

static void *map_mmap(struct be *b, int fd, int prot)
{
	void *p = b->kernel ? mmap(NULL, 4096, prot, MAP_SHARED, fd, 0)
			    : exobpf_mmap(NULL, 4096, prot, MAP_SHARED, fd, 0);

	rec(b, "\nmmap %s: %s", prot & PROT_WRITE ? "rw" : "ro",
	    p == MAP_FAILED ? strerror(errno) : "ok");
	return p;
}

/* Freezing and writable mappings exclude each other (Linux's writecnt). */
static void sc_map_freeze_mmap(struct be *b)
{
	int ar = map_create(b, BPF_MAP_TYPE_ARRAY, 4, 8, 4, BPF_F_MMAPABLE);
	union attr a;
	void *rw, *ro;

	memset(&a, 0, sizeof(a));
	a.a.map_fd = (uint32_t)ar;
	rw = map_mmap(b, ar, PROT_READ | PROT_WRITE);
	if (rw == MAP_FAILED)
		return;
	memcpy(rw, "abcdefgh", 8);
	E(b, -EBUSY, BPF_MAP_FREEZE, &a);
	munmap(rw, 4096);
	ro = map_mmap(b, ar, PROT_READ); /* a read-only mapping does not stop it */
	E(b, 0, BPF_MAP_FREEZE, &a);
	rec(b, " values %.8s", ro == MAP_FAILED ? "-" : (const char *)ro);
	map_mmap(b, ar, PROT_READ | PROT_WRITE); /* frozen: EPERM */
	if (ro != MAP_FAILED)
		munmap(ro, 4096);
	close(ar);
}

TEST(bpf_api_map_freeze_mmap)
{
	BOTH(sc_map_freeze_mmap);
}

static void sc_map_create(struct be *b)
{
	union attr a = {0};
	int fd;

	a.a.map_type = 9999;
	a.a.key_size = 4, a.a.value_size = 4, a.a.max_entries = 1;
	E(b, -EINVAL, BPF_MAP_CREATE, &a);
	a.a.map_type = BPF_MAP_TYPE_HASH;
	a.a.key_size = 0;
	E(b, -EINVAL, BPF_MAP_CREATE, &a);
	a.a.key_size = 4;
	a.a.max_entries = 0;
	E(b, -EINVAL, BPF_MAP_CREATE, &a);
	a.a.max_entries = 1;
	memcpy(a.a.map_name, "bad-name", 9);
	E(b, -EINVAL, BPF_MAP_CREATE, &a);
	memcpy(a.a.map_name, "good_name.1", 12);
	a.a.map_flags = 1u << 30;
	E(b, -EINVAL, BPF_MAP_CREATE, &a);
	a.a.map_flags = 0;
	a.a.map_extra = 1;
	E(b, -EINVAL, BPF_MAP_CREATE, &a);
	a.a.map_extra = 0;
	a.a.btf_fd = 9999;
	a.a.btf_value_type_id = 1;
	E(b, -EBADF, BPF_MAP_CREATE, &a);
	a.a.btf_fd = 0;
	a.a.btf_value_type_id = 0;
	fd = (int)E(b, FD, BPF_MAP_CREATE, &a);
	{
		struct bpf_map_info info;
		union attr ia = {0};

		memset(&info, 0, sizeof(info));
		ia.a.info.bpf_fd = (uint32_t)fd;
		ia.a.info.info = (uintptr_t)&info;
		ia.a.info.info_len = sizeof(info);
		E(b, 0, BPF_OBJ_GET_INFO_BY_FD, &ia);
		rec(b, " type=%u ks=%u vs=%u max=%u flags=%u name=%s len=%u", info.type,
		    info.key_size, info.value_size, info.max_entries, info.map_flags, info.name,
		    ia.a.info.info_len);
		ia.a.info.info_len = 8;
		E(b, 0, BPF_OBJ_GET_INFO_BY_FD, &ia);
		rec(b, " len=%u", ia.a.info.info_len);
		{
			unsigned char bigger[sizeof(info) + 16] = {0};

			bigger[sizeof(info) + 13] = 1; /* past Linux 6.18's hash_size */
			ia.a.info.info = (uintptr_t)bigger;
			ia.a.info.info_len = sizeof(bigger);
			E(b, -E2BIG, BPF_OBJ_GET_INFO_BY_FD, &ia);
			bigger[sizeof(info) + 13] = 0;
			E(b, 0, BPF_OBJ_GET_INFO_BY_FD, &ia);
			rec(b, " len=%u", ia.a.info.info_len);
		}
		ia.a.info.info = 16;
		E(b, -EFAULT, BPF_OBJ_GET_INFO_BY_FD, &ia);
		ia.a.info.bpf_fd = 9999;
		E(b, -EBADFD, BPF_OBJ_GET_INFO_BY_FD, &ia); /* sic: Linux says EBADFD here */
	}
	close(fd);
}

TEST(bpf_api_map_create_info)
{
	BOTH(sc_map_create);
}

static void sc_batch(struct be *b)
{
	int h = map_create(b, BPF_MAP_TYPE_HASH, 4, 8, 16, 0);
	uint32_t keys[16], out_keys[16], count, tok = 0;
	uint64_t vals[16], out_vals[16];
	union attr a;

	for (uint32_t i = 0; i < 5; i++)
		keys[i] = i * 3 + 1, vals[i] = 100 + i;
	memset(&a, 0, sizeof(a));
	a.a.batch.map_fd = (uint32_t)h;
	a.a.batch.keys = (uintptr_t)keys;
	a.a.batch.values = (uintptr_t)vals;
	a.a.batch.count = 5;
	E(b, 0, BPF_MAP_UPDATE_BATCH, &a);
	rec(b, " count=%u", a.a.batch.count);
	a.a.batch.elem_flags = 8;
	E(b, -EINVAL, BPF_MAP_UPDATE_BATCH, &a);
	memset(&a, 0, sizeof(a));
	a.a.batch.map_fd = (uint32_t)h;
	a.a.batch.keys = (uintptr_t)out_keys;
	a.a.batch.values = (uintptr_t)out_vals;
	a.a.batch.out_batch = (uintptr_t)&tok;
	a.a.batch.count = 16;
	E(b, -ENOENT, BPF_MAP_LOOKUP_BATCH, &a); /* all of it in one go: ENOENT */
	count = a.a.batch.count;
	rec(b, " count=%u", count);
	/* order is the hash's: compare as a set */
	{
		uint64_t sum = 0;
		for (uint32_t i = 0; i < count && i < 16; i++)
			sum += out_keys[i] * 1000 + out_vals[i];
		rec(b, " sum=%" PRIu64, sum);
	}
	memset(&a, 0, sizeof(a));
	a.a.batch.map_fd = (uint32_t)h;
	a.a.batch.keys = (uintptr_t)keys;
	a.a.batch.count = 2;
	E(b, 0, BPF_MAP_DELETE_BATCH, &a);
	rec(b, " count=%u", a.a.batch.count);
	E(b, -ENOENT, BPF_MAP_DELETE_BATCH, &a);
	rec(b, " count=%u", a.a.batch.count);
	a.a.batch.map_fd = 9999;
	E(b, -EBADF, BPF_MAP_DELETE_BATCH, &a);
	close(h);
}

TEST(bpf_api_map_batch)
{
	BOTH(sc_batch);
}

/* ---- programs ---- */

static const struct bpf_insn ret7[] = {
    {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 7},
    {.code = BPF_JMP | BPF_EXIT},
};

static const struct bpf_insn bad_r0[] = {
    {.code = BPF_JMP | BPF_EXIT},
};

/* log_true_size (Linux 6.4+; this system's header is older): right after
 * core_relo_rec_size. */
static uint32_t true_size(const union attr *a)
{
	uint32_t v;

	memcpy(&v, a->bytes + offsetof(union bpf_attr, core_relo_rec_size) + 4, 4);
	return v;
}

static void load_attr(union attr *a, uint32_t type, const struct bpf_insn *insns, uint32_t cnt)
{
	memset(a, 0, sizeof(*a));
	a->a.prog_type = type;
	a->a.insns = (uintptr_t)insns;
	a->a.insn_cnt = cnt;
	a->a.license = (uintptr_t) "GPL";
}

/* r1 = the map (by fd); r0 = 0: a program that only names it. */
static void names_map(struct bpf_insn out[4], int map_fd)
{
	memset(out, 0, 4 * sizeof(*out));
	out[0] = (struct bpf_insn){.code = BPF_LD | BPF_DW | BPF_IMM,
				   .dst_reg = 1,
				   .src_reg = BPF_PSEUDO_MAP_FD,
				   .imm = map_fd};
	out[2] = (struct bpf_insn){.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0};
	out[3] = (struct bpf_insn){.code = BPF_JMP | BPF_EXIT};
}

static void sc_prog_load(struct be *b)
{
	static char log[4096];
	union attr a;
	int fd;

	load_attr(&a, BPF_PROG_TYPE_SOCKET_FILTER, ret7, 2);
	memcpy(a.a.prog_name, "ret7", 5);
	fd = (int)E(b, FD, BPF_PROG_LOAD, &a);
	close(fd);
	a.a.insn_cnt = 0;
	E(b, -E2BIG, BPF_PROG_LOAD, &a);
	a.a.insn_cnt = 2;
	a.a.insns = 16;
	E(b, -EFAULT, BPF_PROG_LOAD, &a);
	a.a.insns = (uintptr_t)ret7;
	a.a.license = 16;
	E(b, -EFAULT, BPF_PROG_LOAD, &a);
	a.a.license = (uintptr_t) "GPL";
	a.a.prog_type = 9999;
	E(b, -EINVAL, BPF_PROG_LOAD, &a);
	a.a.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
	a.a.prog_flags = 1u << 20;
	E(b, -EINVAL, BPF_PROG_LOAD, &a);
	a.a.prog_flags = 0;
	memcpy(a.a.prog_name, "no-dash", 8);
	E(b, -EINVAL, BPF_PROG_LOAD, &a);
	memset(a.a.prog_name, 0, sizeof(a.a.prog_name));
	/* the verifier: rejected, with Linux's log */
	load_attr(&a, BPF_PROG_TYPE_SOCKET_FILTER, bad_r0, 1);
	E(b, -EACCES, BPF_PROG_LOAD, &a);
	memset(log, 0, sizeof(log));
	a.a.log_buf = (uintptr_t)log;
	a.a.log_size = sizeof(log);
	a.a.log_level = 1;
	E(b, -EACCES, BPF_PROG_LOAD, &a);
	rec(b, " log=[%s] true=%u", log, true_size(&a));
	/* a short log rotates: the end survives, ENOSPC */
	memset(log, 'x', sizeof(log));
	a.a.log_size = 12;
	E(b, -ENOSPC, BPF_PROG_LOAD, &a);
	rec(b, " log=[%s] true=%u", log, true_size(&a));
	a.a.log_level = 1 | 8; /* BPF_LOG_FIXED: the start */
	E(b, -ENOSPC, BPF_PROG_LOAD, &a);
	rec(b, " log=[%s] true=%u", log, true_size(&a));
	a.a.log_level = 0;
	E(b, -EINVAL, BPF_PROG_LOAD, &a); /* a buffer without a level */
	a.a.log_level = 1;
	a.a.log_buf = 0;
	E(b, -EINVAL, BPF_PROG_LOAD, &a); /* a size without a buffer */
	a.a.log_size = 0;
	E(b, -EACCES, BPF_PROG_LOAD, &a); /* a level alone: only the size */
	rec(b, " true=%u", true_size(&a));
	a.a.log_level = 64;
	E(b, -EINVAL, BPF_PROG_LOAD, &a);
	a.a.log_level = 1;
	a.a.log_buf = 16;
	a.a.log_size = 100;
	E(b, -EFAULT, BPF_PROG_LOAD, &a);
	/* an accepted program with a level-1 log */
	load_attr(&a, BPF_PROG_TYPE_SOCKET_FILTER, ret7, 2);
	memset(log, 0, sizeof(log));
	a.a.log_buf = (uintptr_t)log;
	a.a.log_size = sizeof(log);
	a.a.log_level = 1;
	fd = (int)E(b, FD, BPF_PROG_LOAD, &a);
	rec(b, " true=%u", true_size(&a));
	close(fd);
}

TEST(bpf_api_prog_load)
{
	BOTH(sc_prog_load);
}

static void sc_test_run(struct be *b)
{
	/* r0 = skb->len; the packet is 64 bytes */
	static const struct bpf_insn len_prog[] = {
	    {.code = BPF_LDX | BPF_MEM | BPF_W, .dst_reg = 0, .src_reg = 1, .off = 0},
	    {.code = BPF_JMP | BPF_EXIT},
	};
	uint8_t pkt[64], out[128];
	union attr a, t;
	int fd, mfd = map_create(b, BPF_MAP_TYPE_ARRAY, 4, 4, 1, 0);

	for (int i = 0; i < 64; i++)
		pkt[i] = (uint8_t)i;
	load_attr(&a, BPF_PROG_TYPE_SCHED_CLS, len_prog, 2);
	fd = (int)E(b, FD, BPF_PROG_LOAD, &a);
	memset(&t, 0, sizeof(t));
	t.a.test.prog_fd = (uint32_t)fd;
	t.a.test.data_in = (uintptr_t)pkt;
	t.a.test.data_size_in = sizeof(pkt);
	t.a.test.data_out = (uintptr_t)out;
	t.a.test.data_size_out = sizeof(out);
	t.a.test.repeat = 3;
	E(b, 0, BPF_PROG_TEST_RUN, &t);
	rec(b, " retval=%u size_out=%u", t.a.test.retval, t.a.test.data_size_out);
	rec_hex(b, "out", out, 64);
	t.a.test.data_size_out = 10;
	memset(out, 0, sizeof(out));
	E(b, -ENOSPC, BPF_PROG_TEST_RUN, &t);
	rec(b, " size_out=%u", t.a.test.data_size_out);
	rec_hex(b, "out", out, 12);
	t.a.test.data_size_out = sizeof(out);
	t.a.test.ctx_size_in = 4;
	E(b, -EINVAL, BPF_PROG_TEST_RUN, &t);
	t.a.test.ctx_size_in = 0;
	t.a.test.ctx_out = (uintptr_t)out;
	E(b, -EINVAL, BPF_PROG_TEST_RUN, &t);
	t.a.test.ctx_out = 0;
	t.a.test.data_in = 16;
	E(b, -EFAULT, BPF_PROG_TEST_RUN, &t);
	t.a.test.data_in = (uintptr_t)pkt;
	t.a.test.prog_fd = 9999;
	E(b, -EBADF, BPF_PROG_TEST_RUN, &t);
	t.a.test.prog_fd = (uint32_t)mfd;
	E(b, -EINVAL, BPF_PROG_TEST_RUN, &t);
	t.a.test.prog_fd = (uint32_t)fd;
	t.a.test.data_out = 16;
	E(b, -EFAULT, BPF_PROG_TEST_RUN, &t);
	close(fd), close(mfd);
}

TEST(bpf_api_test_run)
{
	BOTH(sc_test_run);
}

/* A syscall program's test run (Linux's bpf_prog_test_run_syscall): it
 * must be sleepable; the context comes back in ctx_in itself, which must
 * hold every byte the program accesses (16 here); data, ctx_out,
 * duration, repeat and flags are refused, cpu is not looked at. */
static void sc_test_run_syscall(struct be *b)
{
	/* ctx[1] = ctx[0] + 5; r0 = (u32)ctx[0] */
	static const struct bpf_insn prog[] = {
	    {.code = BPF_LDX | BPF_MEM | BPF_DW, .dst_reg = 2, .src_reg = 1, .off = 0},
	    {.code = BPF_ALU64 | BPF_ADD | BPF_K, .dst_reg = 2, .imm = 5},
	    {.code = BPF_STX | BPF_MEM | BPF_DW, .dst_reg = 1, .src_reg = 2, .off = 8},
	    {.code = BPF_LDX | BPF_MEM | BPF_W, .dst_reg = 0, .src_reg = 1, .off = 0},
	    {.code = BPF_JMP | BPF_EXIT},
	};
	static char log[1024];
	uint64_t ctx[3] = {7, 0, 0}, out[2];
	uint8_t pkt[16] = {0};
	union attr a, t;
	int fd;

	load_attr(&a, BPF_PROG_TYPE_SYSCALL, prog, 5);
	a.a.log_buf = (uintptr_t)log;
	a.a.log_size = sizeof(log);
	a.a.log_level = 1;
	E(b, -EINVAL, BPF_PROG_LOAD, &a);
	rec(b, " log=%s", log);
	a.a.prog_flags = BPF_F_SLEEPABLE;
	fd = (int)E(b, FD, BPF_PROG_LOAD, &a);
#define RUN(want, ...)                                                      \
	do {                                                                \
		memset(&t, 0, sizeof(t));                                   \
		t.a.test.prog_fd = (uint32_t)fd;                            \
		t.a.test.ctx_in = (uintptr_t)ctx;                           \
		t.a.test.ctx_size_in = 16;                                  \
		__VA_ARGS__;                                                \
		ctx[1] = 0;                                                 \
		E(b, want, BPF_PROG_TEST_RUN, &t);                          \
		rec(b, " retval=%u ctx1=%llu duration=%u", t.a.test.retval, \
		    (unsigned long long)ctx[1], t.a.test.duration);         \
	} while (0)
	RUN(0, );
	RUN(0, t.a.test.ctx_size_in = 24);
	RUN(0, t.a.test.cpu = 1);
	RUN(-EINVAL, t.a.test.ctx_size_in = 8);
	RUN(-EINVAL, t.a.test.ctx_size_in = 0; t.a.test.ctx_in = 0);
	RUN(-EINVAL, t.a.test.ctx_size_in = 65536);
	RUN(-EINVAL, t.a.test.ctx_out = (uintptr_t)out; t.a.test.ctx_size_out = sizeof(out));
	RUN(-EINVAL, t.a.test.repeat = 2);
	RUN(-EINVAL, t.a.test.data_in = (uintptr_t)pkt; t.a.test.data_size_in = sizeof(pkt));
	RUN(-EINVAL, t.a.test.data_out = (uintptr_t)pkt; t.a.test.data_size_out = sizeof(pkt));
	RUN(-EINVAL, t.a.test.duration = 1);
	RUN(-EINVAL, t.a.test.flags = 1);
	RUN(-EFAULT, t.a.test.ctx_in = 16);
#undef RUN
	close(fd);
	/* nor may it name a prog array (whose tail calls would reach a context
	 * its own accesses never asked for), though it may an array */
	for (int i = 0; i < 2; i++) {
		int m = map_create(b, i ? BPF_MAP_TYPE_ARRAY : BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 1, 0);
		struct bpf_insn ld[4];

		names_map(ld, m);
		load_attr(&a, BPF_PROG_TYPE_SYSCALL, ld, 4);
		a.a.prog_flags = BPF_F_SLEEPABLE;
		a.a.log_buf = (uintptr_t)log;
		a.a.log_size = sizeof(log);
		a.a.log_level = 1;
		log[0] = '\0';
		fd = (int)E(b, i ? FD : -EINVAL, BPF_PROG_LOAD, &a);
		rec(b, " log=%.90s", log);
		if (fd >= 0)
			close(fd);
		close(m);
	}
}

TEST(bpf_api_test_run_syscall)
{
	BOTH(sc_test_run_syscall);
}

/* A program using a map, its info (tag, xlated, map ids), ids and fds. */
static void sc_prog_info(struct be *b)
{
	int mfd = map_create(b, BPF_MAP_TYPE_ARRAY, 4, 8, 1, 0);
	struct bpf_insn prog[] = {
	    /* r0 = *(u64 *)(&map[0]) via a map value pointer */
	    {.code = BPF_LD | BPF_IMM | BPF_DW,
	     .dst_reg = 1,
	     .src_reg = BPF_PSEUDO_MAP_VALUE,
	     .imm = mfd},
	    {.imm = 0},
	    {.code = BPF_LDX | BPF_MEM | BPF_DW, .dst_reg = 0, .src_reg = 1},
	    {.code = BPF_JMP | BPF_EXIT},
	};
	struct bpf_prog_info info;
	struct bpf_insn xl[8];
	uint32_t map_ids[4] = {0}, map_id, next = 0;
	union attr a, ia;
	int fd, fd2;

	load_attr(&a, BPF_PROG_TYPE_SOCKET_FILTER, prog, 4);
	memcpy(a.a.prog_name, "info_prog", 10);
	fd = (int)E(b, FD, BPF_PROG_LOAD, &a);
	{
		struct bpf_map_info mi;

		memset(&ia, 0, sizeof(ia));
		memset(&mi, 0, sizeof(mi));
		ia.a.info.bpf_fd = (uint32_t)mfd;
		ia.a.info.info = (uintptr_t)&mi;
		ia.a.info.info_len = sizeof(mi);
		E(b, 0, BPF_OBJ_GET_INFO_BY_FD, &ia);
		map_id = mi.id;
	}
	memset(&info, 0, sizeof(info));
	memset(xl, 0, sizeof(xl));
	info.xlated_prog_insns = (uintptr_t)xl;
	info.xlated_prog_len = sizeof(xl);
	info.map_ids = (uintptr_t)map_ids;
	info.nr_map_ids = 4;
	memset(&ia, 0, sizeof(ia));
	ia.a.info.bpf_fd = (uint32_t)fd;
	ia.a.info.info = (uintptr_t)&info;
	ia.a.info.info_len = sizeof(info);
	E(b, 0, BPF_OBJ_GET_INFO_BY_FD, &ia);
	rec(b, " type=%u name=%s gpl=%u xlated=%u nr_maps=%u map_is_ours=%d", info.type, info.name,
	    info.gpl_compatible, info.xlated_prog_len, info.nr_map_ids, map_ids[0] == map_id);
	rec_hex(b, "tag", info.tag, 8);
	/* the xlated lddw names the map by id */
	rec(b, " ld_src=%u ld_is_id=%d", xl[0].src_reg, (uint32_t)xl[0].imm == map_id);
	rec_hex(b, "xlated_tail", &xl[2], 16);
	/* ids: the program is found by id, and another fd of it gives the same id */
	memset(&ia, 0, sizeof(ia));
	ia.a.start_id = info.id - 1;
	E(b, 0, BPF_PROG_GET_NEXT_ID, &ia);
	rec(b, " next_is_ours=%d", ia.a.next_id == info.id);
	memset(&ia, 0, sizeof(ia));
	ia.a.prog_id = info.id;
	fd2 = (int)E(b, FD, BPF_PROG_GET_FD_BY_ID, &ia);
	{
		struct bpf_prog_info i2;

		memset(&i2, 0, sizeof(i2));
		memset(&ia, 0, sizeof(ia));
		ia.a.info.bpf_fd = (uint32_t)fd2;
		ia.a.info.info = (uintptr_t)&i2;
		ia.a.info.info_len = sizeof(i2);
		E(b, 0, BPF_OBJ_GET_INFO_BY_FD, &ia);
		rec(b, " same_id=%d", i2.id == info.id);
	}
	memset(&ia, 0, sizeof(ia));
	ia.a.prog_id = 0x7ffffff0;
	E(b, -ENOENT, BPF_PROG_GET_FD_BY_ID, &ia);
	ia.a.map_id = 0x7ffffff0;
	E(b, -ENOENT, BPF_MAP_GET_FD_BY_ID, &ia);
	memset(&ia, 0, sizeof(ia));
	ia.a.start_id = map_id - 1;
	E(b, 0, BPF_MAP_GET_NEXT_ID, &ia);
	next = ia.a.next_id;
	rec(b, " map_next_ok=%d", next <= map_id);
	memset(&ia, 0, sizeof(ia));
	ia.a.map_id = map_id;
	ia.a.open_flags = BPF_F_RDONLY | BPF_F_WRONLY;
	E(b, -EINVAL, BPF_MAP_GET_FD_BY_ID, &ia);
	close(fd2), close(fd), close(mfd);
}

TEST(bpf_api_prog_info_ids)
{
	BOTH(sc_prog_info);
}

/* Tail calls through a PROG_ARRAY filled with a prog fd from user space. */
static void sc_prog_array(struct be *b)
{
	int pa = map_create(b, BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 2, 0);
	struct bpf_insn caller[] = {
	    {.code = BPF_LD | BPF_IMM | BPF_DW,
	     .dst_reg = 2,
	     .src_reg = BPF_PSEUDO_MAP_FD,
	     .imm = pa},
	    {.imm = 0},
	    {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 3, .imm = 0},
	    {.code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_tail_call},
	    {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 1},
	    {.code = BPF_JMP | BPF_EXIT},
	};
	uint8_t pkt[64] = {0};
	uint32_t k = 0, id = 0, bad = 5;
	int callee, fd;
	union attr a, t;

	load_attr(&a, BPF_PROG_TYPE_SCHED_CLS, ret7, 2);
	callee = (int)E(b, FD, BPF_PROG_LOAD, &a);
	load_attr(&a, BPF_PROG_TYPE_SCHED_CLS, caller, 6);
	fd = (int)E(b, FD, BPF_PROG_LOAD, &a);
	memset(&t, 0, sizeof(t));
	t.a.test.prog_fd = (uint32_t)fd;
	t.a.test.data_in = (uintptr_t)pkt;
	t.a.test.data_size_in = sizeof(pkt);
	E(b, 0, BPF_PROG_TEST_RUN, &t);
	rec(b, " retval=%u", t.a.test.retval); /* empty slot: falls through */
	elem(&a, pa, &k, &callee, 0);
	E(b, 0, BPF_MAP_UPDATE_ELEM, &a);
	elem(&a, pa, &k, &pa, 0);
	E(b, -EINVAL, BPF_MAP_UPDATE_ELEM, &a); /* a map fd is no program */
	elem(&a, pa, &k, &bad, 0);
	a.a.value = (uintptr_t)&bad;
	bad = 9999;
	E(b, -EBADF, BPF_MAP_UPDATE_ELEM, &a);
	E(b, 0, BPF_PROG_TEST_RUN, &t);
	rec(b, " retval=%u", t.a.test.retval);
	/* user space reads back the program's id */
	elem(&a, pa, &k, &id, 0);
	E(b, 0, BPF_MAP_LOOKUP_ELEM, &a);
	{
		struct bpf_prog_info pi;
		union attr ia = {0};

		memset(&pi, 0, sizeof(pi));
		ia.a.info.bpf_fd = (uint32_t)callee;
		ia.a.info.info = (uintptr_t)&pi;
		ia.a.info.info_len = sizeof(pi);
		E(b, 0, BPF_OBJ_GET_INFO_BY_FD, &ia);
		rec(b, " id_is_callee=%d", id == pi.id);
	}
	/* A repeated run starts each run at the caller again, with no tail
	 * calls made: it counts its runs in an array before tail-calling the
	 * callee, which must answer every time. */
	int cnt = map_create(b, BPF_MAP_TYPE_ARRAY, 4, 8, 1, 0);
	struct bpf_insn counting[] = {
	    {.code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = 6, .src_reg = 1},
	    {.code = BPF_ST | BPF_MEM | BPF_W, .dst_reg = 10, .off = -4, .imm = 0},
	    {.code = BPF_LD | BPF_IMM | BPF_DW,
	     .dst_reg = 1,
	     .src_reg = BPF_PSEUDO_MAP_FD,
	     .imm = cnt},
	    {.imm = 0},
	    {.code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = 2, .src_reg = 10},
	    {.code = BPF_ALU64 | BPF_ADD | BPF_K, .dst_reg = 2, .imm = -4},
	    {.code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_map_lookup_elem},
	    {.code = BPF_JMP | BPF_JEQ | BPF_K, .dst_reg = 0, .off = 2, .imm = 0},
	    {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 1, .imm = 1},
	    {.code = BPF_STX | BPF_ATOMIC | BPF_DW, .dst_reg = 0, .src_reg = 1, .imm = BPF_ADD},
	    {.code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = 1, .src_reg = 6},
	    {.code = BPF_LD | BPF_IMM | BPF_DW,
	     .dst_reg = 2,
	     .src_reg = BPF_PSEUDO_MAP_FD,
	     .imm = pa},
	    {.imm = 0},
	    {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 3, .imm = 0},
	    {.code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_tail_call},
	    {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 1},
	    {.code = BPF_JMP | BPF_EXIT},
	};
	uint64_t runs = 0;
	int counter;

	load_attr(&a, BPF_PROG_TYPE_SCHED_CLS, counting, sizeof(counting) / sizeof(counting[0]));
	counter = (int)E(b, FD, BPF_PROG_LOAD, &a);
	t.a.test.prog_fd = (uint32_t)counter;
	t.a.test.repeat = 40; /* past the 33 tail calls a run may make */
	E(b, 0, BPF_PROG_TEST_RUN, &t);
	elem(&a, cnt, &k, &runs, 0);
	E(b, 0, BPF_MAP_LOOKUP_ELEM, &a);
	rec(b, " repeated retval=%u runs=%llu", t.a.test.retval, (unsigned long long)runs);
	close(counter), close(cnt);
	close(callee), close(fd), close(pa);
}

TEST(bpf_api_prog_array)
{
	BOTH(sc_prog_array);
}

/* A prog array takes the type of the first program that uses it, put into
 * it or loaded with it; programs of another type are refused both ways
 * (Linux's bpf_prog_map_compatible). */
static void sc_prog_array_owner(struct be *b)
{
	int pa = map_create(b, BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 2, 0), x, s, fd;
	uint32_t k0 = 0, k1 = 1;
	union attr a;

	load_attr(&a, BPF_PROG_TYPE_XDP, ret7, 2);
	x = (int)E(b, FD, BPF_PROG_LOAD, &a);
	load_attr(&a, BPF_PROG_TYPE_SOCKET_FILTER, ret7, 2);
	s = (int)E(b, FD, BPF_PROG_LOAD, &a);
	elem(&a, pa, &k0, &x, 0);
	E(b, 0, BPF_MAP_UPDATE_ELEM, &a); /* the array is XDP's now */
	elem(&a, pa, &k1, &s, 0);
	E(b, -EINVAL, BPF_MAP_UPDATE_ELEM, &a);
	{
		struct bpf_insn names_it[4];

		names_map(names_it, pa);
		load_attr(&a, BPF_PROG_TYPE_SOCKET_FILTER, names_it, 4);
		E(b, -EINVAL, BPF_PROG_LOAD, &a);
		load_attr(&a, BPF_PROG_TYPE_XDP, names_it, 4);
		fd = (int)E(b, FD, BPF_PROG_LOAD, &a);
		close(fd);
	}
	elem(&a, pa, &k1, &x, 0);
	E(b, 0, BPF_MAP_UPDATE_ELEM, &a);
	close(x), close(s), close(pa);
}

TEST(bpf_api_prog_array_owner)
{
	BOTH(sc_prog_array_owner);
}

static int obj_refs(int fd)
{
	struct api_obj *o = api_obj_get(fd, API_KIND_PROG, "test");
	int n = o ? o->tab.refcnt - 1 : -1; /* less this get's own */

	api_obj_put(o);
	return n;
}

/* exobpf's side of a refused update: the reference the map took on the
 * program to store it goes back (it was kept before, a leak). */
TEST(bpf_api_prog_array_refusal_keeps_no_reference)
{
	union attr a;
	uint32_t k = 0;
	int pa, x, s, before;

	memset(&a, 0, sizeof(a));
	a.a.map_type = BPF_MAP_TYPE_PROG_ARRAY;
	a.a.key_size = a.a.value_size = 4;
	a.a.max_entries = 1;
	pa = (int)exobpf_bpf(BPF_MAP_CREATE, &a.a, sizeof(a));
	load_attr(&a, BPF_PROG_TYPE_XDP, ret7, 2);
	x = (int)exobpf_bpf(BPF_PROG_LOAD, &a.a, sizeof(a));
	load_attr(&a, BPF_PROG_TYPE_SOCKET_FILTER, ret7, 2);
	s = (int)exobpf_bpf(BPF_PROG_LOAD, &a.a, sizeof(a));
	CHECK(pa >= 0 && x >= 0 && s >= 0);
	elem(&a, pa, &k, &x, 0);
	CHECK_EQ(exobpf_bpf(BPF_MAP_UPDATE_ELEM, &a.a, sizeof(a)), 0);
	before = obj_refs(s);
	CHECK(before > 0);
	elem(&a, pa, &k, &s, 0);
	CHECK_EQ(exobpf_bpf(BPF_MAP_UPDATE_ELEM, &a.a, sizeof(a)), -EINVAL);
	CHECK_CONTAINS(exobpf_errmsg(), "holds programs of type 6; this one is of type 1");
	CHECK_EQ(obj_refs(s), before);
	close(x), close(s), close(pa);
}

/* ---- BTF ---- */

/* One type: int, 4 bytes, signed (hand-assembled from the BTF spec). */
static const uint8_t btf_int[] = {
    0x9f, 0xeb, 1,   0,	  24, 0, 0, 0, /* magic, version, flags, hdr_len */
    0,	  0,	0,   0,	  16, 0, 0, 0, /* type_off, type_len */
    16,	  0,	0,   0,	  5,  0, 0, 0, /* str_off, str_len */
    1,	  0,	0,   0,	  0,  0, 0, 1, /* name_off 1, info: kind INT */
    4,	  0,	0,   0,	  32, 0, 0, 1, /* size 4; encoding signed, 32 bits */
    0,	  'i',	'n', 't', 0,
};

/* BTF_LOAD's log for a bad header: Linux's lines, word for word. */
static void btf_log_case(struct be *b, int line, long want, const char *what, uint8_t *data,
			 uint32_t size)
{
	static char log[65536];
	union attr a;

	memset(&a, 0, sizeof(a));
	memset(log, 0, sizeof(log));
	a.a.btf = (uintptr_t)data;
	a.a.btf_size = size;
	a.a.btf_log_buf = (uintptr_t)log;
	a.a.btf_log_size = sizeof(log);
	a.a.btf_log_level = 1;
	step(b, line, want, BPF_BTF_LOAD, &a, sizeof(a));
	rec(b, " %s log:\n%s", what, log);
}

/* [1] int, [2] a pointer to it; strings "\0int" */
static const uint8_t btf_ptr[] = {
    0x9f, 0xeb, 1,   0,	  24, 0, 0, 0, 0, 0, 0, 0, 28, 0, 0, 0, 28, 0, 0, 0,
    5,	  0,	0,   0,	  1,  0, 0, 0, 0, 0, 0, 1, 4,  0, 0, 0, 32, 0, 0, 1, /* [1] INT int */
    0,	  0,	0,   0,	  0,  0, 0, 2, 1, 0, 0, 0,			     /* [2] PTR -> 1 */
    0,	  'i',	'n', 't', 0,
};

/* Types Linux refuses, each with its log up to the error and its errno. */
static void sc_btf_log_types_bad(struct be *b)
{
	uint8_t d[sizeof(btf_ptr)];
	uint32_t v;

#define CASE(want, what, size) btf_log_case(b, __LINE__, want, what, d, size)
#define RESET()		       memcpy(d, btf_ptr, sizeof(btf_ptr))
	RESET();
	d[24 + 4 + 2] = 0x10; /* a bit outside BTF_INFO_MASK */
	CASE(-EINVAL, "btf_info", sizeof(d));
	RESET();
	d[24 + 16 + 7] = 0x1f;
	CASE(-EINVAL, "kind 31", sizeof(d));
	RESET();
	d[24 + 16 + 7] = 0;
	CASE(-EINVAL, "kind 0", sizeof(d));
	RESET();
	d[24 + 16] = 9;
	CASE(-EINVAL, "name_offset", sizeof(d));
	RESET();
	d[24 + 12] = 33;
	CASE(-EINVAL, "nr_bits", sizeof(d));
	RESET();
	d[24 + 16] = 1;
	CASE(-EINVAL, "pointer with a name", sizeof(d));
	RESET();
	d[24 + 16 + 8] = 7;
	CASE(-EINVAL, "pointer to no type", sizeof(d));
	RESET();
	d[24 + 16 + 7] = 0x82;
	CASE(-EINVAL, "pointer kind_flag", sizeof(d));
	RESET();
	d[24 + 7] = 0x81;
	CASE(-EINVAL, "int kind_flag", sizeof(d));
	RESET();
	d[24 + 12 + 3] = 8;
	CASE(-API_ENOTSUPP_, "int encoding 8", sizeof(d));
	RESET();
	v = 24; /* the pointer cut short: 8 bytes of its 12 */
	memcpy(d + 12, &v, 4);
	memcpy(d + 16, &v, 4);
	memcpy(d + 48, btf_ptr + 52, 5);
	CASE(-EINVAL, "meta_left", 24 + 24 + 5);
#undef RESET
#undef CASE
}

static void sc_btf_log(struct be *b)
{
	uint8_t d[sizeof(btf_int) + 8];
	uint32_t v;

#define CASE(want, what, size) btf_log_case(b, __LINE__, want, what, d, size)
	memcpy(d, btf_int, sizeof(btf_int));
	CASE(-EINVAL, "4 bytes", 4);
	v = 64; /* hdr_len past the data */
	memcpy(d + 4, &v, 4);
	CASE(-EINVAL, "hdr_len 64", sizeof(btf_int));
	memcpy(d, btf_int, sizeof(btf_int));
	d[0] = 0x12;
	CASE(-EINVAL, "magic", sizeof(btf_int));
	memcpy(d, btf_int, sizeof(btf_int));
	d[2] = 2;
	CASE(-API_ENOTSUPP_, "version", sizeof(btf_int));
	memcpy(d, btf_int, sizeof(btf_int));
	d[3] = 1;
	CASE(-API_ENOTSUPP_, "flags", sizeof(btf_int));
	memcpy(d, btf_int, sizeof(btf_int));
	CASE(-EINVAL, "header only", 24);
	v = 28; /* a longer header with a non-zero byte past Linux's */
	memcpy(d + 4, &v, 4);
	CASE(-E2BIG, "unknown header bytes", sizeof(btf_int));
#undef CASE
}

/* A whole object's BTF (as the loader fixed it up: data sections sized),
 * accepted: Linux logs every type, one line each. */
static uint8_t obj_btf[65536];
static uint32_t obj_btf_size;

/* The kinds the objects lack: enums (unsigned and signed), ENUM64, FLOAT,
 * VOLATILE, RESTRICT, DECL_TAG. */
static uint32_t kinds_btf[64];
static uint32_t kinds_size;

static void build_kinds_btf(void)
{
	static const char strs[] = "\0int\0e\0A\0B\0se\0C\0e64\0D\0float\0td\0dt";
	uint32_t t[] = {
	    1,
	    1u << 24,
	    4,
	    1u << 24 | 32, /* [1] INT int */
	    5,
	    6u << 24 | 2,
	    4,
	    7,
	    1,
	    9,
	    0xffffffffu, /* [2] ENUM e: A=1, B=0xffffffff */
	    11,
	    1u << 31 | 6u << 24 | 1,
	    4,
	    14,
	    (uint32_t)-2, /* [3] ENUM se (signed): C=-2 */
	    16,
	    19u << 24 | 1,
	    8,
	    20,
	    1,
	    1, /* [4] ENUM64 e64: D=0x100000001 */
	    22,
	    16u << 24,
	    4, /* [5] FLOAT float */
	    0,
	    9u << 24,
	    1, /* [6] VOLATILE int */
	    0,
	    2u << 24,
	    1, /* [7] PTR int */
	    0,
	    11u << 24,
	    7, /* [8] RESTRICT ptr */
	    28,
	    8u << 24,
	    1, /* [9] TYPEDEF td */
	    31,
	    17u << 24,
	    9,
	    (uint32_t)-1, /* [10] DECL_TAG dt on td */
	};
	uint32_t hdr[6] = {0x0001eb9f, 24, 0, sizeof(t), sizeof(t), sizeof(strs)};

	memcpy(kinds_btf, hdr, sizeof(hdr));
	memcpy(kinds_btf + 6, t, sizeof(t));
	memcpy(kinds_btf + 6 + sizeof(t) / 4, strs, sizeof(strs));
	kinds_size = (uint32_t)(sizeof(hdr) + sizeof(t) + sizeof(strs));
}

static void sc_btf_log_kinds(struct be *b)
{
	btf_log_case(b, __LINE__, FD, "more kinds", (uint8_t *)kinds_btf, kinds_size);
}

static void sc_btf_log_types(struct be *b)
{
	btf_log_case(b, __LINE__, FD, "an object's BTF", obj_btf, obj_btf_size);
	btf_log_case(b, __LINE__, FD, "one int", (uint8_t *)btf_int, sizeof(btf_int));
}

TEST(bpf_api_btf_log_header)
{
	/* between them: INT PTR ARRAY STRUCT UNION FWD TYPEDEF CONST VAR FUNC
	 * FUNC_PROTO DATASEC */
	static const char *const objs[] = {"progs/trace_uprobe.bpf.o", "progs/tc_mark.bpf.o"};

	BOTH(sc_btf_log);
	BOTH(sc_btf_log_types_bad);
	build_kinds_btf();
	BOTH(sc_btf_log_kinds);
	for (size_t i = 0; i < sizeof(objs) / sizeof(objs[0]); i++) {
		struct exobpf_object *obj =
		    exobpf_object__open_file(test_build_path(objs[i]), NULL);
		const void *raw;

		CHECK_MSG(obj && !exobpf_object__load(obj), "%s", exobpf_errmsg());
		raw = exobpf_btf__raw_data(exobpf_object__btf(obj), &obj_btf_size);
		CHECK(raw && obj_btf_size <= sizeof(obj_btf));
		memcpy(obj_btf, raw, obj_btf_size);
		exobpf_object__close(obj);
		BOTH(sc_btf_log_types);
	}
}

static void sc_btf(struct be *b)
{
	uint8_t junk[40], out[64];
	union attr a, ia;
	struct bpf_btf_info info;
	int fd, fd2;

	memset(&a, 0, sizeof(a));
	a.a.btf = (uintptr_t)btf_int;
	a.a.btf_size = sizeof(btf_int);
	fd = (int)E(b, FD, BPF_BTF_LOAD, &a);
	memset(junk, 0xab, sizeof(junk));
	a.a.btf = (uintptr_t)junk;
	a.a.btf_size = sizeof(junk);
	E(b, -EINVAL, BPF_BTF_LOAD, &a);
	a.a.btf = 16;
	E(b, -EFAULT, BPF_BTF_LOAD, &a);
	a.a.btf = (uintptr_t)btf_int;
	a.a.btf_size = 1u << 30;
	E(b, -E2BIG, BPF_BTF_LOAD, &a);
	a.a.btf_size = sizeof(btf_int);
	a.a.btf_log_size = 100;
	E(b, -EINVAL, BPF_BTF_LOAD, &a);
	memset(&info, 0, sizeof(info));
	info.btf = (uintptr_t)out;
	info.btf_size = sizeof(out);
	memset(&ia, 0, sizeof(ia));
	ia.a.info.bpf_fd = (uint32_t)fd;
	ia.a.info.info = (uintptr_t)&info;
	ia.a.info.info_len = sizeof(info);
	E(b, 0, BPF_OBJ_GET_INFO_BY_FD, &ia);
	rec(b, " size=%u same=%d kernel=%u", info.btf_size, !memcmp(out, btf_int, sizeof(btf_int)),
	    info.kernel_btf);
	memset(&ia, 0, sizeof(ia));
	ia.a.btf_id = info.id;
	fd2 = (int)E(b, FD, BPF_BTF_GET_FD_BY_ID, &ia);
	memset(&ia, 0, sizeof(ia));
	ia.a.start_id = info.id - 1;
	E(b, 0, BPF_BTF_GET_NEXT_ID, &ia);
	rec(b, " next_ok=%d", ia.a.next_id <= info.id);
	/* a map typed by the BTF: int key, int value */
	memset(&a, 0, sizeof(a));
	a.a.map_type = BPF_MAP_TYPE_HASH;
	a.a.key_size = 4, a.a.value_size = 4, a.a.max_entries = 1;
	a.a.btf_fd = (uint32_t)fd;
	a.a.btf_key_type_id = 1;
	a.a.btf_value_type_id = 1;
	{
		int m = (int)E(b, FD, BPF_MAP_CREATE, &a);
		struct bpf_map_info mi;

		memset(&mi, 0, sizeof(mi));
		memset(&ia, 0, sizeof(ia));
		ia.a.info.bpf_fd = (uint32_t)m;
		ia.a.info.info = (uintptr_t)&mi;
		ia.a.info.info_len = sizeof(mi);
		E(b, 0, BPF_OBJ_GET_INFO_BY_FD, &ia);
		rec(b, " map_btf_ok=%d k=%u v=%u", mi.btf_id == info.id, mi.btf_key_type_id,
		    mi.btf_value_type_id);
		close(m);
	}
	a.a.value_size = 8; /* not the size of int */
	E(b, -EINVAL, BPF_MAP_CREATE, &a);
	close(fd2), close(fd);
}

TEST(bpf_api_btf)
{
	BOTH(sc_btf);
}

/* ---- pinning ---- */

static void sc_pin(struct be *b)
{
	int m = map_create(b, BPF_MAP_TYPE_ARRAY, 4, 4, 1, 0), p, g;
	char path[256], ppath[256];
	union attr a;
	uint32_t k = 0, v = 42, out = 0;

	load_attr(&a, BPF_PROG_TYPE_SOCKET_FILTER, ret7, 2);
	p = (int)E(b, FD, BPF_PROG_LOAD, &a);
	snprintf(path, sizeof(path), "%s-map", b->pin);
	snprintf(ppath, sizeof(ppath), "%s-prog", b->pin);
	memset(&a, 0, sizeof(a));
	a.a.pathname = (uintptr_t)path;
	a.a.bpf_fd = (uint32_t)m;
	E(b, 0, BPF_OBJ_PIN, &a);
	E(b, -EEXIST, BPF_OBJ_PIN, &a);
	a.a.bpf_fd = 9999;
	E(b, -EINVAL, BPF_OBJ_PIN, &a); /* any fd that is no object */
	a.a.bpf_fd = (uint32_t)p;
	a.a.pathname = (uintptr_t)ppath;
	E(b, 0, BPF_OBJ_PIN, &a);
	a.a.pathname = (uintptr_t) "/tmp/exobpf-not-bpffs";
	E(b, -EPERM, BPF_OBJ_PIN, &a);
	a.a.pathname = (uintptr_t) "/sys/fs/bpf/../exobpf-api-dotdot"; /* /sys/fs: sysfs */
	E(b, -EPERM, BPF_OBJ_PIN, &a);
	a.a.pathname = 16;
	E(b, -EFAULT, BPF_OBJ_PIN, &a);
	a.a.pathname = (uintptr_t)path;
	a.a.file_flags = 1;
	E(b, -EINVAL, BPF_OBJ_PIN, &a);
	elem(&a, m, &k, &v, 0);
	E(b, 0, BPF_MAP_UPDATE_ELEM, &a);
	/* get: the same map through a new fd */
	memset(&a, 0, sizeof(a));
	a.a.pathname = (uintptr_t)path;
	g = (int)E(b, FD, BPF_OBJ_GET, &a);
	elem(&a, g, &k, &out, 0);
	E(b, 0, BPF_MAP_LOOKUP_ELEM, &a);
	rec(b, " v=%u", out);
	close(g);
	memset(&a, 0, sizeof(a));
	a.a.pathname = (uintptr_t)path;
	a.a.file_flags = BPF_F_RDONLY;
	g = (int)E(b, FD, BPF_OBJ_GET, &a);
	elem(&a, g, &k, &v, 0);
	E(b, -EPERM, BPF_MAP_UPDATE_ELEM, &a);
	close(g);
	memset(&a, 0, sizeof(a));
	a.a.pathname = (uintptr_t)path;
	a.a.bpf_fd = 1;
	E(b, -EINVAL, BPF_OBJ_GET, &a);
	a.a.bpf_fd = 0;
	a.a.file_flags = BPF_F_RDONLY | BPF_F_WRONLY;
	E(b, -EINVAL, BPF_OBJ_GET, &a);
	a.a.file_flags = 0;
	a.a.pathname = (uintptr_t)ppath;
	g = (int)E(b, FD, BPF_OBJ_GET, &a);
	close(g);
	a.a.file_flags = BPF_F_RDONLY;
	g = (int)E(b, FD, BPF_OBJ_GET, &a); /* a program's fd ignores the mode */
	close(g);
	a.a.file_flags = 0;
	snprintf(path + strlen(path), 8, "-none");
	a.a.pathname = (uintptr_t)path;
	E(b, -ENOENT, BPF_OBJ_GET, &a);
	unlink(ppath);
	path[strlen(path) - 5] = '\0';
	unlink(path);
	close(m), close(p);
}

TEST(bpf_api_pin)
{
	BOTH_PINS(sc_pin);
}

/* ---- the rest ---- */

static void sc_misc(struct be *b)
{
	int m = map_create(b, BPF_MAP_TYPE_ARRAY, 4, 4, 1, 0), s;
	union attr a;

	memset(&a, 0, sizeof(a));
	a.a.enable_stats.type = 7;
	E(b, -EINVAL, BPF_ENABLE_STATS, &a);
	a.a.enable_stats.type = BPF_STATS_RUN_TIME;
	s = (int)E(b, FD, BPF_ENABLE_STATS, &a);
	map_mmap(b, s, PROT_READ); /* the stats fd has no mmap: ENODEV */
	close(s);
	memset(&a, 0, sizeof(a));
	a.a.link_detach.link_fd = 9999;
	E(b, -EBADF, BPF_LINK_DETACH, &a);
	a.a.link_detach.link_fd = (uint32_t)m;
	E(b, -EINVAL, BPF_LINK_DETACH, &a);
	memset(&a, 0, sizeof(a));
	a.a.link_id = 0x7ffffff0;
	E(b, -ENOENT, BPF_LINK_GET_FD_BY_ID, &a);
	memset(&a, 0, sizeof(a));
	a.a.link_create.prog_fd = 9999;
	E(b, -EBADF, BPF_LINK_CREATE, &a);
	a.a.link_create.prog_fd = (uint32_t)m;
	E(b, -EINVAL, BPF_LINK_CREATE, &a);
	memset(&a, 0, sizeof(a));
	a.a.attach_type = 9999;
	E(b, -EINVAL, BPF_PROG_ATTACH, &a);
	a.a.attach_type = BPF_CGROUP_INET_INGRESS;
	a.a.attach_bpf_fd = 9999;
	E(b, -EBADF, BPF_PROG_ATTACH, &a);
	a.a.attach_bpf_fd = (uint32_t)m;
	E(b, -EINVAL, BPF_PROG_ATTACH, &a);
	close(m);
}

TEST(bpf_api_misc)
{
	BOTH(sc_misc);
}

/* XDP links: Linux's refusals are EINVAL on both; an interface Linux would
 * attach to is EOPNOTSUPP here (the kernel's packets cannot go through
 * user space), with a message saying what to run instead. */
TEST(bpf_api_xdp_link)
{
	static const struct bpf_insn pass[] = {
	    {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 2},
	    {.code = BPF_JMP | BPF_EXIT},
	};
	union attr a;
	int p;

	load_attr(&a, BPF_PROG_TYPE_XDP, pass, 2);
	a.a.expected_attach_type = BPF_XDP;
	p = exobpf_bpf(BPF_PROG_LOAD, &a.a, sizeof(a));
	CHECK_MSG(p >= 0, "%s", exobpf_errmsg());
	memset(&a, 0, sizeof(a));
	a.a.link_create.prog_fd = (uint32_t)p;
	a.a.link_create.attach_type = BPF_XDP;
	a.a.link_create.target_ifindex = 0; /* Linux: EINVAL (checked against 6.18) */
	CHECK_EQ(exobpf_bpf(BPF_LINK_CREATE, &a.a, sizeof(a)), -EINVAL);
	a.a.link_create.target_ifindex = 1; /* lo */
	a.a.link_create.flags = 0x100;
	CHECK_EQ(exobpf_bpf(BPF_LINK_CREATE, &a.a, sizeof(a)), -EINVAL);
	a.a.link_create.flags = 0;
	CHECK_EQ(exobpf_bpf(BPF_LINK_CREATE, &a.a, sizeof(a)), -EOPNOTSUPP);
	CHECK_CONTAINS(exobpf_errmsg(), "XDP on lo (ifindex 1)");
	CHECK_CONTAINS(exobpf_errmsg(), "exobpf xdp OBJ --dev lo");
	close(p);
}

/* ---- perf events: libbpf's uprobe attach path ---- */

/* A counter: the array's value 0 goes up by one per run. */
static void counter_prog(struct bpf_insn *p, int map)
{
	const struct bpf_insn insns[] = {
	    {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 1, .imm = 0},
	    {.code = BPF_STX | BPF_MEM | BPF_W, .dst_reg = 10, .src_reg = 1, .off = -4},
	    {.code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = 2, .src_reg = 10},
	    {.code = BPF_ALU64 | BPF_ADD | BPF_K, .dst_reg = 2, .imm = -4},
	    {.code = BPF_LD | BPF_DW | BPF_IMM, .dst_reg = 1, .src_reg = 1, .imm = map},
	    {0},
	    {.code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_map_lookup_elem},
	    {.code = BPF_JMP | BPF_JEQ | BPF_K, .dst_reg = 0, .off = 2},
	    {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 1, .imm = 1},
	    {.code = BPF_STX | BPF_ATOMIC | BPF_DW, .dst_reg = 0, .src_reg = 1, .imm = BPF_ADD},
	    {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0},
	    {.code = BPF_JMP | BPF_EXIT},
	};
	memcpy(p, insns, sizeof(insns));
}
#define COUNTER_LEN 12

static struct {
	int type;      /* the uprobe PMU's */
	char lib[512]; /* the probed library */
	uint64_t off;  /* lib_mix's file offset */
	long (*mix)(long, long, long, long, long, long);
} up;

static int pe_open(struct be *b, bool ret, pid_t pid)
{
	struct perf_event_attr pa;
	long r;

	memset(&pa, 0, sizeof(pa));
	pa.size = sizeof(pa);
	pa.type = (uint32_t)up.type;
	pa.config = ret; /* format/retprobe: config:0 */
	pa.config1 = (uintptr_t)up.lib;
	pa.config2 = up.off;
	if (!b->kernel)
		return exobpf_perf_event_open(&pa, pid, pid == -1 ? 0 : -1, -1,
					      PERF_FLAG_FD_CLOEXEC);
	r = syscall(SYS_perf_event_open, &pa, pid, pid == -1 ? 0 : -1, -1, PERF_FLAG_FD_CLOEXEC);
	return r < 0 ? -errno : (int)r;
}

static int pe_ioctl(struct be *b, int fd, unsigned long req, unsigned long arg)
{
	if (!b->kernel)
		return exobpf_perf_event_ioctl(fd, req, arg);
	return ioctl(fd, req, arg) < 0 ? -errno : 0;
}

static void pe_close(struct be *b, int fd)
{
	if (!b->kernel)
		exobpf_fd_closing(fd);
	close(fd);
}

static uint64_t count(struct be *b, int map)
{
	union attr a = {0};
	uint32_t k = 0;
	uint64_t v = 0;

	a.a.map_fd = (uint32_t)map;
	a.a.key = (uintptr_t)&k;
	a.a.value = (uintptr_t)&v;
	call(b, BPF_MAP_LOOKUP_ELEM, &a, sizeof(a));
	return v;
}

#define RESULT(b, what, r) rec(b, "\nL%d:%s %s", __LINE__, what, (r) >= 0 ? "ok" : strerror(-(r)))

static void sc_perf_uprobe(struct be *b)
{
	struct bpf_insn insns[COUNTER_LEN];
	int map = map_create(b, BPF_MAP_TYPE_ARRAY, 4, 8, 1, 0), prog, tp, pe, pe2, link, by_id;
	uint8_t info[64];
	char name[512];
	uint64_t ptr;
	uint32_t u32;
	union attr a;

	counter_prog(insns, map);
	load_attr(&a, BPF_PROG_TYPE_KPROBE, insns, COUNTER_LEN);
	prog = (int)E(b, FD, BPF_PROG_LOAD, &a);
	load_attr(&a, BPF_PROG_TYPE_TRACEPOINT, ret7, 2);
	tp = (int)E(b, FD, BPF_PROG_LOAD, &a);
	/* LINK_CREATE's perf event checks (libbpf probes links this way) */
	memset(&a, 0, sizeof(a));
	a.a.link_create.prog_fd = (uint32_t)tp;
	a.a.link_create.target_fd = (uint32_t)-1;
	a.a.link_create.attach_type = BPF_PERF_EVENT;
	E(b, -EBADF, BPF_LINK_CREATE, &a);
	a.a.link_create.target_fd = (uint32_t)map; /* an fd, not a perf event */
	E(b, -EBADF, BPF_LINK_CREATE, &a);
	a.a.link_create.flags = 1;
	E(b, -EINVAL, BPF_LINK_CREATE, &a);
	a.a.link_create.flags = 0;
	a.a.link_create.prog_fd = (uint32_t)prog;
	a.a.link_create.target_fd = (uint32_t)-1;
	E(b, -EBADF, BPF_LINK_CREATE, &a);

	/* the ioctl path: SET_BPF, ENABLE, DISABLE, close */
	pe = pe_open(b, false, 0);
	RESULT(b, "uprobe open", pe);
	if (pe < 0) {
		snprintf(b->fail, sizeof(b->fail), "%s: uprobe perf_event_open: %s", b->name,
			 strerror(-pe));
		return;
	}
	RESULT(b, "SET_BPF tracepoint prog", pe_ioctl(b, pe, PERF_EVENT_IOC_SET_BPF, (unsigned)tp));
	RESULT(b, "SET_BPF", pe_ioctl(b, pe, PERF_EVENT_IOC_SET_BPF, (unsigned)prog));
	RESULT(b, "SET_BPF again", pe_ioctl(b, pe, PERF_EVENT_IOC_SET_BPF, (unsigned)prog));
	RESULT(b, "ENABLE", pe_ioctl(b, pe, PERF_EVENT_IOC_ENABLE, 0));
	rec(b, "\nmix %ld", up.mix(1, 2, 3, 4, 5, 6) + up.mix(1, 1, 1, 1, 1, 1));
	rec(b, "\nruns %" PRIu64, count(b, map));
	RESULT(b, "DISABLE", pe_ioctl(b, pe, PERF_EVENT_IOC_DISABLE, 0));
	up.mix(1, 2, 3, 4, 5, 6);
	rec(b, "\nruns while disabled %" PRIu64, count(b, map));
	RESULT(b, "ENABLE", pe_ioctl(b, pe, PERF_EVENT_IOC_ENABLE, 0));
	up.mix(1, 2, 3, 4, 5, 6);
	pe_close(b, pe);
	up.mix(1, 2, 3, 4, 5, 6);
	rec(b, "\nruns after close %" PRIu64, count(b, map));

	/* the link path, on a return probe */
	pe2 = pe_open(b, true, -1);
	RESULT(b, "uretprobe open", pe2);
	memset(&a, 0, sizeof(a));
	a.a.link_create.prog_fd = (uint32_t)prog;
	a.a.link_create.target_fd = (uint32_t)pe2;
	a.a.link_create.attach_type = BPF_PERF_EVENT;
	link = (int)E(b, FD, BPF_LINK_CREATE, &a);
	E(b, -EEXIST, BPF_LINK_CREATE, &a);
	RESULT(b, "ENABLE", pe_ioctl(b, pe2, PERF_EVENT_IOC_ENABLE, 0));
	up.mix(1, 2, 3, 4, 5, 6);
	rec(b, "\nruns with the link %" PRIu64, count(b, map));
	/* bpf_link_info: Linux 6.18's perf_event.uprobe at 16 */
	memset(info, 0, sizeof(info));
	memset(name, 0, sizeof(name));
	ptr = (uintptr_t)name;
	memcpy(info + 24, &ptr, 8);
	u32 = sizeof(name);
	memcpy(info + 32, &u32, 4);
	memset(&a, 0, sizeof(a));
	a.a.info.bpf_fd = (uint32_t)link;
	a.a.info.info_len = sizeof(info);
	a.a.info.info = (uintptr_t)info;
	E(b, 0, BPF_OBJ_GET_INFO_BY_FD, &a);
	rec(b, " info_len %u name %s", a.a.info.info_len, name);
	memset(info + 4, 0, 8); /* id and prog_id differ between the two */
	memset(info + 24, 0, 8);
	rec_hex(b, "info", info, sizeof(info));
	u32 = 4; /* a short name buffer */
	memcpy(info + 32, &u32, 4);
	memcpy(info + 24, &ptr, 8);
	E(b, -ENOSPC, BPF_OBJ_GET_INFO_BY_FD, &a);
	memset(info + 24, 0, 8); /* a length without a buffer */
	E(b, -EINVAL, BPF_OBJ_GET_INFO_BY_FD, &a);
	/* the link holds the event: closing the perf fd keeps it running */
	pe_close(b, pe2);
	up.mix(1, 2, 3, 4, 5, 6);
	rec(b, "\nruns after the event's close %" PRIu64, count(b, map));
	/* a perf event link has no LINK_DETACH: it ends with its last fd */
	memset(&a, 0, sizeof(a));
	a.a.link_detach.link_fd = (uint32_t)link;
	E(b, -EOPNOTSUPP, BPF_LINK_DETACH, &a);
	up.mix(1, 2, 3, 4, 5, 6);
	rec(b, "\nruns after LINK_DETACH %" PRIu64, count(b, map));
	/* a second fd by id keeps the link after the first is closed */
	memset(info, 0, sizeof(info));
	memset(&a, 0, sizeof(a));
	a.a.info.bpf_fd = (uint32_t)link;
	a.a.info.info_len = sizeof(info);
	a.a.info.info = (uintptr_t)info;
	E(b, 0, BPF_OBJ_GET_INFO_BY_FD, &a);
	memset(&a, 0, sizeof(a));
	memcpy(&a.a.link_id, info + 4, 4);
	by_id = (int)E(b, FD, BPF_LINK_GET_FD_BY_ID, &a);
	pe_close(b, link);
	up.mix(1, 2, 3, 4, 5, 6);
	rec(b, "\nruns with the fd by id %" PRIu64, count(b, map));
	memset(&a, 0, sizeof(a));
	a.a.info.bpf_fd = (uint32_t)by_id;
	a.a.info.info_len = 16;
	a.a.info.info = (uintptr_t)info;
	E(b, 0, BPF_OBJ_GET_INFO_BY_FD, &a);
	memcpy(&u32, info, 4);
	rec(b, " type %u", u32);
	pe_close(b, by_id);
	up.mix(1, 2, 3, 4, 5, 6);
	rec(b, "\nruns after the link's last close %" PRIu64, count(b, map));
	close(tp), close(prog), close(map);
}

/* The uprobe PMU's type and lib_mix of the test library (dlopen'ed: *lib).
 * 0, or -1 when the kernel has no uprobe PMU (exobpf takes its number from
 * there). */
static int up_init(void **lib)
{
	FILE *f = fopen("/sys/bus/event_source/devices/uprobe/type", "re");
	uint64_t left;
	int ok = f && fscanf(f, "%d", &up.type) == 1;

	if (f)
		fclose(f);
	if (!ok)
		return -1;
	if (!realpath(test_build_path("trace/libexotarget.so"), up.lib) ||
	    !(*lib = dlopen(up.lib, RTLD_NOW)))
		return -2;
	up.mix = (long (*)(long, long, long, long, long, long))dlsym(*lib, "lib_mix");
	if (!up.mix || trc_elf_func_offset(up.lib, "lib_mix", 0, &up.off, &left))
		return -2;
	return 0;
}

TEST(bpf_api_perf_uprobe)
{
	void *lib = NULL;
	int r = up_init(&lib);

	if (r == -1)
		SKIP("no uprobe PMU: exobpf takes its type from the kernel's sysfs");
	CHECK_MSG(r == 0, "the test library: %s", dlerror() ? dlerror() : exobpf_errmsg());
	BOTH(sc_perf_uprobe);
	dlclose(lib);
}

/* What exobpf refuses, with Linux's errno where Linux has one. */
TEST(bpf_api_perf_refusals)
{
	struct perf_event_attr pa;
	struct be b = {.name = "exobpf"};
	void *lib = NULL;
	int fd;

	memset(&pa, 0, sizeof(pa));
	pa.size = sizeof(pa);
	pa.type = PERF_TYPE_TRACEPOINT;
	pa.config = 1;
	CHECK_EQ(exobpf_perf_event_owned(&pa), -EOPNOTSUPP);
	CHECK_CONTAINS(exobpf_errmsg(), "tracepoint 1 is the kernel's");
	CHECK_CONTAINS(exobpf_errmsg(), "legacy tracefs probes included");
	pa.type = PERF_TYPE_SOFTWARE;
	pa.config = PERF_COUNT_SW_CPU_CLOCK;
	CHECK_EQ(exobpf_perf_event_owned(&pa), 0); /* the kernel's, untouched */
	pa.config = PERF_COUNT_SW_BPF_OUTPUT;
	CHECK_EQ(exobpf_perf_event_owned(&pa), 1);
	CHECK_EQ(exobpf_perf_event_owned((void *)16), -EFAULT);
	/* an output event is a ring only once mapped: no program, no other ioctl */
	fd = exobpf_perf_event_open(&pa, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	CHECK(fd >= 0);
	CHECK_EQ(exobpf_perf_event_fd(fd), 1);
	CHECK_EQ(exobpf_perf_event_ioctl(fd, PERF_EVENT_IOC_ENABLE, 0), 0);
	CHECK_EQ(exobpf_perf_event_ioctl(fd, PERF_EVENT_IOC_ID, 0), -ENOTTY);
	CHECK(exobpf_mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED);
	CHECK_EQ(errno, EINVAL); /* 1 + 3 pages: not 1 + 2^n */
	CHECK_CONTAINS(exobpf_errmsg(), "a perf ring is 1 + 2^n pages");
	exobpf_fd_closing(fd);
	close(fd);
	CHECK_EQ(exobpf_perf_event_fd(fd), 0);
	CHECK_EQ(exobpf_perf_event_open(&pa, -1, 0, 5, 0), -EINVAL); /* no groups */
	CHECK_EQ(exobpf_perf_event_open(&pa, -1, -1, -1, 0), -EINVAL);
	if (up_init(&lib) == -1)
		SKIP("no uprobe PMU: exobpf takes its type from the kernel's sysfs");
	CHECK(lib != NULL);
	/* a uprobe of another process */
	CHECK_EQ(pe_open(&b, false, getppid()), -EOPNOTSUPP);
	CHECK_CONTAINS(exobpf_errmsg(), "exobpf probes only the calling process");
	/* a file offset in no function: exobpf patches only sized functions */
	up.off = 0;
	CHECK_EQ(pe_open(&b, false, 0), -EINVAL);
	CHECK_CONTAINS(exobpf_errmsg(), "offset 0x0 is in no executable segment");
	/* a path that does not exist */
	snprintf(up.lib, sizeof(up.lib), "/nonexistent/lib.so");
	CHECK_EQ(pe_open(&b, false, 0), -ENOENT);
	CHECK_CONTAINS(exobpf_errmsg(), "uprobe path /nonexistent/lib.so");
	dlclose(lib);
}
