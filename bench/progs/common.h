/* Shared by every benchmark: each algorithm is a function of the packet
 * [p, end), written once here and compiled twice, by clang -target bpf into
 * an XDP program (NAME.bpf.c) and by gcc -O2 into the native twin
 * (bench/native.c). Every packet read is bounds-checked against end, as the
 * kernel's verifier requires, in both builds: the same algorithm. */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef long long s64;

#define BENCH_FN static inline __attribute__((always_inline))

/* Big-endian reads (the caller checked the bounds). */
BENCH_FN u32 be16_at(const u8 *p)
{
	return (u32)p[0] << 8 | p[1];
}

BENCH_FN u32 be32_at(const u8 *p)
{
	return (u32)p[0] << 24 | (u32)p[1] << 16 | (u32)p[2] << 8 | p[3];
}

BENCH_FN u64 le64_at(const u8 *p)
{
	u64 v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

#endif
