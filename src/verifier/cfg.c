/* The structural pass, before any abstract interpretation: subprograms and
 * their boundaries, jumps staying inside their subprogram, known opcodes and
 * well-formed lddw (maps resolved through the caller's callback), and the
 * control flow graph: every instruction reachable, loops only where allowed,
 * no jump into the second half of an lddw. It also marks the prune points
 * (Linux's add_subprog_and_kfunc, check_subprogs, resolve_pseudo_ldimm64,
 * check_cfg). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "verifier/vrf.h"

/* i + 1 + rel without overflow; -1 when it leaves the int range (and so
 * the program). */
static int rel_target(int64_t i, int64_t rel)
{
	int64_t t = i + 1 + rel;

	return t < 0 || t > INT32_MAX ? -1 : (int)t;
}

static bool is_ldimm64(const struct bpf_insn *insn)
{
	return insn->code == (BPF_LD | BPF_IMM | BPF_DW);
}

static bool pseudo_call(const struct bpf_insn *insn)
{
	return insn->code == (BPF_JMP | BPF_CALL) && insn->src_reg == BPF_PSEUDO_CALL;
}

static bool pseudo_func(const struct bpf_insn *insn)
{
	return is_ldimm64(insn) && insn->src_reg == BPF_PSEUDO_FUNC;
}

static int cmp_subprog(const void *a, const void *b)
{
	return ((const struct vrf_subprog *)a)->start - ((const struct vrf_subprog *)b)->start;
}

static int add_subprog(struct vrf_env *env, int off)
{
	if (off >= (int)env->len || off < 0) {
		vrf_verbose(env, "call to invalid destination\n");
		return -EINVAL;
	}
	if (vrf_find_subprog(env, off) >= 0)
		return 0;
	if (env->nsubprogs >= VRF_MAX_SUBPROGS) {
		vrf_verbose(env, "too many subprograms\n");
		return -E2BIG;
	}
	env->subprogs[env->nsubprogs++].start = off;
	qsort(env->subprogs, env->nsubprogs, sizeof(env->subprogs[0]), cmp_subprog);
	return 0;
}

static int add_subprogs(struct vrf_env *env)
{
	int err;

	env->nsubprogs = 1;
	env->subprogs[0].start = 0;
	for (uint32_t i = 0; i < env->len; i++) {
		const struct bpf_insn *insn = &env->insns[i];

		if (!pseudo_func(insn) && !pseudo_call(insn) &&
		    !(insn->code == (BPF_JMP | BPF_CALL) && insn->src_reg == BPF_PSEUDO_KFUNC_CALL))
			continue;
		if (!env->allow_ptr_leaks) {
			vrf_verbose(env, "loading/calling other bpf or kernel functions are "
					 "allowed for CAP_BPF and CAP_SYS_ADMIN\n");
			return -EPERM;
		}
		if (insn->src_reg == BPF_PSEUDO_KFUNC_CALL)
			continue; /* rejected when reached */
		int64_t target = (int64_t)i + insn->imm + 1;

		if ((err = add_subprog(env, target < 0 || target > INT32_MAX ? -1 : (int)target)))
			return err;
	}
	/* a sentinel: the end of the last subprogram */
	env->subprogs[env->nsubprogs].start = (int32_t)env->len;
	if (env->log_level & 2)
		for (uint32_t i = 0; i < env->nsubprogs; i++)
			vrf_verbose(env, "func#%u @%d\n", i, env->subprogs[i].start);
	return 0;
}

