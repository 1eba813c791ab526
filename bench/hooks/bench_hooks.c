/* bench/hooks: packets per second for the parse-and-count XDP program
 * (tests/progs/hook_parse.bpf.c) on the demo's capture, measured in one
 * run:
 *
 *   exobpf hook    the whole offline path (read the capture, copy, run,
 *                  verdict), 1 and 2 worker threads, per thread;
 *   exobpf run     the program alone on each packet (exobpf_prog__run
 *                  with repeat, as BPF_PROG_TEST_RUN measures);
 *   Linux          BPF_PROG_TEST_RUN with repeat on the same packets
 *                  (the kernel's JIT), where bpf() is usable;
 *   C              the same logic compiled by gcc -O2 (native_parse.c).
 *
 * Prints ratios; never fails on time.
 * usage: bench-hooks BUILD_DIR CAPTURE LONG_CAPTURE
 * (LONG_CAPTURE: CAPTURE's packets many times over, for the hook; the
 * other columns run CAPTURE's packets ROUNDS times) */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "../../tests/unit/kmirror.h"
#include "../../tests/unit/pktgen.h"
#include "../../tests/unit/util.h"
#include "exobpf/exobpf.h"
#include "native_parse.h"

#define REPEAT 2000

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The hook over the capture: packets per second. */
static double hook_pps(struct exobpf_prog *prog, const char *cap, unsigned threads)
{
	EXOBPF_OPTS(exobpf_pkt_hook_opts, o, .threads = threads);
	struct exobpf_pkt_hook *h = exobpf_pkt_hook__new(prog, &o);
	struct exobpf_pkt_stats st = {.sz = sizeof(st)};
	double pps = 0;

	if (h && !exobpf_pkt_hook__add_file(h, cap) && !exobpf_pkt_hook__run(h, 0) &&
	    !exobpf_pkt_hook__stats(h, &st))
		pps = (double)st.packets / ((double)st.elapsed_ns / 1e9);
	else
		fprintf(stderr, "hook: %s\n", exobpf_errmsg());
	exobpf_pkt_hook__free(h);
	return pps;
}

/* Mean ns per run over every packet, REPEAT runs each. */
static double exo_ns(struct exobpf_prog *prog, const struct pg_set *set)
{
	double sum = 0;

	for (unsigned i = 0; i < set->n; i++) {
		EXOBPF_OPTS(exobpf_run_opts, r, .data_in = set->frames[i],
			    .data_size_in = set->lens[i], .repeat = REPEAT);
		if (exobpf_prog__run(prog, &r)) {
			fprintf(stderr, "run: %s\n", exobpf_errmsg());
			return 0;
		}
		sum += r.duration;
	}
	return sum / set->n;
}

static double kernel_ns(int fd, const struct pg_set *set)
{
	double sum = 0;

	for (unsigned i = 0; i < set->n; i++) {
		union bpf_attr a;

		memset(&a, 0, sizeof(a));
		a.test.prog_fd = (uint32_t)fd;
		a.test.data_in = (uintptr_t)set->frames[i];
		a.test.data_size_in = set->lens[i];
		a.test.repeat = REPEAT;
		if (syscall(__NR_bpf, BPF_PROG_TEST_RUN, &a, sizeof(a)) < 0)
			return 0;
		sum += a.test.duration;
	}
	return sum / set->n;
}

static double native_pps(const struct pg_set *set, unsigned rounds)
{
	static struct np_state s;
	unsigned verdicts = 0;
	double t0;

	np_reset(&s);
	t0 = now();
	for (unsigned r = 0; r < rounds; r++)
		for (unsigned i = 0; i < set->n; i++)
			verdicts += (unsigned)np_parse_count(&s, 0, set->frames[i], set->lens[i]);
	t0 = now() - t0;
	if (!verdicts)
		fprintf(stderr, "native: no verdicts\n");
	return (double)rounds * set->n / t0;
}

int main(int argc, char **argv)
{
	char path[4096], why[1024];
	struct exobpf_object *obj;
	struct exobpf_prog *prog;
	struct kmirror km;
	struct pg_set set;
	unsigned rounds = 6000;
	double h1, h2, en, kn = 0, nat;
	int kfd = -1;

	if (argc != 4) {
		fprintf(stderr, "usage: %s BUILD_DIR CAPTURE LONG_CAPTURE\n", argv[0]);
		return 2;
	}
	setenv("EXOBPF_PIN_DIR", "/dev/shm", 0);
	if (exobpf_num_slots() < 2)
		exobpf_set_num_slots(2);
	snprintf(path, sizeof(path), "%s/progs/hook_parse.bpf.o", argv[1]);
	obj = exobpf_object__open_file(path, NULL);
	if (!obj || exobpf_object__load(obj) || pg_read_pcap(argv[2], &set)) {
		fprintf(stderr, "%s / %s: %s\n", path, argv[2], exobpf_errmsg());
		return 1;
	}
	prog = exobpf_program__prog(exobpf_object__find_program_by_name(obj, "parse_count"));
	if (kmirror_open(&km, obj, why, sizeof(why)) == 0)
		kfd = kmirror_prog(&km, "parse_count", why, sizeof(why));

	printf("parse-and-count XDP program (%s), %u packets of %s, %s\n", path, set.n, argv[2],
	       exobpf_prog__is_jited(prog) ? "JIT-compiled" : "interpreted");
	h1 = hook_pps(prog, argv[3], 1);
	h2 = hook_pps(prog, argv[3], 2);
	en = exo_ns(prog, &set);
	if (kfd >= 0)
		kn = kernel_ns(kfd, &set);
	nat = native_pps(&set, rounds);

	printf("%-44s %14s %10s\n", "", "packets/s", "ns/packet");
	printf("%-44s %14.0f %10.1f\n", "exobpf hook, 1 thread (read+run+verdict)", h1, 1e9 / h1);
	printf("%-44s %14.0f %10.1f\n", "exobpf hook, 2 threads, per thread", h2 / 2, 2e9 / h2);
	printf("%-44s %14.0f %10.1f\n", "exobpf program alone (test run, repeat)", 1e9 / en, en);
	if (kn > 0)
		printf("%-44s %14.0f %10.1f\n", "Linux BPF_PROG_TEST_RUN, repeat", 1e9 / kn, kn);
	else
		printf("%-44s %14s %10s\n", "Linux BPF_PROG_TEST_RUN (bpf() refused)", "-", "-");
	printf("%-44s %14.0f %10.1f\n", "the same logic in C (gcc -O2)", nat, 1e9 / nat);
	printf("\nratios (higher is faster for the first named)\n");
	if (kn > 0) {
		printf("  exobpf program / Linux test run      %.2f\n", kn / en);
		printf("  exobpf hook per thread / Linux       %.2f\n", h1 / (1e9 / kn));
	}
	printf("  C / exobpf program                   %.2f\n", nat / (1e9 / en));
	printf("  2 threads / 1 thread (hook)          %.2f  (2 cores, shared)\n", h2 / h1);
	if (kfd >= 0)
		close(kfd);
	kmirror_close(&km);
	pg_free(&set);
	exobpf_object__close(obj);
	return 0;
}
