/* SPDX-License-Identifier: MIT */
/* exobpf: the bpf() system call, in user space. exobpf_bpf takes Linux's
 * command numbers and union bpf_attr (Linux 6.18's layout; a smaller attr
 * from an older <linux/bpf.h> is fine) and answers as Linux does: the same
 * checks in the same order, the same errno values, fds of real files for
 * maps, programs, BTF objects and links, ids visible to every process.
 * See docs/decisions.md ("The bpf() layer") for what differs. */
#ifndef EXOBPF_BPF_H
#define EXOBPF_BPF_H

#include <stddef.h>
#include <sys/types.h>
#include <linux/bpf.h>

#include "exobpf/common.h"

/* bpf(cmd, attr, size): an fd or 0 on success, else a negative errno (also
 * left in errno) with exobpf_errmsg() saying which attribute was wrong.
 * attr is read and written as the kernel reads user memory: a bad pointer
 * in it is -EFAULT, never a crash. */
EXOBPF_API int exobpf_bpf(int cmd, union bpf_attr *attr, unsigned int size);

/* Is fd an exobpf object (map, program, BTF, link)? */
EXOBPF_API int exobpf_fd_is_object(int fd);

/* mmap() of a map fd with Linux's offsets: a BPF_F_MMAPABLE array's values
 * at offset 0, a ring buffer's consumer page at 0 and its producer page
 * followed by the data twice at one page. Returns the mapping, or
 * MAP_FAILED with errno (EINVAL for offsets and sizes Linux refuses, ENODEV
 * for maps that cannot be mapped, EPERM for writable mappings Linux
 * refuses). For other fds it is plain mmap(). */
EXOBPF_API void *exobpf_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
/* munmap() for what exobpf_mmap returned (ring buffers map more than asked). */
EXOBPF_API int exobpf_munmap(void *addr, size_t len);

/* ---- perf events (the attach path of libbpf: perf_event_open + ioctl) ---- */
struct perf_event_attr;

/* Is the event attr describes exobpf's? 1: the uprobe PMU (its type from
 * /sys/bus/event_source/devices/uprobe/type) or PERF_COUNT_SW_BPF_OUTPUT,
 * opened with exobpf_perf_event_open; 0: the kernel's (any other event);
 * -EOPNOTSUPP with the message set: kprobe and tracepoint events, which
 * would run programs in the kernel. */
EXOBPF_API int exobpf_perf_event_owned(const struct perf_event_attr *attr);
/* perf_event_open(2) for exobpf's events: an fd or -errno. A uprobe probes
 * the calling process (pid 0, -1 or its own; another pid is -EOPNOTSUPP);
 * its program runs when attached (PERF_EVENT_IOC_SET_BPF or LINK_CREATE
 * with BPF_PERF_EVENT), enabled or not, as in Linux. A BPF output event becomes a perf ring
 * at its first exobpf_mmap, (1 + 2^n) pages as Linux. */
EXOBPF_API int exobpf_perf_event_open(const struct perf_event_attr *attr, pid_t pid, int cpu,
				      int group_fd, unsigned long flags);
/* Is fd an exobpf perf event (not yet a ring)? */
EXOBPF_API int exobpf_perf_event_fd(int fd);
/* ioctl(2) on an exobpf perf event: PERF_EVENT_IOC_ENABLE, _DISABLE,
 * _SET_BPF (arg: a program fd), _RESET and _REFRESH; 0 or -errno. */
EXOBPF_API int exobpf_perf_event_ioctl(int fd, unsigned long req, unsigned long arg);
/* Tell exobpf that fd is about to be closed: a perf event's program is
 * detached (unless a link holds it), a BPF_PERF_EVENT link whose last fd
 * this is (and that is not pinned) detaches. */
EXOBPF_API void exobpf_fd_closing(int fd);

#endif
