/* exobpf verify / verify-corpus: run the verifier on one program and print
 * its log, or on every case of a file in Linux's test_verifier corpus format
 * and compare verdicts, messages and return values with Linux's. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cmd_verify.h"

#define LOG_SIZE (16u << 20)

static const struct {
	const char *name;
	int value;
} attach_types[] = {
#define N(x)          \
	{             \
#x, x \
	}
    N(BPF_CGROUP_INET_INGRESS),
    N(BPF_CGROUP_INET_EGRESS),
    N(BPF_CGROUP_INET_SOCK_CREATE),
    N(BPF_CGROUP_SOCK_OPS),
    N(BPF_SK_SKB_STREAM_PARSER),
    N(BPF_SK_SKB_STREAM_VERDICT),
    N(BPF_CGROUP_DEVICE),
    N(BPF_SK_MSG_VERDICT),
    N(BPF_CGROUP_INET4_BIND),
    N(BPF_CGROUP_INET6_BIND),
    N(BPF_CGROUP_INET4_CONNECT),
    N(BPF_CGROUP_INET6_CONNECT),
    N(BPF_CGROUP_INET4_POST_BIND),
    N(BPF_CGROUP_INET6_POST_BIND),
    N(BPF_CGROUP_UDP4_SENDMSG),
    N(BPF_CGROUP_UDP6_SENDMSG),
    N(BPF_LIRC_MODE2),
    N(BPF_FLOW_DISSECTOR),
    N(BPF_CGROUP_SYSCTL),
    N(BPF_CGROUP_UDP4_RECVMSG),
    N(BPF_CGROUP_UDP6_RECVMSG),
    N(BPF_CGROUP_GETSOCKOPT),
    N(BPF_CGROUP_SETSOCKOPT),
    N(BPF_TRACE_RAW_TP),
    N(BPF_TRACE_FENTRY),
    N(BPF_TRACE_FEXIT),
    N(BPF_MODIFY_RETURN),
    N(BPF_LSM_MAC),
    N(BPF_TRACE_ITER),
    N(BPF_CGROUP_INET4_GETPEERNAME),
    N(BPF_CGROUP_INET6_GETPEERNAME),
    N(BPF_CGROUP_INET4_GETSOCKNAME),
    N(BPF_CGROUP_INET6_GETSOCKNAME),
    N(BPF_XDP_DEVMAP),
    N(BPF_CGROUP_INET_SOCK_RELEASE),
    N(BPF_XDP_CPUMAP),
    N(BPF_SK_LOOKUP),
    N(BPF_XDP),
    N(BPF_SK_SKB_VERDICT),
    N(BPF_SK_REUSEPORT_SELECT),
    N(BPF_SK_REUSEPORT_SELECT_OR_MIGRATE),
    N(BPF_PERF_EVENT),
#undef N
};

static int attach_type_by_name(const char *name)
{
	for (size_t i = 0; i < sizeof(attach_types) / sizeof(attach_types[0]); i++)
		if (!strcmp(attach_types[i].name, name))
			return attach_types[i].value;
	return -1;
}

int cli_prog_type(const char *name)
{
	static const struct {
		const char *name;
		int value;
	} types[] = {
#define N(x) {#x, x}
	    N(BPF_PROG_TYPE_UNSPEC),
	    N(BPF_PROG_TYPE_SOCKET_FILTER),
	    N(BPF_PROG_TYPE_KPROBE),
	    N(BPF_PROG_TYPE_SCHED_CLS),
	    N(BPF_PROG_TYPE_SCHED_ACT),
	    N(BPF_PROG_TYPE_TRACEPOINT),
	    N(BPF_PROG_TYPE_XDP),
	    N(BPF_PROG_TYPE_PERF_EVENT),
	    N(BPF_PROG_TYPE_CGROUP_SKB),
	    N(BPF_PROG_TYPE_CGROUP_SOCK),
	    N(BPF_PROG_TYPE_LWT_IN),
	    N(BPF_PROG_TYPE_LWT_OUT),
	    N(BPF_PROG_TYPE_LWT_XMIT),
	    N(BPF_PROG_TYPE_SOCK_OPS),
	    N(BPF_PROG_TYPE_SK_SKB),
	    N(BPF_PROG_TYPE_CGROUP_DEVICE),
	    N(BPF_PROG_TYPE_SK_MSG),
	    N(BPF_PROG_TYPE_RAW_TRACEPOINT),
	    N(BPF_PROG_TYPE_CGROUP_SOCK_ADDR),
	    N(BPF_PROG_TYPE_LWT_SEG6LOCAL),
	    N(BPF_PROG_TYPE_LIRC_MODE2),
	    N(BPF_PROG_TYPE_SK_REUSEPORT),
	    N(BPF_PROG_TYPE_FLOW_DISSECTOR),
	    N(BPF_PROG_TYPE_CGROUP_SYSCTL),
	    N(BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE),
	    N(BPF_PROG_TYPE_CGROUP_SOCKOPT),
	    N(BPF_PROG_TYPE_TRACING),
	    N(BPF_PROG_TYPE_STRUCT_OPS),
	    N(BPF_PROG_TYPE_EXT),
	    N(BPF_PROG_TYPE_LSM),
	    N(BPF_PROG_TYPE_SK_LOOKUP),
	    N(BPF_PROG_TYPE_SYSCALL),
#undef N
	};

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcmp(types[i].name, name) || !strcasecmp(types[i].name + 14, name))
			return types[i].value;
	return -1;
}

/* ---- exobpf verify ---- */

