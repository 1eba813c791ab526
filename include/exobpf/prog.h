/* SPDX-License-Identifier: MIT */
/* exobpf: programs - create from instructions, run, inspect. */
#ifndef EXOBPF_PROG_H
#define EXOBPF_PROG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <linux/bpf.h>

#include "exobpf/common.h"

/* Declare and zero an options struct with its size set, libbpf-style:
 *   EXOBPF_OPTS(exobpf_run_opts, opts, .data_in = buf, .data_size_in = n); */
#define EXOBPF_OPTS(TYPE, NAME, ...)                                                               \
	struct TYPE NAME = ({                                                                      \
		memset(&NAME, 0, sizeof(struct TYPE));                                             \
		(struct TYPE){.sz = sizeof(struct TYPE), __VA_ARGS__};                             \
	})

struct exobpf_prog;
struct exobpf_btf;

/* Program types beyond Linux's: a raw-memory program gets r1 = data and
 * r2 = its size, the convention of uBPF and bpf_conformance. */
#define EXOBPF_PROG_TYPE_RAW BPF_PROG_TYPE_UNSPEC

enum exobpf_prog_flags {
	EXOBPF_PROG_INTERP = 1 << 0,	/* never JIT-compile */
	EXOBPF_PROG_NO_VERIFY = 1 << 1, /* skip the verifier (unsafe: run checked) */
	EXOBPF_PROG_UNPRIV = 1 << 2,	/* verify with Linux's rules for unprivileged users */
	EXOBPF_PROG_JIT_BLIND = 1 << 3, /* JIT with constant blinding (Linux: bpf_jit_harden) */
};

struct exobpf_prog_opts {
	size_t sz;
	enum bpf_prog_type type;
	const char *name; /* up to 15 characters shown; labels messages */
	uint32_t flags;	  /* enum exobpf_prog_flags */
	/* BPF_PROG_LOAD's verifier inputs, as libbpf's bpf_prog_load_opts has
	 * them (see exobpf/verifier.h). */
	enum bpf_attach_type expected_attach_type;
	uint32_t prog_flags; /* BPF_F_STRICT_ALIGNMENT, BPF_F_ANY_ALIGNMENT, ... */
	const char *license; /* gpl_only helpers need a GPL-compatible one */
	char *log_buf;	     /* receives the verifier log (NUL-terminated) */
	uint32_t log_size;
	uint32_t log_level; /* 1, 2, | 4 for statistics; 0: no log */
	/* What the object loader also knows (libbpf's names). BTF records use
	 * the kernel's layouts (struct bpf_func_info, bpf_line_info) with
	 * insn_off in instructions; line info lets the verifier log show source
	 * lines. */
	uint32_t kern_version;
	const struct exobpf_btf *prog_btf;
	const void *func_info;
	uint32_t func_info_cnt, func_info_rec_size;
	const void *line_info;
	uint32_t line_info_cnt, line_info_rec_size;
};

/* A program from instructions (copied). NULL and errno on failure, with
 * exobpf_errmsg() naming the instruction. */
EXOBPF_API struct exobpf_prog *exobpf_prog__new(const struct bpf_insn *insns, size_t cnt,
						const struct exobpf_prog_opts *opts);
EXOBPF_API void exobpf_prog__free(struct exobpf_prog *prog);
EXOBPF_API const char *exobpf_prog__name(const struct exobpf_prog *prog);
EXOBPF_API enum bpf_prog_type exobpf_prog__type(const struct exobpf_prog *prog);
EXOBPF_API const struct bpf_insn *exobpf_prog__insns(const struct exobpf_prog *prog);
EXOBPF_API size_t exobpf_prog__insn_cnt(const struct exobpf_prog *prog);

/* Does the program run as machine code (JIT-compiled)? */
EXOBPF_API bool exobpf_prog__is_jited(const struct exobpf_prog *prog);

/* (a tag of its own: object.h's exobpf_dump_flags are the xlated dump's) */
enum exobpf_jited_dump_flags {
	EXOBPF_DUMP_JSON = 1 << 0, /* one JSON object instead of text */
};

/* Write the program's machine code to out, disassembled and interleaved with
 * the eBPF instruction each block comes from (bpftool's `prog dump jited`).
 * -ENOENT when the program is interpreted. */
EXOBPF_API int exobpf_prog__dump_jited(const struct exobpf_prog *prog, FILE *out, unsigned flags);

enum exobpf_run_flags {
	EXOBPF_RUN_CHECKED = 1 << 0, /* bounds-check every access; stop with an error */
	EXOBPF_RUN_INTERP = 1 << 1,  /* the interpreter, even for a JIT-compiled program */
};

/* One test run, shaped after BPF_PROG_TEST_RUN. */
struct exobpf_run_opts {
	size_t sz;
	const void *data_in; /* packet, or memory for raw programs */
	uint32_t data_size_in;
	void *data_out; /* receives the data after the run (optional) */
	uint32_t data_size_out;
	const void *ctx_in;
	uint32_t ctx_size_in;
	void *ctx_out;
	uint32_t ctx_size_out;
	uint32_t repeat; /* runs (0 means 1) */
	uint32_t flags;	 /* enum exobpf_run_flags */
	uint64_t insn_budget; /* stop after this many instructions (0: none) */
	uint32_t slot;	      /* execution slot (per-CPU index) */
	/* outputs */
	uint64_t retval;	 /* r0 (Linux reports its low 32 bits) */
	uint32_t duration;	 /* mean ns per run */
	uint64_t insns_executed; /* counted in checked mode or with a budget */
};

/* Run a program. 0 on success; -EFAULT when the run stopped on a fault (bad
 * access in checked mode, budget exhausted, ...) with exobpf_errmsg() saying
 * which instruction and why; -EINVAL for bad options. */
EXOBPF_API int exobpf_prog__run(struct exobpf_prog *prog, struct exobpf_run_opts *opts);

#endif
