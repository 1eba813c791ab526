/* The verifier's rules, one hand-written program each, with Linux's verdict
 * and message (from the kernel's verifier source and its selftests); where
 * bpf() works here, the live kernel's verdict is checked too. Plus the log
 * format, context rewriting, facts, and options handling. */
#include <stdlib.h>
#include <unistd.h>

#include "exobpf/exobpf.h"
#include "test.h"
#include "util.h"
#include "verifier/facts.h"

/* Rules leave the unpriv flag out unless they need it. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

struct rule {
	const char *name;
	enum bpf_prog_type type;
	const char *text;
	const char *errstr; /* NULL: accepted */
	bool unpriv;
	bool newer_linux_accepts; /* 6.1's rule, relaxed by later kernels */
};

static const struct rule rules[] = {
	/* structure */
	{"exit missing", BPF_PROG_TYPE_SOCKET_FILTER, "r0 = 0\n", "last insn is not an exit or jmp"},
	{"unreachable", BPF_PROG_TYPE_SOCKET_FILTER, "r0 = 0\nexit\nexit\n", "unreachable insn 2"},
	{"jump out of range", BPF_PROG_TYPE_SOCKET_FILTER, "r0 = 0\ngoto +5\nexit\n",
	 "jump out of range from insn 1 to 7"},
	{"back-edge unpriv", BPF_PROG_TYPE_SOCKET_FILTER, "r0 = 0\nl:\nr0 += 1\nif r0 < 5 goto l\nexit\n",
	 "back-edge from insn 2 to 1", true},
	{"bounded loop", BPF_PROG_TYPE_SOCKET_FILTER, "r0 = 0\nl:\nr0 += 1\nif r0 < 5 goto l\nexit\n", NULL},
	{"infinite loop", BPF_PROG_TYPE_SOCKET_FILTER, "r0 = 0\nl:\nr1 = 1\nif r0 == 0 goto l\nexit\n",
	 "infinite loop detected"},
	/* registers */
	{"uninit r0", BPF_PROG_TYPE_SOCKET_FILTER, "exit\n", "R0 !read_ok"},
	{"uninit r2", BPF_PROG_TYPE_SOCKET_FILTER, "r0 = r2\nexit\n", "R2 !read_ok"},
	{"write fp", BPF_PROG_TYPE_SOCKET_FILTER, "r10 = 0\nr0 = 0\nexit\n", "frame pointer is read only"},
	{"div by zero imm", BPF_PROG_TYPE_SOCKET_FILTER, "r0 = 1\nr0 /= 0\nexit\n", "div by zero"},
	{"bad shift", BPF_PROG_TYPE_SOCKET_FILTER, "r0 = 1\nr0 <<= 64\nexit\n", "invalid shift 64"},
	/* pointer arithmetic */
	{"ptr += ptr", BPF_PROG_TYPE_SOCKET_FILTER, "r1 += r10\nr0 = 0\nexit\n", "R1 pointer += pointer prohibited"},
	{"ptr bitwise", BPF_PROG_TYPE_SOCKET_FILTER, "r1 &= 1\nr0 = 0\nexit\n",
	 "R1 bitwise operator &= on pointer prohibited"},
	{"ptr 32-bit", BPF_PROG_TYPE_SOCKET_FILTER, "w1 += 1\nr0 = 0\nexit\n", "R1 32-bit pointer arithmetic prohibited"},
	{"scalar -= ptr", BPF_PROG_TYPE_SOCKET_FILTER, "r0 = 0\nr0 -= r1\nexit\n",
	 "R0 tried to subtract pointer from scalar"},
	{"fp subtraction", BPF_PROG_TYPE_SOCKET_FILTER, "r2 = 8\nr1 = r10\nr1 -= r2\nr0 = 0\nexit\n",
	 "R1 subtraction from stack pointer prohibited"},
	/* stack */
	{"stack write ok", BPF_PROG_TYPE_SOCKET_FILTER, "*(u64 *)(r10 -8) = 7\nr0 = *(u64 *)(r10 -8)\nexit\n", NULL},
	{"stack out of bounds", BPF_PROG_TYPE_SOCKET_FILTER, "*(u64 *)(r10 -520) = 7\nr0 = 0\nexit\n",
	 "invalid write to stack R10 off=-520 size=8"},
	{"stack above fp", BPF_PROG_TYPE_SOCKET_FILTER, "*(u64 *)(r10 +0) = 7\nr0 = 0\nexit\n",
	 "invalid write to stack R10 off=0 size=8"},
	{"stack misaligned", BPF_PROG_TYPE_SOCKET_FILTER, "*(u64 *)(r10 -4) = 7\nr0 = 0\nexit\n",
	 "misaligned stack access off (0x0; 0x0)+0+-4 size 8"},
	{"spill keeps pointer", BPF_PROG_TYPE_SOCKET_FILTER,
	 "*(u64 *)(r10 -8) = r1\nr2 = *(u64 *)(r10 -8)\nr0 = *(u32 *)(r2 +0)\nexit\n", NULL},
	{"partial fill of pointer", BPF_PROG_TYPE_SOCKET_FILTER,
	 "*(u64 *)(r10 -8) = r1\nr2 = *(u32 *)(r10 -8)\nr0 = 0\nexit\n", "invalid size of register fill"},
	{"uninit stack unpriv", BPF_PROG_TYPE_SOCKET_FILTER, "r0 = *(u64 *)(r10 -8)\nexit\n",
	 "invalid read from stack R10 off=-8 size=8", true},
	/* context */
	{"ctx read len", BPF_PROG_TYPE_SOCKET_FILTER, "r0 = *(u32 *)(r1 +0)\nexit\n", NULL},
	{"ctx bad offset", BPF_PROG_TYPE_SOCKET_FILTER, "r0 = *(u32 *)(r1 +1000)\nexit\n",
	 "invalid bpf_context access off=1000 size=4"},
	{"ctx write len", BPF_PROG_TYPE_SOCKET_FILTER, "*(u32 *)(r1 +0) = r10\nr0 = 0\nexit\n",
	 "invalid bpf_context access off=0 size=4"},
	{"ctx modified", BPF_PROG_TYPE_SOCKET_FILTER, "r1 += 4\nr0 = *(u32 *)(r1 +0)\nexit\n",
	 "dereference of modified ctx ptr R1 off=4 disallowed"},
	{"ctx st", BPF_PROG_TYPE_SOCKET_FILTER, "*(u32 *)(r1 +48) = 0\nr0 = 0\nexit\n",
	 "BPF_ST stores into R1 ctx is not allowed", false, true},
	{"tracepoint common fields", BPF_PROG_TYPE_TRACEPOINT, "r0 = *(u32 *)(r1 +0)\nexit\n",
	 "invalid bpf_context access off=0 size=4"},
	{"kprobe read", BPF_PROG_TYPE_KPROBE, "r0 = *(u64 *)(r1 +80)\nexit\n", NULL},
	/* packets */
	{"xdp unchecked", BPF_PROG_TYPE_XDP, "r2 = *(u32 *)(r1 +0)\nr0 = *(u8 *)(r2 +0)\nexit\n",
	 "R2 offset is outside of the packet"},
	{"xdp checked", BPF_PROG_TYPE_XDP,
	 "r2 = *(u32 *)(r1 +0)\nr3 = *(u32 *)(r1 +4)\nr4 = r2\nr4 += 4\nif r4 > r3 goto +1\nr0 = *(u32 *)(r2 +0)\nr0 = 2\nexit\n",
	 NULL},
	{"xdp one past", BPF_PROG_TYPE_XDP,
	 "r2 = *(u32 *)(r1 +0)\nr3 = *(u32 *)(r1 +4)\nr4 = r2\nr4 += 4\nif r4 > r3 goto +1\nr0 = *(u32 *)(r2 +1)\nr0 = 2\nexit\n",
	 "invalid access to packet, off=1 size=4, R2(id=0,off=1,r=4)"},
	{"pkt_end arithmetic", BPF_PROG_TYPE_XDP, "r3 = *(u32 *)(r1 +4)\nr3 += 1\nr0 = 0\nexit\n",
	 "R3 pointer arithmetic on pkt_end prohibited"},
	{"socket filter no direct access", BPF_PROG_TYPE_SOCKET_FILTER, "r0 = *(u32 *)(r1 +76)\nexit\n",
	 "invalid bpf_context access off=76 size=4"},
	{"ld_abs in xdp", BPF_PROG_TYPE_XDP, "r6 = r1\nr0 = *(u8 *)skb[0]\nexit\n",
	 "BPF_LD_[ABS|IND] instructions not allowed for this program type"},
	{"ld_abs ok", BPF_PROG_TYPE_SOCKET_FILTER, "r6 = r1\nr0 = *(u8 *)skb[0]\nexit\n", NULL},
	/* return values, calls */
	{"cgroup_skb return range", BPF_PROG_TYPE_CGROUP_SKB, "r0 = 2\nexit\n",
	 "At program exit the register R0 has value (0x2; 0x0) should have been in (0x0; 0x1)"},
	{"unknown helper", BPF_PROG_TYPE_SOCKET_FILTER, "call 1000\nexit\n", "invalid func unknown#1000"},
	{"coarse clock in tracing", BPF_PROG_TYPE_KPROBE, "call 160\nexit\n",
	 "unknown func bpf_ktime_get_coarse_ns#160"},
	{"helper clobbers r1", BPF_PROG_TYPE_SOCKET_FILTER, "call 5\nr0 = r1\nexit\n", "R1 !read_ok"},
	{"subprog call", BPF_PROG_TYPE_SOCKET_FILTER, "r1 = 1\ncall pc+1\nexit\nr0 = r1\nr0 += 1\nexit\n", NULL},
	{"return stack pointer", BPF_PROG_TYPE_SOCKET_FILTER, "call pc+1\nexit\nr0 = r10\nexit\n",
	 "cannot return stack pointer to the caller"},
	/* unprivileged */
	{"leak pointer", BPF_PROG_TYPE_SOCKET_FILTER, "r0 = r1\nexit\n", "R0 leaks addr as return value", true},
	{"pointer compare", BPF_PROG_TYPE_SOCKET_FILTER, "r0 = 0\nif r1 > r10 goto +0\nexit\n",
	 "R10 pointer comparison prohibited", true},
};

