/* The abstract interpreter: walks every path of the program from the entry
 * with an abstract state, checking each instruction (Linux's do_check,
 * check_alu_op, adjust_ptr_min_max_vals, check_cond_jmp_op). Branches push
 * the other side on a stack; prune points consult the explored states. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "verifier/vrf.h"

static const char *const alu_str[16] = {"+=",  "-=", "*=", "/=", "|=",	 "&=",	   "<<=", ">>=",
					"neg", "%=", "^=", "=",	 "s>>=", "endian", "?",	  "?"};

struct vrf_func *vrf_cur_func(struct vrf_env *env)
{
	return env->cur->frame[env->cur->curframe];
}

struct vrf_reg *vrf_cur_regs(struct vrf_env *env)
{
	return vrf_cur_func(env)->regs;
}

static void reg_clear(struct vrf_reg *reg)
{
	memset(reg, 0, sizeof(*reg));
}

void vrf_mark_reg_not_init(struct vrf_reg *regs, uint32_t regno)
{
	reg_clear(&regs[regno]);
	regs[regno].type = NOT_INIT;
	vrf_mark_reg_unknown_bounds(&regs[regno]);
}

void vrf_mark_reg_unknown(struct vrf_env *env, struct vrf_reg *regs, uint32_t regno)
{
	(void)env;
	reg_clear(&regs[regno]);
	regs[regno].type = SCALAR_VALUE;
	vrf_mark_reg_unknown_bounds(&regs[regno]);
	/* Privileged programs track no precision: every scalar counts. */
	regs[regno].precise = false;
}

void vrf_mark_reg_known_zero(struct vrf_reg *regs, uint32_t regno)
{
	uint32_t type = regs[regno].type;

	reg_clear(&regs[regno]);
	regs[regno].type = type;
	vrf_mark_reg_known(&regs[regno], 0);
}

void vrf_init_reg_state(struct vrf_env *env, struct vrf_func *f)
{
	(void)env;
	for (int i = 0; i < VRF_REGS; i++)
		vrf_mark_reg_not_init(f->regs, (uint32_t)i);
	f->regs[VRF_FP].type = PTR_TO_STACK;
	vrf_mark_reg_known(&f->regs[VRF_FP], 0);
	f->regs[VRF_FP].frameno = (uint8_t)f->frameno;
}

bool vrf_is_pointer(const struct vrf_reg *reg)
{
	return reg->type != SCALAR_VALUE && reg->type != NOT_INIT;
}

/* A pointer the program must not turn into a number (unprivileged). */
bool vrf_is_pointer_value(struct vrf_env *env, const struct vrf_reg *reg)
{
	if (env->allow_ptr_leaks)
		return false;
	return reg->type != SCALAR_VALUE;
}

static bool reg_is_ptr_value(struct vrf_env *env, uint32_t regno)
{
	return vrf_is_pointer_value(env, &vrf_cur_regs(env)[regno]);
}

int vrf_check_reg_arg(struct vrf_env *env, uint32_t regno, enum vrf_reg_arg t)
{
	struct vrf_func *f = vrf_cur_func(env);
	struct vrf_reg *regs = f->regs;

	if (regno >= VRF_REGS) {
		vrf_verbose(env, "R%u is invalid\n", regno);
		return -EINVAL;
	}
	vrf_mark_reg_scratched(env, regno);
	if (t == SRC_OP) {
		if (regs[regno].type == NOT_INIT) {
			vrf_verbose(env, "R%u !read_ok\n", regno);
			return -EACCES;
		}
		if (regno != VRF_FP)
			vrf_live_read(&f->reg_live[regno]);
		return 0;
	}
	if (regno == VRF_FP) {
		vrf_verbose(env, "frame pointer is read only\n");
		return -EACCES;
	}
	vrf_live_write(&f->reg_live[regno]);
	if (t == DST_OP)
		vrf_mark_reg_unknown(env, regs, regno);
	return 0;
}

/* Record (merge) what this visit proved about instruction idx. */
void vrf_record_fact(struct vrf_env *env, int idx, const struct vrf_fact *f)
{
	struct vrf_aux *aux = &env->aux[idx];
	struct vrf_fact *m = &aux->fact;

	if (!aux->fact_init) {
		*m = *f;
		m->flags |= VRF_FACT_SEEN;
		aux->fact_init = true;
		return;
	}
	/* A fact holds only if it holds on every visit. */
	uint32_t keep = m->flags & f->flags;

	if ((keep & VRF_FACT_DST_CONST) && m->dst_const != f->dst_const)
		keep &= ~VRF_FACT_DST_CONST;
	if ((keep & VRF_FACT_SRC_CONST) && m->src_const != f->src_const)
		keep &= ~VRF_FACT_SRC_CONST;
	if (m->mem_kind != f->mem_kind)
		m->mem_kind = VRF_MEM_MIXED;
	m->flags = keep | VRF_FACT_SEEN;
}

/* ---- the exploration stack ---- */

struct vrf_state *vrf_push_stack(struct vrf_env *env, int insn_idx, int prev_insn_idx,
				 bool speculative)
{
	struct vrf_stack_elem *elem = calloc(1, sizeof(*elem));

	if (!elem)
		return NULL;
	elem->insn_idx = insn_idx;
	elem->prev_insn_idx = prev_insn_idx;
	elem->log_pos = env->log_len;
	elem->next = env->head;
	if (vrf_copy_state(&elem->st, env->cur)) {
		free(elem);
		return NULL;
	}
	elem->st.speculative |= speculative;
	/* one more path continues from the checkpoint */
	if (elem->st.parent)
		elem->st.parent->branches++;
	env->head = elem;
	env->stack_size++;
	if (env->stack_size > VRF_JMP_SEQ_LIMIT) {
		vrf_verbose(env, "The sequence of %d jumps is too complex.\n", env->stack_size);
		return NULL;
	}
	return &elem->st;
}

/* Continue with the most recently pushed path; -ENOENT when none is left. */
static int pop_stack(struct vrf_env *env, int *prev_insn_idx, int *insn_idx, bool pop_log)
{
	struct vrf_stack_elem *head = env->head;
	int err;

	if (!head)
		return -ENOENT;
	err = vrf_copy_state(env->cur, &head->st);
	if (err)
		return err;
	if (pop_log)
		vrf_log_reset(env, head->log_pos);
	*insn_idx = head->insn_idx;
	*prev_insn_idx = head->prev_insn_idx;
	env->head = head->next;
	vrf_free_state(&head->st, false);
	free(head);
	env->stack_size--;
	return 0;
}

/* ---- ALU ---- */

static bool ptr_is_pkt(const struct vrf_reg *reg)
{
	return reg->type == PTR_TO_PACKET || reg->type == PTR_TO_PACKET_META;
}

static bool check_reg_sane_offset(struct vrf_env *env, const struct vrf_reg *reg, uint32_t type)
{
	bool known = tnum_is_const(reg->var_off);
	int64_t val = (int64_t)reg->var_off.value;

	if (known && (val >= VRF_MAX_VAR_OFF || val <= -VRF_MAX_VAR_OFF)) {
		vrf_verbose(env, "math between %s pointer and %lld is not allowed\n",
			    vrf_reg_type_str(env, type), (long long)val);
		return false;
	}
	if (reg->off >= VRF_MAX_VAR_OFF || reg->off <= -VRF_MAX_VAR_OFF) {
		vrf_verbose(env, "%s pointer offset %d is not allowed\n",
			    vrf_reg_type_str(env, type), reg->off);
		return false;
	}
	if (reg->smin == INT64_MIN) {
		vrf_verbose(env,
			    "math between %s pointer and register with unbounded min value is not "
			    "allowed\n",
			    vrf_reg_type_str(env, type));
		return false;
	}
	if (reg->smin >= VRF_MAX_VAR_OFF || reg->smin <= -VRF_MAX_VAR_OFF) {
		vrf_verbose(env, "value %lld makes %s pointer be out of bounds\n",
			    (long long)reg->smin, vrf_reg_type_str(env, type));
		return false;
	}
	return true;
}

