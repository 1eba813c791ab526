/* .BTF.ext parsing. Layout (Linux's Documentation/bpf/btf.rst): a header
 * with offsets of up to three info blocks after it; each block is a record
 * size followed by (section name, count, records) groups. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "loader/btf_ext.h"

struct ext_header {
	uint16_t magic;
	uint8_t version, flags;
	uint32_t hdr_len;
	uint32_t func_off, func_len, line_off, line_len;
	uint32_t core_off, core_len; /* present when hdr_len >= 32 */
};

/* No object needs more than this many records in one block. */
#define EXT_MAX_RECS (1u << 24)

static int parse_info(struct btf_ext_info *info, const uint8_t *base, uint32_t off, uint32_t len,
		      size_t avail, uint32_t min_rec, const struct exobpf_btf *btf,
		      const char *name, const char *what)
{
	const uint8_t *p, *end;
	uint32_t cap = 0;

	if (!len)
		return 0;
	if ((uint64_t)off + len > avail)
		return exo_err(EINVAL, "%s: %s block [%u, +%u) runs past the end (%zu bytes)", name,
			       what, off, len, avail);
	if (off % 4)
		return exo_err(EINVAL, "%s: %s block at %u is not 4-byte aligned", name, what, off);
	p = base + off;
	end = p + len;
	if (len < 4)
		return exo_err(EINVAL, "%s: %s block: %u bytes cannot hold the record size", name,
			       what, len);
	memcpy(&info->rec_size, p, 4);
	p += 4;
	if (info->rec_size < min_rec || info->rec_size % 4 || info->rec_size > 1024)
		return exo_err(EINVAL,
			       "%s: %s block: record size %u is not a multiple of 4 in [%u, 1024]",
			       name, what, info->rec_size, min_rec);
	while (p < end) {
		uint32_t sec_off, cnt;
		size_t at = (size_t)(p - base);

		if ((size_t)(end - p) < 8)
			return exo_err(EINVAL,
				       "%s: %s block at offset %zu: truncated section header", name,
				       what, at);
		memcpy(&sec_off, p, 4);
		memcpy(&cnt, p + 4, 4);
		p += 8;
		if (sec_off >= btf->str_len)
			return exo_err(EINVAL,
				       "%s: %s block at offset %zu: section name offset %u is "
				       "outside the BTF strings",
				       name, what, at, sec_off);
		if (!cnt || cnt > EXT_MAX_RECS)
			return exo_err(EINVAL,
				       "%s: %s block at offset %zu (section %s): record count %u "
				       "is not in [1, %u]",
				       name, what, at, btf_str(btf, sec_off), cnt, EXT_MAX_RECS);
		if ((uint64_t)cnt * info->rec_size > (uint64_t)(end - p))
			return exo_err(EINVAL,
				       "%s: %s block at offset %zu (section %s): %u records of %u "
				       "bytes run past the end of the block",
				       name, what, at, btf_str(btf, sec_off), cnt, info->rec_size);
		if (info->nsecs == cap) {
			cap = cap ? cap * 2 : 8;
			struct btf_ext_sec *ns = realloc(info->secs, cap * sizeof(*ns));
			if (!ns)
				return exo_err(ENOMEM, "%s: out of memory", name);
			info->secs = ns;
		}
		info->secs[info->nsecs++] = (struct btf_ext_sec){btf_str(btf, sec_off), cnt, p};
		p += (size_t)cnt * info->rec_size;
	}
	return 0;
}