static int check_subprogs(struct vrf_env *env)
{
	uint32_t cur = 0;
	int start = env->subprogs[0].start, end = env->subprogs[1].start;

	for (int i = 0; i < (int)env->len; i++) {
		const struct bpf_insn *insn = &env->insns[i];
		uint8_t code = insn->code, cls = BPF_CLASS(code);

		if (code == (BPF_JMP | BPF_CALL) && insn->imm == BPF_FUNC_tail_call &&
		    insn->src_reg != BPF_PSEUDO_CALL)
			env->subprogs[cur].has_tail_call = true;
		if (cls == BPF_LD && (BPF_MODE(code) == BPF_ABS || BPF_MODE(code) == BPF_IND))
			env->subprogs[cur].has_ld_abs = true;
		if (cls == BPF_JMP || cls == BPF_JMP32) {
			if (BPF_OP(code) != BPF_EXIT && BPF_OP(code) != BPF_CALL) {
				int64_t off =
				    (int64_t)i + 1 +
				    (code == (BPF_JMP32 | BPF_JA) ? insn->imm : insn->off);

				if (off < start || off >= end) {
					/* Linux prints the target as an int */
					vrf_verbose(env, "jump out of range from insn %d to %d\n",
						    i, (int)(uint32_t)(uint64_t)off);
					return -EINVAL;
				}
			}
		}
		if (i == end - 1) {
			/* no falling through into the next subprogram */
			if (code != (BPF_JMP | BPF_EXIT) && code != (BPF_JMP | BPF_JA) &&
			    code != (BPF_JMP32 | BPF_JA)) {
				vrf_verbose(env, "last insn is not an exit or jmp\n");
				return -EINVAL;
			}
			start = end;
			cur++;
			if (cur < env->nsubprogs)
				end = env->subprogs[cur + 1].start;
		}
	}
	return 0;
}

/* Opcodes of the table except callx, which only unverified programs may
 * use (Linux has no callx). */
static bool opcode_known(uint8_t code)
{
	for (unsigned op = 0; op < ISA_NR_OPS; op++)
		if (isa_rows[op].code == code && op != ISA_CALLX)
			return true;
	return false;
}

/* Maps some program types may not use (Linux's
 * check_map_prog_compatibility). */
static int check_map_prog_compatibility(struct vrf_env *env, const struct vrf_map *map)
{
	enum bpf_prog_type t = env->p->prog_type;
	bool tracing = t == BPF_PROG_TYPE_KPROBE || t == BPF_PROG_TYPE_TRACEPOINT ||
		       t == BPF_PROG_TYPE_PERF_EVENT || t == BPF_PROG_TYPE_RAW_TRACEPOINT ||
		       t == BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE;

	if (map->spin_lock_off >= 0) {
		if (t == BPF_PROG_TYPE_SOCKET_FILTER) {
			vrf_verbose(env, "socket filter progs cannot use bpf_spin_lock yet\n");
			return -EINVAL;
		}
		if (tracing) {
			vrf_verbose(env, "tracing progs cannot use bpf_spin_lock yet\n");
			return -EINVAL;
		}
	}
	if (map->timer_off >= 0 && tracing) {
		vrf_verbose(env, "tracing progs cannot use bpf_timer yet\n");
		return -EINVAL;
	}
	/* Linux 6.18's list (checked against it), wider than 6.1's by queues
	 * and stacks. It also keeps a sleepable syscall program from tail
	 * calls, whose target's context accesses its own test run never saw. */
	if (env->p->prog_flags & BPF_F_SLEEPABLE) {
		switch (map->type) {
		case BPF_MAP_TYPE_HASH:
		case BPF_MAP_TYPE_LRU_HASH:
		case BPF_MAP_TYPE_ARRAY:
		case BPF_MAP_TYPE_PERCPU_HASH:
		case BPF_MAP_TYPE_PERCPU_ARRAY:
		case BPF_MAP_TYPE_LRU_PERCPU_HASH:
		case BPF_MAP_TYPE_ARRAY_OF_MAPS:
		case BPF_MAP_TYPE_HASH_OF_MAPS:
		case BPF_MAP_TYPE_QUEUE:
		case BPF_MAP_TYPE_STACK:
		case BPF_MAP_TYPE_RINGBUF:
		case BPF_MAP_TYPE_USER_RINGBUF:
			break;
		default:
			vrf_verbose(env, "Sleepable programs can only use array, hash, ringbuf and "
					 "local storage maps\n");
			return -EINVAL;
		}
	}
	return 0;
}

