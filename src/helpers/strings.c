/* String helpers with Linux's semantics: bpf_strncmp, bpf_strtol,
 * bpf_strtoul (kernel/bpf/helpers.c), bpf_snprintf and bpf_trace_printk.
 *
 * trace_printk lines go to a trace pipe file - $EXOBPF_TRACE_PIPE, else
 * <pin dir>/trace_pipe - in the kernel's trace_pipe line shape, and also to
 * stderr when EXOBPF_TRACE_STDERR is set. */
#include <ctype.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>

#include "core/err.h"
#include "exobpf/map.h"
#include "helpers/format.h"
#include "helpers/helpers.h"

#define MAX_BPRINTF_VARARGS 12

/* Checked mode: [p, p+n) readable (or writable). */
static bool mem_ok(struct vm_run *run, const char *helper, uint64_t p, uint64_t n, bool write)
{
	if (!run->checked || !n || vm_mem_ok(run, (uintptr_t)p, n, write))
		return true;
	vm_fail(run, VM_FAULT_HELPER_ARG,
		"%s: %llu bytes at 0x%llx are outside the program's memory", helper,
		(unsigned long long)n, (unsigned long long)p);
	return false;
}

/* Checked mode: a NUL-terminated string inside the program's memory. */
static bool str_ok(struct vm_run *run, const char *helper, uint64_t p)
{
	for (uint64_t i = 0; run->checked; i++) {
		if (!vm_mem_ok(run, (uintptr_t)p + i, 1, false)) {
			vm_fail(
			    run, VM_FAULT_HELPER_ARG,
			    "%s: string at 0x%llx is not terminated inside the program's memory",
			    helper, (unsigned long long)p);
			return false;
		}
		if (!((const char *)(uintptr_t)p)[i])
			break;
	}
	return true;
}

/* The kernel's strncmp answers -1, 0 or 1. */
HELPER_FN(strncmp)
{
	const unsigned char *a = (const void *)(uintptr_t)r1, *b = (const void *)(uintptr_t)r3;

	if (!mem_ok(run, "bpf_strncmp", r1, (uint32_t)r2, false) || !str_ok(run, "bpf_strncmp", r3))
		return 0;
	for (uint32_t i = 0; i < (uint32_t)r2; i++) {
		if (a[i] != b[i])
			return (uint64_t)(a[i] < b[i] ? -1 : 1);
		if (!a[i])
			break;
	}
	return 0;
}

static int digit(int c, unsigned base)
{
	int v = isdigit(c) ? c - '0' : isxdigit(c) ? tolower(c) - 'a' + 10 : 99;
	return v < (int)base ? v : -1;
}

/* Linux's __bpf_strtoull: whitespace, '-', then a number in base 0, 8, 10
 * or 16 (0x prefix for 16), from at most 63 characters. Returns characters
 * consumed, -EINVAL (no digits, bad flags) or -ERANGE (overflow). */
static long strtoull_(const char *buf, uint32_t len, uint64_t flags, uint64_t *res, bool *neg)
{
	unsigned base = flags & 0x1f;
	uint32_t i = 0, start;
	bool overflow = false;
	char str[64];
	size_t n;
	const char *s;
	uint64_t v = 0;

	if (!buf || !len || (base != 0 && base != 8 && base != 10 && base != 16) ||
	    (flags & ~0x1full))
		return -EINVAL;
	while (i < len && isspace((unsigned char)buf[i]))
		i++;
	*neg = i < len && buf[i] == '-';
	if (*neg)
		i++;
	start = i;
	if (start == len)
		return -EINVAL;
	n = len - start < sizeof(str) - 1 ? len - start : sizeof(str) - 1;
	memcpy(str, buf + start, n);
	str[n] = '\0';
	s = str;
	if (!base)
		base =
		    s[0] == '0'
			? (tolower((unsigned char)s[1]) == 'x' && isxdigit((unsigned char)s[2]) ? 16
												: 8)
			: 10;
	if (base == 16 && s[0] == '0' && tolower((unsigned char)s[1]) == 'x')
		s += 2;
	const char *d = s;
	for (int x; (x = digit((unsigned char)*d, base)) >= 0; d++) {
		if (v > (UINT64_MAX - (uint64_t)x) / base)
			overflow = true;
		v = v * base + (uint64_t)x;
	}
	if (overflow)
		return -ERANGE;
	if (d == s)
		return -EINVAL;
	*res = v;
	return (long)(start + (uint32_t)(d - str));
}

