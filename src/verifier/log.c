/* The verifier log in Linux's format: instruction lines as the kernel prints
 * them ("3: (61) r1 = *(u32 *)(r1 +0)"), the registers and stack slots an
 * instruction touched after a ';' at column 40, whole states after a branch
 * ("from 2 to 4: R0=0 R1=ctx() R10=fp0"), and the error messages. The
 * register text is Linux 6.18's (ctx(), scalar(smin=...)), the format of the
 * live kernel tests compare with. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers/helpers.h"
#include "isa/disasm.h"
#include "verifier/vrf.h"

#define LOG_MAX (64u << 20) /* stop growing past this; the caller sees truncation */

void vrf_verbose(struct vrf_env *env, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		uint32_t room = env->log_cap - env->log_len;

		va_start(ap, fmt);
		n = vsnprintf(env->log ? env->log + env->log_len : NULL, env->log ? room : 0, fmt,
			      ap);
		va_end(ap);
		if (n < 0)
			return;
		if (env->log && (uint32_t)n < room) {
			env->log_len += (uint32_t)n;
			return;
		}
		if (env->log_cap >= LOG_MAX) {
			env->log_truncated = true;
			return;
		}
		uint32_t cap = env->log_cap ? env->log_cap * 2 : 4096;
		while (cap - env->log_len <= (uint32_t)n && cap < LOG_MAX)
			cap *= 2;
		char *p = realloc(env->log, cap);
		if (!p) {
			env->log_truncated = true;
			return;
		}
		env->log = p;
		env->log_cap = cap;
		if (env->log_len == 0)
			env->log[0] = '\0';
	}
}

void vrf_log_reset(struct vrf_env *env, uint32_t pos)
{
	if (pos < env->log_len) {
		env->log_len = pos;
		env->log[pos] = '\0';
	}
}

static const char *const type_names[VRF_NR_TYPES] = {
    [NOT_INIT] = "?",
    [SCALAR_VALUE] = "scalar",
    [PTR_TO_CTX] = "ctx",
    [CONST_PTR_TO_MAP] = "map_ptr",
    [PTR_TO_MAP_VALUE] = "map_value",
    [PTR_TO_MAP_KEY] = "map_key",
    [PTR_TO_STACK] = "fp",
    [PTR_TO_PACKET_META] = "pkt_meta",
    [PTR_TO_PACKET] = "pkt",
    [PTR_TO_PACKET_END] = "pkt_end",
    [PTR_TO_FLOW_KEYS] = "flow_keys",
    [PTR_TO_SOCKET] = "sock",
    [PTR_TO_SOCK_COMMON] = "sock_common",
    [PTR_TO_TCP_SOCK] = "tcp_sock",
    [PTR_TO_TP_BUFFER] = "tp_buffer",
    [PTR_TO_XDP_SOCK] = "xdp_sock",
    [PTR_TO_BTF_ID] = "ptr_",
    [PTR_TO_MEM] = "mem",
    [PTR_TO_BUF] = "buf",
    [PTR_TO_FUNC] = "func",
};

/* Linux builds the name from prefix + base + postfix into one buffer per
 * verifier, so a message may hold only one such name at a time; we keep a
 * few rotating buffers so two names can share a message. */
const char *vrf_reg_type_str(struct vrf_env *env, uint32_t type)
{
	static __thread char bufs[4][64];
	static __thread unsigned next;
	char *buf = bufs[next++ % 4];
	const char *prefix = "", *postfix = "";
	uint32_t base = base_type(type);

	(void)env;
	if (type & PTR_MAYBE_NULL_T)
		postfix = base == PTR_TO_BTF_ID ? "or_null_" : "_or_null";
	if (type & MEM_RDONLY_T)
		prefix = "rdonly_";
	if (type & MEM_ALLOC_T)
		prefix = "alloc_";
	if (type & PTR_UNTRUSTED_T)
		prefix = "untrusted_";
	snprintf(buf, 64, "%s%s%s", prefix, base < VRF_NR_TYPES ? type_names[base] : "?", postfix);
	return buf;
}

/* Numbers as the kernel's log prints them: small ones in decimal. */
static void snum(struct vrf_env *env, int64_t v)
{
	if (v >= INT16_MIN && v <= INT16_MAX)
		vrf_verbose(env, "%lld", (long long)v);
	else
		vrf_verbose(env, "%#llx", (unsigned long long)v);
}

static void unum(struct vrf_env *env, uint64_t v)
{
	if (v <= UINT16_MAX)
		vrf_verbose(env, "%llu", (unsigned long long)v);
	else
		vrf_verbose(env, "%#llx", (unsigned long long)v);
}

