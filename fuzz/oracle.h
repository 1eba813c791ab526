/* The oracles a generated program goes through (docs/reliability.md):
 *
 *  - soundness: a program exobpf's verifier accepts runs in the checked
 *    interpreter with an instruction budget equal to the instructions the
 *    verifier processed (a path the verifier saw cannot be longer); any
 *    fault - an access outside the packet, stack, context or map values it
 *    was given, an uninitialised register, the budget - is a verifier bug;
 *  - jit: the same run in the fast interpreter and as JIT code must leave
 *    the same r0, packet and maps as the checked run;
 *  - kernel: where bpf() works, Linux's verifier must reach the same
 *    verdict class, and for programs both accept BPF_PROG_TEST_RUN must
 *    give the same r0 (low 32 bits, as Linux reports it), packet and maps.
 *
 * Every run starts from the same map contents (oracle_reset_maps). */
#ifndef EXOBPF_FUZZ_ORACLE_H
#define EXOBPF_FUZZ_ORACLE_H

#include <stdbool.h>
#include <stdint.h>

#include "progen.h"

enum oracle_kind {
	ORACLE_SOUND = 1 << 0,
	ORACLE_JIT = 1 << 1,
	ORACLE_KERNEL = 1 << 2,
};

struct oracle_stats {
	uint64_t programs, accepted, rejected;
	uint64_t invalid, invalid_accepted; /* carrying a deliberate error */
	uint64_t jited, kernel_runs;
	uint64_t both_accept, both_reject, only_exobpf, only_linux;
	uint64_t linux_internal; /* exobpf accepts, Linux fails with "verifier bug" */
	uint64_t findings;
};

/* One disagreement on the verdict with Linux, for triage. */
struct oracle_disagreement {
	bool exobpf_accepts;
	char exobpf_msg[160], linux_msg[160];
};

struct oracle {
	unsigned kinds; /* enum oracle_kind; ORACLE_KERNEL dropped where bpf() is refused */
	uint32_t prog_flags; /* exobpf_prog_opts.flags (tests: NO_VERIFY, to see a fault reported) */
	int fds[PG_NMAPS], kfds[PG_NMAPS];
	struct oracle_stats st;
	struct oracle_disagreement last; /* valid when oracle_run returns 2 */
	char why[4096];			 /* what a finding is */
	char exobpf_msg[256];		 /* exobpf's rejection, if it rejected */
	char *klog;
};

/* Maps for both sides; kinds as wanted. 0 or -errno (why says). */
int oracle_init(struct oracle *o, unsigned kinds);
void oracle_fini(struct oracle *o);

/* Run one program through the oracles. 0 agreed, 1 finding (why), 2 a
 * verdict disagreement with Linux (last), -1 setup failure (why). */
int oracle_run(struct oracle *o, const struct pg_prog *p);

#endif
