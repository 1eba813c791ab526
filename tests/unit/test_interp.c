/* The interpreter against a reference model written here from RFC 9669 and
 * Linux's documented behaviour (sharing no code with src/vm), for every ALU,
 * jump, load/store and atomic row, in fast and checked mode; and the checked
 * mode's faults. */
#include <stdlib.h>

#include "exobpf/exobpf.h"
#include "isa/isa.h"
#include "test.h"

static const uint64_t edge[] = {
	0,
	1,
	2,
	3,
	7,
	31,
	32,
	33,
	63,
	64,
	65,
	0x7f,
	0x80,
	0xff,
	0x8000,
	0xffff,
	0x7fffffff,
	0x80000000,
	0xffffffff,
	0x100000000ull,
	0x123456789abcdef0ull,
	0x7fffffffffffffffull,
	0x8000000000000000ull,
	0xfffffffffffffffeull,
	0xffffffffffffffffull,
	0xffffffff80000000ull,
	0xfffffffffffffff9ull, /* -7 */
};
#define NEDGE (sizeof(edge) / sizeof(edge[0]))

static int run_prog(const struct bpf_insn *insns, size_t cnt, void *mem, uint32_t memlen,
		    bool checked, uint64_t *r0)
{
	EXOBPF_OPTS(exobpf_prog_opts, popts, .name = "model");
	struct exobpf_prog *prog = exobpf_prog__new(insns, cnt, &popts);
	if (!prog)
		return -1;
	EXOBPF_OPTS(exobpf_run_opts, ropts, .data_in = mem, .data_size_in = memlen,
		    .data_out = mem, .data_size_out = memlen,
		    .flags = checked ? EXOBPF_RUN_CHECKED : 0);
	int err = exobpf_prog__run(prog, &ropts);
	*r0 = ropts.retval;
	exobpf_prog__free(prog);
	return err;
}

static void lddw(struct bpf_insn *p, int reg, uint64_t v)
{
	p[0] = (struct bpf_insn){.code = 0x18, .dst_reg = (uint8_t)reg, .imm = (int32_t)(uint32_t)v};
	p[1] = (struct bpf_insn){.imm = (int32_t)(uint32_t)(v >> 32)};
}

/* ---- the model ---- */

static uint64_t sx(uint64_t v, unsigned bits)
{
	uint64_t m = 1ull << (bits - 1);
	v &= bits == 64 ? ~0ull : (1ull << bits) - 1;
	return (v ^ m) - m;
}

/* Result of an ALU row on dst=a with operand b (for K rows b is the
 * sign-extended immediate). */
static uint64_t model_alu(const struct isa_row *row, uint64_t a, uint64_t b, int32_t off)
{
	bool is64 = (row->code & 7) == BPF_ALU64;
	unsigned w = is64 ? 64 : 32;
	uint64_t mask = is64 ? ~0ull : 0xffffffffull;
	uint64_t x = a & mask, y = b & mask, r;
	unsigned sh = (unsigned)(y & (w - 1));

	switch (row->code & 0xf0) {
	case BPF_ADD: r = x + y; break;
	case BPF_SUB: r = x - y; break;
	case BPF_MUL: r = x * y; break;
	case BPF_OR: r = x | y; break;
	case BPF_AND: r = x & y; break;
	case BPF_XOR: r = x ^ y; break;
	case BPF_LSH: r = x << sh; break;
	case BPF_RSH: r = x >> sh; break;
	case BPF_ARSH: r = sh ? (uint64_t)((__int128)(int64_t)sx(x, w) >> sh) : x; break;
	case BPF_NEG: r = 0 - x; break;
	case BPF_MOV:
		r = off ? sx(b, (unsigned)off) : y;
		break;
	case BPF_DIV:
		if (!off) {
			r = y ? x / y : 0;
		} else { /* exact in 128 bits: INT_MIN / -1 wraps to INT_MIN */
			__int128 p = (int64_t)sx(x, w), q = (int64_t)sx(y, w);
			r = q ? (uint64_t)(p / q) : 0;
		}
		break;
	case BPF_MOD:
		if (!off) {
			r = y ? x % y : x;
		} else {
			__int128 p = (int64_t)sx(x, w), q = (int64_t)sx(y, w);
			r = q ? (uint64_t)(p % q) : x;
		}
		break;
	default: r = 0;
	}
	return r & mask;
}

