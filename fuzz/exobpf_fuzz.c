/* exobpf-fuzz: long-running oracle campaigns over generated programs, a
 * program's reproduction from its seed, and the fuzz targets' seed corpora.
 *
 *   exobpf-fuzz (soundness|jit|kernel|all) [--seconds N] [--count N]
 *               [--accepted N] [--seed S] [-v]
 *   exobpf-fuzz show --seed S          # the program, its verdicts, results
 *   exobpf-fuzz seeds DIR [OBJ.o...]   # seed corpora for `make fuzz`
 *
 * Program i of a campaign is generated from seed S + i, so a finding is
 * reproduced by `show --seed` with the seed it prints. Exit codes: 0 no
 * finding, 1 findings, 2 usage, 3 setup failure. */
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "exobpf/capture.h"
#include "attr_seeds.h"
#include "exobpf/exobpf.h"
#include "oracle.h"
#include "progen.h"
#include "util.h"

static int quiet(enum exobpf_print_level level, const char *fmt, va_list args)
{
	(void)level, (void)fmt, (void)args;
	return 0;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char pin_dir[64];
static volatile sig_atomic_t stop;

/* SIGINT/SIGTERM end a campaign after the current program, with its summary. */
static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

static void cleanup_pin_dir(void)
{
	if (pin_dir[0])
		test_tmpdir_done(pin_dir);
}

/* Maps are files; keep them out of the real pin directory. */
static int setup_pin_dir(void)
{
	const char *d = test_pin_tmpdir();
	if (!d)
		return -1;
	snprintf(pin_dir, sizeof(pin_dir), "%s", d);
	atexit(cleanup_pin_dir);
	return 0;
}

static void print_prog(const struct pg_prog *p, FILE *out)
{
	char line[256];
	for (uint32_t i = 0; i < p->cnt;) {
		int n = exobpf_insn_disasm(p->insns, p->cnt, i, EXOBPF_SYNTAX_LINUX, line,
					   sizeof(line));
		fprintf(out, "%4u: %s\n", i, n > 0 ? line : "(invalid)");
		i += n > 0 ? (uint32_t)n : 1;
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: exobpf-fuzz (soundness|jit|kernel|all) [--seconds N] [--count N] "
			"[--accepted N] [--seed S] [-v]\n"
			"       exobpf-fuzz show --seed S\n"
			"       exobpf-fuzz seeds DIR [OBJ.o...]\n");
}

/* Verdict disagreements with Linux, counted by their two messages. */
struct disagreement_count {
	struct oracle_disagreement d;
	uint64_t n, first_seed;
};

/* A message with its numbers (instruction indexes, offsets) as '#', so
 * one kind of disagreement is counted once. */
static void normalise(char *s)
{
	char *w = s;
	for (const char *r = s; *r; r++) {
		if (*r >= '0' && *r <= '9') {
			if (w == s || w[-1] != '#')
				*w++ = '#';
			continue;
		}
		*w++ = *r;
	}
	*w = '\0';
}

static void count_disagreement(struct disagreement_count *tab, size_t *n, size_t cap,
			       struct oracle_disagreement *d, uint64_t seed)
{
	normalise(d->exobpf_msg);
	normalise(d->linux_msg);
	for (size_t i = 0; i < *n; i++)
		if (tab[i].d.exobpf_accepts == d->exobpf_accepts &&
		    !strcmp(tab[i].d.exobpf_msg, d->exobpf_msg) &&
		    !strcmp(tab[i].d.linux_msg, d->linux_msg)) {
			tab[i].n++;
			return;
		}
	if (*n < cap)
		tab[(*n)++] = (struct disagreement_count){*d, 1, seed};
}

static int campaign(unsigned kinds, int argc, char **argv)
{
	double seconds = 0;
	uint64_t count = 0, accepted = 0, seed = 1;
	bool verbose = false;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-v"))
			verbose = true;
		else if (i + 1 < argc && !strcmp(a, "--seconds"))
			seconds = strtod(argv[++i], NULL);
		else if (i + 1 < argc && !strcmp(a, "--count"))
			count = strtoull(argv[++i], NULL, 0);
		else if (i + 1 < argc && !strcmp(a, "--accepted"))
			accepted = strtoull(argv[++i], NULL, 0);
		else if (i + 1 < argc && !strcmp(a, "--seed"))
			seed = strtoull(argv[++i], NULL, 0);
		else {
			usage();
			return 2;
		}
	}
	if (!seconds && !count && !accepted)
		count = 1000;
	if (setup_pin_dir())
		return 3;
	static struct oracle o;
	if (oracle_init(&o, kinds)) {
		fprintf(stderr, "exobpf-fuzz: %s\n", o.why);
		return 3;
	}
	if ((kinds & ORACLE_KERNEL) && !(o.kinds & ORACLE_KERNEL))
		printf("kernel oracle skipped: bpf() is refused here\n");

	static struct pg_prog p;
	static struct disagreement_count dis[256];
	signal(SIGINT, on_stop);
	signal(SIGTERM, on_stop);
	size_t ndis = 0;
	double start = now_s();
	uint64_t i = 0;
	for (;; i++) {
		if (count && i >= count)
			break;
		if (accepted && o.st.accepted >= accepted)
			break;
		if (seconds && (i & 63) == 0 && now_s() - start >= seconds)
			break;
		if (stop)
			break;
		if (i && i % 20000 == 0) { /* progress, for long campaigns */
			printf("progress: %llu programs, %llu accepted, %llu findings, %.0f s\n",
			       (unsigned long long)i, (unsigned long long)o.st.accepted,
			       (unsigned long long)o.st.findings, now_s() - start);
			fflush(stdout);
		}
		struct pg_rng rng = pg_seeded(seed + i);
		progen(&rng, &p);
		int r = oracle_run(&o, &p);
		if (r < 0) {
			fprintf(stderr, "exobpf-fuzz: seed %llu: %s\n", (unsigned long long)(seed + i),
				o.why);
			oracle_fini(&o);
			return 3;
		}
		if (r == 1) {
			printf("FINDING seed %llu: %s\n", (unsigned long long)(seed + i), o.why);
			fflush(stdout);
			if (verbose)
				print_prog(&p, stdout);
		}
		if (r == 2)
			count_disagreement(dis, &ndis, sizeof(dis) / sizeof(dis[0]), &o.last, seed + i);
	}
	const struct oracle_stats *s = &o.st;
	printf("%llu programs (seeds %llu..%llu) in %.0f s: %llu accepted, %llu rejected; "
	       "%llu carried a deliberate error (%llu of them accepted); %llu JIT-compiled\n",
	       (unsigned long long)s->programs, (unsigned long long)seed,
	       (unsigned long long)(seed + i - 1), now_s() - start, (unsigned long long)s->accepted,
	       (unsigned long long)s->rejected, (unsigned long long)s->invalid,
	       (unsigned long long)s->invalid_accepted, (unsigned long long)s->jited);
	if (o.kinds & ORACLE_KERNEL) {
		printf("Linux: %llu both accept, %llu both reject, %llu only exobpf accepts, "
		       "%llu only Linux accepts, %llu Linux internal errors\n",
		       (unsigned long long)s->both_accept, (unsigned long long)s->both_reject,
		       (unsigned long long)s->only_exobpf, (unsigned long long)s->only_linux,
		       (unsigned long long)s->linux_internal);
		for (size_t k = 0; k < ndis; k++)
			printf("  %llu x (first seed %llu) %s accepts; exobpf: \"%s\"; Linux: \"%s\"\n",
			       (unsigned long long)dis[k].n, (unsigned long long)dis[k].first_seed,
			       dis[k].d.exobpf_accepts ? "only exobpf" : "only Linux",
			       dis[k].d.exobpf_msg, dis[k].d.linux_msg);
	}
	printf("%llu findings\n", (unsigned long long)s->findings);
	oracle_fini(&o);
	return s->findings ? 1 : 0;
}

