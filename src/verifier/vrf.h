/* The verifier's shared vocabulary: abstract register, stack and program
 * state, the environment of one verification, and the passes over it. The
 * passes follow Linux's structure, one per file:
 *   cfg.c     structure: instructions, subprograms, control flow graph
 *   check.c   the abstract interpreter's main loop, ALU and jumps
 *   bounds.c  scalar bounds (tnum + signed/unsigned 64/32-bit ranges)
 *   mem.c     memory accesses: stack, context, map values, packets
 *   calls.c   helper and subprogram calls, references, callbacks
 *   prune.c   state equivalence and the explored-states table
 *   live.c    liveness marks and precision backtracking (what pruning may ignore)
 *   log.c     the verifier log in Linux's format
 *   fixup.c   context rewriting and the facts for the JIT
 * Names and messages follow Linux's verifier (kernel/bpf/verifier.c). */
#ifndef EXOBPF_VRF_H
#define EXOBPF_VRF_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/bpf.h>

#include "isa/isa.h"
#include "progtypes/progtypes.h"
#include "verifier/facts.h"
#include "verifier/tnum.h"
#include "verifier/verify.h"

#define VRF_REGS	   11 /* r0-r10 */
#define VRF_FP		   10
#define VRF_MAX_FRAMES	   8 /* MAX_CALL_FRAMES */
#define VRF_STACK_SIZE	   512
#define VRF_SLOT	   8
#define VRF_INSN_LIMIT	   1000000 /* BPF_COMPLEXITY_LIMIT_INSNS */
#define VRF_JMP_SEQ_LIMIT  8192	   /* BPF_COMPLEXITY_LIMIT_JMP_SEQ */
#define VRF_STATES_LIMIT   64	   /* BPF_COMPLEXITY_LIMIT_STATES */
#define VRF_MAX_SUBPROGS   256
#define VRF_MAX_REFS	   64
#define VRF_MAX_PACKET_OFF 0xffff    /* MAX_PACKET_OFF */
#define VRF_MAX_VAR_OFF	   (1 << 29) /* BPF_MAX_VAR_OFF */
#define VRF_MAX_VAR_SIZ	   (1 << 29) /* BPF_MAX_VAR_SIZ */
#define VRF_MAX_USED_MAPS  64

/* Register types (Linux's enum bpf_reg_type), with flag bits above. */
enum vrf_type {
	NOT_INIT = 0,
	SCALAR_VALUE,
	PTR_TO_CTX,
	CONST_PTR_TO_MAP,
	PTR_TO_MAP_VALUE,
	PTR_TO_MAP_KEY,
	PTR_TO_STACK,
	PTR_TO_PACKET_META,
	PTR_TO_PACKET,
	PTR_TO_PACKET_END,
	PTR_TO_FLOW_KEYS,
	PTR_TO_SOCKET,
	PTR_TO_SOCK_COMMON,
	PTR_TO_TCP_SOCK,
	PTR_TO_TP_BUFFER,
	PTR_TO_XDP_SOCK,
	PTR_TO_BTF_ID,
	PTR_TO_MEM,
	PTR_TO_BUF,
	PTR_TO_FUNC,
	VRF_NR_TYPES,
	VRF_BASE_MASK = 0xff,
	PTR_MAYBE_NULL_T = 1 << 8,
	MEM_RDONLY_T = 1 << 9,
	MEM_ALLOC_T = 1 << 10, /* ringbuf memory: must be submitted or discarded */
	PTR_UNTRUSTED_T = 1 << 11,
};

static inline uint32_t base_type(uint32_t t)
{
	return t & VRF_BASE_MASK;
}

