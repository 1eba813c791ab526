/* A PIE target for the uprobe tests: calls into its shared library
 * (lib_add; lib_mix, six arguments) and into itself (self_mul, six arguments), from the main thread,
 * a second thread and a forked child, a known number of times. */
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

int lib_add(int a, int b);
long lib_mix(long a, long b, long c, long d, long e, long f);

__attribute__((noinline)) long self_mul(long a, long b, long c, long d, long e, long f)
{
	__asm__ volatile("" ::: "memory");
	return a * b + c * d + e * f;
}

static void *thread(void *arg)
{
	(void)arg;
	for (int i = 10; i < 13; i++)
		lib_add(i, 100);
	return NULL;
}

int main(void)
{
	pthread_t t;
	pid_t child;
	long sum = 0;

	for (int i = 1; i <= 5; i++)
		sum += lib_add(i, 2 * i);
	sum += self_mul(1, 2, 3, 4, 5, 6);
	sum += lib_mix(1, 2, 3, 4, 5, 6);
	pthread_create(&t, NULL, thread, NULL);
	pthread_join(t, NULL);
	child = fork();
	if (child == 0) {
		lib_add(20, 1);
		_exit(0);
	}
	waitpid(child, NULL, 0);
	return sum == 45 + 44 + 44 ? 0 : 1;
}
