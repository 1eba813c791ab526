/* Programs: BPF_PROG_LOAD, the program file, its rebuild in another
 * process, PROG_TEST_RUN, program info and the prog-array resolver.
 *
 * The file keeps the program as it was loaded with map fds turned into map
 * ids, so a process that receives the program (an fd, a pin, an id) loads
 * the same instructions again against the same maps (its verdict cannot
 * differ) and runs it in its own address space. */
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/kinds.h"
#include "api/sha256.h"
#include "api/uaccess.h"
#include "core/prog.h"
#include "exobpf/btf.h"
#include "exobpf/map.h"
#include "exobpf/verifier.h"
#include "jit/jit.h"
#include "maps/map.h"

#define MAX_INSNS 1000000u /* Linux's BPF_COMPLEXITY_LIMIT_INSNS (privileged) */
#define MAX_LOG	  (256u << 20)
/* Linux 6.18 rejects non-zero bytes from the padding after attach_btf_id */
#define PROG_INFO_NAMED (offsetof(struct bpf_prog_info, attach_btf_id) + 4)

/* prog_flags Linux 6.18 knows */
#define KNOWN_PROG_FLAGS                                                                          \
	(BPF_F_STRICT_ALIGNMENT | BPF_F_ANY_ALIGNMENT | BPF_F_TEST_STATE_FREQ | BPF_F_SLEEPABLE | \
	 BPF_F_TEST_RND_HI32 | (1u << 5) /* XDP_HAS_FRAGS */ |                                    \
	 (1u << 6) /* XDP_DEV_BOUND_ONLY */ | (1u << 7) /* TEST_REG_INVARIANTS */ |               \
	 (1u << 16) /* TOKEN_FD */)

struct api_prog {
	struct exobpf_prog *prog;
};

struct exobpf_prog *api_prog_of(struct api_obj *o)
{
	struct api_prog *p = o->priv;

	return p ? p->prog : NULL;
}

static struct api_prog_rec *rec(const struct api_obj *o)
{
	return api_obj_rec(o);
}

static bool is_map_ld(const struct bpf_insn *in)
{
	return in->code == (BPF_LD | BPF_IMM | BPF_DW) &&
	       (in->src_reg == BPF_PSEUDO_MAP_FD || in->src_reg == BPF_PSEUDO_MAP_VALUE);
}

/* ---- the file ---- */

struct load {
	union api_attr *attr;
	struct exobpf_prog *prog;
	const struct bpf_insn *orig; /* with map ids instead of fds */
	uint32_t orig_cnt;
	struct bpf_insn *xlated;
	uint32_t *map_ids, nr_maps;
	void *func_info, *line_info;
	uint32_t btf_id;
	uint8_t tag[8];
	bool gpl;
	char name[16];
};

static size_t align8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

static int fill_prog(uint8_t *base, uint32_t id, void *arg)
{
	struct load *l = arg;
	struct api_prog_rec *r = (struct api_prog_rec *)(base + API_REC_OFF);
	const struct api_attr_prog_load *a = &l->attr->load;
	size_t off = API_PAGE;

	(void)id;
	*r = (struct api_prog_rec){
	    .type = a->prog_type,
	    .expected_attach_type = a->expected_attach_type,
	    .prog_flags = a->prog_flags,
	    .gpl = l->gpl,
	    .orig_cnt = l->orig_cnt,
	    .xlated_cnt = (uint32_t)l->prog->cnt,
	    .nr_map_ids = l->nr_maps,
	    .btf_id = l->btf_id,
	    .nr_func_info = l->func_info ? a->func_info_cnt : 0,
	    .nr_line_info = l->line_info ? a->line_info_cnt : 0,
	    .verified_insns = l->prog->vstats.insn_processed,
	    .uid = (uint32_t)getuid(),
	    .attach_btf_id = a->attach_btf_id,
	    .kern_version = a->kern_version,
	    .load_time = api_boottime_ns(),
	};
	memcpy(r->name, l->name, sizeof(r->name));
	memcpy(r->tag, l->tag, sizeof(r->tag));
	r->orig_off = off;
	memcpy(base + off, l->orig, l->orig_cnt * sizeof(struct bpf_insn));
	off += l->orig_cnt * sizeof(struct bpf_insn);
	r->xlated_off = off;
	memcpy(base + off, l->xlated, r->xlated_cnt * sizeof(struct bpf_insn));
	off += r->xlated_cnt * sizeof(struct bpf_insn);
	r->map_ids_off = off;
	memcpy(base + off, l->map_ids, l->nr_maps * 4);
	off = align8(off + l->nr_maps * 4);
	r->func_info_off = off;
	if (r->nr_func_info)
		memcpy(base + off, l->func_info, r->nr_func_info * sizeof(struct bpf_func_info));
	off += r->nr_func_info * sizeof(struct bpf_func_info);
	r->line_info_off = off;
	if (r->nr_line_info)
		memcpy(base + off, l->line_info, r->nr_line_info * sizeof(struct bpf_line_info));
	off += r->nr_line_info * sizeof(struct bpf_line_info);
	r->jited_off = off;
	return 0;
}

