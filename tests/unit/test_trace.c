/* The tracer's uprobes on purpose-built targets (build/trace): a PIE
 * executable, its shared library, a thread and a forked child. The maps the
 * programs fill are compared with what the targets' sources say they do. */
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dirent.h>
#include <dlfcn.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "exobpf/exobpf.h"
#include "test.h"
#include "tracing/tracing.h"
#include "util.h"

static int map_fd(struct exobpf_object *obj, const char *name)
{
	struct exobpf_map *m = exobpf_object__find_map_by_name(obj, name);

	return m ? exobpf_map__fd(m) : -1;
}

/* Run argv under the tracer until everything it started has ended. */
static int trace_run(struct exobpf_tracer *tr, char *const argv[], int *status)
{
	int n, err = exobpf_tracer__spawn(tr, argv);

	if (err < 0)
		return err;
	while ((n = exobpf_tracer__poll(tr)) > 0)
		;
	*status = exobpf_tracer__exit_status(tr);
	return n;
}

static struct exobpf_object *load(const char *name)
{
	struct exobpf_object *obj = exobpf_object__open_file(test_build_path(name), NULL);

	if (obj && exobpf_object__load(obj)) {
		exobpf_object__close(obj);
		return NULL;
	}
	return obj;
}

TEST(trace_uprobe_shared_library_pie_thread_fork)
{
	struct exobpf_object *obj = load("progs/trace_uprobe.bpf.o");
	struct exobpf_tracer *tr;
	char *argv[] = {(char *)test_build_path("trace/uprobe_target"), NULL};
	int status = -1, err;
	uint32_t key, tid_main = 0, tid;
	uint64_t v, tgid_main;
	long six[6];

	CHECK_MSG(obj, "%s", exobpf_errmsg());
	tr = exobpf_tracer__new(obj, NULL);
	CHECK_MSG(tr, "%s", exobpf_errmsg());
	err = trace_run(tr, argv, &status);
	exobpf_tracer__free(tr);
	CHECK_MSG(err == 0, "%s", exobpf_errmsg());
	CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "the target's own checks failed under the tracer: status 0x%x", status);

	/* lib_add(i, 2i) from main for i = 1..5: b and the process */
	key = 1;
	CHECK(exobpf_map_lookup_elem(map_fd(obj, "add_args"), &key, &v) == 0);
	tgid_main = v & 0xffffffff;
	CHECK(tgid_main > 0);
	for (key = 1; key <= 5; key++) {
		CHECK(exobpf_map_lookup_elem(map_fd(obj, "add_args"), &key, &v) == 0);
		CHECK_EQ(v >> 32, 2 * key);
		CHECK_EQ(v & 0xffffffff, tgid_main);
		CHECK(exobpf_map_lookup_elem(map_fd(obj, "add_tid"), &key, &tid) == 0);
		CHECK_EQ(tid, tgid_main); /* the main thread: tid == tgid */
		tid_main = tid;
	}
	/* lib_add(10..12, 100) from the second thread: same process, other tid */
	for (key = 10; key <= 12; key++) {
		CHECK(exobpf_map_lookup_elem(map_fd(obj, "add_args"), &key, &v) == 0);
		CHECK_EQ(v >> 32, 100);
		CHECK_EQ(v & 0xffffffff, tgid_main);
		CHECK(exobpf_map_lookup_elem(map_fd(obj, "add_tid"), &key, &tid) == 0);
		CHECK(tid != tid_main);
	}
	/* lib_add(20, 1) from the forked child: another process */
	key = 20;
	CHECK(exobpf_map_lookup_elem(map_fd(obj, "add_args"), &key, &v) == 0);
	CHECK_EQ(v >> 32, 1);
	CHECK((v & 0xffffffff) != tgid_main);
	/* nothing else called lib_add */
	{
		uint32_t k, next, n = 0;
		for (err = exobpf_map_get_next_key(map_fd(obj, "add_args"), NULL, &next); !err;
		     err = exobpf_map_get_next_key(map_fd(obj, "add_args"), &k, &next)) {
			k = next;
			n++;
		}
		CHECK_EQ(n, 9);
	}
	/* every return seen once: 3i for i = 1..5, 110..112, 21 */
	{
		const uint32_t rets[] = {3, 6, 9, 12, 15, 110, 111, 112, 21};
		uint32_t k, next, n = 0, count;

		for (size_t i = 0; i < sizeof(rets) / sizeof(rets[0]); i++) {
			CHECK_MSG(
			    exobpf_map_lookup_elem(map_fd(obj, "add_rets"), &rets[i], &count) == 0,
			    "no return value %u", rets[i]);
			CHECK_EQ(count, 1);
		}
		for (err = exobpf_map_get_next_key(map_fd(obj, "add_rets"), NULL, &next); !err;
		     err = exobpf_map_get_next_key(map_fd(obj, "add_rets"), &k, &next)) {
			k = next;
			n++;
		}
		CHECK_EQ(n, 9);
	}
	/* self_mul(1, 2, 3, 4, 5, 6) in the PIE executable: all six registers */
	key = 0;
	CHECK(exobpf_map_lookup_elem(map_fd(obj, "mul"), &key, six) == 0);
	for (int i = 0; i < 6; i++)
		CHECK_EQ(six[i], i + 1);
	key = 1;
	CHECK(exobpf_map_lookup_elem(map_fd(obj, "mul"), &key, six) == 0);
	CHECK_EQ(six[0], 1 * 2 + 3 * 4 + 5 * 6);
	/* lib_mix(1, ..., 6) in the library: arguments, result, one return */
	key = 0;
	CHECK(exobpf_map_lookup_elem(map_fd(obj, "mix"), &key, six) == 0);
	for (int i = 0; i < 6; i++)
		CHECK_EQ(six[i], i + 1);
	key = 1;
	CHECK(exobpf_map_lookup_elem(map_fd(obj, "mix"), &key, six) == 0);
	CHECK_EQ(six[0], 44);
	CHECK_EQ(six[1], 1);
	exobpf_object__close(obj);
}

