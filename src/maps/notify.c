/* Waking consumers of ring buffers and perf rings, across processes.
 *
 * Each ring has a FIFO <pin dir>/.refs/wake-<id>. A consumer opens it
 * read-write (so it never sees end-of-file) and puts it in its epoll set; a
 * producer that must wake (Linux's rule: the consumer had caught up, or
 * BPF_RB_FORCE_WAKEUP) writes one byte without blocking. A full FIFO means
 * a wakeup is already pending. Without a FIFO (memfd maps) consumers poll. */
#include <fcntl.h>
#include <signal.h>
#include <time.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "maps/internal.h"

static int wake_path(uint32_t id, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s/.refs/wake-%u", store_dir(), id);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int notify_reader(struct exo_map *map)
{
	char path[PATH_MAX], dir[PATH_MAX];

	if (wake_path(map->id, path, sizeof(path)))
		return -1;
	snprintf(dir, sizeof(dir), "%s/.refs", store_dir());
	mkdir(dir, 0700);
	if (mkfifo(path, 0600) < 0 && errno != EEXIST)
		return -1;
	return open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
}

void notify_drain(int fd)
{
	char buf[256];

	while (fd >= 0 && read(fd, buf, sizeof(buf)) > 0)
		;
}

/* One byte to the FIFO; a reader that vanished must not kill us with
 * SIGPIPE (the library never touches signal dispositions), so the signal is
 * blocked around the write and a pending one taken back. False on EPIPE. */
static bool write_nosigpipe(int fd)
{
	sigset_t pipe, old;
	bool ok;

	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe, &old);
	ok = write(fd, "", 1) == 1 || errno != EPIPE;
	if (!ok && !sigismember(&old, SIGPIPE)) {
		struct timespec zero = {0, 0};
		sigtimedwait(&pipe, NULL, &zero);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return ok;
}

void notify_wake(struct exo_map *map)
{
	int fd = __atomic_load_n(&map->wake_fd, __ATOMIC_ACQUIRE);
	char path[PATH_MAX];

	if (fd == -1) {
		int expected = -1;

		/* no reader yet: ENXIO; try again on the next wakeup */
		if (wake_path(map->id, path, sizeof(path)) ||
		    (fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC)) < 0)
			return;
		if (!__atomic_compare_exchange_n(&map->wake_fd, &expected, fd, false,
						 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			close(fd);
			fd = expected;
		}
	}
	if (!write_nosigpipe(fd)) {
		/* every reader went away: reopen when one comes back */
		if (__atomic_compare_exchange_n(&map->wake_fd, &fd, -1, false, __ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE))
			close(fd);
	}
}