static size_t file_size(const struct load *l, uint32_t nfi, uint32_t nli)
{
	return API_PAGE + (l->orig_cnt + l->prog->cnt) * sizeof(struct bpf_insn) +
	       align8(l->nr_maps * 4) + nfi * sizeof(struct bpf_func_info) +
	       nli * sizeof(struct bpf_line_info);
}

/* ---- load ---- */

/* Linux 6.18's tag: SHA-256 of the instructions, map references zeroed. */
static void calc_tag(const struct bpf_insn *insns, uint32_t cnt, uint8_t tag[8])
{
	struct bpf_insn *z = malloc(cnt * sizeof(*z));
	uint8_t dig[32];

	memset(tag, 0, 8);
	if (!z)
		return;
	memcpy(z, insns, cnt * sizeof(*z));
	for (uint32_t i = 0; i + 1 < cnt; i++)
		if (is_map_ld(&z[i])) {
			z[i].imm = 0;
			z[i + 1].imm = 0;
			i++;
		}
	api_sha256(z, cnt * sizeof(*z), dig);
	memcpy(tag, dig, 8);
	free(z);
}

/* The loaded instructions with each map fd replaced by its id; the distinct
 * ids go to l->map_ids. Errors are the verifier's business (it ran first). */
static int map_ids(struct load *l, const struct bpf_insn *insns, uint32_t cnt,
		   struct bpf_insn **out)
{
	struct bpf_insn *o = malloc(cnt * sizeof(*o));

	l->map_ids = calloc(cnt, 4);
	if (!o || !l->map_ids) {
		free(o);
		return -ENOMEM;
	}
	memcpy(o, insns, cnt * sizeof(*o));
	for (uint32_t i = 0; i + 1 < cnt; i++) {
		struct exo_map *m;
		uint32_t id, k;

		if (!is_map_ld(&o[i]))
			continue;
		if (!(m = exo_map_get(o[i].imm))) {
			free(o);
			return -EBADF;
		}
		id = exo_map_id(m);
		exo_map_put(m);
		o[i].imm = (int32_t)id;
		for (k = 0; k < l->nr_maps && l->map_ids[k] != id; k++)
			;
		if (k == l->nr_maps)
			l->map_ids[l->nr_maps++] = id;
		i++;
	}
	*out = o;
	return 0;
}

/* The xlated dump: the program as it runs, with map references shown as
 * Linux shows them (map id; value: id and offset). The rewrite is one
 * instruction for one, so the loaded form gives those at the same index. */
static struct bpf_insn *xlate(const struct exobpf_prog *p, const struct bpf_insn *with_ids,
			      uint32_t orig_cnt)
{
	struct bpf_insn *x = malloc(p->cnt * sizeof(*x));

	if (!x)
		return NULL;
	memcpy(x, p->insns, p->cnt * sizeof(*x));
	for (size_t i = 0; i + 1 < p->cnt; i++)
		if (is_map_ld(&x[i])) {
			if (i + 1 < orig_cnt && is_map_ld(&with_ids[i])) {
				x[i].imm = with_ids[i].imm;
				x[i + 1].imm = with_ids[i + 1].imm;
			}
			i++;
		}
	return x;
}

