/* ELF objects as clang -target bpf writes them: sections, symbols and
 * relocations read through libelf, every offset and index checked, so the
 * rest of the loader works on validated tables and never touches raw ELF. */
#ifndef EXOBPF_LOADER_ELF_H
#define EXOBPF_LOADER_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Relocation types of the BPF backend (LLVM's docs/BPF relocations). */
#define ELF_R_BPF_NONE	      0
#define ELF_R_BPF_64_64	      1
#define ELF_R_BPF_64_ABS64    2
#define ELF_R_BPF_64_ABS32    3
#define ELF_R_BPF_64_NODYLD32 4
#define ELF_R_BPF_64_32	      10

struct elf_sec {
	const char *name;
	uint32_t idx;
	uint32_t type;	     /* SHT_* */
	uint64_t flags;	     /* SHF_* */
	const uint8_t *data; /* NULL for SHT_NOBITS */
	uint64_t size;
	uint32_t link, info;
	uint64_t entsize, align;
};

struct elf_sym {
	const char *name; /* "" when unnamed */
	uint64_t value, size;
	uint8_t type, bind, visibility;
	uint16_t shndx;
	uint32_t idx;
};

struct elf_rel {
	uint64_t offset;
	uint32_t sym; /* index into the symbol table, checked */
	uint32_t type;
};

struct elf_file {
	const char *path;     /* labels messages; not owned */
	void *elf;	      /* Elf * */
	struct elf_sec *secs; /* secs[0] is the null section */
	size_t nsecs;
	struct elf_sym *syms;
	size_t nsyms;
	uint32_t symtab_idx;
};

/* Parse an object held in buf (which must outlive f). Checks class, byte
 * order, machine, the section table and the symbol table; errors name path,
 * section and offset. */
int elf_open(struct elf_file *f, const char *path, const void *buf, size_t size);
void elf_close(struct elf_file *f);

/* Section by index (NULL and an error message when out of range) or name. */
const struct elf_sec *elf_sec(const struct elf_file *f, size_t idx);
const struct elf_sec *elf_sec_by_name(const struct elf_file *f, const char *name);

/* The relocations of a SHT_REL section, each symbol index checked against the
 * symbol table and each offset against the target section. *out is
 * malloc'ed. */
int elf_rels(const struct elf_file *f, const struct elf_sec *rel_sec, struct elf_rel **out,
	     size_t *cnt);

#endif
