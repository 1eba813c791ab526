/* Errors are values: every failing call returns -errno and leaves a message
 * naming the input and the place, readable with exobpf_errmsg(). */
#ifndef EXOBPF_ERR_H
#define EXOBPF_ERR_H

#include "exobpf/common.h"

/* Record a message, set errno = err and return -err. */
int exo_err(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prefix the current message with "prefix: " (adds context on the way up). */
void exo_err_prefix(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print through the user's callback. */
void exo_pr(enum exobpf_print_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define exo_warn(...)  exo_pr(EXOBPF_WARN, __VA_ARGS__)
#define exo_info(...)  exo_pr(EXOBPF_INFO, __VA_ARGS__)
#define exo_debug(...) exo_pr(EXOBPF_DEBUG, __VA_ARGS__)

#endif
