/* Values assembled from byte loads (JIT_FACT_WIDE_LOAD, src/jit/analysis.c):
 * each program below is verified as XDP and run by the JIT and by the
 * interpreter; both must give the value worked out here from the packet's
 * bytes (and Linux's, where bpf() works), and the machine code must keep
 * exactly the byte loads the case says: every one where combining them would
 * be wrong, none where a field is read whole. */
#include <stdio.h>
#include <string.h>

#include "exobpf/exobpf.h"
#include "test.h"
#include "xdp_three.h"

#define PKT_LEN 64

/* Bounds-checked access to 32 bytes at r2 (data); r0 is the result. */
static const char prelude[] = "r2 = *(u32 *)(r1 +0)\n"
			      "r3 = *(u32 *)(r1 +4)\n"
			      "r4 = r2\n"
			      "r4 += 32\n"
			      "if r4 > r3 goto out\n";
static const char epilogue[] = "exit\n"
			       "out:\n"
			       "r0 = 0\n"
			       "exit\n";

static uint8_t pkt[PKT_LEN];

static uint64_t be(unsigned off, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v = v << 8 | pkt[off + i];
	return v;
}

static uint64_t le(unsigned off, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = n; i-- > 0;)
		v = v << 8 | pkt[off + i];
	return v;
}

struct wide_case {
	const char *name, *body;
	uint64_t want;	/* r0 (XDP's retval: its low 32 bits) */
	int byte_loads; /* movzx ... byte ptr left in the machine code */
};

/* Does the code keep exactly *arg lines that load one byte? */
static bool byte_loads(const char *dump, const void *arg, char *why, size_t size)
{
	int n = 0, want = *(const int *)arg;

	for (const char *s = dump; (s = strstr(s, "movzx")) != NULL; s++) {
		const char *eol = strchr(s, '\n'), *b = strstr(s, "byte ptr [");
		n += b && (!eol || b < eol);
	}
	if (n != want)
		snprintf(why, size, "%d byte loads in the machine code, want %d", n, want);
	return n == want;
}

static bool run_case(const struct wide_case *c, char *why, size_t size)
{
	char text[4096];

	snprintf(text, sizeof(text), "%s%s%s", prelude, c->body, epilogue);
	return xt_run_one(c->name, text, pkt, PKT_LEN, (uint32_t)c->want, byte_loads,
			  &c->byte_loads, why, size);
}

