/* SPDX-License-Identifier: MIT */
/* exobpf: eBPF instructions - encodings, disassembly, assembly. */
#ifndef EXOBPF_INSN_H
#define EXOBPF_INSN_H

#include <stddef.h>
#include <stdint.h>
#include <linux/bpf.h>

#include "exobpf/common.h"

/* Encodings newer than some systems' <linux/bpf.h> (cpu v4, RFC 9669). */
#ifndef BPF_MEMSX
#define BPF_MEMSX 0x80
#endif
#ifndef BPF_JMP32
#define BPF_JMP32 0x06
#endif
#ifndef BPF_ATOMIC
#define BPF_ATOMIC 0xc0
#endif
#ifndef BPF_FETCH
#define BPF_FETCH 0x01
#endif
#ifndef BPF_XCHG
#define BPF_XCHG (0xe0 | BPF_FETCH)
#endif
#ifndef BPF_CMPXCHG
#define BPF_CMPXCHG (0xf0 | BPF_FETCH)
#endif
#ifndef BPF_PSEUDO_FUNC
#define BPF_PSEUDO_FUNC 4
#endif
#ifndef BPF_PSEUDO_MAP_IDX
#define BPF_PSEUDO_MAP_IDX 5
#endif
#ifndef BPF_PSEUDO_MAP_IDX_VALUE
#define BPF_PSEUDO_MAP_IDX_VALUE 6
#endif

/* Text syntaxes understood by the disassembler and the assembler. */
enum exobpf_syntax {
	EXOBPF_SYNTAX_LINUX = 0, /* the kernel verifier log / bpftool: r0 = *(u32 *)(r1 +0) */
	EXOBPF_SYNTAX_UBPF = 1,	 /* bpf_conformance / uBPF: ldxw %r0, [%r1+0] */
};

/* Disassemble the instruction at insns[idx] into buf (no trailing newline).
 * Returns the number of slots it occupies (1, or 2 for lddw) or a negative
 * errno (-EINVAL for an invalid encoding, with exobpf_errmsg() saying why). */
EXOBPF_API int exobpf_insn_disasm(const struct bpf_insn *insns, size_t cnt, size_t idx,
				  enum exobpf_syntax syntax, char *buf, size_t size);

/* Check that insns[idx] is a valid encoding: a known opcode, registers in range
 * and every field the instruction does not use zero. Returns the number of
 * slots (1 or 2) or -EINVAL with a message naming the instruction and field. */
EXOBPF_API int exobpf_insn_check(const struct bpf_insn *insns, size_t cnt, size_t idx);

/* Assemble text in either syntax (chosen per line). name labels messages
 * ("prog.s:3: ..."). On success *insns is malloc'ed (free() it) and *cnt set. */
EXOBPF_API int exobpf_asm(const char *text, const char *name, struct bpf_insn **insns,
			  size_t *cnt);

#endif
