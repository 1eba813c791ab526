/* The object loader on the test programs (tests/progs, built into
 * $EXOBPF_BUILD/progs): what each declares, what loading makes of it, and
 * what running it computes. Expected values are worked out by hand from the
 * C source, or taken from Linux (uname) and the BTF itself. */
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "exobpf/exobpf.h"
#include "loader/obj.h"
#include "test.h"

struct args {
	uint64_t a, b, out;
};

static const char *prog_path(const char *name)
{
	static char buf[4][512];
	static int n;
	const char *b = getenv("EXOBPF_BUILD");
	char *p = buf[n++ % 4];

	snprintf(p, 512, "%s/progs/%s.bpf.o", b && *b ? b : "build", name);
	return p;
}

static struct exobpf_object *open_obj(const char *name)
{
	return exobpf_object__open_file(prog_path(name), NULL);
}

static struct exobpf_object *open_core(const char *name)
{
	EXOBPF_OPTS(exobpf_object_open_opts, o, .btf_custom_path = prog_path("core_target"));
	return exobpf_object__open_file(prog_path(name), &o);
}

/* Run a loaded syscall program with ctx *a (updated in place); returns r0. */
static int run_syscall(struct exobpf_object *obj, const char *prog, struct args *a, uint64_t *r0)
{
	struct exobpf_program *p = exobpf_object__find_program_by_name(obj, prog);
	if (!p || !exobpf_program__prog(p))
		return -ENOENT;
	EXOBPF_OPTS(exobpf_run_opts, o, .ctx_in = a, .ctx_size_in = sizeof(*a), .ctx_out = a,
		    .ctx_size_out = sizeof(*a), .flags = EXOBPF_RUN_CHECKED);
	int err = exobpf_prog__run(exobpf_program__prog(p), &o);
	*r0 = o.retval;
	return err;
}

/* A syscall program's context must hold what it accesses (Linux's
 * max_ctx_offset): multi_sec's "second" writes ctx->out, bytes 16-23, so
 * 16 bytes of context are refused where they once let it write past the
 * copy; "first" reads nothing and runs without a context (r1 NULL). Both
 * engines, fast paths included. */
TEST(loader_syscall_context_covers_what_the_program_accesses)
{
	struct exobpf_object *obj = open_obj("multi_sec");
	struct args a = {3, 4, 0};

	CHECK_MSG(obj && !exobpf_object__load(obj), "%s", exobpf_errmsg());
	for (int interp = 0; interp < 2; interp++) {
		struct exobpf_prog *second =
		    exobpf_program__prog(exobpf_object__find_program_by_name(obj, "second"));
		struct exobpf_prog *first =
		    exobpf_program__prog(exobpf_object__find_program_by_name(obj, "first"));
		uint32_t flags = interp ? EXOBPF_RUN_INTERP : 0;
		EXOBPF_OPTS(exobpf_run_opts, o, .ctx_in = &a, .ctx_size_in = 16, .ctx_out = &a,
			    .ctx_size_out = sizeof(a), .flags = flags);

		CHECK_EQ(exobpf_prog__run(second, &o), -EINVAL);
		CHECK_CONTAINS(exobpf_errmsg(), "ctx_size_in 16: the program accesses 24 bytes");
		CHECK_EQ(a.out, 0);
		o.ctx_size_in = sizeof(a);
		CHECK_EQ(exobpf_prog__run(second, &o), 0);
		CHECK_EQ(a.out, 2);
		a.out = 0;
		EXOBPF_OPTS(exobpf_run_opts, none, .flags = flags);
		CHECK_EQ(exobpf_prog__run(first, &none), 0);
		CHECK_EQ(none.retval, 1);
	}
	exobpf_object__close(obj);
}

TEST(loader_arith_runs)
{
	struct exobpf_object *obj = open_obj("arith");
	struct args a = {3, 4, 0};
	uint64_t r0;

	CHECK_MSG(obj, "%s", exobpf_errmsg());
	CHECK_MSG(!exobpf_object__load(obj), "%s", exobpf_errmsg());
	CHECK_EQ(run_syscall(obj, "arith", &a, &r0), 0);
	CHECK_EQ(r0, 7);
	CHECK_EQ(a.out, 19);
	CHECK_STR(exobpf_object__name(obj), "arith");
	CHECK_STR(exobpf_object__license(obj), "GPL");
	exobpf_object__close(obj);
}

TEST(loader_multi_programs_per_section)
{
	struct exobpf_object *obj = open_obj("multi_sec");
	struct exobpf_program *p;
	const char *want[] = {"first", "second", "third", "sock"};
	int i = 0;

	CHECK(obj);
	exobpf_object__for_each_program(p, obj)
	{
		CHECK(i < 4);
		CHECK_STR(exobpf_program__name(p), want[i]);
		CHECK_EQ(exobpf_program__type(p),
			 i < 3 ? BPF_PROG_TYPE_SYSCALL : BPF_PROG_TYPE_SOCKET_FILTER);
		i++;
	}
	CHECK_EQ(i, 4);
	CHECK_MSG(!exobpf_object__load(obj), "%s", exobpf_errmsg());
	struct args a = {5, 0, 0};
	uint64_t r0;
	CHECK_EQ(run_syscall(obj, "third", &a, &r0), 0);
	CHECK_EQ(r0, 8);
	CHECK_EQ(run_syscall(obj, "second", &a, &r0), 0);
	CHECK_EQ(a.out, 2);
	exobpf_object__close(obj);
}

