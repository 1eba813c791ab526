/* exobpf xdp | exobpf skb: a packet program from an object run on capture
 * files or live interfaces through the packet hook (exobpf/hook.h). The
 * object's maps are pinned while it runs, so `exobpf map dump` can watch
 * them; Ctrl-C stops cleanly and the totals are printed. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "exobpf/hook.h"
#include "exobpf/map.h"
#include "exobpf/object.h"

#define MAX_INPUTS 64

static int hook_usage(const char *cmd)
{
	fprintf(stderr,
		"usage: exobpf %s OBJ.o [--program NAME] --in CAPTURE [--in CAPTURE...]\n"
		"          [--out PASSED] [--tx TX] [--drop DROPPED] [--redirect-dir DIR]\n"
		"          [--ifindex N] [--threads N] [--checked] [--stats] [--dump-maps]\n"
		"          [--pin DIR]\n"
		"       exobpf %s OBJ.o [--program NAME] --dev IFACE [--dev IFACE...]\n"
		"          [--redirect-dev IFACE...] [--threads N] [--duration S] [--stats]\n"
		"          [--out PASSED] [--drop DROPPED] [--dump-maps] [--pin DIR]\n"
		"  %s\n"
		"  captures: pcap or pcapng; outputs are pcapng when named *.pcapng\n"
		"  --redirect-dir: offline redirects to DIR/port-IFINDEX.pcap\n"
		"  --pin: where the maps are pinned while it runs (default: the pin\n"
		"         directory's hook-PID); --dump-maps prints them at the end\n",
		cmd, cmd,
		strcmp(cmd, "xdp")
		    ? "programs: socket filters (the return value is the snap length) "
		      "and tc (sched_cls, sched_act)"
		    : "programs: XDP");
	return EXIT_USAGE;
}

struct hook_args {
	const char *cmd, *path, *program, *out, *tx, *drop, *redirect_dir, *pin;
	const char *in[MAX_INPUTS], *dev[MAX_INPUTS], *rdev[MAX_INPUTS];
	unsigned nin, ndev, nrdev, threads;
	uint32_t ifindex;
	double duration;
	bool stats, checked, dump_maps;
};

static int parse_uint(const char *s, unsigned long max, unsigned long *v)
{
	char *end;

	errno = 0;
	*v = strtoul(s, &end, 0);
	return errno || end == s || *end || *v > max || s[0] == '-' ? -1 : 0;
}

static int add_name(const char **list, unsigned *n, const char *v)
{
	if (*n == MAX_INPUTS)
		return -1;
	list[(*n)++] = v;
	return 0;
}

static int parse(int argc, char **argv, struct hook_args *a)
{
	const char *v;
	unsigned long n;

	for (int i = 1; i < argc; i++) {
		if ((v = cli_opt(argc, argv, &i, "--program")))
			a->program = v;
		else if ((v = cli_opt(argc, argv, &i, "--in"))) {
			if (add_name(a->in, &a->nin, v))
				return cli_fail(EXIT_USAGE, "at most %d --in", MAX_INPUTS);
		} else if ((v = cli_opt(argc, argv, &i, "--dev"))) {
			if (add_name(a->dev, &a->ndev, v))
				return cli_fail(EXIT_USAGE, "at most %d --dev", MAX_INPUTS);
		} else if ((v = cli_opt(argc, argv, &i, "--redirect-dev"))) {
			if (add_name(a->rdev, &a->nrdev, v))
				return cli_fail(EXIT_USAGE, "at most %d --redirect-dev",
						MAX_INPUTS);
		} else if ((v = cli_opt(argc, argv, &i, "--out")))
			a->out = v;
		else if ((v = cli_opt(argc, argv, &i, "--tx")))
			a->tx = v;
		else if ((v = cli_opt(argc, argv, &i, "--drop")))
			a->drop = v;
		else if ((v = cli_opt(argc, argv, &i, "--redirect-dir")))
			a->redirect_dir = v;
		else if ((v = cli_opt(argc, argv, &i, "--pin")))
			a->pin = v;
		else if ((v = cli_opt(argc, argv, &i, "--threads"))) {
			if (parse_uint(v, 256, &n) || !n)
				return cli_fail(EXIT_USAGE, "--threads %s: a number from 1 to 256",
						v);
			a->threads = (unsigned)n;
		} else if ((v = cli_opt(argc, argv, &i, "--ifindex"))) {
			if (parse_uint(v, UINT32_MAX, &n) || !n)
				return cli_fail(EXIT_USAGE, "--ifindex %s: a positive number", v);
			a->ifindex = (uint32_t)n;
		} else if ((v = cli_opt(argc, argv, &i, "--duration"))) {
			char *end;

			a->duration = strtod(v, &end);
			if (end == v || *end || !(a->duration > 0) || a->duration > 1e7)
				return cli_fail(EXIT_USAGE, "--duration %s: seconds, more than 0",
						v);
		} else if (!strcmp(argv[i], "--stats"))
			a->stats = true;
		else if (!strcmp(argv[i], "--checked"))
			a->checked = true;
		else if (!strcmp(argv[i], "--dump-maps"))
			a->dump_maps = true;
		else if (argv[i][0] == '-' && argv[i][1])
			return cli_fail(EXIT_USAGE, "%s: unknown option %s", a->cmd, argv[i]);
		else if (!a->path)
			a->path = argv[i];
		else
			return cli_fail(EXIT_USAGE, "%s: one object only (%s?)", a->cmd, argv[i]);
	}
	if (!a->path)
		return hook_usage(a->cmd);
	if (!a->nin == !a->ndev)
		return cli_fail(EXIT_USAGE, "%s: give capture files (--in) or interfaces (--dev)",
				a->cmd);
	if (a->nin && (a->nrdev || a->duration))
		return cli_fail(EXIT_USAGE, "%s: --redirect-dev and --duration are for --dev",
				a->cmd);
	if (a->ndev && (a->redirect_dir || a->tx || a->ifindex))
		return cli_fail(
		    EXIT_USAGE,
		    "%s: --redirect-dir, --tx and --ifindex are for capture files (live, "
		    "TX and redirects leave by the interfaces)",
		    a->cmd);
	return 0;
}

static bool type_fits(const char *cmd, enum bpf_prog_type t)
{
	if (!strcmp(cmd, "xdp"))
		return t == BPF_PROG_TYPE_XDP;
	return t == BPF_PROG_TYPE_SOCKET_FILTER || t == BPF_PROG_TYPE_SCHED_CLS ||
	       t == BPF_PROG_TYPE_SCHED_ACT;
}

/* The program to run: the one named, or the first of a fitting type. Only
 * it is loaded. */