static int64_t val(struct exobpf_object *obj, uint32_t k)
{
	int64_t v = -999;

	exobpf_map_lookup_elem(map_fd(obj, "vals"), &k, &v);
	return v;
}

/* The keys of trace_sys.bpf.c's vals array. */
enum {
	RAW_ENTER,
	RAWTP_ENTER,
	RAWTP_MISMATCH,
	TP_ENTER,
	TP_EXIT_RET,
	RAW_EXIT_RET,
	UID_GID,
	PID_TGID,
	BAD_PTR_RET,
	GOOD_PTR_RET,
	GOOD_PTR_HEAD,
	OPENAT_ERR,
	OPENAT_ERR2,
	COMM,
};

TEST(trace_syscall_tracepoints_contexts_and_task_view)
{
	struct exobpf_object *obj = load("progs/trace_sys.bpf.o");
	struct exobpf_tracer *tr;
	char *argv[] = {(char *)test_build_path("trace/sys_target"), NULL};
	int status = -1, err, pid;
	int64_t head;

	CHECK_MSG(obj, "%s", exobpf_errmsg());
	tr = exobpf_tracer__new(obj, NULL);
	CHECK_MSG(tr, "%s", exobpf_errmsg());
	pid = exobpf_tracer__spawn(tr, argv);
	CHECK_MSG(pid > 0, "%s", exobpf_errmsg());
	while ((err = exobpf_tracer__poll(tr)) > 0)
		;
	status = exobpf_tracer__exit_status(tr);
	exobpf_tracer__free(tr);
	CHECK_MSG(err == 0, "%s", exobpf_errmsg());
	CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status 0x%x", status);

	/* four getppid calls, seen by each kind of tracepoint */
	CHECK_EQ(val(obj, RAW_ENTER), 4);
	CHECK_EQ(val(obj, RAWTP_ENTER), 4);
	CHECK_EQ(val(obj, TP_ENTER), 4);
	CHECK_EQ(val(obj, RAWTP_MISMATCH), 0);
	/* its parent is this process */
	CHECK_EQ(val(obj, TP_EXIT_RET), getpid());
	CHECK_EQ(val(obj, RAW_EXIT_RET), getpid());
	/* the last call's task: ids set by the target, gid << 32 | uid */
	CHECK_EQ(val(obj, UID_GID), (int64_t)5678 << 32 | 1234);
	CHECK_EQ(val(obj, PID_TGID), (int64_t)pid << 32 | pid);
	memcpy(&head, "sys_targ", 8); /* comm: the executable's name, 15 bytes at most */
	CHECK_EQ(val(obj, COMM), head);
	/* probe_read_user_str in the tracee: -EFAULT for address 8, else the
	 * string with its NUL */
	CHECK_EQ(val(obj, BAD_PTR_RET), -EFAULT);
	CHECK_EQ(val(obj, GOOD_PTR_RET), sizeof("/nonexistent/exobpf-sys-target"));
	memcpy(&head, "/nonexis", 8);
	CHECK_EQ(val(obj, GOOD_PTR_HEAD), head);
	/* the kernel's own answers to the two opens */
	CHECK_EQ(val(obj, OPENAT_ERR), -EFAULT);
	CHECK_EQ(val(obj, OPENAT_ERR2), -ENOENT);
	exobpf_object__close(obj);
}

