/* The JIT benchmarks, side by side in one run: each XDP program (built by
 * clang -O2 -target bpf from bench/progs) runs on exobpf's JIT, exobpf's
 * interpreter (unchecked, then checked), Linux's JIT through
 * BPF_PROG_TEST_RUN with repeat, and as its gcc -O2 twin (bench/native.c).
 * Prints ns per run (median of several trials, interleaved so drift hits
 * every engine alike) and the ratios; an empty program gives each engine's
 * fixed cost per run. Linux's figure is the wall time of BPF_PROG_TEST_RUN
 * with repeat (its own duration field is whole ns per run, too coarse for
 * the smallest programs), so its setup per call is part of its fixed cost.
 * Every engine's result is checked against the twin's;
 * nothing here passes or fails on time.
 *
 * exobpf runs the XDP program verified (the verifier's facts reach the
 * JIT). Where its verifier does not accept a program Linux accepts, exobpf
 * runs the raw-memory entry of the same source instead, unverified (r1 =
 * the packet, r2 = its length), and the table marks that row.
 *
 * usage: exobpf-bench BUILD_DIR [NAME...]   (BENCH_MS, BENCH_TRIALS tune it;
 * BENCH_STAT=best takes each engine's fastest trial instead of the median,
 * for a machine shared with other work; BENCH_CODE=1 times nothing and
 * prints each program's machine code from exobpf's JIT and then from
 * Linux's, to compare what the two emit) */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <capstone/capstone.h>

#include "bench.h"
#include "exobpf/exobpf.h"
#include "maps/map.h"

enum engine { E_NATIVE, E_JIT, E_INTERP, E_CHECKED, E_KERNEL, NR_ENGINES };
static const char *const engine_names[NR_ENGINES] = {"gcc -O2", "exobpf JIT", "interp",
						      "checked", "Linux JIT"};

struct bench {
	const char *name, *what;
	bench_native_fn native;
	uint32_t pkt_len;
	bool map;
};

static const struct bench benches[] = {
	{"parse", "Ethernet/IPv4/TCP parser, TCP options, flow hash", native_parse, 74, false},
	{"checksum", "Internet checksum over 1500 bytes", native_checksum, 1500, false},
	{"arith", "4096-step 64-bit arithmetic loop", native_arith, 64, false},
	{"bits", "log2 and popcount loops over 256 words", native_bits, 1024, false},
	{"strings", "memcpy + strcmp over 4 x 256 bytes", native_strings, 1024, false},
	{"dispatch", "16-way switch per byte, 512 bytes", native_dispatch, 512, false},
	{"sieve", "sieve of Eratosthenes to 3840, on the stack", native_sieve, 64, false},
	{"hashmap", "64 hash map lookups + atomic adds (or inserts)", native_hashmap, 1024, true},
	{"empty", "an empty program: the fixed cost of a run", native_empty, 64, false},
};
#define NR_BENCHES (sizeof(benches) / sizeof(benches[0]))
#define MAX_TRIALS 64

/* ---- inputs ---- */

static uint64_t rng_state;

static uint8_t rnd8(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint8_t)(rng_state >> 24);
}

static void fill_packet(const struct bench *b, uint8_t *p)
{
	rng_state = 0x9e3779b97f4a7c15ull ^ strlen(b->name) * 0x100000001b3ull;
	for (uint32_t i = 0; i < b->pkt_len; i++)
		p[i] = (uint8_t)(rnd8() | 1); /* no NUL: strcmp runs on */
	if (!strcmp(b->name, "parse")) {
		static const uint8_t syn[74] = {
			/* Ethernet */
			0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00,
			/* IPv4: 20 bytes, DF, TTL 64, TCP, 10.0.0.1 -> 10.0.0.2 */
			0x45, 0, 0, 60, 0x1c, 0x46, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
			/* TCP: 12345 -> 80, SYN, 40-byte header */
			0x30, 0x39, 0, 80, 0x12, 0x34, 0x56, 0x78, 0, 0, 0, 0, 0xa0, 0x02, 0xfa, 0xf0,
			0, 0, 0, 0,
			/* options: MSS 1460, SACK permitted, timestamps, NOP, window scale 7 */
			2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0x11, 0x22, 0x33, 0, 0, 0, 0, 1, 3, 3, 7};
		memcpy(p, syn, sizeof(syn));
	} else if (!strcmp(b->name, "strings")) {
		/* long equal runs for strcmp to walk */
		for (uint32_t r = 0; r < 4; r++)
			memcpy(p + 512 + r * 32, p + r * 64, 200 + 16 * r);
	}
}

