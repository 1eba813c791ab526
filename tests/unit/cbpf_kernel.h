/* Linux's own classic BPF as a test oracle: the socket filter checker and
 * runtime (SO_ATTACH_FILTER on an AF_UNIX datagram socket, where the filter
 * runs synchronously inside send() and decides what recv() sees) and seccomp
 * (filters installed in forked children). No privilege is needed for
 * either; callers still skip cleanly when the kernel refuses. */
#ifndef EXOBPF_TEST_CBPF_KERNEL_H
#define EXOBPF_TEST_CBPF_KERNEL_H

#include <stddef.h>
#include <stdint.h>
#include <linux/filter.h>

/* Attach to a fresh socket: 0 if Linux accepts the program, else -errno. */
int ksock_check(const struct sock_filter *insns, size_t cnt);

/* A datagram socket pair whose receiving end carries a filter. */
struct ksock {
	int tx, rx;
};

/* 0, or -errno when Linux refuses the program (or sockets). */
int ksock_open(struct ksock *k, const struct sock_filter *insns, size_t cnt);
/* Send one packet through the filter: the bytes delivered (Linux keeps
 * min(len, max(1, verdict))), -1 if the filter dropped it, or -errno. */
long ksock_send(struct ksock *k, const void *pkt, size_t len);
void ksock_close(struct ksock *k);

/* Install as a seccomp filter in a child: 0 if Linux accepts it, else -errno. */
int kseccomp_check(const struct sock_filter *insns, size_t cnt);

/* What a system call met under a seccomp filter, seen from the child. */
struct kseccomp_outcome {
	int killed_by; /* the signal that ended the child (SIGSYS for KILL/TRAP), or 0 */
	long ret;      /* the call's return value when it returned */
	int err;       /* errno when it returned -1 */
};

/* Install the filter in a child, then make system call nr with args. 0, or
 * -errno when the filter could not be installed. */
int kseccomp_run(const struct sock_filter *insns, size_t cnt, long nr, const uint64_t args[6],
		 struct kseccomp_outcome *out);

#endif
