/* The parse-and-count program in C (native_parse.c). */
#ifndef EXOBPF_BENCH_NATIVE_PARSE_H
#define EXOBPF_BENCH_NATIVE_PARSE_H

#include <stdbool.h>
#include <stdint.h>

#define NP_PORTS 1024
enum { NP_DROP = 1, NP_PASS = 2 }; /* XDP's numbers */

struct np_state {
	uint64_t packets[64 * 8]; /* one cache line per thread */
	uint64_t kinds[16];
	uint32_t port_key[NP_PORTS]; /* port + 1; 0: free */
	uint64_t port_count[NP_PORTS];
};

int np_parse_count(struct np_state *s, unsigned slot, const uint8_t *d, uint32_t len);
void np_reset(struct np_state *s);

#endif
