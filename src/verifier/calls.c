/* Calls: helpers checked against their prototypes in the one helper table
 * (helpers/helpers.def), subprogram calls with their own frames, callbacks
 * (bpf_loop, for_each_map_elem) verified as functions, and acquired
 * references (ringbuf records) that must be released on every path (Linux's
 * check_helper_call, check_func_arg, __check_func_call, prepare_func_exit). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "helpers/helpers.h"
#include "verifier/vrf.h"

#define CALLER_SAVED 6 /* r0-r5 */

struct call_meta {
	const struct vrf_map *map;
	int32_t func_id;
	uint32_t ref_obj_id;
	int release_regno;
	uint64_t msize_max;
	uint64_t mem_size;
	int subprogno;
	bool raw_mode;
	bool pkt_access;
};

static const char *func_name(int32_t id)
{
	const char *n = helper_linux_name(id);

	return n ? n : "unknown";
}

int vrf_find_subprog(struct vrf_env *env, int off)
{
	for (uint32_t i = 0; i < env->nsubprogs; i++)
		if (env->subprogs[i].start == off)
			return (int)i;
	return -1;
}

/* ---- references ---- */

int vrf_acquire_reference(struct vrf_env *env, int insn_idx)
{
	struct vrf_state *st = env->cur;
	uint32_t id;

	if (st->nrefs >= VRF_MAX_REFS) {
		vrf_verbose(env, "too many acquired references\n");
		return -ENOMEM;
	}
	id = ++env->id_gen;
	st->refs[st->nrefs].id = id;
	st->refs[st->nrefs].insn_idx = insn_idx;
	st->nrefs++;
	return (int)id;
}

int vrf_release_reference(struct vrf_env *env, uint32_t ref_obj_id)
{
	struct vrf_state *st = env->cur;
	bool found = false;

	for (uint32_t i = 0; i < st->nrefs; i++)
		if (st->refs[i].id == ref_obj_id) {
			st->refs[i] = st->refs[--st->nrefs];
			found = true;
			break;
		}
	if (!found)
		return -EINVAL;
	/* every copy of the released pointer becomes unusable */
	for (uint32_t fi = 0; fi <= st->curframe; fi++) {
		struct vrf_func *f = st->frame[fi];

		/* unprivileged: not even a number remains (no leak of the
		 * address), as Linux's release_reg_references */
		for (int r = 0; r < VRF_REGS; r++)
			if (f->regs[r].ref_obj_id == ref_obj_id) {
				if (env->allow_ptr_leaks)
					vrf_mark_reg_unknown(env, f->regs, (uint32_t)r);
				else
					vrf_mark_reg_not_init(f->regs, (uint32_t)r);
			}
		for (int s = 0; s < f->allocated_stack / VRF_SLOT; s++)
			if (vrf_is_spilled_reg(&f->stack[s]) &&
			    f->stack[s].spilled.ref_obj_id == ref_obj_id) {
				struct vrf_reg tmp[1];

				if (env->allow_ptr_leaks)
					vrf_mark_reg_unknown(env, tmp, 0);
				else
					vrf_mark_reg_not_init(tmp, 0);
				f->stack[s].spilled = tmp[0];
			}
	}
	return 0;
}

int vrf_check_reference_leak(struct vrf_env *env)
{
	struct vrf_state *st = env->cur;
	struct vrf_func *f = vrf_cur_func(env);

	if (f->frameno && !f->in_callback_fn)
		return 0; /* references pass back to the caller */
	for (uint32_t i = 0; i < st->nrefs; i++)
		vrf_verbose(env, "Unreleased reference id=%u alloc_insn=%d\n", st->refs[i].id,
			    st->refs[i].insn_idx);
	return st->nrefs ? -EINVAL : 0;
}

/* ---- argument checks ---- */

static bool register_is_null(const struct vrf_reg *reg)
{
	return reg->type == SCALAR_VALUE && tnum_equals_const(reg->var_off, 0);
}

/* Register types a helper argument accepts (Linux's compatible_reg_types),
 * NOT_INIT-terminated. */
