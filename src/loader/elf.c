/* ELF reading: libelf parses the headers and string tables; every section's
 * bytes are checked to lie inside the file before anyone points at them. */
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "loader/elf.h"

#ifndef EM_BPF
#define EM_BPF 247
#endif

/* A symbol table larger than this is not a BPF object but an attack on our
 * memory; Linux's biggest objects have a few thousand symbols. */
#define ELF_MAX_SYMS	 (1u << 20)
#define ELF_MAX_SECTIONS (1u << 16)

static int elf_fail(const struct elf_file *f, int err, const char *what)
{
	return exo_err(err, "%s: %s: %s", f->path, what, elf_errmsg(-1));
}

static int read_sections(struct elf_file *f, Elf *elf, size_t size)
{
	size_t shnum, shstrndx;

	if (elf_getshdrnum(elf, &shnum) || elf_getshdrstrndx(elf, &shstrndx))
		return elf_fail(f, EINVAL, "cannot read the section header table");
	if (shnum == 0)
		return exo_err(EINVAL, "%s: no sections", f->path);
	if (shnum > ELF_MAX_SECTIONS)
		return exo_err(E2BIG, "%s: %zu sections exceed the limit of %u", f->path, shnum,
			       ELF_MAX_SECTIONS);
	if (shstrndx >= shnum)
		return exo_err(EINVAL,
			       "%s: section name table index %zu out of range (%zu sections)",
			       f->path, shstrndx, shnum);
	f->secs = calloc(shnum, sizeof(*f->secs));
	if (!f->secs)
		return exo_err(ENOMEM, "%s: out of memory", f->path);
	f->nsecs = shnum;
	f->secs[0].name = "";
	for (size_t i = 1; i < shnum; i++) {
		Elf_Scn *scn = elf_getscn(elf, i);
		struct elf_sec *s = &f->secs[i];
		GElf_Shdr sh;

		if (!scn || !gelf_getshdr(scn, &sh))
			return exo_err(EINVAL, "%s: section %zu: bad section header", f->path, i);
		s->idx = (uint32_t)i;
		s->name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!s->name)
			return exo_err(EINVAL,
				       "%s: section %zu: name offset %u is outside the name table",
				       f->path, i, sh.sh_name);
		s->type = sh.sh_type;
		s->flags = sh.sh_flags;
		s->size = sh.sh_size;
		s->link = sh.sh_link;
		s->info = sh.sh_info;
		s->entsize = sh.sh_entsize;
		s->align = sh.sh_addralign;
		if (sh.sh_type == SHT_NOBITS || sh.sh_type == SHT_NULL)
			continue;
		if (sh.sh_offset > size || sh.sh_size > size - sh.sh_offset)
			return exo_err(
			    EINVAL,
			    "%s: section %s: bytes [%#llx, +%#llx) run past the end of the "
			    "file (%zu bytes)",
			    f->path, s->name, (unsigned long long)sh.sh_offset,
			    (unsigned long long)sh.sh_size, size);
		if (sh.sh_flags & SHF_COMPRESSED)
			return exo_err(ENOTSUP,
				       "%s: section %s: compressed sections are not supported",
				       f->path, s->name);
		s->data = (const uint8_t *)elf_rawfile(elf, NULL) + sh.sh_offset;
	}
	return 0;
}

