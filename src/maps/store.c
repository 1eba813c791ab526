/* Where map files live: the pin directory and the slot count.
 *
 * A map's memory is an O_TMPFILE file created in the pin directory (tmpfs in
 * a normal setup: /run/exobpf), so pinning is a hard link on the same
 * filesystem and the file vanishes with its last fd, mapping and pin, as a
 * kernel map does. Where the pin directory cannot hold files the map falls
 * back to a memfd, which works in every way but cannot be pinned. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "exobpf/map.h"
#include "maps/internal.h"

#define DEFAULT_PIN_DIR "/run/exobpf"

static pthread_mutex_t store_mu = PTHREAD_MUTEX_INITIALIZER;
static char pin_dir[PATH_MAX];
static uint32_t nslots;

static const char *pin_dir_locked(void)
{
	if (!pin_dir[0]) {
		const char *env = getenv("EXOBPF_PIN_DIR");

		snprintf(pin_dir, sizeof(pin_dir), "%s", env && *env ? env : DEFAULT_PIN_DIR);
	}
	return pin_dir;
}

EXOBPF_API int exobpf_set_pin_dir(const char *dir)
{
	if (dir && (!*dir || strlen(dir) >= sizeof(pin_dir)))
		return exo_err(EINVAL, "exobpf_set_pin_dir: '%s' is empty or too long", dir);
	pthread_mutex_lock(&store_mu);
	pin_dir[0] = '\0';
	if (dir)
		snprintf(pin_dir, sizeof(pin_dir), "%s", dir);
	pin_dir_locked();
	pthread_mutex_unlock(&store_mu);
	return 0;
}

EXOBPF_API const char *exobpf_pin_dir(void)
{
	const char *d;

	pthread_mutex_lock(&store_mu);
	d = pin_dir_locked();
	pthread_mutex_unlock(&store_mu);
	return d;
}

const char *store_dir(void)
{
	return exobpf_pin_dir();
}

/* Linux sizes per-CPU values by the possible CPUs, which is what user space
 * must size its buffers by; so do we. */
static uint32_t possible_cpus(void)
{
	FILE *f = fopen("/sys/devices/system/cpu/possible", "r");
	unsigned a, b, n = 0;
	int c;

	if (f) {
		while (fscanf(f, "%u", &a) == 1) {
			b = a;
			if ((c = fgetc(f)) == '-') {
				if (fscanf(f, "%u", &b) != 1)
					break;
				c = fgetc(f);
			}
			n += b - a + 1;
			if (c != ',')
				break;
		}
		fclose(f);
	}
	if (!n) {
		long v = sysconf(_SC_NPROCESSORS_CONF);
		n = v > 0 ? (unsigned)v : 1;
	}
	return n;
}

#define MAX_SLOTS 4096

uint32_t exo_map_default_slots(void)
{
	uint32_t n = __atomic_load_n(&nslots, __ATOMIC_ACQUIRE);

	if (!n) {
		const char *env = getenv("EXOBPF_SLOTS");
		long v = env ? strtol(env, NULL, 10) : 0;

		n = v > 0 && v <= MAX_SLOTS ? (uint32_t)v : possible_cpus();
		__atomic_store_n(&nslots, n, __ATOMIC_RELEASE);
	}
	return n;
}

EXOBPF_API int exobpf_set_num_slots(unsigned int n)
{
	if (n > MAX_SLOTS)
		return exo_err(EINVAL, "exobpf_set_num_slots: %u slots exceed the limit of %d", n,
			       MAX_SLOTS);
	__atomic_store_n(&nslots, n, __ATOMIC_RELEASE); /* 0: back to the default */
	return 0;
}

EXOBPF_API int exobpf_num_slots(void)
{
	return (int)exo_map_default_slots();
}

static void mkdir_p(const char *dir)
{
	char tmp[PATH_MAX];

	snprintf(tmp, sizeof(tmp), "%s", dir);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(tmp, 0755);
		*p = '/';
	}
	mkdir(tmp, 0700);
}

/* The memory a map may use must exist before a program writes to it: a
 * write to a tmpfs page that cannot be allocated is SIGBUS, which a library
 * may never cause. So what Linux allocates at creation is allocated here at
 * creation (fallocate, with Linux's ENOMEM when it does not fit) and what
 * Linux allocates per element is reserved as elements are first used
 * (store_reserve), failing that one update with ENOMEM instead. */
static int reserve(int fd, uint64_t off, uint64_t len)
{
	int err;

	if (!len)
		return 0;
	while ((err = posix_fallocate(fd, (off_t)off, (off_t)len)) == EINTR)
		;
	return err == EOPNOTSUPP || err == ENODEV ? 0 : -err; /* no fallocate: best effort */
}

