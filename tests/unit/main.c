/* Runs every registered test (or those whose name contains argv[1]) and ends
 * with "N passed, N failed". */
#include <stdarg.h>
#include <stdlib.h>

#include "exobpf/exobpf.h"
#include "test.h"

static struct test_case *tests;
static bool failed, skipped;

void test_register(struct test_case *tc)
{
	tc->next = tests;
	tests = tc;
}

void test_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	failed = true;
	printf("  %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

void test_skip(const char *fmt, ...)
{
	va_list ap;

	skipped = true;
	printf("  skipped: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

const char *test_shared_dir(void)
{
	const char *s = getenv("SHARED");
	return s && *s ? s : "../shared";
}

const char *test_exobpf_path(void)
{
	const char *s = getenv("EXOBPF");
	return s && *s ? s : "build/exobpf";
}

static int quiet_print(enum exobpf_print_level level, const char *fmt, va_list args)
{
	(void)level, (void)fmt, (void)args;
	return 0;
}

int main(int argc, char **argv)
{
	unsigned passed = 0, nfailed = 0, nskipped = 0;
	struct test_case *list = NULL;

	/* registration order is reversed; restore file order */
	while (tests) {
		struct test_case *t = tests;
		tests = t->next;
		t->next = list;
		list = t;
	}
	exobpf_set_print(quiet_print);
	for (struct test_case *t = list; t; t = t->next) {
		if (argc > 1 && !strstr(t->name, argv[1]))
			continue;
		failed = skipped = false;
		t->fn();
		if (failed) {
			printf("FAIL %s\n", t->name);
			nfailed++;
		} else if (skipped) {
			printf("skip %s\n", t->name);
			nskipped++;
		} else {
			passed++;
		}
		fflush(stdout);
	}
	printf("%u skipped\n", nskipped);
	printf("%u passed, %u failed\n", passed, nfailed);
	return nfailed ? 1 : 0;
}
