/* exobpf trace OBJ.o [--program NAME...] [--format FMT] [--event TYPE] (-- CMD ARGS | --pid PID):
 * load the object, attach its syscall tracepoints and uprobes to a command or
 * a process, and print what its perf/ring buffers receive, one line per
 * record, decoded with the record struct's BTF (bpftool-like columns, or a
 * --format line with {field} placeholders). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/btf.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "cli.h"
#include "exobpf/btf.h"
#include "exobpf/map.h"
#include "exobpf/object.h"
#include "exobpf/trace.h"

static int trace_usage(void)
{
	fprintf(stderr,
		"usage: exobpf trace OBJ.o [--program NAME]... [--event TYPE] [--format FMT] "
		"[--pin] [--fast] -- COMMAND [ARGS...]\n"
		"       exobpf trace OBJ.o [...] --pid PID\n"
		"  --event: the struct the buffers carry (default: 'event')\n"
		"  --format: one line per record, {field} for a field, \\n \\t escapes\n"
		"  --pin: pin the maps under the pin directory (trace-PID/) while tracing\n"
		"  --fast: uprobes run inside the command (libexobpf-uprobe.so), no traps\n");
	return EXIT_USAGE;
}

/* How to print one record: the struct's members. */
struct printer {
	const struct exobpf_btf *btf;
	const struct btf_type *st; /* NULL: hex dump */
	uint32_t size;
	const char *format;
	bool header_done;
	uint64_t records, lost;
};

static const struct btf_type *skip_mods(const struct exobpf_btf *btf, uint32_t id)
{
	const struct btf_type *t = exobpf_btf__type_by_id(btf, id);

	while (t && (BTF_INFO_KIND(t->info) == BTF_KIND_TYPEDEF ||
		     BTF_INFO_KIND(t->info) == BTF_KIND_CONST ||
		     BTF_INFO_KIND(t->info) == BTF_KIND_VOLATILE))
		t = exobpf_btf__type_by_id(btf, t->type);
	return t;
}

/* One member as text into buf. */
static void member_text(const struct printer *p, const struct btf_member *m, const uint8_t *rec,
			uint32_t size, char *buf, size_t len)
{
	const struct btf_type *t = skip_mods(p->btf, m->type);
	uint32_t off = BTF_MEMBER_BIT_OFFSET(m->offset) / 8;
	long sz = exobpf_btf__resolve_size(p->btf, m->type);

	snprintf(buf, len, "?");
	if (!t || sz <= 0 || off + (uint64_t)sz > size)
		return;
	if (BTF_INFO_KIND(t->info) == BTF_KIND_ARRAY) {
		const struct btf_array *a = (const void *)(t + 1);
		const struct btf_type *et = skip_mods(p->btf, a->type);
		if (et && BTF_INFO_KIND(et->info) == BTF_KIND_INT && et->size == 1) {
			snprintf(buf, len, "%.*s",
				 (int)strnlen((const char *)rec + off, (size_t)sz),
				 (const char *)rec + off);
			return;
		}
	}
	if ((BTF_INFO_KIND(t->info) == BTF_KIND_INT || BTF_INFO_KIND(t->info) == BTF_KIND_ENUM) &&
	    sz <= 8) {
		uint64_t v = 0;
		bool sign = BTF_INFO_KIND(t->info) == BTF_KIND_INT &&
			    (BTF_INT_ENCODING(*(const uint32_t *)(t + 1)) & BTF_INT_SIGNED);
		memcpy(&v, rec + off, (size_t)sz);
		if (sign && sz < 8 && (v >> (sz * 8 - 1)) & 1)
			v |= ~0ull << (sz * 8);
		if (sign)
			snprintf(buf, len, "%lld", (long long)v);
		else
			snprintf(buf, len, "%llu", (unsigned long long)v);
		return;
	}
	if (BTF_INFO_KIND(t->info) == BTF_KIND_PTR) {
		uint64_t v;
		memcpy(&v, rec + off, 8);
		snprintf(buf, len, "0x%llx", (unsigned long long)v);
		return;
	}
	buf[0] = '\0';
	for (long i = 0; i < sz && (size_t)(i * 2 + 3) < len; i++)
		snprintf(buf + i * 2, len - (size_t)i * 2, "%02x", rec[off + i]);
}

