/* One instantiation of the interpreter loop; interp.c includes this file with
 * INTERP_NAME, INTERP_CHECK and INTERP_COUNT defined. Semantics follow Linux
 * (see opcodes.def); all arithmetic is on unsigned types so nothing here is
 * undefined behaviour in C. */

#if INTERP_COUNT
#define COUNT_STEP                                                                                 \
	if (++run->executed > run->budget && run->budget)                                          \
		goto budget_fault;
#else
#define COUNT_STEP
#endif

#if INTERP_CHECK
#define CHECK_REGS                                                                                 \
	if (regs_read_at(pc, depth) & ~init)                                                       \
		goto uninit_fault;                                                                 \
	init |= regs_written(pc);
#define MEMCHK(a, size, wr)                                                                        \
	if (!vm_mem_ok(run, (a), (size), (wr))) {                                                  \
		bad_addr = (a), bad_size = (size), bad_write = (wr);                               \
		goto mem_fault;                                                                    \
	}
#define ALIGNCHK(a, size)                                                                          \
	if ((a) & ((size)-1)) {                                                                    \
		bad_addr = (a), bad_size = (size);                                                 \
		goto align_fault;                                                                  \
	}
#define SET_INIT(expr) (init = (expr))
#else
#define CHECK_REGS
#define MEMCHK(a, size, wr)
#define ALIGNCHK(a, size)
#define SET_INIT(expr) ((void)0)
#endif

#define DISPATCH                                                                                   \
	do {                                                                                       \
		COUNT_STEP                                                                         \
		CHECK_REGS                                                                         \
		goto *labels[pc->op];                                                              \
	} while (0)
#define NEXT                                                                                       \
	do {                                                                                       \
		pc++;                                                                              \
		DISPATCH;                                                                          \
	} while (0)
#define JUMP(rel)                                                                                  \
	do {                                                                                       \
		pc += 1 + (rel);                                                                   \
		DISPATCH;                                                                          \
	} while (0)

#define DST   reg[pc->dst]
#define SRC   reg[pc->src]
#define IMM   ((uint64_t)pc->imm)
#define IMM32 ((uint32_t)pc->imm)

#define LOAD(T, addr)                                                                              \
	({                                                                                         \
		uintptr_t a_ = (uintptr_t)(addr);                                                  \
		T v_;                                                                              \
		MEMCHK(a_, sizeof(T), false);                                                      \
		memcpy(&v_, (const void *)a_, sizeof(T));                                          \
		v_;                                                                                \
	})
#define STORE(T, addr, val)                                                                        \
	do {                                                                                       \
		uintptr_t a_ = (uintptr_t)(addr);                                                  \
		T v_ = (T)(val);                                                                   \
		MEMCHK(a_, sizeof(T), true);                                                       \
		memcpy((void *)a_, &v_, sizeof(T));                                                \
	} while (0)
#define ATOMIC_PTR(T)                                                                              \
	({                                                                                         \
		uintptr_t a_ = (uintptr_t)(DST + (uint64_t)(int64_t)pc->off);                      \
		MEMCHK(a_, sizeof(T), true);                                                       \
		ALIGNCHK(a_, sizeof(T));                                                           \
		(T *)a_;                                                                           \
	})
#define SEQ __ATOMIC_SEQ_CST