static int verify_usage(void)
{
	fprintf(
	    stderr,
	    "usage: exobpf verify PROGRAM [--type TYPE] [--attach ATTACH_TYPE] [--log-level N]\n"
	    "                     [--unpriv] [--strict-align | --any-align] [--license L]\n"
	    "       exobpf verify OBJ.o [--program NAME] [--btf FILE] [--log-level N]\n"
	    "  Verifies PROGRAM (raw bytecode or assembly) as Linux's verifier would and\n"
	    "  prints its log (level 2 unless --log-level). TYPE: socket_filter (default),\n"
	    "  sched_cls, xdp, kprobe, tracepoint, ... or BPF_PROG_TYPE_*. An object's\n"
	    "  programs are loaded one at a time (as libbpf would, maps created), each\n"
	    "  log followed by 'NAME: accepted' or 'NAME: rejected'. Exit 0 when\n"
	    "  accepted, 1 when rejected.\n");
	return EXIT_USAGE;
}

static bool is_elf(const char *path)
{
	unsigned char m[4] = {0};
	FILE *f = fopen(path, "rb");
	bool elf = f && fread(m, 1, 4, f) == 4 && !memcmp(m, "\177ELF", 4);

	if (f)
		fclose(f);
	return elf;
}

/* Load program k of a freshly opened object on its own, with a log. */
static int verify_object_prog(const char *path, const char *btf, int k, const char *only,
			      uint32_t level, char *log, bool *seen)
{
	EXOBPF_OPTS(exobpf_object_open_opts, oo, .btf_custom_path = btf);
	struct exobpf_object *obj = exobpf_object__open_file(path, &oo);
	struct exobpf_program *p, *mine = NULL;
	int i = 0, rc;

	if (!obj)
		return cli_fail(EXIT_INPUT, "%s", exobpf_errmsg());
	exobpf_object__for_each_program(p, obj)
	{
		bool pick = i++ == k && (only ? !strcmp(exobpf_program__name(p), only)
					      : exobpf_program__autoload(p));

		if (pick)
			mine = p;
		exobpf_program__set_autoload(p, pick);
	}
	if (!mine) {
		exobpf_object__close(obj);
		return -1; /* nothing to do for k */
	}
	*seen = true;
	log[0] = '\0';
	exobpf_program__set_log_buf(mine, log, LOG_SIZE);
	exobpf_program__set_log_level(mine, level ? level : 4);
	rc = exobpf_object__load(obj) ? EXIT_FAILED : EXIT_OK;
	if (level)
		fputs(log, stdout);
	if (rc)
		printf("%s: rejected: %s\n", exobpf_program__name(mine), exobpf_errmsg());
	else
		printf("%s: accepted\n", exobpf_program__name(mine));
	exobpf_object__close(obj);
	return rc;
}

