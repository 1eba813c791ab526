/* The JIT's own facts: register liveness, so a helper call saves only the
 * argument registers that are read again (the interpreter never clobbers
 * r1-r5; native calls do).
 *
 * Liveness is a backward dataflow over single instructions, iterated to a
 * fixed point. It is sound for any decoded program, verified or not:
 * - local calls and callx read every register (the callee may read any);
 * - an exit may return to the instruction after any local call or callx, so
 *   it reads r0-r5 wherever those are live after a call (r6-r9 are restored
 *   by the caller, so they are not);
 * - a program tail-called from a subprogram returns to its caller in another
 *   program, which may read r0-r5: the "deep" solution assumes exits read
 *   all of them, and generated code picks it when the call depth is not 0;
 * - a tail call reads every register (the next program may read any). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "jit/facts.h"

#define ALL_REGS 0x3ffu /* r0-r9; r10 is never dead */
#define ARG_REGS 0x3eu	/* r1-r5 */
#define RET_REGS 0x3fu	/* r0-r5: what a callee hands back */

struct use_def {
	uint16_t use, def;
};

/* Registers some path may read after instruction i: the liveness of its
 * own frame and of the frames it returns to. */
static uint16_t live_out(const struct jit_fact *f)
{
	return f->live_after | f->live_after_deep;
}

static struct use_def use_def(const struct vm_insn *in)
{
	uint16_t d = (uint16_t)(1u << in->dst), s = (uint16_t)(1u << in->src);

	if (in->op == VM_OP_TAIL_CALL)
		return (struct use_def){ALL_REGS, 0};
	if (in->op >= ISA_NR_OPS)
		return (struct use_def){0, 0};
	const struct isa_row *row = &isa_rows[in->op];
	bool mov = (row->code & 0xf0) == BPF_MOV;

	switch ((enum isa_shape)row->shape) {
	case ISA_SHAPE_ALU_K:
		return (struct use_def){mov ? 0 : d, d};
	case ISA_SHAPE_ALU_X:
		return (struct use_def){(uint16_t)(mov ? s : d | s), d};
	case ISA_SHAPE_MOVSX:
		return (struct use_def){s, d};
	case ISA_SHAPE_NEG:
	case ISA_SHAPE_END:
		return (struct use_def){d, d};
	case ISA_SHAPE_JA:
	case ISA_SHAPE_JA32:
	case ISA_SHAPE_CALL_KFUNC:
		return (struct use_def){0, 0};
	case ISA_SHAPE_JMP_K:
	case ISA_SHAPE_ST:
		return (struct use_def){d, 0};
	case ISA_SHAPE_JMP_X:
	case ISA_SHAPE_STX:
		return (struct use_def){(uint16_t)(d | s), 0};
	case ISA_SHAPE_CALL:
		return (struct use_def){ARG_REGS, 1};
	case ISA_SHAPE_CALL_LOCAL:
	case ISA_SHAPE_CALLX:
		return (struct use_def){ALL_REGS, 0};
	case ISA_SHAPE_EXIT:
		return (struct use_def){1, 0}; /* plus what callers read, added by the caller */
	case ISA_SHAPE_LDDW:
		return (struct use_def){0, d};
	case ISA_SHAPE_LDABS:
		return (struct use_def){0, 1};
	case ISA_SHAPE_LDIND:
		return (struct use_def){s, 1};
	case ISA_SHAPE_LDX:
		return (struct use_def){s, d};
	case ISA_SHAPE_ATOMIC:
		if (in->imm == BPF_CMPXCHG)
			return (struct use_def){(uint16_t)(d | s | 1), 1};
		return (struct use_def){(uint16_t)(d | s), (uint16_t)(in->imm & BPF_FETCH ? s : 0)};
	}
	return (struct use_def){ALL_REGS, 0};
}

