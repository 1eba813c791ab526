/* The JIT: compiles a decoded program (struct vm_prog) to machine code and
 * sets prog->jited, which vm_engine picks for unchecked, unbudgeted runs. The
 * code gives the interpreter's results in every case: r0, memory, faults and
 * their messages. Only x86-64 has a backend; elsewhere jit_compile says
 * -EOPNOTSUPP and programs are interpreted. */
#ifndef EXOBPF_JIT_H
#define EXOBPF_JIT_H

#include <stdbool.h>
#include <stdint.h>

#include "jit/facts.h"
#include "vm/vm.h"

struct jit_opts {
	bool blind;	     /* constant blinding: no program immediate appears in the code */
	uint64_t blind_seed; /* keys for blinding; 0: random */
	bool no_bmi2;	     /* never use BMI2 (shlx/shrx/sarx), to test the other forms */
	bool no_facts;	     /* ignore every proved fact: the fully checked forms */
	bool batch;	     /* also a batch entry (prog->jited_batch), if a leaf socket filter */
	/* Facts proved by the verifier (NULL: none), prog->len entries. */
	const struct jit_fact *verifier_facts;
	/* With verifier_facts: the bytes of stack the verifier saw the main
	 * program use (its stack_depth), which bounds every stack access as
	 * Linux's JIT relies on when it sizes the frame. 0: not known. */
	uint32_t stack_depth;
};

/* Where each piece of machine code came from, for the dump. */
struct jit_stub_info {
	uint32_t off; /* offset of the stub in the image */
	uint32_t pc;  /* instruction it belongs to */
};

/* A compiled program: the image and its map back to the instructions. */
struct jit_image {
	uint8_t *mem; /* mmap'ed, read+execute */
	size_t size;
	/* trampoline, instruction 0, out-of-line stubs, the shared fault tail,
	 * end; tail calls enter at tcall_off (body_off, or the adapter after
	 * the stubs of a leaf or a direct program; a leaf has no trampoline:
	 * entry_off is body_off; a direct program's is its prologue) */
	uint32_t entry_off, body_off, stubs_off, tail_off, code_len, tcall_off;
	uint32_t batch_off; /* the batch entry, after the fault tail; 0: none */
	uint32_t cb_off;    /* the callback entry, after the fault tail; 0: none */
	uint32_t loop_off;  /* bpf_loop's entry, after the callback entry; 0: none */
	uint32_t each_off;  /* for_each's entry for arrays, after those; 0: none */
	uint32_t *
	    insn_off; /* prog->len + 1 offsets: the code of insn i is [insn_off[i], insn_off[i+1]) */
	uint32_t len;
	struct jit_stub_info *stubs;
	unsigned nstubs;
	const struct vm_prog *prog;
	struct jit_opts opts;
	unsigned passes; /* emission passes until jump sizes settled */
};

/* Is there a backend for this host? */
bool jit_supported(void);

/* Compile prog and set prog->jited. 0, or a negative errno with the message
 * set (exo_err); the program is left interpretable either way. */
int jit_compile(struct vm_prog *prog, const struct jit_opts *opts);

/* Free the machine code (prog->jited becomes NULL). Safe when not compiled. */
void jit_release(struct vm_prog *prog);

/* The image behind prog->jited, or NULL. */
const struct jit_image *jit_image_of(const struct vm_prog *prog);

#endif
