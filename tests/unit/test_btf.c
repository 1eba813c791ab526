/* BTF: hand-built blobs (the layouts of Linux's Documentation/bpf/btf.rst)
 * parsed, printed and rejected with precise errors. */
#include <stdlib.h>

#include "exobpf/btf.h"
#include "test.h"

/* A tiny BTF writer for the tests: u32 words after a header, then strings. */
struct blob {
	uint32_t words[256];
	size_t nw;
	char strs[512];
	size_t ns;
	uint8_t out[4096];
	size_t size;
};

static void w(struct blob *b, uint32_t v)
{
	b->words[b->nw++] = v;
}

static uint32_t s(struct blob *b, const char *str)
{
	uint32_t off = (uint32_t)b->ns;
	if (!b->ns)
		b->strs[b->ns++] = '\0', off = 1;
	memcpy(b->strs + b->ns, str, strlen(str) + 1);
	b->ns += strlen(str) + 1;
	return off;
}

static void start(struct blob *b)
{
	memset(b, 0, sizeof(*b));
	b->strs[0] = '\0';
	b->ns = 1;
}

static uint32_t info(uint32_t kind, uint32_t vlen, bool kflag)
{
	return kind << 24 | vlen | (uint32_t)kflag << 31;
}

static struct exobpf_btf *finish(struct blob *b)
{
	struct btf_header h = {.magic = BTF_MAGIC, .version = BTF_VERSION, .hdr_len = sizeof(h)};
	h.type_len = (uint32_t)(b->nw * 4);
	h.str_off = h.type_len;
	h.str_len = (uint32_t)b->ns;
	memcpy(b->out, &h, sizeof(h));
	memcpy(b->out + sizeof(h), b->words, b->nw * 4);
	memcpy(b->out + sizeof(h) + b->nw * 4, b->strs, b->ns);
	b->size = sizeof(h) + b->nw * 4 + b->ns;
	return exobpf_btf__new(b->out, b->size);
}

/* [1] int, [2] struct pair {int a; int b[3];}, [3] array, [4] typedef */
static void good_types(struct blob *b)
{
	start(b);
	w(b, s(b, "int")), w(b, info(BTF_KIND_INT, 0, 0)), w(b, 4), w(b, BTF_INT_SIGNED << 24 | 32);
	w(b, s(b, "pair")), w(b, info(BTF_KIND_STRUCT, 2, 0)), w(b, 16);
	w(b, s(b, "a")), w(b, 1), w(b, 0);
	w(b, s(b, "b")), w(b, 3), w(b, 32);
	w(b, 0), w(b, info(BTF_KIND_ARRAY, 0, 0)), w(b, 0), w(b, 1), w(b, 1), w(b, 3);
	w(b, s(b, "pair_t")), w(b, info(BTF_KIND_TYPEDEF, 0, 0)), w(b, 2);
}

TEST(btf_parse_and_dump_raw)
{
	struct blob b;
	char *text = NULL;
	size_t len = 0;

	good_types(&b);
	struct exobpf_btf *btf = finish(&b);
	CHECK_MSG(btf, "%s", exobpf_errmsg());
	CHECK_EQ(exobpf_btf__type_cnt(btf), 5);
	CHECK_EQ(exobpf_btf__find_by_name_kind(btf, "pair", BTF_KIND_STRUCT), 2);
	CHECK_EQ(exobpf_btf__resolve_size(btf, 4), 16);
	CHECK_EQ(exobpf_btf__resolve_size(btf, 3), 12);
	FILE *f = open_memstream(&text, &len);
	CHECK_EQ(exobpf_btf__dump(btf, EXOBPF_BTF_DUMP_RAW, f), 0);
	fclose(f);
	/* bpftool's raw format */
	CHECK_STR(text, "[1] INT 'int' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED\n"
			"[2] STRUCT 'pair' size=16 vlen=2\n"
			"\t'a' type_id=1 bits_offset=0\n"
			"\t'b' type_id=3 bits_offset=32\n"
			"[3] ARRAY '(anon)' type_id=1 index_type_id=1 nr_elems=3\n"
			"[4] TYPEDEF 'pair_t' type_id=2\n");
	free(text);
	f = open_memstream(&text, &len);
	CHECK_EQ(exobpf_btf__dump(btf, EXOBPF_BTF_DUMP_C, f), 0);
	fclose(f);
	CHECK_CONTAINS(text,
		       "struct pair {\n\tint a;\n\tint b[3];\n};\n\ntypedef struct pair pair_t;\n");
	free(text);
	exobpf_btf__free(btf);
}

#define EXPECT_BAD(blob, msg)                           \
	do {                                            \
		struct exobpf_btf *bad_ = finish(blob); \
		CHECK(!bad_);                           \
		CHECK_EQ(errno, EINVAL);                \
		CHECK_CONTAINS(exobpf_errmsg(), msg);   \
	} while (0)

