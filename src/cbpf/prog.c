/* Classic programs as objects: checked, converted and ready to run on
 * packets (with a struct __sk_buff context and the packet for LD_ABS/LD_IND)
 * or on system calls (with a struct seccomp_data context). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cbpf/cbpf.h"
#include "cbpf/text.h"
#include "core/err.h"
#include "core/opts.h"
#include "core/prog.h"
#include "progtypes/progtypes.h"

struct exobpf_cbpf_prog {
	enum exobpf_cbpf_kind kind;
	uint16_t hatype;
	struct sock_filter *insns;
	size_t cnt;
	struct exobpf_prog *ebpf;
	bool loops;	/* jumps backwards: runs carry an instruction budget */
	bool reads_pkt; /* loads packet bytes (not only its length or metadata) */
	/* fast path state, reused run after run */
	struct vm_run run;
	struct exo_skb skb;
};

/* The runtime's skb for a packet: struct __sk_buff's fields in place (what
 * converted programs read; the verifier's rewrites keep them there), the
 * packet as data..data_end. */
static void skb_set(struct exo_skb *skb, const void *pkt, uint32_t caplen, uint32_t wirelen)
{
	skb->uapi.len = wirelen;
	skb->data = skb->data_meta = (uintptr_t)pkt;
	skb->data_end = (uintptr_t)pkt + caplen;
}

/* Does any instruction load packet bytes (ld/ldx of an absolute or indexed
 * offset, or ldx 4*([k]&0xf))? Ancillary loads count too: a cheap, safe
 * overestimate for deciding whether to fetch headers ahead. */
static bool reads_packet(const struct sock_filter *insns, size_t cnt)
{
	for (size_t i = 0; i < cnt; i++) {
		unsigned cls = BPF_CLASS(insns[i].code), mode = BPF_MODE(insns[i].code);

		if ((cls == BPF_LD || cls == BPF_LDX) &&
		    (mode == BPF_ABS || mode == BPF_IND || mode == BPF_MSH))
			return true;
	}
	return false;
}

EXOBPF_API struct exobpf_cbpf_prog *exobpf_cbpf_prog__new(const struct sock_filter *insns,
							  size_t cnt,
							  const struct exobpf_cbpf_opts *opts)
{
	struct exobpf_cbpf_prog *p;
	struct bpf_insn *ebpf = NULL;
	uint32_t ecnt = 0;
	bool loops = false;
	int err;

	if (!OPTS_VALID(opts, exobpf_cbpf_opts))
		return NULL;
	const char *name = OPT(opts, name, NULL);
	if (!name)
		name = "cbpf";
	uint16_t hatype = OPT(opts, hatype, 0) ? OPT(opts, hatype, 0) : 1 /* ARPHRD_ETHER */;
	err = cbpf_check(insns, cnt, OPT(opts, kind, EXOBPF_CBPF_SOCKET));
	if (!err)
		err = cbpf_convert(insns, (uint32_t)cnt, OPT(opts, kind, EXOBPF_CBPF_SOCKET),
				   hatype, &ebpf, &ecnt, &loops);
	if (err) {
		exo_err_prefix("%s", name);
		errno = -err;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p || !(p->insns = malloc(cnt * sizeof(*insns)))) {
		free(p);
		free(ebpf);
		exo_err(ENOMEM, "%s: out of memory", name);
		return NULL;
	}
	p->kind = OPT(opts, kind, EXOBPF_CBPF_SOCKET);
	p->hatype = hatype;
	p->loops = loops;
	p->reads_pkt = reads_packet(insns, cnt);
	memcpy(p->insns, insns, cnt * sizeof(*insns));
	p->cnt = cnt;
	/* Seccomp has no eBPF program type: its converted form is a raw-memory
	 * program over struct seccomp_data. */
	/* Socket filters take the verifier, as any socket filter. libpcap's
	 * loops cannot: like Linux's, exobpf's verifier refuses a loop whose
	 * bound depends on the packet. Those run unverified, safe by
	 * construction (fixed stack and context offsets, bounds-checked packet
	 * loads, no pointers in helper calls) and stopped by their budget; Linux
	 * never verifies its converted classic programs either. */
	EXOBPF_OPTS(exobpf_prog_opts, popts, .name = name,
		    .type = p->kind == EXOBPF_CBPF_SECCOMP ? EXOBPF_PROG_TYPE_RAW
							   : BPF_PROG_TYPE_SOCKET_FILTER,
		    .flags = loops ? EXOBPF_PROG_NO_VERIFY : EXO_PROG_JIT_BATCH);
	p->ebpf = exobpf_prog__new(ebpf, ecnt, &popts);
	free(ebpf);
	if (!p->ebpf) {
		err = errno;
		exo_err_prefix("converted program");
		exobpf_cbpf_prog__free(p);
		errno = err;
		return NULL;
	}
	p->run.prog = &p->ebpf->vm;
	p->run.budget = loops ? CBPF_LOOP_BUDGET : 0;
	return p;
}