/* Unprivileged pointer arithmetic: Linux's Spectre v1 rules, the part that
 * decides verdicts (the masking itself is not needed in user space). Each
 * instruction keeps one direction and one limit for the mask Linux would
 * apply, so every path must agree on them; an unknown offset is also
 * explored as if it had been masked to zero (speculatively). */
struct sanitize_info {
	bool mask_to_left;
	uint8_t alu_state;
	uint32_t alu_limit;
};

#define ALU_NEG_VALUE	 (1u << 0)
#define ALU_IMMEDIATE	 (1u << 1)
#define ALU_SANITIZE_SRC (1u << 2)
#define ALU_SANITIZE_DST (1u << 3)

static const char *const spec_err = "pointer arithmetic with it prohibited for !root";

static int ptr_limit(const struct vrf_reg *ptr, bool mask_to_left, uint32_t *limit)
{
	uint32_t max, lim;

	if (ptr->type == PTR_TO_STACK) {
		/* offset 0 is out of bounds but a fine start leftwards (r10) */
		max = VRF_STACK_SIZE + mask_to_left;
		lim = (uint32_t) - (int32_t)(ptr->var_off.value + (uint64_t)(int64_t)ptr->off);
	} else if (ptr->type == PTR_TO_MAP_VALUE && ptr->map) {
		max = ptr->map->value_size;
		lim = (uint32_t)((mask_to_left ? (uint64_t)ptr->smin : ptr->umax) +
				 (uint64_t)(int64_t)ptr->off);
	} else {
		return -1;
	}
	if (lim >= max)
		return -2;
	*limit = lim;
	return 0;
}

static int sanitize_ptr_alu(struct vrf_env *env, struct bpf_insn *insn,
			    const struct vrf_reg *ptr_reg, const struct vrf_reg *off_reg,
			    bool ptr_is_dst, struct sanitize_info *info, bool commit)
{
	uint32_t off_regno = BPF_SRC(insn->code) == BPF_X ? insn->src_reg : insn->dst_reg;
	bool off_is_imm = tnum_is_const(off_reg->var_off), off_is_neg = off_reg->smin < 0;
	uint8_t opcode = BPF_OP(insn->code);
	const char *op = opcode == BPF_ADD ? "add" : "sub";
	struct vrf_aux *aux = &env->aux[env->insn_idx];
	uint32_t alu_limit;
	uint8_t alu_state;
	int r;

	if (env->bypass_spec_v1 || BPF_SRC(insn->code) == BPF_K)
		return 0;
	if (env->cur->speculative)
		goto sim; /* the direction was recorded on the real path */
	if (!commit) {
		if (!off_is_imm && (off_reg->smin < 0) != (off_reg->smax < 0)) {
			vrf_verbose(env, "R%u has unknown scalar with mixed signed bounds, %s\n",
				    off_regno, spec_err);
			return -EACCES;
		}
		info->mask_to_left =
		    (opcode == BPF_ADD && off_is_neg) || (opcode == BPF_SUB && !off_is_neg);
	}
	r = ptr_limit(ptr_reg, info->mask_to_left, &alu_limit);
	if (r == -1) {
		vrf_verbose(env, "R%u has pointer with unsupported alu operation, %s\n", off_regno,
			    spec_err);
		return -EACCES;
	}
	if (r == -2) {
		vrf_verbose(env, "R%u tried to %s beyond pointer bounds, %s\n", insn->dst_reg, op,
			    spec_err);
		return -EACCES;
	}
	if (commit) {
		/* the window narrows to how far the pointer really moved */
		alu_state = info->alu_state;
		alu_limit = (uint32_t)abs((int32_t)(info->alu_limit - alu_limit));
	} else {
		alu_state = (off_is_neg ? ALU_NEG_VALUE : 0) | (off_is_imm ? ALU_IMMEDIATE : 0) |
			    (ptr_is_dst ? ALU_SANITIZE_SRC : ALU_SANITIZE_DST);
		info->alu_state = alu_state;
		info->alu_limit = alu_limit;
		if (!off_is_imm)
			env->explore_alu_limits = true;
		if (!commit)
			goto sim;
	}
	if (aux->alu_state && (aux->alu_state != alu_state || aux->alu_limit != alu_limit)) {
		vrf_verbose(env, "R%u tried to %s from different maps, paths or scalars, %s\n",
			    insn->dst_reg, op, spec_err);
		return -EACCES;
	}
	aux->alu_state = alu_state;
	aux->alu_limit = alu_limit;
	return 0;
sim:
	if (commit || off_is_imm)
		return 0;
	{
		/* the CPU may run on with the offset masked away */
		struct vrf_state *spec =
		    vrf_push_stack(env, env->insn_idx + 1, env->insn_idx, true);

		if (!spec) {
			vrf_verbose(env,
				    "R%u could not be pushed for speculative verification, %s\n",
				    insn->dst_reg, spec_err);
			return -EACCES;
		}
		spec->frame[spec->curframe]->regs[insn->dst_reg] = *ptr_reg;
	}
	return 0;
}

static int check_map_value_in_range(struct vrf_env *env, uint32_t regno)
{
	struct vrf_reg *reg = &vrf_cur_regs(env)[regno];
	int64_t lo = reg->smin + reg->off, hi = (int64_t)reg->umax + reg->off;

	if (lo < 0 || hi + 1 > (int64_t)reg->map->value_size || reg->umax >= VRF_MAX_VAR_OFF)
		return -EACCES;
	return 0;
}

static int sanitize_check_bounds(struct vrf_env *env, uint32_t dst, const struct vrf_reg *reg)
{
	if (env->bypass_spec_v1)
		return 0;
	if (reg->type == PTR_TO_STACK) {
		int off = reg->off + (int)reg->var_off.value;

		if (!tnum_is_const(reg->var_off)) {
			char tn[48];

			tnum_strn(tn, sizeof(tn), reg->var_off);
			vrf_verbose(
			    env,
			    "R%u variable stack access prohibited for !root, var_off=%s off=%d\n",
			    dst, tn, off);
			return -EACCES;
		}
		if (off >= 0 || off < -VRF_STACK_SIZE) {
			vrf_verbose(env,
				    "R%u stack pointer arithmetic goes out of range, prohibited "
				    "for !root; off=%d\n",
				    dst, off);
			return -EACCES;
		}
	} else if (reg->type == PTR_TO_MAP_VALUE) {
		if (check_map_value_in_range(env, dst)) {
			vrf_verbose(env,
				    "R%u pointer arithmetic of map value goes out of range, "
				    "prohibited for !root\n",
				    dst);
			return -EACCES;
		}
	}
	return 0;
}

