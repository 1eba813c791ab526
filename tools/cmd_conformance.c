/* exobpf conformance-plugin: the bpf_conformance plugin protocol (program as
 * hex on stdin, memory as hex in the first argument, r0 in hex on stdout).
 * exobpf conformance: a runner for bpf_conformance's .data files that drives
 * a plugin (this command's own by default) exactly as the upstream runner. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"

int cmd_conformance_plugin(int argc, char **argv)
{
	const char *memhex = "";
	bool checked = false, jit = false, interp = false;
	uint8_t *prog_bytes = NULL, *mem = NULL;
	size_t prog_len, mem_len;
	char *text;
	size_t text_len;
	int rc = EXIT_FAILED;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--checked"))
			checked = true;
		else if (!strcmp(argv[i], "--unchecked"))
			checked = false;
		else if (!strcmp(argv[i], "--jit"))
			jit = true;
		else if (!strcmp(argv[i], "--interp"))
			interp = true;
		else if (argv[i][0] == '-' && argv[i][1] == '-')
			return cli_fail(EXIT_USAGE, "conformance-plugin: unknown option %s", argv[i]);
		else
			memhex = argv[i];
	}
	if (jit && (checked || interp))
		return cli_fail(EXIT_USAGE, "conformance-plugin: --jit runs machine code: not with --checked or --interp");
	if (cli_read_file("-", &text, &text_len))
		return cli_fail(EXIT_INPUT, "conformance-plugin: cannot read the program from stdin");
	if (cli_parse_hex(text, &prog_bytes, &prog_len) || prog_len % 8 || !prog_len) {
		free(text);
		free(prog_bytes);
		return cli_fail(EXIT_INPUT, "conformance-plugin: stdin is not a whole number of hex-encoded instructions");
	}
	free(text);
	if (cli_parse_hex(memhex, &mem, &mem_len)) {
		free(prog_bytes);
		return cli_fail(EXIT_INPUT, "conformance-plugin: memory argument is not hex bytes");
	}
	struct bpf_insn *insns = malloc(prog_len);
	if (insns)
		memcpy(insns, prog_bytes, prog_len);
	EXOBPF_OPTS(exobpf_prog_opts, popts, .name = "conformance",
		    .flags = interp ? EXOBPF_PROG_INTERP : 0);
	struct exobpf_prog *prog = insns ? exobpf_prog__new(insns, prog_len / 8, &popts) : NULL;
	if (!prog) {
		cli_fail(EXIT_FAILED, "Invalid program: %s", exobpf_errmsg());
	} else if (jit && !exobpf_prog__is_jited(prog)) {
		cli_fail(EXIT_FAILED, "no machine code: %s", exobpf_errmsg());
	} else {
		EXOBPF_OPTS(exobpf_run_opts, ropts, .data_in = mem, .data_size_in = (uint32_t)mem_len,
			    .flags = checked ? EXOBPF_RUN_CHECKED : 0);
		if (exobpf_prog__run(prog, &ropts))
			cli_fail(EXIT_FAILED, "Invalid program: %s", exobpf_errmsg());
		else {
			printf("%llx\n", (unsigned long long)ropts.retval);
			rc = EXIT_OK;
		}
	}
	exobpf_prog__free(prog);
	free(insns);
	free(prog_bytes);
	free(mem);
	return rc;
}

/* ---- the runner ---- */

struct data_file {
	char *asm_text, *raw, *mem, *result, *error;
	bool has_program, has_error;
};

static void data_free(struct data_file *d)
{
	free(d->asm_text);
	free(d->raw);
	free(d->mem);
	free(d->result);
	free(d->error);
}

static void append(char **dst, const char *line)
{
	size_t a = *dst ? strlen(*dst) : 0, b = strlen(line);
	char *n = realloc(*dst, a + b + 2);
	if (!n)
		return;
	memcpy(n + a, line, b);
	n[a + b] = '\n';
	n[a + b + 1] = '\0';
	*dst = n;
}

static void parse_data(char *text, struct data_file *d)
{
	char **section = NULL;

	memset(d, 0, sizeof(*d));
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		if (!strncmp(line, "-- ", 3)) {
			const char *name = line + 3;
			section = !strcmp(name, "asm")	  ? &d->asm_text
				  : !strcmp(name, "raw")    ? &d->raw
				  : !strcmp(name, "mem")    ? &d->mem
				  : !strcmp(name, "result") ? &d->result
				  : !strcmp(name, "error")  ? &d->error
							    : NULL;
			if (section == &d->asm_text || section == &d->raw)
				d->has_program = true;
			if (section == &d->error)
				d->has_error = true;
			continue;
		}
		if (section)
			append(section, line);
	}
}