static struct exobpf_prog *load(const struct rule *r, char *log, size_t size, struct bpf_insn **out,
				size_t *cnt)
{
	int err = exobpf_asm(r->text, r->name, out, cnt);

	if (err)
		return NULL;
	EXOBPF_OPTS(exobpf_prog_opts, o, .name = "rule", .type = r->type,
		    .flags = r->unpriv ? EXOBPF_PROG_UNPRIV : 0, .license = "GPL", .log_buf = log,
		    .log_size = (uint32_t)size, .log_level = 1);
	return exobpf_prog__new(*out, *cnt, &o);
}

TEST(verifier_rules)
{
	static char log[1 << 16];

	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		const struct rule *r = &rules[i];
		struct bpf_insn *insns = NULL;
		size_t cnt = 0;
		struct exobpf_prog *p = load(r, log, sizeof(log), &insns, &cnt);

		CHECK_MSG(insns, "%s: does not assemble: %s", r->name, exobpf_errmsg());
		if (r->errstr) {
			CHECK_MSG(!p, "%s: accepted, expected \"%s\"", r->name, r->errstr);
			CHECK_MSG(strstr(log, r->errstr), "%s: log lacks \"%s\":\n%s", r->name,
				  r->errstr, log);
		} else {
			CHECK_MSG(p, "%s: rejected: %s\n%s", r->name, exobpf_errmsg(), log);
		}
		exobpf_prog__free(p);
		free(insns);
	}
}

