/* The runtime's shared vocabulary: a program decoded for execution and the
 * state of one run. The interpreter, the JIT, helpers and hooks all use it. */
#ifndef EXOBPF_VM_H
#define EXOBPF_VM_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include "isa/isa.h"

#define VM_STACK_SIZE	  512 /* bytes per frame, as in Linux */
#define VM_MAX_FRAMES	  8   /* call depth, as in Linux (MAX_CALL_FRAMES) */
#define VM_MAX_TAIL_CALLS 33  /* as in Linux (MAX_TAIL_CALL_CNT) */
#define VM_MAX_REGIONS	  64

/* Operations that exist only inside exobpf's decoded form. */
enum vm_internal_op {
	VM_OP_LDDW_HI = ISA_NR_OPS, /* second slot of lddw: never executed */
	VM_OP_FALLOFF,		    /* sentinel after the last instruction */
	VM_OP_TAIL_CALL,	    /* call bpf_tail_call */
	VM_NR_OPS
};

/* One decoded instruction. imm is sign-extended, or lddw's full 64 bits. */
struct vm_insn {
	uint16_t op;
	uint8_t dst, src;
	int32_t off;
	int64_t imm;
};

struct vm_run;
struct helper_task;

/* An engine's entry: run a program from its start with r1 (and r2, for
 * raw-memory programs) and return r0. The interpreter's runs run->prog;
 * machine code runs what it was compiled from and sets run->prog at each
 * tail call, so a caller running again sets run->prog (and tail_calls)
 * back first. */
typedef uint64_t vm_entry_fn(uint64_t r1, uint64_t r2, struct vm_run *run);

/* One packet of a batch: what a socket filter's batch entry (vm_prog's
 * jited_batch) reads per packet. For each, in order, it sets what the
 * program can read of ctx (a struct exo_skb: len = wirelen, data =
 * data_meta = data, data_end = data + caplen) and of run (pkt, pkt_len) as
 * a single run would, runs the program with r1 = ctx, r2 = 0, stores the
 * low 32 bits of r0 in verdicts[i] (unless verdicts is NULL) and counts the
 * nonzero ones, which it returns. With prefetch nonzero it asks for the
 * first 64 bytes of the packet 16 ahead. */
struct vm_batch_pkt {
	const uint8_t *data;
	uint32_t caplen, wirelen;
};
typedef long vm_batch_fn(void *ctx, struct vm_run *run, const struct vm_batch_pkt *pkts, size_t n,
			 uint32_t *verdicts, int prefetch);

/* A callback in machine code: run the subprogram at instruction idx of
 * run->prog with r1..r5 = args[0..4] as vm_call_func does (a fresh stack of
 * VM_MAX_FRAMES frames, depth 0) and return its r0, or 0 after a fault. */
typedef uint64_t vm_callback_fn(struct vm_run *run, uint32_t idx, const uint64_t *args);

/* bpf_loop in machine code: the callback at instruction idx run for i = 0,
 * 1, ... n - 1 with r1 = i, r2 = ctx (r3-r5 = 0), each as vm_callback_fn
 * runs one, until it returns nonzero; the runs made, or 0 after a fault. */
typedef uint64_t vm_loop_fn(struct vm_run *run, uint32_t idx, uint32_t n, uint64_t ctx);

/* bpf_for_each_map_elem over an ARRAY in machine code: the callback at
 * instruction idx run for element i = 0, 1, ... n - 1 as vm_callback_fn
 * runs one, with r1 = map, r2 = key (i is written there first), r3 =
 * values + i * stride, r4 = ctx, r5 = 0, until it returns nonzero; the
 * elements visited, or 0 after a fault. */
struct vm_each_array {
	uint64_t map, ctx, stride;
	uint32_t *key;
	uint8_t *values;
	uint32_t n;
};
typedef uint64_t vm_each_fn(struct vm_run *run, uint32_t idx, const struct vm_each_array *a);

