/* The code buffer, labels and jump sizing (see emit.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jit/emit.h"

/* Generated code larger than this is refused: rel32 displacements must reach
 * across it, and no verified program comes near it. */
#define JIT_MAX_CODE (256u << 20)

int jit_fail(struct jit_buf *b, int err, const char *fmt, ...)
{
	va_list ap;

	if (b->err)
		return b->err;
	b->err = err;
	va_start(ap, fmt);
	vsnprintf(b->errmsg, sizeof(b->errmsg), fmt, ap);
	va_end(ap);
	return err;
}

static bool grow_labels(struct jit_buf *b, unsigned need)
{
	unsigned cap = b->cap_labels ? b->cap_labels : 64;

	if (need <= b->cap_labels)
		return true;
	while (cap < need)
		cap *= 2;
	uint32_t *a = realloc(b->addr, cap * sizeof(*a));
	if (a)
		b->addr = a;
	uint32_t *p = realloc(b->prev_addr, cap * sizeof(*p));
	if (p)
		b->prev_addr = p;
	if (!a || !p) {
		jit_fail(b, -ENOMEM, "out of memory for %u labels", need);
		return false;
	}
	for (unsigned i = b->cap_labels; i < cap; i++)
		b->addr[i] = b->prev_addr[i] = JIT_NO_ADDR;
	b->cap_labels = cap;
	return true;
}

int jit_buf_init(struct jit_buf *b, unsigned fixed_labels)
{
	memset(b, 0, sizeof(*b));
	b->fixed_labels = fixed_labels;
	if (!grow_labels(b, fixed_labels + 1))
		return b->err;
	return 0;
}

void jit_buf_free(struct jit_buf *b)
{
	free(b->code);
	free(b->addr);
	free(b->prev_addr);
	free(b->jump_long);
	memset(b, 0, sizeof(*b));
}

void jit_pass_begin(struct jit_buf *b)
{
	b->len = 0;
	b->nlabels = b->fixed_labels;
	b->njumps = 0;
	b->grew = false;
	for (unsigned i = 0; i < b->cap_labels; i++)
		b->addr[i] = JIT_NO_ADDR;
}

bool jit_pass_end(struct jit_buf *b)
{
	bool same = b->have_prev && !b->grew;

	for (unsigned i = 0; i < b->nlabels && same; i++)
		same = b->addr[i] == b->prev_addr[i];
	uint32_t *t = b->prev_addr;
	b->prev_addr = b->addr;
	b->addr = t;
	b->have_prev = true;
	return same;
}

static bool reserve(struct jit_buf *b, size_t n)
{
	if (b->err)
		return false;
	if (b->len + n <= b->cap)
		return true;
	if (b->len + n > JIT_MAX_CODE) {
		jit_fail(b, -E2BIG, "generated code exceeds %u bytes", JIT_MAX_CODE);
		return false;
	}
	size_t cap = b->cap ? b->cap : 4096;
	while (cap < b->len + n)
		cap *= 2;
	uint8_t *c = realloc(b->code, cap);
	if (!c) {
		jit_fail(b, -ENOMEM, "out of memory for %zu bytes of code", cap);
		return false;
	}
	b->code = c;
	b->cap = cap;
	return true;
}

void jit_bytes(struct jit_buf *b, const void *p, size_t n)
{
	if (!reserve(b, n))
		return;
	memcpy(b->code + b->len, p, n);
	b->len += n;
}

void jit_byte(struct jit_buf *b, uint8_t v)
{
	jit_bytes(b, &v, 1);
}

/* x86 is little-endian; memcpy of the host value is the encoding. */
void jit_u16(struct jit_buf *b, uint16_t v)
{
	jit_bytes(b, &v, 2);
}

void jit_u32(struct jit_buf *b, uint32_t v)
{
	jit_bytes(b, &v, 4);
}

void jit_u64(struct jit_buf *b, uint64_t v)
{
	jit_bytes(b, &v, 8);
}

unsigned jit_label_new(struct jit_buf *b)
{
	if (b->err || !grow_labels(b, b->nlabels + 1))
		return b->fixed_labels; /* any valid index: nothing is emitted any more */
	return b->nlabels++;
}

void jit_label_bind(struct jit_buf *b, unsigned label)
{
	if (b->err)
		return;
	b->addr[label] = (uint32_t)b->len;
}

uint32_t jit_label_addr(const struct jit_buf *b, unsigned label)
{
	return b->addr[label] != JIT_NO_ADDR ? b->addr[label] : b->prev_addr[label];
}

/* Which form the jump with this id uses, growing the table as needed. */
static bool jump_is_long(struct jit_buf *b, unsigned id)
{
	if (id >= b->cap_jumps) {
		unsigned cap = b->cap_jumps ? b->cap_jumps * 2 : 256;
		while (cap <= id)
			cap *= 2;
		uint8_t *j = realloc(b->jump_long, cap);
		if (!j) {
			jit_fail(b, -ENOMEM, "out of memory for %u jumps", cap);
			return true;
		}
		memset(j + b->cap_jumps, 0, cap - b->cap_jumps);
		b->jump_long = j;
		b->cap_jumps = cap;
	}
	return b->jump_long[id];
}

void jit_jmp(struct jit_buf *b, int cc, unsigned label)
{
	unsigned id = b->njumps++;
	bool is_long = jump_is_long(b, id);
	uint32_t target = jit_label_addr(b, label);

	if (b->err)
		return;
	/* Unknown yet (first pass, forward): assume it is near. */
	int64_t base = target == JIT_NO_ADDR ? 0 : (int64_t)target - (int64_t)b->len;
	int64_t disp = base - 2; /* short forms are 2 bytes */
	if (!is_long && (b->all_long || disp < -128 || disp > 127)) {
		b->jump_long[id] = 1;
		b->grew = true;
		is_long = true;
	}
	if (!is_long) {
		jit_byte(b, cc < 0 ? 0xeb : (uint8_t)(0x70 | cc));
		jit_byte(b, (uint8_t)(int8_t)disp);
		return;
	}
	disp = base - (cc < 0 ? 5 : 6);
	if (cc < 0) {
		jit_byte(b, 0xe9);
	} else {
		jit_byte(b, 0x0f);
		jit_byte(b, (uint8_t)(0x80 | cc));
	}
	jit_u32(b, (uint32_t)(int32_t)disp);
}

void jit_call_label(struct jit_buf *b, unsigned label)
{
	uint32_t target = jit_label_addr(b, label);
	int64_t disp = target == JIT_NO_ADDR ? 0 : (int64_t)target - (int64_t)b->len - 5;

	jit_byte(b, 0xe8);
	jit_u32(b, (uint32_t)(int32_t)disp);
}
