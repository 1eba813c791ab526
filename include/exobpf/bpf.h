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

#endif
