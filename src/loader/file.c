#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "loader/file.h"

/* Objects and BTF beyond this are not something we should try to hold. */
#define FILE_MAX_SIZE (1ull << 30)

int file_read(const char *path, uint8_t **out, size_t *size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t cap = 1 << 16, n = 0;
	uint8_t *buf;

	if (fd < 0)
		return exo_err(errno, "%s: %s", path, strerror(errno));
	buf = malloc(cap);
	while (buf) {
		if (n == cap) {
			if (cap >= FILE_MAX_SIZE) {
				free(buf);
				close(fd);
				return exo_err(EFBIG, "%s: larger than %llu bytes", path,
					       FILE_MAX_SIZE);
			}
			uint8_t *nb = realloc(buf, cap * 2);
			if (!nb)
				break;
			buf = nb;
			cap *= 2;
		}
		ssize_t got = read(fd, buf + n, cap - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			int err = errno;
			free(buf);
			close(fd);
			return exo_err(err, "%s: %s", path, strerror(err));
		}
		if (got == 0) {
			close(fd);
			*out = buf;
			*size = n;
			return 0;
		}
		n += (size_t)got;
	}
	free(buf);
	close(fd);
	return exo_err(ENOMEM, "%s: out of memory", path);
}
