/* Random valid programs (see test_jit_gen.h). A program is a main function
 * and up to three subprograms; each is a list of units (one or a few
 * instructions that stay together, so jumps land only on unit starts),
 * ending in exit. Forward jumps and calls are patched once the targets'
 * positions are known. */
#include <string.h>

#include "isa/isa.h"
#include "test_jit_gen.h"

#define MAX_FUNCS  4
#define MAX_UNITS  256
#define STACK_INIT 64	 /* bytes below r10 written by every function's prologue */
#define LOOP_SLOT  (-72) /* a loop's counter */

struct gen {
	struct gen_src *s;
	struct bpf_insn *out;
	size_t n;
	unsigned nfuncs, cur;
	uint32_t func_start[MAX_FUNCS];
	uint32_t unit_start[MAX_UNITS];
	unsigned nunits;
	struct {
		uint32_t insn;
		unsigned unit;
		bool imm; /* JA32 keeps its offset in imm */
	} jumps[MAX_UNITS];
	unsigned njumps;
	struct {
		uint32_t insn;
		unsigned func;
	} calls[MAX_UNITS * 2];
	unsigned ncalls;
	unsigned cb; /* the function bpf_loop calls back (never called otherwise); 0: none */
};

static uint64_t next_u64(struct gen_src *s)
{
	if (s->data) { /* consume up to 8 bytes; past the end, zeros */
		uint64_t v = 0;
		for (int i = 0; i < 8 && s->pos < s->len; i++)
			v |= (uint64_t)s->data[s->pos++] << (8 * i);
		return v;
	}
	uint64_t z = (s->state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* A number below n (n <= 256 takes one byte of fuzzer input). */
static unsigned pick(struct gen *g, unsigned n)
{
	if (n <= 1)
		return 0;
	if (g->s->data) {
		uint64_t v = 0;
		int bytes = n <= 256 ? 1 : n <= 65536 ? 2 : 4;
		for (int i = 0; i < bytes && g->s->pos < g->s->len; i++)
			v |= (uint64_t)g->s->data[g->s->pos++] << (8 * i);
		return (unsigned)(v % n);
	}
	return (unsigned)(next_u64(g->s) % n);
}

static const uint64_t edges[] = {
    0,
    1,
    2,
    3,
    7,
    8,
    31,
    32,
    63,
    64,
    0x7f,
    0x80,
    0xff,
    0x7fff,
    0x8000,
    0xffff,
    0x7fffffff,
    0x80000000,
    0xffffffff,
    0x100000000ull,
    0x7fffffffffffffffull,
    0x8000000000000000ull,
    0xffffffffffffffffull,
    0xfffffffffffffffeull,
    0xffffffff80000000ull,
};

static uint64_t value(struct gen *g)
{
	switch (pick(g, 4)) {
	case 0:
		return edges[pick(g, sizeof(edges) / sizeof(edges[0]))];
	case 1:
		return pick(g, 64);
	case 2:
		return (uint64_t) - (int64_t)pick(g, 64);
	default:
		return next_u64(g->s);
	}
}

#define DIGEST_LEN (3 * STACK_INIT / 8) /* stack_digest's instructions */

static bool room(const struct gen *g, size_t k)
{
	return g->n + k + 16 + DIGEST_LEN < GEN_MAX_INSNS; /* 16: a function's epilogue */
}

static void put(struct gen *g, struct bpf_insn in)
{
	if (g->n < GEN_MAX_INSNS)
		g->out[g->n++] = in;
}

static void put_op(struct gen *g, enum isa_op op, int dst, int src, int off, int32_t imm)
{
	put(g, isa_encode(op, dst, src, off, imm));
}

static void lddw(struct gen *g, int dst, int src, uint64_t v)
{
	put(g, (struct bpf_insn){.code = 0x18,
				 .dst_reg = (uint8_t)dst,
				 .src_reg = (uint8_t)src,
				 .imm = (int32_t)(uint32_t)v});
	put(g, (struct bpf_insn){.imm = (int32_t)(uint32_t)(v >> 32)});
}

/* Registers a program may write: not r9 (the memory) nor r10. */
static int wreg(struct gen *g)
{
	return (int)pick(g, 9);
}

/* Registers it may read: r9 too (its value is the same in both engines). */
static int rreg(struct gen *g)
{
	return (int)pick(g, 10);
}

static void begin_unit(struct gen *g)
{
	if (g->nunits < MAX_UNITS)
		g->unit_start[g->nunits++] = (uint32_t)g->n;
}

/* Rows of one shape, for picking at random. */
static enum isa_op row_of(struct gen *g, enum isa_shape a, int b)
{
	enum isa_op ops[ISA_NR_OPS];
	unsigned n = 0;

	for (int op = 0; op < ISA_NR_OPS; op++)
		if (isa_rows[op].shape == a || (b >= 0 && isa_rows[op].shape == (unsigned)b))
			ops[n++] = (enum isa_op)op;
	return ops[pick(g, n)];
}

static void alu_unit(struct gen *g)
{
	enum isa_op op = row_of(g, ISA_SHAPE_ALU_K, ISA_SHAPE_ALU_X);
	const struct isa_row *row = &isa_rows[op];

	switch (pick(g, 6)) {
	case 0:
		put_op(g, row_of(g, ISA_SHAPE_NEG, ISA_SHAPE_END), wreg(g), 0, 0, 0);
		return;
	case 1:
		put_op(g, row_of(g, ISA_SHAPE_MOVSX, -1), wreg(g), rreg(g), 0, 0);
		return;
	case 2:
		lddw(g, wreg(g), 0, value(g));
		return;
	default:
		if (row->shape == ISA_SHAPE_ALU_X)
			put_op(g, op, wreg(g), rreg(g), 0, 0);
		else
			put_op(g, op, wreg(g), 0, 0, (int32_t)value(g));
	}
}

/* A load or store at r9 + off, r10 - off or a computed address in r9's
 * memory; atomics only where aligned. */
static void mem_unit(struct gen *g)
{
	static const enum isa_shape shapes[] = {ISA_SHAPE_LDX, ISA_SHAPE_ST, ISA_SHAPE_STX,
						ISA_SHAPE_ATOMIC};
	enum isa_shape shape = shapes[pick(g, 4)];
	enum isa_op op = row_of(g, shape, -1);
	const struct isa_row *row = &isa_rows[op];
	int size = (int)isa_mem_size(op), base, off;
	bool atomic = shape == ISA_SHAPE_ATOMIC;

	switch (pick(g, 3)) {
	case 0:
		base = 9;
		off = (int)pick(g, (unsigned)(GEN_MEM - size + 1));
		break;
	case 1:
		base = 10;
		off = -(int)(pick(g, (unsigned)(STACK_INIT - size + 1))) - size;
		break;
	default: /* r8 = r9 + (rX & 0xf8): any 8-aligned place */
		base = 8;
		put_op(g, ISA_MOV64_X, 8, wreg(g), 0, 0);
		put_op(g, ISA_AND64_K, 8, 0, 0, GEN_MEM - 8);
		put_op(g, ISA_ADD64_X, 8, 9, 0, 0);
		off = (int)pick(g, (unsigned)(8 - size + 1));
	}
	if (atomic && base == 10) /* round away from r10, staying in the initialised bytes */
		off = -((-off + size - 1) & ~(size - 1));
	else if (atomic)
		off &= ~(size - 1);
	switch (shape) {
	case ISA_SHAPE_LDX:
		put_op(g, op, wreg(g), base, off, 0);
		break;
	case ISA_SHAPE_ST:
		put_op(g, op, base, 0, off, (int32_t)value(g));
		break;
	case ISA_SHAPE_STX:
		put_op(g, op, base, rreg(g), off, 0);
		break;
	default: { /* fetch forms write src: never r9; keep r8 the address */
		int src = (int)pick(g, base == 8 ? 8 : 9);
		/* sometimes the old value; for 32 bits with other high bits where
		 * 8 bytes can be read (cmpxchg32 must still zero-extend r0) */
		if (row->keyval == BPF_CMPXCHG && pick(g, 2)) {
			int end = base == 9 ? GEN_MEM : base == 10 ? 0 : 8;
			put_op(g, size == 8 || off + 8 <= end ? ISA_LDXDW : ISA_LDXW, 0, base, off,
			       0);
		}
		put_op(g, op, base, src, off, row->keyval);
		/* what the atomic wrote, all 64 bits, before anything narrows it */
		put_op(g, ISA_STXDW, 9, row->keyval == BPF_CMPXCHG ? 0 : src,
		       (int)pick(g, GEN_MEM / 8) * 8, 0);
	}
	}
}

static void jump_unit(struct gen *g, unsigned max_ahead)
{
	unsigned k = pick(g, 4);
	enum isa_op op;

	if (k == 0)
		op = pick(g, 2) ? ISA_JA : ISA_JA32;
	else
		op = row_of(g, ISA_SHAPE_JMP_K, ISA_SHAPE_JMP_X);
	uint32_t at = (uint32_t)g->n;
	if (isa_rows[op].shape == ISA_SHAPE_JMP_X)
		put_op(g, op, rreg(g), rreg(g), 0, 0);
	else if (isa_rows[op].shape == ISA_SHAPE_JMP_K)
		put_op(g, op, rreg(g), 0, 0, (int32_t)value(g));
	else
		put_op(g, op, 0, 0, 0, 0);
	if (g->njumps < MAX_UNITS) {
		g->jumps[g->njumps].insn = at;
		g->jumps[g->njumps].unit = g->nunits + pick(g, max_ahead); /* clamped later */
		g->jumps[g->njumps].imm = op == ISA_JA32;
		g->njumps++;
	}
}

/* bpf_loop(n, f, the memory, flags), by name or through callx; now and
 * then with flags or a count the helper refuses without calling f. */
static void loop_call(struct gen *g, unsigned f)
{
	put_op(g, ISA_MOV64_K, 1, 0, 0, pick(g, 16) ? (int32_t)pick(g, 5) : 0x800001);
	if (g->ncalls < MAX_UNITS * 2) {
		g->calls[g->ncalls].insn = (uint32_t)g->n;
		g->calls[g->ncalls].func = f;
		g->ncalls++;
	}
	lddw(g, 2, BPF_PSEUDO_FUNC, 0);
	put_op(g, ISA_MOV64_X, 3, 9, 0, 0);
	put_op(g, ISA_MOV64_K, 4, 0, 0, pick(g, 16) ? 0 : 1);
	if (pick(g, 4)) {
		put_op(g, ISA_CALL, 0, 0, 0, BPF_FUNC_loop);
	} else {
		put_op(g, ISA_MOV64_K, 7, 0, 0, BPF_FUNC_loop);
		put_op(g, ISA_CALLX, 7, 0, 0, 0);
	}
}

static void call_unit(struct gen *g)
{
	static const int32_t helpers[] = {5, 7, 8, 42};
	bool later = g->cur + 1 < g->nfuncs;

	switch (pick(g, later ? 6 : 4)) {
	case 0: { /* a helper; the clock and randomness are overwritten at once */
		int32_t id = helpers[pick(g, 4)];
		put_op(g, ISA_CALL, 0, 0, 0, id);
		if (id == 5 || id == 7)
			put_op(g, ISA_MOV64_K, 0, 0, 0, (int32_t)value(g));
		return;
	}
	case 1: { /* callx of a helper id (or of something that is not callable) */
		int32_t t = (int32_t)value(g);
		if (pick(g, 4) || (t >= 0 && t < 256 && t != 42)) /* no clock or randomness */
			t = 8;
		put_op(g, ISA_MOV64_K, 7, 0, 0, t);
		put_op(g, ISA_CALLX, 7, 0, 0, 0);
		return;
	}
	case 2: /* LD_ABS / LD_IND around the packet (the memory) */
		if (pick(g, 2)) {
			int32_t k = pick(g, 8) ? (int32_t)pick(g, GEN_MEM + 8)
					       : (int32_t)(-0x100000 + (int)pick(g, GEN_MEM + 8));
			put_op(g, row_of(g, ISA_SHAPE_LDABS, -1), 0, 0, 0, k);
		} else {
			put_op(g, row_of(g, ISA_SHAPE_LDIND, -1), 0, rreg(g), 0,
			       (int32_t)value(g) & 0x1ff);
		}
		return;
	case 3: /* bpf_tail_call: index 0 the other program, 1 the first, 2 none
		 * (test_jit_util.h); the next program's r1 is the memory */
		put_op(g, ISA_MOV64_X, 1, 9, 0, 0);
		put_op(g, ISA_MOV64_K, 3, 0, 0, (int32_t)pick(g, 3));
		put_op(g, ISA_CALL, 0, 0, 0, BPF_FUNC_tail_call);
		return;
	case 4: /* a later function */
	case 5: {
		unsigned f = g->cur + 1 + pick(g, g->nfuncs - g->cur - 1);
		uint32_t at = (uint32_t)g->n;
		if (f == g->cb) {
			loop_call(g, f);
			return;
		}
		if (pick(g, 3)) {
			put_op(g, ISA_CALL_LOCAL, 0, 0, 0, 0);
		} else {
			int r = (int)pick(g, 9);
			lddw(g, r, BPF_PSEUDO_FUNC, 0);
			put_op(g, ISA_CALLX, r, 0, 0, 0);
		}
		if (g->ncalls < MAX_UNITS * 2) {
			g->calls[g->ncalls].insn = at;
			g->calls[g->ncalls].func = f;
			g->ncalls++;
		}
	}
	}
}

/* A counted loop: straight-line body, counter in a stack slot. */
static void loop_unit(struct gen *g)
{
	unsigned body = 1 + pick(g, 5);

	put_op(g, ISA_STDW, 10, 0, LOOP_SLOT, 1 + (int32_t)pick(g, 4));
	uint32_t top = (uint32_t)g->n;
	for (unsigned i = 0; i < body && room(g, 8); i++) {
		if (pick(g, 2))
			alu_unit(g);
		else
			mem_unit(g);
	}
	int r = wreg(g);
	put_op(g, ISA_LDXDW, r, 10, LOOP_SLOT, 0);
	put_op(g, ISA_SUB64_K, r, 0, 0, 1);
	put_op(g, ISA_STXDW, 10, r, LOOP_SLOT, 0);
	put_op(g, ISA_JNE_K, r, 0, (int)top - (int)g->n - 1, 0);
}

/* Fold the initialised stack into r0 (xor, then multiply by an odd
 * constant, so order counts): the differential compares r0 and the memory
 * at r9 but cannot see the stack, so a slot an engine corrupted would
 * otherwise go unseen. r1 is free: nothing reads it after an exit. */
static void stack_digest(struct gen *g)
{
	for (int k = 1; k <= STACK_INIT / 8; k++) {
		put_op(g, ISA_LDXDW, 1, 10, -8 * k, 0);
		put_op(g, ISA_XOR64_X, 0, 1, 0, 0);
		put_op(g, ISA_MUL64_K, 0, 0, 0, 0x01000193);
	}
}

static void function(struct gen *g, unsigned f, bool last)
{
	unsigned units = 2 + pick(g, f ? 24 : 48);

	g->cur = f;
	g->func_start[f] = (uint32_t)g->n;
	g->nunits = g->njumps = 0;
	begin_unit(g); /* the prologue: initialised stack (and r9 in main) */
	if (f == 0)
		put_op(g, ISA_MOV64_X, 9, 1, 0, 0);
	else if (f == g->cb) /* bpf_loop's ctx: the memory */
		put_op(g, ISA_MOV64_X, 9, 2, 0, 0);
	for (int k = 1; k <= STACK_INIT / 8; k++)
		put_op(g, ISA_STDW, 10, 0, -8 * k, (int32_t)value(g));
	for (unsigned u = 0; u < units && room(g, 12); u++) {
		begin_unit(g);
		unsigned kind = pick(g, 20);
		if (kind < 8)
			alu_unit(g);
		else if (kind < 12)
			mem_unit(g);
		else if (kind < 15)
			jump_unit(g, 6);
		else if (kind < 18)
			call_unit(g);
		else if (kind < 19)
			loop_unit(g);
		else if (f && f != g->cb && !pick(g, 4)) /* recursion meets the depth limit */
			put_op(g, ISA_CALL_LOCAL, 0, 0, 0, -(int32_t)(g->n - g->func_start[f]) - 1);
		else
			alu_unit(g);
	}
	begin_unit(g); /* the end: r0 from something computed and the stack, exit */
	put_op(g, ISA_MOV64_X, 0, wreg(g), 0, 0);
	stack_digest(g);
	if (f == g->cb) { /* the digest goes to memory; r0 0 or 1 says go on or stop */
		put_op(g, ISA_LDXDW, 1, 9, 0, 0);
		put_op(g, ISA_XOR64_X, 1, 0, 0, 0);
		put_op(g, ISA_STXDW, 9, 1, 0, 0);
		put_op(g, ISA_AND64_K, 0, 0, 0, 1);
	}
	if (!(last && !pick(g, 16))) /* sometimes the last function falls off */
		put_op(g, ISA_EXIT, 0, 0, 0, 0);
	for (unsigned j = 0; j < g->njumps; j++) {
		unsigned t = g->jumps[j].unit < g->nunits ? g->jumps[j].unit : g->nunits - 1;
		uint32_t at = g->jumps[j].insn;
		int32_t rel = (int32_t)g->unit_start[t] - (int32_t)at - 1;
		if (rel < 0)
			rel = 0;
		if (g->jumps[j].imm)
			g->out[at].imm = rel;
		else
			g->out[at].off = (int16_t)rel;
	}
}

size_t gen_program(struct gen_src *src, struct bpf_insn *out)
{
	struct gen g;

	memset(&g, 0, sizeof(g));
	g.s = src;
	g.out = out;
	g.nfuncs = 1 + pick(&g, MAX_FUNCS);
	if (g.nfuncs > 1 && pick(&g, 2))
		g.cb = g.nfuncs - 1;
	for (unsigned f = 0; f < g.nfuncs; f++)
		function(&g, f, f + 1 == g.nfuncs);
	for (unsigned c = 0; c < g.ncalls; c++) {
		uint32_t at = g.calls[c].insn;
		out[at].imm = (int32_t)g.func_start[g.calls[c].func] - (int32_t)at - 1;
	}
	return g.n;
}

void gen_memory(struct gen_src *src, uint8_t *mem)
{
	for (unsigned i = 0; i < GEN_MEM; i += 8) {
		uint64_t v = next_u64(src);
		memcpy(mem + i, &v, 8);
	}
}
