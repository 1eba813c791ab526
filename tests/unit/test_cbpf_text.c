/* Classic programs as text: tcpdump's listing against libpcap's own
 * bpf_image and against the 1157 listings upstream libpcap's tests expect,
 * round trips through every format, the bpf_asm syntax, and errors that
 * name the line. */
#include <stdlib.h>

#include "cbpf/text.h"
#include "cbpf_testutil.h"
#include "pcap_oracle.h"
#include "test.h"

#define S(c, k)                                    \
	{                                          \
		(uint16_t)(c), 0, 0, (uint32_t)(k) \
	}
#define J(c, t, f, k)                              \
	{                                          \
		(uint16_t)(c), t, f, (uint32_t)(k) \
	}

static bool same_insns(const struct sock_filter *a, size_t na, const struct sock_filter *b,
		       size_t nb)
{
	if (na != nb) {
		printf("  %zu instructions, expected %zu\n", nb, na);
		return false;
	}
	for (size_t i = 0; i < na; i++)
		if (memcmp(&a[i], &b[i], sizeof(a[i]))) {
			printf("  insn %zu: {0x%x, %u, %u, 0x%x}, expected {0x%x, %u, %u, 0x%x}\n",
			       i, b[i].code, b[i].jt, b[i].jf, b[i].k, a[i].code, a[i].jt, a[i].jf,
			       a[i].k);
			return false;
		}
	return true;
}

/* exobpf's listing line is libpcap's bpf_image for every opcode byte, at
 * several places and with the k values that print differently. */
TEST(cbpf_listing_matches_libpcap_bpf_image)
{
	static const uint32_t ks[] = {0,	  1,	      15,	  0x7fffffff, 0x80000000,
				      0xffffffff, 0xfff00000, 0xffe00000, 0xfffff000, 0xfffff004,
				      0xfffff028, 0xfffff03c, 0xfffff040, 0xfffff001};
	static const int pcs[] = {0, 7, 300, 4095};
	unsigned compared = 0;
	char ours[160], theirs[256];

	for (unsigned code = 0; code < 0x100; code++)
		for (size_t k = 0; k < sizeof(ks) / sizeof(ks[0]); k++)
			for (size_t p = 0; p < sizeof(pcs) / sizeof(pcs[0]); p++) {
				struct sock_filter in = {(uint16_t)code, 3, 250, ks[k]};
				oracle_bpf_image(&in, pcs[p], theirs, sizeof(theirs));
				cbpf_listing_line(&in, (uint32_t)pcs[p], ours, sizeof(ours));
				if (code == (BPF_LDX | BPF_W | BPF_LEN)) {
					/* libpcap 1.10 does not know it; newer libpcap (and
					 * upstream's expected listings) print it this way */
					CHECK_CONTAINS(theirs, "unimp    0x81");
					CHECK_CONTAINS(ours, "ldx      #pktlen");
					continue;
				}
				CHECK_MSG(!strcmp(ours, theirs),
					  "opcode 0x%02x k 0x%x: \"%s\" vs libpcap \"%s\"", code,
					  ks[k], ours, theirs);
				compared++;
			}
	printf("  %u lines identical to libpcap's\n", compared);
}

/* The JSON string starting at s (after the opening quote), unescaped into
 * a malloc'ed buffer; *end after the closing quote. */
static char *json_string(const char *s, const char **end)
{
	size_t n = 0, cap = strlen(s) + 1;
	char *out = malloc(cap);

	for (; out && *s && *s != '"'; s++) {
		char c = *s;
		if (c == '\\') {
			switch (*++s) {
			case 'n':
				c = '\n';
				break;
			case 't':
				c = '\t';
				break;
			case 'u': /* only ASCII appears */
				c = (char)strtol((char[]){s[1], s[2], s[3], s[4], 0}, NULL, 16);
				s += 4;
				break;
			default:
				c = *s;
				break;
			}
		}
		out[n++] = c;
	}
	if (out)
		out[n] = '\0';
	*end = *s ? s + 1 : s;
	return out;
}

static void rstrip(char *s)
{
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
}

/* One listing as upstream libpcap printed it: it parses, every opcode
 * matches the "; 0x0015" comment where there is one, and exobpf prints it
 * back line for line. */