static int verify_object(const char *path, const char *only, const char *btf, uint32_t level)
{
	EXOBPF_OPTS(exobpf_object_open_opts, oo, .btf_custom_path = btf);
	struct exobpf_object *obj = exobpf_object__open_file(path, &oo);
	struct exobpf_program *p;
	int n = 0, rc = EXIT_OK;
	bool seen = false;
	char *log;

	if (!obj)
		return cli_fail(EXIT_INPUT, "%s", exobpf_errmsg());
	exobpf_object__for_each_program(p, obj) n++;
	exobpf_object__close(obj);
	if (!(log = malloc(LOG_SIZE)))
		return cli_fail(EXIT_FAILED, "out of memory");
	for (int k = 0; k < n; k++) {
		int r = verify_object_prog(path, btf, k, only, level, log, &seen);

		if (r == EXIT_INPUT) {
			rc = r;
			break;
		}
		if (r > 0)
			rc = EXIT_FAILED;
	}
	free(log);
	if (rc != EXIT_INPUT && !seen)
		return cli_fail(EXIT_INPUT, "%s: no program %s", path, only ? only : "to load");
	return rc;
}

int cmd_verify(int argc, char **argv)
{
	const char *path = NULL, *v, *license = "GPL", *only = NULL, *btf = NULL;
	int type = BPF_PROG_TYPE_SOCKET_FILTER, attach = 0;
	uint32_t level = 2, pflags = 0, flags = 0;
	struct bpf_insn *insns;
	size_t cnt;
	char *log;
	int rc;

	for (int i = 1; i < argc; i++) {
		if ((v = cli_opt(argc, argv, &i, "--type"))) {
			if ((type = cli_prog_type(v)) < 0)
				return cli_fail(EXIT_USAGE, "--type: unknown program type '%s'", v);
		} else if ((v = cli_opt(argc, argv, &i, "--attach"))) {
			if ((attach = attach_type_by_name(v)) < 0)
				return cli_fail(EXIT_USAGE, "--attach: unknown attach type '%s'",
						v);
		} else if ((v = cli_opt(argc, argv, &i, "--log-level"))) {
			level = (uint32_t)strtoul(v, NULL, 0);
		} else if ((v = cli_opt(argc, argv, &i, "--license"))) {
			license = v;
		} else if ((v = cli_opt(argc, argv, &i, "--program"))) {
			only = v;
		} else if ((v = cli_opt(argc, argv, &i, "--btf"))) {
			btf = v;
		} else if (!strcmp(argv[i], "--unpriv")) {
			flags |= EXOBPF_PROG_UNPRIV;
		} else if (!strcmp(argv[i], "--strict-align")) {
			pflags |= BPF_F_STRICT_ALIGNMENT;
		} else if (!strcmp(argv[i], "--any-align")) {
			pflags |= BPF_F_ANY_ALIGNMENT;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			return verify_usage();
		} else {
			path = argv[i];
		}
	}
	if (!path)
		return verify_usage();
	if (is_elf(path))
		return verify_object(path, only, btf, level);
	if ((rc = cli_load_program(path, &insns, &cnt)))
		return rc;
	log = calloc(1, LOG_SIZE);
	if (!log) {
		free(insns);
		return cli_fail(EXIT_FAILED, "out of memory");
	}
	if (type == BPF_PROG_TYPE_SYSCALL) /* as libbpf loads SEC("syscall") */
		pflags |= BPF_F_SLEEPABLE;
	EXOBPF_OPTS(exobpf_prog_opts, opts, .name = "verify", .type = (enum bpf_prog_type)type,
		    .flags = flags, .expected_attach_type = (enum bpf_attach_type)attach,
		    .prog_flags = pflags, .license = license, .log_buf = level ? log : NULL,
		    .log_size = level ? LOG_SIZE : 0, .log_level = level);
	struct exobpf_prog *prog = exobpf_prog__new(insns, cnt, &opts);
	free(insns);
	fputs(log, stdout);
	if (!prog) {
		rc = cli_fail(EXIT_FAILED, "%s: %s", path, exobpf_errmsg());
	} else {
		printf("verified: accepted\n");
		exobpf_prog__free(prog);
		rc = EXIT_OK;
	}
	free(log);
	return rc;
}

/* ---- exobpf verify-corpus ---- */

enum outcome { OK, FAIL_VERDICT, FAIL_UNSAFE, FAIL_MESSAGE, FAIL_RETVAL, SKIP, NR_OUTCOMES };