static int copy_info_recs(uint64_t uptr, uint32_t cnt, uint32_t rec_size, size_t ours, void **out,
			  const char *what)
{
	uint8_t *raw, *recs;
	int err;

	if (!cnt)
		return 0;
	if (rec_size < ours || rec_size > 256 || rec_size % 4)
		return exo_err(EINVAL, "PROG_LOAD: %s_rec_size %u is invalid", what, rec_size);
	if (!(raw = api_memdup_user(uptr, (size_t)cnt * rec_size, &err)))
		return exo_err(-err, "PROG_LOAD: %s at 0x%llx is not readable", what,
			       (unsigned long long)uptr);
	if (!(recs = malloc((size_t)cnt * ours))) {
		free(raw);
		return exo_err(ENOMEM, "PROG_LOAD: out of memory for %s", what);
	}
	for (uint32_t i = 0; i < cnt; i++) {
		for (size_t b = ours; b < rec_size; b++)
			if (raw[(size_t)i * rec_size + b]) {
				free(raw), free(recs);
				return exo_err(
				    E2BIG, "PROG_LOAD: %s record %u has non-zero bytes past %zu",
				    what, i, ours);
			}
		memcpy(recs + i * ours, raw + (size_t)i * rec_size, ours);
	}
	free(raw);
	*out = recs;
	return 0;
}

/* Verify and build, with the log handled as Linux 6.18 does: the program
 * is verified into a buffer big enough for the whole log, which is then cut
 * to the caller's size. */
static struct exobpf_prog *build(union api_attr *attr, const struct bpf_insn *insns,
				 const char *license, const char *name, struct exobpf_btf *btf,
				 const struct load *l, const struct api_call *c, int *errp)
{
	const struct api_attr_prog_load *a = &attr->load;
	struct api_log log = {a->log_buf, a->log_size, a->log_level};
	uint32_t level = a->log_level & 7, cap = 1u << 20, true_size = 0;
	struct exobpf_prog *prog;
	char *buf = NULL;
	int err = 0, lerr;

	for (;;) {
		struct exobpf_prog_opts o = {
		    .sz = sizeof(o),
		    .type = a->prog_type,
		    .name = name,
		    .expected_attach_type = a->expected_attach_type,
		    .prog_flags = a->prog_flags & ~(1u << 16),
		    .license = license,
		    .kern_version = a->kern_version,
		    .prog_btf = btf,
		    .func_info = l->func_info,
		    .func_info_cnt = l->func_info ? a->func_info_cnt : 0,
		    .func_info_rec_size = sizeof(struct bpf_func_info),
		    .line_info = l->line_info,
		    .line_info_cnt = l->line_info ? a->line_info_cnt : 0,
		    .line_info_rec_size = sizeof(struct bpf_line_info),
		};
		if (level) {
			free(buf);
			if (!(buf = malloc(cap))) {
				*errp = exo_err(ENOMEM, "PROG_LOAD: out of memory for the log");
				return NULL;
			}
			buf[0] = '\0';
			o.log_buf = buf;
			o.log_size = cap;
			o.log_level = level;
		}
		prog = exobpf_prog__new(insns, a->insn_cnt, &o);
		err = prog ? 0 : -errno;
		if (err != -ENOSPC || !level || cap >= MAX_LOG)
			break;
		cap *= 2;
	}
	if (level) {
		lerr = api_log_finish(&log, buf, strlen(buf), &true_size);
		if (lerr) {
			err = lerr;
			exo_err(-lerr, "PROG_LOAD: %s",
				lerr == -ENOSPC ? "the verifier log did not fit in log_size"
						: "log_buf is not writable");
		}
	}
	free(buf);
	if (c->size >= API_ATTR_END(load.log_true_size) &&
	    API_PUT(c, load.log_true_size, true_size))
		err = exo_err(EFAULT, "PROG_LOAD: the attribute is not writable");
	if (err && prog) {
		exobpf_prog__free(prog);
		prog = NULL;
	}
	*errp = err;
	return prog;
}