static int read_symbols(struct elf_file *f, Elf *elf)
{
	const struct elf_sec *st = NULL;

	for (size_t i = 1; i < f->nsecs; i++) {
		if (f->secs[i].type != SHT_SYMTAB)
			continue;
		if (st)
			return exo_err(EINVAL, "%s: sections %s and %s: more than one symbol table",
				       f->path, st->name, f->secs[i].name);
		st = &f->secs[i];
	}
	if (!st)
		return exo_err(EINVAL, "%s: no symbol table (was the object stripped?)", f->path);
	if (st->entsize != sizeof(Elf64_Sym) || st->size % sizeof(Elf64_Sym))
		return exo_err(EINVAL,
			       "%s: section %s: entry size %llu and size %llu do not make a "
			       "table of 24-byte symbols",
			       f->path, st->name, (unsigned long long)st->entsize,
			       (unsigned long long)st->size);
	if (st->link == 0 || st->link >= f->nsecs || f->secs[st->link].type != SHT_STRTAB)
		return exo_err(EINVAL,
			       "%s: section %s: string table index %u is not a string table",
			       f->path, st->name, st->link);
	size_t n = st->size / sizeof(Elf64_Sym);
	if (n > ELF_MAX_SYMS)
		return exo_err(E2BIG, "%s: section %s: %zu symbols exceed the limit of %u", f->path,
			       st->name, n, ELF_MAX_SYMS);
	f->symtab_idx = st->idx;
	f->syms = calloc(n ? n : 1, sizeof(*f->syms));
	if (!f->syms)
		return exo_err(ENOMEM, "%s: out of memory", f->path);
	f->nsyms = n;
	for (size_t i = 0; i < n; i++) {
		Elf64_Sym raw;
		struct elf_sym *s = &f->syms[i];

		memcpy(&raw, st->data + i * sizeof(raw), sizeof(raw));
		s->idx = (uint32_t)i;
		s->name = elf_strptr(elf, st->link, raw.st_name);
		if (!s->name)
			return exo_err(EINVAL,
				       "%s: section %s: symbol %zu: name offset %u is outside the "
				       "string table",
				       f->path, st->name, i, raw.st_name);
		s->value = raw.st_value;
		s->size = raw.st_size;
		s->type = ELF64_ST_TYPE(raw.st_info);
		s->bind = ELF64_ST_BIND(raw.st_info);
		s->visibility = ELF64_ST_VISIBILITY(raw.st_other);
		s->shndx = raw.st_shndx;
		if (s->shndx >= f->nsecs && s->shndx != SHN_ABS && s->shndx != SHN_COMMON)
			return exo_err(
			    EINVAL,
			    "%s: section %s: symbol %zu (%s): section index %u out of range "
			    "(%zu sections)",
			    f->path, st->name, i, s->name, s->shndx, f->nsecs);
	}
	return 0;
}

int elf_open(struct elf_file *f, const char *path, const void *buf, size_t size)
{
	GElf_Ehdr eh;
	Elf *elf;
	int err;

	memset(f, 0, sizeof(*f));
	f->path = path;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return exo_err(EINVAL, "%s: libelf is too old", path);
	if (size < EI_NIDENT || memcmp(buf, ELFMAG, SELFMAG))
		return exo_err(EINVAL, "%s: not an ELF file (%zu bytes, no \\177ELF magic)", path,
			       size);
	if (((const uint8_t *)buf)[EI_CLASS] != ELFCLASS64)
		return exo_err(EINVAL, "%s: not a 64-bit ELF object (class %u)", path,
			       ((const uint8_t *)buf)[EI_CLASS]);
	if (((const uint8_t *)buf)[EI_DATA] != ELFDATA2LSB)
		return exo_err(EINVAL, "%s: byte order %u is not little-endian like this host",
			       path, ((const uint8_t *)buf)[EI_DATA]);
	if (size < sizeof(Elf64_Ehdr))
		return exo_err(EINVAL,
			       "%s: truncated: %zu bytes cannot hold the 64-byte ELF header", path,
			       size);
	/* libelf only reads through this pointer with ELF_C_READ_MMAP-less memory. */
	elf = elf_memory((char *)(uintptr_t)buf, size);
	if (!elf)
		return elf_fail(f, EINVAL, "libelf cannot read it");
	f->elf = elf;
	if (elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh)) {
		elf_close(f);
		return exo_err(EINVAL, "%s: not an ELF object", path);
	}
	if (eh.e_type != ET_REL) {
		elf_close(f);
		return exo_err(EINVAL, "%s: ELF type %u is not a relocatable object (ET_REL)", path,
			       eh.e_type);
	}
	if (eh.e_machine != EM_BPF) {
		elf_close(f);
		return exo_err(EINVAL, "%s: machine %u is not BPF (%u)", path, eh.e_machine,
			       EM_BPF);
	}
	if (eh.e_shoff > size || (uint64_t)eh.e_shnum * sizeof(Elf64_Shdr) > size - eh.e_shoff) {
		elf_close(f);
		return exo_err(
		    EINVAL,
		    "%s: truncated: section header table at %#llx (%u entries) runs past "
		    "the end of the file (%zu bytes)",
		    path, (unsigned long long)eh.e_shoff, eh.e_shnum, size);
	}
	err = read_sections(f, elf, size);
	if (!err)
		err = read_symbols(f, elf);
	if (err)
		elf_close(f);
	return err;
}

