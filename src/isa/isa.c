/* Decoding and validating instructions against the one opcode table. */
#include <stdio.h>
#include <string.h>

#include "isa/isa.h"

const struct isa_row isa_rows[ISA_NR_OPS] = {
#define OP(nm, cd, ky, kv, sh, lx, ub)                                                             \
	[ISA_##nm] = {.code = cd,                                                                  \
		      .key = ISA_KEY_##ky,                                                         \
		      .shape = ISA_SHAPE_##sh,                                                     \
		      .keyval = kv,                                                                \
		      .name = #nm,                                                                 \
		      .lxword = lx,                                                                 \
		      .ubpf = ub},
#include "isa/opcodes.def"
#undef OP
};

const uint8_t isa_shape_fields[] = {
	[ISA_SHAPE_ALU_K] = ISA_F_DST | ISA_F_IMM,
	[ISA_SHAPE_ALU_X] = ISA_F_DST | ISA_F_SRC,
	[ISA_SHAPE_NEG] = ISA_F_DST,
	[ISA_SHAPE_MOVSX] = ISA_F_DST | ISA_F_SRC,
	[ISA_SHAPE_END] = ISA_F_DST,
	[ISA_SHAPE_JA] = ISA_F_OFF,
	[ISA_SHAPE_JA32] = ISA_F_IMM,
	[ISA_SHAPE_JMP_K] = ISA_F_DST | ISA_F_OFF | ISA_F_IMM,
	[ISA_SHAPE_JMP_X] = ISA_F_DST | ISA_F_SRC | ISA_F_OFF,
	[ISA_SHAPE_CALL] = ISA_F_IMM,
	[ISA_SHAPE_CALL_LOCAL] = ISA_F_IMM,
	[ISA_SHAPE_CALL_KFUNC] = ISA_F_IMM | ISA_F_OFF,
	[ISA_SHAPE_CALLX] = ISA_F_DST,
	[ISA_SHAPE_EXIT] = 0,
	[ISA_SHAPE_LDDW] = ISA_F_DST | ISA_F_SRC | ISA_F_IMM,
	[ISA_SHAPE_LDABS] = ISA_F_IMM,
	[ISA_SHAPE_LDIND] = ISA_F_SRC | ISA_F_IMM,
	[ISA_SHAPE_LDX] = ISA_F_DST | ISA_F_SRC | ISA_F_OFF,
	[ISA_SHAPE_ST] = ISA_F_DST | ISA_F_OFF | ISA_F_IMM,
	[ISA_SHAPE_STX] = ISA_F_DST | ISA_F_SRC | ISA_F_OFF,
	[ISA_SHAPE_ATOMIC] = ISA_F_DST | ISA_F_SRC | ISA_F_OFF,
};

/* Rows sharing an opcode byte are adjacent after sorting by code; index[code]
 * gives the first and how many. Built once, read-only afterwards. */
static struct {
	uint8_t first, count;
} index_by_code[256];
static uint8_t rows_by_code[ISA_NR_OPS];

__attribute__((constructor)) static void isa_build_index(void)
{
	unsigned n = 0;

	for (unsigned code = 0; code < 256; code++) {
		index_by_code[code].first = (uint8_t)n;
		for (unsigned op = 0; op < ISA_NR_OPS; op++)
			if (isa_rows[op].code == code)
				rows_by_code[n++] = (uint8_t)op;
		index_by_code[code].count = (uint8_t)(n - index_by_code[code].first);
	}
}

static int32_t key_value(const struct bpf_insn *insn, unsigned key)
{
	switch (key) {
	case ISA_KEY_OFF:
		return insn->off;
	case ISA_KEY_IMM:
		return insn->imm;
	case ISA_KEY_SRC:
		return insn->src_reg;
	}
	return 0;
}

static enum isa_fault key_fault(unsigned key)
{
	switch (key) {
	case ISA_KEY_OFF:
		return ISA_E_OFF;
	case ISA_KEY_IMM:
		return ISA_E_IMM;
	case ISA_KEY_SRC:
		return ISA_E_SRC;
	}
	return ISA_E_OPCODE;
}