struct totals {
	unsigned n[NR_OUTCOMES];
	unsigned accept_cases, accept_ok; /* ACCEPT/VERBOSE_ACCEPT, supported */
	unsigned reject_cases, reject_msg_ok, reject_accepted_reviewed;
	uint64_t verify_ns;
	unsigned verified;
	uint64_t processed, states; /* the verifier's work, from each log's statistics */
	unsigned k_both, k_same;    /* --kernel: cases both accept, with equal counts */
	uint64_t slowest_ns;
	long long slowest; /* global_index of the slowest case */
	bool k_refused;	   /* --kernel: bpf() refused here */
	uint64_t *times;   /* per program, for the median */
	unsigned ntimes, cap;
	unsigned jit_compared; /* runs compared between the JIT and the interpreter */
};

static void record_time(struct totals *t, uint64_t ns)
{
	if (t->ntimes == t->cap) {
		unsigned cap = t->cap ? t->cap * 2 : 1024;
		uint64_t *p = realloc(t->times, cap * sizeof(*p));

		if (!p)
			return;
		t->times = p;
		t->cap = cap;
	}
	t->times[t->ntimes++] = ns;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

struct reviewed {
	char **keys;
	size_t n;
};

/* Cases whose REJECT exobpf knowingly does not reproduce: "file:index
 * reason" per line ('#' comments). */
static int load_reviewed(const char *path, struct reviewed *r)
{
	FILE *f = fopen(path, "r");
	char line[1024];

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *sp;

		if (line[0] == '#' || line[0] == '\n')
			continue;
		sp = strpbrk(line, " \t\n");
		if (sp)
			*sp = '\0';
		char **k = realloc(r->keys, (r->n + 1) * sizeof(*k));
		if (!k)
			break;
		r->keys = k;
		r->keys[r->n++] = strdup(line);
	}
	fclose(f);
	return 0;
}

static bool is_reviewed(const struct reviewed *r, const char *key)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->keys[i] && !strcmp(r->keys[i], key))
			return true;
	return false;
}