void elf_close(struct elf_file *f)
{
	if (f->elf)
		elf_end(f->elf);
	free(f->secs);
	free(f->syms);
	f->elf = NULL;
	f->secs = NULL;
	f->syms = NULL;
	f->nsecs = f->nsyms = 0;
}

const struct elf_sec *elf_sec(const struct elf_file *f, size_t idx)
{
	if (idx == 0 || idx >= f->nsecs) {
		exo_err(EINVAL, "%s: section index %zu out of range (%zu sections)", f->path, idx,
			f->nsecs);
		return NULL;
	}
	return &f->secs[idx];
}

const struct elf_sec *elf_sec_by_name(const struct elf_file *f, const char *name)
{
	for (size_t i = 1; i < f->nsecs; i++)
		if (!strcmp(f->secs[i].name, name))
			return &f->secs[i];
	return NULL;
}

int elf_rels(const struct elf_file *f, const struct elf_sec *rs, struct elf_rel **out, size_t *cnt)
{
	const struct elf_sec *target;
	struct elf_rel *rels;
	size_t n;

	*out = NULL;
	*cnt = 0;
	if (rs->entsize != sizeof(Elf64_Rel) || rs->size % sizeof(Elf64_Rel))
		return exo_err(EINVAL,
			       "%s: section %s: entry size %llu and size %llu do not make a "
			       "table of 16-byte relocations",
			       f->path, rs->name, (unsigned long long)rs->entsize,
			       (unsigned long long)rs->size);
	if (rs->link != f->symtab_idx)
		return exo_err(EINVAL,
			       "%s: section %s: symbol table index %u is not the symbol table (%u)",
			       f->path, rs->name, rs->link, f->symtab_idx);
	if (rs->info == 0 || rs->info >= f->nsecs)
		return exo_err(
		    EINVAL, "%s: section %s: target section index %u out of range (%zu sections)",
		    f->path, rs->name, rs->info, f->nsecs);
	target = &f->secs[rs->info];
	n = rs->size / sizeof(Elf64_Rel);
	if (n == 0)
		return 0;
	rels = calloc(n, sizeof(*rels));
	if (!rels)
		return exo_err(ENOMEM, "%s: out of memory", f->path);
	for (size_t i = 0; i < n; i++) {
		Elf64_Rel raw;

		memcpy(&raw, rs->data + i * sizeof(raw), sizeof(raw));
		rels[i].offset = raw.r_offset;
		rels[i].sym = (uint32_t)ELF64_R_SYM(raw.r_info);
		rels[i].type = (uint32_t)ELF64_R_TYPE(raw.r_info);
		if (rels[i].sym >= f->nsyms) {
			free(rels);
			return exo_err(
			    EINVAL,
			    "%s: section %s: relocation %zu (offset %#zx): symbol index %u "
			    "out of range (%zu symbols)",
			    f->path, rs->name, i, i * sizeof(raw),
			    (uint32_t)ELF64_R_SYM(raw.r_info), f->nsyms);
		}
		if (raw.r_offset >= target->size) {
			free(rels);
			return exo_err(
			    EINVAL,
			    "%s: section %s: relocation %zu: offset %#llx is outside section "
			    "%s (%llu bytes)",
			    f->path, rs->name, i, (unsigned long long)raw.r_offset, target->name,
			    (unsigned long long)target->size);
		}
	}
	*out = rels;
	*cnt = n;
	return 0;
}
