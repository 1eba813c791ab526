/* The differential over the project's own clang-built objects (tests/progs,
 * built into $EXOBPF_BUILD/progs): every object is loaded twice, once with
 * every program for the interpreter and once as the default (machine code
 * on x86-64), every program runs on the same inputs in the same order, and
 * r0, the run's error, the context and packet written back, and every map's
 * contents afterwards must be the same. Also the load flags' interface. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "exobpf/exobpf.h"
#include "test.h"
#include "util.h"

static const char *progs_dir(void)
{
	static char buf[512];
	const char *b = getenv("EXOBPF_BUILD");

	snprintf(buf, sizeof(buf), "%s/progs", b && *b ? b : "build");
	return buf;
}

/* Objects whose runs differ on purpose (clocks, random numbers) or that
 * share pinned maps between the two copies. */
static bool skipped(const char *file)
{
	static const char *const skip[] = {"helpers_time.bpf.o", "sec_names.bpf.o",
					   "pinning.bpf.o"};

	for (unsigned i = 0; i < sizeof(skip) / sizeof(skip[0]); i++)
		if (!strcmp(file, skip[i]))
			return true;
	return false;
}

struct outcome {
	int err;
	uint64_t r0;
	uint8_t ctx[64], data[128];
};

/* Run p on input k: a syscall-style context, or (where the type takes no
 * such context) a packet. */
static void run_input(struct exobpf_program *p, unsigned k, struct outcome *o)
{
	static const uint64_t args[][3] = {
	    {3, 4, 0}, {0, 0, 0}, {~0ull, 7, 1}, {1ull << 63, ~0ull, 5}, {0x1234, 0xfff, 99}};
	uint64_t ctx[8] = {0};
	uint8_t pkt[128];

	memset(o, 0, sizeof(*o));
	memcpy(ctx, args[k % 5], sizeof(args[0]));
	for (unsigned i = 0; i < sizeof(pkt); i++)
		pkt[i] = (uint8_t)(i * 37 + k);
	EXOBPF_OPTS(exobpf_run_opts, r, .ctx_in = ctx, .ctx_size_in = 24, .ctx_out = o->ctx,
		    .ctx_size_out = 24);
	o->err = exobpf_prog__run(exobpf_program__prog(p), &r);
	if (o->err == -EINVAL) { /* a packet program */
		EXOBPF_OPTS(exobpf_run_opts, q, .data_in = pkt, .data_size_in = sizeof(pkt),
			    .data_out = o->data, .data_size_out = sizeof(o->data));
		o->err = exobpf_prog__run(exobpf_program__prog(p), &q);
		r = q;
	}
	o->r0 = r.retval;
}

/* Every entry of map a is in map b with the same value, and the counts
 * agree. Returns 0 or a description in why. */
static int same_map(struct exobpf_map *a, struct exobpf_map *b, char *why, size_t len)
{
	enum bpf_map_type t = exobpf_map__type(a);
	uint32_t ks = exobpf_map__key_size(a);
	size_t vs = 65536;
	uint8_t *key = calloc(1, ks + 1), *next = calloc(1, ks + 1);
	uint8_t *va = malloc(vs), *vb = malloc(vs);
	unsigned n = 0, rc = 0;
	void *cur = NULL;

	/* queues, stacks, rings and prog arrays have no comparable entries */
	if (!ks || t == BPF_MAP_TYPE_PROG_ARRAY || t == BPF_MAP_TYPE_ARRAY_OF_MAPS ||
	    t == BPF_MAP_TYPE_HASH_OF_MAPS)
		goto out;
	while (exobpf_map_get_next_key(exobpf_map__fd(a), cur, next) == 0 && n < 100000) {
		memcpy(key, next, ks);
		cur = key;
		n++;
		memset(va, 0, vs);
		memset(vb, 0, vs);
		int ea = exobpf_map_lookup_elem(exobpf_map__fd(a), key, va);
		int eb = exobpf_map_lookup_elem(exobpf_map__fd(b), key, vb);
		if (ea != eb || memcmp(va, vb, vs)) {
			snprintf(why, len, "map %s: entry %u differs (lookup %d, %d)",
				 exobpf_map__name(a), n, ea, eb);
			rc = 1;
			goto out;
		}
	}
	unsigned m = 0;
	cur = NULL;
	while (exobpf_map_get_next_key(exobpf_map__fd(b), cur, next) == 0 && m <= n) {
		memcpy(key, next, ks);
		cur = key;
		m++;
	}
	if (m != n) {
		snprintf(why, len, "map %s: %u entries after the interpreter, %u after the JIT",
			 exobpf_map__name(a), n, m);
		rc = 1;
	}
out:
	free(key);
	free(next);
	free(va);
	free(vb);
	return (int)rc;
}

static struct exobpf_object *load(const char *path, bool interp, int *err)
{
	struct exobpf_object *obj = exobpf_object__open_file(path, NULL);
	struct exobpf_program *p;

	*err = obj ? 0 : -errno;
	if (!obj)
		return NULL;
	exobpf_object__for_each_program(p, obj)
	{
		exobpf_program__set_load_flags(p, interp ? EXOBPF_PROG_INTERP : 0);
	}
	*err = exobpf_object__load(obj);
	return obj;
}

