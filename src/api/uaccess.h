/* The caller's memory, reached as the kernel reaches user memory: a pointer
 * in an attribute may be anything, and a bad one is EFAULT, never a crash.
 * Copies go through process_vm_readv/writev on ourselves (which fail
 * cleanly on unmapped or protected memory); where those calls are refused
 * (a seccomp filter) NULL is still EFAULT and other pointers are trusted. */
#ifndef EXOBPF_API_UACCESS_H
#define EXOBPF_API_UACCESS_H

#include <stddef.h>
#include <stdint.h>

/* 0 or -EFAULT. len 0 always succeeds (as copy_from_user of nothing). */
int api_copy_from_user(void *dst, uint64_t src, size_t len);
int api_copy_to_user(uint64_t dst, const void *src, size_t len);
/* Zero len bytes of the caller's memory: 0 or -EFAULT. */
int api_clear_user(uint64_t dst, size_t len);
/* A NUL-terminated string of at most max-1 bytes into dst (always
 * terminated): its length, or -EFAULT. A string longer than max-1 is cut,
 * as strncpy_from_user cuts it (the caller decides whether that is an
 * error). */
long api_strncpy_from_user(char *dst, uint64_t src, size_t max);
/* Freshly allocated copy of len bytes (NULL with -EFAULT or -ENOMEM in
 * *err); len 0 gives a 1-byte allocation. */
void *api_memdup_user(uint64_t src, size_t len, int *err);

#endif