static bool check_listing(const char *listing, unsigned *lines)
{
	struct sock_filter *insns;
	size_t cnt;
	char *mine, *orig = strdup(listing), *save = NULL, *save2 = NULL;
	bool ok = true;

	if (exobpf_cbpf_parse(listing, "listing", EXOBPF_CBPF_FMT_LISTING, &insns, &cnt)) {
		printf("  %s\n", exobpf_errmsg());
		free(orig);
		return false;
	}
	if (exobpf_cbpf_format(insns, cnt, EXOBPF_CBPF_FMT_LISTING, &mine)) {
		printf("  %s\n", exobpf_errmsg());
		free(orig);
		free(insns);
		return false;
	}
	char *a = strtok_r(orig, "\n", &save), *b = strtok_r(mine, "\n", &save2);
	size_t i = 0;
	for (; a; a = strtok_r(NULL, "\n", &save)) {
		while (*a == '\t' || *a == ' ')
			a++;
		if (!*a)
			continue;
		char *semi = strchr(a, ';');
		if (semi) {
			unsigned code = (unsigned)strtoul(semi + 1, NULL, 16);
			if (i < cnt && code != insns[i].code) {
				printf("  line \"%s\": parsed opcode 0x%x\n", a, insns[i].code);
				ok = false;
			}
			*semi = '\0';
		}
		rstrip(a);
		if (!b) {
			printf("  exobpf's listing ends before \"%s\"\n", a);
			ok = false;
			break;
		}
		rstrip(b);
		if (strcmp(a, b)) {
			printf("  \"%s\" printed back as \"%s\"\n", a, b);
			ok = false;
		}
		b = strtok_r(NULL, "\n", &save2);
		i++;
		(*lines)++;
	}
	if (i != cnt) {
		printf("  %zu lines, %zu instructions\n", i, cnt);
		ok = false;
	}
	free(mine);
	free(orig);
	free(insns);
	return ok;
}

TEST(cbpf_listing_round_trips_upstream_expectations)
{
	char path[512], *json;
	size_t len;
	unsigned listings = 0, lines = 0, bad = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/pcap/libpcap_testrun/TESTrun_filter_tests.json",
		 test_shared_dir());
	CHECK_MSG((f = fopen(path, "r")), "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	len = (size_t)ftell(f);
	rewind(f);
	json = malloc(len + 1);
	CHECK(json && fread(json, 1, len, f) == len);
	fclose(f);
	json[len] = '\0';
	/* only the accepting blocks carry listings */
	char *stop = strstr(json, "\"filter_apply_blocks\"");
	for (const char *p = json; (p = strstr(p, "opt\":\"")) && (!stop || p < stop);) {
		const char *end;
		char *listing = json_string(p + 6, &end);
		CHECK(listing);
		listings++;
		if (!check_listing(listing, &lines) && bad++ < 5)
			printf("  in listing %u\n", listings);
		free(listing);
		p = end;
	}
	free(json);
	printf("  %u listings (%u lines) parse and print back as upstream libpcap printed them\n",
	       listings, lines);
	CHECK(listings > 1000);
	CHECK_EQ(bad, 0);
}

static bool round_trip_one(const struct sock_filter *p, const struct sock_filter *want, size_t n,
			   enum exobpf_cbpf_format fmt);

static const enum exobpf_cbpf_format formats[] = {EXOBPF_CBPF_FMT_LISTING, EXOBPF_CBPF_FMT_C,
						  EXOBPF_CBPF_FMT_DECIMAL, EXOBPF_CBPF_FMT_ASM,
						  EXOBPF_CBPF_FMT_BYTECODE};

/* The listing and bpf_asm print only the fields an instruction uses
 * (libpcap leaves stale k in some, e.g. tax); compare those. */
static void canonical(struct sock_filter *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint16_t c = p[i].code;
		if (BPF_CLASS(c) != BPF_JMP || BPF_OP(c) == BPF_JA)
			p[i].jt = p[i].jf = 0;
		if (c == (BPF_RET | BPF_A) || c == (BPF_LD | BPF_W | BPF_LEN) ||
		    c == (BPF_LDX | BPF_W | BPF_LEN) || BPF_CLASS(c) == BPF_MISC ||
		    c == (BPF_ALU | BPF_NEG) ||
		    ((BPF_CLASS(c) == BPF_ALU || BPF_CLASS(c) == BPF_JMP) && BPF_SRC(c) == BPF_X))
			p[i].k = 0;
	}
}

