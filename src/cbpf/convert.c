/* Classic BPF to eBPF with Linux's semantics (bpf_convert_filter in
 * net/core/filter.c), in encodings Linux's eBPF verifier accepts, so the
 * result can go through the normal verifier and JIT:
 *
 *   A = w0, X = w7, r6 = the context, M[k] = the stack word at r10 - 4k - 4,
 *   r2 = scratch. A and X start at 0.
 *
 * Socket filters read the packet with LD_ABS/LD_IND (which end the program
 * with 0 when out of range, and clobber r1-r5 like a call) and metadata from
 * struct __sk_buff at its uapi offsets; seccomp filters read struct
 * seccomp_data words. Division by zero ends the program with 0. Where Linux's
 * own conversion emits what only its internal runtime understands (reserved
 * fields set, helpers that are not helpers, xor of uninitialised registers),
 * this one emits the uapi equivalent. Unreachable classic instructions are
 * dropped: the eBPF verifier refuses unreachable code and they cannot run. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cbpf/cbpf.h"
#include "core/err.h"
#include "core/opts.h"
#include "isa/isa.h"

#define R_A   0
#define R_X   7
#define R_TMP 2
#define R_CTX 6
#define R_FP  10

/* Longest expansion of one classic instruction (ldxb 4*([k]&0xf)). */
#define MAX_EXPANSION 7

struct emitter {
	struct bpf_insn *out; /* NULL while sizing */
	uint32_t n;
};

static void emit(struct emitter *e, struct bpf_insn insn)
{
	if (e->out)
		e->out[e->n] = insn;
	e->n++;
}

static void emit_op(struct emitter *e, enum isa_op op, int dst, int src, int off, int32_t imm)
{
	emit(e, isa_encode(op, dst, src, off, imm));
}

/* The 32-bit conditional jump for a classic compare, or its negation. */
static enum isa_op jmp32_op(uint16_t code, bool negate)
{
	bool x = BPF_SRC(code) == BPF_X;

	switch (BPF_OP(code)) {
	case BPF_JEQ:
		return negate ? (x ? ISA_JNE32_X : ISA_JNE32_K) : (x ? ISA_JEQ32_X : ISA_JEQ32_K);
	case BPF_JGT:
		return negate ? (x ? ISA_JLE32_X : ISA_JLE32_K) : (x ? ISA_JGT32_X : ISA_JGT32_K);
	case BPF_JGE:
		return negate ? (x ? ISA_JLT32_X : ISA_JLT32_K) : (x ? ISA_JGE32_X : ISA_JGE32_K);
	default:
		return x ? ISA_JSET32_X : ISA_JSET32_K;
	}
}

static enum isa_op ld_abs_op(uint16_t code)
{
	switch (BPF_SIZE(code)) {
	case BPF_W:
		return BPF_MODE(code) == BPF_IND ? ISA_LDIND_W : ISA_LDABS_W;
	case BPF_H:
		return BPF_MODE(code) == BPF_IND ? ISA_LDIND_H : ISA_LDABS_H;
	default:
		return BPF_MODE(code) == BPF_IND ? ISA_LDIND_B : ISA_LDABS_B;
	}
}

struct conv {
	const struct sock_filter *insns;
	uint32_t cnt;
	enum exobpf_cbpf_kind kind;
	uint16_t hatype;
	uint32_t *addr;	   /* eBPF index of each classic instruction; cnt + 1 entries */
	bool *live;	   /* reachable from the entry */
	uint16_t zero_mem; /* M[] cells to zero first (libpcap's unproven reads) */
};

/* Offset of a jump from the eBPF instruction about to be emitted to classic
 * target t (0 while sizing, when later addresses are not known yet). */
static int jump_off(const struct conv *c, const struct emitter *e, uint64_t t, uint32_t pc,
		    int *off)
{
	int64_t d = (int64_t)c->addr[t] - (int64_t)e->n - 1;

	*off = 0;
	if (!e->out)
		return 0;
	if (d < INT16_MIN || d > INT16_MAX)
		return exo_err(E2BIG,
			       "insn %u: the converted jump to insn %llu does not fit in 16 bits",
			       pc, (unsigned long long)t);
	*off = (int)d;
	return 0;
}