int api_cmd_prog_load(union api_attr *attr, const struct api_call *c)
{
	struct api_attr_prog_load *a = &attr->load;
	struct load l = {.attr = attr};
	struct api_prog *priv = NULL;
	struct api_obj *btfo = NULL;
	struct bpf_insn *insns = NULL, *with_ids = NULL;
	char license[128];
	long n;
	int err, fd;

	/* Linux's order: flags, count, instructions, license, type, name,
	 * then the verifier's own checks (log, BTF) */
	if (a->prog_flags & ~KNOWN_PROG_FLAGS)
		return exo_err(EINVAL, "PROG_LOAD: prog_flags 0x%x has unknown bits",
			       a->prog_flags);
	if (a->insn_cnt == 0 || a->insn_cnt > MAX_INSNS)
		return exo_err(E2BIG, "PROG_LOAD: insn_cnt %u is not within 1..%u", a->insn_cnt,
			       MAX_INSNS);
	if (!(insns = api_memdup_user(a->insns, (size_t)a->insn_cnt * sizeof(*insns), &err)))
		return exo_err(-err, "PROG_LOAD: insns at 0x%llx are not readable",
			       (unsigned long long)a->insns);
	if ((n = api_strncpy_from_user(license, a->license, sizeof(license))) < 0) {
		err = exo_err(EFAULT, "PROG_LOAD: license at 0x%llx is not readable",
			      (unsigned long long)a->license);
		goto out;
	}
	if (!exobpf_prog_type_supported(a->prog_type)) {
		err = exo_err(EINVAL, "PROG_LOAD: prog_type %u is unknown or not supported",
			      a->prog_type);
		goto out;
	}
	if ((err = api_obj_name(a->prog_name, l.name, "PROG_LOAD: prog_name")) ||
	    (err = api_log_check(&(struct api_log){a->log_buf, a->log_size, a->log_level},
				 "PROG_LOAD")))
		goto out;
	if (a->prog_btf_fd) {
		if (!(btfo = api_obj_get((int)a->prog_btf_fd, API_KIND_BTF,
					 "PROG_LOAD: prog_btf_fd"))) {
			err = -errno;
			goto out;
		}
		l.btf_id = btfo->id;
	} else if (a->func_info_cnt || a->line_info_cnt) {
		err = exo_err(EINVAL, "PROG_LOAD: func_info or line_info without prog_btf_fd");
		goto out;
	}
	if ((err = copy_info_recs(a->func_info, a->func_info_cnt, a->func_info_rec_size,
				  sizeof(struct bpf_func_info), &l.func_info, "func_info")) ||
	    (err = copy_info_recs(a->line_info, a->line_info_cnt, a->line_info_rec_size,
				  sizeof(struct bpf_line_info), &l.line_info, "line_info")))
		goto out;
	l.gpl = !strcmp(license, "GPL") || !strcmp(license, "GPL v2") ||
		!strcmp(license, "GPL and additional rights") || !strcmp(license, "Dual BSD/GPL") ||
		!strcmp(license, "Dual MIT/GPL") || !strcmp(license, "Dual MPL/GPL");
	calc_tag(insns, a->insn_cnt, l.tag);
	l.prog = build(attr, insns, license, l.name[0] ? l.name : "",
		       btfo ? api_btf_of(btfo) : NULL, &l, c, &err);
	if (!l.prog)
		goto out;
	if ((err = map_ids(&l, insns, a->insn_cnt, &with_ids)) ||
	    !(l.xlated = xlate(l.prog, with_ids, a->insn_cnt))) {
		err = exo_err(err == -EBADF ? EBADF : ENOMEM, "PROG_LOAD: out of memory");
		goto out;
	}
	l.orig = with_ids;
	l.orig_cnt = a->insn_cnt;
	if (!(priv = calloc(1, sizeof(*priv)))) {
		err = exo_err(ENOMEM, "PROG_LOAD: out of memory");
		goto out;
	}
	priv->prog = l.prog;
	struct api_obj *o;
	fd = api_obj_create(
	    API_KIND_PROG,
	    file_size(&l, l.func_info ? a->func_info_cnt : 0, l.line_info ? a->line_info_cnt : 0),
	    fill_prog, &l, priv, &o);
	l.prog = NULL; /* owned by the object now, also on failure */
	if (fd < 0) {
		err = fd;
		goto out;
	}
	/* what the program uses lives as long as the program, in any process */
	for (uint32_t i = 0; i + 1 < a->insn_cnt; i++)
		if (is_map_ld(&insns[i])) {
			api_hold(o->id, insns[i].imm, (uint32_t)with_ids[i].imm);
			i++;
		}
	if (btfo)
		api_hold(o->id, (int)a->prog_btf_fd, btfo->id);
	api_obj_put(o);
	err = fd;
out:
	if (l.prog)
		exobpf_prog__free(l.prog);
	api_obj_put(btfo);
	free(insns);
	free(with_ids);
	free(l.xlated);
	free(l.map_ids);
	free(l.func_info);
	free(l.line_info);
	return err;
}

/* ---- another process's program ---- */

/* Load the stored instructions again, with this process's fds of the maps
 * the program holds. A program that cannot be rebuilt (its maps are gone)
 * is still shown and dumped; only running it fails. */