/* The same verdicts from the live kernel (privileged rules only: tests run
 * as root, where the kernel applies its privileged rules). */
TEST(verifier_rules_match_linux)
{
	unsigned compared = 0;

	if (!kbpf_available())
		SKIP("bpf() is not available here");
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		const struct rule *r = &rules[i];
		struct bpf_insn *insns = NULL;
		size_t cnt = 0;
		int fd;

		if (r->unpriv || r->newer_linux_accepts ||
		    exobpf_asm(r->text, r->name, &insns, &cnt))
			continue;
		fd = kbpf_prog_load(r->type, insns, cnt, NULL, 0, 0);
		if (fd >= 0)
			close(fd);
		compared++;
		CHECK_MSG((fd >= 0) == !r->errstr, "%s: Linux %s it, exobpf %s it", r->name,
			  fd >= 0 ? "accepts" : "rejects", r->errstr ? "rejects" : "accepts");
		free(insns);
	}
	CHECK(compared > 30);
}

TEST(verifier_log_format)
{
	static char log[4096];
	const struct rule r = {"log", BPF_PROG_TYPE_SOCKET_FILTER, "r0 = 0\nexit\n", NULL};
	struct bpf_insn *insns;
	size_t cnt;
	struct exobpf_prog *p;

	EXOBPF_OPTS(exobpf_prog_opts, o, .type = r.type, .log_buf = log, .log_size = sizeof(log),
		    .log_level = 2);
	CHECK(!exobpf_asm(r.text, "log", &insns, &cnt));
	p = exobpf_prog__new(insns, cnt, &o);
	free(insns);
	CHECK(p);
	exobpf_prog__free(p);
	/* Linux 6.18's format: state, instruction, ';' at column 38 */
	CHECK_CONTAINS(log, "0: R1=ctx() R10=fp0\n"
			    "0: (b7) r0 = 0                        ; R0=0\n"
			    "1: (95) exit\n"
			    "processed 2 insns (limit 1000000) max_states_per_insn 0 total_states 0 "
			    "peak_states 0 mark_read 0\n");
}

