/* State pruning: at prune points the current state is compared with the
 * states already explored from the same instruction; if an explored one
 * (whose every continuation was proved safe) subsumes the current one, the
 * path stops here. States still being explored (branches > 0) are loop
 * heads: equal to one of them means an infinite loop (Linux's
 * is_state_visited, states_equal, regsafe, stacksafe).
 *
 * Only what the explored state's paths read counts (its liveness cells),
 * and a scalar only by its range where some path needed it precise
 * (live.c). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "verifier/vrf.h"

void vrf_free_func(struct vrf_func *f)
{
	if (!f)
		return;
	free(f->stack);
	free(f);
}

void vrf_free_state(struct vrf_state *st, bool free_self)
{
	for (uint32_t i = 0; i < VRF_MAX_FRAMES; i++) {
		vrf_free_func(st->frame[i]);
		st->frame[i] = NULL;
	}
	free(st->hist);
	st->hist = NULL;
	st->nhist = st->hist_cap = 0;
	if (free_self)
		free(st);
}

static int copy_func(struct vrf_func *dst, const struct vrf_func *src)
{
	struct vrf_stack_slot *stack = dst->stack;
	size_t n = (size_t)src->allocated_stack / VRF_SLOT;

	if (n > (size_t)dst->allocated_stack / VRF_SLOT || !stack) {
		stack = realloc(stack, (n ? n : 1) * sizeof(*stack));
		if (!stack)
			return -ENOMEM;
	}
	*dst = *src;
	dst->stack = stack;
	if (n)
		memcpy(stack, src->stack, n * sizeof(*stack));
	return 0;
}

int vrf_copy_state(struct vrf_state *dst, const struct vrf_state *src)
{
	struct vrf_func *frames[VRF_MAX_FRAMES];
	struct vrf_hist *hist = dst->hist;
	uint32_t cap = dst->hist_cap;

	if (src->nhist > cap) {
		hist = realloc(hist, src->nhist * sizeof(*hist));
		if (!hist)
			return -ENOMEM;
		cap = src->nhist;
	}
	if (src->nhist)
		memcpy(hist, src->hist, src->nhist * sizeof(*hist));
	memcpy(frames, dst->frame, sizeof(frames));
	for (uint32_t i = src->curframe + 1; i < VRF_MAX_FRAMES; i++) {
		vrf_free_func(frames[i]);
		frames[i] = NULL;
	}
	*dst = *src;
	dst->hist = hist;
	dst->hist_cap = cap;
	for (uint32_t i = 0; i <= src->curframe; i++) {
		if (!frames[i] && !(frames[i] = calloc(1, sizeof(struct vrf_func)))) {
			memcpy(dst->frame, frames, sizeof(frames));
			return -ENOMEM;
		}
		if (copy_func(frames[i], src->frame[i])) {
			memcpy(dst->frame, frames, sizeof(frames));
			return -ENOMEM;
		}
	}
	memcpy(dst->frame, frames, sizeof(frames));
	return 0;
}

void vrf_update_branch_counts(struct vrf_env *env, struct vrf_state *st)
{
	(void)env;
	while (st) {
		uint32_t br = st->branches ? --st->branches : 0;

		if (br)
			break;
		st = st->parent;
	}
}

/* ---- equivalence ---- */

static bool check_ids(struct vrf_env *env, uint32_t old_id, uint32_t cur_id)
{
	for (uint32_t i = 0; i < env->nidmap; i++)
		if (env->idmap[i].old == old_id)
			return env->idmap[i].cur == cur_id;
	if (env->nidmap == sizeof(env->idmap) / sizeof(env->idmap[0]))
		return false;
	env->idmap[env->nidmap].old = old_id;
	env->idmap[env->nidmap].cur = cur_id;
	env->nidmap++;
	return true;
}

static bool same_scalar(const struct vrf_reg *a, const struct vrf_reg *b)
{
	return a->var_off.value == b->var_off.value && a->var_off.mask == b->var_off.mask &&
	       a->smin == b->smin && a->smax == b->smax && a->umin == b->umin &&
	       a->umax == b->umax && a->s32_min == b->s32_min && a->s32_max == b->s32_max &&
	       a->u32_min == b->u32_min && a->u32_max == b->u32_max;
}

/* Everything but ids: type, offsets, bounds and the pointed-to object. */
static bool same_shape(const struct vrf_reg *a, const struct vrf_reg *b)
{
	return a->type == b->type && a->off == b->off && same_scalar(a, b) && a->map == b->map &&
	       a->range == b->range && a->mem_size == b->mem_size && a->subprog == b->subprog &&
	       a->frameno == b->frameno;
}

