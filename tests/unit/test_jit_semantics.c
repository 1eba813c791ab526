/* The JIT's behaviour where the interpreter's is subtle: faults and their
 * messages, call depth, callx, LD_ABS/LD_IND windows, helpers that fault or
 * whose argument registers are read again, tail calls (through a table
 * function standing in for bpf_tail_call), W^X, blinding, verifier facts.
 * Expected values are the interpreter's (the reference engine) and, where
 * stated, independent reasoning. */
#include <errno.h>
#include <stdlib.h>

#include "exobpf/exobpf.h"
#include "core/prog.h"
#include "helpers/helpers.h"
#include "isa/isa.h"
#include "test.h"
#include "test_jit_util.h"

static int assemble(const char *text, struct bpf_insn **insns, size_t *cnt)
{
	return exobpf_asm(text, "t", insns, cnt);
}

/* Differential of assembly text on memory; every JIT configuration. */
static int diff_text(const char *text, const uint8_t *mem, uint32_t len, char *why, size_t size)
{
	struct bpf_insn *insns;
	size_t cnt;

	if (assemble(text, &insns, &cnt)) {
		snprintf(why, size, "asm: %s", exobpf_errmsg());
		return -1;
	}
	int r = jt_differential(insns, cnt, mem, len, why, size);
	free(insns);
	return r;
}

#define CHECK_SAME(text, mem, len)                                            \
	do {                                                                  \
		char why_[1024];                                              \
		int r_ = diff_text((text), (mem), (len), why_, sizeof(why_)); \
		CHECK_MSG(r_ == 1, "%s", why_);                               \
	} while (0)

/* Through the public API: r0 and the error of a default (JIT) program. */
static int run_public(const char *text, const void *mem, uint32_t len, uint64_t *r0, bool *jited)
{
	struct bpf_insn *insns;
	size_t cnt;

	if (assemble(text, &insns, &cnt))
		return -1000;
	struct exobpf_prog *prog = exobpf_prog__new(insns, cnt, NULL);
	free(insns);
	if (!prog)
		return -2000;
	*jited = exobpf_prog__is_jited(prog);
	EXOBPF_OPTS(exobpf_run_opts, o, .data_in = mem, .data_size_in = len);
	int err = exobpf_prog__run(prog, &o);
	*r0 = o.retval;
	exobpf_prog__free(prog);
	return err;
}

TEST(jit_is_the_default_engine)
{
	uint64_t r0;
	bool jited;

	CHECK_EQ(run_public("r0 = 41\nr0 += 1\nexit\n", NULL, 0, &r0, &jited), 0);
	CHECK(jited);
	CHECK_EQ(r0, 42);
	EXOBPF_OPTS(exobpf_prog_opts, o, .flags = EXOBPF_PROG_INTERP);
	struct bpf_insn p[] = {{.code = 0xb7}, {.code = 0x95}};
	struct exobpf_prog *prog = exobpf_prog__new(p, 2, &o);
	CHECK(prog && !exobpf_prog__is_jited(prog));
	CHECK_EQ(exobpf_prog__dump_jited(prog, stdout, 0), -ENOENT);
	exobpf_prog__free(prog);
}

TEST(jit_faults_match_the_interpreter)
{
	uint64_t r0;
	bool jited;

	CHECK_SAME("r0 = 1\n", NULL, 0); /* falls off the end */
	CHECK_EQ(run_public("r0 = 1\nr0 += 2\n", NULL, 0, &r0, &jited), -EFAULT);
	CHECK_CONTAINS(exobpf_errmsg(), "insn 2: ran past the last instruction");
	CHECK_EQ(r0, 0);
	/* a kernel function call: exobpf has none */
	struct bpf_insn k[] = {
	    {.code = 0xb7, .imm = 5}, {.code = 0x85, .src_reg = 2, .imm = 7}, {.code = 0x95}};
	char why[1024];
	CHECK_MSG(jt_differential(k, 3, NULL, 0, why, sizeof(why)) == 1, "%s", why);
}

TEST(jit_call_depth_is_eight_frames)
{
	const char *ok = "call a\nexit\na:\ncall b\nexit\nb:\ncall c\nexit\nc:\ncall d\nexit\n"
			 "d:\ncall e\nexit\ne:\ncall f\nexit\nf:\ncall g\nexit\ng:\nr0 = 7\nexit\n";
	const char *deep =
	    "call a\nexit\na:\ncall b\nexit\nb:\ncall c\nexit\nc:\ncall d\nexit\n"
	    "d:\ncall e\nexit\ne:\ncall f\nexit\nf:\ncall g\nexit\ng:\ncall h\nexit\n"
	    "h:\nr0 = 8\nexit\n";
	/* unbounded recursion stops at the limit; r6-r9 are restored per frame */
	const char *rec = "r6 = 100\nr0 = 0\ncall f\nr0 += r6\nexit\n"
			  "f:\nr6 = 1\nr0 += 1\ncall f\nexit\n";
	uint64_t r0;
	bool jited;

	CHECK_SAME(ok, NULL, 0);
	CHECK_SAME(deep, NULL, 0);
	CHECK_SAME(rec, NULL, 0);
	CHECK_EQ(run_public(ok, NULL, 0, &r0, &jited), 0);
	CHECK_EQ(r0, 7);
	CHECK_EQ(run_public(deep, NULL, 0, &r0, &jited), -EFAULT);
	CHECK_CONTAINS(exobpf_errmsg(), "insn 14: more than 8 call frames");
}