TEST(loader_subprograms)
{
	struct exobpf_object *obj = open_obj("subprog_static");
	struct args a = {3, 4, 0};
	uint64_t r0;

	CHECK(obj);
	CHECK_MSG(!exobpf_object__load(obj), "%s", exobpf_errmsg());
	CHECK_EQ(run_syscall(obj, "sq_sum", &a, &r0), 0);
	CHECK_EQ(a.out, 25);
	CHECK_EQ(run_syscall(obj, "sq_a", &a, &r0), 0);
	CHECK_EQ(a.out, 9);
	exobpf_object__close(obj);

	obj = open_obj("subprog_global");
	CHECK(obj);
	CHECK_MSG(!exobpf_object__load(obj), "%s", exobpf_errmsg());
	a = (struct args){5, 30, 0};
	CHECK_EQ(run_syscall(obj, "clamp_prog", &a, &r0), 0);
	CHECK_EQ(a.out, 10);
	CHECK_EQ(r0, 20);
	exobpf_object__close(obj);

	obj = open_obj("subprog_chain");
	CHECK(obj);
	CHECK_MSG(!exobpf_object__load(obj), "%s", exobpf_errmsg());
	a = (struct args){1, 2, 0};
	CHECK_EQ(run_syscall(obj, "chain", &a, &r0), 0);
	CHECK_EQ(a.out, 4 + 103); /* mid(1) = (1+1)*2, other(2) = 3+100 */
	CHECK_EQ(run_syscall(obj, "chain_rev", &a, &r0), 0);
	CHECK_EQ(a.out, 102 + 6);
	exobpf_object__close(obj);

	obj = open_obj("recursion_free_loop");
	CHECK(obj);
	CHECK_MSG(!exobpf_object__load(obj), "%s", exobpf_errmsg());
	a = (struct args){10, 0, 0};
	CHECK_EQ(run_syscall(obj, "sum", &a, &r0), 0);
	CHECK_EQ(a.out, 55);
	exobpf_object__close(obj);
}

TEST(loader_btf_map_and_host_access)
{
	struct exobpf_object *obj = open_obj("hash_map");
	struct args a = {7, 0, 0};
	uint64_t r0, v = 0;
	uint32_t key = 7;

	CHECK(obj);
	struct exobpf_map *m = exobpf_object__find_map_by_name(obj, "counts");
	CHECK(m);
	CHECK_EQ(exobpf_map__type(m), BPF_MAP_TYPE_HASH);
	CHECK_EQ(exobpf_map__key_size(m), 4);
	CHECK_EQ(exobpf_map__value_size(m), 8);
	CHECK_EQ(exobpf_map__max_entries(m), 64);
	CHECK(exobpf_map__fd(m) < 0);
	CHECK_MSG(!exobpf_object__load(obj), "%s", exobpf_errmsg());
	for (int i = 1; i <= 3; i++) {
		CHECK_EQ(run_syscall(obj, "count", &a, &r0), 0);
		CHECK_EQ(a.out, i);
	}
	CHECK_EQ(exobpf_map_lookup_elem(exobpf_map__fd(m), &key, &v), 0);
	CHECK_EQ(v, 3);
	exobpf_object__close(obj);
}

TEST(loader_map_attributes)
{
	struct exobpf_object *obj = open_obj("map_sizes");

	CHECK(obj);
	struct exobpf_map *s = exobpf_object__find_map_by_name(obj, "sized");
	struct exobpf_map *l = exobpf_object__find_map_by_name(obj, "lru");
	struct exobpf_map *p = exobpf_object__find_map_by_name(obj, "pcpu");
	CHECK(s && l && p);
	CHECK_EQ(exobpf_map__key_size(s), 8);
	CHECK_EQ(exobpf_map__value_size(s), 16);
	CHECK_EQ(exobpf_map__map_flags(s), BPF_F_NO_PREALLOC);
	CHECK_EQ(exobpf_map__numa_node(s), 0);
	CHECK_EQ(exobpf_map__btf_key_type_id(s), 0); /* sizes, not types */
	CHECK_EQ(exobpf_map__type(l), BPF_MAP_TYPE_LRU_HASH);
	CHECK(exobpf_map__btf_value_type_id(l) > 0);
	CHECK_EQ(exobpf_map__type(p), BPF_MAP_TYPE_PERCPU_ARRAY);
	CHECK(!exobpf_map__is_internal(p));
	CHECK_MSG(!exobpf_object__load(obj), "%s", exobpf_errmsg());
	struct args a = {0};
	uint64_t r0, key = 5;
	uint8_t val[16];
	CHECK_EQ(run_syscall(obj, "touch", &a, &r0), 0);
	CHECK_EQ(exobpf_map_lookup_elem(exobpf_map__fd(s), &key, val), 0);
	CHECK_EQ(val[0] + val[1] + val[2], 6);
	exobpf_object__close(obj);
}

