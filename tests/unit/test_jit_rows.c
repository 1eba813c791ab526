/* Every row of the opcode table through the JIT, against the interpreter (the
 * reference engine, itself checked against an independent model in
 * test_interp.c): every register as destination and source, edge values,
 * and a dump of all registers afterwards so a clobbered scratch register
 * shows. Each program runs under every JIT configuration (test_jit_util.c). */
#include <stdlib.h>

#include "isa/isa.h"
#include "test.h"
#include "test_jit_util.h"

static const uint64_t edge[] = {
    0,
    1,
    2,
    5,
    31,
    32,
    63,
    64,
    0x7f,
    0x80,
    0xffff,
    0x7fffffff,
    0x80000000,
    0xffffffff,
    0x100000000ull,
    0x123456789abcdef0ull,
    0x7fffffffffffffffull,
    0x8000000000000000ull,
    0xffffffffffffffffull,
    0xffffffff80000000ull,
    0xfffffffffffffff9ull,
};
#define NEDGE (sizeof(edge) / sizeof(edge[0]))

struct pbuf {
	struct bpf_insn insn[1024];
	unsigned n;
};

static void put(struct pbuf *p, struct bpf_insn in)
{
	if (p->n < 1024)
		p->insn[p->n++] = in;
}

static void lddw(struct pbuf *p, int reg, uint64_t v)
{
	put(p,
	    (struct bpf_insn){.code = 0x18, .dst_reg = (uint8_t)reg, .imm = (int32_t)(uint32_t)v});
	put(p, (struct bpf_insn){.imm = (int32_t)(uint32_t)(v >> 32)});
}

static void stx64(struct pbuf *p, int base, int off, int src)
{
	put(p, isa_encode(ISA_STXDW, base, src, off, 0));
}

static void ldx64(struct pbuf *p, int dst, int base, int off)
{
	put(p, isa_encode(ISA_LDXDW, dst, base, off, 0));
}

/* Slot k of the results on the stack (below the saved memory pointer). */
static int slot(unsigned k)
{
	return -16 - 8 * (int)k;
}

/* Save r1 (the memory) first; results go to stack slots. */
static void prologue(struct pbuf *p)
{
	p->n = 0;
	stx64(p, 10, -8, 1);
}

/* Dump r0-r9 after the nres results, copy everything into memory, exit. */
static unsigned epilogue(struct pbuf *p, unsigned nres)
{
	for (int r = 0; r <= 9; r++)
		stx64(p, 10, slot(nres + (unsigned)r), r);
	ldx64(p, 1, 10, -8);
	for (unsigned k = 0; k < nres + 10; k++) {
		ldx64(p, 2, 10, slot(k));
		stx64(p, 1, (int)(8 * k), 2);
	}
	put(p, isa_encode(ISA_MOV64_K, 0, 0, 0, 0));
	put(p, isa_encode(ISA_EXIT, 0, 0, 0, 0));
	return 8 * (nres + 10);
}

static bool differs(struct pbuf *p, unsigned memlen, const char *what, char *why, size_t size)
{
	static uint8_t mem[JT_MEM_MAX];

	for (unsigned i = 0; i < memlen; i++)
		mem[i] = (uint8_t)(0x5a ^ i);
	int r = jt_differential(p->insn, p->n, mem, memlen, why, size);
	if (r == 1)
		return false;
	size_t l = strlen(why);
	snprintf(why + l, size - l, " [%s]", what);
	return true;
}

static bool alu_like(const struct isa_row *row)
{
	return row->shape == ISA_SHAPE_ALU_K || row->shape == ISA_SHAPE_ALU_X ||
	       row->shape == ISA_SHAPE_MOVSX || row->shape == ISA_SHAPE_NEG ||
	       row->shape == ISA_SHAPE_END;
}

