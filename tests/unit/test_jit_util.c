/* Differential running for JIT tests (see test_jit_util.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "exobpf/exobpf.h"
#include "test_jit_util.h"

/* Default; without BMI2 (cl shifts); without any fact (every check kept);
 * with constant blinding. */
const struct jit_opts jt_configs[] = {
    {0},
    {.no_bmi2 = true},
    {.no_facts = true},
    {.blind = true, .blind_seed = 0x5eed},
};
const char *const jt_config_names[] = {"default", "no-bmi2", "no-facts", "blinded"};
const unsigned jt_nconfigs = sizeof(jt_configs) / sizeof(jt_configs[0]);

/* Both engines run on this buffer, so pointers into it that a program
 * stores or returns are the same in both runs. */
static uint8_t work[JT_MEM_MAX] __attribute__((aligned(64)));

void jt_run(struct vm_prog *vp, bool jit, const uint8_t *mem, uint32_t len, struct jt_outcome *o)
{
	struct vm_run run;

	memset(o, 0, sizeof(*o));
	if (len > JT_MEM_MAX)
		len = JT_MEM_MAX;
	if (len)
		memcpy(work, mem, len);
	memset(&run, 0, sizeof(run));
	run.prog = vp;
	run.pkt = len ? work : NULL;
	run.pkt_len = len;
	run.interp = !jit; /* callbacks and tail-called programs too */
	o->r0 = vm_run(&run, (uintptr_t)(len ? work : NULL), len);
	memcpy(o->mem, work, len);
	o->mem_len = len;
	o->fault = run.fault;
	o->fault_pc = run.fault_pc;
	o->tail_calls = run.tail_calls;
	snprintf(o->msg, sizeof(o->msg), "%s", run.fault_msg);
}

bool jt_same(const struct jt_outcome *a, const struct jt_outcome *b, char *why, size_t size)
{
	if (a->r0 != b->r0 || a->fault != b->fault || a->fault_pc != b->fault_pc ||
	    a->tail_calls != b->tail_calls || strcmp(a->msg, b->msg)) {
		snprintf(why, size,
			 "r0 0x%llx vs 0x%llx, fault %d vs %d, pc %u vs %u, tail calls %u vs %u, "
			 "\"%s\" vs \"%s\"",
			 (unsigned long long)a->r0, (unsigned long long)b->r0, a->fault, b->fault,
			 a->fault_pc, b->fault_pc, a->tail_calls, b->tail_calls, a->msg, b->msg);
		return false;
	}
	for (uint32_t i = 0; i < a->mem_len; i++) {
		if (a->mem[i] != b->mem[i]) {
			snprintf(why, size, "memory differs at byte %u: 0x%02x vs 0x%02x", i,
				 a->mem[i], b->mem[i]);
			return false;
		}
	}
	return true;
}

/* The tail-call table of jt_differential_tail: index 0 is the second
 * program, 1 the first, anything else nothing. */
static const struct vm_prog *tail_progs[2];

static uint64_t tail_table(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
			   struct vm_run *run)
{
	(void)r1, (void)r2, (void)r4, (void)r5, (void)run;
	return r3 < 2 ? (uint64_t)(uintptr_t)tail_progs[r3 == 0] : 0;
}

static int decode(struct vm_prog *vp, const struct bpf_insn *insns, size_t cnt, bool tail,
		  char *why, size_t size)
{
	memset(vp, 0, sizeof(*vp));
	if (vm_prog_decode(vp, insns, (uint32_t)cnt)) {
		snprintf(why, size, "decode: %s", exobpf_errmsg());
		return -1;
	}
	for (uint32_t i = 0; tail && i < vp->len; i++)
		if (vp->code[i].op == VM_OP_TAIL_CALL)
			vp->code[i].imm = (int64_t)(uintptr_t)tail_table;
	return 0;
}

/* Run a (tail-calling b) under configuration c, b compiled unless
 * b_interp; 1 same as ref, 0 not, -1 no compile. */
static int compare_config(struct vm_prog *a, struct vm_prog *b, unsigned c, bool b_interp,
			  const uint8_t *mem, uint32_t len, const struct jt_outcome *ref, char *why,
			  size_t size)
{
	static struct jt_outcome got;
	char diff[512];
	int r = 1;

	if (jit_compile(a, &jt_configs[c]) || (b && !b_interp && jit_compile(b, &jt_configs[c]))) {
		snprintf(why, size, "%s JIT: %s", jt_config_names[c], exobpf_errmsg());
		r = -1;
	} else {
		jt_run(a, true, mem, len, &got);
		if (!jt_same(ref, &got, diff, sizeof(diff))) {
			snprintf(why, size, "%s JIT%s differs from the interpreter: %s",
				 jt_config_names[c], b_interp ? " (tail target interpreted)" : "",
				 diff);
			r = 0;
		}
	}
	jit_release(a);
	if (b)
		jit_release(b);
	return r;
}

static struct jt_outcome ref; /* the last reference run (large: off the stack) */

const struct jt_outcome *jt_last_reference(void)
{
	return &ref;
}

int jt_differential_tail(const struct bpf_insn *insns, size_t cnt, const struct bpf_insn *tinsns,
			 size_t tcnt, const uint8_t *mem, uint32_t len, char *why, size_t size)
{
	struct vm_prog a, b;
	bool tail = tinsns != NULL;
	int r = 1;

	if (decode(&a, insns, cnt, tail, why, size))
		return -1;
	if (tail && decode(&b, tinsns, tcnt, tail, why, size)) {
		vm_prog_release(&a);
		return -1;
	}
	tail_progs[0] = &a;
	tail_progs[1] = tail ? &b : NULL;
	jt_run(&a, false, mem, len, &ref);
	for (unsigned c = 0; c < jt_nconfigs && r == 1; c++)
		r = compare_config(&a, tail ? &b : NULL, c, false, mem, len, &ref, why, size);
	if (r == 1 && tail)
		r = compare_config(&a, &b, 0, true, mem, len, &ref, why, size);
	vm_prog_release(&a);
	if (tail)
		vm_prog_release(&b);
	tail_progs[0] = tail_progs[1] = NULL;
	return r;
}

int jt_differential(const struct bpf_insn *insns, size_t cnt, const uint8_t *mem, uint32_t len,
		    char *why, size_t size)
{
	return jt_differential_tail(insns, cnt, NULL, 0, mem, len, why, size);
}
