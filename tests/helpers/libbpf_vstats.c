/* Test helper (never part of the runtime): load each program of an object
 * into Linux on its own with the system's libbpf, the verifier's statistics
 * on, and print one line per program:
 *   NAME accepted|rejected PROCESSED
 * (PROCESSED: the N of Linux's "processed N insns", or - when the log has
 * none). Exit 77 when the kernel refuses bpf() (the caller skips). */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

static struct bpf_object *open_obj(const char *path, const char *btf)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .btf_custom_path = btf);
	return bpf_object__open_file(path, &opts);
}

int main(int argc, char **argv)
{
	static char log[1 << 20];
	const char *btf = argc > 3 && !strcmp(argv[2], "--btf") ? argv[3] : NULL;
	struct bpf_object *obj;
	struct bpf_program *p;
	int nprogs = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: libbpf_vstats OBJ.o [--btf FILE]\n");
		return 2;
	}
	libbpf_set_print(quiet);
	if (!(obj = open_obj(argv[1], btf)))
		return 1;
	bpf_object__for_each_program(p, obj) nprogs++;
	bpf_object__close(obj);
	for (int k = 0; k < nprogs; k++) {
		struct bpf_program *mine = NULL;
		const char *n;
		int i = 0, err;

		if (!(obj = open_obj(argv[1], btf)))
			return 1;
		bpf_object__for_each_program(p, obj)
		{
			if (i++ == k && bpf_program__autoload(p))
				mine = p;
			else
				bpf_program__set_autoload(p, false);
		}
		if (!mine) {
			bpf_object__close(obj);
			continue;
		}
		log[0] = '\0';
		bpf_program__set_log_buf(mine, log, sizeof(log));
		bpf_program__set_log_level(mine, 4);
		err = bpf_object__load(obj);
		if (err == -EPERM) {
			bpf_object__close(obj);
			return 77;
		}
		n = strstr(log, "processed ");
		printf("%s %s ", bpf_program__name(mine), err ? "rejected" : "accepted");
		if (n)
			printf("%lu\n", strtoul(n + 10, NULL, 10));
		else
			printf("-\n");
		bpf_object__close(obj);
	}
	return 0;
}
