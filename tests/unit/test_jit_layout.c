/* How the JIT lays out verified code (src/jit/analysis.c, codegen.c):
 * constant moves needed only where a jump is taken, set out of line
 * (JIT_FACT_SUNK); the red-zone frame of a direct program (plan_direct);
 * gotos that become copies of the short block they lead to (goto_block).
 * Each program is verified as XDP and run on packets that pass every bounds
 * check and on packets that fail one, by the JIT and by the interpreter;
 * both must give the value worked out here (and Linux's, where bpf()
 * works), and the machine code must have the shape the case says. */
#include <stdio.h>
#include <string.h>

#include "exobpf/exobpf.h"
#include "test.h"
#include "xdp_three.h"

#define PKT_MAX 64

/* Linux's XDP test run takes no packet shorter than an Ethernet header. */
static const uint32_t lens[] = {64, 30, 14};
#define NLENS (sizeof(lens) / sizeof(lens[0]))

static uint8_t pkt[PKT_MAX];

/* r2 = data, r3 = data_end, r4 = data + 20, r5 = data + 40. */
static const char prelude[] = "r2 = *(u32 *)(r1 +0)\n"
			      "r3 = *(u32 *)(r1 +4)\n"
			      "r4 = r2\n"
			      "r4 += 20\n"
			      "r5 = r2\n"
			      "r5 += 40\n";

struct sink_case {
	const char *name, *body;
	uint32_t want[NLENS]; /* r0's low 32 bits, for each of lens */
	int sunk;	      /* constants set out of line in the machine code */
};

/* The lines of machine code under the dump's header line at head. */
static void code_under(const char *head, char *out, size_t size)
{
	const char *s = strchr(head + 1, '\n'), *e;

	out[0] = '\0';
	if (!s)
		return;
	e = strstr(s, "\n; ");
	snprintf(out, size, "%.*s", e ? (int)(e - s) : (int)strlen(s), s);
}

/* ... and under instruction i's header. */
static void block_code(const char *dump, unsigned i, char *out, size_t size)
{
	char head[32];
	const char *s;

	snprintf(head, sizeof(head), "\n; %u: ", i);
	out[0] = '\0';
	if ((s = strstr(dump, head)) != NULL)
		code_under(s, out, size);
}

/* Out-of-line blocks whose first instruction puts a constant in a
 * register and that hold no movabs: a sunk move's stub (a fault's passes an
 * address in rdx). */
static int count_set_stubs(const char *dump)
{
	int n = 0;

	for (const char *s = dump; (s = strstr(s, "\n; out of line, insn ")) != NULL; s++) {
		char code[1024];
		code_under(s, code, sizeof(code));
		const char *nl = strchr(code + 1, '\n');
		size_t len = nl ? (size_t)(nl - code) : strlen(code);
		bool sets = memmem(code, len, "  mov e", 7) || memmem(code, len, "  mov r", 7) ||
			    memmem(code, len, "  xor e", 7);
		n += sets && !strstr(code, "movabs");
	}
	return n;
}

static bool sunk_count(const char *dump, const void *arg, char *why, size_t size)
{
	int n = count_set_stubs(dump), want = *(const int *)arg;

	if (n != want)
		snprintf(why, size, "%d constants set out of line, want %d", n, want);
	return n == want;
}

/* The prelude, then body, on a packet of each of lens. */
static bool run_body(const char *name, const char *body, const uint32_t want[NLENS],
		     xt_shape_fn *shape, const void *arg, char *why, size_t size)
{
	char text[4096];

	snprintf(text, sizeof(text), "%s%s", prelude, body);
	struct xt_case x = {.name = name,
			    .text = text,
			    .pkt = pkt,
			    .lens = lens,
			    .want = want,
			    .nlens = NLENS,
			    .shape = shape,
			    .shape_arg = arg};
	return xt_run(&x, why, size);
}

static bool run_case(const struct sink_case *c, char *why, size_t size)
{
	return run_body(c->name, c->body, c->want, sunk_count, &c->sunk, why, size);
}

