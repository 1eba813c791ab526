/* The structured program generator (see progen.h). It writes each function
 * into its own buffer while tracking, per program point, which registers
 * hold initialised scalars, so every read it emits is of a register the
 * verifier knows is written; pointers live in fixed registers (r6 = ctx,
 * r7 = data, r8 = data_end) or only inside the block that checked them. */
#include <string.h>

#include "progen.h"

#ifndef BPF_MEMSX
#define BPF_MEMSX 0x80
#endif

const struct pg_map pg_maps[PG_NMAPS] = {
    [PG_MAP_ARRAY] = {BPF_MAP_TYPE_ARRAY, 4, 64, 4, 0},
    [PG_MAP_HASH] = {BPF_MAP_TYPE_HASH, 8, 16, 16, BPF_F_ZERO_SEED},
};

/* Per-frame stack layout: eight general 8-byte slots, a key, a value
 * buffer; all written by each frame's prologue, so every read is of
 * initialised stack. Three frames fit Linux's 512 bytes. A call-free
 * program has no key or value buffer: its 64 bytes fit the red zone the
 * JIT keeps such a stack in. */
#define SLOT(i)	   (-8 * ((i) + 1))
#define NSLOTS	   8
#define KEY_OFF	   (-72)
#define VALUE_OFF  (-136)
#define FRAME_SIZE 136
#define DIGEST_LEN (3 * FRAME_SIZE / 8 + 10) /* exit_with_stack's instructions, at most */
#define ROOM_STMT  (96 + DIGEST_LEN)	    /* room a statement starts with: its code and an exit */

#define MAX_FNS	    5
#define FN_CAP	    800
#define MAX_CALLS   64
#define MAX_DEPTH   3 /* nested blocks */
#define MAX_LOOPS   2 /* nested loops */
#define MAX_CALL_DP 2 /* call frames below main */

/* A call (BPF_PSEUDO_CALL) or a callback's address (lddw BPF_PSEUDO_FUNC)
 * at insn `at` of function fn, to function target. */
struct pg_call {
	uint16_t fn, at, target;
};

struct pg {
	struct pg_rng *rng;
	struct bpf_insn fn[MAX_FNS][FN_CAP];
	uint32_t len[MAX_FNS];
	uint32_t nfns;
	struct pg_call calls[MAX_CALLS];
	uint32_t ncalls;
	int stmts; /* statements left for the whole program */
	int inject; /* the statement number that carries the error, or -1 */
	int stmt_no;
	const char *invalid_kind;
	int frame; /* bytes of stack each function initialises and digests */
	uint32_t budget_scale; /* 0, or the most runs of a callback per program run */
};

/* What is true at the current program point of one function. */
struct pg_st {
	int fn;
	uint16_t init;	   /* registers holding initialised scalars */
	uint16_t reserved; /* registers the statement must not write */
	bool ctx, pkt;	   /* r6 = ctx; r7/r8 = data/data_end */
	bool no_calls;	   /* a call-free program, or in a loop whose counter is r0-r5 */
	bool cb;	   /* a callback: r6 = its caller's value buffer, returns 0 or 1 */
	uint8_t cb_value;  /* a for_each callback: r7 = its element's value, of this many bytes */
	/* Below a for_each over the hash map: no update or delete of it, which
	 * could make the walk meet more elements than it holds (a freed
	 * element reused in another bucket takes the walk there, in Linux
	 * too), so the soundness budget would not bound the run. */
	bool hash_walked;
	bool may_exit;	   /* an exit here leaves no code unreachable */
	bool dead;	   /* the block ended with an exit */
	int depth, loops, call_depth;
	uint32_t reps; /* how often this code may run per program run, at most */
};

