/* libFuzzer target for the bpf() command interface: the input is a program
 * of bpf() calls (fuzz/attr_fmt.h) that exobpf_bpf runs one after another,
 * each later call able to name the maps, programs, BTF objects and links
 * the earlier ones made. Every call must answer with an fd, 0 or a negative
 * errno; the objects are closed and the pins removed after each input, so
 * an input that leaks is caught by LeakSanitizer.
 *
 * Pointers in attributes point into an arena (filled from the input) that
 * is followed by a large inaccessible reservation: a length that runs past
 * the arena reaches unmapped memory and must give EFAULT, never a write
 * into the fuzzer's own memory. Seeds: `exobpf-fuzz seeds` (make fuzz). */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "api/attr.h"
#include "attr_fmt.h"
#include "common.h"
#include "exobpf/bpf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The guard behind the arena: large enough that no u32 length times a
 * record size from the arena reaches past it. */
#define GUARD_LEN (64ull << 30)

enum field { F_END, F_PTR, F_FD, F_ID };

struct field_at {
	uint8_t kind;
	uint8_t off;
};

#define P(m)                                       \
	{                                          \
		F_PTR, offsetof(union api_attr, m) \
	}
#define FD(m)                                     \
	{                                         \
		F_FD, offsetof(union api_attr, m) \
	}
#define ID(m)                                     \
	{                                         \
		F_ID, offsetof(union api_attr, m) \
	}

static const struct field_at elem_fields[] = {FD(elem.map_fd), P(elem.key), P(elem.value), {0, 0}};
static const struct field_at batch_fields[] = {FD(batch.map_fd),   P(batch.in_batch),
					       P(batch.out_batch), P(batch.keys),
					       P(batch.values),	   {0, 0}};
static const struct field_at id_fields[] = {ID(id.start_id), {0, 0}};

/* Per command: the attribute fields that are pointers, fds or ids. */
static const struct field_at *const fields[] = {
    [BPF_MAP_CREATE] = (const struct field_at[]){FD(map_create.inner_map_fd),
						 FD(map_create.btf_fd),
						 FD(map_create.value_type_btf_obj_fd),
						 P(map_create.excl_prog_hash),
						 {0, 0}},
    [BPF_MAP_LOOKUP_ELEM] = elem_fields,
    [BPF_MAP_UPDATE_ELEM] = elem_fields,
    [BPF_MAP_DELETE_ELEM] = elem_fields,
    [BPF_MAP_GET_NEXT_KEY] = elem_fields,
    [BPF_MAP_LOOKUP_AND_DELETE_ELEM] = elem_fields,
    [BPF_MAP_FREEZE] = elem_fields,
    [BPF_PROG_LOAD] = (const struct field_at[]){P(load.insns),
						P(load.license),
						P(load.log_buf),
						FD(load.prog_btf_fd),
						P(load.func_info),
						P(load.line_info),
						FD(load.attach_prog_fd),
						P(load.fd_array),
						P(load.core_relos),
						P(load.signature),
						{0, 0}},
    [BPF_OBJ_PIN] = (const struct field_at[]){P(obj.pathname), FD(obj.bpf_fd), {0, 0}},
    [BPF_OBJ_GET] = (const struct field_at[]){P(obj.pathname), FD(obj.bpf_fd), {0, 0}},
    [BPF_PROG_ATTACH] = (const struct field_at[]){FD(attach.target_fd),
						  FD(attach.attach_bpf_fd),
						  FD(attach.replace_bpf_fd),
						  FD(attach.relative_fd),
						  {0, 0}},
    [BPF_PROG_DETACH] = (const struct field_at[]){FD(attach.target_fd),
						  FD(attach.attach_bpf_fd),
						  FD(attach.relative_fd),
						  {0, 0}},
    [BPF_PROG_TEST_RUN] = (const struct field_at[]){FD(test.prog_fd),
						    P(test.data_in),
						    P(test.data_out),
						    P(test.ctx_in),
						    P(test.ctx_out),
						    {0, 0}},
    [BPF_PROG_GET_FD_BY_ID] = id_fields,
    [BPF_MAP_GET_FD_BY_ID] = id_fields,
    [BPF_OBJ_GET_INFO_BY_FD] = (const struct field_at[]){FD(info.bpf_fd), P(info.info), {0, 0}},
    [BPF_PROG_QUERY] = (const struct field_at[]){FD(query.target_fd),
						 P(query.prog_ids),
						 P(query.prog_attach_flags),
						 P(query.link_ids),
						 P(query.link_attach_flags),
						 {0, 0}},
    [BPF_BTF_LOAD] = (const struct field_at[]){P(btf_load.btf), P(btf_load.btf_log_buf), {0, 0}},
    [BPF_BTF_GET_FD_BY_ID] = id_fields,
    [BPF_MAP_LOOKUP_BATCH] = batch_fields,
    [BPF_MAP_LOOKUP_AND_DELETE_BATCH] = batch_fields,
    [BPF_MAP_UPDATE_BATCH] = batch_fields,
    [BPF_MAP_DELETE_BATCH] = batch_fields,
    /* The union after the first 16 bytes holds pointers for some attach
     * types and numbers for others: all four words are made pointers. */
    [BPF_LINK_CREATE] = (const struct field_at[]){FD(link_create.prog_fd),
						  FD(link_create.target_fd),
						  P(link_create.uprobe_multi.path),
						  P(link_create.uprobe_multi.offsets),
						  P(link_create.uprobe_multi.ref_ctr_offsets),
						  P(link_create.uprobe_multi.cookies),
						  {0, 0}},
    [BPF_LINK_UPDATE] = (const struct field_at[]){FD(link_update.link_fd),
						  FD(link_update.new_prog_fd),
						  FD(link_update.old_prog_fd),
						  {0, 0}},
    [BPF_LINK_GET_FD_BY_ID] = id_fields,
    [BPF_LINK_DETACH] = (const struct field_at[]){FD(link_detach.link_fd), {0, 0}},
    [BPF_PROG_BIND_MAP] =
	(const struct field_at[]){FD(bind_map.prog_fd), FD(bind_map.map_fd), {0, 0}},
};