TEST(jit_frames_share_registers_as_the_interpreter_does)
{
	/* r1-r5 written by a callee are seen by the caller; r6-r9 are restored;
	 * r10 moves down one frame; the caller's stack is reachable by pointer */
	CHECK_SAME("r1 = 1\nr6 = 6\n*(u64 *)(r10 -8) = 11\nr7 = r10\ncall f\n"
		   "r0 = r1\nr0 += r2\nr0 += r6\nr4 = *(u64 *)(r10 -8)\nr0 += r4\nexit\n"
		   "f:\nr1 = 100\nr2 = 200\nr6 = 1000\nr3 = r7\nr3 -= r10\n"
		   "*(u64 *)(r7 -8) = 22\nr0 = r3\nexit\n",
		   NULL, 0);
}

TEST(jit_callx_matches_the_interpreter)
{
	CHECK_SAME("r2 = 8\ncallx r2\nr0 += 5\nexit\n", NULL, 0); /* helper by id */
	CHECK_SAME("r2 = func[f]\ncallx r2\nr0 += 1\nexit\nf:\nr0 = 41\nexit\n", NULL, 0);
	CHECK_SAME("r2 = 0x7fff0000\ncallx r2\nexit\n", NULL, 0); /* not callable */
	CHECK_SAME("r2 = 12\ncallx r2\nexit\n", NULL, 0);	  /* tail_call by id */
	CHECK_SAME("r2 = 9999\ncallx r2\nexit\n", NULL, 0);	  /* unimplemented id */
	CHECK_SAME("r2 = func[f]\nr2 += 8\ncallx r2\nexit\nf:\nr0 = 1\nexit\n", NULL, 0);
	/* lddw's second half is not a target */
	CHECK_SAME("r2 = func[f]\nr2 += 16\ncallx r2\nexit\nf:\nr0 = 0x1 ll\nexit\n", NULL, 0);
	CHECK_SAME("r2 = func[f]\nr2 += 16\ncallx r2\nr0 += 3\nexit\nf:\nr0 = 1\nr0 = 2\nexit\n",
		   NULL, 0);
	/* callx recursion reaches the depth limit */
	CHECK_SAME("r0 = 0\nr6 = func[f]\ncall f\nexit\nf:\nr0 += 1\ncallx r6\nexit\n", NULL, 0);
}

TEST(jit_ld_abs_and_ld_ind_windows)
{
	uint8_t pkt[64];
	char text[512];

	for (unsigned i = 0; i < sizeof(pkt); i++)
		pkt[i] = (uint8_t)(0x10 + i * 7);
	static const int32_t ks[] = {0,
				     1,
				     60,
				     61,
				     62,
				     63,
				     64,
				     1000,
				     -1,
				     -0x100000,
				     -0x100000 + 60,
				     -0x100000 + 61,
				     -0x200000,
				     -0x200000 + 63,
				     -0x200001,
				     0x7fffffff,
				     -0x7fffffff - 1};
	static const char *const sizes[] = {"u8", "u16", "u32"};
	for (unsigned s = 0; s < 3; s++) {
		for (unsigned i = 0; i < sizeof(ks) / sizeof(ks[0]); i++) {
			snprintf(text, sizeof(text),
				 "r6 = r1\nr0 = 77\nr0 = *(%s *)skb[%d]\nr0 += 1\nexit\n", sizes[s],
				 ks[i]);
			CHECK_SAME(text, pkt, sizeof(pkt));
			CHECK_SAME(text, pkt, 0); /* no packet at all */
			/* LD_IND: the offset is src + imm in 32 bits; r1-r5 survive */
			snprintf(text, sizeof(text),
				 "r6 = r1\nr7 = %d\nr1 = 11\nr2 = 22\nr3 = 33\nr4 = 44\nr5 = 55\n"
				 "r0 = *(%s *)skb[r7 + 3]\nr0 += r1\nr0 += r2\nr0 += r3\nr0 += r4\n"
				 "r0 += r5\nexit\n",
				 (int32_t)((uint32_t)ks[i] - 3u), sizes[s]);
			CHECK_SAME(text, pkt, sizeof(pkt));
		}
	}
	/* out of range inside a subprogram ends the whole program with r0 = 0 */
	CHECK_SAME("r6 = r1\nr0 = 5\ncall f\nr0 = 9\nexit\nf:\nr0 = *(u32 *)skb[100]\nexit\n", pkt,
		   sizeof(pkt));
	uint64_t r0;
	bool jited;
	CHECK_EQ(
	    run_public("r6 = r1\nr0 = 5\ncall f\nr0 = 9\nexit\nf:\nr0 = *(u32 *)skb[100]\nexit\n",
		       pkt, sizeof(pkt), &r0, &jited),
	    0);
	CHECK_EQ(r0, 0);
	CHECK_EQ(run_public("r6 = r1\nr0 = *(u16 *)skb[2]\nexit\n", pkt, sizeof(pkt), &r0, &jited),
		 0);
	CHECK_EQ(r0, (uint64_t)pkt[2] << 8 | pkt[3]); /* big-endian, by hand */
}

TEST(jit_helpers_leave_argument_registers_as_the_interpreter_does)
{
	/* the interpreter never clobbers r1-r5; a program that reads them after a
	 * call sees its own values. ktime_get_ns (5) clobbers them natively. */
	CHECK_SAME("r1 = 1\nr2 = 2\nr3 = 3\nr4 = 4\nr5 = 5\ncall 5\nr0 = 0\nr0 += r1\nr0 += r2\n"
		   "r0 += r3\nr0 += r4\nr0 += r5\nexit\n",
		   NULL, 0);
	CHECK_SAME("r3 = 3\ncall 5\nr1 = 7\ncall 5\nr0 = r3\nr0 += r1\nexit\n", NULL, 0);
	/* inside a subprogram: what the caller reads after the return */
	CHECK_SAME("r1 = 1\ncall f\nr0 += r1\nr0 += r2\nexit\nf:\nr2 = 2\ncall 5\nr0 = 0\nexit\n",
		   NULL, 0);
}

