/* Scalar bounds: each scalar register carries a tnum and signed/unsigned
 * 64-bit and 32-bit ranges. Every operation keeps all five sound (every
 * concrete value the register may hold lies in each), then sync() lets each
 * view tighten the others. The rules are Linux's (adjust_scalar_min_max_vals,
 * reg_set_min_max, is_branch_taken), so verdicts match; where a rule gives up
 * ("unknown"), it is because the exact result is not cheap to bound. */
#include <limits.h>

#include "verifier/vrf.h"

#define S64_MIN INT64_MIN
#define S64_MAX INT64_MAX
#define U64_MAX UINT64_MAX
#define S32_MIN INT32_MIN
#define S32_MAX INT32_MAX
#define U32_MAX UINT32_MAX

#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

static void mark_reg64_unbounded(struct vrf_reg *reg)
{
	reg->smin = S64_MIN;
	reg->smax = S64_MAX;
	reg->umin = 0;
	reg->umax = U64_MAX;
}

static void mark_reg32_unbounded(struct vrf_reg *reg)
{
	reg->s32_min = S32_MIN;
	reg->s32_max = S32_MAX;
	reg->u32_min = 0;
	reg->u32_max = U32_MAX;
}

void vrf_mark_reg_unknown_bounds(struct vrf_reg *reg)
{
	reg->var_off = tnum_unknown;
	mark_reg64_unbounded(reg);
	mark_reg32_unbounded(reg);
}

/* Known value; keeps the id (copies of a compared register stay linked). */
void vrf_mark_reg_known(struct vrf_reg *reg, uint64_t imm)
{
	reg->var_off = tnum_const(imm);
	reg->smin = reg->smax = (int64_t)imm;
	reg->umin = reg->umax = imm;
	reg->s32_min = reg->s32_max = (int32_t)imm;
	reg->u32_min = reg->u32_max = (uint32_t)imm;
}

static void mark_reg32_known(struct vrf_reg *reg, uint32_t imm)
{
	reg->var_off = tnum_const_subreg(reg->var_off, imm);
	reg->s32_min = reg->s32_max = (int32_t)imm;
	reg->u32_min = reg->u32_max = imm;
}

/* Bounds implied by the known bits. */
void vrf_update_reg32_bounds(struct vrf_reg *reg)
{
	struct tnum v = tnum_subreg(reg->var_off);

	reg->s32_min = MAX(reg->s32_min, (int32_t)(v.value | (v.mask & 0x80000000u)));
	reg->s32_max = MIN(reg->s32_max, (int32_t)(v.value | (v.mask & 0x7fffffffu)));
	reg->u32_min = MAX(reg->u32_min, (uint32_t)v.value);
	reg->u32_max = MIN(reg->u32_max, (uint32_t)(v.value | v.mask));
}

static void update_reg64_bounds(struct vrf_reg *reg)
{
	struct tnum v = reg->var_off;

	reg->smin = MAX(reg->smin, (int64_t)(v.value | (v.mask & (1ull << 63))));
	reg->smax = MIN(reg->smax, (int64_t)(v.value | (v.mask & ~(1ull << 63))));
	reg->umin = MAX(reg->umin, v.value);
	reg->umax = MIN(reg->umax, v.value | v.mask);
}

static void update_reg_bounds(struct vrf_reg *reg)
{
	vrf_update_reg32_bounds(reg);
	update_reg64_bounds(reg);
}

/* Signed and unsigned ranges agree wherever the sign is known. */
static void reg32_deduce_bounds(struct vrf_reg *reg)
{
	if (reg->s32_min >= 0 || reg->s32_max < 0) {
		reg->s32_min = (int32_t)(reg->u32_min = MAX((uint32_t)reg->s32_min, reg->u32_min));
		reg->s32_max = (int32_t)(reg->u32_max = MIN((uint32_t)reg->s32_max, reg->u32_max));
		return;
	}
	if ((int32_t)reg->u32_max >= 0) {
		/* Unsigned range entirely non-negative: it bounds the sign. */
		reg->s32_min = (int32_t)reg->u32_min;
		reg->s32_max = (int32_t)(reg->u32_max = MIN((uint32_t)reg->s32_max, reg->u32_max));
	} else if ((int32_t)reg->u32_min < 0) {
		reg->s32_min = (int32_t)(reg->u32_min = MAX((uint32_t)reg->s32_min, reg->u32_min));
		reg->s32_max = (int32_t)reg->u32_max;
	}
}

