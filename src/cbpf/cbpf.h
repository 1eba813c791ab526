/* Classic BPF as data: the rows of ops.def and ancillary.def, and the pieces
 * of the module (checker, converter, classic interpreter, text formats) that
 * read them. */
#ifndef EXOBPF_CBPF_INTERNAL_H
#define EXOBPF_CBPF_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "exobpf/cbpf.h"

enum cbpf_op {
#define CBPF_OP(name, code, shape, mn, kfmt, sec) CBPF_##name,
#include "cbpf/ops.def"
#undef CBPF_OP
	CBPF_NR_OPS
};

enum cbpf_shape {
	CBPF_SHAPE_RET_K,   /* return k */
	CBPF_SHAPE_RET_A,   /* return A */
	CBPF_SHAPE_LD_ABS,  /* A = packet[k] (big-endian), or ancillary data */
	CBPF_SHAPE_LD_IND,  /* A = packet[X + k] */
	CBPF_SHAPE_LD_LEN,  /* A = packet length on the wire */
	CBPF_SHAPE_LD_IMM,  /* A = k */
	CBPF_SHAPE_LD_MEM,  /* A = M[k] */
	CBPF_SHAPE_LDX_IMM, /* X = k */
	CBPF_SHAPE_LDX_MEM, /* X = M[k] */
	CBPF_SHAPE_LDX_LEN, /* X = packet length on the wire */
	CBPF_SHAPE_LDX_MSH, /* X = 4 * (packet[k] & 0xf), the IPv4 header length */
	CBPF_SHAPE_ST,	    /* M[k] = A */
	CBPF_SHAPE_STX,	    /* M[k] = X */
	CBPF_SHAPE_JA,	    /* goto +k */
	CBPF_SHAPE_JMP_K,   /* if (A op k) goto +jt else goto +jf */
	CBPF_SHAPE_JMP_X,   /* if (A op X) goto +jt else goto +jf */
	CBPF_SHAPE_ALU_K,   /* A op= k */
	CBPF_SHAPE_ALU_X,   /* A op= X */
	CBPF_SHAPE_NEG,	    /* A = -A */
	CBPF_SHAPE_TAX,	    /* X = A */
	CBPF_SHAPE_TXA,	    /* A = X */
};

enum cbpf_kfmt { CBPF_KFMT_NONE, CBPF_KFMT_DEC, CBPF_KFMT_HEX };

struct cbpf_row {
	uint16_t code;
	uint8_t shape;
	uint8_t kfmt;
	bool seccomp;
	const char *name;     /* row name, e.g. "LD_H_ABS" */
	const char *mnemonic; /* "ldh" */
};

extern const struct cbpf_row cbpf_rows[CBPF_NR_OPS];

/* The row of an opcode, or -1 when Linux accepts no such instruction. */
int cbpf_op_of(uint16_t code);

/* Byte width of an LD_ABS/LD_IND/LDX_MSH row's load. */
unsigned cbpf_load_size(uint16_t code);

/* Ancillary loads. */
enum cbpf_ad_how {
	CBPF_AD_FIELD,	/* a u32 field of struct __sk_buff */
	CBPF_AD_BE16,	/* the same, a 16-bit value in network order */
	CBPF_AD_HATYPE, /* the device type, fixed at conversion */
	CBPF_AD_CALL,	/* a helper call */
	CBPF_AD_XOR,	/* A ^= X */
	CBPF_AD_NONE,	/* not available in exobpf */
};

struct cbpf_ad {
	int32_t off; /* SKF_AD_* (add SKF_AD_OFF for k) */
	uint8_t how;
	int32_t arg;	  /* __sk_buff offset, or helper id */
	const char *name; /* "SKF_AD_PROTOCOL" */
	const char *pcap; /* libpcap's listing name */
	const char *asm_; /* bpf_asm's keyword, or NULL */
};

extern const struct cbpf_ad cbpf_ads[];
extern const unsigned cbpf_nr_ads;

/* The ancillary load k names (k >= SKF_AD_OFF), or NULL when Linux has none
 * at that offset. */
const struct cbpf_ad *cbpf_ad_of(uint32_t k);

/* The ancillary load insn makes (an LD|ABS of any width at a known
 * SKF_AD_* offset, as Linux's checker reads it), or NULL. */
static inline const struct cbpf_ad *cbpf_ancillary(const struct sock_filter *insn)
{
	int op = cbpf_op_of(insn->code);

	if (op < 0 || cbpf_rows[op].shape != CBPF_SHAPE_LD_ABS || insn->k < (uint32_t)SKF_AD_OFF)
		return NULL;
	return cbpf_ad_of(insn->k);
}

/* Jump targets of a jump at pc (absolute indices, may be out of range). */
static inline uint64_t cbpf_jt(const struct sock_filter *insn, uint32_t pc)
{
	return (uint64_t)pc + 1 + insn->jt;
}

static inline uint64_t cbpf_jf(const struct sock_filter *insn, uint32_t pc)
{
	return (uint64_t)pc + 1 + insn->jf;
}

/* ja's target wraps at 32 bits: that is how libpcap's loops jump back. */
static inline uint32_t cbpf_ja(const struct sock_filter *insn, uint32_t pc)
{
	return pc + 1 + insn->k;
}

/* check.c: Linux's rules (see exobpf_cbpf_check). */
int cbpf_check(const struct sock_filter *insns, size_t cnt, enum exobpf_cbpf_kind kind);
/* Linux's scratch memory rule alone: 0 when no cell is read before it is
 * written on some path (sets the error message otherwise). */
int cbpf_check_memory(const struct sock_filter *insns, uint32_t cnt);

/* convert.c: check, then convert to eBPF; *out malloc'ed. *loops tells
 * whether the program jumps backwards (EXOBPF_CBPF_PCAP only), so runs need
 * an instruction budget. */
int cbpf_convert(const struct sock_filter *insns, uint32_t cnt, enum exobpf_cbpf_kind kind,
		 uint16_t hatype, struct bpf_insn **out, uint32_t *out_cnt, bool *loops);

/* Instructions a looping program may run per packet before exobpf gives up
 * on it (libpcap has no limit; protochain over a 64 KiB packet needs about
 * 200000). */
#define CBPF_LOOP_BUDGET (1u << 24)

/* interp.c: a direct interpreter of checked classic programs, with Linux's
 * semantics (the same as the conversion's); the differential oracle for the
 * conversion and the engine behind per-instruction traces. */
struct cbpf_ctx {
	enum exobpf_cbpf_kind kind;
	const uint8_t *pkt;
	uint32_t caplen;
	const struct __sk_buff *skb;	    /* socket filters: metadata (never NULL) */
	const struct seccomp_data *seccomp; /* seccomp filters */
	uint16_t hatype;
	uint32_t cpu;
	/* Called before each instruction with A and X (optional). */
	void (*trace)(void *arg, uint32_t pc, uint32_t a, uint32_t x);
	void *trace_arg;
	bool out_of_budget; /* set when a loop ran CBPF_LOOP_BUDGET instructions */
};

/* The verdict (0 when out of budget, with ctx->out_of_budget set). */
uint32_t cbpf_interp(const struct sock_filter *insns, uint32_t cnt, struct cbpf_ctx *ctx);

#endif