static bool round_trip(const struct sock_filter *orig, size_t n)
{
	struct sock_filter *canon = malloc(n * sizeof(*canon));

	if (!canon)
		return false;
	memcpy(canon, orig, n * sizeof(*canon));
	canonical(canon, n);
	bool ok = true;
	for (size_t f = 0; ok && f < sizeof(formats) / sizeof(formats[0]); f++) {
		bool lossy =
		    formats[f] == EXOBPF_CBPF_FMT_LISTING || formats[f] == EXOBPF_CBPF_FMT_ASM;
		ok = round_trip_one(orig, lossy ? canon : orig, n, formats[f]);
	}
	free(canon);
	return ok;
}

static bool round_trip_one(const struct sock_filter *p, const struct sock_filter *want, size_t n,
			   enum exobpf_cbpf_format fmt)
{
	char *text;
	struct sock_filter *back;
	size_t nb;

	if (exobpf_cbpf_format(p, n, fmt, &text)) {
		printf("  format %d: %s\n", fmt, exobpf_errmsg());
		return false;
	}
	for (int autod = 0; autod < 2; autod++) {
		if (exobpf_cbpf_parse(text, "rt", autod ? EXOBPF_CBPF_FMT_AUTO : fmt, &back, &nb)) {
			printf("  format %d%s: %s\n%s", fmt, autod ? " (auto)" : "",
			       exobpf_errmsg(), text);
			free(text);
			return false;
		}
		bool same = same_insns(want, n, back, nb);
		free(back);
		if (!same) {
			printf("  format %d%s:\n%s", fmt, autod ? " (auto)" : "", text);
			free(text);
			return false;
		}
	}
	free(text);
	return true;
}

TEST(cbpf_formats_round_trip)
{
	static const char *const exprs[] = {"",
					    "tcp port 80",
					    "ip and udp",
					    "ip6 and tcp port 22",
					    "vlan 8 and ip",
					    "ip[0] / (ip[1] & 3) = 1",
					    "ether[len - 1] = 0",
					    "ip protochain 17",
					    "icmp[icmptype] = icmp-echo or arp",
					    "len > 1000 and not ip6",
					    NULL};
	unsigned programs = 0;

	for (size_t e = 0; exprs[e]; e++)
		for (int opt = 0; opt < 2; opt++) {
			EXOBPF_OPTS(exobpf_cbpf_compile_opts, co, .no_optimize = opt);
			struct sock_filter *p;
			size_t n;
			CHECK_MSG(!exobpf_cbpf_compile(exprs[e], &co, &p, &n), "%s",
				  exobpf_errmsg());
			bool ok = round_trip(p, n);
			free(p);
			CHECK_MSG(ok, "'%s'", exprs[e]);
			programs++;
		}
	/* every instruction Linux accepts, with the ancillary loads, in one program */
	struct sock_filter all[200];
	size_t n = 0;
	for (unsigned code = 0; code < 0x100; code++) {
		struct sock_filter in = {(uint16_t)code, 0, 0, 7};
		if (exobpf_cbpf_check(
			(struct sock_filter[]){in, S(BPF_RET | BPF_K, 0), S(BPF_RET | BPF_K, 0)}, 3,
			EXOBPF_CBPF_SOCKET))
			continue;
		if (BPF_CLASS(code) == BPF_JMP && code != (BPF_JMP | BPF_JA))
			in.jt = 1, in.jf = 0;
		else if (code == (BPF_JMP | BPF_JA))
			in.k = 0;
		else if (BPF_CLASS(code) == BPF_RET || code == (BPF_LD | BPF_W | BPF_LEN) ||
			 code == (BPF_LDX | BPF_W | BPF_LEN) || BPF_SRC(code) == BPF_X ||
			 code == (BPF_ALU | BPF_NEG) || BPF_CLASS(code) == BPF_MISC)
			in.k = BPF_CLASS(code) == BPF_RET && code != (BPF_RET | BPF_A) ? 7 : 0;
		all[n++] = in;
	}
	for (int32_t ad = 0; ad < SKF_AD_MAX; ad += 4)
		all[n++] = (struct sock_filter)S(BPF_LD | BPF_H | BPF_ABS, SKF_AD_OFF + ad);
	all[n++] = (struct sock_filter)S(BPF_LD | BPF_W | BPF_ABS, SKF_NET_OFF + 3);
	all[n++] = (struct sock_filter)S(BPF_LD | BPF_B | BPF_IND, 0xffffff00);
	all[n++] = (struct sock_filter)S(BPF_RET | BPF_K, 0xffffffff);
	CHECK(round_trip(all, n));
	printf("  %u compiled programs and one with every instruction (%zu) round-trip through 5 "
	       "formats\n",
	       programs, n);
}

