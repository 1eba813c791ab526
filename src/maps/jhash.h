/* Bob Jenkins' lookup3 hash as Linux's <linux/jhash.h> applies it (jhash for
 * byte strings, jhash2 for u32 arrays, initial value 0xdeadbeef). Using the
 * same function gives hash maps created with BPF_F_ZERO_SEED the kernel's
 * bucket order, so get_next_key walks keys in the kernel's order. */
#ifndef EXOBPF_MAPS_JHASH_H
#define EXOBPF_MAPS_JHASH_H

#include <stdint.h>
#include <string.h>

#define JHASH_INIT 0xdeadbeefu

static inline uint32_t jh_rol(uint32_t w, unsigned s)
{
	return (w << s) | (w >> (32 - s));
}

#define JH_MIX(a, b, c)                             \
	do {                                        \
		a -= c, a ^= jh_rol(c, 4), c += b;  \
		b -= a, b ^= jh_rol(a, 6), a += c;  \
		c -= b, c ^= jh_rol(b, 8), b += a;  \
		a -= c, a ^= jh_rol(c, 16), c += b; \
		b -= a, b ^= jh_rol(a, 19), a += c; \
		c -= b, c ^= jh_rol(b, 4), b += a;  \
	} while (0)

#define JH_FINAL(a, b, c)                   \
	do {                                \
		c ^= b, c -= jh_rol(b, 14); \
		a ^= c, a -= jh_rol(c, 11); \
		b ^= a, b -= jh_rol(a, 25); \
		c ^= b, c -= jh_rol(b, 16); \
		a ^= c, a -= jh_rol(c, 4);  \
		b ^= a, b -= jh_rol(a, 14); \
		c ^= b, c -= jh_rol(b, 24); \
	} while (0)

static inline uint32_t jh_word(const uint8_t *p)
{
	uint32_t w;

	memcpy(&w, p, 4);
	return w;
}

/* Any length, bytes read little-endian as the kernel does on x86. */
static inline uint32_t jhash_bytes(const void *key, uint32_t len, uint32_t seed)
{
	const uint8_t *k = key;
	uint32_t a, b, c;

	a = b = c = JHASH_INIT + len + seed;
	while (len > 12) {
		a += jh_word(k);
		b += jh_word(k + 4);
		c += jh_word(k + 8);
		JH_MIX(a, b, c);
		len -= 12;
		k += 12;
	}
	switch (len) {
	case 12:
		c += (uint32_t)k[11] << 24; /* fall through */
	case 11:
		c += (uint32_t)k[10] << 16; /* fall through */
	case 10:
		c += (uint32_t)k[9] << 8; /* fall through */
	case 9:
		c += k[8]; /* fall through */
	case 8:
		b += (uint32_t)k[7] << 24; /* fall through */
	case 7:
		b += (uint32_t)k[6] << 16; /* fall through */
	case 6:
		b += (uint32_t)k[5] << 8; /* fall through */
	case 5:
		b += k[4]; /* fall through */
	case 4:
		a += (uint32_t)k[3] << 24; /* fall through */
	case 3:
		a += (uint32_t)k[2] << 16; /* fall through */
	case 2:
		a += (uint32_t)k[1] << 8; /* fall through */
	case 1:
		a += k[0];
		JH_FINAL(a, b, c);
		break;
	default:
		break;
	}
	return c;
}

/* A whole number of u32 words. */
static inline uint32_t jhash_words(const void *key, uint32_t words, uint32_t seed)
{
	const uint8_t *k = key;
	uint32_t a, b, c;

	a = b = c = JHASH_INIT + (words << 2) + seed;
	while (words > 3) {
		a += jh_word(k);
		b += jh_word(k + 4);
		c += jh_word(k + 8);
		JH_MIX(a, b, c);
		words -= 3;
		k += 12;
	}
	switch (words) {
	case 3:
		c += jh_word(k + 8); /* fall through */
	case 2:
		b += jh_word(k + 4); /* fall through */
	case 1:
		a += jh_word(k);
		JH_FINAL(a, b, c);
		break;
	default:
		break;
	}
	return c;
}

/* Linux's htab_map_hash. */
static inline uint32_t jhash_key(const void *key, uint32_t len, uint32_t seed)
{
	return len % 4 == 0 ? jhash_words(key, len / 4, seed) : jhash_bytes(key, len, seed);
}

#endif