TEST(jit_sinks_return_codes_into_the_jumps_that_need_them)
{
	for (unsigned i = 0; i < PKT_MAX; i++)
		pkt[i] = (uint8_t)(0x35 + i * 29);
	const struct sink_case cases[] = {
	    /* clang's shape: each check sets its return code first, and the
	     * path that passes sets r0 again */
	    {"return codes",
	     "w0 = 1\n"
	     "if r4 > r3 goto out\n"
	     "w0 = 2\n"
	     "if r5 > r3 goto out\n"
	     "r0 = *(u8 *)(r2 +17)\n"
	     "out:\n"
	     "exit\n",
	     {pkt[17], 2, 1},
	     2},
	    /* instructions between the move and the jump, the register one
	     * of the callee-saved ones */
	    {"r6, with work between",
	     "r6 = 77\n"
	     "r7 = 40\n"
	     "r7 <<= 1\n"
	     "r7 += 3\n"
	     "if r5 > r3 goto out\n"
	     "r6 = r7\n"
	     "out:\n"
	     "r0 = r6\n"
	     "exit\n",
	     {83, 77, 77},
	     1},
	    /* the stub must extend as the move did: sign for r0, zero for w0 */
	    {"r0 = -2 sign-extends",
	     "r0 = -2\n"
	     "if r5 > r3 goto out\n"
	     "r0 = 5\n"
	     "out:\n"
	     "r0 >>= 32\n"
	     "exit\n",
	     {0, 0xffffffff, 0xffffffff},
	     1},
	    {"w0 = -2 zero-extends",
	     "w0 = -2\n"
	     "if r5 > r3 goto out\n"
	     "r0 = 5\n"
	     "out:\n"
	     "r0 >>= 32\n"
	     "exit\n",
	     {0, 0, 0},
	     1},
	    /* read where the jump falls through: stays in line */
	    {"live on the fall-through",
	     "w0 = 3\n"
	     "if r4 > r3 goto out\n"
	     "r0 += 4\n"
	     "out:\n"
	     "exit\n",
	     {7, 7, 3},
	     0},
	    /* read by the jump itself (the first move sinks) */
	    {"read by the jump",
	     "w0 = 0\n"
	     "if r4 > r3 goto out\n"
	     "r6 = *(u8 *)(r2 +3)\n"
	     "w0 = 100\n"
	     "if r6 < r0 goto out\n"
	     "r0 = r6\n"
	     "out:\n"
	     "exit\n",
	     {pkt[3] < 100 ? 100 : pkt[3], pkt[3] < 100 ? 100 : pkt[3], 0},
	     1},
	    /* needed by a second jump too: one stub could not serve both */
	    {"two jumps",
	     "w0 = 1\n"
	     "if r4 > r3 goto out\n"
	     "if r5 > r3 goto out\n"
	     "r0 = *(u8 *)(r2 +21)\n"
	     "out:\n"
	     "exit\n",
	     {pkt[21], 1, 1},
	     0},
	    /* a jump lands between the move and its jump: the move stays;
	     * the first move sinks into the first jump */
	    {"jump target between",
	     "w0 = 7\n"
	     "if r2 == r3 goto mid\n"
	     "w0 = 5\n"
	     "r6 = r2\n"
	     "mid:\n"
	     "r6 = r2\n"
	     "r6 += 40\n"
	     "if r6 > r3 goto out\n"
	     "r0 = *(u8 *)(r2 +2)\n"
	     "out:\n"
	     "exit\n",
	     {pkt[2], 5, 5},
	     1},
	    /* a jump the verifier proved always taken is a plain jmp, one it
	     * proved never taken emits nothing: neither may take the move */
	    {"jump always taken",
	     "w0 = 9\n"
	     "w6 = 1\n"
	     "if w6 == 1 goto out\n"
	     "w0 = 4\n"
	     "out:\n"
	     "exit\n",
	     {9, 9, 9},
	     0},
	};

	char why[512];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK_MSG(run_case(&cases[i], why, sizeof(why)), "%s", why);
}

struct frame_case {
	const char *name;
	int off; /* of the deepest stack slot */
	bool frame;
};