TEST(verifier_log_options)
{
	char small[512], tiny[16];
	struct bpf_insn insns[] = {{.code = BPF_JMP | BPF_EXIT}};

	/* a log_level without a buffer is refused, as Linux does */
	EXOBPF_OPTS(exobpf_prog_opts, bad, .type = BPF_PROG_TYPE_SOCKET_FILTER, .log_level = 1);
	CHECK(!exobpf_prog__new(insns, 1, &bad));
	CHECK_EQ(errno, EINVAL);
	EXOBPF_OPTS(exobpf_prog_opts, short_buf, .type = BPF_PROG_TYPE_SOCKET_FILTER,
		    .log_buf = tiny, .log_size = sizeof(tiny), .log_level = 1);
	CHECK(!exobpf_prog__new(insns, 1, &short_buf));
	CHECK_EQ(errno, EINVAL);
	/* a rejected program: the message is in exobpf_errmsg() too */
	EXOBPF_OPTS(exobpf_prog_opts, o, .name = "noexit", .type = BPF_PROG_TYPE_SOCKET_FILTER,
		    .log_buf = small, .log_size = sizeof(small), .log_level = 1);
	CHECK(!exobpf_prog__new(insns, 1, &o));
	CHECK_EQ(errno, EACCES);
	CHECK_CONTAINS(exobpf_errmsg(), "R0 !read_ok");
	CHECK_CONTAINS(small, "R0 !read_ok");
}

/* A context load is rewritten onto exobpf's xdp buffer and reads the real
 * packet; the checked interpreter finds every access inside its regions. */
TEST(verifier_xdp_runs_on_rewritten_context)
{
	const char *text = "r2 = *(u32 *)(r1 +0)\nr3 = *(u32 *)(r1 +4)\nr4 = r2\nr4 += 2\n"
			   "if r4 > r3 goto +2\nr0 = *(u16 *)(r2 +0)\nexit\nr0 = 99\nexit\n";
	uint8_t pkt[4] = {0x34, 0x12, 0, 0};
	struct bpf_insn *insns;
	size_t cnt;

	CHECK(!exobpf_asm(text, "xdp", &insns, &cnt));
	EXOBPF_OPTS(exobpf_prog_opts, o, .type = BPF_PROG_TYPE_XDP);
	struct exobpf_prog *p = exobpf_prog__new(insns, cnt, &o);
	free(insns);
	CHECK_MSG(p, "%s", exobpf_errmsg());
	for (int checked = 0; checked <= 1; checked++) {
		EXOBPF_OPTS(exobpf_run_opts, ro, .data_in = pkt, .data_size_in = 4,
			    .flags = checked ? EXOBPF_RUN_CHECKED : 0);
		CHECK_EQ(exobpf_prog__run(p, &ro), 0);
		CHECK_EQ(ro.retval, 0x1234);
		EXOBPF_OPTS(exobpf_run_opts, ro1, .data_in = pkt, .data_size_in = 1,
			    .flags = checked ? EXOBPF_RUN_CHECKED : 0);
		CHECK_EQ(exobpf_prog__run(p, &ro1), 0);
		CHECK_EQ(ro1.retval, 99); /* too short: the bounds check fails */
	}
	exobpf_prog__free(p);
}

