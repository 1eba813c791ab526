/* Memory accesses: every load, store and atomic, and every memory argument
 * of a helper, checked against the pointer's type and bounds (Linux's
 * check_mem_access and its helpers). The stack is tracked byte by byte:
 * spilled registers keep their type and bounds, other bytes are data (misc),
 * known zero or never written. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "verifier/vrf.h"

bool vrf_reg_is_pkt_pointer(const struct vrf_reg *reg)
{
	return reg->type == PTR_TO_PACKET || reg->type == PTR_TO_PACKET_META;
}

bool vrf_reg_is_pkt_pointer_any(const struct vrf_reg *reg)
{
	return vrf_reg_is_pkt_pointer(reg) || reg->type == PTR_TO_PACKET_END;
}

bool vrf_is_spilled_reg(const struct vrf_stack_slot *slot)
{
	return slot->type[VRF_SLOT - 1] == STACK_SPILL;
}

int vrf_get_spi(int32_t off)
{
	return (-off - 1) / VRF_SLOT;
}

bool vrf_reg_may_point_to_spin_lock(const struct vrf_reg *reg)
{
	return base_type(reg->type) == PTR_TO_MAP_VALUE && reg->map && reg->map->spin_lock_off >= 0;
}

static struct vrf_func *reg_func(struct vrf_env *env, const struct vrf_reg *reg)
{
	return env->cur->frame[reg->frameno];
}

/* Bytes [lo, hi) of f's stack were read: their slots are live. */
static void mark_stack_read(struct vrf_func *f, int64_t lo, int64_t hi)
{
	for (int64_t i = lo; i < hi; i++) {
		int spi = (int)((-i - 1) / VRF_SLOT);

		if (spi >= 0 && spi < f->allocated_stack / VRF_SLOT)
			vrf_live_read(&f->stack[spi].live);
	}
}

static bool is_ptr_value_reg(struct vrf_env *env, int regno)
{
	return regno >= 0 && vrf_is_pointer_value(env, &vrf_cur_regs(env)[regno]);
}

static bool register_is_null(const struct vrf_reg *reg)
{
	return reg->type == SCALAR_VALUE && tnum_equals_const(reg->var_off, 0);
}

static bool scalar_unbounded(const struct vrf_reg *reg)
{
	return tnum_is_unknown(reg->var_off) && reg->smin == INT64_MIN && reg->smax == INT64_MAX &&
	       reg->umin == 0 && reg->umax == UINT64_MAX && reg->s32_min == INT32_MIN &&
	       reg->s32_max == INT32_MAX && reg->u32_min == 0 && reg->u32_max == UINT32_MAX;
}

static bool is_spillable_regtype(uint32_t type)
{
	switch (base_type(type)) {
	case PTR_TO_MAP_VALUE:
	case PTR_TO_STACK:
	case PTR_TO_CTX:
	case PTR_TO_PACKET:
	case PTR_TO_PACKET_META:
	case PTR_TO_PACKET_END:
	case PTR_TO_FLOW_KEYS:
	case CONST_PTR_TO_MAP:
	case PTR_TO_SOCKET:
	case PTR_TO_SOCK_COMMON:
	case PTR_TO_TCP_SOCK:
	case PTR_TO_XDP_SOCK:
	case PTR_TO_BTF_ID:
	case PTR_TO_BUF:
	case PTR_TO_MEM:
	case PTR_TO_FUNC:
	case PTR_TO_MAP_KEY:
		return true;
	default:
		return false;
	}
}

/* ---- alignment ---- */

static int check_ptr_alignment(struct vrf_env *env, const struct vrf_reg *reg, int off, int size,
			       bool strict_once)
{
	bool strict = env->strict_alignment || strict_once;
	const char *desc = "";
	struct tnum reg_off;
	char tn[48];

	switch (reg->type) {
	case PTR_TO_PACKET:
	case PTR_TO_PACKET_META:
		if (!strict || size == 1)
			return 0;
		/* NET_IP_ALIGN: Linux checks as if the packet started 2 bytes in */
		reg_off =
		    tnum_add(reg->var_off, tnum_const((uint64_t)(int64_t)(2 + reg->off + off)));
		if (!tnum_is_aligned(reg_off, (uint64_t)size)) {
			tnum_strn(tn, sizeof(tn), reg->var_off);
			vrf_verbose(env, "misaligned packet access off %d+%s+%d+%d size %d\n", 2,
				    tn, reg->off, off, size);
			return -EACCES;
		}
		return 0;
	case PTR_TO_FLOW_KEYS:
		desc = "flow keys ";
		break;
	case PTR_TO_MAP_KEY:
		desc = "key ";
		break;
	case PTR_TO_MAP_VALUE:
		desc = "value ";
		break;
	case PTR_TO_CTX:
		desc = "context ";
		break;
	case PTR_TO_STACK:
		desc = "stack ";
		/* spill tracking works on aligned slots */
		strict = true;
		break;
	case PTR_TO_SOCKET:
		desc = "sock ";
		break;
	case PTR_TO_SOCK_COMMON:
		desc = "sock_common ";
		break;
	case PTR_TO_TCP_SOCK:
		desc = "tcp_sock ";
		break;
	case PTR_TO_XDP_SOCK:
		desc = "xdp_sock ";
		break;
	default:
		break;
	}
	if (!strict || size == 1)
		return 0;
	reg_off = tnum_add(reg->var_off, tnum_const((uint64_t)(int64_t)(reg->off + off)));
	if (!tnum_is_aligned(reg_off, (uint64_t)size)) {
		tnum_strn(tn, sizeof(tn), reg->var_off);
		vrf_verbose(env, "misaligned %saccess off %s+%d+%d size %d\n", desc, tn, reg->off,
			    off, size);
		return -EACCES;
	}
	return 0;
}

/* ---- bounded regions: map values, keys, helper memory ---- */

static int mem_access_msg(struct vrf_env *env, int regno, int off, int size, uint32_t mem_size,
			  bool zero_size_allowed)
{
	bool size_ok = size > 0 || (size == 0 && zero_size_allowed);
	const struct vrf_reg *reg;

	if (off >= 0 && size_ok && (uint64_t)off + (uint64_t)size <= mem_size)
		return 0;
	reg = &vrf_cur_regs(env)[regno];
	switch (base_type(reg->type)) {
	case PTR_TO_MAP_KEY:
		vrf_verbose(env, "invalid access to map key, key_size=%d off=%d size=%d\n",
			    (int)mem_size, off, size);
		break;
	case PTR_TO_MAP_VALUE:
		vrf_verbose(env, "invalid access to map value, value_size=%d off=%d size=%d\n",
			    (int)mem_size, off, size);
		break;
	case PTR_TO_PACKET:
	case PTR_TO_PACKET_META:
	case PTR_TO_PACKET_END:
		vrf_verbose(env,
			    "invalid access to packet, off=%d size=%d, R%d(id=%u,off=%d,r=%d)\n",
			    off, size, regno, reg->id, off, (int)mem_size);
		break;
	default:
		vrf_verbose(env, "invalid access to memory, mem_size=%u off=%d size=%d\n", mem_size,
			    off, size);
	}
	return -EACCES;
}

