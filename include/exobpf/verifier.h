/* SPDX-License-Identifier: MIT */
/* exobpf: the verifier. Every program but the raw-memory type is verified
 * when it is created (exobpf_prog__new), with Linux's rules, verdicts and
 * log; the options are BPF_PROG_LOAD's (exobpf_prog_opts: log_buf,
 * log_size, log_level, prog_flags, expected_attach_type, license, and the
 * EXOBPF_PROG_UNPRIV flag). A rejected program gives NULL with errno set as
 * Linux's bpf() would (EACCES, EINVAL, E2BIG, ...), the log in log_buf and
 * its last line in exobpf_errmsg(). */
#ifndef EXOBPF_VERIFIER_H
#define EXOBPF_VERIFIER_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/bpf.h>

#include "exobpf/common.h"
#include "exobpf/prog.h"

/* Log levels, as BPF_PROG_LOAD's log_level. */
#define EXOBPF_LOG_LEVEL1 1 /* the failing path and the error */
#define EXOBPF_LOG_LEVEL2 2 /* every path, with register states */
#define EXOBPF_LOG_STATS  4 /* verification time and stack depth */

/* Load flags newer than some systems' <linux/bpf.h>. */
#ifndef BPF_F_TEST_STATE_FREQ
#define BPF_F_TEST_STATE_FREQ (1U << 3)
/* Does exobpf know this program type (its context, helpers, test runs)? */
EXOBPF_API bool exobpf_prog_type_supported(enum bpf_prog_type type);

#endif

struct exobpf_verifier_stats {
	size_t sz;
	uint32_t insn_processed; /* "processed N insns" */
	uint32_t total_states, peak_states, max_states_per_insn;
	uint32_t stack_depth; /* main program's stack, bytes */
	uint64_t time_ns;     /* verification time */
};

/* What the verification of an accepted program cost. 0, or -EINVAL when the
 * program was not verified (raw-memory type, EXOBPF_PROG_NO_VERIFY). */
EXOBPF_API int exobpf_prog__verifier_stats(const struct exobpf_prog *prog,
					   struct exobpf_verifier_stats *stats);

/* Does exobpf know this program type (its context, helpers, test runs)? */
EXOBPF_API bool exobpf_prog_type_supported(enum bpf_prog_type type);

#endif