static bool exact(const struct vrf_reg *a, const struct vrf_reg *b)
{
	return same_shape(a, b) && a->id == b->id && a->ref_obj_id == b->ref_obj_id;
}

static bool contains(const struct vrf_reg *old, const struct vrf_reg *cur)
{
	return vrf_range_within(old, cur) && tnum_in(old->var_off, cur->var_off);
}

static bool regsafe(struct vrf_env *env, const struct vrf_reg *rold, const struct vrf_live *live,
		    const struct vrf_reg *rcur)
{
	if (live && !(live->live & VRF_LIVE_READ) && !env->cmp_range_within)
		return true; /* no path from the explored state read it */
	if (rold->type == NOT_INIT && env->cmp_range_within)
		return rcur->type == NOT_INIT;
	if (rold->type == NOT_INIT)
		return true; /* the explored path never read it */
	if (rcur->type == NOT_INIT)
		return false;
	if (rold->type == PTR_TO_STACK)
		return same_shape(rold, rcur) && (!rold->id || check_ids(env, rold->id, rcur->id));
	switch (base_type(rold->type)) {
	case SCALAR_VALUE:
		if (rcur->type != SCALAR_VALUE)
			return false; /* a pointer where a number was */
		/* masks recorded per path must see the same scalars */
		if (env->explore_alu_limits)
			return same_scalar(rold, rcur) && rold->id == rcur->id;
		/* No path needed its value: any number will do. Unprivileged
		 * programs track no precision, so every scalar counts there. */
		if (!rold->precise && env->allow_ptr_leaks && !env->cmp_range_within) {
			if (!contains(rold, rcur))
				env->imprecise_hit = true;
			return true;
		}
		if (!contains(rold, rcur))
			return false;
		/* linked copies must stay linked the same way */
		return !rold->id || check_ids(env, rold->id, rcur->id);
	case PTR_TO_MAP_KEY:
	case PTR_TO_MAP_VALUE:
		if (rold->type & PTR_MAYBE_NULL_T) {
			if (!(rcur->type & PTR_MAYBE_NULL_T) || !same_shape(rold, rcur))
				return false;
			return check_ids(env, rold->id, rcur->id);
		}
		return rold->type == rcur->type && rold->off == rcur->off &&
		       rold->map == rcur->map && contains(rold, rcur) &&
		       (!rold->id || check_ids(env, rold->id, rcur->id)) && rold->ref_obj_id == 0 &&
		       rcur->ref_obj_id == 0;
	case PTR_TO_PACKET_META:
	case PTR_TO_PACKET:
		if (rcur->type != rold->type)
			return false;
		if (rold->range > rcur->range)
			return false;
		if (rold->range < 0 && rold->range != rcur->range)
			return false;
		if (rold->off != rcur->off)
			return false;
		if (rold->id && !check_ids(env, rold->id, rcur->id))
			return false;
		return contains(rold, rcur);
	case PTR_TO_MEM:
		if (!same_shape(rold, rcur))
			return false;
		return check_ids(env, rold->id, rcur->id) &&
		       check_ids(env, rold->ref_obj_id, rcur->ref_obj_id);
	default:
		/* ctx, map pointers, packet end, sockets: exact matches only */
		return exact(rold, rcur) ||
		       (same_shape(rold, rcur) && check_ids(env, rold->id, rcur->id) &&
			check_ids(env, rold->ref_obj_id, rcur->ref_obj_id));
	}
}

static bool stacksafe(struct vrf_env *env, const struct vrf_func *old, const struct vrf_func *cur)
{
	for (int i = 0; i < old->allocated_stack; i++) {
		int spi = i / VRF_SLOT;
		uint8_t ot = old->stack[spi].type[i % VRF_SLOT], ct;

		if (!(old->stack[spi].live.live & VRF_LIVE_READ) && !env->cmp_range_within) {
			i += VRF_SLOT - 1; /* no path from the explored state read it */
			continue;
		}
		if (i >= cur->allocated_stack) {
			if (ot == STACK_INVALID)
				continue;
			return false;
		}
		ct = cur->stack[spi].type[i % VRF_SLOT];
		if (ot == STACK_INVALID) {
			/* never written on the explored path: any data is fine,
			 * but not a pointer it could have read as a number */
			if (ct == STACK_SPILL && vrf_is_spilled_reg(&cur->stack[spi]) &&
			    cur->stack[spi].spilled.type != SCALAR_VALUE)
				return false;
			continue;
		}
		if (ot == STACK_MISC && ct == STACK_ZERO)
			continue;
		if (ot != ct)
			return false;
		if (i % VRF_SLOT != VRF_SLOT - 1)
			continue;
		if (!vrf_is_spilled_reg(&old->stack[spi]))
			continue;
		if (!regsafe(env, &old->stack[spi].spilled, NULL, &cur->stack[spi].spilled))
			return false;
	}
	return true;
}

