/* A target for the syscall tracepoint tests: getppid four times, the last
 * one after changing its ids to uid 1234 / gid 5678; then openat with a bad
 * path pointer and with a path that does not exist. Linked statically, so
 * the loader opens nothing before main. */
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
	for (int i = 0; i < 3; i++)
		syscall(SYS_getppid);
	if (setgid(5678) || setuid(1234))
		return 1;
	syscall(SYS_getppid);
	syscall(SYS_openat, AT_FDCWD, (const char *)8, O_RDONLY);
	syscall(SYS_openat, AT_FDCWD, "/nonexistent/exobpf-sys-target", O_RDONLY);
	return 0;
}
