/* bpftool's "prog dump xlated" text for a loaded object's programs: the
 * instructions as relocated (map fds shown as Linux shows map ids), with
 * source lines from line_info when asked. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "exobpf/map.h"
#include "helpers/helpers.h"
#include "isa/disasm.h"
#include "loader/obj.h"

struct dump_ctx {
	const struct exobpf_program *prog;
	unsigned flags;
};

static const char *helper_cb(void *priv, int32_t id)
{
	(void)priv;
	return helper_linux_name(id);
}

static const struct exobpf_map *map_by_fd(const struct exobpf_object *obj, int fd)
{
	for (uint32_t i = 0; i < obj->nr_maps; i++)
		if (obj->maps[i].fd == fd)
			return &obj->maps[i];
	return NULL;
}

static int imm_cb(void *priv, const struct bpf_insn *insn, char *buf, size_t size)
{
	const struct dump_ctx *d = priv;
	const struct exobpf_map *m;
	char id[32];

	if (insn->src_reg != BPF_PSEUDO_MAP_FD && insn->src_reg != BPF_PSEUDO_MAP_VALUE)
		return 0;
	if (!(m = map_by_fd(d->prog->obj, insn->imm)))
		return 0;
	if (d->flags & EXOBPF_DUMP_MAP_NAMES) {
		snprintf(id, sizeof(id), "%s", m->name);
	} else {
		struct bpf_map_info info;
		uint32_t len = sizeof(info);
		memset(&info, 0, sizeof(info));
		if (exobpf_map_get_info_by_fd(m->fd, &info, &len))
			return 0;
		snprintf(id, sizeof(id), "id:%u", info.id);
	}
	if (insn->src_reg == BPF_PSEUDO_MAP_FD)
		snprintf(buf, size, "map[%s]", id);
	else
		snprintf(buf, size, "map[%s][0]+%d", id, insn[1].imm);
	return 1;
}

EXOBPF_API int exobpf_program__dump_xlated(const struct exobpf_program *prog, FILE *out,
					   unsigned flags)
{
	struct dump_ctx d = {prog, flags};
	const struct isa_disasm_cbs cbs = {
	    .helper_name = helper_cb, .imm_text = imm_cb, .priv = &d};
	const char *last = NULL;

	if (!prog || !out)
		return exo_err(EINVAL, "exobpf_program__dump_xlated: NULL argument");
	if (!prog->obj->prepared)
		return exo_err(EINVAL, "program %s: not relocated yet (prepare or load the object)",
			       prog->name);
	if (flags & EXOBPF_DUMP_RAW) {
		for (size_t i = 0; i < prog->insns_cnt; i++) {
			const struct bpf_insn *x = &prog->insns[i];
			const struct exobpf_map *m = NULL;
			if (x->code == (BPF_LD | BPF_IMM | BPF_DW) &&
			    (x->src_reg == BPF_PSEUDO_MAP_FD || x->src_reg == BPF_PSEUDO_MAP_VALUE))
				m = map_by_fd(prog->obj, x->imm);
			fprintf(out, "%4zu: code=%02x dst=%u src=%u off=%d imm=", i, x->code,
				x->dst_reg, x->src_reg, x->off);
			if (m)
				fprintf(out, "map:%s\n", m->name);
			else
				fprintf(out, "%d\n", x->imm);
		}
		return 0;
	}
	for (size_t i = 0; i < prog->insns_cnt;) {
		char text[256];
		if (flags & EXOBPF_DUMP_LINES) {
			const char *line = exobpf_program__line(prog, i, NULL, NULL);
			if (line && line != last && line[0]) {
				const char *t = line;
				while (*t == ' ' || *t == '\t')
					t++; /* Linux and bpftool print lines left-trimmed */
				fprintf(out, "; %s\n", t);
				last = line;
			}
		}
		int n = isa_disasm(prog->insns, prog->insns_cnt, i, EXOBPF_SYNTAX_LINUX, &cbs, text,
				   sizeof(text));
		if (n < 0)
			return exo_err(EINVAL, "program %s: insn %zu: %s", prog->name, i, text);
		fprintf(out, "%4zu: (%02x) %s\n", i, prog->insns[i].code, text);
		i += (size_t)n;
	}
	return 0;
}