EXOBPF_API void exobpf_cbpf_prog__free(struct exobpf_cbpf_prog *prog)
{
	if (!prog)
		return;
	exobpf_prog__free(prog->ebpf);
	free(prog->insns);
	free(prog);
}

EXOBPF_API const struct sock_filter *exobpf_cbpf_prog__insns(const struct exobpf_cbpf_prog *prog,
							     size_t *cnt)
{
	if (cnt)
		*cnt = prog->cnt;
	return prog->insns;
}

EXOBPF_API bool exobpf_cbpf_prog__loops(const struct exobpf_cbpf_prog *prog)
{
	return prog->loops;
}

EXOBPF_API struct exobpf_prog *exobpf_cbpf_prog__ebpf(const struct exobpf_cbpf_prog *prog)
{
	return prog->ebpf;
}

/* One packet (the body of exobpf_cbpf_prog__filter, inlined into the batch
 * loop: the exported function cannot be, being interposable). */
static inline uint32_t filter_one(struct exobpf_cbpf_prog *p, const void *pkt, uint32_t caplen,
				  uint32_t wirelen)
{
	struct vm_run *run = &p->run;

	skb_set(&p->skb, pkt, caplen, wirelen);
	run->pkt = pkt;
	run->pkt_len = caplen;
	run->tail_calls = 0;
	if (p->loops) {
		run->executed = 0;
		run->fault = VM_OK;
	} else if (run->prog->jited) { /* straight into the machine code: per packet, it counts */
		return (uint32_t)run->prog->jited((uintptr_t)&p->skb, 0, run);
	}
	return (uint32_t)vm_run(run, (uintptr_t)&p->skb, 0);
}

EXOBPF_API uint32_t exobpf_cbpf_prog__filter(struct exobpf_cbpf_prog *p, const void *pkt,
					     uint32_t caplen, uint32_t wirelen)
{
	return filter_one(p, pkt, caplen, wirelen);
}

/* How many packets ahead the batch asks for headers: far enough that the
 * memory's latency is covered by the filters run meanwhile, near enough that
 * the lines are still cached when their packet's turn comes. */
#define PREFETCH_AHEAD 16
/* The headers filters read: Ethernet, VLAN tags, IPv4 or IPv6, ports and
 * TCP flags fit in the first 64 bytes, one or two cache lines depending on
 * where the packet starts. */
#define HEADER_BYTES 64

_Static_assert(sizeof(struct exobpf_cbpf_pkt) == sizeof(struct vm_batch_pkt) &&
		   offsetof(struct exobpf_cbpf_pkt, data) == offsetof(struct vm_batch_pkt, data) &&
		   offsetof(struct exobpf_cbpf_pkt, caplen) ==
		       offsetof(struct vm_batch_pkt, caplen) &&
		   offsetof(struct exobpf_cbpf_pkt, wirelen) ==
		       offsetof(struct vm_batch_pkt, wirelen),
	       "batch records go to the JIT's loop as they are");

EXOBPF_API long exobpf_cbpf_prog__filter_batch(struct exobpf_cbpf_prog *p,
					       const struct exobpf_cbpf_pkt *pkts, size_t n,
					       uint32_t *verdicts)
{
	if (!p || (n && !pkts))
		return exo_err(EINVAL, "exobpf_cbpf_prog__filter_batch: no %s",
			       p ? "packets" : "program");
	/* checked before anything runs, so a bad batch leaves no verdicts */
	for (size_t i = 0; i < n; i++)
		if (!pkts[i].data && pkts[i].caplen)
			return exo_err(EINVAL, "%s: packet %zu of the batch: %u bytes at NULL",
				       exobpf_prog__name(p->ebpf), i, pkts[i].caplen);
	/* a filter that reads no packet bytes (length, metadata) would only
	 * spend memory bandwidth on the prefetches */
	size_t ahead = p->reads_pkt ? PREFETCH_AHEAD : n;
	long kept = 0;

	/* the loop in machine code, when the JIT made one (a verified leaf:
	 * no loops, no calls), runs the same code on the same state */
	if (p->run.prog->jited_batch && !p->loops) {
		p->run.tail_calls = 0;
		return p->run.prog->jited_batch(&p->skb, &p->run, (const struct vm_batch_pkt *)pkts,
						n, verdicts, p->reads_pkt);
	}

	for (size_t i = 0; i < n; i++) {
		if (i + ahead < n) {
			const struct exobpf_cbpf_pkt *f = &pkts[i + ahead];
			uint32_t last = f->caplen < HEADER_BYTES ? f->caplen : HEADER_BYTES;

			__builtin_prefetch(f->data);
			if (last) /* the same line again when the headers fit in one */
				__builtin_prefetch((const uint8_t *)f->data + last - 1);
		}
		uint32_t v = filter_one(p, pkts[i].data, pkts[i].caplen, pkts[i].wirelen);
		if (verdicts)
			verdicts[i] = v;
		kept += v != 0;
	}
	return kept;
}