static const uint32_t *compatible_types(unsigned base)
{
	static const uint32_t map_kv[] = {PTR_TO_STACK,	  PTR_TO_PACKET,    PTR_TO_PACKET_META,
					  PTR_TO_MAP_KEY, PTR_TO_MAP_VALUE, NOT_INIT};
	static const uint32_t mem[] = {
	    PTR_TO_STACK,     PTR_TO_PACKET, PTR_TO_PACKET_META,       PTR_TO_MAP_KEY,
	    PTR_TO_MAP_VALUE, PTR_TO_MEM,    PTR_TO_MEM | MEM_ALLOC_T, PTR_TO_BUF,
	    NOT_INIT};
	static const uint32_t alloc_mem[] = {PTR_TO_MEM | MEM_ALLOC_T, NOT_INIT};
	static const uint32_t int_ptr[] = {PTR_TO_STACK,   PTR_TO_PACKET,    PTR_TO_PACKET_META,
					   PTR_TO_MAP_KEY, PTR_TO_MAP_VALUE, NOT_INIT};
	static const uint32_t scalar[] = {SCALAR_VALUE, NOT_INIT};
	static const uint32_t ctx[] = {PTR_TO_CTX, NOT_INIT};
	static const uint32_t map_ptr[] = {CONST_PTR_TO_MAP, NOT_INIT};
	static const uint32_t btf[] = {PTR_TO_BTF_ID, NOT_INIT};
	static const uint32_t map_value[] = {PTR_TO_MAP_VALUE, NOT_INIT};
	static const uint32_t func[] = {PTR_TO_FUNC, NOT_INIT};
	static const uint32_t stack[] = {PTR_TO_STACK, NOT_INIT};
	static const uint32_t sock[] = {PTR_TO_SOCK_COMMON, PTR_TO_SOCKET, PTR_TO_TCP_SOCK,
					PTR_TO_XDP_SOCK, NOT_INIT};
	static const uint32_t fullsock[] = {PTR_TO_SOCKET, NOT_INIT};
	static const uint32_t btf_sock[] = {PTR_TO_SOCK_COMMON, PTR_TO_SOCKET, PTR_TO_TCP_SOCK,
					    PTR_TO_XDP_SOCK,	PTR_TO_BTF_ID, NOT_INIT};

	switch (base) {
	case ARG_PTR_TO_MAP_KEY:
	case ARG_PTR_TO_MAP_VALUE:
		return map_kv;
	case ARG_CONST_SIZE:
	case ARG_CONST_SIZE_OR_ZERO:
	case ARG_CONST_ALLOC_SIZE_OR_ZERO:
		return scalar;
	case ARG_CONST_MAP_PTR:
		return map_ptr;
	case ARG_PTR_TO_CTX:
		return ctx;
	case ARG_PTR_TO_BTF_ID:
		return btf;
	case ARG_PTR_TO_SPIN_LOCK:
	case ARG_PTR_TO_CONST_STR:
	case ARG_PTR_TO_TIMER:
		return map_value;
	case ARG_PTR_TO_MEM:
		return mem;
	case ARG_PTR_TO_ALLOC_MEM:
		return alloc_mem;
	case ARG_PTR_TO_INT:
	case ARG_PTR_TO_LONG:
		return int_ptr;
	case ARG_PTR_TO_FUNC:
		return func;
	case ARG_PTR_TO_STACK:
		return stack;
	case ARG_PTR_TO_SOCK_COMMON:
		return sock;
	case ARG_PTR_TO_SOCKET:
		return fullsock;
	case ARG_PTR_TO_BTF_ID_SOCK_COMMON:
		return btf_sock;
	default:
		return NULL;
	}
}

static int check_reg_type(struct vrf_env *env, uint32_t regno, uint16_t arg_type)
{
	const struct vrf_reg *reg = &vrf_cur_regs(env)[regno];
	const uint32_t *types = compatible_types(arg_type & ARG__BASE_MASK);
	uint32_t type = reg->type;
	int i, j;

	if (!types) {
		vrf_verbose(env, "verifier internal error: unsupported arg type %d\n", arg_type);
		return -EFAULT;
	}
	if (arg_type & MEM_RDONLY)
		type &= ~(uint32_t)MEM_RDONLY_T;
	if (arg_type & PTR_MAYBE_NULL)
		type &= ~(uint32_t)PTR_MAYBE_NULL_T;
	for (i = 0; types[i] != NOT_INIT; i++)
		if (type == types[i])
			return 0;
	vrf_verbose(env, "R%u type=%s expected=", regno, vrf_reg_type_str(env, reg->type));
	for (j = 0; j + 1 < i; j++)
		vrf_verbose(env, "%s, ", vrf_reg_type_str(env, types[j]));
	vrf_verbose(env, "%s\n", vrf_reg_type_str(env, types[j]));
	return -EACCES;
}

static int check_func_arg_reg_off(struct vrf_env *env, const struct vrf_reg *reg, int regno,
				  uint16_t arg_type)
{
	switch (reg->type) {
	case PTR_TO_STACK:
	case PTR_TO_PACKET:
	case PTR_TO_PACKET_META:
	case PTR_TO_MAP_KEY:
	case PTR_TO_MAP_VALUE:
	case PTR_TO_MEM:
	case PTR_TO_MEM | MEM_RDONLY_T:
	case PTR_TO_MEM | MEM_ALLOC_T:
	case PTR_TO_BUF:
	case PTR_TO_BUF | MEM_RDONLY_T:
	case SCALAR_VALUE:
		if ((arg_type & ARG__BASE_MASK) != ARG_PTR_TO_ALLOC_MEM)
			return 0;
		break;
	default:
		break;
	}
	return vrf_check_ptr_off_reg(env, reg, regno);
}