static void reg64_deduce_bounds(struct vrf_reg *reg)
{
	if (reg->smin >= 0 || reg->smax < 0) {
		reg->smin = (int64_t)(reg->umin = MAX((uint64_t)reg->smin, reg->umin));
		reg->smax = (int64_t)(reg->umax = MIN((uint64_t)reg->smax, reg->umax));
		return;
	}
	if ((int64_t)reg->umax >= 0) {
		reg->smin = (int64_t)reg->umin;
		reg->smax = (int64_t)(reg->umax = MIN((uint64_t)reg->smax, reg->umax));
	} else if ((int64_t)reg->umin < 0) {
		reg->smin = (int64_t)(reg->umin = MAX((uint64_t)reg->smin, reg->umin));
		reg->smax = (int64_t)reg->umax;
	}
}

/* Known bits implied by the unsigned ranges. */
static void reg_bound_offset(struct vrf_reg *reg)
{
	struct tnum v64 = tnum_intersect(reg->var_off, tnum_range(reg->umin, reg->umax));
	struct tnum v32 =
	    tnum_intersect(tnum_subreg(reg->var_off), tnum_range(reg->u32_min, reg->u32_max));

	reg->var_off = tnum_or(tnum_clear_subreg(v64), v32);
}

void vrf_reg_bounds_sync(struct vrf_reg *reg)
{
	update_reg_bounds(reg);
	reg32_deduce_bounds(reg);
	reg64_deduce_bounds(reg);
	reg_bound_offset(reg);
	update_reg_bounds(reg);
}

void vrf_reg_bounds_from_var_off(struct vrf_reg *reg)
{
	mark_reg64_unbounded(reg);
	mark_reg32_unbounded(reg);
	vrf_reg_bounds_sync(reg);
}

bool vrf_reg_bounds_sane(const struct vrf_reg *reg)
{
	return reg->umin <= reg->umax && reg->smin <= reg->smax && reg->u32_min <= reg->u32_max &&
	       reg->s32_min <= reg->s32_max;
}

static bool reg32_bound_s64(int32_t a)
{
	return a >= 0;
}

/* The upper half is zero: the 32-bit bounds are the 64-bit ones. */
static void reg_assign_32_into_64(struct vrf_reg *reg)
{
	reg->umin = reg->u32_min;
	reg->umax = reg->u32_max;
	if (reg32_bound_s64(reg->s32_min) && reg32_bound_s64(reg->s32_max)) {
		reg->smin = reg->s32_min;
		reg->smax = reg->s32_max;
	} else {
		reg->smin = 0;
		reg->smax = U32_MAX;
	}
}

static void reg_combine_32_into_64(struct vrf_reg *reg)
{
	if (tnum_equals_const(tnum_clear_subreg(reg->var_off), 0))
		reg_assign_32_into_64(reg);
	else
		mark_reg64_unbounded(reg); /* re-derived from the tnum below */
	vrf_reg_bounds_sync(reg);
}

static void reg_combine_64_into_32(struct vrf_reg *reg)
{
	mark_reg32_unbounded(reg);
	if (reg->smin >= S32_MIN && reg->smax <= S32_MAX && reg->smin <= S32_MAX &&
	    reg->smax >= S32_MIN) {
		reg->s32_min = (int32_t)reg->smin;
		reg->s32_max = (int32_t)reg->smax;
	}
	if (reg->umin <= U32_MAX && reg->umax <= U32_MAX) {
		reg->u32_min = (uint32_t)reg->umin;
		reg->u32_max = (uint32_t)reg->umax;
	}
	vrf_reg_bounds_sync(reg);
}

void vrf_zext_32_to_64(struct vrf_reg *reg)
{
	reg->var_off = tnum_subreg(reg->var_off);
	reg_assign_32_into_64(reg);
}

/* Truncate to size bytes (zero-extending), as a narrow load does. */
void vrf_coerce_reg_to_size(struct vrf_reg *reg, int size)
{
	uint64_t mask;

	if (size >= 8)
		return;
	reg->var_off = tnum_cast(reg->var_off, (uint8_t)size);
	mask = (1ull << (size * 8)) - 1;
	if ((reg->umin & ~mask) == (reg->umax & ~mask)) {
		reg->umin &= mask;
		reg->umax &= mask;
	} else {
		reg->umin = 0;
		reg->umax = mask;
	}
	reg->smin = (int64_t)reg->umin;
	reg->smax = (int64_t)reg->umax;
	/* Truncating to 32 bits leaves the low half, and so the 32-bit
	 * bounds, as they were; narrower sizes truncate them too. */
	if (size >= 4)
		return;
	reg_combine_64_into_32(reg);
}

