/* BTF objects: BTF_LOAD, their files (the raw BTF after page 0), info and
 * ids. Any process that opens one parses the same bytes. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <linux/btf.h>

#include "api/btf_log.h"
#include "api/kinds.h"
#include "api/uaccess.h"
#include "exobpf/btf.h"
#include "maps/map.h"

#define BTF_MAX_SIZE (16u << 20) /* Linux's BTF_MAX_SIZE */

struct exobpf_btf *api_btf_of(struct api_obj *o)
{
	return o->priv;
}

static const struct api_btf_rec *rec(const struct api_obj *o)
{
	return api_obj_rec(o);
}

static int btf_open(struct api_obj *o)
{
	const struct api_btf_rec *r = rec(o);

	if (r->data_off != API_PAGE || r->data_off + (uint64_t)r->data_size > o->size)
		return exo_err(EINVAL, "BTF object %u: its file is inconsistent", o->id);
	if (!(o->priv = exobpf_btf__new(o->base + r->data_off, r->data_size)))
		return -errno;
	return 0;
}

static void btf_release(struct api_obj *o)
{
	exobpf_btf__free(o->priv);
	o->priv = NULL;
}

const struct api_kind_ops api_btf_ops = {"BTF object", btf_open, btf_release};

struct fill_arg {
	const void *data;
	uint32_t size;
};

static int fill_btf(uint8_t *base, uint32_t id, void *arg)
{
	const struct fill_arg *a = arg;
	struct api_btf_rec *r = (struct api_btf_rec *)(base + API_REC_OFF);

	(void)id;
	r->data_size = a->size;
	r->data_off = API_PAGE;
	memcpy(base + API_PAGE, a->data, a->size);
	return 0;
}

/* Linux's btf_parse_hdr: the log's header lines (into out) and its verdict
 * on the header, with Linux's message in *why. 0 when parsing goes on
 * (*hout then has the header). */
static int linux_header(const uint8_t *d, uint32_t size, char *out, size_t outsz, const char **why,
			struct btf_header *hout)
{
	struct btf_header h;

	*out = '\0';
	if (size < offsetof(struct btf_header, hdr_len) + 4)
		return *why = "hdr_len not found", -EINVAL;
	memset(&h, 0, sizeof(h));
	memcpy(&h, d, offsetof(struct btf_header, hdr_len) + 4);
	if (size < h.hdr_len)
		return *why = "btf_header not found", -EINVAL;
	for (uint32_t i = sizeof(h); i < h.hdr_len; i++)
		if (d[i])
			return *why = "Unsupported btf_header", -E2BIG;
	memcpy(&h, d, h.hdr_len < sizeof(h) ? h.hdr_len : sizeof(h));
	snprintf(out, outsz,
		 "magic: 0x%x\nversion: %u\nflags: 0x%x\nhdr_len: %u\ntype_off: %u\n"
		 "type_len: %u\nstr_off: %u\nstr_len: %u\nbtf_total_size: %u\n",
		 h.magic, h.version, h.flags, h.hdr_len, h.type_off, h.type_len, h.str_off,
		 h.str_len, size);
	if (h.magic != BTF_MAGIC)
		return *why = "Invalid magic", -EINVAL;
	if (h.version != BTF_VERSION)
		return *why = "Unsupported version", -API_ENOTSUPP;
	if (h.flags)
		return *why = "Unsupported flags", -API_ENOTSUPP;
	if (size == h.hdr_len)
		return *why = "No data", -EINVAL;
	*hout = h;
	return 0;
}

/* The last line of text, without its newline, into out. */
static void last_line(const char *text, char *out, size_t size)
{
	size_t n;
	const char *start;

	if (!text) {
		snprintf(out, size, "%s", "refused (out of memory for the log)");
		return;
	}
	n = strlen(text);
	if (n && text[n - 1] == '\n')
		n--;
	start = text + n;
	while (start > text && start[-1] != '\n')
		start--;
	snprintf(out, size, "%.*s", (int)(text + n - start), start);
}