/* A helper: five arguments as the program passed them, plus the run. */
typedef uint64_t (*vm_helper_fn)(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
				 struct vm_run *run);

/* A program ready to execute. */
struct vm_prog {
	struct vm_insn *code; /* len + 1 entries; code[len] is VM_OP_FALLOFF */
	uint32_t len;
	uint32_t type; /* enum bpf_prog_type */
	vm_entry_fn *jited; /* JIT-compiled entry, or NULL to interpret */
	/* JIT-compiled loop over packets (a socket filter asked for it), or
	 * NULL: see struct vm_batch_pkt. */
	vm_batch_fn *jited_batch;
	/* Runs callbacks (bpf_loop, for_each) in the machine code, or NULL to
	 * interpret them. */
	vm_callback_fn *jited_cb;
	vm_loop_fn *jited_loop; /* bpf_loop's iterations, or NULL: one by one */
	vm_each_fn *jited_each; /* for_each_map_elem over an array, or NULL */
	void *owner; /* the struct exobpf_prog this belongs to */
};

/* Memory a program may touch, for checked mode. */
struct vm_region {
	uintptr_t start;
	uint64_t len;
	bool writable;
};

enum vm_fault {
	VM_OK = 0,
	VM_FAULT_MEM,	      /* access outside every region */
	VM_FAULT_ALIGN,	      /* misaligned atomic */
	VM_FAULT_BUDGET,      /* instruction budget exhausted */
	VM_FAULT_DEPTH,	      /* more than VM_MAX_FRAMES frames */
	VM_FAULT_HELPER,      /* call of an id exobpf does not implement */
	VM_FAULT_UNINIT,      /* register read before written */
	VM_FAULT_FALLOFF,     /* ran past the last instruction */
	VM_FAULT_CALLX,	      /* callx to something that is not a function */
	VM_FAULT_UNSUPPORTED, /* kfunc call */
	VM_FAULT_HELPER_ARG,  /* a helper found its arguments outside the regions */
};

/* The state of one run. Hooks fill the inputs; engines fill the outputs. */
struct vm_run {
	const struct vm_prog *prog; /* running now (changes on tail calls) */
	uint32_t slot;		    /* execution slot: the per-CPU index */
	uint32_t tail_calls;

	/* LD_ABS / LD_IND read this packet (Linux: the skb in r6). */
	const uint8_t *pkt;
	uint32_t pkt_len;

	void *hook; /* hook-specific state (skb, xdp buffer) */
	/* Whose view the task helpers (pid, uid, comm, probe_read_user) take:
	 * NULL is the running process itself; a tracer names its tracee. */
	const struct helper_task *task;
	/* bpf_get_attach_cookie: the attachment's cookie (a perf event link's
	 * bpf_cookie), 0 where none was given */
	uint64_t cookie;

	bool interp; /* the interpreter even where there is machine code */
	/* for_each_map_elem hands an array's callback the key here, not on
	 * the helper's stack: the callback may keep the pointer (in its
	 * caller's stack, as Linux lets it), and reads after the helper
	 * returned must not reach a dead C frame */
	uint32_t each_keys[VM_MAX_FRAMES]; /* one per nested for_each */
	uint32_t each_depth;
	uint32_t cb_depth; /* callbacks running now, one inside another */

	/* checked mode */
	bool checked;
	uint64_t budget; /* stop after this many instructions (0: no limit) */
	uint64_t executed;
	struct vm_region regions[VM_MAX_REGIONS];
	unsigned nregions;
	uintptr_t stack_lo, stack_hi; /* live stack frames, maintained by the engine */

	/* outcome */
	/* Nonzero when a leaf's machine code ended the run early (a fault, an
	 * LD_ABS out of range): after a tail call into the leaf its adapter
	 * must end the caller's run too. Only the adapter reads it. */
	uint32_t jit_ended;
	enum vm_fault fault;
	uint32_t fault_pc;
	char fault_msg[192];
};