static int prog_open(struct api_obj *o)
{
	const struct api_prog_rec *r = rec(o);
	struct bpf_insn *insns;
	struct api_prog *priv;
	struct exobpf_btf *btf = NULL;
	uint32_t ids[64];
	int fds[64], nfd = 0, err = 0;

	if (r->orig_off + (uint64_t)r->orig_cnt * 8 > o->size ||
	    r->xlated_off + (uint64_t)r->xlated_cnt * 8 > o->size ||
	    r->map_ids_off + (uint64_t)r->nr_map_ids * 4 > o->size ||
	    r->func_info_off + (uint64_t)r->nr_func_info * 8 > o->size ||
	    r->line_info_off + (uint64_t)r->nr_line_info * 16 > o->size)
		return exo_err(EINVAL, "program %u: its file is inconsistent", o->id);
	if (!(priv = calloc(1, sizeof(*priv))) ||
	    !(insns = malloc((size_t)r->orig_cnt * sizeof(*insns) + 1))) {
		free(priv);
		return exo_err(ENOMEM, "program %u: out of memory", o->id);
	}
	o->priv = priv;
	memcpy(insns, o->base + r->orig_off, (size_t)r->orig_cnt * sizeof(*insns));
	for (uint32_t i = 0; i + 1 < r->orig_cnt && !err; i++) {
		uint32_t id;
		int k, fd;

		if (!is_map_ld(&insns[i]))
			continue;
		id = (uint32_t)insns[i].imm;
		for (k = 0; k < nfd && ids[k] != id; k++)
			;
		if (k == nfd) {
			fd = api_hold_open(o->id, id);
			if (fd < 0)
				fd = exobpf_map_get_fd_by_id(id);
			if (fd < 0 || nfd == 64) {
				if (fd >= 0)
					close(fd);
				err = -ENOENT;
				break;
			}
			ids[nfd] = id;
			fds[nfd++] = fd;
		}
		insns[i].imm = fds[k];
		i++;
	}
	if (!err && r->btf_id) {
		int bfd = api_hold_open(o->id, r->btf_id);

		if (bfd >= 0) {
			struct api_obj *b = api_obj_get(bfd, API_KIND_BTF, "program BTF");

			if (b) {
				btf = api_btf_of(b);
				api_obj_put(b); /* the BTF is read during the load only */
			}
			close(bfd);
		}
	}
	if (!err) {
		char name[17];
		struct exobpf_prog_opts opts = {
		    .sz = sizeof(opts),
		    .type = r->type,
		    .name = name,
		    .expected_attach_type = r->expected_attach_type,
		    .prog_flags = r->prog_flags & ~(1u << 16),
		    .license = r->gpl ? "GPL" : "",
		    .prog_btf = btf,
		    .func_info = btf && r->nr_func_info ? o->base + r->func_info_off : NULL,
		    .func_info_cnt = btf ? r->nr_func_info : 0,
		    .func_info_rec_size = sizeof(struct bpf_func_info),
		};
		memcpy(name, r->name, 16);
		name[16] = '\0';
		priv->prog = exobpf_prog__new(insns, r->orig_cnt, &opts);
		if (!priv->prog)
			exo_debug("program %u: cannot be rebuilt here: %s\n", o->id,
				  exobpf_errmsg());
	}
	while (nfd)
		close(fds[--nfd]);
	free(insns);
	return 0;
}

static void prog_release(struct api_obj *o)
{
	struct api_prog *p = o->priv;

	if (p->prog)
		exobpf_prog__free(p->prog);
	free(p);
	o->priv = NULL;
}

const struct api_kind_ops api_prog_ops = {"program", prog_open, prog_release};

/* ---- PROG_TEST_RUN ---- */

#define API_TEST_RUN_MAX (1u << 20)
/* what Linux copies of an XDP test packet before it runs out of frags: a
 * page less headroom and tailroom, then MAX_SKB_FRAGS (17) pages */
#define API_XDP_TEST_MAX (4096u - 256u - 320u + 17u * 4096u)

/* Linux's bpf_prog_test_run_syscall: a syscall program takes only ctx_in,
 * which gets the context back (libbpf's light skeletons read their results
 * there); data, ctx_out, duration, repeat and flags are EINVAL, cpu and
 * batch_size are not looked at, and only retval is written. */
