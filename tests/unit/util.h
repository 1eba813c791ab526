/* Shared test utilities: the live kernel as an oracle, shared data files. */
#ifndef EXOBPF_TEST_UTIL_H
#define EXOBPF_TEST_UTIL_H

#include <linux/bpf.h>
#include <stddef.h>
#include <stdint.h>

/* Is bpf() usable here (root, not disabled)? Cached. */
int kbpf_available(void);

/* Is bpffs mounted on /sys/fs/bpf? (A fresh machine may have bpf() without
 * it; tests/run-all.sh mounts it, as bpftool does before it pins.) */
int kbpf_fs_available(void);

/* Load into Linux; returns fd or -errno. log may be NULL. A program that
 * takes a function's address (callbacks: bpf_loop, for_each_map_elem) gets
 * a minimal BTF func_info, int(void) per function, which Linux wants. */
int kbpf_prog_load(enum bpf_prog_type type, const struct bpf_insn *insns, size_t cnt, char *log,
		   size_t log_size, unsigned log_level);

/* A bpf_loop callback (label cb, its ctx the caller's fp-8) for the tests
 * of a callback's later runs: the run with index 0 stores 2 at ctx, where
 * every run reads its divisor (100 / ctx goes to ctx - 8); the padding
 * after the branch makes the verifier prune the storing path against the
 * other. */
#define CB_RERUN_TEXT                                                              \
	"cb:\n"                                                                    \
	"r3 = *(u64 *)(r2 +0)\nr4 = 100\nr4 /= r3\n*(u64 *)(r2 -8) = r4\n"         \
	"r7 = 0\nr7 += 1\nr7 += 1\nr7 += 1\nr7 += 1\n"                             \
	"if r7 == 9 goto a1\na1:\nif r7 == 9 goto a2\na2:\n"                       \
	"if r1 == 0 goto w\nr0 = 0\n"                                              \
	"r7 += 1\nr7 += 1\nr7 += 1\nr7 += 1\nr7 += 1\nr7 += 1\nr7 += 1\nr7 += 1\n" \
	"goto p\nw:\nr5 = 2\n*(u64 *)(r2 +0) = r5\np:\nr0 = 0\nexit\n"

/* BPF_PROG_TEST_RUN with data; 0 or -errno; *retval set. */
int kbpf_test_run(int fd, const void *data, uint32_t size, uint32_t *retval);

/* Each line of a file, through fn; returns lines read or -errno. */
int for_each_line(const char *path, void (*fn)(const char *line, void *arg), void *arg);

/* The string value of "key": "..." in a one-line JSON object, into buf. */
int json_str(const char *line, const char *key, char *buf, size_t size);

/* Hex text into bytes; returns count or -1. */
long hex_bytes(const char *hex, uint8_t *out, size_t size);

/* The kernel's maps through bpf(): fd or -errno (0 or -errno for commands). */
int kbpf_map_create(enum bpf_map_type type, uint32_t key_size, uint32_t value_size,
		    uint32_t max_entries, uint32_t flags, uint64_t map_extra, int inner_fd);
int kbpf_map_update(int fd, const void *key, const void *value, uint64_t flags);
int kbpf_map_lookup(int fd, const void *key, void *value, uint64_t flags);
int kbpf_map_delete(int fd, const void *key);
int kbpf_map_next_key(int fd, const void *key, void *next);
int kbpf_map_lookup_and_delete(int fd, const void *key, void *value, uint64_t flags);
int kbpf_map_freeze(int fd);
/* Generic bpf() call: 0/fd or -errno. */
long kbpf_sys(int cmd, union bpf_attr *attr);

/* A fresh temporary directory under /dev/shm (tmpfs, like the pin
 * directory), made the pin directory; removed (recursively) by test_tmpdir_done. */
/* rel under the build directory ($EXOBPF_BUILD, else "build"); four
 * results stay valid at once. */
const char *test_build_path(const char *rel);
const char *test_pin_tmpdir(void);
void test_tmpdir_done(const char *dir);

#endif
