/* A direct interpreter of checked classic programs. Programs run by
 * conversion to eBPF; this one exists to check the conversion (every
 * differential test runs both and compares) and to show a run instruction by
 * instruction (exobpf seccomp run --trace). Its semantics are the
 * conversion's, which are Linux's: 32-bit arithmetic, shifts by X masked to 5
 * bits, division by zero and out-of-range loads end the program with 0. */
#include <string.h>

#include "cbpf/cbpf.h"
#include "helpers/helpers.h"

/* The packet bytes [k, k+size) as LD_ABS reads them: negative offsets below
 * SKF_AD_OFF address the network and link-layer headers, which exobpf's
 * packets start with (the same rule as the eBPF interpreter's LD_ABS). */
static const uint8_t *pkt_at(const struct cbpf_ctx *ctx, int32_t k, unsigned size)
{
	int64_t off = k;

	if (k < 0) {
		if (k >= SKF_NET_OFF)
			off = (int64_t)k - SKF_NET_OFF;
		else if (k >= SKF_LL_OFF)
			off = (int64_t)k - SKF_LL_OFF;
		else
			return NULL;
	}
	if (!ctx->pkt || off + size > ctx->caplen)
		return NULL;
	return ctx->pkt + off;
}

static uint32_t load_be(const uint8_t *p, unsigned size)
{
	switch (size) {
	case 1:
		return p[0];
	case 2:
		return (uint32_t)p[0] << 8 | p[1];
	default:
		return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	}
}

static uint32_t skb_u32(const struct __sk_buff *skb, int32_t off)
{
	uint32_t v;

	memcpy(&v, (const uint8_t *)skb + off, sizeof(v));
	return v;
}

static uint32_t ancillary(const struct cbpf_ctx *ctx, const struct cbpf_ad *ad, uint32_t a,
			  uint32_t x)
{
	switch (ad->how) {
	case CBPF_AD_FIELD:
		return skb_u32(ctx->skb, ad->arg);
	case CBPF_AD_BE16: {
		uint16_t v = (uint16_t)skb_u32(ctx->skb, ad->arg);
		uint8_t b[2];
		memcpy(b, &v, 2);
		return (uint32_t)b[0] << 8 | b[1];
	}
	case CBPF_AD_HATYPE:
		return ctx->hatype;
	case CBPF_AD_CALL:
		if (ad->arg == BPF_FUNC_get_smp_processor_id)
			return ctx->cpu;
		return (uint32_t)exo_helper_get_prandom_u32(0, 0, 0, 0, 0, NULL);
	case CBPF_AD_XOR:
		return a ^ x;
	default:
		return 0; /* refused at conversion; a checked program never gets here */
	}
}

static uint32_t alu(uint16_t code, uint32_t a, uint32_t v)
{
	switch (BPF_OP(code)) {
	case BPF_ADD:
		return a + v;
	case BPF_SUB:
		return a - v;
	case BPF_MUL:
		return a * v;
	case BPF_DIV:
		return a / v; /* v != 0: the checker and the caller see to it */
	case BPF_MOD:
		return a % v;
	case BPF_OR:
		return a | v;
	case BPF_AND:
		return a & v;
	case BPF_XOR:
		return a ^ v;
	case BPF_LSH:
		return a << (v & 31);
	case BPF_RSH:
		return a >> (v & 31);
	default:
		return 0;
	}
}

static bool compare(uint16_t code, uint32_t a, uint32_t v)
{
	switch (BPF_OP(code)) {
	case BPF_JEQ:
		return a == v;
	case BPF_JGT:
		return a > v;
	case BPF_JGE:
		return a >= v;
	default:
		return (a & v) != 0;
	}
}

uint32_t cbpf_interp(const struct sock_filter *insns, uint32_t cnt, struct cbpf_ctx *ctx)
{
	uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = {0}, steps = 0;
	bool seccomp = ctx->kind == EXOBPF_CBPF_SECCOMP;
	const uint8_t *p;

	for (uint32_t pc = 0; pc < cnt; pc++) {
		const struct sock_filter *in = &insns[pc];
		int op = cbpf_op_of(in->code);
		unsigned size = cbpf_load_size(in->code);

		if (++steps > CBPF_LOOP_BUDGET) {
			ctx->out_of_budget = true;
			return 0;
		}
		if (ctx->trace)
			ctx->trace(ctx->trace_arg, pc, a, x);
		switch ((enum cbpf_shape)cbpf_rows[op].shape) {
		case CBPF_SHAPE_RET_K:
			return in->k;
		case CBPF_SHAPE_RET_A:
			return a;
		case CBPF_SHAPE_LD_ABS: {
			if (seccomp) {
				memcpy(&a, (const uint8_t *)ctx->seccomp + in->k, sizeof(a));
				break;
			}
			const struct cbpf_ad *ad = cbpf_ancillary(in);
			if (ad) {
				a = ancillary(ctx, ad, a, x);
				break;
			}
			if (!(p = pkt_at(ctx, (int32_t)in->k, size)))
				return 0;
			a = load_be(p, size);
			break;
		}
		case CBPF_SHAPE_LD_IND:
			if (!(p = pkt_at(ctx, (int32_t)(x + in->k), size)))
				return 0;
			a = load_be(p, size);
			break;
		case CBPF_SHAPE_LD_LEN:
			a = seccomp ? (uint32_t)sizeof(struct seccomp_data) : ctx->skb->len;
			break;
		case CBPF_SHAPE_LDX_LEN:
			x = seccomp ? (uint32_t)sizeof(struct seccomp_data) : ctx->skb->len;
			break;
		case CBPF_SHAPE_LD_IMM:
			a = in->k;
			break;
		case CBPF_SHAPE_LDX_IMM:
			x = in->k;
			break;
		case CBPF_SHAPE_LD_MEM:
			a = mem[in->k];
			break;
		case CBPF_SHAPE_LDX_MEM:
			x = mem[in->k];
			break;
		case CBPF_SHAPE_ST:
			mem[in->k] = a;
			break;
		case CBPF_SHAPE_STX:
			mem[in->k] = x;
			break;
		case CBPF_SHAPE_LDX_MSH:
			if (!(p = pkt_at(ctx, (int32_t)in->k, 1)))
				return 0;
			x = (uint32_t)(p[0] & 0xf) << 2;
			break;
		case CBPF_SHAPE_TAX:
			x = a;
			break;
		case CBPF_SHAPE_TXA:
			a = x;
			break;
		case CBPF_SHAPE_NEG:
			a = -a;
			break;
		case CBPF_SHAPE_ALU_K:
			a = alu(in->code, a, in->k);
			break;
		case CBPF_SHAPE_ALU_X:
			if ((op == CBPF_DIV_X || op == CBPF_MOD_X) && x == 0)
				return 0;
			a = alu(in->code, a, x);
			break;
		case CBPF_SHAPE_JA:
			pc += in->k; /* wraps back for libpcap's loops */
			break;
		case CBPF_SHAPE_JMP_K:
			pc += compare(in->code, a, in->k) ? in->jt : in->jf;
			break;
		case CBPF_SHAPE_JMP_X:
			pc += compare(in->code, a, x) ? in->jt : in->jf;
			break;
		}
	}
	return 0; /* unreachable for checked programs: they end with ret */
}
