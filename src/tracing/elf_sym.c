/* Uprobe targets in ELF files: a function symbol's file offset, found in
 * .symtab or .dynsym and mapped through the PT_LOAD segments, so the same
 * number locates it in any process that maps the file, at whatever address
 * (PIE executables and shared objects). */
#include <errno.h>
#include <fcntl.h>
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