TEST(loader_legacy_maps_section)
{
	struct exobpf_object *obj = open_obj("legacy_maps");
	struct args a = {2, 0, 0};
	uint64_t r0, v = 0;
	uint32_t key = 2;

	CHECK_MSG(obj, "%s", exobpf_errmsg());
	struct exobpf_map *m = exobpf_object__find_map_by_name(obj, "old_array");
	CHECK(m);
	CHECK_EQ(exobpf_map__type(m), BPF_MAP_TYPE_ARRAY);
	CHECK_EQ(exobpf_map__value_size(m), 8);
	CHECK_EQ(exobpf_map__max_entries(m), 4);
	CHECK(exobpf_object__find_map_by_name(obj, "old_hash"));
	CHECK_MSG(!exobpf_object__load(obj), "%s", exobpf_errmsg());
	CHECK_EQ(run_syscall(obj, "legacy", &a, &r0), 0);
	CHECK_EQ(a.out, 42);
	CHECK_EQ(exobpf_map_lookup_elem(exobpf_map__fd(m), &key, &v), 0);
	CHECK_EQ(v, 42);
	exobpf_object__close(obj);
}

/* Offset of a global in its DATASEC, from the object's (fixed-up) BTF. */
static long var_offset(struct exobpf_object *obj, const char *sec, const char *var)
{
	struct exobpf_btf *btf = exobpf_object__btf(obj);
	int id = exobpf_btf__find_by_name_kind(btf, sec, BTF_KIND_DATASEC);
	if (id < 0)
		return -1;
	const struct btf_type *t = exobpf_btf__type_by_id(btf, (uint32_t)id);
	const struct btf_var_secinfo *v = (const void *)(t + 1);
	for (uint32_t i = 0; i < BTF_INFO_VLEN(t->info); i++) {
		const struct btf_type *vt = exobpf_btf__type_by_id(btf, v[i].type);
		if (!strcmp(exobpf_btf__name_by_offset(btf, vt->name_off), var))
			return v[i].offset;
	}
	return -1;
}

TEST(loader_global_data)
{
	struct exobpf_object *obj = open_obj("globals_data");
	struct args a = {5, 0, 0};
	uint64_t r0, v;
	size_t size;

	CHECK(obj);
	struct exobpf_map *data = exobpf_object__find_map_by_name(obj, ".data");
	struct exobpf_map *bss = exobpf_object__find_map_by_name(obj, ".bss");
	CHECK(data && bss);
	/* libbpf's name: 16 - 7 - 1 = 8 characters of the object name, then the
	 * section (the libbpf comparison in 40-loader.sh sees the same) */
	CHECK_STR(exobpf_map__name(data), "globals_.data");
	CHECK(exobpf_map__is_internal(data));
	CHECK_EQ(exobpf_map__map_flags(data), BPF_F_MMAPABLE);
	long off_total = var_offset(obj, ".data", "total");
	CHECK(off_total >= 0);
	uint8_t *d = exobpf_map__initial_value(data, &size);
	CHECK(d && size == 16);
	memcpy(&v, d + off_total, 8);
	CHECK_EQ(v, 1000);
	CHECK_MSG(!exobpf_object__load(obj), "%s", exobpf_errmsg());
	CHECK_EQ(run_syscall(obj, "add", &a, &r0), 0);
	CHECK_EQ(run_syscall(obj, "add", &a, &r0), 0);
	CHECK_EQ(r0, 2);	   /* calls */
	CHECK_EQ(a.out, 1010 + 7); /* total + hidden */
	/* the host view is live after load */
	d = exobpf_map__initial_value(data, &size);
	memcpy(&v, d + off_total, 8);
	CHECK_EQ(v, 1010);
	uint32_t calls;
	memcpy(&calls,
	       (uint8_t *)exobpf_map__initial_value(bss, &size) + var_offset(obj, ".bss", "calls"),
	       4);
	CHECK_EQ(calls, 2);
	/* and writes from the host reach the program */
	v = 0;
	memcpy(d + off_total, &v, 8);
	CHECK_EQ(run_syscall(obj, "add", &a, &r0), 0);
	CHECK_EQ(a.out, 5 + 8);
	exobpf_object__close(obj);
}

TEST(loader_rodata_set_before_load_and_frozen)
{
	struct exobpf_object *obj = open_obj("globals_rodata");
	struct args a = {4, 0, 0};
	uint64_t r0, scale = 10;
	size_t size;

	CHECK(obj);
	struct exobpf_map *ro = exobpf_object__find_map_by_name(obj, ".rodata");
	CHECK(ro);
	CHECK_EQ(exobpf_map__map_flags(ro), BPF_F_MMAPABLE | BPF_F_RDONLY_PROG);
	uint8_t *d = exobpf_map__initial_value(ro, &size);
	long off = var_offset(obj, ".rodata", "scale");
	CHECK(d && off >= 0);
	memcpy(d + off, &scale, 8);
	CHECK_MSG(!exobpf_object__load(obj), "%s", exobpf_errmsg());
	CHECK_EQ(run_syscall(obj, "scaled", &a, &r0), 0);
	CHECK_EQ(a.out, 4 * 10 + 11);
	uint32_t key = 0;
	uint8_t val[16] = {0};
	CHECK(exobpf_map_update_elem(exobpf_map__fd(ro), &key, val, 0) < 0); /* frozen */
	CHECK(exobpf_map__set_initial_value(ro, val, size) < 0);	     /* too late */
	exobpf_object__close(obj);
}

