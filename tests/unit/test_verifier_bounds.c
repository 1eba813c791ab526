/* Soundness of the verifier's abstract domain, checked exhaustively against
 * concrete values: every concrete result of an operation on members of its
 * abstract inputs must lie in the abstract result (tnum and all four
 * ranges). Abstract values are built over small "widths": a few unknown low
 * bits under fixed high patterns (so wrap-around, sign and 32-bit edges are
 * all hit), and short ranges around the same edges. The concrete semantics
 * are written here from RFC 9669 / Linux (x/0 = 0, x%0 = x, masked shifts),
 * independently of src/vm and src/verifier. */
#include <stdlib.h>

#include "test.h"
#include "verifier/vrf.h"

static const uint64_t highs[] = {
	0,
	0x10,
	0x7ffffff0,
	0x80000000,
	0xfffffff0,
	0x100000000ull,
	0x7ffffffffffffff0ull,
	0x8000000000000000ull,
	0xfffffffffffffff0ull,
	0xffffffff7ffffff0ull,
};
#define NHIGH (sizeof(highs) / sizeof(highs[0]))

/* An abstract value and the concrete values it must cover. */
struct absval {
	struct vrf_reg reg;
	uint64_t members[64];
	unsigned n;
};

static void from_tnum(struct absval *a, uint64_t value, uint64_t mask)
{
	memset(a, 0, sizeof(*a));
	a->reg.type = SCALAR_VALUE;
	vrf_mark_reg_unknown_bounds(&a->reg);
	a->reg.var_off = TNUM(value & ~mask, mask);
	vrf_reg_bounds_sync(&a->reg);
	/* enumerate the tnum's members (mask has at most 5 bits) */
	for (uint64_t sub = 0;; sub = (sub - mask) & mask) {
		a->members[a->n++] = (value & ~mask) | sub;
		if (sub == mask || a->n == 64)
			break;
	}
}

static void from_range(struct absval *a, uint64_t lo, unsigned len)
{
	memset(a, 0, sizeof(*a));
	a->reg.type = SCALAR_VALUE;
	vrf_mark_reg_unknown_bounds(&a->reg);
	a->reg.umin = lo;
	a->reg.umax = lo + len - 1;
	if (a->reg.umax < lo) /* wrapped: keep it a plain range */
		a->reg.umax = UINT64_MAX;
	vrf_reg_bounds_sync(&a->reg);
	for (uint64_t v = lo; a->n < len && a->n < 64; v++) {
		a->members[a->n++] = v;
		if (v == a->reg.umax)
			break;
	}
}

/* Abstract values over every high pattern: small tnums and short ranges. */
static struct absval *all_values(unsigned *count)
{
	static const uint64_t masks[] = {0, 1, 3, 0x5, 0xf, 0x13};
	unsigned n = NHIGH * (sizeof(masks) / sizeof(masks[0]) + 2);
	struct absval *v = calloc(n, sizeof(*v));
	unsigned k = 0;

	for (unsigned h = 0; h < NHIGH; h++) {
		for (unsigned m = 0; m < sizeof(masks) / sizeof(masks[0]); m++)
			from_tnum(&v[k++], highs[h] + 3, masks[m]);
		from_range(&v[k++], highs[h] + 5, 9);
		from_range(&v[k++], highs[h] + 0xc, 7); /* crosses a 16-boundary */
	}
	*count = k;
	return v;
}

static bool contains(const struct vrf_reg *r, uint64_t c)
{
	return tnum_in(r->var_off, tnum_const(c)) && r->umin <= c && c <= r->umax &&
	       r->smin <= (int64_t)c && (int64_t)c <= r->smax && r->u32_min <= (uint32_t)c &&
	       (uint32_t)c <= r->u32_max && r->s32_min <= (int32_t)c && (int32_t)c <= r->s32_max;
}

