/* Reading memory that may not be there, without faulting (bpf_probe_read*). */
#ifndef EXOBPF_HELPERS_PROBE_H
#define EXOBPF_HELPERS_PROBE_H

#include <stddef.h>

/* Copy size bytes; 0, or -EFAULT with dst zeroed (as Linux). */
long exo_probe_read(void *dst, size_t size, const void *src);
/* Copy a NUL-terminated string of at most size - 1 characters plus the NUL;
 * returns the bytes written including the NUL, or -EFAULT with dst zeroed. */
long exo_probe_read_str(char *dst, size_t size, const void *src);

#endif