static struct exobpf_program *pick(struct exobpf_object *obj, const struct hook_args *a)
{
	struct exobpf_program *p, *found = NULL;

	exobpf_object__for_each_program(p, obj)
	{
		bool match = a->program ? !strcmp(a->program, exobpf_program__name(p))
					: type_fits(a->cmd, exobpf_program__type(p));

		if (match && !found)
			found = p;
		exobpf_program__set_autoload(p, p == found);
	}
	return found;
}

static struct exobpf_pkt_hook *volatile running;

static void on_signal(int sig)
{
	(void)sig;
	if (running)
		exobpf_pkt_hook__stop(running);
}

static void print_stats(const struct exobpf_pkt_stats *s, unsigned threads, FILE *f)
{
	double secs = (double)s->elapsed_ns / 1e9;

	fprintf(f, "packets %llu  bytes %llu  in %.3f s  %.0f packets/s  (%u thread%s)\n",
		(unsigned long long)s->packets, (unsigned long long)s->bytes, secs,
		secs > 0 ? (double)s->packets / secs : 0.0, threads, threads == 1 ? "" : "s");
	for (int a = 0; a < EXOBPF_PKT__MAX; a++)
		fprintf(f, "%s%s %llu", a ? "  " : "",
			exobpf_pkt_action_str((enum exobpf_pkt_action)a),
			(unsigned long long)s->actions[a]);
	fprintf(f, "\n");
	if (s->redirect_errors || s->tx_errors || s->faults || s->rx_dropped)
		fprintf(f, "redirect errors %llu  tx errors %llu  faults %llu  rx dropped %llu\n",
			(unsigned long long)s->redirect_errors, (unsigned long long)s->tx_errors,
			(unsigned long long)s->faults, (unsigned long long)s->rx_dropped);
}