static int makes_fd(int cmd)
{
	switch (cmd) {
	case BPF_MAP_CREATE:
	case BPF_PROG_LOAD:
	case BPF_OBJ_GET:
	case BPF_PROG_GET_FD_BY_ID:
	case BPF_MAP_GET_FD_BY_ID:
	case BPF_BTF_LOAD:
	case BPF_BTF_GET_FD_BY_ID:
	case BPF_LINK_CREATE:
	case BPF_LINK_GET_FD_BY_ID:
	case BPF_RAW_TRACEPOINT_OPEN:
	case BPF_ITER_CREATE:
	case BPF_ENABLE_STATS:
		return 1;
	}
	return 0;
}

struct run {
	uint8_t *arena;
	int fds[ATTR_MAX_FDS];
	unsigned nfds;
};

static uint64_t map_ptr(const struct run *r, uint64_t p)
{
	switch (p & 3) {
	case 0:
		return 0;
	case 1: /* the start of the guard */
		return (uint64_t)(uintptr_t)(r->arena + ATTR_ARENA);
	}
	return (uint64_t)(uintptr_t)(r->arena + (p >> 2) % ATTR_ARENA);
}

static uint32_t map_fd(const struct run *r, uint32_t f)
{
	if (!f || (f & 0x80000000u) || !r->nfds)
		return f;
	return (uint32_t)r->fds[(f - 1) % r->nfds];
}

/* The id of the ith fd (via OBJ_GET_INFO_BY_FD, whose info structs all
 * have the id at the same place but BTF's), or an id nothing has. */
static uint32_t map_id(const struct run *r, int cmd, uint32_t i)
{
	union api_attr a;
	uint32_t info[32] = {0};

	if (i >= r->nfds)
		return 0xfffff000u | (i & 0xfff);
	memset(&a, 0, sizeof(a));
	a.info.bpf_fd = (uint32_t)r->fds[i];
	a.info.info_len = sizeof(info);
	a.info.info = (uint64_t)(uintptr_t)info;
	if (exobpf_bpf(BPF_OBJ_GET_INFO_BY_FD, (union bpf_attr *)&a, sizeof(a)) < 0)
		return 0xfffff000u | (i & 0xfff);
	return cmd == BPF_BTF_GET_FD_BY_ID ? info[offsetof(struct bpf_btf_info, id) / 4] : info[1];
}

static void fix_fields(const struct run *r, int cmd, unsigned char *attr, unsigned size)
{
	const struct field_at *f;

	if (cmd < 0 || (size_t)cmd >= sizeof(fields) / sizeof(fields[0]) || !fields[cmd])
		return;
	for (f = fields[cmd]; f->kind; f++) {
		uint64_t v64;
		uint32_t v32;

		switch (f->kind) {
		case F_PTR:
			if (f->off + 8u > size)
				break;
			memcpy(&v64, attr + f->off, 8);
			v64 = map_ptr(r, v64);
			memcpy(attr + f->off, &v64, 8);
			break;
		case F_FD:
		case F_ID:
			if (f->off + 4u > size)
				break;
			memcpy(&v32, attr + f->off, 4);
			v32 = f->kind == F_FD ? map_fd(r, v32) : map_id(r, cmd, v32);
			memcpy(attr + f->off, &v32, 4);
			break;
		}
	}
}