/* ---- helpers and tail calls patched into decoded programs ---- */

static uint64_t faulting_helper(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
				struct vm_run *run)
{
	(void)r2, (void)r3, (void)r4, (void)r5;
	if (r1 == 13)
		return vm_fail(run, VM_FAULT_HELPER_ARG, "helper says r1 is %llu",
			       (unsigned long long)r1);
	return r1 * 2;
}

static const struct vm_prog *tail_target;
static uint64_t tail_fault_at;

static uint64_t tail_table(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			   struct vm_run *run)
{
	(void)r1, (void)r2, (void)r4, (void)r5;
	if (r3 == tail_fault_at && tail_fault_at)
		return vm_fail(run, VM_FAULT_HELPER_ARG, "no such index %llu",
			       (unsigned long long)r3);
	return r3 == 99 ? 0 : (uint64_t)(uintptr_t)tail_target;
}

/* Decode text and turn every "call 8" into a call of fn (or a tail call);
 * fn NULL: leave the program as it is. */
static int decode_patched(const char *text, struct vm_prog *vp, vm_helper_fn fn, bool tail)
{
	struct bpf_insn *insns;
	size_t cnt;

	memset(vp, 0, sizeof(*vp));
	if (assemble(text, &insns, &cnt))
		return -1;
	int err = vm_prog_decode(vp, insns, (uint32_t)cnt);
	free(insns);
	if (err)
		return err;
	for (uint32_t i = 0; i < vp->len; i++) {
		if (fn && vp->code[i].op == ISA_CALL &&
		    vp->code[i].imm == (int64_t)(uintptr_t)helper_by_id(8)->fn) {
			vp->code[i].op = tail ? VM_OP_TAIL_CALL : ISA_CALL;
			vp->code[i].imm = (int64_t)(uintptr_t)fn;
		}
	}
	return 0;
}

/* Run vp (and whatever it tail-calls) in both engines; configuration c. */
static bool same_runs(struct vm_prog *vp, struct vm_prog *other, unsigned c, char *why, size_t size)
{
	static struct jt_outcome ref, got;
	uint8_t mem[16] = {1, 2, 3, 4};

	jt_run(vp, false, mem, sizeof(mem), &ref);
	if (jit_compile(vp, &jt_configs[c]) || (other && jit_compile(other, &jt_configs[c]))) {
		snprintf(why, size, "compile: %s", exobpf_errmsg());
		return false;
	}
	jt_run(vp, true, mem, sizeof(mem), &got);
	jit_release(vp);
	if (other)
		jit_release(other);
	if (!jt_same(&ref, &got, why, size))
		return false;
	snprintf(why, size, "r0 0x%llx fault %d", (unsigned long long)ref.r0, ref.fault);
	return true;
}

TEST(jit_helper_faults_match_the_interpreter)
{
	struct vm_prog vp;
	char why[1024];

	for (unsigned c = 0; c < jt_nconfigs; c++) {
		CHECK(!decode_patched("r1 = 5\ncall 8\nr1 = 13\nr0 = 1\ncall 8\nr0 = 3\nexit\n",
				      &vp, faulting_helper, false));
		CHECK_MSG(same_runs(&vp, NULL, c, why, sizeof(why)), "%s: %s", jt_config_names[c],
			  why);
		vm_prog_release(&vp);
		/* from inside a subprogram, after local calls */
		CHECK(!decode_patched("call f\nr0 = 3\nexit\nf:\nr1 = 13\ncall 8\nexit\n", &vp,
				      faulting_helper, false));
		CHECK_MSG(same_runs(&vp, NULL, c, why, sizeof(why)), "%s: %s", jt_config_names[c],
			  why);
		CHECK_CONTAINS(why, "fault 10");
		vm_prog_release(&vp);
	}
}

TEST(jit_tail_calls_match_the_interpreter)
{
	struct vm_prog a, b;
	char why[1024];

	for (unsigned c = 0; c < jt_nconfigs; c++) {
		/* itself 33 times: r6 counts, registers carry over */
		CHECK(!decode_patched("r6 += 1\nr3 = 0\ncall 8\nr0 = r6\nexit\n", &a, tail_table,
				      true));
		tail_target = &a;
		tail_fault_at = 0;
		CHECK_MSG(same_runs(&a, NULL, c, why, sizeof(why)), "%s self: %s",
			  jt_config_names[c], why);
		CHECK_CONTAINS(why, "r0 0x22"); /* the first run and 33 tail calls */
		/* no target: execution goes on with r0-r5 as they were */
		vm_prog_release(&a);
		CHECK(!decode_patched("r0 = 7\nr1 = 1\nr2 = 2\nr3 = 99\nr4 = 4\nr5 = 5\ncall 8\n"
				      "r0 += r1\nr0 += r2\nr0 += r3\nr0 += r4\nr0 += r5\nexit\n",
				      &a, tail_table, true));
		CHECK_MSG(same_runs(&a, NULL, c, why, sizeof(why)), "%s none: %s",
			  jt_config_names[c], why);
		CHECK_CONTAINS(why, "r0 0x76"); /* 7 + 1 + 2 + 99 + 4 + 5 */
		vm_prog_release(&a);
		/* the table function faults */
		CHECK(!decode_patched("r3 = 5\ncall 8\nr0 = 1\nexit\n", &a, tail_table, true));
		tail_fault_at = 5;
		CHECK_MSG(same_runs(&a, NULL, c, why, sizeof(why)), "%s fault: %s",
			  jt_config_names[c], why);
		tail_fault_at = 0;
		vm_prog_release(&a);
		/* from a subprogram into another program that calls a helper: the
		 * caller reads r0-r5 after the callee (now the other program) exits */
		CHECK(
		    !decode_patched("r1 = 10\nr2 = 20\ncall f\nr0 += r1\nr0 += r2\nr0 += r3\nexit\n"
				    "f:\nr3 = 0\ncall 8\nr0 = 1\nexit\n",
				    &a, tail_table, true));
		/* ktime_get_ns clobbers the argument registers natively */
		CHECK(!decode_patched("r0 = 100\ncall 5\nr0 = 1000\nexit\n", &b, NULL, false));
		tail_target = &b;
		CHECK_MSG(same_runs(&a, &b, c, why, sizeof(why)), "%s deep: %s", jt_config_names[c],
			  why);
		vm_prog_release(&b);
		/* into an interpreted program (no machine code): the JIT runs it to
		 * its end, which is the tail-calling frame's exit */
		CHECK(!decode_patched("r0 = 5\nr0 *= 3\nexit\n", &b, NULL, false));
		CHECK_MSG(same_runs(&a, NULL, c, why, sizeof(why)), "%s interp: %s",
			  jt_config_names[c], why);
		CHECK_CONTAINS(why, "r0 0x2d"); /* 15 + r1 10 + r2 20 */
		vm_prog_release(&b);
		vm_prog_release(&a);
	}
}

