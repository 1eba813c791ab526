/* mmap() of map fds at Linux's offsets. A map's file starts with exobpf's
 * header page, so Linux's offset 0 is one page into the file; a ring
 * buffer's data appears twice after its producer page, which is one mapping
 * per piece here (a file has the data once). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/mman.h>
#include <unistd.h>

#include "api/kinds.h"
#include "api/perf_event.h"
#include "exobpf/bpf.h"
#include "maps/internal.h"

EXOBPF_API int exobpf_fd_is_object(int fd)
{
	int k = api_fd_kind(fd);

	return k > 0;
}

/* Linux's offset x of a ring buffer as an offset in its file. */
static uint64_t ring_file_off(uint64_t x, uint64_t size, uint64_t *chunk)
{
	if (x < 2 * MAP_PAGE) {
		*chunk = 2 * MAP_PAGE - x;
		return MAP_PAGE + x;
	}
	x -= 2 * MAP_PAGE;
	*chunk = size - x % size;
	return 3 * MAP_PAGE + x % size;
}

static void *map_ring(struct exo_map *m, void *addr, size_t len, int prot, int flags, off_t off)
{
	uint64_t size = m->max_entries, total = 2 * MAP_PAGE + 2 * size, done = 0;
	uint8_t *area;

	if ((uint64_t)off + len > total) {
		errno = EINVAL;
		return MAP_FAILED;
	}
	if ((prot & PROT_WRITE) && (off != 0 || len != MAP_PAGE)) {
		errno = EPERM; /* only the consumer page is writable */
		return MAP_FAILED;
	}
	area = mmap(addr, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | (flags & MAP_FIXED), -1, 0);
	if (area == MAP_FAILED)
		return MAP_FAILED;
	while (done < len) {
		uint64_t chunk, f = ring_file_off((uint64_t)off + done, size, &chunk);

		if (chunk > len - done)
			chunk = len - done;
		if (mmap(area + done, chunk, prot, MAP_SHARED | MAP_FIXED, m->fd, (off_t)f) ==
		    MAP_FAILED) {
			int err = errno;
			munmap(area, len);
			errno = err;
			return MAP_FAILED;
		}
		done += chunk;
	}
	return area;
}

EXOBPF_API void *exobpf_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	struct exo_map *m;
	void *p = MAP_FAILED;
	int err = 0;
	int kind;

	/* a BPF output perf event becomes its ring at its first mmap */
	if ((err = api_perf_output_ring(fd, len)) < 0) {
		errno = -err;
		return MAP_FAILED;
	}
	err = 0;
	kind = api_fd_kind(fd);
	if ((kind > 0 && kind != API_KIND_MAP) || (kind == API_KIND_NONE && api_is_stats_fd(fd))) {
		errno = ENODEV; /* programs, BTF, links and stats fds have no mmap in Linux */
		return MAP_FAILED;
	}
	if (kind != API_KIND_MAP)
		return mmap(addr, len, prot, flags, fd, off);
	if (!(m = exo_map_get(fd)))
		return MAP_FAILED;
	if (off < 0 || off % MAP_PAGE || !len)
		err = EINVAL;
	else if (!(flags & MAP_SHARED))
		err = EINVAL;
	else if (m->type == BPF_MAP_TYPE_RINGBUF || m->type == BPF_MAP_TYPE_USER_RINGBUF)
		p = map_ring(m, addr, len, prot, flags, off), err = p == MAP_FAILED ? errno : 0;
	else if (m->type == EXO_MAP_TYPE_PERF_RING) /* Linux's layout: control page, data */
		p = off || len != MAP_PAGE + m->max_entries
			? (err = EINVAL, MAP_FAILED)
			: mmap(addr, len, prot, flags, m->fd, (off_t)MAP_PAGE);
	else if (m->type != BPF_MAP_TYPE_ARRAY || m->spin_lock_off >= 0)
		err = API_ENOTSUPP;
	else if (!(m->flags & BPF_F_MMAPABLE))
		err = EINVAL;
	else if ((prot & PROT_WRITE) && __atomic_load_n(&m->hdr->frozen, __ATOMIC_ACQUIRE))
		err = EPERM;
	else if ((uint64_t)off + len > map_page_round((uint64_t)m->max_entries * m->value_stride))
		err = EINVAL;
	else
		p = mmap(addr, len, prot, flags, m->fd,
			 (off_t)(exo_map_value_area_offset(m) + (uint64_t)off));
	if (p == MAP_FAILED && !err)
		err = errno;
	exo_map_put(m);
	if (err) {
		errno = err;
		return MAP_FAILED;
	}
	return p;
}

EXOBPF_API int exobpf_munmap(void *addr, size_t len)
{
	return munmap(addr, len);
}

int api_map_wake_fd(int fd)
{
	struct exo_map *m = exo_map_get(fd);
	int wfd = -1;

	if (!m)
		return -1;
	if (m->type == BPF_MAP_TYPE_RINGBUF || m->type == EXO_MAP_TYPE_PERF_RING)
		wfd = notify_reader(m);
	exo_map_put(m);
	return wfd;
}

void api_drain(int fd)
{
	notify_drain(fd);
}

/* Does pid map file (dev, ino) shared and writable past offset 0? */
static bool pid_maps_writable(const char *pid, dev_t dev, ino_t ino)
{
	char path[64], line[512];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%s/maps", pid);
	if (!(f = fopen(path, "re")))
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		unsigned long long pgoff, inode;
		unsigned int maj, min;
		char perms[8];

		if (sscanf(line, "%*x-%*x %7s %llx %x:%x %llu", perms, &pgoff, &maj, &min,
			   &inode) == 5)
			found = perms[1] == 'w' && perms[3] == 's' && pgoff && inode == ino &&
				makedev(maj, min) == dev;
	}
	fclose(f);
	return found;
}

/* Linux's bpf_map_write_active: is any writable mmap of the map's values
 * alive? Mappings are not counted (a process that ends without munmap
 * would leave a count behind); they are found in every process's
 * /proc/PID/maps: shared, writable, of the map's file, past offset 0
 * (exobpf's own view of a map maps the whole file from 0; user mmaps
 * start at the values). */
bool api_map_mapped_writable(int map_fd)
{
	struct stat st;
	struct dirent *d;
	bool found;
	DIR *dir;

	if (fstat(map_fd, &st))
		return false;
	found = pid_maps_writable("self", st.st_dev, st.st_ino);
	if (found || !(dir = opendir("/proc")))
		return found;
	while (!found && (d = readdir(dir)))
		if (d->d_name[0] >= '1' && d->d_name[0] <= '9' && atoi(d->d_name) != getpid())
			found = pid_maps_writable(d->d_name, st.st_dev, st.st_ino);
	closedir(dir);
	return found;
}
