/* Callbacks (bpf_loop, for_each over arrays) in machine code: a
 * JIT-compiled program's callbacks run through its image's callback entry
 * (or its loop and for_each entries), and every run leaves what the
 * interpreter's leaves (r0, memory, fault, its pc and message). The
 * programs are unverified, so the entry's register zeroing and the fresh
 * frames are tested too; expected values are the interpreter's and, where
 * stated, worked out by hand. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exobpf/exobpf.h"
#include "jit/jit.h"
#include "test.h"
#include "test_jit_util.h"
#include "util.h"

/* Decode text, check that its machine code has a callback entry, and a
 * bpf_loop entry exactly when it calls bpf_loop by name, then run it in
 * both engines under every JIT configuration on mem. */
static int diff_cb(const char *text, const uint8_t *mem, uint32_t len, struct jt_outcome *ref,
		   char *why, size_t size)
{
	struct bpf_insn *insns;
	struct vm_prog vp;
	size_t cnt;
	int r = 1;

	if (exobpf_asm(text, "t", &insns, &cnt)) {
		snprintf(why, size, "asm: %s", exobpf_errmsg());
		return -1;
	}
	memset(&vp, 0, sizeof(vp));
	if (vm_prog_decode(&vp, insns, (uint32_t)cnt)) {
		snprintf(why, size, "decode: %s", exobpf_errmsg());
		free(insns);
		return -1;
	}
	free(insns);
	jt_run(&vp, false, mem, len, ref);
	for (unsigned c = 0; c < jt_nconfigs && r == 1; c++) {
		static struct jt_outcome got;
		if (jit_compile(&vp, &jt_configs[c])) {
			snprintf(why, size, "%s: compile: %s", jt_config_names[c], exobpf_errmsg());
			r = -1;
			break;
		}
		if (!vp.jited_cb || !jit_image_of(&vp)->cb_off) {
			snprintf(why, size, "%s: no callback entry", jt_config_names[c]);
			r = 0;
		} else if (!vp.jited_loop != !strstr(text, "call 181")) {
			snprintf(why, size, "%s: a bpf_loop entry %s", jt_config_names[c],
				 vp.jited_loop ? "without a call of bpf_loop" : "missing");
			r = 0;
		} else {
			jt_run(&vp, true, mem, len, &got);
			if (!jt_same(ref, &got, why, size))
				r = 0;
		}
		jit_release(&vp);
	}
	vm_prog_release(&vp);
	return r;
}

#define CHECK_CB(text, mem, len, ref)                                              \
	do {                                                                       \
		char why_[1024];                                                   \
		int r_ = diff_cb((text), (mem), (len), (ref), why_, sizeof(why_)); \
		CHECK_MSG(r_ == 1, "%s", why_);                                    \
	} while (0)

/* bpf_loop(10, cb, &slot, 0), the callback folding its index into the
 * caller's slot and stopping at index 7 (so 8 runs). */
static const char sum_prog[] = "r6 = r1\n"
			       "r1 = 0\n"
			       "*(u64 *)(r10 -8) = r1\n"
			       "r1 = 10\n"
			       "r2 = func[cb]\n"
			       "r3 = r10\n"
			       "r3 += -8\n"
			       "r4 = 0\n"
			       "call 181\n"
			       "r7 = *(u64 *)(r10 -8)\n"
			       "*(u64 *)(r6 +0) = r7\n"
			       "r0 <<= 32\n"
			       "r0 |= r7\n"
			       "exit\n"
			       "cb:\n"
			       "r3 = *(u64 *)(r2 +0)\n"
			       "r3 += r1\n"
			       "r3 *= 3\n"
			       "*(u64 *)(r2 +0) = r3\n"
			       "*(u64 *)(r10 -8) = r1\n" /* its own frame, not the caller's */
			       "r0 = 0\n"
			       "if r1 != 7 goto +1\n"
			       "r0 = 1\n"
			       "exit\n";

TEST(jit_callback_runs_in_machine_code_as_interpreted)
{
	static struct jt_outcome ref;
	uint8_t mem[8] = {0};
	uint64_t s = 0, v;

	for (uint64_t i = 0; i < 8; i++)
		s = (s + i) * 3;
	CHECK_CB(sum_prog, mem, sizeof(mem), &ref);
	CHECK_EQ(ref.fault, VM_OK);
	CHECK_EQ(ref.r0, 8ull << 32 | (s & 0xffffffff)); /* bpf_loop says 8 runs */
	memcpy(&v, ref.mem, sizeof(v));
	CHECK_EQ(v, s);
}