static int test_run_syscall(struct exobpf_prog *prog, struct api_obj *o,
			    const struct api_attr_test *t, const struct api_call *c)
{
	uint32_t size = t->ctx_size_in, retval;
	void *ctx = NULL;
	uint64_t start;
	int err = 0;

	if (t->data_in || t->data_out || t->ctx_out || t->duration || t->repeat || t->flags)
		return exo_err(EINVAL, "PROG_TEST_RUN: a syscall program takes only ctx_in (no "
				       "data, ctx_out, duration, repeat or flags)");
	if ((err = exo_prog_syscall_ctx_ok(prog, size))) /* before ctx_in is read */
		return err;
	if (size && !(ctx = api_memdup_user(t->ctx_in, size, &err)))
		return exo_err(EFAULT, "PROG_TEST_RUN: ctx_in is not readable");
	EXOBPF_OPTS(exobpf_run_opts, ro, .ctx_in = ctx, .ctx_size_in = size, .ctx_out = ctx,
		    .ctx_size_out = size);
	start = api_boottime_ns();
	if ((err = exobpf_prog__run(prog, &ro)))
		goto out;
	if (api_stats_enabled()) {
		struct api_prog_rec *r = rec(o);
		__atomic_fetch_add(&r->run_cnt, 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&r->run_time_ns, api_boottime_ns() - start, __ATOMIC_RELAXED);
	}
	retval = (uint32_t)ro.retval;
	if (API_PUT(c, test.retval, retval))
		err = exo_err(EFAULT, "PROG_TEST_RUN: the attribute is not writable");
	else if (size && api_copy_to_user(t->ctx_in, ctx, size))
		err = exo_err(EFAULT, "PROG_TEST_RUN: ctx_in is not writable");
out:
	free(ctx);
	return err;
}

int api_cmd_test_run(union api_attr *attr, const struct api_call *c)
{
	struct api_attr_test *t = &attr->test;
	struct exobpf_prog *prog;
	struct api_obj *o;
	void *din = NULL, *cin = NULL, *dout = NULL, *cout = NULL;
	uint32_t dcap, ccap = 4096;
	uint64_t start;
	int err;

	if ((t->ctx_size_in && !t->ctx_in) || (!t->ctx_size_in && t->ctx_in) ||
	    (t->ctx_size_out && !t->ctx_out) || (!t->ctx_size_out && t->ctx_out))
		return exo_err(EINVAL, "PROG_TEST_RUN: a ctx buffer and its size go together");
	if (!(o = api_obj_get((int)t->prog_fd, API_KIND_PROG, "PROG_TEST_RUN: prog_fd")))
		return -errno;
	if (!(prog = api_prog_of(o))) {
		err = exo_err(EOPNOTSUPP,
			      "PROG_TEST_RUN: program %u cannot run in this process "
			      "(its maps are gone)",
			      o->id);
		goto out;
	}
	if (prog->type == BPF_PROG_TYPE_SYSCALL) {
		err = test_run_syscall(prog, o, t, c);
		goto out;
	}
	if (t->flags || t->cpu || t->batch_size) {
		err = exo_err(EINVAL, "PROG_TEST_RUN: flags, cpu and batch_size must be 0");
		goto out;
	}
	/* Checked before anything is copied, so a huge size costs nothing.
	 * Linux refuses such data as it goes: skb programs at once (EINVAL),
	 * XDP after the page and the frags it can hold, so EFAULT if those
	 * bytes are not readable, else ENOMEM. A context past its struct must
	 * be zeros (E2BIG unless it is). */
	if (t->data_size_in > API_TEST_RUN_MAX) {
		err = -EINVAL;
		if (prog->type == BPF_PROG_TYPE_XDP) {
			void *probe = api_memdup_user(t->data_in, API_XDP_TEST_MAX, &err);
			err = probe ? -ENOMEM : -EFAULT;
			free(probe);
		}
		exo_err(-err, "PROG_TEST_RUN: data_size_in %u is larger than any packet",
			t->data_size_in);
		goto out;
	}
	if (t->ctx_size_in > API_TEST_RUN_MAX) {
		err = exo_err(E2BIG, "PROG_TEST_RUN: ctx_size_in %u is larger than any context",
			      t->ctx_size_in);
		goto out;
	}
	dcap = t->data_size_in + 65536;
	if ((t->data_size_in && !(din = api_memdup_user(t->data_in, t->data_size_in, &err))) ||
	    (t->ctx_size_in && !(cin = api_memdup_user(t->ctx_in, t->ctx_size_in, &err)))) {
		err = exo_err(EFAULT, "PROG_TEST_RUN: data_in or ctx_in is not readable");
		goto out;
	}
	if (!(dout = calloc(1, dcap)) || !(cout = calloc(1, ccap))) {
		err = exo_err(ENOMEM, "PROG_TEST_RUN: out of memory");
		goto out;
	}
	{
		struct exobpf_run_opts ro = {
		    .sz = sizeof(ro),
		    .data_in = din,
		    .data_size_in = t->data_size_in,
		    .data_out = dout,
		    .data_size_out = dcap,
		    .ctx_in = cin,
		    .ctx_size_in = t->ctx_size_in,
		    .ctx_out = t->ctx_out ? cout : NULL,
		    .ctx_size_out = t->ctx_out ? ccap : 0,
		    .repeat = t->repeat,
		};
		struct api_prog_rec *r = rec(o);
		uint32_t size, copy, retval, ctxn;

		start = api_boottime_ns();
		if ((err = exobpf_prog__run(prog, &ro)))
			goto out;
		if (api_stats_enabled()) {
			__atomic_fetch_add(&r->run_cnt, ro.repeat ? ro.repeat : 1,
					   __ATOMIC_RELAXED);
			__atomic_fetch_add(&r->run_time_ns, api_boottime_ns() - start,
					   __ATOMIC_RELAXED);
		}
		size = ro.data_size_out;
		copy = t->data_size_out && size > t->data_size_out ? t->data_size_out : size;
		if (copy && t->data_out && api_copy_to_user(t->data_out, dout, copy)) {
			err = exo_err(EFAULT, "PROG_TEST_RUN: data_out is not writable");
			goto out;
		}
		if (t->ctx_out) {
			ctxn = ro.ctx_size_out;
			if (ctxn > t->ctx_size_out) {
				err = -ENOSPC;
				ctxn = t->ctx_size_out;
			}
			if (api_copy_to_user(t->ctx_out, cout, ctxn) ||
			    API_PUT(c, test.ctx_size_out, ro.ctx_size_out)) {
				err = exo_err(EFAULT, "PROG_TEST_RUN: ctx_out is not writable");
				goto out;
			}
		}
		retval = (uint32_t)ro.retval;
		if (API_PUT(c, test.data_size_out, size) || API_PUT(c, test.retval, retval) ||
		    API_PUT(c, test.duration, ro.duration)) {
			err = exo_err(EFAULT, "PROG_TEST_RUN: the attribute is not writable");
			goto out;
		}
		if (copy < size && t->data_out)
			err = exo_err(ENOSPC, "PROG_TEST_RUN: data_out holds %u of %u bytes",
				      t->data_size_out, size);
	}
out:
	free(din), free(cin), free(dout), free(cout);
	api_obj_put(o);
	return err;
}

