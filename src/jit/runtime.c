/* The rare paths of generated code, in C (see runtime.h). */
#include "helpers/helpers.h"
#include "jit/jit.h"
#include "jit/runtime.h"

void jit_rt_fault(struct vm_run *run, uint32_t fault, const struct vm_insn *pc)
{
	if (fault == VM_OK) /* the helper recorded what went wrong */
		run->fault_pc = vm_pc_index(run, pc);
	else
		vm_fail_at(run, (enum vm_fault)fault, pc, 0);
}

/* The interpreter's callx rules (interp_body.h, L_CALLX). */
struct jit_callx jit_rt_callx(struct vm_run *run, uint64_t t, const struct vm_insn *pc)
{
	const struct vm_prog *prog = run->prog;
	const struct jit_image *img = jit_image_of(prog);

	if (t < HELPER_MAX_ID && t != BPF_FUNC_tail_call) {
		const struct helper *h = helper_by_id((int32_t)t);
		if (h)
			return (struct jit_callx){(uint64_t)(uintptr_t)h->fn, JIT_CALLX_HELPER};
	} else if (t >= (uintptr_t)prog->code && t < (uintptr_t)(prog->code + prog->len) &&
		   (t - (uintptr_t)prog->code) % sizeof(struct vm_insn) == 0 &&
		   ((const struct vm_insn *)(uintptr_t)t)->op != VM_OP_LDDW_HI && img) {
		/* img is NULL only when a tail call left an interpreted program
		 * running: there is no machine code to call (docs/decisions.md) */
		uint64_t idx = (t - (uintptr_t)prog->code) / sizeof(struct vm_insn);
		return (struct jit_callx){(uint64_t)(uintptr_t)(img->mem + img->insn_off[idx]),
					  JIT_CALLX_LOCAL};
	}
	/* pc is an instruction of the program this code was compiled from */
	vm_fail_at(run, VM_FAULT_CALLX, pc, t);
	return (struct jit_callx){0, JIT_CALLX_FAULT};
}

uint64_t jit_rt_ld_pkt(struct vm_run *run, int32_t k, uint32_t size)
{
	const uint8_t *p = vm_pkt_ptr(run, k, size);

	return p ? vm_load_be(p, size) : JIT_LD_OUT_OF_RANGE;
}

uint64_t jit_rt_callback(struct vm_run *run, uint32_t idx, const uint64_t *args)
{
	const struct jit_image *img = jit_image_of(run->prog);
	jit_cb_entry_fn *entry = (jit_cb_entry_fn *)(void *)(img->mem + img->cb_off);

	return entry(args[0], args[1], args[2], args[3], args[4], run,
		     img->mem + img->insn_off[idx]);
}

uint64_t jit_rt_loop(struct vm_run *run, uint32_t idx, uint32_t n, uint64_t ctx)
{
	const struct jit_image *img = jit_image_of(run->prog);
	jit_loop_entry_fn *entry = (jit_loop_entry_fn *)(void *)(img->mem + img->loop_off);

	return entry(n, ctx, run, img->mem + img->insn_off[idx]);
}

uint64_t jit_rt_each(struct vm_run *run, uint32_t idx, const struct vm_each_array *a)
{
	const struct jit_image *img = jit_image_of(run->prog);
	jit_loop_entry_fn *entry = (jit_loop_entry_fn *)(void *)(img->mem + img->each_off);

	return entry((uintptr_t)a, 0, run, img->mem + img->insn_off[idx]);
}
