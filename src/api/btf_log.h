/* Linux's BTF verifier log, type by type (btf_log.c). */
#ifndef EXOBPF_API_BTF_LOG_H
#define EXOBPF_API_BTF_LOG_H

#include <stdint.h>

struct exobpf_btf;

/* Linux's type lines for the BTF data (whose header passed Linux's
 * header checks, h), up to the first error Linux would report where it is
 * one of the checks this knows (the checks every type gets, those of INT
 * and of pointers and qualifiers, references to ids that do not exist).
 * Returns that error's -errno (the BTF must be refused), or 0 (*text then
 * has every type's lines, or those walked before a part this does not
 * know, and the caller's parser decides). *text is malloc'ed (NULL when
 * out of memory or when the sections are out of bounds). */
struct btf_header;
int api_btf_log_check(const uint8_t *data, uint32_t size, const struct btf_header *h, char **text);

#endif