/* Successors of instruction i (at most 2); returns how many. */
static unsigned successors(const struct vm_insn *code, uint32_t i, uint32_t succ[2])
{
	const struct vm_insn *in = &code[i];

	if (in->op == VM_OP_TAIL_CALL) {
		succ[0] = i + 1;
		return 1;
	}
	if (in->op >= ISA_NR_OPS)
		return 0;
	switch ((enum isa_shape)isa_rows[in->op].shape) {
	case ISA_SHAPE_JA:
		succ[0] = (uint32_t)((int64_t)i + 1 + in->off);
		return 1;
	case ISA_SHAPE_JA32:
		succ[0] = (uint32_t)((int64_t)i + 1 + in->imm);
		return 1;
	case ISA_SHAPE_JMP_K:
	case ISA_SHAPE_JMP_X:
		succ[0] = i + 1;
		succ[1] = (uint32_t)((int64_t)i + 1 + in->off);
		return 2;
	case ISA_SHAPE_EXIT:
	case ISA_SHAPE_CALL_KFUNC:
	case ISA_SHAPE_CALL_LOCAL: /* reads everything; its return point is reached by exits */
	case ISA_SHAPE_CALLX:
		return 0;
	case ISA_SHAPE_LDDW:
		succ[0] = i + 2;
		return 1;
	default:
		succ[0] = i + 1;
		return 1;
	}
}

static bool returns_here(const struct vm_insn *in)
{
	return in->op == ISA_CALL_LOCAL || in->op == ISA_CALLX;
}

/* exit_reads: what every exit reads besides r0 and what this program's own
 * callers read. */
static int liveness(const struct vm_prog *prog, uint16_t exit_reads, uint16_t *live_out)
{
	const struct vm_insn *code = prog->code;
	uint32_t n = prog->len;
	uint16_t *live_in =
	    calloc((size_t)n + 1, sizeof(*live_in)); /* [n]: the sentinel, reads nothing */
	uint16_t ret_live = exit_reads;		     /* r0-r5 read after some call returns */
	bool changed = true;

	if (!live_in)
		return -ENOMEM;
	while (changed) {
		changed = false;
		for (uint32_t i = n; i-- > 0;) {
			struct use_def ud = use_def(&code[i]);
			uint32_t succ[2];
			unsigned ns = successors(code, i, succ);
			uint16_t out = 0, in;

			for (unsigned k = 0; k < ns; k++)
				out |= live_in[succ[k]];
			if (code[i].op == ISA_EXIT)
				ud.use |= ret_live;
			in = (uint16_t)(ud.use | (out & ~ud.def));
			if (in != live_in[i] || out != live_out[i])
				changed = true;
			live_in[i] = in;
			live_out[i] = out;
			if (returns_here(&code[i]) && (live_in[i + 1] & RET_REGS & ~ret_live)) {
				ret_live |= live_in[i + 1] & RET_REGS;
				changed = true;
			}
		}
	}
	free(live_in);
	return 0;
}

/* Where control may arrive other than by falling through. verified: the
 * verifier accepted prog, so a function's address is never moved before a
 * helper calls it back (it refuses arithmetic on it). */
static void mark_targets(const struct vm_prog *prog, bool verified, struct jit_fact *out)
{
	const struct vm_insn *code = prog->code;
	bool callx = false, func = false;

	out[0].flags |= JIT_FACT_TARGET;
	for (uint32_t i = 0; i < prog->len; i++) {
		uint32_t succ[2];
		unsigned ns = successors(code, i, succ);
		const struct vm_insn *in = &code[i];

		if (in->op >= ISA_NR_OPS)
			continue;
		switch ((enum isa_shape)isa_rows[in->op].shape) {
		case ISA_SHAPE_JA:
		case ISA_SHAPE_JA32:
		case ISA_SHAPE_JMP_K:
		case ISA_SHAPE_JMP_X: /* the last successor is the jump's target */
			if (ns && succ[ns - 1] < prog->len)
				out[succ[ns - 1]].flags |= JIT_FACT_TARGET;
			break;
		case ISA_SHAPE_CALL_LOCAL:
			out[(int64_t)i + 1 + in->imm].flags |= JIT_FACT_TARGET;
			break;
		case ISA_SHAPE_CALLX:
			callx = true;
			break;
		case ISA_SHAPE_LDDW: { /* a BPF_PSEUDO_FUNC value: &code[target] */
			uintptr_t t = (uintptr_t)in->imm, lo = (uintptr_t)code;
			func |= in->src == BPF_PSEUDO_FUNC;
			if (in->src == BPF_PSEUDO_FUNC && t >= lo &&
			    t < (uintptr_t)(code + prog->len))
				out[(t - lo) / sizeof(*code)].flags |= JIT_FACT_TARGET;
			break;
		}
		default:
			break;
		}
	}
	/* callx may reach any instruction its operand names, and so may a
	 * helper calling back an unverified program's function address, which
	 * the program may have moved (vm_call_func takes any instruction) */
	for (uint32_t i = 0; (callx || (func && !verified)) && i < prog->len; i++)
		out[i].flags |= JIT_FACT_TARGET;
}