/* ---- the kernel ---- */

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

static int kernel_map(void)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_type = BPF_MAP_TYPE_HASH;
	a.key_size = 4;
	a.value_size = 8;
	a.max_entries = 1024;
	return (int)sys_bpf(BPF_MAP_CREATE, &a);
}

static char klog[1 << 16];

static int kernel_load(const struct bpf_insn *insns, size_t cnt)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_XDP;
	a.insns = (uintptr_t)insns;
	a.insn_cnt = (uint32_t)cnt;
	a.license = (uintptr_t) "GPL";
	a.log_buf = (uintptr_t)klog;
	a.log_size = sizeof(klog);
	a.log_level = 1;
	klog[0] = '\0';
	int fd = (int)sys_bpf(BPF_PROG_LOAD, &a);
	if (fd < 0 && errno == ENOSPC) { /* log too small for a big program: load quietly */
		a.log_buf = 0, a.log_size = 0, a.log_level = 0;
		fd = (int)sys_bpf(BPF_PROG_LOAD, &a);
	}
	return fd;
}

/* ---- one engine, n runs ---- */

struct subject {
	const struct bench *b;
	uint8_t *pkt;
	struct exobpf_prog *prog;
	int kfd;
	bool raw; /* exobpf runs the raw-memory entry */
};

/* This thread's CPU time, not the wall clock: the kernel's test-run timer
 * stops while its loop is scheduled away, and on a shared machine a
 * wall-clock figure would charge the other tenants' work to exobpf. */
static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* Total ns of n runs on engine e; *r0 the last result. -1 when it failed. */
static double run_n(const struct subject *s, enum engine e, uint32_t n, uint64_t *r0)
{
	double t0 = now_ns();

	switch (e) {
	case E_NATIVE: {
		bench_native_fn volatile fn = s->b->native;
		uint64_t v = 0;
		for (uint32_t i = 0; i < n; i++)
			v = fn(s->pkt, s->pkt + s->b->pkt_len);
		*r0 = v;
		break;
	}
	case E_KERNEL: {
		union bpf_attr a;
		memset(&a, 0, sizeof(a));
		a.test.prog_fd = (uint32_t)s->kfd;
		a.test.data_in = (uintptr_t)s->pkt;
		a.test.data_size_in = s->b->pkt_len;
		a.test.repeat = n;
		if (sys_bpf(BPF_PROG_TEST_RUN, &a) < 0)
			return -1;
		*r0 = a.test.retval;
		/* Timed here, like the other engines: the kernel's own duration
		 * is whole ns per run, too coarse for programs of ~10 ns. The
		 * call's setup is in this time, and in the empty program's, so
		 * it cancels in the net figures. */
		break;
	}
	default: {
		uint32_t flags = e == E_INTERP ? EXOBPF_RUN_INTERP : e == E_CHECKED ? EXOBPF_RUN_CHECKED : 0;
		/* the same packet either way: as the XDP context's data, or as r1 */
		EXOBPF_OPTS(exobpf_run_opts, o, .data_in = s->pkt, .data_size_in = s->b->pkt_len,
			    .repeat = n, .flags = flags);
		if (exobpf_prog__run(s->prog, &o))
			return -1;
		*r0 = o.retval;
	}
	}
	return now_ns() - t0;
}

