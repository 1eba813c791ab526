/* Verifier and BTF logs as Linux 6.18 hands them back: both or neither of
 * buffer and size, a buffer needs a level, by default the log rotates so
 * the end (with the error) survives a short buffer, BPF_LOG_FIXED keeps
 * the start; ENOSPC when it was cut, log_true_size always. Shared by the
 * handlers for OBJ_GET_INFO_BY_FD, which copy user structs the same way. */
#include <errno.h>
#include <string.h>

#include "api/kinds.h"
#include "api/uaccess.h"

#ifndef BPF_LOG_FIXED
#define BPF_LOG_FIXED 8
#endif
#define LOG_MASK (1u | 2u | 4u | BPF_LOG_FIXED)

int api_log_check(const struct api_log *log, const char *what)
{
	if (!!log->ubuf != !!log->size)
		return exo_err(EINVAL, "%s: log_buf and log_size must be given together", what);
	if (log->ubuf && !log->level)
		return exo_err(EINVAL, "%s: log_buf given with log_level 0", what);
	if (log->level & ~LOG_MASK)
		return exo_err(EINVAL, "%s: log_level 0x%x has unknown bits", what, log->level);
	if (log->size > (UINT32_MAX >> 2))
		return exo_err(EINVAL, "%s: log_size %u is larger than %u", what, log->size,
			       UINT32_MAX >> 2);
	return 0;
}

int api_log_finish(const struct api_log *log, const char *text, size_t len, uint32_t *true_size)
{
	size_t n;

	*true_size = 0;
	if (!log->level)
		return 0;
	*true_size = (uint32_t)(len + 1);
	if (!log->ubuf)
		return 0;
	n = len < log->size - 1 ? len : log->size - 1;
	if (api_copy_to_user(log->ubuf, (log->level & BPF_LOG_FIXED) ? text : text + len - n, n) ||
	    api_copy_to_user(log->ubuf + n, "", 1))
		return -EFAULT;
	return len + 1 > log->size ? -ENOSPC : 0;
}

int api_info_in(uint64_t uinfo, uint32_t info_len, void *info, size_t named, size_t ours,
		uint32_t *len)
{
	unsigned char buf[256];

	for (uint64_t off = named; off < info_len;) {
		size_t n = info_len - off < sizeof(buf) ? info_len - off : sizeof(buf);

		if (api_copy_from_user(buf, uinfo + off, n))
			return exo_err(EFAULT, "OBJ_GET_INFO_BY_FD: info at 0x%llx is not readable",
				       (unsigned long long)uinfo);
		for (size_t i = 0; i < n; i++)
			if (buf[i])
				return exo_err(E2BIG,
					       "OBJ_GET_INFO_BY_FD: byte %llu of info is non-zero, "
					       "past the %zu bytes of the info struct",
					       (unsigned long long)(off + i), named);
		off += n;
	}
	*len = info_len < ours ? info_len : (uint32_t)ours;
	memset(info, 0, ours);
	if (api_copy_from_user(info, uinfo, *len))
		return exo_err(EFAULT, "OBJ_GET_INFO_BY_FD: info at 0x%llx is not readable",
			       (unsigned long long)uinfo);
	return 0;
}

int api_info_out(const struct api_call *c, uint64_t uinfo, const void *info, uint32_t len)
{
	if (api_copy_to_user(uinfo, info, len) || API_PUT(c, info.info_len, len))
		return exo_err(EFAULT, "OBJ_GET_INFO_BY_FD: info at 0x%llx is not writable",
			       (unsigned long long)uinfo);
	return 0;
}
