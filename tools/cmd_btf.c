/* exobpf btf dump FILE [format raw|c]: bpftool's "btf dump file" */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "exobpf/btf.h"

static int btf_usage(void)
{
	fprintf(stderr, "usage: exobpf btf dump [file] FILE [format raw|c]\n"
			"  FILE: raw BTF (/sys/kernel/btf/vmlinux) or an object with .BTF\n");
	return EXIT_USAGE;
}

int cmd_btf(int argc, char **argv)
{
	enum exobpf_btf_dump_format fmt = EXOBPF_BTF_DUMP_RAW;
	const char *path = NULL;
	int i = 2;

	if (argc < 3 || strcmp(argv[1], "dump"))
		return btf_usage();
	if (!strcmp(argv[i], "file") && i + 1 < argc)
		i++;
	path = argv[i++];
	if (i < argc) {
		if (strcmp(argv[i], "format") || i + 2 != argc)
			return btf_usage();
		if (!strcmp(argv[i + 1], "c"))
			fmt = EXOBPF_BTF_DUMP_C;
		else if (strcmp(argv[i + 1], "raw"))
			return btf_usage();
	}
	struct exobpf_btf *btf = exobpf_btf__parse(path);
	if (!btf)
		return cli_fail(EXIT_INPUT, "%s", exobpf_errmsg());
	int err = exobpf_btf__dump(btf, fmt, stdout);
	exobpf_btf__free(btf);
	if (err)
		return cli_fail(EXIT_FAILED, "%s", exobpf_errmsg());
	return EXIT_OK;
}