static bool func_states_equal(struct vrf_env *env, const struct vrf_func *old,
			      const struct vrf_func *cur)
{
	for (int i = 0; i < VRF_REGS; i++)
		if (!regsafe(env, &old->regs[i], i == VRF_FP ? NULL : &old->reg_live[i],
			     &cur->regs[i]))
			return false;
	return stacksafe(env, old, cur);
}

static bool states_equal(struct vrf_env *env, const struct vrf_state *old,
			 const struct vrf_state *cur)
{
	env->nidmap = 0;
	if (old->curframe != cur->curframe)
		return false;
	if (old->speculative && !cur->speculative)
		return false;
	if (!!old->active_spin_lock_id != !!cur->active_spin_lock_id)
		return false;
	if (old->active_spin_lock_id &&
	    !check_ids(env, old->active_spin_lock_id, cur->active_spin_lock_id))
		return false;
	if (old->nrefs != cur->nrefs)
		return false;
	for (uint32_t i = 0; i < old->nrefs; i++)
		if (!check_ids(env, old->refs[i].id, cur->refs[i].id))
			return false;
	for (uint32_t i = 0; i <= old->curframe; i++) {
		if (old->frame[i]->callsite != cur->frame[i]->callsite)
			return false;
		if (!func_states_equal(env, old->frame[i], cur->frame[i]))
			return false;
	}
	return true;
}

/* Registers of the current frame identical: going around a loop made no
 * progress. */
static bool states_maybe_looping(const struct vrf_state *old, const struct vrf_state *cur)
{
	uint32_t fr = cur->curframe;

	if (old->curframe != fr)
		return false;
	for (int i = 0; i < VRF_REGS; i++)
		if (!exact(&old->frame[fr]->regs[i], &cur->frame[fr]->regs[i]))
			return false;
	return true;
}

static void free_list_add(struct vrf_env *env, struct vrf_state_list *sl)
{
	/* may still be some live state's parent: freed at the end */
	sl->next = env->explored[env->len];
	env->explored[env->len] = sl;
}

/* Is st inside a bpf_loop or for_each_map_elem callback (at any depth)? */
static bool in_looping_callback(const struct vrf_state *st)
{
	for (uint32_t f = 1; f <= st->curframe; f++)
		if (st->frame[f]->in_callback_fn && st->frame[f]->callback_loops)
			return true;
	return false;
}