/* ---- Linux's tracepoints, where tracefs shows them ---- */

static const char *tracefs(void)
{
	static const char *const dirs[] = {"/sys/kernel/tracing/events/syscalls",
					   "/sys/kernel/debug/tracing/events/syscalls"};

	for (size_t i = 0; i < 2; i++)
		if (access(dirs[i], R_OK) == 0)
			return dirs[i];
	return NULL;
}

/* Does the system's <asm/unistd_64.h> define __NR_name? */
static bool in_headers(const char *name)
{
	char line[256], want[128];
	bool found = false;
	FILE *f = fopen("/usr/include/x86_64-linux-gnu/asm/unistd_64.h", "r");

	snprintf(want, sizeof(want), "#define __NR_%s ", name);
	while (f && !found && fgets(line, sizeof(line), f))
		found = !strncmp(line, want, strlen(want));
	if (f)
		fclose(f);
	/* the kernel's SYSCALL_DEFINE names for calls the headers name otherwise */
	return found || !strcmp(name, "newstat") || !strcmp(name, "newlstat") ||
	       !strcmp(name, "newfstat") || !strcmp(name, "newuname") ||
	       !strcmp(name, "sendfile64") || !strcmp(name, "umount");
}

/* Every syscalls/ tracepoint of the running kernel names a system call
 * exobpf knows, and each sys_enter_ record's fields sit where exobpf's
 * context puts the arguments (offset 16 + 8 i, 8 bytes each), __syscall_nr
 * at 8, and sys_exit_'s ret at 16. */
TEST(trace_tracepoint_names_and_layouts_match_tracefs)
{
	const char *dir = tracefs();
	char path[512], line[512];
	struct dirent *de;
	DIR *d;
	int names = 0, fields = 0, newer = 0;

	if (!dir)
		SKIP("tracefs is not mounted (no /sys/kernel/tracing/events/syscalls)");
	CHECK((d = opendir(dir)) != NULL);
	while ((de = readdir(d))) {
		struct trc_attach a;
		struct trc_point pt;
		char sec[300];
		int arg = 0, err;
		FILE *f;

		if (strncmp(de->d_name, "sys_", 4))
			continue;
		snprintf(sec, sizeof(sec), "tracepoint/syscalls/%s", de->d_name);
		err = trc_parse_attach(sec, "p", &a, &pt);
		if (err && !in_headers(strchr(de->d_name + 4, '_') + 1)) {
			newer++; /* a call newer than the system headers exobpf is built with */
			continue;
		}
		if (err) {
			closedir(d);
			CHECK_MSG(0, "%s: %s", sec, exobpf_errmsg());
		}
		names++;
		snprintf(path, sizeof(path), "%s/%s/format", dir, de->d_name);
		if (!(f = fopen(path, "r")))
			continue;
		while (fgets(line, sizeof(line), f)) {
			char *name_end = strchr(line, ';');
			int off, size;
			if (!strstr(line, "field:") || strstr(line, "common_") || !name_end ||
			    sscanf(strstr(line, "offset:"), "offset:%d;\tsize:%d;", &off, &size) !=
				2)
				continue;
			fields++;
			if (strstr(line, "__syscall_nr")) {
				CHECK_MSG(off == 8 && size == 4, "%s: %s", path, line);
			} else if (strncmp(de->d_name, "sys_exit_", 9) == 0) {
				CHECK_MSG(off == 16 && size == 8, "%s: %s", path, line);
			} else {
				CHECK_MSG(off == 16 + 8 * arg && size == 8, "%s: %s", path, line);
				arg++;
			}
		}
		fclose(f);
	}
	closedir(d);
	CHECK(names > 100);
	CHECK(fields > names);
	CHECK(newer < names / 4);
}

