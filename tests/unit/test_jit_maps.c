/* bpf_map_lookup_elem on a map the JIT knows at compile time: the map
 * type's own lookup is called directly (Linux's map_gen_lookup). Which call
 * sites qualify (the analysis), and that the direct lookups return what the
 * helper returns, for every key size and map type that has one. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/prog.h"
#include "exobpf/exobpf.h"
#include "helpers/helpers.h"
#include "jit/facts.h"
#include "jit/jit.h"
#include "maps/map.h"
#include "test.h"

#define MAP_PTR 0x123456789abcull /* never dereferenced by the analysis */

static struct bpf_insn lddw_map(int dst, uint32_t half)
{
	/* both halves of lddw dst, MAP_PTR with BPF_PSEUDO_MAP_FD */
	return half ? (struct bpf_insn){.imm = (int32_t)(MAP_PTR >> 32)}
		    : (struct bpf_insn){.code = 0x18,
					.dst_reg = (uint8_t)dst,
					.src_reg = BPF_PSEUDO_MAP_FD,
					.imm = (int32_t)(uint32_t)MAP_PTR};
}

/* The facts jit_analyze gives instruction at of insns. */
static struct jit_fact fact_at(const struct bpf_insn *insns, uint32_t cnt, uint32_t at)
{
	struct vm_prog vp;
	struct jit_fact *out = calloc(cnt + 1, sizeof(*out)), f = {0};

	memset(&vp, 0, sizeof(vp));
	if (out && !vm_prog_decode(&vp, insns, cnt) && !jit_analyze(&vp, NULL, out))
		f = out[at];
	vm_prog_release(&vp);
	free(out);
	return f;
}

#define CALL_LOOKUP ((struct bpf_insn){.code = 0x85, .imm = BPF_FUNC_map_lookup_elem})
#define EXIT	    ((struct bpf_insn){.code = 0x95})
#define MOV_K(d, k) ((struct bpf_insn){.code = 0xb7, .dst_reg = (d), .imm = (k)})
#define MOV_X(d, s) ((struct bpf_insn){.code = 0xbf, .dst_reg = (d), .src_reg = (s)})

TEST(jit_knows_the_map_of_a_lookup_after_its_lddw)
{
	/* r1 = map; r2 = r10; r2 += -4; call: r1 is the map on the only path */
	struct bpf_insn direct[] = {
	    MOV_K(0, 0),
	    lddw_map(1, 0),
	    lddw_map(1, 1),
	    MOV_X(2, 10),
	    {.code = 0x07, .dst_reg = 2, .imm = -4},
	    CALL_LOOKUP,
	    EXIT,
	};
	struct jit_fact f = fact_at(direct, 7, 5);

	CHECK(f.flags & JIT_FACT_R1_MAP);
	CHECK_EQ((uint64_t)f.src_val, MAP_PTR);
	/* the same lddw into r3: r1 is whatever it was */
	direct[1].dst_reg = 3;
	CHECK(!(fact_at(direct, 7, 5).flags & JIT_FACT_R1_MAP));
	/* an lddw of a plain constant is not a map */
	direct[1].dst_reg = 1;
	direct[1].src_reg = 0;
	CHECK(!(fact_at(direct, 7, 5).flags & JIT_FACT_R1_MAP));
}

TEST(jit_does_not_assume_a_map_that_a_path_may_not_load)
{
	/* r1 overwritten after the lddw */
	struct bpf_insn overwritten[] = {
	    lddw_map(1, 0), lddw_map(1, 1), MOV_X(1, 6), CALL_LOOKUP, EXIT,
	};
	/* a jump lands between the lddw and the call (r1 = 0 on that path) */
	struct bpf_insn joined[] = {
	    MOV_K(1, 0),    {.code = 0x15, .dst_reg = 2, .off = 2}, /* if r2 == 0 goto call */
	    lddw_map(1, 0), lddw_map(1, 1),
	    CALL_LOOKUP,    EXIT,
	};
	/* a local call in between may change r1 */
	struct bpf_insn local[] = {
	    lddw_map(1, 0), lddw_map(1, 1), {.code = 0x85, .src_reg = 1, .imm = 2}, /* call pc+2 */
	    CALL_LOOKUP,    EXIT,	    MOV_K(1, 0),
	    EXIT,
	};

	CHECK(!(fact_at(overwritten, 5, 3).flags & JIT_FACT_R1_MAP));
	CHECK(!(fact_at(joined, 6, 4).flags & JIT_FACT_R1_MAP));
	CHECK(!(fact_at(local, 7, 3).flags & JIT_FACT_R1_MAP));
}

/* A raw program that stores the key_size bytes of key on its stack, looks
 * it up in the map (fd) and returns the value's first 8 bytes, or
 * 0xdeadbeef when the key is absent. */