static void set_sext64_default(struct vrf_reg *reg, int size)
{
	if (size == 1) {
		reg->smin = INT8_MIN;
		reg->smax = INT8_MAX;
	} else if (size == 2) {
		reg->smin = INT16_MIN;
		reg->smax = INT16_MAX;
	} else {
		reg->smin = INT32_MIN;
		reg->smax = INT32_MAX;
	}
	reg->umin = 0;
	reg->umax = U64_MAX;
	reg->var_off = tnum_unknown;
	mark_reg32_unbounded(reg);
	vrf_reg_bounds_sync(reg);
}

/* Sign-extend the low size bytes (movsx, ldsx). Exact for constants and for
 * ranges that stay inside one sign; otherwise the type's full range. */
void vrf_coerce_reg_to_size_sx(struct vrf_reg *reg, int size)
{
	int shift = 64 - size * 8;

	if (tnum_is_const(reg->var_off)) {
		uint64_t v = (uint64_t)(((int64_t)(reg->var_off.value << shift)) >> shift);

		vrf_mark_reg_known(reg, v);
		return;
	}
	{
		uint64_t lo = reg->umin, hi = reg->umax;
		uint64_t top = size >= 8 ? 0 : ~((1ull << (size * 8)) - 1);

		if ((lo & top) == (hi & top) && hi - lo < (1ull << (size * 8 - 1))) {
			int64_t a = ((int64_t)(lo << shift)) >> shift;
			int64_t b = ((int64_t)(hi << shift)) >> shift;

			if (a <= b && ((a >= 0) == (b >= 0))) {
				mark_reg64_unbounded(reg);
				mark_reg32_unbounded(reg);
				reg->var_off = tnum_unknown;
				reg->smin = a;
				reg->smax = b;
				vrf_reg_bounds_sync(reg);
				return;
			}
		}
	}
	set_sext64_default(reg, size);
}

/* movsx into a 32-bit register: the low size bytes sign-extended to 32 bits
 * and then zero-extended to 64. */
void vrf_coerce_subreg_to_size_sx(struct vrf_reg *reg, int size)
{
	int shift = 32 - size * 8;

	if (tnum_subreg_is_const(reg->var_off)) {
		uint32_t v =
		    (uint32_t)(((int32_t)((uint32_t)reg->var_off.value << shift)) >> shift);

		vrf_mark_reg_known(reg, v);
		return;
	}
	mark_reg64_unbounded(reg);
	mark_reg32_unbounded(reg);
	reg->var_off = tnum_unknown;
	reg->s32_min = size == 1 ? INT8_MIN : INT16_MIN;
	reg->s32_max = size == 1 ? INT8_MAX : INT16_MAX;
	vrf_reg_bounds_sync(reg);
	vrf_zext_32_to_64(reg);
	vrf_reg_bounds_sync(reg);
}

/* ---- ALU on scalars ---- */

static bool sadd32_overflows(int32_t a, int32_t b)
{
	int32_t r;
	return __builtin_add_overflow(a, b, &r);
}

static bool sadd64_overflows(int64_t a, int64_t b)
{
	int64_t r;
	return __builtin_add_overflow(a, b, &r);
}

static bool ssub32_overflows(int32_t a, int32_t b)
{
	int32_t r;
	return __builtin_sub_overflow(a, b, &r);
}

static bool ssub64_overflows(int64_t a, int64_t b)
{
	int64_t r;
	return __builtin_sub_overflow(a, b, &r);
}

static void scalar32_add(struct vrf_reg *d, const struct vrf_reg *s)
{
	if (sadd32_overflows(d->s32_min, s->s32_min) || sadd32_overflows(d->s32_max, s->s32_max)) {
		d->s32_min = S32_MIN;
		d->s32_max = S32_MAX;
	} else {
		d->s32_min += s->s32_min;
		d->s32_max += s->s32_max;
	}
	if ((uint32_t)(d->u32_min + s->u32_min) < s->u32_min ||
	    (uint32_t)(d->u32_max + s->u32_max) < s->u32_max) {
		d->u32_min = 0;
		d->u32_max = U32_MAX;
	} else {
		d->u32_min += s->u32_min;
		d->u32_max += s->u32_max;
	}
}

static void scalar64_add(struct vrf_reg *d, const struct vrf_reg *s)
{
	if (sadd64_overflows(d->smin, s->smin) || sadd64_overflows(d->smax, s->smax)) {
		d->smin = S64_MIN;
		d->smax = S64_MAX;
	} else {
		d->smin += s->smin;
		d->smax += s->smax;
	}
	if (d->umin + s->umin < s->umin || d->umax + s->umax < s->umax) {
		d->umin = 0;
		d->umax = U64_MAX;
	} else {
		d->umin += s->umin;
		d->umax += s->umax;
	}
}

