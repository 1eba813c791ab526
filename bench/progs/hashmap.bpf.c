/* The hashmap benchmark as an XDP program (the algorithm is hashmap.h). The
 * harness creates the map and points the lddw that names `counts` at it. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, unsigned int);
	__type(value, unsigned long long);
} counts SEC(".maps");

#define BENCH_LOOKUP(key)	 ((u64 *)bpf_map_lookup_elem(&counts, key))
#define BENCH_INSERT(key, value) bpf_map_update_elem(&counts, key, value, BPF_ANY)
#include "hashmap.h"

#include "entry.h"

BENCH_ENTRIES(hashmap)
