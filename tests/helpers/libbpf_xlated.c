/* Test helper (never part of the runtime): load an object into Linux with
 * the system's libbpf and print each program's relocated instructions as
 * libbpf passed them to the kernel, map fds replaced by map names, in the
 * format of "exobpf prog dump xlated --raw --map-names". Exit 77 when the
 * kernel refuses bpf() (the caller skips), 1 when libbpf fails. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_WARN)
		return vfprintf(stderr, fmt, ap);
	return 0;
}

static const char *map_name(struct bpf_object *obj, int fd)
{
	struct bpf_map *m;

	bpf_object__for_each_map(m, obj)
		if (bpf_map__fd(m) == fd)
			return bpf_map__name(m);
	return "?";
}

int main(int argc, char **argv)
{
	struct bpf_program *p;
	struct bpf_object *obj;
	const char *btf = NULL;
	static char kconfig[65536];

	if (argc < 2) {
		fprintf(stderr, "usage: libbpf_xlated OBJ.o [--btf FILE] [--kconfig FILE]\n");
		return 2;
	}
	for (int i = 2; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--btf")) {
			btf = argv[i + 1];
		} else if (!strcmp(argv[i], "--kconfig")) {
			FILE *f = fopen(argv[i + 1], "r");
			size_t n = f ? fread(kconfig, 1, sizeof(kconfig) - 1, f) : 0;
			if (f)
				fclose(f);
			kconfig[n] = '\0';
		}
	}
	libbpf_set_print(quiet);
	LIBBPF_OPTS(bpf_object_open_opts, opts, .btf_custom_path = btf,
		    .kconfig = kconfig[0] ? kconfig : NULL);
	obj = bpf_object__open_file(argv[1], &opts);
	if (!obj) {
		fprintf(stderr, "open %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	if (bpf_object__load(obj)) {
		int e = errno;
		fprintf(stderr, "load %s: %s\n", argv[1], strerror(e));
		bpf_object__close(obj);
		return e == EPERM ? 77 : 1;
	}
	bpf_object__for_each_program(p, obj)
	{
		const struct bpf_insn *in = bpf_program__insns(p);
		size_t n = bpf_program__insn_cnt(p);

		if (!bpf_program__autoload(p))
			continue;
		printf("%s:\n", bpf_program__name(p));
		for (size_t i = 0; i < n; i++) {
			const struct bpf_insn *x = &in[i];
			bool map = x->code == (BPF_LD | BPF_IMM | BPF_DW) &&
				   (x->src_reg == BPF_PSEUDO_MAP_FD || x->src_reg == BPF_PSEUDO_MAP_VALUE);
			if (map)
				printf("%4zu: code=%02x dst=%u src=%u off=%d imm=map:%s\n", i, x->code,
				       x->dst_reg, x->src_reg, x->off, map_name(obj, x->imm));
			else
				printf("%4zu: code=%02x dst=%u src=%u off=%d imm=%d\n", i, x->code,
				       x->dst_reg, x->src_reg, x->off, x->imm);
		}
	}
	bpf_object__close(obj);
	return 0;
}