int store_reserve(struct exo_map *map, uint64_t *reserved, uint64_t end)
{
	uint64_t r = __atomic_load_n(reserved, __ATOMIC_ACQUIRE), want;

	if (end <= r)
		return 0;
	/* in 256 KiB steps: one call per many elements */
	want = (end + (256u << 10) - 1) & ~(uint64_t)((256u << 10) - 1);
	if (want > map->size - MAP_PAGE)
		want = map->size - MAP_PAGE;
	if (reserve(map->fd, MAP_PAGE + r, want - r))
		return -ENOMEM;
	while (r < want && !__atomic_compare_exchange_n(reserved, &r, want, false, __ATOMIC_ACQ_REL,
							__ATOMIC_ACQUIRE))
		;
	return 0;
}

int store_create_file(uint64_t size, uint64_t eager, char *why, size_t whylen)
{
	const char *dir = exobpf_pin_dir();
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	if (fd < 0 && errno == ENOENT) {
		mkdir_p(dir);
		fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	}
	if (fd < 0)
		fd = memfd_create("exobpf-map", MFD_CLOEXEC);
	if (fd < 0) {
		snprintf(why, whylen, "cannot create the map's file in %s: %s", dir,
			 strerror(errno));
		return -errno;
	}
	struct statvfs vfs;
	if (fstatvfs(fd, &vfs) == 0 && vfs.f_bavail &&
	    eager > (uint64_t)vfs.f_bavail * vfs.f_frsize) {
		snprintf(why, whylen, "%llu bytes do not fit in the %llu bytes free in %s",
			 (unsigned long long)eager, (unsigned long long)vfs.f_bavail * vfs.f_frsize,
			 dir);
		close(fd);
		return -ENOMEM;
	}
	if (ftruncate(fd, (off_t)size) < 0 || reserve(fd, 0, eager)) {
		int err = errno;
		snprintf(why, whylen, "cannot allocate %llu bytes for the map: %s",
			 (unsigned long long)eager, strerror(err));
		close(fd);
		return -ENOMEM;
	}
	return fd;
}

/* Absolute paths as given; others under the pin directory. */
static void pin_path(const char *path, char *buf, size_t size)
{
	if (path[0] == '/')
		snprintf(buf, size, "%s", path);
	else
		snprintf(buf, size, "%s/%s", exobpf_pin_dir(), path);
}

EXOBPF_API int exobpf_obj_pin(int fd, const char *pathname)
{
	char path[PATH_MAX], self[64];
	struct exo_map *map;

	if (!pathname || !*pathname)
		return exo_err(EINVAL, "exobpf_obj_pin: empty path");
	map = exo_map_get(fd);
	if (!map)
		return -errno;
	pin_path(pathname, path, sizeof(path));
	snprintf(self, sizeof(self), "/proc/self/fd/%d", map->fd);
	if (linkat(AT_FDCWD, self, AT_FDCWD, path, AT_SYMLINK_FOLLOW) < 0) {
		int err = errno;

		exo_map_put(map);
		if (err == EXDEV || err == ENOENT) {
			struct stat st;
			char parent[PATH_MAX];
			char *slash;

			snprintf(parent, sizeof(parent), "%s", path);
			slash = strrchr(parent, '/');
			if (slash)
				*(slash == parent ? slash + 1 : slash) = '\0';
			if (err == ENOENT && stat(parent, &st) < 0)
				return exo_err(ENOENT,
					       "exobpf_obj_pin: %s: directory %s does not exist",
					       path, parent);
			return exo_err(
			    EXDEV,
			    "exobpf_obj_pin: %s: the map's memory is not on that filesystem (maps "
			    "live in the pin directory %s; create maps after choosing it)",
			    path, exobpf_pin_dir());
		}
		return exo_err(err, "exobpf_obj_pin: %s: %s", path, strerror(err));
	}
	exo_map_put(map);
	return 0;
}

EXOBPF_API int exobpf_obj_get(const char *pathname)
{
	char path[PATH_MAX];
	struct exo_map *map;
	int fd;

	if (!pathname || !*pathname)
		return exo_err(EINVAL, "exobpf_obj_get: empty path");
	pin_path(pathname, path, sizeof(path));
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return exo_err(errno, "exobpf_obj_get: %s: %s", path, strerror(errno));
	map = exo_map_get(fd);
	if (!map) {
		int err = errno;
		close(fd);
		exo_err_prefix("exobpf_obj_get: %s", path);
		errno = err;
		return -err;
	}
	exo_map_put(map);
	return fd;
}

int store_ref_path(uint32_t id, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s/.refs/%u", exobpf_pin_dir(), id);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}
