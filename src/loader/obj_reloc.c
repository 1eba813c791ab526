/* Relocations, as libbpf performs them: record each ELF relocation against a
 * program instruction (map, global data, subprogram, extern), then at load
 * link every main program with the .text subprograms it calls (appended in
 * the order first called, depth first) and write map fds and offsets into
 * lddw instructions. */
#include <errno.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "loader/obj.h"

#define INSN_LDDW (BPF_LD | BPF_IMM | BPF_DW)

static bool is_call(const struct bpf_insn *i)
{
	return i->code == (BPF_JMP | BPF_CALL);
}

static bool is_subprog_call(const struct bpf_insn *i)
{
	return is_call(i) && i->src_reg == BPF_PSEUDO_CALL && i->dst_reg == 0 && i->off == 0;
}

static bool is_pseudo_func(const struct bpf_insn *i)
{
	return i->code == INSN_LDDW && i->src_reg == BPF_PSEUDO_FUNC;
}

struct exobpf_program *obj_prog_at(struct exobpf_object *obj, int sec_idx, uint32_t insn_idx)
{
	for (uint32_t i = 0; i < obj->nr_progs; i++) {
		struct exobpf_program *p = &obj->progs[i];
		if (p->sec_idx == sec_idx && insn_idx >= p->sec_insn_off &&
		    insn_idx < p->sec_insn_off + p->sec_insn_cnt)
			return p;
	}
	return NULL;
}

static bool is_data_sec(const struct exobpf_object *obj, int shndx, int *map_idx)
{
	for (uint32_t i = 0; i < obj->nr_maps; i++)
		if (obj->maps[i].kind != MAP_USER && obj->maps[i].kind != MAP_KCONFIG &&
		    obj->maps[i].sec_idx == shndx) {
			*map_idx = (int)i;
			return true;
		}
	return false;
}

static int add_relo(struct exobpf_program *p, const struct obj_reloc *r)
{
	if (p->nr_relos % 16 == 0) {
		void *n = realloc(p->relos, (p->nr_relos + 16) * sizeof(*p->relos));
		if (!n)
			return exo_err(ENOMEM, "%s: out of memory", p->obj->path);
		p->relos = n;
	}
	p->relos[p->nr_relos++] = *r;
	return 0;
}