static int check_mem_region_access(struct vrf_env *env, int regno, int off, int size,
				   uint32_t mem_size, bool zero_size_allowed)
{
	const struct vrf_reg *reg = &vrf_cur_regs(env)[regno];
	int err;

	if (reg->smin < 0 &&
	    (reg->smin == INT64_MIN || off + reg->smin != (int64_t)(int32_t)(off + reg->smin) ||
	     reg->smin + off < 0)) {
		vrf_verbose(env,
			    "R%d min value is negative, either use unsigned index or do a if "
			    "(index >=0) check.\n",
			    regno);
		return -EACCES;
	}
	err = mem_access_msg(env, regno, (int)(reg->smin + off), size, mem_size, zero_size_allowed);
	if (err) {
		vrf_verbose(env, "R%d min value is outside of the allowed memory range\n", regno);
		return err;
	}
	if (reg->umax >= VRF_MAX_VAR_OFF) {
		vrf_verbose(
		    env, "R%d unbounded memory access, make sure to bounds check any such access\n",
		    regno);
		return -EACCES;
	}
	err = mem_access_msg(env, regno, (int)(reg->umax + (uint64_t)(int64_t)off), size, mem_size,
			     zero_size_allowed);
	if (err) {
		vrf_verbose(env, "R%d max value is outside of the allowed memory range\n", regno);
		return err;
	}
	return 0;
}

static int check_map_access(struct vrf_env *env, int regno, int off, int size,
			    bool zero_size_allowed)
{
	const struct vrf_reg *reg = &vrf_cur_regs(env)[regno];
	const struct vrf_map *map = reg->map;
	int err;

	err = check_mem_region_access(env, regno, off, size, map->value_size, zero_size_allowed);
	if (err)
		return err;
	if (map->spin_lock_off >= 0) {
		int64_t lock = map->spin_lock_off;

		if (reg->smin + off < lock + 4 && lock < (int64_t)reg->umax + off + size) {
			vrf_verbose(env,
				    "bpf_spin_lock cannot be accessed directly by load/store\n");
			return -EACCES;
		}
	}
	if (map->timer_off >= 0) {
		int64_t t = map->timer_off;

		if (reg->smin + off < t + 16 && t < (int64_t)reg->umax + off + size) {
			vrf_verbose(env, "bpf_timer cannot be accessed directly by load/store\n");
			return -EACCES;
		}
	}
	return 0;
}

static int check_map_access_type(struct vrf_env *env, int regno, int off, int size, int t)
{
	const struct vrf_map *map = vrf_cur_regs(env)[regno].map;

	if (t == BPF_WRITE && (map->map_flags & BPF_F_RDONLY_PROG)) {
		vrf_verbose(env, "write into map forbidden, value_size=%u off=%d size=%d\n",
			    map->value_size, off, size);
		return -EACCES;
	}
	if (t == BPF_READ && (map->map_flags & BPF_F_WRONLY_PROG)) {
		vrf_verbose(env, "read from map forbidden, value_size=%u off=%d size=%d\n",
			    map->value_size, off, size);
		return -EACCES;
	}
	return 0;
}

/* ---- packets ---- */

bool vrf_may_access_direct_pkt_data(struct vrf_env *env, int t)
{
	if (!env->pt)
		return false;
	if (t == BPF_WRITE)
		return env->pt->direct_pkt_write;
	return env->pt->direct_pkt_read;
}

static int check_packet_access(struct vrf_env *env, int regno, int off, int size,
			       bool zero_size_allowed)
{
	const struct vrf_reg *reg = &vrf_cur_regs(env)[regno];
	int err;

	if (reg->smin < 0) {
		vrf_verbose(env,
			    "R%d min value is negative, either use unsigned index or do a if "
			    "(index >=0) check.\n",
			    regno);
		return -EACCES;
	}
	err = reg->range < 0
		  ? -EINVAL
		  : mem_access_msg(env, regno, off, size, (uint32_t)reg->range, zero_size_allowed);
	if (err) {
		vrf_verbose(env, "R%d offset is outside of the packet\n", regno);
		return err;
	}
	return 0;
}

void vrf_clear_all_pkt_pointers(struct vrf_env *env)
{
	struct vrf_state *st = env->cur;

	for (uint32_t i = 0; i <= st->curframe; i++) {
		struct vrf_func *f = st->frame[i];

		for (int r = 0; r < VRF_REGS; r++)
			if (vrf_reg_is_pkt_pointer_any(&f->regs[r]))
				vrf_mark_reg_unknown(env, f->regs, (uint32_t)r);
		for (int s = 0; s < f->allocated_stack / VRF_SLOT; s++)
			if (vrf_is_spilled_reg(&f->stack[s]) &&
			    vrf_reg_is_pkt_pointer_any(&f->stack[s].spilled)) {
				struct vrf_reg tmp[1];

				vrf_mark_reg_unknown(env, tmp, 0);
				f->stack[s].spilled = tmp[0];
			}
	}
}

/* ---- pointer offset rules ---- */

static int check_ptr_off_reg_fixed(struct vrf_env *env, const struct vrf_reg *reg, int regno,
				   bool fixed_off_ok)
{
	if (reg->off < 0) {
		vrf_verbose(env, "negative offset %s ptr R%d off=%d disallowed\n",
			    vrf_reg_type_str(env, reg->type), regno, reg->off);
		return -EACCES;
	}
	if (!fixed_off_ok && reg->off) {
		vrf_verbose(env, "dereference of modified %s ptr R%d off=%d disallowed\n",
			    vrf_reg_type_str(env, reg->type), regno, reg->off);
		return -EACCES;
	}
	if (!tnum_is_const(reg->var_off) || reg->var_off.value) {
		char tn[48];

		tnum_strn(tn, sizeof(tn), reg->var_off);
		vrf_verbose(env, "variable %s access var_off=%s disallowed\n",
			    vrf_reg_type_str(env, reg->type), tn);
		return -EACCES;
	}
	return 0;
}

int vrf_check_ptr_off_reg(struct vrf_env *env, const struct vrf_reg *reg, int regno)
{
	return check_ptr_off_reg_fixed(env, reg, regno, false);
}

/* ---- context ---- */

