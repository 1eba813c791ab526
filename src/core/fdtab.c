/* The fd table and list of file-backed local objects, and the scans that find
 * such files across the machine (see fdtab.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fdtab.h"

struct fdtab_obj *fdtab_put_locked(struct fdtab *t, struct fdtab_obj *o)
{
	if (--o->refcnt > 0)
		return NULL;
	for (struct fdtab_obj **p = &t->all; *p; p = &(*p)->next)
		if (*p == o) {
			*p = o->next;
			break;
		}
	return o;
}

void fdtab_put(struct fdtab *t, struct fdtab_obj *o)
{
	struct fdtab_obj *dead;

	pthread_mutex_lock(&t->mu);
	dead = fdtab_put_locked(t, o);
	pthread_mutex_unlock(&t->mu);
	if (dead)
		t->free(dead);
}

void fdtab_ref(struct fdtab *t, struct fdtab_obj *o)
{
	pthread_mutex_lock(&t->mu);
	o->refcnt++;
	pthread_mutex_unlock(&t->mu);
}

void fdtab_link_locked(struct fdtab *t, struct fdtab_obj *o)
{
	o->next = t->all;
	t->all = o;
}

int fdtab_grow_locked(struct fdtab *t, size_t fd)
{
	size_t cap = t->cap ? t->cap : 64;
	struct fdtab_slot *s;

	while (cap <= fd)
		cap *= 2;
	if (cap == t->cap)
		return 0;
	s = realloc(t->slots, cap * sizeof(*s));
	if (!s)
		return -ENOMEM;
	memset(s + t->cap, 0, (cap - t->cap) * sizeof(*s));
	t->slots = s;
	t->cap = cap;
	return 0;
}

struct fdtab_obj *fdtab_set_locked(struct fdtab *t, int fd, struct fdtab_obj *o)
{
	struct fdtab_slot *s = &t->slots[fd];
	struct fdtab_obj *old = s->obj;

	o->refcnt++;
	*s = (struct fdtab_slot){o, o->dev, o->ino};
	return old ? fdtab_put_locked(t, old) : NULL;
}

struct fdtab_obj *fdtab_find_locked(struct fdtab *t, dev_t dev, ino_t ino)
{
	for (struct fdtab_obj *p = t->all; p; p = p->next)
		if (p->dev == dev && p->ino == ino)
			return p;
	return NULL;
}

/* A slot that cannot be made only costs a search by inode next time. */
struct fdtab_obj *fdtab_remember_locked(struct fdtab *t, int fd, struct fdtab_obj *o)
{
	return fdtab_grow_locked(t, (size_t)fd) ? NULL : fdtab_set_locked(t, fd, o);
}

struct fdtab_obj *fdtab_lookup(struct fdtab *t, int fd, const struct stat *st)
{
	struct fdtab_obj *o, *dead = NULL;

	pthread_mutex_lock(&t->mu);
	if ((size_t)fd < t->cap && t->slots[fd].obj && t->slots[fd].dev == st->st_dev &&
	    t->slots[fd].ino == st->st_ino) {
		o = t->slots[fd].obj;
	} else {
		o = fdtab_find_locked(t, st->st_dev, st->st_ino);
		if (o)
			dead = fdtab_remember_locked(t, fd, o);
	}
	if (o)
		o->refcnt++;
	pthread_mutex_unlock(&t->mu);
	if (dead)
		t->free(dead);
	return o;
}

struct fdtab_obj *fdtab_publish(struct fdtab *t, int fd, struct fdtab_obj *fresh)
{
	struct fdtab_obj *o, *dead;

	pthread_mutex_lock(&t->mu);
	o = fdtab_find_locked(t, fresh->dev, fresh->ino);
	if (!o) {
		o = fresh;
		fresh = NULL;
		fdtab_link_locked(t, o);
		o->refcnt = 0;
	}
	dead = fdtab_remember_locked(t, fd, o);
	o->refcnt++;
	pthread_mutex_unlock(&t->mu);
	if (dead)
		t->free(dead);
	if (fresh)
		t->free(fresh);
	return o;
}

int fdtab_own_fd(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	char self[64];

	if (fl >= 0 && (fl & O_ACCMODE) == O_RDWR)
		return fcntl(fd, F_DUPFD_CLOEXEC, 3);
	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	return open(self, O_RDWR | O_CLOEXEC);
}

/* ---- scans ---- */

static int scan_fd(const struct fdtab_scan *s, const char *path, int flags)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | flags);
	int stop;

	if (fd < 0)
		return 0;
	stop = s->fn(fd, s->arg);
	close(fd);
	return stop;
}

int fdtab_scan_dir(const struct fdtab_scan *s, const char *dir, int depth, const char *skip)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int stop = 0;

	if (!d)
		return 0;
	while (!stop && (e = readdir(d))) {
		char path[PATH_MAX];
		struct stat st;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
		    (skip && !strcmp(e->d_name, skip)))
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= (int)sizeof(path) ||
		    lstat(path, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			if (depth > 0)
				stop = fdtab_scan_dir(s, path, depth - 1, NULL);
		} else if (S_ISREG(st.st_mode) && st.st_size >= s->min_size) {
			/* what lstat saw must be what is opened */
			stop = scan_fd(s, path, O_NOFOLLOW);
		}
	}
	closedir(d);
	return stop;
}

int fdtab_scan_procs(const struct fdtab_scan *s, bool mappings)
{
	DIR *proc = opendir("/proc");
	struct dirent *p;
	int stop = 0;

	if (!proc)
		return 0;
	while (!stop && (p = readdir(proc))) {
		/* a mapping keeps a file alive after its fds are closed */
		static const char *const subs[] = {"fd", "map_files"};

		if (p->d_name[0] < '0' || p->d_name[0] > '9')
			continue;
		for (int k = 0; k < (mappings ? 2 : 1) && !stop; k++) {
			char dpath[300];
			DIR *fds;
			struct dirent *f;

			snprintf(dpath, sizeof(dpath), "/proc/%s/%s", p->d_name, subs[k]);
			if (!(fds = opendir(dpath)))
				continue;
			while (!stop && (f = readdir(fds))) {
				char path[600];
				struct stat st;

				if (f->d_name[0] == '.')
					continue;
				snprintf(path, sizeof(path), "%s/%s", dpath, f->d_name);
				/* stat follows the link without opening: devices,
				 * pipes and sockets are never opened */
				if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) ||
				    st.st_size < s->min_size)
					continue;
				stop = scan_fd(s, path, 0);
			}
			closedir(fds);
		}
	}
	closedir(proc);
	return stop;
}