TEST(jit_wide_loads_read_whole_fields_and_nothing_else)
{
	for (unsigned i = 0; i < PKT_LEN; i++)
		pkt[i] = (uint8_t)(0x81 + i * 37);
	uint64_t be64 = be(8, 8), le64 = le(16, 8);
	const struct wide_case cases[] = {
	    /* clang's shape for a big-endian u16, temps dead after */
	    {"be16",
	     "r6 = *(u8 *)(r2 +2)\n"
	     "w6 <<= 8\n"
	     "r7 = *(u8 *)(r2 +3)\n"
	     "w6 |= w7\n"
	     "r0 = r6\n",
	     be(2, 2), 0},
	    /* clang's shape for a big-endian u32 (ip->saddr through u8 *) */
	    {"be32",
	     "r6 = *(u8 *)(r2 +12)\n"
	     "w6 <<= 24\n"
	     "r0 = *(u8 *)(r2 +13)\n"
	     "w0 <<= 16\n"
	     "w0 |= w6\n"
	     "r6 = *(u8 *)(r2 +14)\n"
	     "w6 <<= 8\n"
	     "w0 |= w6\n"
	     "r6 = *(u8 *)(r2 +15)\n"
	     "w0 |= w6\n",
	     be(12, 4), 0},
	    {"le32",
	     "r0 = *(u8 *)(r2 +5)\n"
	     "r6 = *(u8 *)(r2 +6)\n"
	     "w6 <<= 8\n"
	     "w0 |= w6\n"
	     "r6 = *(u8 *)(r2 +7)\n"
	     "w6 <<= 16\n"
	     "w0 |= w6\n"
	     "r6 = *(u8 *)(r2 +8)\n"
	     "w6 <<= 24\n"
	     "w0 |= w6\n",
	     le(5, 4), 0},
	    /* 64 bits, folded to 32 for the return value: xor of the halves */
	    {"be64",
	     "r0 = *(u8 *)(r2 +8)\n"
	     "r0 <<= 56\n"
	     "r6 = *(u8 *)(r2 +9)\n"
	     "r6 <<= 48\n"
	     "r0 |= r6\n"
	     "r6 = *(u8 *)(r2 +10)\n"
	     "r6 <<= 40\n"
	     "r0 |= r6\n"
	     "r6 = *(u8 *)(r2 +11)\n"
	     "r6 <<= 32\n"
	     "r0 |= r6\n"
	     "r6 = *(u8 *)(r2 +12)\n"
	     "r6 <<= 24\n"
	     "r0 |= r6\n"
	     "r6 = *(u8 *)(r2 +13)\n"
	     "r6 <<= 16\n"
	     "r0 |= r6\n"
	     "r6 = *(u8 *)(r2 +14)\n"
	     "r6 <<= 8\n"
	     "r0 |= r6\n"
	     "r6 = *(u8 *)(r2 +15)\n"
	     "r0 |= r6\n"
	     "r6 = r0\n"
	     "r6 >>= 32\n"
	     "r0 ^= r6\n",
	     (be64 ^ be64 >> 32), 0},
	    {"le64",
	     "r7 = *(u8 *)(r2 +23)\n"
	     "r7 <<= 56\n"
	     "r6 = *(u8 *)(r2 +22)\n"
	     "r6 <<= 48\n"
	     "r7 |= r6\n"
	     "r6 = *(u8 *)(r2 +21)\n"
	     "r6 <<= 40\n"
	     "r7 |= r6\n"
	     "r6 = *(u8 *)(r2 +20)\n"
	     "r6 <<= 32\n"
	     "r7 |= r6\n"
	     "r6 = *(u8 *)(r2 +19)\n"
	     "r6 <<= 24\n"
	     "r7 |= r6\n"
	     "r6 = *(u8 *)(r2 +18)\n"
	     "r6 <<= 16\n"
	     "r7 |= r6\n"
	     "r6 = *(u8 *)(r2 +17)\n"
	     "r6 <<= 8\n"
	     "r7 |= r6\n"
	     "r6 = *(u8 *)(r2 +16)\n"
	     "r7 |= r6\n"
	     "r0 = r7\n"
	     "r0 >>= 32\n"
	     "r0 ^= r7\n",
	     (le64 ^ le64 >> 32), 0},
	    /* the stack: a store, then its bytes read back in another order;
	     * a stack store between packet byte loads changes nothing */
	    {"stack",
	     "r6 = *(u32 *)(r2 +24)\n"
	     "*(u32 *)(r10 -8) = r6\n"
	     "r0 = *(u8 *)(r10 -8)\n"
	     "w0 <<= 8\n"
	     "r6 = *(u8 *)(r10 -7)\n"
	     "w0 |= w6\n",
	     be(24, 2), 0},
	    {"stack store between packet loads",
	     "r0 = *(u8 *)(r2 +4)\n"
	     "w0 <<= 8\n"
	     "r7 = 7\n"
	     "*(u64 *)(r10 -8) = r7\n"
	     "r6 = *(u8 *)(r2 +5)\n"
	     "w0 |= w6\n",
	     be(4, 2), 0},
	    /* must stay bytes: a packet store between reads a changed byte */
	    {"packet store between",
	     "r0 = *(u8 *)(r2 +4)\n"
	     "w0 <<= 8\n"
	     "r6 = 0x55\n"
	     "*(u8 *)(r2 +4) = r6\n"
	     "r6 = *(u8 *)(r2 +5)\n"
	     "w0 |= w6\n"
	     "r6 = *(u8 *)(r2 +4)\n"
	     "w0 <<= 8\n"
	     "w0 |= w6\n",
	     (be(4, 2) << 8 | 0x55), 3},
	    /* an intermediate value is read again */
	    {"temp read after",
	     "r7 = *(u8 *)(r2 +1)\n"
	     "r0 = r7\n"
	     "w0 <<= 8\n"
	     "r6 = *(u8 *)(r2 +2)\n"
	     "w0 |= w6\n"
	     "w0 += w7\n",
	     (be(1, 2) + pkt[1]), 2},
	    /* the base moves between the loads */
	    {"base moves",
	     "r0 = *(u8 *)(r2 +0)\n"
	     "w0 <<= 8\n"
	     "r2 += 1\n"
	     "r6 = *(u8 *)(r2 +0)\n"
	     "w0 |= w6\n",
	     be(0, 2), 2},
	    /* bytes not side by side, and bytes that overlap after a shift */
	    {"gap",
	     "r0 = *(u8 *)(r2 +0)\n"
	     "w0 <<= 8\n"
	     "r6 = *(u8 *)(r2 +2)\n"
	     "w0 |= w6\n",
	     ((uint64_t)pkt[0] << 8 | pkt[2]), 2},
	    {"overlap",
	     "r0 = *(u8 *)(r2 +0)\n"
	     "r6 = *(u8 *)(r2 +1)\n"
	     "w0 |= w6\n",
	     (uint64_t)(pkt[0] | pkt[1]), 2},
	    /* a jump lands between the loads: the code after it may run alone */
	    {"jump target inside",
	     "r0 = *(u8 *)(r2 +6)\n"
	     "w0 <<= 8\n"
	     "if r3 > r4 goto mid\n"
	     "mid:\n"
	     "r6 = *(u8 *)(r2 +7)\n"
	     "w0 |= w6\n",
	     be(6, 2), 2},
	    /* three bytes are no field */
	    {"three bytes",
	     "r0 = *(u8 *)(r2 +0)\n"
	     "w0 <<= 16\n"
	     "r6 = *(u8 *)(r2 +1)\n"
	     "w6 <<= 8\n"
	     "w0 |= w6\n"
	     "r6 = *(u8 *)(r2 +2)\n"
	     "w0 |= w6\n",
	     be(0, 3), 3},
	};

	char why[512];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK_MSG(run_case(&cases[i], why, sizeof(why)), "%s", why);
}
