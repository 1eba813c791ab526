/* What pruning may ignore (Linux's liveness and precision tracking).
 *
 * Liveness: each register and stack slot has a cell; a read marks the cells
 * of the same register in the checkpoints the current state continues,
 * up to the first one after which it was written. An explored state's
 * unread registers and slots cannot have mattered to any of its paths.
 *
 * Precision: a scalar's exact range matters only where it decided
 * something (a branch, a pointer offset, a size, a return value). Scalars
 * start imprecise and pruning treats an imprecise one as any number. When
 * a decision needs one, its history is walked backwards through the
 * instructions that produced it (the state's path, `hist`), marking the
 * registers and slots it came from precise in every checkpoint on the way.
 * Where the walk cannot follow (kfuncs, LD_ABS, scalars linked across
 * frames, callback arguments) it gives up and marks every scalar of every
 * checkpoint precise, which is always sound. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "verifier/vrf.h"

void vrf_live_read(struct vrf_live *cell)
{
	/* A parent already read has passed the mark on to its own parents. */
	for (; cell->parent && !(cell->live & VRF_LIVE_WRITTEN) &&
	       !(cell->parent->live & VRF_LIVE_READ);
	     cell = cell->parent)
		cell->parent->live |= VRF_LIVE_READ;
}

void vrf_live_checkpoint(struct vrf_state *cur, struct vrf_state *ckpt)
{
	for (uint32_t j = 0; j <= cur->curframe; j++) {
		struct vrf_func *f = cur->frame[j], *nf = ckpt->frame[j];

		/* a caller's r0-r5 are dead until its callee returns */
		for (int i = j < cur->curframe ? 6 : 0; i < VRF_FP; i++)
			f->reg_live[i].parent = &nf->reg_live[i];
		for (int i = 0; i < VRF_FP; i++)
			f->reg_live[i].live = 0;
		for (int i = 0; i < f->allocated_stack / VRF_SLOT; i++) {
			f->stack[i].live.live = 0;
			f->stack[i].live.parent = &nf->stack[i].live;
		}
	}
}

static void propagate_cell(const struct vrf_live *old, struct vrf_live *cur)
{
	if (!(old->live & VRF_LIVE_READ) || (cur->live & VRF_LIVE_READ))
		return;
	cur->live |= VRF_LIVE_READ;
	vrf_live_read(cur);
}

/* cur is pruned by old: what old's paths read, cur's would have read too. */
void vrf_propagate_liveness(const struct vrf_state *old, struct vrf_state *cur)
{
	for (uint32_t j = 0; j <= old->curframe; j++) {
		const struct vrf_func *of = old->frame[j];
		struct vrf_func *cf = cur->frame[j];
		int n = of->allocated_stack < cf->allocated_stack ? of->allocated_stack
								  : cf->allocated_stack;

		for (int i = j < old->curframe ? 6 : 0; i < VRF_FP; i++)
			propagate_cell(&of->reg_live[i], &cf->reg_live[i]);
		for (int i = 0; i < n / VRF_SLOT; i++)
			propagate_cell(&of->stack[i].live, &cf->stack[i].live);
	}
}

/* ---- the path since the last checkpoint ---- */

static struct vrf_hist *hist_entry(struct vrf_env *env, int idx, int prev_idx)
{
	struct vrf_state *st = env->cur;

	if (st->nhist && st->hist[st->nhist - 1].idx == idx)
		return &st->hist[st->nhist - 1];
	if (st->nhist == st->hist_cap) {
		uint32_t cap = st->hist_cap ? st->hist_cap * 2 : 16;
		struct vrf_hist *h = realloc(st->hist, cap * sizeof(*h));

		if (!h)
			return NULL;
		st->hist = h;
		st->hist_cap = cap;
	}
	memset(&st->hist[st->nhist], 0, sizeof(st->hist[0]));
	st->hist[st->nhist].idx = idx;
	st->hist[st->nhist].prev_idx = prev_idx;
	return &st->hist[st->nhist++];
}

int vrf_push_hist(struct vrf_env *env, int idx, int prev_idx, uint32_t flags)
{
	struct vrf_hist *h = hist_entry(env, idx, prev_idx);

	if (!h)
		return -ENOMEM;
	h->flags |= flags;
	return 0;
}

