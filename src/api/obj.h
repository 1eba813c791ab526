/* Programs, BTF objects and links as files, the way maps are files: each is
 * an O_TMPFILE in the pin directory (a memfd where that cannot be made), so
 * the fd bpf() hands out is a real fd of that file - close, dup, fork,
 * SCM_RIGHTS work - and pinning is a hard link. Another process reaches the
 * object through its file (an fd it was given, a pin, /proc/PID/fd for ids)
 * and rebuilds its own local object from the file's contents.
 *
 * A file is page 0 (struct api_file_hdr, then the kind's record, whose
 * tail may hold shared counters updated in place) followed by the kind's
 * immutable data. Objects that keep others alive (a program its maps and
 * BTF, a map its BTF, a link its program) hold hard links to them under
 * <pin dir>/.held/<holder id>/; api_gc_holds removes the holds of objects
 * that no longer exist anywhere. */
#ifndef EXOBPF_API_OBJ_H
#define EXOBPF_API_OBJ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/fdtab.h"

#define API_OBJ_MAGIC	0x314a424f4f425845ull /* "EXOBOBJ1" */
#define API_OBJ_VERSION 1
#define API_PAGE	4096u
#define API_REC_OFF	64u /* where the kind's record starts in page 0 */

enum api_kind {
	API_KIND_NONE = 0,
	API_KIND_PROG = 1,
	API_KIND_BTF = 2,
	API_KIND_LINK = 3,
	API_KIND_NR,
	API_KIND_MAP = 100, /* a maps-module file (never an api_obj) */
};

struct api_file_hdr {
	uint64_t magic;
	uint32_t version, kind, id, rec_size;
	uint64_t file_size;
};

struct api_obj;

struct api_kind_ops {
	const char *name;
	/* Build the process-local state (o->priv) from the mapped file; 0 or
	 * -errno with the message set. */
	int (*open)(struct api_obj *o);
	void (*release)(struct api_obj *o);
};

/* One object as this process sees it. */
struct api_obj {
	struct fdtab_obj tab; /* refcount, file identity, the table's list */
	enum api_kind kind;
	uint32_t id;
	int fd;	       /* our own read-write fd of the file */
	uint8_t *base; /* the whole file, mapped shared */
	size_t size;
	void *priv;
};

static inline void *api_obj_rec(const struct api_obj *o)
{
	return o->base + API_REC_OFF;
}

/* Make a file of size bytes (page 0 included), let fill write the record
 * and data into base (the id is already in the header), and register the
 * new object with priv as its local state (released through the kind's
 * ops on failure too). Returns the caller's new fd, and a reference in
 * *out if out is not NULL. */
int api_obj_create(enum api_kind kind, size_t size,
		   int (*fill)(uint8_t *base, uint32_t id, void *arg), void *arg, void *priv,
		   struct api_obj **out);

/* The object behind fd: a new reference, or NULL with errno EBADF (not an
 * open fd) or EINVAL (not an object of that kind), the message saying which
 * command (what) and fd. kind API_KIND_NONE accepts any kind. */
struct api_obj *api_obj_get(int fd, enum api_kind kind, const char *what);
struct api_obj *api_obj_ref(struct api_obj *o);
/* A local object of kind that match accepts (a new reference), or NULL. */
struct api_obj *api_obj_find(enum api_kind kind, int (*match)(struct api_obj *o, void *arg),
			     void *arg);
void api_obj_put(struct api_obj *o);

/* What fd is: API_KIND_PROG/BTF/LINK/MAP, API_KIND_NONE (an open fd of
 * something else) or -EBADF. */
int api_fd_kind(int fd);

/* A new fd of the object's file (a new open file description, as a kernel
 * fd from GET_FD_BY_ID or OBJ_GET): O_RDWR, O_RDONLY or O_WRONLY. */
int api_obj_new_fd(struct api_obj *o, int accmode);

/* Ids across processes. next_id: the smallest id above start of a live
 * object of kind (-ENOENT when none); fd_by_id: a new fd (-ENOENT). */
int api_obj_next_id(enum api_kind kind, uint32_t start, uint32_t *next);
int api_obj_fd_by_id(enum api_kind kind, uint32_t id, int accmode);

/* holder keeps the object behind fd (any kind, maps too) alive. */
int api_hold(uint32_t holder, int fd, uint32_t held_id);
/* Open what holder holds under held_id (read-write), or -ENOENT. */
int api_hold_open(uint32_t holder, uint32_t held_id);
/* Remove the holds of objects that are gone everywhere. */
void api_gc_holds(void);

/* Every object file of kind reachable on this machine (our own, /proc/PID/fd
 * of every process, the pin directory): fn gets the header and a read-only
 * fd (closed after) and returns nonzero to stop. */
int api_scan(enum api_kind kind, int (*fn)(const struct api_file_hdr *h, int fd, void *arg),
	     void *arg);

/* Kind registry (obj.c): ops for each API kind. */
const struct api_kind_ops *api_kind_ops(enum api_kind kind);

/* Boot-time nanoseconds (what Linux's load_time and run times count). */
uint64_t api_boottime_ns(void);

#endif