TEST(loader_strings_and_custom_sections)
{
	struct exobpf_object *obj = open_obj("globals_strings");
	struct args a = {1, 0, 0};
	uint64_t r0;

	CHECK(obj);
	struct exobpf_map *str = exobpf_object__find_map_by_name(obj, ".rodata.str1.1");
	CHECK(str);
	CHECK_STR(exobpf_map__name(str), ".rodata.str1.1");
	CHECK_MSG(!exobpf_object__load(obj), "%s", exobpf_errmsg());
	CHECK_EQ(run_syscall(obj, "strsum", &a, &r0), 0);
	CHECK_EQ(a.out, 'b' + 'e');
	exobpf_object__close(obj);

	obj = open_obj("globals_custom");
	CHECK(obj);
	struct exobpf_map *c = exobpf_object__find_map_by_name(obj, ".data.counters");
	struct exobpf_map *l = exobpf_object__find_map_by_name(obj, ".rodata.limits");
	CHECK(c && l);
	CHECK_STR(exobpf_map__name(c), ".data.counters");
	CHECK_EQ(exobpf_map__value_size(c), 16);
	CHECK_EQ(exobpf_map__map_flags(l) & BPF_F_RDONLY_PROG, BPF_F_RDONLY_PROG);
	CHECK_MSG(!exobpf_object__load(obj), "%s", exobpf_errmsg());
	a.a = 1;
	CHECK_EQ(run_syscall(obj, "custom", &a, &r0), 0);
	CHECK_EQ(a.out, 8 + 11 + 200);
	exobpf_object__close(obj);
}

TEST(loader_license_version_and_sections)
{
	struct exobpf_object *obj = open_obj("license_version");

	CHECK(obj);
	CHECK_STR(exobpf_object__license(obj), "Dual BSD/GPL");
	CHECK_EQ(exobpf_object__kversion(obj), 0x060100);
	struct exobpf_program *p = exobpf_object__find_program_by_name(obj, "kp");
	CHECK(p);
	CHECK_EQ(exobpf_program__type(p), BPF_PROG_TYPE_KPROBE);
	CHECK_STR(exobpf_program__attach_target(p), "do_nanosleep");
	exobpf_object__close(obj);
}

static uint32_t uname_version(void)
{
	struct utsname u;
	unsigned a = 0, b = 0, c = 0;
	uname(&u);
	sscanf(u.release, "%u.%u.%u", &a, &b, &c);
	return a * 65536 + b * 256 + (c > 255 ? 255 : c);
}

TEST(loader_kconfig_externs)
{
	EXOBPF_OPTS(exobpf_object_open_opts, o,
		    .kconfig = "CONFIG_EXO_INT=42\nCONFIG_EXO_BOOL=y\n# comment\n"
			       "CONFIG_EXO_TRI=m\nCONFIG_EXO_STR=\"ab\"\n");
	struct exobpf_object *obj = exobpf_object__open_file(prog_path("kconfig"), &o);
	struct args a = {0};
	uint64_t r0;

	CHECK(obj);
	CHECK(exobpf_object__find_map_by_name(obj, ".kconfig"));
	CHECK_MSG(!exobpf_object__load(obj), "%s", exobpf_errmsg());
	CHECK_EQ(run_syscall(obj, "kcfg", &a, &r0), 0);
	CHECK_EQ(a.a, uname_version());
	CHECK_EQ(a.b, 42 + 1000 + 2 * 100); /* tristate m is 2 */
	CHECK_EQ(a.out, 'a' + 'b');	    /* the weak one reads 0 */
	exobpf_object__close(obj);

	obj = open_obj("kconfig_strong");
	CHECK(obj);
	CHECK(exobpf_object__load(obj) == -ESRCH);
	CHECK_CONTAINS(exobpf_errmsg(),
		       "extern (kcfg) 'CONFIG_EXO_NOT_THERE' (strong) has no value");
	exobpf_object__close(obj);

	EXOBPF_OPTS(exobpf_object_open_opts, bad, .kconfig = "CONFIG_EXO_BOOL=42\n");
	obj = exobpf_object__open_file(prog_path("kconfig"), &bad);
	CHECK(obj);
	CHECK(exobpf_object__load(obj) < 0);
	CHECK_CONTAINS(exobpf_errmsg(),
		       "extern (kcfg) 'CONFIG_EXO_BOOL': value '42' is not a boolean");
	exobpf_object__close(obj);
}

