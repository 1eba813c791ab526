/* Shared pieces of the exobpf command. Exit codes: 0 success, 1 the work
 * failed (a program faulted, tests failed), 2 usage error, 3 bad input. */
#ifndef EXOBPF_CLI_H
#define EXOBPF_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exobpf/exobpf.h"

enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2, EXIT_INPUT = 3 };

#define CMD(word, fn, summary) int fn(int argc, char **argv);
#include "commands.def"
#undef CMD

/* Print "exobpf: <message>" to stderr and return code. */
int cli_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Whole file into a NUL-terminated malloc'ed buffer. */
int cli_read_file(const char *path, char **buf, size_t *len);

/* Hex bytes ("aa bb", "aabb", "0xaa,0xbb" all accepted) into *out. */
int cli_parse_hex(const char *text, uint8_t **out, size_t *len);

/* A program from a file: raw bytecode (.bin), assembly (.s/.asm), or by
 * content when the extension says nothing. */
int cli_load_program(const char *path, struct bpf_insn **insns, size_t *cnt);

/* Value of "--opt=V" or "--opt V" at argv[*i]; advances *i. NULL if argv[*i]
 * is not this option. */
const char *cli_opt(int argc, char **argv, int *i, const char *name);

/* The engine asked for: the default (the JIT where there is one), the JIT
 * or failing (--jit), the interpreter (--interp), the checked interpreter. */
enum cli_engine { CLI_ENGINE_DEFAULT, CLI_ENGINE_JIT, CLI_ENGINE_INTERP, CLI_ENGINE_CHECKED };

/* ELF objects (by magic): run through the object loader. */
bool cli_is_object(const char *path);
int cli_run_object(int argc, char **argv, const char *path, const uint8_t *mem, size_t memlen,
		   const uint8_t *ctx, size_t ctxlen, uint32_t repeat, enum cli_engine engine);

/* Print a map's elements as `exobpf map dump` does. */
int cli_map_dump(int fd);

#endif