static int convert_ancillary(const struct conv *c, struct emitter *e, const struct sock_filter *in,
			     const struct cbpf_ad *ad, uint32_t pc)
{
	switch (ad->how) {
	case CBPF_AD_FIELD:
		emit_op(e, ISA_LDXW, R_A, R_CTX, ad->arg, 0);
		return 0;
	case CBPF_AD_BE16:
		/* __sk_buff holds the network-order 16 bits; Linux's ntohs */
		emit_op(e, ISA_LDXW, R_A, R_CTX, ad->arg, 0);
		emit_op(e, ISA_BE16, R_A, 0, 0, 16);
		return 0;
	case CBPF_AD_HATYPE:
		emit_op(e, ISA_MOV32_K, R_A, 0, 0, c->hatype);
		return 0;
	case CBPF_AD_CALL:
		/* r1-r5 are clobbered; A (r0) takes the result, X and ctx are
		 * callee-saved */
		emit_op(e, ISA_CALL, 0, 0, 0, ad->arg);
		return 0;
	case CBPF_AD_XOR:
		emit_op(e, ISA_XOR32_X, R_A, R_X, 0, 0);
		return 0;
	default:
		return exo_err(EOPNOTSUPP,
			       "insn %u: %s [%s] (%s) reads what exobpf's packets do not have "
			       "(Linux computes it with a netlink parser or its flow dissector)",
			       pc, cbpf_rows[cbpf_op_of(in->code)].mnemonic, ad->pcap, ad->name);
	}
}

