/* Packet programs on exobpf and on Linux: one program (assembly text with
 * %d for map fds, or instructions) run through exobpf_prog__run, checked
 * and fast, and through the kernel's BPF_PROG_TEST_RUN on the same packet;
 * return value, output packet and output context are compared. */
#ifndef EXOBPF_TEST_PKT_DIFF_H
#define EXOBPF_TEST_PKT_DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/bpf.h>

#define PKT_DIFF_MAX 8192

struct pkt_out {
	bool ran;
	int err; /* run error (exobpf: -errno of exobpf_prog__run; kernel: of bpf()) */
	uint32_t retval;
	uint8_t data[PKT_DIFF_MAX];
	uint32_t len;
	uint8_t ctx[256];
	uint32_t ctx_len;
};

struct pkt_both {
	struct pkt_out exo, kern;
	bool kernel_tried; /* bpf() usable */
	char why[1024];	   /* exobpf could not load or the runs disagree */
	char klog[4096];   /* the kernel verifier's log when it refused the program */
};

struct pkt_prog {
	enum bpf_prog_type type;
	enum bpf_attach_type expected_attach_type;
	const char *text;	     /* assembly, %d = next fd */
	const struct bpf_insn *insns; /* or instructions (map fds in place for exobpf) */
	size_t cnt;
	const int *efds, *kfds; /* maps for %d, in order (kfds NULL: exobpf only) */
	const struct bpf_insn *kinsns; /* instructions with the kernel's fds (insns form) */
};

/* Run prog on pkt (and ctx_in) on both sides. Returns false when exobpf
 * cannot load or run it, or checked and fast runs disagree (b->why). */
bool pkt_run_both(const struct pkt_prog *prog, const void *pkt, uint32_t len, const void *ctx_in,
		  uint32_t ctx_len, struct pkt_both *b);

/* Did exobpf and Linux agree? false with b->why describing the first
 * difference; true also when the kernel did not run (check kernel.ran). */
bool pkt_same(struct pkt_both *b, bool compare_ctx);

/* Frames for tests: Ethernet + IPv4 + UDP/TCP with correct checksums. */
size_t pkt_make_udp4(uint8_t *buf, const uint8_t src[4], const uint8_t dst[4], uint16_t sport,
		     uint16_t dport, const void *payload, size_t plen);
size_t pkt_make_tcp4(uint8_t *buf, const uint8_t src[4], const uint8_t dst[4], uint16_t sport,
		     uint16_t dport, uint8_t flags, const void *payload, size_t plen);

#endif