/* Does the prologue reserve a frame and save rbp exactly when it must? */
static bool prologue(const char *dump, const void *arg, char *why, size_t size)
{
	const struct frame_case *c = arg;
	const char *end = strstr(dump, "\n; 0:");
	if (!end) {
		snprintf(why, size, "no instruction 0 in the dump");
		return false;
	}
	size_t len = (size_t)(end - dump);
	bool sub = memmem(dump, len, "sub rsp", 7), rbp = memmem(dump, len, "rbp", 3);
	if (sub != c->frame || rbp != c->frame)
		snprintf(why, size, "prologue reserves a frame: %d, saves rbp: %d, want %d", sub,
			 rbp, c->frame);
	return sub == c->frame && rbp == c->frame;
}

/* The packet's first 8 bytes through the deepest slot and 4 more through
 * the top one, folded to 32 bits. */
static bool run_frame_case(const struct frame_case *c, char *why, size_t size)
{
	char text[1024];
	uint64_t w = 0;
	uint32_t w32 = 0, want;

	for (int b = 7; b >= 0; b--) /* x86 and BPF on it: little-endian */
		w = w << 8 | pkt[b];
	for (int b = 11; b >= 8; b--)
		w32 = w32 << 8 | pkt[b];
	want = (uint32_t)(w ^ w >> 32) + w32;
	if (c->off == -8) /* the u32 at -4 overwrote the slot's top half */
		want = ((uint32_t)w ^ w32) + w32;
	snprintf(text, sizeof(text),
		 "%s"
		 "w0 = 0\n"
		 "if r4 > r3 goto out\n"
		 "r6 = *(u64 *)(r2 +0)\n"
		 "*(u64 *)(r10 %d) = r6\n"
		 "r6 = *(u32 *)(r2 +8)\n"
		 "*(u32 *)(r10 -4) = r6\n"
		 "r0 = *(u64 *)(r10 %d)\n"
		 "r7 = r0\n"
		 "r7 >>= 32\n"
		 "r0 ^= r7\n"
		 "r7 = *(u32 *)(r10 -4)\n"
		 "r0 += r7\n"
		 "out:\n"
		 "exit\n",
		 prelude, c->off, c->off);
	return xt_run_one(c->name, text, pkt, PKT_MAX, want, prologue, c, why, size);
}

TEST(jit_direct_program_with_small_stack_uses_the_red_zone)
{
	/* 128 bytes is the red zone's size: one more slot needs a frame */
	static const struct frame_case cases[] = {
	    {"128 bytes", -128, false}, {"136 bytes", -136, true}, {"8 bytes", -8, false}};
	char why[512];

	for (unsigned i = 0; i < PKT_MAX; i++)
		pkt[i] = (uint8_t)(0x11 + i * 13);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK_MSG(run_frame_case(&cases[i], why, sizeof(why)), "%s", why);
}

static int count_lines(const char *s)
{
	int n = 0;
	for (; (s = strchr(s, '\n')) != NULL; s++)
		n++;
	return n;
}

struct copy_case {
	const char *name, *body;
	unsigned jump;	   /* the goto */
	const char *holds; /* what its code must hold, or NULL: one jmp */
};

/* Does the goto's code hold what the case says (or only one jmp)? */
static bool goto_code(const char *dump, const void *arg, char *why, size_t size)
{
	const struct copy_case *c = arg;
	char code[4096];

	block_code(dump, c->jump, code, sizeof(code));
	bool ok = c->holds ? strstr(code, c->holds) != NULL
			   : count_lines(code) == 1 && strstr(code, "  jmp ") != NULL;
	if (!ok)
		snprintf(why, size, "the goto's code is:%s\nwant %s", code,
			 c->holds ? c->holds : "one jmp");
	return ok;
}

static bool run_copy_case(const struct copy_case *c, const uint32_t want[NLENS], char *why,
			  size_t size)
{
	return run_body(c->name, c->body, want, goto_code, c, why, size);
}

/* The two loops below, in C: ten rounds on w0 from 1000, divided by the
 * packet's first byte (x / 0 is 0 in BPF). */