/* Linux's semantics of dst OP src, written out here. */
static uint64_t concrete(uint8_t op, uint64_t a, uint64_t b, bool alu32)
{
	if (alu32) {
		uint32_t x = (uint32_t)a, y = (uint32_t)b;

		switch (op) {
		case BPF_ADD:
			return (uint32_t)(x + y);
		case BPF_SUB:
			return (uint32_t)(x - y);
		case BPF_MUL:
			return (uint32_t)(x * y);
		case BPF_AND:
			return x & y;
		case BPF_OR:
			return x | y;
		case BPF_XOR:
			return x ^ y;
		case BPF_LSH:
			return (uint32_t)(x << (y & 31));
		case BPF_RSH:
			return x >> (y & 31);
		case BPF_ARSH:
			return (uint32_t)(int32_t)((x & 0x80000000u) ? ~(~x >> (y & 31)) : x >> (y & 31));
		case BPF_DIV:
			return y ? x / y : 0;
		case BPF_MOD:
			return y ? x % y : x;
		}
		return 0;
	}
	switch (op) {
	case BPF_ADD:
		return a + b;
	case BPF_SUB:
		return a - b;
	case BPF_MUL:
		return a * b;
	case BPF_AND:
		return a & b;
	case BPF_OR:
		return a | b;
	case BPF_XOR:
		return a ^ b;
	case BPF_LSH:
		return a << (b & 63);
	case BPF_RSH:
		return a >> (b & 63);
	case BPF_ARSH:
		return (a >> 63) ? ~(~a >> (b & 63)) : a >> (b & 63);
	case BPF_DIV:
		return b ? a / b : 0;
	case BPF_MOD:
		return b ? a % b : a;
	}
	return 0;
}

static bool shift(uint8_t op)
{
	return op == BPF_LSH || op == BPF_RSH || op == BPF_ARSH;
}

TEST(verifier_alu_sound_exhaustive)
{
	static const uint8_t ops[] = {BPF_ADD, BPF_SUB, BPF_MUL, BPF_AND, BPF_OR, BPF_XOR,
				      BPF_LSH, BPF_RSH, BPF_ARSH, BPF_DIV, BPF_MOD};
	unsigned n, checked = 0;
	struct absval *v = all_values(&n);
	struct absval shifts[8];
	static const uint64_t counts[] = {0, 1, 3, 7, 8, 31, 32, 63};

	CHECK(v);
	/* shift counts the verifier accepts are known constants */
	for (unsigned i = 0; i < 8; i++)
		from_tnum(&shifts[i], counts[i], 0);
	for (unsigned o = 0; o < sizeof(ops) / sizeof(ops[0]); o++) {
		uint8_t op = ops[o];

		for (int alu32 = 0; alu32 <= 1; alu32++) {
			for (unsigned i = 0; i < n; i++) {
				unsigned nb = shift(op) ? 8 : n;

				for (unsigned j = 0; j < nb; j++) {
					const struct absval *a = &v[i];
					const struct absval *b = shift(op) ? &shifts[j] : &v[j];
					struct vrf_reg r = a->reg;

					if (shift(op) && alu32 && b->members[0] >= 32)
						continue;
					vrf_scalar_alu(&r, &b->reg, op, alu32);
					for (unsigned x = 0; x < a->n; x++)
						for (unsigned y = 0; y < b->n; y++) {
							uint64_t c = concrete(op, a->members[x], b->members[y],
									      alu32);
							checked++;
							CHECK_MSG(contains(&r, c),
								  "op %#x alu32 %d: %#llx op %#llx = %#llx "
								  "not in var_off (%#llx;%#llx) u[%#llx,%#llx] "
								  "s[%lld,%lld] u32[%#x,%#x] s32[%d,%d]",
								  op, alu32, (unsigned long long)a->members[x],
								  (unsigned long long)b->members[y],
								  (unsigned long long)c,
								  (unsigned long long)r.var_off.value,
								  (unsigned long long)r.var_off.mask,
								  (unsigned long long)r.umin,
								  (unsigned long long)r.umax, (long long)r.smin,
								  (long long)r.smax, r.u32_min, r.u32_max,
								  r.s32_min, r.s32_max);
						}
				}
			}
		}
	}
	CHECK(checked > 100000);
	free(v);
}