TEST(verifier_skb_context_fields)
{
	/* len, protocol and pkt_type as BPF_PROG_TEST_RUN sets them */
	const char *text = "r0 = *(u32 *)(r1 +16)\nr2 = *(u32 *)(r1 +0)\nr0 <<= 8\nr0 |= r2\nexit\n";
	uint8_t pkt[64] = {0};
	struct bpf_insn *insns;
	size_t cnt;

	pkt[12] = 0x08; /* IPv4 */
	CHECK(!exobpf_asm(text, "skb", &insns, &cnt));
	EXOBPF_OPTS(exobpf_prog_opts, o, .type = BPF_PROG_TYPE_SCHED_CLS);
	struct exobpf_prog *p = exobpf_prog__new(insns, cnt, &o);
	free(insns);
	CHECK_MSG(p, "%s", exobpf_errmsg());
	EXOBPF_OPTS(exobpf_run_opts, ro, .data_in = pkt, .data_size_in = 64);
	CHECK_EQ(exobpf_prog__run(p, &ro), 0);
	/* protocol is the __be16 0x0800 read little-endian: 0x0008; tc sees
	 * the whole frame: len 64 */
	CHECK_EQ(ro.retval, (0x0008 << 8) | 64);
	exobpf_prog__free(p);
}

TEST(verifier_facts)
{
	const char *text = "r0 = 10\nr1 = 2\nr0 /= r1\nr2 = 0\nr0 /= 5\n*(u64 *)(r10 -8) = r0\nexit\n";
	struct bpf_insn *insns;
	size_t cnt, nfacts;

	CHECK(!exobpf_asm(text, "facts", &insns, &cnt));
	EXOBPF_OPTS(exobpf_prog_opts, o, .type = BPF_PROG_TYPE_SOCKET_FILTER);
	struct exobpf_prog *p = exobpf_prog__new(insns, cnt, &o);
	free(insns);
	CHECK_MSG(p, "%s", exobpf_errmsg());
	const struct vrf_fact *f = vrf_prog_facts(p, &nfacts);
	CHECK(f);
	CHECK_EQ(nfacts, 7);
	CHECK(f[0].flags & VRF_FACT_SEEN);
	CHECK(f[0].flags & VRF_FACT_DST_CONST);
	CHECK_EQ(f[0].dst_const, 10);
	CHECK(f[2].flags & VRF_FACT_DIV_NONZERO); /* r1 is 2 on every path */
	CHECK(f[2].flags & VRF_FACT_SRC_CONST);
	CHECK_EQ(f[2].src_const, 2);
	CHECK(!(f[2].flags & VRF_FACT_DST_CONST)); /* Linux tracks no quotients */
	CHECK(f[4].flags & VRF_FACT_DIV_NONZERO);
	CHECK(f[5].flags & VRF_FACT_MEM_SAFE);
	CHECK_EQ(f[5].mem_kind, VRF_MEM_STACK);
	struct exobpf_verifier_stats st = {.sz = sizeof(st)};
	CHECK_EQ(exobpf_prog__verifier_stats(p, &st), 0);
	CHECK_EQ(st.insn_processed, 7);
	CHECK_EQ(st.stack_depth, 8);
	exobpf_prog__free(p);
}

TEST(verifier_raw_type_unverified)
{
	/* the raw-memory type has no Linux counterpart and stays unverified */
	struct bpf_insn insns[] = {{.code = BPF_JMP | BPF_EXIT}};
	EXOBPF_OPTS(exobpf_prog_opts, o, .type = EXOBPF_PROG_TYPE_RAW);
	struct exobpf_prog *p = exobpf_prog__new(insns, 1, &o);
	size_t n;

	CHECK(p);
	CHECK(!vrf_prog_facts(p, &n));
	CHECK_EQ(n, 0);
	exobpf_prog__free(p);
}