static uint64_t swap_bytes(uint64_t v, unsigned bits)
{
	uint64_t r = 0;
	for (unsigned i = 0; i < bits / 8; i++)
		r |= ((v >> (8 * i)) & 0xff) << (bits - 8 - 8 * i);
	return r;
}

static uint64_t model_end(const struct isa_row *row, uint64_t a)
{
	unsigned bits = (unsigned)row->keyval;
	uint64_t low = bits == 64 ? a : a & ((1ull << bits) - 1);
	bool swap = (row->code & 7) == BPF_ALU64 || (row->code & BPF_X); /* bswap, or be on LE host */
	return swap ? swap_bytes(low, bits) : low;
}

static bool model_jmp(const struct isa_row *row, uint64_t a, uint64_t b)
{
	bool is32 = (row->code & 7) == BPF_JMP32;
	uint64_t x = is32 ? (uint32_t)a : a, y = is32 ? (uint32_t)b : b;
	int64_t sx_ = is32 ? (int32_t)a : (int64_t)a, sy = is32 ? (int32_t)b : (int64_t)b;

	switch (row->code & 0xf0) {
	case BPF_JEQ: return x == y;
	case BPF_JNE: return x != y;
	case BPF_JGT: return x > y;
	case BPF_JGE: return x >= y;
	case BPF_JLT: return x < y;
	case BPF_JLE: return x <= y;
	case BPF_JSET: return (x & y) != 0;
	case BPF_JSGT: return sx_ > sy;
	case BPF_JSGE: return sx_ >= sy;
	case BPF_JSLT: return sx_ < sy;
	case BPF_JSLE: return sx_ <= sy;
	}
	return false;
}

/* ---- tests ---- */

TEST(interp_alu_rows_match_model)
{
	unsigned checked_rows = 0;

	for (int op = 0; op < ISA_NR_OPS; op++) {
		const struct isa_row *row = &isa_rows[op];
		bool k = row->shape == ISA_SHAPE_ALU_K, x = row->shape == ISA_SHAPE_ALU_X ||
							      row->shape == ISA_SHAPE_MOVSX;
		bool neg = row->shape == ISA_SHAPE_NEG, end = row->shape == ISA_SHAPE_END;
		if (!k && !x && !neg && !end)
			continue;
		checked_rows++;
		for (size_t i = 0; i < NEDGE; i++) {
			for (size_t j = 0; j < NEDGE; j++) {
				struct bpf_insn p[8];
				uint64_t a = edge[i], b = edge[j], want, got;
				int32_t key_off = row->key == ISA_KEY_OFF ? row->keyval : 0;

				lddw(p, 1, a);
				lddw(p + 2, 2, b);
				p[4] = (struct bpf_insn){.code = row->code, .dst_reg = 1};
				if (row->key == ISA_KEY_OFF)
					p[4].off = (int16_t)row->keyval;
				if (row->key == ISA_KEY_IMM)
					p[4].imm = row->keyval;
				if (k) {
					p[4].imm = (int32_t)(uint32_t)b;
					b = (uint64_t)(int64_t)(int32_t)(uint32_t)b;
				} else if (x) {
					p[4].src_reg = 2;
				}
				p[5] = (struct bpf_insn){.code = 0xbf, .dst_reg = 0, .src_reg = 1};
				p[6] = (struct bpf_insn){.code = 0x95};
				want = end ? model_end(row, a) : model_alu(row, a, b, key_off);
				for (int mode = 0; mode < 2; mode++) {
					CHECK_MSG(run_prog(p, 7, NULL, 0, mode, &got) == 0, "%s: %s",
						  row->name, exobpf_errmsg());
					CHECK_MSG(got == want,
						  "%s a=0x%llx b=0x%llx: got 0x%llx, model 0x%llx",
						  row->name, (unsigned long long)a, (unsigned long long)b,
						  (unsigned long long)got, (unsigned long long)want);
				}
				if (neg || end)
					break;
			}
		}
	}
	CHECK_EQ(checked_rows, 72);
}