static int resolve_pseudo_ldimm64(struct vrf_env *env)
{
	for (uint32_t i = 0; i < env->len; i++) {
		struct bpf_insn *insn = &env->insns[i];
		struct vrf_map *map;
		uint32_t value_off = 0;
		int err;

		if (BPF_CLASS(insn->code) == BPF_LDX &&
		    ((BPF_MODE(insn->code) != BPF_MEM && BPF_MODE(insn->code) != BPF_MEMSX) ||
		     insn->imm != 0)) {
			vrf_verbose(env, "BPF_LDX uses reserved fields\n");
			return -EINVAL;
		}
		if (!is_ldimm64(insn)) {
			if (!opcode_known(insn->code)) {
				vrf_verbose(env, "unknown opcode %02x\n", insn->code);
				return -EINVAL;
			}
			continue;
		}
		if (i == env->len - 1 || insn[1].code != 0 || insn[1].dst_reg != 0 ||
		    insn[1].src_reg != 0 || insn[1].off != 0) {
			vrf_verbose(env, "invalid bpf_ld_imm64 insn\n");
			return -EINVAL;
		}
		switch (insn->src_reg) {
		case 0:
		case BPF_PSEUDO_FUNC:
			i++;
			continue;
		case BPF_PSEUDO_BTF_ID:
			vrf_verbose(env, "kernel is missing BTF, make sure CONFIG_DEBUG_INFO_BTF=y "
					 "is specified in Kconfig.\n");
			return -EINVAL;
		case BPF_PSEUDO_MAP_VALUE:
		case BPF_PSEUDO_MAP_IDX_VALUE:
			break;
		case BPF_PSEUDO_MAP_FD:
		case BPF_PSEUDO_MAP_IDX:
			if (insn[1].imm == 0)
				break;
			/* fall through */
		default:
			vrf_verbose(env, "unrecognized bpf_ld_imm64 insn\n");
			return -EINVAL;
		}
		if (insn->src_reg == BPF_PSEUDO_MAP_IDX ||
		    insn->src_reg == BPF_PSEUDO_MAP_IDX_VALUE) {
			vrf_verbose(env, "fd_idx without fd_array is invalid\n");
			return -EPROTO;
		}
		if (insn->src_reg == BPF_PSEUDO_MAP_VALUE &&
		    (uint32_t)insn[1].imm >= VRF_MAX_VAR_OFF) {
			vrf_verbose(env, "direct value offset of %u is not allowed\n",
				    (uint32_t)insn[1].imm);
			return -EINVAL;
		}
		if (env->nmaps >= VRF_MAX_USED_MAPS) {
			vrf_verbose(env, "too many maps\n");
			return -E2BIG;
		}
		map = calloc(1, sizeof(*map));
		if (!map)
			return -ENOMEM;
		map->spin_lock_off = map->timer_off = -1;
		err = env->p->map_info ? env->p->map_info(env->p->priv, insn, map, &value_off)
				       : -EBADF;
		if (err) {
			if (map->inner)
				free(map->inner);
			free(map);
			if (err == -EBADF || !env->p->map_info) {
				vrf_verbose(env, "fd %d is not pointing to valid bpf_map\n",
					    insn->imm);
				return -EBADF;
			}
			if (insn->src_reg == BPF_PSEUDO_MAP_VALUE) {
				vrf_verbose(env,
					    "no direct value access support for this map type\n");
				return -EINVAL;
			}
			vrf_verbose(env, "fd %d is not pointing to valid bpf_map\n", insn->imm);
			return err;
		}
		/* one description per distinct map */
		for (uint32_t m = 0; m < env->nmaps; m++)
			if (env->maps[m]->handle == map->handle) {
				free(map->inner);
				free(map);
				map = env->maps[m];
				break;
			}
		if (map != env->maps[env->nmaps ? env->nmaps - 1 : 0] || !env->nmaps) {
			bool known = false;

			for (uint32_t m = 0; m < env->nmaps; m++)
				known |= env->maps[m] == map;
			if (!known)
				env->maps[env->nmaps++] = map;
		}
		if ((err = check_map_prog_compatibility(env, map)))
			return err;
		if (insn->src_reg == BPF_PSEUDO_MAP_VALUE) {
			if (map->type != BPF_MAP_TYPE_ARRAY || map->max_entries != 1) {
				if (map->type != BPF_MAP_TYPE_ARRAY) {
					vrf_verbose(
					    env,
					    "no direct value access support for this map type\n");
					return -EINVAL;
				}
			}
			if (value_off >= map->value_size) {
				vrf_verbose(
				    env,
				    "invalid access to map value pointer, value_size=%u off=%u\n",
				    map->value_size, value_off);
				return -EINVAL;
			}
			env->aux[i].map_value_off = value_off;
		}
		env->aux[i].map = map;
		i++;
	}
	return 0;
}