int api_cmd_btf_load(union api_attr *attr, const struct api_call *c)
{
	struct api_attr_btf_load *a = &attr->btf_load;
	struct api_log log = {a->btf_log_buf, a->btf_log_size, a->btf_log_level};
	struct exobpf_btf *btf = NULL;
	uint32_t true_size = 0;
	char head[512], why[512] = "";
	const char *hwhy = NULL;
	char *types = NULL;
	struct btf_header hdr;
	bool linux_known = false;
	void *data;
	int err, lerr, fd;

	if (a->btf_flags & ~(1u << 16) /* BPF_F_TOKEN_FD */)
		return exo_err(EINVAL, "BTF_LOAD: btf_flags 0x%x has unknown bits", a->btf_flags);
	if (a->btf_size > BTF_MAX_SIZE)
		return exo_err(E2BIG, "BTF_LOAD: btf_size %u is above %u", a->btf_size,
			       BTF_MAX_SIZE);
	if ((err = api_log_check(&log, "BTF_LOAD")))
		return err;
	if (!(data = api_memdup_user(a->btf, a->btf_size, &err)))
		return exo_err(EFAULT, "BTF_LOAD: btf at 0x%llx is not readable",
			       (unsigned long long)a->btf);
	/* the header as Linux checks and logs it; then the types as Linux
	 * logs them, refused where Linux's checks that btf_log.c knows refuse
	 * them; then exobpf's parser, whose message ends the log where it
	 * refuses what those checks passed */
	err = linux_header(data, a->btf_size, head, sizeof(head), &hwhy, &hdr);
	if (!err && (err = api_btf_log_check(data, a->btf_size, &hdr, &types)))
		linux_known = true; /* refused as Linux refuses it, with its errno */
	else if (!err && !(btf = exobpf_btf__new(data, a->btf_size)))
		err = -EINVAL;
	if (linux_known) /* Linux's message: the log's last line */
		last_line(types, why, sizeof(why));
	else if (err)
		snprintf(why, sizeof(why), "%s", hwhy ? hwhy : exobpf_errmsg());
	if (log.level) {
		/* Linux's own messages end as Linux ends them (in types, or the
		 * header's without a newline); exobpf's get a newline */
		const char *tail = hwhy ? hwhy : linux_known ? "" : why;
		char *text = malloc(strlen(head) + (types ? strlen(types) : 0) + strlen(tail) + 2);

		if (text) {
			sprintf(text, "%s%s%s%s", head, types ? types : "", tail,
				*tail && !hwhy ? "\n" : "");
			lerr = api_log_finish(&log, text, strlen(text), &true_size);
			if (lerr && (!err || lerr == -EFAULT))
				err = lerr;
			free(text);
		}
	}
	free(types);
	if (c->size >= API_ATTR_END(btf_load.btf_log_true_size) &&
	    API_PUT(c, btf_load.btf_log_true_size, true_size))
		err = -EFAULT;
	if (err) {
		if (err == -ENOSPC || err == -EFAULT)
			exo_err(-err, "BTF_LOAD: %s",
				err == -ENOSPC ? "the log did not fit in btf_log_size"
					       : "the log or the attribute is not writable");
		else
			exo_err(-err, "BTF_LOAD: %s", why);
		exobpf_btf__free(btf);
		free(data);
		return err;
	}
	fd = api_obj_create(API_KIND_BTF, API_PAGE + a->btf_size, fill_btf,
			    &(struct fill_arg){data, a->btf_size}, btf, NULL);
	free(data);
	return fd;
}

int api_btf_info(struct api_obj *o, union api_attr *attr, const struct api_call *c)
{
	const struct api_btf_rec *r = rec(o);
	struct bpf_btf_info info;
	uint64_t uinfo = attr->info.info;
	uint32_t len, copy;
	int err = 0;

	if ((err =
		 api_info_in(uinfo, attr->info.info_len, &info, sizeof(info), sizeof(info), &len)))
		return err;
	info.id = o->id;
	copy = info.btf_size < r->data_size ? info.btf_size : r->data_size;
	if (api_copy_to_user(info.btf, o->base + r->data_off, copy))
		return exo_err(EFAULT, "OBJ_GET_INFO_BY_FD: btf buffer is not writable");
	info.btf_size = r->data_size;
	info.kernel_btf = 0;
	if (!info.name != !info.name_len)
		return exo_err(EINVAL, "OBJ_GET_INFO_BY_FD: name and name_len go together");
	/* BTF loaded by user space has no name: "" */
	if (info.name && api_copy_to_user(info.name, "", 1))
		return exo_err(EFAULT, "OBJ_GET_INFO_BY_FD: name buffer is not writable");
	info.name_len = 0;
	return api_info_out(c, uinfo, &info, len);
}

int api_cmd_btf_next_id(union api_attr *attr, const struct api_call *c)
{
	return api_next_id_cmd(API_KIND_BTF, attr, c);
}

int api_cmd_btf_fd_by_id(union api_attr *attr, const struct api_call *c)
{
	return api_fd_by_id_cmd(API_KIND_BTF, attr, c);
}

/* Where the value type (a struct, through typedefs and modifiers) has a
 * struct bpf_spin_lock member, as Linux's btf_find_spin_lock. */
void api_btf_spin_lock(const struct exobpf_btf *b, uint32_t type_id, struct exo_map_ext *ext)
{
	const struct btf_type *t = exobpf_btf__type_by_id(b, type_id);

	for (int hops = 0; t && hops < 32; hops++) {
		uint32_t k = BTF_INFO_KIND(t->info);

		if (k != BTF_KIND_TYPEDEF && k != BTF_KIND_CONST && k != BTF_KIND_VOLATILE &&
		    k != BTF_KIND_RESTRICT && k != BTF_KIND_TYPE_TAG)
			break;
		t = exobpf_btf__type_by_id(b, t->type);
	}
	if (!t || BTF_INFO_KIND(t->info) != BTF_KIND_STRUCT)
		return;
	const struct btf_member *m = (const struct btf_member *)(t + 1);
	for (uint32_t i = 0; i < BTF_INFO_VLEN(t->info); i++) {
		const struct btf_type *mt = exobpf_btf__type_by_id(b, m[i].type);
		const char *name = mt ? exobpf_btf__name_by_offset(b, mt->name_off) : NULL;

		if (mt && BTF_INFO_KIND(mt->info) == BTF_KIND_STRUCT && name &&
		    !strcmp(name, "bpf_spin_lock")) {
			ext->has_spin_lock = true;
			ext->spin_lock_off =
			    (BTF_INFO_KFLAG(t->info) ? BTF_MEMBER_BIT_OFFSET(m[i].offset)
						     : m[i].offset) /
			    8;
			return;
		}
	}
}