static const struct btf_member *member_by_name(const struct printer *p, const char *name, size_t n)
{
	const struct btf_member *m = (const void *)(p->st + 1);

	for (unsigned i = 0; i < BTF_INFO_VLEN(p->st->info); i++, m++) {
		const char *mn = exobpf_btf__name_by_offset(p->btf, m->name_off);
		if (mn && strlen(mn) == n && !strncmp(mn, name, n))
			return m;
	}
	return NULL;
}

static void print_format(const struct printer *p, const uint8_t *rec, uint32_t size)
{
	char buf[1024];

	for (const char *f = p->format; *f; f++) {
		const char *close;
		const struct btf_member *m;

		if (*f == '\\' && f[1]) {
			f++;
			putchar(*f == 'n' ? '\n' : *f == 't' ? '\t' : *f);
		} else if (*f == '{' && (close = strchr(f, '}')) &&
			   (m = member_by_name(p, f + 1, (size_t)(close - f - 1)))) {
			member_text(p, m, rec, size, buf, sizeof(buf));
			fputs(buf, stdout);
			f = close;
		} else {
			putchar(*f);
		}
	}
}

static int column_width(const struct printer *p, const struct btf_member *m, const char *name)
{
	const struct btf_type *t = skip_mods(p->btf, m->type);
	int w = BTF_INFO_KIND(t->info) == BTF_KIND_ARRAY ? 16 : 7;
	return (int)strlen(name) > w ? (int)strlen(name) : w;
}

static void print_record(struct printer *p, const uint8_t *rec, uint32_t size)
{
	const struct btf_member *m;
	unsigned n;
	char buf[1024];

	p->records++;
	if (!p->st) {
		for (uint32_t i = 0; i < size; i++)
			printf("%02x%s", rec[i], i + 1 < size ? " " : "\n");
		fflush(stdout);
		return;
	}
	if (p->format) {
		print_format(p, rec, size);
		fflush(stdout);
		return;
	}
	n = BTF_INFO_VLEN(p->st->info);
	if (!p->header_done) {
		m = (const void *)(p->st + 1);
		for (unsigned i = 0; i < n; i++, m++) {
			const char *name = exobpf_btf__name_by_offset(p->btf, m->name_off);
			char up[64];
			size_t k;
			for (k = 0; name[k] && k + 1 < sizeof(up); k++)
				up[k] = (char)(name[k] >= 'a' && name[k] <= 'z' ? name[k] - 32
										: name[k]);
			up[k] = '\0';
			printf("%-*s%s", i + 1 < n ? column_width(p, m, name) : 0, up,
			       i + 1 < n ? " " : "\n");
		}
		p->header_done = true;
	}
	m = (const void *)(p->st + 1);
	for (unsigned i = 0; i < n; i++, m++) {
		const char *name = exobpf_btf__name_by_offset(p->btf, m->name_off);
		member_text(p, m, rec, size, buf, sizeof(buf));
		printf("%-*s%s", i + 1 < n ? column_width(p, m, name) : 0, buf,
		       i + 1 < n ? " " : "\n");
	}
	fflush(stdout);
}

static void on_perf(void *ctx, int cpu, void *data, __u32 size)
{
	(void)cpu;
	print_record(ctx, data, size);
}

static void on_perf_lost(void *ctx, int cpu, __u64 cnt)
{
	(void)cpu;
	((struct printer *)ctx)->lost += cnt;
}

static int on_ring(void *ctx, void *data, size_t size)
{
	print_record(ctx, data, (uint32_t)size);
	return 0;
}

/* The command's environment for the fast uprobe path: the preload library
 * (EXOBPF_UPROBE_PRELOAD overrides it, e.g. to put a sanitizer runtime
 * first) and where it finds the object and its maps. */
