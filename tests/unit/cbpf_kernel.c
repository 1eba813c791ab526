#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/seccomp.h>

#include "cbpf_kernel.h"

static int attach(int fd, const struct sock_filter *insns, size_t cnt)
{
	struct sock_fprog prog = {.len = (unsigned short)cnt,
				  .filter = (struct sock_filter *)insns};

	if (cnt > 0xffff)
		return -EINVAL; /* sock_fprog.len is 16 bits */
	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) ? -errno : 0;
}

int ksock_check(const struct sock_filter *insns, size_t cnt)
{
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0), err;

	if (fd < 0)
		return -errno;
	err = attach(fd, insns, cnt);
	close(fd);
	return err;
}

int ksock_open(struct ksock *k, const struct sock_filter *insns, size_t cnt)
{
	int sv[2], err;

	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv))
		return -errno;
	/* room for the largest packets the tests send */
	int size = 1 << 20;
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if ((err = attach(sv[1], insns, cnt))) {
		close(sv[0]);
		close(sv[1]);
		return err;
	}
	k->tx = sv[0];
	k->rx = sv[1];
	return 0;
}

long ksock_send(struct ksock *k, const void *pkt, size_t len)
{
	static uint8_t buf[1 << 17];

	if (len > sizeof(buf))
		return -EMSGSIZE;
	/* unix_dgram_sendmsg runs the receiver's filter before queueing, so
	 * once send() returns the packet is either queued or gone */
	if (send(k->tx, pkt, len, 0) != (ssize_t)len)
		return -errno;
	ssize_t n = recv(k->rx, buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 0)
		return errno == EAGAIN ? -1 : -errno;
	return n;
}

void ksock_close(struct ksock *k)
{
	close(k->tx);
	close(k->rx);
}

/* Shared with the children: what they saw, written without system calls
 * (the filter may kill them at their next one). */
struct shared {
	int installed; /* 1 ok, else -errno */
	int returned;
	long ret;
	int err;
	int done; /* the child has nothing more to do: the parent ends it */
};

static int child_install(const struct sock_filter *insns, size_t cnt)
{
	struct sock_fprog prog = {.len = (unsigned short)cnt,
				  .filter = (struct sock_filter *)insns};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog))
		return -errno;
	return 1;
}

static int run_child(const struct sock_filter *insns, size_t cnt, long nr, const uint64_t *args,
		     struct kseccomp_outcome *out)
{
	struct shared *sh =
	    mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int status, result;

	if (sh == MAP_FAILED)
		return -errno;
	memset(sh, 0, sizeof(*sh));
	if (cnt > 0xffff) {
		munmap(sh, sizeof(*sh));
		return -EINVAL;
	}
	pid_t pid = fork();
	if (pid < 0) {
		munmap(sh, sizeof(*sh));
		return -errno;
	}
	if (pid == 0) {
		sh->installed = child_install(insns, cnt);
		if (sh->installed == 1 && args) {
			long r = syscall(nr, args[0], args[1], args[2], args[3], args[4], args[5]);
			sh->err = r == -1 ? errno : 0;
			sh->ret = r;
			sh->returned = 1;
		}
		/* A filter may refuse every system call, exit_group included,
		 * and a sanitizer's exit path makes calls of its own; so the
		 * child exits by the parent's SIGKILL, making no more calls. */
		__atomic_store_n(&sh->done, 1, __ATOMIC_SEQ_CST);
		for (;;)
			__asm__ volatile("pause");
	}
	bool killed = false;
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			break;
		if (w < 0) {
			munmap(sh, sizeof(*sh));
			return -errno;
		}
		if (__atomic_load_n(&sh->done, __ATOMIC_SEQ_CST) && !killed) {
			kill(pid, SIGKILL);
			killed = true;
		}
		usleep(100);
	}
	result = sh->installed == 1 ? 0 : sh->installed ? sh->installed : -ECHILD;
	if (out) {
		memset(out, 0, sizeof(*out));
		/* the SIGKILL that ends a child which finished is not a verdict */
		out->killed_by = WIFSIGNALED(status) && !killed ? WTERMSIG(status) : 0;
		if (sh->returned) {
			out->ret = sh->ret;
			out->err = sh->err;
		}
	}
	munmap(sh, sizeof(*sh));
	return result;
}

int kseccomp_check(const struct sock_filter *insns, size_t cnt)
{
	return run_child(insns, cnt, 0, NULL, NULL);
}

int kseccomp_run(const struct sock_filter *insns, size_t cnt, long nr, const uint64_t args[6],
		 struct kseccomp_outcome *out)
{
	return run_child(insns, cnt, nr, args, out);
}
