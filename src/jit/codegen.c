/* eBPF to x86-64, one instruction at a time, with the interpreter's exact
 * semantics (interp_body.h is the reference).
 *
 * Registers: eBPF r1-r5 live in the System V argument registers so helper
 * calls need no moves; r6-r9 and r10 in callee-saved registers so they
 * survive helpers; r12 points at the run's private context on the native
 * stack; r9-r11 are scratch (r9 also carries the run to helpers).
 *
 * Frames: the trampoline reserves the context and all 8 eBPF stack frames on
 * the native stack and calls instruction 0. A local call saves r6-r9, moves
 * r10 down one frame and does a native call; every exit is a native ret, to
 * the caller's call site or (at depth 0) to the trampoline. Faults and the
 * end of a program by LD_ABS unwind through the saved stack pointer to the
 * call that built the frame (the trampoline's, or a callback or loop
 * entry's; after a tail call, the caller's). Between instructions rsp is
 * 16-byte aligned, so helpers are called without adjustment. Programs that
 * call nothing skip the trampoline (plan_leaf, plan_direct). */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "helpers/helpers.h"
#include "jit/codegen.h"
#include "maps/map.h"
#include "jit/runtime.h"
#include "jit/x86.h"
#include "progtypes/progtypes.h"

static const uint8_t reg_of[11] = {
    X_RAX, X_RDI, X_RSI, X_RDX, X_RCX, X_R8, X_RBX, X_R13, X_R14, X_R15, X_RBP,
};

enum { TMP1 = X_R9, TMP2 = X_R10, TMP3 = X_R11, CTXR = X_R12 };
#define RED_ZONE 128 /* bytes below rsp that signal delivery leaves alone (System V) */

/* A leaf program keeps the run pointer in rdx (its r3 is never named). */
#define LEAF_RUN X_RDX

/* The run's private context at [r12]; the loop entry keeps bpf_loop's
 * state in the CTX_LOOP_ words, which its callback cannot reach. */
enum {
	CTX_RUN = 0,
	CTX_RSP = 8,
	CTX_DEPTH = 16,
	CTX_LOOP_N = 24,
	CTX_LOOP_I = 32,
	CTX_LOOP_ARG = 40,
	CTX_LOOP_CODE = 48,
	CTX_SIZE = 64
};
#define FRAME_SIZE (CTX_SIZE + VM_MAX_FRAMES * VM_STACK_SIZE)
_Static_assert(FRAME_SIZE % 16 == 0, "the trampoline's alignment arithmetic needs this");

#define RUN_OFF(field) ((int32_t)offsetof(struct vm_run, field))
_Static_assert(sizeof(((struct vm_run *)0)->fault) == 4, "fault is compared as 32 bits");
_Static_assert(sizeof(((struct vm_run *)0)->tail_calls) == 4, "tail_calls is 32 bits");
_Static_assert(sizeof(((struct vm_run *)0)->pkt_len) == 4, "pkt_len is 32 bits");
_Static_assert(sizeof(((struct vm_run *)0)->jit_ended) == 4, "jit_ended is 32 bits");

#define ARG_REGS 0x3eu /* r1-r5 */

enum stub_kind {
	STUB_FAULT,	  /* record a fault (a: enum vm_fault, VM_OK for a helper's) and unwind */
	STUB_DIV_ZERO,	  /* divisor 0: the result Linux defines */
	STUB_DIV_M1,	  /* signed divisor -1 */
	STUB_LD_SLOW,	  /* LD_IND at a negative offset: C decides */
	STUB_TAIL_INTERP, /* tail call into a program without machine code */
	STUB_HELPER_DEEP, /* helper call at depth > 0, saving what callers may read */
	STUB_SET,	  /* a sunk constant move (a: x86 register, v: value), then the jump */
};

struct jit_stub {
	uint8_t kind;
	uint8_t a, flags; /* kind-specific: register, sizes, widths */
	uint16_t mask;
	uint32_t pc;
	unsigned entry, resume; /* labels */
	uint64_t v;
	uint32_t off; /* where the last pass emitted it */
};

enum { SF_W64 = 1, SF_MOD = 2, SF_NORUN = 4 };

#define B (&cg->b)

static unsigned add_stub(struct jit_cg *cg, struct jit_stub s)
{
	if (cg->nstubs == cg->cap_stubs) {
		unsigned cap = cg->cap_stubs ? cg->cap_stubs * 2 : 64;
		struct jit_stub *n = realloc(cg->stubs, cap * sizeof(*n));
		if (!n) {
			jit_fail(B, -ENOMEM, "out of memory for %u stubs", cap);
			return 0;
		}
		cg->stubs = n;
		cg->cap_stubs = cap;
	}
	s.pc = cg->pc;
	s.entry = jit_label_new(B);
	cg->stubs[cg->nstubs++] = s;
	return s.entry;
}

/* A label to jump to that records fault f at the current instruction. */
static unsigned fault_label(struct jit_cg *cg, enum vm_fault f)
{
	return add_stub(cg, (struct jit_stub){.kind = STUB_FAULT, .a = (uint8_t)f});
}

static const struct jit_fact *fact(const struct jit_cg *cg)
{
	return cg->facts ? &cg->facts[cg->pc] : NULL;
}

static const struct vm_insn *insn_addr(const struct jit_cg *cg, uint32_t pc)
{
	return &cg->prog->code[pc];
}

/* ---- constants and blinding ---- */

