/* Pieces of the text formats other parts of the module reuse (the seccomp
 * explainer and the tracer print listing lines). */
#ifndef EXOBPF_CBPF_TEXT_H
#define EXOBPF_CBPF_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cbpf/cbpf.h"

/* The operand of insns[pc] in tcpdump's listing (asm_ false) or bpf_asm's
 * syntax; returns the row, or -1 for an unknown opcode (buf then holds
 * "0x.." as libpcap's "unimp" line shows it). */
int cbpf_operand(const struct sock_filter *in, uint32_t pc, bool asm_, char *buf, size_t size);

/* One line of tcpdump -d, without the newline. */
void cbpf_listing_line(const struct sock_filter *in, uint32_t pc, char *buf, size_t size);

#endif
