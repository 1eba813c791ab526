/* The interpreter: computed-goto dispatch over decoded instructions. The loop
 * body (interp_body.h) is compiled three times so the fast path carries no
 * checks: plain, counting (instruction budget), and checked (every access
 * validated against the run's regions, registers tracked for initialisation). */
#include <endian.h>
#include <string.h>

#include "helpers/helpers.h"
#include "vm/vm.h"

/* Registers an instruction reads and writes, for checked mode. */
static unsigned regs_read(const struct vm_insn *pc)
{
	if (pc->op >= ISA_NR_OPS)
		return 0;
	const struct isa_row *row = &isa_rows[pc->op];
	unsigned d = 1u << pc->dst, s = 1u << pc->src;
	bool mov = (row->code & 0xf0) == BPF_MOV;

	switch ((enum isa_shape)row->shape) {
	case ISA_SHAPE_ALU_K:
		return mov ? 0 : d;
	case ISA_SHAPE_ALU_X:
		return mov ? s : d | s;
	case ISA_SHAPE_MOVSX:
		return s;
	case ISA_SHAPE_NEG:
	case ISA_SHAPE_END:
	case ISA_SHAPE_JMP_K:
	case ISA_SHAPE_CALLX:
	case ISA_SHAPE_ST:
		return d;
	case ISA_SHAPE_JMP_X:
	case ISA_SHAPE_STX:
		return d | s;
	case ISA_SHAPE_ATOMIC:
		return d | s | (pc->imm == BPF_CMPXCHG ? 1u : 0);
	case ISA_SHAPE_LDX:
		return s;
	case ISA_SHAPE_LDABS:
		return 1u << 6;
	case ISA_SHAPE_LDIND:
		return 1u << 6 | s;
	case ISA_SHAPE_EXIT:
		return 1u;
	default:
		return 0;
	}
}

/* What an instruction reads in a frame at depth: a subprogram's exit only
 * hands r0 back, and Linux lets a subprogram exit with r0 unset (the
 * caller may not read it), so only the main program's exit reads r0. */
static unsigned regs_read_at(const struct vm_insn *pc, unsigned depth)
{
	unsigned r = regs_read(pc);
	if (depth && pc->op < ISA_NR_OPS && isa_rows[pc->op].shape == ISA_SHAPE_EXIT)
		r &= ~1u;
	return r;
}

static unsigned regs_written(const struct vm_insn *pc)
{
	if (pc->op >= ISA_NR_OPS)
		return 0;
	const struct isa_row *row = &isa_rows[pc->op];

	switch ((enum isa_shape)row->shape) {
	case ISA_SHAPE_ALU_K:
	case ISA_SHAPE_ALU_X:
	case ISA_SHAPE_MOVSX:
	case ISA_SHAPE_NEG:
	case ISA_SHAPE_END:
	case ISA_SHAPE_LDX:
	case ISA_SHAPE_LDDW:
		return 1u << pc->dst;
	case ISA_SHAPE_ATOMIC:
		return pc->imm == BPF_CMPXCHG ? 1u : (pc->imm & BPF_FETCH) ? 1u << pc->src : 0;
	default:
		return 0;
	}
}

/* Where a run of the interpreter starts: at pc with r1..r5 = args, the
 * other registers 0 and r10 on a stack of its own (callback: pc is a
 * subprogram a helper calls back, every argument register counts as
 * written); or, with regs, in a frame already running (a tail call from
 * machine code): r0..r10 as regs, at call depth depth, r0..r5 handed back
 * in regs when that frame exits. ended: set when LD_ABS or LD_IND ended the
 * program (not a fault) rather than an exit. */
struct interp_start {
	const struct vm_insn *pc;
	const uint64_t *args;
	uint64_t *regs;
	unsigned depth;
	bool callback;
	bool ended;
};

#define INTERP_NAME  interp_fast
#define INTERP_CHECK 0
#define INTERP_COUNT 0
#include "vm/interp_body.h"

#define INTERP_NAME  interp_counting
#define INTERP_CHECK 0
#define INTERP_COUNT 1
#include "vm/interp_body.h"

#define INTERP_NAME  interp_checked
#define INTERP_CHECK 1
#define INTERP_COUNT 1
#include "vm/interp_body.h"

static uint64_t interp_from(struct vm_run *run, struct interp_start *st)
{
	if (run->checked)
		return interp_checked(run, st);
	if (run->budget)
		return interp_counting(run, st);
	return interp_fast(run, st);
}

uint64_t vm_interp(struct vm_run *run, uint64_t r1, uint64_t r2)
{
	const uint64_t args[5] = {r1, r2};

	return interp_from(run, &(struct interp_start){.pc = run->prog->code, .args = args});
}