/* Signed division and modulo as Linux defines them: x s/ 0 = 0, x s% 0 = x,
 * INT_MIN s/ -1 = INT_MIN, INT_MIN s% -1 = 0 (no C undefined behaviour). */
static inline uint64_t vm_sdiv64(uint64_t a, uint64_t b)
{
	int64_t d = (int64_t)b;

	if (d == 0)
		return 0;
	if (d == -1)
		return -a;
	return (uint64_t)((int64_t)a / d);
}

static inline uint64_t vm_smod64(uint64_t a, uint64_t b)
{
	int64_t d = (int64_t)b;

	if (d == 0)
		return a;
	if (d == -1)
		return 0;
	return (uint64_t)((int64_t)a % d);
}

static inline uint32_t vm_sdiv32(uint32_t a, uint32_t b)
{
	int32_t d = (int32_t)b;

	if (d == 0)
		return 0;
	if (d == -1)
		return -a;
	return (uint32_t)((int32_t)a / d);
}

static inline uint32_t vm_smod32(uint32_t a, uint32_t b)
{
	int32_t d = (int32_t)b;

	if (d == 0)
		return a;
	if (d == -1)
		return 0;
	return (uint32_t)((int32_t)a % d);
}

/* Linux's negative offsets for LD_ABS/LD_IND (SKF_NET_OFF, SKF_LL_OFF). */
#define VM_SKF_NET_OFF (-0x100000)
#define VM_SKF_LL_OFF  (-0x200000)

/* LD_ABS/LD_IND: pointer to size bytes at packet offset k, or NULL when out
 * of range (the program then ends with r0 = 0). */
static inline const uint8_t *vm_pkt_ptr(const struct vm_run *run, int32_t k, unsigned size)
{
	int64_t off = k;

	if (k < 0) {
		if (k >= VM_SKF_NET_OFF)
			off = (int64_t)k - VM_SKF_NET_OFF; /* network header at 0 when unknown */
		else if (k >= VM_SKF_LL_OFF)
			off = (int64_t)k - VM_SKF_LL_OFF;
		else
			return NULL;
	}
	if (!run->pkt || off + size > run->pkt_len)
		return NULL;
	return run->pkt + off;
}

/* The big-endian value of size (1, 2, 4) bytes at p. */
static inline uint64_t vm_load_be(const uint8_t *p, unsigned size)
{
	switch (size) {
	case 1:
		return p[0];
	case 2:
		return (uint64_t)p[0] << 8 | p[1];
	default:
		return (uint64_t)p[0] << 24 | (uint64_t)p[1] << 16 | (uint64_t)p[2] << 8 | p[3];
	}
}

/* Add a region (checked mode). Returns false when the table is full. */
bool vm_add_region(struct vm_run *run, const void *start, uint64_t len, bool writable);

/* May the program touch [addr, addr+size)? Always true when not checked. */
bool vm_mem_ok(const struct vm_run *run, uintptr_t addr, uint64_t size, bool write);

