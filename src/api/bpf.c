/* exobpf_bpf: Linux's __sys_bpf in user space. The attribute is checked and
 * copied as the kernel does it (size above a page or non-zero bytes past
 * the attribute it knows: E2BIG; unreadable: EFAULT), then the command table
 * (commands.def) checks that nothing follows the command's last field
 * (EINVAL) and calls its handler. */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "api/api.h"
#include "api/kinds.h"
#include "api/uaccess.h"
#include "exobpf/bpf.h"

struct api_cmd {
	const char *name;
	size_t last; /* end of the command's last field */
	int (*fn)(union api_attr *attr, const struct api_call *c);
};

_Static_assert(sizeof(union bpf_attr) <= API_ATTR_SIZE, "the system's bpf_attr fits ours");

static const struct api_cmd cmds[] = {
#define API_CMD(num, nm, end, handler) [num] = {nm, end, handler},
#include "api/commands.def"
#undef API_CMD
};

int api_put(const struct api_call *c, size_t off, const void *v, size_t len)
{
	return api_copy_to_user(c->uattr + off, v, len);
}

/* Once per process: the prog-array resolver, and the holds of objects whose
 * processes have gone (nothing else removes them). */
static void api_init(void)
{
	api_prog_init();
	api_gc_holds();
}

int api_cmd_unsupported(union api_attr *attr, const struct api_call *c)
{
	(void)attr;
	return exo_err(EOPNOTSUPP, "%s: exobpf does not implement this command", c->name);
}

int api_obj_name(const char *in, char out[16], const char *what)
{
	size_t i;

	memset(out, 0, 16);
	for (i = 0; i < 16 && in[i]; i++) {
		unsigned char ch = (unsigned char)in[i];

		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
		      (ch >= 'A' && ch <= 'Z') || ch == '_' || ch == '.'))
			return exo_err(
			    EINVAL, "%s: character 0x%02x at %zu is not alphanumeric, '_' or '.'",
			    what, ch, i);
		out[i] = (char)ch;
	}
	if (i == 16)
		return exo_err(EINVAL, "%s: not NUL-terminated within 16 bytes", what);
	return 0;
}

/* Bytes past what we know must be zero (Linux's bpf_check_uarg_tail_zero). */
static int tail_zero(uint64_t uattr, unsigned int size)
{
	unsigned char buf[256];

	if (size > 4096)
		return exo_err(E2BIG, "bpf: attribute size %u is larger than a page", size);
	for (unsigned int off = API_ATTR_SIZE; off < size;) {
		unsigned int n = size - off < sizeof(buf) ? size - off : sizeof(buf);

		if (api_copy_from_user(buf, uattr + off, n))
			return exo_err(EFAULT, "bpf: attribute at 0x%llx is not readable",
				       (unsigned long long)uattr);
		for (unsigned int i = 0; i < n; i++)
			if (buf[i])
				return exo_err(E2BIG,
					       "bpf: byte %u of the attribute is non-zero and past "
					       "the %u bytes Linux 6.18 knows",
					       off + i, API_ATTR_SIZE);
		off += n;
	}
	return 0;
}

EXOBPF_API int exobpf_bpf(int cmd, union bpf_attr *uattr, unsigned int size)
{
	struct api_call c = {.cmd = cmd, .uattr = (uintptr_t)uattr};
	union api_attr attr;
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	int err;

	pthread_once(&once, api_init);
	if ((err = tail_zero(c.uattr, size)))
		return err;
	c.size = size < API_ATTR_SIZE ? size : API_ATTR_SIZE;
	memset(&attr, 0, sizeof(attr));
	if (api_copy_from_user(&attr, c.uattr, c.size))
		return exo_err(EFAULT, "bpf: attribute at 0x%llx is not readable",
			       (unsigned long long)c.uattr);
	if (cmd < 0 || (size_t)cmd >= sizeof(cmds) / sizeof(cmds[0]) || !cmds[cmd].fn)
		return exo_err(EINVAL, "bpf: unknown command %d", cmd);
	c.name = cmds[cmd].name;
	for (size_t i = cmds[cmd].last; i < API_ATTR_SIZE; i++)
		if (attr.bytes[i])
			return exo_err(EINVAL,
				       "%s: attribute byte %zu is non-zero, past the command's "
				       "last field (which ends at %zu)",
				       c.name, i, cmds[cmd].last);
	err = cmds[cmd].fn(&attr, &c);
	if (err < 0)
		errno = -err;
	return err;
}