static void scalar32_sub(struct vrf_reg *d, const struct vrf_reg *s)
{
	if (ssub32_overflows(d->s32_min, s->s32_max) || ssub32_overflows(d->s32_max, s->s32_min)) {
		d->s32_min = S32_MIN;
		d->s32_max = S32_MAX;
	} else {
		d->s32_min -= s->s32_max;
		d->s32_max -= s->s32_min;
	}
	if (d->u32_min < s->u32_max) {
		d->u32_min = 0;
		d->u32_max = U32_MAX;
	} else {
		d->u32_min -= s->u32_max;
		d->u32_max -= s->u32_min;
	}
}

static void scalar64_sub(struct vrf_reg *d, const struct vrf_reg *s)
{
	if (ssub64_overflows(d->smin, s->smax) || ssub64_overflows(d->smax, s->smin)) {
		d->smin = S64_MIN;
		d->smax = S64_MAX;
	} else {
		d->smin -= s->smax;
		d->smax -= s->smin;
	}
	if (d->umin < s->umax) {
		d->umin = 0;
		d->umax = U64_MAX;
	} else {
		d->umin -= s->umax;
		d->umax -= s->umin;
	}
}

static void scalar32_mul(struct vrf_reg *d, const struct vrf_reg *s)
{
	/* Only small non-negative operands: the product cannot wrap. */
	if (s->s32_min < 0 || d->s32_min < 0 || s->u32_max > 0xffff || d->u32_max > 0xffff) {
		mark_reg32_unbounded(d);
		return;
	}
	d->u32_min *= s->u32_min;
	d->u32_max *= s->u32_max;
	if (d->u32_max > S32_MAX) {
		d->s32_min = S32_MIN;
		d->s32_max = S32_MAX;
	} else {
		d->s32_min = (int32_t)d->u32_min;
		d->s32_max = (int32_t)d->u32_max;
	}
}

static void scalar64_mul(struct vrf_reg *d, const struct vrf_reg *s)
{
	if (s->smin < 0 || d->smin < 0 || s->umax > U32_MAX || d->umax > U32_MAX) {
		mark_reg64_unbounded(d);
		return;
	}
	d->umin *= s->umin;
	d->umax *= s->umax;
	if (d->umax > (uint64_t)S64_MAX) {
		d->smin = S64_MIN;
		d->smax = S64_MAX;
	} else {
		d->smin = (int64_t)d->umin;
		d->smax = (int64_t)d->umax;
	}
}

/* and/or/xor: var_off has already been computed. */
static void scalar32_bitop(struct vrf_reg *d, const struct vrf_reg *s, uint8_t op)
{
	struct tnum v = tnum_subreg(d->var_off);
	bool both_known = tnum_subreg_is_const(s->var_off) && tnum_subreg_is_const(d->var_off);
	bool nonneg;

	if (both_known) {
		mark_reg32_known(d, (uint32_t)v.value);
		return;
	}
	switch (op) {
	case BPF_AND:
		d->u32_min = (uint32_t)v.value;
		d->u32_max = MIN(d->u32_max, s->u32_max);
		nonneg = !(d->s32_min < 0 || s->s32_min < 0);
		break;
	case BPF_OR:
		d->u32_min = MAX(d->u32_min, s->u32_min);
		d->u32_max = (uint32_t)(v.value | v.mask);
		nonneg = !(d->s32_min < 0 || s->s32_min < 0);
		break;
	default: /* XOR */
		d->u32_min = (uint32_t)v.value;
		d->u32_max = (uint32_t)(v.value | v.mask);
		nonneg = d->s32_min >= 0 && s->s32_min >= 0;
		break;
	}
	if (nonneg) {
		d->s32_min = (int32_t)d->u32_min;
		d->s32_max = (int32_t)d->u32_max;
	} else {
		d->s32_min = S32_MIN;
		d->s32_max = S32_MAX;
	}
}

static void scalar64_bitop(struct vrf_reg *d, const struct vrf_reg *s, uint8_t op)
{
	struct tnum v = d->var_off;
	bool both_known = tnum_is_const(s->var_off) && tnum_is_const(d->var_off);
	bool nonneg;

	if (both_known) {
		vrf_mark_reg_known(d, v.value);
		return;
	}
	switch (op) {
	case BPF_AND:
		d->umin = v.value;
		d->umax = MIN(d->umax, s->umax);
		nonneg = !(d->smin < 0 || s->smin < 0);
		break;
	case BPF_OR:
		d->umin = MAX(d->umin, s->umin);
		d->umax = v.value | v.mask;
		nonneg = !(d->smin < 0 || s->smin < 0);
		break;
	default:
		d->umin = v.value;
		d->umax = v.value | v.mask;
		nonneg = d->smin >= 0 && s->smin >= 0;
		break;
	}
	if (nonneg) {
		d->smin = (int64_t)d->umin;
		d->smax = (int64_t)d->umax;
	} else {
		d->smin = S64_MIN;
		d->smax = S64_MAX;
	}
	update_reg_bounds(d);
}

