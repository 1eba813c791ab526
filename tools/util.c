#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cli_fail(int code, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "exobpf: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	return code;
}

int cli_read_file(const char *path, char **buf, size_t *len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	size_t cap = 4096, n = 0;
	char *b;

	if (!f)
		return -errno;
	b = malloc(cap);
	while (b) {
		if (n + 1 >= cap) {
			char *nb = realloc(b, cap * 2);
			if (!nb) {
				free(b);
				b = NULL;
				break;
			}
			b = nb;
			cap *= 2;
		}
		size_t got = fread(b + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0)
			break;
	}
	int err = b && ferror(f) ? -EIO : (b ? 0 : -ENOMEM);
	if (f != stdin)
		fclose(f);
	if (err) {
		free(b);
		return err;
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int cli_parse_hex(const char *text, uint8_t **out, size_t *len)
{
	size_t cap = strlen(text) / 2 + 1, n = 0;
	uint8_t *b = malloc(cap);
	const char *p = text;

	if (!b)
		return -ENOMEM;
	while (*p) {
		if (isspace((unsigned char)*p) || *p == ',') {
			p++;
			continue;
		}
		if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
			p += 2;
		int hi = hexval((unsigned char)p[0]), lo = hi < 0 ? -1 : hexval((unsigned char)p[1]);
		if (hi < 0 || lo < 0) {
			free(b);
			return -EINVAL;
		}
		b[n++] = (uint8_t)(hi << 4 | lo);
		p += 2;
	}
	*out = b;
	*len = n;
	return 0;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && !strcmp(s + a - b, suffix);
}

static bool looks_binary(const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (buf[i] == '\0' || ((unsigned char)buf[i] < 0x20 && !isspace((unsigned char)buf[i])))
			return true;
	return false;
}

int cli_load_program(const char *path, struct bpf_insn **insns, size_t *cnt)
{
	char *buf;
	size_t len;
	int err = cli_read_file(path, &buf, &len);

	if (err)
		return cli_fail(EXIT_INPUT, "%s: %s", path, strerror(-err));
	if (ends_with(path, ".bin") || (!ends_with(path, ".s") && !ends_with(path, ".asm") &&
					looks_binary(buf, len))) {
		if (len % sizeof(struct bpf_insn)) {
			free(buf);
			return cli_fail(EXIT_INPUT, "%s: %zu bytes is not a whole number of 8-byte instructions",
					path, len);
		}
		*cnt = len / sizeof(struct bpf_insn);
		*insns = (struct bpf_insn *)(void *)buf; /* malloc'ed, suitably aligned */
		return 0;
	}
	err = exobpf_asm(buf, path, insns, cnt);
	free(buf);
	if (err)
		return cli_fail(EXIT_INPUT, "%s", exobpf_errmsg());
	return 0;
}

const char *cli_opt(int argc, char **argv, int *i, const char *name)
{
	size_t n = strlen(name);
	const char *a = argv[*i];

	if (strncmp(a, name, n))
		return NULL;
	if (a[n] == '=')
		return a + n + 1;
	if (a[n] != '\0' || *i + 1 >= argc)
		return NULL;
	return argv[++*i];
}