static uint64_t next_key(struct jit_cg *cg)
{
	/* splitmix64: a fresh key per immediate, the same sequence each pass */
	uint64_t z = (cg->rng += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* reg = v. Blinded, the bytes of v never appear in the code: reg = v ^ k,
 * then reg ^= k, with a fresh k. */
static void load_const(struct jit_cg *cg, int reg, uint64_t v)
{
	if (!cg->blind) {
		x86_mov_imm64(B, reg, v);
		return;
	}
	int32_t key = (int32_t)next_key(cg);
	x86_movabs(B, reg, v ^ (uint64_t)(int64_t)key);
	x86_alu_ri(B, X_XOR, true, reg, key);
}

/* ---- ALU ---- */

static void shift_x(struct jit_cg *cg, enum x86_shift op, bool w, int dst, int src)
{
	if (cg->bmi2) { /* shlx/shrx/sarx mask the count exactly as eBPF does */
		x86_shiftx(B, op, w, dst, dst, src);
		return;
	}
	/* The count must be in cl, which is r4. */
	if (src == X_RCX) {
		x86_shift_cl(B, op, w, dst);
	} else if (dst == X_RCX) {
		x86_mov_rr(B, true, TMP3, X_RCX);
		x86_mov_rr(B, true, X_RCX, src);
		x86_shift_cl(B, op, w, TMP3);
		x86_mov_rr(B, w, X_RCX, TMP3);
		return;
	} else {
		x86_mov_rr(B, true, TMP3, X_RCX);
		x86_mov_rr(B, true, X_RCX, src);
		x86_shift_cl(B, op, w, dst);
		x86_mov_rr(B, true, X_RCX, TMP3);
	}
	/* A 32-bit shift by a count of 0 leaves the flags alone; zero-extend
	 * explicitly rather than rely on the register write. */
	if (!w)
		x86_mov_rr(B, false, dst, dst);
}

/* dst = dst / or % TMP3 (the divisor, known not 0 and, if signed, not -1).
 * div uses rax and rdx, which are r0 and r3: keep them unless they are dst. */
static void divmod_core(struct jit_cg *cg, bool mod, bool sign, bool w, int dst)
{
	int res = mod ? X_RDX : X_RAX;

	if (dst != X_RAX)
		x86_mov_rr(B, true, TMP2, X_RAX);
	if (dst != X_RDX)
		x86_mov_rr(B, true, TMP1, X_RDX);
	if (dst != X_RAX)
		x86_mov_rr(B, true, X_RAX, dst);
	if (sign)
		x86_cqo(B, w);
	else
		x86_mov_imm32(B, X_RDX, 0);
	x86_unary(B, sign ? X_IDIV : X_DIV, w, TMP3);
	if (dst != res)
		x86_mov_rr(B, true, dst, res);
	if (dst != X_RAX)
		x86_mov_rr(B, true, X_RAX, TMP2);
	if (dst != X_RDX)
		x86_mov_rr(B, true, X_RDX, TMP1);
}

/* Linux: x / 0 = 0, x % 0 = x (truncated for 32 bits); signed: x / -1 =
 * -x, x % -1 = 0. */
static void div_by_zero(struct jit_cg *cg, bool mod, bool w, int dst)
{
	if (!mod)
		x86_mov_imm32(B, dst, 0);
	else if (!w)
		x86_mov_rr(B, false, dst, dst);
}

static void div_by_m1(struct jit_cg *cg, bool mod, bool w, int dst)
{
	if (mod)
		x86_mov_imm32(B, dst, 0);
	else
		x86_unary(B, X_NEG, w, dst);
}

static void divmod_x(struct jit_cg *cg, bool mod, bool sign, bool w, int dst, int src)
{
	const struct jit_fact *f = fact(cg);
	bool nonzero = f && (f->flags & JIT_FACT_DIV_NONZERO);
	bool not_m1 = f && (f->flags & JIT_FACT_DIV_NOT_M1);
	unsigned resume = jit_label_new(B);
	uint8_t flags = (uint8_t)((w ? SF_W64 : 0) | (mod ? SF_MOD : 0));

	x86_mov_rr(B, true, TMP3, src);
	if (!nonzero) {
		x86_test_rr(B, w, TMP3, TMP3);
		jit_jmp(B, X_CC_E,
			add_stub(cg, (struct jit_stub){.kind = STUB_DIV_ZERO,
						       .a = (uint8_t)dst,
						       .flags = flags,
						       .resume = resume}));
	}
	if (sign && !not_m1) {
		x86_alu_ri(B, X_CMP, w, TMP3, -1);
		jit_jmp(B, X_CC_E,
			add_stub(cg, (struct jit_stub){.kind = STUB_DIV_M1,
						       .a = (uint8_t)dst,
						       .flags = flags,
						       .resume = resume}));
	}
	divmod_core(cg, mod, sign, w, dst);
	jit_label_bind(B, resume);
}

static int log2_exact(uint64_t v)
{
	return v && !(v & (v - 1)) ? __builtin_ctzll(v) : -1;
}

static void divmod_k(struct jit_cg *cg, bool mod, bool sign, bool w, int dst, int32_t imm)
{
	/* The divisor as the instruction reads it: sign-extended for 64 bits. */
	uint64_t d = w ? (uint64_t)(int64_t)imm : (uint32_t)imm;
	int sh = sign ? -1 : log2_exact(d);

	if (imm == 0) {
		div_by_zero(cg, mod, w, dst);
	} else if (sign && imm == -1) {
		div_by_m1(cg, mod, w, dst);
	} else if (sh >= 0 && !cg->blind) {
		if (mod)
			x86_alu_ri(B, X_AND, w, dst, (int32_t)(d - 1));
		else if (sh)
			x86_shift_ri(B, X_SHR, w, dst, (uint8_t)sh);
		else if (!w)
			x86_mov_rr(B, false, dst, dst);
	} else {
		load_const(cg, TMP3, d);
		divmod_core(cg, mod, sign, w, dst);
	}
}

static bool is_signed_div(const struct isa_row *row)
{
	return row->key == ISA_KEY_OFF && row->keyval == 1;
}

/* The operation of an ALU row: BPF_ADD.., its width and signedness. */
struct alu_op {
	unsigned bop;
	bool w, sign;
};

static struct alu_op alu_op_of(enum isa_op op)
{
	const struct isa_row *row = &isa_rows[op];
	return (struct alu_op){row->code & 0xf0, !isa_is_alu32(op), is_signed_div(row)};
}

static void no_form(struct jit_cg *cg)
{
	const struct isa_row *row = &isa_rows[cg->prog->code[cg->pc].op];
	jit_fail(B, -ENOTSUP, "insn %u: no x86 form for %s", cg->pc, row->name);
}

static void alu_x(struct jit_cg *cg, struct alu_op a, int dst, int src)
{
	switch (a.bop) {
	case BPF_ADD:
		x86_alu_rr(B, X_ADD, a.w, dst, src);
		break;
	case BPF_SUB:
		x86_alu_rr(B, X_SUB, a.w, dst, src);
		break;
	case BPF_OR:
		x86_alu_rr(B, X_OR, a.w, dst, src);
		break;
	case BPF_AND:
		x86_alu_rr(B, X_AND, a.w, dst, src);
		break;
	case BPF_XOR:
		x86_alu_rr(B, X_XOR, a.w, dst, src);
		break;
	case BPF_MUL:
		x86_imul_rr(B, a.w, dst, src);
		break;
	case BPF_MOV: /* mov32 to itself still zero-extends */
		if (!a.w || dst != src)
			x86_mov_rr(B, a.w, dst, src);
		break;
	case BPF_LSH:
		shift_x(cg, X_SHL, a.w, dst, src);
		break;
	case BPF_RSH:
		shift_x(cg, X_SHR, a.w, dst, src);
		break;
	case BPF_ARSH:
		shift_x(cg, X_SAR, a.w, dst, src);
		break;
	case BPF_DIV:
	case BPF_MOD:
		divmod_x(cg, a.bop == BPF_MOD, a.sign, a.w, dst, src);
		break;
	default:
		no_form(cg);
	}
}

/* dst OP= imm, imm read as the K rows read it (sign-extended for 64 bits). */
static void alu_k(struct jit_cg *cg, struct alu_op a, int dst, int32_t imm)
{
	uint64_t v = a.w ? (uint64_t)(int64_t)imm : (uint32_t)imm;

	switch (a.bop) {
	case BPF_DIV:
	case BPF_MOD:
		divmod_k(cg, a.bop == BPF_MOD, a.sign, a.w, dst, imm);
		return;
	case BPF_LSH:
	case BPF_RSH:
	case BPF_ARSH: {
		/* Only the masked count is emitted, so there is nothing to blind. */
		uint8_t n = (uint8_t)(imm & (a.w ? 63 : 31));
		if (n)
			x86_shift_ri(B,
				     a.bop == BPF_LSH	? X_SHL
				     : a.bop == BPF_RSH ? X_SHR
							: X_SAR,
				     a.w, dst, n);
		else if (!a.w)
			x86_mov_rr(B, false, dst, dst);
		return;
	}
	case BPF_MOV:
		load_const(cg, dst, v);
		return;
	}
	if (cg->blind) {
		load_const(cg, TMP2, v);
		alu_x(cg, a, dst, TMP2);
		return;
	}
	switch (a.bop) {
	case BPF_ADD:
		x86_alu_ri(B, X_ADD, a.w, dst, imm);
		break;
	case BPF_SUB:
		x86_alu_ri(B, X_SUB, a.w, dst, imm);
		break;
	case BPF_OR:
		x86_alu_ri(B, X_OR, a.w, dst, imm);
		break;
	case BPF_AND:
		x86_alu_ri(B, X_AND, a.w, dst, imm);
		break;
	case BPF_XOR:
		x86_alu_ri(B, X_XOR, a.w, dst, imm);
		break;
	case BPF_MUL:
		x86_imul_rri(B, a.w, dst, dst, imm);
		break;
	default:
		no_form(cg);
	}
}

static void emit_ALU_K(struct jit_cg *cg, const struct vm_insn *in)
{
	alu_k(cg, alu_op_of(in->op), cg->reg[in->dst], (int32_t)in->imm);
}

static void emit_ALU_X(struct jit_cg *cg, const struct vm_insn *in)
{
	const struct jit_fact *f = fact(cg);
	struct alu_op a = alu_op_of(in->op);

	/* A source proved constant folds into the immediate form when the K
	 * row would read the same value: any 32 bits, or 64 bits that are a
	 * sign-extended 32. */
	if (f && (f->flags & JIT_FACT_SRC_CONST) && a.bop != BPF_MOV) {
		int64_t v = a.w ? f->src_val : (int32_t)(uint32_t)f->src_val;
		if (v == (int32_t)v) {
			alu_k(cg, a, cg->reg[in->dst], (int32_t)v);
			return;
		}
	}
	alu_x(cg, a, cg->reg[in->dst], cg->reg[in->src]);
}

static void emit_NEG(struct jit_cg *cg, const struct vm_insn *in)
{
	x86_unary(B, X_NEG, !isa_is_alu32(in->op), cg->reg[in->dst]);
}

static void emit_MOVSX(struct jit_cg *cg, const struct vm_insn *in)
{
	const struct isa_row *row = &isa_rows[in->op];

	x86_movsx_rr(B, row->keyval, !isa_is_alu32(in->op), cg->reg[in->dst], cg->reg[in->src]);
}

static void emit_END(struct jit_cg *cg, const struct vm_insn *in)
{
	const struct isa_row *row = &isa_rows[in->op];
	int d = cg->reg[in->dst], bits = row->keyval;
	/* bswap (ALU64) always swaps; be swaps on this little-endian host. */
	bool swap = isa_class(row->code) == BPF_ALU64 || (row->code & BPF_X);

	if (bits == 16) {
		if (swap)
			x86_ror16_8(B, d);
		x86_movzx_rr(B, 16, d, d);
	} else if (bits == 32) {
		if (swap)
			x86_bswap(B, false, d);
		else
			x86_mov_rr(B, false, d, d);
	} else if (swap) {
		x86_bswap(B, true, d);
	}
}

/* ---- jumps ---- */

static int cond_of(unsigned bop)
{
	switch (bop) {
	case BPF_JEQ:
		return X_CC_E;
	case BPF_JNE:
	case BPF_JSET:
		return X_CC_NE;
	case BPF_JGT:
		return X_CC_A;
	case BPF_JGE:
		return X_CC_AE;
	case BPF_JLT:
		return X_CC_B;
	case BPF_JLE:
		return X_CC_BE;
	case BPF_JSGT:
		return X_CC_G;
	case BPF_JSGE:
		return X_CC_GE;
	case BPF_JSLT:
		return X_CC_L;
	case BPF_JSLE:
		return X_CC_LE;
	}
	return -1;
}

static uint32_t jump_target(const struct jit_cg *cg, int64_t rel)
{
	return (uint32_t)((int64_t)cg->pc + 1 + rel);
}

static void emit_EXIT(struct jit_cg *cg, const struct vm_insn *in);

/* A goto whose target is an exit is that exit: clang funnels every return
 * through one exit, and a ret (or a direct program's epilogue) here saves a
 * taken jump per run. */
static void goto_insn(struct jit_cg *cg, uint32_t target)
{
	const struct vm_prog *prog = cg->prog;

	if (target < prog->len && prog->code[target].op == ISA_EXIT)
		emit_EXIT(cg, &prog->code[target]);
	else
		jit_jmp(B, -1, target);
}

static void goto_block(struct jit_cg *cg, uint32_t target);

static void emit_JA(struct jit_cg *cg, const struct vm_insn *in)
{
	if (in->off)
		goto_block(cg, jump_target(cg, in->off));
}

static void emit_JA32(struct jit_cg *cg, const struct vm_insn *in)
{
	if (in->imm)
		goto_block(cg, jump_target(cg, in->imm));
}

static void cond_jump(struct jit_cg *cg, const struct vm_insn *in, int src, bool k)
{
	const struct isa_row *row = &isa_rows[in->op];
	bool w = !isa_is_jmp32(in->op);
	unsigned bop = row->code & 0xf0;
	int dst = cg->reg[in->dst], cc = cond_of(bop);
	int32_t imm = (int32_t)in->imm;

	if (cc < 0) {
		no_form(cg);
		return;
	}
	if (!in->off) /* to the next instruction either way; compares have no side effects */
		return;
	const struct jit_fact *f = fact(cg);
	if (f && (f->flags & JIT_FACT_JMP_NEVER))
		return;
	if (f && (f->flags & JIT_FACT_JMP_ALWAYS)) {
		jit_jmp(B, -1, jump_target(cg, in->off));
		return;
	}
	/* A source proved constant compares as an immediate where one can say it. */
	if (!k && f && (f->flags & JIT_FACT_SRC_CONST)) {
		int64_t v = w ? f->src_val : (int32_t)(uint32_t)f->src_val;
		if (v == (int32_t)v)
			k = true, imm = (int32_t)v;
	}
	if (k && cg->blind) {
		load_const(cg, TMP2, w ? (uint64_t)(int64_t)imm : (uint32_t)imm);
		src = TMP2, k = false;
	}
	if (k && bop == BPF_JSET)
		x86_test_ri(B, w, dst, imm);
	else if (k && imm == 0) /* same flags as cmp dst, 0 for every condition */
		x86_test_rr(B, w, dst, dst);
	else if (k)
		x86_alu_ri(B, X_CMP, w, dst, imm);
	else if (bop == BPF_JSET)
		x86_test_rr(B, w, dst, src);
	else
		x86_alu_rr(B, X_CMP, w, dst, src);
	unsigned to = jump_target(cg, in->off);
	if (f && (f->flags & JIT_FACT_SINK_JMP)) {
		int64_t v = f->sink.w64 ? (int64_t)f->sink.imm : (int64_t)(uint32_t)f->sink.imm;
		to = add_stub(cg, (struct jit_stub){.kind = STUB_SET,
						    .a = cg->reg[f->sink.reg],
						    .v = (uint64_t)v,
						    .resume = to});
	}
	jit_jmp(B, cc, to);
}

static void emit_JMP_K(struct jit_cg *cg, const struct vm_insn *in)
{
	cond_jump(cg, in, -1, true);
}

static void emit_JMP_X(struct jit_cg *cg, const struct vm_insn *in)
{
	cond_jump(cg, in, cg->reg[in->src], false);
}

/* ---- calls ---- */

/* Call the function at fn (or in fn_reg when fn is 0) with r1-r5 as
 * arguments and the run as the sixth, keeping the r1-r5 named in save (the
 * interpreter never changes them), then stop if the callee recorded a
 * fault. A callee that never faults (runs = false) gets neither the run nor
 * the check. rsp is 16-byte aligned here and at the call. */
static void call_c_as(struct jit_cg *cg, uint64_t fn, int fn_reg, uint16_t save, bool runs)
{
	int regs[5], n = 0;

	for (int r = 1; r <= 5; r++)
		if (save & (1u << r))
			regs[n++] = cg->reg[r];
	for (int i = 0; i < n; i++)
		x86_push(B, regs[i]);
	if (n & 1)
		x86_alu_ri(B, X_SUB, true, X_RSP, 8);
	if (runs)
		x86_load(B, 8, false, TMP1, x86_m(CTXR, CTX_RUN));
	if (fn_reg < 0) {
		x86_movabs(B, TMP2, fn);
		fn_reg = TMP2;
	}
	x86_call_r(B, fn_reg);
	if (runs) {
		x86_load(B, 8, false, TMP1, x86_m(CTXR, CTX_RUN));
		x86_alu_mi(B, X_CMP, false, x86_m(TMP1, RUN_OFF(fault)), 0);
		jit_jmp(B, X_CC_NE, fault_label(cg, VM_OK));
	}
	if (n & 1)
		x86_alu_ri(B, X_ADD, true, X_RSP, 8);
	for (int i = n; i-- > 0;)
		x86_pop(B, regs[i]);
}

static void call_c(struct jit_cg *cg, uint64_t fn, int fn_reg, uint16_t save)
{
	call_c_as(cg, fn, fn_reg, save, true);
}

/* A helper call, saving the argument registers that are read again. When
 * the program may be running below a subprogram of another program (depth >
 * 0, after a tail call), callers may read more of them: that case takes an
 * out-of-line copy of the call saving those too. runs: as call_c_as. */
static void helper_call(struct jit_cg *cg, uint64_t fn, bool runs)
{
	const struct jit_fact *f = fact(cg);
	uint16_t save = ARG_REGS, deep = ARG_REGS;

	if (f && (f->flags & JIT_FACT_LIVENESS)) {
		save = f->live_after & ARG_REGS;
		deep = f->live_after_deep & ARG_REGS;
	}
	if (deep != save) {
		unsigned resume = jit_label_new(B);
		x86_alu_mi(B, X_CMP, false, x86_m(CTXR, CTX_DEPTH), 0);
		jit_jmp(B, X_CC_NE,
			add_stub(cg, (struct jit_stub){.kind = STUB_HELPER_DEEP,
						       .flags = runs ? 0 : SF_NORUN,
						       .mask = deep,
						       .v = fn,
						       .resume = resume}));
		call_c_as(cg, fn, -1, save, runs);
		jit_label_bind(B, resume);
		return;
	}
	call_c_as(cg, fn, -1, save, runs);
}

/* bpf_map_lookup_elem on a map known here: the map type's own lookup,
 * called directly (Linux's map_gen_lookup), or 0 for the helper. It takes
 * (map, key) in r1, r2 as the helper does, returns what it returns, and
 * never faults (the JIT never runs checked). */
static uint64_t direct_lookup(struct jit_cg *cg, const struct vm_insn *in)
{
	const struct jit_fact *f = fact(cg);
	const struct helper *h = helper_by_id(BPF_FUNC_map_lookup_elem);

	if (!f || !(f->flags & JIT_FACT_R1_MAP) || !h || (uint64_t)in->imm != (uintptr_t)h->fn)
		return 0;
	return (uintptr_t)exo_map_prog_lookup((const void *)(uintptr_t)f->src_val);
}

static void emit_CALL(struct jit_cg *cg, const struct vm_insn *in)
{
	uint64_t direct = direct_lookup(cg, in);

	if (direct)
		helper_call(cg, direct, false);
	else
		helper_call(cg, (uint64_t)in->imm, true);
}

static void emit_CALL_KFUNC(struct jit_cg *cg, const struct vm_insn *in)
{
	(void)in;
	jit_jmp(B, -1, fault_label(cg, VM_FAULT_UNSUPPORTED));
}

/* A local call to a label (or to the address in TMP2 when label < 0). */
static void local_call(struct jit_cg *cg, int label)
{
	static const int saved[] = {X_RBX, X_R13, X_R14, X_R15}; /* r6-r9 */

	/* The interpreter refuses a call when depth + 1 >= VM_MAX_FRAMES. */
	x86_alu_mi(B, X_CMP, false, x86_m(CTXR, CTX_DEPTH), VM_MAX_FRAMES - 2);
	jit_jmp(B, X_CC_A, fault_label(cg, VM_FAULT_DEPTH));
	x86_alu_mi(B, X_ADD, false, x86_m(CTXR, CTX_DEPTH), 1);
	for (int i = 0; i < 4; i++)
		x86_push(B, saved[i]);
	x86_alu_ri(B, X_SUB, true, X_RSP, 8); /* 40 bytes + return address: aligned again */
	x86_alu_ri(B, X_SUB, true, X_RBP, VM_STACK_SIZE);
	if (label >= 0)
		jit_call_label(B, (unsigned)label);
	else
		x86_call_r(B, TMP2);
	x86_alu_ri(B, X_ADD, true, X_RBP, VM_STACK_SIZE);
	x86_alu_ri(B, X_ADD, true, X_RSP, 8);
	for (int i = 4; i-- > 0;)
		x86_pop(B, saved[i]);
	x86_alu_mi(B, X_SUB, false, x86_m(CTXR, CTX_DEPTH), 1);
}

static void emit_CALL_LOCAL(struct jit_cg *cg, const struct vm_insn *in)
{
	local_call(cg, (int)jump_target(cg, in->imm));
}

static const int arg_save[] = {X_RAX, X_RDI, X_RSI, X_RDX, X_RCX, X_R8}; /* r0-r5: 48 bytes */

static void push_r0_r5(struct jit_cg *cg)
{
	for (int i = 0; i < 6; i++)
		x86_push(B, arg_save[i]);
}

static void pop_r0_r5(struct jit_cg *cg)
{
	for (int i = 6; i-- > 0;)
		x86_pop(B, arg_save[i]);
}

static void emit_CALLX(struct jit_cg *cg, const struct vm_insn *in)
{
	unsigned local = jit_label_new(B), done = jit_label_new(B);

	/* Ask the runtime what the target is; it records the fault if nothing. */
	x86_mov_rr(B, true, TMP3, cg->reg[in->dst]);
	push_r0_r5(cg);
	x86_load(B, 8, false, X_RDI, x86_m(CTXR, CTX_RUN));
	x86_mov_rr(B, true, X_RSI, TMP3);
	x86_movabs(B, X_RDX, (uint64_t)(uintptr_t)insn_addr(cg, cg->pc));
	x86_movabs(B, X_RAX, (uint64_t)(uintptr_t)jit_rt_callx);
	x86_call_r(B, X_RAX);
	x86_mov_rr(B, true, TMP2, X_RAX);
	x86_mov_rr(B, true, TMP3, X_RDX);
	pop_r0_r5(cg);
	x86_alu_ri(B, X_CMP, false, TMP3, JIT_CALLX_LOCAL);
	jit_jmp(B, X_CC_E, local);
	x86_alu_ri(B, X_CMP, false, TMP3, JIT_CALLX_HELPER);
	jit_jmp(B, X_CC_NE, cg->l_unwind0);
	call_c(cg, 0, TMP2, ARG_REGS); /* liveness does not follow callx: keep all */
	jit_jmp(B, -1, done);
	jit_label_bind(B, local);
	local_call(cg, -1);
	jit_label_bind(B, done);
}

static void emit_EXIT(struct jit_cg *cg, const struct vm_insn *in)
{
	(void)in;
	if (cg->direct) { /* no calls: this is depth 0, the prologue's frame */
		if (cg->frame)
			x86_alu_ri(B, X_ADD, true, X_RSP, cg->frame);
		for (unsigned i = cg->nsaved; i-- > 0;)
			x86_pop(B, cg->saved[i]);
	}
	x86_ret(B); /* to the caller's call site, or at depth 0 to the trampoline */
}

/* bpf_tail_call: the table function (r1-r3, 0, 0) gives the next program or
 * 0; the engine enforces the limit. On success every register stays as it
 * is and the next program starts in this frame; otherwise execution goes on
 * with r0-r5 unchanged. */
static void emit_TAIL_CALL(struct jit_cg *cg, const struct vm_insn *in)
{
	unsigned fail = jit_label_new(B), done = jit_label_new(B);

	push_r0_r5(cg);
	x86_mov_imm32(B, cg->reg[4], 0);
	x86_mov_imm32(B, cg->reg[5], 0);
	call_c(cg, (uint64_t)in->imm, -1, 0);
	x86_test_rr(B, true, X_RAX, X_RAX);
	jit_jmp(B, X_CC_E, fail);
	x86_alu_mi(B, X_CMP, false, x86_m(TMP1, RUN_OFF(tail_calls)), VM_MAX_TAIL_CALLS);
	jit_jmp(B, X_CC_AE, fail);
	x86_alu_mi(B, X_ADD, false, x86_m(TMP1, RUN_OFF(tail_calls)), 1);
	x86_store(B, 8, x86_m(TMP1, RUN_OFF(prog)), X_RAX);
	x86_load(B, 8, false, TMP2, x86_m(X_RAX, (int32_t)offsetof(struct vm_prog, jited)));
	pop_r0_r5(cg);
	x86_test_rr(B, true, TMP2, TMP2);
	jit_jmp(B, X_CC_E, add_stub(cg, (struct jit_stub){.kind = STUB_TAIL_INTERP}));
	x86_jmp_m(B, x86_m(TMP2, JIT_HDR_BODY - JIT_HDR_SIZE));
	jit_label_bind(B, fail);
	pop_r0_r5(cg);
	jit_label_bind(B, done);
}

/* ---- loads and stores ---- */

static void emit_LDDW(struct jit_cg *cg, const struct vm_insn *in)
{
	load_const(cg, cg->reg[in->dst], (uint64_t)in->imm);
}

/* The register holding the run pointer: a leaf's, or TMP1 loaded from the
 * trampoline's context. */
static int run_reg(struct jit_cg *cg)
{
	if (cg->leaf)
		return LEAF_RUN;
	x86_load(B, 8, false, TMP1, x86_m(CTXR, CTX_RUN));
	return TMP1;
}

/* Big-endian value of size bytes at m into r0 (zero-extended). */
static void load_be(struct jit_cg *cg, unsigned size, struct x86_mem m)
{
	x86_load(B, (int)size, false, X_RAX, m);
	if (size == 2)
		x86_ror16_8(B, X_RAX);
	else if (size == 4)
		x86_bswap(B, false, X_RAX);
}

static void emit_LDABS(struct jit_cg *cg, const struct vm_insn *in)
{
	unsigned size = isa_mem_size(in->op);
	int32_t k = (int32_t)in->imm;
	int64_t off = k;

	/* The offset is constant: resolve Linux's negative windows here. */
	if (k < 0) {
		if (k >= VM_SKF_NET_OFF)
			off = (int64_t)k - VM_SKF_NET_OFF;
		else if (k >= VM_SKF_LL_OFF)
			off = (int64_t)k - VM_SKF_LL_OFF;
		else
			off = -1;
	}
	if (off < 0) { /* never in range: the program ends with r0 = 0 */
		jit_jmp(B, -1, cg->l_unwind0);
		return;
	}
	int run = run_reg(cg);

	x86_alu_mi(B, X_CMP, false, x86_m(run, RUN_OFF(pkt_len)), (int32_t)(uint32_t)(off + size));
	jit_jmp(B, X_CC_B, cg->l_unwind0);
	x86_load(B, 8, false, TMP2, x86_m(run, RUN_OFF(pkt)));
	x86_test_rr(B, true, TMP2, TMP2);
	jit_jmp(B, X_CC_E, cg->l_unwind0);
	load_be(cg, size, x86_m(TMP2, (int32_t)off));
}

static void emit_LDIND(struct jit_cg *cg, const struct vm_insn *in)
{
	unsigned size = isa_mem_size(in->op), resume = jit_label_new(B);

	/* k = (s32)(imm + src), computed in 32 bits as the interpreter does */
	x86_mov_rr(B, false, TMP3, cg->reg[in->src]);
	x86_alu_ri(B, X_ADD, false, TMP3, (int32_t)in->imm);
	x86_movsx_rr(B, 32, true, TMP3, TMP3);
	x86_test_rr(B, true, TMP3, TMP3);
	jit_jmp(B, X_CC_S,
		add_stub(cg, (struct jit_stub){
				 .kind = STUB_LD_SLOW, .flags = (uint8_t)size, .resume = resume}));
	int run = run_reg(cg);
	x86_load(B, 4, false, TMP2, x86_m(run, RUN_OFF(pkt_len)));
	x86_alu_ri(B, X_SUB, true, TMP2, (int32_t)size);
	x86_alu_rr(B, X_CMP, true, TMP3, TMP2); /* out of range when k > pkt_len - size */
	jit_jmp(B, X_CC_G, cg->l_unwind0);
	x86_load(B, 8, false, TMP2, x86_m(run, RUN_OFF(pkt)));
	x86_test_rr(B, true, TMP2, TMP2);
	jit_jmp(B, X_CC_E, cg->l_unwind0);
	load_be(cg, size, x86_mi(TMP2, TMP3, 0));
	jit_label_bind(B, resume);
}

static void emit_LDX(struct jit_cg *cg, const struct vm_insn *in)
{
	x86_load(B, (int)isa_mem_size(in->op), (isa_rows[in->op].code & 0xe0) == BPF_MEMSX,
		 cg->reg[in->dst], x86_m(cg->reg[in->src], in->off));
}

/* The root of a value assembled from byte loads (JIT_FACT_WIDE_LOAD): all
 * its bytes at once. */
static void emit_wide_load(struct jit_cg *cg, const struct vm_insn *in)
{
	const struct jit_fact *f = fact(cg);
	int d = cg->reg[in->dst];

	x86_load(B, f->wide.size, false, d, x86_m(cg->reg[f->wide.base], f->wide.off));
	if (f->wide.be && f->wide.size == 2)
		x86_ror16_8(B, d);
	else if (f->wide.be)
		x86_bswap(B, f->wide.size == 8, d);
}

static void emit_ST(struct jit_cg *cg, const struct vm_insn *in)
{
	int size = (int)isa_mem_size(in->op);
	struct x86_mem m = x86_m(cg->reg[in->dst], in->off);

	if (cg->blind) {
		load_const(cg, TMP2, (uint64_t)in->imm);
		x86_store(B, size, m, TMP2);
	} else {
		x86_store_imm(B, size, m, (int32_t)in->imm);
	}
}

static void emit_STX(struct jit_cg *cg, const struct vm_insn *in)
{
	x86_store(B, (int)isa_mem_size(in->op), x86_m(cg->reg[in->dst], in->off), cg->reg[in->src]);
}

/* Fetching or/and/xor have no x86 instruction: a cmpxchg loop. It needs
 * rax and keeps r0 on the native stack meanwhile, below the red zone when
 * that is the eBPF stack (plan_direct). */
static void atomic_fetch_loop(struct jit_cg *cg, enum x86_alu op, int size, int dst, int32_t off,
			      int src)
{
	bool w = size == 8, keep_r0 = src != X_RAX, red = keep_r0 && cg->reg[10] == X_RSP;
	unsigned retry = jit_label_new(B);

	x86_lea(B, TMP3, x86_m(dst, off));
	x86_mov_rr(B, true, TMP2, src);
	if (red)
		x86_lea(B, X_RSP, x86_m(X_RSP, -RED_ZONE));
	if (keep_r0)
		x86_push(B, X_RAX);
	x86_load(B, size, false, X_RAX, x86_m(TMP3, 0));
	jit_label_bind(B, retry);
	x86_mov_rr(B, w, TMP1, X_RAX);
	x86_alu_rr(B, op, w, TMP1, TMP2);
	x86_lock_cmpxchg(B, size, x86_m(TMP3, 0), TMP1);
	jit_jmp(B, X_CC_NE, retry);
	if (keep_r0) {
		x86_mov_rr(B, w, src, X_RAX);
		x86_pop(B, X_RAX);
	}
	if (red)
		x86_lea(B, X_RSP, x86_m(X_RSP, RED_ZONE));
}

static void emit_ATOMIC(struct jit_cg *cg, const struct vm_insn *in)
{
	int size = (int)isa_mem_size(in->op), dst = cg->reg[in->dst], src = cg->reg[in->src];
	struct x86_mem m = x86_m(dst, in->off);
	int32_t imm = (int32_t)in->imm;
	enum x86_alu op;

	switch (imm & ~BPF_FETCH) {
	case BPF_ADD:
		op = X_ADD;
		break;
	case BPF_OR:
		op = X_OR;
		break;
	case BPF_AND:
		op = X_AND;
		break;
	case BPF_XOR:
		op = X_XOR;
		break;
	default:
		op = X_CMP; /* unused: xchg and cmpxchg */
	}
	if (imm == BPF_XCHG) {
		x86_xchg(B, size, m, src);
	} else if (imm == BPF_CMPXCHG) {
		x86_lock_cmpxchg(B, size, m, src);
		if (size == 4) /* on success rax is not written: zero-extend r0 as Linux does */
			x86_mov_rr(B, false, X_RAX, X_RAX);
	} else if (!(imm & BPF_FETCH)) {
		x86_lock_alu(B, op, size, m, src);
	} else if (op == X_ADD) {
		x86_lock_xadd(B, size, m, src);
	} else {
		atomic_fetch_loop(cg, op, size, dst, in->off, src);
	}
}

static void emit_nothing(struct jit_cg *cg, const struct vm_insn *in)
{
	(void)cg, (void)in;
}

static void emit_FALLOFF(struct jit_cg *cg, const struct vm_insn *in)
{
	(void)in;
	jit_jmp(B, -1, fault_label(cg, VM_FAULT_FALLOFF));
}

/* ---- pairs merged into one x86 instruction ---- */

/* BPF has two-operand ALU instructions, so clang writes d = s + k as
 * "d = s; d += k". x86's lea does it in one (and 32-bit lea zero-extends as
 * ALU32 does). Only when nothing jumps between the two, and not when
 * blinding (the immediate would appear in the code). Returns how many
 * instructions it consumed (0: none merged). */
static unsigned fuse(struct jit_cg *cg, uint32_t pc)
{
	const struct vm_insn *a = &cg->prog->code[pc], *b = a + 1;

	if (!cg->facts || cg->blind || pc + 1 >= cg->prog->len ||
	    (cg->facts[pc + 1].flags &
	     (JIT_FACT_TARGET | JIT_FACT_DEAD | JIT_FACT_SUBSUMED | JIT_FACT_WIDE_LOAD)))
		return 0;
	bool w = a->op == ISA_MOV64_X;
	if ((a->op != ISA_MOV64_X && a->op != ISA_MOV32_X) || b->dst != a->dst)
		return 0;
	int d = cg->reg[a->dst], s = cg->reg[a->src];
	struct x86_mem m;

	if (b->op == (w ? ISA_ADD64_K : ISA_ADD32_K))
		m = x86_m(s, (int32_t)b->imm);
	else if (b->op == (w ? ISA_SUB64_K : ISA_SUB32_K) && b->imm != INT32_MIN)
		m = x86_m(s, -(int32_t)b->imm);
	else if (b->op == (w ? ISA_ADD64_X : ISA_ADD32_X)) { /* after d = s, src d reads s */
		int i = b->src == a->dst ? s : cg->reg[b->src];
		if (i == X_RSP) /* r10 in the red zone: rsp can be a base, never an index */
			i = s, s = X_RSP;
		if (i == X_RSP)
			return 0;
		m = x86_mi(s, i, 0);
	} else if (w && b->op == ISA_LSH64_K && (b->imm & 63) == 1 && s != X_RSP) {
		m = x86_mi(s, s, 0);
	} else {
		return 0;
	}
	if (w)
		x86_lea(B, d, m);
	else
		x86_lea32(B, d, m);
	return 2;
}

/* Every row of opcodes.def reaches the emitter of its shape; a shape without
 * an emitter does not compile. */
typedef void (*emit_fn)(struct jit_cg *, const struct vm_insn *);
static const emit_fn emitters[VM_NR_OPS] = {
#define OP(name, code, key, keyval, shape, lx, ub) [ISA_##name] = emit_##shape,
#include "isa/opcodes.def"
#undef OP
    [VM_OP_LDDW_HI] = emit_nothing,
    [VM_OP_FALLOFF] = emit_FALLOFF,
    [VM_OP_TAIL_CALL] = emit_TAIL_CALL,
};

/* The code of the instruction at pc (pc == prog->len: falling off the end);
 * how many instructions it stands for. */
static unsigned emit_insn(struct jit_cg *cg, uint32_t pc)
{
	const struct vm_insn *in = &cg->prog->code[pc];
	uint16_t ff = cg->facts && pc < cg->prog->len ? cg->facts[pc].flags : 0;

	cg->pc = pc;
	if (ff & (JIT_FACT_DEAD | JIT_FACT_SUBSUMED | JIT_FACT_SUNK))
		return 1;
	if (ff & JIT_FACT_WIDE_LOAD) {
		emit_wide_load(cg, in);
		return 1;
	}
	unsigned n = pc < cg->prog->len ? fuse(cg, pc) : 0;
	if (n)
		return n;
	emitters[in->op](cg, in);
	return 1;
}

/* ---- gotos into short blocks ----
 *
 * clang ends each arm of a switch, and many loop bodies, with a goto to a
 * few instructions that end in a conditional jump (a loop's latch: "i +=
 * 1; if i != n goto head"). The arm then costs two taken jumps, the goto
 * and the latch's. A copy of the block in place of the goto costs one: the
 * copy's jump goes to the head itself, and only the way out of the loop
 * jumps back to the instruction after the original. Each instruction's
 * code depends only on the instruction and its facts, which hold for every
 * path into it, so the copy means what the original does. */
#define DUP_MAX 6 /* instructions in a block worth copying, its jump included */

/* The block at t (straight-line code, then an exit or a conditional jump
 * likely taken): the index of its last instruction, or UINT32_MAX if it is
 * not one. Likely taken, as compilers guess without a profile, are a jump
 * back and a jump on "not equal" (a counter not at its end yet). Copying a
 * block whose jump is usually not taken saves nothing: the copy's way on
 * would be a taken jump too (bits, whose latch is "if i == n goto out",
 * measured slower with it copied). */
static uint32_t dup_block_end(const struct jit_cg *cg, uint32_t t)
{
	const struct vm_prog *prog = cg->prog;

	if (!cg->facts)
		return UINT32_MAX;
	for (uint32_t k = t; k < prog->len && k - t < DUP_MAX; k++) {
		const struct vm_insn *in = &prog->code[k];
		if (in->op >= ISA_NR_OPS || (cg->facts[k].flags & JIT_FACT_DEAD))
			return UINT32_MAX;
		enum isa_shape sh = (enum isa_shape)isa_rows[in->op].shape;
		if (isa_shape_computes(sh) || isa_shape_loads_or_stores(sh))
			continue;
		switch (sh) {
		case ISA_SHAPE_JMP_K:
		case ISA_SHAPE_JMP_X: { /* a latch: likely taken */
			bool likely = in->off < 0 || (isa_rows[in->op].code & 0xf0) == BPF_JNE;
			return likely ? k : UINT32_MAX;
		}
		case ISA_SHAPE_EXIT:
			return k;
		default:
			return UINT32_MAX;
		}
	}
	return UINT32_MAX;
}

static void goto_block(struct jit_cg *cg, uint32_t target)
{
	uint32_t from = cg->pc, end = dup_block_end(cg, target);

	if (end == UINT32_MAX) {
		goto_insn(cg, target);
		return;
	}
	for (uint32_t k = target; k <= end && jit_ok(B);)
		k += emit_insn(cg, k);
	cg->pc = from;
	if (cg->prog->code[end].op != ISA_EXIT)
		jit_jmp(B, -1, end + 1);
}

/* ---- trampoline and stubs ---- */

/* What the trampoline must set up for this program, from its instructions
 * (computed once per compilation). A program that tail-calls gets
 * everything: the next program runs in its frame with its saved registers. */
struct tramp_needs {
	uint16_t regs; /* eBPF registers some instruction names */
	bool ctx;      /* r12 and the saved stack pointer: calls, LD_ABS, faults */
	bool depth;    /* the call-depth counter: local calls, callx */
	bool frame;    /* the eBPF stack (r10) */
};

static struct tramp_needs tramp_needs(const struct vm_prog *prog)
{
	struct tramp_needs n = {0};
	const struct vm_insn *last = &prog->code[prog->len - 1];
	bool all = false;

	for (uint32_t i = 0; i < prog->len; i++) {
		const struct vm_insn *in = &prog->code[i];
		if (in->op == VM_OP_TAIL_CALL)
			all = true;
		if (in->op >= ISA_NR_OPS)
			continue;
		n.regs |= (uint16_t)(1u << in->dst | 1u << in->src);
		switch ((enum isa_shape)isa_rows[in->op].shape) {
		case ISA_SHAPE_CALL_LOCAL:
		case ISA_SHAPE_CALLX:
			n.depth = n.frame = true;
			/* fall through */
		case ISA_SHAPE_CALL:
		case ISA_SHAPE_CALL_KFUNC:
		case ISA_SHAPE_LDABS:
		case ISA_SHAPE_LDIND:
			n.ctx = true;
			n.regs |= 0x3f; /* r0-r5: results and arguments */
			break;
		default:
			break;
		}
	}
	/* falling off the end faults (the last instruction can continue) */
	if (last->op == VM_OP_LDDW_HI ||
	    (last->op != ISA_EXIT && last->op != ISA_JA && last->op != ISA_JA32))
		n.ctx = true;
	if (n.regs & 1u << 10)
		n.frame = true;
	if (all)
		n = (struct tramp_needs){.regs = 0x7ff, .ctx = true, .depth = true, .frame = true};
	return n;
}

/* The callee-saved registers the trampoline keeps, in push order. */
static unsigned tramp_saved(const struct tramp_needs *n, int saved[6])
{
	unsigned k = 0;

	if (n->frame)
		saved[k++] = X_RBP;
	for (int r = 6; r <= 9; r++)
		if (n->regs & 1u << r)
			saved[k++] = reg_of[r];
	if (n->ctx)
		saved[k++] = CTXR;
	return k;
}

/* The frame a trampoline builds: the registers it saves, and below them
 * the context and the eBPF frames. */
struct tramp {
	struct tramp_needs n;
	int saved[6];
	unsigned k;
	int32_t frame;
};

static struct tramp tramp_plan(const struct jit_cg *cg)
{
	struct tramp t = {.n = tramp_needs(cg->prog)};

	t.k = tramp_saved(&t.n, t.saved);
	/* entry rsp = 8 mod 16; after the pushes and the frame it must be 8
	 * again, so that the code called runs with rsp 16-byte aligned */
	t.frame = (t.n.frame || t.n.ctx ? FRAME_SIZE : 0) + (t.k & 1 ? 8 : 0);
	return t;
}

/* Build t's frame with the run pointer from run_src, and start the eBPF
 * registers other than args (a mask) at 0 as the interpreter does. */
static void tramp_enter(struct jit_cg *cg, const struct tramp *t, int run_src, uint16_t args)
{
	for (unsigned i = 0; i < t->k; i++)
		x86_push(B, t->saved[i]);
	if (t->frame)
		x86_alu_ri(B, X_SUB, true, X_RSP, t->frame);
	if (t->n.ctx) {
		x86_mov_rr(B, true, CTXR, X_RSP);
		x86_store(B, 8, x86_m(CTXR, CTX_RUN), run_src);
		x86_store(B, 8, x86_m(CTXR, CTX_RSP), X_RSP);
	}
	if (t->n.depth)
		x86_store_imm(B, 4, x86_m(X_RSP, CTX_DEPTH), 0);
	if (t->n.frame) /* r10: top of frame 0 */
		x86_lea(B, X_RBP, x86_m(X_RSP, FRAME_SIZE));
	/* a verified program never reads a register it did not set */
	for (int r = 0; r <= 9 && !cg->verified; r++)
		if (!(args & 1u << r) && (r == 0 || (t->n.regs & 1u << r)))
			x86_mov_imm32(B, cg->reg[r], 0);
}

/* The run ends with r0 = 0: back to the call that built the frame of the
 * context in r12, whose return address lies just below it. That builder is
 * this program's trampoline, another program's before a tail call (whose
 * saved registers and frame its own epilogue undoes, not this one's) or a
 * callback or loop entry (which goes on from there). */
static void unwind_callers_frame(struct jit_cg *cg)
{
	x86_mov_imm32(B, X_RAX, 0);
	x86_load(B, 8, false, X_RSP, x86_m(CTXR, CTX_RSP));
	x86_alu_ri(B, X_SUB, true, X_RSP, 8);
	x86_ret(B);
}

/* jited(r1 = rdi, r2 = rsi, run = rdx): set up what the program needs,
 * call instruction 0, return r0. */
static void emit_trampoline(struct jit_cg *cg)
{
	struct tramp t = tramp_plan(cg);

	tramp_enter(cg, &t, X_RDX, 1u << 1 | 1u << 2);
	jit_call_label(B, 0);
	jit_label_bind(B, cg->l_epilogue);
	if (t.frame)
		x86_alu_ri(B, X_ADD, true, X_RSP, t.frame);
	for (unsigned i = t.k; i-- > 0;)
		x86_pop(B, t.saved[i]);
	x86_ret(B);
	/* the run ends here with r0 = 0, from any depth (only with a context) */
	jit_label_bind(B, cg->l_unwind0);
	if (t.n.ctx)
		unwind_callers_frame(cg);
}

/* Whether a helper may call back into the program: it names a subprogram
 * as a value (a BPF_PSEUDO_FUNC lddw) and is not a leaf or a direct
 * program, which call no helper. */
static bool has_callbacks(const struct jit_cg *cg)
{
	if (cg->leaf || cg->direct)
		return false;
	for (uint32_t i = 0; i < cg->prog->len; i++)
		if (cg->prog->code[i].op == ISA_LDDW && cg->prog->code[i].src == BPF_PSEUDO_FUNC)
			return true;
	return false;
}

/* Whether the program calls the helper by name (a callx of its id takes
 * the helper's own loop). */
static bool calls_helper(const struct jit_cg *cg, int32_t id)
{
	const struct helper *h = helper_by_id(id);

	for (uint32_t i = 0; h && i < cg->prog->len; i++)
		if (cg->prog->code[i].op == ISA_CALL &&
		    (uint64_t)cg->prog->code[i].imm == (uintptr_t)h->fn)
			return true;
	return false;
}

/* The callback entry (struct jit_cb_entry in runtime.h): r1-r5 in their
 * registers, the run in r9, the callback's code as the seventh argument.
 * It builds the trampoline's frame, so the callback runs as the program
 * does from instruction 0 (its own eBPF frames, depth 0), and a fault
 * unwinds to here: the helper that called back sees run->fault. */
static void emit_callback_entry(struct jit_cg *cg)
{
	struct tramp t = tramp_plan(cg);

	cg->cb_off = (uint32_t)B->len;
	tramp_enter(cg, &t, TMP1, ARG_REGS);
	x86_load(B, 8, false, TMP2, x86_m(X_RSP, t.frame + 8 * (int32_t)t.k + 8));
	x86_call_r(B, TMP2);
	jit_jmp(B, -1, cg->l_epilogue);
}

/* The loop entry (struct jit_loop_entry in runtime.h): bpf_loop's
 * iterations once its arguments passed the helper's checks, n in rdi, ctx
 * in rsi, the run in rdx, the callback's code in rcx. Each run of the
 * callback starts as one through the callback entry would (r1 = i, r2 =
 * ctx, r3-r5 = 0, depth 0, the same frames), without going back to C in
 * between. A run that unwinds comes back here as if it returned r0 = 0:
 * after a fault the loop stops and returns 0, as bpf_loop does; after an
 * LD_ABS out of range (the run's end, not a fault) it goes on.
 * With each, the same loop walks an array for bpf_for_each_map_elem: rdi
 * is a struct vm_each_array, and run i gets r1 = map, r2 = key (holding
 * i), r3 = values + i * stride, r4 = ctx, r5 = 0. */
#define EACH_OFF(field) ((int32_t)offsetof(struct vm_each_array, field))
_Static_assert(sizeof(((struct vm_each_array *)0)->n) == 4, "n is loaded as 32 bits");

static void emit_loop_entry(struct jit_cg *cg, bool each)
{
	struct tramp t = tramp_plan(cg);
	unsigned top = jit_label_new(B), done = jit_label_new(B), fault = jit_label_new(B);
	/* The loop's words, addressed from rsp (which is r12 here): a store
	 * and a load at the same rsp offset are forwarded by memory renaming,
	 * so i does not wait on the store each iteration. */
#define LOOP(off) x86_m(X_RSP, (off))

	*(each ? &cg->each_off : &cg->loop_off) = (uint32_t)B->len;
	tramp_enter(cg, &t, X_RDX, ARG_REGS);
	if (each) { /* CTX_LOOP_ARG: the walk's description */
		x86_store(B, 8, LOOP(CTX_LOOP_ARG), X_RDI);
		x86_load(B, 4, false, TMP2, x86_m(X_RDI, EACH_OFF(n)));
		x86_store(B, 8, LOOP(CTX_LOOP_N), TMP2);
	} else {
		x86_store(B, 8, LOOP(CTX_LOOP_N), X_RDI);
		x86_store(B, 8, LOOP(CTX_LOOP_ARG), X_RSI);
	}
	x86_store(B, 8, LOOP(CTX_LOOP_CODE), X_RCX);
	x86_mov_imm32(B, TMP3, 0); /* i */
	jit_label_bind(B, top);
	x86_load(B, 8, false, TMP2, LOOP(CTX_LOOP_N));
	x86_alu_rr(B, X_CMP, true, TMP3, TMP2);
	jit_jmp(B, X_CC_AE, done);
	x86_store(B, 8, LOOP(CTX_LOOP_I), TMP3);
	/* after a run that ended by unwinding (LD_ABS out of range: r0 = 0),
	 * r10 and the depth are where that run left them */
	if (t.n.depth)
		x86_store_imm(B, 4, x86_m(X_RSP, CTX_DEPTH), 0);
	if (t.n.frame)
		x86_lea(B, X_RBP, x86_m(X_RSP, FRAME_SIZE));
	if (each) {
		x86_load(B, 8, false, TMP1, LOOP(CTX_LOOP_ARG));
		x86_load(B, 8, false, cg->reg[1], x86_m(TMP1, EACH_OFF(map)));
		x86_load(B, 8, false, cg->reg[2], x86_m(TMP1, EACH_OFF(key)));
		x86_store(B, 4, x86_m(cg->reg[2], 0), TMP3);
		x86_load(B, 8, false, cg->reg[3], x86_m(TMP1, EACH_OFF(stride)));
		x86_imul_rr(B, true, cg->reg[3], TMP3);
		x86_load(B, 8, false, TMP2, x86_m(TMP1, EACH_OFF(values)));
		x86_alu_rr(B, X_ADD, true, cg->reg[3], TMP2);
		x86_load(B, 8, false, cg->reg[4], x86_m(TMP1, EACH_OFF(ctx)));
		x86_mov_imm32(B, cg->reg[5], 0);
	} else {
		x86_mov_rr(B, true, cg->reg[1], TMP3);
		x86_load(B, 8, false, cg->reg[2], LOOP(CTX_LOOP_ARG));
		for (int r = 3; r <= 5; r++)
			x86_mov_imm32(B, cg->reg[r], 0);
	}
	/* an unverified callback may read what the last run left */
	for (int r = 0; r <= 9 && !cg->verified; r++)
		if (r == 0 || (r >= 6 && (t.n.regs & 1u << r)))
			x86_mov_imm32(B, cg->reg[r], 0);
	x86_load(B, 8, false, TMP2, LOOP(CTX_LOOP_CODE));
	x86_call_r(B, TMP2);
	/* a tail call in the callback moved run->prog; the helper's loop in C
	 * (vm_call_func) sets it back after each run */
	x86_load(B, 8, false, TMP1, x86_m(CTXR, CTX_RUN));
	x86_movabs(B, TMP2, (uint64_t)(uintptr_t)cg->prog);
	x86_store(B, 8, x86_m(TMP1, RUN_OFF(prog)), TMP2);
	x86_alu_mi(B, X_CMP, false, x86_m(TMP1, RUN_OFF(fault)), 0);
	jit_jmp(B, X_CC_NE, fault);
	x86_load(B, 8, false, TMP3, LOOP(CTX_LOOP_I));
	x86_alu_ri(B, X_ADD, true, TMP3, 1);
	x86_test_rr(B, true, X_RAX, X_RAX);
	jit_jmp(B, X_CC_E, top);
	jit_label_bind(B, done); /* i runs made: all n, or up to one that said stop */
	x86_mov_rr(B, true, X_RAX, TMP3);
	jit_jmp(B, -1, cg->l_epilogue);
	jit_label_bind(B, fault);
	x86_mov_imm32(B, X_RAX, 0);
	jit_jmp(B, -1, cg->l_epilogue);
#undef LOOP
}

/* A leaf is a verified program that calls nothing (no helpers, subprograms
 * or tail calls) and has no stack: it needs no frame, no call depth and no
 * saved registers if its r6-r9 can live in caller-saved registers that its
 * r2-r5 leave free. Then the machine code is entered directly, with no
 * trampoline; the run pointer (LD_ABS, LD_IND, faults) stays in rdx, which
 * is why r3 must be unnamed when the program needs it. Classic filters are
 * leaves: per packet, the trampoline was most of their fixed cost. */
static void plan_leaf(struct jit_cg *cg)
{
	const struct vm_prog *prog = cg->prog;
	uint16_t named = 0;
	int pool[4], npool = 0;

	memcpy(cg->reg, reg_of, sizeof(reg_of));
	cg->leaf = false;
	if (!cg->verified)
		return;
	for (uint32_t i = 0; i < prog->len; i++) {
		const struct vm_insn *in = &prog->code[i];
		if (in->op == VM_OP_TAIL_CALL)
			return;
		if (in->op >= ISA_NR_OPS)
			continue;
		named |= (uint16_t)(1u << in->dst | 1u << in->src);
		switch ((enum isa_shape)isa_rows[in->op].shape) {
		case ISA_SHAPE_CALL_LOCAL:
		case ISA_SHAPE_CALLX:
		case ISA_SHAPE_CALL:
		case ISA_SHAPE_CALL_KFUNC:
			return;
		default:
			break;
		}
	}
	/* rdx holds the run for LD_ABS/LD_IND and for any fault stub */
	if (named & (1u << 10 | 1u << 3))
		return;
	for (int r = 2; r <= 5; r++)
		if (!(named & 1u << r) && reg_of[r] != LEAF_RUN)
			pool[npool++] = reg_of[r];
	for (int r = 6; r <= 9; r++) {
		if (!(named & 1u << r))
			continue;
		if (!npool)
			return;
		cg->reg[r] = (uint8_t)pool[--npool];
	}
	cg->leaf = true;
}

/* A verified program that calls nothing and needs no context (no LD_ABS or
 * LD_IND, no tail call, no fault it could reach) but is not a leaf, mostly
 * because it has a stack: the trampoline's call, its saved stack pointer and
 * its 8 frames buy it nothing. Its prologue saves the registers it names and
 * reserves one frame, then falls into instruction 0, and each exit restores
 * them and returns to C, as Linux's JIT lays out a program. Unverified
 * programs keep the trampoline: a tail call into one must not pass through
 * the zeroing of its registers.
 *
 * With no call below it, a stack the verifier bounded to 128 bytes fits in
 * the System V red zone, the bytes under rsp that signal delivery leaves
 * alone: r10 is then rsp itself, and there is no frame to reserve and no
 * rbp to save (a sub and an add on rsp between the pushes and the pops cost
 * the stack engine a sync each run; parse measured 0.3 ns less). */
static void plan_direct(struct jit_cg *cg)
{
	struct tramp_needs n;
	int saved[6];
	unsigned k;

	cg->direct = false;
	if (cg->leaf || !cg->verified)
		return;
	n = tramp_needs(cg->prog);
	if (n.ctx || n.depth)
		return;
	k = tramp_saved(&n, saved);
	if (n.frame && cg->stack_depth && cg->stack_depth <= RED_ZONE) {
		cg->reg[10] = X_RSP;
		cg->frame = 0;
		memmove(saved, saved + 1, --k * sizeof(saved[0])); /* rbp came first */
	} else {
		/* no call below it, so rsp need not be 16-byte aligned: nothing
		 * is reserved for alignment alone */
		cg->frame = n.frame ? VM_STACK_SIZE : 0;
	}
	cg->nsaved = (uint8_t)k;
	for (unsigned i = 0; i < k; i++)
		cg->saved[i] = (uint8_t)saved[i];
	cg->direct = true;
}

static void emit_direct_prologue(struct jit_cg *cg)
{
	for (unsigned i = 0; i < cg->nsaved; i++)
		x86_push(B, cg->saved[i]);
	if (cg->frame)
		x86_alu_ri(B, X_SUB, true, X_RSP, cg->frame);
	if (cg->nsaved && cg->saved[0] == X_RBP) /* r10: top of its one frame */
		x86_lea(B, X_RBP, x86_m(X_RSP, VM_STACK_SIZE));
}

/* After a tail call whose target must run in the calling frame as it is
 * (it has no machine code, or it is a leaf or direct program reached below
 * a subprogram): the target goes on in the interpreter, in this frame, to
 * its exit, which is this frame's: every register as it is (in the layout
 * of a program with a trampoline: every tail-calling program has one), r10
 * this frame, the call depth this one's; r0-r5 come back as it leaves them
 * (vm_interp_tail). unwind: where the run's end is handled. */
static void tail_interp(struct jit_cg *cg, unsigned unwind)
{
	enum { REGS = 96 }; /* r0-r10, rounded up to keep rsp 16-byte aligned */

	x86_alu_ri(B, X_SUB, true, X_RSP, REGS);
	for (int r = 0; r <= 10; r++)
		x86_store(B, 8, x86_m(X_RSP, 8 * r), reg_of[r]);
	x86_load(B, 8, false, X_RDI, x86_m(CTXR, CTX_RUN)); /* run->prog is the target */
	x86_mov_rr(B, true, X_RSI, X_RSP);
	x86_load(B, 4, false, X_RDX, x86_m(CTXR, CTX_DEPTH));
	x86_movabs(B, TMP2, (uint64_t)(uintptr_t)vm_interp_tail);
	x86_call_r(B, TMP2);
	x86_mov_rr(B, true, TMP3, X_RDX);
	for (int r = 1; r <= 5; r++)
		x86_load(B, 8, false, reg_of[r], x86_m(X_RSP, 8 * r));
	x86_alu_ri(B, X_ADD, true, X_RSP, REGS);
	x86_test_rr(B, true, TMP3, TMP3); /* LD_ABS ended the run: so it does here */
	jit_jmp(B, X_CC_NE, unwind);
	x86_load(B, 8, false, TMP1, x86_m(CTXR, CTX_RUN));
	x86_alu_mi(B, X_CMP, false, x86_m(TMP1, RUN_OFF(fault)), 0);
	jit_jmp(B, X_CC_NE, unwind);
	x86_ret(B);
}

/* By value: emitting a stub may add stubs and move the array. */
static void emit_stub(struct jit_cg *cg, struct jit_stub st)
{
	const struct jit_stub *s = &st;
	bool w = s->flags & SF_W64, mod = s->flags & SF_MOD;

	jit_label_bind(B, s->entry);
	switch ((enum stub_kind)s->kind) {
	case STUB_FAULT:
		if (cg->leaf) /* the fault tail's argument, before rdx is reused */
			x86_mov_rr(B, true, X_RDI, LEAF_RUN);
		x86_mov_imm32(B, X_RSI, s->a);
		x86_movabs(B, X_RDX, (uint64_t)(uintptr_t)insn_addr(cg, s->pc));
		jit_jmp(B, -1, cg->l_fault);
		return;
	case STUB_DIV_ZERO:
		div_by_zero(cg, mod, w, s->a);
		break;
	case STUB_DIV_M1:
		div_by_m1(cg, mod, w, s->a);
		break;
	case STUB_LD_SLOW: {
		/* r1-r5 are not the interpreter's to lose: keep them across C */
		static const int keep[] = {X_RDI, X_RSI, X_RDX, X_RCX, X_R8};
		/* a leaf runs at rsp = 8 mod 16, as a C function does; instruction
		 * 0 of a program with a trampoline at 0 mod 16 */
		for (int i = 0; i < 5; i++)
			x86_push(B, keep[i]);
		if (!cg->leaf)
			x86_alu_ri(B, X_SUB, true, X_RSP, 8);
		if (cg->leaf)
			x86_mov_rr(B, true, X_RDI, LEAF_RUN);
		else
			x86_load(B, 8, false, X_RDI, x86_m(CTXR, CTX_RUN));
		x86_mov_rr(B, false, X_RSI, TMP3);
		x86_mov_imm32(B, X_RDX, s->flags);
		x86_movabs(B, X_RAX, (uint64_t)(uintptr_t)jit_rt_ld_pkt);
		x86_call_r(B, X_RAX);
		if (!cg->leaf)
			x86_alu_ri(B, X_ADD, true, X_RSP, 8);
		for (int i = 5; i-- > 0;)
			x86_pop(B, keep[i]);
		x86_alu_ri(B, X_CMP, true, X_RAX, -1); /* JIT_LD_OUT_OF_RANGE */
		jit_jmp(B, X_CC_E, cg->l_unwind0);
		break;
	}
	case STUB_TAIL_INTERP:
		tail_interp(cg, cg->l_unwind0);
		return;
	case STUB_HELPER_DEEP:
		call_c_as(cg, s->v, -1, s->mask, !(s->flags & SF_NORUN));
		break;
	case STUB_SET:
		load_const(cg, s->a, s->v);
		goto_insn(cg, s->resume);
		return;
	}
	jit_jmp(B, -1, s->resume);
}

/* rsi = fault, rdx = instruction: record it and end the run with r0 = 0. */
static void emit_fault_tail(struct jit_cg *cg)
{
	jit_label_bind(B, cg->l_fault);
	cg->tail_off = (uint32_t)B->len;
	if (cg->leaf) { /* rdi = run already; rsp is the leaf's (8 mod 16) */
		x86_push(B, X_RDI);
		x86_movabs(B, X_RAX, (uint64_t)(uintptr_t)jit_rt_fault);
		x86_call_r(B, X_RAX);
		x86_pop(B, LEAF_RUN);
		/* a leaf's run ends with r0 = 0 by returning from its frame,
		 * saying so for a tail call's adapter (every way here has the
		 * run in LEAF_RUN) */
		jit_label_bind(B, cg->l_unwind0);
		x86_store_imm(B, 4, x86_m(LEAF_RUN, RUN_OFF(jit_ended)), 1);
		x86_mov_imm32(B, X_RAX, 0);
		x86_ret(B);
		return;
	}
	x86_alu_ri(B, X_AND, true, X_RSP, -16); /* any depth: realign for C, then unwind */
	x86_load(B, 8, false, X_RDI, x86_m(CTXR, CTX_RUN));
	x86_movabs(B, X_RAX, (uint64_t)(uintptr_t)jit_rt_fault);
	x86_call_r(B, X_RAX);
	jit_jmp(B, -1, cg->l_unwind0);
}

/* Batch entry: the loop over packets (vm_batch_pkt in vm/vm.h says what it
 * does), so a filter over a capture pays neither a C call per packet nor the
 * reloading of its state: records, context, run and count live in
 * callee-saved registers, which a leaf never touches, and the program is
 * called directly. The leaf's own code is unchanged, so a batch verdict is
 * the single run's by construction. */
#define SKB_OFF(field)	     ((int32_t)offsetof(struct exo_skb, field))
#define BATCH_PREFETCH_AHEAD 16 /* packets: as exobpf_cbpf_prog__filter_batch's C loop */

/* What of a packet the program can read, so the loop writes only that. In
 * a verified leaf the context is read only by loads at the field's own
 * constant offset (the verifier refuses a moved context pointer; there are
 * no helpers), so a load that overlaps no field's bytes cannot see it; and
 * the run's packet only by LD_ABS/LD_IND. */
struct batch_needs {
	bool len, ptrs, pkt;
};

static bool overlaps(int32_t off, unsigned size, int32_t start, int32_t end)
{
	return off < end && off + (int32_t)size > start;
}

static struct batch_needs batch_needs(const struct vm_prog *prog)
{
	struct batch_needs n = {0};

	for (uint32_t i = 0; i < prog->len; i++) {
		const struct vm_insn *in = &prog->code[i];
		if (in->op >= ISA_NR_OPS)
			continue;
		switch ((enum isa_shape)isa_rows[in->op].shape) {
		case ISA_SHAPE_LDABS:
		case ISA_SHAPE_LDIND:
			n.pkt = true;
			break;
		case ISA_SHAPE_ATOMIC: /* refused on the context, but cheap to count */
		case ISA_SHAPE_LDX: {
			unsigned size = isa_mem_size(in->op);
			n.len |= overlaps(in->off, size, SKB_OFF(uapi.len), SKB_OFF(uapi.len) + 4);
			n.ptrs |=
			    overlaps(in->off, size, SKB_OFF(data), SKB_OFF(data_end) + 8) ||
			    overlaps(in->off, size, SKB_OFF(data_meta), SKB_OFF(data_meta) + 8);
			break;
		}
		default:
			break;
		}
	}
	return n;
}

static void batch_loop(struct jit_cg *cg, struct batch_needs need, bool prefetch, bool out,
		       unsigned done)
{
	enum { REC = X_RBX, END = X_RBP, CTX = X_R12, RUN = X_R13, OUT = X_R14, KEPT = X_R15 };
	unsigned top = jit_label_new(B);

	jit_label_bind(B, top);
	if (prefetch) {
		unsigned skip = jit_label_new(B);
		x86_lea(B, X_RAX, x86_m(REC, BATCH_PREFETCH_AHEAD * 16));
		x86_alu_rr(B, X_CMP, true, X_RAX, END);
		jit_jmp(B, X_CC_AE, skip);
		x86_load(B, 8, false, X_RAX, x86_m(X_RAX, 0));
		x86_prefetch(B, x86_m(X_RAX, 0));
		x86_prefetch(B, x86_m(X_RAX, 63)); /* the headers' second line, if any */
		jit_label_bind(B, skip);
	}
	if (need.len) {
		x86_load(B, 4, false, X_RDX, x86_m(REC, 12));
		x86_store(B, 4, x86_m(CTX, SKB_OFF(uapi.len)), X_RDX);
	}
	if (need.ptrs || need.pkt) {
		x86_load(B, 8, false, X_RAX, x86_m(REC, 0));
		x86_load(B, 4, false, X_RCX, x86_m(REC, 8));
	}
	if (need.pkt) {
		x86_store(B, 8, x86_m(RUN, RUN_OFF(pkt)), X_RAX);
		x86_store(B, 4, x86_m(RUN, RUN_OFF(pkt_len)), X_RCX);
	}
	if (need.ptrs) {
		x86_store(B, 8, x86_m(CTX, SKB_OFF(data)), X_RAX);
		x86_store(B, 8, x86_m(CTX, SKB_OFF(data_meta)), X_RAX);
		x86_alu_rr(B, X_ADD, true, X_RAX, X_RCX);
		x86_store(B, 8, x86_m(CTX, SKB_OFF(data_end)), X_RAX);
	}
	x86_mov_rr(B, true, X_RDI, CTX);
	x86_alu_rr(B, X_XOR, false, X_RSI, X_RSI);
	x86_mov_rr(B, true, LEAF_RUN, RUN);
	jit_call_label(B, 0);
	if (out) {
		x86_store(B, 4, x86_m(OUT, 0), X_RAX);
		x86_alu_ri(B, X_ADD, true, OUT, 4);
	}
	x86_unary(B, X_NEG, false, X_RAX); /* CF = verdict != 0 */
	x86_alu_ri(B, X_ADC, true, KEPT, 0);
	x86_alu_ri(B, X_ADD, true, REC, 16);
	x86_alu_rr(B, X_CMP, true, REC, END);
	jit_jmp(B, X_CC_B, top);
	jit_jmp(B, -1, done);
}

/* long batch(ctx = rdi, run = rsi, pkts = rdx, n = rcx, verdicts = r8,
 * prefetch = r9d), System V: the callee-saved registers are saved, and the
 * leaf is called at rsp = 8 mod 16, as C would call it. */
static void emit_batch_entry(struct jit_cg *cg)
{
	static const int saved[] = {X_RBX, X_RBP, X_R12, X_R13, X_R14, X_R15};
	unsigned done = jit_label_new(B), plain = jit_label_new(B);
	struct batch_needs need = batch_needs(cg->prog);

	while (B->len % 16)
		x86_int3(B);
	cg->batch_off = (uint32_t)B->len;
	for (int i = 0; i < 6; i++)
		x86_push(B, saved[i]);
	x86_alu_ri(B, X_SUB, true, X_RSP, 8);
	x86_mov_rr(B, true, X_R12, X_RDI);
	x86_mov_rr(B, true, X_R13, X_RSI);
	x86_mov_rr(B, true, X_RBX, X_RDX);
	x86_mov_rr(B, true, X_R14, X_R8);
	x86_alu_rr(B, X_XOR, false, X_R15, X_R15);
	x86_shift_ri(B, X_SHL, true, X_RCX, 4);
	x86_lea(B, X_RBP, x86_mi(X_RDX, X_RCX, 0));
	x86_alu_rr(B, X_CMP, true, X_RBX, X_RBP);
	jit_jmp(B, X_CC_AE, done);
	/* one loop per case (prefetch or not, verdicts or only the count), so
	 * that no packet tests what holds for the batch */
	x86_test_rr(B, false, X_R9, X_R9);
	jit_jmp(B, X_CC_E, plain);
	for (int prefetch = 1; prefetch >= 0; prefetch--) {
		unsigned count = jit_label_new(B);
		x86_test_rr(B, true, X_R14, X_R14);
		jit_jmp(B, X_CC_E, count);
		batch_loop(cg, need, prefetch, true, done);
		jit_label_bind(B, count);
		batch_loop(cg, need, prefetch, false, done);
		if (prefetch)
			jit_label_bind(B, plain);
	}
	jit_label_bind(B, done);
	x86_mov_rr(B, true, X_RAX, X_R15);
	x86_alu_ri(B, X_ADD, true, X_RSP, 8);
	for (int i = 6; i-- > 0;)
		x86_pop(B, saved[i]);
	x86_ret(B);
}

void jit_cg_pass(struct jit_cg *cg)
{
	const struct vm_prog *prog = cg->prog;
	static const uint8_t pad[JIT_HDR_SIZE - 8] = {0};

	jit_pass_begin(B);
	cg->nstubs = 0;
	cg->rng = cg->seed;
	cg->l_epilogue = jit_label_new(B);
	cg->l_unwind0 = jit_label_new(B);
	cg->l_fault = jit_label_new(B);
	cg->l_entry = jit_label_new(B);

	jit_u64(B, JIT_HDR_MAGIC); /* the rest of the header is filled in at load */
	jit_bytes(B, pad, sizeof(pad));
	plan_leaf(cg);
	plan_direct(cg);
	cg->entry_off = (uint32_t)B->len; /* right after the header: jit_image_of */
	jit_label_bind(B, cg->l_entry);
	if (cg->direct)
		emit_direct_prologue(cg); /* falls into instruction 0 */
	else if (!cg->leaf)
		emit_trampoline(cg);
	while (B->len % 16 && !cg->direct) /* int3 padding: never executed */
		x86_int3(B);
	cg->body_off = cg->tcall_off = (uint32_t)B->len;
	for (uint32_t pc = 0, merged = 0; pc <= prog->len && jit_ok(B); pc++) {
		jit_label_bind(B, pc); /* a merged instruction's label: after the code */
		if (merged)
			merged--;
		else
			merged = emit_insn(cg, pc) - 1;
	}
	cg->stubs_off = (uint32_t)B->len;
	for (unsigned i = 0; i < cg->nstubs && jit_ok(B); i++) {
		cg->stubs[i].off = (uint32_t)B->len;
		cg->pc = cg->stubs[i].pc;
		emit_stub(cg, cg->stubs[i]);
	}
	unsigned below = jit_label_new(B), unwind = jit_label_new(B);
	if (cg->direct || cg->leaf) {
		/* Below a subprogram the caller may read what the interpreter
		 * leaves: r1-r5 as this program leaves them (a leaf keeps its
		 * r6-r9 and the run in registers of r2-r5 it does not name) and
		 * this frame's stack (a direct program has a frame of its own).
		 * There, it is interpreted in the caller's frame instead. */
		cg->tcall_off = (uint32_t)B->len;
		x86_alu_mi(B, X_CMP, false, x86_m(CTXR, CTX_DEPTH), 0);
		jit_jmp(B, X_CC_NE, below);
	}
	if (cg->direct) {
		/* A tail call arrives in the caller's frame with rsp at 0 mod 16:
		 * call the prologue as C would; this program's exit is that frame's. */
		jit_call_label(B, cg->l_entry);
		x86_ret(B);
	} else if (cg->leaf) {
		/* A tail call arrives with the caller's trampoline context in r12
		 * and rsp at 0 mod 16: take the run pointer and call the leaf, so
		 * that it runs at 8 mod 16 as when C calls it; its return (or its
		 * early end with r0 = 0) is this frame's. */
		x86_load(B, 8, false, LEAF_RUN, x86_m(CTXR, CTX_RUN));
		x86_store_imm(B, 4, x86_m(LEAF_RUN, RUN_OFF(jit_ended)), 0);
		jit_call_label(B, 0);
		/* the leaf ended early: so does the run (at depth 0 the caller's
		 * frame is the trampoline's, or a callback's) */
		x86_load(B, 8, false, TMP1, x86_m(CTXR, CTX_RUN));
		x86_alu_mi(B, X_CMP, false, x86_m(TMP1, RUN_OFF(jit_ended)), 0);
		jit_jmp(B, X_CC_NE, unwind);
		x86_ret(B);
	}
	if (cg->direct || cg->leaf) {
		jit_label_bind(B, below);
		tail_interp(cg, unwind);
		jit_label_bind(B, unwind);
		unwind_callers_frame(cg);
	}
	emit_fault_tail(cg);
	cg->cb_off = cg->loop_off = cg->each_off = 0;
	if (has_callbacks(cg)) {
		emit_callback_entry(cg);
		if (calls_helper(cg, BPF_FUNC_loop))
			emit_loop_entry(cg, false);
		if (calls_helper(cg, BPF_FUNC_for_each_map_elem))
			emit_loop_entry(cg, true);
	}
	cg->batch_off = 0;
	if (cg->batch && cg->leaf)
		emit_batch_entry(cg);
}

void jit_cg_free(struct jit_cg *cg)
{
	free(cg->stubs);
	cg->stubs = NULL;
	jit_buf_free(B);
}

unsigned jit_cg_nstubs(const struct jit_cg *cg)
{
	return cg->nstubs;
}

struct jit_stub_info jit_cg_stub(const struct jit_cg *cg, unsigned i)
{
	return (struct jit_stub_info){.off = cg->stubs[i].off, .pc = cg->stubs[i].pc};
}