TEST(jit_tail_call_into_an_interpreted_program_goes_on_in_its_frame)
{
	struct vm_prog a, b;
	char why[1024];

	for (unsigned c = 0; c < jt_nconfigs; c++) {
		/* registers and the frame's stack carry over: r0 = 66 + 77 */
		CHECK(!decode_patched("r6 = 66\nr1 = 77\n*(u64 *)(r10 -8) = r1\nr3 = 0\ncall 8\n"
				      "exit\n",
				      &a, tail_table, true));
		CHECK(!decode_patched("r0 = r6\nr1 = *(u64 *)(r10 -8)\nr0 += r1\nexit\n", &b, NULL,
				      false));
		tail_target = &b;
		tail_fault_at = 0;
		CHECK_MSG(same_runs(&a, NULL, c, why, sizeof(why)), "%s regs: %s",
			  jt_config_names[c], why);
		CHECK_CONTAINS(why, "r0 0x8f fault 0");
		vm_prog_release(&b);
		vm_prog_release(&a);
		/* an LD_ABS out of range ends the whole run, also from a
		 * subprogram's frame (the caller's r0 = 5 never runs) */
		CHECK(!decode_patched("call f\nr0 = 5\nexit\nf:\nr3 = 0\ncall 8\nexit\n", &a,
				      tail_table, true));
		CHECK(!decode_patched("r0 = *(u8 *)skb[1000]\nexit\n", &b, NULL, false));
		tail_target = &b;
		CHECK_MSG(same_runs(&a, NULL, c, why, sizeof(why)), "%s ld_abs: %s",
			  jt_config_names[c], why);
		CHECK_CONTAINS(why, "r0 0x0 fault 0");
		vm_prog_release(&b);
		vm_prog_release(&a);
		/* the call depth carries over: 8 frames in all, the 9th faults */
		CHECK(!decode_patched("call f\nexit\nf:\ncall g\nexit\ng:\nr3 = 0\ncall 8\nexit\n",
				      &a, tail_table, true));
		CHECK(!decode_patched("r0 = 0\nr6 = 4\ncall n\nexit\n"
				      "n:\nif r6 == 0 goto +3\nr6 -= 1\ncall n\nr0 += 1\nexit\n",
				      &b, NULL, false));
		tail_target = &b;
		CHECK_MSG(same_runs(&a, NULL, c, why, sizeof(why)), "%s depth 4: %s",
			  jt_config_names[c], why);
		CHECK_CONTAINS(why, "r0 0x4 fault 0");
		vm_prog_release(&b);
		CHECK(!decode_patched("r0 = 0\nr6 = 5\ncall n\nexit\n"
				      "n:\nif r6 == 0 goto +3\nr6 -= 1\ncall n\nr0 += 1\nexit\n",
				      &b, NULL, false));
		tail_target = &b;
		CHECK_MSG(same_runs(&a, NULL, c, why, sizeof(why)), "%s depth 5: %s",
			  jt_config_names[c], why);
		CHECK_CONTAINS(why, "fault 4"); /* VM_FAULT_DEPTH */
		vm_prog_release(&b);
		vm_prog_release(&a);
	}
}