static int adjust_ptr_min_max_vals(struct vrf_env *env, struct bpf_insn *insn,
				   const struct vrf_reg *ptr_reg_in,
				   const struct vrf_reg *off_reg_in)
{
	struct vrf_reg *regs = vrf_cur_regs(env);
	struct vrf_reg ptr = *ptr_reg_in, off = *off_reg_in;
	const struct vrf_reg *ptr_reg = &ptr, *off_reg = &off;
	uint32_t dst = insn->dst_reg;
	struct vrf_reg *d = &regs[dst];
	bool known = tnum_is_const(off.var_off);
	uint8_t opcode = BPF_OP(insn->code);
	bool dst_is_off = off_reg_in == d;
	struct sanitize_info sinfo = {0};
	int err;

	if ((known && (off.smin != off.smax || off.umin != off.umax)) || off.smin > off.smax ||
	    off.umin > off.umax) {
		/* offset from a dead branch: the result is meaningless */
		vrf_mark_reg_unknown(env, regs, dst);
		return 0;
	}
	if (BPF_CLASS(insn->code) != BPF_ALU64) {
		if (opcode == BPF_SUB && env->allow_ptr_leaks) {
			vrf_mark_reg_unknown(env, regs, dst);
			return 0;
		}
		vrf_verbose(env, "R%u 32-bit pointer arithmetic prohibited\n", dst);
		return -EACCES;
	}
	if (ptr.type & PTR_MAYBE_NULL_T) {
		vrf_verbose(env, "R%u pointer arithmetic on %s prohibited, null-check it first\n",
			    dst, vrf_reg_type_str(env, ptr.type));
		return -EACCES;
	}
	switch (base_type(ptr.type)) {
	case CONST_PTR_TO_MAP:
		if (known && off.smin == 0 && opcode == BPF_ADD)
			break;
		/* fall through */
	case PTR_TO_PACKET_END:
	case PTR_TO_SOCKET:
	case PTR_TO_SOCK_COMMON:
	case PTR_TO_TCP_SOCK:
	case PTR_TO_XDP_SOCK:
		vrf_verbose(env, "R%u pointer arithmetic on %s prohibited\n", dst,
			    vrf_reg_type_str(env, ptr.type));
		return -EACCES;
	default:
		break;
	}
	d->type = ptr.type;
	d->id = ptr.id;
	if (!check_reg_sane_offset(env, off_reg, ptr.type) ||
	    !check_reg_sane_offset(env, ptr_reg, ptr.type))
		return -EINVAL;
	if ((opcode == BPF_ADD || opcode == BPF_SUB) &&
	    (err = sanitize_ptr_alu(env, insn, ptr_reg, off_reg, !dst_is_off, &sinfo, false)))
		return err;

	switch (opcode) {
	case BPF_ADD:
		if (known &&
		    (int64_t)ptr.off + off.smin == (int64_t)(int32_t)(ptr.off + off.smin)) {
			*d = ptr;
			d->off = (int32_t)(ptr.off + off.smin);
			break;
		}
		*d = ptr;
		if (__builtin_add_overflow(ptr.smin, off.smin, &d->smin) ||
		    __builtin_add_overflow(ptr.smax, off.smax, &d->smax)) {
			d->smin = INT64_MIN;
			d->smax = INT64_MAX;
		}
		if (ptr.umin + off.umin < ptr.umin || ptr.umax + off.umax < ptr.umax) {
			d->umin = 0;
			d->umax = UINT64_MAX;
		} else {
			d->umin = ptr.umin + off.umin;
			d->umax = ptr.umax + off.umax;
		}
		d->var_off = tnum_add(ptr.var_off, off.var_off);
		if (ptr_is_pkt(&ptr)) {
			d->id = ++env->id_gen;
			d->range = 0; /* a new variable offset: nothing checked yet */
		}
		break;
	case BPF_SUB:
		if (dst_is_off) {
			vrf_verbose(env, "R%u tried to subtract pointer from scalar\n", dst);
			return -EACCES;
		}
		if (ptr.type == PTR_TO_STACK) {
			vrf_verbose(env, "R%u subtraction from stack pointer prohibited\n", dst);
			return -EACCES;
		}
		if (known &&
		    (int64_t)ptr.off - off.smin == (int64_t)(int32_t)(ptr.off - off.smin)) {
			*d = ptr;
			d->off = (int32_t)(ptr.off - off.smin);
			break;
		}
		*d = ptr;
		if (__builtin_sub_overflow(ptr.smin, off.smax, &d->smin) ||
		    __builtin_sub_overflow(ptr.smax, off.smin, &d->smax)) {
			d->smin = INT64_MIN;
			d->smax = INT64_MAX;
		}
		if (ptr.umin < off.umax) {
			d->umin = 0;
			d->umax = UINT64_MAX;
		} else {
			d->umin = ptr.umin - off.umax;
			d->umax = ptr.umax - off.umin;
		}
		d->var_off = tnum_sub(ptr.var_off, off.var_off);
		if (ptr_is_pkt(&ptr)) {
			d->id = ++env->id_gen;
			if (off.smin < 0)
				d->range = 0;
		}
		break;
	case BPF_AND:
	case BPF_OR:
	case BPF_XOR:
		vrf_verbose(env, "R%u bitwise operator %s on pointer prohibited\n", dst,
			    alu_str[opcode >> 4]);
		return -EACCES;
	default:
		vrf_verbose(env, "R%u pointer arithmetic with %s operator prohibited\n", dst,
			    alu_str[opcode >> 4]);
		return -EACCES;
	}
	/* Pointers carry no 32-bit bounds. */
	d->s32_min = INT32_MIN;
	d->s32_max = INT32_MAX;
	d->u32_min = 0;
	d->u32_max = UINT32_MAX;
	if (!check_reg_sane_offset(env, d, ptr.type))
		return -EINVAL;
	vrf_reg_bounds_sync(d);
	if (sanitize_check_bounds(env, dst, d) < 0)
		return -EACCES;
	if (opcode == BPF_ADD || opcode == BPF_SUB) {
		struct vrf_reg moved = *d;

		return sanitize_ptr_alu(env, insn, &moved, off_reg, !dst_is_off, &sinfo, true);
	}
	return 0;
}

static int adjust_reg_min_max_vals(struct vrf_env *env, struct bpf_insn *insn)
{
	struct vrf_reg *regs = vrf_cur_regs(env);
	struct vrf_reg *dst = &regs[insn->dst_reg], *src, off_reg;
	uint8_t opcode = BPF_OP(insn->code);
	bool alu32 = BPF_CLASS(insn->code) != BPF_ALU64;
	int err;

	if (dst->type == SCALAR_VALUE)
		dst->id = 0; /* no longer equal to its former copies */
	if (BPF_SRC(insn->code) == BPF_X) {
		src = &regs[insn->src_reg];
		if (src->type != SCALAR_VALUE) {
			if (dst->type != SCALAR_VALUE) {
				if (opcode == BPF_SUB && env->allow_ptr_leaks) {
					vrf_mark_reg_unknown(env, regs, insn->dst_reg);
					return 0;
				}
				vrf_verbose(env, "R%u pointer %s pointer prohibited\n",
					    insn->dst_reg, alu_str[opcode >> 4]);
				return -EACCES;
			}
			/* a scalar that moves a pointer is precise */
			if ((err = vrf_mark_chain_precision(env, insn->dst_reg)))
				return err;
			return adjust_ptr_min_max_vals(env, insn, src, dst);
		}
		if (dst->type != SCALAR_VALUE) {
			if ((err = vrf_mark_chain_precision(env, insn->src_reg)))
				return err;
			return adjust_ptr_min_max_vals(env, insn, dst, src);
		}
		/* a precise result needs both operands precise */
		if (dst->precise && (err = vrf_mark_chain_precision(env, insn->src_reg)))
			return err;
	} else {
		memset(&off_reg, 0, sizeof(off_reg));
		off_reg.type = SCALAR_VALUE;
		vrf_mark_reg_known(&off_reg, (uint64_t)(int64_t)insn->imm);
		src = &off_reg;
		if (dst->type != SCALAR_VALUE)
			return adjust_ptr_min_max_vals(env, insn, dst, src);
	}
	{
		struct vrf_reg s = *src;

		vrf_scalar_alu(dst, &s, opcode, alu32);
	}
	return 0;
}

/* Reserved fields are clear (register numbers are check_reg_arg's job, as
 * "R15 is invalid"). */
