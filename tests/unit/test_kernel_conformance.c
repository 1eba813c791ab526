/* The live kernel as an oracle: each bpf_conformance program that needs no
 * memory is loaded into Linux as a socket filter and run with
 * BPF_PROG_TEST_RUN; its return value must equal the low 32 bits of r0 from
 * exobpf's interpreter. Skips cleanly where bpf() is refused. */
#include <stdlib.h>
#include <unistd.h>

#include "exobpf/exobpf.h"
#include "test.h"
#include "util.h"

struct kctx {
	unsigned compared, kernel_rejected, mismatched, skipped_mem;
};

static void one(const char *line, void *arg)
{
	struct kctx *k = arg;
	char file[256], hex[16384], mem[4096];
	uint8_t bytes[8192];

	if (json_str(line, "file", file, sizeof(file)) || json_str(line, "program_hex", hex, sizeof(hex)))
		return;
	if (json_str(line, "mem_hex", mem, sizeof(mem)) == 0 && mem[0]) {
		k->skipped_mem++; /* a socket filter's r1 is an skb, not this memory */
		return;
	}
	long n = hex_bytes(hex, bytes, sizeof(bytes));
	if (n <= 0 || n % 8)
		return;
	struct bpf_insn *insns = (struct bpf_insn *)(void *)bytes;
	size_t cnt = (size_t)n / 8;
	int fd = kbpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, insns, cnt, NULL, 0, 0);
	if (fd < 0) {
		k->kernel_rejected++;
		return;
	}
	uint8_t pkt[64] = {0};
	uint32_t kret = 0;
	int err = kbpf_test_run(fd, pkt, sizeof(pkt), &kret);
	close(fd);
	if (err)
		return;
	struct exobpf_prog *prog = exobpf_prog__new(insns, cnt, NULL);
	EXOBPF_OPTS(exobpf_run_opts, o, .flags = EXOBPF_RUN_CHECKED);
	if (!prog || exobpf_prog__run(prog, &o)) {
		printf("  %s: exobpf failed: %s\n", file, exobpf_errmsg());
		k->mismatched++;
	} else if ((uint32_t)o.retval != kret) {
		printf("  %s: kernel 0x%x, exobpf 0x%llx\n", file, kret, (unsigned long long)o.retval);
		k->mismatched++;
	}
	exobpf_prog__free(prog);
	k->compared++;
}

TEST(conformance_programs_match_the_kernel)
{
	char path[512];
	struct kctx k = {0};

	if (!kbpf_available())
		SKIP("bpf() is not usable here");
	snprintf(path, sizeof(path), "%s/conformance/bpf_conformance_tests.jsonl", test_shared_dir());
	CHECK_MSG(for_each_line(path, one, &k) > 0, "cannot read %s", path);
	printf("  compared %u with Linux (%u need memory, %u rejected by Linux's verifier)\n",
	       k.compared, k.skipped_mem, k.kernel_rejected);
	CHECK_MSG(k.compared >= 150, "only %u programs compared", k.compared);
	CHECK_EQ(k.mismatched, 0);
}
