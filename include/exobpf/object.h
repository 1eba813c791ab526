/* SPDX-License-Identifier: MIT */
/* exobpf: objects - clang -target bpf ELF files opened, relocated and loaded
 * as libbpf loads them into Linux: programs from SEC() names, BTF-defined and
 * legacy maps, global data, externs, CO-RE. The API mirrors libbpf's
 * bpf_object__* / bpf_program__* / bpf_map__*. */
#ifndef EXOBPF_OBJECT_H
#define EXOBPF_OBJECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <linux/bpf.h>

#include "exobpf/btf.h"
#include "exobpf/common.h"
#include "exobpf/prog.h"

struct exobpf_object;
struct exobpf_program;
struct exobpf_map;

struct exobpf_object_open_opts {
	size_t sz;
	/* Name for the object (default: the file name up to its first '.'). */
	const char *object_name;
	/* Extra Kconfig values for __kconfig externs, "CONFIG_X=y\nCONFIG_Y=42"
	 * lines; looked up before the running kernel's config. */
	const char *kconfig;
	/* Target BTF for CO-RE relocations (e.g. /sys/kernel/btf/vmlinux, or an
	 * object with .BTF). Default: exobpf's own description of its contexts. */
	const char *btf_custom_path;
	/* Where maps with pinning = LIBBPF_PIN_BY_NAME are pinned (default:
	 * exobpf's pin directory, exobpf_pin_dir(); Linux's is /sys/fs/bpf). */
	const char *pin_root_path;
	/* LINUX_KERNEL_VERSION for externs and kprobes (0: the running kernel). */
	uint32_t kern_version;
};

/* Open and check an object; nothing is created until __load. NULL and errno
 * on failure, exobpf_errmsg() naming the file, section and offset. */
EXOBPF_API struct exobpf_object *
exobpf_object__open_file(const char *path, const struct exobpf_object_open_opts *opts);
EXOBPF_API struct exobpf_object *
exobpf_object__open_mem(const void *buf, size_t size, const struct exobpf_object_open_opts *opts);
/* Create the maps and relocate every program, without creating programs
 * (libbpf's bpf_object__prepare): the instructions are then final but for
 * verifier rewrites. */
EXOBPF_API int exobpf_object__prepare(struct exobpf_object *obj);
/* Create the maps, relocate (CO-RE, subprograms, maps, globals, externs) and
 * create the programs. 0 or -errno. */
EXOBPF_API int exobpf_object__load(struct exobpf_object *obj);
EXOBPF_API void exobpf_object__close(struct exobpf_object *obj);

EXOBPF_API const char *exobpf_object__name(const struct exobpf_object *obj);
EXOBPF_API const char *exobpf_object__license(const struct exobpf_object *obj);
EXOBPF_API uint32_t exobpf_object__kversion(const struct exobpf_object *obj);
EXOBPF_API struct exobpf_btf *exobpf_object__btf(const struct exobpf_object *obj);

EXOBPF_API struct exobpf_program *
exobpf_object__find_program_by_name(const struct exobpf_object *obj, const char *name);
/* By variable name, or for global data by section name (".data", ".rodata"). */
EXOBPF_API struct exobpf_map *exobpf_object__find_map_by_name(const struct exobpf_object *obj,
							      const char *name);
/* Iteration in libbpf's order (programs by section then offset, maps as
 * declared then global data by section); subprograms are not listed. */
EXOBPF_API struct exobpf_program *exobpf_object__next_program(const struct exobpf_object *obj,
							      const struct exobpf_program *prev);
EXOBPF_API struct exobpf_map *exobpf_object__next_map(const struct exobpf_object *obj,
						      const struct exobpf_map *prev);
#define exobpf_object__for_each_program(pos, obj)                     \
	for ((pos) = exobpf_object__next_program((obj), NULL); (pos); \
	     (pos) = exobpf_object__next_program((obj), (pos)))
#define exobpf_object__for_each_map(pos, obj)                     \
	for ((pos) = exobpf_object__next_map((obj), NULL); (pos); \
	     (pos) = exobpf_object__next_map((obj), (pos)))

/* Pin every map / program under path (path/NAME); unpin removes them. */
EXOBPF_API int exobpf_object__pin_maps(struct exobpf_object *obj, const char *path);
EXOBPF_API int exobpf_object__unpin_maps(struct exobpf_object *obj, const char *path);
EXOBPF_API int exobpf_object__pin_programs(struct exobpf_object *obj, const char *path);
EXOBPF_API int exobpf_object__unpin_programs(struct exobpf_object *obj, const char *path);

EXOBPF_API const char *exobpf_program__name(const struct exobpf_program *prog);
EXOBPF_API const char *exobpf_program__section_name(const struct exobpf_program *prog);
EXOBPF_API enum bpf_prog_type exobpf_program__type(const struct exobpf_program *prog);
EXOBPF_API int exobpf_program__set_type(struct exobpf_program *prog, enum bpf_prog_type type);
EXOBPF_API enum bpf_attach_type
exobpf_program__expected_attach_type(const struct exobpf_program *prog);
EXOBPF_API int exobpf_program__set_expected_attach_type(struct exobpf_program *prog,
							enum bpf_attach_type type);
/* The text after "kind/" in the section name (tracepoint, function, ...). */
EXOBPF_API const char *exobpf_program__attach_target(const struct exobpf_program *prog);
EXOBPF_API bool exobpf_program__autoload(const struct exobpf_program *prog);
EXOBPF_API int exobpf_program__set_autoload(struct exobpf_program *prog, bool autoload);
/* The verifier log of this program's load (libbpf's set_log_buf and
 * set_log_level): level 1, 2, | 4 for statistics; a caller's buffer is
 * filled whatever the verdict, and load then prints no log of its own. */