TEST(loader_weak_kfunc_is_avoidable)
{
	struct exobpf_object *obj = open_obj("kfunc_weak");
	struct args a = {0};
	uint64_t r0;

	CHECK(obj);
	CHECK_MSG(!exobpf_object__load(obj), "%s", exobpf_errmsg());
	CHECK_EQ(run_syscall(obj, "maybe_kfunc", &a, &r0), 0);
	CHECK_EQ(a.out, 5); /* its address read as NULL, so it was not called */
	exobpf_object__close(obj);
}

TEST(loader_weak_ksym_reads_null)
{
	struct exobpf_object *obj = open_obj("ksym_weak");
	struct args a = {0};
	uint64_t r0;

	CHECK(obj);
	CHECK_MSG(!exobpf_object__load(obj), "%s", exobpf_errmsg());
	CHECK_EQ(run_syscall(obj, "ksym", &a, &r0), 0);
	CHECK_EQ(a.out, 2);
	exobpf_object__close(obj);
}

/* The context laid out as core_target.bpf.o's struct task_lite. */
struct target_task {
	int64_t pad;
	char comm[16];
	int32_t pid;
	int64_t state;
	uint8_t bits; /* prio:3 then mode:5 */
	uint8_t pad2[3];
	uint32_t nice;
};

TEST(loader_core_fields_against_a_target)
{
	struct exobpf_object *obj = open_core("core_fields");
	struct target_task t = {.pid = 100, .state = 20, .comm = {'a', 'x'}};
	uint64_t r0;

	CHECK(obj);
	CHECK_MSG(!exobpf_object__load(obj), "%s", exobpf_errmsg());
	struct exobpf_program *p = exobpf_object__find_program_by_name(obj, "core_read");
	EXOBPF_OPTS(exobpf_run_opts, o, .ctx_in = &t, .ctx_size_in = sizeof(t),
		    .flags = EXOBPF_RUN_CHECKED);
	CHECK_MSG(!exobpf_prog__run(exobpf_program__prog(p), &o), "%s", exobpf_errmsg());
	CHECK_EQ(o.retval, 100 + 20 + 'x');
	p = exobpf_object__find_program_by_name(obj, "core_facts");
	EXOBPF_OPTS(exobpf_run_opts, o2, .ctx_in = &t, .ctx_size_in = sizeof(t));
	CHECK_MSG(!exobpf_prog__run(exobpf_program__prog(p), &o2), "%s", exobpf_errmsg());
	r0 = (uint32_t)o2.retval;
	/* pid exists (1), missing does not, only_in_target exists (4),
	 * not_anywhere does not; sizes and offsets are the target's */
	CHECK_EQ(r0 & 0xff, 1 | 4);
	CHECK_EQ((r0 >> 8) & 0xff, sizeof(struct target_task));
	CHECK_EQ((r0 >> 16) & 0xff, 8);
	CHECK_EQ(r0 >> 24, offsetof(struct target_task, pid));
	exobpf_object__close(obj);
}

TEST(loader_core_bitfields)
{
	struct exobpf_object *obj = open_core("core_bitfield");
	struct target_task t = {.bits = 5 | 17 << 3};
	struct args a = {0};
	size_t size;
	uint64_t r0;

	CHECK(obj);
	CHECK_MSG(!exobpf_object__load(obj), "%s", exobpf_errmsg());
	memcpy(exobpf_map__initial_value(exobpf_object__find_map_by_name(obj, ".bss"), &size), &t,
	       sizeof(t));
	CHECK_EQ(run_syscall(obj, "bits", &a, &r0), 0);
	CHECK_EQ(r0, 5 * 100 + 17);
	exobpf_object__close(obj);
}

TEST(loader_core_enums_and_type_ids)
{
	struct exobpf_object *obj = open_core("core_enum");
	struct args a = {0};
	uint64_t r0;

	CHECK(obj);
	CHECK_MSG(!exobpf_object__load(obj), "%s", exobpf_errmsg());
	CHECK_EQ(run_syscall(obj, "enums", &a, &r0), 0);
	CHECK_EQ(a.a, 0);   /* EXO_RUNNING in the target */
	CHECK_EQ(a.b, 1);   /* EXO_SLEEPING */
	CHECK_EQ(a.out, 1); /* ZOMBIE missing (0 * 10), SLEEPING present */
	exobpf_object__close(obj);

	obj = open_core("core_typeid");
	CHECK(obj);
	CHECK_MSG(!exobpf_object__load(obj), "%s", exobpf_errmsg());
	CHECK_EQ(run_syscall(obj, "type_ids", &a, &r0), 0);
	struct exobpf_btf *target = exobpf_btf__parse(prog_path("core_target"));
	CHECK(target);
	CHECK_EQ(a.a, exobpf_btf__find_by_name_kind(exobpf_object__btf(obj), "only_in_target",
						    BTF_KIND_STRUCT));
	CHECK_EQ(a.b, exobpf_btf__find_by_name_kind(target, "only_in_target", BTF_KIND_STRUCT));
	exobpf_btf__free(target);
	exobpf_object__close(obj);
}