/* The contexts exobpf builds, read back at Linux's offsets. */
TEST(trace_context_layout)
{
	struct trc_sys_ctx c;
	const uint64_t args[6] = {11, 22, 33, 44, 55, 66};
	int32_t i32;
	int64_t i64;

	trc_ctx_sys_enter(&c, false, 4321, 257, args);
	memcpy(&i32, c.bytes + 4, 4);
	CHECK_EQ(i32, 4321); /* common_pid */
	memcpy(&i32, c.bytes + 8, 4);
	CHECK_EQ(i32, 257); /* __syscall_nr */
	for (int i = 0; i < 6; i++) {
		memcpy(&i64, c.bytes + 16 + 8 * i, 8);
		CHECK_EQ(i64, args[i]);
	}
	trc_ctx_sys_exit(&c, true, 1, 257, -2);
	memcpy(&i64, c.bytes + 8, 8);
	CHECK_EQ(i64, 257); /* long id */
	memcpy(&i64, c.bytes + 16, 8);
	CHECK_EQ(i64, -2);
	CHECK_EQ(sizeof(c.bytes), 2048); /* all a tracepoint program may read */
}

/* ---- bad attach points fail with the program and the place named ---- */

static const char *parse_err(const char *sec)
{
	struct trc_attach a;
	struct trc_point pt = {0};
	int err = trc_parse_attach(sec, "prog", &a, &pt);

	if (err >= 0) {
		trc_point_free(&pt);
		return "(accepted)";
	}
	return exobpf_errmsg();
}

TEST(trace_attach_point_errors)
{
	struct trc_attach a;
	struct trc_point pt = {0};

	CHECK_STR(parse_err("tracepoint/syscalls/sys_enter_nosuchcall"),
		  "program prog: tracepoint 'syscalls/sys_enter_nosuchcall': no system call "
		  "'nosuchcall'");
	CHECK_STR(parse_err("tracepoint/sched/sched_switch"),
		  "program prog: tracepoint 'sched/sched_switch': exobpf traces only syscalls/ and "
		  "raw_syscalls/ tracepoints");
	CHECK_STR(parse_err("raw_tp/sched_switch"),
		  "program prog: raw tracepoint 'sched_switch': exobpf traces only sys_enter and "
		  "sys_exit");
	CHECK_STR(parse_err("uprobe/libc.so.6"),
		  "program prog: uprobe target 'libc.so.6' is not PATH:FUNCTION[+OFFSET]");
	CHECK_STR(parse_err("uprobe/:malloc"),
		  "program prog: uprobe target ':malloc' is not PATH:FUNCTION[+OFFSET]");
	CHECK_STR(parse_err("uprobe/libc.so.6:malloc+zz"),
		  "program prog: uprobe target 'libc.so.6:malloc+zz': bad offset 'zz'");
	CHECK_STR(parse_err("kprobe/do_sys_open"),
		  "program prog: section 'kprobe/do_sys_open' is not a syscall tracepoint or a "
		  "uprobe");
	/* accepted forms */
	CHECK(trc_parse_attach("tp/syscalls/sys_exit_newstat", "p", &a, &pt) == 0);
	CHECK_EQ(a.kind, TRC_SYS_EXIT);
	CHECK_EQ(a.nr, 4); /* stat: the kernel names it after SYSCALL_DEFINE(newstat) */
	CHECK(trc_parse_attach("uretprobe//lib/x.so:f+0x10", "p", &a, &pt) == 1);
	CHECK_EQ(a.kind, TRC_URETPROBE);
	CHECK_STR(pt.path, "/lib/x.so");
	CHECK_STR(pt.func, "f");
	CHECK_EQ(pt.off, 0x10);
	trc_point_free(&pt);
}

