/* exobpf filter / cbpf / seccomp: classic BPF from the command line. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Options shared by the commands that compile expressions. */
struct compile_args {
	int linktype;	     /* -y; -1 when not given */
	long snaplen;	     /* -s; -1 when not given */
	bool no_optimize;    /* -O */
	uint32_t netmask;    /* --netmask */
	const char *program; /* --program FILE instead of an expression */
	char *expr;	     /* the remaining words, joined */
};

static int parse_netmask(const char *s, uint32_t *mask)
{
	unsigned a, b, c, d;
	char extra;

	if (sscanf(s, "%u.%u.%u.%u%c", &a, &b, &c, &d, &extra) == 4 && a < 256 && b < 256 &&
	    c < 256 && d < 256) {
		*mask = a << 24 | b << 16 | c << 8 | d;
		return 0;
	}
	char *end;
	unsigned long v = strtoul(s, &end, 0);
	if (*end || v > 0xffffffffu)
		return -1;
	*mask = (uint32_t)v;
	return 0;
}

/* Consume a compile option at argv[*i]: 1 if it was one, 0 if not, or an
 * exit code (negated) for a bad value. */
static int compile_opt(int argc, char **argv, int *i, struct compile_args *ca)
{
	const char *v;

	if ((v = cli_opt(argc, argv, i, "-y"))) {
		if ((ca->linktype = exobpf_linktype(v)) < 0)
			return -cli_fail(EXIT_USAGE,
					 "-y %s: not a link type (EN10MB, LINUX_SLL, RAW, ...)", v);
		return 1;
	}
	if ((v = cli_opt(argc, argv, i, "-s"))) {
		char *end;
		ca->snaplen = strtol(v, &end, 0);
		if (*end || ca->snaplen <= 0 || ca->snaplen > 0x7fffffff)
			return -cli_fail(EXIT_USAGE, "-s %s: expected a positive snap length", v);
		return 1;
	}
	if ((v = cli_opt(argc, argv, i, "--netmask"))) {
		if (parse_netmask(v, &ca->netmask))
			return -cli_fail(EXIT_USAGE, "--netmask %s: expected a.b.c.d or a number",
					 v);
		return 1;
	}
	if ((v = cli_opt(argc, argv, i, "--program"))) {
		ca->program = v;
		return 1;
	}
	if (!strcmp(argv[*i], "-O")) {
		ca->no_optimize = true;
		return 1;
	}
	return 0;
}

/* Join the words of an expression as tcpdump does. */
static int add_word(struct compile_args *ca, const char *w)
{
	size_t old = ca->expr ? strlen(ca->expr) : 0;
	char *n = realloc(ca->expr, old + strlen(w) + 2);

	if (!n)
		return -cli_fail(EXIT_FAILED, "out of memory");
	if (old)
		n[old++] = ' ';
	strcpy(n + old, w);
	ca->expr = n;
	return 0;
}

static bool looks_binary(const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (buf[i] == '\0' ||
		    ((unsigned char)buf[i] < 0x20 && !isspace((unsigned char)buf[i])))
			return true;
	return false;
}

/* A classic program from a file: raw struct sock_filter bytes, or any text
 * format exobpf_cbpf_parse reads. */
static int load_classic(const char *path, struct sock_filter **insns, size_t *cnt)
{
	char *buf;
	size_t len;
	int err = cli_read_file(path, &buf, &len);

	if (err)
		return cli_fail(EXIT_INPUT, "%s: %s", path, strerror(-err));
	if (looks_binary(buf, len)) {
		if (len % sizeof(struct sock_filter) || !len) {
			free(buf);
			return cli_fail(
			    EXIT_INPUT,
			    "%s: %zu bytes is not a whole number of 8-byte classic instructions",
			    path, len);
		}
		*cnt = len / sizeof(struct sock_filter);
		*insns = (struct sock_filter *)(void *)buf;
		return 0;
	}
	err = exobpf_cbpf_parse(buf, path, EXOBPF_CBPF_FMT_AUTO, insns, cnt);
	free(buf);
	if (err)
		return cli_fail(EXIT_INPUT, "%s", exobpf_errmsg());
	return 0;
}

/* The program: --program FILE, or the expression compiled for the capture
 * as tcpdump -r would (for -y/-s, or without a capture, for that link type
 * and snap length). */