/* A number in a column, or "-" where there is none. */
static void cell(bool ok, double v, int width, const char *suffix)
{
	if (ok)
		printf(" %*.*f%s", width - (int)strlen(suffix), width > 9 ? 1 : 2, v, suffix);
	else
		printf(" %*s", width, "-");
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* How the JIT/Linux-net ratio moves from trial to trial (each trial pairs
 * the two engines' times, measured one after the other on fresh loads). */
static void print_spread(double (*jk)[2], int trials, double kernel_empty)
{
	double r[MAX_TRIALS];
	int n = 0, under = 0;

	for (int t = 0; t < trials; t++)
		if (jk[t][0] > 0 && jk[t][1] - kernel_empty > 0) {
			r[n] = jk[t][0] / (jk[t][1] - kernel_empty);
			under += r[n] <= 1.0;
			n++;
		}
	if (n < 2)
		return;
	qsort(r, (size_t)n, sizeof(double), cmp_double);
	printf("  its trials, each against Linux's in the same trial: %.2fx to %.2fx, %d of %d at "
	       "or under 1.00x\n",
	       r[0], r[n - 1], under, n);
}

/* ---- loading ---- */

/* exobpf's program: the XDP entry (verified), or the raw-memory one. */
static struct exobpf_prog *exo_load(const struct bench *b, const struct bpf_insn *insns,
				    size_t cnt, bool raw)
{
	EXOBPF_OPTS(exobpf_prog_opts, po, .name = b->name,
		    .type = raw ? EXOBPF_PROG_TYPE_RAW : BPF_PROG_TYPE_XDP,
		    .license = raw ? NULL : "GPL");
	return exobpf_prog__new(insns, cnt, &po);
}

/* The same programs loaded again (each before the old one goes, so the new
 * machine code lands elsewhere); on failure the old ones stay. */
static void reload(struct subject *s, const struct bpf_insn *insns, size_t cnt,
		   const struct bpf_insn *kinsns, size_t kcnt)
{
	struct exobpf_prog *p = exo_load(s->b, insns, cnt, s->raw);
	if (p && exobpf_prog__is_jited(p)) {
		exobpf_prog__free(s->prog);
		s->prog = p;
	} else {
		exobpf_prog__free(p);
	}
	if (s->kfd >= 0) {
		int fd = kernel_load(kinsns, kcnt);
		if (fd >= 0) {
			close(s->kfd);
			s->kfd = fd;
		}
	}
}

static int kernel_prog_info(int fd, struct bpf_prog_info *info)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.info.bpf_fd = (uint32_t)fd;
	a.info.info_len = sizeof(*info);
	a.info.info = (uintptr_t)info;
	return (int)sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &a);
}

/* Linux's machine code for the program fd, disassembled (BENCH_CODE). */
static void print_kernel_code(const char *name, int fd)
{
	struct bpf_prog_info info;
	uint8_t *code = NULL;
	cs_insn *ci = NULL;
	size_t n = 0;
	uint32_t len;
	csh cs;

	memset(&info, 0, sizeof(info));
	if (kernel_prog_info(fd, &info) == 0 && (len = info.jited_prog_len) &&
	    (code = malloc(len))) {
		memset(&info, 0, sizeof(info));
		info.jited_prog_len = len;
		info.jited_prog_insns = (uintptr_t)code;
		if (kernel_prog_info(fd, &info) == 0 &&
		    cs_open(CS_ARCH_X86, CS_MODE_64, &cs) == CS_ERR_OK) {
			n = cs_disasm(cs, code, len, 0, 0, &ci);
			printf("== %s: Linux's JIT, %u bytes\n", name, len);
			for (size_t i = 0; i < n; i++)
				printf("%7lu:  %s %s\n", (unsigned long)ci[i].address,
				       ci[i].mnemonic, ci[i].op_str);
			cs_free(ci, n);
			cs_close(&cs);
		}
	}
	if (!n)
		printf("== %s: Linux's machine code is not readable here (%s)\n", name,
		       strerror(errno));
	free(code);
}

static int read_program(const char *dir, const char *name, const char *variant,
			struct bpf_insn **insns, size_t *cnt)
{
	char path[4096];
	FILE *f;
	long size;

	snprintf(path, sizeof(path), "%s/%s%s.bin", dir, name, variant);
	f = fopen(path, "rb");
	if (!f)
		return -errno;
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	rewind(f);
	*insns = malloc((size_t)size);
	if (!*insns || size % 8 || fread(*insns, 1, (size_t)size, f) != (size_t)size) {
		fclose(f);
		free(*insns);
		return -EINVAL;
	}
	fclose(f);
	*cnt = (size_t)size / 8;
	return 0;
}

