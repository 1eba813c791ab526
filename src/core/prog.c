/* Programs: creation from instructions and test runs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/err.h"
#include "core/opts.h"
#include "core/prog.h"
#include "jit/dump.h"
#include "jit/jit.h"
#include "maps/map.h"
#include "progtypes/progtypes.h"

EXOBPF_API struct exobpf_prog *exobpf_prog__new(const struct bpf_insn *insns, size_t cnt,
						const struct exobpf_prog_opts *opts)
{
	struct exobpf_prog *prog;
	const char *name;
	int err;

	if (!OPTS_VALID(opts, exobpf_prog_opts))
		return NULL;
	name = OPT(opts, name, NULL);
	if (!name)
		name = "prog";
	if (!insns || cnt == 0) {
		exo_err(EINVAL, "%s: a program needs at least one instruction", name);
		return NULL;
	}
	if (cnt > 1000000) { /* Linux's BPF_COMPLEXITY_LIMIT_INSNS */
		exo_err(E2BIG, "%s: %zu instructions exceed the limit of 1000000", name, cnt);
		return NULL;
	}
	prog = calloc(1, sizeof(*prog));
	if (!prog || !(prog->insns = malloc(cnt * sizeof(*insns)))) {
		free(prog);
		exo_err(ENOMEM, "%s: out of memory", name);
		return NULL;
	}
	snprintf(prog->name, sizeof(prog->name), "%s", name);
	prog->type = OPT(opts, type, BPF_PROG_TYPE_UNSPEC);
	prog->flags = OPT(opts, flags, 0);
	memcpy(prog->insns, insns, cnt * sizeof(*insns));
	prog->cnt = cnt;
	prog->expected_attach_type = OPT(opts, expected_attach_type, 0);
	/* The verifier sees the program as Linux's does, map fds and all;
	 * then the fds become map pointers and the program is decoded. */
	if (prog->type != EXOBPF_PROG_TYPE_RAW && !(prog->flags & EXOBPF_PROG_NO_VERIFY) &&
	    (err = exo_prog_verify(prog, opts))) {
		exobpf_prog__free(prog);
		errno = -err;
		return NULL;
	}
	err = exo_map_resolve_ldimm64(prog->insns, prog->cnt, &prog->maps, &prog->nr_maps);
	if (!err)
		err = vm_prog_decode(&prog->vm, prog->insns, (uint32_t)prog->cnt);
	if (err) {
		exo_err_prefix("%s", prog->name);
		exobpf_prog__free(prog);
		errno = -err;
		return NULL;
	}
	prog->vm.type = prog->type;
	prog->vm.owner = prog;
	for (uint32_t i = 0; i < prog->nr_maps; i++)
		if ((err = exo_map_prog_array_use(prog->maps[i], &prog->vm))) {
			exo_err_prefix("%s", prog->name);
			exobpf_prog__free(prog);
			errno = -err;
			return NULL;
		}
	/* Machine code where there is a backend, as Linux with bpf_jit_enable=1:
	 * a program the JIT cannot compile is interpreted. */
	if (!(prog->flags & EXOBPF_PROG_INTERP) && jit_supported()) {
		struct jit_fact *vf =
		    jit_facts_from_verifier(prog->facts, prog->insns, prog->facts ? prog->cnt : 0);
		struct jit_opts jo = {.blind = prog->flags & EXOBPF_PROG_JIT_BLIND,
				      .batch = prog->flags & EXO_PROG_JIT_BATCH,
				      .verifier_facts = vf,
				      .stack_depth = prog->verified ? prog->vstats.stack_depth : 0};
		if (jit_compile(&prog->vm, &jo))
			exo_warn("%s: interpreting: %s\n", prog->name, exobpf_errmsg());
		free(vf);
	}
	return prog;
}

EXOBPF_API void exobpf_prog__free(struct exobpf_prog *prog)
{
	if (!prog)
		return;
	exo_map_forget_prog(&prog->vm);
	jit_release(&prog->vm);
	vm_prog_release(&prog->vm);
	free(prog->facts);
	exo_map_release_used(prog->maps, prog->nr_maps);
	free(prog->insns);
	free(prog);
}

EXOBPF_API const char *exobpf_prog__name(const struct exobpf_prog *prog)
{
	return prog->name;
}