static bool alu_decodes(struct vrf_env *env, int idx)
{
	enum isa_fault fault;

	return isa_decode(env->insns, env->len, (size_t)idx, &fault) >= 0 || fault == ISA_E_REG;
}

static int check_alu_op(struct vrf_env *env, struct bpf_insn *insn)
{
	struct vrf_reg *regs = vrf_cur_regs(env);
	uint8_t opcode = BPF_OP(insn->code);
	bool alu64 = BPF_CLASS(insn->code) == BPF_ALU64;
	bool valid = alu_decodes(env, env->insn_idx);
	int err;

	if (opcode == BPF_END || opcode == BPF_NEG) {
		if (!valid) {
			vrf_verbose(env, "%s uses reserved fields\n",
				    opcode == BPF_NEG ? "BPF_NEG" : "BPF_END");
			return -EINVAL;
		}
		if ((err = vrf_check_reg_arg(env, insn->dst_reg, SRC_OP)))
			return err;
		if (reg_is_ptr_value(env, insn->dst_reg)) {
			vrf_verbose(env, "R%u pointer arithmetic prohibited\n", insn->dst_reg);
			return -EACCES;
		}
		if ((err = vrf_check_reg_arg(env, insn->dst_reg, DST_OP)))
			return err;
		/* negation of a constant stays constant */
		return 0;
	}
	if (opcode == BPF_MOV) {
		if (!valid) {
			vrf_verbose(env, "BPF_MOV uses reserved fields\n");
			return -EINVAL;
		}
		if (BPF_SRC(insn->code) == BPF_X &&
		    (err = vrf_check_reg_arg(env, insn->src_reg, SRC_OP)))
			return err;
		if ((err = vrf_check_reg_arg(env, insn->dst_reg, DST_OP_NO_MARK)))
			return err;
		regs = vrf_cur_regs(env);
		if (BPF_SRC(insn->code) == BPF_X) {
			struct vrf_reg *s = &regs[insn->src_reg], *d = &regs[insn->dst_reg];

			if (insn->off) { /* movsx */
				if (reg_is_ptr_value(env, insn->src_reg) ||
				    (s->type != SCALAR_VALUE && !alu64)) {
					vrf_verbose(env, "R%u sign-extension part of pointer\n",
						    insn->src_reg);
					return -EACCES;
				}
				if (s->type == SCALAR_VALUE) {
					*d = *s;
					d->id = 0;
					if (alu64)
						vrf_coerce_reg_to_size_sx(d, insn->off / 8);
					else
						vrf_coerce_subreg_to_size_sx(d, insn->off / 8);
				} else {
					vrf_mark_reg_unknown(env, regs, insn->dst_reg);
				}
				d->subreg_def = alu64 ? 0 : env->insn_idx + 1;
				return 0;
			}
			if (alu64) {
				if (s->type == SCALAR_VALUE && !s->id && !tnum_is_const(s->var_off))
					s->id = ++env->id_gen; /* copies are refined together */
				*d = *s;
				d->subreg_def = 0;
			} else {
				if (reg_is_ptr_value(env, insn->src_reg)) {
					vrf_verbose(env, "R%u partial copy of pointer\n",
						    insn->src_reg);
					return -EACCES;
				} else if (s->type == SCALAR_VALUE) {
					*d = *s;
					d->id = 0;
					d->subreg_def = env->insn_idx + 1;
				} else {
					vrf_mark_reg_unknown(env, regs, insn->dst_reg);
				}
				vrf_zext_32_to_64(d);
				vrf_reg_bounds_sync(d);
			}
		} else {
			vrf_mark_reg_unknown(env, regs, insn->dst_reg);
			regs[insn->dst_reg].type = SCALAR_VALUE;
			vrf_mark_reg_known(&regs[insn->dst_reg],
					   alu64 ? (uint64_t)(int64_t)insn->imm
						 : (uint64_t)(uint32_t)insn->imm);
		}
		return 0;
	}
	if (opcode > BPF_END) {
		vrf_verbose(env, "invalid BPF_ALU opcode %x\n", opcode);
		return -EINVAL;
	}
	if (!valid) {
		vrf_verbose(env, "BPF_ALU uses reserved fields\n");
		return -EINVAL;
	}
	if (BPF_SRC(insn->code) == BPF_X && (err = vrf_check_reg_arg(env, insn->src_reg, SRC_OP)))
		return err;
	if ((err = vrf_check_reg_arg(env, insn->dst_reg, SRC_OP)))
		return err;
	if ((opcode == BPF_MOD || opcode == BPF_DIV) && BPF_SRC(insn->code) == BPF_K &&
	    insn->imm == 0) {
		vrf_verbose(env, "div by zero\n");
		return -EINVAL;
	}
	if ((opcode == BPF_LSH || opcode == BPF_RSH || opcode == BPF_ARSH) &&
	    BPF_SRC(insn->code) == BPF_K) {
		int size = alu64 ? 64 : 32;

		if (insn->imm < 0 || insn->imm >= size) {
			vrf_verbose(env, "invalid shift %d\n", insn->imm);
			return -EINVAL;
		}
	}
	if ((err = vrf_check_reg_arg(env, insn->dst_reg, DST_OP_NO_MARK)))
		return err;
	/* sdiv/smod are div/mod with off 1: their result is an unknown
	 * scalar like div's (vrf_scalar_alu gives up on both). */
	return adjust_reg_min_max_vals(env, insn);
}

/* Facts for an ALU instruction, from the state before (src) and after
 * (dst) it executes. */
static void alu_facts(struct vrf_env *env, int idx, const struct bpf_insn *insn,
		      const struct vrf_reg *src_before)
{
	struct vrf_fact f = {0};
	const struct vrf_reg *d = &vrf_cur_regs(env)[insn->dst_reg];
	uint8_t op = BPF_OP(insn->code);
	bool alu64 = BPF_CLASS(insn->code) == BPF_ALU64;

	if (d->type == SCALAR_VALUE && tnum_is_const(d->var_off)) {
		f.flags |= VRF_FACT_DST_CONST;
		f.dst_const = d->var_off.value;
	}
	if (BPF_SRC(insn->code) == BPF_X && src_before && src_before->type == SCALAR_VALUE) {
		const struct vrf_reg *s = src_before;

		if (tnum_is_const(s->var_off)) {
			f.flags |= VRF_FACT_SRC_CONST;
			f.src_const = s->var_off.value;
		}
		if (op == BPF_DIV || op == BPF_MOD) {
			bool nonzero = alu64 ? s->umin > 0 : s->u32_min > 0;
			bool not_neg1 = alu64 ? (s->smax < -1 || s->smin > -1)
					      : (s->s32_max < -1 || s->s32_min > -1);

			if (nonzero)
				f.flags |= VRF_FACT_DIV_NONZERO;
			if (not_neg1)
				f.flags |= VRF_FACT_DIV_NOT_NEG1;
		}
		if (op == BPF_LSH || op == BPF_RSH || op == BPF_ARSH) {
			if (s->umax < (alu64 ? 64u : 32u))
				f.flags |= VRF_FACT_SHIFT_OK;
		}
	} else if (BPF_SRC(insn->code) == BPF_K) {
		if ((op == BPF_DIV || op == BPF_MOD) && insn->imm)
			f.flags |= VRF_FACT_DIV_NONZERO;
		if ((op == BPF_DIV || op == BPF_MOD) && insn->imm != -1)
			f.flags |= VRF_FACT_DIV_NOT_NEG1;
		if (op == BPF_LSH || op == BPF_RSH || op == BPF_ARSH)
			f.flags |= VRF_FACT_SHIFT_OK;
	}
	vrf_record_fact(env, idx, &f);
}

/* ---- conditional jumps ---- */

