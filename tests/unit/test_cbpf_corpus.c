/* libpcap's own filter tests (filter_apply.jsonl from its TESTrun): each row
 * names an expression, a capture, and the value the filter must return for
 * every packet. Every expression the system's libpcap compiles (optimized
 * and not) runs in exobpf, in all three engines, and must give the expected
 * values. Where it does not, the row must be one the data itself marks as
 * compiled differently by this libpcap ("local_agrees": false), and exobpf
 * must then agree with libpcap's own interpreter on that program. */
#include <stdlib.h>

#include "cbpf_testutil.h"
#include "pcap_oracle.h"
#include "test.h"
#include "util.h"

/* The JSON value of "key" (a string, unescaped), in line. */
static bool jstr(const char *line, const char *key, char *buf, size_t size)
{
	char pat[64];
	const char *p;
	size_t n = 0;

	snprintf(pat, sizeof(pat), "\"%s\": \"", key);
	if (!(p = strstr(line, pat)))
		return false;
	for (p += strlen(pat); *p && *p != '"'; p++) {
		if (*p == '\\' && p[1])
			p++;
		if (n + 1 >= size)
			return false;
		buf[n++] = *p;
	}
	buf[n] = '\0';
	return *p == '"';
}

static bool jint(const char *line, const char *key, long *v)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\": ", key);
	if (!(p = strstr(line, pat)))
		return false;
	*v = strtol(p + strlen(pat), NULL, 10);
	return true;
}

/* "key": [1, 2, 3] into v; the count, or -1. */
static long jints(const char *line, const char *key, uint32_t *v, size_t max)
{
	char pat[64];
	const char *p;
	long n = 0;

	snprintf(pat, sizeof(pat), "\"%s\": [", key);
	if (!(p = strstr(line, pat)))
		return -1;
	p += strlen(pat);
	while (*p && *p != ']') {
		char *end;
		unsigned long x = strtoul(p, &end, 10);
		if (end == p || (size_t)n == max)
			return -1;
		v[n++] = (uint32_t)x;
		p = end;
		while (*p == ',' || *p == ' ')
			p++;
	}
	return n;
}

struct corpus {
	unsigned rows, compiled, not_compiled, agree, libpcap_differs, failed, packets;
};

/* Compiled as TESTrun and tcpdump -r do: on the capture itself, so libpcap
 * knows it filters a file. */
static bool run_row(const char *name, const char *expr, const char *path,
		    const struct test_capture *cap, uint32_t netmask, bool optimize,
		    const uint32_t *expected, size_t nexp, bool local_agrees, struct corpus *c)
{
	EXOBPF_OPTS(exobpf_cbpf_compile_opts, co, .no_optimize = !optimize, .netmask = netmask);
	struct exobpf_capture *file = exobpf_capture__open(path);
	struct sock_filter *insns;
	size_t cnt;
	char why[256];
	bool same = true, same_as_libpcap = true;

	if (!file || exobpf_capture__compile(file, expr, &co, &insns, &cnt)) {
		exobpf_capture__close(file);
		return false;
	}
	exobpf_capture__close(file);
	/* libpcap's userland rules: protochain jumps backwards */
	EXOBPF_OPTS(exobpf_cbpf_opts, po, .kind = EXOBPF_CBPF_PCAP);
	struct exobpf_cbpf_prog *prog = exobpf_cbpf_prog__new(insns, cnt, &po);
	if (!prog) {
		printf("  %s: '%s': %s\n", name, expr, exobpf_errmsg());
		free(insns);
		c->failed++;
		return true;
	}
	if (nexp != cap->n) {
		printf("  %s: %zu expected results for %zu packets\n", name, nexp, cap->n);
		c->failed++;
		goto out;
	}
	for (size_t i = 0; i < cap->n; i++) {
		const struct test_pkt *p = &cap->pkts[i];
		uint32_t v, lp = oracle_bpf_filter(insns, cnt, p->data, p->wirelen, p->caplen);
		if (!test_cbpf_all_engines(prog, insns, cnt, p, &v, why, sizeof(why))) {
			printf("  %s: packet %zu: %s\n", name, i + 1, why);
			c->failed++;
			goto out;
		}
		c->packets++;
		same &= v == expected[i];
		same_as_libpcap &= v == lp;
		if (v != expected[i] && local_agrees)
			printf("  %s (%s): packet %zu: exobpf %u, expected %u, libpcap %u\n", name,
			       optimize ? "optimized" : "unoptimized", i + 1, v, expected[i], lp);
	}
	if (same)
		c->agree++;
	else if (!local_agrees && same_as_libpcap)
		c->libpcap_differs++;
	else
		c->failed++;
out:
	exobpf_cbpf_prog__free(prog);
	free(insns);
	return true;
}