TEST(jit_callback_runs_one_by_one_through_callx_of_bpf_loop)
{
	static struct jt_outcome ref, by_name;
	char text[sizeof(sum_prog) + 16], *call;
	uint8_t mem[8] = {0};

	/* bpf_loop by id through callx: no bpf_loop entry, each run of the
	 * callback goes through the callback entry */
	snprintf(text, sizeof(text), "%s", sum_prog);
	call = strstr(text, "call 181\n");
	CHECK(call != NULL);
	if (!call)
		return;
	memcpy(call, "callx r5", 8);
	char full[sizeof(text) + 16];
	snprintf(full, sizeof(full), "r5 = 181\n%s", text);
	CHECK_CB(full, mem, sizeof(mem), &ref);
	CHECK_CB(sum_prog, mem, sizeof(mem), &by_name);
	CHECK_EQ(ref.fault, VM_OK);
	CHECK_EQ(ref.r0, by_name.r0);
	CHECK(!memcmp(ref.mem, by_name.mem, sizeof(mem)));
}

TEST(jit_callback_faults_end_the_run_as_interpreted)
{
	static struct jt_outcome ref;

	/* a callx to no function in the third run: the message names the
	 * callback's instruction, the fault's pc the call of bpf_loop, and the
	 * caller's code after the helper never runs (r0 would be 99) */
	CHECK_CB("r1 = 5\nr2 = func[cb]\nr3 = 0\nr4 = 0\ncall 181\nr0 = 99\nexit\n"
		 "cb:\nif r1 != 2 goto +2\nr2 = 32767\ncallx r2\nr0 = 0\nexit\n",
		 NULL, 0, &ref);
	CHECK_EQ(ref.fault, VM_FAULT_CALLX);
	CHECK_EQ(ref.fault_pc, 5);
	CHECK_CONTAINS(ref.msg, "insn 10: callx to 0x7fff,");
	CHECK_EQ(ref.r0, 0);
	/* falling off the end inside the callback */
	CHECK_CB("r1 = 1\nr2 = func[cb]\nr3 = 0\nr4 = 0\ncall 181\nr0 = 99\nexit\ncb:\nr0 = 1\n",
		 NULL, 0, &ref);
	CHECK_EQ(ref.fault, VM_FAULT_FALLOFF);
	/* bpf_loop's own refusal (flags != 0) calls nothing: not a fault */
	CHECK_CB("r1 = 1\nr2 = func[cb]\nr3 = 0\nr4 = 1\ncall 181\nexit\ncb:\nr0 = 1\nexit\n", NULL,
		 0, &ref);
	CHECK_EQ(ref.fault, VM_OK);
	CHECK_EQ((int64_t)ref.r0, -22);
}

TEST(jit_callback_has_eight_frames_of_its_own)
{
	static struct jt_outcome ref;

	/* The main program is 6 calls deep when it calls bpf_loop; the callback
	 * still has 8 frames: 7 nested calls fit, the 8th faults there. */
	const char *prog = "call a\nexit\na:\ncall b\nexit\nb:\ncall c\nexit\nc:\ncall d\nexit\n"
			   "d:\ncall e\nexit\ne:\n"
			   "r1 = 1\nr2 = func[cb]\nr3 = 0\nr4 = 0\ncall 181\nr0 += 1000\nexit\n"
			   "cb:\nr6 = %d\ncall n\nexit\n"
			   "n:\nr0 = 0\nif r6 == 0 goto +3\nr6 -= 1\ncall n\nr0 += 1\nexit\n";
	char text[1024];

	snprintf(text, sizeof(text), prog, 6);
	CHECK_CB(text, NULL, 0, &ref);
	CHECK_EQ(ref.fault, VM_OK);
	CHECK_EQ(ref.r0, 1001); /* n returns 6 (nonzero: the loop stops after one run) */
	snprintf(text, sizeof(text), prog, 7);
	CHECK_CB(text, NULL, 0, &ref);
	CHECK_EQ(ref.fault, VM_FAULT_DEPTH);
	CHECK_CONTAINS(ref.msg, "more than 8 call frames");
}

