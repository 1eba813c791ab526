#include <errno.h>
#include <linux/btf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util.h"

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

int kbpf_available(void)
{
	static int cached = -1;

	if (cached < 0) {
		struct bpf_insn prog[] = {
		    {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0},
		    {.code = BPF_JMP | BPF_EXIT},
		};
		int fd = kbpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, prog, 2, NULL, 0, 0);
		cached = fd >= 0;
		if (fd >= 0)
			close(fd);
	}
	return cached;
}

int kbpf_fs_available(void)
{
	const unsigned long bpf_fs_magic = 0xcafe4a11;
	struct statfs st;

	return statfs("/sys/fs/bpf", &st) == 0 && (unsigned long)st.f_type == bpf_fs_magic;
}

/* PROG_LOAD with attr's other fields (BTF) already set: fd or -errno. */
static int prog_load(union bpf_attr *attr, enum bpf_prog_type type, const struct bpf_insn *insns,
		     size_t cnt, char *log, size_t log_size, unsigned log_level)
{
	attr->prog_type = type;
	attr->insns = (uintptr_t)insns;
	attr->insn_cnt = (uint32_t)cnt;
	attr->license = (uintptr_t) "GPL";
	if (log) {
		log[0] = '\0';
		attr->log_buf = (uintptr_t)log;
		attr->log_size = (uint32_t)log_size;
		attr->log_level = log_level;
	}
	long fd = sys_bpf(BPF_PROG_LOAD, attr);
	return fd < 0 ? -errno : (int)fd;
}

/* A BTF blob: int, a prototype int(void), and a FUNC of it per function
 * (the first global, the rest static, whose arguments Linux does not
 * check). Returns its size or 0 when buf is too small. */
static size_t funcs_btf(uint8_t *buf, size_t size, unsigned nfuncs)
{
	uint32_t types[3 * (1 + 64) + 4], nt = 0;
	char strs[8 + 8 * 64];
	uint32_t ns = 1;
	struct btf_header h = {.magic = BTF_MAGIC, .version = BTF_VERSION, .hdr_len = sizeof(h)};

	if (nfuncs > 64)
		return 0;
	strs[0] = '\0';
	types[nt++] = ns; /* [1] int */
	types[nt++] = BTF_KIND_INT << 24;
	types[nt++] = 4;
	types[nt++] = BTF_INT_SIGNED << 24 | 32;
	ns += (uint32_t)sprintf(strs + ns, "int") + 1;
	types[nt++] = 0; /* [2] int (void) */
	types[nt++] = BTF_KIND_FUNC_PROTO << 24;
	types[nt++] = 1;
	for (unsigned k = 0; k < nfuncs; k++) { /* [3 + k] */
		types[nt++] = ns;
		types[nt++] = BTF_KIND_FUNC << 24 | (k ? BTF_FUNC_STATIC : BTF_FUNC_GLOBAL);
		types[nt++] = 2;
		ns += (uint32_t)sprintf(strs + ns, "f%u", k) + 1;
	}
	h.type_len = nt * 4;
	h.str_off = h.type_len;
	h.str_len = ns;
	if (sizeof(h) + h.type_len + ns > size)
		return 0;
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), types, h.type_len);
	memcpy(buf + sizeof(h) + h.type_len, strs, ns);
	return sizeof(h) + h.type_len + ns;
}

/* PROG_LOAD with a minimal BTF naming each function (instruction 0 and
 * every call or callback target) in func_info. */
static int prog_load_funcs(enum bpf_prog_type type, const struct bpf_insn *insns, size_t cnt,
			   char *log, size_t log_size, unsigned log_level)
{
	struct bpf_func_info fi[64] = {{0, 3}};
	unsigned n = 1;
	uint8_t btf[2048];
	union bpf_attr attr;
	long bfd;

	for (size_t i = 0; i < cnt; i++) {
		bool call =
		    insns[i].code == (BPF_JMP | BPF_CALL) && insns[i].src_reg == BPF_PSEUDO_CALL;
		bool func = insns[i].code == (BPF_LD | BPF_IMM | BPF_DW) &&
			    insns[i].src_reg == BPF_PSEUDO_FUNC;
		int64_t t = (int64_t)i + 1 + insns[i].imm;
		unsigned k = 0;

		if (!call && !func)
			continue;
		while (k < n && fi[k].insn_off != (uint32_t)t)
			k++;
		if (k < n || t <= 0 || t >= (int64_t)cnt)
			continue;
		if (n == 64)
			return -E2BIG;
		/* sorted by instruction, as Linux wants them */
		while (k > 0 && fi[k - 1].insn_off > (uint32_t)t) {
			fi[k] = fi[k - 1];
			k--;
		}
		fi[k].insn_off = (uint32_t)t;
		n++;
	}
	for (unsigned k = 0; k < n; k++)
		fi[k].type_id = 3 + k;
	memset(&attr, 0, sizeof(attr));
	attr.btf = (uintptr_t)btf;
	attr.btf_size = (uint32_t)funcs_btf(btf, sizeof(btf), n);
	if (!attr.btf_size)
		return -E2BIG;
	if ((bfd = sys_bpf(BPF_BTF_LOAD, &attr)) < 0)
		return -errno;
	memset(&attr, 0, sizeof(attr));
	attr.prog_btf_fd = (uint32_t)bfd;
	attr.func_info = (uintptr_t)fi;
	attr.func_info_cnt = n;
	attr.func_info_rec_size = sizeof(fi[0]);
	int fd = prog_load(&attr, type, insns, cnt, log, log_size, log_level);
	close((int)bfd);
	return fd;
}