struct vm_tail_end vm_interp_tail(struct vm_run *run, uint64_t *regs, uint32_t depth)
{
	struct interp_start st = {.pc = run->prog->code, .regs = regs, .depth = depth};
	uint64_t r0;

	if (depth >= VM_MAX_FRAMES)
		return (struct vm_tail_end){
		    vm_fail(run, VM_FAULT_DEPTH, "tail call at call depth %u", depth), 0};
	r0 = interp_from(run, &st);
	return (struct vm_tail_end){r0, st.ended};
}

uint64_t vm_interp_entry(uint64_t r1, uint64_t r2, struct vm_run *run)
{
	return vm_interp(run, r1, r2);
}

/* Whether func (a BPF_PSEUDO_FUNC value) is an instruction of prog. */
static bool is_insn_of(const struct vm_prog *prog, uint64_t func)
{
	return func >= (uintptr_t)prog->code && func < (uintptr_t)(prog->code + prog->len) &&
	       (func - (uintptr_t)prog->code) % sizeof(struct vm_insn) == 0 &&
	       ((const struct vm_insn *)(uintptr_t)func)->op != VM_OP_LDDW_HI;
}

static uint32_t insn_index(const struct vm_prog *prog, uint64_t func)
{
	return (uint32_t)((func - (uintptr_t)prog->code) / sizeof(struct vm_insn));
}

/* Callbacks nest (a callback calling bpf_loop again) at most as deep as
 * calls do: Linux's verifier counts a callback as a frame, and without a
 * limit an unverified program nesting without end would exhaust the C
 * stack. False, with the fault recorded, past the limit. */
static bool callback_enter(struct vm_run *run)
{
	if (run->cb_depth >= VM_MAX_FRAMES - 1) {
		vm_fail(run, VM_FAULT_DEPTH, "callbacks nested more than %d deep",
			VM_MAX_FRAMES - 1);
		return false;
	}
	run->cb_depth++;
	return true;
}

/* The end of what callback_enter began: a tail call inside may have moved
 * run->prog. */
static void callback_leave(struct vm_run *run, const struct vm_prog *prog)
{
	run->prog = prog;
	run->cb_depth--;
}

uint64_t vm_call_func(struct vm_run *run, uint64_t func, uint64_t r1, uint64_t r2, uint64_t r3,
		      uint64_t r4, uint64_t r5)
{
	const struct vm_prog *prog = run->prog;
	const uint64_t args[5] = {r1, r2, r3, r4, r5};
	uintptr_t lo = run->stack_lo, hi = run->stack_hi;
	bool region = false;
	uint64_t r0;

	if (!is_insn_of(prog, func))
		return vm_fail(run, VM_FAULT_CALLX, "callback 0x%llx is not a function of the program",
			       (unsigned long long)func);
	if (!callback_enter(run))
		return 0;
	if (prog->jited_cb && vm_run_may_jit(run)) {
		r0 = prog->jited_cb(run, insn_index(prog, func), args);
	} else {
		/* the callback may use the caller's stack (its ctx often lives there) */
		if (run->checked && hi > lo)
			region = vm_add_region(run, (const void *)lo, hi - lo, true);
		r0 = interp_from(
		    run, &(struct interp_start){.pc = (const struct vm_insn *)(uintptr_t)func,
						.args = args,
						.callback = true});
		if (region)
			run->nregions--;
		run->stack_lo = lo;
		run->stack_hi = hi;
	}
	callback_leave(run, prog);
	return r0;
}

bool vm_call_each_array(struct vm_run *run, uint64_t func, const struct vm_each_array *a,
			uint64_t *visited)
{
	const struct vm_prog *prog = run->prog;
	uint64_t runs;

	if (!prog->jited_each || !vm_run_may_jit(run) || !is_insn_of(prog, func))
		return false;
	*visited = 0;
	if (!callback_enter(run))
		return true;
	runs = prog->jited_each(run, insn_index(prog, func), a);
	callback_leave(run, prog);
	*visited = run->fault ? 0 : runs;
	return true;
}

uint64_t vm_call_loop(struct vm_run *run, uint64_t func, uint32_t n, uint64_t ctx)
{
	const struct vm_prog *prog = run->prog;
	uint32_t i;

	if (n && prog->jited_loop && vm_run_may_jit(run) && is_insn_of(prog, func)) {
		if (!callback_enter(run))
			return 0;
		uint64_t runs = prog->jited_loop(run, insn_index(prog, func), n, ctx);
		callback_leave(run, prog);
		return run->fault ? 0 : runs;
	}
	for (i = 0; i < n; i++) {
		uint64_t ret = vm_call_func(run, func, i, ctx, 0, 0, 0);

		if (run->fault)
			return 0;
		if (ret)
			return i + 1;
	}
	return i;
}
