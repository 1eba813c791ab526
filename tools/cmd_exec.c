/* exobpf exec [--] CMD [ARGS...]: run an unmodified program with exobpf
 * standing in for the kernel's bpf() (the preload library beside this
 * command, or $EXOBPF_PRELOAD). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

int cmd_exec(int argc, char **argv)
{
	char self[PATH_MAX], lib[PATH_MAX + 64], pre[2 * PATH_MAX + 128];
	const char *env = getenv("EXOBPF_PRELOAD"), *old = getenv("LD_PRELOAD");
	ssize_t n;
	int i = 1;

	if (i < argc && !strcmp(argv[i], "--"))
		i++;
	if (i >= argc) {
		fprintf(stderr, "usage: exobpf exec [--] COMMAND [ARGS...]\n");
		return EXIT_USAGE;
	}
	if (env) {
		snprintf(lib, sizeof(lib), "%s", env);
	} else {
		n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (n < 0) {
			fprintf(stderr, "exobpf exec: cannot find myself: %s\n", strerror(errno));
			return EXIT_FAILED;
		}
		self[n] = '\0';
		*strrchr(self, '/') = '\0';
		snprintf(lib, sizeof(lib), "%s/libexobpf-preload.so", self);
	}
	if (access(lib, R_OK) < 0) {
		fprintf(stderr, "exobpf exec: %s: %s (build it with make)\n", lib, strerror(errno));
		return EXIT_FAILED;
	}
	snprintf(pre, sizeof(pre), "%s%s%s", lib, old && *old ? ":" : "", old ? old : "");
	setenv("LD_PRELOAD", pre, 1);
	execvp(argv[i], argv + i);
	fprintf(stderr, "exobpf exec: %s: %s\n", argv[i], strerror(errno));
	return errno == ENOENT ? EXIT_USAGE : EXIT_FAILED;
}