TEST(cbpf_bpf_asm_syntax)
{
	static const char text[] = "; the kernel's bpf_asm syntax\n"
				   "# a comment line\n"
				   "/* a block\n   comment */\n"
				   "start:\n"
				   "\tldh [12]\n"
				   "\tjneq #0x800, drop\n"
				   "\tldb [23]\n"
				   "\tjeq #6, tcp, drop\n"
				   "tcp:\tldxb 4*([14]&0xf)\n"
				   "\tldh [x + 16]\n"
				   "\tjlt #1024, drop\n"
				   "\tJGE #0b11, keep ; caseless, binary\n"
				   "\tld #proto\n"
				   "\tld vlan_pr\n"
				   "\tldx 4*([14]&0xf)\n"
				   "\tld [%x + 0x10]\n"
				   "\tldi #010\n"
				   "\tldxi -5\n"
				   "\tst M[3]\n"
				   "\tstx M[15]\n"
				   "\tldx len\n"
				   "\tjle x, drop\n"
				   "\tjset %x, keep, drop\n"
				   "\tmod #7\n"
				   "\tjmp keep\n"
				   "keep: ret #-1\n"
				   "drop: ret %a\n";
	static const struct sock_filter want[] = {
	    S(0x28, 12),	 J(0x15, 0, 20, 0x800), S(0x30, 23),	      J(0x15, 0, 18, 6),
	    S(0xb1, 14),	 S(0x48, 16),		J(0x35, 0, 15, 1024), J(0x35, 13, 0, 3),
	    S(0x20, 0xfffff000), S(0x20, 0xfffff030),	S(0xb1, 14),	      S(0x40, 16),
	    S(0x00, 8),		 S(0x01, 0xfffffffb),	S(0x02, 3),	      S(0x03, 15),
	    S(0x81, 0),		 J(0x2d, 0, 4, 0),	J(0x4d, 2, 3, 0),     S(0x94, 7),
	    S(0x05, 0),		 S(0x06, 0xffffffff),	S(0x16, 0),
	};
	struct sock_filter *p;
	size_t n;

	CHECK_MSG(!exobpf_cbpf_parse(text, "t.bpf", EXOBPF_CBPF_FMT_AUTO, &p, &n), "%s",
		  exobpf_errmsg());
	bool ok = same_insns(want, sizeof(want) / sizeof(want[0]), p, n);
	free(p);
	CHECK(ok);
}

TEST(cbpf_number_formats)
{
	static const struct sock_filter want[] = {S(0x28, 12), J(0x15, 0, 1, 0x800),
						  S(0x06, 262144), S(0x06, 0)};
	static const char *const texts[] = {
	    "{ 0x28, 0, 0, 0x0000000c },\n{ 0x15, 0, 1, 0x00000800 },\n{ 0x6, 0, 0, 0x00040000 },\n"
	    "{ 0x6, 0, 0, 0x00000000 },\n",
	    "struct sock_filter code[] = {\n\t{ 0x28,  0,  0, 0x0000000c },\n"
	    "\t{ 0x15,  0,  1, 0x00000800 },\n\t{ 0x06,  0,  0, 0x00040000 },\n"
	    "\t{ 0x06,  0,  0, 0000000000 },\n};\n",
	    "4\n40 0 0 12\n21 0 1 2048\n6 0 0 262144\n6 0 0 0\n",
	    "4,40 0 0 12,21 0 1 2048,6 0 0 262144,6 0 0 0\n",
	    "4,40 0 0 12,21 0 1 2048,6 0 0 262144,6 0 0 0,\n",
	    "(000) ldh      [12]\n(001) jeq      #0x800           jt 2\tjf 3\n"
	    "(002) ret      #262144\n(003) ret      #0\n",
	    NULL,
	};
	for (size_t i = 0; texts[i]; i++) {
		struct sock_filter *p;
		size_t n;
		CHECK_MSG(!exobpf_cbpf_parse(texts[i], "n", EXOBPF_CBPF_FMT_AUTO, &p, &n),
			  "text %zu: %s", i, exobpf_errmsg());
		bool ok = same_insns(want, 4, p, n);
		free(p);
		CHECK_MSG(ok, "text %zu", i);
	}
}