static bool cond(uint8_t op, uint64_t a, uint64_t b, bool is32)
{
	if (is32) {
		uint32_t x = (uint32_t)a, y = (uint32_t)b;

		switch (op) {
		case BPF_JEQ:
			return x == y;
		case BPF_JNE:
			return x != y;
		case BPF_JGT:
			return x > y;
		case BPF_JGE:
			return x >= y;
		case BPF_JLT:
			return x < y;
		case BPF_JLE:
			return x <= y;
		case BPF_JSGT:
			return (int32_t)x > (int32_t)y;
		case BPF_JSGE:
			return (int32_t)x >= (int32_t)y;
		case BPF_JSLT:
			return (int32_t)x < (int32_t)y;
		case BPF_JSLE:
			return (int32_t)x <= (int32_t)y;
		case BPF_JSET:
			return x & y;
		}
		return false;
	}
	switch (op) {
	case BPF_JEQ:
		return a == b;
	case BPF_JNE:
		return a != b;
	case BPF_JGT:
		return a > b;
	case BPF_JGE:
		return a >= b;
	case BPF_JLT:
		return a < b;
	case BPF_JLE:
		return a <= b;
	case BPF_JSGT:
		return (int64_t)a > (int64_t)b;
	case BPF_JSGE:
		return (int64_t)a >= (int64_t)b;
	case BPF_JSLT:
		return (int64_t)a < (int64_t)b;
	case BPF_JSLE:
		return (int64_t)a <= (int64_t)b;
	case BPF_JSET:
		return a & b;
	}
	return false;
}

/* Both edges of every compare: a value taking an edge stays in that edge's
 * refined register, and "always/never taken" is never wrong. */
TEST(verifier_branch_sound_exhaustive)
{
	static const uint8_t ops[] = {BPF_JEQ, BPF_JNE,	 BPF_JGT,  BPF_JGE,  BPF_JLT, BPF_JLE,
				      BPF_JSGT, BPF_JSGE, BPF_JSLT, BPF_JSLE, BPF_JSET};
	unsigned n, checked = 0;
	struct absval *v = all_values(&n);

	CHECK(v);
	for (unsigned o = 0; o < sizeof(ops) / sizeof(ops[0]); o++) {
		for (int is32 = 0; is32 <= 1; is32++) {
			for (unsigned i = 0; i < n; i++) {
				for (unsigned j = 0; j < n; j++) {
					const struct absval *a = &v[i], *b = &v[j];
					struct vrf_reg td = a->reg, ts = b->reg, fd = a->reg, fs = b->reg;
					int taken = -1;

					if (is32 ? tnum_subreg_is_const(b->reg.var_off)
						 : tnum_is_const(b->reg.var_off))
						taken = vrf_branch_taken_scalar(&a->reg, &b->reg, ops[o],
										is32);
					vrf_reg_set_min_max(&td, &ts, &fd, &fs, ops[o], is32);
					for (unsigned x = 0; x < a->n; x++)
						for (unsigned y = 0; y < b->n; y++) {
							uint64_t av = a->members[x], bv = b->members[y];
							bool c = cond(ops[o], av, bv, is32);

							checked++;
							CHECK_MSG(taken < 0 || taken == c,
								  "op %#x is32 %d: %#llx vs %#llx said %d", ops[o],
								  is32, (unsigned long long)av,
								  (unsigned long long)bv, taken);
							if (taken >= 0)
								continue; /* edges refined only when both possible */
							CHECK_MSG(contains(c ? &td : &fd, av) &&
									  contains(c ? &ts : &fs, bv),
								  "op %#x is32 %d: %#llx vs %#llx (%s edge) lost",
								  ops[o], is32, (unsigned long long)av,
								  (unsigned long long)bv, c ? "taken" : "fallthrough");
						}
				}
			}
		}
	}
	CHECK(checked > 100000);
	free(v);
}