static bool type_not_null(uint32_t type)
{
	if (type & PTR_MAYBE_NULL_T)
		return false;
	type = base_type(type);
	return type == PTR_TO_SOCKET || type == PTR_TO_TCP_SOCK || type == PTR_TO_MAP_VALUE ||
	       type == PTR_TO_MAP_KEY || type == PTR_TO_SOCK_COMMON;
}

static uint8_t flip_op(uint8_t op)
{
	switch (op) {
	case BPF_JGT:
		return BPF_JLT;
	case BPF_JLT:
		return BPF_JGT;
	case BPF_JGE:
		return BPF_JLE;
	case BPF_JLE:
		return BPF_JGE;
	case BPF_JSGT:
		return BPF_JSLT;
	case BPF_JSLT:
		return BPF_JSGT;
	case BPF_JSGE:
		return BPF_JSLE;
	case BPF_JSLE:
		return BPF_JSGE;
	default:
		return op;
	}
}

#define BEYOND_PKT_END (-1)
#define AT_PKT_END     (-2)

static int pkt_ptr_branch_taken(const struct vrf_reg *dst, const struct vrf_reg *src, uint8_t op)
{
	const struct vrf_reg *pkt;

	if (src->type == PTR_TO_PACKET_END) {
		pkt = dst;
	} else if (dst->type == PTR_TO_PACKET_END) {
		pkt = src;
		op = flip_op(op);
	} else {
		return -1;
	}
	if (pkt->range >= 0)
		return -1;
	switch (op) {
	case BPF_JLE:
	case BPF_JGT:
		if (pkt->range == BEYOND_PKT_END)
			return op == BPF_JGT;
		break;
	case BPF_JLT:
	case BPF_JGE:
		if (pkt->range == BEYOND_PKT_END || pkt->range == AT_PKT_END)
			return op == BPF_JGE;
		break;
	}
	return -1;
}

static int branch_taken(const struct vrf_reg *reg, uint64_t val, uint8_t op, bool is_jmp32)
{
	struct vrf_reg k;

	if (vrf_is_pointer(reg)) {
		if (!type_not_null(reg->type) || val != 0)
			return -1;
		if (op == BPF_JEQ)
			return 0;
		if (op == BPF_JNE)
			return 1;
		return -1;
	}
	memset(&k, 0, sizeof(k));
	vrf_mark_reg_known(&k, val);
	return vrf_branch_taken_scalar(reg, &k, op, is_jmp32);
}

#define for_each_reg(st, f, reg, body)                                          \
	for (uint32_t fi_ = 0; fi_ <= (st)->curframe; fi_++) {                  \
		struct vrf_func *f = (st)->frame[fi_];                          \
		for (int ri_ = 0; ri_ < VRF_REGS; ri_++) {                      \
			struct vrf_reg *reg = &f->regs[ri_];                    \
			body                                                    \
		}                                                               \
		for (int si_ = 0; si_ < f->allocated_stack / VRF_SLOT; si_++) { \
			if (!vrf_is_spilled_reg(&f->stack[si_]))                \
				continue;                                       \
			struct vrf_reg *reg = &f->stack[si_].spilled;           \
			body                                                    \
		}                                                               \
	}

static void find_good_pkt_pointers(struct vrf_state *st, const struct vrf_reg *dst, uint32_t type,
				   bool range_right_open)
{
	int new_range;

	if (dst->off < 0 || (dst->off == 0 && range_right_open))
		return;
	if (dst->umax > VRF_MAX_PACKET_OFF || dst->umax + (uint64_t)dst->off > VRF_MAX_PACKET_OFF)
		return; /* could wrap around */
	/* pkt' < pkt_end (right open) proves one byte more than <= */
	new_range = dst->off;
	if (range_right_open)
		new_range++;
	uint32_t id = dst->id;
	for_each_reg(st, f, reg, {
		(void)f;
		if (reg->type == type && reg->id == id && reg->range < new_range)
			reg->range = new_range;
	})
}

static void mark_pkt_end(struct vrf_state *st, int regn, bool range_open)
{
	struct vrf_reg *reg = &st->frame[st->curframe]->regs[regn];

	if (reg->type != PTR_TO_PACKET)
		return;
	reg->range = range_open ? BEYOND_PKT_END : AT_PKT_END;
}

static bool init_pkt_pointer(const struct vrf_reg *reg, uint32_t type)
{
	return reg->type == type && reg->off == 0 && tnum_equals_const(reg->var_off, 0);
}

static bool try_match_pkt_pointers(const struct bpf_insn *insn, struct vrf_reg *dst,
				   struct vrf_reg *src, struct vrf_state *this_branch,
				   struct vrf_state *other)
{
	bool fwd, rev;

	if (BPF_SRC(insn->code) != BPF_X || BPF_CLASS(insn->code) == BPF_JMP32)
		return false;
	/* pkt' OP pkt_end, pkt_meta' OP pkt */
	fwd = (dst->type == PTR_TO_PACKET && src->type == PTR_TO_PACKET_END) ||
	      (dst->type == PTR_TO_PACKET_META && init_pkt_pointer(src, PTR_TO_PACKET));
	/* pkt_end OP pkt', pkt OP pkt_meta' */
	rev = (dst->type == PTR_TO_PACKET_END && src->type == PTR_TO_PACKET) ||
	      (init_pkt_pointer(dst, PTR_TO_PACKET) && src->type == PTR_TO_PACKET_META);
	switch (BPF_OP(insn->code)) {
	case BPF_JGT:
		if (fwd) {
			find_good_pkt_pointers(this_branch, dst, dst->type, false);
			mark_pkt_end(other, insn->dst_reg, true);
		} else if (rev) {
			find_good_pkt_pointers(other, src, src->type, true);
			mark_pkt_end(this_branch, insn->src_reg, false);
		} else {
			return false;
		}
		break;
	case BPF_JLT:
		if (fwd) {
			find_good_pkt_pointers(other, dst, dst->type, true);
			mark_pkt_end(this_branch, insn->dst_reg, false);
		} else if (rev) {
			find_good_pkt_pointers(this_branch, src, src->type, false);
			mark_pkt_end(other, insn->src_reg, true);
		} else {
			return false;
		}
		break;
	case BPF_JGE:
		if (fwd) {
			find_good_pkt_pointers(this_branch, dst, dst->type, true);
			mark_pkt_end(other, insn->dst_reg, false);
		} else if (rev) {
			find_good_pkt_pointers(other, src, src->type, false);
			mark_pkt_end(this_branch, insn->src_reg, true);
		} else {
			return false;
		}
		break;
	case BPF_JLE:
		if (fwd) {
			find_good_pkt_pointers(other, dst, dst->type, false);
			mark_pkt_end(this_branch, insn->dst_reg, true);
		} else if (rev) {
			find_good_pkt_pointers(this_branch, src, src->type, true);
			mark_pkt_end(other, insn->src_reg, false);
		} else {
			return false;
		}
		break;
	default:
		return false;
	}
	return true;
}

/* After a compare refined a scalar, give every copy of it (same id) the
 * same knowledge. */
static void find_equal_scalars(struct vrf_state *st, const struct vrf_reg *known)
{
	struct vrf_reg copy = *known;

	for_each_reg(st, f, reg, {
		(void)f;
		if (reg != known && reg->type == SCALAR_VALUE && reg->id == copy.id) {
			int32_t subreg_def = reg->subreg_def;

			*reg = copy;
			reg->subreg_def = subreg_def;
		}
	})
}