static int show(int argc, char **argv)
{
	if (argc != 2 || strcmp(argv[0], "--seed")) {
		usage();
		return 2;
	}
	uint64_t seed = strtoull(argv[1], NULL, 0);
	if (setup_pin_dir())
		return 3;
	static struct pg_prog p;
	struct pg_rng rng = pg_seeded(seed);
	progen(&rng, &p);
	printf("seed %llu: %u instructions%s%s\n", (unsigned long long)seed, p.cnt,
	       p.invalid ? ", deliberate error: " : "", p.invalid ? p.invalid_kind : "");
	print_prog(&p, stdout);
	static struct oracle o;
	if (oracle_init(&o, ORACLE_SOUND | ORACLE_JIT | ORACLE_KERNEL)) {
		fprintf(stderr, "exobpf-fuzz: %s\n", o.why);
		return 3;
	}
	int r = oracle_run(&o, &p);
	printf("exobpf: %s%s\n", o.st.accepted ? "accepted" : "rejected: ", o.exobpf_msg);
	if (!o.st.accepted || getenv("EXOBPF_FUZZ_LOG2")) { /* the verifier's log */
		static struct bpf_insn bound[PG_MAX_INSNS];
		static char log[16 << 20];
		progen_bind_maps(p.insns, p.cnt, o.fds, bound);
		EXOBPF_OPTS(exobpf_prog_opts, po, .type = BPF_PROG_TYPE_XDP, .license = "GPL",
			    .log_buf = log, .log_size = sizeof(log),
			    .log_level = getenv("EXOBPF_FUZZ_LOG2") ? 2 : 1);
		exobpf_prog__free(exobpf_prog__new(bound, p.cnt, &po));
		printf("-- exobpf's verifier log --\n%s", log);
	}
	if (o.kinds & ORACLE_KERNEL) { /* and Linux's, level 2 */
		static struct bpf_insn bound[PG_MAX_INSNS];
		static char log[16 << 20];
		progen_bind_maps(p.insns, p.cnt, o.kfds, bound);
		int fd = kbpf_prog_load(BPF_PROG_TYPE_XDP, bound, p.cnt, log, sizeof(log), 2);
		printf("-- Linux's verifier log (level 2) --\n%s", log);
		if (fd >= 0)
			close(fd);
	}
	if (r == 2)
		printf("Linux disagrees: exobpf \"%s\", Linux \"%s\"\n", o.last.exobpf_msg,
		       o.last.linux_msg);
	if (r == 1)
		printf("FINDING: %s\n", o.why);
	oracle_fini(&o);
	return r == 1 ? 1 : 0;
}