static int get_program(const struct compile_args *ca, struct exobpf_capture *cap,
		       struct sock_filter **insns, size_t *cnt)
{
	const char *expr = ca->expr ? ca->expr : "";
	int err;

	if (ca->program) {
		if (ca->expr)
			return cli_fail(EXIT_USAGE, "give an expression or --program, not both");
		return load_classic(ca->program, insns, cnt);
	}
	if (cap && ca->linktype < 0 && ca->snaplen < 0) {
		EXOBPF_OPTS(exobpf_cbpf_compile_opts, co, .no_optimize = ca->no_optimize,
			    .netmask = ca->netmask);
		err = exobpf_capture__compile(cap, expr, &co, insns, cnt);
	} else {
		int linktype = ca->linktype >= 0 ? ca->linktype
			       : cap		 ? exobpf_capture__linktype(cap)
						 : 0;
		uint32_t snaplen = ca->snaplen > 0 ? (uint32_t)ca->snaplen
				   : cap	   ? exobpf_capture__snaplen(cap)
						   : 0;
		EXOBPF_OPTS(exobpf_cbpf_compile_opts, co, .linktype = linktype, .snaplen = snaplen,
			    .no_optimize = ca->no_optimize, .netmask = ca->netmask);
		err = exobpf_cbpf_compile(expr, &co, insns, cnt);
	}
	if (err)
		return cli_fail(EXIT_INPUT, "%s", exobpf_errmsg());
	return 0;
}

/* The ARPHRD_* Linux gives a device of this link type, for SKF_AD_HATYPE. */
static uint16_t hatype_of(int linktype)
{
	switch (linktype) {
	case 0:		       /* DLT_NULL */
	case 108:	       /* DLT_LOOP */
		return 772;    /* ARPHRD_LOOPBACK */
	case 12:	       /* DLT_RAW */
	case 101:	       /* DLT_RAW (LINKTYPE_RAW) */
		return 0xfffe; /* ARPHRD_NONE */
	case 105:	       /* DLT_IEEE802_11 */
		return 801;
	case 127: /* DLT_IEEE802_11_RADIO */
		return 803;
	case 9: /* DLT_PPP */
		return 512;
	default:
		return 1; /* ARPHRD_ETHER */
	}
}

static int filter_usage(void)
{
	fprintf(
	    stderr,
	    "usage: exobpf filter -r FILE [-w OUT] [-c] [--verdicts] [-y LINKTYPE] [-s SNAPLEN]\n"
	    "                     [-O] [--netmask MASK] [--checked] (EXPRESSION | --program FILE)\n"
	    "  Runs a tcpdump filter expression (compiled by libpcap for the capture's link\n"
	    "  type) or a classic program over every packet of a capture. Prints the\n"
	    "  matching packets (number, time, length), or with -c their count, with\n"
	    "  --verdicts the filter's value for every packet, one per line; -w writes\n"
	    "  the matching packets to a pcap file.\n");
	return EXIT_USAGE;
}

