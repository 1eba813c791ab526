/* Links: the link file kind, LINK_CREATE's checks, LINK_DETACH, ids, info.
 * exobpf's attach points (packet sources, tracers) belong to the hooks; a
 * hook that attaches a program makes its link with api_link_create. Until
 * one does, LINK_CREATE answers what Linux answers for a target it cannot
 * attach to. */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <linux/if_link.h>
#include <string.h>

#include "api/kinds.h"
#include "api/perf_event.h"

static struct api_link_rec *rec(const struct api_obj *o)
{
	return api_obj_rec(o);
}

static int link_open(struct api_obj *o)
{
	(void)o;
	return 0;
}

static void link_release(struct api_obj *o)
{
	(void)o;
}

const struct api_kind_ops api_link_ops = {"link", link_open, link_release};

int api_cmd_link_create(union api_attr *attr, const struct api_call *c)
{
	struct api_attr_link_create *a = &attr->link_create;
	struct api_obj *o;
	char ifname[IF_NAMESIZE];
	uint32_t type;
	int kind;

	(void)c;
	kind = api_fd_kind((int)a->prog_fd);
	if (kind == -EBADF)
		return exo_err(EBADF, "LINK_CREATE: prog_fd %u is not an open fd", a->prog_fd);
	if (!(o = api_obj_get((int)a->prog_fd, API_KIND_PROG, "LINK_CREATE: prog_fd")))
		return -errno;
	type = ((const struct api_prog_rec *)api_obj_rec(o))->type;
	/* Linux's link_create: these types always make perf event links,
	 * kprobe programs when asked for BPF_PERF_EVENT */
	if (type == BPF_PROG_TYPE_TRACEPOINT || type == BPF_PROG_TYPE_PERF_EVENT ||
	    (type == BPF_PROG_TYPE_KPROBE && a->attach_type == BPF_PERF_EVENT)) {
		int fd = api_perf_link_create(o, a);

		api_obj_put(o);
		return fd;
	}
	api_obj_put(o);
	/* An XDP link Linux would make: the interface's packets are the
	 * kernel's, which a program in user space can neither drop nor change.
	 * Linux's own refusals (no such interface, bad flags) stay EINVAL. */
	if (type == BPF_PROG_TYPE_XDP && a->attach_type == BPF_XDP &&
	    !(a->flags & ~(uint32_t)XDP_FLAGS_MODES) && if_indextoname(a->target_fd, ifname))
		return exo_err(EOPNOTSUPP,
			       "LINK_CREATE: XDP on %s (ifindex %u): the kernel's packets cannot "
			       "pass through a program in user space; run it on the interface with "
			       "`exobpf xdp OBJ --dev %s`",
			       ifname, a->target_fd, ifname);
	return exo_err(EINVAL,
		       "LINK_CREATE: exobpf has no target for attach_type %u of this program "
		       "(programs attach to exobpf's hooks: see `exobpf` hook commands)",
		       a->attach_type);
}

int api_cmd_link_update(union api_attr *attr, const struct api_call *c)
{
	struct api_obj *o;
	uint32_t id;

	(void)c;
	if (attr->link_update.flags & ~(uint32_t)BPF_F_REPLACE)
		return exo_err(EINVAL, "LINK_UPDATE: flags 0x%x has unknown bits",
			       attr->link_update.flags);
	if (!(o = api_obj_get((int)attr->link_update.link_fd, API_KIND_LINK,
			      "LINK_UPDATE: link_fd")))
		return -errno;
	id = o->id;
	api_obj_put(o);
	return exo_err(EOPNOTSUPP, "LINK_UPDATE: link %u cannot change its program", id);
}

int api_cmd_link_detach(union api_attr *attr, const struct api_call *c)
{
	struct api_obj *o;

	(void)c;
	if (!(o = api_obj_get((int)attr->link_detach.link_fd, API_KIND_LINK,
			      "LINK_DETACH: link_fd")))
		return -errno;
	/* Linux's perf event links have no detach: they end with their last
	 * fd (checked against the kernel) */
	if (rec(o)->type == BPF_LINK_TYPE_PERF_EVENT) {
		uint32_t id = o->id;

		api_obj_put(o);
		return exo_err(EOPNOTSUPP,
			       "LINK_DETACH: link %u is a perf event link; closing its "
			       "last fd detaches it",
			       id);
	}
	__atomic_store_n(&rec(o)->detached, 1, __ATOMIC_RELEASE);
	api_obj_put(o);
	return 0;
}

/* Linux 6.18's struct bpf_link_info: 64 bytes (the perf_event member is
 * the longest of its union); the system's header may be older. */
#define LINK_INFO_SIZE 64

int api_link_info(struct api_obj *o, union api_attr *attr, const struct api_call *c)
{
	const struct api_link_rec *r = rec(o);
	uint64_t buf[LINK_INFO_SIZE / 8];
	struct bpf_link_info head;
	uint8_t *info = (uint8_t *)buf;
	uint32_t len;
	int err, perr;

	if ((err = api_info_in(attr->info.info, attr->info.info_len, info, LINK_INFO_SIZE,
			       LINK_INFO_SIZE, &len)))
		return err;
	/* Linux keeps what the caller wrote and sets the fields it knows */
	memcpy(&head, info, 16);
	head.type = r->type;
	head.id = o->id;
	head.prog_id = __atomic_load_n(&r->detached, __ATOMIC_ACQUIRE) ? 0 : r->prog_id;
	perr = r->type == BPF_LINK_TYPE_PERF_EVENT ? api_perf_link_info(o, info, len) : 0;
	memcpy(info, &head, 16);
	if (perr) /* Linux copies nothing back when filling failed (ENOSPC too) */
		return perr;
	return api_info_out(c, attr->info.info, info, len);
}

int api_cmd_link_next_id(union api_attr *attr, const struct api_call *c)
{
	return api_next_id_cmd(API_KIND_LINK, attr, c);
}

int api_cmd_link_fd_by_id(union api_attr *attr, const struct api_call *c)
{
	return api_fd_by_id_cmd(API_KIND_LINK, attr, c);
}