/* --- seed corpora ------------------------------------------------------- */

static int write_file(const char *dir, const char *sub, const char *name, const void *a,
		      size_t alen, const void *b, size_t blen)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s/%s", dir, sub, name);
	FILE *f = fopen(path, "wb");
	if (!f)
		return -errno;
	int ok = fwrite(a, 1, alen, f) == alen && (!blen || fwrite(b, 1, blen, f) == blen);
	return fclose(f) == 0 && ok ? 0 : -EIO;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

/* An object's .BTF and .BTF.ext as the btf target's input: the BTF's
 * length (u32), the BTF, then the BTF.ext. */
static int btf_seed(const char *dir, const char *obj)
{
	int fd = open(obj, O_RDONLY), err = -ENOENT;
	if (fd < 0)
		return -errno;
	elf_version(EV_CURRENT);
	Elf *e = elf_begin(fd, ELF_C_READ, NULL);
	size_t shstrndx;
	Elf_Data *btf = NULL, *ext = NULL;
	if (e && !elf_getshdrstrndx(e, &shstrndx)) {
		for (Elf_Scn *s = elf_nextscn(e, NULL); s; s = elf_nextscn(e, s)) {
			GElf_Shdr sh;
			const char *n;
			if (!gelf_getshdr(s, &sh) || !(n = elf_strptr(e, shstrndx, sh.sh_name)))
				continue;
			if (!strcmp(n, ".BTF"))
				btf = elf_getdata(s, NULL);
			else if (!strcmp(n, ".BTF.ext"))
				ext = elf_getdata(s, NULL);
		}
	}
	if (btf && btf->d_buf) {
		size_t len = btf->d_size + 4 + (ext && ext->d_buf ? ext->d_size : 0);
		uint8_t *buf = malloc(len);
		if (buf) {
			uint32_t n = (uint32_t)btf->d_size;
			memcpy(buf, &n, 4);
			memcpy(buf + 4, btf->d_buf, btf->d_size);
			if (ext && ext->d_buf)
				memcpy(buf + 4 + btf->d_size, ext->d_buf, ext->d_size);
			err = write_file(dir, "btf", base_name(obj), buf, len, NULL, 0);
			free(buf);
		}
	}
	if (e)
		elf_end(e);
	close(fd);
	return err;
}

static int copy_seed(const char *dir, const char *sub, const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -errno;
	static uint8_t buf[1 << 20];
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	return write_file(dir, sub, base_name(path), buf, n, NULL, 0);
}