static uint32_t loop_model(uint8_t d)
{
	uint32_t r0 = 1000;
	for (uint32_t i = 0; i < 10; i++) {
		if (i > 5)
			r0 = (r0 ^ i) * 3;
		else
			r0 += i;
		r0 += d ? r0 / d : 0;
	}
	return r0;
}

TEST(jit_copies_short_blocks_a_goto_leads_to)
{
	/* the arms of a branch meet at a latch that jumps back while "not
	 * equal": the goto of the first arm becomes a copy of the latch,
	 * division (and its check of the divisor) included */
	static const char loop_ne[] = "w0 = 0\n"	      /* 6 */
				      "if r4 > r3 goto out\n" /* 7 */
				      "r6 = *(u8 *)(r2 +0)\n" /* 8 */
				      "w7 = 0\n"	      /* 9 */
				      "w0 = 1000\n"	      /* 10 */
				      "head:\n"
				      "if w7 > 5 goto odd\n" /* 11 */
				      "w0 += w7\n"	     /* 12 */
				      "goto latch\n"	     /* 13 */
				      "odd:\n"
				      "w0 ^= w7\n" /* 14 */
				      "w0 *= 3\n"  /* 15 */
				      "latch:\n"
				      "w8 = w0\n"		/* 16 */
				      "w8 /= w6\n"		/* 17 */
				      "w0 += w8\n"		/* 18 */
				      "w7 += 1\n"		/* 19 */
				      "if w7 != 10 goto head\n" /* 20 */
				      "out:\n"
				      "exit\n";
	/* the same loop leaving on "equal": its jump is mostly not taken,
	 * and a copy would save nothing */
	static const char loop_eq[] = "w0 = 0\n"
				      "if r4 > r3 goto out\n"
				      "r6 = *(u8 *)(r2 +0)\n"
				      "w7 = 0\n"
				      "w0 = 1000\n"
				      "head:\n"
				      "if w7 > 5 goto odd\n"
				      "w0 += w7\n"
				      "goto latch\n" /* 13 */
				      "odd:\n"
				      "w0 ^= w7\n"
				      "w0 *= 3\n"
				      "latch:\n"
				      "w8 = w0\n"
				      "w8 /= w6\n"
				      "w0 += w8\n"
				      "w7 += 1\n"
				      "if w7 == 10 goto out\n"
				      "goto head\n"
				      "out:\n"
				      "exit\n";
	/* a goto to straight-line code and an exit: the copy returns */
	static const char to_exit[] = "w0 = 5\n"
				      "if r4 > r3 goto out\n"
				      "r0 = *(u8 *)(r2 +1)\n"
				      "if w0 > 100 goto big\n"
				      "w0 += 7\n"
				      "goto out\n" /* 11 */
				      "big:\n"
				      "w0 -= 100\n"
				      "out:\n"
				      "w0 <<= 1\n"
				      "exit\n";
	const struct copy_case cases[] = {{"latch on not equal", loop_ne, 13, "div"},
					  {"latch on equal", loop_eq, 13, NULL},
					  {"exit block", to_exit, 11, "ret"}};
	char why[1024];

	for (unsigned d = 0; d < 2; d++) {
		for (unsigned i = 0; i < PKT_MAX; i++)
			pkt[i] = (uint8_t)(0x35 + i * 29);
		pkt[0] = d ? 7 : 0; /* a divisor, and none */
		uint32_t loop[NLENS] = {loop_model(pkt[0]), loop_model(pkt[0]), 0};
		uint32_t v = pkt[1] > 100 ? pkt[1] - 100u : pkt[1] + 7u;
		uint32_t ret[NLENS] = {v << 1, v << 1, 10};
		CHECK_MSG(run_copy_case(&cases[0], loop, why, sizeof(why)), "%s", why);
		CHECK_MSG(run_copy_case(&cases[1], loop, why, sizeof(why)), "%s", why);
		CHECK_MSG(run_copy_case(&cases[2], ret, why, sizeof(why)), "%s", why);
	}
}

/* r0 while the x86 code of a fetching or/and/xor needs rax, and r10 as one
 * side of an address sum, in programs whose stack is the red zone: each
 * must leave the stack alone and keep its machine code. */