static void scalar32_lsh_bounds(struct vrf_reg *d, uint64_t umin, uint64_t umax)
{
	d->s32_min = S32_MIN;
	d->s32_max = S32_MAX;
	if (umax > 31 || d->u32_max > 1ull << (31 - umax)) {
		d->u32_min = 0;
		d->u32_max = U32_MAX;
	} else {
		d->u32_min <<= umin;
		d->u32_max <<= umax;
	}
}

static void scalar64_lsh_bounds(struct vrf_reg *d, uint64_t umin, uint64_t umax)
{
	/* <<32 of a non-negative 32-bit value keeps its sign: the compiler's
	 * sign-extension idiom (<<32 s>>32) relies on it. */
	if (umin == 32 && umax == 32 && d->s32_max >= 0)
		d->smax = (int64_t)((uint64_t)d->s32_max << 32);
	else
		d->smax = S64_MAX;
	if (umin == 32 && umax == 32 && d->s32_min >= 0)
		d->smin = (int64_t)((uint64_t)d->s32_min << 32);
	else
		d->smin = S64_MIN;
	if (d->umax > 1ull << (63 - umax)) {
		d->umin = 0;
		d->umax = U64_MAX;
	} else {
		d->umin <<= umin;
		d->umax <<= umax;
	}
}

void vrf_scalar_alu(struct vrf_reg *dst, const struct vrf_reg *src, uint8_t opcode, bool alu32)
{
	bool src_known;
	unsigned bits = alu32 ? 32 : 64;

	if (alu32) {
		src_known = tnum_subreg_is_const(src->var_off);
		if ((src_known && (src->s32_min != src->s32_max || src->u32_min != src->u32_max)) ||
		    src->s32_min > src->s32_max || src->u32_min > src->u32_max)
			goto untracked; /* bounds from a dead branch */
	} else {
		src_known = tnum_is_const(src->var_off);
		if ((src_known && (src->smin != src->smax || src->umin != src->umax)) ||
		    src->smin > src->smax || src->umin > src->umax)
			goto untracked;
	}
	if (!src_known && opcode != BPF_ADD && opcode != BPF_SUB && opcode != BPF_AND)
		goto untracked;

	switch (opcode) {
	case BPF_ADD:
		scalar32_add(dst, src);
		scalar64_add(dst, src);
		dst->var_off = tnum_add(dst->var_off, src->var_off);
		break;
	case BPF_SUB:
		scalar32_sub(dst, src);
		scalar64_sub(dst, src);
		dst->var_off = tnum_sub(dst->var_off, src->var_off);
		break;
	case BPF_MUL:
		dst->var_off = tnum_mul(dst->var_off, src->var_off);
		scalar32_mul(dst, src);
		scalar64_mul(dst, src);
		break;
	case BPF_AND:
		dst->var_off = tnum_and(dst->var_off, src->var_off);
		scalar32_bitop(dst, src, BPF_AND);
		scalar64_bitop(dst, src, BPF_AND);
		break;
	case BPF_OR:
		dst->var_off = tnum_or(dst->var_off, src->var_off);
		scalar32_bitop(dst, src, BPF_OR);
		scalar64_bitop(dst, src, BPF_OR);
		break;
	case BPF_XOR:
		dst->var_off = tnum_xor(dst->var_off, src->var_off);
		scalar32_bitop(dst, src, BPF_XOR);
		scalar64_bitop(dst, src, BPF_XOR);
		break;
	case BPF_LSH:
		if (src->umax >= bits)
			goto unknown; /* count out of range: Linux calls it undefined */
		if (alu32) {
			struct tnum sub = tnum_subreg(dst->var_off);

			scalar32_lsh_bounds(dst, src->u32_min, src->u32_max);
			dst->var_off = tnum_subreg(tnum_lshift(sub, (uint8_t)src->u32_min));
			mark_reg64_unbounded(dst);
			vrf_update_reg32_bounds(dst);
		} else {
			scalar64_lsh_bounds(dst, src->umin, src->umax);
			scalar32_lsh_bounds(dst, src->umin, src->umax);
			dst->var_off = tnum_lshift(dst->var_off, (uint8_t)src->umin);
			update_reg_bounds(dst);
		}
		break;
	case BPF_RSH:
		if (src->umax >= bits)
			goto unknown;
		if (alu32) {
			struct tnum sub = tnum_subreg(dst->var_off);

			dst->s32_min = S32_MIN;
			dst->s32_max = S32_MAX;
			dst->var_off = tnum_rshift(sub, (uint8_t)src->u32_min);
			dst->u32_min >>= src->u32_max;
			dst->u32_max >>= src->u32_min;
			mark_reg64_unbounded(dst);
			vrf_update_reg32_bounds(dst);
		} else {
			dst->smin = S64_MIN;
			dst->smax = S64_MAX;
			dst->var_off = tnum_rshift(dst->var_off, (uint8_t)src->umin);
			dst->umin >>= src->umax;
			dst->umax >>= src->umin;
			mark_reg32_unbounded(dst);
			update_reg_bounds(dst);
		}
		break;
	case BPF_ARSH:
		if (src->umax >= bits)
			goto unknown;
		if (alu32) {
			uint8_t n = (uint8_t)src->u32_min;

			dst->s32_min = dst->s32_min >> n;
			dst->s32_max = dst->s32_max >> n;
			dst->var_off = tnum_arshift(tnum_subreg(dst->var_off), n, 32);
			dst->u32_min = 0;
			dst->u32_max = U32_MAX;
			mark_reg64_unbounded(dst);
			vrf_update_reg32_bounds(dst);
		} else {
			uint8_t n = (uint8_t)src->umin;

			dst->smin >>= n;
			dst->smax >>= n;
			dst->var_off = tnum_arshift(dst->var_off, n, 64);
			dst->umin = 0;
			dst->umax = U64_MAX;
			mark_reg32_unbounded(dst);
			update_reg_bounds(dst);
		}
		break;
	default:
		goto unknown;
	}
	if (alu32)
		vrf_zext_32_to_64(dst);
	vrf_reg_bounds_sync(dst);
	return;
unknown:
	vrf_mark_reg_unknown_bounds(dst);
	if (alu32) {
		vrf_zext_32_to_64(dst);
		vrf_reg_bounds_sync(dst);
	}
	return;
untracked:
	/* Linux 6.1 gives up before it looks at the operation, so even a
	 * 32-bit result keeps no zero upper half: all 64 bits unknown.
	 * Knowing more here would accept programs Linux rejects. */
	vrf_mark_reg_unknown_bounds(dst);
}

