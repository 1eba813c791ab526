/* Seeds for the `attr` target: short programs of bpf() calls that reach
 * every command's success path (map life cycles, batches, a program loaded,
 * run and looked up, BTF loaded and used by a map, pins, links, stats),
 * plus every command number with an empty attribute at several sizes. The
 * fuzzer mutates from there into the error paths. */
#include <stdio.h>
#include <string.h>
#include <linux/btf.h>

#include "api/attr.h"
#include "attr_fmt.h"
#include "attr_seeds.h"

struct seed {
	struct attr_seed s;
	uint8_t buf[8192];
	uint8_t arena[4096];
};

static void begin(struct seed *sd)
{
	memset(sd, 0, sizeof(*sd));
	sd->s.buf = sd->buf;
	sd->s.cap = sizeof(sd->buf);
}

/* The arena goes first in the file, so the calls are added after it is
 * complete: build the arena, then start the calls. */
static void calls(struct seed *sd, uint16_t arena_len)
{
	attr_seed_arena(&sd->s, sd->arena, arena_len);
}

static void call(struct seed *sd, int cmd, const union api_attr *a)
{
	attr_seed_call(&sd->s, (uint8_t)cmd, a, ATTR_FULL);
}

static union api_attr map_create(uint32_t type, uint32_t ks, uint32_t vs, uint32_t max,
				 uint32_t flags)
{
	union api_attr a;
	memset(&a, 0, sizeof(a));
	a.map_create.map_type = type;
	a.map_create.key_size = ks;
	a.map_create.value_size = vs;
	a.map_create.max_entries = max;
	a.map_create.map_flags = flags;
	return a;
}

static union api_attr elem(unsigned fd, uint32_t key, uint32_t value, uint64_t flags)
{
	union api_attr a;
	memset(&a, 0, sizeof(a));
	a.elem.map_fd = attr_fd(fd);
	a.elem.key = key == UINT32_MAX ? 0 : attr_ptr(key);
	a.elem.value = attr_ptr(value);
	a.elem.flags = flags;
	return a;
}

static union api_attr info(unsigned fd, uint32_t at, uint32_t len)
{
	union api_attr a;
	memset(&a, 0, sizeof(a));
	a.info.bpf_fd = attr_fd(fd);
	a.info.info_len = len;
	a.info.info = attr_ptr(at);
	return a;
}

/* A lookup batch from the start, into arena buffers at 600 (out_batch),
 * 700 (keys) and 800 (values). */
static union api_attr batch_out(unsigned fd, uint32_t count)
{
	union api_attr a;
	memset(&a, 0, sizeof(a));
	a.batch.out_batch = attr_ptr(600);
	a.batch.keys = attr_ptr(700);
	a.batch.values = attr_ptr(800);
	a.batch.count = count;
	a.batch.map_fd = attr_fd(fd);
	return a;
}

static union api_attr by_id(unsigned nth)
{
	union api_attr a;
	memset(&a, 0, sizeof(a));
	a.id.start_id = nth;
	return a;
}

static const union api_attr zero;

static int array_life(struct seed *sd)
{
	union api_attr a;
	uint64_t v = 0x1122334455667788ull;

	memcpy(sd->arena + 8, &v, 8);
	strcpy((char *)sd->arena + 64, "/sys/fs/bpf/fz_arr");
	calls(sd, 128);
	a = map_create(BPF_MAP_TYPE_ARRAY, 4, 8, 4, BPF_F_MMAPABLE);
	call(sd, BPF_MAP_CREATE, &a);
	a = elem(0, 0, 8, BPF_ANY), call(sd, BPF_MAP_UPDATE_ELEM, &a);
	a = elem(0, 0, 512, 0), call(sd, BPF_MAP_LOOKUP_ELEM, &a);
	a = elem(0, 0, 520, 0), call(sd, BPF_MAP_GET_NEXT_KEY, &a);
	a = info(0, 1024, 96), call(sd, BPF_OBJ_GET_INFO_BY_FD, &a);
	memset(&a, 0, sizeof(a));
	a.obj.pathname = attr_ptr(64);
	a.obj.bpf_fd = attr_fd(0);
	call(sd, BPF_OBJ_PIN, &a);
	a.obj.bpf_fd = 0;
	call(sd, BPF_OBJ_GET, &a);
	a = by_id(0), call(sd, BPF_MAP_GET_FD_BY_ID, &a);
	struct {
		uint32_t idx, prot;
		uint64_t len, off;
		uint8_t write;
	} m = {0, 3, 4096, 0, 7};
	memset(&a, 0, sizeof(a));
	memcpy(&a, &m, sizeof(m));
	attr_seed_call(&sd->s, ATTR_OP_MMAP, &a, ATTR_FULL);
	a = elem(0, 0, 0, 0), call(sd, BPF_MAP_FREEZE, &a);
	a = elem(0, 0, 8, BPF_ANY), call(sd, BPF_MAP_UPDATE_ELEM, &a);
	a = batch_out(0, 4), call(sd, BPF_MAP_LOOKUP_BATCH, &a);
	return 0;
}

