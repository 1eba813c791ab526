/* Whole files into memory, with errors that name the path. */
#ifndef EXOBPF_LOADER_FILE_H
#define EXOBPF_LOADER_FILE_H

#include <stddef.h>
#include <stdint.h>

/* Read all of path into a malloc'ed buffer (sysfs files report no size, so
 * this reads until EOF). 0 or -errno with the message set. */
int file_read(const char *path, uint8_t **buf, size_t *size);

#endif