TEST(jit_tail_called_leaf_ends_the_whole_run)
{
	/* The target compiled as a leaf (verified: no trampoline, the run in
	 * rdx); its early end (LD_ABS out of range, or a fault) must end the
	 * run from whatever depth the tail call was made at, as in the
	 * interpreter, not return to the subprogram that tail-called. */
	static const char *const callers[] = {
	    "r3 = 0\ncall 8\nr0 = 5\nexit\n",				/* depth 0 */
	    "call f\nr0 = 5\nexit\nf:\nr3 = 0\ncall 8\nr0 = 6\nexit\n", /* depth 1 */
	};
	static const char *const leaves[] = {
	    "r0 = *(u8 *)skb[1000]\nexit\n", /* the run's end: r0 = 0, no fault */
	    "r0 = 1\n",			     /* falls off: a fault */
	};
	static const struct jit_fact none[4]; /* verified, nothing proved */
	static struct jt_outcome ref, got;
	const struct jit_opts leaf = {.verifier_facts = none};
	uint8_t mem[16] = {1, 2, 3, 4};
	struct vm_prog a, b;
	char why[1024];

	for (unsigned c = 0; c < jt_nconfigs; c++)
		for (unsigned i = 0; i < 2; i++)
			for (unsigned e = 0; e < 2; e++) {
				CHECK(!decode_patched(callers[i], &a, tail_table, true));
				CHECK(!decode_patched(leaves[e], &b, NULL, false));
				tail_target = &b;
				tail_fault_at = 0;
				jt_run(&a, false, mem, sizeof(mem), &ref);
				CHECK_EQ(ref.r0, 0);
				CHECK_EQ(ref.fault, e ? VM_FAULT_FALLOFF : VM_OK);
				CHECK(!jit_compile(&a, &jt_configs[c]) && !jit_compile(&b, &leaf));
				const struct jit_image *img = jit_image_of(&b);
				CHECK(img && img->entry_off == img->body_off); /* a leaf */
				jt_run(&a, true, mem, sizeof(mem), &got);
				CHECK_MSG(jt_same(&ref, &got, why, sizeof(why)),
					  "%s, caller %u, end %u: %s", jt_config_names[c], i, e,
					  why);
				jit_release(&a);
				jit_release(&b);
				vm_prog_release(&b);
				vm_prog_release(&a);
			}
}

TEST(jit_tail_called_leaf_or_direct_program_runs_in_the_callers_frame)
{
	/* Below a subprogram, the caller sees what the interpreter leaves
	 * after a tail call: r1-r5 as the target left them (a leaf keeps the
	 * run and its r6-r9 in registers of r2-r5 it does not name) and the
	 * target's stores in the tail-calling frame (a direct program has a
	 * frame of its own, or the red zone). Expected r0 by hand. */
	static const struct {
		const char *caller, *target;
		uint32_t stack_depth; /* the target's, as the verifier would prove */
		uint64_t r0;
	} cases[] = {
	    {"call f\nr0 = r3\nexit\nf:\nr3 = 0\ncall 8\nr0 = 6\nexit\n", "r0 = 1\nexit\n", 0, 0},
	    {"r5 = 55\ncall f\nr0 = r5\nexit\nf:\nr3 = 0\ncall 8\nexit\n",
	     "r6 = 7\nr0 = r6\nexit\n", 0, 55},
	    {"call f\nr0 = *(u64 *)(r10 -520)\nexit\n"
	     "f:\nr1 = 0\n*(u64 *)(r10 -8) = r1\nr3 = 0\ncall 8\nexit\n",
	     "r1 = 77\n*(u64 *)(r10 -8) = r1\nr0 = 1\nexit\n", 8, 77}, /* red zone */
	    {"call f\nr0 = *(u64 *)(r10 -520)\nexit\n"
	     "f:\nr1 = 0\n*(u64 *)(r10 -8) = r1\nr3 = 0\ncall 8\nexit\n",
	     "r1 = 77\n*(u64 *)(r10 -8) = r1\nr0 = 1\nexit\n", 256, 77}, /* a frame */
	};
	static const struct jit_fact none[8]; /* verified, nothing proved */
	static struct jt_outcome ref, got;
	uint8_t mem[16] = {1, 2, 3, 4};
	struct vm_prog a, b;
	char why[1024];

	for (unsigned c = 0; c < jt_nconfigs; c++)
		for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			const struct jit_opts target = {.verifier_facts = none,
							.stack_depth = cases[i].stack_depth};
			CHECK(!decode_patched(cases[i].caller, &a, tail_table, true));
			CHECK(!decode_patched(cases[i].target, &b, NULL, false));
			tail_target = &b;
			tail_fault_at = 0;
			jt_run(&a, false, mem, sizeof(mem), &ref);
			CHECK_EQ(ref.r0, cases[i].r0);
			CHECK(!jit_compile(&a, &jt_configs[c]) && !jit_compile(&b, &target));
			const struct jit_image *img = jit_image_of(&b);
			CHECK(img && img->tcall_off > img->body_off); /* a leaf or direct */
			jt_run(&a, true, mem, sizeof(mem), &got);
			CHECK_MSG(jt_same(&ref, &got, why, sizeof(why)), "%s, case %u: %s",
				  jt_config_names[c], i, why);
			jit_release(&a);
			jit_release(&b);
			vm_prog_release(&b);
			vm_prog_release(&a);
		}
}

TEST(jit_tail_called_program_unwinds_through_the_callers_frame)
{
	/* The caller tail-calls, so its trampoline saves every register; the
	 * program it becomes calls a helper, so it has a trampoline of its own
	 * with fewer. Its early end (LD_ABS out of range, r0 = 0) and its
	 * faults must leave through the caller's frame: through its own
	 * epilogue the run crashed. */
	static const char *const ends[] = {
	    "call 5\nr0 = *(u8 *)skb[1000]\nexit\n",	    /* the run's end, r0 = 0 */
	    "call 5\nr0 = 1\n",				    /* falls off: a fault */
	    "call 5\nr0 = 1\nr2 = 32767\ncallx r2\nexit\n", /* a fault after a call */
	};
	struct vm_prog a, b;
	char why[1024];

	for (unsigned c = 0; c < jt_nconfigs; c++) {
		for (unsigned e = 0; e < sizeof(ends) / sizeof(ends[0]); e++) {
			CHECK(!decode_patched("r6 = 1\nr7 = 2\nr8 = 3\nr9 = 4\nr3 = 0\ncall 8\n"
					      "r0 = 5\nexit\n",
					      &a, tail_table, true));
			CHECK(!decode_patched(ends[e], &b, NULL, false));
			tail_target = &b;
			tail_fault_at = 0;
			CHECK_MSG(same_runs(&a, &b, c, why, sizeof(why)), "%s, end %u: %s",
				  jt_config_names[c], e, why);
			static const char *const faults[] = {"r0 0x0 fault 0", "r0 0x0 fault 7",
							     "r0 0x0 fault 8"}; /* FALLOFF, CALLX */
			CHECK_CONTAINS(why, faults[e]);
			vm_prog_release(&b);
			vm_prog_release(&a);
		}
	}
}

