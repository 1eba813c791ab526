/* The two entry points every benchmark program has, around its algorithm:
 * XDP (the packet from the context: what the kernel and a verifying exobpf
 * run) and raw memory (r1 = the data, r2 = its length: what exobpf runs,
 * unverified, when its verifier does not yet accept the XDP form). */
#ifndef BENCH_ENTRY_H
#define BENCH_ENTRY_H

#define BENCH_ENTRIES(name)                                                                        \
	SEC("xdp")                                                                                 \
	int bench(struct xdp_md *ctx)                                                              \
	{                                                                                          \
		return (int)bench_##name((const u8 *)(long)ctx->data,                             \
					 (const u8 *)(long)ctx->data_end);                        \
	}                                                                                          \
	SEC("raw")                                                                                 \
	u64 bench_raw(const u8 *data, u64 len)                                                     \
	{                                                                                          \
		return bench_##name(data, data + len);                                             \
	}                                                                                          \
	char LICENSE[] SEC("license") = "GPL";

#endif