TEST(loader_core_against_exobpf_context_btf)
{
	struct exobpf_object *obj = open_obj("core_ctx"); /* no target given */
	struct args a = {0};
	uint64_t r0;

	CHECK(obj);
	CHECK_MSG(!exobpf_object__load(obj), "%s", exobpf_errmsg());
	CHECK_EQ(run_syscall(obj, "ctx_offsets", &a, &r0), 0);
	CHECK_EQ(a.a, offsetof(struct __sk_buff, mark));
	CHECK_EQ(a.b, 1); /* "gone" is not a field (0 * 10); struct xdp_md exists */
	CHECK_EQ(a.out, sizeof(struct __sk_buff));
	exobpf_object__close(obj);
}

TEST(loader_core_poisons_what_it_cannot_relocate)
{
	struct exobpf_object *obj = open_core("core_poison");
	bool found = false;

	CHECK(obj);
	CHECK_MSG(!exobpf_object__prepare(obj), "%s", exobpf_errmsg());
	struct exobpf_program *p = exobpf_object__find_program_by_name(obj, "guarded");
	const struct bpf_insn *in = exobpf_program__insns(p);
	for (size_t i = 0; i < exobpf_program__insn_cnt(p); i++)
		if (in[i].code == (BPF_JMP | BPF_CALL) && in[i].imm == 0xbad2310)
			found = true;
	CHECK(found);
	exobpf_object__close(obj);
}

TEST(loader_sec_names)
{
	static const struct {
		const char *prog;
		uint32_t type, attach;
		const char *target;
	} want[] = {
	    {"p_socket", BPF_PROG_TYPE_SOCKET_FILTER, 0, NULL},
	    {"p_xdp", BPF_PROG_TYPE_XDP, BPF_XDP, NULL},
	    {"p_tc", BPF_PROG_TYPE_SCHED_CLS, 0, NULL},
	    {"p_classifier", BPF_PROG_TYPE_SCHED_CLS, 0, NULL},
	    {"p_action", BPF_PROG_TYPE_SCHED_ACT, 0, NULL},
	    {"p_tracepoint", BPF_PROG_TYPE_TRACEPOINT, 0, "syscalls/sys_enter_write"},
	    {"p_tp", BPF_PROG_TYPE_TRACEPOINT, 0, "sched/sched_switch"},
	    {"p_raw_tracepoint", BPF_PROG_TYPE_RAW_TRACEPOINT, 0, "sched_switch"},
	    {"p_raw_tp", BPF_PROG_TYPE_RAW_TRACEPOINT, 0, "sched_wakeup"},
	    {"p_kprobe", BPF_PROG_TYPE_KPROBE, 0, "do_nanosleep"},
	    {"p_kretprobe", BPF_PROG_TYPE_KPROBE, 0, "do_nanosleep"},
	    {"p_uprobe", BPF_PROG_TYPE_KPROBE, 0, "/bin/true:main"},
	    {"p_perf_event", BPF_PROG_TYPE_PERF_EVENT, 0, NULL},
	    {"p_cgroup_skb", BPF_PROG_TYPE_CGROUP_SKB, BPF_CGROUP_INET_INGRESS, NULL},
	    {"p_connect4", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_INET4_CONNECT, NULL},
	    {"p_sock_create", BPF_PROG_TYPE_CGROUP_SOCK, BPF_CGROUP_INET_SOCK_CREATE, NULL},
	    {"p_sysctl", BPF_PROG_TYPE_CGROUP_SYSCTL, BPF_CGROUP_SYSCTL, NULL},
	    {"p_dev", BPF_PROG_TYPE_CGROUP_DEVICE, BPF_CGROUP_DEVICE, NULL},
	    {"p_sockops", BPF_PROG_TYPE_SOCK_OPS, BPF_CGROUP_SOCK_OPS, NULL},
	    {"p_flow_dissector", BPF_PROG_TYPE_FLOW_DISSECTOR, BPF_FLOW_DISSECTOR, NULL},
	    {"p_sk_skb", BPF_PROG_TYPE_SK_SKB, BPF_SK_SKB_STREAM_VERDICT, NULL},
	    {"p_lwt_in", BPF_PROG_TYPE_LWT_IN, 0, NULL},
	};
	struct exobpf_object *obj = open_obj("sec_names");

	CHECK(obj);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct exobpf_program *p = exobpf_object__find_program_by_name(obj, want[i].prog);
		CHECK_MSG(p, "%s", want[i].prog);
		CHECK_MSG(exobpf_program__type(p) == want[i].type, "%s: type %u", want[i].prog,
			  exobpf_program__type(p));
		CHECK_MSG(exobpf_program__expected_attach_type(p) == want[i].attach, "%s",
			  want[i].prog);
		if (want[i].target)
			CHECK_STR(exobpf_program__attach_target(p), want[i].target);
		else
			CHECK(!exobpf_program__attach_target(p));
	}
	exobpf_object__close(obj);

	obj = open_obj("sec_btf");
	CHECK(obj);
	struct exobpf_program *p = exobpf_object__find_program_by_name(obj, "p_fentry");
	CHECK_EQ(exobpf_program__type(p), BPF_PROG_TYPE_TRACING);
	CHECK_EQ(exobpf_program__expected_attach_type(p), BPF_TRACE_FENTRY);
	CHECK_STR(exobpf_program__attach_target(p), "do_nanosleep");
	p = exobpf_object__find_program_by_name(obj, "p_lsm_s");
	CHECK_EQ(exobpf_program__type(p), BPF_PROG_TYPE_LSM);
	CHECK_EQ(p->prog_flags & BPF_F_SLEEPABLE, BPF_F_SLEEPABLE);
	p = exobpf_object__find_program_by_name(obj, "p_iter");
	CHECK_EQ(exobpf_program__expected_attach_type(p), BPF_TRACE_ITER);
	exobpf_object__close(obj);
}

