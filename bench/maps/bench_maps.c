/* Map operations from a program, exobpf next to the kernel, in one run:
 * the same assembled program (a loop of N lookups or updates) runs on
 * exobpf (its default engine, the JIT) with exobpf maps and, through
 * BPF_PROG_TEST_RUN, on the kernel with the kernel's maps of the same type.
 * Prints ns per operation for each and the ratio; never passes or fails on
 * time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "exobpf/exobpf.h"
#include "../../tests/unit/util.h"

#define N      1000 /* map operations per program run */
#define REPEAT 2000

static const char *lookup_prog = "r6 = 0\n"
				 "r7 = 0\n"
				 "loop:\n"
				 "r1 = r6\n"
				 "r1 &= 63\n"
				 "*(u32 *)(r10 -4) = r1\n"
				 "r1 = map[fd:%d]\n"
				 "r2 = r10\n"
				 "r2 += -4\n"
				 "call bpf_map_lookup_elem\n"
				 "if r0 == 0 goto next\n"
				 "r1 = *(u64 *)(r0 +0)\n"
				 "r7 += r1\n"
				 "next:\n"
				 "r6 += 1\n"
				 "if r6 < %d goto loop\n"
				 "r0 = r7\n"
				 "exit\n";

static const char *update_prog = "r6 = 0\n"
				 "loop:\n"
				 "r1 = r6\n"
				 "r1 &= 63\n"
				 "*(u32 *)(r10 -4) = r1\n"
				 "*(u64 *)(r10 -16) = r6\n"
				 "r1 = map[fd:%d]\n"
				 "r2 = r10\n"
				 "r2 += -4\n"
				 "r3 = r10\n"
				 "r3 += -16\n"
				 "r4 = 0\n"
				 "call bpf_map_update_elem\n"
				 "r6 += 1\n"
				 "if r6 < %d goto loop\n"
				 "r0 = 0\n"
				 "exit\n";

static struct bpf_insn *assemble(const char *fmt, int fd, size_t *cnt)
{
	char text[2048];
	struct bpf_insn *insns;

	snprintf(text, sizeof(text), fmt, fd, N);
	if (exobpf_asm(text, "bench.s", &insns, cnt)) {
		fprintf(stderr, "asm: %s\n", exobpf_errmsg());
		exit(1);
	}
	return insns;
}

static double exo_ns(const char *fmt, int fd)
{
	size_t cnt;
	struct bpf_insn *insns = assemble(fmt, fd, &cnt);
	struct exobpf_prog *p = exobpf_prog__new(insns, cnt, NULL);
	EXOBPF_OPTS(exobpf_run_opts, o, .repeat = REPEAT);

	struct timespec t0, t1;

	free(insns);
	/* the thread's CPU time, as bench/bench.c: the run's own duration is
	 * the wall clock, which on a shared machine charges other tenants'
	 * work to exobpf (the kernel's test-run timer excludes it) */
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
	if (!p || exobpf_prog__run(p, &o)) {
		fprintf(stderr, "exobpf: %s\n", exobpf_errmsg());
		exit(1);
	}
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
	exobpf_prog__free(p);
	return ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) /
	       REPEAT / N;
}

static double kernel_ns(const char *fmt, int fd)
{
	size_t cnt;
	struct bpf_insn *insns = assemble(fmt, fd, &cnt);
	int pfd = kbpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, insns, cnt, NULL, 0, 0);
	union bpf_attr a;
	uint8_t data[64] = {0};

	free(insns);
	if (pfd < 0)
		return -1;
	memset(&a, 0, sizeof(a));
	a.test.prog_fd = (uint32_t)pfd;
	a.test.data_in = (uintptr_t)data;
	a.test.data_size_in = sizeof(data);
	a.test.repeat = REPEAT;
	long r = kbpf_sys(BPF_PROG_TEST_RUN, &a);
	close(pfd);
	return r < 0 ? -1 : (double)a.test.duration / N;
}

static void fill(int efd, int kfd)
{
	for (uint32_t k = 0; k < 64; k++) {
		uint64_t v = k;
		exobpf_map_update_elem(efd, &k, &v, 0);
		if (kfd >= 0)
			kbpf_map_update(kfd, &k, &v, 0);
	}
}

int main(void)
{
	static const struct {
		const char *name;
		enum bpf_map_type type;
		const char *prog;
	} work[] = {
	    {"array lookup", BPF_MAP_TYPE_ARRAY, NULL},
	    {"array update", BPF_MAP_TYPE_ARRAY, NULL},
	    {"hash lookup", BPF_MAP_TYPE_HASH, NULL},
	    {"hash update", BPF_MAP_TYPE_HASH, NULL},
	};
	char dir[] = "/dev/shm/exobpf-bench-XXXXXX";

	if (!mkdtemp(dir))
		return 1;
	exobpf_set_pin_dir(dir);
	printf("%-14s %12s %12s %8s\n", "work", "exobpf ns/op", "kernel ns/op", "ratio");
	for (size_t i = 0; i < sizeof(work) / sizeof(work[0]); i++) {
		const char *prog = i % 2 ? update_prog : lookup_prog;
		int efd = exobpf_map_create(work[i].type, "bench", 4, 8, 64, NULL);
		int kfd = kbpf_available() ? kbpf_map_create(work[i].type, 4, 8, 64, 0, 0, 0) : -1;
		double e, k;

		fill(efd, kfd);
		e = exo_ns(prog, efd);
		k = kfd >= 0 ? kernel_ns(prog, kfd) : -1;
		if (k > 0)
			printf("%-14s %12.1f %12.1f %8.2f\n", work[i].name, e, k, e / k);
		else
			printf("%-14s %12.1f %12s %8s\n", work[i].name, e, "n/a", "n/a");
		close(efd);
		if (kfd >= 0)
			close(kfd);
	}
	rmdir(dir);
	return 0;
}
