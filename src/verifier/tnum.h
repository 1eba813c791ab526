/* Tristate numbers: a 64-bit value whose bits are each known 0, known 1 or
 * unknown. value holds the known bits, mask the unknown ones (a bit is never
 * set in both). Every operation returns a tnum containing every concrete
 * result of the operation on members of its inputs (soundness); where the
 * result is wider than the exact set, the comment says so. Pure values: no
 * allocation, no errors. */
#ifndef EXOBPF_VRF_TNUM_H
#define EXOBPF_VRF_TNUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tnum {
	uint64_t value;
	uint64_t mask;
};

#define TNUM(v, m) ((struct tnum){.value = (v), .mask = (m)})

extern const struct tnum tnum_unknown;

/* The single value v. */
struct tnum tnum_const(uint64_t v);
/* Smallest tnum holding every value of [min, max] (wider: all values sharing
 * the common high bits). */
struct tnum tnum_range(uint64_t min, uint64_t max);
struct tnum tnum_lshift(struct tnum a, uint8_t shift);
struct tnum tnum_rshift(struct tnum a, uint8_t shift);
/* Arithmetic shift of the low insn_bitness (32 or 64) bits. */
struct tnum tnum_arshift(struct tnum a, uint8_t min_shift, uint8_t insn_bitness);
struct tnum tnum_add(struct tnum a, struct tnum b);
struct tnum tnum_sub(struct tnum a, struct tnum b);
struct tnum tnum_and(struct tnum a, struct tnum b);
struct tnum tnum_or(struct tnum a, struct tnum b);
struct tnum tnum_xor(struct tnum a, struct tnum b);
/* Product (wider than exact: the sum of a's partial products). */
struct tnum tnum_mul(struct tnum a, struct tnum b);
/* Values in both a and b (a and b must have some member in common). */
struct tnum tnum_intersect(struct tnum a, struct tnum b);
/* The low size bytes, zero-extended. */
struct tnum tnum_cast(struct tnum a, uint8_t size);
/* Is a a multiple of size (a power of two) for every member? */
bool tnum_is_aligned(struct tnum a, uint64_t size);
/* Is every member of b a member of a? */
bool tnum_in(struct tnum a, struct tnum b);
/* The low 32 bits, the high 32 bits cleared. */
struct tnum tnum_subreg(struct tnum a);
/* a with the low 32 bits cleared. */
struct tnum tnum_clear_subreg(struct tnum a);
/* a with the low 32 bits replaced by the 32-bit constant v. */
struct tnum tnum_const_subreg(struct tnum a, uint32_t v);
/* a's high 32 bits with b's low 32 bits. */
struct tnum tnum_with_subreg(struct tnum a, struct tnum b);

static inline bool tnum_is_const(struct tnum a)
{
	return !a.mask;
}

static inline bool tnum_equals_const(struct tnum a, uint64_t b)
{
	return tnum_is_const(a) && a.value == b;
}

static inline bool tnum_is_unknown(struct tnum a)
{
	return !~a.mask;
}

static inline bool tnum_subreg_is_const(struct tnum a)
{
	return !(uint32_t)a.mask;
}

/* Linux's "(0x..; 0x..)" text of a tnum; returns the length written. */
int tnum_strn(char *str, size_t size, struct tnum a);

#endif