TEST(jit_callback_registers_as_interpreted)
{
	static struct jt_outcome ref;
	uint8_t mem[40] = {0};
	uint64_t v[5];

	/* An unverified callback reads r0 and r6-r9 before writing them: both
	 * engines start them at 0. The caller's r6-r9 survive the helper. */
	CHECK_CB("r6 = 6\nr7 = 7\nr8 = 8\nr9 = r1\nr1 = 1\nr2 = func[cb]\nr3 = r9\nr4 = 0\n"
		 "call 181\nr0 = r6\nr0 += r7\nr0 += r8\n*(u64 *)(r9 +32) = r0\nexit\n"
		 "cb:\n*(u64 *)(r2 +0) = r0\n*(u64 *)(r2 +8) = r6\n*(u64 *)(r2 +16) = r7\n"
		 "*(u64 *)(r2 +24) = r9\nr6 = 60\nr7 = 70\nr0 = 0\nexit\n",
		 mem, sizeof(mem), &ref);
	CHECK_EQ(ref.fault, VM_OK);
	memcpy(v, ref.mem, sizeof(v));
	CHECK_EQ(v[0], 0);
	CHECK_EQ(v[1], 0);
	CHECK_EQ(v[2], 0);
	CHECK_EQ(v[3], 0);
	CHECK_EQ(v[4], 21);
}

TEST(jit_callback_nests_bpf_loop)
{
	static struct jt_outcome ref;
	uint8_t mem[8] = {0};
	uint64_t v;

	/* 3 outer runs, each with 4 inner runs adding outer * 10 + inner */
	CHECK_CB("r3 = r1\nr1 = 3\nr2 = func[outer]\nr4 = 0\ncall 181\nexit\n"
		 "outer:\n*(u64 *)(r10 -8) = r1\n*(u64 *)(r10 -16) = r2\n"
		 "r1 = 4\nr2 = func[inner]\nr3 = r10\nr3 += -16\nr4 = 0\ncall 181\n"
		 "r0 = 0\nexit\n"
		 "inner:\nr4 = *(u64 *)(r2 +8)\nr4 *= 10\nr4 += r1\nr5 = *(u64 *)(r2 +0)\n"
		 "r3 = *(u64 *)(r5 +0)\nr3 += r4\n*(u64 *)(r5 +0) = r3\nr0 = 0\nexit\n",
		 mem, sizeof(mem), &ref);
	CHECK_EQ(ref.fault, VM_OK);
	CHECK_EQ(ref.r0, 3);
	memcpy(&v, ref.mem, sizeof(v));
	CHECK_EQ(v, 4 * (0 + 10 + 20) + 3 * (0 + 1 + 2 + 3)); /* 138 */
}

TEST(jit_callback_ld_abs_end_is_one_runs_end)
{
	static struct jt_outcome ref;
	uint8_t mem[8] = {0};

	/* An LD_ABS out of range ends the program, here the callback's run,
	 * with r0 = 0: bpf_loop goes on, 3 runs, each counted in mem[0]. The
	 * machine code's loop entry once stopped the loop there. */
	CHECK_CB("r3 = r1\nr1 = 3\nr2 = func[cb]\nr4 = 0\ncall 181\nexit\n"
		 "cb:\nr3 = *(u8 *)(r2 +0)\nr3 += 1\n*(u8 *)(r2 +0) = r3\n"
		 "r0 = *(u8 *)skb[1000]\nr0 = 7\nexit\n",
		 mem, sizeof(mem), &ref);
	CHECK_EQ(ref.fault, VM_OK);
	CHECK_EQ(ref.r0, 3);
	CHECK_EQ(ref.mem[0], 3);
}

TEST(jit_callback_at_a_moved_function_address)
{
	static struct jt_outcome ref;

	/* An unverified program may move a function's address before bpf_loop
	 * calls it back (the verifier refuses that). Here the callback starts
	 * one instruction into cb (a decoded instruction is 16 bytes), at
	 * "r0 += 41", which the JIT would merge with the move before it:
	 * every run stores 0 + 41. */
	CHECK_CB("r1 = 2\nr2 = func[cb]\nr2 += 16\nr3 = r10\nr3 += -8\nr4 = 0\n"
		 "*(u64 *)(r10 -8) = 0\ncall 181\nr0 = *(u64 *)(r10 -8)\nexit\n"
		 "cb:\nr0 = r1\nr0 += 41\n*(u64 *)(r2 +0) = r0\nr0 = 0\nexit\n",
		 NULL, 0, &ref);
	CHECK_EQ(ref.fault, VM_OK);
	CHECK_EQ(ref.r0, 41);
}

TEST(jit_callbacks_nest_at_most_seven_deep)
{
	static struct jt_outcome ref;

	/* A callback calling bpf_loop on itself: without a limit both engines
	 * recursed until the host's stack overflowed. The limit is Linux's
	 * frame count (the main program and 7 callbacks). */
	CHECK_CB("r1 = 1\nr2 = func[cb]\nr3 = 0\nr4 = 0\ncall 181\nexit\n"
		 "cb:\nr3 = r2\nr3 += 1\nr1 = 1\nr2 = func[cb]\nr4 = 0\ncall 181\nr0 = 0\nexit\n",
		 NULL, 0, &ref);
	CHECK_EQ(ref.fault, VM_FAULT_DEPTH);
	CHECK_CONTAINS(ref.msg, "callbacks nested more than 7 deep");
}