TEST(verifier_tnum_ops_sound_exhaustive)
{
	/* every tnum over 4 bits: value/mask pairs with no common bit */
	unsigned checked = 0;

	for (uint64_t am = 0; am < 16; am++)
		for (uint64_t av = 0; av < 16; av++) {
			if (av & am)
				continue;
			for (uint64_t bm = 0; bm < 16; bm++)
				for (uint64_t bv = 0; bv < 16; bv++) {
					struct tnum a = TNUM(av, am), b = TNUM(bv, bm);
					struct tnum add = tnum_add(a, b), sub = tnum_sub(a, b),
						    and = tnum_and(a, b), or = tnum_or(a, b),
						    xor = tnum_xor(a, b), mul = tnum_mul(a, b);

					if (bv & bm)
						continue;
					for (uint64_t x = 0; x < 16; x++) {
						if ((x & ~am) != av)
							continue;
						for (uint64_t y = 0; y < 16; y++) {
							if ((y & ~bm) != bv)
								continue;
							checked++;
							CHECK(tnum_in(add, tnum_const(x + y)));
							CHECK(tnum_in(sub, tnum_const(x - y)));
							CHECK(tnum_in(and, tnum_const(x & y)));
							CHECK(tnum_in(or, tnum_const(x | y)));
							CHECK(tnum_in(xor, tnum_const(x ^ y)));
							CHECK(tnum_in(mul, tnum_const(x * y)));
						}
					}
				}
		}
	CHECK(checked > 10000);
}

TEST(verifier_tnum_range_and_shifts)
{
	for (uint64_t lo = 0; lo < 40; lo++)
		for (uint64_t hi = lo; hi < 40; hi++) {
			struct tnum t = tnum_range(lo, hi);

			for (uint64_t x = lo; x <= hi; x++)
				CHECK(tnum_in(t, tnum_const(x)));
		}
	CHECK(tnum_is_unknown(tnum_range(0, UINT64_MAX)));
	CHECK(tnum_equals_const(tnum_range(7, 7), 7));
	/* arithmetic shift copies an unknown sign bit */
	struct tnum s = tnum_arshift(TNUM(0, 0x80000000), 4, 32);
	CHECK_EQ(s.mask, 0xf8000000);
	s = tnum_arshift(TNUM(0x8000000000000000ull, 0), 63, 64);
	CHECK_EQ(s.value, UINT64_MAX);
	char buf[48];
	tnum_strn(buf, sizeof(buf), TNUM(0, 0));
	CHECK_STR(buf, "(0x0; 0x0)"); /* Linux's text, "0x0" for zero */
}

/* Narrowing and sign extension keep every truncated value. */
TEST(verifier_coerce_sound_exhaustive)
{
	unsigned n;
	struct absval *v = all_values(&n);
	static const int sizes[] = {1, 2, 4};

	CHECK(v);
	for (unsigned i = 0; i < n; i++)
		for (unsigned s = 0; s < 3; s++) {
			int size = sizes[s];
			struct vrf_reg z = v[i].reg, sx = v[i].reg, sx32 = v[i].reg;
			int shift = 64 - size * 8;

			vrf_coerce_reg_to_size(&z, size);
			vrf_coerce_reg_to_size_sx(&sx, size);
			if (size < 4)
				vrf_coerce_subreg_to_size_sx(&sx32, size);
			for (unsigned x = 0; x < v[i].n; x++) {
				uint64_t m = v[i].members[x];
				uint64_t zc = m & ((1ull << (size * 8)) - 1);
				uint64_t sc = (uint64_t)((int64_t)(m << shift) >> shift);

				CHECK_MSG(contains(&z, zc), "zext %d of %#llx", size,
					  (unsigned long long)m);
				CHECK_MSG(contains(&sx, sc), "sext %d of %#llx", size,
					  (unsigned long long)m);
				if (size < 4)
					CHECK_MSG(contains(&sx32, (uint32_t)sc), "sext32 %d of %#llx", size,
						  (unsigned long long)m);
			}
		}
	free(v);
}