/* A helper that says how far its frame is from 16-byte alignment: System V
 * has rsp 16-byte aligned at every call, which C code compiled for SSE
 * relies on. */
static uint64_t frame_misalignment(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
				   struct vm_run *run)
{
	(void)r1, (void)r2, (void)r3, (void)r4, (void)r5, (void)run;
	return (uintptr_t)__builtin_frame_address(0) & 15;
}

TEST(jit_helpers_run_on_an_aligned_stack_everywhere)
{
	/* from the main program and a subprogram; from a callback run by the
	 * bpf_loop entry; from one run through the callback entry (bpf_loop
	 * by callx) */
	static const char *const progs[] = {
	    "call 8\nr6 = r0\ncall f\nr0 += r6\nexit\nf:\ncall 8\nexit\n",
	    "r1 = 2\nr2 = func[cb]\nr3 = r10\nr3 += -8\nr4 = 0\n*(u64 *)(r10 -8) = 0\n"
	    "call 181\nr0 = *(u64 *)(r10 -8)\nexit\n"
	    "cb:\nr6 = r2\ncall 8\nr1 = *(u64 *)(r6 +0)\nr1 += r0\n*(u64 *)(r6 +0) = r1\n"
	    "r0 = 0\nexit\n",
	    "r5 = 181\nr1 = 2\nr2 = func[cb]\nr3 = r10\nr3 += -8\nr4 = 0\n"
	    "*(u64 *)(r10 -8) = 0\ncallx r5\nr0 = *(u64 *)(r10 -8)\nexit\n"
	    "cb:\nr6 = r2\ncall 8\nr1 = *(u64 *)(r6 +0)\nr1 += r0\n*(u64 *)(r6 +0) = r1\n"
	    "r0 = 0\nexit\n",
	};
	struct vm_prog vp;
	char why[1024];

	for (unsigned c = 0; c < jt_nconfigs; c++)
		for (unsigned i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
			CHECK(!decode_patched(progs[i], &vp, frame_misalignment, false));
			CHECK_MSG(same_runs(&vp, NULL, c, why, sizeof(why)), "%s, program %u: %s",
				  jt_config_names[c], i, why);
			CHECK_CONTAINS(why, "r0 0x0 fault 0");
			vm_prog_release(&vp);
		}
}

TEST(jit_tail_call_inside_a_bpf_loop_callback)
{
	struct vm_prog a, b;
	char why[1024];

	/* Each run of the callback calls g through callx, which needs the
	 * running program to be a, then tail-calls b, which ends that run with
	 * r0 = 0. The next run is a's callback again, with a running: 3 runs,
	 * mem[0] = 1 + 3 * 1, r0 = 3 * 1000 + 4, 3 tail calls. */
	for (unsigned c = 0; c < jt_nconfigs; c++) {
		CHECK(
		    !decode_patched("r6 = r1\nr1 = 3\nr2 = func[cb]\nr3 = r6\nr4 = 0\ncall 181\n"
				    "r0 *= 1000\nr7 = *(u8 *)(r6 +0)\nr0 += r7\nexit\n"
				    "cb:\nr6 = r2\nr7 = func[g]\ncallx r7\nr1 = *(u8 *)(r6 +0)\n"
				    "r1 += r0\n*(u8 *)(r6 +0) = r1\nr3 = 0\ncall 8\nr0 = 0\nexit\n"
				    "g:\nr0 = 1\nexit\n",
				    &a, tail_table, true));
		CHECK(!decode_patched("r0 = 0\nexit\n", &b, NULL, false));
		tail_target = &b;
		tail_fault_at = 0;
		CHECK_MSG(same_runs(&a, &b, c, why, sizeof(why)), "%s: %s", jt_config_names[c],
			  why);
		CHECK_CONTAINS(why, "r0 0xbbc fault 0");
		vm_prog_release(&b);
		vm_prog_release(&a);
	}
}

/* ---- the image ---- */

TEST(jit_code_is_never_writable_and_executable)
{
	struct bpf_insn p[] = {{.code = 0xb7, .imm = 3}, {.code = 0x95}};
	struct exobpf_prog *prog = exobpf_prog__new(p, 2, NULL);
	char line[512];
	bool found = false, wx = false;

	CHECK(prog && exobpf_prog__is_jited(prog));
	uintptr_t code = (uintptr_t)prog->vm.jited;
	FILE *f = fopen("/proc/self/maps", "r");
	CHECK(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		char perms[8];
		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3)
			continue;
		if (perms[1] == 'w' && perms[2] == 'x')
			wx = true;
		if (code >= lo && code < hi) {
			found = true;
			CHECK_STR(perms, "r-xp");
		}
	}
	fclose(f);
	exobpf_prog__free(prog);
	CHECK(found);
	CHECK(!wx);
}

static bool contains_u32(const uint8_t *mem, size_t size, uint32_t v)
{
	for (size_t i = 0; i + 4 <= size; i++)
		if (!memcmp(mem + i, &v, 4))
			return true;
	return false;
}