TEST(interp_jmp_rows_match_model)
{
	for (int op = 0; op < ISA_NR_OPS; op++) {
		const struct isa_row *row = &isa_rows[op];
		bool k = row->shape == ISA_SHAPE_JMP_K;
		if (!k && row->shape != ISA_SHAPE_JMP_X)
			continue;
		for (size_t i = 0; i < NEDGE; i++) {
			for (size_t j = 0; j < NEDGE; j++) {
				struct bpf_insn p[10];
				uint64_t a = edge[i], b = edge[j], got;

				lddw(p, 1, a);
				lddw(p + 2, 2, b);
				p[4] = (struct bpf_insn){.code = 0xb7, .dst_reg = 0, .imm = 0};
				p[5] = (struct bpf_insn){.code = row->code, .dst_reg = 1, .off = 1};
				if (k) {
					p[5].imm = (int32_t)(uint32_t)b;
					b = (uint64_t)(int64_t)(int32_t)(uint32_t)b;
				} else {
					p[5].src_reg = 2;
				}
				p[6] = (struct bpf_insn){.code = 0x95};
				p[7] = (struct bpf_insn){.code = 0xb7, .dst_reg = 0, .imm = 1};
				p[8] = (struct bpf_insn){.code = 0x95};
				CHECK(run_prog(p, 9, NULL, 0, true, &got) == 0);
				CHECK_MSG(got == model_jmp(row, a, b), "%s a=0x%llx b=0x%llx: taken=%llu",
					  row->name, (unsigned long long)a, (unsigned long long)b,
					  (unsigned long long)got);
			}
		}
	}
}

/* Loads, stores and atomics on a memory buffer, against byte-level model. */
TEST(interp_memory_rows_match_model)
{
	for (int op = 0; op < ISA_NR_OPS; op++) {
		const struct isa_row *row = &isa_rows[op];
		unsigned size = isa_mem_size(op);
		if (row->shape != ISA_SHAPE_LDX && row->shape != ISA_SHAPE_ST &&
		    row->shape != ISA_SHAPE_STX && row->shape != ISA_SHAPE_ATOMIC)
			continue;
		for (size_t i = 0; i < NEDGE; i++) {
			uint64_t v = edge[i], old = edge[(i * 7 + 3) % NEDGE], r0init = edge[(i + 5) % NEDGE];
			uint8_t mem[24], want[24];
			struct bpf_insn p[12];
			uint64_t got, want_r0 = 0;
			int n = 0;
			int off = 8;

			for (unsigned b = 0; b < sizeof(mem); b++)
				mem[b] = (uint8_t)(0xa0 + b);
			memcpy(mem + off, &old, size);
			memcpy(want, mem, sizeof(mem));
			lddw(p, 2, v);
			lddw(p + 2, 0, r0init);
			n = 4;
			p[n] = (struct bpf_insn){.code = row->code, .off = (int16_t)off};
			uint64_t cur = 0;
			memcpy(&cur, mem + off, size);
			switch (row->shape) {
			case ISA_SHAPE_LDX:
				p[n].dst_reg = 0, p[n].src_reg = 1;
				want_r0 = row->code & BPF_MEMSX ? sx(cur, size * 8) : cur;
				break;
			case ISA_SHAPE_ST:
				p[n].dst_reg = 1, p[n].imm = (int32_t)(uint32_t)v;
				{
					uint64_t st = (uint64_t)(int64_t)(int32_t)(uint32_t)v;
					memcpy(want + off, &st, size);
				}
				want_r0 = r0init;
				break;
			case ISA_SHAPE_STX:
				p[n].dst_reg = 1, p[n].src_reg = 2;
				memcpy(want + off, &v, size);
				want_r0 = r0init;
				break;
			default: { /* atomic: r2 is the operand, r0 the comparand */
				uint64_t mask = size == 8 ? ~0ull : 0xffffffffull, res = cur;
				uint64_t operand = v & mask;
				p[n].dst_reg = 1, p[n].src_reg = 2, p[n].imm = row->keyval;
				switch (row->keyval & ~BPF_FETCH) {
				case BPF_ADD: res = cur + operand; break;
				case BPF_OR: res = cur | operand; break;
				case BPF_AND: res = cur & operand; break;
				case BPF_XOR: res = cur ^ operand; break;
				case 0xe0: res = operand; break;
				case 0xf0: res = (r0init & mask) == cur ? operand : cur; break;
				}
				res &= mask;
				memcpy(want + off, &res, size);
				/* r0 shows: cmpxchg's old value; fetch forms leave the old value in r2 */
				want_r0 = row->keyval == BPF_CMPXCHG ? cur
					: (row->keyval & BPF_FETCH) ? cur
								    : r0init;
				if (row->keyval != BPF_CMPXCHG && (row->keyval & BPF_FETCH))
					p[n + 1] = (struct bpf_insn){.code = 0xbf, .dst_reg = 0, .src_reg = 2}, n++;
			}
			}
			n++;
			p[n++] = (struct bpf_insn){.code = 0x95};
			for (int mode = 0; mode < 2; mode++) {
				uint8_t buf[24];
				memcpy(buf, mem, sizeof(mem));
				CHECK_MSG(run_prog(p, (size_t)n, buf, sizeof(buf), mode, &got) == 0, "%s: %s",
					  row->name, exobpf_errmsg());
				CHECK_MSG(got == want_r0, "%s v=0x%llx: r0 0x%llx, model 0x%llx", row->name,
					  (unsigned long long)v, (unsigned long long)got,
					  (unsigned long long)want_r0);
				CHECK_MSG(!memcmp(buf, want, sizeof(buf)), "%s v=0x%llx: memory differs",
					  row->name, (unsigned long long)v);
			}
		}
	}
}