TEST(trace_uprobe_symbol_errors)
{
	uint64_t off;

	CHECK(trc_elf_func_offset("/nonexistent/x", "f", 0, &off, NULL) == -ENOENT);
	CHECK_STR(exobpf_errmsg(), "/nonexistent/x: No such file or directory");
	CHECK(trc_elf_func_offset("/etc/hostname", "f", 0, &off, NULL) == -ENOEXEC);
	CHECK_STR(exobpf_errmsg(), "/etc/hostname: not an ELF file");
	CHECK(trc_elf_func_offset(test_build_path("trace/uprobe_target"), "no_such_fn", 0, &off,
				  NULL) == -ENOENT);
	CHECK_CONTAINS(exobpf_errmsg(), "no function 'no_such_fn' in its symbol tables");
	/* a function the target has resolves to a byte inside an executable segment */
	CHECK(trc_elf_func_offset(test_build_path("trace/uprobe_target"), "self_mul", 0, &off,
				  NULL) == 0);
	CHECK(off > 0);
}

TEST(trace_tracer_errors)
{
	struct exobpf_object *obj = load("progs/trace_sys.bpf.o");
	const char *names[] = {"no_such_prog"};
	struct exobpf_tracer_opts o = {.sz = sizeof(o), .programs = names, .nr_programs = 1};
	struct exobpf_tracer *tr;
	char *argv[] = {"/nonexistent/cmd", NULL};
	int n, status;

	CHECK_MSG(obj, "%s", exobpf_errmsg());
	CHECK(exobpf_tracer__new(obj, &o) == NULL);
	CHECK_CONTAINS(exobpf_errmsg(), "no program named 'no_such_prog'");
	CHECK(exobpf_tracer__new(NULL, NULL) == NULL);
	tr = exobpf_tracer__new(obj, NULL);
	CHECK(tr);
	CHECK(exobpf_tracer__spawn(tr, NULL) == -EINVAL);
	CHECK(exobpf_tracer__attach_pid(tr, -5) == -EINVAL);
	/* a command that cannot run: the child reports 127, as a shell would */
	CHECK(exobpf_tracer__spawn(tr, argv) > 0);
	while ((n = exobpf_tracer__poll(tr)) > 0)
		;
	status = exobpf_tracer__exit_status(tr);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 127);
	exobpf_tracer__free(tr);
	exobpf_object__close(obj);
	/* an object with no tracing program */
	obj = load("progs/arith.bpf.o");
	CHECK_MSG(obj, "%s", exobpf_errmsg());
	CHECK(exobpf_tracer__new(obj, NULL) == NULL);
	CHECK_CONTAINS(exobpf_errmsg(), "no syscall tracepoint or uprobe program to attach");
	exobpf_object__close(obj);
}

/* ---- the fast path, in this very process ---- */

TEST(trace_fast_uprobe_in_process)
{
	struct exobpf_object *obj = load("progs/trace_uprobe.bpf.o");
	const char *mix_progs[] = {"mix_entry", "mix_exit"}, *add_progs[] = {"add_entry"};
	struct exobpf_tracer_opts o = {.sz = sizeof(o), .programs = mix_progs, .nr_programs = 2};
	struct exobpf_uprobes *u;
	long (*mix)(long, long, long, long, long, long);
	long six[6], r = 0;
	uint32_t k;
	void *lib;

	CHECK_MSG(obj, "%s", exobpf_errmsg());
	lib = dlopen(test_build_path("trace/libexotarget.so"), RTLD_NOW);
	CHECK_MSG(lib, "%s", dlerror());
	mix = (long (*)(long, long, long, long, long, long))dlsym(lib, "lib_mix");
	CHECK(mix);
	u = exobpf_uprobes__attach_self(obj, &o);
	CHECK_MSG(u, "%s", exobpf_errmsg());
	for (int i = 0; i < 3; i++)
		r += mix(1, 2, 3, 4, 5, 6);
	CHECK_EQ(r, 3 * 44); /* the function still does its work */
	CHECK_EQ(exobpf_uprobes__hits(u), 3);
	k = 0;
	CHECK(exobpf_map_lookup_elem(map_fd(obj, "mix"), &k, six) == 0);
	for (int i = 0; i < 6; i++)
		CHECK_EQ(six[i], i + 1);
	k = 1;
	CHECK(exobpf_map_lookup_elem(map_fd(obj, "mix"), &k, six) == 0);
	CHECK_EQ(six[0], 44); /* PT_REGS_RC at the return */
	CHECK_EQ(six[1], 3);  /* every return seen */
	exobpf_uprobes__detach(u);
	CHECK_EQ(mix(2, 2, 2, 2, 2, 2), 12); /* original code back, no probe */
	CHECK(exobpf_map_lookup_elem(map_fd(obj, "mix"), &k, six) == 0);
	CHECK_EQ(six[1], 3);
	/* lib_add is 4 bytes: the jump does not fit, the breakpoint path must do */
	o.programs = add_progs;
	o.nr_programs = 1;
	CHECK(exobpf_uprobes__attach_self(obj, &o) == NULL);
	CHECK_CONTAINS(exobpf_errmsg(),
		       "libexotarget.so:lib_add: 4 bytes, shorter than the 5-byte jump");
	dlclose(lib);
	exobpf_object__close(obj);
}

