/* The object model behind include/exobpf/object.h: what an ELF object
 * declares (programs, maps, externs, BTF) and what loading made of it. */
#ifndef EXOBPF_LOADER_OBJ_H
#define EXOBPF_LOADER_OBJ_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/bpf.h>

#include "exobpf/object.h"
#include "loader/btf.h"
#include "loader/btf_ext.h"
#include "loader/elf.h"
#include "loader/sec_def.h"

struct exo_map;

#define OBJ_NAME_LEN 16 /* BPF_OBJ_NAME_LEN */
/* Global data becomes one array map value; Linux refuses values beyond
 * KMALLOC_MAX_SIZE (4 MiB on x86-64) with E2BIG. */
#define OBJ_MAX_VALUE_SIZE (4u << 20)

enum obj_reloc_type {
	RELO_LD64,	   /* lddw of a map: src 1, imm = map fd */
	RELO_DATA,	   /* lddw of global data: src 2, imm = map fd, imm2 = offset */
	RELO_CALL,	   /* call of a .text subprogram */
	RELO_SUBPROG_ADDR, /* lddw src 4 of a .text subprogram */
	RELO_EXTERN_LD64,  /* lddw of an extern variable */
	RELO_EXTERN_CALL,  /* call of an extern function (kfunc) */
};

struct obj_reloc {
	enum obj_reloc_type type;
	uint32_t insn_idx; /* in the program */
	int map_idx;
	int ext_idx;
	uint64_t sym_off;
	const char *sym_name;
};

enum obj_map_kind {
	MAP_USER,   /* .maps (BTF) or legacy maps */
	MAP_DATA,   /* .data, .data.* */
	MAP_RODATA, /* .rodata, .rodata.* (frozen) */
	MAP_BSS,    /* .bss */
	MAP_KCONFIG /* .kconfig externs (frozen) */
};

struct exobpf_map {
	struct exobpf_object *obj;
	char *name;	 /* kernel name (15 characters at most for internal maps) */
	char *real_name; /* ELF name: the variable, or the section for internal maps */
	enum obj_map_kind kind;
	int sec_idx;
	uint64_t sec_off; /* offset of the definition in .maps / maps */
	uint64_t sec_size;
	struct bpf_map_def_full {
		uint32_t type, key_size, value_size, max_entries, map_flags, numa_node;
		uint32_t pinning;
		uint64_t map_extra;
		uint32_t btf_key_type_id, btf_value_type_id;
	} def;
	struct exobpf_map *inner; /* map-in-map: the inner map's definition */
	/* values[]: initial slots, programs (PROG_ARRAY) or maps (map-in-map) */
	struct exobpf_program **init_progs;
	struct exobpf_map **init_maps;
	uint32_t nr_init;
	uint8_t *mmaped; /* internal maps: host copy of the value before load, the live map after */
	size_t mmaped_size;
	struct exo_map *live; /* reference behind a live mmaped */
	char *pin_path;
	bool reused, pinned, autocreate;
	int fd;
};

struct obj_extern {
	const char *name;
	int sym_idx;
	uint32_t btf_id;
	bool is_kcfg, is_weak, is_set;
	uint32_t kcfg_size, kcfg_align, data_off;
	enum {
		KCFG_UNKNOWN,
		KCFG_CHAR,
		KCFG_BOOL,
		KCFG_INT,
		KCFG_TRISTATE,
		KCFG_CHAR_ARR
	} kcfg_type;
	bool kcfg_signed;
};

struct exobpf_program {
	struct exobpf_object *obj;
	char *name;
	char *sec_name;
	int sec_idx;
	uint32_t sec_insn_off, sec_insn_cnt;
	struct bpf_insn *insns; /* working copy: relocated in place, subprograms appended */
	uint32_t insns_cnt;
	const struct sec_def *def;
	uint32_t type, expected_attach_type, prog_flags;
	uint32_t load_flags; /* enum exobpf_prog_flags for exobpf_prog__new */
	const char *attach_target;
	bool autoload, is_subprog, mark_btf_static, type_set;
	struct obj_reloc *relos;
	uint32_t nr_relos;
	uint32_t sub_insn_off; /* where this subprogram sits in the main program being linked */
	/* kernel-ABI func_info / line_info: insn_off in instructions */
	struct btf_ext_func *func_info;
	uint32_t func_info_cnt;
	struct btf_ext_line *line_info;
	uint32_t line_info_cnt;
	struct exobpf_prog *prog; /* after load */
	char *pin_path;
	char log_buf_storage;
	char *log_buf; /* the caller's (exobpf_program__set_log_buf) */
	size_t log_size;
	uint32_t log_level;
};

struct exobpf_object {
	char name[64];
	char *path;
	uint8_t *buf; /* the file, owned */
	size_t size;
	struct elf_file elf;
	struct exobpf_btf *btf;
	bool has_ext;
	struct btf_ext ext;
	char license[128];
	uint32_t kern_version;
	int maps_sec, legacy_maps_sec, text_sec, kconfig_map_idx;
	struct exobpf_program *progs;
	uint32_t nr_progs;
	struct exobpf_map *maps;
	uint32_t nr_maps;
	struct obj_extern *externs;
	uint32_t nr_externs;
	/* options kept from open */
	char *kconfig;
	char *btf_custom_path;
	char *pin_root_path;
	bool attempted, prepared, loaded;
};

/* obj_open.c */
int obj_add_map(struct exobpf_object *obj, struct exobpf_map **out);
/* obj_maps.c: map definitions from .maps, maps and the data sections. */
int obj_init_maps(struct exobpf_object *obj);
int obj_init_map_slots(struct exobpf_object *obj);
/* obj_reloc.c */
int obj_collect_relos(struct exobpf_object *obj);
int obj_relocate(struct exobpf_object *obj, const struct exobpf_btf *target);
struct exobpf_program *obj_prog_at(struct exobpf_object *obj, int sec_idx, uint32_t insn_idx);
/* obj_extern.c */
int obj_collect_externs(struct exobpf_object *obj);
int obj_resolve_externs(struct exobpf_object *obj);
/* core_relo.c: CO-RE relocations of one program's own instructions. */
int core_relocate(struct exobpf_object *obj, const struct exobpf_btf *target);

#endif