static int run_text(const char *text, void *mem, uint32_t len, bool checked, uint64_t budget,
		    uint64_t *r0)
{
	struct bpf_insn *insns;
	size_t cnt;
	if (exobpf_asm(text, "t", &insns, &cnt))
		return -1000;
	EXOBPF_OPTS(exobpf_prog_opts, popts, .name = "t");
	struct exobpf_prog *prog = exobpf_prog__new(insns, cnt, &popts);
	free(insns);
	if (!prog)
		return -2000;
	EXOBPF_OPTS(exobpf_run_opts, ropts, .data_in = mem, .data_size_in = len,
		    .insn_budget = budget, .flags = checked ? EXOBPF_RUN_CHECKED : 0);
	int err = exobpf_prog__run(prog, &ropts);
	*r0 = ropts.retval;
	exobpf_prog__free(prog);
	return err;
}

TEST(checked_mode_catches_out_of_bounds)
{
	uint8_t mem[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	uint64_t r0;

	CHECK_EQ(run_text("r0 = *(u32 *)(r1 +4)\nexit\n", mem, 8, true, 0, &r0), 0);
	CHECK_EQ(r0, 0x08070605);
	CHECK_EQ(run_text("r0 = *(u32 *)(r1 +5)\nexit\n", mem, 8, true, 0, &r0), -EFAULT);
	CHECK_CONTAINS(exobpf_errmsg(), "insn 0: read of 4 bytes");
	CHECK_EQ(run_text("r0 = *(u8 *)(r1 -1)\nexit\n", mem, 8, true, 0, &r0), -EFAULT);
	CHECK_EQ(run_text("*(u64 *)(r1 +1) = 0\nr0 = 0\nexit\n", mem, 8, true, 0, &r0), -EFAULT);
	CHECK_CONTAINS(exobpf_errmsg(), "write of 8 bytes");
	/* the stack: 512 bytes below r10, nothing above */
	CHECK_EQ(run_text("*(u64 *)(r10 -512) = 1\nr0 = *(u64 *)(r10 -512)\nexit\n", mem, 8, true, 0, &r0), 0);
	CHECK_EQ(r0, 1);
	CHECK_EQ(run_text("*(u64 *)(r10 -520) = 1\nr0 = 0\nexit\n", mem, 8, true, 0, &r0), -EFAULT);
	CHECK_EQ(run_text("r0 = *(u8 *)(r10 +0)\nexit\n", mem, 8, true, 0, &r0), -EFAULT);
	/* a pointer made up from an integer */
	CHECK_EQ(run_text("r2 = 0x1000\nr0 = *(u8 *)(r2 +0)\nexit\n", mem, 8, true, 0, &r0), -EFAULT);
}

TEST(checked_mode_catches_misaligned_atomic)
{
	uint64_t r0;
	CHECK_EQ(run_text("r2 = 1\n*(u64 *)(r10 -16) = 0\nlock *(u64 *)(r10 -12) += r2\nr0 = 0\nexit\n",
			  NULL, 0, true, 0, &r0),
		 -EFAULT);
	CHECK_CONTAINS(exobpf_errmsg(), "misaligned");
}

TEST(checked_mode_catches_uninitialised_registers)
{
	uint64_t r0;
	CHECK_EQ(run_text("r0 |= r10\nexit\n", NULL, 0, true, 0, &r0), -EFAULT);
	CHECK_CONTAINS(exobpf_errmsg(), "r0 is read before it is written");
	CHECK_EQ(run_text("r0 = r7\nexit\n", NULL, 0, true, 0, &r0), -EFAULT);
	/* after a helper call r1-r5 are clobbered */
	CHECK_EQ(run_text("r1 = 1\ncall 5\nr0 = r1\nexit\n", NULL, 0, true, 0, &r0), -EFAULT);
	CHECK_CONTAINS(exobpf_errmsg(), "r1 is read");
	/* a callee's r6-r9 are its own */
	CHECK_EQ(run_text("r6 = 1\ncall f\nexit\nf:\nr0 = r6\nexit\n", NULL, 0, true, 0, &r0), -EFAULT);
	CHECK_EQ(run_text("r6 = 1\ncall f\nr0 = r6\nexit\nf:\nr6 = 5\nr0 = 0\nexit\n", NULL, 0, true, 0, &r0), 0);
	CHECK_EQ(r0, 1);
}

TEST(budget_stops_runaway_programs)
{
	uint64_t r0;
	CHECK_EQ(run_text("r0 = 0\nloop:\nr0 += 1\ngoto loop\n", NULL, 0, false, 1000, &r0), -EFAULT);
	CHECK_CONTAINS(exobpf_errmsg(), "budget of 1000 exhausted");
	CHECK_EQ(run_text("r0 = 0\nloop:\nr0 += 1\ngoto loop\n", NULL, 0, true, 50, &r0), -EFAULT);
	CHECK_EQ(run_text("r0 = 3\nexit\n", NULL, 0, false, 2, &r0), 0);
	CHECK_EQ(run_text("r0 = 3\nexit\n", NULL, 0, false, 1, &r0), -EFAULT);
}

TEST(call_depth_limited_to_eight_frames)
{
	uint64_t r0;
	/* 7 nested calls (8 frames) work; 8 nested calls do not */
	const char *ok = "call a\nexit\na:\ncall b\nexit\nb:\ncall c\nexit\nc:\ncall d\nexit\n"
			 "d:\ncall e\nexit\ne:\ncall f\nexit\nf:\ncall g\nexit\ng:\nr0 = 7\nexit\n";
	const char *deep = "call a\nexit\na:\ncall b\nexit\nb:\ncall c\nexit\nc:\ncall d\nexit\n"
			   "d:\ncall e\nexit\ne:\ncall f\nexit\nf:\ncall g\nexit\ng:\ncall h\nexit\n"
			   "h:\nr0 = 8\nexit\n";
	for (int mode = 0; mode < 2; mode++) {
		CHECK_EQ(run_text(ok, NULL, 0, mode, 0, &r0), 0);
		CHECK_EQ(r0, 7);
		CHECK_EQ(run_text(deep, NULL, 0, mode, 0, &r0), -EFAULT);
		CHECK_CONTAINS(exobpf_errmsg(), "more than 8 call frames");
	}
}

TEST(frames_have_their_own_stack)
{
	uint64_t r0;
	/* the callee writes its own r10 -8; the caller's slot is intact and reachable by pointer */
	const char *text = "*(u64 *)(r10 -8) = 11\nr1 = r10\nr1 += -8\ncall f\n"
			   "r0 = *(u64 *)(r10 -8)\nexit\n"
			   "f:\n*(u64 *)(r10 -8) = 22\nr2 = *(u64 *)(r1 +0)\n*(u64 *)(r1 +0) = 33\nr0 = r2\nexit\n";
	for (int mode = 0; mode < 2; mode++) {
		CHECK_EQ(run_text(text, NULL, 0, mode, 0, &r0), 0);
		CHECK_EQ(r0, 33);
	}
}

TEST(falling_off_the_end_is_a_fault)
{
	uint64_t r0;
	CHECK_EQ(run_text("r0 = 1\n", NULL, 0, false, 0, &r0), -EFAULT);
	CHECK_CONTAINS(exobpf_errmsg(), "ran past the last instruction");
}

TEST(jumps_outside_the_program_rejected_at_load)
{
	struct bpf_insn p[] = {{.code = 0x05, .off = 5}, {.code = 0x95}};
	struct bpf_insn q[] = {{.code = 0x05, .off = 1}, {.code = 0x18}, {0}, {.code = 0x95}};
	EXOBPF_OPTS(exobpf_prog_opts, o, .name = "j");

	CHECK(exobpf_prog__new(p, 2, &o) == NULL);
	CHECK_CONTAINS(exobpf_errmsg(), "insn 0: jump to 6 is outside the program");
	CHECK(exobpf_prog__new(q, 4, &o) == NULL); /* into lddw's second half */
	CHECK_CONTAINS(exobpf_errmsg(), "insn 0: jump to 2");
}

TEST(unimplemented_helper_rejected_at_load)
{
	struct bpf_insn p[] = {{.code = 0x85, .imm = 9999}, {.code = 0x95}};
	EXOBPF_OPTS(exobpf_prog_opts, o, .name = "h");

	CHECK(exobpf_prog__new(p, 2, &o) == NULL);
	CHECK_CONTAINS(exobpf_errmsg(), "call to unknown#9999");
}

TEST(callx_calls_helpers_and_functions)
{
	uint64_t r0;
	/* r2 = 8 is bpf_get_smp_processor_id, the slot (0) */
	CHECK_EQ(run_text("r2 = 8\ncallx r2\nexit\n", NULL, 0, true, 0, &r0), 0);
	CHECK_EQ(r0, 0);
	CHECK_EQ(run_text("r2 = func[f]\ncallx r2\nr0 += 1\nexit\nf:\nr0 = 41\nexit\n", NULL, 0, true, 0, &r0), 0);
	CHECK_EQ(r0, 42);
	CHECK_EQ(run_text("r2 = 0x7fff0000\ncallx r2\nexit\n", NULL, 0, true, 0, &r0), -EFAULT);
	CHECK_CONTAINS(exobpf_errmsg(), "callx to 0x7fff0000");
}

TEST(ld_abs_reads_big_endian_and_ends_out_of_range)
{
	uint8_t pkt[6] = {0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc};
	uint64_t r0;

	CHECK_EQ(run_text("r6 = r1\nr0 = *(u16 *)skb[1]\nexit\n", pkt, 6, true, 0, &r0), 0);
	CHECK_EQ(r0, 0x3456);
	CHECK_EQ(run_text("r6 = r1\nr7 = 2\nr0 = *(u32 *)skb[r7 + 0]\nexit\n", pkt, 6, true, 0, &r0), 0);
	CHECK_EQ(r0, 0x56789abc);
	/* out of range: the program ends with r0 = 0 */
	CHECK_EQ(run_text("r6 = r1\nr0 = *(u32 *)skb[3]\nr0 = 77\nexit\n", pkt, 6, true, 0, &r0), 0);
	CHECK_EQ(r0, 0);
}

TEST(run_opts_are_validated)
{
	struct bpf_insn p[] = {{.code = 0xb7}, {.code = 0x95}};
	struct exobpf_prog *prog = exobpf_prog__new(p, 2, NULL);
	struct {
		struct exobpf_run_opts o;
		uint64_t future;
	} big;

	CHECK(prog);
	memset(&big, 0, sizeof(big));
	big.o.sz = sizeof(big);
	big.future = 1;
	CHECK_EQ(exobpf_prog__run(prog, &big.o), -EINVAL);
	CHECK_CONTAINS(exobpf_errmsg(), "unknown non-zero field");
	big.future = 0;
	CHECK_EQ(exobpf_prog__run(prog, &big.o), 0);
	EXOBPF_OPTS(exobpf_run_opts, o, .data_size_in = 4);
	CHECK_EQ(exobpf_prog__run(prog, &o), -EINVAL);
	exobpf_prog__free(prog);
	CHECK(exobpf_prog__new(p, 0, NULL) == NULL);
	CHECK(exobpf_prog__new(NULL, 3, NULL) == NULL);
}
