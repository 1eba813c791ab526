/* SPDX-License-Identifier: MIT */
/* exobpf: classic BPF - Linux's checker, conversion to eBPF, tcpdump's and
 * bpf_asm's text formats, libpcap filter expressions, seccomp filters.
 *
 * A classic program is an array of struct sock_filter (<linux/filter.h>). It
 * runs by conversion: checked with Linux's rules, converted to eBPF with
 * Linux's semantics, then run like any exobpf program. Filter expressions
 * and capture files (through libpcap) are in exobpf/capture.h. */
#ifndef EXOBPF_CBPF_H
#define EXOBPF_CBPF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "exobpf/common.h"
#include "exobpf/insn.h"
#include "exobpf/prog.h"

/* What a classic program is for: this picks the checker's rules, the context
 * and the meaning of loads. */
enum exobpf_cbpf_kind {
	EXOBPF_CBPF_SOCKET = 0,	 /* socket filter: a packet in, bytes to keep out */
	EXOBPF_CBPF_SECCOMP = 1, /* seccomp: struct seccomp_data in, SECCOMP_RET_* out */
	/* libpcap's userland filtering (tcpdump -r): a socket filter that may
	 * also jump backwards with ja, as libpcap's protochain loops do. Linux
	 * refuses such programs (libpcap then filters in user space); exobpf
	 * runs them with an instruction budget so a loop cannot hang. */
	EXOBPF_CBPF_PCAP = 2,
};

/* Check as Linux does when a filter is attached (SO_ATTACH_FILTER, or
 * seccomp(SECCOMP_SET_MODE_FILTER) for EXOBPF_CBPF_SECCOMP; for
 * EXOBPF_CBPF_PCAP, the same rules except that ja may go backwards): 0, or
 * -EINVAL (Linux's errno for every rule) with exobpf_errmsg() naming the
 * instruction and the rule. Linux itself prints nothing; the messages are
 * exobpf's. */
EXOBPF_API int exobpf_cbpf_check(const struct sock_filter *insns, size_t cnt,
				 enum exobpf_cbpf_kind kind);

struct exobpf_cbpf_opts {
	size_t sz;
	enum exobpf_cbpf_kind kind;
	const char *name; /* labels messages (default "cbpf") */
	/* The device type (ARPHRD_*) SKF_AD_HATYPE reads: exobpf's packet
	 * sources have one link type each, so it is fixed at conversion.
	 * 0 means ARPHRD_ETHER. */
	uint16_t hatype;
};

/* Check, then convert to eBPF (socket filters: r6 = struct __sk_buff,
 * LD_ABS/LD_IND for packet bytes; seccomp: r6 = struct seccomp_data). The
 * result uses only encodings Linux's verifier accepts. *out is malloc'ed. */
EXOBPF_API int exobpf_cbpf_convert(const struct sock_filter *insns, size_t cnt,
				   const struct exobpf_cbpf_opts *opts, struct bpf_insn **out,
				   size_t *out_cnt);

/* A checked, converted, runnable classic program. */
struct exobpf_cbpf_prog;

/* NULL and errno on failure (the checker's or converter's message). */
EXOBPF_API struct exobpf_cbpf_prog *exobpf_cbpf_prog__new(const struct sock_filter *insns,
							  size_t cnt,
							  const struct exobpf_cbpf_opts *opts);
EXOBPF_API void exobpf_cbpf_prog__free(struct exobpf_cbpf_prog *prog);
EXOBPF_API const struct sock_filter *exobpf_cbpf_prog__insns(const struct exobpf_cbpf_prog *prog,
							     size_t *cnt);
/* Does the program jump backwards (EXOBPF_CBPF_PCAP, libpcap's loops)? Its
 * runs then carry an instruction budget; exobpf_cbpf_prog__run reports
 * running out of it, exobpf_cbpf_prog__filter returns 0. */
EXOBPF_API bool exobpf_cbpf_prog__loops(const struct exobpf_cbpf_prog *prog);
/* The converted eBPF program (owned by prog). */
EXOBPF_API struct exobpf_prog *exobpf_cbpf_prog__ebpf(const struct exobpf_cbpf_prog *prog);

/* The fast path for socket filters: run on one packet (caplen bytes present,
 * wirelen its length on the wire, which "ld #pktlen" reads) and return the
 * filter's value: 0 drops the packet, otherwise the bytes to keep (also 0
 * when a looping EXOBPF_CBPF_PCAP program runs out of its budget, see
 * exobpf_cbpf_prog__run). Uses state inside prog: one thread at a time per
 * program. */
EXOBPF_API uint32_t exobpf_cbpf_prog__filter(struct exobpf_cbpf_prog *prog, const void *pkt,
					     uint32_t caplen, uint32_t wirelen);

/* A packet of a batch: what a filter reads, and no more (16 bytes, so the
 * records of a large batch cost little memory traffic beside the packets). */
struct exobpf_cbpf_pkt {
	const void *data; /* caplen bytes */
	uint32_t caplen, wirelen;
};

/* exobpf_cbpf_prog__filter over n packets in order, for a capture held in
 * memory: verdicts[i] (when verdicts is not NULL) gets packet i's value.
 * Returns how many packets the filter kept (nonzero values), or -EINVAL
 * when pkts is NULL or a packet has caplen bytes but no data (nothing is
 * run then). While one packet runs, the headers of packets a few ahead are
 * already on their way into the cache, which a packet-at-a-time call
 * cannot do. */