static int check_ctx_access(struct vrf_env *env, int insn_idx, int off, int size, int t,
			    uint32_t *reg_type)
{
	struct pt_access acc;
	struct vrf_aux *aux = &env->aux[insn_idx];

	if (env->pt &&
	    pt_ctx_access(env->pt, env->p->expected_attach_type, off, size,
			  t == BPF_WRITE ? PT_WRITE : PT_READ, env->allow_ptr_leaks, &acc)) {
		switch (acc.val) {
		case PT_PKT:
			*reg_type = PTR_TO_PACKET;
			break;
		case PT_PKT_META:
			*reg_type = PTR_TO_PACKET_META;
			break;
		case PT_PKT_END:
			*reg_type = PTR_TO_PACKET_END;
			break;
		case PT_SOCK_COMMON_OR_NULL:
			*reg_type = PTR_TO_SOCK_COMMON | PTR_MAYBE_NULL_T;
			break;
		default:
			*reg_type = SCALAR_VALUE;
		}
		/* Remember the rewrite; one instruction must always mean the
		 * same field (Linux rejects mixing too). */
		aux->ctx_field_ok = true;
		aux->ctx_field = (int16_t)acc.rt_off;
		aux->ctx_size = acc.rt_size;
		if ((uint32_t)(off + size) > env->max_ctx_offset)
			env->max_ctx_offset = (uint32_t)(off + size);
		return 0;
	}
	vrf_verbose(env, "invalid bpf_context access off=%d size=%d\n", off, size);
	return -EACCES;
}

/* ---- sockets (Linux's bpf_sock*_is_valid_access) ---- */

static bool sock_field_ok(int off, int size)
{
	const int def = 4;

	if (off < 0 || off >= (int)sizeof(struct bpf_sock) || off % size)
		return false;
	switch (off) {
	case offsetof(struct bpf_sock, state):
	case offsetof(struct bpf_sock, family):
	case offsetof(struct bpf_sock, type):
	case offsetof(struct bpf_sock, protocol):
	case offsetof(struct bpf_sock, src_port):
	case offsetof(struct bpf_sock, rx_queue_mapping):
		return size <= def && !(size & (size - 1));
	}
	if ((off >= (int)offsetof(struct bpf_sock, src_ip4) &&
	     off < (int)offsetof(struct bpf_sock, src_ip4) + 4) ||
	    (off >= (int)offsetof(struct bpf_sock, dst_ip4) &&
	     off < (int)offsetof(struct bpf_sock, dst_ip4) + 4) ||
	    (off >= (int)offsetof(struct bpf_sock, src_ip6) &&
	     off < (int)offsetof(struct bpf_sock, src_ip6) + 16) ||
	    (off >= (int)offsetof(struct bpf_sock, dst_ip6) &&
	     off < (int)offsetof(struct bpf_sock, dst_ip6) + 16))
		return size <= def && !(size & (size - 1));
	if (off >= (int)offsetof(struct bpf_sock, dst_port) &&
	    off < (int)offsetof(struct bpf_sock, dst_port) + 2) {
		int field = size == def ? def : 2;

		return size <= field && !(size & (size - 1));
	}
	if (off >= (int)offsetof(struct bpf_sock, dst_port) + 2 &&
	    off < (int)offsetof(struct bpf_sock, dst_ip4))
		return false;
	return size == def;
}

static int check_sock_access(struct vrf_env *env, int regno, int off, int size)
{
	const struct vrf_reg *reg = &vrf_cur_regs(env)[regno];
	bool valid = false;

	if (reg->smin < 0) {
		vrf_verbose(env,
			    "R%d min value is negative, either use unsigned index or do a if "
			    "(index >=0) check.\n",
			    regno);
		return -EACCES;
	}
	switch (reg->type) {
	case PTR_TO_SOCK_COMMON:
		/* type .. priority exist only in full sockets */
		valid = !(off >= (int)offsetof(struct bpf_sock, type) &&
			  off < (int)offsetof(struct bpf_sock, priority) + 4) &&
			sock_field_ok(off, size);
		break;
	case PTR_TO_SOCKET:
		valid = sock_field_ok(off, size);
		break;
	case PTR_TO_TCP_SOCK:
		if (off >= 0 && off < (int)(offsetof(struct bpf_tcp_sock, icsk_retransmits) + 4) &&
		    !(off % size))
			valid = off == (int)offsetof(struct bpf_tcp_sock, bytes_received) ||
					off == (int)offsetof(struct bpf_tcp_sock, bytes_acked)
				    ? size == 8
				    : size == 4;
		break;
	case PTR_TO_XDP_SOCK:
		valid = off >= 0 && off < 4 && !(off % size) && size == 4;
		break;
	}
	if (valid)
		return 0;
	vrf_verbose(env, "R%d invalid %s access off=%d size=%d\n", regno,
		    vrf_reg_type_str(env, reg->type), off, size);
	return -EACCES;
}

/* ---- stack ---- */

int vrf_grow_stack(struct vrf_func *f, int size)
{
	int n = (size + VRF_SLOT - 1) / VRF_SLOT, old = f->allocated_stack / VRF_SLOT;
	struct vrf_stack_slot *s;

	if (n <= old)
		return 0;
	s = realloc(f->stack, (size_t)n * sizeof(*s));
	if (!s)
		return -ENOMEM;
	memset(s + old, 0, (size_t)(n - old) * sizeof(*s));
	for (int i = old; i < n; i++) {
		s[i].spilled.type = NOT_INIT;
		vrf_mark_reg_unknown_bounds(&s[i].spilled);
	}
	f->stack = s;
	f->allocated_stack = n * VRF_SLOT;
	return 0;
}

static int slot_within_bounds(int off, const struct vrf_func *f, int t, bool uninit_ok)
{
	/* Privileged programs may read stack they never wrote. */
	int min_valid = t == BPF_WRITE || uninit_ok ? -VRF_STACK_SIZE : -f->allocated_stack;

	return off < min_valid || off > -1 ? -EACCES : 0;
}

/* src: 0 direct access, 1 helper. */
static int stack_access_within_bounds(struct vrf_env *env, int regno, int off, int access_size,
				      int src_helper, int t)
{
	const struct vrf_reg *reg = &vrf_cur_regs(env)[regno];
	struct vrf_func *f = reg_func(env, reg);
	const char *extra = src_helper	    ? " indirect access to"
			    : t == BPF_READ ? " read from"
					    : " write to";
	int64_t min_off, max_off;
	int err;

	if (tnum_is_const(reg->var_off)) {
		min_off = (int64_t)reg->var_off.value + off;
		max_off = access_size > 0 ? min_off + access_size - 1 : min_off;
	} else {
		if (reg->smax >= VRF_MAX_VAR_OFF || reg->smin <= -VRF_MAX_VAR_OFF) {
			vrf_verbose(env, "invalid unbounded variable-offset%s stack R%d\n", extra,
				    regno);
			return -EACCES;
		}
		min_off = reg->smin + off;
		max_off = access_size > 0 ? reg->smax + off + access_size - 1 : min_off;
	}
	err = slot_within_bounds((int)min_off, f, t, env->allow_uninit_stack);
	if (!err)
		err = slot_within_bounds((int)max_off, f, t, env->allow_uninit_stack);
	if (min_off < INT32_MIN || max_off > INT32_MAX)
		err = -EACCES;
	if (err) {
		if (tnum_is_const(reg->var_off)) {
			vrf_verbose(env, "invalid%s stack R%d off=%d size=%d\n", extra, regno, off,
				    access_size);
		} else {
			char tn[48];

			tnum_strn(tn, sizeof(tn), reg->var_off);
			vrf_verbose(env, "invalid variable-offset%s stack R%d var_off=%s size=%d\n",
				    extra, regno, tn, access_size);
		}
	}
	return err;
}