int vrf_hist_stack(struct vrf_env *env, uint32_t frameno, int spi)
{
	struct vrf_hist *h;

	if (spi < 0 || spi >= VRF_STACK_SIZE / VRF_SLOT)
		return 0;
	if (!(h = hist_entry(env, env->insn_idx, env->prev_insn_idx)))
		return -ENOMEM;
	h->flags |= VRF_HIST_STACK;
	h->frame = (uint8_t)frameno;
	h->spi = (uint8_t)spi;
	return 0;
}

static void linked_set(const struct vrf_state *st, uint32_t id, struct vrf_hist *h)
{
	if (!id)
		return;
	for (uint32_t j = 0; j <= st->curframe; j++) {
		const struct vrf_func *f = st->frame[j];
		bool here = j == st->curframe;

		for (int i = 0; i < VRF_FP; i++)
			if (f->regs[i].type == SCALAR_VALUE && f->regs[i].id == id) {
				if (here)
					h->linked_regs |= (uint16_t)(1u << i);
				else
					h->flags |= VRF_HIST_LINKED_OTHER;
			}
		for (int i = 0; i < f->allocated_stack / VRF_SLOT && i < 64; i++)
			if (vrf_is_spilled_reg(&f->stack[i]) &&
			    f->stack[i].spilled.type == SCALAR_VALUE &&
			    f->stack[i].spilled.id == id) {
				if (here)
					h->linked_stack |= 1ull << i;
				else
					h->flags |= VRF_HIST_LINKED_OTHER;
			}
	}
}

/* A conditional jump on a scalar refines every copy of it (same id): a
 * copy that later needs precision needs the operand's too. */
int vrf_hist_linked(struct vrf_env *env, const struct vrf_reg *a, const struct vrf_reg *b)
{
	struct vrf_hist tmp = {0}, *h;
	uint32_t ida = a && a->type == SCALAR_VALUE ? a->id : 0;
	uint32_t idb = b && b->type == SCALAR_VALUE ? b->id : 0;

	linked_set(env->cur, ida, &tmp);
	if (idb != ida)
		linked_set(env->cur, idb, &tmp);
	if (!tmp.linked_regs && !tmp.linked_stack && !tmp.flags)
		return 0;
	if (!(h = hist_entry(env, env->insn_idx, env->prev_insn_idx)))
		return -ENOMEM;
	h->flags |= tmp.flags;
	h->linked_regs |= tmp.linked_regs;
	h->linked_stack |= tmp.linked_stack;
	return 0;
}

/* ---- precision backtracking ---- */

/* What still needs precision, per frame, before the instruction walked. */
struct bt {
	uint16_t reg[VRF_MAX_FRAMES];
	uint64_t stack[VRF_MAX_FRAMES];
	int frame;
};

#define ARG_REGS 0x3e /* r1-r5 */

static bool bt_empty(const struct bt *bt)
{
	for (int i = 0; i < VRF_MAX_FRAMES; i++)
		if (bt->reg[i] || bt->stack[i])
			return false;
	return true;
}

static void mark_all_precise(struct vrf_state *st)
{
	for (; st; st = st->parent)
		for (uint32_t j = 0; j <= st->curframe; j++) {
			struct vrf_func *f = st->frame[j];

			for (int i = 0; i < VRF_REGS; i++)
				if (f->regs[i].type == SCALAR_VALUE)
					f->regs[i].precise = true;
			for (int i = 0; i < f->allocated_stack / VRF_SLOT; i++)
				if (vrf_is_spilled_reg(&f->stack[i]) &&
				    f->stack[i].spilled.type == SCALAR_VALUE)
					f->stack[i].spilled.precise = true;
		}
}

static bool is_call(const struct bpf_insn *insn)
{
	return insn->code == (BPF_JMP | BPF_CALL);
}

static bool is_exit(const struct bpf_insn *insn)
{
	return insn->code == (BPF_JMP | BPF_EXIT);
}

/* The stack slot a load or store through base+off touched: r10-relative
 * ones are read off the instruction, others from the path's record. */
static bool stack_slot(uint8_t base, int16_t off, const struct vrf_hist *h, const struct bt *bt,
		       int *fr, int *spi)
{
	if (base == VRF_FP) {
		if (off >= 0 || off < -VRF_STACK_SIZE)
			return false;
		*fr = bt->frame;
		*spi = (-off - 1) / VRF_SLOT;
		return true;
	}
	if (!h || !(h->flags & VRF_HIST_STACK))
		return false;
	*fr = h->frame;
	*spi = h->spi;
	return true;
}