/* Record a fault (first one wins) and return 0, for helpers to bail out with. */
uint64_t vm_fail(struct vm_run *run, enum vm_fault fault, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

const char *vm_fault_name(enum vm_fault fault);

/* The faults every engine raises at an instruction, worded once for all of
 * them: VM_FAULT_FALLOFF, VM_FAULT_DEPTH, VM_FAULT_CALLX (value: the target
 * that is not callable) and VM_FAULT_UNSUPPORTED (a kfunc call). pc is the
 * faulting instruction of run->prog. Returns 0. */
uint64_t vm_fail_at(struct vm_run *run, enum vm_fault fault, const struct vm_insn *pc,
		    uint64_t value);

/* Index of pc in the running program, as fault messages print it. */
static inline unsigned vm_pc_index(const struct vm_run *run, const struct vm_insn *pc)
{
	return (unsigned)(((intptr_t)pc - (intptr_t)run->prog->code) / (intptr_t)sizeof(*pc));
}

/* Decode insns into prog->code. Every jump must land on an instruction of the
 * program; returns 0 or -EINVAL with a message naming the instruction. */
int vm_prog_decode(struct vm_prog *prog, const struct bpf_insn *insns, uint32_t cnt);
void vm_prog_release(struct vm_prog *prog);

/* The interpreter itself (vm_engine picks it or the JIT). */
uint64_t vm_interp(struct vm_run *run, uint64_t r1, uint64_t r2);

/* A tail call from machine code into a program without any: interpret
 * run->prog from its start in the frame the call was made in (r0..r10 as
 * regs, call depth depth), to that frame's exit. Returns r0 and hands r0..r5
 * back in regs, as the interpreter's own tail call leaves them to the
 * frame's caller; ended says LD_ABS or LD_IND ended the whole run instead
 * (r0 = 0), as it would have in the interpreter. Returned in rax:rdx. */
struct vm_tail_end {
	uint64_t r0, ended;
};
struct vm_tail_end vm_interp_tail(struct vm_run *run, uint64_t *regs, uint32_t depth);

/* vm_interp with an engine's argument order. */
uint64_t vm_interp_entry(uint64_t r1, uint64_t r2, struct vm_run *run);

/* Whether run may use machine code: not when it asks for what only the
 * interpreter does (checked mode, a budget, or itself). */
static inline bool vm_run_may_jit(const struct vm_run *run)
{
	return !run->checked && !run->budget && !run->interp;
}

/* The engine for run: the machine code where there is some and the run may
 * use it. A repeated run picks once: for a short program the choice is a
 * noticeable part of a run. */
static inline vm_entry_fn *vm_engine(const struct vm_run *run)
{
	const struct vm_prog *prog = run->prog;

	if (prog->jited && vm_run_may_jit(run))
		return prog->jited;
	return vm_interp_entry;
}

/* Run prog from the start with r1 (and r2). Returns r0; run->fault says
 * whether it ended normally. */
static inline uint64_t vm_run(struct vm_run *run, uint64_t r1, uint64_t r2)
{
	return vm_engine(run)(r1, r2, run);
}

/* Call back into the running program (bpf_loop, bpf_for_each_map_elem): run
 * the subprogram at func (a BPF_PSEUDO_FUNC lddw value: &code[target]) with
 * r1..r5 until its exit and return its r0: in the program's machine code
 * (jited_cb) when the run may use it, else interpreted. It shares the
 * caller's run (slot, budget, regions; in checked mode the caller's stack
 * stays accessible). A func that is not an instruction of the program fails
 * the run (VM_FAULT_CALLX) and returns 0; so does nesting callbacks more than
 * VM_MAX_FRAMES - 1 deep (VM_FAULT_DEPTH); check run->fault after the call. */
uint64_t vm_call_func(struct vm_run *run, uint64_t func, uint64_t r1, uint64_t r2, uint64_t r3,
		      uint64_t r4, uint64_t r5);

/* bpf_loop's iterations, once its arguments passed its checks: the callback
 * func for i = 0 .. n - 1 with r1 = i, r2 = ctx, until it returns nonzero.
 * Returns the runs made, or 0 after a fault. In machine code (jited_loop)
 * when the run may use it, else through vm_call_func. */
uint64_t vm_call_loop(struct vm_run *run, uint64_t func, uint32_t n, uint64_t ctx);

/* bpf_for_each_map_elem's walk of an ARRAY in machine code (jited_each)
 * when the run may use it and func is a function of the program: true with
 * *visited set (0 after a fault). False: nothing ran, and the caller walks
 * the map element by element through vm_call_func. */
bool vm_call_each_array(struct vm_run *run, uint64_t func, const struct vm_each_array *a,
			uint64_t *visited);

#endif