static int attr_seed_write(const char *name, const void *buf, size_t len, void *dir)
{
	return write_file(dir, "attr", name, buf, len, NULL, 0);
}

struct verifier_seeds {
	const char *dir;
	unsigned n;
};

/* One corpus case as the verifier target's input: a program type byte,
 * then the instructions. */
static void verifier_case(const char *line, void *arg)
{
	struct verifier_seeds *vs = arg;
	static const struct {
		const char *name;
		uint8_t type;
	} types[] = {{"BPF_PROG_TYPE_XDP", BPF_PROG_TYPE_XDP},
		     {"BPF_PROG_TYPE_SCHED_CLS", BPF_PROG_TYPE_SCHED_CLS},
		     {"BPF_PROG_TYPE_TRACEPOINT", BPF_PROG_TYPE_TRACEPOINT},
		     {"BPF_PROG_TYPE_CGROUP_SKB", BPF_PROG_TYPE_CGROUP_SKB}};
	char type[64] = "", name[32];
	uint8_t buf[1 + 4096 * 8];
	size_t n = 1;
	buf[0] = BPF_PROG_TYPE_SOCKET_FILTER;
	json_str(line, "prog_type", type, sizeof(type));
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcmp(type, types[i].name))
			buf[0] = types[i].type;
	/* "insns":["hex",...] */
	const char *p = strstr(line, "\"insns\":[");
	if (!p)
		return;
	p += 9;
	while (*p == '"' && n + 8 <= sizeof(buf)) {
		char hex[17];
		memcpy(hex, p + 1, 16);
		hex[16] = '\0';
		if (hex_bytes(hex, buf + n, 8) != 8)
			return;
		n += 8;
		p += 18;
		if (*p == ',')
			p++;
	}
	snprintf(name, sizeof(name), "kv-%05u", vs->n++);
	write_file(vs->dir, "verifier", name, buf, n, NULL, 0);
}

