/* Bad input of every kind, in bulk: random instruction bytes through the
 * checker, converter and all engines (checked mode must never fault, the
 * engines must agree), and mangled text through the parser. Run under
 * ASan+UBSan, any memory error fails the suite. */
#include <stdlib.h>

#include "cbpf_testutil.h"
#include "test.h"

static uint64_t st = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	st ^= st << 13, st ^= st >> 7, st ^= st << 17;
	return (uint32_t)st;
}

TEST(cbpf_random_instructions_are_safe)
{
	static const uint16_t common[] = {
	    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x0c, 0x14, 0x15, 0x16, 0x1c,
	    0x1d, 0x20, 0x24, 0x25, 0x28, 0x2c, 0x2d, 0x30, 0x34, 0x35, 0x3c, 0x3d, 0x40,
	    0x44, 0x45, 0x48, 0x4c, 0x4d, 0x50, 0x54, 0x5c, 0x60, 0x61, 0x64, 0x6c, 0x74,
	    0x7c, 0x80, 0x81, 0x84, 0x87, 0x94, 0x9c, 0xa4, 0xac, 0xb1};
	struct sock_filter p[40];
	uint8_t pkt[96];
	unsigned accepted = 0, runs = 0;

	for (int i = 0; i < 40000; i++) {
		size_t n = 1 + rnd() % 40;
		for (size_t j = 0; j < n; j++) {
			p[j].code = rnd() % 10
					? common[rnd() % (sizeof(common) / sizeof(common[0]))]
					: (uint16_t)rnd();
			p[j].jt = (uint8_t)(rnd() % 8 ? rnd() % 4 : rnd());
			p[j].jf = (uint8_t)(rnd() % 8 ? rnd() % 4 : rnd());
			p[j].k = rnd() % 3   ? rnd() % 40
				 : rnd() % 2 ? (uint32_t)SKF_AD_OFF + rnd() % 70
					     : rnd();
		}
		if (rnd() % 2)
			p[n - 1] = (struct sock_filter){BPF_RET | (rnd() % 2 ? BPF_A : BPF_K), 0, 0,
							rnd()};
		enum exobpf_cbpf_kind kind = (enum exobpf_cbpf_kind)(rnd() % 3);
		EXOBPF_OPTS(exobpf_cbpf_opts, po, .kind = kind);
		struct exobpf_cbpf_prog *prog = exobpf_cbpf_prog__new(p, n, &po);
		bool ok = exobpf_cbpf_check(p, n, kind) == 0;
		/* refused only by the converter for what exobpf's packets lack */
		CHECK_MSG(!prog == !ok || (ok && errno == EOPNOTSUPP),
			  "program %d: new %p, check %d (%s)", i, (void *)prog, ok,
			  exobpf_errmsg());
		if (!prog)
			continue;
		accepted++;
		for (int r = 0; r < 4; r++) {
			uint32_t len = rnd() % sizeof(pkt);
			for (uint32_t b = 0; b < len; b++)
				pkt[b] = (uint8_t)rnd();
			struct seccomp_data sd = {
			    .nr = (int)rnd(), .arch = rnd(), .args = {rnd(), rnd()}};
			EXOBPF_OPTS(exobpf_cbpf_run_opts, fast, .pkt = pkt, .caplen = len,
				    .seccomp = &sd);
			EXOBPF_OPTS(exobpf_cbpf_run_opts, checked, .pkt = pkt, .caplen = len,
				    .seccomp = &sd, .flags = EXOBPF_RUN_CHECKED);
			EXOBPF_OPTS(exobpf_cbpf_run_opts, classic, .pkt = pkt, .caplen = len,
				    .seccomp = &sd);
			int e1 = exobpf_cbpf_prog__run(prog, &fast),
			    e2 = exobpf_cbpf_prog__run(prog, &checked);
			int e3 = exobpf_cbpf_interp(p, n, &po, &classic, NULL);
			bool random_ad = false; /* SKF_AD_RANDOM differs run to run */
			for (size_t j = 0; j < n; j++)
				random_ad |= BPF_CLASS(p[j].code) == BPF_LD &&
					     BPF_MODE(p[j].code) == BPF_ABS &&
					     p[j].k == (uint32_t)SKF_AD_OFF + SKF_AD_RANDOM;
			/* a loop may run out of its budget; then all three say so */
			CHECK_MSG(e1 == e2 && e2 == e3, "program %d: %d %d %d (%s)", i, e1, e2, e3,
				  exobpf_errmsg());
			CHECK_MSG(
			    e1 || random_ad ||
				(fast.retval == checked.retval && fast.retval == classic.retval),
			    "program %d: %u %u %u", i, fast.retval, checked.retval, classic.retval);
			runs++;
		}
		exobpf_cbpf_prog__free(prog);
	}
	printf("  40000 random programs, %u accepted, %u runs agree in all engines\n", accepted,
	       runs);
	CHECK(accepted > 1000);
}

