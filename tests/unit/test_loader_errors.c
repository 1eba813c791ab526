/* Bad objects: every class of malformed input gets an error naming the
 * file, the section and the offset, never a crash. Inputs are real test
 * objects with one field changed, located with <elf.h>'s own structs. */
#include <elf.h>
#include <stdlib.h>

#include "exobpf/exobpf.h"
#include "test.h"

struct file {
	uint8_t *buf;
	size_t size;
};

static bool load_file(const char *name, struct file *f)
{
	const char *b = getenv("EXOBPF_BUILD");
	char path[512];
	snprintf(path, sizeof(path), "%s/progs/%s.bpf.o", b && *b ? b : "build", name);
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return false;
	fseek(fp, 0, SEEK_END);
	f->size = (size_t)ftell(fp);
	rewind(fp);
	f->buf = malloc(f->size);
	bool ok = f->buf && fread(f->buf, 1, f->size, fp) == f->size;
	fclose(fp);
	return ok;
}

static Elf64_Ehdr *ehdr(struct file *f)
{
	return (Elf64_Ehdr *)f->buf;
}

static Elf64_Shdr *shdr(struct file *f, size_t i)
{
	return (Elf64_Shdr *)(f->buf + ehdr(f)->e_shoff) + i;
}

static const char *sec_name(struct file *f, size_t i)
{
	return (const char *)f->buf + shdr(f, ehdr(f)->e_shstrndx)->sh_offset + shdr(f, i)->sh_name;
}

static Elf64_Shdr *find(struct file *f, const char *name)
{
	for (size_t i = 1; i < ehdr(f)->e_shnum; i++)
		if (!strcmp(sec_name(f, i), name))
			return shdr(f, i);
	return NULL;
}

/* Open the mutated bytes; expect failure with a message containing msg. */
static bool fails_with(struct file *f, size_t size, const char *msg)
{
	struct exobpf_object *obj = exobpf_object__open_mem(f->buf, size, NULL);
	if (obj) {
		exobpf_object__close(obj);
		printf("  opened although it should not have (%s)\n", msg);
		return false;
	}
	if (!strstr(exobpf_errmsg(), msg)) {
		printf("  message \"%s\" lacks \"%s\"\n", exobpf_errmsg(), msg);
		return false;
	}
	return true;
}

#define FRESH(name)                         \
	do {                                \
		free(f.buf);                \
		CHECK(load_file(name, &f)); \
	} while (0)

TEST(loader_rejects_bad_elf_headers)
{
	struct file f = {0};

	FRESH("arith");
	CHECK(fails_with(&f, 100, "truncated: section header table"));
	CHECK(fails_with(&f, 40, "truncated: 40 bytes cannot hold the 64-byte ELF header"));
	f.buf[0] = 'X';
	CHECK(fails_with(&f, f.size, "not an ELF file"));
	FRESH("arith");
	ehdr(&f)->e_machine = EM_X86_64;
	CHECK(fails_with(&f, f.size, "machine 62 is not BPF (247)"));
	FRESH("arith");
	f.buf[EI_CLASS] = ELFCLASS32;
	CHECK(fails_with(&f, f.size, "not a 64-bit ELF object (class 1)"));
	FRESH("arith");
	f.buf[EI_DATA] = ELFDATA2MSB;
	CHECK(fails_with(&f, f.size, "byte order 2 is not little-endian"));
	FRESH("arith");
	ehdr(&f)->e_type = ET_EXEC;
	CHECK(fails_with(&f, f.size, "ELF type 2 is not a relocatable object"));
	free(f.buf);
}

TEST(loader_rejects_bad_sections)
{
	struct file f = {0};

	FRESH("arith");
	Elf64_Shdr *s = find(&f, "syscall");
	CHECK(s);
	s->sh_offset = f.size - 8;
	CHECK(fails_with(&f, f.size, "section syscall: bytes ["));
	CHECK(fails_with(&f, f.size, "run past the end of the file"));
	FRESH("arith");
	s = find(&f, "syscall");
	s->sh_size = 12; /* not whole instructions */
	CHECK(fails_with(&f, f.size, "section syscall: 12 bytes is not a whole number of 8-byte"));
	FRESH("arith");
	s = find(&f, ".symtab");
	s->sh_entsize = 16;
	CHECK(fails_with(&f, f.size, "section .symtab: entry size 16"));
	FRESH("arith");
	s = find(&f, ".symtab");
	s->sh_size = 1u << 30; /* an absurd symbol count */
	CHECK(fails_with(&f, f.size, "section .symtab: bytes ["));
	free(f.buf);
}

