/* Decoding programs for execution, checked-mode regions, faults. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/err.h"
#include "helpers/helpers.h"
#include "vm/vm.h"

bool vm_add_region(struct vm_run *run, const void *start, uint64_t len, bool writable)
{
	if (run->nregions == VM_MAX_REGIONS)
		return false;
	run->regions[run->nregions++] =
		(struct vm_region){.start = (uintptr_t)start, .len = len, .writable = writable};
	return true;
}

static bool inside(uintptr_t addr, uint64_t size, uintptr_t start, uint64_t len)
{
	return addr >= start && size <= len && addr - start <= len - size;
}

bool vm_mem_ok(const struct vm_run *run, uintptr_t addr, uint64_t size, bool write)
{
	if (!run->checked)
		return true;
	if (inside(addr, size, run->stack_lo, run->stack_hi - run->stack_lo))
		return true;
	for (unsigned i = 0; i < run->nregions; i++) {
		const struct vm_region *r = &run->regions[i];

		if (inside(addr, size, r->start, r->len))
			return !write || r->writable;
	}
	return false;
}

uint64_t vm_fail(struct vm_run *run, enum vm_fault fault, const char *fmt, ...)
{
	va_list ap;

	if (run->fault)
		return 0;
	run->fault = fault;
	va_start(ap, fmt);
	vsnprintf(run->fault_msg, sizeof(run->fault_msg), fmt, ap);
	va_end(ap);
	return 0;
}

const char *vm_fault_name(enum vm_fault fault)
{
	static const char *const names[] = {
		[VM_OK] = "ok",
		[VM_FAULT_MEM] = "invalid memory access",
		[VM_FAULT_ALIGN] = "misaligned atomic access",
		[VM_FAULT_BUDGET] = "instruction budget exhausted",
		[VM_FAULT_DEPTH] = "call depth exceeded",
		[VM_FAULT_HELPER] = "unknown helper",
		[VM_FAULT_UNINIT] = "uninitialized register",
		[VM_FAULT_FALLOFF] = "fell off the end of the program",
		[VM_FAULT_CALLX] = "invalid callx target",
		[VM_FAULT_UNSUPPORTED] = "unsupported instruction",
		[VM_FAULT_HELPER_ARG] = "invalid helper argument",
	};
	return (unsigned)fault < sizeof(names) / sizeof(names[0]) ? names[fault] : "fault";
}

uint64_t vm_fail_at(struct vm_run *run, enum vm_fault fault, const struct vm_insn *pc,
		    uint64_t value)
{
	unsigned idx = vm_pc_index(run, pc);

	switch (fault) {
	case VM_FAULT_FALLOFF:
		return vm_fail(run, fault, "insn %u: ran past the last instruction", idx);
	case VM_FAULT_DEPTH:
		return vm_fail(run, fault, "insn %u: more than %d call frames", idx, VM_MAX_FRAMES);
	case VM_FAULT_CALLX:
		return vm_fail(run, fault,
			       "insn %u: callx to 0x%llx, which is neither a helper id nor a "
			       "function of the program",
			       idx, (unsigned long long)value);
	case VM_FAULT_UNSUPPORTED:
		return vm_fail(run, fault, "insn %u: kernel function calls are not supported", idx);
	default:
		return vm_fail(run, fault, "insn %u: %s", idx, vm_fault_name(fault));
	}
}

static bool is_jump(const struct isa_row *row)
{
	return row->shape == ISA_SHAPE_JA || row->shape == ISA_SHAPE_JA32 ||
	       row->shape == ISA_SHAPE_JMP_K || row->shape == ISA_SHAPE_JMP_X ||
	       row->shape == ISA_SHAPE_CALL_LOCAL ||
	       (row->shape == ISA_SHAPE_LDDW);
}

static int64_t jump_rel(const struct bpf_insn *insn, const struct isa_row *row)
{
	return row->shape == ISA_SHAPE_JA || row->shape == ISA_SHAPE_JMP_K ||
			       row->shape == ISA_SHAPE_JMP_X
		       ? insn->off
		       : insn->imm;
}

int vm_prog_decode(struct vm_prog *prog, const struct bpf_insn *insns, uint32_t cnt)
{
	struct vm_insn *code = calloc((size_t)cnt + 1, sizeof(*code));
	enum isa_fault fault;
	char why[128];

	if (!code)
		return exo_err(ENOMEM, "out of memory decoding %u instructions", cnt);
	for (uint32_t i = 0; i < cnt; i++) {
		const struct bpf_insn *insn = &insns[i];
		int op = isa_decode(insns, cnt, i, &fault);

		if (op < 0) {
			isa_fault_text(insn, fault, why, sizeof(why));
			free(code);
			return exo_err(EINVAL, "insn %u: %s", i, why);
		}
		code[i] = (struct vm_insn){.op = (uint16_t)op,
					   .dst = insn->dst_reg,
					   .src = insn->src_reg,
					   .off = insn->off,
					   .imm = insn->imm};
		if (op == ISA_CALL) {
			const struct helper *h = helper_by_id(insn->imm);

			if (!h) {
				const char *name = helper_linux_name(insn->imm);
				free(code);
				return exo_err(EINVAL, "insn %u: call to %s#%d, which exobpf does not implement",
					       i, name ? name : "unknown", insn->imm);
			}
			if (insn->imm == BPF_FUNC_tail_call)
				code[i].op = VM_OP_TAIL_CALL;
			code[i].imm = (int64_t)(uintptr_t)h->fn;
		} else if (op == ISA_LDDW) {
			code[i].imm = (int64_t)isa_imm64(insn);
			code[i + 1].op = VM_OP_LDDW_HI;
			switch (insn->src_reg) {
			case 0:
			case BPF_PSEUDO_MAP_FD: /* resolved to a map pointer by the loader */
			case BPF_PSEUDO_MAP_VALUE:
				break;
			case BPF_PSEUDO_FUNC:
				break; /* address filled in below, once targets are checked */
			default:
				free(code);
				return exo_err(EINVAL, "insn %u: unresolved lddw pseudo source %u", i,
					       insn->src_reg);
			}
			i++;
		}
	}
	/* Every jump lands on an instruction (not past the end, not on lddw's
	 * second half), so the engines need no bounds checks on control flow. */
	for (uint32_t i = 0; i < cnt; i++) {
		if (code[i].op >= ISA_NR_OPS)
			continue;
		const struct isa_row *row = &isa_rows[code[i].op];
		if (!is_jump(row) || (row->shape == ISA_SHAPE_LDDW && insns[i].src_reg != BPF_PSEUDO_FUNC))
			continue;
		int64_t target = (int64_t)i + 1 + jump_rel(&insns[i], row);
		if (target < 0 || target >= cnt || code[target].op == VM_OP_LDDW_HI) {
			free(code);
			return exo_err(EINVAL, "insn %u: jump to %lld is outside the program (%u insns)", i,
				       (long long)target, cnt);
		}
		if (row->shape == ISA_SHAPE_LDDW)
			code[i].imm = (int64_t)(uintptr_t)&code[target];
	}
	code[cnt].op = VM_OP_FALLOFF;
	prog->code = code;
	prog->len = cnt;
	return 0;
}

void vm_prog_release(struct vm_prog *prog)
{
	free(prog->code);
	prog->code = NULL;
	prog->len = 0;
}
