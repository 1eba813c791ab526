/* exobpf prog load|show|dump xlated|dump jited, and "exobpf run OBJ.o":
 * objects through the library's object loader. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "exobpf/object.h"

static int prog_usage(void)
{
	fprintf(stderr,
		"usage: exobpf prog load OBJ.o [PIN_DIR] [--btf FILE] [--kconfig FILE] "
		"[--interp]\n"
		"       exobpf prog show OBJ.o\n"
		"       exobpf prog dump xlated OBJ.o [--program NAME] [--map-names] "
		"[--lines] [--raw]\n"
		"                                     [--btf FILE]\n"
		"       exobpf prog dump jited OBJ.o [--program NAME] [-j] [--blind] [--btf FILE]\n"
		"  --btf: target BTF for CO-RE (e.g. /sys/kernel/btf/vmlinux)\n"
		"  --interp: load for the interpreter (no machine code)\n"
		"  dump jited: the machine code, disassembled, under the eBPF instruction\n"
		"  each block comes from; -j as JSON; --blind with constant blinding\n");
	return EXIT_USAGE;
}

struct obj_args {
	const char *path, *pin_dir, *program, *btf, *kconfig_file;
	bool map_names, lines, raw, json, blind, interp;
	char *kconfig;
};

static int parse(int argc, char **argv, int first, struct obj_args *a)
{
	const char *v;

	memset(a, 0, sizeof(*a));
	for (int i = first; i < argc; i++) {
		if ((v = cli_opt(argc, argv, &i, "--program")))
			a->program = v;
		else if ((v = cli_opt(argc, argv, &i, "--btf")))
			a->btf = v;
		else if ((v = cli_opt(argc, argv, &i, "--kconfig")))
			a->kconfig_file = v;
		else if (!strcmp(argv[i], "--map-names"))
			a->map_names = true;
		else if (!strcmp(argv[i], "--lines"))
			a->lines = true;
		else if (!strcmp(argv[i], "--raw"))
			a->raw = true;
		else if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json"))
			a->json = true;
		else if (!strcmp(argv[i], "--blind"))
			a->blind = true;
		else if (!strcmp(argv[i], "--interp"))
			a->interp = true;
		else if (argv[i][0] == '-')
			return -1;
		else if (!a->path)
			a->path = argv[i];
		else if (!a->pin_dir)
			a->pin_dir = argv[i];
		else
			return -1;
	}
	return a->path ? 0 : -1;
}

static struct exobpf_object *open_obj(struct obj_args *a, int *rc)
{
	size_t len;

	if (a->kconfig_file && cli_read_file(a->kconfig_file, &a->kconfig, &len)) {
		*rc = cli_fail(EXIT_INPUT, "%s: cannot read", a->kconfig_file);
		return NULL;
	}
	EXOBPF_OPTS(exobpf_object_open_opts, opts, .btf_custom_path = a->btf,
		    .kconfig = a->kconfig);
	struct exobpf_object *obj = exobpf_object__open_file(a->path, &opts);
	if (!obj) {
		*rc = cli_fail(EXIT_INPUT, "%s", exobpf_errmsg());
		return NULL;
	}
	return obj;
}

static int load_obj(struct exobpf_object *obj, const struct obj_args *a)
{
	struct exobpf_program *p;

	exobpf_object__for_each_program(p, obj)
	{
		exobpf_program__set_load_flags(p, (a && a->interp ? EXOBPF_PROG_INTERP : 0) |
						      (a && a->blind ? EXOBPF_PROG_JIT_BLIND : 0));
	}
	if (exobpf_object__load(obj))
		return cli_fail(errno == EINVAL || errno == ENOENT || errno == ENOTSUP
				    ? EXIT_INPUT
				    : EXIT_FAILED,
				"%s", exobpf_errmsg());
	return 0;
}

static void show(struct exobpf_object *obj)
{
	struct exobpf_program *p;
	struct exobpf_map *m;
	unsigned n = 0;

	exobpf_object__for_each_program(p, obj)
	{
		const char *type = exobpf_prog_type_str(exobpf_program__type(p));
		printf("%u: %s  name %s  section %s  insns %zu  license %s%s\n", n++,
		       type && exobpf_program__type(p) ? type : "unknown", exobpf_program__name(p),
		       exobpf_program__section_name(p), exobpf_program__insn_cnt(p),
		       exobpf_object__license(obj)[0] ? exobpf_object__license(obj) : "(none)",
		       exobpf_program__autoload(p) ? "" : "  (not autoloaded)");
	}
	exobpf_object__for_each_map(m, obj)
	{
		printf("map %s: type %u  key %u  value %u  max_entries %u  flags %#x%s%s\n",
		       exobpf_map__name(m), exobpf_map__type(m), exobpf_map__key_size(m),
		       exobpf_map__value_size(m), exobpf_map__max_entries(m),
		       exobpf_map__map_flags(m), exobpf_map__pin_path(m) ? "  pinned " : "",
		       exobpf_map__pin_path(m) ? exobpf_map__pin_path(m) : "");
	}
}

/* One program's dump: xlated, or its machine code (-j: one JSON object;
 * several programs make a JSON array, as bpftool's -j does). An exit code. */