static bool snum_decimal(int64_t v)
{
	return v >= INT16_MIN && v <= INT16_MAX;
}

static void print_scalar_ranges(struct vrf_env *env, const struct vrf_reg *reg, const char **sep)
{
	struct {
		const char *name;
		uint64_t val;
		bool omit;
	} m[] = {
	    {"smin", (uint64_t)reg->smin, reg->smin == INT64_MIN},
	    {"smax", (uint64_t)reg->smax, reg->smax == INT64_MAX},
	    {"umin", reg->umin, reg->umin == 0},
	    {"umax", reg->umax, reg->umax == UINT64_MAX},
	    {"smin32",
	     snum_decimal(reg->s32_min) ? (uint64_t)(int64_t)reg->s32_min : (uint32_t)reg->s32_min,
	     reg->s32_min == INT32_MIN},
	    {"smax32",
	     snum_decimal(reg->s32_max) ? (uint64_t)(int64_t)reg->s32_max : (uint32_t)reg->s32_max,
	     reg->s32_max == INT32_MAX},
	    {"umin32", reg->u32_min, reg->u32_min == 0},
	    {"umax32", reg->u32_max, reg->u32_max == UINT32_MAX},
	};
	const unsigned n = sizeof(m) / sizeof(m[0]);

	/* Equal values print once, named by each bound ("smin=umin=5"),
	 * pairing only bounds of the same kind of sign. */
	for (unsigned i = 0; i < n; i++) {
		bool neg1;

		if (m[i].omit)
			continue;
		neg1 = m[i].name[0] == 's' && (int64_t)m[i].val < 0;
		vrf_verbose(env, "%s%s=", *sep, m[i].name);
		*sep = ",";
		for (unsigned j = i + 2; j < n; j += 2) {
			bool neg2;

			if (m[j].omit || m[j].val != m[i].val)
				continue;
			neg2 = m[j].name[0] == 's' && (int64_t)m[j].val < 0;
			if (neg2 != neg1)
				continue;
			m[j].omit = true;
			vrf_verbose(env, "%s=", m[j].name);
		}
		if (m[i].name[0] == 's')
			snum(env, (int64_t)m[i].val);
		else
			unum(env, m[i].val);
	}
}

static bool is_pkt(uint32_t t)
{
	return t == PTR_TO_PACKET || t == PTR_TO_PACKET_META;
}

static void print_reg(struct vrf_env *env, const struct vrf_func *f, const struct vrf_reg *reg)
{
	uint32_t t = reg->type;
	const char *sep = "";

	if (t == SCALAR_VALUE && reg->precise)
		vrf_verbose(env, "P");
	if (t == SCALAR_VALUE && tnum_is_const(reg->var_off)) {
		snum(env, (int64_t)reg->var_off.value);
		return;
	}
	vrf_verbose(env, "%s", vrf_reg_type_str(env, t));
	if (t == PTR_TO_STACK) {
		if (f->frameno != reg->frameno)
			vrf_verbose(env, "[%d]", reg->frameno);
		if (tnum_is_const(reg->var_off)) {
			snum(env, (int64_t)(reg->var_off.value + (uint64_t)(int64_t)reg->off));
			return;
		}
	}
#define VA(...)                                \
	do {                                   \
		vrf_verbose(env, "%s", sep);   \
		vrf_verbose(env, __VA_ARGS__); \
		sep = ",";                     \
	} while (0)
	vrf_verbose(env, "(");
	if (reg->id)
		VA("id=%u", reg->id);
	if (reg->ref_obj_id)
		VA("ref_obj_id=%u", reg->ref_obj_id);
	if ((base_type(t) == CONST_PTR_TO_MAP || base_type(t) == PTR_TO_MAP_VALUE ||
	     base_type(t) == PTR_TO_MAP_KEY) &&
	    reg->map) {
		if (reg->map->name[0])
			VA("map=%s", reg->map->name);
		VA("ks=%u,vs=%u", reg->map->key_size, reg->map->value_size);
	}
	if (t != SCALAR_VALUE && reg->off) {
		VA("off=");
		snum(env, reg->off);
	}
	if (is_pkt(base_type(t))) {
		VA("r=");
		unum(env, (uint64_t)(int64_t)reg->range);
	}
	if (base_type(t) == PTR_TO_MEM) {
		VA("sz=");
		unum(env, reg->mem_size);
	}
	if (tnum_is_const(reg->var_off)) {
		if (reg->var_off.value) {
			VA("imm=");
			snum(env, (int64_t)reg->var_off.value);
		}
	} else {
		print_scalar_ranges(env, reg, &sep);
		if (!tnum_is_unknown(reg->var_off)) {
			char tn[48];

			tnum_strn(tn, sizeof(tn), reg->var_off);
			VA("var_off=%s", tn);
		}
	}
#undef VA
	vrf_verbose(env, ")");
}