static int fast_env(const char *obj, const char *pin, const char **progs, size_t nprogs)
{
	char lib[4096], full[8192], abs[4096], list[4096] = "";
	const char *preload = getenv("EXOBPF_UPROBE_PRELOAD"), *old = getenv("LD_PRELOAD");
	ssize_t n;

	if (!preload) {
		n = readlink("/proc/self/exe", lib, sizeof(lib) - 32);
		if (n <= 0)
			return cli_fail(EXIT_FAILED, "trace --fast: cannot find the exobpf binary");
		lib[n] = '\0';
		strcpy(strrchr(lib, '/') + 1, "libexobpf-uprobe.so");
		if (access(lib, R_OK))
			return cli_fail(EXIT_FAILED, "trace --fast: %s: %s", lib, strerror(errno));
		preload = lib;
	}
	snprintf(full, sizeof(full), "%s%s%s", preload, old && *old ? " " : "", old ? old : "");
	if (!realpath(obj, abs))
		return cli_fail(EXIT_INPUT, "%s: %s", obj, strerror(errno));
	for (size_t i = 0; i < nprogs; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? "," : "",
			 progs[i]);
	setenv("EXOBPF_UPROBE_PIN", pin, 1);
	setenv("EXOBPF_UPROBE_OBJ", abs, 1);
	setenv("EXOBPF_UPROBE_PROGS", list, 1);
	setenv("LD_PRELOAD", full, 1); /* for the command: exobpf itself runs already */
	return 0;
}

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
	(void)sig;
	interrupted++;
}

struct consumers {
	struct exobpf_perf_buffer *pb[8];
	struct exobpf_ring_buffer *rb;
	int npb;
};

static int open_consumers(struct exobpf_object *obj, struct printer *p, struct consumers *c)
{
	struct exobpf_map *m;

	exobpf_object__for_each_map(m, obj)
	{
		if (exobpf_map__type(m) == BPF_MAP_TYPE_PERF_EVENT_ARRAY && c->npb < 8) {
			c->pb[c->npb] = exobpf_perf_buffer__new(exobpf_map__fd(m), 64, on_perf,
								on_perf_lost, p, NULL);
			if (!c->pb[c->npb])
				return cli_fail(EXIT_FAILED, "map %s: %s", exobpf_map__name(m),
						exobpf_errmsg());
			c->npb++;
		} else if (exobpf_map__type(m) == BPF_MAP_TYPE_RINGBUF) {
			if (!c->rb)
				c->rb =
				    exobpf_ring_buffer__new(exobpf_map__fd(m), on_ring, p, NULL);
			else if (exobpf_ring_buffer__add(c->rb, exobpf_map__fd(m), on_ring, p))
				c->rb = NULL;
			if (!c->rb)
				return cli_fail(EXIT_FAILED, "map %s: %s", exobpf_map__name(m),
						exobpf_errmsg());
		}
	}
	return 0;
}

static void consume(struct consumers *c)
{
	for (int i = 0; i < c->npb; i++)
		exobpf_perf_buffer__consume(c->pb[i]);
	if (c->rb)
		exobpf_ring_buffer__consume(c->rb);
}

static void close_consumers(struct consumers *c)
{
	for (int i = 0; i < c->npb; i++)
		exobpf_perf_buffer__free(c->pb[i]);
	exobpf_ring_buffer__free(c->rb);
}

static int trace_loop(struct exobpf_tracer *tr, struct consumers *c, bool spawned)
{
	int n;

	while ((n = exobpf_tracer__poll(tr)) != 0) {
		consume(c);
		if (n == -EINTR || interrupted) {
			/* a spawned command got the same Ctrl-C: let it finish its own way,
			 * unless asked twice */
			if (!spawned || interrupted > 1)
				return exobpf_tracer__detach(tr);
			continue;
		}
		if (n < 0)
			return cli_fail(EXIT_FAILED, "trace: %s", exobpf_errmsg());
	}
	consume(c);
	return 0;
}

