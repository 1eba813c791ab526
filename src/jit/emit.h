/* The JIT's code buffer: bytes, labels and jumps whose sizes are settled by
 * iterating whole passes to a fixed point.
 *
 * Errors are sticky: the first failure (out of memory, a displacement that
 * cannot be encoded, an instruction the backend cannot emit) is recorded and
 * every later emit is a no-op, so emitters never check results.
 *
 * Labels are numbered deterministically in each pass (the first ones are the
 * eBPF instructions, the rest are allocated in emission order), so a label of
 * pass N names the same place as in pass N-1. A jump to a label bound later in
 * the pass uses that label's address from the previous pass; a jump's short
 * form is chosen when its displacement fits in 8 bits and, once a jump has
 * needed the long form, it keeps it. Sizes therefore only grow and the passes
 * converge; the code of a pass whose label addresses equal the previous
 * pass's is exact. */
#ifndef EXOBPF_JIT_EMIT_H
#define EXOBPF_JIT_EMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JIT_NO_ADDR UINT32_MAX

struct jit_buf {
	uint8_t *code;
	size_t len, cap;
	int err;	  /* 0, or the first negative errno */
	char errmsg[160]; /* why, for the first error */

	uint32_t *addr;	     /* label -> offset in this pass (JIT_NO_ADDR: not yet bound) */
	uint32_t *prev_addr; /* label -> offset in the previous pass */
	unsigned nlabels, fixed_labels, cap_labels;
	bool have_prev;

	uint8_t *jump_long; /* jump id -> must use the long form (sticky across passes) */
	unsigned njumps, cap_jumps;
	bool grew;     /* some jump switched to the long form in this pass */
	bool all_long; /* give up on short jumps (a pass limit was reached) */
};

/* Start a buffer with fixed_labels labels reserved (0..fixed_labels-1). */
int jit_buf_init(struct jit_buf *b, unsigned fixed_labels);
void jit_buf_free(struct jit_buf *b);

/* Begin a pass: empty code, labels unbound, jump ids from 0. */
void jit_pass_begin(struct jit_buf *b);
/* End a pass: true when its code is final (every label where the previous
 * pass put it). */
bool jit_pass_end(struct jit_buf *b);

/* Record the first error; later emits do nothing. Returns err. */
int jit_fail(struct jit_buf *b, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static inline bool jit_ok(const struct jit_buf *b)
{
	return !b->err;
}

void jit_byte(struct jit_buf *b, uint8_t v);
void jit_bytes(struct jit_buf *b, const void *p, size_t n);
void jit_u16(struct jit_buf *b, uint16_t v);
void jit_u32(struct jit_buf *b, uint32_t v);
void jit_u64(struct jit_buf *b, uint64_t v);

/* A fresh label (numbered in allocation order within the pass). */
unsigned jit_label_new(struct jit_buf *b);
/* The label is here. */
void jit_label_bind(struct jit_buf *b, unsigned label);
/* Offset of a label: this pass's if bound, else the previous pass's. */
uint32_t jit_label_addr(const struct jit_buf *b, unsigned label);

/* Jumps to a label: unconditional (cc < 0) or on x86 condition cc. */
void jit_jmp(struct jit_buf *b, int cc, unsigned label);
/* call rel32 to a label. */
void jit_call_label(struct jit_buf *b, unsigned label);

#endif