/* One abstract register (Linux's struct bpf_reg_state). */
struct vrf_reg {
	uint32_t type;
	int32_t off; /* fixed offset of a pointer */
	/* Scalar value (or a pointer's variable offset). */
	struct tnum var_off;
	int64_t smin, smax;
	uint64_t umin, umax;
	int32_t s32_min, s32_max;
	uint32_t u32_min, u32_max;
	/* Pointer details by type. */
	const struct vrf_map *map; /* CONST_PTR_TO_MAP, PTR_TO_MAP_VALUE/KEY */
	int32_t range;		   /* packet: bytes known readable past off; <0: at/past end */
	uint32_t mem_size;	   /* PTR_TO_MEM, PTR_TO_BUF */
	int32_t subprog;	   /* PTR_TO_FUNC */
	/* Same id: copies of one pointer (one null check covers all), or one
	 * packet pointer lineage, or scalars known equal. */
	uint32_t id;
	uint32_t ref_obj_id; /* acquired reference this pointer holds */
	uint8_t frameno;     /* PTR_TO_STACK: whose stack */
	bool precise;
	int32_t subreg_def; /* insn index + 1 of the last 32-bit def (zext facts) */
};

/* Liveness (Linux's REG_LIVE_*): a cell per register and stack slot. A read
 * walks up the parent cells (the same register in the checkpoints this
 * state continues) until one was written in between; pruning ignores what
 * an explored state never read. Kept apart from struct vrf_reg so that
 * copying a register's value never copies where its reads go. */
#define VRF_LIVE_READ	 1
#define VRF_LIVE_WRITTEN 2
struct vrf_live {
	uint8_t live;
	struct vrf_live *parent;
};

enum vrf_slot_type {
	STACK_INVALID = 0,
	STACK_SPILL,
	STACK_MISC,
	STACK_ZERO,
};

struct vrf_stack_slot {
	struct vrf_reg spilled;
	struct vrf_live live;
	uint8_t type[VRF_SLOT]; /* Linux's order: type[7] is the lowest address */
};

/* One function's frame (Linux's struct bpf_func_state). */
struct vrf_func {
	struct vrf_reg regs[VRF_REGS];
	struct vrf_live reg_live[VRF_REGS];
	int callsite; /* insn of the call that made this frame, -1 for main */
	uint32_t frameno;
	uint32_t subprogno;
	bool in_callback_fn;
	/* callback: what r0 may be on return */
	int32_t cb_ret_min, cb_ret_max;
	bool callback_loops;		   /* bpf_loop/for_each: may run again */
	struct vrf_reg cb_entry[VRF_REGS]; /* the callback's registers on entry */
	int allocated_stack;		   /* bytes, a multiple of 8 */
	struct vrf_stack_slot *stack;	   /* allocated_stack / 8 slots; slot i covers fp-(i+1)*8 */
};

/* One step of a state's path that backtracking cannot infer (Linux's
 * jmp_history): an instruction reached from somewhere other than the one
 * before it, a register spilled to or filled from a stack slot, or a
 * conditional jump that refined scalars linked to its operands. */
#define VRF_HIST_STACK	      (1u << 0) /* spill/fill of slot `spi` of frame `frame` */
#define VRF_HIST_LINKED_OTHER (1u << 1) /* linked scalars in other frames too */
struct vrf_hist {
	int32_t idx, prev_idx;
	uint32_t flags;
	uint8_t frame, spi;
	uint16_t linked_regs;  /* current frame's registers linked at a jump */
	uint64_t linked_stack; /* and its spilled slots */
};

struct vrf_ref {
	uint32_t id;
	int32_t insn_idx;
};

/* The whole abstract machine at one point (Linux's bpf_verifier_state). */
struct vrf_state {
	struct vrf_func *frame[VRF_MAX_FRAMES];
	uint32_t curframe;
	struct vrf_ref refs[VRF_MAX_REFS];
	uint32_t nrefs;
	uint32_t active_spin_lock_id; /* id of the map value holding the lock, 0 none */
	const struct vrf_map *active_spin_lock_map;
	bool speculative;
	/* How many times a callback was entered again on this path: a state
	 * of a later run equal to one of an earlier run still being explored
	 * is the next run, not an infinite loop (Linux's callback_unroll_depth). */
	uint32_t callback_unroll_depth;
	/* Exploration bookkeeping. */
	struct vrf_state *parent; /* the checkpoint this state continues */
	uint32_t branches;	  /* paths from this checkpoint still being explored */
	int32_t insn_idx;
	int32_t first_insn_idx, last_insn_idx;
	struct vrf_hist *hist; /* the path since first_insn_idx */
	uint32_t nhist, hist_cap;
};

