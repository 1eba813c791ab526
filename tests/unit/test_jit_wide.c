/* Values assembled from byte loads (JIT_FACT_WIDE_LOAD, src/jit/analysis.c):
 * each program below is verified as XDP and run by the JIT and by the
 * interpreter; both must give the value worked out here from the packet's
 * bytes (and Linux's, where bpf() works), and the machine code must keep
 * exactly the byte loads the case says: every one where combining them would
 * be wrong, none where a field is read whole. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exobpf/exobpf.h"
#include "test.h"
#include "util.h"

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

/* Lines of the dump that load one byte. */
static int count_byte_loads(struct exobpf_prog *p)
{
	char *buf = NULL, line[512];
	size_t size = 0;
	int n = 0;
	FILE *f = open_memstream(&buf, &size);

	if (!f)
		return -1;
	int err = exobpf_prog__dump_jited(p, f, 0);
	fclose(f);
	if (err) {
		free(buf);
		return -1;
	}
	FILE *r = fmemopen(buf, size, "r");
	while (r && fgets(line, sizeof(line), r))
		n += strstr(line, "movzx") && strstr(line, "byte ptr [");
	if (r)
		fclose(r);
	free(buf);
	return n;
}

/* Run one case; false with why filled at the first difference. */
static bool run_case(const struct wide_case *c, char *why, size_t size)
{
	char text[4096];
	struct bpf_insn *insns = NULL;
	struct exobpf_prog *p = NULL;
	size_t cnt = 0;
	uint32_t want = (uint32_t)c->want;

	why[0] = '\0';
	snprintf(text, sizeof(text), "%s%s%s", prelude, c->body, epilogue);
	if (exobpf_asm(text, c->name, &insns, &cnt)) {
		snprintf(why, size, "%s", exobpf_errmsg());
		return false;
	}
	EXOBPF_OPTS(exobpf_prog_opts, po, .name = c->name, .type = BPF_PROG_TYPE_XDP,
		    .license = "GPL");
	p = exobpf_prog__new(insns, cnt, &po);
	if (!p) {
		snprintf(why, size, "%s", exobpf_errmsg());
	} else if (!exobpf_prog__is_jited(p)) {
		snprintf(why, size, "%s: not compiled", c->name);
	} else {
		EXOBPF_OPTS(exobpf_run_opts, jr, .data_in = pkt, .data_size_in = PKT_LEN);
		EXOBPF_OPTS(exobpf_run_opts, ir, .data_in = pkt, .data_size_in = PKT_LEN,
			    .flags = EXOBPF_RUN_INTERP);
		int je = exobpf_prog__run(p, &jr), ie = exobpf_prog__run(p, &ir);
		int loads = count_byte_loads(p);
		if (je || ie || (uint32_t)jr.retval != want || (uint32_t)ir.retval != want)
			snprintf(why, size, "%s: JIT %d %#x, interpreter %d %#x, want %#x", c->name,
				 je, (uint32_t)jr.retval, ie, (uint32_t)ir.retval, want);
		else if (loads != c->byte_loads)
			snprintf(why, size, "%s: %d byte loads in the machine code, want %d",
				 c->name, loads, c->byte_loads);
	}
	exobpf_prog__free(p);
	if (!why[0] && kbpf_available()) {
		uint32_t ret = 0;
		int fd = kbpf_prog_load(BPF_PROG_TYPE_XDP, insns, cnt, NULL, 0, 0);
		int err = fd < 0 ? fd : kbpf_test_run(fd, pkt, PKT_LEN, &ret);
		if (err || ret != want)
			snprintf(why, size, "%s: Linux %d %#x, want %#x", c->name, err, ret, want);
		if (fd >= 0)
			close(fd);
	}
	free(insns);
	return !why[0];
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
