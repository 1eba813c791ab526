/* exobpf run / disasm / asm */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmd_verify.h"

static int run_usage(void)
{
	fprintf(stderr,
		"usage: exobpf run PROGRAM [--mem HEX | --mem-file FILE] [--ctx HEX] [--repeat N]\n"
		"       exobpf run OBJ.o [--section S | --program NAME] [--ctx HEX] [--mem HEX]\n"
		"                  [--checked | --unchecked] [--budget N]\n"
		"                  [--type TYPE [--no-verify]] [--jit | --interp]\n"
		"  PROGRAM: raw bytecode (.bin) or assembly (.s, either syntax).\n"
		"  Runs with r1 = memory and r2 = its size; prints r0 in hex, and with\n"
		"  --repeat the mean time per run. Raw programs are not verified and run\n"
		"  in checked mode unless --unchecked is given. With --type (xdp,\n"
		"  socket_filter, sched_cls, ...) the program is verified first (the log\n"
		"  is printed if it is rejected) and runs on a context built from the\n"
		"  memory as BPF_PROG_TEST_RUN builds it (--ctx: its context input, a\n"
		"  syscall program's only input); --no-verify skips that.\n"
		"  --jit runs the machine code (unchecked); --interp never compiles the\n"
		"  program.\n");
	return EXIT_USAGE;
}

