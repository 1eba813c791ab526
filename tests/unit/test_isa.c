/* The opcode table and the decoder: every row decodes to itself, every
 * unused field and every bad register is rejected, lddw's rules hold. */
#include "isa/isa.h"
#include "test.h"

static struct bpf_insn row_insn(int op)
{
	return isa_encode(op, 0, 0, 0, 0);
}

TEST(isa_every_row_decodes_to_itself)
{
	for (int op = 0; op < ISA_NR_OPS; op++) {
		struct bpf_insn insns[2] = {row_insn(op)};
		enum isa_fault fault;
		int got = isa_decode(insns, 2, 0, &fault);
		CHECK_MSG(got == op, "row %s decodes to %d (fault %d)", isa_rows[op].name, got, fault);
	}
}

TEST(isa_rows_are_unique)
{
	for (int a = 0; a < ISA_NR_OPS; a++)
		for (int b = a + 1; b < ISA_NR_OPS; b++)
			CHECK_MSG(!(isa_rows[a].code == isa_rows[b].code &&
				    isa_rows[a].key == isa_rows[b].key &&
				    isa_rows[a].keyval == isa_rows[b].keyval),
				  "%s and %s share an encoding", isa_rows[a].name, isa_rows[b].name);
}

/* Setting any field the instruction does not use must be rejected. */
TEST(isa_unused_fields_rejected)
{
	for (int op = 0; op < ISA_NR_OPS; op++) {
		const struct isa_row *row = &isa_rows[op];
		unsigned used = isa_shape_fields[row->shape];
		enum isa_fault fault;

		if (!(used & ISA_F_DST)) {
			struct bpf_insn insns[2] = {row_insn(op)};
			insns[0].dst_reg = 1;
			CHECK_MSG(isa_decode(insns, 2, 0, &fault) < 0 && fault == ISA_E_DST,
				  "%s accepts dst_reg", row->name);
		}
		if (!(used & ISA_F_SRC) && row->key != ISA_KEY_SRC) {
			struct bpf_insn insns[2] = {row_insn(op)};
			insns[0].src_reg = 1;
			CHECK_MSG(isa_decode(insns, 2, 0, &fault) < 0 && fault == ISA_E_SRC,
				  "%s accepts src_reg", row->name);
		}
		if (!(used & ISA_F_OFF) && row->key != ISA_KEY_OFF) {
			struct bpf_insn insns[2] = {row_insn(op)};
			insns[0].off = 1;
			CHECK_MSG(isa_decode(insns, 2, 0, &fault) < 0 && fault == ISA_E_OFF,
				  "%s accepts off", row->name);
		}
		if (!(used & ISA_F_IMM) && row->key != ISA_KEY_IMM) {
			struct bpf_insn insns[2] = {row_insn(op)};
			insns[0].imm = 7;
			CHECK_MSG(isa_decode(insns, 2, 0, &fault) < 0 && fault == ISA_E_IMM,
				  "%s accepts imm", row->name);
		}
	}
}

TEST(isa_registers_above_r10_rejected)
{
	for (int op = 0; op < ISA_NR_OPS; op++) {
		const struct isa_row *row = &isa_rows[op];
		unsigned used = isa_shape_fields[row->shape];
		enum isa_fault fault;

		if (used & ISA_F_DST) {
			struct bpf_insn insns[2] = {row_insn(op)};
			insns[0].dst_reg = 11;
			CHECK_MSG(isa_decode(insns, 2, 0, &fault) < 0 && fault == ISA_E_REG,
				  "%s accepts dst r11", row->name);
		}
		if ((used & ISA_F_SRC) && row->shape != ISA_SHAPE_LDDW) {
			struct bpf_insn insns[2] = {row_insn(op)};
			insns[0].src_reg = 15;
			CHECK_MSG(isa_decode(insns, 2, 0, &fault) < 0 && fault == ISA_E_REG,
				  "%s accepts src r15", row->name);
		}
	}
}

TEST(isa_unknown_opcodes_rejected)
{
	unsigned known = 0;

	for (unsigned code = 0; code < 256; code++) {
		bool in_table = false;
		for (int op = 0; op < ISA_NR_OPS; op++)
			in_table |= isa_rows[op].code == code;
		struct bpf_insn insns[2] = {{.code = (uint8_t)code}};
		enum isa_fault fault;
		int got = isa_decode(insns, 2, 0, &fault);
		if (!in_table)
			CHECK_MSG(got < 0 && fault == ISA_E_OPCODE, "opcode 0x%02x accepted", code);
		known += in_table;
	}
	/* 0x8c (NEG|X), 0xdf, 0x38 (LD ABS DW), 0x99 (LDX MEMSX DW) are not instructions */
	/* ALU64 26 + ALU 27 + JMP 26 + JMP32 23 + LD 7 + LDX 7 + ST 4 + STX 6 */
	CHECK_EQ(known, 126);
}