/* ---- the control flow graph ---- */

enum { DISCOVERED = 0x10, EXPLORED = 0x20, FALLTHROUGH = 1, BRANCH = 2 };
enum { DONE_EXPLORING = 0, KEEP_EXPLORING = 1 };

struct cfg {
	int *state, *stack;
	int cur;
};

static void mark_prune_point(struct vrf_env *env, int idx)
{
	if (idx >= 0 && (uint32_t)idx < env->len)
		env->aux[idx].prune_point = true;
}

static int push_insn(struct vrf_env *env, struct cfg *cfg, int t, int w, int e, bool loop_ok)
{
	if (e == FALLTHROUGH && cfg->state[t] >= (DISCOVERED | FALLTHROUGH))
		return DONE_EXPLORING;
	if (e == BRANCH && cfg->state[t] >= (DISCOVERED | BRANCH))
		return DONE_EXPLORING;
	if (w < 0 || w >= (int)env->len) {
		vrf_verbose(env, "jump out of range from insn %d to %d\n", t, w);
		return -EINVAL;
	}
	if (e == BRANCH)
		mark_prune_point(env, w);
	if (cfg->state[w] == 0) {
		cfg->state[t] = DISCOVERED | e;
		cfg->state[w] = DISCOVERED;
		if (cfg->cur >= (int)env->len)
			return -E2BIG;
		cfg->stack[cfg->cur++] = w;
		return KEEP_EXPLORING;
	}
	if ((cfg->state[w] & 0xf0) == DISCOVERED) {
		if (loop_ok && env->allow_ptr_leaks)
			return DONE_EXPLORING;
		vrf_verbose(env, "back-edge from insn %d to %d\n", t, w);
		return -EINVAL;
	}
	cfg->state[t] = DISCOVERED | e; /* forward or cross edge */
	return DONE_EXPLORING;
}

static int visit_call(struct vrf_env *env, struct cfg *cfg, int t, int size, bool visit_callee)
{
	int ret = push_insn(env, cfg, t, t + size, FALLTHROUGH, false);

	if (ret)
		return ret;
	mark_prune_point(env, t + size);
	if (visit_callee) {
		mark_prune_point(env, t);
		ret = push_insn(env, cfg, t, rel_target(t, env->insns[t].imm), BRANCH, false);
	}
	return ret;
}

static int visit_insn(struct vrf_env *env, struct cfg *cfg, int t)
{
	const struct bpf_insn *insn = &env->insns[t];
	int ret, target;

	if (pseudo_func(insn))
		return visit_call(env, cfg, t, 2, true);
	if (BPF_CLASS(insn->code) != BPF_JMP && BPF_CLASS(insn->code) != BPF_JMP32)
		return push_insn(env, cfg, t, t + (is_ldimm64(insn) ? 2 : 1), FALLTHROUGH, false);
	switch (BPF_OP(insn->code)) {
	case BPF_EXIT:
		return DONE_EXPLORING;
	case BPF_CALL:
		if (insn->src_reg == 0 &&
		    (insn->imm == BPF_FUNC_loop || insn->imm == BPF_FUNC_for_each_map_elem))
			mark_prune_point(env, t);
		return visit_call(env, cfg, t, 1, insn->src_reg == BPF_PSEUDO_CALL);
	case BPF_JA:
		if (BPF_SRC(insn->code) != BPF_K)
			return -EINVAL;
		target = rel_target(t, BPF_CLASS(insn->code) == BPF_JMP32 ? insn->imm : insn->off);
		ret = push_insn(env, cfg, t, target, FALLTHROUGH, true);
		if (ret)
			return ret;
		mark_prune_point(env, target);
		return ret;
	default:
		mark_prune_point(env, t);
		ret = push_insn(env, cfg, t, t + 1, FALLTHROUGH, true);
		if (ret)
			return ret;
		return push_insn(env, cfg, t, t + insn->off + 1, BRANCH, true);
	}
}

