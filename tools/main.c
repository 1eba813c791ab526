/* exobpf: the command. Subcommands live in tools/commands.def. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct {
	const char *word;
	int (*fn)(int, char **);
	const char *summary;
} commands[] = {
#define CMD(word, fn, summary) {word, fn, summary},
#include "commands.def"
#undef CMD
};

static int usage(FILE *f)
{
	fprintf(f, "usage: exobpf COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-20s %s\n", commands[i].word, commands[i].summary);
	fprintf(f, "\nexit codes: 0 ok, 1 failed, 2 usage error, 3 bad input\n");
	return f == stdout ? EXIT_OK : EXIT_USAGE;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage(stderr);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help"))
		return usage(stdout);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].word))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "exobpf: unknown command '%s'\n", argv[1]);
	return usage(stderr);
}