int cmd_filter(int argc, char **argv)
{
	struct compile_args ca = {.linktype = -1, .snaplen = -1};
	const char *in = NULL, *out = NULL, *v;
	bool count = false, verdicts = false, checked = false;
	struct exobpf_capture *cap = NULL, *wr = NULL;
	struct exobpf_cbpf_prog *prog = NULL;
	struct sock_filter *insns = NULL;
	size_t cnt;
	unsigned long n = 0, matched = 0;
	int rc, r;

	for (int i = 1; i < argc; i++) {
		if ((r = compile_opt(argc, argv, &i, &ca)) < 0) {
			free(ca.expr);
			return -r;
		} else if (r) {
			continue;
		} else if ((v = cli_opt(argc, argv, &i, "-r"))) {
			in = v;
		} else if ((v = cli_opt(argc, argv, &i, "-w"))) {
			out = v;
		} else if (!strcmp(argv[i], "-c")) {
			count = true;
		} else if (!strcmp(argv[i], "--verdicts")) {
			verdicts = true;
		} else if (!strcmp(argv[i], "--checked")) {
			checked = true;
		} else if (!strcmp(argv[i], "--")) {
			for (i++; i < argc; i++)
				if (add_word(&ca, argv[i]))
					return EXIT_FAILED;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			free(ca.expr);
			return filter_usage();
		} else if ((r = add_word(&ca, argv[i]))) {
			return -r;
		}
	}
	if (!in) {
		free(ca.expr);
		fprintf(stderr,
			"exobpf filter: -r FILE is needed (live capture is the hooks' job)\n");
		return filter_usage();
	}
	if (!(cap = exobpf_capture__open(in))) {
		free(ca.expr);
		return cli_fail(EXIT_INPUT, "%s", exobpf_errmsg());
	}
	int linktype = exobpf_capture__linktype(cap);
	if ((rc = get_program(&ca, cap, &insns, &cnt)))
		goto out;
	/* libpcap's userland rules: its protochain loops jump backwards */
	EXOBPF_OPTS(exobpf_cbpf_opts, po, .kind = EXOBPF_CBPF_PCAP,
		    .name = ca.program ? ca.program : "filter", .hatype = hatype_of(linktype));
	if (!(prog = exobpf_cbpf_prog__new(insns, cnt, &po))) {
		rc = cli_fail(EXIT_INPUT, "%s", exobpf_errmsg());
		goto out;
	}
	if (out && !(wr = exobpf_capture__create(out, linktype, exobpf_capture__snaplen(cap)))) {
		rc = cli_fail(EXIT_FAILED, "%s", exobpf_errmsg());
		goto out;
	}
	struct exobpf_packet pkt;
	while ((r = exobpf_capture__next(cap, &pkt)) > 0) {
		uint32_t ret;
		n++;
		/* the slower path reports faults: checked runs, and loops that
		 * may run out of their budget */
		if (checked || exobpf_cbpf_prog__loops(prog)) {
			EXOBPF_OPTS(exobpf_cbpf_run_opts, ro, .pkt = pkt.data, .caplen = pkt.caplen,
				    .wirelen = pkt.wirelen,
				    .flags = checked ? EXOBPF_RUN_CHECKED : 0);
			if (exobpf_cbpf_prog__run(prog, &ro)) {
				rc = cli_fail(EXIT_FAILED, "%s: packet %lu: %s", in, n,
					      exobpf_errmsg());
				goto out;
			}
			ret = ro.retval;
		} else {
			ret = exobpf_cbpf_prog__filter(prog, pkt.data, pkt.caplen, pkt.wirelen);
		}
		if (verdicts)
			printf("%u\n", ret);
		if (!ret)
			continue;
		matched++;
		if (wr && exobpf_capture__write(wr, &pkt)) {
			rc = cli_fail(EXIT_FAILED, "%s", exobpf_errmsg());
			goto out;
		}
		if (!verdicts && !count && !out)
			printf("%lu %" PRId64 ".%06u %u\n", n, pkt.sec, pkt.usec, pkt.wirelen);
	}
	if (r < 0) {
		rc = cli_fail(EXIT_INPUT, "%s", exobpf_errmsg());
		goto out;
	}
	if (count)
		printf("%lu\n", matched);
	rc = EXIT_OK;
out:
	if (wr && exobpf_capture__close(wr) && rc == EXIT_OK)
		rc = cli_fail(EXIT_FAILED, "%s", exobpf_errmsg());
	exobpf_capture__close(cap);
	exobpf_cbpf_prog__free(prog);
	free(insns);
	free(ca.expr);
	return rc;
}

static int print_format(const struct sock_filter *insns, size_t cnt, enum exobpf_cbpf_format fmt)
{
	char *text;

	if (exobpf_cbpf_format(insns, cnt, fmt, &text))
		return cli_fail(EXIT_INPUT, "%s", exobpf_errmsg());
	fputs(text, stdout);
	free(text);
	return EXIT_OK;
}

static int format_opt(const char *a, enum exobpf_cbpf_format *fmt)
{
	static const struct {
		const char *opt;
		enum exobpf_cbpf_format fmt;
	} opts[] = {{"-d", EXOBPF_CBPF_FMT_LISTING},
		    {"-dd", EXOBPF_CBPF_FMT_C},
		    {"-ddd", EXOBPF_CBPF_FMT_DECIMAL},
		    {"--asm", EXOBPF_CBPF_FMT_ASM},
		    {"--bytecode", EXOBPF_CBPF_FMT_BYTECODE}};

	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		if (!strcmp(a, opts[i].opt)) {
			*fmt = opts[i].fmt;
			return 1;
		}
	return 0;
}

