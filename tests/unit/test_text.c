/* Disassembler and assembler: Linux's exact text, uBPF's syntax, round trips
 * in both, every assembler error, and two outside oracles: bpf_conformance's
 * own assembler output and the live kernel's verifier log. */
#include <stdlib.h>
#include <unistd.h>

#include "exobpf/exobpf.h"
#include "isa/isa.h"
#include "test.h"
#include "util.h"

static const char *dis(const struct bpf_insn *insns, size_t cnt, enum exobpf_syntax syn)
{
	static char buf[160];
	if (exobpf_insn_disasm(insns, cnt, 0, syn, buf, sizeof(buf)) < 0)
		return "(invalid)";
	return buf;
}

#define INSN(c, d, s, o, i) ((struct bpf_insn){.code = c, .dst_reg = d, .src_reg = s, .off = o, .imm = i})

/* Strings as Linux's kernel/bpf/disasm.c prints them. */
TEST(disasm_linux_golden)
{
	struct {
		struct bpf_insn insn[2];
		const char *text;
	} cases[] = {
		{{INSN(0xb7, 0, 0, 0, 0)}, "r0 = 0"},
		{{INSN(0xb4, 1, 0, 0, -1)}, "w1 = -1"},
		{{INSN(0x07, 1, 0, 0, 5)}, "r1 += 5"},
		{{INSN(0x0c, 2, 3, 0, 0)}, "w2 += w3"},
		{{INSN(0x3f, 1, 2, 1, 0)}, "r1 s/= r2"},
		{{INSN(0x94, 1, 0, 1, 7)}, "w1 s%= 7"},
		{{INSN(0xc7, 4, 0, 0, 3)}, "r4 s>>= 3"},
		{{INSN(0x87, 3, 0, 0, 0)}, "r3 = -r3"},
		{{INSN(0x84, 3, 0, 0, 0)}, "w3 = -w3"},
		{{INSN(0xbf, 1, 2, 8, 0)}, "r1 = (s8)r2"},
		{{INSN(0xbc, 1, 2, 16, 0)}, "w1 = (s16)w2"},
		{{INSN(0xdc, 1, 0, 0, 16)}, "r1 = be16 r1"},
		{{INSN(0xd4, 1, 0, 0, 64)}, "r1 = le64 r1"},
		{{INSN(0xd7, 1, 0, 0, 32)}, "r1 = bswap32 r1"},
		{{INSN(0x61, 0, 1, 0, 0)}, "r0 = *(u32 *)(r1 +0)"},
		{{INSN(0x91, 0, 1, -4, 0)}, "r0 = *(s8 *)(r1 -4)"},
		{{INSN(0x7b, 10, 1, -8, 0)}, "*(u64 *)(r10 -8) = r1"},
		{{INSN(0x62, 10, 0, -4, 42)}, "*(u32 *)(r10 -4) = 42"},
		{{INSN(0x25, 1, 0, 3, 5)}, "if r1 > 0x5 goto pc+3"},
		{{INSN(0xb6, 1, 0, -2, -1)}, "if w1 <= 0xffffffff goto pc-2"},
		{{INSN(0x6d, 1, 2, 1, 0)}, "if r1 s> r2 goto pc+1"},
		{{INSN(0x4e, 1, 2, 0, 0)}, "if w1 & w2 goto pc+0"},
		{{INSN(0x05, 0, 0, -1, 0)}, "goto pc-1"},
		{{INSN(0x06, 0, 0, 0, 100000)}, "gotol pc+100000"},
		{{INSN(0x85, 0, 0, 0, 1)}, "call bpf_map_lookup_elem#1"},
		{{INSN(0x85, 0, 0, 0, 9999)}, "call unknown#9999"},
		{{INSN(0x85, 0, 1, 0, 4)}, "call pc+4"},
		{{INSN(0x95, 0, 0, 0, 0)}, "exit"},
		{{INSN(0x18, 1, 0, 0, 0x5678), INSN(0, 0, 0, 0, 0x1234)}, "r1 = 0x123400005678"},
		{{INSN(0x18, 1, 1, 0, 3), INSN(0, 0, 0, 0, 0)}, "r1 = map[fd:3]"},
		{{INSN(0x18, 2, 2, 0, 3), INSN(0, 0, 0, 0, 8)}, "r2 = map[fd:3][0]+8"},
		{{INSN(0x20, 0, 0, 0, 12)}, "r0 = *(u32 *)skb[12]"},
		{{INSN(0x48, 0, 7, 0, 2)}, "r0 = *(u16 *)skb[r7 + 2]"},
		{{INSN(0xdb, 10, 1, -8, 0x00)}, "lock *(u64 *)(r10 -8) += r1"},
		{{INSN(0xc3, 10, 1, -4, 0x50)}, "lock *(u32 *)(r10 -4) &= r1"},
		{{INSN(0xdb, 10, 1, -8, 0x01)}, "r1 = atomic64_fetch_add((u64 *)(r10 -8), r1)"},
		{{INSN(0xc3, 10, 2, -4, 0xa1)}, "r2 = atomic_fetch_xor((u32 *)(r10 -4), r2)"},
		{{INSN(0xdb, 10, 3, -8, 0xe1)}, "r3 = atomic64_xchg((u64 *)(r10 -8), r3)"},
		{{INSN(0xc3, 10, 1, -8, 0xf1)}, "r0 = atomic_cmpxchg((u32 *)(r10 -8), r0, r1)"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK_STR(dis(cases[i].insn, 2, EXOBPF_SYNTAX_LINUX), cases[i].text);
}

TEST(disasm_ubpf_golden)
{
	struct bpf_insn a[] = {INSN(0x61, 0, 1, 4, 0)};
	struct bpf_insn b[] = {INSN(0xc3, 10, 1, -8, 0x01)};
	struct bpf_insn c[] = {INSN(0x1d, 1, 2, -3, 0)};
	struct bpf_insn d[] = {INSN(0x18, 0, 0, 0, 0x9abcdef0), INSN(0, 0, 0, 0, 0x12345678)};

	CHECK_STR(dis(a, 1, EXOBPF_SYNTAX_UBPF), "ldxw %r0, [%r1+4]");
	CHECK_STR(dis(b, 1, EXOBPF_SYNTAX_UBPF), "lock fetch add32 [%r10-8], %r1");
	CHECK_STR(dis(c, 1, EXOBPF_SYNTAX_UBPF), "jeq %r1, %r2, -3");
	CHECK_STR(dis(d, 2, EXOBPF_SYNTAX_UBPF), "lddw %r0, 0x123456789abcdef0");
}

/* A sample instruction for every row, with non-trivial operands. */
static size_t sample_row(int op, struct bpf_insn *out)
{
	const struct isa_row *row = &isa_rows[op];
	unsigned used = isa_shape_fields[row->shape];
	struct bpf_insn insn = isa_encode(
		op, used & ISA_F_DST ? (op % 9) + 1 : 0, used & ISA_F_SRC ? (op * 7) % 11 : 0,
		used & ISA_F_OFF ? (op % 2 ? -(op * 3) : op * 5) : 0,
		used & ISA_F_IMM ? (op % 2 ? -(op * 1001) : op * 77777) : 0);
	switch (row->shape) {
	case ISA_SHAPE_LDDW:
		insn.src_reg = 0;
		out[0] = insn;
		out[1] = (struct bpf_insn){.imm = -5};
		return 2;
	case ISA_SHAPE_LDABS:
	case ISA_SHAPE_LDIND:
		insn.dst_reg = 0;
		break;
	case ISA_SHAPE_ATOMIC:
		if (row->keyval == BPF_CMPXCHG && insn.src_reg == 0)
			insn.src_reg = 3;
		break;
	case ISA_SHAPE_CALL:
		insn.imm = 5;
		break;
	}
	out[0] = insn;
	return 1;
}

/* disasm(insn) assembled again gives the same bytes, in both syntaxes. */
TEST(asm_round_trips_every_row)
{
	for (int syn = 0; syn < 2; syn++) {
		for (int op = 0; op < ISA_NR_OPS; op++) {
			struct bpf_insn insn[2], *back = NULL;
			size_t n = sample_row(op, insn), cnt = 0;
			char text[160];

			if (isa_rows[op].shape == ISA_SHAPE_CALL_KFUNC && syn == EXOBPF_SYNTAX_LINUX)
				continue; /* Linux prints no operand for kfuncs it cannot name */
			CHECK_MSG(exobpf_insn_disasm(insn, n, 0, syn, text, sizeof(text)) == (int)n,
				  "disasm %s: %s", isa_rows[op].name, exobpf_errmsg());
			CHECK_MSG(exobpf_asm(text, "roundtrip", &back, &cnt) == 0,
				  "%s: '%s' does not assemble: %s", isa_rows[op].name, text,
				  exobpf_errmsg());
			bool same = cnt == n && !memcmp(back, insn, n * sizeof(*insn));
			free(back);
			CHECK_MSG(same, "%s: '%s' assembles to different bytes", isa_rows[op].name, text);
		}
	}
}

/* Linux text with the "N: (code)" prefix of logs and bpftool assembles too. */
TEST(asm_accepts_listing_prefix_and_labels)
{
	const char *text = "   0: (b7) r0 = 0\n"
			   "loop:\n"
			   "   1: (07) r0 += 1\n"
			   "if r0 < 10 goto loop\n"
			   "call bpf_ktime_get_ns\n"
			   "r1 = 5 ll\n"
			   "exit\n";
	struct bpf_insn *insns;
	size_t cnt;

	CHECK_MSG(exobpf_asm(text, "t", &insns, &cnt) == 0, "%s", exobpf_errmsg());
	CHECK_EQ(cnt, 7);
	CHECK_EQ(insns[2].code, 0xa5);
	CHECK_EQ(insns[2].off, -2);
	CHECK_EQ(insns[3].imm, 5); /* bpf_ktime_get_ns */
	CHECK_EQ(insns[4].code, 0x18);
	free(insns);
}

static void expect_asm_error(const char *text, const char *msg, bool *ok)
{
	struct bpf_insn *insns = NULL;
	size_t cnt;
	int err = exobpf_asm(text, "bad.s", &insns, &cnt);

	free(insns);
	*ok = err == -EINVAL && strstr(exobpf_errmsg(), msg);
	if (!*ok)
		printf("  '%s': got %d '%s', wanted '%s'\n", text, err, exobpf_errmsg(), msg);
}

TEST(asm_errors_name_line_and_cause)
{
	struct {
		const char *text, *msg;
	} cases[] = {
		{"mov32 %r0, 2147483648\n", "bad.s:1: immediate out of 32-bit range: 2147483648"},
		{"mov32 %r0, 0x100000000\n", "immediate out of 32-bit range: 0x100000000"},
		{"exit\nja NOT_A_LABEL\n", "bad.s:2: invalid label: NOT_A_LABEL"},
		{"lock or [%r10-8]\n", "invalid number of operands for mnemonic: or"},
		{"lock\n", "invalid number of operands for lock"},
		{"ldxq %r0, %r1\n", "invalid mnemonic: ldxq"},
		{"ldxb %r0, %r1\n", "failed to decode register and offset: %r1"},
		{"ldxb %r0, [%r1+0x10000]\n", "offset out of 16-bit range"},
		{"lddw %r0\n", "invalid number of operands for mnemonic: lddw"},
		{"or %r0, %r50\n", "invalid register r50"},
		{"r11 = 1\n", "invalid register r11"},
		{"r1 = *(u24 *)(r2 +0)\n", "expected *(SIZE *)"},
		{"if r1 ~ 3 goto pc+1\n", "expected a comparison operator"},
		{"if r1 > 3 goto pc+40000\n", "offset out of 16-bit range"},
		{"r1 = -r2\n", "negation is written r1 = -r1"},
		{"r0 = atomic64_fetch_add((u32 *)(r10 -8), r0)\n", "takes a u64 pointer"},
		{"r1 = atomic64_fetch_nand((u64 *)(r10 -8), r1)\n", "unknown atomic operation"},
		{"x:\nx:\nexit\n", "label 'x' defined twice"},
		{"r0 = 1 2\n", "unexpected text"},
		{"goto somewhere\n", "invalid label: somewhere"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool ok;
		expect_asm_error(cases[i].text, cases[i].msg, &ok);
		CHECK(ok);
	}
}

/* bpf_conformance's own assembler produced program_hex for each .data file;
 * ours must produce the same bytes from the same text. */
struct conf_ctx {
	unsigned compared, mismatched;
};

static void compare_conformance_line(const char *line, void *arg)
{
	struct conf_ctx *cc = arg;
	char file[256], hex[16384], path[512];
	uint8_t want[8192];

	if (json_str(line, "file", file, sizeof(file)) ||
	    json_str(line, "program_hex", hex, sizeof(hex)))
		return;
	snprintf(path, sizeof(path), "%s/conformance/%s", test_shared_dir(), file);
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	char text[65536] = "", line2[1024];
	bool in_asm = false;
	while (fgets(line2, sizeof(line2), f)) {
		if (!strncmp(line2, "-- ", 3)) {
			in_asm = !strncmp(line2, "-- asm", 6);
			continue;
		}
		if (in_asm && strlen(text) + strlen(line2) < sizeof(text) - 1)
			strcat(text, line2);
	}
	fclose(f);
	if (!text[0])
		return;
	long n = hex_bytes(hex, want, sizeof(want));
	struct bpf_insn *insns = NULL;
	size_t cnt = 0;
	cc->compared++;
	if (exobpf_asm(text, file, &insns, &cnt) || (long)(cnt * 8) != n ||
	    memcmp(insns, want, (size_t)n)) {
		printf("  %s: assembles differently from bpf_conformance (%s)\n", file,
		       exobpf_errmsg());
		cc->mismatched++;
	}
	free(insns);
}

TEST(asm_matches_bpf_conformance_assembler)
{
	char path[512];
	struct conf_ctx cc = {0};

	snprintf(path, sizeof(path), "%s/conformance/bpf_conformance_tests.jsonl", test_shared_dir());
	CHECK_MSG(for_each_line(path, compare_conformance_line, &cc) > 0, "cannot read %s", path);
	CHECK_MSG(cc.compared >= 300, "only %u programs compared", cc.compared);
	CHECK_EQ(cc.mismatched, 0);
}

/* The kernel verifier prints each instruction it checks at log level 2; our
 * Linux-syntax text must be the same, byte for byte. */
TEST(disasm_matches_kernel_verifier_log)
{
	static const char *const src =
		"r0 = 0\n"
		"r1 = 7\n"
		"w2 = -3\n"
		"r1 += 5\n"
		"r1 -= r0\n"
		"w2 *= 3\n"
		"r1 /= 2\n"
		"r1 s/= 3\n"
		"w2 s%= 5\n"
		"r1 %= 3\n"
		"r1 |= 8\n"
		"r1 &= r1\n"
		"r1 <<= 2\n"
		"r1 >>= 1\n"
		"r1 s>>= 1\n"
		"w1 ^= w2\n"
		"r3 = (s8)r1\n"
		"w3 = (s16)w1\n"
		"r3 = -r3\n"
		"r3 = be16 r3\n"
		"r3 = le32 r3\n"
		"r3 = bswap64 r3\n"
		"*(u64 *)(r10 -8) = r1\n"
		"*(u32 *)(r10 -16) = 42\n"
		"*(u16 *)(r10 -12) = r2\n"
		"*(u8 *)(r10 -10) = 1\n"
		"r4 = *(u64 *)(r10 -8)\n"
		"r5 = *(s32 *)(r10 -16)\n"
		"r5 = *(s8 *)(r10 -10)\n"
		"r4 = 1\n"
		"lock *(u64 *)(r10 -8) += r4\n"
		"lock *(u32 *)(r10 -16) |= r4\n"
		"r4 = atomic64_fetch_and((u64 *)(r10 -8), r4)\n"
		"r4 = atomic_fetch_xor((u32 *)(r10 -16), r4)\n"
		"r4 = atomic64_xchg((u64 *)(r10 -8), r4)\n"
		"r0 = atomic64_cmpxchg((u64 *)(r10 -8), r0, r4)\n"
		"r6 = 0x123456789\n"
		"if r1 > 0x5 goto pc+1\n"
		"r1 = 1\n"
		"if w1 s< w2 goto pc+0\n"
		"if r1 & 0x3 goto pc+0\n"
		"gotol pc+0\n"
		"goto pc+0\n"
		"call bpf_ktime_get_ns#5\n"
		"r0 = 0\n"
		"exit\n";
	struct bpf_insn *insns;
	size_t cnt;
	static char log[1 << 20];

	if (!kbpf_available())
		SKIP("bpf() is not usable here");
	CHECK_MSG(exobpf_asm(src, "kernel-log", &insns, &cnt) == 0, "%s", exobpf_errmsg());
	int fd = kbpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, insns, cnt, log, sizeof(log), 2);
	if (fd < 0) {
		free(insns);
		CHECK_MSG(0, "kernel rejected the sample program (%d):\n%s", fd, log);
	}
	close(fd);
	unsigned matched = 0;
	char *save = NULL;
	for (char *line = strtok_r(log, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned idx, code;
		int n = 0;
		if (sscanf(line, "%u: (%2x) %n", &idx, &code, &n) != 2 || !n || idx >= cnt)
			continue;
		char *text = line + n, *state = strstr(text, "  ");
		if (state)
			*state = '\0'; /* level 2 appends "   ; R0_w=..." */
		char ours[160];
		exobpf_insn_disasm(insns, cnt, idx, EXOBPF_SYNTAX_LINUX, ours, sizeof(ours));
		if (strcmp(text, ours)) {
			free(insns);
			CHECK_MSG(0, "insn %u: kernel '%s', exobpf '%s'", idx, text, ours);
		}
		matched++;
	}
	free(insns);
	CHECK_MSG(matched >= cnt - 2, "only %u of %zu instructions seen in the kernel log", matched, cnt);
}