TEST(jit_red_zone_holds_under_atomics_and_sums)
{
	static const char fetch_or[] = "w0 = 0\n"
				       "if r4 > r3 goto out\n"
				       "r6 = *(u64 *)(r2 +0)\n"
				       "*(u64 *)(r10 -8) = r6\n"
				       "*(u64 *)(r10 -16) = r6\n"
				       "r7 = *(u64 *)(r2 +8)\n"
				       "r0 = 5\n"
				       "r7 = atomic64_fetch_or((u64 *)(r10 -16), r7)\n"
				       "r1 = *(u64 *)(r10 -8)\n"
				       "r0 += r1\n"
				       "r1 = *(u64 *)(r10 -16)\n"
				       "r0 ^= r1\n"
				       "r0 ^= r7\n"
				       "r1 = r0\n"
				       "r1 >>= 32\n"
				       "r0 ^= r1\n"
				       "out:\n"
				       "exit\n";
	static const char fetch_and32[] = "w0 = 0\n"
					  "if r4 > r3 goto out\n"
					  "r6 = *(u32 *)(r2 +0)\n"
					  "*(u32 *)(r10 -4) = r6\n"
					  "*(u32 *)(r10 -8) = r6\n"
					  "r7 = *(u32 *)(r2 +4)\n"
					  "w0 = 9\n"
					  "r7 = atomic_fetch_and((u32 *)(r10 -8), r7)\n"
					  "r1 = *(u32 *)(r10 -4)\n"
					  "w0 += w1\n"
					  "r1 = *(u32 *)(r10 -8)\n"
					  "w0 ^= w1\n"
					  "w0 += w7\n"
					  "out:\n"
					  "exit\n";
	/* clang's "r1 = -8; r1 += r10" for a variable stack address, as a
	 * sum whose other side is r10 */
	static const char sum[] = "w0 = 0\n"
				  "if r4 > r3 goto out\n"
				  "r6 = *(u64 *)(r2 +0)\n"
				  "*(u64 *)(r10 -8) = r6\n"
				  "r6 = *(u8 *)(r2 +9)\n"
				  "r6 &= 8\n"
				  "r6 += -16\n"
				  "*(u64 *)(r10 -16) = r6\n"
				  "r1 = r6\n"
				  "r1 += r10\n"
				  "r0 = *(u64 *)(r1 +0)\n"
				  "r1 = r0\n"
				  "r1 >>= 32\n"
				  "r0 ^= r1\n"
				  "out:\n"
				  "exit\n";
	static const struct frame_case no_frame = {"red zone", -16, false};
	char why[1024];

	for (unsigned i = 0; i < PKT_MAX; i++)
		pkt[i] = (uint8_t)(0x5a + i * 41);
	uint64_t w = 0, v = 0;
	for (int b = 7; b >= 0; b--) /* little-endian, as x86 and BPF on it read it */
		w = w << 8 | pkt[b], v = v << 8 | pkt[8 + b];
	uint64_t x = ((5 + w) ^ (w | v)) ^ w;
	uint32_t w4 = (uint32_t)w, v4 = (uint32_t)(w >> 32); /* bytes 0-3, 4-7 */
	uint64_t slot =
	    (pkt[9] & 8) ? w : (uint64_t)-16; /* r10 - 8 holds w, r10 - 16 its own offset */
	uint32_t want_or[NLENS] = {(uint32_t)(x ^ x >> 32), (uint32_t)(x ^ x >> 32), 0};
	uint32_t y = ((9 + w4) ^ (w4 & v4)) + w4;
	uint32_t want_and[NLENS] = {y, y, 0};
	uint32_t z = (uint32_t)(slot ^ slot >> 32);
	uint32_t want_sum[NLENS] = {z, z, 0};
	const struct {
		const char *name, *body;
		const uint32_t *want;
	} cases[] = {{"atomic64_fetch_or on the stack", fetch_or, want_or},
		     {"atomic_fetch_and on the stack", fetch_and32, want_and},
		     {"r10 on one side of a sum", sum, want_sum}};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK_MSG(run_body(cases[i].name, cases[i].body, cases[i].want, prologue, &no_frame,
				   why, sizeof(why)),
			  "%s", why);
}
