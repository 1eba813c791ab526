#include "xdp_three.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "exobpf/exobpf.h"
#include "util.h"

/* The dump of p's machine code in memory (free it); NULL on failure. */
static char *xt_dump(struct exobpf_prog *p)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	if (!f)
		return NULL;
	int err = exobpf_prog__dump_jited(p, f, 0);
	fclose(f);
	if (err) {
		free(buf);
		return NULL;
	}
	return buf;
}

static void run_exobpf(const struct xt_case *c, struct exobpf_prog *p, char *why, size_t size)
{
	char *dump = xt_dump(p);

	if (!dump) {
		snprintf(why, size, "%s: no dump: %s", c->name, exobpf_errmsg());
		return;
	}
	char bad[1024] = "";
	if (c->shape && !c->shape(dump, c->shape_arg, bad, sizeof(bad)))
		snprintf(why, size, "%s: %s", c->name, bad);
	free(dump);
	for (unsigned l = 0; l < c->nlens && !why[0]; l++) {
		EXOBPF_OPTS(exobpf_run_opts, jr, .data_in = c->pkt, .data_size_in = c->lens[l]);
		EXOBPF_OPTS(exobpf_run_opts, ir, .data_in = c->pkt, .data_size_in = c->lens[l],
			    .flags = EXOBPF_RUN_INTERP);
		int je = exobpf_prog__run(p, &jr), ie = exobpf_prog__run(p, &ir);
		if (je || ie || (uint32_t)jr.retval != c->want[l] ||
		    (uint32_t)ir.retval != c->want[l])
			snprintf(why, size,
				 "%s, %u bytes: JIT %d %#x, interpreter %d %#x, want %#x", c->name,
				 c->lens[l], je, (uint32_t)jr.retval, ie, (uint32_t)ir.retval,
				 c->want[l]);
	}
}

static void run_linux(const struct xt_case *c, const struct bpf_insn *insns, size_t cnt, char *why,
		      size_t size)
{
	int fd = kbpf_prog_load(BPF_PROG_TYPE_XDP, insns, cnt, NULL, 0, 0);

	for (unsigned l = 0; l < c->nlens && !why[0]; l++) {
		uint32_t ret = 0;
		int err = fd < 0 ? fd : kbpf_test_run(fd, c->pkt, c->lens[l], &ret);
		if (err || ret != c->want[l])
			snprintf(why, size, "%s, %u bytes: Linux %d %#x, want %#x", c->name,
				 c->lens[l], err, ret, c->want[l]);
	}
	if (fd >= 0)
		close(fd);
}

bool xt_run(const struct xt_case *c, char *why, size_t size)
{
	struct bpf_insn *insns = NULL;
	size_t cnt = 0;

	why[0] = '\0';
	if (exobpf_asm(c->text, c->name, &insns, &cnt)) {
		snprintf(why, size, "%s", exobpf_errmsg());
		return false;
	}
	EXOBPF_OPTS(exobpf_prog_opts, po, .name = c->name, .type = BPF_PROG_TYPE_XDP,
		    .license = "GPL");
	struct exobpf_prog *p = exobpf_prog__new(insns, cnt, &po);
	if (!p)
		snprintf(why, size, "%s", exobpf_errmsg());
	else if (!exobpf_prog__is_jited(p))
		snprintf(why, size, "%s: not compiled", c->name);
	else
		run_exobpf(c, p, why, size);
	exobpf_prog__free(p);
	if (!why[0] && kbpf_available())
		run_linux(c, insns, cnt, why, size);
	free(insns);
	return !why[0];
}

bool xt_run_one(const char *name, const char *text, const uint8_t *pkt, uint32_t len, uint32_t want,
		xt_shape_fn *shape, const void *shape_arg, char *why, size_t size)
{
	struct xt_case c = {.name = name,
			    .text = text,
			    .pkt = pkt,
			    .lens = &len,
			    .want = &want,
			    .nlens = 1,
			    .shape = shape,
			    .shape_arg = shape_arg};
	return xt_run(&c, why, size);
}