/* ---- OBJ_GET_INFO_BY_FD ---- */

static int put_array(uint64_t uptr, uint32_t ulen, uint32_t have, const void *src, size_t elem)
{
	uint32_t n = ulen < have ? ulen : have;

	if (!n)
		return 0;
	return api_copy_to_user(uptr, src, (size_t)n * elem) ? -EFAULT : 0;
}

int api_prog_info(struct api_obj *o, union api_attr *attr, const struct api_call *c)
{
	const struct api_prog_rec *r = rec(o);
	struct exobpf_prog *prog = api_prog_of(o);
	struct bpf_prog_info info;
	uint64_t uinfo = attr->info.info;
	uint32_t len, ulen;
	int err;

	if ((err = api_info_in(uinfo, attr->info.info_len, &info, PROG_INFO_NAMED, sizeof(info),
			       &len)))
		return err;
	if (((info.nr_func_info || info.func_info_rec_size) &&
	     info.func_info_rec_size != sizeof(struct bpf_func_info)) ||
	    ((info.nr_line_info || info.line_info_rec_size) &&
	     info.line_info_rec_size != sizeof(struct bpf_line_info)) ||
	    ((info.nr_jited_line_info || info.jited_line_info_rec_size) &&
	     info.jited_line_info_rec_size != sizeof(__u64)))
		return exo_err(EINVAL, "OBJ_GET_INFO_BY_FD: a record size is not the kernel's");
	info.type = r->type;
	info.id = o->id;
	info.load_time = r->load_time;
	info.created_by_uid = r->uid;
	info.gpl_compatible = r->gpl;
	memcpy(info.name, r->name, sizeof(info.name));
	memcpy(info.tag, r->tag, sizeof(info.tag));
	info.ifindex = 0;
	info.netns_dev = info.netns_ino = 0;
	ulen = info.nr_map_ids;
	info.nr_map_ids = r->nr_map_ids;
	err = put_array(info.map_ids, ulen, r->nr_map_ids, o->base + r->map_ids_off, 4);
	info.run_time_ns = __atomic_load_n(&r->run_time_ns, __ATOMIC_RELAXED);
	info.run_cnt = __atomic_load_n(&r->run_cnt, __ATOMIC_RELAXED);
	info.recursion_misses = r->recursion_misses;
	info.verified_insns = r->verified_insns;
	ulen = info.xlated_prog_len;
	info.xlated_prog_len = r->xlated_cnt * 8;
	if (!err && ulen)
		err = put_array(info.xlated_prog_insns, ulen, info.xlated_prog_len,
				o->base + r->xlated_off, 1);
	/* machine code lives in each process's own memory: its length here */
	ulen = info.jited_prog_len;
	info.jited_prog_len = 0;
	if (prog && exobpf_prog__is_jited(prog)) {
		const struct jit_image *img = jit_image_of(&prog->vm);

		info.jited_prog_len = img->code_len;
		if (!err && ulen)
			err = put_array(info.jited_prog_insns, ulen, img->code_len, img->mem, 1);
	}
	info.nr_jited_ksyms = 0;
	info.nr_jited_func_lens = 0;
	info.btf_id = r->btf_id;
	ulen = info.nr_func_info;
	info.nr_func_info = r->nr_func_info;
	info.func_info_rec_size = sizeof(struct bpf_func_info);
	if (!err)
		err = put_array(info.func_info, ulen, r->nr_func_info, o->base + r->func_info_off,
				sizeof(struct bpf_func_info));
	ulen = info.nr_line_info;
	info.nr_line_info = r->nr_line_info;
	info.line_info_rec_size = sizeof(struct bpf_line_info);
	if (!err)
		err = put_array(info.line_info, ulen, r->nr_line_info, o->base + r->line_info_off,
				sizeof(struct bpf_line_info));
	info.nr_jited_line_info = 0;
	info.jited_line_info_rec_size = sizeof(__u64);
	ulen = info.nr_prog_tags;
	info.nr_prog_tags = 1;
	if (!err)
		err = put_array(info.prog_tags, ulen, 1, r->tag, 8);
	info.attach_btf_obj_id = 0;
	info.attach_btf_id = r->attach_btf_id;
	if (err)
		return exo_err(EFAULT,
			       "OBJ_GET_INFO_BY_FD: an info buffer of program %u is not "
			       "writable",
			       o->id);
	return api_info_out(c, uinfo, &info, len);
}