static int hash_life(struct seed *sd)
{
	union api_attr a;

	for (uint32_t i = 0; i < 4; i++) {
		uint32_t k = i + 1;
		uint64_t v = 100 + i;
		memcpy(sd->arena + 4 * i, &k, 4);
		memcpy(sd->arena + 64 + 8 * i, &v, 8);
	}
	calls(sd, 128);
	a = map_create(BPF_MAP_TYPE_HASH, 4, 8, 16, 0), call(sd, BPF_MAP_CREATE, &a);
	memset(&a, 0, sizeof(a));
	a.batch.keys = attr_ptr(0);
	a.batch.values = attr_ptr(64);
	a.batch.count = 4;
	a.batch.map_fd = attr_fd(0);
	call(sd, BPF_MAP_UPDATE_BATCH, &a);
	a = elem(0, 0, 512, 0), call(sd, BPF_MAP_LOOKUP_AND_DELETE_ELEM, &a);
	a = elem(0, UINT32_MAX, 520, 0), call(sd, BPF_MAP_GET_NEXT_KEY, &a);
	a = elem(0, 4, 512, 0), call(sd, BPF_MAP_DELETE_ELEM, &a);
	a = batch_out(0, 16), call(sd, BPF_MAP_LOOKUP_AND_DELETE_BATCH, &a);
	call(sd, BPF_MAP_GET_NEXT_ID, &zero);
	a = map_create(BPF_MAP_TYPE_PERCPU_HASH, 8, 16, 8, BPF_F_NO_PREALLOC);
	call(sd, BPF_MAP_CREATE, &a);
	a = map_create(BPF_MAP_TYPE_RINGBUF, 0, 0, 4096, 0), call(sd, BPF_MAP_CREATE, &a);
	a = map_create(BPF_MAP_TYPE_LPM_TRIE, 8, 4, 16, BPF_F_NO_PREALLOC);
	call(sd, BPF_MAP_CREATE, &a);
	return 0;
}

