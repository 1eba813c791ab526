/* Commands on any object: OBJ_PIN, OBJ_GET, OBJ_GET_INFO_BY_FD, and the
 * small ones (ENABLE_STATS, PROG_ATTACH/DETACH/QUERY, PROG_BIND_MAP).
 *
 * Pinning: the pin directory is exobpf's bpffs. Linux pins only inside
 * bpffs (EPERM elsewhere); /sys/fs/bpf/... names the pin directory, so a
 * program written for the usual mount point pins into exobpf's. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "api/kinds.h"
#include "api/uaccess.h"
#include "exobpf/map.h"
#include "maps/map.h"

#ifndef BPF_F_PATH_FD
#define BPF_F_PATH_FD (1U << 14)
#endif

static const char bpffs[] = "/sys/fs/bpf";

/* Drop "." and empty components and apply ".." to the one before (none
 * above the root), in place: the path as the kernel would walk it, short
 * of symbolic links. Without it /sys/fs/bpf/../x would be the pin
 * directory's parent's x, not /sys/fs/x. */
static void normalize(char *abs)
{
	char *out = abs, *in = abs;

	while (*in) {
		char *end;
		size_t n;

		while (*in == '/')
			in++;
		end = in + strcspn(in, "/");
		n = (size_t)(end - in);
		if (n == 2 && in[0] == '.' && in[1] == '.') {
			while (out > abs && *--out != '/')
				;
		} else if (n && !(n == 1 && in[0] == '.')) {
			*out++ = '/';
			memmove(out, in, n);
			out += n;
		}
		in = end;
	}
	if (out == abs)
		*out++ = '/';
	*out = '\0';
}

/* in made absolute (relative to the working directory) and normalised. */
static int absolute(const char *in, char abs[PATH_MAX])
{
	char cwd[PATH_MAX];

	if (in[0] == '/') {
		if (snprintf(abs, PATH_MAX, "%s", in) >= PATH_MAX)
			return -ENAMETOOLONG;
	} else if (!getcwd(cwd, sizeof(cwd)) ||
		   snprintf(abs, PATH_MAX, "%s/%s", cwd, in) >= PATH_MAX) {
		return -ENAMETOOLONG;
	}
	normalize(abs);
	return 0;
}

/* api_bpffs_path of a path already made absolute. */
static int bpffs_abs(const char *abs, char *out, size_t size)
{
	size_t bl = sizeof(bpffs) - 1;

	if (strncmp(abs, bpffs, bl) || (abs[bl] != '/' && abs[bl]))
		return 1;
	if (snprintf(out, size, "%s%s", exobpf_pin_dir(), abs + bl) >= (int)size)
		return -ENAMETOOLONG;
	return 0;
}

int api_bpffs_path(const char *in, char *out, size_t size)
{
	char abs[PATH_MAX];
	int err = absolute(in, abs);

	return err ? err : bpffs_abs(abs, out, size);
}

/* The caller's path as a path in the pin directory, or -EPERM when it is
 * outside (Linux: not on bpffs). */
static int map_path(const char *in, char *out, size_t size)
{
	char abs[PATH_MAX], pin[PATH_MAX];
	size_t pl;
	int err = absolute(in, abs);

	if (err || (err = bpffs_abs(abs, out, size)) <= 0)
		return err;
	if (!realpath(exobpf_pin_dir(), pin))
		return -ENOENT;
	pl = strlen(pin);
	if (strncmp(abs, pin, pl) || (abs[pl] != '/' && abs[pl]))
		return -EPERM;
	snprintf(out, size, "%s", abs);
	return 0;
}

static int get_path(const struct api_attr_obj *a, const char *cmd, char *path, size_t size)
{
	char name[PATH_MAX];
	long n = api_strncpy_from_user(name, a->pathname, sizeof(name));
	int err;

	if (n < 0)
		return exo_err(EFAULT, "%s: pathname at 0x%llx is not readable", cmd,
			       (unsigned long long)a->pathname);
	if (n == 0)
		return exo_err(ENOENT, "%s: pathname is empty", cmd);
	if ((size_t)n >= sizeof(name) - 1)
		return exo_err(ENAMETOOLONG, "%s: pathname is too long", cmd);
	if ((err = map_path(name, path, size)))
		return exo_err(-err, "%s: %s is not in the pin directory %s (exobpf's bpffs)", cmd,
			       name, exobpf_pin_dir());
	return 0;
}

