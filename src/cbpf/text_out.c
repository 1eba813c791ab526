/* Classic programs as text: tcpdump's -d listing (byte for byte what
 * libpcap's bpf_image prints), -dd C array, -ddd decimal, the kernel's
 * bpf_asm syntax (which bpf_asm assembles back to the same instructions) and
 * the one-line bytecode xt_bpf and tc read. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "cbpf/cbpf.h"
#include "cbpf/text.h"
#include "core/err.h"

/* libpcap prints an ancillary load under its name: "ld [proto]". */
static void abs_operand(char *buf, size_t size, const struct sock_filter *in, bool asm_)
{
	const struct cbpf_ad *ad = cbpf_ancillary(in);

	if (ad && asm_ && ad->asm_)
		snprintf(buf, size, "#%s", ad->asm_);
	else if (ad && !asm_)
		snprintf(buf, size, "[%s]", ad->pcap);
	else
		snprintf(buf, size, "[%d]", (int32_t)in->k);
}

int cbpf_operand(const struct sock_filter *in, uint32_t pc, bool asm_, char *buf, size_t size)
{
	int op = cbpf_op_of(in->code);

	if (op < 0) {
		snprintf(buf, size, "0x%x", in->code);
		return -1;
	}
	const struct cbpf_row *row = &cbpf_rows[op];
	switch ((enum cbpf_shape)row->shape) {
	case CBPF_SHAPE_RET_K:
		snprintf(buf, size, "#%d", (int32_t)in->k);
		break;
	case CBPF_SHAPE_RET_A:
		snprintf(buf, size, "%s", asm_ ? "a" : "");
		break;
	case CBPF_SHAPE_LD_ABS:
		abs_operand(buf, size, in, asm_);
		break;
	case CBPF_SHAPE_LD_IND:
		snprintf(buf, size, "[x + %d]", (int32_t)in->k);
		break;
	case CBPF_SHAPE_LD_LEN:
	case CBPF_SHAPE_LDX_LEN:
		/* libpcap 1.10 prints "unimp 0x81" for ldx #pktlen; exobpf
		 * names it like ld #pktlen so every listing parses back */
		snprintf(buf, size, "%s", asm_ ? "#len" : "#pktlen");
		break;
	case CBPF_SHAPE_LD_MEM:
	case CBPF_SHAPE_LDX_MEM:
	case CBPF_SHAPE_ST:
	case CBPF_SHAPE_STX:
		snprintf(buf, size, "M[%d]", (int32_t)in->k);
		break;
	case CBPF_SHAPE_LDX_MSH:
		snprintf(buf, size, "4*([%d]&0xf)", (int32_t)in->k);
		break;
	case CBPF_SHAPE_JA:
		if (asm_)
			snprintf(buf, size, "l%llu", (unsigned long long)cbpf_ja(in, pc));
		else /* libpcap's int arithmetic: a huge k prints negative */
			snprintf(buf, size, "%d", (int32_t)(pc + 1 + in->k));
		break;
	case CBPF_SHAPE_JMP_X:
	case CBPF_SHAPE_ALU_X:
		snprintf(buf, size, "x");
		break;
	case CBPF_SHAPE_LD_IMM:
	case CBPF_SHAPE_LDX_IMM:
	case CBPF_SHAPE_JMP_K:
	case CBPF_SHAPE_ALU_K:
		if (row->kfmt == CBPF_KFMT_HEX)
			snprintf(buf, size, "#0x%x", in->k);
		else
			snprintf(buf, size, "#%d", (int32_t)in->k);
		break;
	case CBPF_SHAPE_NEG:
	case CBPF_SHAPE_TAX:
	case CBPF_SHAPE_TXA:
		buf[0] = '\0';
		break;
	}
	return op;
}

void cbpf_listing_line(const struct sock_filter *in, uint32_t pc, char *buf, size_t size)
{
	char operand[64];
	int op = cbpf_operand(in, pc, false, operand, sizeof(operand));
	const char *mn = op < 0 ? "unimp" : cbpf_rows[op].mnemonic;

	/* like libpcap, by class: an unknown jump opcode still shows jt/jf */
	if (BPF_CLASS(in->code) == BPF_JMP && BPF_OP(in->code) != BPF_JA)
		snprintf(buf, size, "(%03d) %-8s %-16s jt %d\tjf %d", (int)pc, mn, operand,
			 (int)(pc + 1 + in->jt), (int)(pc + 1 + in->jf));
	else
		snprintf(buf, size, "(%03d) %-8s %s", (int)pc, mn, operand);
}

