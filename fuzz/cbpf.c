/* libFuzzer target for classic BPF: the input is text in any of the formats
 * (or, when it does not parse, raw struct sock_filter bytes) followed by a
 * packet. Whatever parses is checked for all three kinds; whatever passes
 * is converted, verified, and run by the converted program (fast and
 * checked) and by the classic interpreter, which must agree. Any crash,
 * sanitizer report or disagreement is a bug. Build and run: fuzz/cbpf.sh. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exobpf/exobpf.h"

static int quiet(enum exobpf_print_level level, const char *fmt, va_list args)
{
	(void)level, (void)fmt, (void)args;
	return 0;
}

static void run_all(const struct sock_filter *p, size_t n, enum exobpf_cbpf_kind kind,
		    const uint8_t *pkt, size_t len)
{
	EXOBPF_OPTS(exobpf_cbpf_opts, po, .kind = kind);
	struct exobpf_cbpf_prog *prog = exobpf_cbpf_prog__new(p, n, &po);
	struct seccomp_data sd = {0};

	if (!prog)
		return;
	memcpy(&sd, pkt, len < sizeof(sd) ? len : sizeof(sd));
	EXOBPF_OPTS(exobpf_cbpf_run_opts, a, .pkt = pkt, .caplen = (uint32_t)len, .seccomp = &sd);
	EXOBPF_OPTS(exobpf_cbpf_run_opts, b, .pkt = pkt, .caplen = (uint32_t)len, .seccomp = &sd,
		    .flags = EXOBPF_RUN_CHECKED);
	EXOBPF_OPTS(exobpf_cbpf_run_opts, c, .pkt = pkt, .caplen = (uint32_t)len, .seccomp = &sd);
	int ea = exobpf_cbpf_prog__run(prog, &a), eb = exobpf_cbpf_prog__run(prog, &b);
	int ec = exobpf_cbpf_interp(p, n, &po, &c, NULL);
	bool random = false;
	for (size_t i = 0; i < n; i++)
		random |= p[i].code == (BPF_LD | BPF_W | BPF_ABS) &&
			  p[i].k == (uint32_t)SKF_AD_OFF + SKF_AD_RANDOM;
	if (ea != eb || eb != ec ||
	    (!ea && !random && (a.retval != b.retval || b.retval != c.retval))) {
		fprintf(stderr, "cbpf: engines disagree: %d/%u %d/%u %d/%u\n", ea, a.retval, eb,
			b.retval, ec, c.retval);
		abort();
	}
	if (kind != EXOBPF_CBPF_SECCOMP &&
	    exobpf_cbpf_prog__filter(prog, pkt, (uint32_t)len, (uint32_t)len) != a.retval && !ea &&
	    !random) {
		fprintf(stderr, "cbpf: the fast path disagrees\n");
		abort();
	}
	exobpf_cbpf_prog__free(prog);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool init;
	struct sock_filter *p = NULL;
	size_t n = 0, split = size;

	if (!init) {
		exobpf_set_print(quiet);
		init = true;
	}
	/* "text\0packet": the packet follows the first NUL */
	const uint8_t *nul = memchr(data, 0, size);
	if (nul)
		split = (size_t)(nul - data);
	char *text = malloc(split + 1);
	if (!text)
		return 0;
	memcpy(text, data, split);
	text[split] = '\0';
	const uint8_t *pkt = nul ? nul + 1 : data + size;
	size_t len = nul ? size - split - 1 : 0;
	if (exobpf_cbpf_parse(text, "fuzz", EXOBPF_CBPF_FMT_AUTO, &p, &n)) {
		/* not text: the bytes as instructions */
		n = split / sizeof(struct sock_filter);
		p = n ? malloc(n * sizeof(*p)) : NULL;
		if (p)
			memcpy(p, data, n * sizeof(*p));
	} else {
		char *out;
		for (int f = EXOBPF_CBPF_FMT_LISTING; f <= EXOBPF_CBPF_FMT_BYTECODE; f++)
			if (!exobpf_cbpf_format(p, n, (enum exobpf_cbpf_format)f, &out))
				free(out);
	}
	free(text);
	if (p && n) {
		for (int kind = 0; kind < 3; kind++) {
			exobpf_cbpf_check(p, n, (enum exobpf_cbpf_kind)kind);
			run_all(p, n, (enum exobpf_cbpf_kind)kind, pkt, len);
		}
		char *expl;
		if (!exobpf_seccomp_explain(p, n, &expl))
			free(expl);
	}
	free(p);
	return 0;
}