/* Undo one instruction: which registers and slots did the ones in bt come
 * from? -ENOTSUP when that cannot be followed. */
static int backtrack_insn(struct vrf_env *env, int idx, const struct vrf_hist *h, struct bt *bt)
{
	const struct bpf_insn *insn = &env->insns[idx];
	uint8_t cls = BPF_CLASS(insn->code), op = BPF_OP(insn->code);
	uint16_t *regs = &bt->reg[bt->frame];
	uint16_t dreg = (uint16_t)(1u << (insn->dst_reg & 15));
	uint16_t sreg = (uint16_t)(1u << (insn->src_reg & 15));
	int fr, spi;

	if (insn->code == 0)
		return 0; /* second half of lddw */
	switch (cls) {
	case BPF_ALU:
	case BPF_ALU64:
		if (!(*regs & dreg))
			return 0;
		if (op == BPF_MOV) {
			*regs &= (uint16_t)~dreg; /* dst = src or dst = K */
			if (BPF_SRC(insn->code) == BPF_X)
				*regs |= sreg;
		} else if (BPF_SRC(insn->code) == BPF_X && op != BPF_END && op != BPF_NEG) {
			*regs |= sreg; /* dst op= src needs both */
		}
		return 0;
	case BPF_LDX:
		if (!(*regs & dreg))
			return 0;
		*regs &= (uint16_t)~dreg;
		/* a fill restores the spilled register; other loads are new
		 * (a slot that held no spill leaves the mask at the checkpoint) */
		if (stack_slot(insn->src_reg, insn->off, h, bt, &fr, &spi))
			bt->stack[fr] |= 1ull << spi;
		return 0;
	case BPF_STX:
	case BPF_ST:
		if (*regs & dreg)
			return -ENOTSUP; /* a scalar used as an address */
		if (cls == BPF_STX && BPF_MODE(insn->code) == BPF_ATOMIC)
			return *regs & sreg ? -ENOTSUP : 0;
		if (!stack_slot(insn->dst_reg, insn->off, h, bt, &fr, &spi) ||
		    !(bt->stack[fr] & (1ull << spi)))
			return 0;
		bt->stack[fr] &= ~(1ull << spi);
		if (cls == BPF_STX)
			*regs |= sreg; /* the spill came from src */
		return 0;
	case BPF_JMP:
	case BPF_JMP32:
		if (op == BPF_CALL) {
			if (insn->src_reg == BPF_PSEUDO_CALL)
				return 0; /* arguments were handed over at the callee's entry */
			if (insn->src_reg == BPF_PSEUDO_KFUNC_CALL)
				return -ENOTSUP;
			*regs &= (uint16_t)~1u; /* r0: the helper's result */
			return *regs & ARG_REGS ? -ENOTSUP : 0;
		}
		if (op == BPF_EXIT || op == BPF_JA)
			return 0;
		if (BPF_SRC(insn->code) == BPF_X && (*regs & (dreg | sreg)))
			*regs |= dreg | sreg; /* each side bounds the other */
		/* A copy the jump refined through its operand needs the operand
		 * (and the link) exact; the operands alone need nothing more. */
		if (h && ((*regs & h->linked_regs & (uint16_t) ~(dreg | sreg)) ||
			  (bt->stack[bt->frame] & h->linked_stack))) {
			if (h->flags & VRF_HIST_LINKED_OTHER)
				return -ENOTSUP;
			*regs |= h->linked_regs | dreg;
			if (BPF_SRC(insn->code) == BPF_X)
				*regs |= sreg;
			bt->stack[bt->frame] |= h->linked_stack;
		}
		return 0;
	case BPF_LD:
		if (!(*regs & dreg))
			return 0;
		*regs &= (uint16_t)~dreg;
		if (BPF_MODE(insn->code) == BPF_ABS || BPF_MODE(insn->code) == BPF_IND)
			return -ENOTSUP;
		return 0;
	}
	return -ENOTSUP;
}

/* Step from instruction i to prev across a call or return: move what
 * needs precision to the frame that holds it then. */
