/* Tristate numbers (see tnum.h). The add and sub rules follow from treating
 * the unknown bits as carries that may or may not happen: the result's
 * unknown bits are those where the sum of the extremes differ, plus the
 * inputs' own unknown bits. */
#include <stdio.h>

#include "verifier/tnum.h"

const struct tnum tnum_unknown = {.value = 0, .mask = UINT64_MAX};

struct tnum tnum_const(uint64_t v)
{
	return TNUM(v, 0);
}

struct tnum tnum_range(uint64_t min, uint64_t max)
{
	uint64_t chi = min ^ max, delta;
	unsigned bits = chi ? 64 - (unsigned)__builtin_clzll(chi) : 0;

	/* Bits above the highest differing one are shared by the whole range. */
	if (bits > 63)
		return tnum_unknown;
	delta = (1ull << bits) - 1;
	return TNUM(min & ~delta, delta);
}

struct tnum tnum_lshift(struct tnum a, uint8_t shift)
{
	return TNUM(a.value << shift, a.mask << shift);
}

struct tnum tnum_rshift(struct tnum a, uint8_t shift)
{
	return TNUM(a.value >> shift, a.mask >> shift);
}

struct tnum tnum_arshift(struct tnum a, uint8_t min_shift, uint8_t insn_bitness)
{
	/* An unknown sign bit stays unknown in every bit it is copied into,
	 * which the signed shift of mask does by itself. */
	if (insn_bitness == 32)
		return TNUM((uint32_t)((int32_t)a.value >> min_shift),
			    (uint32_t)((int32_t)a.mask >> min_shift));
	return TNUM((uint64_t)((int64_t)a.value >> min_shift),
		    (uint64_t)((int64_t)a.mask >> min_shift));
}

struct tnum tnum_add(struct tnum a, struct tnum b)
{
	uint64_t sm = a.mask + b.mask, sv = a.value + b.value, sigma = sm + sv;
	uint64_t chi = sigma ^ sv, mu = chi | a.mask | b.mask;

	return TNUM(sv & ~mu, mu);
}

struct tnum tnum_sub(struct tnum a, struct tnum b)
{
	uint64_t dv = a.value - b.value, alpha = dv + a.mask, beta = dv - b.mask;
	uint64_t chi = alpha ^ beta, mu = chi | a.mask | b.mask;

	return TNUM(dv & ~mu, mu);
}

struct tnum tnum_and(struct tnum a, struct tnum b)
{
	uint64_t alpha = a.value | a.mask, beta = b.value | b.mask, v = a.value & b.value;

	return TNUM(v, alpha & beta & ~v);
}

struct tnum tnum_or(struct tnum a, struct tnum b)
{
	uint64_t v = a.value | b.value, mu = a.mask | b.mask;

	return TNUM(v, mu & ~v);
}

struct tnum tnum_xor(struct tnum a, struct tnum b)
{
	uint64_t v = a.value ^ b.value, mu = a.mask | b.mask;

	return TNUM(v & ~mu, mu);
}

struct tnum tnum_mul(struct tnum a, struct tnum b)
{
	/* Known bits of a multiply b exactly; each unknown bit of a adds b's
	 * possible values (shifted) or nothing, which the sum of the masks
	 * covers. */
	struct tnum acc_v = TNUM(a.value * b.value, 0), acc_m = TNUM(0, 0);

	while (a.value || a.mask) {
		if (a.value & 1)
			acc_m = tnum_add(acc_m, TNUM(0, b.mask));
		else if (a.mask & 1)
			acc_m = tnum_add(acc_m, TNUM(0, b.value | b.mask));
		a = tnum_rshift(a, 1);
		b = tnum_lshift(b, 1);
	}
	return tnum_add(acc_v, acc_m);
}

struct tnum tnum_intersect(struct tnum a, struct tnum b)
{
	uint64_t v = a.value | b.value, mu = a.mask & b.mask;

	return TNUM(v & ~mu, mu);
}

struct tnum tnum_cast(struct tnum a, uint8_t size)
{
	uint64_t keep = size >= 8 ? UINT64_MAX : (1ull << (size * 8)) - 1;

	return TNUM(a.value & keep, a.mask & keep);
}

bool tnum_is_aligned(struct tnum a, uint64_t size)
{
	if (!size)
		return true;
	return !((a.value | a.mask) & (size - 1));
}

bool tnum_in(struct tnum a, struct tnum b)
{
	if (b.mask & ~a.mask)
		return false;
	b.value &= ~a.mask;
	return a.value == b.value;
}

struct tnum tnum_subreg(struct tnum a)
{
	return tnum_cast(a, 4);
}

struct tnum tnum_clear_subreg(struct tnum a)
{
	return tnum_lshift(tnum_rshift(a, 32), 32);
}

struct tnum tnum_with_subreg(struct tnum a, struct tnum b)
{
	return tnum_or(tnum_clear_subreg(a), tnum_subreg(b));
}

struct tnum tnum_const_subreg(struct tnum a, uint32_t v)
{
	return tnum_with_subreg(a, tnum_const(v));
}

int tnum_strn(char *str, size_t size, struct tnum a)
{
	/* The kernel's printf writes "0x0" for %#llx of zero; so do we. */
	return snprintf(str, size, "(0x%llx; 0x%llx)", (unsigned long long)a.value,
			(unsigned long long)a.mask);
}