static int record(struct exobpf_object *obj, struct exobpf_program *p, const char *rsec, size_t ri,
		  const struct elf_rel *rel, uint32_t insn_idx)
{
	const struct elf_sym *sym = &obj->elf.syms[rel->sym];
	struct bpf_insn *insn = &p->insns[insn_idx];
	const char *path = obj->path, *name = sym->name;
	struct obj_reloc r = {.insn_idx = insn_idx, .map_idx = -1, .ext_idx = -1};

	if (sym->type == STT_SECTION && !name[0] && sym->shndx < obj->elf.nsecs)
		name = obj->elf.secs[sym->shndx].name; /* static things: the section */
	r.sym_name = name;
	if (rel->type != ELF_R_BPF_64_64 && rel->type != ELF_R_BPF_64_32)
		return exo_err(EINVAL,
			       "%s: section %s: relocation %zu against '%s': type %u is not "
			       "R_BPF_64_64 or R_BPF_64_32",
			       path, rsec, ri, name, rel->type);
	if (!is_call(insn) && insn->code != INSN_LDDW)
		return exo_err(EINVAL,
			       "%s: section %s: relocation %zu against '%s': insn %u (code %#x) of "
			       "program %s is neither a call nor lddw",
			       path, rsec, ri, name, insn_idx, insn->code, p->name);
	if (insn->code == INSN_LDDW && insn_idx + 1 >= p->sec_insn_cnt)
		return exo_err(EINVAL,
			       "%s: section %s: relocation %zu: lddw at insn %u of %s is cut off",
			       path, rsec, ri, insn_idx, p->name);
	if (sym->shndx == SHN_UNDEF) {
		for (uint32_t e = 0; e < obj->nr_externs; e++)
			if (obj->externs[e].sym_idx == (int)rel->sym) {
				r.ext_idx = (int)e;
				if (is_call(insn)) {
					/* clang writes src 1; the loader makes it a kfunc call */
					r.type = RELO_EXTERN_CALL;
				} else {
					r.type = RELO_EXTERN_LD64;
				}
				return add_relo(p, &r);
			}
		return exo_err(ENOENT,
			       "%s: section %s: relocation %zu: insn %u of program %s refers to "
			       "'%s', which is not defined in this object (a missing symbol)",
			       path, rsec, ri, insn_idx, p->name, name);
	}
	if (is_call(insn)) {
		if (insn->src_reg != BPF_PSEUDO_CALL)
			return exo_err(EINVAL,
				       "%s: program %s: insn %u: relocated call of '%s' is not a "
				       "BPF-to-BPF call (src %u)",
				       path, p->name, insn_idx, name, insn->src_reg);
		if ((int)sym->shndx != obj->text_sec)
			return exo_err(EINVAL,
				       "%s: program %s: insn %u: call of '%s' in section %s: "
				       "subprograms must be in .text",
				       path, p->name, insn_idx, name,
				       sym->shndx < obj->elf.nsecs ? obj->elf.secs[sym->shndx].name
								   : "?");
		if (sym->value % 8)
			return exo_err(
			    EINVAL,
			    "%s: program %s: insn %u: call of '%s' at unaligned offset %#llx", path,
			    p->name, insn_idx, name, (unsigned long long)sym->value);
		r.type = RELO_CALL;
		r.sym_off = sym->value;
		return add_relo(p, &r);
	}
	if (sym->shndx >= SHN_LORESERVE || sym->shndx >= obj->elf.nsecs)
		return exo_err(EINVAL,
			       "%s: program %s: insn %u: '%s' is in special section %#x (an "
			       "uninitialised global? give it a value)",
			       path, p->name, insn_idx, name, sym->shndx);
	if ((int)sym->shndx == obj->text_sec &&
	    (sym->type == STT_FUNC || sym->type == STT_SECTION)) {
		if (sym->value % 8 || insn->imm % 8)
			return exo_err(EINVAL,
				       "%s: program %s: insn %u: address of '%s' is not on an "
				       "instruction",
				       path, p->name, insn_idx, name);
		/* clang leaves src 0; BPF_PSEUDO_FUNC is the loader's word to the kernel */
		insn->src_reg = BPF_PSEUDO_FUNC;
		r.type = RELO_SUBPROG_ADDR;
		r.sym_off = sym->value;
		return add_relo(p, &r);
	}
	if ((int)sym->shndx == obj->maps_sec || (int)sym->shndx == obj->legacy_maps_sec) {
		for (uint32_t m = 0; m < obj->nr_maps; m++)
			if (obj->maps[m].kind == MAP_USER &&
			    obj->maps[m].sec_idx == (int)sym->shndx &&
			    obj->maps[m].sec_off == sym->value) {
				r.type = RELO_LD64;
				r.map_idx = (int)m;
				return add_relo(p, &r);
			}
		return exo_err(ENOENT,
			       "%s: program %s: insn %u: no map at offset %#llx of section %s",
			       path, p->name, insn_idx, (unsigned long long)sym->value,
			       obj->elf.secs[sym->shndx].name);
	}
	if (is_data_sec(obj, sym->shndx, &r.map_idx)) {
		r.type = RELO_DATA;
		r.sym_off = sym->value;
		return add_relo(p, &r);
	}
	return exo_err(EINVAL,
		       "%s: program %s: insn %u: relocation against '%s' in section %s, which "
		       "is neither maps, global data nor code",
		       path, p->name, insn_idx, name, obj->elf.secs[sym->shndx].name);
}

int obj_collect_relos(struct exobpf_object *obj)
{
	for (size_t r = 1; r < obj->elf.nsecs; r++) {
		const struct elf_sec *rs = &obj->elf.secs[r], *target;
		struct elf_rel *rels;
		size_t cnt;
		int err;

		if (rs->type != SHT_REL)
			continue;
		if (rs->info == 0 || rs->info >= obj->elf.nsecs)
			return exo_err(EINVAL,
				       "%s: section %s: target section index %u out of range (%zu "
				       "sections)",
				       obj->path, rs->name, rs->info, obj->elf.nsecs);
		target = &obj->elf.secs[rs->info];
		if (!(target->flags & SHF_EXECINSTR))
			continue; /* .rel.BTF, .rel.debug_*; .rel.maps is read with the maps */
		if ((err = elf_rels(&obj->elf, rs, &rels, &cnt)))
			return err;
		for (size_t i = 0; i < cnt; i++) {
			uint32_t idx = (uint32_t)(rels[i].offset / 8);
			struct exobpf_program *p;

			if (rels[i].offset % 8) {
				err = exo_err(
				    EINVAL,
				    "%s: section %s: relocation %zu: offset %#llx is not on "
				    "an instruction",
				    obj->path, rs->name, i, (unsigned long long)rels[i].offset);
				break;
			}
			p = obj_prog_at(obj, (int)rs->info, idx);
			if (!p) {
				err = exo_err(
				    EINVAL,
				    "%s: section %s: relocation %zu: offset %#llx is not in "
				    "any function",
				    obj->path, rs->name, i, (unsigned long long)rels[i].offset);
				break;
			}
			if ((err = record(obj, p, rs->name, i, &rels[i], idx - p->sec_insn_off)))
				break;
		}
		free(rels);
		if (err)
			return err;
	}
	return 0;
}