TEST(loader_unknown_sec_is_reported)
{
	struct exobpf_object *obj = open_obj("unknown_sec");

	CHECK(obj);
	CHECK_EQ(exobpf_program__type(exobpf_object__find_program_by_name(obj, "not_xdp")), 0);
	CHECK_EQ(exobpf_object__load(obj), -EINVAL);
	CHECK_CONTAINS(exobpf_errmsg(),
		       "program 'not_xdp': section 'xdpfoo' names no program type");
	exobpf_object__close(obj);

	/* a type set by hand makes it loadable, as with libbpf */
	obj = open_obj("unknown_sec");
	struct exobpf_program *p;
	exobpf_object__for_each_program(p, obj) exobpf_program__set_type(p, BPF_PROG_TYPE_XDP);
	CHECK_MSG(!exobpf_object__load(obj), "%s", exobpf_errmsg());
	exobpf_object__close(obj);
}

TEST(loader_autoload)
{
	struct exobpf_object *obj = open_obj("autoload");

	CHECK(obj);
	struct exobpf_program *d = exobpf_object__find_program_by_name(obj, "on_demand");
	CHECK(d && !exobpf_program__autoload(d));
	CHECK_MSG(!exobpf_object__load(obj), "%s", exobpf_errmsg());
	CHECK(!exobpf_program__prog(d));
	CHECK(exobpf_program__prog(exobpf_object__find_program_by_name(obj, "always")));
	exobpf_object__close(obj);

	obj = open_obj("autoload");
	d = exobpf_object__find_program_by_name(obj, "on_demand");
	CHECK_EQ(exobpf_program__set_autoload(d, true), 0);
	CHECK_MSG(!exobpf_object__load(obj), "%s", exobpf_errmsg());
	CHECK(exobpf_program__prog(d));
	exobpf_object__close(obj);
}

TEST(loader_pinning_by_name_reuses)
{
	char dir[512];
	struct args a = {0};
	uint64_t r0;

	/* maps can only be pinned where they live: under the pin directory */
	snprintf(dir, sizeof(dir), "%s/loader-pins", exobpf_pin_dir());
	CHECK(mkdir(dir, 0700) == 0 || errno == EEXIST);
	EXOBPF_OPTS(exobpf_object_open_opts, o, .pin_root_path = dir);
	for (int round = 1; round <= 2; round++) {
		struct exobpf_object *obj = exobpf_object__open_file(prog_path("pinning"), &o);
		CHECK(obj);
		struct exobpf_map *m = exobpf_object__find_map_by_name(obj, "exo_pinned_counter");
		char want[600];
		snprintf(want, sizeof(want), "%s/exo_pinned_counter", dir);
		CHECK_STR(exobpf_map__pin_path(m), want);
		CHECK_MSG(!exobpf_object__load(obj), "%s", exobpf_errmsg());
		CHECK(exobpf_map__is_pinned(m));
		CHECK_EQ(run_syscall(obj, "bump", &a, &r0), 0);
		CHECK_EQ(a.out, round); /* the second object found the first one's map */
		if (round == 2)
			CHECK_EQ(exobpf_map__unpin(m, NULL), 0);
		exobpf_object__close(obj);
	}
	CHECK_EQ(rmdir(dir), 0);
}

