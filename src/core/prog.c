/* Programs: creation from instructions and test runs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/err.h"
#include "core/opts.h"
#include "core/prog.h"
#include "maps/map.h"

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
	err = exo_map_resolve_ldimm64(prog->insns, cnt, &prog->maps, &prog->nr_maps);
	if (!err)
		err = vm_prog_decode(&prog->vm, prog->insns, (uint32_t)cnt);
	if (err) {
		exo_err_prefix("%s", prog->name);
		exobpf_prog__free(prog);
		errno = -err;
		return NULL;
	}
	prog->vm.type = prog->type;
	prog->vm.owner = prog;
	return prog;
}

EXOBPF_API void exobpf_prog__free(struct exobpf_prog *prog)
{
	if (!prog)
		return;
	vm_prog_release(&prog->vm);
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

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

EXOBPF_API int exobpf_prog__run(struct exobpf_prog *prog, struct exobpf_run_opts *opts)
{
	struct vm_run run;
	uint8_t *data = NULL;
	uint32_t size, repeat;
	uint64_t r0 = 0, start;

	if (!prog || !opts || !OPTS_VALID(opts, exobpf_run_opts))
		return prog && opts ? -errno : exo_err(EINVAL, "exobpf_prog__run: no program or options");
	if (prog->type != EXOBPF_PROG_TYPE_RAW)
		return exo_err(EOPNOTSUPP, "%s: test runs of program type %u are not supported yet",
			       prog->name, prog->type);
	size = opts->data_size_in;
	if (size && !opts->data_in)
		return exo_err(EINVAL, "%s: data_size_in is %u but data_in is NULL", prog->name, size);
	if (size && !(data = malloc(size)))
		return exo_err(ENOMEM, "%s: out of memory for %u bytes of data", prog->name, size);
	if (size)
		memcpy(data, opts->data_in, size);

	memset(&run, 0, sizeof(run));
	run.prog = &prog->vm;
	run.slot = opts->slot;
	run.checked = opts->flags & EXOBPF_RUN_CHECKED;
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

	repeat = opts->repeat ? opts->repeat : 1;
	start = now_ns();
	for (uint32_t i = 0; i < repeat; i++) {
		run.prog = &prog->vm;
		run.tail_calls = 0;
		r0 = vm_run(&run, (uintptr_t)data, size);
		if (run.fault)
			break;
	}
	opts->duration = (uint32_t)((now_ns() - start) / repeat);
	opts->insns_executed = run.executed;
	opts->retval = r0;
	if (opts->data_out && opts->data_size_out) {
		uint32_t n = opts->data_size_out < size ? opts->data_size_out : size;
		memcpy(opts->data_out, data, n);
		opts->data_size_out = n;
	}
	free(data);
	if (run.fault)
		return exo_err(EFAULT, "%s: %s", prog->name, run.fault_msg);
	return 0;
}