static struct exobpf_prog *lookup_prog(int fd, const uint8_t *key, uint32_t key_size)
{
	struct bpf_insn insns[64];
	uint32_t n = 0;
	struct exobpf_prog *p;

	for (uint32_t i = 0; i < key_size; i++) /* *(u8 *)(r10 - 32 + i) = key[i] */
		insns[n++] = (struct bpf_insn){
		    .code = 0x72, .dst_reg = 10, .off = (int16_t)(-32 + (int)i), .imm = key[i]};
	insns[n++] = MOV_X(2, 10);
	insns[n++] = (struct bpf_insn){.code = 0x07, .dst_reg = 2, .imm = -32};
	insns[n++] =
	    (struct bpf_insn){.code = 0x18, .dst_reg = 1, .src_reg = BPF_PSEUDO_MAP_FD, .imm = fd};
	insns[n++] = (struct bpf_insn){0};
	insns[n++] = CALL_LOOKUP;
	insns[n++] = (struct bpf_insn){.code = 0x55, .dst_reg = 0, .off = 3}; /* if r0 != 0 */
	insns[n++] = (struct bpf_insn){.code = 0x18, .dst_reg = 0, .imm = (int32_t)0xdeadbeef};
	insns[n++] = (struct bpf_insn){0};
	insns[n++] = EXIT;
	insns[n++] =
	    (struct bpf_insn){.code = 0x79, .dst_reg = 0, .src_reg = 0}; /* r0 = *(u64 *)r0 */
	insns[n++] = EXIT;
	p = exobpf_prog__new(insns, n, NULL);
	return p;
}

static uint64_t run_prog(struct exobpf_prog *p, bool interp)
{
	EXOBPF_OPTS(exobpf_run_opts, o, .flags = interp ? EXOBPF_RUN_INTERP : 0);

	return exobpf_prog__run(p, &o) ? 0xbad : o.retval;
}

/* Does p's machine code call the lookup helper itself (its address as an
 * immediate)? */
static bool calls_helper(struct exobpf_prog *p)
{
	const struct jit_image *img = jit_image_of(&p->vm);
	uint64_t fn = (uintptr_t)helper_by_id(BPF_FUNC_map_lookup_elem)->fn;

	for (uint32_t i = 0; img && i + 8 <= img->code_len; i++)
		if (!memcmp(img->mem + i, &fn, 8))
			return true;
	return false;
}

struct lookup_case {
	uint32_t type, key_size;
	bool direct; /* the type has a direct lookup (per-CPU ones keep the helper) */
};

TEST(jit_direct_lookups_return_what_the_helper_returns)
{
	static const struct lookup_case cases[] = {
	    {BPF_MAP_TYPE_HASH, 4, true},	  {BPF_MAP_TYPE_HASH, 8, true},
	    {BPF_MAP_TYPE_HASH, 12, true},	  {BPF_MAP_TYPE_HASH, 3, true},
	    {BPF_MAP_TYPE_HASH, 20, true},	  {BPF_MAP_TYPE_LRU_HASH, 4, true},
	    {BPF_MAP_TYPE_LRU_HASH, 16, true},	  {BPF_MAP_TYPE_ARRAY, 4, true},
	    {BPF_MAP_TYPE_PERCPU_HASH, 4, false}, {BPF_MAP_TYPE_PERCPU_ARRAY, 4, false},
	};

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		const struct lookup_case *lc = &cases[c];
		bool percpu = !lc->direct;
		int fd = exobpf_map_create(lc->type, "lk", lc->key_size, 8, 64, NULL);
		uint32_t nslots = (uint32_t)exobpf_num_slots();
		uint64_t *vals = calloc(nslots, 8);
		uint8_t key[32];

		CHECK_MSG(fd >= 0 && vals, "map type %u: %s", lc->type, exobpf_errmsg());
		/* keys i * 3 + 1 (little-endian bytes) hold 1000 + i */
		for (uint32_t i = 0; i < 8; i++) {
			memset(key, 0, sizeof(key));
			key[0] = (uint8_t)(i * 3 + 1);
			key[lc->key_size - 1] |= 0x80; /* the last byte counts too */
			if (lc->type == BPF_MAP_TYPE_ARRAY || lc->type == BPF_MAP_TYPE_PERCPU_ARRAY)
				key[lc->key_size - 1] = 0;
			for (uint32_t s = 0; s < (percpu ? nslots : 1); s++)
				vals[s] = 1000 + i;
			CHECK_EQ(exobpf_map_update_elem(fd, key, vals, 0), 0);
		}
		for (uint32_t probe = 0; probe < 26; probe++) {
			memset(key, 0, sizeof(key));
			key[0] = (uint8_t)probe;
			key[lc->key_size - 1] |= 0x80;
			if (lc->type == BPF_MAP_TYPE_ARRAY || lc->type == BPF_MAP_TYPE_PERCPU_ARRAY)
				key[lc->key_size - 1] = 0;
			bool hashed =
			    lc->type != BPF_MAP_TYPE_ARRAY && lc->type != BPF_MAP_TYPE_PERCPU_ARRAY;
			/* arrays: every index below 64 exists, zero unless written */
			uint64_t want = probe % 3 == 1 && probe / 3 < 8 ? 1000 + probe / 3
					: hashed			? 0xdeadbeef
									: 0;
			struct exobpf_prog *p = lookup_prog(fd, key, lc->key_size);

			CHECK_MSG(p, "%s", exobpf_errmsg());
			CHECK_MSG(jit_image_of(&p->vm), "type %u: not compiled", lc->type);
			CHECK_MSG(calls_helper(p) == !lc->direct, "type %u key %u: helper call %d",
				  lc->type, lc->key_size, calls_helper(p));
			CHECK_MSG(run_prog(p, false) == want,
				  "type %u key %u probe %u: %llx, want %llx", lc->type,
				  lc->key_size, probe, (unsigned long long)run_prog(p, false),
				  (unsigned long long)want);
			CHECK_EQ(run_prog(p, true), want);
			exobpf_prog__free(p);
		}
		/* past the array's end: absent */
		if (lc->type == BPF_MAP_TYPE_ARRAY) {
			uint32_t idx = 64;
			struct exobpf_prog *p = lookup_prog(fd, (const uint8_t *)&idx, 4);
			CHECK(p);
			CHECK_EQ(run_prog(p, false), 0xdeadbeef);
			exobpf_prog__free(p);
		}
		free(vals);
		close(fd);
	}
}