static int check_records(const struct btf_ext *ext, const struct exobpf_btf *btf, const char *name)
{
	for (uint32_t s = 0; s < ext->func.nsecs; s++)
		for (uint32_t i = 0; i < ext->func.secs[s].cnt; i++) {
			const struct btf_ext_func *r =
			    btf_ext_rec(&ext->func, &ext->func.secs[s], i);
			const struct btf_type *t = btf_type(btf, r->type_id);
			if (!t || btf_kind(t) != BTF_KIND_FUNC)
				return exo_err(
				    EINVAL,
				    "%s: func_info %u of section %s: type id %u is not a "
				    "FUNC",
				    name, i, ext->func.secs[s].name, r->type_id);
			if (r->insn_off % 8)
				return exo_err(EINVAL,
					       "%s: func_info %u of section %s: insn_off %u is not "
					       "a multiple of 8",
					       name, i, ext->func.secs[s].name, r->insn_off);
		}
	for (uint32_t s = 0; s < ext->line.nsecs; s++)
		for (uint32_t i = 0; i < ext->line.secs[s].cnt; i++) {
			const struct btf_ext_line *r =
			    btf_ext_rec(&ext->line, &ext->line.secs[s], i);
			if (r->file_name_off >= btf->str_len || r->line_off >= btf->str_len ||
			    r->insn_off % 8)
				return exo_err(EINVAL,
					       "%s: line_info %u of section %s: insn_off %u or a "
					       "string offset (%u, %u) is bad",
					       name, i, ext->line.secs[s].name, r->insn_off,
					       r->file_name_off, r->line_off);
		}
	for (uint32_t s = 0; s < ext->core.nsecs; s++)
		for (uint32_t i = 0; i < ext->core.secs[s].cnt; i++) {
			const struct btf_ext_core *r =
			    btf_ext_rec(&ext->core, &ext->core.secs[s], i);
			if (r->access_str_off >= btf->str_len || r->insn_off % 8 ||
			    r->type_id >= btf->nr)
				return exo_err(EINVAL,
					       "%s: CO-RE relocation %u of section %s: insn_off "
					       "%u, type id %u or access string offset %u is "
					       "bad",
					       name, i, ext->core.secs[s].name, r->insn_off,
					       r->type_id, r->access_str_off);
		}
	return 0;
}

int btf_ext_parse(struct btf_ext *ext, const void *data, size_t size, const struct exobpf_btf *btf,
		  const char *name)
{
	struct ext_header h;
	int err;

	memset(ext, 0, sizeof(*ext));
	memset(&h, 0, sizeof(h));
	if (size < 24)
		return exo_err(EINVAL, "%s: truncated: %zu bytes cannot hold the 24-byte header",
			       name, size);
	memcpy(&h, data, size < sizeof(h) ? 24 : sizeof(h));
	if (h.magic != BTF_MAGIC)
		return exo_err(EINVAL, "%s: bad magic %#x (expected %#x)", name, h.magic,
			       BTF_MAGIC);
	if (h.version != BTF_VERSION)
		return exo_err(EINVAL, "%s: version %u is not %u", name, h.version, BTF_VERSION);
	if (h.flags)
		return exo_err(EINVAL, "%s: unknown header flags %#x", name, h.flags);
	if (h.hdr_len < 24 || h.hdr_len > size)
		return exo_err(EINVAL, "%s: header length %u is outside [24, %zu]", name, h.hdr_len,
			       size);
	if (h.hdr_len % 4)
		return exo_err(EINVAL, "%s: header length %u is not a multiple of 4", name,
			       h.hdr_len);
	if (h.hdr_len < 32)
		h.core_off = h.core_len = 0;
	ext->data = malloc(size);
	if (!ext->data)
		return exo_err(ENOMEM, "%s: out of memory", name);
	memcpy(ext->data, data, size);
	const uint8_t *base = ext->data + h.hdr_len;
	size_t avail = size - h.hdr_len;
	err = parse_info(&ext->func, base, h.func_off, h.func_len, avail,
			 sizeof(struct btf_ext_func), btf, name, "func_info");
	err = err
		  ?: parse_info(&ext->line, base, h.line_off, h.line_len, avail,
				sizeof(struct btf_ext_line), btf, name, "line_info");
	err = err
		  ?: parse_info(&ext->core, base, h.core_off, h.core_len, avail,
				sizeof(struct btf_ext_core), btf, name, "core_relo");
	err = err ?: check_records(ext, btf, name);
	if (err)
		btf_ext_free(ext);
	return err;
}

void btf_ext_free(struct btf_ext *ext)
{
	free(ext->func.secs);
	free(ext->line.secs);
	free(ext->core.secs);
	free(ext->data);
	memset(ext, 0, sizeof(*ext));
}