static int seeds(int argc, char **argv)
{
	if (argc < 1) {
		usage();
		return 2;
	}
	const char *dir = argv[0];
	const char *shared = getenv("SHARED") ? getenv("SHARED") : "../shared";
	char path[4096], name[64];
	mkdir(dir, 0755);
	exobpf_set_print(quiet);

	for (int i = 1; i < argc; i++) { /* elf, btf: the test programs */
		if (copy_seed(dir, "elf", argv[i]) < 0 || btf_seed(dir, argv[i]) == -EIO) {
			fprintf(stderr, "exobpf-fuzz: seeds from %s failed\n", argv[i]);
			return 3;
		}
	}
	struct verifier_seeds vs = {dir, 0};
	snprintf(path, sizeof(path), "%s/kernel-verifier/test_verifier-6.1.jsonl", shared);
	if (for_each_line(path, verifier_case, &vs) < 0)
		fprintf(stderr, "exobpf-fuzz: no %s; verifier seeds are generated programs only\n",
			path);

	/* the asm campaign's finding 9 (docs/reliability.md), replayed by
	 * every fuzz-smoke: a kfunc call with a BTF module index, which
	 * Linux's text cannot carry */
	static const char kfunc_module[] = "call kfunc 3, 1\nexit\n";
	write_file(dir, "asm", "finding-9-kfunc-module", kfunc_module, sizeof(kfunc_module) - 1,
		   NULL, 0);

	/* generated programs: raw (verifier), as text (asm), and the packets
	 * they run on as a capture (pcap) */
	static struct pg_prog p;
	snprintf(path, sizeof(path), "%s/pcap", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/pcap/generated.pcap", dir);
	struct exobpf_capture *cap = exobpf_capture__create(path, 1 /* DLT_EN10MB */, 65535);
	for (unsigned s = 1; s <= 200; s++) {
		struct pg_rng rng = pg_seeded(s);
		uint8_t type = BPF_PROG_TYPE_XDP;
		progen(&rng, &p);
		snprintf(name, sizeof(name), "gen-%03u", s);
		write_file(dir, "verifier", name, &type, 1, p.insns, p.cnt * sizeof(struct bpf_insn));
		for (int syn = 0; syn < 2 && s <= 50; syn++) {
			size_t cap_len = 64 * p.cnt + 1, len = 0;
			char *text = malloc(cap_len), line[256];
			if (!text)
				return 3;
			for (uint32_t i = 0; i < p.cnt;) {
				int n = exobpf_insn_disasm(p.insns, p.cnt, i, (enum exobpf_syntax)syn,
							   line, sizeof(line));
				if (n <= 0)
					break;
				len += (size_t)snprintf(text + len, cap_len - len, "%.60s\n", line);
				i += (uint32_t)n;
			}
			snprintf(name, sizeof(name), "gen-%03u-%s", s, syn ? "ubpf" : "linux");
			write_file(dir, "asm", name, text, len, NULL, 0);
			free(text);
		}
		if (cap) {
			struct exobpf_packet pk = {.data = p.pkt, .caplen = PG_PKT_LEN,
						   .wirelen = PG_PKT_LEN, .sec = s};
			exobpf_capture__write(cap, &pk);
		}
		/* the generator's own input: random bytes for jit-diff and soundness */
		uint8_t raw[256];
		struct pg_rng r2 = pg_seeded(s * 7919);
		for (size_t i = 0; i < sizeof(raw); i++)
			raw[i] = (uint8_t)((r2.state += 0x9e3779b97f4a7c15ull) >> 56);
		if (s <= 64) {
			write_file(dir, "soundness", name, raw, sizeof(raw), NULL, 0);
			write_file(dir, "jit-diff", name, raw, sizeof(raw), NULL, 0);
		}
	}
	if (cap)
		exobpf_capture__close(cap);

	/* classic BPF: test expressions in every text format, then a packet */
	static const char *exprs[] = {"tcp port 80",	 "udp and dst port 53",	 "ip6",
				      "arp or icmp",	 "vlan and tcp",	 "ip[6:2] & 0x1fff = 0",
				      "ether[0] & 1 = 1", "net 10.0.0.0/8",	 "portrange 1000-2000",
				      "tcp[tcpflags] & tcp-syn != 0", "less 64", "ip proto 47"};
	static const enum exobpf_cbpf_format fmts[] = {
	    EXOBPF_CBPF_FMT_LISTING, EXOBPF_CBPF_FMT_C, EXOBPF_CBPF_FMT_DECIMAL,
	    EXOBPF_CBPF_FMT_ASM, EXOBPF_CBPF_FMT_BYTECODE};
	for (size_t e = 0; e < sizeof(exprs) / sizeof(exprs[0]); e++) {
		EXOBPF_OPTS(exobpf_cbpf_compile_opts, co);
		struct sock_filter *f;
		size_t n;
		if (exobpf_cbpf_compile(exprs[e], &co, &f, &n))
			continue;
		for (size_t k = 0; k < sizeof(fmts) / sizeof(fmts[0]); k++) {
			char *text;
			if (exobpf_cbpf_format(f, n, fmts[k], &text))
				continue;
			static const uint8_t pkt[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 8, 0,
						      0x45, 0, 0, 40, 0, 0, 0, 0, 64, 6, 0, 0, 10,
						      0, 0, 1, 10, 0, 0, 2, 0x30, 0x39, 0, 80};
			size_t tl = strlen(text) + 1; /* the NUL ends the text */
			snprintf(name, sizeof(name), "expr%02zu-fmt%zu", e, k);
			write_file(dir, "cbpf", name, text, tl, pkt, sizeof(pkt));
			free(text);
		}
		free(f);
	}
	if (attr_seeds(attr_seed_write, (void *)dir)) {
		fprintf(stderr, "exobpf-fuzz: could not write the attr seeds in %s\n", dir);
		return 3;
	}
	printf("seeds in %s: %u verifier corpus programs, %d objects\n", dir, vs.n, argc - 1);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage();
		return 2;
	}
	exobpf_set_print(quiet);
	const char *cmd = argv[1];
	if (!strcmp(cmd, "soundness"))
		return campaign(ORACLE_SOUND, argc - 2, argv + 2);
	if (!strcmp(cmd, "jit"))
		return campaign(ORACLE_SOUND | ORACLE_JIT, argc - 2, argv + 2);
	if (!strcmp(cmd, "kernel"))
		return campaign(ORACLE_KERNEL, argc - 2, argv + 2);
	if (!strcmp(cmd, "all"))
		return campaign(ORACLE_SOUND | ORACLE_JIT | ORACLE_KERNEL, argc - 2, argv + 2);
	if (!strcmp(cmd, "show"))
		return show(argc - 2, argv + 2);
	if (!strcmp(cmd, "seeds"))
		return seeds(argc - 2, argv + 2);
	usage();
	return 2;
}