static const char slot_char[] = {
    [STACK_INVALID] = '?',
    [STACK_SPILL] = 'r',
    [STACK_MISC] = 'm',
    [STACK_ZERO] = '0',
};

void vrf_print_state(struct vrf_env *env, const struct vrf_func *f, bool print_all)
{
	const struct vrf_state *st = env->cur;

	if (f->frameno)
		vrf_verbose(env, " frame%u:", f->frameno);
	for (int i = 0; i < VRF_REGS; i++) {
		const struct vrf_reg *reg = &f->regs[i];

		if (reg->type == NOT_INIT)
			continue;
		if (!print_all && !(env->scratched_regs & (1ull << i)))
			continue;
		vrf_verbose(env, " R%d=", i);
		print_reg(env, f, reg);
	}
	for (int i = 0; i < f->allocated_stack / VRF_SLOT; i++) {
		const struct vrf_stack_slot *s = &f->stack[i];
		char types[VRF_SLOT + 1];
		bool valid = false;

		if (!print_all && !(i < 64 && (env->scratched_stack & (1ull << i))))
			continue;
		/* type[0] is the highest address: Linux prints from there down. */
		for (int j = 0; j < VRF_SLOT; j++) {
			uint8_t ty = s->type[j];

			if (ty != STACK_INVALID)
				valid = true;
			types[j] = slot_char[ty];
		}
		types[VRF_SLOT] = '\0';
		if (!valid)
			continue;
		if (s->type[VRF_SLOT - 1] == STACK_SPILL) {
			/* the spilled bytes show as the register */
			int j;

			for (j = 0; j < VRF_SLOT; j++)
				if (types[j] == 'r')
					break;
			types[j] = '\0';
			vrf_verbose(env, " fp%d=%s", (-i - 1) * VRF_SLOT, types);
			print_reg(env, f, &s->spilled);
		} else {
			vrf_verbose(env, " fp%d=%s", (-i - 1) * VRF_SLOT, types);
		}
	}
	if (st && st->nrefs) {
		vrf_verbose(env, " refs=%u", st->refs[0].id);
		for (uint32_t i = 1; i < st->nrefs; i++)
			vrf_verbose(env, ",%u", st->refs[i].id);
	}
	if (f->in_callback_fn)
		vrf_verbose(env, " cb");
	vrf_verbose(env, "\n");
	if (!print_all) {
		env->scratched_regs = 0;
		env->scratched_stack = 0;
	}
}

/* Column of the ';' after an instruction: 40, or the next multiple of 8. */
static uint32_t log_alignment(uint32_t pos)
{
	uint32_t want = pos + 4 > 40 ? pos + 4 : 40;

	want = (want + 7) / 8 * 8;
	return want - pos - 1;
}

void vrf_print_insn_state(struct vrf_env *env, const struct vrf_func *f)
{
	if (env->prev_log_pos && env->prev_log_pos == env->log_len) {
		/* continue the instruction's line */
		vrf_log_reset(env, env->prev_log_pos - 1);
		vrf_verbose(env, "%*c;", (int)log_alignment(env->prev_insn_print_pos), ' ');
	} else {
		vrf_verbose(env, "%d:", env->insn_idx);
	}
	vrf_print_state(env, f, false);
}

static const char *helper_name_cb(void *priv, int32_t id)
{
	(void)priv;
	return helper_linux_name(id);
}

void vrf_print_insn_text(struct vrf_env *env, int32_t idx)
{
	struct isa_disasm_cbs cbs = {.helper_name = helper_name_cb};
	char text[160];

	if (isa_disasm(env->insns, env->len, (size_t)idx, EXOBPF_SYNTAX_LINUX, &cbs, text,
		       sizeof(text)) < 0)
		snprintf(text, sizeof(text), "BUG_%02x", env->insns[idx].code);
	vrf_verbose(env, "(%02x) %s\n", env->insns[idx].code, text);
}

void vrf_print_insn(struct vrf_env *env, int32_t idx)
{
	uint32_t start = env->log_len;

	vrf_verbose(env, "%d: ", idx);
	vrf_print_insn_text(env, idx);
	env->prev_insn_print_pos = env->log_len - start;
	env->prev_log_pos = env->log_len;
}
