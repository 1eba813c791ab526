/* Inside the bpf() command layer: one call's context, the handlers the
 * command table names, and the helpers they share. */
#ifndef EXOBPF_API_API_H
#define EXOBPF_API_API_H

#include <stddef.h>
#include <stdint.h>

#include "api/attr.h"
#include "core/err.h"

/* Linux's internal ENOTSUPP, which bpf() does return to user space. */
#define API_ENOTSUPP 524

struct api_call {
	int cmd;
	const char *name;  /* "MAP_CREATE", for messages */
	uint64_t uattr;	   /* the caller's attribute, for fields written back */
	unsigned int size; /* the caller's size, at most API_ATTR_SIZE */
};

/* Write a field back into the caller's attribute, as the kernel's
 * copy_to_user(&uattr->field): 0 or -EFAULT. */
int api_put(const struct api_call *c, size_t off, const void *v, size_t len);
#define API_PUT(c, member, val) api_put((c), offsetof(union api_attr, member), &(val), sizeof(val))

/* The 16-byte object name rules (Linux's bpf_obj_name_cpy): alphanumeric,
 * '_' and '.', NUL within 16 bytes; EINVAL otherwise. */
int api_obj_name(const char *in, char out[16], const char *what);

/* A path on /sys/fs/bpf (absolute, or relative to the working directory)
 * as the same path in the pin directory, exobpf's bpffs: 0, 1 when the path
 * is not on /sys/fs/bpf, or -ENAMETOOLONG. */
int api_bpffs_path(const char *in, char *out, size_t size);

#define API_CMD(num, name, last, fn) int fn(union api_attr *attr, const struct api_call *c);
#include "api/commands.def"
#undef API_CMD
int api_cmd_unsupported(union api_attr *attr, const struct api_call *c);

#endif