/* ---- for_each over arrays: the JIT's for_each entry ---- */

struct each_model {
	uint64_t vals[16];
	uint32_t small[3];
};

/* tests/progs/each_array.bpf.c's each_sum in C: r0, and ctx->out in *out. */
static long model_each_sum(struct each_model *m, uint64_t stop, uint64_t *out)
{
	uint64_t sum = 0, seen = 0;
	long n = 0;

	for (uint32_t i = 0; i < 16; i++) {
		m->vals[i] += i + stop;
		sum = sum * 31 + m->vals[i] + i;
		seen++;
		n++;
		if (i == stop)
			break;
	}
	*out = sum ^ (uint64_t)n << 48 ^ seen << 56;
	return n;
}

/* ... and each_nested. */
static long model_each_nested(struct each_model *m, uint64_t b, uint64_t *out)
{
	uint64_t acc = b;
	long n = 0;

	for (uint32_t i = 0; i < 16; i++) {
		uint64_t in = i;
		for (uint32_t j = 0; j < 3; j++)
			in = in * 7 + j + m->small[j]++;
		acc = acc * 131 + in + i * 1000 + 3;
		n++;
		if (i >= 5)
			break;
	}
	*out = acc;
	return n;
}

/* Each call of the two programs, in order, in one engine, against the
 * model (the maps carry over from call to call). */
static bool each_sequence(bool interp, char *why, size_t size)
{
	static const uint64_t stops[] = {3, 0, 15, 99, 7, ~0ull, 15};
	struct exobpf_object *obj =
	    exobpf_object__open_file(test_build_path("progs/each_array.bpf.o"), NULL);
	struct each_model m;
	bool ok = true;

	memset(&m, 0, sizeof(m));
	if (!obj || exobpf_object__load(obj)) {
		snprintf(why, size, "each_array.bpf.o: %s", exobpf_errmsg());
		exobpf_object__close(obj);
		return false;
	}
	for (unsigned k = 0; ok && k < 2 * sizeof(stops) / sizeof(stops[0]); k++) {
		bool nested = k & 1;
		uint64_t arg = stops[k / 2], args[3] = {arg, arg * 3 + 1, 0}, out[3] = {0}, want;
		long n = nested ? model_each_nested(&m, args[1], &want)
				: model_each_sum(&m, args[0], &want);
		struct exobpf_program *p =
		    exobpf_object__find_program_by_name(obj, nested ? "each_nested" : "each_sum");
		EXOBPF_OPTS(exobpf_run_opts, o, .ctx_in = args, .ctx_size_in = sizeof(args),
			    .ctx_out = out, .ctx_size_out = sizeof(out),
			    .flags = interp ? EXOBPF_RUN_INTERP : 0);

		if (!p || exobpf_prog__run(exobpf_program__prog(p), &o)) {
			snprintf(why, size, "run %u: %s", k, exobpf_errmsg());
			ok = false;
		} else if ((int32_t)o.retval != n || out[2] != want) {
			snprintf(why, size,
				 "%s run %u (%s, %llu): r0 %d out 0x%llx, the model's %ld 0x%llx",
				 interp ? "interpreter" : "JIT", k, nested ? "nested" : "sum",
				 (unsigned long long)arg, (int32_t)o.retval,
				 (unsigned long long)out[2], n, (unsigned long long)want);
			ok = false;
		}
	}
	if (ok && !interp) { /* and it was the for_each entry that walked them */
		char *text = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&text, &len);
		struct exobpf_program *p = exobpf_object__find_program_by_name(obj, "each_sum");

		exobpf_prog__dump_jited(exobpf_program__prog(p), f, 0);
		fclose(f);
		if (!text || !strstr(text, "; for_each entry (arrays)")) {
			snprintf(why, size, "each_sum's machine code has no for_each entry");
			ok = false;
		}
		free(text);
	}
	exobpf_object__close(obj);
	return ok;
}

TEST(jit_for_each_walks_arrays_in_machine_code)
{
	char why[512];

	CHECK_MSG(each_sequence(false, why, sizeof(why)), "%s", why);
	CHECK_MSG(each_sequence(true, why, sizeof(why)), "%s", why);
}
