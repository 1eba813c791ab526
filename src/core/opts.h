/* Options structs follow libbpf: the first field is the caller's sizeof, a
 * newer caller's extra bytes must be zero, an older caller's missing fields
 * read as their defaults. */
#ifndef EXOBPF_OPTS_H
#define EXOBPF_OPTS_H

#include <stdbool.h>
#include <stddef.h>

/* False (with the error message set, errno EINVAL) if opts has unknown
 * non-zero trailing bytes or a too-small size. NULL opts are valid. */
bool exo_opts_valid(const void *opts, size_t user_sz, size_t our_sz, const char *name);

#define OPTS_VALID(opts, type)                                                                     \
	exo_opts_valid((opts), (opts) ? (opts)->sz : 0, sizeof(struct type), #type)

/* opts->field if the caller's struct has it, else fallback. */
#define OPT(opts, field, fallback)                                                                 \
	((opts) && (opts)->sz >= offsetof(__typeof__(*(opts)), field) + sizeof((opts)->field)      \
		 ? (opts)->field                                                                   \
		 : (fallback))

#endif
