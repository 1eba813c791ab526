/* SHA-256, only for program tags: Linux 6.18 tags a program with the first
 * 8 bytes of the SHA-256 of its instructions (map references zeroed). */
#ifndef EXOBPF_API_SHA256_H
#define EXOBPF_API_SHA256_H

#include <stddef.h>
#include <stdint.h>

void api_sha256(const void *data, size_t len, uint8_t out[32]);

#endif