/* A probe reached from inside its own program (the helper behind
 * bpf_get_current_pid_tgid calls getpid) runs nothing: each of the three
 * calls below runs each program once, and the nested hits are missed. */
TEST(trace_fast_uprobe_nested_hit_runs_no_program)
{
	struct exobpf_object *obj = load("progs/trace_nested.bpf.o");
	const char *progs[] = {"getpid_entry", "getpid_exit"};
	struct exobpf_tracer_opts o = {.sz = sizeof(o), .programs = progs, .nr_programs = 2};
	pid_t (*volatile pid_of)(void) = getpid;
	struct exobpf_uprobes *u;
	uint64_t v[4] = {0};
	pid_t pid = 0;

	CHECK_MSG(obj, "%s", exobpf_errmsg());
	u = exobpf_uprobes__attach_self(obj, &o);
	CHECK_MSG(u, "%s", exobpf_errmsg());
	for (int i = 0; i < 3; i++)
		pid = pid_of();
	/* each program run called getpid once more, with both programs on it */
	uint64_t hits = exobpf_uprobes__hits(u), missed = exobpf_uprobes__missed(u);
	exobpf_uprobes__detach(u);
	CHECK_EQ(pid, (pid_t)syscall(SYS_getpid));
	for (uint32_t k = 0; k < 4; k++)
		CHECK(exobpf_map_lookup_elem(map_fd(obj, "seen"), &k, &v[k]) == 0);
	CHECK_EQ(v[0], 3);	       /* entry runs */
	CHECK_EQ(v[1], (uint64_t)pid); /* the tgid the entry program saw */
	CHECK_EQ(v[2], 3);	       /* return runs */
	CHECK_EQ(v[3], (uint64_t)pid); /* getpid's return value */
	CHECK_EQ(hits, 3 + 6);	       /* 3 calls, each with one nested in each program */
	CHECK_EQ(missed, 2 * 6);       /* both programs, at each nested hit */
	exobpf_object__close(obj);
}

/* The dispatcher itself calls sched_getcpu (the run's slot): a probe there
 * is hit again before its program runs, and that hit runs nothing. */
TEST(trace_fast_uprobe_on_a_function_the_dispatcher_calls)
{
	struct exobpf_object *obj = load("progs/trace_nested.bpf.o");
	const char *progs[] = {"getcpu_entry"};
	struct exobpf_tracer_opts o = {.sz = sizeof(o), .programs = progs, .nr_programs = 1};
	int (*volatile getcpu)(void) = sched_getcpu;
	struct exobpf_uprobes *u;
	uint32_t k = 4;
	uint64_t runs = 0;

	CHECK_MSG(obj, "%s", exobpf_errmsg());
	u = exobpf_uprobes__attach_self(obj, &o);
	CHECK_MSG(u, "%s", exobpf_errmsg());
	CHECK(getcpu() >= 0);
	uint64_t hits = exobpf_uprobes__hits(u), missed = exobpf_uprobes__missed(u);
	exobpf_uprobes__detach(u);
	CHECK(exobpf_map_lookup_elem(map_fd(obj, "seen"), &k, &runs) == 0);
	CHECK_EQ(runs, 1);
	CHECK_EQ(hits, 2);   /* the call, and the dispatcher's own */
	CHECK_EQ(missed, 1); /* the program, at the dispatcher's */
	exobpf_object__close(obj);
}
