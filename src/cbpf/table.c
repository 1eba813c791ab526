/* The classic opcode and ancillary tables, built from ops.def and
 * ancillary.def, and lookups by opcode and offset. */
#include <stddef.h>

#include "cbpf/cbpf.h"

const struct cbpf_row cbpf_rows[CBPF_NR_OPS] = {
#define CBPF_OP(nm, cd, sh, mn, kf, sec)         \
	[CBPF_##nm] = {.code = cd,               \
		       .shape = CBPF_SHAPE_##sh, \
		       .kfmt = CBPF_KFMT_##kf,   \
		       .seccomp = sec,           \
		       .name = #nm,              \
		       .mnemonic = mn},
#include "cbpf/ops.def"
#undef CBPF_OP
};

/* Opcodes are 16 bits but Linux accepts none above 0xff; index the low byte. */
static int8_t op_by_code[256];

__attribute__((constructor)) static void cbpf_build_index(void)
{
	for (unsigned c = 0; c < 256; c++)
		op_by_code[c] = -1;
	for (unsigned op = 0; op < CBPF_NR_OPS; op++)
		op_by_code[cbpf_rows[op].code] = (int8_t)op;
}

int cbpf_op_of(uint16_t code)
{
	return code < 256 ? op_by_code[code] : -1;
}

unsigned cbpf_load_size(uint16_t code)
{
	switch (BPF_SIZE(code)) {
	case BPF_W:
		return 4;
	case BPF_H:
		return 2;
	default:
		return 1;
	}
}

#define CBPF_AD_ARG_FIELD(f)  ((int32_t)offsetof(struct __sk_buff, f))
#define CBPF_AD_ARG_BE16(f)   ((int32_t)offsetof(struct __sk_buff, f))
#define CBPF_AD_ARG_CALL(f)   BPF_FUNC_##f
#define CBPF_AD_ARG_HATYPE(f) 0
#define CBPF_AD_ARG_XOR(f)    0
#define CBPF_AD_ARG_NONE(f)   0

const struct cbpf_ad cbpf_ads[] = {
#define CBPF_AD(nm, of, pc, as, hw, arg_) \
	{.off = of,                       \
	 .how = CBPF_AD_##hw,             \
	 .arg = CBPF_AD_ARG_##hw(arg_),   \
	 .name = "SKF_AD_" #nm,           \
	 .pcap = pc,                      \
	 .asm_ = as},
#include "cbpf/ancillary.def"
#undef CBPF_AD
};

const unsigned cbpf_nr_ads = sizeof(cbpf_ads) / sizeof(cbpf_ads[0]);

const struct cbpf_ad *cbpf_ad_of(uint32_t k)
{
	uint32_t off = k - (uint32_t)SKF_AD_OFF;

	if (k < (uint32_t)SKF_AD_OFF)
		return NULL;
	for (unsigned i = 0; i < cbpf_nr_ads; i++)
		if ((uint32_t)cbpf_ads[i].off == off)
			return &cbpf_ads[i];
	return NULL;
}