static int cbpf_usage(void)
{
	fprintf(
	    stderr,
	    "usage: exobpf cbpf (-d | -dd | -ddd | --asm | --bytecode) [-r FILE] [-y LINKTYPE]\n"
	    "                   [-s SNAPLEN] [-O] [--netmask MASK] (EXPRESSION | --program FILE)\n"
	    "       exobpf cbpf check [--seccomp] FILE\n"
	    "       exobpf cbpf convert [--seccomp] [--hatype N] FILE\n"
	    "  -d/-dd/-ddd print like tcpdump (listing, C array, decimal); --asm in the\n"
	    "  kernel's bpf_asm syntax; --bytecode as one line for xt_bpf and tc. -r takes\n"
	    "  the link type and snap length from a capture, as tcpdump -r does. FILE is\n"
	    "  raw struct sock_filter bytes or any of those text formats. check applies\n"
	    "  Linux's rules; convert shows the eBPF exobpf runs, in Linux's syntax.\n");
	return EXIT_USAGE;
}

static int cbpf_check_cmd(int argc, char **argv, bool convert)
{
	enum exobpf_cbpf_kind kind = EXOBPF_CBPF_SOCKET;
	const char *path = NULL, *v;
	long hatype = 0;
	struct sock_filter *insns;
	size_t cnt;
	int rc;

	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--seccomp")) {
			kind = EXOBPF_CBPF_SECCOMP;
		} else if (convert && (v = cli_opt(argc, argv, &i, "--hatype"))) {
			char *end;
			hatype = strtol(v, &end, 0);
			if (*end || hatype <= 0 || hatype > 0xffff)
				return cli_fail(EXIT_USAGE,
						"--hatype %s: expected an ARPHRD_ number", v);
		} else if (argv[i][0] == '-' && argv[i][1]) {
			return cbpf_usage();
		} else {
			path = argv[i];
		}
	}
	if (!path)
		return cbpf_usage();
	if ((rc = load_classic(path, &insns, &cnt)))
		return rc;
	if (!convert) {
		if (exobpf_cbpf_check(insns, cnt, kind))
			rc = cli_fail(EXIT_FAILED, "%s: %s", path, exobpf_errmsg());
		else
			printf("%s: ok (%zu instructions)\n", path, cnt);
		free(insns);
		return rc;
	}
	struct bpf_insn *ebpf;
	size_t ecnt;
	EXOBPF_OPTS(exobpf_cbpf_opts, po, .kind = kind, .name = path, .hatype = (uint16_t)hatype);
	if (exobpf_cbpf_convert(insns, cnt, &po, &ebpf, &ecnt)) {
		free(insns);
		return cli_fail(EXIT_FAILED, "%s", exobpf_errmsg());
	}
	for (size_t i = 0; i < ecnt;) {
		char text[160];
		int n = exobpf_insn_disasm(ebpf, ecnt, i, EXOBPF_SYNTAX_LINUX, text, sizeof(text));
		if (n < 0) {
			rc = cli_fail(EXIT_FAILED, "%s: %s", path, exobpf_errmsg());
			break;
		}
		printf("%4zu: (%02x) %s\n", i, ebpf[i].code, text);
		i += (size_t)n;
	}
	free(ebpf);
	free(insns);
	return rc;
}

int cmd_cbpf(int argc, char **argv)
{
	struct compile_args ca = {.linktype = -1, .snaplen = -1};
	enum exobpf_cbpf_format fmt = 0;
	const char *capfile = NULL, *v;
	struct exobpf_capture *cap = NULL;
	struct sock_filter *insns;
	size_t cnt;
	int r;

	if (argc >= 2 && !strcmp(argv[1], "check"))
		return cbpf_check_cmd(argc, argv, false);
	if (argc >= 2 && !strcmp(argv[1], "convert"))
		return cbpf_check_cmd(argc, argv, true);
	for (int i = 1; i < argc; i++) {
		if ((r = compile_opt(argc, argv, &i, &ca)) < 0) {
			free(ca.expr);
			return -r;
		} else if (r || format_opt(argv[i], &fmt)) {
			continue;
		} else if ((v = cli_opt(argc, argv, &i, "-r"))) {
			capfile = v;
		} else if (!strcmp(argv[i], "--")) {
			for (i++; i < argc; i++)
				if (add_word(&ca, argv[i]))
					return EXIT_FAILED;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			free(ca.expr);
			return cbpf_usage();
		} else if ((r = add_word(&ca, argv[i]))) {
			return -r;
		}
	}
	if (!fmt) {
		free(ca.expr);
		return cbpf_usage();
	}
	if (capfile && !(cap = exobpf_capture__open(capfile))) {
		free(ca.expr);
		return cli_fail(EXIT_INPUT, "%s", exobpf_errmsg());
	}
	r = get_program(&ca, cap, &insns, &cnt);
	exobpf_capture__close(cap);
	free(ca.expr);
	if (r)
		return r;
	r = print_format(insns, cnt, fmt);
	free(insns);
	return r;
}