static int dump_one(struct exobpf_program *p, const struct obj_args *a, bool jited, bool first)
{
	struct exobpf_prog *prog = exobpf_program__prog(p);
	int err;

	if (jited && !exobpf_prog__is_jited(prog))
		return cli_fail(EXIT_FAILED, "%s: program '%s': no machine code (interpreted)",
				a->path, exobpf_program__name(p));
	if (jited && a->json)
		fputs(first ? "[" : ",", stdout);
	else
		printf("%s:\n", exobpf_program__name(p));
	if (jited)
		err = exobpf_prog__dump_jited(prog, stdout, a->json ? EXOBPF_DUMP_JSON : 0);
	else
		err = exobpf_program__dump_xlated(p, stdout,
						  (a->map_names ? EXOBPF_DUMP_MAP_NAMES : 0) |
						      (a->lines ? EXOBPF_DUMP_LINES : 0) |
						      (a->raw ? EXOBPF_DUMP_RAW : 0));
	return err ? cli_fail(EXIT_FAILED, "%s", exobpf_errmsg()) : EXIT_OK;
}

int cmd_prog(int argc, char **argv)
{
	struct obj_args a;
	struct exobpf_object *obj;
	int rc = EXIT_OK;

	if (argc < 3)
		return prog_usage();
	bool dump = !strcmp(argv[1], "dump");
	bool jited = dump && argc >= 4 && !strcmp(argv[2], "jited");
	if (dump && (argc < 4 || (!jited && strcmp(argv[2], "xlated"))))
		return prog_usage();
	if ((!dump && strcmp(argv[1], "load") && strcmp(argv[1], "show")) ||
	    parse(argc, argv, dump ? 3 : 2, &a))
		return prog_usage();
	/* each option where it means something */
	if (((a.json || a.blind) && !jited) || (a.interp && (dump || !strcmp(argv[1], "show")))) {
		free(a.kconfig);
		return prog_usage();
	}
	if ((a.pin_dir && strcmp(argv[1], "load")) || !(obj = open_obj(&a, &rc))) {
		free(a.kconfig);
		return a.pin_dir && strcmp(argv[1], "load") ? prog_usage() : rc;
	}
	if (!strcmp(argv[1], "show")) {
		show(obj);
	} else if (dump && !jited && exobpf_object__prepare(obj)) {
		rc = cli_fail(EXIT_INPUT, "%s", exobpf_errmsg());
	} else if ((!dump || jited) && (rc = load_obj(obj, &a))) {
		/* reported */
	} else if (!strcmp(argv[1], "load")) {
		if (a.pin_dir && exobpf_object__pin_maps(obj, a.pin_dir))
			rc = cli_fail(EXIT_FAILED, "%s", exobpf_errmsg());
		else
			show(obj);
	} else {
		struct exobpf_program *p;
		bool found = false;
		exobpf_object__for_each_program(p, obj)
		{
			if (a.program && strcmp(a.program, exobpf_program__name(p)))
				continue;
			if (!exobpf_program__autoload(p))
				continue;
			if ((rc = dump_one(p, &a, jited, !found)))
				break;
			found = true;
		}
		if (found && jited && a.json)
			puts("]");
		if (!found && !rc)
			rc = cli_fail(EXIT_INPUT, "%s: no loaded program%s%s", a.path,
				      a.program ? " named " : "", a.program ? a.program : "");
	}
	exobpf_object__close(obj);
	free(a.kconfig);
	return rc;
}