TEST(jit_blinding_keeps_program_constants_out_of_the_code)
{
	const char *text = "r0 = 0x12345678\nr0 += 0x23456789\n*(u32 *)(r10 -4) = 0x3456789a\n"
			   "if r0 == 0x456789ab goto +1\nr0 ^= 0x56789abc\nr1 = 0x6789abcd ll\n"
			   "r0 /= 0x789abcde\nexit\n";
	static const uint32_t imms[] = {0x12345678, 0x23456789, 0x3456789a, 0x456789ab,
					0x56789abc, 0x6789abcd, 0x789abcde};
	struct bpf_insn *insns;
	size_t cnt;
	struct vm_prog vp;

	CHECK(!assemble(text, &insns, &cnt));
	memset(&vp, 0, sizeof(vp));
	CHECK(!vm_prog_decode(&vp, insns, (uint32_t)cnt));
	free(insns);
	for (int blind = 0; blind < 2; blind++) {
		struct jit_opts o = {.blind = blind};
		CHECK(!jit_compile(&vp, &o));
		const struct jit_image *img = jit_image_of(&vp);
		for (unsigned i = 0; i < sizeof(imms) / sizeof(imms[0]); i++)
			CHECK_MSG(contains_u32(img->mem, img->size, imms[i]) == !blind,
				  "blind=%d imm 0x%x", blind, imms[i]);
		jit_release(&vp);
	}
	vm_prog_release(&vp);
	CHECK_SAME(text, NULL, 0);
}

/* Facts the verifier would prove: dropping checks only where they hold. */
TEST(jit_uses_verifier_facts_only_as_given)
{
	struct bpf_insn p[] = {
	    {.code = 0xb7, .dst_reg = 0, .imm = 1000},
	    {.code = 0xb7, .dst_reg = 2, .imm = 7},
	    {.code = 0x3f, .dst_reg = 0, .src_reg = 2},		  /* r0 /= r2 */
	    {.code = 0x9f, .dst_reg = 0, .src_reg = 2, .off = 1}, /* r0 s%= r2 */
	    {.code = 0x95},
	};
	struct jit_fact facts[5] = {{0}};
	struct vm_prog vp;
	static struct jt_outcome ref, got;
	char why[512];

	facts[2] = (struct jit_fact){.flags = JIT_FACT_DIV_NONZERO};
	facts[3] = (struct jit_fact){.flags = JIT_FACT_SRC_CONST, .src_val = 7};
	memset(&vp, 0, sizeof(vp));
	CHECK(!vm_prog_decode(&vp, p, 5));
	jt_run(&vp, false, NULL, 0, &ref);
	CHECK_EQ(ref.r0, 1000 / 7 % 7); /* by hand: 142 % 7 */
	struct jit_opts with = {.verifier_facts = facts}, without = {0};
	CHECK(!jit_compile(&vp, &without));
	/* the instructions' own code (the layouts around them differ: with
	 * facts the program is a leaf) */
#define BODY_LEN(img) ((img)->insn_off[(img)->len] - (img)->insn_off[0])
	size_t plain = BODY_LEN(jit_image_of(&vp));
	unsigned plain_stubs = jit_image_of(&vp)->nstubs;
	jit_release(&vp);
	CHECK(!jit_compile(&vp, &with));
	jt_run(&vp, true, NULL, 0, &got);
	CHECK_MSG(jt_same(&ref, &got, why, sizeof(why)), "%s", why);
	/* no zero check for insn 2, no checks at all for the constant 7 */
	CHECK(jit_image_of(&vp)->nstubs + 3 == plain_stubs);
	CHECK(BODY_LEN(jit_image_of(&vp)) < plain);
#undef BODY_LEN
	jit_release(&vp);
	vm_prog_release(&vp);
}

/* A verified program's machine code uses the verifier's proofs: the
 * divisor is the constant 7 (no zero check, immediate form) and the compare
 * is decided; the same program unverified keeps every check. Both compute
 * 1000 / 7 = 142, 142 s% 7 = 2, not > 3, so 99. */
TEST(jit_verified_programs_use_the_verifiers_facts)
{
	struct bpf_insn p[] = {
	    {.code = 0xb7, .dst_reg = 2, .imm = 7},		  /* r2 = 7 */
	    {.code = 0xb7, .dst_reg = 0, .imm = 1000},		  /* r0 = 1000 */
	    {.code = 0x3f, .dst_reg = 0, .src_reg = 2},		  /* r0 /= r2 */
	    {.code = 0x9f, .dst_reg = 0, .src_reg = 2, .off = 1}, /* r0 s%= r2 */
	    {.code = 0xb7, .dst_reg = 3, .imm = 3},		  /* r3 = 3 */
	    {.code = 0x2d, .dst_reg = 0, .src_reg = 3, .off = 1}, /* if r0 > r3 goto +1 */
	    {.code = 0xb7, .dst_reg = 0, .imm = 99},		  /* r0 = 99 */
	    {.code = 0x95},
	};
	uint8_t pkt[64] = {0};
	uint32_t stubs[2], len[2];
	uint64_t r0[2];

	for (int verified = 0; verified < 2; verified++) {
		EXOBPF_OPTS(exobpf_prog_opts, o, .type = BPF_PROG_TYPE_SOCKET_FILTER,
			    .license = "GPL", .flags = verified ? 0 : EXOBPF_PROG_NO_VERIFY);
		struct exobpf_prog *prog = exobpf_prog__new(p, sizeof(p) / sizeof(p[0]), &o);
		CHECK_MSG(prog, "%s", exobpf_errmsg());
		CHECK(exobpf_prog__is_jited(prog));
		stubs[verified] = jit_image_of(&prog->vm)->nstubs;
		/* the instructions' own code: the verified program is a leaf,
		 * with other code around it */
		const struct jit_image *img = jit_image_of(&prog->vm);
		len[verified] = img->insn_off[img->len] - img->insn_off[0];
		EXOBPF_OPTS(exobpf_run_opts, ro, .data_in = pkt, .data_size_in = sizeof(pkt),
			    .flags = verified ? 0 : EXOBPF_RUN_CHECKED);
		CHECK_EQ(exobpf_prog__run(prog, &ro), 0);
		r0[verified] = ro.retval;
		exobpf_prog__free(prog);
	}
	CHECK_EQ(r0[0], 99);
	CHECK_EQ(r0[1], r0[0]);
	CHECK_MSG(stubs[1] + 3 <= stubs[0], "stubs: verified %u, unverified %u", stubs[1],
		  stubs[0]);
	CHECK_MSG(len[1] < len[0], "code: verified %u, unverified %u bytes", len[1], len[0]);
}