static int seccomp_usage(void)
{
	fprintf(stderr,
		"usage: exobpf seccomp check FILE\n"
		"       exobpf seccomp explain FILE\n"
		"       exobpf seccomp run FILE --nr (N|NAME) [--arch (x86_64|i386|aarch64|N)]\n"
		"                          [--args A0,A1,...] [--ip ADDR] [--trace]\n"
		"       exobpf seccomp trace-filter [-d|-dd|-ddd|--asm|--bytecode|-o OUT]\n"
		"                          [--data N] SYSCALL...\n"
		"  FILE is a classic program (raw bytes or any text format). check applies\n"
		"  Linux's rules for seccomp filters; explain annotates each instruction;\n"
		"  run prints the verdict for one system call (--trace: every instruction\n"
		"  executed, with A and X); trace-filter builds the filter that traces the\n"
		"  named x86-64 system calls and allows the rest.\n");
	return EXIT_USAGE;
}

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return *end || errno || s[0] == '-' ? -1 : 0;
}

static int parse_nr(const char *s, int *nr)
{
	uint64_t v;

	if (!parse_u64(s, &v) && v <= 0xffffffffu) {
		*nr = (int)(uint32_t)v;
		return 0;
	}
	if ((*nr = exobpf_seccomp_syscall_nr(s)) >= 0)
		return 0;
	return -1;
}

static int seccomp_run(int argc, char **argv)
{
	struct seccomp_data sd = {.arch = EXOBPF_AUDIT_ARCH_X86_64};
	const char *path = NULL, *v;
	bool have_nr = false, trace = false;
	struct sock_filter *insns;
	size_t cnt;
	int rc;

	for (int i = 2; i < argc; i++) {
		if ((v = cli_opt(argc, argv, &i, "--nr"))) {
			if (parse_nr(v, &sd.nr))
				return cli_fail(EXIT_USAGE,
						"--nr %s: not a number or x86-64 system call", v);
			have_nr = true;
		} else if ((v = cli_opt(argc, argv, &i, "--arch"))) {
			uint64_t a;
			if (!strcmp(v, "x86_64"))
				sd.arch = EXOBPF_AUDIT_ARCH_X86_64;
			else if (!strcmp(v, "i386"))
				sd.arch = 0x40000003; /* AUDIT_ARCH_I386 */
			else if (!strcmp(v, "aarch64"))
				sd.arch = 0xc00000b7; /* AUDIT_ARCH_AARCH64 */
			else if (!parse_u64(v, &a) && a <= 0xffffffffu)
				sd.arch = (uint32_t)a;
			else
				return cli_fail(EXIT_USAGE,
						"--arch %s: x86_64, i386, aarch64 or a number", v);
		} else if ((v = cli_opt(argc, argv, &i, "--args"))) {
			char *copy = strdup(v), *save = NULL, *tok;
			int n = 0;
			if (!copy)
				return cli_fail(EXIT_FAILED, "out of memory");
			for (tok = strtok_r(copy, ",", &save); tok;
			     tok = strtok_r(NULL, ",", &save)) {
				if (n == 6 || parse_u64(tok, (uint64_t *)&sd.args[n])) {
					free(copy);
					return cli_fail(
					    EXIT_USAGE,
					    "--args %s: up to 6 numbers, comma-separated", v);
				}
				n++;
			}
			free(copy);
		} else if ((v = cli_opt(argc, argv, &i, "--ip"))) {
			if (parse_u64(v, (uint64_t *)&sd.instruction_pointer))
				return cli_fail(EXIT_USAGE, "--ip %s: expected a number", v);
		} else if (!strcmp(argv[i], "--trace")) {
			trace = true;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			return seccomp_usage();
		} else {
			path = argv[i];
		}
	}
	if (!path || !have_nr)
		return seccomp_usage();
	if ((rc = load_classic(path, &insns, &cnt)))
		return rc;
	EXOBPF_OPTS(exobpf_cbpf_opts, po, .kind = EXOBPF_CBPF_SECCOMP, .name = path);
	EXOBPF_OPTS(exobpf_cbpf_run_opts, ro, .seccomp = &sd);
	char *text = NULL, act[80];
	if (trace) {
		if (exobpf_cbpf_interp(insns, cnt, &po, &ro, &text)) {
			free(insns);
			return cli_fail(EXIT_INPUT, "%s", exobpf_errmsg());
		}
		fputs(text, stdout);
		free(text);
	}
	/* the verdict always comes from the converted program, as it would run */
	struct exobpf_cbpf_prog *prog = exobpf_cbpf_prog__new(insns, cnt, &po);
	free(insns);
	if (!prog)
		return cli_fail(EXIT_INPUT, "%s", exobpf_errmsg());
	if (exobpf_cbpf_prog__run(prog, &ro)) {
		rc = cli_fail(EXIT_FAILED, "%s", exobpf_errmsg());
	} else {
		printf("%s\n", exobpf_seccomp_action_str(ro.retval, act, sizeof(act)));
		rc = EXIT_OK;
	}
	exobpf_cbpf_prog__free(prog);
	return rc;
}