/* The lddw instructions naming the map (NAME.relocs: one index a line). */
static void point_at_map(const char *dir, const char *name, const char *variant,
			 struct bpf_insn *insns, size_t cnt, int fd)
{
	char path[4096];
	unsigned idx;

	snprintf(path, sizeof(path), "%s/%s%s.relocs", dir, name, variant);
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	while (fscanf(f, "%u", &idx) == 1)
		if (idx + 1 < cnt) {
			insns[idx].src_reg = BPF_PSEUDO_MAP_FD;
			insns[idx].imm = fd;
		}
	fclose(f);
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "build/bench";
	double target_ms = getenv("BENCH_MS") ? atof(getenv("BENCH_MS")) : 30;
	int trials = getenv("BENCH_TRIALS") ? atoi(getenv("BENCH_TRIALS")) : 7;
	bool best = getenv("BENCH_STAT") && !strcmp(getenv("BENCH_STAT"), "best");
	bool code = getenv("BENCH_CODE") && strcmp(getenv("BENCH_CODE"), "0");
	double med[NR_BENCHES][NR_ENGINES];
	/* the gcc twin's slowest trial over its fastest: its code never moves,
	 * so what it varies by is the machine's noise, not code placement */
	double noise[NR_BENCHES] = {0};
	/* each trial's JIT and Linux times, in trial order: the spread of the
	 * ratio says whether a figure near 1.00x is a difference or noise */
	static double jk[NR_BENCHES][MAX_TRIALS][2];
	bool have[NR_BENCHES][NR_ENGINES];
	bool kernel_ok = true, bad = false;
	static char notes[NR_BENCHES][320];
	unsigned nnotes = 0;
	int xfd = -1, kmap = -1;