/* An explored checkpoint, kept per instruction for pruning. */
struct vrf_state_list {
	struct vrf_state state;
	struct vrf_state_list *next;
	uint32_t miss_cnt, hit_cnt;
};

/* A path waiting to be explored. */
struct vrf_stack_elem {
	struct vrf_state st;
	int32_t insn_idx, prev_insn_idx;
	uint32_t log_pos;
	struct vrf_stack_elem *next;
};

struct vrf_subprog {
	int32_t start;	     /* first insn */
	int32_t stack_depth; /* bytes of stack used, rounded up to 8 */
	bool has_tail_call;
	bool has_ld_abs;
	bool is_cb;
	bool tail_call_reachable;
};

/* Per-instruction knowledge (Linux's bpf_insn_aux_data). */
struct vrf_aux {
	uint32_t ptr_type;	   /* pointer type of the memory operand, to catch mixing */
	const struct vrf_map *map; /* lddw of a map: the map */
	uint32_t map_value_off;	   /* lddw of a map value: offset */
	uint8_t map_state;	   /* calls: map pointer seen (0 none, 1 one map, 2 several) */
	const struct vrf_map *call_map;
	bool seen;
	bool prune_point;
	bool jmp_point;
	bool force_checkpoint;
	bool ctx_field_ok;    /* ctx access accepted: rewrite with ctx_field */
	int16_t ctx_field;    /* progtypes field index for convert_ctx_access */
	uint8_t ctx_size;     /* access size the rewrite must use */
	int32_t call_subprog; /* local calls: the callee */
	uint8_t alu_state;    /* unprivileged pointer arithmetic: mask direction */
	uint32_t alu_limit;   /* and window, the same on every path */
	struct vrf_fact fact; /* merged over every visit */
	bool fact_init;
	/* A state was pruned here although a scalar nobody marked precise
	 * differed from the explored one: facts about values downstream saw
	 * only the explored value (vrf_fixup drops them). */
	bool imprecise_prune;
};

struct vrf_env;

/* The environment of one verification. */
struct vrf_env {
	const struct vrf_params *p;
	struct bpf_insn *insns;
	uint32_t len;
	struct vrf_aux *aux;
	/* the end of the furthest context access (Linux's max_ctx_offset) */
	uint32_t max_ctx_offset;
	struct vrf_subprog subprogs[VRF_MAX_SUBPROGS + 1];
	uint32_t nsubprogs;
	const struct pt_info *pt; /* the program type's description */
	struct vrf_map *maps[VRF_MAX_USED_MAPS];
	uint32_t nmaps;

	/* Modes. */
	bool allow_ptr_leaks; /* privileged: pointers may leave the program */
	bool bypass_spec_v1;  /* privileged: no speculation sanitising */
	bool allow_uninit_stack;
	bool strict_alignment;
	bool any_alignment;
	bool gpl;
	bool test_state_freq;
	bool explore_alu_limits; /* unprivileged unknown offsets: scalars compare exactly */

	/* Exploration. */
	struct vrf_state *cur;
	struct vrf_stack_elem *head;
	uint32_t stack_size;
	struct vrf_state_list **explored;
	int32_t insn_idx, prev_insn_idx;
	uint32_t insn_processed, prev_insn_processed;
	uint32_t jmps_processed, prev_jmps_processed;
	uint32_t total_states, peak_states, max_states_per_insn, cur_states;
	uint32_t id_gen;
	bool pass_cnt_passed;
	/* Reference id map for state comparison. */
	struct {
		uint32_t old, cur;
	} idmap[600];
	uint32_t nidmap;
	/* Comparing with a callback's earlier run still being explored: its
	 * liveness and precision marks are not final, so ranges decide. */
	bool cmp_range_within;
	/* Set by a state comparison that let an imprecise scalar differ. */
	bool imprecise_hit, any_imprecise_prune;

	/* Log. */
	char *log; /* NUL-terminated, grows */
	uint32_t log_len, log_cap;
	uint32_t log_level;
	uint32_t prev_log_pos, prev_insn_print_pos;
	uint64_t scratched_regs, scratched_stack;
	bool log_truncated;