int vrf_check_stack_access_within_bounds(struct vrf_env *env, int regno, int off, int access_size,
					 int type)
{
	return stack_access_within_bounds(env, regno, off, access_size, 0, type);
}

static void update_stack_depth(struct vrf_env *env, const struct vrf_func *f, int off)
{
	struct vrf_subprog *sp = &env->subprogs[f->subprogno];

	if (sp->stack_depth < -off)
		sp->stack_depth = -off;
}

static void scrub_slot(uint8_t *t)
{
	if (*t != STACK_INVALID)
		*t = STACK_MISC;
}

static void save_register_state(struct vrf_func *f, int spi, const struct vrf_reg *reg, int size)
{
	int i;

	f->stack[spi].spilled = *reg;
	for (i = VRF_SLOT; i > VRF_SLOT - size; i--)
		f->stack[spi].type[i - 1] = STACK_SPILL;
	for (; i; i--)
		scrub_slot(&f->stack[spi].type[i - 1]);
}

static int check_stack_write_fixed_off(struct vrf_env *env, struct vrf_func *state, int off,
				       int size, int value_regno, int insn_idx)
{
	struct vrf_func *cur = vrf_cur_func(env);
	int slot = -off - 1, spi = slot / VRF_SLOT, err;
	struct vrf_reg *reg = NULL;

	(void)insn_idx;
	if ((err = vrf_grow_stack(state, (slot + 1 + VRF_SLOT - 1) / VRF_SLOT * VRF_SLOT)))
		return err;
	if (!env->allow_ptr_leaks && state->stack[spi].type[0] == STACK_SPILL && size != VRF_SLOT) {
		vrf_verbose(env, "attempt to corrupt spilled pointer on stack\n");
		return -EACCES;
	}
	if (value_regno >= 0)
		reg = &cur->regs[value_regno];
	vrf_mark_stack_scratched(env, (uint32_t)spi);
	/* a whole slot written: what it held before is dead */
	if (size == VRF_SLOT)
		vrf_live_write(&state->stack[spi].live);
	if (reg && !(off % VRF_SLOT) && reg->type == SCALAR_VALUE && !scalar_unbounded(reg) &&
	    !register_is_null(reg) && env->allow_ptr_leaks) {
		save_register_state(state, spi, reg, size);
		if ((err = vrf_hist_stack(env, state->frameno, spi)))
			return err;
	} else if (reg && is_spillable_regtype(reg->type)) {
		if (size != VRF_SLOT) {
			vrf_verbose(env, "invalid size of register spill\n");
			return -EACCES;
		}
		if (state != cur && reg->type == PTR_TO_STACK) {
			vrf_verbose(
			    env, "cannot spill pointers to stack into stack frame of the caller\n");
			return -EINVAL;
		}
		save_register_state(state, spi, reg, size);
		if ((err = vrf_hist_stack(env, state->frameno, spi)))
			return err;
	} else {
		uint8_t type = STACK_MISC;

		state->stack[spi].spilled.type = NOT_INIT;
		if (vrf_is_spilled_reg(&state->stack[spi]))
			for (int i = 0; i < VRF_SLOT; i++)
				scrub_slot(&state->stack[spi].type[i]);
		/* A zero register makes the slot STACK_ZERO, which backtracking
		 * cannot follow: its zero must stay exact where it came from. */
		if (reg && register_is_null(reg) &&
		    (err = vrf_mark_chain_precision(env, value_regno)))
			return err;
		/* a store of the constant zero (register or immediate) */
		if ((reg && register_is_null(reg)) ||
		    (!reg && env->insns[env->insn_idx].imm == 0 &&
		     BPF_CLASS(env->insns[env->insn_idx].code) == BPF_ST))
			type = reg || env->allow_ptr_leaks ? STACK_ZERO : STACK_MISC;
		if (!reg && BPF_CLASS(env->insns[env->insn_idx].code) == BPF_ST &&
		    env->insns[env->insn_idx].imm == 0)
			type = STACK_ZERO;
		for (int i = 0; i < size; i++)
			state->stack[spi].type[(slot - i) % VRF_SLOT] = type;
	}
	return 0;
}

static int check_stack_write_var_off(struct vrf_env *env, struct vrf_func *state, int ptr_regno,
				     int off, int size, int value_regno, int insn_idx)
{
	const struct vrf_reg *ptr = &vrf_cur_regs(env)[ptr_regno];
	struct vrf_reg *value = value_regno >= 0 ? &vrf_cur_regs(env)[value_regno] : NULL;
	bool writing_zero = false;
	int min_off = (int)(ptr->smin + off), max_off = (int)(ptr->smax + off + size);
	int err;

	if (value && register_is_null(value))
		writing_zero = true;
	if ((err = vrf_grow_stack(state, -min_off)))
		return err;
	for (int i = min_off; i < max_off; i++) {
		int slot = -i - 1, spi = slot / VRF_SLOT;
		uint8_t *stype = &state->stack[spi].type[slot % VRF_SLOT];

		if (!env->allow_ptr_leaks && *stype != STACK_MISC && *stype != STACK_ZERO) {
			vrf_verbose(
			    env,
			    "spilled ptr in range of var-offset stack write; insn %d, ptr off: %d",
			    insn_idx, i);
			return -EINVAL;
		}
		state->stack[spi].spilled.type = NOT_INIT;
		if (!(*stype == STACK_ZERO && writing_zero))
			*stype = STACK_MISC;
		vrf_mark_stack_scratched(env, (uint32_t)spi);
	}
	/* other bytes of partially written spill slots are data now */
	for (int i = min_off; i < max_off; i++) {
		int spi = (-i - 1) / VRF_SLOT;

		for (int j = 0; j < VRF_SLOT; j++)
			if (state->stack[spi].type[j] == STACK_SPILL)
				state->stack[spi].type[j] = STACK_MISC;
	}
	return 0;
}