/* ---- conditional jumps ---- */

static int branch32_taken(const struct vrf_reg *reg, uint32_t val, uint8_t opcode)
{
	struct tnum sub = tnum_subreg(reg->var_off);
	int32_t sval = (int32_t)val;

	switch (opcode) {
	case BPF_JEQ:
		if (tnum_is_const(sub))
			return sub.value == val;
		break;
	case BPF_JNE:
		if (tnum_is_const(sub))
			return sub.value != val;
		break;
	case BPF_JSET:
		if ((~sub.mask & sub.value) & val)
			return 1;
		if (!((sub.mask | sub.value) & val))
			return 0;
		break;
	case BPF_JGT:
		if (reg->u32_min > val)
			return 1;
		if (reg->u32_max <= val)
			return 0;
		break;
	case BPF_JSGT:
		if (reg->s32_min > sval)
			return 1;
		if (reg->s32_max <= sval)
			return 0;
		break;
	case BPF_JLT:
		if (reg->u32_max < val)
			return 1;
		if (reg->u32_min >= val)
			return 0;
		break;
	case BPF_JSLT:
		if (reg->s32_max < sval)
			return 1;
		if (reg->s32_min >= sval)
			return 0;
		break;
	case BPF_JGE:
		if (reg->u32_min >= val)
			return 1;
		if (reg->u32_max < val)
			return 0;
		break;
	case BPF_JSGE:
		if (reg->s32_min >= sval)
			return 1;
		if (reg->s32_max < sval)
			return 0;
		break;
	case BPF_JLE:
		if (reg->u32_max <= val)
			return 1;
		if (reg->u32_min > val)
			return 0;
		break;
	case BPF_JSLE:
		if (reg->s32_max <= sval)
			return 1;
		if (reg->s32_min > sval)
			return 0;
		break;
	}
	return -1;
}