/* Run argv with input on stdin; output (stdout and stderr) into *out. */
static int run_child(char *const argv[], const char *input, char *out, size_t out_size, int *status)
{
	int in_pipe[2], out_pipe[2];
	pid_t pid;

	if (pipe(in_pipe) || pipe(out_pipe))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		dup2(in_pipe[0], 0);
		dup2(out_pipe[1], 1);
		dup2(out_pipe[1], 2);
		close(in_pipe[1]);
		close(out_pipe[0]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(in_pipe[0]);
	close(out_pipe[1]);
	size_t len = strlen(input), done = 0;
	while (done < len) {
		ssize_t n = write(in_pipe[1], input + done, len - done);
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	close(in_pipe[1]);
	size_t got = 0;
	for (;;) {
		ssize_t n = read(out_pipe[0], out + got, out_size - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
		if (got == out_size - 1)
			break;
	}
	out[got] = '\0';
	close(out_pipe[0]);
	waitpid(pid, status, 0);
	return 0;
}

static char *to_hex(const struct bpf_insn *insns, size_t cnt)
{
	char *s = malloc(cnt * 16 + 1);
	const uint8_t *b = (const uint8_t *)insns;

	if (!s)
		return NULL;
	for (size_t i = 0; i < cnt * 8; i++)
		sprintf(s + 2 * i, "%02x", b[i]);
	s[cnt * 16] = '\0';
	return s;
}

struct tally {
	unsigned passed, failed, skipped;
};

static void one_file(const char *path, const char *rel, bool negative, char **plugin, int nplugin,
		     bool checked, const char *engine, struct tally *t)
{
	struct data_file d;
	struct bpf_insn *insns = NULL;
	size_t cnt = 0;
	char *text, out[4096];
	size_t len;

	if (cli_read_file(path, &text, &len)) {
		printf("FAIL %s: cannot read\n", rel);
		t->failed++;
		return;
	}
	parse_data(text, &d);
	free(text);

	const char *rejected = NULL;
	char why[512] = "";
	if (!d.has_program || (!d.asm_text && !d.raw)) {
		rejected = "no program";
	} else if (d.asm_text) {
		if (exobpf_asm(d.asm_text, rel, &insns, &cnt)) {
			snprintf(why, sizeof(why), "assembler: %.400s", exobpf_errmsg());
			rejected = why;
		} else if (cnt == 0) {
			rejected = "no instructions";
		}
	} else {
		uint8_t *bytes;
		size_t n;
		if (cli_parse_hex(d.raw, &bytes, &n) || n % 8 || !n) {
			rejected = "raw section is not whole instructions";
			if (!cli_parse_hex(d.raw, &bytes, &n))
				free(bytes);
		} else {
			insns = (struct bpf_insn *)(void *)bytes;
			cnt = n / 8;
		}
	}

	int status = 0;
	if (!rejected) {
		char *hex = to_hex(insns, cnt), *memhex = d.mem ? d.mem : "";
		char *argv[16];
		int argc = 0;
		for (int i = 0; i < nplugin && argc < 12; i++)
			argv[argc++] = plugin[i];
		if (checked)
			argv[argc++] = "--checked";
		if (engine)
			argv[argc++] = (char *)engine;
		for (char *p = memhex; *p; p++)
			if (*p == '\n')
				*p = ' ';
		argv[argc++] = memhex;
		argv[argc] = NULL;
		if (!hex || run_child(argv, hex, out, sizeof(out), &status)) {
			printf("FAIL %s: cannot run the plugin\n", rel);
			t->failed++;
			free(hex);
			goto done;
		}
		free(hex);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			out[strcspn(out, "\n")] = '\0';
			snprintf(why, sizeof(why), "plugin: %.400s", out);
			rejected = why;
		}
	}

	uint64_t expected = d.result ? strtoull(d.result, NULL, 16) : 0;
	uint64_t got = rejected ? 0 : strtoull(out, NULL, 16);

	if (negative) {
		if (rejected || (d.result && got != expected)) {
			t->passed++;
		} else if (d.has_error && !checked) {
			printf("skip %s: the expected error needs checked mode or the verifier\n", rel);
			t->skipped++;
		} else {
			printf("FAIL %s: expected a rejection, the program ran and returned 0x%llx\n", rel,
			       (unsigned long long)got);
			t->failed++;
		}
	} else if (rejected) {
		printf("FAIL %s: %s\n", rel, rejected);
		t->failed++;
	} else if (!d.result) {
		printf("FAIL %s: no -- result section\n", rel);
		t->failed++;
	} else if (got != expected) {
		printf("FAIL %s: expected 0x%llx, got 0x%llx\n", rel, (unsigned long long)expected,
		       (unsigned long long)got);
		t->failed++;
	} else {
		t->passed++;
	}
done:
	free(insns);
	data_free(&d);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int run_dir(const char *dir, const char *sub, bool negative, char **plugin, int nplugin,
		   bool checked, const char *engine, struct tally *t)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	DIR *dp = opendir(path);
	if (!dp)
		return -errno;
	char **names = NULL;
	size_t n = 0;
	for (struct dirent *e; (e = readdir(dp));) {
		size_t l = strlen(e->d_name);
		if (l < 6 || strcmp(e->d_name + l - 5, ".data"))
			continue;
		char **nn = realloc(names, (n + 1) * sizeof(*names));
		if (!nn)
			break;
		names = nn;
		names[n++] = strdup(e->d_name);
	}
	closedir(dp);
	qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		char file[8192], rel[512];
		snprintf(file, sizeof(file), "%s/%s", path, names[i]);
		snprintf(rel, sizeof(rel), "%s/%s", sub, names[i]);
		one_file(file, rel, negative, plugin, nplugin, checked, engine, t);
		free(names[i]);
	}
	free(names);
	return 0;
}

#define CONFORMANCE_USAGE "usage: exobpf conformance [--checked] [--jit | --interp] [--plugin CMD] DIR"

int cmd_conformance(int argc, char **argv)
{
	const char *dir = NULL, *v, *engine = NULL;
	char self[4096], *plugin[12], *plugin_buf = NULL;
	int nplugin = 0;
	bool checked = false;
	struct tally pos = {0}, neg = {0};

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--checked"))
			checked = true;
		else if (!strcmp(argv[i], "--jit") || !strcmp(argv[i], "--interp"))
			engine = argv[i];
		else if ((v = cli_opt(argc, argv, &i, "--plugin"))) {
			free(plugin_buf);
			plugin_buf = strdup(v);
			nplugin = 0;
			for (char *tok = strtok(plugin_buf, " "); tok && nplugin < 10; tok = strtok(NULL, " "))
				plugin[nplugin++] = tok;
		} else if (argv[i][0] == '-')
			return cli_fail(EXIT_USAGE, CONFORMANCE_USAGE);
		else
			dir = argv[i];
	}
	if (!dir)
		return cli_fail(EXIT_USAGE, CONFORMANCE_USAGE);
	if (!nplugin) {
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (n <= 0)
			return cli_fail(EXIT_FAILED, "cannot find my own executable");
		self[n] = '\0';
		plugin[0] = self;
		plugin[1] = "conformance-plugin";
		nplugin = 2;
	}
	if (engine && !strcmp(engine, "--jit") && checked) {
		free(plugin_buf);
		return cli_fail(EXIT_USAGE, "--jit runs machine code: not with --checked");
	}
	int err = run_dir(dir, "tests", false, plugin, nplugin, checked, engine, &pos);
	if (err) {
		free(plugin_buf);
		return cli_fail(EXIT_INPUT, "%s/tests: %s", dir, strerror(-err));
	}
	run_dir(dir, "negative", true, plugin, nplugin, checked, engine, &neg);
	free(plugin_buf);
	printf("tests: %u passed, %u failed\n", pos.passed, pos.failed);
	printf("negative: %u rejected as expected, %u not rejected, %u skipped\n", neg.passed,
	       neg.failed, neg.skipped);
	printf("%u skipped\n", pos.skipped + neg.skipped);
	printf("%u passed, %u failed\n", pos.passed + neg.passed, pos.failed + neg.failed);
	return pos.failed + neg.failed ? EXIT_FAILED : EXIT_OK;
}