static int process_spin_lock(struct vrf_env *env, int regno, bool is_lock)
{
	struct vrf_reg *reg = &vrf_cur_regs(env)[regno];
	struct vrf_state *cur = env->cur;
	const struct vrf_map *map = reg->map;
	uint64_t val = reg->var_off.value;

	if (!tnum_is_const(reg->var_off)) {
		vrf_verbose(env,
			    "R%d doesn't have constant offset. bpf_spin_lock has to be at the "
			    "constant offset\n",
			    regno);
		return -EINVAL;
	}
	if (map->spin_lock_off < 0) {
		vrf_verbose(env, "map '%s' has to have BTF in order to use bpf_spin_lock\n",
			    map->name);
		return -EINVAL;
	}
	if ((uint64_t)map->spin_lock_off != val + (uint64_t)(int64_t)reg->off) {
		vrf_verbose(env, "off %lld doesn't point to 'struct bpf_spin_lock'\n",
			    (long long)(val + (uint64_t)(int64_t)reg->off));
		return -EINVAL;
	}
	if (is_lock) {
		if (cur->active_spin_lock_id) {
			vrf_verbose(env, "Locking two bpf_spin_locks are not allowed\n");
			return -EINVAL;
		}
		cur->active_spin_lock_id = reg->id;
		cur->active_spin_lock_map = map;
	} else {
		if (!cur->active_spin_lock_id) {
			vrf_verbose(env, "bpf_spin_unlock without taking a lock\n");
			return -EINVAL;
		}
		if (cur->active_spin_lock_id != reg->id) {
			vrf_verbose(env, "bpf_spin_unlock of different lock\n");
			return -EINVAL;
		}
		cur->active_spin_lock_id = 0;
		cur->active_spin_lock_map = NULL;
	}
	return 0;
}

static int check_func_arg(struct vrf_env *env, uint32_t arg, struct call_meta *meta,
			  const struct helper *fn)
{
	uint32_t regno = 1 + arg;
	struct vrf_reg *reg = &vrf_cur_regs(env)[regno];
	uint16_t arg_type = fn->args[arg];
	unsigned base = arg_type & ARG__BASE_MASK;
	int err;

	if (base == ARG_DONTCARE)
		return 0;
	if ((err = vrf_check_reg_arg(env, regno, SRC_OP)))
		return err;
	if (base == ARG_ANYTHING) {
		if (vrf_is_pointer_value(env, reg)) {
			vrf_verbose(env, "R%u leaks addr into helper function\n", regno);
			return -EACCES;
		}
		return 0;
	}
	if (vrf_reg_is_pkt_pointer_any(reg) && !meta->pkt_access) {
		vrf_verbose(env, "helper access to the packet is not allowed\n");
		return -EACCES;
	}
	if (!(register_is_null(reg) && (arg_type & PTR_MAYBE_NULL))) {
		if ((err = check_reg_type(env, regno, arg_type)))
			return err;
		if ((err = check_func_arg_reg_off(env, reg, (int)regno, arg_type)))
			return err;
	}
	if (arg_type & OBJ_RELEASE) {
		if (!reg->ref_obj_id && !register_is_null(reg)) {
			vrf_verbose(env, "R%u must be referenced when passed to release function\n",
				    regno);
			return -EINVAL;
		}
		meta->release_regno = (int)regno;
	}
	if (reg->ref_obj_id)
		meta->ref_obj_id = reg->ref_obj_id;

	switch (base) {
	case ARG_CONST_MAP_PTR:
		meta->map = reg->map;
		break;
	case ARG_PTR_TO_MAP_KEY:
		if (!meta->map) {
			vrf_verbose(env, "invalid map_ptr to access map->key\n");
			return -EACCES;
		}
		err = vrf_check_helper_mem_access(env, (int)regno, (int)meta->map->key_size, false,
						  false, false);
		break;
	case ARG_PTR_TO_MAP_VALUE:
		if ((arg_type & PTR_MAYBE_NULL) && register_is_null(reg))
			return 0;
		if (!meta->map) {
			vrf_verbose(env, "invalid map_ptr to access map->value\n");
			return -EACCES;
		}
		err = vrf_check_helper_mem_access(env, (int)regno, (int)meta->map->value_size,
						  false, false, arg_type & MEM_UNINIT);
		break;
	case ARG_PTR_TO_SPIN_LOCK:
		if (meta->func_id == BPF_FUNC_spin_lock)
			err = process_spin_lock(env, (int)regno, true) ? -EACCES : 0;
		else
			err = process_spin_lock(env, (int)regno, false) ? -EACCES : 0;
		break;
	case ARG_PTR_TO_FUNC:
		meta->subprogno = reg->subprog;
		break;
	case ARG_PTR_TO_MEM:
		meta->raw_mode = arg_type & MEM_UNINIT;
		break;
	case ARG_CONST_SIZE:
	case ARG_CONST_SIZE_OR_ZERO:
		meta->msize_max = reg->umax;
		err = vrf_check_mem_size_reg(env, reg, regno, base == ARG_CONST_SIZE_OR_ZERO, false,
					     meta->raw_mode);
		break;
	case ARG_CONST_ALLOC_SIZE_OR_ZERO:
		if (!tnum_is_const(reg->var_off)) {
			vrf_verbose(env, "R%u is not a known constant'\n", regno);
			return -EACCES;
		}
		meta->mem_size = reg->var_off.value;
		/* the size of the memory handed out */
		err = vrf_mark_chain_precision(env, (int)regno);
		break;
	case ARG_PTR_TO_INT:
	case ARG_PTR_TO_LONG: {
		int size = base == ARG_PTR_TO_INT ? 4 : 8;

		err = vrf_check_helper_mem_access(env, (int)regno, size, false, true, true);
		break;
	}
	default:
		break;
	}
	return err;
}