static void mark_reg_stack_read(struct vrf_env *env, const struct vrf_func *ptr_state, int min_off,
				int max_off, int dst_regno)
{
	struct vrf_reg *regs = vrf_cur_regs(env);
	int zeros = 0;

	for (int i = min_off; i < max_off; i++) {
		int slot = -i - 1, spi = slot / VRF_SLOT;

		if (ptr_state->stack[spi].type[slot % VRF_SLOT] != STACK_ZERO)
			break;
		zeros++;
	}
	if (zeros == max_off - min_off) {
		vrf_mark_reg_unknown(env, regs, (uint32_t)dst_regno);
		vrf_mark_reg_known(&regs[dst_regno], 0);
	} else {
		vrf_mark_reg_unknown(env, regs, (uint32_t)dst_regno);
	}
}

static int check_stack_read_fixed_off(struct vrf_env *env, struct vrf_func *rs, int off, int size,
				      int dst_regno)
{
	struct vrf_reg *regs = vrf_cur_regs(env);
	int slot = -off - 1, spi = slot / VRF_SLOT;
	uint8_t *stype = rs->stack[spi].type;
	struct vrf_reg *reg = &rs->stack[spi].spilled;

	vrf_mark_stack_scratched(env, (uint32_t)spi);
	mark_stack_read(rs, off, off + size);
	if (vrf_is_spilled_reg(&rs->stack[spi])) {
		int spill_size = 1, i;

		for (i = VRF_SLOT - 1; i > 0 && stype[i - 1] == STACK_SPILL; i--)
			spill_size++;
		if (size != VRF_SLOT || spill_size != VRF_SLOT) {
			if (reg->type != SCALAR_VALUE) {
				vrf_verbose(env, "invalid size of register fill\n");
				return -EACCES;
			}
			if (dst_regno < 0)
				return 0;
			if (!(off % VRF_SLOT) && size == spill_size) {
				int32_t subreg_def = regs[dst_regno].subreg_def;

				regs[dst_regno] = *reg;
				regs[dst_regno].subreg_def = subreg_def;
				return vrf_hist_stack(env, rs->frameno, spi);
			} else {
				for (i = 0; i < size; i++) {
					uint8_t type = stype[(slot - i) % VRF_SLOT];

					if (type == STACK_SPILL || type == STACK_MISC)
						continue;
					if (type == STACK_INVALID && env->allow_uninit_stack)
						continue;
					vrf_verbose(env,
						    "invalid read from stack off %d+%d size %d\n",
						    off, i, size);
					return -EACCES;
				}
				vrf_mark_reg_unknown(env, regs, (uint32_t)dst_regno);
			}
			return 0;
		}
		if (dst_regno >= 0) {
			regs[dst_regno] = *reg;
			return vrf_hist_stack(env, rs->frameno, spi);
		} else if (vrf_is_pointer(reg) && !env->allow_ptr_leaks) {
			vrf_verbose(env, "leaking pointer from stack off %d\n", off);
			return -EACCES;
		}
		return 0;
	}
	for (int i = 0; i < size; i++) {
		uint8_t type = stype[(slot - i) % VRF_SLOT];

		if (type == STACK_MISC || type == STACK_ZERO)
			continue;
		if (type == STACK_INVALID && env->allow_uninit_stack)
			continue;
		vrf_verbose(env, "invalid read from stack off %d+%d size %d\n", off, i, size);
		return -EACCES;
	}
	if (dst_regno >= 0)
		mark_reg_stack_read(env, rs, off, off + size, dst_regno);
	return 0;
}

static int check_stack_read_var_off(struct vrf_env *env, int ptr_regno, int off, int size,
				    int dst_regno)
{
	const struct vrf_reg *reg = &vrf_cur_regs(env)[ptr_regno];
	struct vrf_func *f = reg_func(env, reg);
	int min_off = (int)(reg->smin + off), max_off = (int)(reg->smax + off);

	for (int i = min_off; i < max_off + size; i++) {
		int slot = -i - 1, spi = slot / VRF_SLOT;
		uint8_t t;

		if (f->allocated_stack <= slot)
			goto err;
		t = f->stack[spi].type[slot % VRF_SLOT];
		if (t == STACK_MISC || t == STACK_ZERO)
			continue;
		if (t == STACK_INVALID && env->allow_uninit_stack)
			continue;
		if (vrf_is_spilled_reg(&f->stack[spi]) &&
		    (f->stack[spi].spilled.type == SCALAR_VALUE || env->allow_ptr_leaks))
			continue;
	err:;
		char tn[48];

		tnum_strn(tn, sizeof(tn), reg->var_off);
		vrf_verbose(
		    env, "invalid variable-offset read from stack R%d var_off=%s off=%d size=%d\n",
		    ptr_regno, tn, off, size);
		return -EACCES;
	}
	mark_stack_read(f, min_off, max_off + size);
	if (dst_regno >= 0)
		mark_reg_stack_read(env, f, min_off, max_off + size, dst_regno);
	return 0;
}

static int check_stack_read(struct vrf_env *env, int ptr_regno, int off, int size, int dst_regno)
{
	const struct vrf_reg *reg = &vrf_cur_regs(env)[ptr_regno];
	struct vrf_func *f = reg_func(env, reg);

	if (dst_regno < 0 && !tnum_is_const(reg->var_off)) {
		char tn[48];

		tnum_strn(tn, sizeof(tn), reg->var_off);
		vrf_verbose(env,
			    "variable offset stack pointer cannot be passed into helper function; "
			    "var_off=%s off=%d size=%d\n",
			    tn, off, size);
		return -EACCES;
	}
	if (!env->bypass_spec_v1 && !tnum_is_const(reg->var_off)) {
		char tn[48];

		tnum_strn(tn, sizeof(tn), reg->var_off);
		vrf_verbose(env,
			    "R%d variable offset stack access prohibited for !root, var_off=%s\n",
			    ptr_regno, tn);
		return -EACCES;
	}
	{
		int lowest = tnum_is_const(reg->var_off) ? off + (int)reg->var_off.value
							 : (int)(reg->smin + off);
		int err = vrf_grow_stack(f, -lowest);

		if (err)
			return err;
	}
	if (tnum_is_const(reg->var_off))
		return check_stack_read_fixed_off(env, f, off + (int)reg->var_off.value, size,
						  dst_regno);
	return check_stack_read_var_off(env, ptr_regno, off, size, dst_regno);
}

static int check_stack_write(struct vrf_env *env, int ptr_regno, int off, int size, int value_regno,
			     int insn_idx)
{
	const struct vrf_reg *reg = &vrf_cur_regs(env)[ptr_regno];
	struct vrf_func *f = reg_func(env, reg);

	if (tnum_is_const(reg->var_off))
		return check_stack_write_fixed_off(env, f, off + (int)reg->var_off.value, size,
						   value_regno, insn_idx);
	return check_stack_write_var_off(env, f, ptr_regno, off, size, value_regno, insn_idx);
}

