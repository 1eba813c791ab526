/* BTF from a file: raw BTF (as /sys/kernel/btf/vmlinux) or the .BTF section
 * of an ELF object. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "loader/btf.h"
#include "loader/elf.h"
#include "loader/file.h"

EXOBPF_API struct exobpf_btf *exobpf_btf__parse(const char *path)
{
	struct exobpf_btf *btf = NULL;
	struct elf_file elf;
	char label[512];
	uint8_t *buf;
	size_t size;

	if (!path)
		return exo_err(EINVAL, "exobpf_btf__parse: NULL path"), NULL;
	if (file_read(path, &buf, &size))
		return NULL;
	if (size >= 4 && !memcmp(buf, "\177ELF", 4)) {
		if (!elf_open(&elf, path, buf, size)) {
			const struct elf_sec *s = elf_sec_by_name(&elf, ".BTF");
			if (!s || !s->data)
				exo_err(ENOENT, "%s: no .BTF section (compile with -g)", path);
			else {
				snprintf(label, sizeof(label), "%s: .BTF", path);
				btf = btf_parse(s->data, s->size, label);
			}
			elf_close(&elf);
		}
	} else {
		btf = btf_parse(buf, size, path);
	}
	free(buf);
	return btf;
}