/* Map types and helpers that go together (Linux's
 * check_map_func_compatibility): both directions. */
static int check_map_func_compatibility(struct vrf_env *env, const struct vrf_map *map, int32_t id)
{
	bool ok = true;

	if (!map)
		return 0;
	switch (map->type) {
	case BPF_MAP_TYPE_PROG_ARRAY:
		ok = id == BPF_FUNC_tail_call;
		break;
	case BPF_MAP_TYPE_PERF_EVENT_ARRAY:
		ok = id == BPF_FUNC_perf_event_read || id == BPF_FUNC_perf_event_output ||
		     id == BPF_FUNC_skb_output || id == BPF_FUNC_perf_event_read_value ||
		     id == BPF_FUNC_xdp_output;
		break;
	case BPF_MAP_TYPE_RINGBUF:
		ok = id == BPF_FUNC_ringbuf_output || id == BPF_FUNC_ringbuf_reserve ||
		     id == BPF_FUNC_ringbuf_query || id == BPF_FUNC_ringbuf_reserve_dynptr ||
		     id == BPF_FUNC_ringbuf_submit_dynptr || id == BPF_FUNC_ringbuf_discard_dynptr;
		break;
	case BPF_MAP_TYPE_STACK_TRACE:
		ok = id == BPF_FUNC_get_stackid;
		break;
	case BPF_MAP_TYPE_CGROUP_ARRAY:
		ok = id == BPF_FUNC_skb_under_cgroup || id == BPF_FUNC_current_task_under_cgroup;
		break;
	case BPF_MAP_TYPE_CGROUP_STORAGE:
	case BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE:
		ok = id == BPF_FUNC_get_local_storage;
		break;
	case BPF_MAP_TYPE_DEVMAP:
	case BPF_MAP_TYPE_DEVMAP_HASH:
	case BPF_MAP_TYPE_XSKMAP:
		ok = id == BPF_FUNC_redirect_map || id == BPF_FUNC_map_lookup_elem;
		break;
	case BPF_MAP_TYPE_CPUMAP:
		ok = id == BPF_FUNC_redirect_map;
		break;
	case BPF_MAP_TYPE_ARRAY_OF_MAPS:
	case BPF_MAP_TYPE_HASH_OF_MAPS:
		ok = id == BPF_FUNC_map_lookup_elem;
		break;
	case BPF_MAP_TYPE_QUEUE:
	case BPF_MAP_TYPE_STACK:
		ok = id == BPF_FUNC_map_peek_elem || id == BPF_FUNC_map_pop_elem ||
		     id == BPF_FUNC_map_push_elem;
		break;
	case BPF_MAP_TYPE_BLOOM_FILTER:
		ok = id == BPF_FUNC_map_peek_elem || id == BPF_FUNC_map_push_elem;
		break;
	default:
		break;
	}
	if (ok) {
		switch (id) {
		case BPF_FUNC_tail_call:
			ok = map->type == BPF_MAP_TYPE_PROG_ARRAY;
			break;
		case BPF_FUNC_perf_event_read:
		case BPF_FUNC_perf_event_output:
		case BPF_FUNC_perf_event_read_value:
		case BPF_FUNC_skb_output:
		case BPF_FUNC_xdp_output:
			ok = map->type == BPF_MAP_TYPE_PERF_EVENT_ARRAY;
			break;
		case BPF_FUNC_ringbuf_output:
		case BPF_FUNC_ringbuf_reserve:
		case BPF_FUNC_ringbuf_query:
			ok = map->type == BPF_MAP_TYPE_RINGBUF;
			break;
		case BPF_FUNC_get_stackid:
			ok = map->type == BPF_MAP_TYPE_STACK_TRACE;
			break;
		case BPF_FUNC_get_local_storage:
			ok = map->type == BPF_MAP_TYPE_CGROUP_STORAGE ||
			     map->type == BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE;
			break;
		case BPF_FUNC_map_pop_elem:
			ok = map->type == BPF_MAP_TYPE_QUEUE || map->type == BPF_MAP_TYPE_STACK;
			break;
		case BPF_FUNC_map_peek_elem:
		case BPF_FUNC_map_push_elem:
			ok = map->type == BPF_MAP_TYPE_QUEUE || map->type == BPF_MAP_TYPE_STACK ||
			     map->type == BPF_MAP_TYPE_BLOOM_FILTER;
			break;
		case BPF_FUNC_redirect_map:
			ok = map->type == BPF_MAP_TYPE_DEVMAP ||
			     map->type == BPF_MAP_TYPE_DEVMAP_HASH ||
			     map->type == BPF_MAP_TYPE_CPUMAP || map->type == BPF_MAP_TYPE_XSKMAP;
			break;
		default:
			break;
		}
	}
	if (!ok) {
		vrf_verbose(env, "cannot pass map_type %u into func %s#%d\n", map->type,
			    func_name(id), id);
		return -EINVAL;
	}
	if (id == BPF_FUNC_tail_call && env->nsubprogs > 1) {
		vrf_verbose(
		    env,
		    "tail_calls are not allowed in non-JITed programs with bpf-to-bpf calls\n");
		return -EINVAL;
	}
	return 0;
}