int cmd_run(int argc, char **argv)
{
	const char *path = NULL, *v;
	uint8_t *mem = NULL, *ctx = NULL;
	size_t memlen = 0, ctxlen = 0;
	uint32_t repeat = 1;
	uint64_t budget = 0;
	bool checked = true, checked_set = false, no_verify = false, jit = false, interp = false;
	int type = EXOBPF_PROG_TYPE_RAW;
	struct bpf_insn *insns;
	size_t cnt;
	int rc;

	for (int i = 1; i < argc; i++) {
		if ((v = cli_opt(argc, argv, &i, "--mem"))) {
			free(mem);
			if (cli_parse_hex(v, &mem, &memlen))
				return cli_fail(EXIT_INPUT, "--mem: not hex bytes: %s", v);
		} else if ((v = cli_opt(argc, argv, &i, "--mem-file"))) {
			char *buf;
			int err = cli_read_file(v, &buf, &memlen);
			if (err)
				return cli_fail(EXIT_INPUT, "%s: %s", v, strerror(-err));
			free(mem);
			mem = (uint8_t *)buf;
		} else if ((v = cli_opt(argc, argv, &i, "--repeat"))) {
			repeat = (uint32_t)strtoul(v, NULL, 0);
			if (!repeat)
				return cli_fail(EXIT_USAGE, "--repeat: expected a positive count");
		} else if ((v = cli_opt(argc, argv, &i, "--ctx"))) {
			free(ctx);
			if (cli_parse_hex(v, &ctx, &ctxlen))
				return cli_fail(EXIT_INPUT, "--ctx: not hex bytes: %s", v);
		} else if (cli_opt(argc, argv, &i, "--section") || cli_opt(argc, argv, &i, "--program") ||
			   cli_opt(argc, argv, &i, "--btf")) {
			/* object options, read by cli_run_object */
		} else if ((v = cli_opt(argc, argv, &i, "--budget"))) {
			budget = strtoull(v, NULL, 0);
		} else if (!strcmp(argv[i], "--checked")) {
			checked = checked_set = true;
		} else if (!strcmp(argv[i], "--unchecked")) {
			checked = false;
			checked_set = true;
		} else if ((v = cli_opt(argc, argv, &i, "--type"))) {
			if ((type = cli_prog_type(v)) < 0) {
				free(mem);
				return cli_fail(EXIT_USAGE, "--type: unknown program type '%s'", v);
			}
		} else if (!strcmp(argv[i], "--no-verify")) {
			no_verify = true;
		} else if (!strcmp(argv[i], "--jit")) {
			jit = true;
		} else if (!strcmp(argv[i], "--interp")) {
			interp = true;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			free(mem);
			return run_usage();
		} else {
			path = argv[i];
		}
	}
	if (!path) {
		free(mem);
		return run_usage();
	}
	if (jit && (interp || (checked_set && checked) || budget)) {
		free(mem);
		free(ctx);
		return cli_fail(EXIT_USAGE,
				"--jit runs machine code: not with --interp, --checked or --budget");
	}
	if (cli_is_object(path)) {
		/* objects are verified at load: they run unchecked unless asked */
		enum cli_engine e = jit			     ? CLI_ENGINE_JIT
				    : checked_set && checked ? CLI_ENGINE_CHECKED
				    : interp		     ? CLI_ENGINE_INTERP
							     : CLI_ENGINE_DEFAULT;
		rc = cli_run_object(argc, argv, path, mem, memlen, ctx, ctxlen, repeat, e);
		free(mem);
		free(ctx);
		return rc;
	}
	if ((rc = cli_load_program(path, &insns, &cnt))) {
		free(mem);
		free(ctx);
		return rc;
	}
	if (type != EXOBPF_PROG_TYPE_RAW && no_verify)
		fprintf(stderr, "exobpf: warning: %s runs unverified (checked mode)\n", path);
	/* Verified programs are safe to run fast; unverified ones run checked. */
	if (!checked_set)
		checked = (type == EXOBPF_PROG_TYPE_RAW || no_verify) && !jit;
	char *log = type != EXOBPF_PROG_TYPE_RAW && !no_verify ? calloc(1, 1u << 20) : NULL;
	/* as libbpf loads SEC("syscall"): Linux takes only sleepable ones */
	EXOBPF_OPTS(
	    exobpf_prog_opts, popts, .name = "run", .type = (enum bpf_prog_type)type,
	    .flags = (no_verify ? EXOBPF_PROG_NO_VERIFY : 0) | (interp ? EXOBPF_PROG_INTERP : 0),
	    .prog_flags = type == BPF_PROG_TYPE_SYSCALL ? BPF_F_SLEEPABLE : 0, .license = "GPL",
	    .log_buf = log, .log_size = log ? 1u << 20 : 0, .log_level = log ? 1 : 0);
	struct exobpf_prog *prog = exobpf_prog__new(insns, cnt, &popts);
	free(insns);
	if (!prog) {
		if (log && *log)
			fputs(log, stderr);
		free(log);
		free(mem);
		free(ctx);
		return cli_fail(EXIT_INPUT, "%s: %s", path, exobpf_errmsg());
	}
	free(log);
	if (jit && !exobpf_prog__is_jited(prog)) {
		exobpf_prog__free(prog);
		free(mem);
		free(ctx);
		return cli_fail(EXIT_FAILED, "%s: no machine code: %s", path, exobpf_errmsg());
	}
	/* --ctx: the context (a syscall program's r1, or an XDP/skb context) */
	EXOBPF_OPTS(exobpf_run_opts, ropts, .data_in = mem, .data_size_in = (uint32_t)memlen,
		    .ctx_in = ctx, .ctx_size_in = (uint32_t)ctxlen, .repeat = repeat,
		    .insn_budget = budget, .flags = checked ? EXOBPF_RUN_CHECKED : 0);
	int err = exobpf_prog__run(prog, &ropts);
	if (err) {
		rc = cli_fail(EXIT_FAILED, "%s: %s", path, exobpf_errmsg());
	} else {
		printf("0x%llx\n", (unsigned long long)ropts.retval);
		if (repeat > 1)
			printf("%u ns/run (%u runs)\n", ropts.duration, repeat);
		rc = EXIT_OK;
	}
	exobpf_prog__free(prog);
	free(mem);
	free(ctx);
	return rc;
}

#define DISASM_USAGE "usage: exobpf disasm FILE [--syntax linux|ubpf] [--jited [-j] [--blind]]"

