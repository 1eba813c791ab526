/* The differential: the same programs through the interpreter and the JIT
 * (every configuration), comparing r0, faults, messages and memory, over
 * the bpf_conformance programs, the project's own example programs and
 * reproducibly generated random programs (the seed names each one). */
#include <stdlib.h>

#include "exobpf/exobpf.h"
#include "test.h"
#include "test_jit_gen.h"
#include "test_jit_util.h"
#include "util.h"

struct dctx {
	unsigned compared, failed;
};

static void conformance_one(const char *line, void *arg)
{
	struct dctx *d = arg;
	char file[256], hex[16384], memhex[4096], why[1024];
	static uint8_t bytes[8192], mem[JT_MEM_MAX];
	long mlen = 0;

	if (json_str(line, "file", file, sizeof(file)) ||
	    json_str(line, "program_hex", hex, sizeof(hex)))
		return;
	if (json_str(line, "mem_hex", memhex, sizeof(memhex)) == 0 && memhex[0])
		mlen = hex_bytes(memhex, mem, sizeof(mem));
	long n = hex_bytes(hex, bytes, sizeof(bytes));
	if (n <= 0 || n % 8 || mlen < 0)
		return;
	int r = jt_differential((struct bpf_insn *)(void *)bytes, (size_t)n / 8, mem,
				(uint32_t)mlen, why, sizeof(why));
	if (r < 0)
		return; /* programs the decoder rejects are the negative tests' business */
	d->compared++;
	if (r == 0) {
		printf("  %s: %s\n", file, why);
		d->failed++;
	}
}

TEST(jit_differential_conformance_programs)
{
	char path[512];
	struct dctx d = {0};

	snprintf(path, sizeof(path), "%s/conformance/bpf_conformance_tests.jsonl",
		 test_shared_dir());
	CHECK_MSG(for_each_line(path, conformance_one, &d) > 0, "cannot read %s", path);
	printf("  compared %u programs\n", d.compared);
	CHECK_MSG(d.compared >= 300, "only %u programs compared", d.compared);
	CHECK_EQ(d.failed, 0);
}

TEST(jit_differential_example_programs)
{
	static const char *const files[] = {"examples/ipv4_checksum.s"};
	static const char *const mems[] = {
	    "45 00 00 3c 1c 46 40 00 40 06 b1 e6 ac 10 0a 63 ac 10 0a 0c",
	    "45 00 00 3c 1c 46 40 00 40 06 b1 e6 ac 10 0a 62 ac 10 0a 0c",
	    "45 00 00 3c",
	    "",
	};
	char why[1024];
	uint8_t mem[64];

	for (unsigned f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		FILE *fp = fopen(files[f], "r");
		char text[8192];
		CHECK_MSG(fp, "cannot open %s", files[f]);
		size_t len = fread(text, 1, sizeof(text) - 1, fp);
		fclose(fp);
		text[len] = '\0';
		struct bpf_insn *insns;
		size_t cnt;
		CHECK_MSG(!exobpf_asm(text, files[f], &insns, &cnt), "%s", exobpf_errmsg());
		for (unsigned m = 0; m < sizeof(mems) / sizeof(mems[0]); m++) {
			long n = hex_bytes(mems[m], mem, sizeof(mem));
			int r = jt_differential(insns, cnt, mem, (uint32_t)n, why, sizeof(why));
			if (r != 1)
				free(insns);
			CHECK_MSG(r == 1, "%s with memory %u: %s", files[f], m, why);
		}
		free(insns);
	}
}

/* JIT_SEEDS=N in the environment runs more (the default keeps the suite
 * quick under the sanitizers). A failure prints its seed. */
TEST(jit_differential_random_programs)
{
	static struct bpf_insn prog[GEN_MAX_INSNS], next[GEN_MAX_INSNS];
	static uint8_t mem[GEN_MEM] __attribute__((aligned(8)));
	const char *env = getenv("JIT_SEEDS");
	unsigned seeds = env ? (unsigned)strtoul(env, NULL, 0) : 300, faulted = 0, insns = 0,
		 loops = 0, tails = 0;
	char why[1024];

	for (unsigned seed = 1; seed <= seeds; seed++) {
		struct gen_src src = gen_seeded(seed);
		size_t n = gen_program(&src, prog), nn = gen_program(&src, next);
		gen_memory(&src, mem);
		insns += (unsigned)n;
		for (size_t i = 0; i < n; i++)
			if (prog[i].code == (BPF_JMP | BPF_CALL) &&
			    prog[i].imm == BPF_FUNC_tail_call) {
				tails++;
				break;
			}
		for (size_t i = 0; i < n; i++) /* by name, or its id for callx */
			if ((prog[i].code == (BPF_JMP | BPF_CALL) ||
			     prog[i].code == (BPF_ALU64 | BPF_MOV | BPF_K)) &&
			    prog[i].imm == BPF_FUNC_loop && !prog[i].src_reg) {
				loops++;
				break;
			}
		int r = jt_differential_tail(prog, n, next, nn, mem, GEN_MEM, why, sizeof(why));
		CHECK_MSG(r == 1, "seed %u (%zu insns): %s", seed, n, why);
		/* how many ended in a fault, to see the generator reaches them */
		faulted += jt_last_reference()->fault != VM_OK;
	}
	printf("  %u programs, %u instructions, %u ended in a fault, %u call bpf_loop, %u "
	       "tail-call\n",
	       seeds, insns, faulted, loops, tails);
	CHECK(faulted > 0 && faulted < seeds);
	CHECK(loops > 0);
	CHECK(tails > 0);
}
