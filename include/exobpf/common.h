/* SPDX-License-Identifier: MIT */
/* exobpf: what every public header shares - visibility, errors, the print callback. */
#ifndef EXOBPF_COMMON_H
#define EXOBPF_COMMON_H

#include <stdarg.h>
#include <stddef.h>

#define EXOBPF_API __attribute__((visibility("default")))

enum exobpf_print_level {
	EXOBPF_WARN,
	EXOBPF_INFO,
	EXOBPF_DEBUG,
};

typedef int (*exobpf_print_fn_t)(enum exobpf_print_level level, const char *fmt, va_list args);

/* Route the library's messages; returns the previous callback. The default
 * prints warnings to stderr. NULL silences the library. */
EXOBPF_API exobpf_print_fn_t exobpf_set_print(exobpf_print_fn_t fn);

/* Every call that fails returns a negative errno (and sets errno); this is the
 * message of the last failure on the calling thread, naming the input and the
 * place (file, section, instruction index). Never NULL. */
EXOBPF_API const char *exobpf_errmsg(void);

#endif