/* The machine code the JIT makes of a program, interleaved with its source. */
static int disasm_jited(const char *path, struct bpf_insn *insns, size_t cnt, bool json, bool blind)
{
	EXOBPF_OPTS(exobpf_prog_opts, popts, .name = "disasm",
		    .flags = blind ? EXOBPF_PROG_JIT_BLIND : 0);
	struct exobpf_prog *prog = exobpf_prog__new(insns, cnt, &popts);
	int rc = EXIT_OK;

	if (!prog)
		return cli_fail(EXIT_INPUT, "%s: %s", path, exobpf_errmsg());
	if (!exobpf_prog__is_jited(prog))
		rc = cli_fail(EXIT_FAILED, "%s: no machine code: %s", path, exobpf_errmsg());
	else if (exobpf_prog__dump_jited(prog, stdout, json ? EXOBPF_DUMP_JSON : 0))
		rc = cli_fail(EXIT_FAILED, "%s: %s", path, exobpf_errmsg());
	exobpf_prog__free(prog);
	return rc;
}

int cmd_disasm(int argc, char **argv)
{
	enum exobpf_syntax syntax = EXOBPF_SYNTAX_LINUX;
	const char *path = NULL, *v;
	bool jited = false, json = false, blind = false;
	struct bpf_insn *insns;
	size_t cnt;
	int rc = EXIT_OK;

	for (int i = 1; i < argc; i++) {
		if ((v = cli_opt(argc, argv, &i, "--syntax"))) {
			if (!strcmp(v, "ubpf"))
				syntax = EXOBPF_SYNTAX_UBPF;
			else if (strcmp(v, "linux"))
				return cli_fail(EXIT_USAGE, "--syntax: linux or ubpf");
		} else if (!strcmp(argv[i], "--jited")) {
			jited = true;
		} else if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "--blind")) {
			blind = true;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			return cli_fail(EXIT_USAGE, DISASM_USAGE);
		} else {
			path = argv[i];
		}
	}
	if (!path || ((json || blind) && !jited))
		return cli_fail(EXIT_USAGE, DISASM_USAGE);
	if ((rc = cli_load_program(path, &insns, &cnt)))
		return rc;
	if (jited) {
		rc = disasm_jited(path, insns, cnt, json, blind);
		free(insns);
		return rc;
	}
	for (size_t i = 0; i < cnt;) {
		char text[160];
		int n = exobpf_insn_disasm(insns, cnt, i, syntax, text, sizeof(text));
		if (n < 0) {
			rc = cli_fail(EXIT_INPUT, "%s: %s", path, exobpf_errmsg());
			break;
		}
		if (syntax == EXOBPF_SYNTAX_LINUX)
			printf("%4zu: (%02x) %s\n", i, insns[i].code, text);
		else
			printf("%s\n", text);
		i += (size_t)n;
	}
	free(insns);
	return rc;
}

int cmd_asm(int argc, char **argv)
{
	const char *path = NULL, *out = NULL, *v;
	bool hex = false;
	struct bpf_insn *insns;
	size_t cnt;
	int rc;

	for (int i = 1; i < argc; i++) {
		if ((v = cli_opt(argc, argv, &i, "-o")))
			out = v;
		else if (!strcmp(argv[i], "-x"))
			hex = true;
		else if (argv[i][0] == '-' && argv[i][1])
			return cli_fail(EXIT_USAGE, "usage: exobpf asm FILE (-o OUT | -x)");
		else
			path = argv[i];
	}
	if (!path || (!out && !hex))
		return cli_fail(EXIT_USAGE, "usage: exobpf asm FILE (-o OUT | -x)");
	if ((rc = cli_load_program(path, &insns, &cnt)))
		return rc;
	if (hex) {
		const uint8_t *b = (const uint8_t *)insns;
		for (size_t i = 0; i < cnt * 8; i++)
			printf("%02x%s", b[i], i % 8 == 7 ? "\n" : "");
	} else {
		FILE *f = fopen(out, "wb");
		bool ok = f && fwrite(insns, sizeof(*insns), cnt, f) == cnt;
		if (f && fclose(f))
			ok = false;
		if (!ok) {
			rc = cli_fail(EXIT_INPUT, "%s: %s", out, strerror(errno));
			free(insns);
			return rc;
		}
	}
	free(insns);
	return EXIT_OK;
}