TEST(loader_map_in_map_and_prog_array_definitions)
{
	struct exobpf_object *obj = open_obj("map_in_map");

	CHECK(obj);
	struct exobpf_map *outer = exobpf_object__find_map_by_name(obj, "outer");
	CHECK(outer);
	CHECK_EQ(exobpf_map__type(outer), BPF_MAP_TYPE_ARRAY_OF_MAPS);
	CHECK_EQ(exobpf_map__value_size(outer), 4);
	struct exobpf_map *inner = exobpf_map__inner_map(outer);
	CHECK(inner);
	CHECK_EQ(exobpf_map__type(inner), BPF_MAP_TYPE_ARRAY);
	CHECK_EQ(exobpf_map__max_entries(inner), 4);
	CHECK_STR(exobpf_map__name(inner), "outer.inner");
	CHECK_EQ(outer->nr_init, 3);
	CHECK(outer->init_maps[0] == exobpf_object__find_map_by_name(obj, "inner_a"));
	CHECK(outer->init_maps[1] == NULL);
	CHECK(outer->init_maps[2] == exobpf_object__find_map_by_name(obj, "inner_b"));
	exobpf_object__close(obj);

	/* loaded: the slots are filled, the program reaches inner_b through outer */
	obj = open_obj("map_in_map");
	CHECK(obj);
	CHECK_MSG(!exobpf_object__load(obj), "%s", exobpf_errmsg());
	uint32_t ik = 1, val = 77;
	struct exobpf_map *b = exobpf_object__find_map_by_name(obj, "inner_b");
	CHECK_EQ(exobpf_map_update_elem(exobpf_map__fd(b), &ik, &val, 0), 0);
	struct args a = {2, 0, 0};
	uint64_t r0;
	CHECK_EQ(run_syscall(obj, "mim", &a, &r0), 0);
	CHECK_EQ(r0, 0);
	CHECK_EQ(a.out, 77);
	a.a = 1; /* slot 1 was left empty */
	CHECK_EQ(run_syscall(obj, "mim", &a, &r0), 0);
	CHECK_EQ((int32_t)r0, -1);
	exobpf_object__close(obj);

	obj = open_obj("prog_array");
	CHECK(obj);
	struct exobpf_map *j = exobpf_object__find_map_by_name(obj, "jumps");
	CHECK_EQ(exobpf_map__type(j), BPF_MAP_TYPE_PROG_ARRAY);
	CHECK_EQ(j->nr_init, 3);
	CHECK(j->init_progs[0] == exobpf_object__find_program_by_name(obj, "tail_a"));
	CHECK(j->init_progs[2] == exobpf_object__find_program_by_name(obj, "tail_b"));
	CHECK_MSG(!exobpf_object__load(obj), "%s", exobpf_errmsg());
	exobpf_object__close(obj);
}

TEST(loader_function_address_relocation)
{
	struct exobpf_object *obj = open_obj("func_ptr");

	CHECK(obj);
	CHECK_MSG(!exobpf_object__prepare(obj), "%s", exobpf_errmsg());
	struct exobpf_program *p = exobpf_object__find_program_by_name(obj, "looper");
	const struct bpf_insn *in = exobpf_program__insns(p);
	size_t n = exobpf_program__insn_cnt(p), found = 0;
	for (size_t i = 0; i + 1 < n; i++)
		if (in[i].code == (BPF_LD | BPF_IMM | BPF_DW) && in[i].src_reg == BPF_PSEUDO_FUNC) {
			/* step (7 instructions) was appended after looper's 14 */
			CHECK_EQ(i + 1 + in[i].imm, 14);
			found++;
		}
	CHECK_EQ(n, 14 + 7);
	CHECK_EQ(found, 1);
	exobpf_object__close(obj);
}

TEST(loader_helpers_and_line_info)
{
	struct exobpf_object *obj = open_obj("helpers_time");
	struct args a = {0};
	uint64_t r0;
	uint32_t line = 0;

	CHECK(obj);
	CHECK_MSG(!exobpf_object__load(obj), "%s", exobpf_errmsg());
	CHECK_EQ(run_syscall(obj, "clocks", &a, &r0), 0);
	CHECK_EQ(a.out, 1);
	CHECK_EQ(a.a & 1, 1);
	struct exobpf_program *p = exobpf_object__find_program_by_name(obj, "clocks");
	const char *src = NULL;
	for (size_t i = 0; i < exobpf_program__insn_cnt(p) && !src; i++) {
		src = exobpf_program__line(p, i, &line, NULL);
		if (src && !strstr(src, "bpf_ktime_get_ns()"))
			src = NULL;
	}
	CHECK(src);
	CHECK_EQ(line, 7); /* the line of t0 = ... in helpers_time.bpf.c */
	CHECK_STR(exobpf_program__line(p, 0, &line, NULL), "int clocks(struct args *ctx)");
	CHECK(p->func_info_cnt == 1 && p->func_info[0].insn_off == 0);
	exobpf_object__close(obj);
}

TEST(loader_missing_symbol)
{
	struct exobpf_object *obj = open_obj("err_missing_sym");

	CHECK(!obj);
	CHECK_EQ(errno, ENOENT);
	CHECK_CONTAINS(exobpf_errmsg(), "symbol 'undefined_thing' is used but defined nowhere");
}

TEST(loader_hidden_function_is_static_in_btf)
{
	struct exobpf_object *obj = open_obj("hidden_func");
	struct args a = {21, 0, 0};
	uint64_t r0;

	CHECK(obj);
	struct exobpf_btf *btf = exobpf_object__btf(obj);
	int id = exobpf_btf__find_by_name_kind(btf, "twice", BTF_KIND_FUNC);
	CHECK(id > 0);
	CHECK_EQ(BTF_INFO_VLEN(exobpf_btf__type_by_id(btf, (uint32_t)id)->info), BTF_FUNC_STATIC);
	id = exobpf_btf__find_by_name_kind(btf, "use_hidden", BTF_KIND_FUNC);
	CHECK_EQ(BTF_INFO_VLEN(exobpf_btf__type_by_id(btf, (uint32_t)id)->info), BTF_FUNC_GLOBAL);
	CHECK_MSG(!exobpf_object__load(obj), "%s", exobpf_errmsg());
	CHECK_EQ(run_syscall(obj, "use_hidden", &a, &r0), 0);
	CHECK_EQ(a.out, 42);
	exobpf_object__close(obj);
}