static void mark_ptr_not_null(struct vrf_reg *reg)
{
	if (base_type(reg->type) == PTR_TO_MAP_VALUE && reg->map) {
		const struct vrf_map *map = reg->map;

		if (map->inner) {
			reg->type = CONST_PTR_TO_MAP;
			reg->map = map->inner;
		} else if (map->type == BPF_MAP_TYPE_XSKMAP) {
			reg->type = PTR_TO_XDP_SOCK;
		} else if (map->type == BPF_MAP_TYPE_SOCKMAP ||
			   map->type == BPF_MAP_TYPE_SOCKHASH) {
			reg->type = PTR_TO_SOCKET;
		} else {
			reg->type = PTR_TO_MAP_VALUE;
		}
		return;
	}
	reg->type &= ~(uint32_t)PTR_MAYBE_NULL_T;
}

static void mark_ptr_or_null_regs(struct vrf_env *env, struct vrf_state *st, uint32_t regno,
				  bool is_null)
{
	struct vrf_reg *r = &st->frame[st->curframe]->regs[regno];
	uint32_t id = r->id, ref = r->ref_obj_id;

	if (ref && ref == id && is_null) {
		/* the reference was never obtained on this path */
		for (uint32_t i = 0; i < st->nrefs; i++)
			if (st->refs[i].id == id) {
				st->refs[i] = st->refs[--st->nrefs];
				break;
			}
	}
	(void)env;
	for_each_reg(st, f, reg, {
		(void)f;
		if ((reg->type & PTR_MAYBE_NULL_T) && reg->id == id && id) {
			if (reg->smin || reg->smax || !tnum_equals_const(reg->var_off, 0) ||
			    reg->off)
				continue;
			if (is_null) {
				reg->type = SCALAR_VALUE;
				reg->id = 0;
				reg->ref_obj_id = 0;
				reg->map = NULL;
				continue;
			}
			mark_ptr_not_null(reg);
			if (!vrf_reg_may_point_to_spin_lock(reg))
				reg->id = 0;
		}
	})
}

static int check_cond_jmp_op(struct vrf_env *env, struct bpf_insn *insn, int *insn_idx)
{
	struct vrf_state *this_branch = env->cur, *other;
	struct vrf_reg *regs = vrf_cur_regs(env), *dst, *src = NULL, *oregs;
	uint8_t opcode = BPF_OP(insn->code);
	bool is_jmp32 = BPF_CLASS(insn->code) == BPF_JMP32;
	struct vrf_fact fact = {0};
	int pred = -1, err;

	if (opcode == BPF_JA || opcode > BPF_JSLE) {
		vrf_verbose(env, "invalid BPF_JMP/JMP32 opcode %x\n", opcode);
		return -EINVAL;
	}
	if (BPF_SRC(insn->code) == BPF_X) {
		if (insn->imm != 0) {
			vrf_verbose(env, "BPF_JMP/JMP32 uses reserved fields\n");
			return -EINVAL;
		}
		if ((err = vrf_check_reg_arg(env, insn->src_reg, SRC_OP)))
			return err;
		if (reg_is_ptr_value(env, insn->src_reg)) {
			vrf_verbose(env, "R%u pointer comparison prohibited\n", insn->src_reg);
			return -EACCES;
		}
		src = &regs[insn->src_reg];
	} else if (insn->src_reg != 0) {
		vrf_verbose(env, "BPF_JMP/JMP32 uses reserved fields\n");
		return -EINVAL;
	}
	if ((err = vrf_check_reg_arg(env, insn->dst_reg, SRC_OP)))
		return err;
	dst = &regs[insn->dst_reg];

	if (BPF_SRC(insn->code) == BPF_K) {
		pred =
		    branch_taken(dst, is_jmp32 ? (uint32_t)insn->imm : (uint64_t)(int64_t)insn->imm,
				 opcode, is_jmp32);
		if (dst->type == SCALAR_VALUE && tnum_is_const(dst->var_off)) {
			fact.flags |= VRF_FACT_SRC_CONST;
			fact.src_const = dst->var_off.value;
		}
	} else if (src->type == SCALAR_VALUE && is_jmp32 && tnum_subreg_is_const(src->var_off)) {
		pred = branch_taken(dst, (uint32_t)src->var_off.value, opcode, is_jmp32);
	} else if (src->type == SCALAR_VALUE && !is_jmp32 && tnum_is_const(src->var_off)) {
		pred = branch_taken(dst, src->var_off.value, opcode, is_jmp32);
	} else if (vrf_reg_is_pkt_pointer_any(dst) && vrf_reg_is_pkt_pointer_any(src) &&
		   !is_jmp32) {
		pred = pkt_ptr_branch_taken(dst, src, opcode);
	}
	if (pred == 1)
		fact.flags |= VRF_FACT_JMP_ALWAYS;
	else if (pred == 0)
		fact.flags |= VRF_FACT_JMP_NEVER;
	vrf_record_fact(env, *insn_idx, &fact);

	if (pred >= 0) {
		/* the scalars decided the edge: a state where they differ may not */
		if (dst->type == SCALAR_VALUE &&
		    (err = vrf_mark_chain_precision(env, insn->dst_reg)))
			return err;
		if (src && src->type == SCALAR_VALUE &&
		    (err = vrf_mark_chain_precision(env, insn->src_reg)))
			return err;
	}

	if (pred >= 0 && !env->bypass_spec_v1) {
		/* Unprivileged: the CPU may still speculate down the dead edge,
		 * so Linux checks it too, with the compared registers unknown. */
		int dead = pred == 1 ? *insn_idx + 1 : *insn_idx + insn->off + 1;
		struct vrf_state *spec = vrf_push_stack(env, dead, *insn_idx, true);
		struct vrf_reg *sregs;

		if (!spec)
			return -EFAULT;
		sregs = spec->frame[spec->curframe]->regs;
		vrf_mark_reg_unknown(env, sregs, insn->dst_reg);
		if (BPF_SRC(insn->code) == BPF_X)
			vrf_mark_reg_unknown(env, sregs, insn->src_reg);
	}
	if (pred == 1) {
		*insn_idx += insn->off;
		return 0;
	}
	if (pred == 0)
		return 0;

	/* both edges refine the operands' copies: remember which they are */
	if ((err = vrf_hist_linked(env, dst, src)))
		return err;
	other = vrf_push_stack(env, *insn_idx + insn->off + 1, *insn_idx, false);
	if (!other)
		return -EFAULT;
	oregs = other->frame[other->curframe]->regs;

	if (BPF_SRC(insn->code) == BPF_X) {
		if (dst->type == SCALAR_VALUE && src->type == SCALAR_VALUE) {
			if (insn->dst_reg == insn->src_reg) {
				/* same register on both sides: nothing to learn */
			} else {
				vrf_reg_set_min_max(&oregs[insn->dst_reg], &oregs[insn->src_reg],
						    dst, src, opcode, is_jmp32);
			}
			if (src->id) {
				find_equal_scalars(this_branch, src);
				find_equal_scalars(other, &oregs[insn->src_reg]);
			}
		}
	} else if (dst->type == SCALAR_VALUE) {
		struct vrf_reg k, k2;

		memset(&k, 0, sizeof(k));
		k.type = SCALAR_VALUE;
		vrf_mark_reg_known(&k, (uint64_t)(int64_t)insn->imm);
		k2 = k;
		vrf_reg_set_min_max(&oregs[insn->dst_reg], &k2, dst, &k, opcode, is_jmp32);
	}
	if (dst->type == SCALAR_VALUE && dst->id) {
		find_equal_scalars(this_branch, dst);
		find_equal_scalars(other, &oregs[insn->dst_reg]);
	}

	if (!is_jmp32 && BPF_SRC(insn->code) == BPF_K && insn->imm == 0 &&
	    (opcode == BPF_JEQ || opcode == BPF_JNE) && (dst->type & PTR_MAYBE_NULL_T)) {
		/* One null check covers every copy of the pointer. */
		mark_ptr_or_null_regs(env, this_branch, insn->dst_reg, opcode == BPF_JNE);
		mark_ptr_or_null_regs(env, other, insn->dst_reg, opcode == BPF_JEQ);
	} else if (!try_match_pkt_pointers(insn, dst, src ? src : dst, this_branch, other) &&
		   reg_is_ptr_value(env, insn->dst_reg)) {
		vrf_verbose(env, "R%u pointer comparison prohibited\n", insn->dst_reg);
		return -EACCES;
	}
	if (env->log_level & 3)
		vrf_print_insn_state(env, vrf_cur_func(env));
	return 0;
}