/* Helper calls whose r1 is a map named by an lddw before them: walking back
 * through code that falls through (no instruction on the way is a target)
 * and does not write r1, the first writer of r1 must be that lddw. Local
 * calls, callx and tail calls may write anything, so they end the walk. A
 * bounded walk: clang puts the lddw right before the call. */
static void mark_map_calls(const struct vm_prog *prog, struct jit_fact *out)
{
	const struct vm_insn *code = prog->code;

	for (uint32_t i = 0; i < prog->len; i++) {
		if (code[i].op != ISA_CALL)
			continue;
		for (uint32_t k = i, steps = 0; k > 0 && steps < 16; steps++) {
			uint32_t j = k - 1;

			if (out[k].flags & JIT_FACT_TARGET)
				break;
			if (code[j].op == VM_OP_LDDW_HI) {
				if (!j)
					break;
				j--;
			}
			const struct vm_insn *w = &code[j];
			if (w->op == ISA_CALL_LOCAL || w->op == ISA_CALLX ||
			    w->op == VM_OP_TAIL_CALL || w->op == ISA_CALL_KFUNC)
				break;
			if (use_def(w).def & (1u << 1)) {
				if (w->op == ISA_LDDW && w->src == BPF_PSEUDO_MAP_FD) {
					out[i].flags |= JIT_FACT_R1_MAP;
					out[i].src_val = w->imm;
				}
				break;
			}
			k = j;
		}
	}
}

/* ---- constants needed on one edge ----
 *
 * clang sets a return code before each check that may fail ("w0 = 4; r1 =
 * r6; r1 += 20; if r1 > r2 goto out"), and the path that passes the check
 * sets r0 again before reading it. The constant is needed only when the jump
 * is taken: the jump goes through an out-of-line stub that sets it, and the
 * path every good packet runs loses one move per check. Taken when every
 * instruction between the move and the jump falls through, is no jump
 * target, cannot fault and leaves the register alone, the jump does not
 * read it, and the register is dead where the jump falls through. */

#define SINK_WINDOW 8 /* instructions from the move to its jump */

/* May instruction k run between a move and its jump? Memory accesses only
 * where proved in bounds: no fault ends the run there. */
static bool sink_passes(const struct vm_insn *in, const struct jit_fact *f)
{
	enum isa_shape sh = (enum isa_shape)isa_rows[in->op].shape;

	return isa_shape_computes(sh) ||
	       (isa_shape_loads_or_stores(sh) && (f->flags & JIT_FACT_MEM_OK));
}

/* Is some register of r read at instruction k before it is written? */
static bool live_at(const struct vm_prog *prog, const struct jit_fact *out, uint32_t k, uint16_t r)
{
	const struct vm_insn *in = &prog->code[k];

	if (k >= prog->len || !(out[k].flags & JIT_FACT_LIVENESS) ||
	    (in->op >= ISA_NR_OPS && in->op != VM_OP_TAIL_CALL))
		return true;
	if (in->op == ISA_EXIT && (r & RET_REGS)) /* and a caller may read r1-r5 */
		return true;
	struct use_def ud = use_def(in);
	return (ud.use | (live_out(&out[k]) & ~ud.def)) & r;
}