HELPER_FN(strtol)
{
	uint64_t v = 0;
	bool neg;
	long n;

	if (!mem_ok(run, "bpf_strtol", r1, (uint32_t)r2, false) ||
	    !mem_ok(run, "bpf_strtol", r4, 8, true))
		return 0;
	memset((void *)(uintptr_t)r4, 0, 8);
	n = strtoull_((const char *)(uintptr_t)r1, (uint32_t)r2, r3, &v, &neg);
	if (n < 0)
		return (uint64_t)n;
	if (neg ? (int64_t)-v > 0 : (int64_t)v < 0)
		return (uint64_t)-ERANGE;
	v = neg ? -v : v;
	memcpy((void *)(uintptr_t)r4, &v, 8);
	return (uint64_t)n;
}

HELPER_FN(strtoul)
{
	uint64_t v = 0;
	bool neg;
	long n;

	if (!mem_ok(run, "bpf_strtoul", r1, (uint32_t)r2, false) ||
	    !mem_ok(run, "bpf_strtoul", r4, 8, true))
		return 0;
	memset((void *)(uintptr_t)r4, 0, 8);
	n = strtoull_((const char *)(uintptr_t)r1, (uint32_t)r2, r3, &v, &neg);
	if (n < 0)
		return (uint64_t)n;
	if (neg)
		return (uint64_t)-EINVAL;
	memcpy((void *)(uintptr_t)r4, &v, 8);
	return (uint64_t)n;
}

/* bpf_snprintf(str, str_size, fmt, data, data_len): the length the whole
 * output needs including the NUL. */
HELPER_FN(snprintf)
{
	uint64_t args[MAX_BPRINTF_VARARGS];
	uint32_t size = (uint32_t)r2, data_len = (uint32_t)r5;
	int n;

	if (data_len % 8 || data_len > MAX_BPRINTF_VARARGS * 8 || (data_len && !r4))
		return (uint64_t)-EINVAL;
	if (!mem_ok(run, "bpf_snprintf", r1, size, true) || !str_ok(run, "bpf_snprintf", r3) ||
	    !mem_ok(run, "bpf_snprintf", r4, data_len, false))
		return 0;
	if (data_len)
		memcpy(args, (const void *)(uintptr_t)r4, data_len);
	n = exo_bprintf((char *)(uintptr_t)r1, r1 ? size : 0, (const char *)(uintptr_t)r3, SIZE_MAX,
			args, data_len / 8);
	return n < 0 ? (uint64_t)(int64_t)n : (uint64_t)n + 1;
}

static pthread_mutex_t trace_mu = PTHREAD_MUTEX_INITIALIZER;
static int trace_fd = -1;

static void trace_write(const char *line, size_t len)
{
	const char *env;

	pthread_mutex_lock(&trace_mu);
	if (trace_fd < 0) {
		char path[PATH_MAX];

		env = getenv("EXOBPF_TRACE_PIPE");
		if (env && *env)
			snprintf(path, sizeof(path), "%s", env);
		else
			snprintf(path, sizeof(path), "%s/trace_pipe", exobpf_pin_dir());
		trace_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	}
	if (trace_fd >= 0 && write(trace_fd, line, len) < 0)
		exo_debug("trace_printk: write failed: %s\n", strerror(errno));
	pthread_mutex_unlock(&trace_mu);
	env = getenv("EXOBPF_TRACE_STDERR");
	if (env && *env && *env != '0' && fwrite(line, 1, len, stderr) != len)
		exo_debug("trace_printk: stderr write failed\n");
}

/* bpf_trace_printk(fmt, fmt_size, a1, a2, a3): bytes formatted. */
HELPER_FN(trace_printk)
{
	const char *fmt = (const char *)(uintptr_t)r1;
	uint64_t args[3] = {r3, r4, r5};
	char msg[512], line[640], comm[17] = "";
	struct timespec ts;
	int n, len;

	if (!mem_ok(run, "bpf_trace_printk", r1, (uint32_t)r2, false))
		return 0;
	if (!r2 || fmt[(uint32_t)r2 - 1] != '\0')
		return (uint64_t)-EINVAL;
	n = exo_bprintf(msg, sizeof(msg), fmt, (uint32_t)r2, args, 3);
	if (n < 0)
		return (uint64_t)(int64_t)n;
	prctl(PR_GET_NAME, comm);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	len = snprintf(
	    line, sizeof(line), "%16s-%-7d [%03u] ..... %5lld.%06ld: bpf_trace_printk: %s%s", comm,
	    (int)gettid(), run->slot, (long long)ts.tv_sec, ts.tv_nsec / 1000, msg,
	    n && msg[n < (int)sizeof(msg) ? n - 1 : (int)sizeof(msg) - 2] == '\n' ? "" : "\n");
	if (len > 0)
		trace_write(line, (size_t)len < sizeof(line) ? (size_t)len : sizeof(line) - 1);
	return (uint64_t)n;
}
