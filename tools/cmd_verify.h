/* The verify commands' shared pieces: a JSON reader for the corpus format
 * (../shared/kernel-verifier/README.md) and the fixup maps. */
#ifndef EXOBPF_CMD_VERIFY_H
#define EXOBPF_CMD_VERIFY_H

#include <stdbool.h>
#include <stdint.h>

#include "cli.h"

enum json_kind { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

struct json {
	enum json_kind kind;
	char *key;	    /* inside an object */
	char *str;	    /* JSON_STRING */
	double num;	    /* JSON_NUMBER, JSON_BOOL */
	long long inum;	    /* JSON_NUMBER as an integer */
	struct json *child; /* first element / member */
	struct json *next;  /* sibling */
	unsigned count;	    /* elements / members */
};

/* Parse one JSON text; NULL if it is not valid JSON. */
struct json *json_parse(const char *text);
void json_free(struct json *v);
const struct json *json_get(const struct json *obj, const char *key);
const char *json_str(const struct json *obj, const char *key);
long long json_int(const struct json *obj, const char *key, long long fallback);

/* BPF_PROG_TYPE_XDP, XDP or xdp -> the type; -1 when unknown. */
int cli_prog_type(const char *name);

/* Fixup maps of a corpus case: create the map of this kind and return its
 * fd (>= 0), -EOPNOTSUPP for kinds exobpf cannot create, or -errno. */
int corpus_fixup_map(const char *kind, int prog_type);
void corpus_close_maps(void);

#endif
