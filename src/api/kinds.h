/* The object kinds of the bpf() layer (programs, BTF objects, links): what
 * their files hold, and what the command handlers ask of each. */
#ifndef EXOBPF_API_KINDS_H
#define EXOBPF_API_KINDS_H

#include <stdbool.h>
#include <stdint.h>

#include "api/api.h"
#include "api/obj.h"

struct exobpf_prog;
struct exobpf_btf;

/* A program's record in page 0. The data after page 0 is immutable: the
 * instructions as loaded with map fds turned into map ids (what another
 * process rebuilds the program from), the xlated dump, map ids, func and
 * line info, the jited image. The counters at the end change in place. */
struct api_prog_rec {
	uint32_t type, expected_attach_type, prog_flags, gpl;
	uint32_t orig_cnt, xlated_cnt, nr_map_ids, btf_id;
	uint32_t nr_func_info, nr_line_info, jited_len, verified_insns;
	uint32_t uid, attach_btf_id, kern_version, nr_jited_funcs;
	char name[16];
	uint8_t tag[8];
	uint64_t load_time;
	uint64_t orig_off, xlated_off, map_ids_off, func_info_off, line_info_off, jited_off;
	uint64_t run_time_ns, run_cnt, recursion_misses;
};

/* A BTF object's record: the raw BTF follows page 0. */
struct api_btf_rec {
	uint32_t data_size;
	uint32_t data_off;
};

/* A link's record. */
struct api_link_rec {
	uint32_t type; /* enum bpf_link_type */
	uint32_t prog_id, attach_type, target;
	uint32_t detached; /* LINK_DETACH: a program under a closed gate */
	/* perf event links (BPF_LINK_TYPE_PERF_EVENT) */
	uint32_t perf_type; /* enum bpf_perf_event_type */
	uint64_t offset, cookie;
	char path[2048]; /* the probed file, resolved */
};

/* The local state of an object (NULL when it could not be rebuilt here). */
struct exobpf_prog *api_prog_of(struct api_obj *o);
struct exobpf_btf *api_btf_of(struct api_obj *o);

struct exo_map_ext;
/* Fill ext's spin lock from the BTF value type (Linux's btf_find_spin_lock). */
void api_btf_spin_lock(const struct exobpf_btf *b, uint32_t type_id, struct exo_map_ext *ext);

/* OBJ_GET_INFO_BY_FD for each kind: info_len and the user's info pointer
 * are in attr; 0 or -errno. */
int api_prog_info(struct api_obj *o, union api_attr *attr, const struct api_call *c);
int api_btf_info(struct api_obj *o, union api_attr *attr, const struct api_call *c);
int api_link_info(struct api_obj *o, union api_attr *attr, const struct api_call *c);
int api_map_info(int fd, union api_attr *attr, const struct api_call *c);
/* *_GET_NEXT_ID and *_GET_FD_BY_ID for a kind (objcmds.c). */
int api_next_id_cmd(enum api_kind kind, union api_attr *attr, const struct api_call *c);
int api_fd_by_id_cmd(enum api_kind kind, union api_attr *attr, const struct api_call *c);
/* Is ENABLE_STATS's fd open (run time and count are kept only then)? */
bool api_stats_enabled(void);
/* Is fd one that ENABLE_STATS handed out (a memfd named bpf-stats)? */
bool api_is_stats_fd(int fd);
/* Does what /proc/self/fd says fd is begin with prefix? */
bool api_fd_names(int fd, const char *prefix);
/* A ring buffer's wakeup FIFO for epoll (the preload), -1 if none; drain
 * it after a wakeup. */
int api_map_wake_fd(int map_fd);
void api_drain(int fd);
/* Is any writable mmap of the map's values alive, in any process (Linux's
 * bpf_map_write_active)? */
bool api_map_mapped_writable(int map_fd);
/* Register the prog-array resolver (once, before the first command). */
void api_prog_init(void);

/* Linux's bpf_check_uarg_tail_zero + copy of the user's info struct:
 * E2BIG for non-zero bytes past the last field Linux 6.18 has (named),
 * EFAULT for unreadable memory; on success *len is min(info_len, ours),
 * ours being the struct's size. */
int api_info_in(uint64_t uinfo, uint32_t info_len, void *info, size_t named, size_t ours,
		uint32_t *len);
/* Copy info (len bytes) and info_len back. */
int api_info_out(const struct api_call *c, uint64_t uinfo, const void *info, uint32_t len);

/* The verifier log of PROG_LOAD and BTF_LOAD with Linux 6.18's rules. */
struct api_log {
	uint64_t ubuf;
	uint32_t size, level;
};
/* EINVAL unless Linux's bpf_verifier_log_attr_valid holds. */
int api_log_check(const struct api_log *log, const char *what);
/* Copy text (len bytes, no NUL needed) to the user's buffer as Linux's
 * rotating (or, with BPF_LOG_FIXED, fixed) log does; *true_size gets the
 * size the whole log needs. 0, -ENOSPC (did not fit) or -EFAULT. */
int api_log_finish(const struct api_log *log, const char *text, size_t len, uint32_t *true_size);

#endif