/* exobpf run OBJ.o [--section S | --program NAME] [--mem HEX] [--ctx HEX] [--repeat N]:
 * load the object and run one program (the first, or the one named). */
int cli_run_object(int argc, char **argv, const char *path, const uint8_t *mem, size_t memlen,
		   const uint8_t *ctx, size_t ctxlen, uint32_t repeat, enum cli_engine engine)
{
	const char *section = NULL, *program = NULL, *v;
	struct exobpf_program *p, *pick = NULL;
	struct obj_args a = {.path = path,
			     .interp = engine == CLI_ENGINE_INTERP || engine == CLI_ENGINE_CHECKED};
	int rc = EXIT_OK;

	for (int i = 1; i < argc; i++) {
		if ((v = cli_opt(argc, argv, &i, "--section")))
			section = v;
		else if ((v = cli_opt(argc, argv, &i, "--program")))
			program = v;
		else if ((v = cli_opt(argc, argv, &i, "--btf")))
			a.btf = v;
	}
	struct exobpf_object *obj = open_obj(&a, &rc);
	if (!obj)
		return rc;
	exobpf_object__for_each_program(p, obj)
	{
		bool match = (!section || !strcmp(section, exobpf_program__section_name(p))) &&
			     (!program || !strcmp(program, exobpf_program__name(p)));
		if (match && !pick)
			pick = p;
		exobpf_program__set_autoload(p, match && pick == p);
	}
	if (!pick) {
		exobpf_object__close(obj);
		return cli_fail(EXIT_INPUT, "%s: no program%s%s%s%s", path,
				section ? " in section " : "", section ? section : "",
				program ? " named " : "", program ? program : "");
	}
	if ((rc = load_obj(obj, &a))) {
		exobpf_object__close(obj);
		return rc;
	}
	if (engine == CLI_ENGINE_JIT && !exobpf_prog__is_jited(exobpf_program__prog(pick))) {
		exobpf_object__close(obj);
		return cli_fail(EXIT_FAILED, "%s: program '%s': no machine code on this host", path,
				exobpf_program__name(pick));
	}
	EXOBPF_OPTS(exobpf_run_opts, ropts, .data_in = mem, .data_size_in = (uint32_t)memlen,
		    .ctx_in = ctx, .ctx_size_in = (uint32_t)ctxlen, .repeat = repeat,
		    .flags = engine == CLI_ENGINE_CHECKED ? EXOBPF_RUN_CHECKED : 0);
	if (exobpf_prog__run(exobpf_program__prog(pick), &ropts)) {
		rc = cli_fail(EXIT_FAILED, "%s: %s", path, exobpf_errmsg());
	} else {
		printf("0x%llx\n", (unsigned long long)ropts.retval);
		if (repeat > 1)
			printf("%u ns/run (%u runs)\n", ropts.duration, repeat);
	}
	exobpf_object__close(obj);
	return rc;
}

bool cli_is_object(const char *path)
{
	char magic[4];
	FILE *f = fopen(path, "rb");
	bool elf = f && fread(magic, 1, 4, f) == 4 && !memcmp(magic, "\177ELF", 4);

	if (f)
		fclose(f);
	return elf;
}