static int cross_frames(struct vrf_env *env, int i, int prev, struct bt *bt)
{
	const struct bpf_insn *p = &env->insns[prev];
	int fr = bt->frame;

	if (is_exit(p) && vrf_find_subprog(env, i) < 0) {
		/* i follows a call: walking back into the callee's exit */
		bool callback = i > 0 && is_call(&env->insns[i - 1]) &&
				env->insns[i - 1].src_reg != BPF_PSEUDO_CALL;

		if (fr + 1 >= VRF_MAX_FRAMES || (bt->reg[fr] & ARG_REGS))
			return -ENOTSUP;
		bt->reg[fr + 1] = 0;
		bt->stack[fr + 1] = 0;
		if ((bt->reg[fr] & 1) && !callback)
			bt->reg[fr + 1] |= 1; /* the callee's r0 became ours */
		bt->reg[fr] &= (uint16_t)~1u;
		bt->frame = fr + 1;
		return 0;
	}
	if (!(is_call(p) || is_exit(p)) || vrf_find_subprog(env, i) < 0)
		return 0;
	if (is_exit(p)) {
		/* a callback's next run starts fresh after its previous one */
		return bt->reg[fr] || bt->stack[fr] ? -ENOTSUP : 0;
	}
	if (fr == 0)
		return -ENOTSUP;
	if (p->src_reg == BPF_PSEUDO_CALL) {
		if ((bt->reg[fr] & (uint16_t)~ARG_REGS) || bt->stack[fr])
			return -ENOTSUP;
		bt->reg[fr - 1] |= bt->reg[fr]; /* arguments are the caller's r1-r5 */
	} else if (bt->reg[fr] || bt->stack[fr]) {
		return -ENOTSUP; /* a callback's arguments come from the helper */
	}
	bt->reg[fr] = 0;
	bt->stack[fr] = 0;
	bt->frame = fr - 1;
	return 0;
}

/* Mark what bt holds precise in checkpoint st; false: nothing was new. */
static int mark_in_state(struct vrf_state *st, struct bt *bt, bool *new_marks)
{
	*new_marks = false;
	for (int j = 0; j < VRF_MAX_FRAMES; j++) {
		struct vrf_func *f;

		if ((uint32_t)j > st->curframe) {
			if (bt->reg[j] || bt->stack[j])
				return -ENOTSUP;
			continue;
		}
		f = st->frame[j];
		for (int i = 0; i < VRF_REGS; i++) {
			struct vrf_reg *r = &f->regs[i];

			if (!(bt->reg[j] & (1u << i)))
				continue;
			if (r->type != SCALAR_VALUE) {
				bt->reg[j] &= (uint16_t) ~(1u << i);
				continue;
			}
			*new_marks |= !r->precise;
			r->precise = true;
		}
		for (int i = 0; i < 64; i++) {
			struct vrf_reg *r;

			if (!(bt->stack[j] & (1ull << i)))
				continue;
			if (i >= f->allocated_stack / VRF_SLOT)
				return -ENOTSUP;
			r = &f->stack[i].spilled;
			if (!vrf_is_spilled_reg(&f->stack[i]) || r->type != SCALAR_VALUE) {
				bt->stack[j] &= ~(1ull << i);
				continue;
			}
			*new_marks |= !r->precise;
			r->precise = true;
		}
	}
	return 0;
}

