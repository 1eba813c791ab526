/* Shared test utilities: the live kernel as an oracle, shared data files. */
#ifndef EXOBPF_TEST_UTIL_H
#define EXOBPF_TEST_UTIL_H

#include <linux/bpf.h>
#include <stddef.h>
#include <stdint.h>

/* Is bpf() usable here (root, not disabled)? Cached. */
int kbpf_available(void);

/* Load into Linux; returns fd or -errno. log may be NULL. */
int kbpf_prog_load(enum bpf_prog_type type, const struct bpf_insn *insns, size_t cnt,
		   char *log, size_t log_size, unsigned log_level);

/* BPF_PROG_TEST_RUN with data; 0 or -errno; *retval set. */
int kbpf_test_run(int fd, const void *data, uint32_t size, uint32_t *retval);

/* Each line of a file, through fn; returns lines read or -errno. */
int for_each_line(const char *path, void (*fn)(const char *line, void *arg), void *arg);

/* The string value of "key": "..." in a one-line JSON object, into buf. */
int json_str(const char *line, const char *key, char *buf, size_t size);

/* Hex text into bytes; returns count or -1. */
long hex_bytes(const char *hex, uint8_t *out, size_t size);

#endif