/* ---- lddw ---- */

static int check_ld_imm(struct vrf_env *env, struct bpf_insn *insn)
{
	struct vrf_aux *aux = &env->aux[env->insn_idx];
	struct vrf_reg *regs;
	struct vrf_reg *d;
	int err;

	if (BPF_SIZE(insn->code) != BPF_DW) {
		vrf_verbose(env, "invalid BPF_LD_IMM insn\n");
		return -EINVAL;
	}
	if (insn->off != 0) {
		vrf_verbose(env, "BPF_LD_IMM64 uses reserved fields\n");
		return -EINVAL;
	}
	if ((err = vrf_check_reg_arg(env, insn->dst_reg, DST_OP)))
		return err;
	regs = vrf_cur_regs(env);
	d = &regs[insn->dst_reg];
	if (insn->src_reg == 0) {
		d->type = SCALAR_VALUE;
		vrf_mark_reg_known(d, isa_imm64(insn));
		return 0;
	}
	vrf_mark_reg_known_zero(regs, insn->dst_reg);
	if (insn->src_reg == BPF_PSEUDO_FUNC) {
		d->type = PTR_TO_FUNC;
		d->subprog = vrf_find_subprog(env, (int)((int64_t)env->insn_idx + insn->imm + 1));
		return 0;
	}
	if (insn->src_reg == BPF_PSEUDO_BTF_ID) {
		vrf_verbose(env, "kernel btf_id %d is not a function\n", insn->imm);
		return -EINVAL;
	}
	d->map = aux->map;
	if (insn->src_reg == BPF_PSEUDO_MAP_VALUE || insn->src_reg == BPF_PSEUDO_MAP_IDX_VALUE) {
		d->type = PTR_TO_MAP_VALUE;
		d->off = (int32_t)aux->map_value_off;
		if (aux->map && aux->map->spin_lock_off >= 0)
			d->id = ++env->id_gen;
	} else {
		d->type = CONST_PTR_TO_MAP;
	}
	return 0;
}

/* ---- exit ---- */

static int check_return_code(struct vrf_env *env)
{
	struct vrf_reg *reg;
	struct tnum range;
	char tn[48];
	int err;

	if ((err = vrf_check_reg_arg(env, 0, SRC_OP)))
		return err;
	if (reg_is_ptr_value(env, 0)) {
		vrf_verbose(env, "R0 leaks addr as return value\n");
		return -EACCES;
	}
	if (!env->pt || !pt_ret_range(env->pt, env->p->expected_attach_type, &range))
		return 0;
	reg = &vrf_cur_regs(env)[0];
	if (reg->type != SCALAR_VALUE) {
		vrf_verbose(env, "At program exit the register R0 is not a known value (%s)\n",
			    vrf_reg_type_str(env, reg->type));
		return -EINVAL;
	}
	/* the return value is checked: states returning another may not pass */
	if ((err = vrf_mark_chain_precision(env, 0)))
		return err;
	if (!tnum_in(range, reg->var_off)) {
		vrf_verbose(env, "At program exit the register R0 ");
		if (!tnum_is_unknown(reg->var_off)) {
			tnum_strn(tn, sizeof(tn), reg->var_off);
			vrf_verbose(env, "has value %s", tn);
		} else {
			vrf_verbose(env, "has unknown scalar value");
		}
		tnum_strn(tn, sizeof(tn), range);
		vrf_verbose(env, " should have been in %s\n", tn);
		return -EINVAL;
	}
	return 0;
}

/* ---- the main loop ---- */

static bool reg_type_mismatch_ok(uint32_t src, uint32_t prev)
{
	return src == prev || (!(src == PTR_TO_CTX || prev == PTR_TO_CTX));
}

static int exit_reserved(struct vrf_env *env, struct bpf_insn *insn, const char *what)
{
	if (BPF_SRC(insn->code) != BPF_K || insn->imm != 0 || insn->src_reg != 0 ||
	    insn->dst_reg != 0 || BPF_CLASS(insn->code) == BPF_JMP32 ||
	    (insn->off != 0 && insn->code == (BPF_JMP | BPF_EXIT))) {
		vrf_verbose(env, "%s uses reserved fields\n", what);
		return -EINVAL;
	}
	return 0;
}