/* ---- the entry point for loads and stores ---- */

static int size_bytes(int bpf_size)
{
	switch (bpf_size) {
	case BPF_B:
		return 1;
	case BPF_H:
		return 2;
	case BPF_W:
		return 4;
	default:
		return 8;
	}
}

static uint8_t mem_kind_of(uint32_t type)
{
	switch (base_type(type)) {
	case PTR_TO_STACK:
		return VRF_MEM_STACK;
	case PTR_TO_CTX:
		return VRF_MEM_CTX;
	case PTR_TO_MAP_VALUE:
		return VRF_MEM_MAP_VALUE;
	case PTR_TO_MAP_KEY:
		return VRF_MEM_MAP_KEY;
	case PTR_TO_PACKET:
		return VRF_MEM_PACKET;
	case PTR_TO_PACKET_META:
		return VRF_MEM_PACKET_META;
	case PTR_TO_MEM:
		return VRF_MEM_MEM;
	case PTR_TO_TP_BUFFER:
		return VRF_MEM_TP_BUF;
	default:
		return VRF_MEM_NONE;
	}
}

int vrf_check_mem_access(struct vrf_env *env, int insn_idx, uint32_t regno, int off, int bpf_size,
			 int t, int value_regno, bool strict_alignment_once)
{
	struct vrf_reg *regs = vrf_cur_regs(env);
	struct vrf_reg *reg = &regs[regno];
	int size = size_bytes(bpf_size);
	uint32_t ptype = reg->type;
	int err;

	if ((err = check_ptr_alignment(env, reg, off, size, strict_alignment_once)))
		return err;
	off += reg->off;

	if (reg->type == PTR_TO_MAP_KEY) {
		if (t == BPF_WRITE) {
			vrf_verbose(env, "write to change key R%u not allowed\n", regno);
			return -EACCES;
		}
		err =
		    check_mem_region_access(env, (int)regno, off, size, reg->map->key_size, false);
		if (err)
			return err;
		if (value_regno >= 0)
			vrf_mark_reg_unknown(env, regs, (uint32_t)value_regno);
	} else if (reg->type == PTR_TO_MAP_VALUE) {
		if (t == BPF_WRITE && is_ptr_value_reg(env, value_regno)) {
			vrf_verbose(env, "R%d leaks addr into map\n", value_regno);
			return -EACCES;
		}
		if ((err = check_map_access_type(env, (int)regno, off, size, t)))
			return err;
		if ((err = check_map_access(env, (int)regno, off, size, false)))
			return err;
		if (t == BPF_READ && value_regno >= 0)
			vrf_mark_reg_unknown(env, regs, (uint32_t)value_regno);
	} else if (base_type(reg->type) == PTR_TO_MEM) {
		bool rdonly = reg->type & MEM_RDONLY_T;

		if (reg->type & PTR_MAYBE_NULL_T) {
			vrf_verbose(env, "R%u invalid mem access '%s'\n", regno,
				    vrf_reg_type_str(env, reg->type));
			return -EACCES;
		}
		if (t == BPF_WRITE && rdonly) {
			vrf_verbose(env, "R%u cannot write into %s\n", regno,
				    vrf_reg_type_str(env, reg->type));
			return -EACCES;
		}
		if (t == BPF_WRITE && is_ptr_value_reg(env, value_regno)) {
			vrf_verbose(env, "R%d leaks addr into mem\n", value_regno);
			return -EACCES;
		}
		err = check_mem_region_access(env, (int)regno, off, size, reg->mem_size, false);
		if (!err && value_regno >= 0 && (t == BPF_READ || rdonly))
			vrf_mark_reg_unknown(env, regs, (uint32_t)value_regno);
	} else if (reg->type == PTR_TO_CTX) {
		uint32_t reg_type = SCALAR_VALUE;

		if (t == BPF_WRITE && is_ptr_value_reg(env, value_regno)) {
			vrf_verbose(env, "R%d leaks addr into ctx\n", value_regno);
			return -EACCES;
		}
		if ((err = vrf_check_ptr_off_reg(env, reg, (int)regno)) < 0)
			return err;
		err = check_ctx_access(env, insn_idx, off, size, t, &reg_type);
		if (!err && t == BPF_READ && value_regno >= 0) {
			if (reg_type == SCALAR_VALUE) {
				vrf_mark_reg_unknown(env, regs, (uint32_t)value_regno);
			} else {
				vrf_mark_reg_unknown(env, regs, (uint32_t)value_regno);
				vrf_mark_reg_known(&regs[value_regno], 0);
				if (reg_type & PTR_MAYBE_NULL_T)
					regs[value_regno].id = ++env->id_gen;
				regs[value_regno].subreg_def = 0;
			}
			regs[value_regno].type = reg_type;
		}
		if (err)
			return err;
	} else if (reg->type == PTR_TO_STACK) {
		struct vrf_func *f;

		if ((err = stack_access_within_bounds(env, (int)regno, off, size, 0, t)))
			return err;
		f = reg_func(env, reg);
		update_stack_depth(
		    env, f,
		    off + (tnum_is_const(reg->var_off) ? (int)reg->var_off.value : (int)reg->smin));
		if (t == BPF_READ)
			err = check_stack_read(env, (int)regno, off, size, value_regno);
		else
			err = check_stack_write(env, (int)regno, off, size, value_regno, insn_idx);
		if (err)
			return err;
	} else if (vrf_reg_is_pkt_pointer(reg)) {
		if (t == BPF_WRITE && !vrf_may_access_direct_pkt_data(env, t)) {
			vrf_verbose(env, "cannot write into packet\n");
			return -EACCES;
		}
		if (t == BPF_WRITE && is_ptr_value_reg(env, value_regno)) {
			vrf_verbose(env, "R%d leaks addr into packet\n", value_regno);
			return -EACCES;
		}
		err = check_packet_access(env, (int)regno, off, size, false);
		if (err)
			return err;
		if (t == BPF_READ && value_regno >= 0)
			vrf_mark_reg_unknown(env, regs, (uint32_t)value_regno);
	} else if (reg->type == PTR_TO_SOCKET || reg->type == PTR_TO_SOCK_COMMON ||
		   reg->type == PTR_TO_TCP_SOCK || reg->type == PTR_TO_XDP_SOCK) {
		if (t == BPF_WRITE) {
			vrf_verbose(env, "R%u cannot write into %s\n", regno,
				    vrf_reg_type_str(env, reg->type));
			return -EACCES;
		}
		if ((err = check_sock_access(env, (int)regno, off, size)))
			return err;
		if (value_regno >= 0)
			vrf_mark_reg_unknown(env, regs, (uint32_t)value_regno);
	} else {
		vrf_verbose(env, "R%u invalid mem access '%s'\n", regno,
			    vrf_reg_type_str(env, reg->type));
		return -EACCES;
	}

	if (size < 8 && value_regno >= 0 && t == BPF_READ && regs[value_regno].type == SCALAR_VALUE)
		vrf_coerce_reg_to_size(&regs[value_regno], size);

	/* What this access proved, for the JIT. */
	{
		struct vrf_fact f = {.flags = VRF_FACT_MEM_SAFE, .mem_kind = mem_kind_of(ptype)};

		if (t == BPF_READ && value_regno >= 0 && regs[value_regno].type == SCALAR_VALUE &&
		    tnum_is_const(regs[value_regno].var_off) && ptype != PTR_TO_STACK) {
			/* loads from memory are never constant facts except
			 * for known stack contents */
		} else if (t == BPF_READ && value_regno >= 0 &&
			   regs[value_regno].type == SCALAR_VALUE &&
			   tnum_is_const(regs[value_regno].var_off)) {
			f.flags |= VRF_FACT_DST_CONST;
			f.dst_const = regs[value_regno].var_off.value;
		}
		vrf_record_fact(env, insn_idx, &f);
	}
	return 0;
}