TEST(jit_alu_rows_match_interpreter_for_every_register)
{
	static struct pbuf p;
	char why[1024], what[128];
	unsigned rows = 0;

	for (int op = 0; op < ISA_NR_OPS; op++) {
		const struct isa_row *row = &isa_rows[op];
		bool x = row->shape == ISA_SHAPE_ALU_X || row->shape == ISA_SHAPE_MOVSX;
		bool k = row->shape == ISA_SHAPE_ALU_K;
		if (!alu_like(row))
			continue;
		rows++;
		for (int dst = 0; dst <= 9; dst++) {
			for (int src = 0; src <= (x ? 9 : 0); src++) {
				unsigned n = 0;
				prologue(&p);
				for (unsigned i = 0; i < NEDGE; i++) {
					uint64_t a = edge[i], b = edge[(i * 7 + 3) % NEDGE];
					lddw(&p, dst, a);
					if (x)
						lddw(&p, src, b);
					put(&p, isa_encode((enum isa_op)op, dst, src, 0,
							   k ? (int32_t)(uint32_t)b : 0));
					stx64(&p, 10, slot(n++), dst);
					if (k) { /* and the immediates 0, -1 and a power of two */
						int32_t imm = i % 3 == 0   ? 0
							      : i % 3 == 1 ? -1
									   : 1 << (i % 31);
						lddw(&p, dst, a);
						put(&p,
						    isa_encode((enum isa_op)op, dst, 0, 0, imm));
						stx64(&p, 10, slot(n++), dst);
					}
				}
				unsigned memlen = epilogue(&p, n);
				snprintf(what, sizeof(what), "%s dst r%d src r%d", row->name, dst,
					 src);
				CHECK_MSG(!differs(&p, memlen, what, why, sizeof(why)), "%s", why);
			}
		}
	}
	CHECK_EQ(rows, 72); /* as test_interp counts them: a new row must be added here too */
}

TEST(jit_jump_rows_match_interpreter_for_every_register)
{
	static struct pbuf p;
	char why[1024], what[128];

	for (int op = 0; op < ISA_NR_OPS; op++) {
		const struct isa_row *row = &isa_rows[op];
		bool x = row->shape == ISA_SHAPE_JMP_X;
		if (!x && row->shape != ISA_SHAPE_JMP_K)
			continue;
		for (int dst = 0; dst <= 9; dst++) {
			for (int src = 0; src <= (x ? 9 : 0); src++) {
				unsigned n = 0;
				prologue(&p);
				for (unsigned i = 0; i < NEDGE; i++) {
					uint64_t a = edge[i], b = edge[(i * 5 + 1) % NEDGE];
					if (i % 4 == 0)
						b = a; /* equal operands */
					lddw(&p, dst, a);
					if (x)
						lddw(&p, src, b);
					put(&p, isa_encode(ISA_STDW, 10, 0, slot(n), 0));
					put(&p, isa_encode((enum isa_op)op, dst, src, 1,
							   x ? 0 : (int32_t)(uint32_t)b));
					put(&p, isa_encode(ISA_STDW, 10, 0, slot(n), 1));
					n++;
				}
				unsigned memlen = epilogue(&p, n);
				snprintf(what, sizeof(what), "%s dst r%d src r%d", row->name, dst,
					 src);
				CHECK_MSG(!differs(&p, memlen, what, why, sizeof(why)), "%s", why);
			}
		}
	}
}

/* Loads, stores and atomics: base in every register, value in every other;
 * the operations work on bytes 512.. of the memory (results below). */