TEST(cbpf_parse_errors_name_the_line)
{
	static const struct {
		const char *text;
		enum exobpf_cbpf_format fmt;
		const char *msg;
	} cases[] = {
	    {"ld #1\nfrob x\n", 0, "p:2: unknown instruction 'frob'"},
	    {"ld #1\nst #3\n", 0, "p:2: 'st' does not take that operand"},
	    {"ld #1\nret x\n", 0, "p:2: ret x (opcode 0x0e) is not an instruction Linux accepts"},
	    {"jeq #1, nowhere\nret #0\n", 0, "p:1: no such label 'nowhere'"},
	    {"a1: ret #0\njeq #1, a1\n", 0, "p:2: insn #1 jumps back to 'a1' (insn #0)"},
	    {"x1: ld #1\nx1: ret #0\n", 0, "p:2: label 'x1' defined twice"},
	    {"ld #99999999999\n", 0, "p:1: number does not fit in 32 bits"},
	    {"ld #0x\n", 0, "p:1: expected a number"},
	    {"ldxb 3*([14]&0xf)\n", 0, "p:1: only 4*([k]&0xf) exists (not 3*([k]&0xf))"},
	    {"ld [x + 1\n", 0, "p:1: expected ']'"},
	    {"ld #nosuch\n", 0, "p:1: unknown extension '#nosuch'"},
	    {"ld #1 extra\n", 0, "p:1: unexpected 'extra' after the instruction"},
	    {"ret #0\nend:\n", 0, "label 'end' at the end labels no instruction"},
	    {"(000) ld #1\n(002) ret #0\n", 0, "p:2: listing line (002) is instruction 1"},
	    {"(000) jeq #1 jt 0 jf 1\n", 0, "p:1: jt 0 cannot be reached from instruction 0"},
	    {"(000) jeq #1 jt 1 jf 300\n", 0, "p:1: jf 300 cannot be reached from instruction 0"},
	    {"(000) jeq #1\n", 0, "p:1: expected 'jt <target>'"},
	    {"3\n6 0 0 0\n6 0 0 0\n", 0, "3 instructions announced, 2 given"},
	    {"2\n6 0 0 0\n6 0 0\n", 0, "the last instruction has 3 of its 4 numbers"},
	    {"1\n6 0 256 0\n", 0, "6 0 256 0: code is 16 bits, jt and jf 8"},
	    {"{ 0x6, 0, 0 },\n", 0, "p:1: an instruction needs 4 numbers"},
	    {"\n\n  ; nothing\n", 0, "p: no instructions"},
	    {"ld #1 /* open\n", 0, "unterminated /* comment"},
	    {"jeq #1, a2, a3\na2: ret #0\n", EXOBPF_CBPF_FMT_ASM, "p:1: no such label 'a3'"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sock_filter *p = NULL;
		size_t n;
		int err = exobpf_cbpf_parse(cases[i].text, "p", cases[i].fmt, &p, &n);
		free(p);
		CHECK_MSG(err == -EINVAL, "case %zu: %d", i, err);
		CHECK_MSG(strstr(exobpf_errmsg(), cases[i].msg), "case %zu: \"%s\" lacks \"%s\"", i,
			  exobpf_errmsg(), cases[i].msg);
	}
	/* far jumps: bpf_asm's own limit of 255 ahead */
	char big[8192];
	size_t o = (size_t)snprintf(big, sizeof(big), "jeq #1, far\n");
	for (int i = 0; i < 256; i++)
		o += (size_t)snprintf(big + o, sizeof(big) - o, "ld #%d\n", i);
	snprintf(big + o, sizeof(big) - o, "far: ret #0\n");
	struct sock_filter *p;
	size_t n;
	CHECK_EQ(exobpf_cbpf_parse(big, "p", 0, &p, &n), -EINVAL);
	CHECK_CONTAINS(exobpf_errmsg(), "p:1: insn #0 jumps to insn #257, which is out of range");
	/* but ja reaches anywhere */
	memcpy(big, "jmp     far", 11);
	CHECK_MSG(!exobpf_cbpf_parse(big, "p", 0, &p, &n), "%s", exobpf_errmsg());
	CHECK_EQ(p[0].k, 256);
	free(p);
}
