/* Pieces the packet helpers share: growing an skb's buffer, its size
 * limits, keeping LD_ABS's view of the packet current, and finding the
 * context of the running program. */
#ifndef EXOBPF_HOOKS_PKT_H
#define EXOBPF_HOOKS_PKT_H

#include <stdbool.h>
#include <stdint.h>

#include "progtypes/progtypes.h"
#include "vm/vm.h"

/* Linux's __bpf_skb_max_len for the skb's device (lo's when unknown). */
uint32_t pkt_skb_max_len(const struct exo_skb *skb);

/* Make room for head bytes before data and tail bytes after data_end,
 * moving the packet into a larger buffer (skb->own) when it does not fit.
 * Every pointer of the skb moves with it. 0 or -ENOMEM. */
int pkt_skb_grow(struct vm_run *run, struct exo_skb *skb, uint32_t head, uint32_t tail);

/* LD_ABS/LD_IND read run->pkt: point it at the skb's data again after a
 * helper moved or resized it. */
void pkt_skb_sync(struct vm_run *run, const struct exo_skb *skb);

/* Is the running program's context an XDP buffer (else an skb)? */
bool pkt_ctx_is_xdp(const struct vm_run *run);

/* Checked mode: [addr, addr+size) belongs to the program; else the run
 * fails naming the helper. Always true when not checked. */
bool pkt_mem_ok(struct vm_run *run, uint64_t addr, uint64_t size, bool write, const char *helper);

#endif