TEST(jit_memory_rows_match_interpreter_for_every_register)
{
	static struct pbuf p;
	char why[1024], what[128];

	for (int op = 0; op < ISA_NR_OPS; op++) {
		const struct isa_row *row = &isa_rows[op];
		unsigned size = isa_mem_size((enum isa_op)op);
		bool st = row->shape == ISA_SHAPE_ST, ldx = row->shape == ISA_SHAPE_LDX;
		if (!ldx && !st && row->shape != ISA_SHAPE_STX && row->shape != ISA_SHAPE_ATOMIC)
			continue;
		for (int base = 0; base <= 9; base++) {
			for (int val = 0; val <= (st ? 0 : 9); val++) {
				unsigned n = 0;
				if (val == base && !ldx)
					continue; /* would store the pointer itself */
				prologue(&p);
				for (unsigned i = 0; i < 8; i++) {
					uint64_t v = edge[(i * 3 + 2) % NEDGE];
					int off = (int)(512 + 8 * i);
					/* r0 is cmpxchg's comparand: every other time the old value */
					uint64_t old = 0;
					for (int j = 0; j < 8; j++)
						old |= (uint64_t)(uint8_t)(0x5a ^ (off + j))
						       << (8 * j);
					if (base != 0 && val != 0)
						lddw(&p, 0, i & 1 ? old : v);
					lddw(&p, val, v);
					ldx64(&p, base, 10, -8);
					put(&p, isa_encode((enum isa_op)op, ldx ? val : base,
							   ldx ? base : val, off,
							   st ? (int32_t)v : row->keyval));
					/* the base is a pointer: drop it before the dump */
					if (!(ldx && val == base))
						put(&p, isa_encode(ISA_MOV64_K, base, 0, 0, 0));
					stx64(&p, 10, slot(n++), val);
					stx64(&p, 10, slot(n++), 0);
				}
				unsigned memlen = epilogue(&p, n);
				if (memlen < 512 + 64 + size)
					memlen = 512 + 64 + size;
				snprintf(what, sizeof(what), "%s base r%d value r%d", row->name,
					 base, val);
				CHECK_MSG(!differs(&p, memlen, what, why, sizeof(why)), "%s", why);
			}
		}
	}
}

/* mov + add/sub/lsh pairs the JIT merges into one lea: every register pair,
 * edge values, and the same pair with a jump landing between the two (which
 * must keep them apart). */
TEST(jit_merged_pairs_match_interpreter)
{
	static const enum isa_op firsts[] = {ISA_MOV64_X, ISA_MOV32_X};
	static const enum isa_op seconds[] = {ISA_ADD64_K, ISA_SUB64_K, ISA_ADD64_X, ISA_LSH64_K,
					      ISA_ADD32_K, ISA_SUB32_K, ISA_ADD32_X};
	static const int32_t imms[] = {1, -1, 127, -128, 0x7fffffff, INT32_MIN};
	static struct pbuf p;
	char why[1024], what[128];

	for (unsigned f = 0; f < 2; f++)
		for (unsigned s = 0; s < sizeof(seconds) / sizeof(seconds[0]); s++)
			for (int jump_between = 0; jump_between < 2; jump_between++)
				for (int d = 0; d <= 9; d++)
					for (int src = 0; src <= 9; src++) {
						unsigned n = 0;
						prologue(&p);
						for (unsigned i = 0; i < 6; i++) {
							lddw(&p, src, edge[(i * 5 + 2) % NEDGE]);
							lddw(&p, 9 - d, edge[(i * 3 + 1) % NEDGE]);
							if (jump_between) /* lands on the second */
								put(&p,
								    isa_encode(ISA_JA, 0, 0, 1, 0));
							put(&p,
							    isa_encode(firsts[f], d, src, 0, 0));
							bool x = isa_rows[seconds[s]].shape ==
								 ISA_SHAPE_ALU_X;
							int t =
							    i & 1 ? d : 9 - d; /* "d += d" too */
							put(&p,
							    isa_encode(seconds[s], d, x ? t : 0, 0,
								       x ? 0
								       : seconds[s] == ISA_LSH64_K
									   ? 1
									   : imms[i]));
							stx64(&p, 10, slot(n++), d);
						}
						unsigned memlen = epilogue(&p, n);
						snprintf(what, sizeof(what),
							 "%s; %s dst r%d src r%d%s",
							 isa_rows[firsts[f]].name,
							 isa_rows[seconds[s]].name, d, src,
							 jump_between ? " (jump between)" : "");
						CHECK_MSG(
						    !differs(&p, memlen, what, why, sizeof(why)),
						    "%s", why);
					}
}
