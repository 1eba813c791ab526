/* Resource limits: absurd sizes, huge programs, deep BTF, small log
 * buffers are each answered with Linux's errno and a message naming the
 * input, in bounded time and memory (the suite runs under ASan, which
 * would report an overflow of the stack or a leak). */
#include <errno.h>
#include <linux/btf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exobpf/exobpf.h"
#include "test.h"
#include "util.h"

TEST(limits_huge_maps)
{
	const char *dir = test_pin_tmpdir();
	CHECK(dir);
	/* Linux: arrays are allocated at creation (ENOMEM when they cannot
	 * be); a hash table's bucket count past U32_MAX / sizeof(bucket) and
	 * a value past KMALLOC_MAX_SIZE are E2BIG */
	CHECK_EQ(exobpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, 8, 0xffffffffu, NULL), -ENOMEM);
	CHECK_CONTAINS(exobpf_errmsg(), "map_create");
	CHECK_EQ(exobpf_map_create(BPF_MAP_TYPE_HASH, NULL, 4, 8, 0xffffffffu, NULL), -E2BIG);
	CHECK_CONTAINS(exobpf_errmsg(), "max_entries 4294967295");
	CHECK_EQ(exobpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, 1u << 31, 4, NULL), -E2BIG);
	CHECK_CONTAINS(exobpf_errmsg(), "value_size 2147483648");
	test_tmpdir_done(dir);
	if (!kbpf_available())
		SKIP("bpf() is refused here: not compared with Linux");
	CHECK_EQ(kbpf_map_create(BPF_MAP_TYPE_ARRAY, 4, 8, 0xffffffffu, 0, 0, -1), -ENOMEM);
	CHECK_EQ(kbpf_map_create(BPF_MAP_TYPE_HASH, 4, 8, 0xffffffffu, 0, 0, -1), -E2BIG);
	CHECK_EQ(kbpf_map_create(BPF_MAP_TYPE_ARRAY, 4, 1u << 31, 4, 0, 0, -1), -E2BIG);
}

TEST(limits_huge_program)
{
	/* BPF_COMPLEXITY_LIMIT_INSNS (1M) instructions for a privileged load */
	size_t n = 1000001;
	struct bpf_insn *p = calloc(n, sizeof(*p));
	CHECK(p);
	for (size_t i = 0; i < n; i++)
		p[i] = (struct bpf_insn){BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0};
	p[n - 1] = (struct bpf_insn){BPF_JMP | BPF_EXIT, 0, 0, 0, 0};
	EXOBPF_OPTS(exobpf_prog_opts, po, .type = BPF_PROG_TYPE_XDP);
	CHECK(!exobpf_prog__new(p, n, &po));
	CHECK_EQ(errno, E2BIG);
	CHECK_CONTAINS(exobpf_errmsg(), "1000001 instructions");
	free(p);
}

TEST(limits_small_log_buffer)
{
	/* a log that does not fit: Linux fails the load with ENOSPC and
	 * leaves a NUL-terminated prefix of the log */
	struct bpf_insn p[64];
	for (int i = 0; i < 63; i++)
		p[i] = (struct bpf_insn){BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, i};
	p[63] = (struct bpf_insn){BPF_JMP | BPF_EXIT, 0, 0, 0, 0};
	char log[128];
	memset(log, 'x', sizeof(log));
	EXOBPF_OPTS(exobpf_prog_opts, po, .type = BPF_PROG_TYPE_XDP, .log_buf = log,
		    .log_size = sizeof(log), .log_level = 2);
	CHECK(!exobpf_prog__new(p, 64, &po));
	CHECK_EQ(errno, ENOSPC);
	CHECK(memchr(log, '\0', sizeof(log)) != NULL);
	CHECK(strlen(log) > 0);
}

/* BTF of one int and depth modifiers, each naming the one before. */
static void *btf_chain(unsigned depth, unsigned kind, size_t *len)
{
	static const char strs[] = "\0int";
	size_t tlen = 16 + (size_t)depth * 12;
	*len = sizeof(struct btf_header) + tlen + sizeof(strs);
	uint8_t *b = calloc(1, *len);
	if (!b)
		return NULL;
	struct btf_header h = {.magic = BTF_MAGIC, .version = 1, .hdr_len = sizeof(h),
			       .type_len = (uint32_t)tlen, .str_off = (uint32_t)tlen,
			       .str_len = sizeof(strs)};
	memcpy(b, &h, sizeof(h));
	uint32_t *t = (uint32_t *)(b + sizeof(h));
	t[0] = 1, t[1] = BTF_KIND_INT << 24, t[2] = 4, t[3] = 32;
	for (unsigned i = 0; i < depth; i++)
		t[4 + 3 * i] = 0, t[5 + 3 * i] = kind << 24, t[6 + 3 * i] = i + 1;
	memcpy(b + sizeof(h) + tlen, strs, sizeof(strs));
	return b;
}

TEST(limits_deep_btf)
{
	/* 200000 nested modifiers: parsed and printed without recursing that
	 * deep; a size through so long a chain is refused (ELOOP) as Linux
	 * refuses chains past its resolve depth */
	static const unsigned kinds[] = {BTF_KIND_CONST, BTF_KIND_VOLATILE, BTF_KIND_TYPEDEF,
					 BTF_KIND_PTR};
	FILE *null = fopen("/dev/null", "w");
	CHECK(null);
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		size_t len;
		void *b = btf_chain(200000, kinds[k], &len);
		CHECK(b);
		struct exobpf_btf *btf = exobpf_btf__new(b, len);
		CHECK_MSG(btf, "kind %u: %s", kinds[k], exobpf_errmsg());
		if (btf) {
			long sz = exobpf_btf__resolve_size(btf, 200001);
			if (kinds[k] == BTF_KIND_PTR)
				CHECK_EQ(sz, 8);
			else
				CHECK_EQ(sz, -ELOOP);
			exobpf_btf__dump(btf, EXOBPF_BTF_DUMP_RAW, null);
			exobpf_btf__dump(btf, EXOBPF_BTF_DUMP_C, null);
			exobpf_btf__free(btf);
		}
		free(b);
	}
	fclose(null);
}
