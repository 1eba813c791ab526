/* Uprobe targets in ELF files: a function symbol's file offset, found in
 * .symtab or .dynsym and mapped through the PT_LOAD segments, so the same
 * number locates it in any process that maps the file, at whatever address
 * (PIE executables and shared objects). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <gelf.h>
#include <libelf.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "tracing/tracing.h"

static int find_sym(Elf *elf, const char *path, const char *func, uint64_t *value, uint64_t *size)
{
	Elf_Scn *scn = NULL;
	bool any_table = false;

	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *data;

		if (!gelf_getshdr(scn, &sh) ||
		    (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM))
			continue;
		any_table = true;
		data = elf_getdata(scn, NULL);
		for (size_t i = 0; data && sh.sh_entsize && i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			const char *name;
			int type;

			if (!gelf_getsym(data, (int)i, &sym))
				break;
			type = GELF_ST_TYPE(sym.st_info);
			if ((type != STT_FUNC && type != STT_GNU_IFUNC) || !sym.st_value ||
			    sym.st_shndx == SHN_UNDEF)
				continue;
			name = elf_strptr(elf, sh.sh_link, sym.st_name);
			if (name && !strcmp(name, func)) {
				*value = sym.st_value;
				*size = sym.st_size;
				return 0;
			}
		}
	}
	if (!any_table)
		return exo_err(ENOENT, "%s: no symbol table", path);
	return exo_err(ENOENT, "%s: no function '%s' in its symbol tables", path, func);
}

int trc_elf_func_offset(const char *path, const char *func, uint64_t off, uint64_t *file_off,
			uint64_t *left)
{
	uint64_t value = 0, size = 0;
	size_t nph;
	Elf *elf;
	int fd, err;

	elf_version(EV_CURRENT);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return exo_err(errno, "%s: %s", path, strerror(errno));
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		err = exo_err(ENOEXEC, "%s: not an ELF file", path);
		goto out;
	}
	err = find_sym(elf, path, func, &value, &size);
	if (err)
		goto out;
	value += off;
	if (left)
		*left = size > off ? size - off : 0;
	err = exo_err(ENOENT, "%s: %s+0x%llx (0x%llx) is in no loadable segment", path, func,
		      (unsigned long long)off, (unsigned long long)value);
	if (elf_getphdrnum(elf, &nph))
		goto out;
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD || !(ph.p_flags & PF_X))
			continue;
		if (value >= ph.p_vaddr && value < ph.p_vaddr + ph.p_filesz) {
			*file_off = value - ph.p_vaddr + ph.p_offset;
			err = 0;
			break;
		}
	}
out:
	if (elf)
		elf_end(elf);
	close(fd);
	return err;
}

/* The function symbol (.symtab or .dynsym) covering vaddr: its name and
 * the bytes from vaddr to its end. */
static bool covering_sym(Elf *elf, uint64_t vaddr, char *name, size_t name_size, uint64_t *left)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *data;

		if (!gelf_getshdr(scn, &sh) ||
		    (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM))
			continue;
		data = elf_getdata(scn, NULL);
		for (size_t i = 0; data && sh.sh_entsize && i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			int type;
			const char *n;

			if (!gelf_getsym(data, (int)i, &sym))
				break;
			type = GELF_ST_TYPE(sym.st_info);
			if ((type != STT_FUNC && type != STT_GNU_IFUNC) ||
			    sym.st_shndx == SHN_UNDEF || vaddr < sym.st_value ||
			    vaddr >= sym.st_value + sym.st_size)
				continue;
			n = elf_strptr(elf, sh.sh_link, sym.st_name);
			snprintf(name, name_size, "%s+0x%llx", n ? n : "?",
				 (unsigned long long)(vaddr - sym.st_value));
			*left = sym.st_value + sym.st_size - vaddr;
			return true;
		}
	}
	return false;
}

int trc_elf_offset_func(const char *path, uint64_t file_off, char *name, size_t name_size,
			uint64_t *left)
{
	size_t nph;
	Elf *elf;
	int fd, err;

	elf_version(EV_CURRENT);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return exo_err(errno, "%s: %s", path, strerror(errno));
	elf = elf_begin(fd, ELF_C_READ, NULL);
	err = exo_err(ENOEXEC, "%s: not an ELF file", path);
	if (!elf || elf_kind(elf) != ELF_K_ELF || elf_getphdrnum(elf, &nph))
		goto out;
	err = exo_err(EINVAL, "%s: offset 0x%llx is in no executable segment", path,
		      (unsigned long long)file_off);
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD ||
		    !(ph.p_flags & PF_X) || file_off < ph.p_offset ||
		    file_off >= ph.p_offset + ph.p_filesz)
			continue;
		if (covering_sym(elf, file_off - ph.p_offset + ph.p_vaddr, name, name_size, left))
			err = 0;
		else
			err = exo_err(EOPNOTSUPP,
				      "%s: offset 0x%llx is in no function symbol (exobpf patches "
				      "only functions whose size it knows)",
				      path, (unsigned long long)file_off);
		break;
	}
out:
	if (elf)
		elf_end(elf);
	close(fd);
	return err;
}
