/* Linux's BTF verifier log, type by type (btf_log.c). */
#ifndef EXOBPF_API_BTF_LOG_H
#define EXOBPF_API_BTF_LOG_H

struct exobpf_btf;

/* The lines Linux logs for each type of an accepted BTF (malloc'ed; NULL
 * when out of memory). */
char *api_btf_log_types(const struct exobpf_btf *btf);

#endif
