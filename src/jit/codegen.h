/* x86-64 code generation for one decoded program: one call of jit_cg_pass
 * emits the whole image (header, trampoline, instructions, out-of-line
 * stubs) into cg->b; jit.c repeats passes until jump sizes settle.
 *
 * Image layout:
 *   [header: magic, struct jit_image *, absolute address of insn 0, pad]
 *   entry (prog->jited): the trampoline, its epilogue and the unwinder
 *   insn 0 .. insn len-1, then the fall-off fault for insn len
 *   out-of-line stubs (rare paths), then the shared fault tail
 *   the callback entry, when a helper may call back into the program, and
 *   the loop entry, when the program also calls bpf_loop
 *   a leaf socket filter's batch entry, when asked for (jit_opts.batch)
 * The header is read-only data in front of the entry: tail calls find the
 * next program's instruction 0 at jited - 16, jit_image_of the image at
 * jited - 24. */
#ifndef EXOBPF_JIT_CODEGEN_H
#define EXOBPF_JIT_CODEGEN_H

#include "jit/emit.h"
#include "jit/jit.h"

#define JIT_HDR_SIZE  32
#define JIT_HDR_MAGIC 0x3174696a6f627865ull /* "exobjit1" */
#define JIT_HDR_IMG   8			    /* offset of the struct jit_image pointer */
#define JIT_HDR_BODY  16		    /* offset of insn 0's absolute address */

struct jit_stub;

struct jit_cg {
	struct jit_buf b;
	const struct vm_prog *prog;
	const struct jit_fact *facts; /* prog->len entries, or NULL: assume nothing */
	bool bmi2, blind;
	bool verified;	    /* the verifier accepted prog: no run reads an unset register */
	uint32_t stack_depth; /* verified: the stack it proved used, bytes; 0: not known */
	bool batch;	    /* asked for a batch entry (emitted only for a leaf) */
	uint64_t seed, rng; /* blinding keys: the same sequence in every pass */
	uint32_t pc;	    /* instruction being emitted */
	unsigned l_epilogue, l_unwind0, l_fault, l_entry;
	/* Per pass: where each eBPF register lives, and whether the program is a
	 * leaf (see plan_leaf in codegen.c): entered without a trampoline, the
	 * run pointer kept in rdx. */
	uint8_t reg[11];
	bool leaf;
	/* A direct program (see plan_direct in codegen.c) has its prologue in
	 * front of instruction 0 and undoes it at each exit: what it pushed, in
	 * push order, and the bytes it reserved below them (none when its
	 * stack is the red zone and r10 is rsp). */
	bool direct;
	uint8_t nsaved, saved[6];
	int32_t frame;
	struct jit_stub *stubs;
	unsigned nstubs, cap_stubs;
	/* of the last pass; tcall_off is where a tail call enters (body_off, or
	 * the adapter after the stubs of a leaf or a direct program) */
	uint32_t entry_off, body_off, stubs_off, tail_off, tcall_off, batch_off;
	/* the callback, bpf_loop and array for_each entries; 0: none */
	uint32_t cb_off, loop_off, each_off;
};

/* One emission pass. Errors stay in cg->b (sticky). */
void jit_cg_pass(struct jit_cg *cg);
void jit_cg_free(struct jit_cg *cg);

/* Where the last pass put stub i (for the dump). */
unsigned jit_cg_nstubs(const struct jit_cg *cg);
struct jit_stub_info jit_cg_stub(const struct jit_cg *cg, unsigned i);

#endif