static void keep_fd(struct run *r, int fd)
{
	if (r->nfds < ATTR_MAX_FDS)
		r->fds[r->nfds++] = fd;
	else
		close(fd);
}

/* close, dup and mmap of the objects: the other ways a program reaches
 * them, which must not disturb what bpf() sees. */
static void other_call(struct run *r, int op, const unsigned char *attr)
{
	struct {
		uint32_t idx, prot;
		uint64_t len, off;
		uint8_t write;
	} a;
	memcpy(&a, attr, sizeof(a));
	if (!r->nfds)
		return;
	unsigned i = a.idx % r->nfds;
	int fd = r->fds[i];

	switch (op) {
	case ATTR_OP_CLOSE:
		close(fd);
		r->fds[i] = r->fds[--r->nfds];
		break;
	case ATTR_OP_DUP: {
		int d = dup(fd);
		if (d >= 0)
			keep_fd(r, d);
		break;
	}
	case ATTR_OP_MMAP: {
		/* at most 1 MiB, whole pages: absurd lengths are the map's to
		 * refuse, but a mapping that succeeded is touched */
		size_t len = (size_t)(a.len % (1u << 20));
		void *p = exobpf_mmap(NULL, len, (int)(a.prot & (PROT_READ | PROT_WRITE)),
				      MAP_SHARED, fd, (off_t)(a.off % (1u << 24)) & ~(off_t)4095);
		if (p == MAP_FAILED)
			break;
		if (!exobpf_fd_is_object(fd)) { /* a plain file: its size is not ours to know */
			munmap(p, len);
			break;
		}
		if ((a.prot & PROT_WRITE) && len)
			((volatile uint8_t *)p)[a.write % len] = a.write;
		else if ((a.prot & PROT_READ) && len)
			(void)((volatile uint8_t *)p)[a.write % len];
		exobpf_munmap(p, len);
		break;
	}
	}
}

/* Pins outlive fds: remove them so the next input starts from nothing. */
static void clear_dir(const char *dir, int depth)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[4096];

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (unlink(path) < 0 && depth > 0) {
			clear_dir(path, depth - 1);
			rmdir(path);
		}
	}
	closedir(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t *arena;
	static const char *pins;
	static unsigned char attr[ATTR_MAX_SIZE + 8];
	struct run r;
	uint16_t alen;

	if (!arena) {
		fuzz_init(0);
		pins = test_pin_tmpdir();
		/* the arena, then the guard: reserved, never accessible */
		uint8_t *m = mmap(NULL, ATTR_ARENA + GUARD_LEN, PROT_NONE,
				  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (m == MAP_FAILED || mprotect(m, ATTR_ARENA, PROT_READ | PROT_WRITE))
			abort();
		arena = m;
	}
	if (size < 2)
		return 0;
	memcpy(&alen, data, 2);
	data += 2, size -= 2;
	if (alen > size)
		alen = (uint16_t)size;
	memset(arena, 0, ATTR_ARENA);
	memcpy(arena, data, alen);
	data += alen, size -= alen;

	memset(&r, 0, sizeof(r));
	r.arena = arena;
	while (size >= 2) {
		int op = data[0];
		unsigned n = attr_size_of(data[1]), take = n < size - 2 ? n : (unsigned)(size - 2);

		memset(attr, 0, sizeof(attr));
		memcpy(attr, data + 2, take);
		data += 2 + take, size -= 2 + take;
		if (op >= ATTR_OP_CLOSE && op < ATTR_OP_RAW) {
			other_call(&r, op, attr);
			continue;
		}
		fix_fields(&r, op, attr, n);
		if (op == BPF_PROG_TEST_RUN) {
			/* Linux stops a long test run at a signal; a fuzzer has no
			 * one to send it, so repeats stay small */
			((union api_attr *)attr)->test.repeat %= 64;
		}
		int ret = exobpf_bpf(op, (union bpf_attr *)attr, n);
		if (ret < -4095 || (ret < 0 && ret != -errno))
			abort(); /* neither an fd, 0, nor -errno */
		if (ret > 0 && makes_fd(op))
			keep_fd(&r, ret);
	}
	for (unsigned i = 0; i < r.nfds; i++)
		close(r.fds[i]);
	if (pins)
		clear_dir(pins, 4);
	return 0;
}
