/* The tracer's uprobes on purpose-built targets (build/trace): a PIE
 * executable, its shared library, a thread and a forked child. The maps the
 * programs fill are compared with what the targets' sources say they do. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "exobpf/exobpf.h"
#include "test.h"

static const char *build_path(const char *rel)
{
	static char buf[4][512];
	static int n;
	const char *b = getenv("EXOBPF_BUILD");
	char *p = buf[n++ % 4];

	snprintf(p, 512, "%s/%s", b && *b ? b : "build", rel);
	return p;
}

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
	struct exobpf_object *obj = exobpf_object__open_file(build_path(name), NULL);

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
	char *argv[] = {(char *)build_path("trace/uprobe_target"), NULL};
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
	exobpf_object__close(obj);
}
