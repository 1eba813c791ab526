/* Fixup maps for corpus cases, as Linux's test_verifier creates them (see
 * ../shared/kernel-verifier/README.md): made fresh for each case, closed
 * after it. Map kinds that need BTF or kernel objects exobpf does not have
 * are unsupported. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd_verify.h"
#include "exobpf/map.h"

#define MAX_OPEN 16

static int open_fds[MAX_OPEN];
static unsigned nopen;
static struct exobpf_prog *progs[3]; /* the programs of prog1/prog2 */

static int track(int fd)
{
	if (fd >= 0 && nopen < MAX_OPEN)
		open_fds[nopen++] = fd;
	return fd;
}

static int create(enum bpf_map_type type, uint32_t ks, uint32_t vs, uint32_t max, uint32_t flags,
		  int inner_fd)
{
	EXOBPF_OPTS(exobpf_map_create_opts, o, .map_flags = flags,
		    .inner_map_fd = inner_fd >= 0 ? (uint32_t)inner_fd : 0);
	int fd = exobpf_map_create(type, "corpus", ks, vs, max, &o);

	return fd < 0 ? fd : track(fd);
}

/* struct test_val { u32 index; int foo[11]; } with index 28, foo[6] set. */
static int array_48b(uint32_t flags)
{
	uint8_t val[48] = {0};
	uint32_t key = 0, index = 28, foo6 = 0xabcdef12;
	int fd = create(BPF_MAP_TYPE_ARRAY, 4, 48, 1, flags, -1);

	if (fd < 0)
		return fd;
	memcpy(val, &index, 4);
	memcpy(val + 4 + 6 * 4, &foo6, 4);
	/* read-only-to-programs maps are still writable from user space */
	exobpf_map_update_elem(fd, &key, val, BPF_ANY);
	return fd;
}

static struct exobpf_prog *load(int type, const struct bpf_insn *insns, size_t cnt)
{
	EXOBPF_OPTS(exobpf_prog_opts, o, .name = "corpus_tail", .type = (enum bpf_prog_type)type,
		    .license = "GPL");
	return exobpf_prog__new(insns, cnt, &o);
}

/* A PROG_ARRAY whose slots hold: 42; tail call to slot self_slot, else 41;
 * 24 (Linux's create_prog_array). */
static int prog_array(int type, uint32_t max, const uint32_t slots[3], uint32_t self_slot)
{
	int fd = create(BPF_MAP_TYPE_PROG_ARRAY, 4, 4, max, 0, -1);
	const struct bpf_insn ret42[] = {
		{.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 42},
		{.code = BPF_JMP | BPF_EXIT},
	};
	const struct bpf_insn ret24[] = {
		{.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 24},
		{.code = BPF_JMP | BPF_EXIT},
	};
	struct bpf_insn tail[] = {
		{.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 3, .imm = (int32_t)self_slot},
		{.code = BPF_LD | BPF_IMM | BPF_DW, .dst_reg = 2, .src_reg = BPF_PSEUDO_MAP_FD, .imm = fd},
		{0},
		{.code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_tail_call},
		{.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 41},
		{.code = BPF_JMP | BPF_EXIT},
	};

	if (fd < 0)
		return fd;
	progs[0] = load(type, ret42, 2);
	progs[1] = load(type, tail, 6);
	progs[2] = load(type, ret24, 2);
	for (int i = 0; i < 3; i++) {
		if (!progs[i])
			return -EOPNOTSUPP;
		if (exobpf_map_set_prog(fd, slots[i], progs[i]))
			return -EOPNOTSUPP;
	}
	return fd;
}

int corpus_fixup_map(const char *kind, int prog_type)
{
	if (!strcmp(kind, "map_hash_8b"))
		return create(BPF_MAP_TYPE_HASH, 8, 8, 1, BPF_F_NO_PREALLOC, -1);
	if (!strcmp(kind, "map_hash_16b"))
		return create(BPF_MAP_TYPE_HASH, 8, 16, 1, 0, -1);
	if (!strcmp(kind, "map_hash_48b"))
		return create(BPF_MAP_TYPE_HASH, 8, 48, 1, 0, -1);
	if (!strcmp(kind, "map_array_48b"))
		return array_48b(0);
	if (!strcmp(kind, "map_array_ro"))
		return array_48b(BPF_F_RDONLY_PROG);
	if (!strcmp(kind, "map_array_wo"))
		return array_48b(BPF_F_WRONLY_PROG);
	if (!strcmp(kind, "map_array_small"))
		return create(BPF_MAP_TYPE_ARRAY, 4, 1, 1, 0, -1);
	if (!strcmp(kind, "map_in_map")) {
		int inner = create(BPF_MAP_TYPE_ARRAY, 4, 4, 1, 0, -1);

		if (inner < 0)
			return inner;
		return create(BPF_MAP_TYPE_ARRAY_OF_MAPS, 4, 4, 1, 0, inner);
	}
	if (!strcmp(kind, "map_event_output"))
		return create(BPF_MAP_TYPE_PERF_EVENT_ARRAY, 4, 4, 1, 0, -1);
	if (!strcmp(kind, "map_ringbuf"))
		return create(BPF_MAP_TYPE_RINGBUF, 0, 0, 4096, 0, -1);
	if (!strcmp(kind, "map_stacktrace"))
		return create(BPF_MAP_TYPE_STACK_TRACE, 4, 8, 1, 0, -1);
	if (!strcmp(kind, "map_spin_lock")) {
		/* struct val { int cnt; struct bpf_spin_lock l; } */
		EXOBPF_OPTS(exobpf_map_create_opts, o, .has_spin_lock = true, .spin_lock_off = 4);
		int fd = exobpf_map_create(BPF_MAP_TYPE_ARRAY, "corpus", 4, 8, 1, &o);

		return fd < 0 ? fd : track(fd);
	}
	if (!strcmp(kind, "prog1")) {
		static const uint32_t slots[3] = {0, 1, 2};

		return prog_array(prog_type, 4, slots, 1);
	}
	if (!strcmp(kind, "prog2")) {
		static const uint32_t slots[3] = {7, 1, 2};

		return prog_array(prog_type, 8, slots, 1);
	}
	return -EOPNOTSUPP;
}

void corpus_close_maps(void)
{
	while (nopen)
		close(open_fds[--nopen]);
	for (int i = 0; i < 3; i++) {
		exobpf_prog__free(progs[i]);
		progs[i] = NULL;
	}
}