static int branch64_taken(const struct vrf_reg *reg, uint64_t val, uint8_t opcode)
{
	int64_t sval = (int64_t)val;

	switch (opcode) {
	case BPF_JEQ:
		if (tnum_is_const(reg->var_off))
			return reg->var_off.value == val;
		break;
	case BPF_JNE:
		if (tnum_is_const(reg->var_off))
			return reg->var_off.value != val;
		break;
	case BPF_JSET:
		if ((~reg->var_off.mask & reg->var_off.value) & val)
			return 1;
		if (!((reg->var_off.mask | reg->var_off.value) & val))
			return 0;
		break;
	case BPF_JGT:
		if (reg->umin > val)
			return 1;
		if (reg->umax <= val)
			return 0;
		break;
	case BPF_JSGT:
		if (reg->smin > sval)
			return 1;
		if (reg->smax <= sval)
			return 0;
		break;
	case BPF_JLT:
		if (reg->umax < val)
			return 1;
		if (reg->umin >= val)
			return 0;
		break;
	case BPF_JSLT:
		if (reg->smax < sval)
			return 1;
		if (reg->smin >= sval)
			return 0;
		break;
	case BPF_JGE:
		if (reg->umin >= val)
			return 1;
		if (reg->umax < val)
			return 0;
		break;
	case BPF_JSGE:
		if (reg->smin >= sval)
			return 1;
		if (reg->smax < sval)
			return 0;
		break;
	case BPF_JLE:
		if (reg->umax <= val)
			return 1;
		if (reg->umin > val)
			return 0;
		break;
	case BPF_JSLE:
		if (reg->smax <= sval)
			return 1;
		if (reg->smin > sval)
			return 0;
		break;
	}
	return -1;
}

int vrf_branch_taken_scalar(const struct vrf_reg *dst, const struct vrf_reg *src, uint8_t opcode,
			    bool is_jmp32)
{
	if (is_jmp32)
		return branch32_taken(dst, (uint32_t)src->var_off.value, opcode);
	return branch64_taken(dst, src->var_off.value, opcode);
}

static bool is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

/* Refine true_reg (the jump taken) and false_reg (fall-through) knowing
 * reg op val. Both start as the same register. */
static void set_min_max(struct vrf_reg *true_reg, struct vrf_reg *false_reg, uint64_t val,
			uint32_t val32, uint8_t opcode, bool is_jmp32)
{
	struct tnum f32 = tnum_subreg(false_reg->var_off), f64 = false_reg->var_off;
	struct tnum t32 = tnum_subreg(true_reg->var_off), t64 = true_reg->var_off;
	int64_t sval = (int64_t)val;
	int32_t sval32 = (int32_t)val32;

	switch (opcode) {
	case BPF_JEQ:
		if (is_jmp32) {
			mark_reg32_known(true_reg, val32);
			t32 = tnum_subreg(true_reg->var_off);
		} else {
			vrf_mark_reg_known(true_reg, val);
			t64 = true_reg->var_off;
		}
		break;
	case BPF_JNE:
		if (is_jmp32) {
			mark_reg32_known(false_reg, val32);
			f32 = tnum_subreg(false_reg->var_off);
		} else {
			vrf_mark_reg_known(false_reg, val);
			f64 = false_reg->var_off;
		}
		break;
	case BPF_JSET:
		if (is_jmp32) {
			f32 = tnum_and(f32, tnum_const(~val32));
			if (is_pow2(val32))
				t32 = tnum_or(t32, tnum_const(val32));
		} else {
			f64 = tnum_and(f64, tnum_const(~val));
			if (is_pow2(val))
				t64 = tnum_or(t64, tnum_const(val));
		}
		break;
	case BPF_JGE:
	case BPF_JGT:
		if (is_jmp32) {
			uint32_t fmax = opcode == BPF_JGT ? val32 : val32 - 1;
			uint32_t tmin = opcode == BPF_JGT ? val32 + 1 : val32;

			false_reg->u32_max = MIN(false_reg->u32_max, fmax);
			true_reg->u32_min = MAX(true_reg->u32_min, tmin);
		} else {
			uint64_t fmax = opcode == BPF_JGT ? val : val - 1;
			uint64_t tmin = opcode == BPF_JGT ? val + 1 : val;

			false_reg->umax = MIN(false_reg->umax, fmax);
			true_reg->umin = MAX(true_reg->umin, tmin);
		}
		break;
	case BPF_JSGE:
	case BPF_JSGT:
		if (is_jmp32) {
			int32_t fmax =
			    opcode == BPF_JSGT ? sval32 : (int32_t)((uint32_t)sval32 - 1);
			int32_t tmin =
			    opcode == BPF_JSGT ? (int32_t)((uint32_t)sval32 + 1) : sval32;

			false_reg->s32_max = MIN(false_reg->s32_max, fmax);
			true_reg->s32_min = MAX(true_reg->s32_min, tmin);
		} else {
			int64_t fmax = opcode == BPF_JSGT ? sval : (int64_t)((uint64_t)sval - 1);
			int64_t tmin = opcode == BPF_JSGT ? (int64_t)((uint64_t)sval + 1) : sval;

			false_reg->smax = MIN(false_reg->smax, fmax);
			true_reg->smin = MAX(true_reg->smin, tmin);
		}
		break;
	case BPF_JLE:
	case BPF_JLT:
		if (is_jmp32) {
			uint32_t fmin = opcode == BPF_JLT ? val32 : val32 + 1;
			uint32_t tmax = opcode == BPF_JLT ? val32 - 1 : val32;

			false_reg->u32_min = MAX(false_reg->u32_min, fmin);
			true_reg->u32_max = MIN(true_reg->u32_max, tmax);
		} else {
			uint64_t fmin = opcode == BPF_JLT ? val : val + 1;
			uint64_t tmax = opcode == BPF_JLT ? val - 1 : val;

			false_reg->umin = MAX(false_reg->umin, fmin);
			true_reg->umax = MIN(true_reg->umax, tmax);
		}
		break;
	case BPF_JSLE:
	case BPF_JSLT:
		if (is_jmp32) {
			int32_t fmin =
			    opcode == BPF_JSLT ? sval32 : (int32_t)((uint32_t)sval32 + 1);
			int32_t tmax =
			    opcode == BPF_JSLT ? (int32_t)((uint32_t)sval32 - 1) : sval32;

			false_reg->s32_min = MAX(false_reg->s32_min, fmin);
			true_reg->s32_max = MIN(true_reg->s32_max, tmax);
		} else {
			int64_t fmin = opcode == BPF_JSLT ? sval : (int64_t)((uint64_t)sval + 1);
			int64_t tmax = opcode == BPF_JSLT ? (int64_t)((uint64_t)sval - 1) : sval;

			false_reg->smin = MAX(false_reg->smin, fmin);
			true_reg->smax = MIN(true_reg->smax, tmax);
		}
		break;
	}
	if (is_jmp32) {
		false_reg->var_off = tnum_or(tnum_clear_subreg(f64), tnum_subreg(f32));
		true_reg->var_off = tnum_or(tnum_clear_subreg(t64), tnum_subreg(t32));
		reg_combine_32_into_64(false_reg);
		reg_combine_32_into_64(true_reg);
	} else {
		false_reg->var_off = f64;
		true_reg->var_off = t64;
		reg_combine_64_into_32(false_reg);
		reg_combine_64_into_32(true_reg);
	}
}