/* *stp: the checkpoint reached when the walk could not go on. */
static int backtrack(struct vrf_env *env, struct bt *bt, struct vrf_state **stp)
{
	struct vrf_state *st = env->cur;
	int last_idx = env->insn_idx, first_idx = st->first_insn_idx;
	bool skip_first = true; /* the instruction asking has not run yet */
	int err;

	bt->frame = (int)st->curframe;
	for (;;) {
		uint32_t cnt = st->nhist;

		*stp = st;
		bool new_marks;

		if (env->log_level & 2)
			vrf_verbose(env, "last_idx %d first_idx %d\n", last_idx, first_idx);
		for (int i = last_idx;;) {
			const struct vrf_hist *h =
			    cnt && st->hist[cnt - 1].idx == i ? &st->hist[cnt - 1] : NULL;
			int prev;

			if (i < 0 || (uint32_t)i >= env->len)
				return -ENOTSUP;
			if (skip_first) {
				skip_first = false;
			} else {
				if (env->log_level & 2) {
					vrf_verbose(env, "regs=%x stack=%llx before %d: ",
						    bt->reg[bt->frame],
						    (unsigned long long)bt->stack[bt->frame], i);
					vrf_print_insn_text(env, i);
				}
				if ((err = backtrack_insn(env, i, h, bt)))
					return err;
			}
			bt->reg[bt->frame] &= (uint16_t) ~(1u << VRF_FP);
			if (bt_empty(bt))
				return 0;
			/* first_idx ends the walk only once the history is used
			 * up: a path can start at an instruction, go round a
			 * loop and come back to it (Linux fixed this in 6.4) */
			if (i == first_idx && (!cnt || (cnt == 1 && st->hist[0].idx == i)))
				break;
			if (h) {
				prev = h->prev_idx;
				cnt--;
			} else {
				prev = i - 1;
			}
			if (prev < 0 || (uint32_t)prev >= env->len)
				return -ENOTSUP;
			if ((err = cross_frames(env, i, prev, bt)))
				return err;
			i = prev;
		}
		st = st->parent;
		if (!st)
			return 0;
		*stp = st;
		if ((uint32_t)bt->frame != st->curframe)
			return -ENOTSUP;
		if ((err = mark_in_state(st, bt, &new_marks)))
			return err;
		if (env->log_level & 2)
			vrf_verbose(env, "parent %s regs=%x stack=%llx marks\n",
				    new_marks ? "didn't have" : "already had", bt->reg[bt->frame],
				    (unsigned long long)bt->stack[bt->frame]);
		if (bt_empty(bt) || !new_marks)
			return 0;
		/* A checkpoint made where a call returned (or a callee began)
		 * has a history that ends in the other frame: step across as
		 * within a history, or the caller's r6-r9 would be looked for
		 * among the callee's registers. */
		if ((err = cross_frames(env, first_idx, st->last_insn_idx, bt)))
			return err;
		last_idx = st->last_insn_idx;
		first_idx = st->first_insn_idx;
	}
}

static int run_backtrack(struct vrf_env *env, struct bt *bt)
{
	struct vrf_state *st = env->cur;
	int err = backtrack(env, bt, &st);

	/* the states after st got what they needed on the way */
	if (err == -ENOTSUP) {
		mark_all_precise(st);
		return 0;
	}
	return err;
}

int vrf_mark_chain_precision(struct vrf_env *env, int regno)
{
	struct vrf_reg *reg;
	struct bt bt;

	/* Unprivileged programs compare every scalar exactly (prune.c). */
	if (!env->allow_ptr_leaks || regno < 0 || regno >= VRF_FP)
		return 0;
	reg = &vrf_cur_regs(env)[regno];
	if (reg->type != SCALAR_VALUE || reg->precise)
		return 0;
	reg->precise = true;
	memset(&bt, 0, sizeof(bt));
	bt.reg[env->cur->curframe] = (uint16_t)(1u << regno);
	return run_backtrack(env, &bt);
}

/* cur is pruned by old: the scalars old's paths needed exact are needed
 * exact in cur's checkpoints too. */
int vrf_propagate_precision(struct vrf_env *env, const struct vrf_state *old)
{
	struct vrf_state *cur = env->cur;
	struct bt bt;

	if (!env->allow_ptr_leaks)
		return 0;
	memset(&bt, 0, sizeof(bt));
	for (uint32_t j = 0; j <= old->curframe; j++) {
		const struct vrf_func *of = old->frame[j];
		struct vrf_func *cf = cur->frame[j];

		for (int i = 0; i < VRF_FP; i++)
			if (of->regs[i].type == SCALAR_VALUE && of->regs[i].precise &&
			    cf->regs[i].type == SCALAR_VALUE && !cf->regs[i].precise) {
				cf->regs[i].precise = true;
				bt.reg[j] |= (uint16_t)(1u << i);
			}
		for (int i = 0; i < of->allocated_stack / VRF_SLOT &&
				i < cf->allocated_stack / VRF_SLOT && i < 64;
		     i++) {
			const struct vrf_stack_slot *os = &of->stack[i];
			struct vrf_stack_slot *cs = &cf->stack[i];

			if (vrf_is_spilled_reg(os) && os->spilled.type == SCALAR_VALUE &&
			    os->spilled.precise && vrf_is_spilled_reg(cs) &&
			    cs->spilled.type == SCALAR_VALUE && !cs->spilled.precise) {
				cs->spilled.precise = true;
				bt.stack[j] |= 1ull << i;
			}
		}
	}
	if (bt_empty(&bt))
		return 0;
	return run_backtrack(env, &bt);
}