static int convert_one(const struct conv *c, struct emitter *e, uint32_t pc)
{
	const struct sock_filter *in = &c->insns[pc];
	int op = cbpf_op_of(in->code), off, err;
	const struct cbpf_ad *ad;
	bool seccomp = c->kind == EXOBPF_CBPF_SECCOMP;
	/* M[k] lives at r10 - 4k - 4 (k < 16 once checked) */
	int mem = in->k < BPF_MEMWORDS ? -4 * (int)in->k - 4 : 0;

	switch ((enum cbpf_shape)cbpf_rows[op].shape) {
	case CBPF_SHAPE_RET_K:
		emit_op(e, ISA_MOV32_K, R_A, 0, 0, (int32_t)in->k);
		emit_op(e, ISA_EXIT, 0, 0, 0, 0);
		return 0;
	case CBPF_SHAPE_RET_A:
		emit_op(e, ISA_EXIT, 0, 0, 0, 0);
		return 0;
	case CBPF_SHAPE_LD_ABS:
		if (seccomp) {
			emit_op(e, ISA_LDXW, R_A, R_CTX, (int)in->k, 0);
			return 0;
		}
		if ((ad = cbpf_ancillary(in)))
			return convert_ancillary(c, e, in, ad, pc);
		emit_op(e, ld_abs_op(in->code), 0, 0, 0, (int32_t)in->k);
		return 0;
	case CBPF_SHAPE_LD_IND:
		emit_op(e, ld_abs_op(in->code), 0, R_X, 0, (int32_t)in->k);
		return 0;
	case CBPF_SHAPE_LD_LEN:
	case CBPF_SHAPE_LDX_LEN: {
		int dst = cbpf_rows[op].shape == CBPF_SHAPE_LD_LEN ? R_A : R_X;
		if (seccomp) /* Linux rewrites it to the size of struct seccomp_data */
			emit_op(e, ISA_MOV32_K, dst, 0, 0, (int32_t)sizeof(struct seccomp_data));
		else
			emit_op(e, ISA_LDXW, dst, R_CTX, (int)offsetof(struct __sk_buff, len), 0);
		return 0;
	}
	case CBPF_SHAPE_LD_IMM:
		emit_op(e, ISA_MOV32_K, R_A, 0, 0, (int32_t)in->k);
		return 0;
	case CBPF_SHAPE_LDX_IMM:
		emit_op(e, ISA_MOV32_K, R_X, 0, 0, (int32_t)in->k);
		return 0;
	case CBPF_SHAPE_LD_MEM:
		emit_op(e, ISA_LDXW, R_A, R_FP, mem, 0);
		return 0;
	case CBPF_SHAPE_LDX_MEM:
		emit_op(e, ISA_LDXW, R_X, R_FP, mem, 0);
		return 0;
	case CBPF_SHAPE_ST:
		emit_op(e, ISA_STXW, R_FP, R_A, mem, 0);
		return 0;
	case CBPF_SHAPE_STX:
		emit_op(e, ISA_STXW, R_FP, R_X, mem, 0);
		return 0;
	case CBPF_SHAPE_LDX_MSH:
		/* LD_ABS writes r0 (A): keep A in X while loading, then swap */
		emit_op(e, ISA_MOV64_X, R_X, R_A, 0, 0);
		emit_op(e, ISA_LDABS_B, 0, 0, 0, (int32_t)in->k);
		emit_op(e, ISA_AND32_K, R_A, 0, 0, 0xf);
		emit_op(e, ISA_LSH32_K, R_A, 0, 0, 2);
		emit_op(e, ISA_MOV64_X, R_TMP, R_X, 0, 0);
		emit_op(e, ISA_MOV64_X, R_X, R_A, 0, 0);
		emit_op(e, ISA_MOV64_X, R_A, R_TMP, 0, 0);
		return 0;
	case CBPF_SHAPE_TAX:
		emit_op(e, ISA_MOV64_X, R_X, R_A, 0, 0);
		return 0;
	case CBPF_SHAPE_TXA:
		emit_op(e, ISA_MOV64_X, R_A, R_X, 0, 0);
		return 0;
	case CBPF_SHAPE_NEG:
		emit_op(e, ISA_NEG32, R_A, 0, 0, 0);
		return 0;
	case CBPF_SHAPE_ALU_K:
		/* classic ALU opcodes are eBPF's 32-bit ALU opcodes */
		emit(e, (struct bpf_insn){
			    .code = (uint8_t)in->code, .dst_reg = R_A, .imm = (int32_t)in->k});
		return 0;
	case CBPF_SHAPE_ALU_X:
		if (op == CBPF_DIV_X || op == CBPF_MOD_X) {
			/* classic BPF ends the program with 0 on division by zero */
			emit_op(e, ISA_JNE32_K, R_X, 0, 2, 0);
			emit_op(e, ISA_MOV32_K, R_A, 0, 0, 0);
			emit_op(e, ISA_EXIT, 0, 0, 0, 0);
		}
		emit(e,
		     (struct bpf_insn){.code = (uint8_t)in->code, .dst_reg = R_A, .src_reg = R_X});
		return 0;
	case CBPF_SHAPE_JA:
		if ((err = jump_off(c, e, cbpf_ja(in, pc), pc, &off)))
			return err;
		emit_op(e, ISA_JA, 0, 0, off, 0);
		return 0;
	case CBPF_SHAPE_JMP_K:
	case CBPF_SHAPE_JMP_X: {
		/* 32-bit compares: A and X are 32-bit values and k compares
		 * unsigned, which a 64-bit compare with a sign-extended imm
		 * would not. */
		int src = cbpf_rows[op].shape == CBPF_SHAPE_JMP_X ? R_X : 0;
		int32_t imm = src ? 0 : (int32_t)in->k;
		if (in->jf == 0) { /* false falls through */
			if ((err = jump_off(c, e, cbpf_jt(in, pc), pc, &off)))
				return err;
			emit_op(e, jmp32_op(in->code, false), R_A, src, off, imm);
		} else if (in->jt == 0 && BPF_OP(in->code) != BPF_JSET) { /* true falls through */
			if ((err = jump_off(c, e, cbpf_jf(in, pc), pc, &off)))
				return err;
			emit_op(e, jmp32_op(in->code, true), R_A, src, off, imm);
		} else {
			if ((err = jump_off(c, e, cbpf_jt(in, pc), pc, &off)))
				return err;
			emit_op(e, jmp32_op(in->code, false), R_A, src, off, imm);
			if ((err = jump_off(c, e, cbpf_jf(in, pc), pc, &off)))
				return err;
			emit_op(e, ISA_JA, 0, 0, off, 0);
		}
		return 0;
	}
	}
	return exo_err(EINVAL, "insn %u: opcode 0x%02x cannot be converted", pc, in->code);
}

/* Everything reachable from the entry (a worklist: libpcap's loops jump
 * back). Returns whether any jump goes backwards. */
static bool mark_live(const struct sock_filter *insns, bool *live, uint32_t *work)
{
	uint32_t n = 0;
	bool back = false;

	live[0] = true;
	work[n++] = 0;
	while (n) {
		uint32_t pc = work[--n], next[2];
		const struct sock_filter *in = &insns[pc];
		unsigned nn = 0;

		switch (cbpf_rows[cbpf_op_of(in->code)].shape) {
		case CBPF_SHAPE_RET_K:
		case CBPF_SHAPE_RET_A:
			break;
		case CBPF_SHAPE_JA:
			next[nn++] = cbpf_ja(in, pc);
			back |= next[0] <= pc;
			break;
		case CBPF_SHAPE_JMP_K:
		case CBPF_SHAPE_JMP_X:
			next[nn++] = (uint32_t)cbpf_jt(in, pc);
			next[nn++] = (uint32_t)cbpf_jf(in, pc);
			break;
		default:
			next[nn++] = pc + 1; /* the checker ensured a ret ends the program */
			break;
		}
		for (unsigned i = 0; i < nn; i++)
			if (!live[next[i]]) {
				live[next[i]] = true;
				work[n++] = next[i];
			}
	}
	return back;
}