TEST(loader_rejects_bad_symbols_and_relocations)
{
	struct file f = {0};

	/* a symbol naming a section that does not exist */
	FRESH("arith");
	Elf64_Shdr *st = find(&f, ".symtab");
	Elf64_Sym *sym = (Elf64_Sym *)(f.buf + st->sh_offset);
	size_t nsyms = st->sh_size / sizeof(*sym), victim = 0;
	for (size_t i = 1; i < nsyms; i++)
		if (ELF64_ST_TYPE(sym[i].st_info) == STT_FUNC)
			victim = i;
	CHECK(victim);
	sym[victim].st_shndx = 0x7000;
	CHECK(fails_with(&f, f.size, "(arith): section index 28672 out of range"));

	/* a relocation against a symbol index past the table */
	FRESH("hash_map");
	Elf64_Shdr *rel = find(&f, ".relsyscall");
	CHECK(rel);
	Elf64_Rel *r = (Elf64_Rel *)(f.buf + rel->sh_offset);
	r[0].r_info = ELF64_R_INFO(9999, ELF64_R_TYPE(r[0].r_info));
	CHECK(fails_with(
	    &f, f.size,
	    "section .relsyscall: relocation 0 (offset 0): symbol index 9999 out of range"));

	/* a relocation at an offset outside its section */
	FRESH("hash_map");
	rel = find(&f, ".relsyscall");
	r = (Elf64_Rel *)(f.buf + rel->sh_offset);
	r[0].r_offset = 1u << 20;
	CHECK(fails_with(&f, f.size, "relocation 0: offset 0x100000 is outside section syscall"));

	/* a relocation of an instruction that is neither lddw nor call */
	FRESH("hash_map");
	rel = find(&f, ".relsyscall");
	r = (Elf64_Rel *)(f.buf + rel->sh_offset);
	r[0].r_offset = 0; /* insn 0 is "r1 = ..." or a load, never lddw here */
	Elf64_Shdr *code = find(&f, "syscall");
	if (f.buf[code->sh_offset] != (BPF_LD | BPF_IMM | BPF_DW))
		CHECK(fails_with(&f, f.size, "is neither a call nor lddw"));

	/* a relocation whose type the BPF backend never emits */
	FRESH("hash_map");
	rel = find(&f, ".relsyscall");
	r = (Elf64_Rel *)(f.buf + rel->sh_offset);
	r[0].r_info = ELF64_R_INFO(ELF64_R_SYM(r[0].r_info), 77);
	CHECK(fails_with(&f, f.size, "type 77 is not R_BPF_64_64 or R_BPF_64_32"));

	/* a relocation section pointing at a section that does not exist */
	FRESH("hash_map");
	rel = find(&f, ".relsyscall");
	rel->sh_info = 500;
	CHECK(fails_with(&f, f.size, "section .relsyscall: target section index 500 out of range"));
	free(f.buf);
}