int vrf_do_check(struct vrf_env *env)
{
	bool pop_log = !(env->log_level & 2);
	int prev_insn_idx = -1;
	bool do_print_state = false;
	int err;

	for (;;) {
		struct bpf_insn *insn;
		uint8_t cls;

		env->prev_insn_idx = prev_insn_idx;
		if (env->insn_idx < 0 || (uint32_t)env->insn_idx >= env->len) {
			vrf_verbose(env, "invalid insn idx %d insn_cnt %u\n", env->insn_idx,
				    env->len);
			return -EFAULT;
		}
		insn = &env->insns[env->insn_idx];
		cls = BPF_CLASS(insn->code);
		if (++env->insn_processed > VRF_INSN_LIMIT) {
			vrf_verbose(env, "BPF program is too large. Processed %u insn\n",
				    env->insn_processed);
			return -E2BIG;
		}
		env->cur->last_insn_idx = env->prev_insn_idx;

		if (env->aux[env->insn_idx].prune_point) {
			err = vrf_is_state_visited(env, env->insn_idx);
			if (err < 0)
				return err;
			if (err == 1) {
				if (env->log_level & 3) {
					if (do_print_state)
						vrf_verbose(env, "\nfrom %d to %d%s: safe\n",
							    env->prev_insn_idx, env->insn_idx,
							    env->cur->speculative
								? " (speculative execution)"
								: "");
					else
						vrf_verbose(env, "%d: safe\n", env->insn_idx);
				}
				goto process_bpf_exit;
			}
		}

		/* the path backtracking walks: where this instruction was reached from */
		if (env->prev_insn_idx != env->insn_idx - 1 &&
		    (err = vrf_push_hist(env, env->insn_idx, env->prev_insn_idx, 0)))
			return err;

		if ((env->log_level & 2) && do_print_state) {
			vrf_verbose(env, "\nfrom %d to %d%s:", env->prev_insn_idx, env->insn_idx,
				    env->cur->speculative ? " (speculative execution)" : "");
			vrf_print_state(env, vrf_cur_func(env), true);
			do_print_state = false;
		}
		if (env->log_level & 3) {
			if (env->scratched_regs || env->scratched_stack)
				vrf_print_insn_state(env, vrf_cur_func(env));
			vrf_print_insn(env, env->insn_idx);
		}
		env->aux[env->insn_idx].seen = true;
		prev_insn_idx = env->insn_idx;

		if (cls == BPF_ALU || cls == BPF_ALU64) {
			struct vrf_reg src_before = {0};

			if (BPF_SRC(insn->code) == BPF_X && insn->src_reg < VRF_REGS)
				src_before = vrf_cur_regs(env)[insn->src_reg];
			if ((err = check_alu_op(env, insn)))
				return err;
			alu_facts(env, env->insn_idx, insn,
				  BPF_SRC(insn->code) == BPF_X ? &src_before : NULL);
		} else if (cls == BPF_LDX) {
			uint32_t src_type;
			struct vrf_aux *aux = &env->aux[env->insn_idx];

			if ((err = vrf_check_reg_arg(env, insn->src_reg, SRC_OP)))
				return err;
			if ((err = vrf_check_reg_arg(env, insn->dst_reg, DST_OP_NO_MARK)))
				return err;
			src_type = vrf_cur_regs(env)[insn->src_reg].type;
			err = vrf_check_mem_access(env, env->insn_idx, insn->src_reg, insn->off,
						   BPF_SIZE(insn->code), BPF_READ, insn->dst_reg,
						   false);
			if (err)
				return err;
			if (BPF_MODE(insn->code) == BPF_MEMSX) {
				struct vrf_reg *d = &vrf_cur_regs(env)[insn->dst_reg];

				if (d->type == SCALAR_VALUE)
					vrf_coerce_reg_to_size_sx(
					    d, (int)isa_mem_size((enum isa_op)isa_decode(
						   env->insns, env->len, (size_t)env->insn_idx,
						   &(enum isa_fault){0})));
			}
			if (aux->ptr_type == NOT_INIT) {
				aux->ptr_type = src_type;
			} else if (!reg_type_mismatch_ok(src_type, aux->ptr_type)) {
				vrf_verbose(env,
					    "same insn cannot be used with different pointers\n");
				return -EINVAL;
			}
		} else if (cls == BPF_STX) {
			uint32_t dst_type;
			struct vrf_aux *aux = &env->aux[env->insn_idx];

			if (BPF_MODE(insn->code) == BPF_ATOMIC) {
				if ((err = vrf_check_atomic(env, env->insn_idx, insn)))
					return err;
				env->insn_idx++;
				continue;
			}
			if (BPF_MODE(insn->code) != BPF_MEM || insn->imm != 0) {
				vrf_verbose(env, "BPF_STX uses reserved fields\n");
				return -EINVAL;
			}
			if ((err = vrf_check_reg_arg(env, insn->src_reg, SRC_OP)))
				return err;
			if ((err = vrf_check_reg_arg(env, insn->dst_reg, SRC_OP)))
				return err;
			dst_type = vrf_cur_regs(env)[insn->dst_reg].type;
			err = vrf_check_mem_access(env, env->insn_idx, insn->dst_reg, insn->off,
						   BPF_SIZE(insn->code), BPF_WRITE, insn->src_reg,
						   false);
			if (err)
				return err;
			if (aux->ptr_type == NOT_INIT) {
				aux->ptr_type = dst_type;
			} else if (!reg_type_mismatch_ok(dst_type, aux->ptr_type)) {
				vrf_verbose(env,
					    "same insn cannot be used with different pointers\n");
				return -EINVAL;
			}
		} else if (cls == BPF_ST) {
			struct vrf_reg *d;

			if (BPF_MODE(insn->code) != BPF_MEM || insn->src_reg != 0) {
				vrf_verbose(env, "BPF_ST uses reserved fields\n");
				return -EINVAL;
			}
			if ((err = vrf_check_reg_arg(env, insn->dst_reg, SRC_OP)))
				return err;
			d = &vrf_cur_regs(env)[insn->dst_reg];
			if (d->type == PTR_TO_CTX) {
				vrf_verbose(env, "BPF_ST stores into R%u %s is not allowed\n",
					    insn->dst_reg, vrf_reg_type_str(env, d->type));
				return -EACCES;
			}
			err = vrf_check_mem_access(env, env->insn_idx, insn->dst_reg, insn->off,
						   BPF_SIZE(insn->code), BPF_WRITE, -1, false);
			if (err)
				return err;
		} else if (cls == BPF_JMP || cls == BPF_JMP32) {
			uint8_t opcode = BPF_OP(insn->code);

			env->jmps_processed++;
			if (opcode == BPF_CALL) {
				if (BPF_SRC(insn->code) != BPF_K ||
				    (insn->src_reg != BPF_PSEUDO_KFUNC_CALL && insn->off != 0) ||
				    (insn->src_reg != 0 && insn->src_reg != BPF_PSEUDO_CALL &&
				     insn->src_reg != BPF_PSEUDO_KFUNC_CALL) ||
				    insn->dst_reg != 0 || cls == BPF_JMP32) {
					vrf_verbose(env, "BPF_CALL uses reserved fields\n");
					return -EINVAL;
				}
				if (env->cur->active_spin_lock_id &&
				    (insn->src_reg == BPF_PSEUDO_CALL ||
				     insn->imm != BPF_FUNC_spin_unlock)) {
					vrf_verbose(env, "function calls are not allowed while "
							 "holding a lock\n");
					return -EINVAL;
				}
				if (insn->src_reg == BPF_PSEUDO_CALL) {
					err = vrf_check_func_call(env, insn, &env->insn_idx);
				} else if (insn->src_reg == BPF_PSEUDO_KFUNC_CALL) {
					/* Linux passes over a call to kfunc 0 here and
					 * refuses it at fixup, unless it was dead code */
					err = insn->imm ? -EINVAL : 0;
					if (err)
						vrf_verbose(env, "calling kernel function is not "
								 "supported\n");
				} else {
					err = vrf_check_helper_call(env, insn, &env->insn_idx);
				}
				if (err < 0)
					return err;
				if (err == 1)
					continue; /* now at the callee's (or callback's) first insn */
			} else if (opcode == BPF_JA) {
				if (cls == BPF_JMP32) {
					if (insn->off || insn->src_reg || insn->dst_reg ||
					    BPF_SRC(insn->code) != BPF_K) {
						vrf_verbose(env, "BPF_JA uses reserved fields\n");
						return -EINVAL;
					}
					env->insn_idx =
					    (int)((int64_t)env->insn_idx + insn->imm + 1);
				} else {
					if (BPF_SRC(insn->code) != BPF_K || insn->imm != 0 ||
					    insn->src_reg != 0 || insn->dst_reg != 0) {
						vrf_verbose(env, "BPF_JA uses reserved fields\n");
						return -EINVAL;
					}
					env->insn_idx += insn->off + 1;
				}
				continue;
			} else if (opcode == BPF_EXIT) {
				if ((err = exit_reserved(env, insn, "BPF_EXIT")))
					return err;
				if (env->cur->active_spin_lock_id) {
					vrf_verbose(env, "bpf_spin_unlock is missing\n");
					return -EINVAL;
				}
				if ((err = vrf_check_reference_leak(env)))
					return err;
				if (env->cur->curframe) {
					if ((err = vrf_prepare_func_exit(env, &env->insn_idx)))
						return err;
					do_print_state = true;
					continue;
				}
				if ((err = check_return_code(env)))
					return err;
			process_bpf_exit:
				vrf_mark_all_scratched(env);
				vrf_update_branch_counts(env, env->cur);
				err = pop_stack(env, &prev_insn_idx, &env->insn_idx, pop_log);
				if (err < 0) {
					if (err != -ENOENT)
						return err;
					break;
				}
				do_print_state = true;
				continue;
			} else {
				if ((err = check_cond_jmp_op(env, insn, &env->insn_idx)))
					return err;
			}
		} else if (cls == BPF_LD) {
			uint8_t mode = BPF_MODE(insn->code);

			if (mode == BPF_ABS || mode == BPF_IND) {
				if ((err = vrf_check_ld_abs(env, insn)))
					return err;
			} else if (mode == BPF_IMM) {
				if ((err = check_ld_imm(env, insn)))
					return err;
				env->insn_idx++;
				env->aux[env->insn_idx].seen = true;
			} else {
				vrf_verbose(env, "invalid BPF_LD mode\n");
				return -EINVAL;
			}
		} else {
			vrf_verbose(env, "unknown insn class %d\n", cls);
			return -EINVAL;
		}
		env->insn_idx++;
	}
	return 0;
}