static int prog_life(struct seed *sd)
{
	static const struct bpf_insn insns[] = {
	    {BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 2}, /* r0 = XDP_PASS */
	    {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
	};
	union api_attr a;

	memcpy(sd->arena, insns, sizeof(insns));
	strcpy((char *)sd->arena + 64, "GPL");
	for (int i = 0; i < 64; i++)
		sd->arena[128 + i] = (uint8_t)i;
	strcpy((char *)sd->arena + 256, "/sys/fs/bpf/fz_prog");
	calls(sd, 512);
	memset(&a, 0, sizeof(a));
	a.load.prog_type = BPF_PROG_TYPE_XDP;
	a.load.insn_cnt = 2;
	a.load.insns = attr_ptr(0);
	a.load.license = attr_ptr(64);
	a.load.log_level = 2;
	a.load.log_size = 2048;
	a.load.log_buf = attr_ptr(1024);
	memcpy(a.load.prog_name, "fz", 3);
	call(sd, BPF_PROG_LOAD, &a);
	memset(&a, 0, sizeof(a));
	a.test.prog_fd = attr_fd(0);
	a.test.data_size_in = 64;
	a.test.data_in = attr_ptr(128);
	a.test.data_size_out = 256;
	a.test.data_out = attr_ptr(8192);
	a.test.repeat = 3;
	call(sd, BPF_PROG_TEST_RUN, &a);
	a = info(0, 16384, 256), call(sd, BPF_OBJ_GET_INFO_BY_FD, &a);
	a = by_id(0), call(sd, BPF_PROG_GET_FD_BY_ID, &a);
	call(sd, BPF_PROG_GET_NEXT_ID, &zero);
	a = map_create(BPF_MAP_TYPE_ARRAY, 4, 4, 1, 0), call(sd, BPF_MAP_CREATE, &a);
	memset(&a, 0, sizeof(a));
	a.bind_map.prog_fd = attr_fd(0);
	a.bind_map.map_fd = attr_fd(2);
	call(sd, BPF_PROG_BIND_MAP, &a);
	memset(&a, 0, sizeof(a));
	a.obj.pathname = attr_ptr(256);
	a.obj.bpf_fd = attr_fd(0);
	call(sd, BPF_OBJ_PIN, &a);
	memset(&a, 0, sizeof(a));
	a.link_create.prog_fd = attr_fd(0);
	a.link_create.attach_type = BPF_XDP;
	call(sd, BPF_LINK_CREATE, &a);
	memset(&a, 0, sizeof(a));
	a.enable_stats.type = BPF_STATS_RUN_TIME;
	call(sd, BPF_ENABLE_STATS, &a);
	memset(&a, 0, sizeof(a));
	a.query.attach_type = BPF_XDP;
	a.query.prog_ids = attr_ptr(3000);
	a.query.prog_cnt = 4;
	call(sd, BPF_PROG_QUERY, &a);
	memset(&a, 0, sizeof(a));
	a.attach.attach_bpf_fd = attr_fd(0);
	a.attach.attach_type = BPF_CGROUP_INET_INGRESS;
	call(sd, BPF_PROG_ATTACH, &a);
	call(sd, BPF_PROG_DETACH, &a);
	return 0;
}

/* A BTF with one type, int, used as a map's key and value. */
static int btf_life(struct seed *sd)
{
	struct {
		struct btf_header h;
		uint32_t t[4];
		char str[5];
	} __attribute__((packed)) b = {
	    .h = {.magic = BTF_MAGIC,
		  .version = BTF_VERSION,
		  .hdr_len = sizeof(struct btf_header),
		  .type_off = 0,
		  .type_len = 16,
		  .str_off = 16,
		  .str_len = 5},
	    .t = {1, BTF_KIND_INT << 24, 4, 32},
	    .str = "\0int",
	};
	union api_attr a;

	memcpy(sd->arena, &b, sizeof(b));
	calls(sd, sizeof(b));
	memset(&a, 0, sizeof(a));
	a.btf_load.btf = attr_ptr(0);
	a.btf_load.btf_size = sizeof(b);
	a.btf_load.btf_log_buf = attr_ptr(4096);
	a.btf_load.btf_log_size = 1024;
	a.btf_load.btf_log_level = 1;
	call(sd, BPF_BTF_LOAD, &a);
	a = map_create(BPF_MAP_TYPE_ARRAY, 4, 4, 2, 0);
	a.map_create.btf_fd = attr_fd(0);
	a.map_create.btf_key_type_id = 1;
	a.map_create.btf_value_type_id = 1;
	call(sd, BPF_MAP_CREATE, &a);
	a = by_id(0), call(sd, BPF_BTF_GET_FD_BY_ID, &a);
	a = info(0, 2048, 64), call(sd, BPF_OBJ_GET_INFO_BY_FD, &a);
	call(sd, BPF_BTF_GET_NEXT_ID, &zero);
	return 0;
}

int attr_seeds(int (*emit)(const char *name, const void *buf, size_t len, void *arg), void *arg)
{
	static struct seed sd;
	static int (*const lives[])(struct seed *) = {array_life, hash_life, prog_life, btf_life};
	static const char *const names[] = {"array", "hash", "prog", "btf"};
	char name[32];
	int err;

	for (size_t i = 0; i < sizeof(lives) / sizeof(lives[0]); i++) {
		begin(&sd);
		lives[i](&sd);
		if ((err = emit(names[i], sd.buf, sd.s.len, arg)))
			return err;
	}
	/* every command number, empty, at sizes around its checks: none, a
	 * word, the whole union, and past it with a nonzero tail */
	static const uint8_t sizes[] = {0, 8, ATTR_FULL, ATTR_FULL + 4};
	for (int cmd = 0; cmd < ATTR_OP_CLOSE; cmd++) {
		begin(&sd);
		calls(&sd, 0);
		for (size_t k = 0; k < sizeof(sizes); k++) {
			uint8_t big[ATTR_FULL + 32] = {0};
			if (sizes[k] > ATTR_FULL)
				big[sizeof(big) - 1] = 1;
			attr_seed_call(&sd.s, (uint8_t)cmd, big, sizes[k]);
		}
		snprintf(name, sizeof(name), "empty-%02d", cmd);
		if ((err = emit(name, sd.buf, sd.s.len, arg)))
			return err;
	}
	return 0;
}
