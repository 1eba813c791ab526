/* Running one test program on exobpf and, where bpf() works, on the kernel
 * (as a socket filter through BPF_PROG_TEST_RUN), with map fds substituted
 * into the assembly text for each side. */
#ifndef EXOBPF_TEST_HELPER_RUN_H
#define EXOBPF_TEST_HELPER_RUN_H

#include <stdbool.h>
#include <stdint.h>

struct both {
	uint64_t r0;	   /* exobpf's r0 (checked and fast runs agree, or the run fails) */
	uint32_t kr0;	   /* the kernel's retval */
	bool kernel_ran;   /* false: no bpf(), or the kernel did not accept the program */
	bool kernel_tried; /* bpf() works and kernel fds were given */
	char why[512];	   /* what went wrong (exobpf side) */
	char klog[2048];   /* the kernel verifier's log when it rejected the program */
};

/* text: assembly with %d for each fd in order (up to 8; pass as many as the text uses). efds are exobpf
 * maps, kfds the kernel's (NULL: do not run on the kernel). Returns false
 * when exobpf could not run it (b->why says why). slot is the exobpf slot. */
bool run_both(const char *text, const int *efds, const int *kfds, uint32_t slot, struct both *b);

/* An exobpf and a kernel ARRAY map of one value holding a const string,
 * read-only for programs and frozen, as a format string must be. kfd is -1
 * when bpf() is not usable. */
int make_rodata(const char *s, uint32_t size, int *kfd);

#endif
