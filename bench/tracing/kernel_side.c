/* Linux's side of bench/tracing: load bench.bpf.o into the kernel with
 * libbpf, attach one program (a uprobe on TARGET's bench_fn, or the getppid
 * tracepoint), run the target, print its output and the kernel's hit count.
 *   kernel_side OBJ PROGRAM TARGET ARGS...   (exit 77: bpf() refused) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

static int quiet(enum libbpf_print_level l, const char *f, va_list ap)
{
	(void)l, (void)f, (void)ap;
	return 0;
}

int main(int argc, char **argv)
{
	struct bpf_object *obj;
	struct bpf_program *p, *prog = NULL;
	struct bpf_link *link;
	unsigned long long hits = 0;
	unsigned key;
	int status;
	pid_t pid;

	if (argc < 4)
		return 2;
	libbpf_set_print(quiet);
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj)
		return 77;
	bpf_object__for_each_program(p, obj)
	{
		bool me = !strcmp(bpf_program__name(p), argv[2]);
		bpf_program__set_autoload(p, me);
		if (me)
			prog = p;
	}
	if (!prog || bpf_object__load(obj))
		return 77;
	if (!strcmp(argv[2], "on_fn")) {
		LIBBPF_OPTS(bpf_uprobe_opts, o, .func_name = "bench_fn");
		link = bpf_program__attach_uprobe_opts(prog, -1, argv[3], 0, &o);
	} else {
		link = bpf_program__attach(prog);
	}
	if (!link)
		return 77;
	pid = fork();
	if (pid == 0) {
		execv(argv[3], argv + 3);
		_exit(127);
	}
	waitpid(pid, &status, 0);
	key = !strcmp(argv[2], "on_fn") ? 0 : 1;
	bpf_map__lookup_elem(bpf_object__find_map_by_name(obj, "hits"), &key, sizeof(key), &hits,
			     sizeof(hits), 0);
	fprintf(stderr, "kernel hits: %llu\n", hits);
	bpf_link__destroy(link);
	bpf_object__close(obj);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