	memset(have, 0, sizeof(have));
	if (trials < 1)
		trials = 1;
	if (trials > MAX_TRIALS)
		trials = MAX_TRIALS;
	exobpf_set_print(NULL);
	if (!code)
		printf("exobpf benchmarks: ns per run, %s of %d trials of ~%.0f ms per engine (CPU "
		       "time)\n\n",
		       best ? "best" : "median", trials, target_ms);
	for (unsigned bi = 0; bi < NR_BENCHES; bi++) {
		const struct bench *b = &benches[bi];
		struct subject s = {.b = b, .kfd = -1};
		struct bpf_insn *insns = NULL, *kinsns;
		size_t cnt = 0;
		uint32_t n[NR_ENGINES];
		bool wanted = argc <= 2;

		for (int a = 2; a < argc; a++)
			wanted |= !strcmp(argv[a], b->name) || (!code && !strcmp(b->name, "empty"));
		if (!wanted)
			continue;
		if (read_program(dir, b->name, "", &insns, &cnt)) {
			fprintf(stderr, "%s: cannot read %s/%s.bin (make bench builds it)\n", b->name, dir,
				b->name);
			return 1;
		}
		s.pkt = calloc(1, b->pkt_len);
		fill_packet(b, s.pkt);
		size_t kcnt = cnt;
		kinsns = malloc(cnt * sizeof(*insns));
		memcpy(kinsns, insns, cnt * sizeof(*insns));
		if (b->map) {
			xfd = exobpf_map_create(BPF_MAP_TYPE_HASH, "counts", 4, 8, 1024, NULL);
			bench_native_map = exo_map_get(xfd);
			point_at_map(dir, b->name, "", insns, cnt, xfd);
			kmap = kernel_map();
			point_at_map(dir, b->name, "", kinsns, cnt, kmap);
		}
		s.prog = exo_load(b, insns, cnt, false);
		if (!s.prog) { /* the raw-memory entry, unverified */
			char why[256];
			snprintf(why, sizeof(why), "%s", exobpf_errmsg());
			free(insns);
			if (read_program(dir, b->name, ".raw", &insns, &cnt)) {
				fprintf(stderr, "%s: exobpf: %s; no raw variant\n", b->name, why);
				return 1;
			}
			if (b->map)
				point_at_map(dir, b->name, ".raw", insns, cnt, xfd);
			s.prog = exo_load(b, insns, cnt, true);
			s.raw = true;
			snprintf(notes[nnotes++], sizeof(notes[0]), "%s: exobpf ran the raw entry (%s)",
				 b->name, why);
		}
		if (!s.prog || !exobpf_prog__is_jited(s.prog)) {
			fprintf(stderr, "%s: exobpf: %s\n", b->name,
				s.prog ? "not JIT-compiled" : exobpf_errmsg());
			return 1;
		}
		s.kfd = kernel_load(kinsns, kcnt);
		if (s.kfd < 0) {
			if (kernel_ok)
				fprintf(stderr, "%s: the kernel refused the program (%s)%s%s\n", b->name,
					strerror(errno), klog[0] ? ":\n" : "",
					klog + (strlen(klog) > 2000 ? strlen(klog) - 2000 : 0));
			kernel_ok = errno != EPERM && errno != ENOSYS;
		}
		if (code) {
			printf("== %s: exobpf's JIT%s\n", b->name, s.raw ? " (the raw entry)" : "");
			exobpf_prog__dump_jited(s.prog, stdout, 0);
			if (s.kfd >= 0)
				print_kernel_code(b->name, s.kfd);
			else
				printf("== %s: Linux did not load it\n", b->name);
			printf("\n");
			goto next;
		}

		/* warm up, check results, calibrate n so a trial takes ~target_ms */
		uint64_t want = 0, got;
		run_n(&s, E_NATIVE, 3, &want);
		for (int e = 0; e < NR_ENGINES; e++) {
			if (e == E_KERNEL && s.kfd < 0)
				continue;
			if (run_n(&s, (enum engine)e, 3, &got) < 0) {
				fprintf(stderr, "%s: %s failed: %s\n", b->name, engine_names[e],
					e == E_KERNEL ? strerror(errno) : exobpf_errmsg());
				bad = true;
				continue;
			}
			if ((uint32_t)got != (uint32_t)want) {
				fprintf(stderr, "%s: %s returned 0x%x, the native twin 0x%x\n", b->name,
					engine_names[e], (uint32_t)got, (uint32_t)want);
				bad = true;
				continue;
			}
			n[e] = 1;
			for (;;) {
				double t = run_n(&s, (enum engine)e, n[e], &got);
				if (t >= target_ms * 1e6 / 4 || n[e] >= (1u << 30))
					break;
				n[e] *= t < target_ms * 1e6 / 64 ? 8 : 2;
			}
			n[e] *= 4;
			have[bi][e] = true;
		}
		double samples[NR_ENGINES][MAX_TRIALS];
		for (int t = 0; t < trials; t++) {
			/* Each trial on a new load: where the machine code lands
			 * moves some loops' times by 20-40% on one CPU (the
			 * kernel's as much as ours), so one load is one sample. */
			if (t)
				reload(&s, insns, cnt, kinsns, kcnt);
			for (int e = 0; e < NR_ENGINES; e++)
				if (have[bi][e])
					samples[e][t] = run_n(&s, (enum engine)e, n[e], &got) / n[e];
			jk[bi][t][0] = have[bi][E_JIT] ? samples[E_JIT][t] : 0;
			jk[bi][t][1] = have[bi][E_KERNEL] ? samples[E_KERNEL][t] : 0;
		}
		for (int e = 0; e < NR_ENGINES; e++) {
			if (!have[bi][e])
				continue;
			qsort(samples[e], (size_t)trials, sizeof(double), cmp_double);
			med[bi][e] = samples[e][best ? 0 : trials / 2];
		}
		if (have[bi][E_NATIVE] && samples[E_NATIVE][0] > 0)
			noise[bi] = samples[E_NATIVE][trials - 1] / samples[E_NATIVE][0] - 1;
		printf("%-9s %4zu insns%s  %s\n", b->name, cnt, s.raw ? " (raw)" : "", b->what);
	next:
		fflush(stdout);
		exobpf_prog__free(s.prog);
		if (s.kfd >= 0)
			close(s.kfd);
		if (b->map) {
			exo_map_put(bench_native_map);
			bench_native_map = NULL;
			close(xfd);
			close(kmap);
		}
		free(s.pkt);
		free(insns);
		free(kinsns);
	}