/* func_info / line_info of the records of one program's section range,
 * rebased to where that code sits in the main program. */
static int append_ext_info(struct exobpf_program *main, const struct exobpf_program *sub)
{
	const struct exobpf_object *obj = main->obj;

	if (!obj->has_ext)
		return 0;
	for (int kind = 0; kind < 2; kind++) {
		const struct btf_ext_info *info = kind ? &obj->ext.line : &obj->ext.func;
		if (kind == 0 && main != sub && !main->func_info_cnt)
			continue; /* libbpf: no func_info for the main program, none at all */
		for (uint32_t s = 0; s < info->nsecs; s++) {
			const struct btf_ext_sec *es = &info->secs[s];
			if (strcmp(es->name, sub->sec_name))
				continue;
			for (uint32_t i = 0; i < es->cnt; i++) {
				const uint32_t *rec = btf_ext_rec(info, es, i);
				uint32_t off = rec[0] / 8;
				if (off < sub->sec_insn_off ||
				    off >= sub->sec_insn_off + sub->sec_insn_cnt)
					continue;
				off = off - sub->sec_insn_off + sub->sub_insn_off;
				if (kind == 0) {
					void *n =
					    realloc(main->func_info, (main->func_info_cnt + 1) *
									 sizeof(*main->func_info));
					if (!n)
						return exo_err(ENOMEM, "out of memory");
					main->func_info = n;
					main->func_info[main->func_info_cnt++] =
					    (struct btf_ext_func){off, rec[1]};
				} else {
					void *n =
					    realloc(main->line_info, (main->line_info_cnt + 1) *
									 sizeof(*main->line_info));
					if (!n)
						return exo_err(ENOMEM, "out of memory");
					main->line_info = n;
					main->line_info[main->line_info_cnt++] =
					    (struct btf_ext_line){off, rec[1], rec[2], rec[3]};
				}
			}
		}
	}
	return 0;
}

static const struct obj_reloc *find_relo(const struct exobpf_program *p, uint32_t idx)
{
	for (uint32_t i = 0; i < p->nr_relos; i++)
		if (p->relos[i].insn_idx == idx)
			return &p->relos[i];
	return NULL;
}

static int append_subprog(struct exobpf_program *main, struct exobpf_program *sub)
{
	uint32_t n = main->insns_cnt + sub->insns_cnt;
	struct bpf_insn *insns;

	if (n > 1000000)
		return exo_err(E2BIG,
			       "%s: program %s: %u instructions with its subprograms exceed "
			       "1000000",
			       main->obj->path, main->name, n);
	insns = realloc(main->insns, n * sizeof(*insns));
	if (!insns)
		return exo_err(ENOMEM, "out of memory");
	memcpy(insns + main->insns_cnt, sub->insns, sub->insns_cnt * sizeof(*insns));
	main->insns = insns;
	sub->sub_insn_off = main->insns_cnt;
	main->insns_cnt = n;
	return 0;
}

/* Link prog's code (main itself, or a subprogram already appended to it). */
static int link_code(struct exobpf_object *obj, struct exobpf_program *main,
		     struct exobpf_program *prog, int depth)
{
	int err;

