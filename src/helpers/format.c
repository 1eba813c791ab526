/* The formatting behind bpf_snprintf and bpf_trace_printk, with Linux's
 * rules (bpf_bprintf_prepare): flags "0+- ", a width, then %% %c %s %d %i
 * %u %x %X (with l or ll), %p, %px, %pK, %pks, %pus, %pi4, %pI4, %pi6,
 * %pI6. No precision, no %o; anything else, or more specifiers than
 * arguments, is -EINVAL. Strings and IP addresses are read through the safe
 * probe reads, so a bad pointer prints an empty string, never faults.
 * Linux hashes plain %p; exobpf prints it as %px (there is no kernel
 * address to protect). */
#include <stdio.h>
#include <string.h>

#include "helpers/format.h"
#include "helpers/probe.h"

struct out {
	char *buf;
	size_t size, len; /* len counts what would have been written */
};

static void put(struct out *o, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++, o->len++)
		if (o->size && o->len < o->size - 1)
			o->buf[o->len] = s[i];
}

/* One conversion through C's snprintf with a format we built and checked. */
static void put_fmt(struct out *o, const char *spec, ...) __attribute__((format(printf, 2, 3)));
static void put_fmt(struct out *o, const char *spec, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, spec);
	n = vsnprintf(tmp, sizeof(tmp), spec, ap);
	va_end(ap);
	if (n > 0)
		put(o, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

static void put_ip(struct out *o, char kind, char ver, uint64_t ptr)
{
	uint8_t a[16];
	size_t n = ver == '4' ? 4 : 16;

	if (exo_probe_read(a, n, (const void *)(uintptr_t)ptr) < 0) {
		put(o, "(null)", 6);
		return;
	}
	if (ver == '4') {
		if (kind == 'i')
			put_fmt(o, "%03u.%03u.%03u.%03u", a[0], a[1], a[2], a[3]);
		else
			put_fmt(o, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
		return;
	}
	for (int i = 0; i < 16; i += 2) {
		if (kind == 'I' && i)
			put(o, ":", 1);
		put_fmt(o, "%02x%02x", a[i], a[i + 1]);
	}
}

int exo_bprintf(char *buf, size_t size, const char *fmt, size_t fmt_len, const uint64_t *args,
		unsigned nargs)
{
	struct out o = {.buf = buf, .size = size};
	unsigned used = 0;

	for (size_t i = 0; i < fmt_len && fmt[i]; i++) {
		char spec[32];
		size_t s = 0, start;
		uint64_t arg;

		if (fmt[i] != '%') {
			put(&o, &fmt[i], 1);
			continue;
		}
		if (fmt[i + 1] == '%') {
			put(&o, "%", 1);
			i++;
			continue;
		}
		if (used >= nargs)
			return -EINVAL;
		arg = args[used++];
		start = ++i;
		while (fmt[i] == '0' || fmt[i] == '+' || fmt[i] == '-' || fmt[i] == ' ')
			i++;
		if (fmt[i] >= '1' && fmt[i] <= '9')
			while (fmt[i] >= '0' && fmt[i] <= '9')
				i++;
		if (i - start > 12)
			return -EINVAL;
		spec[s++] = '%';
		memcpy(spec + s, fmt + start, i - start);
		s += i - start;
		if (fmt[i] == 'p') {
			char k = fmt[i + 1];

			if ((k == 'k' || k == 'u') && fmt[i + 2] == 's') {
				char str[256];

				i += 2;
				if (exo_probe_read_str(str, sizeof(str),
						       (const void *)(uintptr_t)arg) < 0)
					str[0] = '\0';
				memcpy(spec + s, "s", 2);
				put_fmt(&o, spec, str);
			} else if ((k == 'i' || k == 'I') &&
				   (fmt[i + 2] == '4' || fmt[i + 2] == '6')) {
				put_ip(&o, k, fmt[i + 2], arg);
				i += 2;
			} else {
				if (k == 'x' || k == 'K')
					i++;
				put_fmt(&o, "%016llx", (unsigned long long)arg);
			}
			continue;
		}
		if (fmt[i] == 's') {
			char str[512];

			if (exo_probe_read_str(str, sizeof(str), (const void *)(uintptr_t)arg) < 0)
				str[0] = '\0';
			memcpy(spec + s, "s", 2);
			put_fmt(&o, spec, str);
			continue;
		}
		if (fmt[i] == 'c') {
			memcpy(spec + s, "c", 2);
			put_fmt(&o, spec, (int)(uint8_t)arg);
			continue;
		}
		unsigned longs = 0;
		while (fmt[i] == 'l' && longs < 2)
			longs++, i++;
		if (fmt[i] != 'd' && fmt[i] != 'i' && fmt[i] != 'u' && fmt[i] != 'x' &&
		    fmt[i] != 'X')
			return -EINVAL;
		memcpy(spec + s, "ll", 2);
		spec[s + 2] = fmt[i];
		spec[s + 3] = '\0';
		if (fmt[i] == 'd' || fmt[i] == 'i')
			put_fmt(&o, spec, longs ? (long long)arg : (long long)(int32_t)arg);
		else
			put_fmt(&o, spec,
				longs ? (unsigned long long)arg
				      : (unsigned long long)(uint32_t)arg);
	}
	if (o.size)
		o.buf[o.len < o.size ? o.len : o.size - 1] = '\0';
	return (int)o.len;
}