	if (code)
		return 0;
	/* the table */
	unsigned empty = NR_BENCHES - 1;
	printf("\n%-9s", "ns/run");
	for (int e = 0; e < NR_ENGINES; e++)
		printf(" %11s", engine_names[e]);
	printf(" %11s |%9s %9s %9s %9s\n", "Linux net", "JIT/C", "interp/C", "checked/C",
	       "JIT/Linux");
	double lg[4] = {0};
	unsigned nlg[4] = {0};
	double worst = 0;
	const char *worst_name = "";
	unsigned worst_bi = 0;
	for (unsigned bi = 0; bi < NR_BENCHES; bi++) {
		if (!have[bi][E_NATIVE])
			continue;
		printf("%-9s", benches[bi].name);
		for (int e = 0; e < NR_ENGINES; e++)
			cell(have[bi][e], have[bi][e] ? med[bi][e] : 0, 11, "");
		bool knet = have[bi][E_KERNEL] && have[empty][E_KERNEL] && bi != empty;
		double net = knet ? med[bi][E_KERNEL] - med[empty][E_KERNEL] : 0;
		cell(knet, net, 11, "");
		printf(" |");
		if (bi == empty) {
			printf("  (fixed cost per run)\n");
			continue;
		}
		double c = med[bi][E_NATIVE];
		double r[4] = {med[bi][E_JIT] / c, med[bi][E_INTERP] / c, med[bi][E_CHECKED] / c,
			       knet && net > 0 && have[bi][E_JIT] ? med[bi][E_JIT] / net : 0};
		for (int k = 0; k < 4; k++) {
			bool ok = k < 3 ? have[bi][k + 1] : r[3] > 0;
			cell(ok, r[k], 9, "x");
			if (ok) {
				lg[k] += log(r[k]);
				nlg[k]++;
			}
		}
		if (r[3] > worst) {
			worst = r[3];
			worst_bi = bi;
			worst_name = benches[bi].name;
		}
		printf("\n");
	}
	printf("%-9s", "geomean");
	for (int e = 0; e < NR_ENGINES + 1; e++)
		printf(" %11s", "");
	printf(" |");
	for (int k = 0; k < 4; k++)
		cell(nlg[k], nlg[k] ? exp(lg[k] / nlg[k]) : 0, 9, "x");
	printf("\n\n");
	for (unsigned i = 0; i < nnotes; i++)
		printf("note: %s\n", notes[i]);
	if (nlg[0])
		printf("JIT vs gcc -O2: geomean %.2fx (target <= 1.30x)\n", exp(lg[0] / nlg[0]));
	if (nlg[1])
		printf("interpreter vs gcc -O2: geomean %.2fx (target <= 40x); checked %.2fx\n",
		       exp(lg[1] / nlg[1]), nlg[2] ? exp(lg[2] / nlg[2]) : 0);
	if (nlg[3]) {
		printf("JIT vs Linux's JIT net of its %.1f ns per-run cost: worst %s at %.2fx "
		       "(target <= 1.00x)\n",
		       med[empty][E_KERNEL], worst_name, worst);
		print_spread(jk[worst_bi], trials, med[empty][E_KERNEL]);
	} else if (!kernel_ok)
		printf("Linux's JIT: not measured (bpf() refused)\n");
	int noisiest = -1;
	for (unsigned bi = 0; trials > 1 && bi < empty; bi++) /* not empty: 1 ns moves it 50% */
		if (have[bi][E_NATIVE] && (noisiest < 0 || noise[bi] > noise[noisiest]))
			noisiest = (int)bi;
	if (noisiest >= 0) {
		long pct = lround(100 * noise[noisiest]);
		printf("machine noise: the gcc -O2 twins' trials varied by up to %ld%% (%s)%s\n",
		       pct, benches[noisiest].name,
		       pct > 10 ? "; a busy machine: ratios near 1.00x mean little" : "");
	}
	return bad ? 1 : 0;
}
