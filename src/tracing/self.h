/* In-process uprobes one program at a time (inproc.c): what the bpf()
 * layer's perf events attach through. Each address is patched once however
 * many programs it has; a program leaves with trc_self_detach. */
#ifndef EXOBPF_TRACING_SELF_H
#define EXOBPF_TRACING_SELF_H

#include <stdbool.h>
#include <stdint.h>

struct exobpf_prog;
struct trc_point;

/* Where pt (resolved, or FUNCTION+OFF in its file) is mapped in this
 * process: 0 and *addr, or -errno with the message set. */
int trc_self_locate(struct trc_point *pt, uint64_t *addr);

/* Run prog at addr (pt names it in messages and gives the function's
 * length) on entry, or on return (ret), with cookie for
 * bpf_get_attach_cookie. While *gate is nonzero the program is skipped
 * (gate may be NULL). *site gets the handle for detaching. 0 or -errno
 * (EOPNOTSUPP: the function cannot be patched, the message says which
 * instruction). */
int trc_self_attach(const struct trc_point *pt, uint64_t addr, struct exobpf_prog *prog,
		    const uint32_t *gate, uint64_t cookie, bool ret, void **site);
void trc_self_detach(void *site, struct exobpf_prog *prog, bool ret);

#endif