int api_cmd_obj_pin(union api_attr *attr, const struct api_call *c)
{
	struct api_attr_obj *a = &attr->obj;
	char path[PATH_MAX], self[64];
	int kind, err;

	(void)c;
	if (a->file_flags & ~BPF_F_PATH_FD)
		return exo_err(EINVAL, "OBJ_PIN: file_flags 0x%x", a->file_flags);
	if (a->file_flags & BPF_F_PATH_FD)
		return exo_err(EOPNOTSUPP, "OBJ_PIN: BPF_F_PATH_FD is not supported");
	if (a->path_fd)
		return exo_err(EINVAL, "OBJ_PIN: path_fd without BPF_F_PATH_FD");
	kind = api_fd_kind((int)a->bpf_fd);
	if (kind <= API_KIND_NONE) /* Linux: EINVAL for a closed fd too */
		return exo_err(EINVAL, "OBJ_PIN: bpf_fd %u is not a BPF object", a->bpf_fd);
	if ((err = get_path(a, "OBJ_PIN", path, sizeof(path))))
		return err;
	snprintf(self, sizeof(self), "/proc/self/fd/%u", a->bpf_fd);
	if (linkat(AT_FDCWD, self, AT_FDCWD, path, AT_SYMLINK_FOLLOW) < 0) {
		err = errno == EXDEV ? EPERM : errno;
		return exo_err(err, "OBJ_PIN: %s: %s", path, strerror(errno));
	}
	return 0;
}