int cmd_trace(int argc, char **argv)
{
	const char *path = NULL, *event = "event", *v;
	const char *progs[64];
	size_t nprogs = 0;
	struct printer p = {0};
	struct consumers c = {0};
	struct exobpf_object *obj;
	struct exobpf_tracer *tr = NULL;
	struct sigaction sa = {0};
	char pin[4096] = "";
	bool pin_maps = false, fast = false;
	char **cmd = NULL;
	long pid = 0;
	int rc = EXIT_OK, err, i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			cmd = argv + i + 1;
			break;
		}
		if ((v = cli_opt(argc, argv, &i, "--program"))) {
			if (nprogs == sizeof(progs) / sizeof(progs[0]))
				return cli_fail(EXIT_USAGE, "trace: too many --program options");
			progs[nprogs++] = v;
		} else if ((v = cli_opt(argc, argv, &i, "--event"))) {
			event = v;
		} else if ((v = cli_opt(argc, argv, &i, "--format"))) {
			p.format = v;
		} else if ((v = cli_opt(argc, argv, &i, "--pid"))) {
			char *end;
			pid = strtol(v, &end, 10);
			if (*end || pid <= 0)
				return cli_fail(EXIT_USAGE, "trace: --pid %s: not a process id", v);
		} else if (!strcmp(argv[i], "--pin")) {
			pin_maps = true;
		} else if (!strcmp(argv[i], "--fast")) {
			fast = pin_maps = true;
		} else if (argv[i][0] == '-' || path) {
			return trace_usage();
		} else {
			path = argv[i];
		}
	}
	if (!path || (!cmd && !pid) || (cmd && pid) || (cmd && !cmd[0]) || (fast && pid))
		return trace_usage();
	/* trace_printk lines go to stderr beside the events */
	setenv("EXOBPF_TRACE_STDERR", "1", 0);
	obj = exobpf_object__open_file(path, NULL);
	if (!obj)
		return cli_fail(EXIT_INPUT, "%s", exobpf_errmsg());
	if (exobpf_object__load(obj)) {
		rc = cli_fail(EXIT_INPUT, "%s", exobpf_errmsg());
		goto out;
	}
	p.btf = exobpf_object__btf(obj);
	if (p.btf && (err = exobpf_btf__find_by_name_kind(p.btf, event, BTF_KIND_STRUCT)) > 0)
		p.st = exobpf_btf__type_by_id(p.btf, (uint32_t)err);
	if (p.format && !p.st) {
		rc = cli_fail(EXIT_INPUT, "%s: --format needs struct %s in the object's BTF", path,
			      event);
		goto out;
	}
	{
		struct exobpf_tracer_opts o = {.sz = sizeof(o),
					       .programs = nprogs ? progs : NULL,
					       .nr_programs = nprogs,
					       .uprobes_in_process = fast};
		tr = exobpf_tracer__new(obj, &o);
	}
	if (!tr) {
		rc = cli_fail(EXIT_INPUT, "%s", exobpf_errmsg());
		goto out;
	}
	if ((rc = open_consumers(obj, &p, &c)))
		goto out;
	if (pin_maps) {
		/* absolute: unpinning takes paths as they are */
		snprintf(pin, sizeof(pin), "%s/trace-%d", exobpf_pin_dir(), (int)getpid());
		if (exobpf_object__pin_maps(obj, pin)) {
			rc = cli_fail(EXIT_FAILED, "trace: pinning maps: %s", exobpf_errmsg());
			pin[0] = '\0';
			goto out;
		}
		if (!fast)
			fprintf(stderr, "exobpf trace: maps pinned in %s\n", pin);
	}
	if (fast && (rc = fast_env(path, pin, progs, nprogs)))
		goto out;
	sa.sa_handler = on_sigint; /* no SA_RESTART: the wait returns EINTR */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	err = cmd ? exobpf_tracer__spawn(tr, cmd) : exobpf_tracer__attach_pid(tr, (pid_t)pid);
	if (err < 0) {
		rc = cli_fail(EXIT_FAILED, "trace: %s", exobpf_errmsg());
		goto out;
	}
	rc = trace_loop(tr, &c, cmd != NULL);
	if (p.lost)
		fprintf(stderr, "exobpf trace: %llu records lost\n", (unsigned long long)p.lost);
	if (!rc && cmd) {
		int st = exobpf_tracer__exit_status(tr);
		if (st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 127)
			rc = cli_fail(EXIT_FAILED, "trace: %s: command not found or not executable",
				      cmd[0]);
		else if (st >= 0 && WIFEXITED(st)) /* as strace: the command's own status */
			rc = WEXITSTATUS(st);
		else if (st >= 0 && WIFSIGNALED(st))
			rc = 128 + WTERMSIG(st);
	}
out:
	if (pin[0]) {
		exobpf_object__unpin_maps(obj, pin);
		rmdir(pin);
	}
	close_consumers(&c);
	exobpf_tracer__free(tr);
	exobpf_object__close(obj);
	return rc;
}