TEST(jit_differential_project_objects)
{
	const char *pin = test_pin_tmpdir();
	DIR *d = opendir(progs_dir());
	struct dirent *e;
	unsigned objects = 0, runs = 0, jited = 0, ran_ok = 0;
	char why[512] = "";
	int failed = 0;

	CHECK_MSG(d, "cannot open %s (make progs)", progs_dir());
	while ((e = readdir(d)) && !failed) {
		size_t l = strlen(e->d_name);
		char path[1024];
		if (l < 6 || strcmp(e->d_name + l - 6, ".bpf.o") || skipped(e->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", progs_dir(), e->d_name);
		int ea, eb;
		struct exobpf_object *a = load(path, true, &ea), *b = load(path, false, &eb);
		if (ea != eb) {
			snprintf(why, sizeof(why),
				 "%s: load %d for the interpreter, %d for the JIT", e->d_name, ea,
				 eb);
			failed = 1;
		} else if (!ea) {
			objects++;
			struct exobpf_program *pa = NULL, *pb = NULL;
			while (!failed && (pa = exobpf_object__next_program(a, pa)) &&
			       (pb = exobpf_object__next_program(b, pb))) {
				if (!exobpf_program__prog(pa))
					continue;
				if (exobpf_prog__is_jited(exobpf_program__prog(pa))) {
					snprintf(why, sizeof(why), "%s: %s: compiled under INTERP",
						 e->d_name, exobpf_program__name(pa));
					failed = 1;
				}
				jited += exobpf_prog__is_jited(exobpf_program__prog(pb));
				for (unsigned k = 0; k < 5 && !failed; k++) {
					struct outcome oa, ob;
					run_input(pa, k, &oa);
					run_input(pb, k, &ob);
					runs++;
					ran_ok += !oa.err;
					if (oa.err != ob.err || oa.r0 != ob.r0 ||
					    memcmp(oa.ctx, ob.ctx, sizeof(oa.ctx)) ||
					    memcmp(oa.data, ob.data, sizeof(oa.data))) {
						snprintf(why, sizeof(why),
							 "%s: %s input %u: interpreter err %d r0 "
							 "0x%llx, JIT err %d r0 0x%llx (or data)",
							 e->d_name, exobpf_program__name(pa), k,
							 oa.err, (unsigned long long)oa.r0, ob.err,
							 (unsigned long long)ob.r0);
						failed = 1;
					}
				}
			}
			struct exobpf_map *ma = NULL, *mb = NULL;
			while (!failed && (ma = exobpf_object__next_map(a, ma)) &&
			       (mb = exobpf_object__next_map(b, mb)))
				failed = same_map(ma, mb, why, sizeof(why));
		}
		exobpf_object__close(a);
		exobpf_object__close(b);
	}
	closedir(d);
	test_tmpdir_done(pin);
	printf("  %u objects, %u runs (%u without error), %u programs as machine code\n", objects,
	       runs, ran_ok, jited);
	CHECK_MSG(!failed, "%s", why);
	CHECK_MSG(objects >= 20, "only %u objects loaded", objects);
	CHECK_MSG(ran_ok >= 100, "only %u runs ended without error", ran_ok);
	CHECK_MSG(jited >= 20, "only %u programs compiled", jited);
}

TEST(jit_object_load_flags)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/arith.bpf.o", progs_dir());
	struct exobpf_object *obj = exobpf_object__open_file(path, NULL);
	CHECK_MSG(obj, "%s", exobpf_errmsg());
	struct exobpf_program *p = exobpf_object__find_program_by_name(obj, "arith");
	CHECK(p);
	CHECK_EQ(exobpf_program__load_flags(p), 0);
	CHECK_EQ(exobpf_program__set_load_flags(p, 1u << 30), -EINVAL);
	CHECK_CONTAINS(exobpf_errmsg(), "arith: load flags 0x40000000: unknown bits");
	CHECK_EQ(exobpf_program__set_load_flags(p, EXOBPF_PROG_JIT_BLIND), 0);
	CHECK_EQ(exobpf_program__load_flags(p), EXOBPF_PROG_JIT_BLIND);
	CHECK_EQ(exobpf_object__load(obj), 0);
	CHECK(exobpf_prog__is_jited(exobpf_program__prog(p)));
	CHECK_EQ(exobpf_program__set_load_flags(p, EXOBPF_PROG_INTERP), -EBUSY);
	exobpf_object__close(obj);
}

/* Found by the differential above: an XDP test run without data copied
 * from a NULL buffer (UBSan). Linux refuses XDP data shorter than an
 * Ethernet header; exobpf still runs it (hooks' decision), but never reads
 * through NULL. */
TEST(xdp_test_run_without_data)
{
	static const struct bpf_insn ret2[] = {
	    {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 2},
	    {.code = BPF_JMP | BPF_EXIT},
	};
	uint8_t pkt[14] = {0};
	EXOBPF_OPTS(exobpf_prog_opts, po, .name = "xdp2", .type = BPF_PROG_TYPE_XDP,
		    .license = "GPL");
	struct exobpf_prog *p = exobpf_prog__new(ret2, 2, &po);

	CHECK_MSG(p, "%s", exobpf_errmsg());
	EXOBPF_OPTS(exobpf_run_opts, none);
	int err = exobpf_prog__run(p, &none);
	CHECK_MSG(err == -EINVAL || (err == 0 && none.retval == 2), "err %d r0 %llu", err,
		  (unsigned long long)none.retval);
	EXOBPF_OPTS(exobpf_run_opts, eth, .data_in = pkt, .data_size_in = 14);
	CHECK_EQ(exobpf_prog__run(p, &eth), 0);
	CHECK_EQ(eth.retval, 2); /* XDP_PASS */
	exobpf_prog__free(p);
}
