/* Which flow a frame belongs to, for spreading packets over workers while
 * keeping each flow's packets in order: a hash over the addresses and
 * ports, the same for both directions (as Linux's flow hash), that ignores
 * ports of IP fragments (their later pieces carry none). Pure. */
#ifndef EXOBPF_HOOKS_FLOW_H
#define EXOBPF_HOOKS_FLOW_H

#include <stdint.h>

uint32_t flow_hash(const uint8_t *frame, uint32_t len);

#endif