int isa_decode(const struct bpf_insn *insns, size_t cnt, size_t idx, enum isa_fault *fault)
{
	const struct bpf_insn *insn = &insns[idx];
	unsigned first = index_by_code[insn->code].first;
	unsigned count = index_by_code[insn->code].count;
	int op = -1;

	*fault = ISA_OK;
	if (count == 0) {
		*fault = ISA_E_OPCODE;
		return -1;
	}
	for (unsigned i = 0; i < count; i++) {
		const struct isa_row *row = &isa_rows[rows_by_code[first + i]];

		if (row->key == ISA_KEY_NONE || key_value(insn, row->key) == row->keyval) {
			op = rows_by_code[first + i];
			break;
		}
	}
	if (op < 0) {
		*fault = key_fault(isa_rows[rows_by_code[first]].key);
		return -1;
	}

	const struct isa_row *row = &isa_rows[op];
	unsigned used = isa_shape_fields[row->shape];

	if (!(used & ISA_F_DST) && insn->dst_reg)
		*fault = ISA_E_DST;
	else if (!(used & ISA_F_SRC) && row->key != ISA_KEY_SRC && insn->src_reg)
		*fault = ISA_E_SRC;
	else if (!(used & ISA_F_OFF) && row->key != ISA_KEY_OFF && insn->off)
		*fault = ISA_E_OFF;
	else if (!(used & ISA_F_IMM) && row->key != ISA_KEY_IMM && insn->imm)
		*fault = ISA_E_IMM;
	else if (insn->dst_reg > 10 || (row->shape != ISA_SHAPE_LDDW && insn->src_reg > 10))
		*fault = ISA_E_REG;
	else if (row->shape == ISA_SHAPE_LDDW) {
		if (insn->src_reg > BPF_PSEUDO_MAP_IDX_VALUE)
			*fault = ISA_E_SRC;
		else if (idx + 1 >= cnt)
			*fault = ISA_E_LDDW_TRUNC;
		else if (insns[idx + 1].code || insns[idx + 1].dst_reg || insns[idx + 1].src_reg ||
			 insns[idx + 1].off)
			*fault = ISA_E_LDDW_SECOND;
	}
	return *fault == ISA_OK ? op : -1;
}

void isa_fault_text(const struct bpf_insn *insn, enum isa_fault fault, char *buf, size_t size)
{
	switch (fault) {
	case ISA_OK:
		snprintf(buf, size, "valid");
		break;
	case ISA_E_OPCODE:
		snprintf(buf, size, "unknown opcode 0x%02x", insn->code);
		break;
	case ISA_E_DST:
		snprintf(buf, size, "opcode 0x%02x: dst_reg must be 0 (is %u)", insn->code,
			 insn->dst_reg);
		break;
	case ISA_E_SRC:
		snprintf(buf, size, "opcode 0x%02x: invalid src_reg %u", insn->code, insn->src_reg);
		break;
	case ISA_E_OFF:
		snprintf(buf, size, "opcode 0x%02x: invalid off %d", insn->code, insn->off);
		break;
	case ISA_E_IMM:
		snprintf(buf, size, "opcode 0x%02x: invalid imm %d", insn->code, insn->imm);
		break;
	case ISA_E_REG:
		snprintf(buf, size, "opcode 0x%02x: register r%u does not exist",
			 insn->code, insn->dst_reg > 10 ? insn->dst_reg : insn->src_reg);
		break;
	case ISA_E_LDDW_TRUNC:
		snprintf(buf, size, "lddw needs a second slot but the program ends");
		break;
	case ISA_E_LDDW_SECOND:
		snprintf(buf, size, "lddw's second slot must hold only the high 32 bits of imm");
		break;
	}
}

struct bpf_insn isa_encode(enum isa_op op, int dst, int src, int off, int32_t imm)
{
	const struct isa_row *row = &isa_rows[op];
	struct bpf_insn insn = {.code = row->code,
				.dst_reg = (uint8_t)dst,
				.src_reg = (uint8_t)src,
				.off = (int16_t)off,
				.imm = imm};

	if (row->key == ISA_KEY_OFF)
		insn.off = (int16_t)row->keyval;
	else if (row->key == ISA_KEY_IMM)
		insn.imm = row->keyval;
	else if (row->key == ISA_KEY_SRC)
		insn.src_reg = (uint8_t)row->keyval;
	return insn;
}

unsigned isa_mem_size(enum isa_op op)
{
	const struct isa_row *row = &isa_rows[op];

	switch (row->shape) {
	case ISA_SHAPE_LDX:
	case ISA_SHAPE_ST:
	case ISA_SHAPE_STX:
	case ISA_SHAPE_ATOMIC:
	case ISA_SHAPE_LDABS:
	case ISA_SHAPE_LDIND:
		switch (BPF_SIZE(row->code)) {
		case BPF_B:
			return 1;
		case BPF_H:
			return 2;
		case BPF_W:
			return 4;
		default:
			return 8;
		}
	default:
		return 0;
	}
}
