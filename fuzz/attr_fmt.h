/* The input of the `attr` fuzz target: a program of bpf() calls. Shared by
 * the target (which decodes it) and `exobpf-fuzz seeds` (which writes the
 * seed corpus), so both agree on one layout:
 *
 *   u16 arena_len, arena_len bytes copied to the start of the arena,
 *   then records until the input ends: u8 op, u8 size, attribute bytes.
 *
 * op < ATTR_OP_CLOSE is the bpf() command of that number (numbers Linux
 * does not have included); op >= ATTR_OP_RAW is the command op itself, to
 * reach large unknown numbers; the ops between are the calls beside bpf()
 * that reach the same objects (close, dup, mmap). size is the attr size
 * passed to bpf(): up to 168 as is, above that 168 + 8 * (size - 168), so
 * sizes past Linux 6.18's union (E2BIG unless the tail is zero) are reached;
 * that many attribute bytes follow (fewer at the end of the input: the rest
 * is zero).
 *
 * Fields the kernel reads as pointers or fds are not used raw: a raw pointer
 * would let the fuzzer scribble over its own heap through copy_to_user, and
 * a raw id or fd would reach other processes' objects. The target rewrites
 * them (see attr.c): a pointer p becomes NULL (p & 3 == 0), an unreadable
 * address (1) or arena + (p >> 2) % ATTR_ARENA (2, 3); an fd f stays as is
 * when 0 or with its top bit set, else becomes the ((f - 1) % n)th fd this
 * input has made; an id i < ATTR_MAX_FDS becomes the id of that fd. */
#ifndef EXOBPF_FUZZ_ATTR_FMT_H
#define EXOBPF_FUZZ_ATTR_FMT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define ATTR_ARENA    65536u
#define ATTR_MAX_FDS  32
#define ATTR_FULL     168 /* API_ATTR_SIZE */
#define ATTR_MAX_SIZE (ATTR_FULL + 8 * (255 - ATTR_FULL))

enum attr_op {
	ATTR_OP_CLOSE = 40, /* attr: u32 fd index */
	ATTR_OP_DUP,	    /* attr: u32 fd index */
	ATTR_OP_MMAP,	    /* attr: u32 fd index, u32 prot, u64 len, u64 offset, u8 write */
	ATTR_OP_RAW = 48,
};

static inline unsigned attr_size_of(uint8_t sel)
{
	return sel <= ATTR_FULL ? sel : ATTR_FULL + 8u * (sel - ATTR_FULL);
}

/* Encodings for seeds: an arena pointer, the nth fd made, the id of it. */
static inline uint64_t attr_ptr(uint32_t arena_off)
{
	return ((uint64_t)arena_off << 2) | 2;
}
static inline uint32_t attr_fd(unsigned nth)
{
	return nth + 1;
}

/* A seed being written: the caller's buffer, grown record by record. */
struct attr_seed {
	uint8_t *buf;
	size_t len, cap;
};

static inline int attr_seed_arena(struct attr_seed *s, const void *arena, uint16_t n)
{
	if (s->cap < 2u + n)
		return -1;
	memcpy(s->buf, &n, 2);
	memcpy(s->buf + 2, arena, n);
	s->len = 2u + n;
	return 0;
}

static inline int attr_seed_call(struct attr_seed *s, uint8_t op, const void *attr, uint8_t size)
{
	unsigned n = attr_size_of(size);
	if (s->len + 2 + n > s->cap)
		return -1;
	s->buf[s->len++] = op;
	s->buf[s->len++] = size;
	memcpy(s->buf + s->len, attr, n);
	s->len += n;
	return 0;
}

#endif
