/* A target for the syscall tracepoint tests: opens from the main thread, two
 * named threads and a forked child, each of one file that exists and one
 * that does not, all under DIR (argv[1]). The threads run one after the
 * other so the expected order is fixed. */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *dir;

static void opens(const char *who)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/exists", dir);
	fd = open(path, O_RDONLY);
	if (fd >= 0)
		close(fd);
	snprintf(path, sizeof(path), "%s/missing-%s", dir, who);
	open(path, O_RDONLY);
}

static void *thread(void *name)
{
	prctl(PR_SET_NAME, name);
	opens(name);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t;
	pid_t child;

	if (argc != 2)
		return 2;
	dir = argv[1];
	prctl(PR_SET_NAME, "opens-main");
	opens("main");
	pthread_create(&t, NULL, thread, "opens-t1");
	pthread_join(t, NULL);
	pthread_create(&t, NULL, thread, "opens-t2");
	pthread_join(t, NULL);
	child = fork();
	if (child == 0) {
		prctl(PR_SET_NAME, "opens-child");
		opens("child");
		_exit(0);
	}
	waitpid(child, NULL, 0);
	printf("%d %d\n", (int)getpid(), (int)child);
	return 0;
}