TEST(cbpf_mangled_text_is_safe)
{
	static const char *const seeds[] = {
	    "(000) ldh      [12]\n(001) jeq      #0x800           jt 2\tjf 5\n(002) ldb      [23]\n"
	    "(003) jeq      #0x11            jt 4\tjf 5\n(004) ret      #262144\n(005) ret      "
	    "#0\n",
	    "start: ldh [12]\n jneq #0x800, drop\n ldxb 4*([14]&0xf)\n ld [x + 16]\n jset #0x1, "
	    "keep, drop\nkeep: ret #-1 ; c\n/* x */ drop: ret %a\n",
	    "{ 0x28, 0, 0, 0x0000000c },\n{ 0x15, 0, 1, 0x00000800 },\n{ 0x6, 0, 0, 0x00040000 },\n"
	    "{ 0x6, 0, 0, 0x00000000 },\n",
	    "4\n40 0 0 12\n21 0 1 2048\n6 0 0 262144\n6 0 0 0\n",
	    "4,40 0 0 12,21 0 1 2048,6 0 0 262144,6 0 0 0\n",
	};
	static const char junk[] = "(){}[]#%*&+-,:;/x0123456789abcdefMljt \t\n";
	char buf[512];
	unsigned parsed = 0;

	for (int i = 0; i < 30000; i++) {
		const char *seed = seeds[rnd() % 5];
		size_t n = strlen(seed);
		memcpy(buf, seed, n + 1);
		for (int m = 1 + (int)(rnd() % 4); m > 0; m--) {
			size_t at = rnd() % (n + 1);
			switch (rnd() % 3) {
			case 0: /* replace */
				if (at < n)
					buf[at] = rnd() % 4 ? junk[rnd() % (sizeof(junk) - 1)]
							    : (char)rnd();
				break;
			case 1: /* delete */
				if (at < n) {
					memmove(buf + at, buf + at + 1, n - at);
					n--;
				}
				break;
			default: /* insert */
				if (n + 2 < sizeof(buf)) {
					memmove(buf + at + 1, buf + at, n - at + 1);
					buf[at] = junk[rnd() % (sizeof(junk) - 1)];
					n++;
				}
				break;
			}
		}
		buf[n] = '\0';
		struct sock_filter *p;
		size_t cnt;
		int err =
		    exobpf_cbpf_parse(buf, "m", (enum exobpf_cbpf_format)(rnd() % 6), &p, &cnt);
		if (err) {
			CHECK_EQ(err, -EINVAL);
			CHECK(exobpf_errmsg()[0] == 'm');
			continue;
		}
		parsed++;
		char *text;
		CHECK(cnt > 0);
		/* whatever parsed prints, in a format that keeps every field */
		CHECK_EQ(exobpf_cbpf_format(p, cnt, EXOBPF_CBPF_FMT_DECIMAL, &text), 0);
		free(text);
		exobpf_cbpf_check(p, cnt, EXOBPF_CBPF_SOCKET);
		free(p);
	}
	printf("  30000 mangled texts, %u still parse\n", parsed);
	CHECK(parsed > 100);
}