static int format_asm(FILE *f, const struct sock_filter *insns, size_t cnt)
{
	bool *target = calloc(cnt + 1, sizeof(*target));

	if (!target)
		return exo_err(ENOMEM, "out of memory formatting %zu instructions", cnt);
	for (uint32_t pc = 0; pc < cnt; pc++) {
		const struct sock_filter *in = &insns[pc];
		int op = cbpf_op_of(in->code);

		if (op < 0)
			continue;
		if (cbpf_rows[op].shape == CBPF_SHAPE_JA && cbpf_ja(in, pc) < cnt)
			target[cbpf_ja(in, pc)] = true;
		if (cbpf_rows[op].shape == CBPF_SHAPE_JMP_K ||
		    cbpf_rows[op].shape == CBPF_SHAPE_JMP_X) {
			if (cbpf_jt(in, pc) < cnt)
				target[cbpf_jt(in, pc)] = true;
			if (cbpf_jf(in, pc) < cnt)
				target[cbpf_jf(in, pc)] = true;
		}
	}
	for (uint32_t pc = 0; pc < cnt; pc++) {
		const struct sock_filter *in = &insns[pc];
		char operand[64];
		int op = cbpf_operand(in, pc, true, operand, sizeof(operand));

		if (op < 0) {
			free(target);
			return exo_err(EINVAL, "insn %u: opcode 0x%02x has no bpf_asm form", pc,
				       in->code);
		}
		const struct cbpf_row *row = &cbpf_rows[op];
		bool jmp = row->shape == CBPF_SHAPE_JMP_K || row->shape == CBPF_SHAPE_JMP_X;
		if ((jmp && (cbpf_jt(in, pc) >= cnt || cbpf_jf(in, pc) >= cnt)) ||
		    (row->shape == CBPF_SHAPE_JA && cbpf_ja(in, pc) >= cnt)) {
			free(target);
			return exo_err(EINVAL,
				       "insn %u: %s jumps past the end, which bpf_asm cannot say",
				       pc, row->mnemonic);
		}
		if (target[pc])
			fprintf(f, "l%u:", pc);
		fprintf(f, "\t%s", row->mnemonic);
		if (operand[0])
			fprintf(f, " %s", operand);
		if (jmp)
			fprintf(f, ", l%llu, l%llu", (unsigned long long)cbpf_jt(in, pc),
				(unsigned long long)cbpf_jf(in, pc));
		fputc('\n', f);
	}
	free(target);
	return 0;
}

EXOBPF_API int exobpf_cbpf_format(const struct sock_filter *insns, size_t cnt,
				  enum exobpf_cbpf_format fmt, char **text)
{
	char *buf = NULL, line[160];
	size_t len = 0;
	FILE *f;
	int err = 0;

	if (!text || (!insns && cnt))
		return exo_err(EINVAL, "exobpf_cbpf_format: NULL argument");
	if (fmt < EXOBPF_CBPF_FMT_LISTING || fmt > EXOBPF_CBPF_FMT_BYTECODE)
		return exo_err(EINVAL, "exobpf_cbpf_format: unknown format %d", (int)fmt);
	if (!(f = open_memstream(&buf, &len)))
		return exo_err(ENOMEM, "out of memory formatting %zu instructions", cnt);
	switch (fmt) {
	case EXOBPF_CBPF_FMT_LISTING:
		for (uint32_t pc = 0; pc < cnt; pc++) {
			cbpf_listing_line(&insns[pc], pc, line, sizeof(line));
			fprintf(f, "%s\n", line);
		}
		break;
	case EXOBPF_CBPF_FMT_C:
		for (size_t i = 0; i < cnt; i++)
			fprintf(f, "{ 0x%x, %d, %d, 0x%08x },\n", insns[i].code, insns[i].jt,
				insns[i].jf, insns[i].k);
		break;
	case EXOBPF_CBPF_FMT_DECIMAL:
		fprintf(f, "%zu\n", cnt);
		for (size_t i = 0; i < cnt; i++)
			fprintf(f, "%u %u %u %u\n", insns[i].code, insns[i].jt, insns[i].jf,
				insns[i].k);
		break;
	case EXOBPF_CBPF_FMT_ASM:
		err = format_asm(f, insns, cnt);
		break;
	default:
		fprintf(f, "%zu", cnt);
		for (size_t i = 0; i < cnt; i++)
			fprintf(f, ",%u %u %u %u", insns[i].code, insns[i].jt, insns[i].jf,
				insns[i].k);
		fputc('\n', f);
		break;
	}
	if (ferror(f) && !err)
		err = exo_err(ENOMEM, "out of memory formatting %zu instructions", cnt);
	fclose(f);
	if (err) {
		free(buf);
		return err;
	}
	*text = buf;
	return 0;
}