/* ---- atomics and legacy packet loads ---- */

int vrf_check_atomic(struct vrf_env *env, int insn_idx, struct bpf_insn *insn)
{
	struct vrf_reg *d;
	int load_reg, err;

	switch (insn->imm) {
	case BPF_ADD:
	case BPF_ADD | BPF_FETCH:
	case BPF_AND:
	case BPF_AND | BPF_FETCH:
	case BPF_OR:
	case BPF_OR | BPF_FETCH:
	case BPF_XOR:
	case BPF_XOR | BPF_FETCH:
	case BPF_XCHG:
	case BPF_CMPXCHG:
		break;
	default:
		vrf_verbose(env, "BPF_ATOMIC uses invalid atomic opcode %02x\n", insn->imm);
		return -EINVAL;
	}
	if (BPF_SIZE(insn->code) != BPF_W && BPF_SIZE(insn->code) != BPF_DW) {
		vrf_verbose(env, "invalid atomic operand size\n");
		return -EINVAL;
	}
	if ((err = vrf_check_reg_arg(env, insn->src_reg, SRC_OP)))
		return err;
	if ((err = vrf_check_reg_arg(env, insn->dst_reg, SRC_OP)))
		return err;
	if (insn->imm == BPF_CMPXCHG) {
		if ((err = vrf_check_reg_arg(env, 0, SRC_OP)))
			return err;
		if (is_ptr_value_reg(env, 0)) {
			vrf_verbose(env, "R%d leaks addr into mem\n", 0);
			return -EACCES;
		}
	}
	if (is_ptr_value_reg(env, insn->src_reg)) {
		vrf_verbose(env, "R%d leaks addr into mem\n", insn->src_reg);
		return -EACCES;
	}
	d = &vrf_cur_regs(env)[insn->dst_reg];
	if (d->type == PTR_TO_CTX || vrf_reg_is_pkt_pointer(d) || d->type == PTR_TO_FLOW_KEYS ||
	    base_type(d->type) == PTR_TO_SOCKET || base_type(d->type) == PTR_TO_SOCK_COMMON ||
	    base_type(d->type) == PTR_TO_TCP_SOCK || base_type(d->type) == PTR_TO_XDP_SOCK) {
		vrf_verbose(env, "BPF_ATOMIC stores into R%d %s is not allowed\n", insn->dst_reg,
			    vrf_reg_type_str(env, d->type));
		return -EACCES;
	}
	if (insn->imm & BPF_FETCH) {
		load_reg = insn->imm == BPF_CMPXCHG ? 0 : insn->src_reg;
		if ((err = vrf_check_reg_arg(env, (uint32_t)load_reg, DST_OP)))
			return err;
	} else {
		load_reg = -1;
	}
	err = vrf_check_mem_access(env, insn_idx, insn->dst_reg, insn->off, BPF_SIZE(insn->code),
				   BPF_READ, -1, true);
	if (!err && load_reg >= 0)
		err = vrf_check_mem_access(env, insn_idx, insn->dst_reg, insn->off,
					   BPF_SIZE(insn->code), BPF_READ, load_reg, true);
	if (err)
		return err;
	return vrf_check_mem_access(env, insn_idx, insn->dst_reg, insn->off, BPF_SIZE(insn->code),
				    BPF_WRITE, -1, true);
}

int vrf_check_ld_abs(struct vrf_env *env, struct bpf_insn *insn)
{
	static const uint32_t caller_saved[] = {0, 1, 2, 3, 4, 5};
	struct vrf_reg *regs = vrf_cur_regs(env);
	uint8_t mode = BPF_MODE(insn->code);
	int err;

	if (!env->pt || !env->pt->ld_abs) {
		vrf_verbose(env,
			    "BPF_LD_[ABS|IND] instructions not allowed for this program type\n");
		return -EINVAL;
	}
	if (insn->dst_reg != 0 || insn->off != 0 || BPF_SIZE(insn->code) == BPF_DW ||
	    (mode == BPF_ABS && insn->src_reg != 0)) {
		vrf_verbose(env, "BPF_LD_[ABS|IND] uses reserved fields\n");
		return -EINVAL;
	}
	if ((err = vrf_check_reg_arg(env, 6, SRC_OP)))
		return err;
	if (env->cur->nrefs) {
		vrf_check_reference_leak(env);
		vrf_verbose(env, "BPF_LD_[ABS|IND] cannot be mixed with socket references\n");
		return -EINVAL;
	}
	if (env->cur->active_spin_lock_id) {
		vrf_verbose(env,
			    "BPF_LD_[ABS|IND] cannot be used inside bpf_spin_lock-ed region\n");
		return -EINVAL;
	}
	if (regs[6].type != PTR_TO_CTX) {
		vrf_verbose(env, "at the time of BPF_LD_ABS|IND R6 != pointer to skb\n");
		return -EINVAL;
	}
	if (mode == BPF_IND && (err = vrf_check_reg_arg(env, insn->src_reg, SRC_OP)))
		return err;
	if ((err = vrf_check_ptr_off_reg(env, &regs[6], 6)) < 0)
		return err;
	for (unsigned i = 0; i < 6; i++) {
		vrf_mark_reg_not_init(regs, caller_saved[i]);
		vrf_live_write(&vrf_cur_func(env)->reg_live[caller_saved[i]]);
		vrf_mark_reg_scratched(env, caller_saved[i]);
	}
	vrf_mark_reg_unknown(env, regs, 0);
	regs[0].subreg_def = env->insn_idx + 1;
	return 0;
}

/* ---- memory passed to helpers ---- */