/* Runs from st (struct interp_start in interp.c). */
static uint64_t INTERP_NAME(struct vm_run *run, struct interp_start *st)
{
	static const void *const labels[VM_NR_OPS] = {
#define OP(name, code, key, keyval, shape, lx, ub) [ISA_##name] = &&L_##name,
#include "isa/opcodes.def"
#undef OP
		[VM_OP_LDDW_HI] = &&L_FALLOFF,
		[VM_OP_FALLOFF] = &&L_FALLOFF,
		[VM_OP_TAIL_CALL] = &&L_TAIL_CALL,
	};
	struct {
		const struct vm_insn *ret;
		uint64_t saved[4];
		unsigned init;
	} frames[VM_MAX_FRAMES];
	uint8_t stack[VM_MAX_FRAMES * VM_STACK_SIZE] __attribute__((aligned(16)));
	uint64_t reg[11];
	unsigned depth = st->regs ? st->depth : 0;
	const unsigned base = depth; /* its exit ends the run */
	const struct vm_insn *pc = st->pc;
#if INTERP_CHECK
	uintptr_t saved_lo = run->stack_lo, saved_hi = run->stack_hi;
	unsigned init = st->regs       ? 0x7ffu
			: st->callback ? 0x3eu | 1u << 10
				       : 1u << 1 | 1u << 10 | (run->prog->type == 0 ? 1u << 2 : 0);
	uintptr_t bad_addr = 0;
	uint64_t bad_size = 0;
	bool bad_write = false;

	memset(stack, 0, sizeof(stack)); /* deterministic runs for differential testing */
#endif
	if (st->regs) {
		memcpy(reg, st->regs, sizeof(reg));
	} else {
		memset(reg, 0, sizeof(reg));
		memcpy(&reg[1], st->args, 5 * sizeof(reg[0]));
		reg[10] = (uintptr_t)(stack + sizeof(stack));
	}
	run->stack_hi = reg[10];
	run->stack_lo = reg[10] - VM_STACK_SIZE;
	DISPATCH;

	/* ---- ALU ---- */
#define ALU(NAME, OP)                                                                              \
	L_##NAME##64_K : DST = DST OP IMM;                                                         \
	NEXT;                                                                                      \
	L_##NAME##64_X : DST = DST OP SRC;                                                         \
	NEXT;                                                                                      \
	L_##NAME##32_K : DST = (uint32_t)((uint32_t)DST OP IMM32);                                 \
	NEXT;                                                                                      \
	L_##NAME##32_X : DST = (uint32_t)((uint32_t)DST OP(uint32_t) SRC);                         \
	NEXT;
	ALU(ADD, +)
	ALU(SUB, -)
	ALU(MUL, *)
	ALU(OR, |)
	ALU(AND, &)
	ALU(XOR, ^)
#undef ALU
#define SHIFT(NAME, EXPR64, EXPR32)                                                                \
	L_##NAME##64_K : DST = EXPR64(DST, IMM & 63);                                              \
	NEXT;                                                                                      \
	L_##NAME##64_X : DST = EXPR64(DST, SRC & 63);                                              \
	NEXT;                                                                                      \
	L_##NAME##32_K : DST = EXPR32((uint32_t)DST, IMM32 & 31);                                  \
	NEXT;                                                                                      \
	L_##NAME##32_X : DST = EXPR32((uint32_t)DST, (uint32_t)SRC & 31);                          \
	NEXT;
#define LSH(a, n)    ((a) << (n))
#define RSH(a, n)    ((a) >> (n))
#define ARSH64(a, n) ((uint64_t)((int64_t)(a) >> (n)))
#define ARSH32(a, n) ((uint32_t)((int32_t)(a) >> (n)))
	SHIFT(LSH, LSH, (uint32_t)LSH)
	SHIFT(RSH, RSH, RSH)
	SHIFT(ARSH, ARSH64, ARSH32)
#undef SHIFT

	/* Linux: x / 0 = 0, x % 0 = x (32-bit: truncated). */
L_DIV64_K:
	DST = IMM ? DST / IMM : 0;
	NEXT;
L_DIV64_X:
	DST = SRC ? DST / SRC : 0;
	NEXT;
L_DIV32_K:
	DST = IMM32 ? (uint32_t)DST / IMM32 : 0;
	NEXT;
L_DIV32_X:
	DST = (uint32_t)SRC ? (uint32_t)DST / (uint32_t)SRC : 0;
	NEXT;
L_MOD64_K:
	DST = IMM ? DST % IMM : DST;
	NEXT;
L_MOD64_X:
	DST = SRC ? DST % SRC : DST;
	NEXT;
L_MOD32_K:
	DST = IMM32 ? (uint32_t)DST % IMM32 : (uint32_t)DST;
	NEXT;
L_MOD32_X:
	DST = (uint32_t)SRC ? (uint32_t)DST % (uint32_t)SRC : (uint32_t)DST;
	NEXT;
L_SDIV64_K:
	DST = vm_sdiv64(DST, IMM);
	NEXT;
L_SDIV64_X:
	DST = vm_sdiv64(DST, SRC);
	NEXT;
L_SDIV32_K:
	DST = vm_sdiv32((uint32_t)DST, IMM32);
	NEXT;
L_SDIV32_X:
	DST = vm_sdiv32((uint32_t)DST, (uint32_t)SRC);
	NEXT;
L_SMOD64_K:
	DST = vm_smod64(DST, IMM);
	NEXT;
L_SMOD64_X:
	DST = vm_smod64(DST, SRC);
	NEXT;
L_SMOD32_K:
	DST = vm_smod32((uint32_t)DST, IMM32);
	NEXT;
L_SMOD32_X:
	DST = vm_smod32((uint32_t)DST, (uint32_t)SRC);
	NEXT;

L_NEG64:
	DST = -DST;
	NEXT;
L_NEG32:
	DST = (uint32_t)-(uint32_t)DST;
	NEXT;
L_MOV64_K:
	DST = IMM;
	NEXT;
L_MOV64_X:
	DST = SRC;
	NEXT;
L_MOV32_K:
	DST = IMM32;
	NEXT;
L_MOV32_X:
	DST = (uint32_t)SRC;
	NEXT;
L_MOVSX8_64:
	DST = (uint64_t)(int64_t)(int8_t)SRC;
	NEXT;
L_MOVSX16_64:
	DST = (uint64_t)(int64_t)(int16_t)SRC;
	NEXT;
L_MOVSX32_64:
	DST = (uint64_t)(int64_t)(int32_t)SRC;
	NEXT;
L_MOVSX8_32:
	DST = (uint32_t)(int32_t)(int8_t)SRC;
	NEXT;
L_MOVSX16_32:
	DST = (uint32_t)(int32_t)(int16_t)SRC;
	NEXT;
L_LE16:
	DST = htole16((uint16_t)DST);
	NEXT;
L_LE32:
	DST = htole32((uint32_t)DST);
	NEXT;
L_LE64:
	DST = htole64(DST);
	NEXT;
L_BE16:
	DST = htobe16((uint16_t)DST);
	NEXT;
L_BE32:
	DST = htobe32((uint32_t)DST);
	NEXT;
L_BE64:
	DST = htobe64(DST);
	NEXT;
L_BSWAP16:
	DST = __builtin_bswap16((uint16_t)DST);
	NEXT;
L_BSWAP32:
	DST = __builtin_bswap32((uint32_t)DST);
	NEXT;
L_BSWAP64:
	DST = __builtin_bswap64(DST);
	NEXT;

	/* ---- jumps ---- */
L_JA:
	JUMP(pc->off);
L_JA32:
	JUMP(pc->imm);
#define JCOND(NAME, C64K, C64X, C32K, C32X)                                                        \
	L_##NAME##_K : if (C64K) JUMP(pc->off);                                                    \
	NEXT;                                                                                      \
	L_##NAME##_X : if (C64X) JUMP(pc->off);                                                    \
	NEXT;                                                                                      \
	L_##NAME##32_K : if (C32K) JUMP(pc->off);                                                  \
	NEXT;                                                                                      \
	L_##NAME##32_X : if (C32X) JUMP(pc->off);                                                  \
	NEXT;
#define JCOND_(...) JCOND(__VA_ARGS__) /* expand UCMP/SCMP first */
#define UCMP(OP)                                                                                   \
	DST OP IMM, DST OP SRC, (uint32_t)DST OP IMM32, (uint32_t)DST OP(uint32_t) SRC
#define SCMP(OP)                                                                                   \
	(int64_t)DST OP pc->imm, (int64_t)DST OP(int64_t) SRC,                                     \
		(int32_t)DST OP(int32_t) pc->imm, (int32_t)DST OP(int32_t) SRC
	JCOND_(JEQ, UCMP(==))
	JCOND_(JNE, UCMP(!=))
	JCOND_(JGT, UCMP(>))
	JCOND_(JGE, UCMP(>=))
	JCOND_(JLT, UCMP(<))
	JCOND_(JLE, UCMP(<=))
	JCOND_(JSET, DST & IMM, DST & SRC, (uint32_t)DST & IMM32, (uint32_t)DST & (uint32_t)SRC)
	JCOND_(JSGT, SCMP(>))
	JCOND_(JSGE, SCMP(>=))
	JCOND_(JSLT, SCMP(<))
	JCOND_(JSLE, SCMP(<=))
#undef JCOND
#undef JCOND_
#undef UCMP
#undef SCMP

	/* ---- calls ---- */
L_CALL:
	reg[0] = ((vm_helper_fn)(uintptr_t)pc->imm)(reg[1], reg[2], reg[3], reg[4], reg[5], run);
	if (run->fault)
		goto helper_fault;
	SET_INIT((init & ~0x3eu) | 1u);
	NEXT;
L_TAIL_CALL: {
	const struct vm_prog *next = (const struct vm_prog *)(uintptr_t)((vm_helper_fn)(
		uintptr_t)pc->imm)(reg[1], reg[2], reg[3], 0, 0, run);
	if (run->fault)
		goto helper_fault;
	if (next && run->tail_calls < VM_MAX_TAIL_CALLS) {
		run->tail_calls++;
		run->prog = next;
		pc = next->code;
		SET_INIT(1u << 1 | 1u << 10);
		DISPATCH;
	}
	SET_INIT((init & ~0x3eu) | 1u);
	NEXT;
}
L_CALL_LOCAL: {
	const struct vm_insn *target = pc + 1 + pc->imm;
call_local:
	if (depth + 1 >= VM_MAX_FRAMES)
		goto depth_fault;
	frames[depth].ret = pc + 1;
	memcpy(frames[depth].saved, &reg[6], sizeof(frames[depth].saved));
#if INTERP_CHECK
	frames[depth].init = init;
	init = (init & 0x3eu) | 1u << 10;
#endif
	depth++;
	reg[10] -= VM_STACK_SIZE;
	run->stack_lo = reg[10] - VM_STACK_SIZE;
	pc = target;
	DISPATCH;
L_CALLX: {
	uint64_t t = DST;
	const struct vm_prog *prog = run->prog;

	if (t < HELPER_MAX_ID && t != BPF_FUNC_tail_call) {
		const struct helper *h = helper_by_id((int32_t)t);
		if (!h)
			goto callx_fault;
		reg[0] = h->fn(reg[1], reg[2], reg[3], reg[4], reg[5], run);
		if (run->fault)
			goto helper_fault;
		SET_INIT((init & ~0x3eu) | 1u);
		NEXT;
	}
	if (t < (uintptr_t)prog->code || t >= (uintptr_t)(prog->code + prog->len) ||
	    (t - (uintptr_t)prog->code) % sizeof(struct vm_insn) ||
	    ((const struct vm_insn *)(uintptr_t)t)->op == VM_OP_LDDW_HI)
		goto callx_fault;
	target = (const struct vm_insn *)(uintptr_t)t;
	goto call_local;
}
}
L_CALL_KFUNC:
	vm_fail_at(run, VM_FAULT_UNSUPPORTED, pc, 0);
	goto out;
L_EXIT:
	if (depth == base)
		goto out;
	depth--;
	pc = frames[depth].ret;
	memcpy(&reg[6], frames[depth].saved, sizeof(frames[depth].saved));
	/* r0 comes back as the callee left it, written or not */
	SET_INIT((frames[depth].init & ~0x3fu) | (init & 1u));
	reg[10] += VM_STACK_SIZE;
	run->stack_lo = reg[10] - VM_STACK_SIZE;
	DISPATCH;

	/* ---- loads and stores ---- */
L_LDDW:
	DST = IMM;
	pc += 2;
	DISPATCH;
#define LD_PKT(size, k)                                                  \
	{                                                                \
		const uint8_t *p_ = vm_pkt_ptr(run, (int32_t)(k), size); \
		if (!p_) {                                               \
			reg[0] = 0;                                      \
			st->ended = true;                                \
			goto out;                                        \
		}                                                        \
		reg[0] = vm_load_be(p_, size);                           \
		SET_INIT((init & ~0x3eu) | 1u);                          \
		NEXT;                                                    \
	}
L_LDABS_W:
	LD_PKT(4, pc->imm)
L_LDABS_H:
	LD_PKT(2, pc->imm)
L_LDABS_B:
	LD_PKT(1, pc->imm)
L_LDIND_W:
	LD_PKT(4, IMM32 + (uint32_t)SRC)
L_LDIND_H:
	LD_PKT(2, IMM32 + (uint32_t)SRC)
L_LDIND_B:
	LD_PKT(1, IMM32 + (uint32_t)SRC)
#undef LD_PKT

#define EA(base) ((base) + (uint64_t)(int64_t)pc->off)
L_LDXW:
	DST = LOAD(uint32_t, EA(SRC));
	NEXT;
L_LDXH:
	DST = LOAD(uint16_t, EA(SRC));
	NEXT;
L_LDXB:
	DST = LOAD(uint8_t, EA(SRC));
	NEXT;
L_LDXDW:
	DST = LOAD(uint64_t, EA(SRC));
	NEXT;
L_LDXSW:
	DST = (uint64_t)(int64_t)LOAD(int32_t, EA(SRC));
	NEXT;
L_LDXSH:
	DST = (uint64_t)(int64_t)LOAD(int16_t, EA(SRC));
	NEXT;
L_LDXSB:
	DST = (uint64_t)(int64_t)LOAD(int8_t, EA(SRC));
	NEXT;
L_STW:
	STORE(uint32_t, EA(DST), IMM);
	NEXT;
L_STH:
	STORE(uint16_t, EA(DST), IMM);
	NEXT;
L_STB:
	STORE(uint8_t, EA(DST), IMM);
	NEXT;
L_STDW:
	STORE(uint64_t, EA(DST), IMM);
	NEXT;
L_STXW:
	STORE(uint32_t, EA(DST), SRC);
	NEXT;
L_STXH:
	STORE(uint16_t, EA(DST), SRC);
	NEXT;
L_STXB:
	STORE(uint8_t, EA(DST), SRC);
	NEXT;
L_STXDW:
	STORE(uint64_t, EA(DST), SRC);
	NEXT;
#undef EA

	/* ---- atomics ---- */
#define ATOMIC_RMW(NAME, FN)                                                                       \
	L_A##NAME##64 : FN(ATOMIC_PTR(uint64_t), SRC, SEQ);                                        \
	NEXT;                                                                                      \
	L_A##NAME##32 : FN(ATOMIC_PTR(uint32_t), (uint32_t)SRC, SEQ);                              \
	NEXT;                                                                                      \
	L_AF##NAME##64 : SRC = FN(ATOMIC_PTR(uint64_t), SRC, SEQ);                                 \
	NEXT;                                                                                      \
	L_AF##NAME##32 : SRC = FN(ATOMIC_PTR(uint32_t), (uint32_t)SRC, SEQ);                       \
	NEXT;
	ATOMIC_RMW(ADD, __atomic_fetch_add)
	ATOMIC_RMW(OR, __atomic_fetch_or)
	ATOMIC_RMW(AND, __atomic_fetch_and)
	ATOMIC_RMW(XOR, __atomic_fetch_xor)
#undef ATOMIC_RMW
L_AXCHG64:
	SRC = __atomic_exchange_n(ATOMIC_PTR(uint64_t), SRC, SEQ);
	NEXT;
L_AXCHG32:
	SRC = __atomic_exchange_n(ATOMIC_PTR(uint32_t), (uint32_t)SRC, SEQ);
	NEXT;
L_ACMPXCHG64: {
	uint64_t *p = ATOMIC_PTR(uint64_t);
	uint64_t expected = reg[0];
	__atomic_compare_exchange_n(p, &expected, SRC, false, SEQ, SEQ);
	reg[0] = expected;
	NEXT;
}
L_ACMPXCHG32: {
	uint32_t *p = ATOMIC_PTR(uint32_t);
	uint32_t expected = (uint32_t)reg[0];
	__atomic_compare_exchange_n(p, &expected, (uint32_t)SRC, false, SEQ, SEQ);
	reg[0] = expected;
	NEXT;
}

	/* ---- endings ---- */
L_FALLOFF:
	vm_fail_at(run, VM_FAULT_FALLOFF, pc, 0);
	goto out;
depth_fault:
	vm_fail_at(run, VM_FAULT_DEPTH, pc, 0);
	goto out;
callx_fault:
	vm_fail_at(run, VM_FAULT_CALLX, pc, DST);
	goto out;
helper_fault: /* the helper recorded what went wrong */
	run->fault_pc = vm_pc_index(run, pc);
	goto out;
#if INTERP_COUNT
budget_fault:
	vm_fail(run, VM_FAULT_BUDGET, "insn %u: instruction budget of %llu exhausted",
		(unsigned)(pc - run->prog->code), (unsigned long long)run->budget);
	goto out;
#endif
#if INTERP_CHECK
uninit_fault: {
	unsigned bad = regs_read_at(pc, depth) & ~init, r = 0;
	while (!(bad & 1u << r))
		r++;
	vm_fail(run, VM_FAULT_UNINIT, "insn %u: r%u is read before it is written",
		(unsigned)(pc - run->prog->code), r);
	goto out;
}
mem_fault:
	vm_fail(run, VM_FAULT_MEM, "insn %u: %s of %llu bytes at 0x%llx is outside the memory the program was given",
		(unsigned)(pc - run->prog->code), bad_write ? "write" : "read",
		(unsigned long long)bad_size, (unsigned long long)bad_addr);
	goto out;
align_fault:
	vm_fail(run, VM_FAULT_ALIGN, "insn %u: atomic access of %llu bytes at misaligned 0x%llx",
		(unsigned)(pc - run->prog->code), (unsigned long long)bad_size,
		(unsigned long long)bad_addr);
	goto out;
#endif
out:
#if INTERP_CHECK
	run->stack_lo = saved_lo;
	run->stack_hi = saved_hi;
#endif
	if (st->regs) /* what the frame's caller may read */
		memcpy(st->regs, reg, 6 * sizeof(reg[0]));
	return run->fault ? 0 : reg[0];
}

#undef COUNT_STEP
#undef CHECK_REGS
#undef MEMCHK
#undef ALIGNCHK
#undef SET_INIT
#undef DISPATCH
#undef NEXT
#undef JUMP
#undef DST
#undef SRC
#undef IMM
#undef IMM32
#undef LOAD
#undef STORE
#undef ATOMIC_PTR
#undef SEQ
#undef INTERP_NAME
#undef INTERP_CHECK
#undef INTERP_COUNT
