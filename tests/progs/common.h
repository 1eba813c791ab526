/* Shared by the test programs: libbpf's headers and the syscall context the
 * unit tests pass in (ctx_in) and read back (ctx_out). */
#ifndef EXOBPF_TEST_PROGS_COMMON_H
#define EXOBPF_TEST_PROGS_COMMON_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct args {
	__u64 a, b, out;
};

#endif
