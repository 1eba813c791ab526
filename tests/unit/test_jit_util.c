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

int jt_differential(const struct bpf_insn *insns, size_t cnt, const uint8_t *mem, uint32_t len,
		    char *why, size_t size)
{
	struct vm_prog vp;
	static struct jt_outcome ref, got; /* large: keep them off the stack */

	memset(&vp, 0, sizeof(vp));
	if (vm_prog_decode(&vp, insns, (uint32_t)cnt)) {
		snprintf(why, size, "decode: %s", exobpf_errmsg());
		return -1;
	}
	jt_run(&vp, false, mem, len, &ref);
	for (unsigned c = 0; c < jt_nconfigs; c++) {
		if (jit_compile(&vp, &jt_configs[c])) {
			snprintf(why, size, "%s JIT: %s", jt_config_names[c], exobpf_errmsg());
			vm_prog_release(&vp);
			return -1;
		}
		jt_run(&vp, true, mem, len, &got);
		jit_release(&vp);
		char diff[512];
		if (!jt_same(&ref, &got, diff, sizeof(diff))) {
			snprintf(why, size, "%s JIT differs from the interpreter: %s",
				 jt_config_names[c], diff);
			vm_prog_release(&vp);
			return 0;
		}
	}
	vm_prog_release(&vp);
	return 1;
}