int api_cmd_obj_get(union api_attr *attr, const struct api_call *c)
{
	struct api_attr_obj *a = &attr->obj;
	uint32_t ff = a->file_flags;
	char path[PATH_MAX];
	int fd, kind, acc, err;
	struct stat st;

	(void)c;
	if (a->bpf_fd || (ff & ~(BPF_F_RDONLY | BPF_F_WRONLY | BPF_F_PATH_FD)))
		return exo_err(EINVAL, "OBJ_GET: bpf_fd must be 0, file_flags 0x%x", ff);
	if (ff & BPF_F_PATH_FD)
		return exo_err(EOPNOTSUPP, "OBJ_GET: BPF_F_PATH_FD is not supported");
	if (a->path_fd)
		return exo_err(EINVAL, "OBJ_GET: path_fd without BPF_F_PATH_FD");
	if ((ff & BPF_F_RDONLY) && (ff & BPF_F_WRONLY))
		return exo_err(EINVAL, "OBJ_GET: BPF_F_RDONLY and BPF_F_WRONLY together");
	acc = ff & BPF_F_RDONLY ? O_RDONLY : ff & BPF_F_WRONLY ? O_WRONLY : O_RDWR;
	if ((err = get_path(a, "OBJ_GET", path, sizeof(path))))
		return err == -EPERM ? exo_err(ENOENT, "%s", exobpf_errmsg()) : err;
	if (stat(path, &st) < 0)
		return exo_err(errno, "OBJ_GET: %s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return exo_err(EACCES, "OBJ_GET: %s is not a pinned object", path);
	if ((fd = open(path, acc | O_CLOEXEC)) < 0)
		return exo_err(errno, "OBJ_GET: %s: %s", path, strerror(errno));
	kind = api_fd_kind(fd);
	if (kind == API_KIND_NONE || kind < 0) {
		close(fd);
		return exo_err(EACCES, "OBJ_GET: %s is not a pinned object", path);
	}
	if (kind != API_KIND_MAP) {
		struct api_obj *o = api_obj_get(fd, (enum api_kind)kind, "OBJ_GET");

		if (!o) {
			err = -errno;
			close(fd);
			return err;
		}
		api_obj_put(o);
	}
	return fd;
}

int api_cmd_obj_info(union api_attr *attr, const struct api_call *c)
{
	int fd = (int)attr->info.bpf_fd, kind = api_fd_kind(fd), err;
	struct api_obj *o;

	if (kind == -EBADF) /* Linux answers EBADFD here, not EBADF */
		return exo_err(EBADFD, "OBJ_GET_INFO_BY_FD: bpf_fd %d is not an open fd", fd);
	if (kind == API_KIND_MAP)
		return api_map_info(fd, attr, c);
	if (kind == API_KIND_NONE)
		return exo_err(EINVAL, "OBJ_GET_INFO_BY_FD: bpf_fd %d is not a BPF object", fd);
	if (!(o = api_obj_get(fd, API_KIND_NONE, "OBJ_GET_INFO_BY_FD")))
		return -errno;
	err = o->kind == API_KIND_PROG	? api_prog_info(o, attr, c)
	      : o->kind == API_KIND_BTF ? api_btf_info(o, attr, c)
					: api_link_info(o, attr, c);
	api_obj_put(o);
	return err;
}

/* ---- ids (programs, BTF objects, links; maps have their own) ---- */

int api_next_id_cmd(enum api_kind kind, union api_attr *attr, const struct api_call *c)
{
	uint32_t next;

	if (api_obj_next_id(kind, attr->id.start_id, &next))
		return exo_err(ENOENT, "%s: nothing after id %u", c->name, attr->id.start_id);
	if (API_PUT(c, id.next_id, next))
		return exo_err(EFAULT, "%s: the attribute is not writable", c->name);
	return 0;
}

int api_fd_by_id_cmd(enum api_kind kind, union api_attr *attr, const struct api_call *c)
{
	int fd;

	if (attr->id.open_flags)
		return exo_err(EINVAL, "%s: open_flags must be 0", c->name);
	fd = api_obj_fd_by_id(kind, attr->id.start_id, O_RDWR);
	if (fd == -ENOENT)
		return exo_err(ENOENT, "%s: no object with id %u", c->name, attr->id.start_id);
	return fd;
}

/* ---- statistics ---- */

static int stats_fd = -1;
static ino_t stats_ino;

int api_cmd_enable_stats(union api_attr *attr, const struct api_call *c)
{
	struct stat st;
	int fd;

	(void)c;
	if (attr->enable_stats.type != BPF_STATS_RUN_TIME)
		return exo_err(EINVAL, "ENABLE_STATS: type %u is not BPF_STATS_RUN_TIME",
			       attr->enable_stats.type);
	if ((fd = memfd_create("bpf-stats", MFD_CLOEXEC)) < 0)
		return exo_err(errno, "ENABLE_STATS: %s", strerror(errno));
	fstat(fd, &st);
	__atomic_store_n(&stats_ino, st.st_ino, __ATOMIC_RELAXED);
	__atomic_store_n(&stats_fd, fd, __ATOMIC_RELEASE);
	return fd;
}

bool api_fd_names(int fd, const char *prefix)
{
	char path[64], target[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return false;
	target[n] = '\0';
	return !strncmp(target, prefix, strlen(prefix));
}

bool api_is_stats_fd(int fd)
{
	return api_fd_names(fd, "/memfd:bpf-stats");
}

bool api_stats_enabled(void)
{
	int fd = __atomic_load_n(&stats_fd, __ATOMIC_ACQUIRE);
	struct stat st;

	return fd >= 0 && fstat(fd, &st) == 0 && st.st_ino == stats_ino;
}

/* ---- attach points ---- */

/* Linux's attach_type_to_prog_type for the attach types exobpf knows. */
static int attach_prog_type(uint32_t at)
{
	switch (at) {
	case BPF_CGROUP_INET_INGRESS:
	case BPF_CGROUP_INET_EGRESS:
		return BPF_PROG_TYPE_CGROUP_SKB;
	case BPF_CGROUP_INET_SOCK_CREATE:
	case BPF_CGROUP_INET_SOCK_RELEASE:
	case BPF_CGROUP_INET4_POST_BIND:
	case BPF_CGROUP_INET6_POST_BIND:
		return BPF_PROG_TYPE_CGROUP_SOCK;
	case BPF_CGROUP_SOCK_OPS:
		return BPF_PROG_TYPE_SOCK_OPS;
	case BPF_CGROUP_DEVICE:
		return BPF_PROG_TYPE_CGROUP_DEVICE;
	case BPF_SK_MSG_VERDICT:
		return BPF_PROG_TYPE_SK_MSG;
	case BPF_SK_SKB_STREAM_PARSER:
	case BPF_SK_SKB_STREAM_VERDICT:
	case BPF_SK_SKB_VERDICT:
		return BPF_PROG_TYPE_SK_SKB;
	case BPF_LIRC_MODE2:
		return BPF_PROG_TYPE_LIRC_MODE2;
	case BPF_FLOW_DISSECTOR:
		return BPF_PROG_TYPE_FLOW_DISSECTOR;
	case BPF_CGROUP_SYSCTL:
		return BPF_PROG_TYPE_CGROUP_SYSCTL;
	case BPF_CGROUP_GETSOCKOPT:
	case BPF_CGROUP_SETSOCKOPT:
		return BPF_PROG_TYPE_CGROUP_SOCKOPT;
	case BPF_TRACE_ITER:
	case BPF_TRACE_RAW_TP:
	case BPF_TRACE_FENTRY:
	case BPF_TRACE_FEXIT:
	case BPF_MODIFY_RETURN:
		return BPF_PROG_TYPE_TRACING;
	case BPF_LSM_MAC:
		return BPF_PROG_TYPE_LSM;
	case BPF_SK_LOOKUP:
		return BPF_PROG_TYPE_SK_LOOKUP;
	case BPF_XDP:
		return BPF_PROG_TYPE_XDP;
	case BPF_CGROUP_INET4_BIND:
	case BPF_CGROUP_INET6_BIND:
	case BPF_CGROUP_INET4_CONNECT:
	case BPF_CGROUP_INET6_CONNECT:
	case BPF_CGROUP_UDP4_SENDMSG:
	case BPF_CGROUP_UDP6_SENDMSG:
	case BPF_CGROUP_UDP4_RECVMSG:
	case BPF_CGROUP_UDP6_RECVMSG:
	case BPF_CGROUP_INET4_GETPEERNAME:
	case BPF_CGROUP_INET6_GETPEERNAME:
	case BPF_CGROUP_INET4_GETSOCKNAME:
	case BPF_CGROUP_INET6_GETSOCKNAME:
		return BPF_PROG_TYPE_CGROUP_SOCK_ADDR;
	default:
		return -1;
	}
}

#define ATTACH_FLAGS_MASK (BPF_F_ALLOW_OVERRIDE | BPF_F_ALLOW_MULTI | BPF_F_REPLACE)

static int attach_common(union api_attr *attr, const char *cmd, bool need_prog)
{
	struct api_attr_attach *a = &attr->attach;
	int pt = attach_prog_type(a->attach_type);
	struct api_obj *o;

	if (a->attach_flags &
	    ~(uint32_t)(ATTACH_FLAGS_MASK | (1u << 3) | (1u << 4) | (1u << 5) | (1u << 6)))
		return exo_err(EINVAL, "%s: attach_flags 0x%x has unknown bits", cmd,
			       a->attach_flags);
	if (pt < 0)
		return exo_err(EINVAL, "%s: attach_type %u is unknown", cmd, a->attach_type);
	if (need_prog || a->attach_bpf_fd) {
		if (!(o = api_obj_get((int)a->attach_bpf_fd, API_KIND_PROG, cmd)))
			return -errno;
		if (api_prog_of(o) && (int)((struct api_prog_rec *)api_obj_rec(o))->type != pt) {
			api_obj_put(o);
			return exo_err(EINVAL, "%s: the program's type does not attach to %u", cmd,
				       a->attach_type);
		}
		api_obj_put(o);
	}
	if (fcntl((int)a->target_fd, F_GETFD) < 0)
		return exo_err(EBADF, "%s: target_fd %u is not an open fd", cmd, a->target_fd);
	return exo_err(EOPNOTSUPP, "%s: exobpf has no attach point for attach_type %u", cmd,
		       a->attach_type);
}

int api_cmd_prog_attach(union api_attr *attr, const struct api_call *c)
{
	(void)c;
	return attach_common(attr, "PROG_ATTACH", true);
}

int api_cmd_prog_detach(union api_attr *attr, const struct api_call *c)
{
	(void)c;
	return attach_common(attr, "PROG_DETACH", false);
}

int api_cmd_prog_query(union api_attr *attr, const struct api_call *c)
{
	(void)c;
	if (attr->query.query_flags & ~(uint32_t)BPF_F_QUERY_EFFECTIVE)
		return exo_err(EINVAL, "PROG_QUERY: query_flags 0x%x", attr->query.query_flags);
	if (attach_prog_type(attr->query.attach_type) < 0)
		return exo_err(EINVAL, "PROG_QUERY: attach_type %u is unknown",
			       attr->query.attach_type);
	if (fcntl((int)attr->query.target_fd, F_GETFD) < 0)
		return exo_err(EBADF, "PROG_QUERY: target_fd %u is not an open fd",
			       attr->query.target_fd);
	return exo_err(EOPNOTSUPP, "PROG_QUERY: exobpf has no attach point for attach_type %u",
		       attr->query.attach_type);
}

int api_cmd_prog_bind_map(union api_attr *attr, const struct api_call *c)
{
	struct api_attr_bind_map *a = &attr->bind_map;
	struct api_obj *o;
	int kind;

	(void)c;
	if (a->flags)
		return exo_err(EINVAL, "PROG_BIND_MAP: flags must be 0");
	if (!(o = api_obj_get((int)a->prog_fd, API_KIND_PROG, "PROG_BIND_MAP: prog_fd")))
		return -errno;
	kind = api_fd_kind((int)a->map_fd);
	if (kind != API_KIND_MAP) {
		api_obj_put(o);
		return exo_err(kind == -EBADF ? EBADF : EINVAL,
			       "PROG_BIND_MAP: map_fd %u is not a map", a->map_fd);
	}
	{
		struct exo_map *m = exo_map_get((int)a->map_fd);

		if (m) {
			api_hold(o->id, (int)a->map_fd, exo_map_id(m));
			exo_map_put(m);
		}
	}
	api_obj_put(o);
	return 0;
}