/* Sizing pass (e->out NULL, jumps resolve to 0), then the real one. */
static int run_pass(struct conv *c, struct emitter *e)
{
	int err;

	e->n = 0;
	emit_op(e, ISA_MOV32_K, R_A, 0, 0, 0);
	emit_op(e, ISA_MOV32_K, R_X, 0, 0, 0);
	emit_op(e, ISA_MOV64_X, R_CTX, 1, 0, 0);
	for (uint32_t k = 0; k < BPF_MEMWORDS; k++)
		if (c->zero_mem & (1u << k))
			emit_op(e, ISA_STW, R_FP, 0, -4 * (int)k - 4, 0);
	for (uint32_t pc = 0; pc < c->cnt; pc++) {
		if (!e->out)
			c->addr[pc] = e->n;
		if (c->live[pc] && (err = convert_one(c, e, pc)))
			return err;
	}
	return 0;
}

int cbpf_convert(const struct sock_filter *insns, uint32_t cnt, enum exobpf_cbpf_kind kind,
		 uint16_t hatype, struct bpf_insn **out, uint32_t *out_cnt, bool *loops)
{
	struct conv c = {.insns = insns, .cnt = cnt, .kind = kind, .hatype = hatype};
	struct emitter e = {0};
	int err = cbpf_check(insns, cnt, kind);

	if (err)
		return err;
	/* addr doubles as the worklist before it holds addresses */
	c.addr = calloc((size_t)cnt + 1, sizeof(*c.addr));
	c.live = calloc((size_t)cnt + 1, sizeof(*c.live));
	if (!c.addr || !c.live) {
		err = exo_err(ENOMEM, "out of memory converting %u instructions", cnt);
		goto out;
	}
	*loops = mark_live(insns, c.live, c.addr);
	/* Linux refuses reads of M[] it cannot prove written; libpcap's
	 * programs may make them on paths that never run. Zero such cells so
	 * every read is defined, as the eBPF verifier will demand. */
	if (kind == EXOBPF_CBPF_PCAP && cbpf_check_memory(insns, cnt))
		for (uint32_t pc = 0; pc < cnt; pc++) {
			int op = cbpf_op_of(insns[pc].code);
			if (op == CBPF_LD_MEM || op == CBPF_LDX_MEM)
				c.zero_mem |= (uint16_t)(1u << insns[pc].k);
		}
	if ((err = run_pass(&c, &e)))
		goto out;
	e.out = calloc(e.n, sizeof(*e.out));
	if (!e.out) {
		err = exo_err(ENOMEM, "out of memory for %u eBPF instructions", e.n);
		goto out;
	}
	if ((err = run_pass(&c, &e))) {
		free(e.out);
		goto out;
	}
	*out = e.out;
	*out_cnt = e.n;
out:
	free(c.addr);
	free(c.live);
	return err;
}

EXOBPF_API int exobpf_cbpf_convert(const struct sock_filter *insns, size_t cnt,
				   const struct exobpf_cbpf_opts *opts, struct bpf_insn **out,
				   size_t *out_cnt)
{
	struct bpf_insn *res;
	uint32_t n;
	bool loops;
	int err;

	if (!OPTS_VALID(opts, exobpf_cbpf_opts))
		return -errno;
	if (!out || !out_cnt)
		return exo_err(EINVAL, "exobpf_cbpf_convert: no place for the result");
	if (!insns || cnt == 0 || cnt > BPF_MAXINSNS)
		return cbpf_check(insns, cnt, OPT(opts, kind, EXOBPF_CBPF_SOCKET));
	uint16_t hatype = OPT(opts, hatype, 0);
	err = cbpf_convert(insns, (uint32_t)cnt, OPT(opts, kind, EXOBPF_CBPF_SOCKET),
			   hatype ? hatype : 1 /* ARPHRD_ETHER */, &res, &n, &loops);
	if (err) {
		const char *name = OPT(opts, name, NULL);
		exo_err_prefix("%s", name ? name : "cbpf");
		return err;
	}
	*out = res;
	*out_cnt = n;
	return 0;
}
