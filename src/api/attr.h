/* union bpf_attr as Linux 6.18 lays it out (the system's <linux/bpf.h> is
 * 6.1's and lacks the newer fields), command by command. Only offsets and
 * sizes matter: the kernel reads exactly these bytes, so does exobpf.
 * API_ATTR_END(member) is offsetofend, what CHECK_ATTR and the "last field"
 * of a command are made of. */
#ifndef EXOBPF_API_ATTR_H
#define EXOBPF_API_ATTR_H

#include <stddef.h>
#include <linux/bpf.h>

#define API_ATTR_SIZE 168 /* sizeof(union bpf_attr) in Linux 6.18 */

struct api_attr_map_create {
	__u32 map_type, key_size, value_size, max_entries, map_flags, inner_map_fd, numa_node;
	char map_name[16];
	__u32 map_ifindex, btf_fd, btf_key_type_id, btf_value_type_id, btf_vmlinux_value_type_id;
	__aligned_u64 map_extra;
	__s32 value_type_btf_obj_fd, map_token_fd;
	__aligned_u64 excl_prog_hash;
	__u32 excl_prog_hash_size;
};

struct api_attr_elem {
	__u32 map_fd;
	__aligned_u64 key;
	__aligned_u64 value; /* next_key for MAP_GET_NEXT_KEY */
	__aligned_u64 flags;
};

struct api_attr_batch {
	__aligned_u64 in_batch, out_batch, keys, values;
	__u32 count, map_fd;
	__aligned_u64 elem_flags, flags;
};

struct api_attr_prog_load {
	__u32 prog_type, insn_cnt;
	__aligned_u64 insns, license;
	__u32 log_level, log_size;
	__aligned_u64 log_buf;
	__u32 kern_version, prog_flags;
	char prog_name[16];
	__u32 prog_ifindex, expected_attach_type, prog_btf_fd, func_info_rec_size;
	__aligned_u64 func_info;
	__u32 func_info_cnt, line_info_rec_size;
	__aligned_u64 line_info;
	__u32 line_info_cnt, attach_btf_id;
	__u32 attach_prog_fd; /* or attach_btf_obj_fd */
	__u32 core_relo_cnt;
	__aligned_u64 fd_array, core_relos;
	__u32 core_relo_rec_size, log_true_size;
	__s32 prog_token_fd;
	__u32 fd_array_cnt;
	__aligned_u64 signature;
	__u32 signature_size;
	__s32 keyring_id;
};

struct api_attr_obj {
	__aligned_u64 pathname;
	__u32 bpf_fd, file_flags;
	__s32 path_fd;
};

struct api_attr_attach {
	__u32 target_fd; /* or target_ifindex */
	__u32 attach_bpf_fd, attach_type, attach_flags, replace_bpf_fd;
	__u32 relative_fd; /* or relative_id */
	__aligned_u64 expected_revision;
};

struct api_attr_test {
	__u32 prog_fd, retval, data_size_in, data_size_out;
	__aligned_u64 data_in, data_out;
	__u32 repeat, duration, ctx_size_in, ctx_size_out;
	__aligned_u64 ctx_in, ctx_out;
	__u32 flags, cpu, batch_size;
};

struct api_attr_id {
	__u32 start_id; /* prog_id, map_id, btf_id, link_id */
	__u32 next_id, open_flags;
	__s32 fd_by_id_token_fd;
};

struct api_attr_info {
	__u32 bpf_fd, info_len;
	__aligned_u64 info;
};

struct api_attr_query {
	__u32 target_fd, attach_type, query_flags, attach_flags;
	__aligned_u64 prog_ids;
	__u32 prog_cnt;
	__aligned_u64 prog_attach_flags, link_ids, link_attach_flags, revision;
};

struct api_attr_btf_load {
	__aligned_u64 btf, btf_log_buf;
	__u32 btf_size, btf_log_size, btf_log_level, btf_log_true_size, btf_flags;
	__s32 btf_token_fd;
};

struct api_attr_link_create {
	__u32 prog_fd;	 /* or map_fd */
	__u32 target_fd; /* or target_ifindex */
	__u32 attach_type, flags;
	union {
		__u32 target_btf_id;
		struct {
			__aligned_u64 iter_info;
			__u32 iter_info_len;
		};
		struct {
			__aligned_u64 bpf_cookie;
		} perf_event;
		struct {
			__u32 flags, cnt;
			__aligned_u64 syms, addrs, cookies;
		} kprobe_multi;
		struct {
			__u32 target_btf_id;
			__aligned_u64 cookie;
		} tracing;
		struct {
			__u32 relative_fd; /* or relative_id */
			__aligned_u64 expected_revision;
		} tcx;
		struct {
			__aligned_u64 path, offsets, ref_ctr_offsets, cookies;
			__u32 cnt, flags, pid;
		} uprobe_multi;
	};
};

struct api_attr_link_update {
	__u32 link_fd, new_prog_fd, flags, old_prog_fd;
};

struct api_attr_link_detach {
	__u32 link_fd;
};

struct api_attr_enable_stats {
	__u32 type;
};

struct api_attr_bind_map {
	__u32 prog_fd, map_fd, flags;
};

union api_attr {
	struct api_attr_map_create map_create;
	struct api_attr_elem elem;
	struct api_attr_batch batch;
	struct api_attr_prog_load load;
	struct api_attr_obj obj;
	struct api_attr_attach attach;
	struct api_attr_test test;
	struct api_attr_id id;
	struct api_attr_info info;
	struct api_attr_query query;
	struct api_attr_btf_load btf_load;
	struct api_attr_link_create link_create;
	struct api_attr_link_update link_update;
	struct api_attr_link_detach link_detach;
	struct api_attr_enable_stats enable_stats;
	struct api_attr_bind_map bind_map;
	unsigned char bytes[API_ATTR_SIZE];
};

_Static_assert(sizeof(union api_attr) == API_ATTR_SIZE, "Linux 6.18's union bpf_attr size");
_Static_assert(offsetof(struct api_attr_prog_load, keyring_id) == 164, "prog_load layout");
_Static_assert(offsetof(struct api_attr_link_create, uprobe_multi.pid) == 56, "link layout");
_Static_assert(offsetof(struct api_attr_test, batch_size) == 72, "test layout");
_Static_assert(offsetof(struct api_attr_map_create, excl_prog_hash_size) == 88, "map layout");

#define API_ATTR_END(member) \
	(offsetof(union api_attr, member) + sizeof(((union api_attr *)0)->member))

#endif