/* A value the verifier saw as one constant on the path it explored is not a
 * constant when another path was pruned into it: pruning treats registers
 * no decision read (not precise) as equal whatever their values, so a fact
 * drawn from one value must not survive it. Here two paths join at l with
 * r5 = 2 (explored) or r5 = 1 (pruned: "from 8 to 30: safe"); r5 only
 * reaches a store into the packet, which makes nothing precise. */
TEST(jit_keeps_no_constant_that_pruning_hid)
{
	char text[1024];
	int n = snprintf(text, sizeof(text), "%s",
			 "r2 = *(u32 *)(r1 +0)\n"
			 "r3 = *(u32 *)(r1 +4)\n"
			 "r4 = r2\n"
			 "r4 += 8\n"
			 "if r4 > r3 goto out\n"
			 "r6 = *(u8 *)(r2 +0)\n"
			 "r5 = 1\n"
			 "r0 = 0\n"
			 "if r6 > 30 goto l\n"
			 "r5 = 2\n");
	/* enough instructions and jumps before l that the verifier keeps a
	 * state there (Linux's heuristic: 2 jumps and 8 instructions) */
	for (int i = 0; i < 4; i++)
		n += snprintf(text + n, sizeof(text) - (size_t)n,
			      "r0 += 1\nif r0 == 50 goto m%d\nm%d:\nr0 += 1\nr0 += 1\nr0 += 1\n", i,
			      i);
	snprintf(text + n, sizeof(text) - (size_t)n, "%s",
		 "l:\n"
		 "r7 = 100\n"
		 "r7 ^= r5\n" /* 100 ^ 2 = 102, 100 ^ 1 = 101 */
		 "*(u8 *)(r2 +1) = r7\n"
		 "out:\n"
		 "r0 = 2\n"
		 "exit\n");
	struct bpf_insn *insns;
	size_t cnt;
	CHECK_MSG(!exobpf_asm(text, "pruned.s", &insns, &cnt), "%s", exobpf_errmsg());
	EXOBPF_OPTS(exobpf_prog_opts, po, .type = BPF_PROG_TYPE_XDP, .license = "GPL");
	struct exobpf_prog *p = exobpf_prog__new(insns, cnt, &po);
	free(insns);
	CHECK_MSG(p, "%s", exobpf_errmsg());
	CHECK(jit_image_of(&p->vm));
	for (uint8_t first = 10; first <= 40; first += 30) { /* r5 = 2 up to 30, 1 above */
		uint8_t pkt[64] = {first}, out[64] = {0};
		EXOBPF_OPTS(exobpf_run_opts, o, .data_in = pkt, .data_size_in = 64, .data_out = out,
			    .data_size_out = 64);
		CHECK_EQ(exobpf_prog__run(p, &o), 0);
		CHECK_MSG(out[1] == (first > 30 ? 101 : 102), "first byte %u: wrote %u", first,
			  out[1]);
	}
	exobpf_prog__free(p);
}
