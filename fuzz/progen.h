/* A structured random-program generator for the verifier's oracles: XDP
 * programs that are mostly *valid* (the verifier should accept them) yet
 * use everything a real program does - every ALU and jump form (32 and 64
 * bit, K and X, signed division, movsx, byte swaps, gotol), stack spills
 * and atomics, packet loads and stores behind range checks (constant and
 * variable offsets), map lookups behind null checks with value accesses
 * and atomics, map updates and deletes, bpf_csum_diff, bpf_xdp_adjust_head,
 * bounded loops (constant and data-dependent trip counts, nested), local
 * calls with arguments and the context, bpf_loop and for_each_map_elem
 * with a generated callback, early exits. One program in
 * sixteen carries one deliberate error (a missing range or null check, an
 * out-of-bounds value access, an uninitialised read, division by a zero
 * immediate), so the verifier's rejections are exercised too. One in four
 * calls nothing (no helpers, maps or local calls), the shape the JIT enters
 * directly with its stack in the red zone. Every exit first folds the
 * function's stack into r0, so comparing r0 compares the stack too.
 *
 * Reproducible: the same seed (or the same fuzzer bytes) gives the same
 * program and packet. Maps are referenced by lddw BPF_PSEUDO_MAP_FD with
 * imm = the map's index in pg_maps; progen_bind_maps puts real fds in. */
#ifndef EXOBPF_FUZZ_PROGEN_H
#define EXOBPF_FUZZ_PROGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/bpf.h>

#define PG_MAX_INSNS 4000 /* five functions of at most 800 */
#define PG_PKT_LEN   64
#define PG_LOOP_RUNS 7

/* The maps every generated program may use. Hash keys are u64 values
 * below PG_HASH_KEYS, so an oracle can read a hash map completely by
 * looking every possible key up. */
enum { PG_MAP_ARRAY, PG_MAP_HASH, PG_NMAPS };
#define PG_HASH_KEYS 32
struct pg_map {
	enum bpf_map_type type;
	uint32_t key_size, value_size, max_entries;
	uint32_t flags; /* map_flags, the same for exobpf's map and Linux's */
};
extern const struct pg_map pg_maps[PG_NMAPS];

/* Where random choices come from: fuzzer bytes (then zeros when they run
 * out, which ends generation quickly) or a seed. */
struct pg_rng {
	const uint8_t *data;
	size_t len, pos;
	uint64_t state;
};

static inline struct pg_rng pg_seeded(uint64_t seed)
{
	return (struct pg_rng){.state = seed ^ 0x6a09e667f3bcc909ull};
}

static inline struct pg_rng pg_bytes(const uint8_t *data, size_t len)
{
	return (struct pg_rng){.data = data, .len = len};
}

struct pg_prog {
	struct bpf_insn insns[PG_MAX_INSNS];
	uint32_t cnt;
	bool invalid; /* carries a deliberate error: the verifier must reject it */
	bool call_free; /* generated to call nothing, with a 64-byte stack */
	/* A callback's runs converge in the verifier's walk (later runs are
	 * pruned against earlier ones, and so are runs from later trips of
	 * an enclosing loop): one walked path may run up to this many times
	 * per program run (1 without callbacks). */
	uint32_t budget_scale;
	const char *invalid_kind;
	uint8_t pkt[PG_PKT_LEN]; /* the packet to run it on */
};

/* Generate one program (and its packet) into out. */
void progen(struct pg_rng *rng, struct pg_prog *out);

/* A copy of insns with each map reference's imm replaced by fds[index]. */
void progen_bind_maps(const struct bpf_insn *insns, uint32_t cnt, const int *fds,
		      struct bpf_insn *out);

#endif