/* Helpers that may take packet pointers (Linux's fn->pkt_access). */
static bool helper_pkt_access(int32_t id)
{
	switch (id) {
	case BPF_FUNC_map_lookup_elem:
	case BPF_FUNC_map_update_elem:
	case BPF_FUNC_map_delete_elem:
	case BPF_FUNC_map_push_elem:
	case BPF_FUNC_map_pop_elem:
	case BPF_FUNC_map_peek_elem:
	case BPF_FUNC_csum_diff:
	case BPF_FUNC_sk_lookup_tcp:
	case BPF_FUNC_sk_lookup_udp:
	case BPF_FUNC_skc_lookup_tcp:
		return true;
	default:
		return false;
	}
}

static bool helper_changes_pkt_data(int32_t id)
{
	switch (id) {
	case BPF_FUNC_skb_store_bytes:
	case BPF_FUNC_skb_change_head:
	case BPF_FUNC_skb_change_tail:
	case BPF_FUNC_skb_pull_data:
	case BPF_FUNC_skb_vlan_push:
	case BPF_FUNC_skb_vlan_pop:
	case BPF_FUNC_skb_change_proto:
	case BPF_FUNC_skb_adjust_room:
	case BPF_FUNC_l3_csum_replace:
	case BPF_FUNC_l4_csum_replace:
	case BPF_FUNC_xdp_adjust_head:
	case BPF_FUNC_xdp_adjust_meta:
	case BPF_FUNC_xdp_adjust_tail:
	case BPF_FUNC_clone_redirect:
	case BPF_FUNC_msg_pull_data:
	case BPF_FUNC_msg_push_data:
	case BPF_FUNC_msg_pop_data:
	case BPF_FUNC_lwt_push_encap:
	case BPF_FUNC_store_hdr_opt:
		return true;
	default:
		return false;
	}
}

static bool helper_allowed(struct vrf_env *env, const struct helper *h)
{
	uint16_t allowed = env->pt ? env->pt->helper_groups : 0;

	if (!(h->groups & allowed &
	      (HG_BASE | HG_TRACING | HG_SKB | HG_TC | HG_XDP | HG_CGROUP_SKB | HG_LWT_XMIT)))
		return false;
	/* Linux keeps some base helpers from tracing programs (the coarse
	 * clock takes a seqlock a tracepoint may already hold). */
	if ((allowed & HG_TRACING) && h->id == BPF_FUNC_ktime_get_coarse_ns)
		return false;
	if ((h->groups & HG_PRIV) && !env->allow_ptr_leaks)
		return false;
	return true;
}

/* Set up a callee frame at subprog for a call or a callback. */
static int enter_func(struct vrf_env *env, int callsite, int subprog, bool callback,
		      int32_t ret_min, int32_t ret_max, int *insn_idx)
{
	struct vrf_state *st = env->cur;
	struct vrf_func *caller = st->frame[st->curframe], *callee;

	if (st->curframe + 1 >= VRF_MAX_FRAMES) {
		vrf_verbose(env, "the call stack of %u frames is too deep\n", st->curframe + 2);
		return -E2BIG;
	}
	callee = calloc(1, sizeof(*callee));
	if (!callee)
		return -ENOMEM;
	callee->callsite = callsite;
	callee->frameno = st->curframe + 1;
	callee->subprogno = (uint32_t)subprog;
	vrf_init_reg_state(env, callee);
	callee->in_callback_fn = callback;
	callee->cb_ret_min = ret_min;
	callee->cb_ret_max = ret_max;
	st->frame[st->curframe + 1] = callee;
	if (!callback) {
		/* arguments: the callee's reads of them are the caller's */
		for (int i = 1; i <= 5; i++) {
			callee->regs[i] = caller->regs[i];
			callee->reg_live[i] = caller->reg_live[i];
		}
	}
	(void)insn_idx;
	return 0;
}