/* ---- ids ---- */

int api_cmd_prog_next_id(union api_attr *attr, const struct api_call *c)
{
	return api_next_id_cmd(API_KIND_PROG, attr, c);
}

int api_cmd_prog_fd_by_id(union api_attr *attr, const struct api_call *c)
{
	return api_fd_by_id_cmd(API_KIND_PROG, attr, c);
}

/* ---- prog arrays: a prog fd stored from user space ---- */

static struct vm_prog *resolve_fd(int fd)
{
	struct api_obj *o = api_obj_get(fd, API_KIND_PROG, "prog array");
	struct exobpf_prog *p;

	if (!o)
		return NULL;
	if (!(p = api_prog_of(o))) {
		api_obj_put(o);
		return NULL;
	}
	return &p->vm; /* the reference stays with the object */
}

static int match_vm(struct api_obj *o, void *arg)
{
	struct exobpf_prog *p = api_prog_of(o);

	return p && &p->vm == arg;
}

static void resolve_put(struct vm_prog *vm)
{
	struct api_obj *o = api_obj_find(API_KIND_PROG, match_vm, vm);

	if (o) {
		api_obj_put(o); /* the find's */
		api_obj_put(o); /* the prog array's */
	}
}

static uint32_t resolve_id(const struct vm_prog *vm)
{
	struct api_obj *o = api_obj_find(API_KIND_PROG, match_vm, (void *)vm);
	uint32_t id = 0;

	if (!o)
		return exo_alloc_id(); /* a program stored without the bpf() layer */
	id = o->id;
	api_obj_put(o);
	return id;
}

void api_prog_init(void)
{
	static const struct exo_prog_resolver r = {resolve_fd, resolve_put, resolve_id};

	exo_map_set_prog_resolver(&r);
}
