/* Differential map testing: one sequence of map commands run against exobpf
 * and, where bpf() works, against the kernel's map of the same type; every
 * return code and every byte read back must match. */
#ifndef EXOBPF_TEST_MAP_DIFF_H
#define EXOBPF_TEST_MAP_DIFF_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/bpf.h>

enum diff_cmd { D_UPDATE, D_LOOKUP, D_DELETE, D_NEXT, D_NEXT_NULL, D_LOOKUP_DEL, D_FREEZE, D_WALK };

struct diff_op {
	enum diff_cmd cmd;
	uint64_t key;	/* key bytes are this value, little-endian, key_size long */
	uint64_t value; /* same for the value */
	uint64_t flags;
};

struct diff_map {
	enum bpf_map_type type;
	uint32_t key_size, value_size, max_entries, flags;
	uint64_t map_extra;
	/* compare walks (get_next_key from NULL to ENOENT) as ordered lists,
	 * or as sets when the hash seed differs */
	bool ordered_walk;
};

/* Runs ops on both; on the first difference writes a description into why
 * and returns false. *kernel_ran says whether the kernel took part. */
bool diff_run(const struct diff_map *m, const struct diff_op *ops, unsigned n, bool *kernel_ran,
	      char *why, size_t whylen);

/* n random ops over keys [0, keyspace) with valid and invalid flags. */
void diff_random_ops(struct diff_op *ops, unsigned n, unsigned keyspace, uint64_t seed,
		     bool with_lookup_del);

#endif
