/* Links: the link file kind, LINK_CREATE's checks, LINK_DETACH, ids, info.
 * exobpf's attach points (packet sources, tracers) belong to the hooks; a
 * hook that attaches a program makes its link with api_link_create. Until
 * one does, LINK_CREATE answers what Linux answers for a target it cannot
 * attach to. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "api/kinds.h"

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
	int kind;

	(void)c;
	kind = api_fd_kind((int)a->prog_fd);
	if (kind == -EBADF)
		return exo_err(EBADF, "LINK_CREATE: prog_fd %u is not an open fd", a->prog_fd);
	if (!(o = api_obj_get((int)a->prog_fd, API_KIND_PROG, "LINK_CREATE: prog_fd")))
		return -errno;
	api_obj_put(o);
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
	__atomic_store_n(&rec(o)->detached, 1, __ATOMIC_RELEASE);
	api_obj_put(o);
	return 0;
}

int api_link_info(struct api_obj *o, union api_attr *attr, const struct api_call *c)
{
	const struct api_link_rec *r = rec(o);
	struct bpf_link_info info;
	uint32_t len;
	int err;

	if ((err = api_info_in(attr->info.info, attr->info.info_len, &info, sizeof(info),
			       sizeof(info), &len)))
		return err;
	memset(&info, 0, sizeof(info));
	info.type = r->type;
	info.id = o->id;
	info.prog_id = __atomic_load_n(&r->detached, __ATOMIC_ACQUIRE) ? 0 : r->prog_id;
	return api_info_out(c, attr->info.info, &info, len);
}

int api_cmd_link_next_id(union api_attr *attr, const struct api_call *c)
{
	return api_next_id_cmd(API_KIND_LINK, attr, c);
}

int api_cmd_link_fd_by_id(union api_attr *attr, const struct api_call *c)
{
	return api_fd_by_id_cmd(API_KIND_LINK, attr, c);
}
