/* The traced side of bench/tracing: N calls of a probed function or N
 * getppid system calls, timed inside the target; prints ns per iteration. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

__attribute__((noinline)) long bench_fn(long x)
{
	__asm__ volatile("" ::: "memory");
	return x + 1;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	long n, sum = 0;
	double t;

	if (argc != 3 || (strcmp(argv[1], "func") && strcmp(argv[1], "sys")))
		return 2;
	n = atol(argv[2]);
	t = now();
	if (!strcmp(argv[1], "func"))
		for (long i = 0; i < n; i++)
			sum += bench_fn(i);
	else
		for (long i = 0; i < n; i++)
			sum += syscall(SYS_getppid);
	t = now() - t;
	printf("%.1f\n", t / (double)n);
	return sum == 42; /* keeps the loop */
}