	/* First fatal error kept for the caller. */
	int err;
};

/* ---- log.c ---- */
void vrf_verbose(struct vrf_env *env, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void vrf_log_reset(struct vrf_env *env, uint32_t pos);
const char *vrf_reg_type_str(struct vrf_env *env, uint32_t type);
void vrf_print_state(struct vrf_env *env, const struct vrf_func *f, bool print_all);
void vrf_print_insn_state(struct vrf_env *env, const struct vrf_func *f);
void vrf_print_insn(struct vrf_env *env, int32_t idx);
void vrf_print_insn_text(struct vrf_env *env, int32_t idx); /* "(code) text\n" */
static inline void vrf_mark_reg_scratched(struct vrf_env *env, uint32_t regno)
{
	env->scratched_regs |= 1ull << regno;
}
static inline void vrf_mark_stack_scratched(struct vrf_env *env, uint32_t spi)
{
	if (spi < 64)
		env->scratched_stack |= 1ull << spi;
}
static inline void vrf_mark_all_scratched(struct vrf_env *env)
{
	env->scratched_regs = ~0ull;
	env->scratched_stack = ~0ull;
}

/* ---- bounds.c: scalar bounds ---- */
void vrf_mark_reg_unknown_bounds(struct vrf_reg *reg);
void vrf_mark_reg_known(struct vrf_reg *reg, uint64_t imm);
void vrf_reg_bounds_sync(struct vrf_reg *reg);
void vrf_update_reg32_bounds(struct vrf_reg *reg);
void vrf_reg_bounds_from_var_off(struct vrf_reg *reg);
void vrf_zext_32_to_64(struct vrf_reg *reg);
void vrf_coerce_reg_to_size(struct vrf_reg *reg, int size);
void vrf_coerce_reg_to_size_sx(struct vrf_reg *reg, int size);
void vrf_coerce_subreg_to_size_sx(struct vrf_reg *reg, int size);
bool vrf_reg_bounds_sane(const struct vrf_reg *reg);
/* dst op= src for two scalars (src already holds the K operand as a
 * known scalar); alu32 picks the 32-bit form. Returns false when the
 * operation gives an unknown value (dst is then marked unknown). */
void vrf_scalar_alu(struct vrf_reg *dst, const struct vrf_reg *src, uint8_t opcode, bool alu32);
/* Is a conditional jump on (dst op src) always (1), never (0) or sometimes
 * (-1) taken? For scalars only. */
int vrf_branch_taken_scalar(const struct vrf_reg *dst, const struct vrf_reg *src, uint8_t opcode,
			    bool is_jmp32);
/* Refine both operands for the taken (true_*) and fall-through (false_*)
 * edges of dst op src. */
void vrf_reg_set_min_max(struct vrf_reg *true_dst, struct vrf_reg *true_src,
			 struct vrf_reg *false_dst, struct vrf_reg *false_src, uint8_t opcode,
			 bool is_jmp32);
bool vrf_range_within(const struct vrf_reg *old, const struct vrf_reg *cur);

/* ---- cfg.c ---- */
int vrf_check_structure(struct vrf_env *env);

/* ---- check.c ---- */
int vrf_do_check(struct vrf_env *env);
struct vrf_func *vrf_cur_func(struct vrf_env *env);
struct vrf_reg *vrf_cur_regs(struct vrf_env *env);
void vrf_mark_reg_unknown(struct vrf_env *env, struct vrf_reg *regs, uint32_t regno);
void vrf_mark_reg_not_init(struct vrf_reg *regs, uint32_t regno);
void vrf_mark_reg_known_zero(struct vrf_reg *regs, uint32_t regno);
void vrf_init_reg_state(struct vrf_env *env, struct vrf_func *f);
bool vrf_is_pointer(const struct vrf_reg *reg);
bool vrf_is_pointer_value(struct vrf_env *env, const struct vrf_reg *reg);
bool vrf_reg_may_point_to_spin_lock(const struct vrf_reg *reg);
enum vrf_reg_arg { SRC_OP, DST_OP, DST_OP_NO_MARK };
int vrf_check_reg_arg(struct vrf_env *env, uint32_t regno, enum vrf_reg_arg t);
struct vrf_state *vrf_push_stack(struct vrf_env *env, int insn_idx, int prev_insn_idx,
				 bool speculative);
void vrf_record_fact(struct vrf_env *env, int idx, const struct vrf_fact *f);

/* ---- state helpers (prune.c) ---- */
int vrf_copy_state(struct vrf_state *dst, const struct vrf_state *src);
void vrf_free_state(struct vrf_state *st, bool free_self);
void vrf_free_func(struct vrf_func *f);
int vrf_grow_stack(struct vrf_func *f, int size);
int vrf_is_state_visited(struct vrf_env *env, int insn_idx);
void vrf_update_branch_counts(struct vrf_env *env, struct vrf_state *st);
void vrf_free_explored(struct vrf_env *env);
void vrf_widen_imprecise(struct vrf_env *env, struct vrf_state *st, int cb_start, int callsite);

/* ---- live.c: liveness and precision ---- */
void vrf_live_read(struct vrf_live *cell);
static inline void vrf_live_write(struct vrf_live *cell)
{
	cell->live |= VRF_LIVE_WRITTEN;
}
void vrf_live_checkpoint(struct vrf_state *cur, struct vrf_state *ckpt);
void vrf_propagate_liveness(const struct vrf_state *old, struct vrf_state *cur);
int vrf_push_hist(struct vrf_env *env, int idx, int prev_idx, uint32_t flags);
int vrf_hist_stack(struct vrf_env *env, uint32_t frameno, int spi);
int vrf_hist_linked(struct vrf_env *env, const struct vrf_reg *a, const struct vrf_reg *b);
int vrf_mark_chain_precision(struct vrf_env *env, int regno);
int vrf_propagate_precision(struct vrf_env *env, const struct vrf_state *old);

/* ---- mem.c ---- */
int vrf_check_mem_access(struct vrf_env *env, int insn_idx, uint32_t regno, int off, int bpf_size,
			 int t, int value_regno, bool strict_alignment_once);
#define BPF_READ  0
#define BPF_WRITE 1
int vrf_check_helper_mem_access(struct vrf_env *env, int regno, int access_size,
				bool zero_size_allowed, bool write_access, bool uninit);
int vrf_check_mem_size_reg(struct vrf_env *env, struct vrf_reg *reg, uint32_t regno,
			   bool zero_size_allowed, bool write, bool uninit);
int vrf_check_ptr_off_reg(struct vrf_env *env, const struct vrf_reg *reg, int regno);
int vrf_check_atomic(struct vrf_env *env, int insn_idx, struct bpf_insn *insn);
int vrf_check_ld_abs(struct vrf_env *env, struct bpf_insn *insn);
int vrf_get_spi(int32_t off);
bool vrf_is_spilled_reg(const struct vrf_stack_slot *slot);
void vrf_clear_all_pkt_pointers(struct vrf_env *env);
bool vrf_may_access_direct_pkt_data(struct vrf_env *env, int t);
int vrf_check_stack_access_within_bounds(struct vrf_env *env, int regno, int off, int access_size,
					 int type);
bool vrf_reg_is_pkt_pointer(const struct vrf_reg *reg);
bool vrf_reg_is_pkt_pointer_any(const struct vrf_reg *reg);

/* ---- calls.c ---- */
int vrf_check_helper_call(struct vrf_env *env, struct bpf_insn *insn, int *insn_idx);
int vrf_check_func_call(struct vrf_env *env, struct bpf_insn *insn, int *insn_idx);
int vrf_prepare_func_exit(struct vrf_env *env, int *insn_idx);
int vrf_check_reference_leak(struct vrf_env *env);
int vrf_acquire_reference(struct vrf_env *env, int insn_idx);
int vrf_release_reference(struct vrf_env *env, uint32_t ref_obj_id);
int vrf_find_subprog(struct vrf_env *env, int off);

/* ---- fixup.c ---- */
int vrf_fixup(struct vrf_env *env, struct vrf_result *res);

#endif
