/* C functions that generated code calls on its rare paths: faults, callx,
 * LD_ABS/LD_IND at negative offsets, tail calls into interpreted programs,
 * and the way in from C for callbacks.
 * Each does exactly what the interpreter does at the same point, so both
 * engines end a run with the same r0, fault and message. */
#ifndef EXOBPF_JIT_RUNTIME_H
#define EXOBPF_JIT_RUNTIME_H

#include <stdint.h>

#include "vm/vm.h"

/* vm_fail_at for the faults generated code detects itself (VM_OK: a helper
 * or the tail-call table function recorded one at pc). */
void jit_rt_fault(struct vm_run *run, uint32_t fault, const struct vm_insn *pc);

/* What callx's target t is: a helper to call (addr = its function), an
 * instruction of the running program to call locally (addr = its machine
 * code), or neither (the fault is recorded). Returned in rax:rdx. */
enum { JIT_CALLX_FAULT = 0, JIT_CALLX_HELPER = 1, JIT_CALLX_LOCAL = 2 };
struct jit_callx {
	uint64_t addr;
	uint64_t kind;
};
struct jit_callx jit_rt_callx(struct vm_run *run, uint64_t t, const struct vm_insn *pc);

/* vm_prog's jited_cb: run a callback through the image's callback entry,
 * which generated code shapes as a C function of r1-r5, the run and the
 * callback's machine code. */
typedef uint64_t jit_cb_entry_fn(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
				 struct vm_run *run, const void *code);
uint64_t jit_rt_callback(struct vm_run *run, uint32_t idx, const uint64_t *args);

/* vm_prog's jited_loop: bpf_loop's iterations through the image's loop
 * entry, shaped as a C function of n, ctx, the run and the callback's code. */
typedef uint64_t jit_loop_entry_fn(uint64_t n, uint64_t ctx, struct vm_run *run, const void *code);
uint64_t jit_rt_loop(struct vm_run *run, uint32_t idx, uint32_t n, uint64_t ctx);

/* vm_prog's jited_each: an array's for_each through the image's each entry,
 * shaped as the loop entry with the walk's description in place of n. */
uint64_t jit_rt_each(struct vm_run *run, uint32_t idx, const struct vm_each_array *a);

/* LD_ABS/LD_IND at packet offset k (any sign): the big-endian value, or
 * JIT_LD_OUT_OF_RANGE when the interpreter would end the program. */
#define JIT_LD_OUT_OF_RANGE UINT64_MAX
uint64_t jit_rt_ld_pkt(struct vm_run *run, int32_t k, uint32_t size);

#endif