static void sink_consts(const struct vm_prog *prog, struct jit_fact *out)
{
	const struct vm_insn *code = prog->code;

	for (uint32_t i = 0; i < prog->len; i++) {
		const struct vm_insn *mv = &code[i];
		uint16_t r = (uint16_t)(1u << mv->dst);

		if ((mv->op != ISA_MOV32_K && mv->op != ISA_MOV64_K) || mv->dst >= 10 ||
		    (out[i].flags & (JIT_FACT_DEAD | JIT_FACT_SUBSUMED | JIT_FACT_WIDE_LOAD)))
			continue;
		for (uint32_t j = i + 1; j < prog->len && j - i <= SINK_WINDOW; j++) {
			const struct vm_insn *in = &code[j];
			struct jit_fact *f = &out[j];

			if ((f->flags & (JIT_FACT_TARGET | JIT_FACT_DEAD)) || in->op >= ISA_NR_OPS)
				break;
			struct use_def ud = use_def(in);
			if ((ud.use | ud.def) & r)
				break;
			enum isa_shape sh = (enum isa_shape)isa_rows[in->op].shape;
			if (sh != ISA_SHAPE_JMP_K && sh != ISA_SHAPE_JMP_X) {
				if (!sink_passes(in, f))
					break;
				continue;
			}
			if (in->off &&
			    !(f->flags &
			      (JIT_FACT_JMP_ALWAYS | JIT_FACT_JMP_NEVER | JIT_FACT_SINK_JMP)) &&
			    !live_at(prog, out, j + 1, r)) {
				out[i].flags |= JIT_FACT_SUNK;
				f->flags |= JIT_FACT_SINK_JMP;
				f->sink = (struct jit_sink){
				    .reg = mv->dst, .w64 = mv->op == ISA_MOV64_K, .imm = mv->imm};
			}
			break;
		}
	}
}

/* ---- values assembled from byte loads ----
 *
 * clang writes an unaligned big-endian field as byte loads, shifts and ors
 * (ip->saddr read through a u8 pointer: 4 loads, 3 shifts, 3 ors). Where the
 * verifier proved each byte load safe, the same bytes read at once are
 * safe too: the root (the last or) loads them in one instruction and byte-
 * swaps, and the rest of the tree emits nothing. A straight-line walk keeps,
 * per register, which loaded byte sits in each byte of its value; a tree is
 * taken when its value is the bytes of one field, in either order, and no
 * intermediate result is read outside it. */

#define NO_LANE	 INT32_MIN
#define TREE_MAX 32

struct bytes_val {
	bool known, stack;
	uint8_t base, n;
	uint32_t base_ver;
	int32_t lane[8]; /* byte j of the value was loaded from base + lane[j] (else 0) */
	uint32_t insn[TREE_MAX];
};

struct wide_cand {
	uint32_t root;
	struct bytes_val v;
	struct jit_wide wide; /* what the root loads */
};

static bool lanes_above(const struct bytes_val *v, unsigned from)
{
	for (unsigned j = from; j < 8; j++)
		if (v->lane[j] != NO_LANE)
			return true;
	return false;
}

static bool add_insn(struct bytes_val *v, uint32_t i)
{
	if (v->n == TREE_MAX)
		return false;
	v->insn[v->n++] = i;
	return true;
}

/* The tree value after instruction i (in: what its registers held), or
 * known = false. */