TEST(isa_key_mismatch_names_the_key_field)
{
	enum isa_fault fault;
	struct bpf_insn sdiv_bad[1] = {{.code = 0x3f, .off = 2}};		/* div off must be 0/1 */
	struct bpf_insn movsx_bad[1] = {{.code = 0xbc, .off = 32}};		/* movsx32 only for 64 */
	struct bpf_insn end_bad[1] = {{.code = 0xd4, .imm = 8}};		/* le8 does not exist */
	struct bpf_insn atomic_bad[1] = {{.code = 0xdb, .imm = 0x10}};	/* atomic sub? no */
	struct bpf_insn call_bad[1] = {{.code = 0x85, .src_reg = 3}};		/* call kinds 0..2 */

	CHECK(isa_decode(sdiv_bad, 1, 0, &fault) < 0 && fault == ISA_E_OFF);
	CHECK(isa_decode(movsx_bad, 1, 0, &fault) < 0 && fault == ISA_E_OFF);
	CHECK(isa_decode(end_bad, 1, 0, &fault) < 0 && fault == ISA_E_IMM);
	CHECK(isa_decode(atomic_bad, 1, 0, &fault) < 0 && fault == ISA_E_IMM);
	CHECK(isa_decode(call_bad, 1, 0, &fault) < 0 && fault == ISA_E_SRC);
}

TEST(isa_lddw_rules)
{
	enum isa_fault fault;
	struct bpf_insn ok[2] = {{.code = 0x18, .dst_reg = 1, .imm = 1}, {.imm = 2}};
	struct bpf_insn trunc[1] = {{.code = 0x18, .dst_reg = 1}};
	struct bpf_insn second_code[2] = {{.code = 0x18, .dst_reg = 1}, {.code = 0x07}};
	struct bpf_insn second_reg[2] = {{.code = 0x18, .dst_reg = 1}, {.dst_reg = 1}};
	struct bpf_insn second_off[2] = {{.code = 0x18, .dst_reg = 1}, {.off = 1}};
	struct bpf_insn pseudo7[2] = {{.code = 0x18, .dst_reg = 1, .src_reg = 7}, {0}};

	CHECK_EQ(isa_decode(ok, 2, 0, &fault), ISA_LDDW);
	CHECK_EQ(isa_imm64(ok), 0x200000001ull);
	CHECK(isa_decode(trunc, 1, 0, &fault) < 0 && fault == ISA_E_LDDW_TRUNC);
	CHECK(isa_decode(second_code, 2, 0, &fault) < 0 && fault == ISA_E_LDDW_SECOND);
	CHECK(isa_decode(second_reg, 2, 0, &fault) < 0 && fault == ISA_E_LDDW_SECOND);
	CHECK(isa_decode(second_off, 2, 0, &fault) < 0 && fault == ISA_E_LDDW_SECOND);
	CHECK(isa_decode(pseudo7, 2, 0, &fault) < 0 && fault == ISA_E_SRC);
	for (uint8_t src = 0; src <= 6; src++) {
		struct bpf_insn p[2] = {{.code = 0x18, .dst_reg = 2, .src_reg = src}, {0}};
		CHECK_EQ(isa_decode(p, 2, 0, &fault), ISA_LDDW);
	}
}

TEST(isa_fault_text_names_field)
{
	char buf[128];
	struct bpf_insn insn = {.code = 0x07, .off = 3};

	isa_fault_text(&insn, ISA_E_OFF, buf, sizeof(buf));
	CHECK_STR(buf, "opcode 0x07: invalid off 3");
	insn = (struct bpf_insn){.code = 0xff};
	isa_fault_text(&insn, ISA_E_OPCODE, buf, sizeof(buf));
	CHECK_STR(buf, "unknown opcode 0xff");
}

TEST(isa_mem_sizes)
{
	CHECK_EQ(isa_mem_size(ISA_LDXB), 1);
	CHECK_EQ(isa_mem_size(ISA_LDXSH), 2);
	CHECK_EQ(isa_mem_size(ISA_STW), 4);
	CHECK_EQ(isa_mem_size(ISA_AXCHG64), 8);
	CHECK_EQ(isa_mem_size(ISA_LDABS_H), 2);
	CHECK_EQ(isa_mem_size(ISA_ADD64_K), 0);
}