int kbpf_prog_load(enum bpf_prog_type type, const struct bpf_insn *insns, size_t cnt, char *log,
		   size_t log_size, unsigned log_level)
{
	union bpf_attr attr;

	/* Linux refuses callbacks (a function's address taken) without BTF
	 * func_info */
	for (size_t i = 0; i < cnt; i++)
		if (insns[i].code == (BPF_LD | BPF_IMM | BPF_DW) &&
		    insns[i].src_reg == BPF_PSEUDO_FUNC)
			return prog_load_funcs(type, insns, cnt, log, log_size, log_level);
	memset(&attr, 0, sizeof(attr));
	return prog_load(&attr, type, insns, cnt, log, log_size, log_level);
}

int kbpf_test_run(int fd, const void *data, uint32_t size, uint32_t *retval)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.test.prog_fd = (uint32_t)fd;
	attr.test.data_in = (uintptr_t)data;
	attr.test.data_size_in = size;
	attr.test.repeat = 1;
	if (sys_bpf(BPF_PROG_TEST_RUN, &attr) < 0)
		return -errno;
	*retval = attr.test.retval;
	return 0;
}

int for_each_line(const char *path, void (*fn)(const char *line, void *arg), void *arg)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	int n = 0;

	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		line[strcspn(line, "\n")] = '\0';
		fn(line, arg);
		n++;
	}
	free(line);
	fclose(f);
	return n;
}

int json_str(const char *line, const char *key, char *buf, size_t size)
{
	char pat[128];
	const char *p, *end;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(line, pat);
	if (!p)
		return -1;
	p += strlen(pat);
	while (*p == ' ')
		p++;
	if (*p != '"')
		return -1;
	p++;
	end = strchr(p, '"');
	if (!end || (size_t)(end - p) >= size)
		return -1;
	memcpy(buf, p, (size_t)(end - p));
	buf[end - p] = '\0';
	return 0;
}

long hex_bytes(const char *hex, uint8_t *out, size_t size)
{
	size_t n = 0;

	for (const char *p = hex; *p;) {
		unsigned v;
		if (*p == ' ') {
			p++;
			continue;
		}
		if (n == size || sscanf(p, "%2x", &v) != 1)
			return -1;
		out[n++] = (uint8_t)v;
		p += 2;
	}
	return (long)n;
}

long kbpf_sys(int cmd, union bpf_attr *attr)
{
	long r = sys_bpf(cmd, attr);
	return r < 0 ? -errno : r;
}

int kbpf_map_create(enum bpf_map_type type, uint32_t key_size, uint32_t value_size,
		    uint32_t max_entries, uint32_t flags, uint64_t map_extra, int inner_fd)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.map_type = type;
	attr.key_size = key_size;
	attr.value_size = value_size;
	attr.max_entries = max_entries;
	attr.map_flags = flags;
	attr.map_extra = map_extra;
	attr.inner_map_fd = inner_fd > 0 ? (uint32_t)inner_fd : 0;
	return (int)kbpf_sys(BPF_MAP_CREATE, &attr);
}

static int elem_cmd(int cmd, int fd, const void *key, void *value, uint64_t flags)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.map_fd = (uint32_t)fd;
	attr.key = (uintptr_t)key;
	attr.value = (uintptr_t)value;
	attr.flags = flags;
	return (int)kbpf_sys(cmd, &attr);
}

int kbpf_map_update(int fd, const void *key, const void *value, uint64_t flags)
{
	return elem_cmd(BPF_MAP_UPDATE_ELEM, fd, key, (void *)(uintptr_t)value, flags);
}

int kbpf_map_lookup(int fd, const void *key, void *value, uint64_t flags)
{
	return elem_cmd(BPF_MAP_LOOKUP_ELEM, fd, key, value, flags);
}

int kbpf_map_delete(int fd, const void *key)
{
	return elem_cmd(BPF_MAP_DELETE_ELEM, fd, key, NULL, 0);
}

int kbpf_map_next_key(int fd, const void *key, void *next)
{
	return elem_cmd(BPF_MAP_GET_NEXT_KEY, fd, key, next, 0);
}

int kbpf_map_lookup_and_delete(int fd, const void *key, void *value, uint64_t flags)
{
	return elem_cmd(BPF_MAP_LOOKUP_AND_DELETE_ELEM, fd, key, value, flags);
}

int kbpf_map_freeze(int fd)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.map_fd = (uint32_t)fd;
	return (int)kbpf_sys(BPF_MAP_FREEZE, &attr);
}

const char *test_pin_tmpdir(void)
{
	static char dir[64];
	extern int exobpf_set_pin_dir(const char *dir);

	snprintf(dir, sizeof(dir), "/dev/shm/exobpf-test-XXXXXX");
	if (!mkdtemp(dir))
		return NULL;
	exobpf_set_pin_dir(dir);
	return dir;
}

void test_tmpdir_done(const char *dir)
{
	char cmd[128];

	if (!dir || strncmp(dir, "/dev/shm/exobpf-test-", 21))
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

/* Every map a test makes lives in a temporary pin directory, removed at exit. */
static char test_pin_dir[64];

static void remove_test_pin_dir(void)
{
	test_tmpdir_done(test_pin_dir);
}

__attribute__((constructor)) static void make_test_pin_dir(void)
{
	snprintf(test_pin_dir, sizeof(test_pin_dir), "/dev/shm/exobpf-test-XXXXXX");
	if (!mkdtemp(test_pin_dir))
		return;
	setenv("EXOBPF_PIN_DIR", test_pin_dir, 1);
	atexit(remove_test_pin_dir);
}

const char *test_build_path(const char *rel)
{
	static char buf[4][512];
	static int n;
	const char *b = getenv("EXOBPF_BUILD");
	char *p = buf[n++ % 4];

	snprintf(p, 512, "%s/%s", b && *b ? b : "build", rel);
	return p;
}