	if (depth > 64)
		return exo_err(ELOOP, "%s: program %s: subprogram calls nest too deep", obj->path,
			       main->name);
	if ((err = append_ext_info(main, prog)))
		return err;
	for (uint32_t i = 0; i < prog->sec_insn_cnt; i++) {
		struct bpf_insn *insn = &main->insns[prog->sub_insn_off + i];
		const struct obj_reloc *r;
		struct exobpf_program *sub;
		int64_t target;

		if (!is_subprog_call(insn) && !is_pseudo_func(insn))
			continue;
		r = find_relo(prog, i);
		if (r && r->type == RELO_EXTERN_CALL)
			continue;
		if (r && r->type != RELO_CALL && r->type != RELO_SUBPROG_ADDR)
			return exo_err(EINVAL,
				       "%s: program %s: insn %u: unexpected relocation for a call",
				       obj->path, prog->name, i);
		if (r && r->type == RELO_CALL)
			target = (int64_t)(r->sym_off / 8) + insn->imm + 1;
		else if (r)
			target = ((int64_t)r->sym_off + insn->imm) / 8;
		else if (is_pseudo_func(insn))
			return exo_err(EINVAL,
				       "%s: program %s: insn %u: function address without a "
				       "relocation",
				       obj->path, prog->name, i);
		else /* a static function in the same section: imm is relative */
			target = (int64_t)prog->sec_insn_off + i + insn->imm + 1;
		sub =
		    target >= 0 && r
			? obj_prog_at(obj, obj->text_sec, (uint32_t)target)
			: (target >= 0 ? obj_prog_at(obj, prog->sec_idx, (uint32_t)target) : NULL);
		if (!sub || !sub->is_subprog || sub->sec_insn_off != target)
			return exo_err(EINVAL,
				       "%s: program %s: insn %u: call target %lld is not the start "
				       "of a .text function",
				       obj->path, prog->name, i, (long long)target);
		if (sub->sub_insn_off == 0) {
			if ((err = append_subprog(main, sub)) ||
			    (err = link_code(obj, main, sub, depth + 1)))
				return err;
		}
		insn = &main->insns[prog->sub_insn_off + i]; /* insns may have moved */
		insn->imm = (int32_t)sub->sub_insn_off - (int32_t)(prog->sub_insn_off + i) - 1;
	}
	return 0;
}

static int map_fd(const struct exobpf_object *obj, int idx)
{
	return obj->maps[idx].fd;
}

static int relocate_data(struct exobpf_object *obj, struct exobpf_program *main,
			 struct exobpf_program *prog)
{
	for (uint32_t i = 0; i < prog->nr_relos; i++) {
		const struct obj_reloc *r = &prog->relos[i];
		struct bpf_insn *insn = &main->insns[prog->sub_insn_off + r->insn_idx];
		const struct obj_extern *ext;

		switch (r->type) {
		case RELO_LD64:
			insn[0].src_reg = BPF_PSEUDO_MAP_FD;
			insn[0].imm = map_fd(obj, r->map_idx);
			break;
		case RELO_DATA:
			insn[1].imm = insn[0].imm + (int32_t)r->sym_off;
			insn[0].src_reg = BPF_PSEUDO_MAP_VALUE;
			insn[0].imm = map_fd(obj, r->map_idx);
			break;
		case RELO_EXTERN_LD64:
			ext = &obj->externs[r->ext_idx];
			if (ext->is_kcfg) {
				insn[0].src_reg = BPF_PSEUDO_MAP_VALUE;
				insn[0].imm = map_fd(obj, obj->kconfig_map_idx);
				insn[1].imm = (int32_t)ext->data_off;
			} else if (!ext->is_set) { /* weak __ksym nobody provides: NULL */
				insn[0].imm = 0;
				insn[1].imm = 0;
			}
			break;
		case RELO_EXTERN_CALL:
			/* only weak kfuncs get here (strong ones failed to resolve):
			 * libbpf leaves an unresolved weak kfunc call as imm 0, off 0 */
			insn[0].src_reg = BPF_PSEUDO_KFUNC_CALL;
			insn[0].imm = 0;
			insn[0].off = 0;
			break;
		case RELO_SUBPROG_ADDR:
			if (insn->src_reg != BPF_PSEUDO_FUNC)
				return exo_err(EINVAL,
					       "%s: program %s: insn %u: function address lddw has "
					       "src %u",
					       obj->path, prog->name, r->insn_idx, insn->src_reg);
			break;
		case RELO_CALL:
			break;
		}
	}
	return 0;
}

/* Link one main program: subprograms appended, calls fixed, data relocated
 * in the main program and in every appended copy. */
static int link_main(struct exobpf_object *obj, struct exobpf_program *main)
{
	int err;

	for (uint32_t i = 0; i < obj->nr_progs; i++)
		if (obj->progs[i].is_subprog)
			obj->progs[i].sub_insn_off = 0;
	main->sub_insn_off = 0;
	if ((err = link_code(obj, main, main, 0)))
		return err;
	for (uint32_t i = 0; i < obj->nr_progs; i++) {
		struct exobpf_program *p = &obj->progs[i];
		if (p == main || (p->is_subprog && p->sub_insn_off))
			if ((err = relocate_data(obj, main, p)))
				return err;
	}
	return 0;
}

int obj_relocate(struct exobpf_object *obj, const struct exobpf_btf *target)
{
	int err = 0;

	if (obj->has_ext && obj->ext.core.nsecs && (err = core_relocate(obj, target)))
		return err;
	for (uint32_t i = 0; i < obj->nr_progs && !err; i++) {
		struct exobpf_program *p = &obj->progs[i];
		if (!p->is_subprog && p->autoload)
			err = link_main(obj, p);
	}
	return err;
}