EXOBPF_API int exobpf_program__set_log_buf(struct exobpf_program *prog, char *log_buf,
					   size_t log_size);
EXOBPF_API int exobpf_program__set_log_level(struct exobpf_program *prog, uint32_t log_level);
/* How exobpf_object__load makes the program (enum exobpf_prog_flags in
 * exobpf/prog.h): EXOBPF_PROG_INTERP chooses the interpreter where the JIT
 * would be used, EXOBPF_PROG_JIT_BLIND blinds constants. Before load only;
 * -EINVAL for bits that are no such flag. */
EXOBPF_API int exobpf_program__set_load_flags(struct exobpf_program *prog, uint32_t flags);
EXOBPF_API uint32_t exobpf_program__load_flags(const struct exobpf_program *prog);
/* Before load: the section's instructions; after: relocated, subprograms
 * appended, map fds in place (what Linux's xlated dump shows before the
 * verifier rewrites anything). */
EXOBPF_API const struct bpf_insn *exobpf_program__insns(const struct exobpf_program *prog);
EXOBPF_API size_t exobpf_program__insn_cnt(const struct exobpf_program *prog);
/* The loaded program (NULL before load or when not autoloaded). */
EXOBPF_API struct exobpf_prog *exobpf_program__prog(const struct exobpf_program *prog);
/* Source line of instruction idx after load ("file.c:12: text"), or NULL. */
EXOBPF_API const char *exobpf_program__line(const struct exobpf_program *prog, size_t idx,
					    uint32_t *line, uint32_t *col);
EXOBPF_API int exobpf_program__pin(struct exobpf_program *prog, const char *path);
EXOBPF_API int exobpf_program__unpin(struct exobpf_program *prog, const char *path);

EXOBPF_API const char *exobpf_map__name(const struct exobpf_map *map);
EXOBPF_API enum bpf_map_type exobpf_map__type(const struct exobpf_map *map);
EXOBPF_API uint32_t exobpf_map__key_size(const struct exobpf_map *map);
EXOBPF_API uint32_t exobpf_map__value_size(const struct exobpf_map *map);
EXOBPF_API uint32_t exobpf_map__max_entries(const struct exobpf_map *map);
EXOBPF_API uint32_t exobpf_map__map_flags(const struct exobpf_map *map);
EXOBPF_API uint32_t exobpf_map__numa_node(const struct exobpf_map *map);
EXOBPF_API uint64_t exobpf_map__map_extra(const struct exobpf_map *map);
EXOBPF_API uint32_t exobpf_map__btf_key_type_id(const struct exobpf_map *map);
EXOBPF_API uint32_t exobpf_map__btf_value_type_id(const struct exobpf_map *map);
EXOBPF_API int exobpf_map__set_max_entries(struct exobpf_map *map, uint32_t max_entries);
EXOBPF_API int exobpf_map__set_map_flags(struct exobpf_map *map, uint32_t flags);
EXOBPF_API int exobpf_map__set_value_size(struct exobpf_map *map, uint32_t size);
EXOBPF_API bool exobpf_map__is_internal(const struct exobpf_map *map);
EXOBPF_API struct exobpf_map *exobpf_map__inner_map(struct exobpf_map *map);
/* The map's fd after load (-EINVAL before). */
EXOBPF_API int exobpf_map__fd(const struct exobpf_map *map);
/* Global data: the host view of .data/.rodata/.bss/.kconfig, writable before
 * load (initial values) and live after load. NULL for other maps. */
EXOBPF_API void *exobpf_map__initial_value(struct exobpf_map *map, size_t *size);
EXOBPF_API int exobpf_map__set_initial_value(struct exobpf_map *map, const void *data, size_t size);
EXOBPF_API const char *exobpf_map__pin_path(const struct exobpf_map *map);
EXOBPF_API int exobpf_map__set_pin_path(struct exobpf_map *map, const char *path);
EXOBPF_API bool exobpf_map__is_pinned(const struct exobpf_map *map);
EXOBPF_API int exobpf_map__pin(struct exobpf_map *map, const char *path);
EXOBPF_API int exobpf_map__unpin(struct exobpf_map *map, const char *path);
enum exobpf_dump_flags {
	EXOBPF_DUMP_MAP_NAMES = 1 << 0, /* map[NAME] instead of Linux's map[id:N] */
	EXOBPF_DUMP_LINES = 1 << 1,	/* "; source line" before the code of each line */
	/* every slot's fields, "N: code=18 dst=1 src=2 off=0 imm=map:NAME", for
	 * comparing with what libbpf hands the kernel */
	EXOBPF_DUMP_RAW = 1 << 2,
};

/* The relocated program in the text of bpftool prog dump xlated
 * ("   0: (b7) r0 = 0"), after load. 0 or -errno. */
EXOBPF_API int exobpf_program__dump_xlated(const struct exobpf_program *prog, FILE *out,
					   unsigned flags);

/* bpftool's name of a program type ("socket_filter", "xdp"), libbpf's
 * libbpf_bpf_prog_type_str; NULL for unknown types. */
EXOBPF_API const char *exobpf_prog_type_str(enum bpf_prog_type type);

/* Values for the pinning attribute of BTF-defined maps (libbpf's). */
enum exobpf_pin_type {
	EXOBPF_PIN_NONE = 0,
	EXOBPF_PIN_BY_NAME = 1,
};

#endif