static void clear_caller_saved(struct vrf_env *env, struct vrf_func *f)
{
	for (uint32_t i = 0; i < CALLER_SAVED; i++) {
		vrf_mark_reg_not_init(f->regs, i);
		vrf_live_write(&f->reg_live[i]);
		vrf_mark_reg_scratched(env, i);
	}
}

static void log_call(struct vrf_env *env, struct vrf_state *st)
{
	if (!(env->log_level & 3))
		return;
	vrf_verbose(env, "caller:\n");
	vrf_print_state(env, st->frame[st->curframe - 1], true);
	vrf_verbose(env, "callee:\n");
	vrf_print_state(env, st->frame[st->curframe], true);
}

int vrf_check_func_call(struct vrf_env *env, struct bpf_insn *insn, int *insn_idx)
{
	int target = (int)((int64_t)*insn_idx + insn->imm + 1); /* checked by cfg.c */
	int subprog = vrf_find_subprog(env, target);
	struct vrf_state *st = env->cur;
	int err;

	if (subprog < 0) {
		vrf_verbose(env, "verifier bug. No program starts at insn %d\n", target);
		return -EFAULT;
	}
	if ((err = enter_func(env, *insn_idx, subprog, false, 0, 0, insn_idx)))
		return err;
	clear_caller_saved(env, st->frame[st->curframe]);
	st->curframe++;
	*insn_idx = env->subprogs[subprog].start;
	log_call(env, st);
	return 1;
}

int vrf_prepare_func_exit(struct vrf_env *env, int *insn_idx)
{
	struct vrf_state *st = env->cur;
	struct vrf_func *callee = st->frame[st->curframe], *caller = st->frame[st->curframe - 1];
	struct vrf_reg *r0 = &callee->regs[0];
	int err;

	if (r0->type == PTR_TO_STACK) {
		vrf_verbose(env, "cannot return stack pointer to the caller\n");
		return -EINVAL;
	}
	if (callee->in_callback_fn) {
		struct tnum range = tnum_range((uint64_t)(int64_t)callee->cb_ret_min,
					       (uint64_t)(int64_t)callee->cb_ret_max);

		if (r0->type != SCALAR_VALUE) {
			vrf_verbose(env, "R0 not a scalar value\n");
			return -EACCES;
		}
		/* the range is checked: r0 is read, and a run returning another
		 * value may not pass */
		vrf_live_read(&callee->reg_live[0]);
		if ((err = vrf_mark_chain_precision(env, 0)))
			return err;
		if (!tnum_in(range, r0->var_off)) {
			char tn[48];

			vrf_verbose(env, "At callback return the register R0 ");
			if (!tnum_is_unknown(r0->var_off)) {
				tnum_strn(tn, sizeof(tn), r0->var_off);
				vrf_verbose(env, "has value %s", tn);
			} else {
				vrf_verbose(env, "has unknown scalar value");
			}
			tnum_strn(tn, sizeof(tn), range);
			vrf_verbose(env, " should have been in %s\n", tn);
			return -EINVAL;
		}
		if (callee->callback_loops) {
			/* The callback may run again with what this run left in
			 * the caller's memory: explore that too (the explored
			 * states at its first insn stop this once it repeats). */
			struct vrf_func fresh = *callee, saved = *callee;
			struct vrf_state *again;

			fresh.stack = NULL;
			fresh.allocated_stack = 0;
			memcpy(fresh.regs, callee->cb_entry, sizeof(callee->cb_entry));
			/* set by the helper, not read from anywhere */
			memset(fresh.reg_live, 0, sizeof(fresh.reg_live));
			*callee = fresh;
			again = vrf_push_stack(env, env->subprogs[callee->subprogno].start,
					       *insn_idx, false);
			*callee = saved;
			if (!again)
				return -EFAULT;
			again->callback_unroll_depth++;
			vrf_widen_imprecise(env, again, env->subprogs[callee->subprogno].start,
					    callee->callsite);
		}
	} else {
		caller->regs[0] = *r0;
		/* the caller's reads of r0 are reads of the callee's */
		caller->reg_live[0] = callee->reg_live[0];
	}
	*insn_idx = callee->callsite + 1;
	if (env->log_level & 3) {
		vrf_verbose(env, "returning from callee:\n");
		vrf_print_state(env, callee, true);
		vrf_verbose(env, "to caller at %d:\n", *insn_idx);
		vrf_print_state(env, caller, true);
	}
	vrf_free_func(callee);
	st->frame[st->curframe] = NULL;
	st->curframe--;
	return 0;
}