TEST(btf_rejects_loops)
{
	struct blob b;

	/* typedef a -> const -> typedef a */
	start(&b);
	w(&b, s(&b, "a")), w(&b, info(BTF_KIND_TYPEDEF, 0, 0)), w(&b, 2);
	w(&b, 0), w(&b, info(BTF_KIND_CONST, 0, 0)), w(&b, 1);
	EXPECT_BAD(&b, "leads back to it (a loop)");
	/* a struct that contains itself by value */
	start(&b);
	w(&b, s(&b, "s")), w(&b, info(BTF_KIND_STRUCT, 1, 0)), w(&b, 8);
	w(&b, s(&b, "self")), w(&b, 1), w(&b, 0);
	EXPECT_BAD(&b, "type [1] STRUCT 's'");
	/* pointer chains that never reach a type: ptr -> ptr -> ptr (the first) */
	start(&b);
	w(&b, 0), w(&b, info(BTF_KIND_PTR, 0, 0)), w(&b, 2);
	w(&b, 0), w(&b, info(BTF_KIND_PTR, 0, 0)), w(&b, 1);
	EXPECT_BAD(&b, "(a loop)");
	/* a prototype taking a pointer to itself (found by the fuzzer: the C
	 * printer recursed until the stack ran out) */
	start(&b);
	w(&b, s(&b, "int")), w(&b, info(BTF_KIND_INT, 0, 0)), w(&b, 4), w(&b, 32);
	w(&b, 0), w(&b, info(BTF_KIND_FUNC_PROTO, 1, 0)), w(&b, 1);
	w(&b, s(&b, "self")), w(&b, 3);
	w(&b, 0), w(&b, info(BTF_KIND_PTR, 0, 0)), w(&b, 2);
	EXPECT_BAD(&b, "which leads back to it (a loop)");
	/* a struct pointing at itself is fine (a list) */
	start(&b);
	w(&b, s(&b, "list")), w(&b, info(BTF_KIND_STRUCT, 1, 0)), w(&b, 8);
	w(&b, s(&b, "next")), w(&b, 2), w(&b, 0);
	w(&b, 0), w(&b, info(BTF_KIND_PTR, 0, 0)), w(&b, 1);
	struct exobpf_btf *ok = finish(&b);
	CHECK_MSG(ok, "%s", exobpf_errmsg());
	exobpf_btf__free(ok);
}

TEST(btf_rejects_bad_offsets_and_ids)
{
	struct blob b;

	start(&b);
	w(&b, 999), w(&b, info(BTF_KIND_INT, 0, 0)), w(&b, 4), w(&b, 32);
	EXPECT_BAD(&b, "its name offset 999 is outside the strings");
	start(&b);
	w(&b, 0), w(&b, info(BTF_KIND_PTR, 0, 0)), w(&b, 7);
	EXPECT_BAD(
	    &b, "type [1] PTR '' (types offset 0): referenced type id 7 is out of range (1 types)");
	start(&b);
	w(&b, s(&b, "s")), w(&b, info(BTF_KIND_STRUCT, 5, 0)), w(&b, 8);
	w(&b, s(&b, "x")), w(&b, 0), w(&b, 0);
	EXPECT_BAD(&b, "type [1] STRUCT at types offset 0: its 5 entries run past the end");
	start(&b);
	w(&b, 0), w(&b, info(25, 0, 0)), w(&b, 0);
	EXPECT_BAD(&b, "type [1] at types offset 0: unknown kind 25");
	start(&b);
	w(&b, s(&b, "i")), w(&b, info(BTF_KIND_INT, 0, 0)), w(&b, 2), w(&b, 24);
	EXPECT_BAD(&b, "24 bits at offset 0 do not fit its size");
	start(&b);
	w(&b, s(&b, "s")), w(&b, info(BTF_KIND_STRUCT, 1, 0)), w(&b, 4);
	w(&b, s(&b, "big")), w(&b, 2), w(&b, 64);
	w(&b, s(&b, "int")), w(&b, info(BTF_KIND_INT, 0, 0)), w(&b, 4), w(&b, 32);
	EXPECT_BAD(&b, "member 'big' ends at bit 64, past the size of 4 bytes");
}

TEST(btf_rejects_bad_headers)
{
	struct blob b;
	struct btf_header h;

	good_types(&b);
	struct exobpf_btf *ok = finish(&b);
	exobpf_btf__free(ok);
	CHECK(!exobpf_btf__new(b.out, 10));
	CHECK_CONTAINS(exobpf_errmsg(), "truncated: 10 bytes cannot hold the 24-byte BTF header");
	memcpy(&h, b.out, sizeof(h));
	h.magic = 0x1234;
	memcpy(b.out, &h, sizeof(h));
	CHECK(!exobpf_btf__new(b.out, b.size));
	CHECK_CONTAINS(exobpf_errmsg(), "bad magic 0x1234");
	h.magic = BTF_MAGIC;
	h.type_len = 1u << 30; /* an absurd count */
	memcpy(b.out, &h, sizeof(h));
	CHECK(!exobpf_btf__new(b.out, b.size));
	CHECK_CONTAINS(exobpf_errmsg(), "type section [0, +1073741824) runs past the end");
	h.type_len = (uint32_t)(b.nw * 4);
	h.hdr_len = 4096;
	memcpy(b.out, &h, sizeof(h));
	CHECK(!exobpf_btf__new(b.out, b.size));
	CHECK_CONTAINS(exobpf_errmsg(), "header length 4096 is outside");
	h.hdr_len = sizeof(h);
	h.str_len = 0;
	memcpy(b.out, &h, sizeof(h));
	CHECK(!exobpf_btf__new(b.out, b.size));
	CHECK_CONTAINS(exobpf_errmsg(), "string section must start and end with a NUL");
}