struct ticker {
	struct exobpf_pkt_hook *h;
	unsigned threads;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool done;
};

/* Live --stats: the counters once a second while it runs. */
static void *tick(void *arg)
{
	struct ticker *t = arg;
	struct timespec ts;

	pthread_mutex_lock(&t->mu);
	clock_gettime(CLOCK_REALTIME, &ts);
	while (!t->done) {
		ts.tv_sec++;
		if (pthread_cond_timedwait(&t->cv, &t->mu, &ts) == ETIMEDOUT && !t->done) {
			struct exobpf_pkt_stats s = {.sz = sizeof(s)};

			if (!exobpf_pkt_hook__stats(t->h, &s))
				print_stats(&s, t->threads, stderr);
		}
	}
	pthread_mutex_unlock(&t->mu);
	return NULL;
}

static int run_hook(struct exobpf_pkt_hook *h, const struct hook_args *a, unsigned threads)
{
	struct ticker t = {.h = h, .threads = threads};
	struct sigaction sa = {.sa_handler = on_signal}, old_int, old_term;
	pthread_t th;
	bool ticking = false;
	int err;

	pthread_mutex_init(&t.mu, NULL);
	pthread_cond_init(&t.cv, NULL);
	running = h;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	if (a->stats && a->ndev)
		ticking = !pthread_create(&th, NULL, tick, &t);
	err = exobpf_pkt_hook__run(h, (uint64_t)(a->duration * 1000));
	if (ticking) {
		pthread_mutex_lock(&t.mu);
		t.done = true;
		pthread_cond_signal(&t.cv);
		pthread_mutex_unlock(&t.mu);
		pthread_join(th, NULL);
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	running = NULL;
	pthread_cond_destroy(&t.cv);
	pthread_mutex_destroy(&t.mu);
	return err;
}

static void dump_maps(struct exobpf_object *obj)
{
	struct exobpf_map *m;

	exobpf_object__for_each_map(m, obj)
	{
		enum bpf_map_type t = exobpf_map__type(m);

		printf("map %s:\n", exobpf_map__name(m));
		/* records, not elements: read by consumers, not by a dump */
		if (t == BPF_MAP_TYPE_RINGBUF || t == BPF_MAP_TYPE_PERF_EVENT_ARRAY)
			printf("(a %s: its records are for consumers)\n",
			       t == BPF_MAP_TYPE_RINGBUF ? "ring buffer" : "perf event array");
		else
			cli_map_dump(exobpf_map__fd(m));
	}
}

static int setup(struct exobpf_pkt_hook *h, const struct hook_args *a)
{
	for (unsigned i = 0; i < a->nin; i++)
		if (exobpf_pkt_hook__add_file(h, a->in[i]))
			return -1;
	for (unsigned i = 0; i < a->ndev; i++)
		if (exobpf_pkt_hook__add_dev(h, a->dev[i]))
			return -1;
	for (unsigned i = 0; i < a->nrdev; i++)
		if (exobpf_pkt_hook__add_port(h, a->rdev[i]))
			return -1;
	return 0;
}

static int hook_main(struct hook_args *a)
{
	struct exobpf_object *obj;
	struct exobpf_program *p;
	struct exobpf_pkt_hook *h = NULL;
	char pin[4096] = "";
	unsigned threads = a->threads ? a->threads : 1;
	int rc = EXIT_OK, err;

	/* every worker needs a slot of each per-CPU map */
	if ((int)threads > exobpf_num_slots() && exobpf_set_num_slots(threads))
		return cli_fail(EXIT_USAGE, "--threads %u: %s", threads, exobpf_errmsg());
	obj = exobpf_object__open_file(a->path, NULL);
	if (!obj)
		return cli_fail(EXIT_INPUT, "%s", exobpf_errmsg());
	if (!(p = pick(obj, a))) {
		rc = cli_fail(EXIT_INPUT, "%s: no %s program%s%s", a->path,
			      strcmp(a->cmd, "xdp") ? "socket filter or tc" : "XDP",
			      a->program ? " named " : "", a->program ? a->program : "");
		goto out;
	}
	if (!type_fits(a->cmd, exobpf_program__type(p))) {
		rc = cli_fail(
		    EXIT_INPUT, "%s: %s is a %s program; `exobpf %s` runs %s", a->path,
		    exobpf_program__name(p), exobpf_prog_type_str(exobpf_program__type(p)), a->cmd,
		    strcmp(a->cmd, "xdp") ? "socket filters and tc programs" : "XDP programs");
		goto out;
	}
	if (exobpf_object__load(obj)) {
		rc = cli_fail(EXIT_INPUT, "%s", exobpf_errmsg());
		goto out;
	}
	if (a->pin)
		snprintf(pin, sizeof(pin), "%s", a->pin);
	else
		snprintf(pin, sizeof(pin), "%s/hook-%d", exobpf_pin_dir(), (int)getpid());
	if (mkdir(pin, 0755) && errno != EEXIST) {
		rc = cli_fail(EXIT_FAILED, "%s: cannot make the pin directory: %s", pin,
			      strerror(errno));
		goto out;
	}
	if (exobpf_object__pin_maps(obj, pin)) {
		rc = cli_fail(EXIT_FAILED, "%s", exobpf_errmsg());
		goto unpin;
	}
	if (a->stats)
		fprintf(stderr, "%s: %s (%s%s), maps pinned in %s\n", a->path,
			exobpf_program__name(p), exobpf_prog_type_str(exobpf_program__type(p)),
			exobpf_prog__is_jited(exobpf_program__prog(p)) && !a->checked
			    ? ", JIT-compiled"
			    : ", interpreted",
			pin);
	EXOBPF_OPTS(exobpf_pkt_hook_opts, o, .threads = threads, .ifindex = a->ifindex,
		    .pass_file = a->out, .tx_file = a->tx, .drop_file = a->drop,
		    .redirect_dir = a->redirect_dir, .flags = a->checked ? EXOBPF_PKT_CHECKED : 0);
	h = exobpf_pkt_hook__new(exobpf_program__prog(p), &o);
	if (!h || setup(h, a)) {
		rc = cli_fail(EXIT_INPUT, "%s", exobpf_errmsg());
		goto unpin;
	}
	err = run_hook(h, a, threads);
	if (err)
		rc = cli_fail(err == -ENOMEM || err == -EIO ? EXIT_FAILED : EXIT_INPUT, "%s",
			      exobpf_errmsg());
	if (a->stats) {
		struct exobpf_pkt_stats s = {.sz = sizeof(s)};

		exobpf_pkt_hook__stats(h, &s);
		print_stats(&s, threads, stdout);
	}
	if (a->dump_maps)
		dump_maps(obj);
unpin:
	exobpf_object__unpin_maps(obj, pin);
	if (!a->pin)
		rmdir(pin);
out:
	exobpf_pkt_hook__free(h);
	exobpf_object__close(obj);
	return rc;
}

int cmd_xdp(int argc, char **argv)
{
	struct hook_args a = {.cmd = "xdp"};
	int rc = parse(argc, argv, &a);

	return rc ? rc : hook_main(&a);
}

int cmd_skb(int argc, char **argv)
{
	struct hook_args a = {.cmd = "skb"};
	int rc = parse(argc, argv, &a);

	return rc ? rc : hook_main(&a);
}