static int check_cfg(struct vrf_env *env)
{
	struct cfg cfg;
	int ret = 0;

	cfg.state = calloc(env->len, sizeof(int));
	cfg.stack = calloc(env->len, sizeof(int));
	if (!cfg.state || !cfg.stack) {
		free(cfg.state);
		free(cfg.stack);
		return -ENOMEM;
	}
	cfg.state[0] = DISCOVERED;
	cfg.stack[0] = 0;
	cfg.cur = 1;
	while (cfg.cur > 0) {
		int t = cfg.stack[cfg.cur - 1];

		ret = visit_insn(env, &cfg, t);
		if (ret == DONE_EXPLORING) {
			cfg.state[t] = EXPLORED;
			cfg.cur--;
		} else if (ret < 0) {
			goto out;
		}
	}
	ret = 0;
	for (uint32_t i = 0; i < env->len; i++) {
		if (cfg.state[i] != EXPLORED) {
			vrf_verbose(env, "unreachable insn %u\n", i);
			ret = -EINVAL;
			goto out;
		}
		if (is_ldimm64(&env->insns[i])) {
			if (cfg.state[i + 1] != 0) {
				vrf_verbose(env, "jump into the middle of ldimm64 insn %u\n", i);
				ret = -EINVAL;
				goto out;
			}
			i++;
		}
	}
	/* every subprogram's first instruction is a checkpoint: callbacks
	 * re-entered in a loop converge there */
	for (uint32_t i = 0; i < env->nsubprogs; i++)
		mark_prune_point(env, env->subprogs[i].start);
out:
	free(cfg.state);
	free(cfg.stack);
	return ret;
}

/* The combined stack of every call chain stays within 512 bytes and 8
 * frames (Linux's check_max_stack_depth: every call in the code counts,
 * reached or not; frames take at least 32 bytes, in 32-byte steps). */
static int max_depth_from(struct vrf_env *env, int sp, int depth, int frame)
{
	int start = env->subprogs[sp].start, end = env->subprogs[sp + 1].start;
	int own = env->subprogs[sp].stack_depth;

	if (sp && env->subprogs[sp].has_tail_call && depth >= 256) {
		vrf_verbose(env,
			    "tail_calls are not allowed when call stack of previous frames is %d "
			    "bytes. Too large\n",
			    depth);
		return -EACCES;
	}
	depth += ((own > 1 ? own : 1) + 31) / 32 * 32;
	if (depth > VRF_STACK_SIZE) {
		vrf_verbose(env, "combined stack size of %d calls is %d. Too large\n", frame + 1,
			    depth);
		return -EACCES;
	}
	for (int i = start; i < end; i++) {
		const struct bpf_insn *insn = &env->insns[i];
		int callee, err;

		if (!pseudo_call(insn) && !pseudo_func(insn))
			continue;
		callee = vrf_find_subprog(env, rel_target(i, insn->imm));
		if (callee < 0) {
			vrf_verbose(env, "verifier bug. No program starts at insn %d\n",
				    rel_target(i, insn->imm));
			return -EFAULT;
		}
		if (frame + 1 >= VRF_MAX_FRAMES) {
			vrf_verbose(env, "the call stack of %d frames is too deep !\n", frame + 1);
			return -E2BIG;
		}
		if ((err = max_depth_from(env, callee, depth, frame + 1)))
			return err;
	}
	return 0;
}

int vrf_check_max_stack_depth(struct vrf_env *env);
int vrf_check_max_stack_depth(struct vrf_env *env)
{
	return max_depth_from(env, 0, 0, 0);
}

int vrf_check_structure(struct vrf_env *env)
{
	int err;

	if ((err = add_subprogs(env)))
		return err;
	if ((err = check_subprogs(env)))
		return err;
	/* Linux's check_attach_btf_id, at this point of its checks */
	if (env->p->prog_type == BPF_PROG_TYPE_SYSCALL && !(env->p->prog_flags & BPF_F_SLEEPABLE)) {
		vrf_verbose(env, "Syscall programs can only be sleepable\n");
		return -EINVAL;
	}
	if ((err = resolve_pseudo_ldimm64(env)))
		return err;
	return check_cfg(env);
}
