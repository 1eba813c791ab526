/* The legacy "maps" section (struct bpf_map_def), which libbpf 1.x no
 * longer accepts but older objects use. */
#include "common.h"

struct bpf_map_def_legacy {
	unsigned int type, key_size, value_size, max_entries, map_flags;
};

struct bpf_map_def_legacy SEC("maps") old_array = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = 4,
	.value_size = 8,
	.max_entries = 4,
};

struct bpf_map_def_legacy SEC("maps") old_hash = {
	.type = BPF_MAP_TYPE_HASH,
	.key_size = 4,
	.value_size = 4,
	.max_entries = 16,
};

SEC("syscall")
int legacy(struct args *ctx)
{
	__u32 k = 2;
	__u64 *v = bpf_map_lookup_elem(&old_array, &k);

	if (!v)
		return -1;
	*v = ctx->a + 40;
	ctx->out = *v;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