EXOBPF_API enum bpf_prog_type exobpf_prog__type(const struct exobpf_prog *prog)
{
	return prog->type;
}

EXOBPF_API const struct bpf_insn *exobpf_prog__insns(const struct exobpf_prog *prog)
{
	return prog->insns;
}

EXOBPF_API size_t exobpf_prog__insn_cnt(const struct exobpf_prog *prog)
{
	return prog->cnt;
}

EXOBPF_API bool exobpf_prog__is_jited(const struct exobpf_prog *prog)
{
	return prog && prog->vm.jited;
}

EXOBPF_API int exobpf_prog__dump_jited(const struct exobpf_prog *prog, FILE *out, unsigned flags)
{
	if (!prog || !out)
		return exo_err(EINVAL, "exobpf_prog__dump_jited: no program or output");
	if (!prog->vm.jited)
		return exo_err(ENOENT, "%s: the program is interpreted, not JIT-compiled",
			       prog->name);
	return jit_dump(jit_image_of(&prog->vm), prog->insns, prog->cnt, prog->name,
			flags & EXOBPF_DUMP_JSON, out);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int exo_prog_syscall_ctx_ok(const struct exobpf_prog *prog, uint32_t size)
{
	if (size >= prog->max_ctx_offset && size <= EXO_SYSCALL_CTX_SIZE)
		return 0;
	return exo_err(EINVAL,
		       "%s: ctx_size_in %u: the program accesses %u bytes of its context, which "
		       "holds at most %u",
		       prog->name, size, prog->max_ctx_offset, EXO_SYSCALL_CTX_SIZE);
}

/* opts->repeat runs (at least one) of prog from its start, each with the
 * tail-call count reset, as BPF_PROG_TEST_RUN's loop does; the engine is
 * picked once. Stops at a fault. Returns the last r0 and sets
 * opts->duration, the mean ns per run. */
static uint64_t run_repeated(struct exobpf_prog *prog, struct vm_run *run, uint64_t r1, uint64_t r2,
			     struct exobpf_run_opts *opts)
{
	uint32_t repeat = opts->repeat ? opts->repeat : 1;
	uint64_t r0 = 0, start;
	vm_entry_fn *entry;

	run->prog = &prog->vm;
	run->tail_calls = 0;
	entry = vm_engine(run);
	start = now_ns();
	for (uint32_t i = 0; i < repeat; i++) {
		r0 = entry(r1, r2, run);
		if (run->fault)
			break;
		if (run->tail_calls) { /* only a tail call moves run->prog */
			run->prog = &prog->vm;
			run->tail_calls = 0;
		}
	}
	opts->duration = (uint32_t)((now_ns() - start) / repeat);
	return r0;
}

/* A test run of a typed program: its context built as BPF_PROG_TEST_RUN
 * builds it (progtypes), r1 = the context. */
static int run_typed(struct exobpf_prog *prog, struct exobpf_run_opts *opts)
{
	const struct pt_info *pt = pt_info(prog->type);
	struct pt_run_ctx rc;
	struct vm_run run;
	const char *why;
	uint64_t r0;
	int err;

	if (!pt)
		return exo_err(EOPNOTSUPP, "%s: test runs of program type %s are not supported",
			       prog->name, pt_type_name(prog->type));
	if (opts->data_size_in && !opts->data_in)
		return exo_err(EINVAL, "%s: data_size_in is %u but data_in is NULL", prog->name,
			       opts->data_size_in);
	if (opts->ctx_size_in && !opts->ctx_in)
		return exo_err(EINVAL, "%s: ctx_size_in is %u but ctx_in is NULL", prog->name,
			       opts->ctx_size_in);
	err = pt_run_ctx_build(pt, opts->data_in, opts->data_size_in, opts->ctx_in,
			       opts->ctx_size_in, &rc, &why);
	if (err)
		return exo_err(-err, "%s: %s", prog->name, why);
	memset(&run, 0, sizeof(run));
	run.slot = opts->slot;
	run.checked = opts->flags & EXOBPF_RUN_CHECKED;
	run.interp = opts->flags & EXOBPF_RUN_INTERP;
	run.budget = opts->insn_budget;
	run.pkt = rc.pkt;
	run.pkt_len = rc.pkt_len;
	run.hook = rc.ctx;
	vm_add_region(&run, rc.ctx, rc.ctx_size, true);
	if (pt->ctx_is_skb)
		vm_add_region(&run, rc.skb->head, rc.skb->buf_size, true);
	else if (pt->ctx_is_xdp)
		vm_add_region(&run, rc.xdp->head, rc.xdp->buf_size, true);
	r0 = run_repeated(prog, &run, (uintptr_t)rc.ctx, 0, opts);
	opts->insns_executed = run.executed;
	opts->retval = r0;
	pt_run_ctx_out(pt, &rc, opts->data_out, &opts->data_size_out, opts->ctx_out,
		       &opts->ctx_size_out);
	pt_run_ctx_free(&rc);
	if (run.fault)
		return exo_err(EFAULT, "%s: %s", prog->name, run.fault_msg);
	return 0;
}

EXOBPF_API int exobpf_prog__run(struct exobpf_prog *prog, struct exobpf_run_opts *opts)
{
	struct vm_run run;
	uint8_t *data = NULL;
	uint32_t size;
	uint64_t r0;
	int err;

	if (!prog || !opts || !OPTS_VALID(opts, exobpf_run_opts))
		return prog && opts ? -errno
				    : exo_err(EINVAL, "exobpf_prog__run: no program or options");
	/* BPF_PROG_TYPE_SYSCALL runs as Linux's bpf_prog_test_run_syscall does:
	 * r1 is a copy of ctx_in (NULL when there is none), copied back to
	 * ctx_out; there is no data. The verifier lets it reach up to 64 KiB
	 * into its context, so the copy is that big whatever ctx_in is, and,
	 * as in Linux, ctx_in must hold every byte the program accesses. */
	bool syscall = prog->type == BPF_PROG_TYPE_SYSCALL;
	const void *in = syscall ? opts->ctx_in : opts->data_in;
	if (prog->type != EXOBPF_PROG_TYPE_RAW && !syscall)
		return run_typed(prog, opts);
	if (syscall && opts->data_size_in)
		return exo_err(EINVAL, "%s: syscall programs take ctx_in, not data_in", prog->name);
	size = syscall ? opts->ctx_size_in : opts->data_size_in;
	if (size && !in)
		return exo_err(EINVAL, "%s: input size is %u but its buffer is NULL", prog->name,
			       size);
	if (syscall && (err = exo_prog_syscall_ctx_ok(prog, size)))
		return err;
	/* an access at off < 65535 may end at 65536 */
	if (size && !(data = syscall ? calloc(1, EXO_SYSCALL_CTX_SIZE + 1) : malloc(size)))
		return exo_err(ENOMEM, "%s: out of memory for %u bytes of data", prog->name, size);
	if (size)
		memcpy(data, in, size);

	memset(&run, 0, sizeof(run));
	run.prog = &prog->vm;
	run.slot = opts->slot;
	run.checked = opts->flags & EXOBPF_RUN_CHECKED;
	run.interp = opts->flags & EXOBPF_RUN_INTERP;
	run.budget = opts->insn_budget;
	run.pkt = data;
	run.pkt_len = size;
	if (size)
		vm_add_region(&run, data, size, true);
	for (uint32_t i = 0; run.checked && i < prog->nr_maps; i++)
		if (!exo_map_add_regions(prog->maps[i], &run)) {
			free(data);
			return exo_err(E2BIG, "%s: too many memory regions for checked mode",
				       prog->name);
		}

	r0 = run_repeated(prog, &run, (uintptr_t)data, size, opts);
	opts->insns_executed = run.executed;
	opts->retval = r0;
	if (syscall && opts->ctx_out && opts->ctx_size_out) {
		uint32_t n = opts->ctx_size_out < size ? opts->ctx_size_out : size;
		memcpy(opts->ctx_out, data, n);
		opts->ctx_size_out = n;
	} else if (opts->data_out && opts->data_size_out) {
		uint32_t n = opts->data_size_out < size ? opts->data_size_out : size;
		memcpy(opts->data_out, data, n);
		opts->data_size_out = n;
	}
	free(data);
	if (run.fault)
		return exo_err(EFAULT, "%s: %s", prog->name, run.fault_msg);
	return 0;
}
