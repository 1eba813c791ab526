/* Shared pieces of the classic BPF tests: captures held in memory, every
 * engine run on one packet, the corpus captures' names. */
#ifndef EXOBPF_TEST_CBPF_UTIL_H
#define EXOBPF_TEST_CBPF_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exobpf/exobpf.h"

struct test_pkt {
	uint8_t *data;
	uint32_t caplen, wirelen;
};

struct test_capture {
	int linktype;
	uint32_t snaplen;
	struct test_pkt *pkts;
	size_t n;
};

/* Read a whole capture; 0 or -errno (exobpf_errmsg() says why). */
int test_capture_load(const char *path, struct test_capture *cap);
void test_capture_free(struct test_capture *cap);

/* Run a classic program on a packet in all three of exobpf's ways - the
 * converted program fast and checked, and the classic interpreter - and
 * return the common verdict; false (with why) when they disagree or fail. */
bool test_cbpf_all_engines(struct exobpf_cbpf_prog *prog, const struct sock_filter *insns,
			   size_t cnt, const struct test_pkt *pkt, uint32_t *verdict, char *why,
			   size_t why_size);

/* The corpus captures under $SHARED/pcap/libpcap_tests/filter. */
extern const char *const test_corpus_captures[];

#endif
