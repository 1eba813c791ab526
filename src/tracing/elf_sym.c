/* Uprobe targets in ELF files: a function symbol's file offset, found in
 * .symtab or .dynsym and mapped through the PT_LOAD segments, so the same
 * number locates it in any process that maps the file, at whatever address
 * (PIE executables and shared objects); and the reverse, the function that
 * covers a file offset (what a perf event's uprobe names). */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "tracing/tracing.h"

/* Call fn for each defined function symbol until it returns true; false
 * when none did. *any_table: the file has a symbol table at all. */
static bool each_func(Elf *elf, bool (*fn)(const GElf_Sym *s, const char *name, void *arg),
		      void *arg, bool *any_table)
{
	Elf_Scn *scn = NULL;

	*any_table = false;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *data;

		if (!gelf_getshdr(scn, &sh) ||
		    (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM))
			continue;
		*any_table = true;
		data = elf_getdata(scn, NULL);
		for (size_t i = 0; data && sh.sh_entsize && i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			int type;

			if (!gelf_getsym(data, (int)i, &sym))
				break;
			type = GELF_ST_TYPE(sym.st_info);
			if ((type != STT_FUNC && type != STT_GNU_IFUNC) || !sym.st_value ||
			    sym.st_shndx == SHN_UNDEF)
				continue;
			if (fn(&sym, elf_strptr(elf, sh.sh_link, sym.st_name), arg))
				return true;
		}
	}
	return false;
}

/* The executable PT_LOAD segment holding vaddr (by_vaddr) or file offset
 * x, in *ph. */
static bool exec_segment(Elf *elf, uint64_t x, bool by_vaddr, GElf_Phdr *ph)
{
	size_t nph;

	if (elf_getphdrnum(elf, &nph))
		return false;
	for (size_t i = 0; i < nph; i++) {
		uint64_t start;

		if (!gelf_getphdr(elf, (int)i, ph) || ph->p_type != PT_LOAD ||
		    !(ph->p_flags & PF_X))
			continue;
		start = by_vaddr ? ph->p_vaddr : ph->p_offset;
		if (x >= start && x < start + ph->p_filesz)
			return true;
	}
	return false;
}

/* Open path as ELF: 0 with *fd and *elf (close with elf_close), or -errno. */
static int elf_open(const char *path, int *fd, Elf **elf)
{
	elf_version(EV_CURRENT);
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		return exo_err(errno, "%s: %s", path, strerror(errno));
	*elf = elf_begin(*fd, ELF_C_READ, NULL);
	if (!*elf || elf_kind(*elf) != ELF_K_ELF) {
		if (*elf)
			elf_end(*elf);
		close(*fd);
		return exo_err(ENOEXEC, "%s: not an ELF file", path);
	}
	return 0;
}

static void elf_close(int fd, Elf *elf)
{
	elf_end(elf);
	close(fd);
}

struct by_name {
	const char *func;
	GElf_Sym sym;
};

static bool named(const GElf_Sym *s, const char *name, void *arg)
{
	struct by_name *b = arg;

	if (!name || strcmp(name, b->func))
		return false;
	b->sym = *s;
	return true;
}

int trc_elf_func_offset(const char *path, const char *func, uint64_t off, uint64_t *file_off,
			uint64_t *left)
{
	struct by_name b = {.func = func};
	GElf_Phdr ph;
	uint64_t value;
	bool any;
	Elf *elf;
	int fd, err;

	if ((err = elf_open(path, &fd, &elf)))
		return err;
	if (!each_func(elf, named, &b, &any)) {
		err = any ? exo_err(ENOENT, "%s: no function '%s' in its symbol tables", path, func)
			  : exo_err(ENOENT, "%s: no symbol table", path);
		goto out;
	}
	value = b.sym.st_value + off;
	if (left)
		*left = b.sym.st_size > off ? b.sym.st_size - off : 0;
	if (exec_segment(elf, value, true, &ph))
		*file_off = value - ph.p_vaddr + ph.p_offset;
	else
		err = exo_err(ENOENT, "%s: %s+0x%llx (0x%llx) is in no loadable segment", path,
			      func, (unsigned long long)off, (unsigned long long)value);
out:
	elf_close(fd, elf);
	return err;
}

struct covering {
	uint64_t vaddr;
	char *name;
	size_t name_size;
	uint64_t left;
};

static bool covers(const GElf_Sym *s, const char *name, void *arg)
{
	struct covering *c = arg;

	if (c->vaddr < s->st_value || c->vaddr >= s->st_value + s->st_size)
		return false;
	snprintf(c->name, c->name_size, "%s+0x%llx", name ? name : "?",
		 (unsigned long long)(c->vaddr - s->st_value));
	c->left = s->st_value + s->st_size - c->vaddr;
	return true;
}

int trc_elf_offset_func(const char *path, uint64_t file_off, char *name, size_t name_size,
			uint64_t *left)
{
	struct covering c = {.name = name, .name_size = name_size};
	GElf_Phdr ph;
	bool any;
	Elf *elf;
	int fd, err;

	if ((err = elf_open(path, &fd, &elf)))
		return err;
	if (!exec_segment(elf, file_off, false, &ph)) {
		err = exo_err(EINVAL, "%s: offset 0x%llx is in no executable segment", path,
			      (unsigned long long)file_off);
	} else {
		c.vaddr = file_off - ph.p_offset + ph.p_vaddr;
		if (each_func(elf, covers, &c, &any))
			*left = c.left;
		else
			err = exo_err(EOPNOTSUPP,
				      "%s: offset 0x%llx is in no function symbol (exobpf patches "
				      "only functions whose size it knows)",
				      path, (unsigned long long)file_off);
	}
	elf_close(fd, elf);
	return err;
}