static struct bytes_val bytes_step(const struct vm_insn *in, uint32_t i, const struct jit_fact *f,
				   const struct bytes_val *val, const uint32_t *ver)
{
	struct bytes_val nv = {.known = false};
	const struct bytes_val *d = &val[in->dst], *s = &val[in->src];
	bool w32 = in->op == ISA_LSH32_K || in->op == ISA_OR32_X || in->op == ISA_MOV32_X;

	switch (in->op) {
	case ISA_LDXB:
		if (!(f->flags & JIT_FACT_MEM_OK))
			return nv;
		nv = (struct bytes_val){.known = true,
					.stack = f->flags & JIT_FACT_MEM_STACK,
					.base = in->src,
					.base_ver = ver[in->src],
					.n = 1,
					.insn = {i}};
		for (unsigned j = 0; j < 8; j++)
			nv.lane[j] = j ? NO_LANE : in->off;
		return nv;
	case ISA_LSH32_K:
	case ISA_LSH64_K: {
		unsigned width = w32 ? 4 : 8, k = (unsigned)in->imm / 8;
		if (!d->known || in->imm < 0 || in->imm % 8 || k >= width ||
		    lanes_above(d, width - k))
			return nv;
		nv = *d;
		for (unsigned j = 8; j-- > 0;)
			nv.lane[j] = j >= k ? d->lane[j - k] : NO_LANE;
		break;
	}
	case ISA_OR32_X:
	case ISA_OR64_X:
		if (!d->known || !s->known || in->src == in->dst || d->base != s->base ||
		    d->base_ver != s->base_ver || d->stack != s->stack ||
		    (w32 && (lanes_above(d, 4) || lanes_above(s, 4))) || d->n + s->n >= TREE_MAX)
			return nv;
		nv = *d;
		for (unsigned j = 0; j < 8; j++) {
			if (d->lane[j] != NO_LANE && s->lane[j] != NO_LANE)
				return (struct bytes_val){.known = false};
			if (s->lane[j] != NO_LANE)
				nv.lane[j] = s->lane[j];
		}
		for (unsigned k = 0; k < s->n; k++)
			nv.insn[nv.n++] = s->insn[k];
		break;
	case ISA_MOV32_X:
	case ISA_MOV64_X:
		if (!s->known || (w32 && lanes_above(s, 4)))
			return nv;
		nv = *s;
		break;
	default:
		return nv;
	}
	if (!add_insn(&nv, i))
		nv.known = false;
	return nv;
}

/* The bytes of one field, in memory order (little-endian) or reversed? */
static bool wide_shape(const struct bytes_val *v, struct jit_wide *w)
{
	unsigned n = 0;

	while (n < 8 && v->lane[n] != NO_LANE)
		n++;
	if ((n != 2 && n != 4 && n != 8) || lanes_above(v, n))
		return false;
	bool le = true, rev = true;
	for (unsigned j = 0; j < n; j++) {
		le &= v->lane[j] == v->lane[0] + (int32_t)j;
		rev &= v->lane[j] == v->lane[n - 1] + (int32_t)(n - 1 - j);
	}
	if (!le && !rev)
		return false;
	*w = (struct jit_wide){.base = v->base,
			       .size = (uint8_t)n,
			       .be = !le,
			       .off = le ? v->lane[0] : v->lane[n - 1]};
	return true;
}

static bool in_tree(const struct bytes_val *v, uint32_t i)
{
	for (unsigned k = 0; k < v->n; k++)
		if (v->insn[k] == i)
			return true;
	return false;
}

/* May the tree rooted at root replace its other instructions? Each of
 * their results must be read only inside the tree: overwritten before
 * anything else reads it, or dead after the root. */
static bool tree_private(const struct vm_prog *prog, const struct jit_fact *out,
			 const struct wide_cand *c)
{
	const struct vm_insn *code = prog->code;

	for (unsigned k = 0; k < c->v.n; k++) {
		uint32_t i = c->v.insn[k];
		if (i == c->root)
			continue;
		if (out[i].flags & (JIT_FACT_SUBSUMED | JIT_FACT_WIDE_LOAD))
			return false;
		uint16_t r = (uint16_t)(1u << code[i].dst);
		bool overwritten = false;
		for (uint32_t j = i + 1; j <= c->root && !overwritten; j++) {
			struct use_def ud = use_def(&code[j]);
			if ((ud.use & r) && !in_tree(&c->v, j))
				return false;
			overwritten = ud.def & r;
		}
		if (!overwritten && (live_out(&out[c->root]) & r))
			return false;
	}
	return true;
}