/* Do the tab-separated substrings of expected appear in log in order? */
static bool log_has(const char *log, const char *expected)
{
	char *copy, *save, *tok;
	const char *at = log;
	bool ok = true;

	if (!expected || !*expected)
		return true;
	copy = strdup(expected);
	if (!copy)
		return false;
	for (tok = strtok_r(copy, "\t", &save); tok; tok = strtok_r(NULL, "\t", &save)) {
		const char *hit = strstr(at, tok);

		if (!hit) {
			ok = false;
			break;
		}
		at = hit + strlen(tok);
	}
	free(copy);
	return ok;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Program types Linux can test-run with packet data (others the kernel's
 * runner skips, so their return values are not part of the corpus). */
static bool linux_runs(int type)
{
	switch (type) {
	case BPF_PROG_TYPE_SOCKET_FILTER:
	case BPF_PROG_TYPE_SCHED_CLS:
	case BPF_PROG_TYPE_SCHED_ACT:
	case BPF_PROG_TYPE_CGROUP_SKB:
	case BPF_PROG_TYPE_LWT_IN:
	case BPF_PROG_TYPE_LWT_OUT:
	case BPF_PROG_TYPE_LWT_XMIT:
	case BPF_PROG_TYPE_XDP:
		return true;
	default:
		return false;
	}
}

struct corpus_opts {
	const char *filter;
	bool verbose, unpriv;
	bool jit, interp; /* --jit: machine code, each run compared with the interpreter */
	bool kernel;	  /* --kernel: processed counts compared with the live kernel's */
	const struct reviewed *reviewed;
};

static unsigned processed_of(const char *log)
{
	const char *p = strstr(log, "processed ");

	return p ? (unsigned)strtoul(p + 10, NULL, 10) : 0;
}

/* The same case through the live kernel's verifier (maps need fds of the
 * kernel's own, so only cases without fixups): its processed count, or -1
 * when it rejects the case, -2 when bpf() is refused here. */
static long kernel_processed(int type, int attach, uint32_t pflags, const struct bpf_insn *insns,
			     size_t cnt)
{
	static char klog[1 << 16];
	union bpf_attr a;
	long fd;

	memset(&a, 0, sizeof(a));
	a.prog_type = (uint32_t)type;
	a.expected_attach_type = (uint32_t)attach;
	a.prog_flags = pflags;
	a.insns = (uintptr_t)insns;
	a.insn_cnt = (uint32_t)cnt;
	a.license = (uintptr_t) "GPL";
	a.log_buf = (uintptr_t)klog;
	a.log_size = sizeof(klog);
	a.log_level = 4;
	klog[0] = '\0';
	fd = syscall(__NR_bpf, BPF_PROG_LOAD, &a, sizeof(a));
	if (fd < 0)
		return errno == EPERM || errno == ENOSYS ? -2 : -1;
	close((int)fd);
	return processed_of(klog);
}

static void compare_kernel(const struct json *c, const struct corpus_opts *co, struct totals *t,
			   int type, int attach, uint32_t pflags, const struct bpf_insn *insns,
			   size_t cnt, const char *log)
{
	const struct json *fx = json_get(c, "fixups");
	long k;

	if (!co->kernel || co->unpriv || t->k_refused || (fx && fx->child))
		return;
	k = kernel_processed(type, attach, pflags, insns, cnt);
	if (k == -2) {
		t->k_refused = true;
		return;
	}
	if (k < 0)
		return;
	t->k_both++;
	if ((unsigned)k == processed_of(log))
		t->k_same++;
	else if (co->verbose)
		printf("PROCESSED #%lld %s: Linux %ld, exobpf %u\n",
		       json_int(c, "global_index", -1), json_str(c, "descr"), k, processed_of(log));
}

static enum outcome run_case(const struct json *c, const struct corpus_opts *co, struct totals *t,
			     char *log, char *why, size_t whysz)
{
	const struct json *insns_v = json_get(c, "insns"), *fixups = json_get(c, "fixups");
	const char *type_name = json_str(c, "prog_type"),
		   *eat = json_str(c, "expected_attach_type");
	const char *result = json_str(c, co->unpriv ? "result_unpriv" : "result");
	const char *errstr = json_str(c, co->unpriv ? "errstr_unpriv" : "errstr");
	const char *file = json_str(c, "file");
	long long flags = json_int(c, "flags", 0), idx = json_int(c, "index_in_file", -1);
	static const char *const btf_keys[] = {"fixup_kfunc_btf_id", "attach_kfunc",
					       "btf_types_u32", "func_info"};
	struct bpf_insn *insns;
	struct exobpf_prog *prog;
	uint32_t pflags = 0, level;
	int type, attach = 0, err;
	char key[256];
	bool verbose_accept;
	uint64_t t0;

	snprintf(key, sizeof(key), "%s:%lld", file ? file : "?", idx);
	if (co->unpriv) {
		if (!result) { /* unprivileged result defaults to the privileged one */
			result = json_str(c, "result");
			if (!errstr)
				errstr = json_str(c, "errstr");
		}
		if (!json_get(c, "unpriv_tested") || !json_get(c, "unpriv_tested")->num) {
			snprintf(why, whysz, "not tested unprivileged");
			return SKIP;
		}
	}
	if (!result) {
		snprintf(why, whysz, "no expected result");
		return SKIP;
	}
	verbose_accept = !strcmp(result, "VERBOSE_ACCEPT");
	if (!insns_v || insns_v->kind != JSON_ARRAY || !insns_v->count) {
		snprintf(why, whysz, "instructions omitted");
		return SKIP;
	}
	for (size_t i = 0; i < sizeof(btf_keys) / sizeof(btf_keys[0]); i++)
		if (json_get(c, btf_keys[i])) {
			snprintf(why, whysz, "needs BTF/kfuncs (%s)", btf_keys[i]);
			return SKIP;
		}
	type = type_name ? cli_prog_type(type_name) : BPF_PROG_TYPE_SOCKET_FILTER;
	if (type < 0 || !exobpf_prog_type_supported((enum bpf_prog_type)type)) {
		snprintf(why, whysz, "program type %s not supported", type_name ? type_name : "?");
		return SKIP;
	}
	if (eat && (attach = attach_type_by_name(eat)) < 0) {
		snprintf(why, whysz, "unknown attach type %s", eat);
		return SKIP;
	}
	insns = calloc(insns_v->count, sizeof(*insns));
	if (!insns) {
		snprintf(why, whysz, "out of memory");
		return SKIP;
	}
	{
		size_t i = 0;

		for (const struct json *h = insns_v->child; h; h = h->next, i++) {
			uint8_t b[8] = {0};

			for (int k = 0; k < 8 && h->str && h->str[2 * k]; k++) {
				unsigned byte;

				sscanf(h->str + 2 * k, "%2x", &byte);
				b[k] = (uint8_t)byte;
			}
			memcpy(&insns[i], b, 8);
		}
	}
	/* maps */
	if (fixups && fixups->kind == JSON_OBJECT) {
		for (const struct json *f = fixups->child; f; f = f->next) {
			int fd = corpus_fixup_map(f->key, type);

			if (fd < 0) {
				snprintf(why, whysz, "needs map kind %s", f->key);
				free(insns);
				corpus_close_maps();
				return SKIP;
			}
			for (const struct json *ix = f->child; ix; ix = ix->next)
				if (ix->inum >= 0 && (size_t)ix->inum < insns_v->count)
					insns[ix->inum].imm = fd;
		}
	}
	if (flags & 1)
		pflags |= BPF_F_ANY_ALIGNMENT;
	if (flags & 2)
		pflags |= BPF_F_STRICT_ALIGNMENT;
	pflags |= (uint32_t)(flags & ~3ll);
	level = verbose_accept ? 2 : 4;
	log[0] = '\0';
	EXOBPF_OPTS(exobpf_prog_opts, opts, .name = "corpus", .type = (enum bpf_prog_type)type,
		    .flags = (co->unpriv ? EXOBPF_PROG_UNPRIV : 0) |
			     (co->interp ? EXOBPF_PROG_INTERP : 0),
		    .expected_attach_type = (enum bpf_attach_type)attach, .prog_flags = pflags,
		    .license = "GPL", .log_buf = log, .log_size = LOG_SIZE, .log_level = level);
	t0 = now_ns();
	prog = exobpf_prog__new(insns, insns_v->count, &opts);
	err = prog ? 0 : -errno;
	t->verify_ns += now_ns() - t0;
	t->verified++;
	record_time(t, now_ns() - t0);
	if (now_ns() - t0 > t->slowest_ns) {
		t->slowest_ns = now_ns() - t0;
		t->slowest = json_int(c, "global_index", -1);
	}
	{
		const char *st = strstr(log, "processed ");
		const char *ts = st ? strstr(st, "total_states ") : NULL;

		if (st)
			t->processed += strtoull(st + 10, NULL, 10);
		if (ts)
			t->states += strtoull(ts + 13, NULL, 10);
	}
	if (prog)
		compare_kernel(c, co, t, type, attach, pflags, insns, insns_v->count, log);
	free(insns);
	if (!strcmp(result, "REJECT")) {
		t->reject_cases++;
		if (prog) {
			exobpf_prog__free(prog);
			corpus_close_maps();
			if (is_reviewed(co->reviewed, key)) {
				t->reject_accepted_reviewed++;
				snprintf(why, whysz, "accepted (reviewed exception)");
				return FAIL_VERDICT;
			}
			snprintf(why, whysz, "expected REJECT, exobpf accepted");
			return FAIL_UNSAFE;
		}
		corpus_close_maps();
		if (err == -EOPNOTSUPP) {
			snprintf(why, whysz, "unsupported: %s", exobpf_errmsg());
			return FAIL_VERDICT;
		}
		if (!log_has(log, errstr)) {
			snprintf(why, whysz, "message: expected \"%s\", got \"%s\"", errstr,
				 exobpf_errmsg());
			return FAIL_MESSAGE;
		}
		t->reject_msg_ok++;
		return OK;
	}
	t->accept_cases++;
	if (!prog) {
		snprintf(why, whysz, "expected ACCEPT: %s", exobpf_errmsg());
		corpus_close_maps();
		return FAIL_VERDICT;
	}
	if (verbose_accept && !log_has(log, errstr)) {
		snprintf(why, whysz, "verbose log lacks \"%s\"", errstr);
		exobpf_prog__free(prog);
		corpus_close_maps();
		return FAIL_MESSAGE;
	}
	if (co->jit && !exobpf_prog__is_jited(prog)) {
		snprintf(why, whysz, "jit: no machine code: %s", exobpf_errmsg());
		exobpf_prog__free(prog);
		corpus_close_maps();
		return FAIL_RETVAL;
	}
	if (linux_runs(type)) {
		const struct json *runs = json_get(c, "runs");
		bool unchecked =
		    json_get(c, "retval_unchecked") && json_get(c, "retval_unchecked")->num;

		for (const struct json *r = runs ? runs->child : NULL; r; r = r->next) {
			const struct json *uv = json_get(r, "retval_unchecked");
			bool run_unchecked = unchecked || (uv && uv->num);
			uint8_t data[64] = {0};
			const char *hex = json_str(r, "data");
			uint32_t want = (uint32_t)json_int(r, "retval", 0);

			for (size_t k = 0; hex && hex[2 * k] && k < sizeof(data); k++) {
				unsigned byte;

				sscanf(hex + 2 * k, "%2x", &byte);
				data[k] = (uint8_t)byte;
			}
			uint8_t out[64], iout[64];
			EXOBPF_OPTS(exobpf_run_opts, ro, .data_in = data,
				    .data_size_in = sizeof(data), .data_out = out,
				    .data_size_out = sizeof(out), .insn_budget = 0);
			err = exobpf_prog__run(prog, &ro);
			if (co->jit && !run_unchecked) { /* the same run in the interpreter */
				EXOBPF_OPTS(exobpf_run_opts, ri, .data_in = data,
					    .data_size_in = sizeof(data), .data_out = iout,
					    .data_size_out = sizeof(iout),
					    .flags = EXOBPF_RUN_INTERP);
				int ierr = exobpf_prog__run(prog, &ri);
				if (ierr != err || ri.retval != ro.retval ||
				    ri.data_size_out != ro.data_size_out ||
				    memcmp(iout, out, ro.data_size_out)) {
					snprintf(why, whysz,
						 "jit: retval 0x%llx (error %d), interpreter "
						 "0x%llx (error %d)%s",
						 (unsigned long long)ro.retval, err,
						 (unsigned long long)ri.retval, ierr,
						 ri.retval == ro.retval ? ", data differs" : "");
					exobpf_prog__free(prog);
					corpus_close_maps();
					return FAIL_RETVAL;
				}
				t->jit_compared++;
			}
			if (err) {
				snprintf(why, whysz, "run failed: %s", exobpf_errmsg());
				exobpf_prog__free(prog);
				corpus_close_maps();
				return FAIL_RETVAL;
			}
			if (!run_unchecked && (uint32_t)ro.retval != want) {
				snprintf(why, whysz, "retval %u (0x%x), expected %u (0x%x)",
					 (uint32_t)ro.retval, (uint32_t)ro.retval, want, want);
				exobpf_prog__free(prog);
				corpus_close_maps();
				return FAIL_RETVAL;
			}
		}
	}
	t->accept_ok++;
	exobpf_prog__free(prog);
	corpus_close_maps();
	return OK;
}

static int corpus_usage(void)
{
	fprintf(stderr,
		"usage: exobpf verify-corpus FILE.jsonl [--filter SUBSTR] [-v] [--unpriv]\n"
		"                            [--reviewed FILE] [--jit | --interp] [--kernel]\n"
		"  Loads every case of a Linux test_verifier corpus file with its program\n"
		"  type and flags, compares the verdict, the expected error text and (for\n"
		"  accepted cases) the return value of each run with Linux's. Prints one\n"
		"  line per failing case, then totals. --reviewed names the file of REJECT\n"
		"  cases exobpf knowingly accepts (\"file:index reason\" per line).\n"
		"  --kernel also loads each case without fixup maps into the live kernel\n"
		"  and counts those whose \"processed N insns\" equal Linux's.\n"
		"  --jit requires machine code and compares every run with the\n"
		"  interpreter's; --interp never compiles.\n");
	return EXIT_USAGE;
}

int cmd_verify_corpus(int argc, char **argv)
{
	static const char *const names[NR_OUTCOMES] = {
	    [OK] = "passed",
	    [FAIL_VERDICT] = "verdict mismatch",
	    [FAIL_UNSAFE] = "REJECT accepted (unreviewed)",
	    [FAIL_MESSAGE] = "wrong message",
	    [FAIL_RETVAL] = "wrong retval",
	    [SKIP] = "unsupported",
	};
	struct corpus_opts co = {0};
	struct reviewed reviewed = {0};
	struct totals t = {0};
	const char *path = NULL, *v;
	char *line = NULL, *log, why[1024];
	size_t cap = 0;
	FILE *f;
	int lineno = 0;

	for (int i = 1; i < argc; i++) {
		if ((v = cli_opt(argc, argv, &i, "--filter")))
			co.filter = v;
		else if ((v = cli_opt(argc, argv, &i, "--reviewed"))) {
			if (load_reviewed(v, &reviewed))
				return cli_fail(EXIT_INPUT, "%s: %s", v, strerror(errno));
		} else if (!strcmp(argv[i], "-v"))
			co.verbose = true;
		else if (!strcmp(argv[i], "--unpriv"))
			co.unpriv = true;
		else if (!strcmp(argv[i], "--kernel"))
			co.kernel = true;
		else if (!strcmp(argv[i], "--jit"))
			co.jit = true;
		else if (!strcmp(argv[i], "--interp"))
			co.interp = true;
		else if (argv[i][0] == '-' && argv[i][1])
			return corpus_usage();
		else
			path = argv[i];
	}
	if (!path || (co.jit && co.interp))
		return corpus_usage();
	co.reviewed = &reviewed;
	f = fopen(path, "r");
	if (!f)
		return cli_fail(EXIT_INPUT, "%s: %s", path, strerror(errno));
	log = malloc(LOG_SIZE);
	if (!log) {
		fclose(f);
		return cli_fail(EXIT_FAILED, "out of memory");
	}
	exobpf_set_print(NULL);
	while (getline(&line, &cap, f) > 0) {
		struct json *c;
		enum outcome o;
		const char *descr;

		lineno++;
		if (line[0] == '\n' || !line[0])
			continue;
		c = json_parse(line);
		if (!c) {
			fprintf(stderr, "%s:%d: not a JSON object\n", path, lineno);
			t.n[FAIL_VERDICT]++;
			continue;
		}
		descr = json_str(c, "descr");
		if (co.filter && !(descr && strstr(descr, co.filter))) {
			json_free(c);
			continue;
		}
		o = run_case(c, &co, &t, log, why, sizeof(why));
		t.n[o]++;
		if (o != OK && (o != SKIP || co.verbose))
			printf("%s #%lld %s:%lld %s: %s\n", o == SKIP ? "SKIP" : "FAIL",
			       json_int(c, "global_index", lineno - 1), json_str(c, "file"),
			       json_int(c, "index_in_file", -1), descr ? descr : "?", why);
		if (co.verbose && o != SKIP && o != OK)
			printf("%s\n", log);
		json_free(c);
	}
	free(line);
	free(log);
	fclose(f);
	for (size_t i = 0; i < reviewed.n; i++)
		free(reviewed.keys[i]);
	free(reviewed.keys);
	unsigned failed =
	    t.n[FAIL_VERDICT] + t.n[FAIL_UNSAFE] + t.n[FAIL_MESSAGE] + t.n[FAIL_RETVAL];
	for (int o = 1; o < NR_OUTCOMES; o++)
		printf("  %-30s %u\n", names[o], t.n[o]);
	printf("accept: %u of %u ACCEPT cases accepted with the right results (%.1f%%)\n",
	       t.accept_ok, t.accept_cases,
	       t.accept_cases ? 100.0 * t.accept_ok / t.accept_cases : 0);
	printf("reject: %u of %u REJECT cases rejected with Linux's message (%.1f%%), %u accepted "
	       "by review, %u accepted unreviewed\n",
	       t.reject_msg_ok, t.reject_cases,
	       t.reject_cases ? 100.0 * t.reject_msg_ok / t.reject_cases : 0,
	       t.reject_accepted_reviewed, t.n[FAIL_UNSAFE]);
	if (t.ntimes)
		qsort(t.times, t.ntimes, sizeof(*t.times), cmp_u64);
	printf("verification time: %.3f ms for %u programs (mean %.1f us, median %.1f us, max %.1f "
	       "us)\n",
	       t.verify_ns / 1e6, t.verified, t.verified ? t.verify_ns / 1e3 / t.verified : 0,
	       t.ntimes ? t.times[t.ntimes / 2] / 1e3 : 0,
	       t.ntimes ? t.times[t.ntimes - 1] / 1e3 : 0);
	printf("verifier work: %llu instructions processed, %llu states stored (slowest: #%lld)\n",
	       (unsigned long long)t.processed, (unsigned long long)t.states, t.slowest);
	if (co.kernel && t.k_refused)
		printf("kernel: not compared (bpf() refused here)\n");
	else if (co.kernel)
		printf("kernel: processed insns equal to the live kernel's for %u of %u cases both "
		       "accept (without fixup maps)\n",
		       t.k_same, t.k_both);
	free(t.times);
	if (co.jit)
		printf("jit: %u runs identical to the interpreter's\n", t.jit_compared);
	printf("%u passed, %u failed, %u skipped\n", t.n[OK], failed, t.n[SKIP]);
	return failed ? EXIT_FAILED : EXIT_OK;
}