/* The opcode with its operands swapped: a op b == b flip(op) a. */
static uint8_t flip_opcode(uint8_t op)
{
	switch (op) {
	case BPF_JGT:
		return BPF_JLT;
	case BPF_JLT:
		return BPF_JGT;
	case BPF_JGE:
		return BPF_JLE;
	case BPF_JLE:
		return BPF_JGE;
	case BPF_JSGT:
		return BPF_JSLT;
	case BPF_JSLT:
		return BPF_JSGT;
	case BPF_JSGE:
		return BPF_JSLE;
	case BPF_JSLE:
		return BPF_JSGE;
	default:
		return op; /* JEQ, JNE, JSET are symmetric */
	}
}

static void combine_eq(struct vrf_reg *a, struct vrf_reg *b)
{
	a->umin = b->umin = MAX(a->umin, b->umin);
	a->umax = b->umax = MIN(a->umax, b->umax);
	a->smin = b->smin = MAX(a->smin, b->smin);
	a->smax = b->smax = MIN(a->smax, b->smax);
	a->var_off = b->var_off = tnum_intersect(a->var_off, b->var_off);
	vrf_reg_bounds_sync(a);
	vrf_reg_bounds_sync(b);
}

void vrf_reg_set_min_max(struct vrf_reg *true_dst, struct vrf_reg *true_src,
			 struct vrf_reg *false_dst, struct vrf_reg *false_src, uint8_t opcode,
			 bool is_jmp32)
{
	bool src_const =
	    is_jmp32 ? tnum_subreg_is_const(false_src->var_off) : tnum_is_const(false_src->var_off);
	bool dst_const =
	    is_jmp32 ? tnum_subreg_is_const(false_dst->var_off) : tnum_is_const(false_dst->var_off);

	if (src_const) {
		set_min_max(true_dst, false_dst, false_src->var_off.value,
			    (uint32_t)false_src->var_off.value, opcode, is_jmp32);
	} else if (dst_const) {
		set_min_max(true_src, false_src, false_dst->var_off.value,
			    (uint32_t)false_dst->var_off.value, flip_opcode(opcode), is_jmp32);
	} else if (!is_jmp32 && opcode == BPF_JEQ) {
		combine_eq(true_src, true_dst);
	} else if (!is_jmp32 && opcode == BPF_JNE) {
		combine_eq(false_src, false_dst);
	}
}

bool vrf_range_within(const struct vrf_reg *old, const struct vrf_reg *cur)
{
	return old->umin <= cur->umin && old->umax >= cur->umax && old->smin <= cur->smin &&
	       old->smax >= cur->smax && old->u32_min <= cur->u32_min &&
	       old->u32_max >= cur->u32_max && old->s32_min <= cur->s32_min &&
	       old->s32_max >= cur->s32_max;
}