int vrf_is_state_visited(struct vrf_env *env, int insn_idx)
{
	struct vrf_state_list **pprev = &env->explored[insn_idx], *sl, *new_sl;
	struct vrf_state *cur = env->cur;
	bool add_new_state = env->test_state_freq;
	const struct vrf_func *top = cur->frame[cur->curframe];
	bool cb_entry = top->in_callback_fn && top->callback_loops &&
			insn_idx == env->subprogs[top->subprogno].start;
	uint32_t states_cnt = 0;
	int err;

	if (env->jmps_processed - env->prev_jmps_processed >= 2 &&
	    env->insn_processed - env->prev_insn_processed >= 8)
		add_new_state = true;
	if (env->aux[insn_idx].force_checkpoint)
		add_new_state = true;

	if (cb_entry)
		add_new_state = true; /* where a callback's runs converge */
	while ((sl = *pprev)) {
		states_cnt++;
		if (sl->state.insn_idx != insn_idx)
			goto next;
		if (sl->state.branches && cb_entry) {
			/* An earlier run of this callback: bpf_loop bounds the runs,
			 * so being the same again means they converged. */
			bool eq;

			env->cmp_range_within = true;
			eq = states_equal(env, &sl->state, cur);
			env->cmp_range_within = false;
			if (eq)
				goto hit;
			goto miss;
		}
		if (sl->state.branches) {
			if (states_maybe_looping(&sl->state, cur) &&
			    sl->state.callback_unroll_depth == cur->callback_unroll_depth &&
			    states_equal(env, &sl->state, cur)) {
				vrf_verbose(env, "infinite loop detected at insn %d\n", insn_idx);
				return -EINVAL;
			}
			/* Inside a loop: do not record every iteration. */
			if (!env->test_state_freq &&
			    env->jmps_processed - env->prev_jmps_processed < 20 &&
			    env->insn_processed - env->prev_insn_processed < 100)
				add_new_state = false;
			goto miss;
		}
		env->imprecise_hit = false;
		/* Inside a callback that may run again, an explored state's
		 * liveness and precision marks miss what its later runs read:
		 * those runs stop at the callback's entry against an earlier
		 * run, so their reads never reach the states of this one.
		 * Ranges decide there, for every register and slot. */
		env->cmp_range_within = in_looping_callback(&sl->state);
		bool eq = states_equal(env, &sl->state, cur);
		env->cmp_range_within = false;
		if (eq) {
			if (env->imprecise_hit) {
				env->aux[insn_idx].imprecise_prune = true;
				env->any_imprecise_prune = true;
			}
		hit:
			sl->hit_cnt++;
			/* what the explored paths needed, this one needed too */
			vrf_propagate_liveness(&sl->state, cur);
			if (env->prev_insn_idx != insn_idx - 1 &&
			    (err = vrf_push_hist(env, insn_idx, env->prev_insn_idx, 0)))
				return err;
			if ((err = vrf_propagate_precision(env, &sl->state)))
				return err;
			return 1;
		}
	miss:
		if (add_new_state)
			sl->miss_cnt++;
		if (sl->miss_cnt > sl->hit_cnt * 3 + 3) {
			/* rarely useful: stop comparing with it */
			*pprev = sl->next;
			free_list_add(env, sl);
			env->cur_states--;
			continue;
		}
	next:
		pprev = &sl->next;
	}
	if (env->max_states_per_insn < states_cnt)
		env->max_states_per_insn = states_cnt;
	if (!env->allow_ptr_leaks && states_cnt > VRF_STATES_LIMIT)
		return 0;
	if (!add_new_state)
		return 0;

	new_sl = calloc(1, sizeof(*new_sl));
	if (!new_sl)
		return -ENOMEM;
	env->total_states++;
	env->cur_states++;
	if (env->peak_states < env->cur_states)
		env->peak_states = env->cur_states;
	env->prev_jmps_processed = env->jmps_processed;
	env->prev_insn_processed = env->insn_processed;
	err = vrf_copy_state(&new_sl->state, cur);
	if (err) {
		vrf_free_state(&new_sl->state, false);
		free(new_sl);
		return err;
	}
	new_sl->state.insn_idx = insn_idx;
	cur->parent = &new_sl->state;
	cur->first_insn_idx = insn_idx;
	cur->nhist = 0; /* the path from here on is the new checkpoint's child's */
	vrf_live_checkpoint(cur, &new_sl->state);
	new_sl->next = env->explored[insn_idx];
	env->explored[insn_idx] = new_sl;
	return 0;
}

static void widen_reg(struct vrf_env *env, const struct vrf_reg *old, struct vrf_reg *cur)
{
	if (old->type != SCALAR_VALUE || cur->type != SCALAR_VALUE || old->precise ||
	    cur->precise || exact(old, cur))
		return;
	vrf_mark_reg_unknown(env, cur, 0);
}

/* Before a callback's next run: scalars of its callers that changed since
 * the previous run and that nothing needed exact become unknown, so the
 * runs converge instead of counting up (Linux's widen_imprecise_scalars). */
void vrf_widen_imprecise(struct vrf_env *env, struct vrf_state *st, int cb_start, int callsite)
{
	const struct vrf_state *prev = st->parent;

	if (!env->allow_ptr_leaks)
		return;
	for (; prev; prev = prev->parent)
		if (prev->insn_idx == cb_start && prev->curframe == st->curframe &&
		    prev->frame[prev->curframe]->callsite == callsite)
			break;
	if (!prev)
		return;
	for (uint32_t j = 0; j < st->curframe; j++) {
		const struct vrf_func *of = prev->frame[j];
		struct vrf_func *cf = st->frame[j];

		for (int i = 0; i < VRF_FP; i++)
			widen_reg(env, &of->regs[i], &cf->regs[i]);
		for (int i = 0;
		     i < of->allocated_stack / VRF_SLOT && i < cf->allocated_stack / VRF_SLOT; i++)
			if (vrf_is_spilled_reg(&of->stack[i]) && vrf_is_spilled_reg(&cf->stack[i]))
				widen_reg(env, &of->stack[i].spilled, &cf->stack[i].spilled);
	}
}

void vrf_free_explored(struct vrf_env *env)
{
	if (!env->explored)
		return;
	for (uint32_t i = 0; i <= env->len; i++) {
		struct vrf_state_list *sl = env->explored[i];

		while (sl) {
			struct vrf_state_list *next = sl->next;

			vrf_free_state(&sl->state, false);
			free(sl);
			sl = next;
		}
	}
	free(env->explored);
	env->explored = NULL;
}
