/* What exobpf exec refuses on the perf event path, each with an errno and
 * a reason on stderr: a tracepoint event (where libbpf's legacy tracefs
 * uprobes end up), a uprobe on another process. A counting event that is
 * the kernel's still reaches the kernel. Prints one line per attempt. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>

static void try(const char *what, struct perf_event_attr *a, pid_t pid, int cpu)
{
	long fd = syscall(SYS_perf_event_open, a, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC);

	printf("%s: %s\n", what, fd >= 0 ? "ok" : strerror(errno));
	if (fd >= 0)
		close((int)fd);
}

int main(int argc, char **argv)
{
	struct perf_event_attr a;
	FILE *f = fopen("/sys/bus/event_source/devices/uprobe/type", "r");
	int type = -1;

	if (f && fscanf(f, "%d", &type) != 1)
		type = -1;
	if (f)
		fclose(f);
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_TRACEPOINT;
	a.config = 1;
	try("tracepoint", &a, -1, 0);
	a.type = PERF_TYPE_SOFTWARE;
	a.config = PERF_COUNT_SW_DUMMY;
	try("software dummy", &a, 0, -1);
	if (type >= 0 && argc > 1) {
		a.type = (unsigned)type;
		a.config = 0;
		a.config1 = (unsigned long)argv[0];
		a.config2 = strtoull(argv[1], NULL, 0);
		try("uprobe on pid 1", &a, 1, -1);
	}
	return 0;
}
