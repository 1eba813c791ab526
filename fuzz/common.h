/* What every libFuzzer target shares: the library kept quiet, maps kept in
 * a private pin directory. */
#ifndef EXOBPF_FUZZ_COMMON_H
#define EXOBPF_FUZZ_COMMON_H

#include <stdarg.h>

#include "exobpf/exobpf.h"
#include "util.h"

static int fuzz_quiet(enum exobpf_print_level level, const char *fmt, va_list args)
{
	(void)level, (void)fmt, (void)args;
	return 0;
}

/* Once per process: silence messages; with maps, a private pin directory
 * (its few files are left behind in /dev/shm when the fuzzer is killed). */
static inline void fuzz_init(int with_maps)
{
	exobpf_set_print(fuzz_quiet);
	if (with_maps)
		test_pin_tmpdir();
}

#endif