static int check_stack_range_initialized(struct vrf_env *env, int regno, int off, int access_size,
					 bool zero_size_allowed, bool raw_mode)
{
	struct vrf_reg *reg = &vrf_cur_regs(env)[regno];
	struct vrf_func *f = reg_func(env, reg);
	int64_t min_off, max_off;
	int err;

	if (access_size == 0 && !zero_size_allowed) {
		vrf_verbose(env, "invalid zero-sized read\n");
		return -EACCES;
	}
	if ((err = stack_access_within_bounds(env, regno, off, access_size, 1, BPF_WRITE)))
		return err;
	if (tnum_is_const(reg->var_off)) {
		min_off = max_off = (int64_t)reg->var_off.value + off;
	} else {
		if (!env->bypass_spec_v1) {
			char tn[48];

			tnum_strn(tn, sizeof(tn), reg->var_off);
			vrf_verbose(env,
				    "R%d indirect variable offset stack access prohibited for "
				    "!root, var_off=%s\n",
				    regno, tn);
			return -EACCES;
		}
		raw_mode = false;
		min_off = reg->smin + off;
		max_off = reg->smax + off;
	}
	if (raw_mode) {
		/* the helper fills the memory: it becomes data */
		if ((err = vrf_grow_stack(f, (int)-min_off)))
			return err;
		for (int64_t i = min_off; i < max_off + access_size; i++) {
			int slot = (int)(-i - 1), spi = slot / VRF_SLOT;
			struct vrf_stack_slot *s = &f->stack[spi];

			if (vrf_is_spilled_reg(s)) {
				s->spilled.type = NOT_INIT;
				for (int j = 0; j < VRF_SLOT; j++)
					if (s->type[j] == STACK_SPILL)
						s->type[j] = STACK_MISC;
			}
			s->type[slot % VRF_SLOT] = STACK_MISC;
			vrf_mark_stack_scratched(env, (uint32_t)spi);
		}
		update_stack_depth(env, f, (int)min_off);
		return 0;
	}
	/* Privileged programs may pass stack they never wrote. */
	if (env->allow_uninit_stack && (err = vrf_grow_stack(f, (int)-min_off)))
		return err;
	for (int64_t i = min_off; i < max_off + access_size; i++) {
		int slot = (int)(-i - 1), spi = slot / VRF_SLOT;
		uint8_t *stype;

		if (f->allocated_stack <= slot)
			goto err;
		stype = &f->stack[spi].type[slot % VRF_SLOT];
		if (*stype == STACK_MISC)
			continue;
		if (*stype == STACK_ZERO || (*stype == STACK_INVALID && env->allow_uninit_stack)) {
			*stype = STACK_MISC; /* the helper may write anything */
			continue;
		}
		if (vrf_is_spilled_reg(&f->stack[spi]) &&
		    (f->stack[spi].spilled.type == SCALAR_VALUE || env->allow_ptr_leaks)) {
			vrf_mark_reg_unknown_bounds(&f->stack[spi].spilled);
			f->stack[spi].spilled.type = SCALAR_VALUE;
			for (int j = 0; j < VRF_SLOT; j++)
				scrub_slot(&f->stack[spi].type[j]);
			continue;
		}
	err:
		if (tnum_is_const(reg->var_off)) {
			vrf_verbose(env, "invalid indirect read from stack R%d off %d+%d size %d\n",
				    regno, (int)min_off, (int)(i - min_off), access_size);
		} else {
			char tn[48];

			tnum_strn(tn, sizeof(tn), reg->var_off);
			vrf_verbose(env,
				    "invalid indirect read from stack R%d var_off %s+%d size %d\n",
				    regno, tn, (int)(i - min_off), access_size);
		}
		return -EACCES;
	}
	mark_stack_read(f, min_off, max_off + access_size);
	update_stack_depth(env, f, (int)min_off);
	return 0;
}

int vrf_check_helper_mem_access(struct vrf_env *env, int regno, int access_size,
				bool zero_size_allowed, bool write_access, bool uninit)
{
	struct vrf_reg *reg = &vrf_cur_regs(env)[regno];

	switch (base_type(reg->type)) {
	case PTR_TO_PACKET:
	case PTR_TO_PACKET_META:
		return check_packet_access(env, regno, reg->off, access_size, zero_size_allowed);
	case PTR_TO_MAP_KEY:
		if (uninit) {
			vrf_verbose(env, "R%d cannot write into %s\n", regno,
				    vrf_reg_type_str(env, reg->type));
			return -EACCES;
		}
		return check_mem_region_access(env, regno, reg->off, access_size,
					       reg->map->key_size, false);
	case PTR_TO_MAP_VALUE:
		if (check_map_access_type(env, regno, reg->off, access_size,
					  uninit || write_access ? BPF_WRITE : BPF_READ))
			return -EACCES;
		return check_map_access(env, regno, reg->off, access_size, zero_size_allowed);
	case PTR_TO_MEM:
		if ((reg->type & MEM_RDONLY_T) && uninit) {
			vrf_verbose(env, "R%d cannot write into %s\n", regno,
				    vrf_reg_type_str(env, reg->type));
			return -EACCES;
		}
		return check_mem_region_access(env, regno, reg->off, access_size, reg->mem_size,
					       zero_size_allowed);
	case PTR_TO_STACK:
		return check_stack_range_initialized(env, regno, reg->off, access_size,
						     zero_size_allowed, uninit);
	default:
		if (zero_size_allowed && access_size == 0 && register_is_null(reg))
			return 0;
		vrf_verbose(env, "R%d type=%s ", regno, vrf_reg_type_str(env, reg->type));
		vrf_verbose(env, "expected=%s\n", vrf_reg_type_str(env, PTR_TO_STACK));
		return -EACCES;
	}
}

int vrf_check_mem_size_reg(struct vrf_env *env, struct vrf_reg *reg, uint32_t regno,
			   bool zero_size_allowed, bool write, bool uninit)
{
	int err;

	/* variable sizes: the program must initialise all it may pass */
	if (!tnum_is_const(reg->var_off))
		uninit = false;
	if (reg->smin < 0) {
		vrf_verbose(env,
			    "R%u min value is negative, either use unsigned or 'var &= const'\n",
			    regno);
		return -EACCES;
	}
	if (reg->umin == 0) {
		err = vrf_check_helper_mem_access(env, (int)regno - 1, 0, zero_size_allowed, write,
						  uninit);
		if (err)
			return err;
	}
	if (reg->umax >= VRF_MAX_VAR_SIZ) {
		vrf_verbose(
		    env, "R%u unbounded memory access, use 'var &= const' or 'if (var < const)'\n",
		    regno);
		return -EACCES;
	}
	if ((err = vrf_check_helper_mem_access(env, (int)regno - 1, (int)reg->umax,
					       zero_size_allowed, write, uninit)))
		return err;
	/* the size decided how much memory was checked */
	return vrf_mark_chain_precision(env, (int)regno);
}