static void combine_loads(const struct vm_prog *prog, struct jit_fact *out)
{
	struct bytes_val val[11];
	uint32_t ver[11] = {0};
	struct wide_cand *cand = NULL;
	size_t ncand = 0, cap = 0;

	memset(val, 0, sizeof(val));
	for (uint32_t i = 0; i < prog->len; i++) {
		const struct vm_insn *in = &prog->code[i];
		struct jit_fact *f = &out[i];

		/* a tree never spans a jump target, nor the runtime's own
		 * instructions (tail calls, lddw's second slot) */
		if ((f->flags & (JIT_FACT_TARGET | JIT_FACT_DEAD)) || in->op >= ISA_NR_OPS)
			memset(val, 0, sizeof(val));
		if ((f->flags & JIT_FACT_DEAD) || in->op >= ISA_NR_OPS)
			continue;
		struct bytes_val nv = bytes_step(in, i, f, val, ver);
		struct jit_wide w;
		if (nv.known && nv.n > 1 && ver[nv.base] == nv.base_ver && wide_shape(&nv, &w)) {
			if (ncand == cap) {
				size_t ncap = cap ? cap * 2 : 16;
				struct wide_cand *m = realloc(cand, ncap * sizeof(*m));
				if (!m)
					break; /* fewer wide loads, never a wrong one */
				cand = m, cap = ncap;
			}
			cand[ncand++] = (struct wide_cand){.root = i, .v = nv, .wide = w};
		}
		/* What the instruction does to memory: a store may change bytes
		 * a tree has loaded, unless it is to the stack and they are not
		 * (only r10-based pointers reach the eBPF stack: no helper hands
		 * out memory on it). */
		switch ((enum isa_shape)isa_rows[in->op].shape) {
		case ISA_SHAPE_ST:
		case ISA_SHAPE_STX:
		case ISA_SHAPE_ATOMIC:
			for (unsigned r = 0; r < 11; r++)
				if (!(f->flags & JIT_FACT_MEM_OK) ||
				    !(f->flags & JIT_FACT_MEM_STACK) || val[r].stack)
					val[r].known = false;
			break;
		default:
			break;
		}
		struct use_def ud = use_def(in);
		for (unsigned r = 0; r < 11; r++)
			if (ud.def & (1u << r)) {
				ver[r]++;
				val[r].known = false;
			}
		if (nv.known)
			val[in->dst] = nv;
		uint32_t succ[2];
		if (successors(prog->code, i, succ) != 1 || succ[0] != i + 1 ||
		    isa_rows[in->op].shape == ISA_SHAPE_CALL)
			memset(val, 0, sizeof(val)); /* jumps, exits, calls: a new block */
	}
	/* Roots last to first: a bigger tree swallows the smaller ones inside it. */
	for (size_t k = ncand; k-- > 0;) {
		struct wide_cand *c = &cand[k];
		if ((out[c->root].flags & JIT_FACT_SUBSUMED) || !tree_private(prog, out, c))
			continue;
		out[c->root].wide = c->wide;
		out[c->root].flags |= JIT_FACT_WIDE_LOAD;
		for (unsigned t = 0; t < c->v.n; t++)
			if (c->v.insn[t] != c->root)
				out[c->v.insn[t]].flags |= JIT_FACT_SUBSUMED;
	}
	free(cand);
}

int jit_analyze(const struct vm_prog *prog, const struct jit_fact *verifier, struct jit_fact *out)
{
	uint16_t *live = calloc((size_t)prog->len + 1, sizeof(*live));
	uint16_t *deep = calloc((size_t)prog->len + 1, sizeof(*deep));
	int err = live && deep ? 0 : -ENOMEM;

	if (!err)
		err = liveness(prog, 0, live);
	if (!err)
		err = liveness(prog, RET_REGS, deep);
	for (uint32_t i = 0; !err && i < prog->len; i++) {
		out[i] = (struct jit_fact){
		    .flags = JIT_FACT_LIVENESS, .live_after = live[i], .live_after_deep = deep[i]};
		if (!verifier)
			continue;
		const struct jit_fact *v = &verifier[i];
		out[i].flags |=
		    v->flags & (JIT_FACT_DIV_NONZERO | JIT_FACT_DIV_NOT_M1 | JIT_FACT_SRC_CONST |
				JIT_FACT_DEAD | JIT_FACT_JMP_ALWAYS | JIT_FACT_JMP_NEVER |
				JIT_FACT_MEM_OK | JIT_FACT_MEM_STACK);
		out[i].src_val = v->src_val;
		if (v->flags & JIT_FACT_LIVENESS) { /* both sound: live only if both say so */
			out[i].live_after &= v->live_after;
			out[i].live_after_deep &= v->live_after_deep;
		}
	}
	if (!err) {
		mark_targets(prog, verifier != NULL, out);
		mark_map_calls(prog, out);
		if (verifier)
			combine_loads(prog, out);
		sink_consts(prog, out);
	}
	free(live);
	free(deep);
	return err;
}
