/* The Internet checksum (RFC 1071) as Linux computes it: 32-bit partial
 * sums with end-around carry (__wsum), folded to 16 bits (__sum16). Values
 * are the raw memory-order words (network byte order read on this host):
 * ones' complement sums do not depend on the byte order they are taken in,
 * as long as every word is taken in the same one. Pure functions. */
#ifndef EXOBPF_HOOKS_CSUM_H
#define EXOBPF_HOOKS_CSUM_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* a + b with the carry wrapped around (Linux's csum_add). */
static inline uint32_t pkt_csum_add(uint32_t a, uint32_t b)
{
	uint32_t r = a + b;

	return r + (r < b);
}

static inline uint32_t pkt_csum_sub(uint32_t a, uint32_t b)
{
	return pkt_csum_add(a, ~b);
}

/* 32 bits to 16, complemented (Linux's csum_fold). */
static inline uint16_t pkt_csum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* 16-bit ones' complement add (Linux's csum16_add). */
static inline uint16_t pkt_csum16_add(uint16_t sum, uint16_t add)
{
	uint16_t r = (uint16_t)(sum + add);

	return (uint16_t)(r + (r < add));
}

/* The partial sum of n bytes plus seed; an odd last byte counts as the
 * first byte of a zero-padded word (memory order). */
static inline uint32_t pkt_csum_partial(const void *buf, size_t n, uint32_t seed)
{
	const uint8_t *p = buf;
	uint64_t acc = seed;
	size_t i = 0;

	for (; i + 4 <= n; i += 4) {
		uint32_t w;

		memcpy(&w, p + i, 4);
		acc += w;
	}
	if (i + 2 <= n) {
		uint16_t w;

		memcpy(&w, p + i, 2);
		acc += w;
		i += 2;
	}
	if (i < n)
		acc += p[i]; /* little-endian host: the byte is the word's low half */
	while (acc >> 32)
		acc = (acc & 0xffffffff) + (acc >> 32);
	return (uint32_t)acc;
}

#endif