EXOBPF_API long exobpf_cbpf_prog__filter_batch(struct exobpf_cbpf_prog *prog,
					       const struct exobpf_cbpf_pkt *pkts, size_t n,
					       uint32_t *verdicts);

/* One run with everything spelled out. */
struct exobpf_cbpf_run_opts {
	size_t sz;
	/* socket filters */
	const void *pkt;
	uint32_t caplen;
	uint32_t wirelen;	     /* 0 means caplen */
	const struct __sk_buff *skb; /* metadata the ancillary loads read (optional) */
	/* seccomp filters */
	const struct seccomp_data *seccomp;
	uint32_t flags; /* EXOBPF_RUN_CHECKED: bounds-check every access */
	/* output */
	uint32_t retval;
};

/* 0, or -EFAULT (checked mode found a bad access: a converter bug; or a
 * looping EXOBPF_CBPF_PCAP program ran out of its instruction budget) /
 * -EINVAL (missing input) with exobpf_errmsg() saying why. */
EXOBPF_API int exobpf_cbpf_prog__run(struct exobpf_cbpf_prog *prog,
				     struct exobpf_cbpf_run_opts *opts);

/* Run in exobpf's classic interpreter instead of the conversion: the oracle
 * the conversion is tested against, and a way to watch a run. The program is
 * checked first. With trace, *trace receives one listing line per executed
 * instruction with A and X before it (malloc'ed). */
EXOBPF_API int exobpf_cbpf_interp(const struct sock_filter *insns, size_t cnt,
				  const struct exobpf_cbpf_opts *opts,
				  struct exobpf_cbpf_run_opts *run, char **trace);

/* Text formats, in and out. */
enum exobpf_cbpf_format {
	EXOBPF_CBPF_FMT_AUTO = 0, /* parse only: recognise any of the text formats below */
	EXOBPF_CBPF_FMT_LISTING,  /* tcpdump -d:   (000) ldh      [12] */
	EXOBPF_CBPF_FMT_C,	  /* tcpdump -dd:  { 0x28, 0, 0, 0x0000000c }, */
	EXOBPF_CBPF_FMT_DECIMAL,  /* tcpdump -ddd: the count, then "40 0 0 12" lines */
	EXOBPF_CBPF_FMT_ASM,	  /* the kernel's bpf_asm syntax, labels at jump targets */
	EXOBPF_CBPF_FMT_BYTECODE, /* one line, "4,40 0 0 12,..." (bpf_asm, xt_bpf, tc) */
};

/* Text of a program in fmt; *text is malloc'ed and ends with a newline. */
EXOBPF_API int exobpf_cbpf_format(const struct sock_filter *insns, size_t cnt,
				  enum exobpf_cbpf_format fmt, char **text);

/* Parse text in fmt (or any, with EXOBPF_CBPF_FMT_AUTO; the listing and
 * bpf_asm syntaxes may be mixed line by line). name labels messages
 * ("prog.txt:3: ..."). *out is malloc'ed. */
EXOBPF_API int exobpf_cbpf_parse(const char *text, const char *name, enum exobpf_cbpf_format fmt,
				 struct sock_filter **out, size_t *cnt);

/* seccomp */

/* SECCOMP_RET_* as text: "ALLOW", "ERRNO(1)", "TRACE(42)", "KILL_PROCESS";
 * an unknown action reads "KILL_PROCESS (unknown action 0x12340000)" since
 * Linux treats it so. Returns buf. */
EXOBPF_API const char *exobpf_seccomp_action_str(uint32_t ret, char *buf, size_t size);

/* x86-64 system call numbers and names (from the system's <asm/unistd_64.h>). */
EXOBPF_API int exobpf_seccomp_syscall_nr(const char *name); /* -1 if unknown */
EXOBPF_API const char *exobpf_seccomp_syscall_name(int nr); /* NULL if unknown */

/* AUDIT_ARCH_X86_64: the arch in struct seccomp_data for x86-64 system calls. */
#define EXOBPF_AUDIT_ARCH_X86_64 0xc000003eu

struct exobpf_seccomp_trace_opts {
	size_t sz;
	uint16_t data; /* SECCOMP_RET_DATA of the TRACE verdict (the tracer's event message) */
};

/* The tracer's filter: SECCOMP_RET_TRACE for the system calls in nrs (x86-64
 * numbers), SECCOMP_RET_ALLOW for the other x86-64 calls. A call the filter
 * cannot classify (another audit arch, an x32 number) is traced too, so the
 * tracer always decides. Lookups are a binary search (O(log n) instructions
 * per call). *out is malloc'ed; install it with seccomp(2) as it is. */
EXOBPF_API int exobpf_seccomp_trace_filter(const int *nrs, size_t n,
					   const struct exobpf_seccomp_trace_opts *opts,
					   struct sock_filter **out, size_t *cnt);

/* A seccomp filter as an annotated listing: what each load reads (nr, arch,
 * args[i]), syscall names for compares against nr, verdicts spelled out.
 * *text is malloc'ed. */
EXOBPF_API int exobpf_seccomp_explain(const struct sock_filter *insns, size_t cnt, char **text);

#endif