EXOBPF_API int exobpf_cbpf_prog__run(struct exobpf_cbpf_prog *p, struct exobpf_cbpf_run_opts *opts)
{
	struct vm_run run;
	struct exo_skb skb;
	struct seccomp_data sd;
	uint64_t r1, r2 = 0;

	if (!p || !opts || !OPTS_VALID(opts, exobpf_cbpf_run_opts))
		return p && opts ? -errno
				 : exo_err(EINVAL, "exobpf_cbpf_prog__run: no program or options");
	memset(&run, 0, sizeof(run));
	run.prog = &p->ebpf->vm;
	run.checked = opts->flags & EXOBPF_RUN_CHECKED;
	run.budget = p->loops ? CBPF_LOOP_BUDGET : 0;
	if (p->kind == EXOBPF_CBPF_SECCOMP) {
		if (!opts->seccomp)
			return exo_err(EINVAL, "%s: a seccomp filter runs on struct seccomp_data",
				       exobpf_prog__name(p->ebpf));
		sd = *opts->seccomp; /* a copy, so checked mode can hand out exactly it */
		vm_add_region(&run, &sd, sizeof(sd), false);
		r1 = (uintptr_t)&sd;
		r2 = sizeof(sd);
	} else {
		if (opts->caplen && !opts->pkt)
			return exo_err(EINVAL, "%s: caplen is %u but pkt is NULL",
				       exobpf_prog__name(p->ebpf), opts->caplen);
		memset(&skb, 0, sizeof(skb));
		if (opts->skb)
			skb.uapi = *opts->skb;
		skb_set(&skb, opts->pkt, opts->caplen,
			opts->wirelen ? opts->wirelen : opts->caplen);
		run.pkt = opts->pkt;
		run.pkt_len = opts->caplen;
		vm_add_region(&run, &skb, sizeof(skb), false);
		r1 = (uintptr_t)&skb;
	}
	uint64_t r0 = vm_run(&run, r1, r2);
	if (run.fault == VM_FAULT_BUDGET)
		return exo_err(EFAULT, "%s: its loop ran %u instructions without returning",
			       exobpf_prog__name(p->ebpf), CBPF_LOOP_BUDGET);
	if (run.fault)
		return exo_err(EFAULT, "%s: %s", exobpf_prog__name(p->ebpf), run.fault_msg);
	opts->retval = (uint32_t)r0;
	return 0;
}

struct tracer {
	FILE *f;
	const struct sock_filter *insns;
};

static void trace_line(void *arg, uint32_t pc, uint32_t a, uint32_t x)
{
	struct tracer *t = arg;
	char line[160];

	cbpf_listing_line(&t->insns[pc], pc, line, sizeof(line));
	fprintf(t->f, "%-44s ; A=0x%x X=0x%x\n", line, a, x);
}

EXOBPF_API int exobpf_cbpf_interp(const struct sock_filter *insns, size_t cnt,
				  const struct exobpf_cbpf_opts *opts,
				  struct exobpf_cbpf_run_opts *run, char **trace)
{
	struct cbpf_ctx ctx = {0};
	struct __sk_buff skb;
	struct tracer t = {.insns = insns};
	char *buf = NULL;
	size_t len = 0;
	int err;

	if (!OPTS_VALID(opts, exobpf_cbpf_opts) || !OPTS_VALID(run, exobpf_cbpf_run_opts))
		return -errno;
	if (!run)
		return exo_err(EINVAL, "exobpf_cbpf_interp: no run options");
	ctx.kind = OPT(opts, kind, EXOBPF_CBPF_SOCKET);
	ctx.hatype = OPT(opts, hatype, 0) ? OPT(opts, hatype, 0) : 1;
	if ((err = cbpf_check(insns, cnt, ctx.kind))) {
		const char *name = OPT(opts, name, NULL);
		exo_err_prefix("%s", name ? name : "cbpf");
		return err;
	}
	if (ctx.kind == EXOBPF_CBPF_SECCOMP && !run->seccomp)
		return exo_err(EINVAL, "a seccomp filter runs on struct seccomp_data");
	if (run->skb)
		skb = *run->skb;
	else
		memset(&skb, 0, sizeof(skb));
	skb.len = run->wirelen ? run->wirelen : run->caplen;
	ctx.skb = &skb;
	ctx.seccomp = run->seccomp;
	ctx.pkt = run->pkt;
	ctx.caplen = run->pkt ? run->caplen : 0;
	if (trace) {
		if (!(t.f = open_memstream(&buf, &len)))
			return exo_err(ENOMEM, "out of memory for a trace");
		ctx.trace = trace_line;
		ctx.trace_arg = &t;
	}
	run->retval = cbpf_interp(insns, (uint32_t)cnt, &ctx);
	if (ctx.out_of_budget) {
		if (trace && t.f) {
			fclose(t.f);
			free(buf);
		}
		return exo_err(EFAULT, "its loop ran %u instructions without returning",
			       CBPF_LOOP_BUDGET);
	}
	if (trace) {
		bool failed = ferror(t.f);
		fclose(t.f);
		if (failed) {
			free(buf);
			return exo_err(ENOMEM, "out of memory for a trace");
		}
		*trace = buf;
	}
	return 0;
}