static uint64_t rnd(struct pg *g)
{
	struct pg_rng *r = g->rng;
	if (r->data) {
		uint64_t v = 0;
		for (int i = 0; i < 4 && r->pos < r->len; i++)
			v = v << 8 | r->data[r->pos++];
		return v;
	}
	/* splitmix64 */
	uint64_t z = (r->state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint32_t below(struct pg *g, uint32_t n)
{
	return n ? (uint32_t)(rnd(g) % n) : 0;
}

static bool chance(struct pg *g, uint32_t one_in)
{
	return below(g, one_in) == 0;
}

static uint32_t room(const struct pg *g, const struct pg_st *s)
{
	return FN_CAP - g->len[s->fn];
}

static uint32_t here(const struct pg *g, const struct pg_st *s)
{
	return g->len[s->fn];
}

static void emit(struct pg *g, const struct pg_st *s, struct bpf_insn in)
{
	/* statements check room() first; this only guards the buffer */
	if (g->len[s->fn] < FN_CAP)
		g->fn[s->fn][g->len[s->fn]++] = in;
}

static struct bpf_insn I(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	return (struct bpf_insn){.code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm};
}

static void patch_jump(struct pg *g, const struct pg_st *s, uint32_t at, uint32_t target)
{
	struct bpf_insn *in = &g->fn[s->fn][at];
	int32_t d = (int32_t)target - (int32_t)(at + 1);
	if (in->code == (BPF_JMP32 | BPF_JA))
		in->imm = d; /* gotol */
	else
		in->off = (int16_t)d;
}

static bool take_inject(struct pg *g, const char *kind)
{
	if (g->inject < 0 || g->stmt_no < g->inject || g->invalid_kind)
		return false;
	g->invalid_kind = kind;
	return true;
}

static int64_t interesting(struct pg *g)
{
	static const int64_t v[] = {0,	       1,	   -1,	       2,	  7,	      8,
				    63,	       64,	   255,	       0x7fff,	  -0x8000,    0xffff,
				    0x7fffffff, INT32_MIN, 0x80000000, 12345678, -12345678, 3};
	return chance(g, 3) ? (int64_t)(int32_t)rnd(g) : v[below(g, sizeof(v) / sizeof(v[0]))];
}

/* A register the statement may write as a scalar destination. */
static int pick_dst(struct pg *g, const struct pg_st *s)
{
	int regs[10], n = 0;
	for (int r = 0; r <= 9; r++) {
		if (s->reserved & (1u << r))
			continue;
		if (s->ctx && r >= 6 && r <= 8)
			continue;
		regs[n++] = r;
	}
	return n ? regs[below(g, n)] : -1;
}

static void set_imm(struct pg *g, struct pg_st *s, int r)
{
	if (chance(g, 6)) {
		uint64_t v = rnd(g) << 32 | rnd(g);
		emit(g, s, I(BPF_LD | BPF_DW | BPF_IMM, r, 0, 0, (int32_t)v));
		emit(g, s, I(0, 0, 0, 0, (int32_t)(v >> 32)));
	} else {
		emit(g, s, I((chance(g, 2) ? BPF_ALU64 : BPF_ALU) | BPF_MOV | BPF_K, r, 0, 0,
			     (int32_t)interesting(g)));
	}
	s->init |= 1u << r;
}

/* An initialised scalar register to read (one is made if none is). */
static int pick_src(struct pg *g, struct pg_st *s)
{
	int regs[10], n = 0;
	for (int r = 0; r <= 9; r++)
		if (s->init & (1u << r))
			regs[n++] = r;
	if (n)
		return regs[below(g, n)];
	int r = pick_dst(g, s);
	set_imm(g, s, r);
	return r;
}

/* A scratch register other than keep (written, so it leaves init). */
static int pick_scratch(struct pg *g, struct pg_st *s, int keep)
{
	for (int tries = 0; tries < 8; tries++) {
		int r = pick_dst(g, s);
		if (r >= 0 && r != keep && r != 0)
			return r;
	}
	for (int r = 1; r <= 9; r++)
		if (r != keep && !(s->reserved & (1u << r)) && !(s->ctx && r >= 6 && r <= 8))
			return r;
	return -1;
}

static void stmt(struct pg *g, struct pg_st *s);

static void block(struct pg *g, struct pg_st *s, int n)
{
	s->depth++;
	for (int i = 0; i < n && g->stmts > 0 && room(g, s) > ROOM_STMT && !s->dead; i++)
		stmt(g, s);
	s->depth--;
}

/* --- ALU --------------------------------------------------------------- */

static void alu(struct pg *g, struct pg_st *s)
{
	static const uint8_t ops[] = {BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_OR,  BPF_AND, BPF_LSH,
				      BPF_RSH, BPF_NEG, BPF_MOD, BPF_XOR, BPF_MOV, BPF_ARSH, BPF_END};
	int dst = pick_dst(g, s);
	if (dst < 0)
		return;
	bool is64 = chance(g, 2);
	uint8_t op = ops[below(g, sizeof(ops))];
	uint8_t cls = is64 ? BPF_ALU64 : BPF_ALU;
	unsigned width = is64 ? 64 : 32;

	if (op != BPF_MOV && !(s->init & (1u << dst)))
		set_imm(g, s, dst);
	if (op == BPF_NEG) {
		emit(g, s, I(cls | BPF_NEG | BPF_K, dst, 0, 0, 0));
	} else if (op == BPF_END) {
		static const int32_t sizes[] = {16, 32, 64};
		int32_t sz = sizes[below(g, 3)];
		if (is64) /* bswap (cpu v4): BPF_ALU64 | BPF_END | BPF_TO_LE */
			emit(g, s, I(BPF_ALU64 | BPF_END | BPF_TO_LE, dst, 0, 0, sz));
		else
			emit(g, s, I(BPF_ALU | BPF_END | (chance(g, 2) ? BPF_TO_BE : BPF_TO_LE), dst, 0,
				     0, sz));
	} else if (chance(g, 2)) { /* K form */
		int32_t imm = (int32_t)interesting(g);
		int16_t off = 0;
		if (op == BPF_LSH || op == BPF_RSH || op == BPF_ARSH)
			imm = (int32_t)below(g, width);
		if ((op == BPF_DIV || op == BPF_MOD)) {
			if (imm == 0 && !take_inject(g, "division by a zero immediate"))
				imm = 3;
			off = (int16_t)below(g, 2); /* sdiv/smod */
		}
		emit(g, s, I(cls | op | BPF_K, dst, 0, off, imm));
	} else { /* X form */
		int src = pick_src(g, s);
		int16_t off = 0;
		if (op == BPF_DIV || op == BPF_MOD)
			off = (int16_t)below(g, 2);
		if (op == BPF_MOV && chance(g, 3)) { /* movsx */
			static const int16_t sx[] = {8, 16, 32};
			off = sx[below(g, is64 ? 3 : 2)];
		}
		emit(g, s, I(cls | op | BPF_X, dst, src, off, 0));
	}
	s->init |= 1u << dst;
}

/* --- stack --------------------------------------------------------------- */

static const uint8_t sizes[] = {BPF_B, BPF_H, BPF_W, BPF_DW};
static const int size_bytes[] = {1, 2, 4, 8};

static void stack_op(struct pg *g, struct pg_st *s)
{
	int si = (int)below(g, 4);
	int off = SLOT(below(g, NSLOTS)) + (int)below(g, 8 / size_bytes[si]) * size_bytes[si];
	switch (below(g, 4)) {
	case 0: { /* load, sometimes sign-extending */
		int dst = pick_dst(g, s);
		if (dst < 0)
			return;
		uint8_t mode = si < 3 && chance(g, 3) ? BPF_MEMSX : BPF_MEM;
		if (take_inject(g, "stack read outside the frame"))
			off = 8;
		emit(g, s, I(BPF_LDX | mode | sizes[si], dst, BPF_REG_10, (int16_t)off, 0));
		s->init |= 1u << dst;
		break;
	}
	case 1: /* store a register */
		emit(g, s, I(BPF_STX | BPF_MEM | sizes[si], BPF_REG_10, pick_src(g, s), (int16_t)off, 0));
		break;
	case 2: /* store an immediate */
		emit(g, s, I(BPF_ST | BPF_MEM | sizes[si], BPF_REG_10, 0, (int16_t)off,
			     (int32_t)interesting(g)));
		break;
	default: { /* atomic */
		static const int32_t aops[] = {BPF_ADD,		    BPF_OR,		BPF_AND,
					       BPF_XOR,		    BPF_ADD | BPF_FETCH, BPF_OR | BPF_FETCH,
					       BPF_AND | BPF_FETCH, BPF_XOR | BPF_FETCH, BPF_XCHG,
					       BPF_CMPXCHG};
		int32_t aop = aops[below(g, 10)];
		bool dw = chance(g, 2);
		int aoff = SLOT(below(g, NSLOTS)) + (dw ? 0 : 4 * (int)below(g, 2));
		int src = pick_src(g, s);
		if (aop == BPF_CMPXCHG && !(s->init & 1)) {
			if (s->reserved & 1)
				return;
			set_imm(g, s, 0);
		}
		if ((aop & BPF_FETCH) && (s->reserved & (1u << src)))
			return;
		if (aop == BPF_CMPXCHG && (s->reserved & 1))
			return;
		emit(g, s, I(BPF_STX | BPF_ATOMIC | (dw ? BPF_DW : BPF_W), BPF_REG_10, src,
			     (int16_t)aoff, aop));
		if (aop == BPF_CMPXCHG)
			s->init |= 1;
	}
	}
}

/* --- conditions and blocks ------------------------------------------------ */

static const uint8_t conds[] = {BPF_JEQ, BPF_JNE,  BPF_JGT,  BPF_JGE,  BPF_JLT, BPF_JLE,
				BPF_JSGT, BPF_JSGE, BPF_JSLT, BPF_JSLE, BPF_JSET};

/* A conditional jump on scalars with its offset left to patch. */
static uint32_t cond_jump(struct pg *g, struct pg_st *s)
{
	uint8_t cls = chance(g, 3) ? BPF_JMP32 : BPF_JMP;
	uint8_t op = conds[below(g, sizeof(conds))];
	int a = pick_src(g, s);
	uint32_t at;
	if (chance(g, 2)) {
		at = here(g, s);
		emit(g, s, I(cls | op | BPF_K, a, 0, 0, (int32_t)interesting(g)));
	} else {
		int b = pick_src(g, s);
		at = here(g, s);
		emit(g, s, I(cls | op | BPF_X, a, b, 0, 0));
	}
	return at;
}

static uint32_t ja(struct pg *g, struct pg_st *s)
{
	uint32_t at = here(g, s);
	emit(g, s, chance(g, 4) ? I(BPF_JMP32 | BPF_JA, 0, 0, 0, 0) : I(BPF_JMP | BPF_JA, 0, 0, 0, 0));
	return at;
}

/* Fold the frame into r0 before an exit: the oracles compare r0, never
 * the stack, so a slot an engine corrupted would otherwise go unseen. Each
 * slot is xor'ed in and then multiplied (FNV's way), so two slots swapped
 * change r0 too; the high halves are folded into the low ones, which are all
 * Linux returns. */
static void exit_with_stack(struct pg *g, struct pg_st *s)
{
	for (int off = -g->frame; off < 0; off += 8) {
		emit(g, s, I(BPF_LDX | BPF_MEM | BPF_DW, BPF_REG_1, BPF_REG_10, (int16_t)off, 0));
		emit(g, s, I(BPF_ALU64 | BPF_XOR | BPF_X, BPF_REG_0, BPF_REG_1, 0, 0));
		emit(g, s, I(BPF_ALU64 | BPF_MUL | BPF_K, BPF_REG_0, 0, 0, 0x01000193));
	}
	emit(g, s, I(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_0, 0, 0));
	emit(g, s, I(BPF_ALU64 | BPF_RSH | BPF_K, BPF_REG_1, 0, 0, 32));
	emit(g, s, I(BPF_ALU64 | BPF_XOR | BPF_X, BPF_REG_0, BPF_REG_1, 0, 0));
	if (s->cb) {
		/* a callback returns 0 (go on) or 1 (stop), here 1 in 8: its
		 * digest goes into the first 8 bytes of its caller's buffer */
		emit(g, s, I(BPF_LDX | BPF_MEM | BPF_DW, BPF_REG_1, BPF_REG_6, 0, 0));
		emit(g, s, I(BPF_ALU64 | BPF_XOR | BPF_X, BPF_REG_1, BPF_REG_0, 0, 0));
		emit(g, s, I(BPF_STX | BPF_MEM | BPF_DW, BPF_REG_6, BPF_REG_1, 0, 0));
		emit(g, s, I(BPF_ALU64 | BPF_AND | BPF_K, BPF_REG_0, 0, 0, 7));
		emit(g, s, I(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_0, 0, 0, 1));
		emit(g, s, I(BPF_ALU64 | BPF_RSH | BPF_K, BPF_REG_0, 0, 0, 3));
	}
	emit(g, s, I(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
}

static void exit_early(struct pg *g, struct pg_st *s)
{
	if (!(s->init & 1) || chance(g, 2)) {
		if (s->reserved & 1)
			return;
		set_imm(g, s, 0);
	}
	exit_with_stack(g, s);
	s->dead = true;
}

static void if_block(struct pg *g, struct pg_st *s)
{
	uint32_t j = cond_jump(g, s);
	struct pg_st then = *s;
	then.may_exit = true;
	if (chance(g, 5))
		exit_early(g, &then);
	else
		block(g, &then, 1 + (int)below(g, 3));
	if (!then.dead && chance(g, 2)) { /* else */
		uint32_t k = ja(g, s);
		patch_jump(g, s, j, here(g, s));
		struct pg_st els = *s;
		els.may_exit = true;
		block(g, &els, 1 + (int)below(g, 2));
		patch_jump(g, s, k, here(g, s));
		s->init = els.dead ? then.init : then.init & els.init;
	} else {
		patch_jump(g, s, j, here(g, s));
		if (!then.dead)
			s->init &= then.init;
	}
}

static void loop(struct pg *g, struct pg_st *s)
{
	/* the counter: r9 survives calls; r0-r5 forbid calls in the body */
	int c = -1;
	if (!(s->reserved & (1u << 9)) && !s->ctx)
		c = 9;
	if (!(s->reserved & (1u << 9)) && s->ctx && chance(g, 2))
		c = 9;
	if (c < 0) {
		c = 1 + (int)below(g, 5);
		if (s->reserved & (1u << c))
			return;
	}
	bool dynamic = chance(g, 3);
	if (dynamic) { /* trip count from data: (x & 7), at least one pass */
		int src = pick_src(g, s);
		emit(g, s, I(BPF_ALU64 | BPF_MOV | BPF_X, c, src, 0, 0));
		emit(g, s, I(BPF_ALU64 | BPF_AND | BPF_K, c, 0, 0, 7));
	} else {
		emit(g, s, I(BPF_ALU64 | BPF_MOV | BPF_K, c, 0, 0, 1 + (int32_t)below(g, 5)));
	}
	uint32_t top = here(g, s);
	struct pg_st body = *s;
	body.reps = s->reps * 8; /* at most 7 trips */
	body.reserved |= 1u << c;
	body.init &= ~(1u << c);
	body.loops++;
	body.may_exit = false;
	if (c <= 5)
		body.no_calls = true;
	uint16_t at_top = body.init;
	block(g, &body, 1 + (int)below(g, 2));
	/* the back edge must bring every register the top may read */
	for (int r = 0; r <= 9; r++)
		if ((at_top & ~body.init) & (1u << r))
			set_imm(g, &body, r);
	if (take_inject(g, "loop without progress"))
		emit(g, s, I(BPF_ALU64 | BPF_ADD | BPF_K, c, 0, 0, 0));
	else
		emit(g, s, I(BPF_ALU64 | BPF_SUB | BPF_K, c, 0, 0, 1));
	uint32_t j = here(g, s);
	emit(g, s, I(BPF_JMP | (dynamic ? BPF_JSGT : BPF_JNE) | BPF_K, c, 0, 0, 0));
	patch_jump(g, s, j, top);
	s->init = body.init | (1u << c);
}

/* --- packets --------------------------------------------------------------- */

/* Accesses through base (a checked packet pointer) at offsets below lim. */
static void pkt_accesses(struct pg *g, struct pg_st *s, int base, int lim)
{
	int n = 1 + (int)below(g, 3);
	for (int i = 0; i < n; i++) {
		int si = (int)below(g, 4);
		while (size_bytes[si] > lim)
			si--;
		int off = (int)below(g, (uint32_t)(lim - size_bytes[si] + 1));
		if (chance(g, 2)) {
			int dst = pick_dst(g, s);
			if (dst < 0 || dst == base)
				continue;
			uint8_t mode = si < 3 && chance(g, 4) ? BPF_MEMSX : BPF_MEM;
			emit(g, s, I(BPF_LDX | mode | sizes[si], dst, base, (int16_t)off, 0));
			s->init |= 1u << dst;
		} else if (chance(g, 2)) {
			int src = pick_src(g, s);
			if (src == base)
				continue;
			emit(g, s, I(BPF_STX | BPF_MEM | sizes[si], base, src, (int16_t)off, 0));
		} else {
			emit(g, s, I(BPF_ST | BPF_MEM | sizes[si], base, 0, (int16_t)off,
				     (int32_t)interesting(g)));
		}
	}
}

/* A field of 2, 4 or 8 bytes at base + off (within len) read byte by byte and
 * put together with shifts and ors, big- or little-endian, as clang writes
 * an unaligned load (the JIT reads such a field at once); sometimes with a
 * packet store inside or a part read again after, where it must not. */
static void pkt_field(struct pg *g, struct pg_st *s, struct pg_st *in, int base, int off, int len)
{
	int n = 2 << below(g, 3);
	while (n > len)
		n >>= 1;
	int dst = pick_dst(g, in), tmp = pick_scratch(g, in, dst);
	if (n < 2 || dst < 0 || tmp < 0 || dst == base || tmp == base)
		return;
	bool be = chance(g, 2), spoil = chance(g, 4);
	uint8_t alu = n < 8 && chance(g, 2) ? BPF_ALU : BPF_ALU64;
	int o = off + (int)below(g, (uint32_t)(len - n + 1)), at = (int)below(g, (uint32_t)n);
	for (int i = 0; i < n; i++) {
		int r = i ? tmp : dst, shift = 8 * (be ? n - 1 - i : i);
		emit(g, s, I(BPF_LDX | BPF_MEM | BPF_B, r, base, (int16_t)(o + i), 0));
		if (shift)
			emit(g, s, I(alu | BPF_LSH | BPF_K, r, 0, 0, shift));
		if (i)
			emit(g, s, I(alu | BPF_OR | BPF_X, dst, tmp, 0, 0));
		if (spoil && i == at && chance(g, 2))
			emit(g, s,
			     I(BPF_ST | BPF_MEM | BPF_B, base, 0,
			       (int16_t)(o + (int)below(g, (uint32_t)n)), (int32_t)interesting(g)));
	}
	if (spoil && chance(g, 2))
		emit(g, s, I(BPF_ALU64 | BPF_ADD | BPF_X, dst, tmp, 0, 0));
	in->init |= 1u << dst | 1u << tmp;
}

static void pkt(struct pg *g, struct pg_st *s)
{
	if (!s->pkt)
		return;
	int t = pick_scratch(g, s, -1);
	if (t < 0)
		return;
	bool bad = take_inject(g, "packet access without a range check");
	if (chance(g, 2)) { /* constant offset: check data + off + len <= data_end */
		int off = (int)below(g, PG_PKT_LEN + 16), len = 1 + (int)below(g, 16);
		emit(g, s, I(BPF_ALU64 | BPF_MOV | BPF_X, t, BPF_REG_7, 0, 0));
		emit(g, s, I(BPF_ALU64 | BPF_ADD | BPF_K, t, 0, 0, off + len));
		uint32_t j = here(g, s);
		if (!bad) {
			if (chance(g, 2))
				emit(g, s, I(BPF_JMP | BPF_JGT | BPF_X, t, BPF_REG_8, 0, 0));
			else
				emit(g, s, I(BPF_JMP | BPF_JLT | BPF_X, BPF_REG_8, t, 0, 0));
		}
		s->init &= ~(1u << t);
		struct pg_st in = *s;
		in.reserved |= 1u << t;
		/* accesses at r7 + off.. within the checked length */
		int n = 1 + (int)below(g, 2);
		for (int i = 0; i < n; i++) {
			if (chance(g, 4)) {
				pkt_field(g, s, &in, BPF_REG_7, off, len);
				continue;
			}
			int si = (int)below(g, 4);
			while (size_bytes[si] > len)
				si--;
			int o = off + (int)below(g, (uint32_t)(len - size_bytes[si] + 1));
			if (chance(g, 2)) {
				int dst = pick_dst(g, &in);
				if (dst < 0)
					continue;
				emit(g, s, I(BPF_LDX | BPF_MEM | sizes[si], dst, BPF_REG_7, (int16_t)o, 0));
				in.init |= 1u << dst;
			} else {
				emit(g, s, I(BPF_STX | BPF_MEM | sizes[si], BPF_REG_7, pick_src(g, &in),
					     (int16_t)o, 0));
			}
		}
		in.may_exit = false;
		if (chance(g, 3))
			block(g, &in, 1);
		if (!bad)
			patch_jump(g, s, j, here(g, s));
		s->init &= in.init;
	} else { /* variable offset: t = data + (x & mask); check t + len */
		int e = pick_scratch(g, s, t);
		if (e < 0)
			return;
		int src = pick_src(g, s);
		int len = 1 + (int)below(g, 8);
		emit(g, s, I(BPF_ALU64 | BPF_MOV | BPF_X, t, src, 0, 0));
		emit(g, s, I(BPF_ALU64 | BPF_AND | BPF_K, t, 0, 0, chance(g, 2) ? 0x3f : 0x1f));
		emit(g, s, I(BPF_ALU64 | BPF_ADD | BPF_X, t, BPF_REG_7, 0, 0));
		emit(g, s, I(BPF_ALU64 | BPF_MOV | BPF_X, e, t, 0, 0));
		emit(g, s, I(BPF_ALU64 | BPF_ADD | BPF_K, e, 0, 0, len));
		uint32_t j = here(g, s);
		if (!bad)
			emit(g, s, I(BPF_JMP | BPF_JGT | BPF_X, e, BPF_REG_8, 0, 0));
		s->init &= ~(1u << t | 1u << e);
		struct pg_st in = *s;
		in.reserved |= 1u << t | 1u << e;
		pkt_accesses(g, &in, t, len);
		if (!bad)
			patch_jump(g, s, j, here(g, s));
		s->init &= in.init;
	}
}

/* --- maps and helpers ------------------------------------------------------ */

static void ld_map(struct pg *g, struct pg_st *s, int reg, int map)
{
	emit(g, s, I(BPF_LD | BPF_DW | BPF_IMM, reg, BPF_PSEUDO_MAP_FD, 0, map));
	emit(g, s, I(0, 0, 0, 0, 0));
}

/* Write the key for map at KEY_OFF: a constant or a masked scalar. */
static void put_key(struct pg *g, struct pg_st *s, int map)
{
	bool array = pg_maps[map].type == BPF_MAP_TYPE_ARRAY;
	uint32_t domain = array ? pg_maps[map].max_entries + 1 : PG_HASH_KEYS;
	if (chance(g, 2)) {
		emit(g, s, I(BPF_ST | BPF_MEM | (array ? BPF_W : BPF_DW), BPF_REG_10, 0, KEY_OFF,
			     (int32_t)below(g, domain)));
		return;
	}
	int src = pick_src(g, s), t = pick_scratch(g, s, -1);
	if (t < 0)
		return;
	emit(g, s, I(BPF_ALU64 | BPF_MOV | BPF_X, t, src, 0, 0));
	emit(g, s, I(BPF_ALU64 | BPF_AND | BPF_K, t, 0, 0, array ? 7 : PG_HASH_KEYS - 1));
	if (!array)
		emit(g, s, I(BPF_STX | BPF_MEM | BPF_DW, BPF_REG_10, t, KEY_OFF, 0));
	else
		emit(g, s, I(BPF_STX | BPF_MEM | BPF_W, BPF_REG_10, t, KEY_OFF, 0));
	s->init |= 1u << t;
}

static void after_call(struct pg_st *s)
{
	s->init = (uint16_t)((s->init & ~0x3fu) | 1u);
}

/* Accesses to the map value at r0 (checked non-NULL). */
static void value_accesses(struct pg *g, struct pg_st *s, uint32_t vsize)
{
	int n = 1 + (int)below(g, 3);
	for (int i = 0; i < n; i++) {
		int si = (int)below(g, 4);
		int off = (int)below(g, vsize / (uint32_t)size_bytes[si]) * size_bytes[si];
		if (take_inject(g, "map value access past its end"))
			off = (int)vsize;
		switch (below(g, 5)) {
		case 0:
		case 1: {
			int dst = pick_dst(g, s);
			if (dst <= 0)
				break;
			emit(g, s, I(BPF_LDX | BPF_MEM | sizes[si], dst, BPF_REG_0, (int16_t)off, 0));
			s->init |= 1u << dst;
			break;
		}
		case 2:
			emit(g, s, I(BPF_STX | BPF_MEM | sizes[si], BPF_REG_0, pick_src(g, s),
				     (int16_t)off, 0));
			break;
		case 3: { /* atomic add (fetching or not) at an aligned offset */
			bool dw = chance(g, 2);
			int aoff = (int)below(g, vsize / (dw ? 8 : 4)) * (dw ? 8 : 4);
			int src = pick_src(g, s);
			if (src == 0)
				break;
			int32_t aop = chance(g, 2) ? BPF_ADD : (BPF_ADD | BPF_FETCH);
			if ((aop & BPF_FETCH) && (s->reserved & (1u << src)))
				aop = BPF_ADD;
			emit(g, s, I(BPF_STX | BPF_ATOMIC | (dw ? BPF_DW : BPF_W), BPF_REG_0, src,
				     (int16_t)aoff, aop));
			break;
		}
		default: { /* variable offset: r0 + (x & mask) */
			int t = pick_scratch(g, s, 0), src = pick_src(g, s);
			if (t < 0 || src == 0)
				break;
			emit(g, s, I(BPF_ALU64 | BPF_MOV | BPF_X, t, src, 0, 0));
			emit(g, s, I(BPF_ALU64 | BPF_AND | BPF_K, t, 0, 0, (int32_t)(vsize - 8)));
			emit(g, s, I(BPF_ALU64 | BPF_ADD | BPF_X, t, BPF_REG_0, 0, 0));
			emit(g, s, I(BPF_LDX | BPF_MEM | BPF_DW, t, t, 0, 0));
			s->init |= 1u << t;
		}
		}
	}
}

static void map_op(struct pg *g, struct pg_st *s)
{
	if (s->no_calls || (s->reserved & 0x3f))
		return;
	int map = (int)below(g, PG_NMAPS);
	uint32_t vsize = pg_maps[map].value_size;
	put_key(g, s, map);
	uint32_t kind = below(g, 4);
	if (s->hash_walked && map == PG_MAP_HASH)
		kind = 2 + below(g, 2); /* lookups only */
	if (kind >= 2) { /* lookup, then use the value behind a null check */
		ld_map(g, s, BPF_REG_1, map);
		emit(g, s, I(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_10, 0, 0));
		emit(g, s, I(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, KEY_OFF));
		emit(g, s, I(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem));
		after_call(s);
		s->init &= ~1u;
		bool bad = take_inject(g, "map value used without a null check");
		uint32_t j = here(g, s);
		if (!bad)
			emit(g, s, I(BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_0, 0, 0, 0));
		struct pg_st in = *s;
		in.reserved |= 1u; /* r0 is the value pointer here */
		value_accesses(g, &in, vsize);
		if (!bad)
			patch_jump(g, s, j, here(g, s));
		s->init &= in.init & ~1u;
		return;
	}
	if (kind == 1) { /* update from the value buffer */
		int n = 1 + (int)below(g, 2);
		for (int i = 0; i < n; i++)
			emit(g, s, I(BPF_STX | BPF_MEM | BPF_DW, BPF_REG_10, pick_src(g, s),
				     (int16_t)(VALUE_OFF + 8 * (int)below(g, vsize / 8)), 0));
		ld_map(g, s, BPF_REG_1, map);
		emit(g, s, I(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_10, 0, 0));
		emit(g, s, I(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, KEY_OFF));
		emit(g, s, I(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_3, BPF_REG_10, 0, 0));
		emit(g, s, I(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_3, 0, 0, VALUE_OFF));
		emit(g, s, I(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_4, 0, 0, (int32_t)below(g, 3)));
		emit(g, s, I(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_update_elem));
	} else {
		ld_map(g, s, BPF_REG_1, map);
		emit(g, s, I(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_10, 0, 0));
		emit(g, s, I(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, KEY_OFF));
		emit(g, s, I(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_delete_elem));
	}
	after_call(s);
}

static void helper(struct pg *g, struct pg_st *s)
{
	if (s->no_calls || (s->reserved & 0x3f))
		return;
	if (s->ctx && s->fn == 0 && chance(g, 3)) {
		/* bpf_xdp_adjust_head: packet pointers die; reload them */
		int32_t delta = (int32_t)below(g, 33) - 16;
		emit(g, s, I(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_6, 0, 0));
		emit(g, s, I(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_2, 0, 0, delta));
		emit(g, s, I(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_xdp_adjust_head));
		emit(g, s, I(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_7, BPF_REG_6,
			     offsetof(struct xdp_md, data), 0));
		emit(g, s, I(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_8, BPF_REG_6,
			     offsetof(struct xdp_md, data_end), 0));
		after_call(s);
		return;
	}
	/* bpf_csum_diff over initialised stack */
	int seed = pick_src(g, s);
	emit(g, s, I(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_5, seed, 0, 0));
	emit(g, s, I(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_10, 0, 0));
	emit(g, s, I(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_1, 0, 0, VALUE_OFF));
	emit(g, s, I(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_2, 0, 0, 4 * (int32_t)below(g, 17)));
	emit(g, s, I(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_3, BPF_REG_10, 0, 0));
	emit(g, s, I(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_3, 0, 0, SLOT(NSLOTS - 1)));
	emit(g, s, I(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_4, 0, 0, 4 * (int32_t)below(g, 17)));
	emit(g, s, I(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_csum_diff));
	after_call(s);
}

/* --- functions ------------------------------------------------------------- */

static void prologue(struct pg *g, struct pg_st *s)
{
	if (s->ctx) {
		emit(g, s, I(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_6, BPF_REG_1, 0, 0));
		emit(g, s, I(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_7, BPF_REG_6,
			     offsetof(struct xdp_md, data), 0));
		emit(g, s, I(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_8, BPF_REG_6,
			     offsetof(struct xdp_md, data_end), 0));
		s->pkt = true;
	}
	for (int off = -g->frame; off < 0; off += 8)
		emit(g, s, I(BPF_ST | BPF_MEM | BPF_DW, BPF_REG_10, 0, (int16_t)off,
			     (int32_t)interesting(g)));
	/* a few scalars to start from */
	int n = 1 + (int)below(g, 3);
	for (int i = 0; i < n; i++) {
		int r = pick_dst(g, s);
		if (r >= 0)
			set_imm(g, s, r);
	}
}

static void epilogue(struct pg *g, struct pg_st *s)
{
	if (!(s->init & 1) || chance(g, 2)) {
		int src = pick_src(g, s);
		emit(g, s, I(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_0, src, 0, 0));
	}
	exit_with_stack(g, s);
}

static void local_call(struct pg *g, struct pg_st *s)
{
	if (s->no_calls || (s->reserved & 0x3f) || s->call_depth >= MAX_CALL_DP ||
	    g->nfns >= MAX_FNS || g->ncalls >= MAX_CALLS)
		return;
	int f = (int)g->nfns++;
	struct pg_st callee = {.fn = f,
			       .call_depth = s->call_depth + 1,
			       .reps = s->reps,
			       .hash_walked = s->hash_walked};
	if (s->ctx && chance(g, 2)) { /* pass the context in r1 */
		emit(g, s, I(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_6, 0, 0));
		callee.ctx = true;
	} else {
		callee.init = s->init & 0x3e; /* r1-r5 arguments */
	}
	if (!callee.ctx && take_inject(g, "read of an uninitialised register"))
		callee.init |= 1u << 6; /* callee-saved registers start unreadable */
	prologue(g, &callee);
	block(g, &callee, 1 + (int)below(g, 4));
	epilogue(g, &callee);
	g->calls[g->ncalls++] = (struct pg_call){(uint16_t)s->fn, (uint16_t)here(g, s), (uint16_t)f};
	emit(g, s, I(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, 0));
	after_call(s);
}

/* bpf_loop(n, callback, &caller's value buffer, 0), n from data or a
 * constant below 8, or bpf_for_each_map_elem(map, callback, &buffer, 0)
 * over the array or the hash map (created with BPF_F_ZERO_SEED, so its
 * order is Linux's). The callback reads and writes the 64 bytes of its
 * caller's value buffer through r6 (its ctx kept), a for_each callback
 * also its element's value through r7,
 * and folds its own stack into the buffer's first 8. Not the caller's
 * eight slots: those are what the stack atomics fetch from, and Linux 6.18
 * loses precision through an atomic fetch (docs/reliability.md), which
 * callbacks' writes expose. */
static void loop_call(struct pg *g, struct pg_st *s)
{
	if (s->no_calls || s->cb || (s->reserved & 0x3f) || s->call_depth >= MAX_CALL_DP ||
	    g->nfns >= MAX_FNS || g->ncalls >= MAX_CALLS)
		return;
	bool each = chance(g, 3);
	int map = each && chance(g, 2) ? PG_MAP_HASH : PG_MAP_ARRAY;
	int f = (int)g->nfns++;
	/* bpf_loop: r1 the index, r2 the ctx; for_each: r1-r3 the map, key
	 * and value, r4 the ctx */
	struct pg_st cb = {.fn = f,
			   .call_depth = s->call_depth + 1,
			   .cb = true,
			   .cb_value = each ? (uint8_t)pg_maps[map].value_size : 0,
			   .hash_walked = s->hash_walked || map == PG_MAP_HASH,
			   .init = each ? 0 : 1u << 1,
			   .reserved = 1u << 6 | (each ? 1u << 7 : 0),
			   /* at most n < 8 runs, or one per element */
			   .reps =
			       s->reps * ((each ? pg_maps[map].max_entries : PG_LOOP_RUNS) + 1)};
	emit(g, &cb, I(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_6, each ? BPF_REG_4 : BPF_REG_2, 0, 0));
	if (each)
		emit(g, &cb, I(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_7, BPF_REG_3, 0, 0));
	prologue(g, &cb);
	block(g, &cb, 1 + (int)below(g, 4));
	epilogue(g, &cb);
	if (each) {
		ld_map(g, s, BPF_REG_1, map);
	} else if (chance(g, 2)) {
		emit(g, s, I(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, pick_src(g, s), 0, 0));
		emit(g, s, I(BPF_ALU64 | BPF_AND | BPF_K, BPF_REG_1, 0, 0, 7));
	} else {
		emit(g, s, I(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_1, 0, 0, (int32_t)below(g, 8)));
	}
	g->calls[g->ncalls++] =
	    (struct pg_call){(uint16_t)s->fn, (uint16_t)here(g, s), (uint16_t)f};
	emit(g, s, I(BPF_LD | BPF_DW | BPF_IMM, BPF_REG_2, BPF_PSEUDO_FUNC, 0, 0));
	emit(g, s, I(0, 0, 0, 0, 0));
	emit(g, s, I(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_3, BPF_REG_10, 0, 0));
	emit(g, s, I(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_3, 0, 0, VALUE_OFF));
	emit(g, s, I(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_4, 0, 0, 0));
	emit(g, s,
	     I(BPF_JMP | BPF_CALL, 0, 0, 0, each ? BPF_FUNC_for_each_map_elem : BPF_FUNC_loop));
	after_call(s);
	if (cb.reps > g->budget_scale)
		g->budget_scale = cb.reps;
}

/* In a callback: a load, store or atomic add on its caller's buffer (r6)
 * or, in a for_each callback, its element's value (r7). */
static void cb_mem(struct pg *g, struct pg_st *s)
{
	int base = s->cb_value && chance(g, 2) ? BPF_REG_7 : BPF_REG_6;
	bool dw = chance(g, 2);
	uint32_t words = base == BPF_REG_7 ? s->cb_value / 8u : NSLOTS;
	int16_t off = (int16_t)(8 * below(g, words) + (dw ? 0 : 4 * below(g, 2)));
	uint8_t size = dw ? BPF_DW : BPF_W;

	switch (below(g, 3)) {
	case 0: {
		int dst = pick_dst(g, s);
		if (dst < 0)
			return;
		emit(g, s, I(BPF_LDX | BPF_MEM | size, dst, base, off, 0));
		s->init |= 1u << dst;
		break;
	}
	case 1:
		emit(g, s, I(BPF_STX | BPF_MEM | size, base, pick_src(g, s), off, 0));
		break;
	default:
		emit(g, s, I(BPF_STX | BPF_ATOMIC | size, base, pick_src(g, s), off, BPF_ADD));
	}
}

static void stmt(struct pg *g, struct pg_st *s)
{
	g->stmts--;
	g->stmt_no++;
	uint32_t k = below(g, 100);
	if (s->cb && k < 10)
		cb_mem(g, s);
	else if (k < 34)
		alu(g, s);
	else if (k < 46)
		stack_op(g, s);
	else if (k < 58 && s->depth < MAX_DEPTH)
		if_block(g, s);
	else if (k < 70)
		pkt(g, s);
	else if (k < 80)
		map_op(g, s);
	else if (k < 85)
		helper(g, s);
	else if (k < 91 && s->loops < MAX_LOOPS && s->depth < MAX_DEPTH)
		loop(g, s);
	else if (k < 93)
		local_call(g, s);
	else if (k < 96)
		loop_call(g, s);
	else if (s->may_exit)
		exit_early(g, s);
	else
		alu(g, s);
}

void progen(struct pg_rng *rng, struct pg_prog *out)
{
	static struct pg g; /* large; programs are generated one at a time */
	memset(&g, 0, sizeof(g));
	g.rng = rng;
	g.nfns = 1;
	g.stmts = 4 + (int)below(&g, 40);
	g.inject = chance(&g, 16) ? (int)below(&g, (uint32_t)g.stmts) + 1 : -1;
	/* one program in four calls nothing: the JIT enters those directly */
	bool call_free = chance(&g, 4);
	g.frame = call_free ? NSLOTS * 8 : FRAME_SIZE;

	for (int i = 0; i < PG_PKT_LEN; i++)
		out->pkt[i] = (uint8_t)rnd(&g);
	struct pg_st main_st = {.fn = 0, .ctx = true, .no_calls = call_free, .reps = 1};
	prologue(&g, &main_st);
	while (g.stmts > 0 && room(&g, &main_st) > ROOM_STMT)
		stmt(&g, &main_st);
	epilogue(&g, &main_st);

	/* lay the functions out and resolve calls */
	uint32_t start[MAX_FNS], n = 0;
	for (uint32_t f = 0; f < g.nfns; f++) {
		start[f] = n;
		memcpy(out->insns + n, g.fn[f], g.len[f] * sizeof(struct bpf_insn));
		n += g.len[f];
	}
	for (uint32_t c = 0; c < g.ncalls; c++) {
		uint32_t at = start[g.calls[c].fn] + g.calls[c].at;
		out->insns[at].imm = (int32_t)start[g.calls[c].target] - (int32_t)(at + 1);
	}
	out->cnt = n;
	out->invalid = g.invalid_kind != NULL;
	out->call_free = call_free;
	out->budget_scale = g.budget_scale ? g.budget_scale : 1;
	out->invalid_kind = g.invalid_kind;
}

void progen_bind_maps(const struct bpf_insn *insns, uint32_t cnt, const int *fds,
		      struct bpf_insn *out)
{
	memcpy(out, insns, cnt * sizeof(*insns));
	for (uint32_t i = 0; i + 1 < cnt; i++) {
		if (out[i].code == (BPF_LD | BPF_DW | BPF_IMM) &&
		    out[i].src_reg == BPF_PSEUDO_MAP_FD && out[i].imm >= 0 && out[i].imm < PG_NMAPS)
			out[i].imm = fds[out[i].imm];
		if (out[i].code == (BPF_LD | BPF_DW | BPF_IMM))
			i++;
	}
}
