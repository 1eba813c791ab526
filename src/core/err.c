#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/opts.h"

static __thread char last_msg[1024];

static int default_print(enum exobpf_print_level level, const char *fmt, va_list args)
{
	if (level > EXOBPF_WARN)
		return 0;
	return vfprintf(stderr, fmt, args);
}

static exobpf_print_fn_t print_fn = default_print;

EXOBPF_API exobpf_print_fn_t exobpf_set_print(exobpf_print_fn_t fn)
{
	exobpf_print_fn_t old = print_fn;

	print_fn = fn;
	return old;
}

EXOBPF_API const char *exobpf_errmsg(void)
{
	return last_msg[0] ? last_msg : "no error";
}

int exo_err(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_msg, sizeof(last_msg), fmt, ap);
	va_end(ap);
	errno = err;
	return -err;
}

void exo_err_prefix(const char *fmt, ...)
{
	char prefix[256], old[sizeof(last_msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, last_msg, sizeof(old));
	/* Truncation is acceptable: the message stays a readable prefix. */
	size_t n = strlen(prefix);
	if (n + 2 < sizeof(last_msg)) {
		memcpy(last_msg, prefix, n);
		memcpy(last_msg + n, ": ", 2);
		size_t room = sizeof(last_msg) - n - 3, m = strnlen(old, room);
		memcpy(last_msg + n + 2, old, m);
		last_msg[n + 2 + m] = '\0';
	}
}

void exo_pr(enum exobpf_print_level level, const char *fmt, ...)
{
	exobpf_print_fn_t fn = print_fn;
	va_list ap;

	if (!fn)
		return;
	va_start(ap, fmt);
	fn(level, fmt, ap);
	va_end(ap);
}

bool exo_opts_valid(const void *opts, size_t user_sz, size_t our_sz, const char *name)
{
	if (!opts)
		return true;
	if (user_sz < sizeof(size_t)) {
		exo_err(EINVAL, "%s: sz %zu is too small", name, user_sz);
		return false;
	}
	for (size_t i = our_sz; i < user_sz; i++)
		if (((const char *)opts)[i]) {
			exo_err(EINVAL, "%s: unknown non-zero field at offset %zu", name, i);
			return false;
		}
	return true;
}