/* Enter a callback (bpf_loop's or for_each_map_elem's) as a function. */
static int enter_callback(struct vrf_env *env, int *insn_idx, const struct call_meta *meta,
			  int32_t func_id)
{
	struct vrf_state *st = env->cur;
	struct vrf_func *caller = st->frame[st->curframe], *callee;
	int subprog = meta->subprogno, err;

	if (subprog <= 0) {
		vrf_verbose(env, "verifier bug: callback is not a function\n");
		return -EFAULT;
	}
	if ((err = enter_func(env, *insn_idx, subprog, true, 0, 1, insn_idx)))
		return err;
	callee = st->frame[st->curframe + 1];
	callee->callback_loops = true;
	if (func_id == BPF_FUNC_loop) {
		/* callback(u32 index, void *ctx) */
		vrf_mark_reg_unknown(env, callee->regs, 1);
		vrf_mark_reg_known(&callee->regs[1], 0);
		vrf_mark_reg_unknown_bounds(&callee->regs[1]);
		callee->regs[1].var_off = tnum_range(0, UINT32_MAX);
		vrf_reg_bounds_from_var_off(&callee->regs[1]);
		callee->regs[2] = caller->regs[3];
	} else {
		/* for_each_map_elem: callback(map, key, value, ctx) */
		const struct vrf_map *map = meta->map;

		callee->regs[1].type = CONST_PTR_TO_MAP;
		vrf_mark_reg_known(&callee->regs[1], 0);
		callee->regs[1].map = map;
		callee->regs[2].type = PTR_TO_MAP_KEY;
		vrf_mark_reg_known(&callee->regs[2], 0);
		callee->regs[2].map = map;
		callee->regs[3].type = PTR_TO_MAP_VALUE;
		vrf_mark_reg_known(&callee->regs[3], 0);
		callee->regs[3].map = map;
		callee->regs[4] = caller->regs[3];
	}
	clear_caller_saved(env, caller);
	/* the helper returns an integer once the callback is done */
	vrf_mark_reg_unknown(env, caller->regs, 0);
	/* and the callback may never run (bpf_loop of 0, an empty map): the
	 * caller also goes on with its own state, as Linux since 6.7 */
	if (!vrf_push_stack(env, *insn_idx + 1, *insn_idx, false))
		return -EFAULT;
	memcpy(callee->cb_entry, callee->regs, sizeof(callee->cb_entry));
	st->curframe++;
	*insn_idx = env->subprogs[subprog].start;
	log_call(env, st);
	return 1;
}

