/* The machine code of a compiled program, disassembled with capstone and
 * interleaved with the eBPF instruction each piece comes from: the
 * trampoline, every instruction's code in order, then the out-of-line stubs
 * (each naming its instruction). Offsets are from the start of the image. */
#ifndef EXOBPF_JIT_DUMP_H
#define EXOBPF_JIT_DUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "exobpf/insn.h"
#include "jit/jit.h"

/* insns/cnt: the program's instructions as given (for their text). json:
 * one JSON object instead of text. 0, or -EINVAL/-ENOMEM with the message
 * set. */
int jit_dump(const struct jit_image *img, const struct bpf_insn *insns, size_t cnt,
	     const char *name, bool json, FILE *out);

#endif