TEST(jit_run_can_ask_for_the_interpreter)
{
	struct bpf_insn p[] = {{.code = 0xb7, .imm = 5}, {.code = 0x95}};
	struct exobpf_prog *prog = exobpf_prog__new(p, 2, NULL);

	CHECK(prog && exobpf_prog__is_jited(prog));
	EXOBPF_OPTS(exobpf_run_opts, ro, .flags = EXOBPF_RUN_INTERP);
	CHECK_EQ(exobpf_prog__run(prog, &ro), 0);
	CHECK_EQ(ro.retval, 5);
	exobpf_prog__free(prog);
}

/* ---- programs entered without the trampoline ---- */

/* Compile vp as the verifier would hand it over (facts present, none
 * proved), under configuration c. */
static int compile_verified(struct vm_prog *vp, unsigned c)
{
	struct jit_fact *none = calloc((size_t)vp->len + 1, sizeof(*none));
	struct jit_opts o = jt_configs[c];

	if (!none)
		return -ENOMEM;
	o.verifier_facts = none;
	int err = jit_compile(vp, &o);
	free(none);
	return err;
}

/* A verified program that calls nothing but has a stack (or names r3) is
 * entered directly: its prologue falls into instruction 0, each exit (and
 * each goto to an exit) undoes it. Results are the interpreter's and, by
 * hand, the expected sums; the image shows no trampoline call (the entry
 * code is in front of instruction 0 and tail calls come in through an
 * adapter after the stubs). */
TEST(jit_direct_programs_match_the_interpreter)
{
	static const struct {
		const char *text;
		uint64_t r0; /* with mem[0] = 1 */
	} progs[] = {
	    /* r6-r9 and the stack (five pushes, one frame), a goto to the exit */
	    {"r6 = 1\nr7 = 2\nr8 = 3\nr9 = 4\n*(u64 *)(r10 -8) = r6\n*(u64 *)(r10 -512) = r9\n"
	     "r0 = *(u64 *)(r10 -8)\nr2 = *(u64 *)(r10 -512)\nr0 += r2\nr0 += r7\nr0 += r8\n"
	     "r2 = *(u8 *)(r1 +0)\nif r2 == 1 goto +2\nr0 = 99\nexit\nr0 += 100\ngoto +1\n"
	     "r0 = 7\nexit\n",
	     110},
	    /* r6 and the stack: two pushes, so the frame pads to keep rsp aligned */
	    {"r6 = 7\n*(u32 *)(r10 -4) = r6\nr0 = *(u32 *)(r10 -4)\nr0 += r6\nexit\n", 14},
	    /* no stack, but r3 named: not a leaf */
	    {"r3 = 5\nr6 = r3\nr6 *= 3\nr0 = r6\nexit\n", 15},
	};
	static struct jt_outcome ref, got;
	uint8_t mem[16] = {1, 2, 3, 4};
	struct vm_prog a, b;
	char why[1024];

	for (unsigned c = 0; c < jt_nconfigs; c++) {
		for (unsigned p = 0; p < sizeof(progs) / sizeof(progs[0]); p++) {
			CHECK(!decode_patched(progs[p].text, &b, NULL, false));
			jt_run(&b, false, mem, sizeof(mem), &ref);
			CHECK_EQ(ref.r0, progs[p].r0);
			CHECK_MSG(!compile_verified(&b, c), "%s", exobpf_errmsg());
			const struct jit_image *img = jit_image_of(&b);
			CHECK(img);
			if (img)
				CHECK_MSG(img->entry_off < img->body_off &&
					      img->tcall_off > img->body_off,
					  "%s prog %u: entry %u body %u tail-call entry %u",
					  jt_config_names[c], p, img->entry_off, img->body_off,
					  img->tcall_off);
			for (int run = 0; run < 3; run++) { /* registers restored each time */
				jt_run(&b, true, mem, sizeof(mem), &got);
				CHECK_MSG(jt_same(&ref, &got, why, sizeof(why)), "%s prog %u: %s",
					  jt_config_names[c], p, why);
			}
			/* tail-called from a program with a trampoline, at depth 1:
			 * its exit is the calling frame's */
			CHECK(!decode_patched("call f\nr0 += 1000\nexit\n"
					      "f:\nr6 = 40\nr3 = 0\ncall 8\nr0 = 1\nexit\n",
					      &a, tail_table, true));
			tail_target = &b;
			tail_fault_at = 0;
			jt_run(&a, false, mem, sizeof(mem), &ref);
			CHECK_EQ(ref.r0, progs[p].r0 + 1000);
			CHECK_MSG(!jit_compile(&a, &jt_configs[c]), "%s", exobpf_errmsg());
			jt_run(&a, true, mem, sizeof(mem), &got);
			CHECK_MSG(jt_same(&ref, &got, why, sizeof(why)), "%s prog %u tail: %s",
				  jt_config_names[c], p, why);
			jit_release(&a);
			vm_prog_release(&a);
			jit_release(&b);
			vm_prog_release(&b);
		}
	}
}
