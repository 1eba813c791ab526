/* A program in assembly text, verified as XDP and run three ways on the
 * same packet: by exobpf's JIT, by its interpreter and, where bpf() works,
 * by Linux. The JIT tests that check what the machine code looks like
 * (wide loads, layout) use it, so each case states only its program, its
 * expected values and the shape of its code. */
#ifndef EXOBPF_TEST_XDP_THREE_H
#define EXOBPF_TEST_XDP_THREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Checks the JIT's dump of the program (text, as exobpf_prog__dump_jited
 * prints it); false with why filled if the code is not what the case
 * expects. */
typedef bool xt_shape_fn(const char *dump, const void *arg, char *why, size_t size);

struct xt_case {
	const char *name, *text;
	const uint8_t *pkt;
	const uint32_t *lens, *want; /* r0's low 32 bits for each packet length */
	unsigned nlens;
	xt_shape_fn *shape; /* NULL: any code */
	const void *shape_arg;
};

/* true if every engine returns want[l] on pkt[0..lens[l]) for each l and the
 * code has the case's shape; else false with why filled. */
bool xt_run(const struct xt_case *c, char *why, size_t size);

/* xt_run on one packet of len bytes, for which r0 must be want. */
bool xt_run_one(const char *name, const char *text, const uint8_t *pkt, uint32_t len, uint32_t want,
		xt_shape_fn *shape, const void *shape_arg, char *why, size_t size);

#endif