static int seccomp_trace_filter(int argc, char **argv)
{
	enum exobpf_cbpf_format fmt = EXOBPF_CBPF_FMT_LISTING;
	const char *out = NULL, *v;
	int *nrs = calloc((size_t)argc, sizeof(*nrs)), n = 0, rc;
	uint64_t data = 0;
	struct sock_filter *insns;
	size_t cnt;

	if (!nrs)
		return cli_fail(EXIT_FAILED, "out of memory");
	for (int i = 2; i < argc; i++) {
		if (format_opt(argv[i], &fmt)) {
			continue;
		} else if ((v = cli_opt(argc, argv, &i, "-o"))) {
			out = v;
		} else if ((v = cli_opt(argc, argv, &i, "--data"))) {
			if (parse_u64(v, &data) || data > 0xffff) {
				free(nrs);
				return cli_fail(EXIT_USAGE, "--data %s: expected 0..65535", v);
			}
		} else if (argv[i][0] == '-' && argv[i][1]) {
			free(nrs);
			return seccomp_usage();
		} else if (parse_nr(argv[i], &nrs[n++])) {
			free(nrs);
			return cli_fail(EXIT_USAGE, "%s: not a number or x86-64 system call",
					argv[i]);
		}
	}
	EXOBPF_OPTS(exobpf_seccomp_trace_opts, to, .data = (uint16_t)data);
	rc = exobpf_seccomp_trace_filter(nrs, (size_t)n, &to, &insns, &cnt);
	free(nrs);
	if (rc)
		return cli_fail(EXIT_USAGE, "%s", exobpf_errmsg());
	if (out) {
		FILE *f = fopen(out, "wb");
		bool ok = f && fwrite(insns, sizeof(*insns), cnt, f) == cnt;
		if (f && fclose(f))
			ok = false;
		rc = ok ? EXIT_OK : cli_fail(EXIT_FAILED, "%s: %s", out, strerror(errno));
	} else {
		rc = print_format(insns, cnt, fmt);
	}
	free(insns);
	return rc;
}

int cmd_seccomp(int argc, char **argv)
{
	struct sock_filter *insns;
	size_t cnt;
	char *text;
	int rc;

	if (argc < 2)
		return seccomp_usage();
	if (!strcmp(argv[1], "run"))
		return seccomp_run(argc, argv);
	if (!strcmp(argv[1], "trace-filter"))
		return seccomp_trace_filter(argc, argv);
	if ((strcmp(argv[1], "check") && strcmp(argv[1], "explain")) || argc != 3)
		return seccomp_usage();
	if ((rc = load_classic(argv[2], &insns, &cnt)))
		return rc;
	if (!strcmp(argv[1], "check")) {
		if (exobpf_cbpf_check(insns, cnt, EXOBPF_CBPF_SECCOMP))
			rc = cli_fail(EXIT_FAILED, "%s: %s", argv[2], exobpf_errmsg());
		else
			printf("%s: ok (%zu instructions)\n", argv[2], cnt);
	} else if (exobpf_seccomp_explain(insns, cnt, &text)) {
		rc = cli_fail(EXIT_FAILED, "%s: %s", argv[2], exobpf_errmsg());
	} else {
		fputs(text, stdout);
		free(text);
	}
	free(insns);
	return rc;
}
