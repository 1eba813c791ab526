/* Objects backed by files (maps; programs, BTF and links) as one process sees
 * them: a list of refcounted local objects, one per file (dev, inode), and a
 * table from fd number to object. Each slot remembers the file's (dev, inode)
 * and every lookup re-checks it with fstat, so an fd the caller closed and the
 * kernel reused for something else is never taken for the old object; a stale
 * slot is dropped the next time its number is looked up or handed out again.
 * dup()ed fds and fds from other processes (SCM_RIGHTS, /proc) share the local
 * object of the same inode.
 *
 * Also here: finding such files across the machine (the pin directory,
 * /proc/PID/fd of every process), which is how ids work. */
#ifndef EXOBPF_CORE_FDTAB_H
#define EXOBPF_CORE_FDTAB_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

/* Embedded in the owner's object; the table's lock guards all of it. */
struct fdtab_obj {
	int refcnt;
	dev_t dev;
	ino_t ino;
	struct fdtab_obj *next; /* the table's list */
};

struct fdtab_slot {
	struct fdtab_obj *obj; /* holds one reference */
	dev_t dev;
	ino_t ino;
};

struct fdtab {
	pthread_mutex_t mu;
	struct fdtab_obj *all;
	struct fdtab_slot *slots;
	size_t cap;
	/* Free an object whose last reference went (never with mu held). */
	void (*free)(struct fdtab_obj *o);
};

/* With t->mu held: drop a reference; returns the object to free outside. */
struct fdtab_obj *fdtab_put_locked(struct fdtab *t, struct fdtab_obj *o);
void fdtab_put(struct fdtab *t, struct fdtab_obj *o);
void fdtab_ref(struct fdtab *t, struct fdtab_obj *o);
/* With t->mu held: put o on the list. */
void fdtab_link_locked(struct fdtab *t, struct fdtab_obj *o);
/* With t->mu held: make room for slot fd; 0 or -ENOMEM. */
int fdtab_grow_locked(struct fdtab *t, size_t fd);
/* With t->mu held and the table grown to fd: point fd's slot at o (one more
 * reference); returns an object to free outside. */
struct fdtab_obj *fdtab_set_locked(struct fdtab *t, int fd, struct fdtab_obj *o);
/* The same, growing the table first; if it cannot grow, the slot is left
 * alone (no reference taken) and NULL returned. */
struct fdtab_obj *fdtab_remember_locked(struct fdtab *t, int fd, struct fdtab_obj *o);
/* With t->mu held: the listed object of that file, or NULL. */
struct fdtab_obj *fdtab_find_locked(struct fdtab *t, dev_t dev, ino_t ino);

/* The local object behind fd (st its fstat), a new reference, remembered in
 * fd's slot; NULL if this process has none for that file yet. */
struct fdtab_obj *fdtab_lookup(struct fdtab *t, int fd, const struct stat *st);
/* After fdtab_lookup found nothing and fresh (one reference, not listed) was
 * made outside the lock: publish it, unless another thread published one for
 * the same file meanwhile, in which case fresh is freed and that one is
 * used. Returns a new reference, remembered in fd's slot. */
struct fdtab_obj *fdtab_publish(struct fdtab *t, int fd, struct fdtab_obj *fresh);

/* A private read-write fd of the file behind fd (the caller's may be
 * read-only), or -1 with errno. */
int fdtab_own_fd(int fd);

/* Scans over candidate files: fn gets a read-only fd of a regular file of at
 * least min_size bytes (closed after) and returns nonzero to stop. */
struct fdtab_scan {
	off_t min_size;
	int (*fn)(int fd, void *arg);
	void *arg;
};

/* Files under dir, depth levels of directories down, skipping the top-level
 * entry named skip (if not NULL). */
int fdtab_scan_dir(const struct fdtab_scan *s, const char *dir, int depth, const char *skip);
/* Files open in processes: /proc/PID/fd, and with mappings also
 * /proc/PID/map_files. */
int fdtab_scan_procs(const struct fdtab_scan *s, bool mappings);

#endif