int vrf_check_helper_call(struct vrf_env *env, struct bpf_insn *insn, int *insn_idx_p)
{
	int32_t func_id = insn->imm;
	int insn_idx = *insn_idx_p;
	const struct helper *fn;
	struct call_meta meta;
	struct vrf_reg *regs;
	int err;

	if (func_id < 0 || func_id >= __BPF_FUNC_MAX_ID) {
		vrf_verbose(env, "invalid func %s#%d\n", func_name(func_id), func_id);
		return -EINVAL;
	}
	fn = helper_by_id(func_id);
	if (!fn || !helper_allowed(env, fn)) {
		vrf_verbose(env, "unknown func %s#%d\n", func_name(func_id), func_id);
		return -EINVAL;
	}
	if (!env->gpl && (fn->groups & HG_GPL)) {
		vrf_verbose(
		    env, "cannot call GPL-restricted function from non-GPL compatible program\n");
		return -EINVAL;
	}
	memset(&meta, 0, sizeof(meta));
	meta.func_id = func_id;
	meta.pkt_access = helper_pkt_access(func_id);
	for (uint32_t i = 0; i < 5; i++)
		if ((err = check_func_arg(env, i, &meta, fn)))
			return err;
	regs = vrf_cur_regs(env);
	if (meta.release_regno) {
		err = -EINVAL;
		if (meta.ref_obj_id)
			err = vrf_release_reference(env, meta.ref_obj_id);
		else if (register_is_null(&regs[meta.release_regno]))
			err = 0;
		if (err) {
			vrf_verbose(env, "func %s#%d reference has not been acquired before\n",
				    func_name(func_id), func_id);
			return err;
		}
	}
	switch (func_id) {
	case BPF_FUNC_tail_call:
		if (env->cur->nrefs) {
			vrf_check_reference_leak(env);
			vrf_verbose(env, "tail_call would lead to reference leak\n");
			return -EINVAL;
		}
		break;
	case BPF_FUNC_get_local_storage:
		if (!register_is_null(&regs[2])) {
			vrf_verbose(env, "get_local_storage() doesn't support non-zero flags\n");
			return -EINVAL;
		}
		break;
	default:
		break;
	}
	if ((err = check_map_func_compatibility(env, meta.map, func_id)))
		return err;
	if (func_id == BPF_FUNC_tail_call && meta.map) {
		/* which prog array each path hands this call (Linux's
		 * record_func_map): unprivileged, it must be only one */
		struct vrf_aux *aux = &env->aux[insn_idx];

		if (!aux->map_state) {
			aux->call_map = meta.map;
			aux->map_state = 1;
		} else if (aux->call_map != meta.map) {
			aux->map_state = 2;
		}
	}
	if (func_id == BPF_FUNC_loop || func_id == BPF_FUNC_for_each_map_elem) {
		/* The callback runs as a function entered from here; the caller
		 * sees an unknown integer in r0 when it returns. */
		if ((err = enter_callback(env, insn_idx_p, &meta, func_id)))
			return err;
		return 1;
	}
	clear_caller_saved(env, vrf_cur_func(env));
	switch (fn->ret) {
	case RET_INTEGER:
		vrf_mark_reg_unknown(env, regs, 0);
		break;
	case RET_VOID:
		regs[0].type = NOT_INIT;
		break;
	case RET_PTR_TO_MAP_VALUE_OR_NULL:
		if (!meta.map) {
			vrf_verbose(env, "kernel subsystem misconfigured verifier\n");
			return -EINVAL;
		}
		vrf_mark_reg_unknown(env, regs, 0);
		vrf_mark_reg_known(&regs[0], 0);
		regs[0].map = meta.map;
		regs[0].type = PTR_TO_MAP_VALUE | PTR_MAYBE_NULL_T;
		break;
	case RET_PTR_TO_ALLOC_MEM_OR_NULL:
		vrf_mark_reg_unknown(env, regs, 0);
		vrf_mark_reg_known(&regs[0], 0);
		regs[0].type = PTR_TO_MEM | MEM_ALLOC_T | PTR_MAYBE_NULL_T;
		regs[0].mem_size = (uint32_t)meta.mem_size;
		break;
	case RET_PTR_TO_SOCKET_OR_NULL:
	case RET_PTR_TO_TCP_SOCK_OR_NULL:
	case RET_PTR_TO_SOCK_COMMON_OR_NULL:
		vrf_mark_reg_unknown(env, regs, 0);
		vrf_mark_reg_known(&regs[0], 0);
		regs[0].type = (fn->ret == RET_PTR_TO_SOCKET_OR_NULL	 ? PTR_TO_SOCKET
				: fn->ret == RET_PTR_TO_TCP_SOCK_OR_NULL ? PTR_TO_TCP_SOCK
									 : PTR_TO_SOCK_COMMON) |
			       PTR_MAYBE_NULL_T;
		break;
	case RET_PTR_TO_MEM_OR_NULL:
		vrf_mark_reg_unknown(env, regs, 0);
		vrf_mark_reg_known(&regs[0], 0);
		regs[0].type = PTR_TO_MEM | PTR_MAYBE_NULL_T;
		regs[0].mem_size = (uint32_t)meta.mem_size;
		break;
	default:
		vrf_verbose(env, "unknown return type %u of func %s#%d\n", fn->ret,
			    func_name(func_id), func_id);
		return -EINVAL;
	}
	if (regs[0].type & PTR_MAYBE_NULL_T)
		regs[0].id = ++env->id_gen;
	if (func_id == BPF_FUNC_sk_fullsock || func_id == BPF_FUNC_tcp_sock ||
	    func_id == BPF_FUNC_skc_to_tcp_sock) {
		/* a cast: the result holds the argument's reference */
		regs[0].ref_obj_id = meta.ref_obj_id;
	} else if (func_id == BPF_FUNC_ringbuf_reserve || func_id == BPF_FUNC_sk_lookup_tcp ||
		   func_id == BPF_FUNC_sk_lookup_udp || func_id == BPF_FUNC_skc_lookup_tcp) {
		int id = vrf_acquire_reference(env, insn_idx);

		if (id < 0)
			return id;
		regs[0].id = (uint32_t)id;
		regs[0].ref_obj_id = (uint32_t)id;
	}
	if (func_id == BPF_FUNC_get_stack || func_id == BPF_FUNC_probe_read_str ||
	    func_id == BPF_FUNC_probe_read_kernel_str || func_id == BPF_FUNC_probe_read_user_str) {
		/* at most the buffer size is written */
		regs[0].smax = (int64_t)meta.msize_max;
		regs[0].s32_max = (int32_t)meta.msize_max;
		vrf_reg_bounds_sync(&regs[0]);
	}
	if (helper_changes_pkt_data(func_id))
		vrf_clear_all_pkt_pointers(env);
	return 0;
}