TEST(loader_rejects_bad_btf_and_btf_ext)
{
	struct file f = {0};

	FRESH("hash_map");
	Elf64_Shdr *s = find(&f, ".BTF");
	CHECK(s);
	f.buf[s->sh_offset] = 0x12;
	CHECK(fails_with(&f, f.size, "section .BTF: bad magic"));

	FRESH("hash_map");
	s = find(&f, ".BTF.ext");
	CHECK(s);
	uint32_t hdr_len, func_off, rec = 3;
	memcpy(&hdr_len, f.buf + s->sh_offset + 4, 4);
	memcpy(&func_off, f.buf + s->sh_offset + 8, 4);
	memcpy(f.buf + s->sh_offset + hdr_len + func_off, &rec, 4);
	CHECK(fails_with(&f, f.size, "section .BTF.ext: func_info block: record size 3"));

	/* an absurd record count in the first line_info group */
	FRESH("hash_map");
	s = find(&f, ".BTF.ext");
	uint32_t line_off, huge = 0x7fffffff;
	memcpy(&line_off, f.buf + s->sh_offset + 16, 4);
	memcpy(f.buf + s->sh_offset + hdr_len + line_off + 8, &huge, 4);
	CHECK(fails_with(&f, f.size, "line_info block at offset"));
	CHECK(fails_with(&f, f.size, "record count 2147483647 is not in [1, 16777216]"));

	/* a BTF.ext section name outside the strings */
	FRESH("hash_map");
	s = find(&f, ".BTF.ext");
	uint32_t bad_name = 0xfffffff0;
	memcpy(f.buf + s->sh_offset + hdr_len + func_off + 4, &bad_name, 4);
	CHECK(fails_with(&f, f.size, "section name offset 4294967280 is outside the BTF strings"));
	free(f.buf);
}

TEST(loader_bad_api_use)
{
	CHECK(!exobpf_object__open_file("/nonexistent/x.o", NULL));
	CHECK_EQ(errno, ENOENT);
	CHECK_CONTAINS(exobpf_errmsg(), "/nonexistent/x.o: No such file or directory");
	CHECK(!exobpf_object__open_mem(NULL, 0, NULL));
	struct {
		size_t sz;
		char pad[64];
	} big = {sizeof(big), {0}};
	big.pad[40] = 1; /* a newer caller's non-zero unknown field */
	CHECK(!exobpf_object__open_file("x.o", (void *)&big));
	CHECK_CONTAINS(exobpf_errmsg(), "unknown non-zero field");
}

/* CO-RE relocations for a section the object does not have (found by the
 * fuzzer: the candidate cache leaked on this path). */
TEST(loader_rejects_core_relos_for_missing_section)
{
	struct file f = {0};

	FRESH("core_fields");
	Elf64_Shdr *btf = find(&f, ".BTF"), *ext = find(&f, ".BTF.ext");
	CHECK(btf && ext);
	uint32_t bhdr, str_off, str_len, ehdr_len, core_off;
	memcpy(&bhdr, f.buf + btf->sh_offset + 4, 4);
	memcpy(&str_off, f.buf + btf->sh_offset + 16, 4);
	memcpy(&str_len, f.buf + btf->sh_offset + 20, 4);
	const char *strs = (const char *)f.buf + btf->sh_offset + bhdr + str_off;
	const char *name = memmem(strs, str_len, "only_in_target", 15); /* a type, not a section */
	CHECK(name);
	uint32_t name_off = (uint32_t)(name - strs);
	memcpy(&ehdr_len, f.buf + ext->sh_offset + 4, 4);
	memcpy(&core_off, f.buf + ext->sh_offset + 24, 4);
	memcpy(f.buf + ext->sh_offset + ehdr_len + core_off + 4, &name_off, 4);
	EXOBPF_OPTS(exobpf_object_open_opts, o, .object_name = "core_fields");
	struct exobpf_object *obj = exobpf_object__open_mem(f.buf, f.size, &o);
	CHECK_MSG(obj, "%s", exobpf_errmsg());
	CHECK_EQ(exobpf_object__prepare(obj), -EINVAL);
	CHECK_CONTAINS(exobpf_errmsg(),
		       ".BTF.ext: CO-RE relocations for missing section only_in_target");
	exobpf_object__close(obj);
	free(f.buf);
}

/* Global data larger than any map value Linux allows (found by the fuzzer:
 * a 1.8 GB .bss was allocated, then created as a map). */
TEST(loader_rejects_absurd_global_data)
{
	struct file f = {0};

	FRESH("globals_data");
	Elf64_Shdr *bss = find(&f, ".bss");
	CHECK(bss);
	bss->sh_size = 1836675886;
	CHECK(fails_with(&f, f.size, "section .bss: 1836675886 bytes exceed the 4194304 bytes"));
	free(f.buf);
}