static void one_row(const char *line, void *arg)
{
	struct corpus *c = arg;
	char name[128], expr[256], savefile[128], mask[32], path[512];
	uint32_t expected[64];
	long linktype = 0;
	struct test_capture cap;

	if (!jstr(line, "name", name, sizeof(name)) || !jstr(line, "expr", expr, sizeof(expr)) ||
	    !jstr(line, "savefile", savefile, sizeof(savefile))) {
		printf("  unreadable row: %.80s\n", line);
		c->failed++;
		return;
	}
	long nexp = jints(line, "expected_results", expected, 64);
	bool local_agrees = !strstr(line, "\"local_agrees\": false");
	uint32_t netmask = 0;
	if (jstr(line, "netmask", mask, sizeof(mask))) {
		unsigned a, b, d, e;
		if (sscanf(mask, "%u.%u.%u.%u", &a, &b, &d, &e) == 4)
			netmask = a << 24 | b << 16 | d << 8 | e;
	}
	c->rows++;
	snprintf(path, sizeof(path), "%s/pcap/libpcap_tests/%s", test_shared_dir(), savefile);
	if (test_capture_load(path, &cap)) {
		printf("  %s: %s\n", name, exobpf_errmsg());
		c->failed++;
		return;
	}
	if (jint(line, "linktype", &linktype) && linktype != cap.linktype) {
		printf("  %s: link type %ld, but the capture's is %d\n", name, linktype,
		       cap.linktype);
		c->failed++;
	}
	bool compiled =
	    run_row(name, expr, path, &cap, netmask, true, expected, (size_t)nexp, local_agrees, c);
	if (compiled) {
		c->compiled++;
		if (!run_row(name, expr, path, &cap, netmask, false, expected, (size_t)nexp,
			     local_agrees, c)) {
			printf("  %s: compiles optimized but not unoptimized\n", name);
			c->failed++;
		}
	} else {
		/* the data records what the same libpcap said */
		c->not_compiled++;
		if (!strstr(line, "\"error\"")) {
			printf("  %s: libpcap refused '%s' though the data says it compiles: %s\n",
			       name, expr, exobpf_errmsg());
			c->failed++;
		}
	}
	test_capture_free(&cap);
}

TEST(cbpf_libpcap_filter_corpus)
{
	char path[512];
	struct corpus c = {0};

	snprintf(path, sizeof(path), "%s/pcap/libpcap_testrun/filter_apply.jsonl",
		 test_shared_dir());
	CHECK_MSG(for_each_line(path, one_row, &c) > 0, "cannot read %s", path);
	printf("  %u rows: %u compiled by this libpcap (each run optimized and unoptimized over "
	       "%u packets in all)\n"
	       "  %u programs give the expected values, %u give libpcap's own values where this "
	       "libpcap compiles differently from the data, %u not compiled here\n",
	       c.rows, c.compiled, c.packets, c.agree, c.libpcap_differs, c.not_compiled);
	CHECK_EQ(c.failed, 0);
	CHECK(c.compiled >= 140);
	CHECK_EQ(c.agree + c.libpcap_differs, 2 * c.compiled);
}
