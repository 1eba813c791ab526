/* Linux's bpf_snprintf / bpf_trace_printk formatting (see format.c). */
#ifndef EXOBPF_HELPERS_FORMAT_H
#define EXOBPF_HELPERS_FORMAT_H

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* Format into buf (always NUL-terminated when size > 0); returns the length
 * the whole output needs (without the NUL), or -EINVAL for a format Linux
 * rejects or more specifiers than nargs. */
int exo_bprintf(char *buf, size_t size, const char *fmt, size_t fmt_len, const uint64_t *args,
		unsigned nargs);

#endif
