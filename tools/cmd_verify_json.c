/* A small JSON reader for the corpus runner: one line, one value tree.
 * Strings keep their escapes decoded (\n, \t, \", \\, \uXXXX as UTF-8). */
#include <stdlib.h>
#include <string.h>

#include "cmd_verify.h"

struct parser {
	const char *p;
	int depth;
};

static void skip_ws(struct parser *ps)
{
	while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')
		ps->p++;
}

static struct json *new_value(enum json_kind kind)
{
	struct json *v = calloc(1, sizeof(*v));

	if (v)
		v->kind = kind;
	return v;
}

static void put_utf8(char *out, size_t *n, unsigned cp)
{
	if (cp < 0x80) {
		out[(*n)++] = (char)cp;
	} else if (cp < 0x800) {
		out[(*n)++] = (char)(0xc0 | cp >> 6);
		out[(*n)++] = (char)(0x80 | (cp & 0x3f));
	} else {
		out[(*n)++] = (char)(0xe0 | cp >> 12);
		out[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[(*n)++] = (char)(0x80 | (cp & 0x3f));
	}
}

static char *parse_string(struct parser *ps)
{
	const char *start = ++ps->p;
	size_t n = 0, cap;
	char *out;

	while (*ps->p && *ps->p != '"')
		ps->p += *ps->p == '\\' && ps->p[1] ? 2 : 1;
	if (*ps->p != '"')
		return NULL;
	cap = (size_t)(ps->p - start) + 1;
	out = malloc(cap * 3);
	if (!out)
		return NULL;
	for (const char *s = start; s < ps->p; s++) {
		if (*s != '\\') {
			out[n++] = *s;
			continue;
		}
		s++;
		switch (*s) {
		case 'n':
			out[n++] = '\n';
			break;
		case 't':
			out[n++] = '\t';
			break;
		case 'r':
			out[n++] = '\r';
			break;
		case 'b':
			out[n++] = '\b';
			break;
		case 'f':
			out[n++] = '\f';
			break;
		case 'u': {
			unsigned cp = 0;

			for (int i = 1; i <= 4 && s[i]; i++) {
				char c = s[i];

				cp = cp * 16 + (unsigned)(c >= 'a'   ? c - 'a' + 10
							  : c >= 'A' ? c - 'A' + 10
								     : c - '0');
			}
			put_utf8(out, &n, cp);
			s += 4;
			break;
		}
		default:
			out[n++] = *s;
		}
	}
	out[n] = '\0';
	ps->p++;
	return out;
}

static struct json *parse_value(struct parser *ps);

static struct json *parse_container(struct parser *ps, bool object)
{
	struct json *v = new_value(object ? JSON_OBJECT : JSON_ARRAY), **tail;

	if (!v)
		return NULL;
	tail = &v->child;
	ps->p++;
	skip_ws(ps);
	if (*ps->p == (object ? '}' : ']')) {
		ps->p++;
		return v;
	}
	for (;;) {
		char *key = NULL;
		struct json *item;

		skip_ws(ps);
		if (object) {
			if (*ps->p != '"' || !(key = parse_string(ps)))
				goto bad;
			skip_ws(ps);
			if (*ps->p++ != ':') {
				free(key);
				goto bad;
			}
		}
		item = parse_value(ps);
		if (!item) {
			free(key);
			goto bad;
		}
		item->key = key;
		*tail = item;
		tail = &item->next;
		v->count++;
		skip_ws(ps);
		if (*ps->p == ',') {
			ps->p++;
			continue;
		}
		if (*ps->p == (object ? '}' : ']')) {
			ps->p++;
			return v;
		}
		goto bad;
	}
bad:
	json_free(v);
	return NULL;
}

static struct json *parse_value(struct parser *ps)
{
	struct json *v;

	if (++ps->depth > 64)
		return NULL;
	skip_ws(ps);
	switch (*ps->p) {
	case '{':
		v = parse_container(ps, true);
		break;
	case '[':
		v = parse_container(ps, false);
		break;
	case '"':
		v = new_value(JSON_STRING);
		if (v && !(v->str = parse_string(ps))) {
			free(v);
			v = NULL;
		}
		break;
	case 't':
	case 'f':
		v = new_value(JSON_BOOL);
		if (v) {
			v->num = *ps->p == 't';
			ps->p += *ps->p == 't' ? 4 : 5;
		}
		break;
	case 'n':
		v = new_value(JSON_NULL);
		ps->p += 4;
		break;
	default: {
		char *end;
		double d = strtod(ps->p, &end);

		if (end == ps->p)
			return NULL;
		v = new_value(JSON_NUMBER);
		if (v) {
			v->num = d;
			v->inum = strtoll(ps->p, NULL, 10);
		}
		ps->p = end;
	}
	}
	ps->depth--;
	return v;
}

struct json *json_parse(const char *text)
{
	struct parser ps = {.p = text};
	struct json *v = parse_value(&ps);

	if (!v)
		return NULL;
	skip_ws(&ps);
	if (*ps.p) {
		json_free(v);
		return NULL;
	}
	return v;
}

void json_free(struct json *v)
{
	while (v) {
		struct json *next = v->next;

		json_free(v->child);
		free(v->key);
		free(v->str);
		free(v);
		v = next;
	}
}

const struct json *json_get(const struct json *obj, const char *key)
{
	if (!obj || obj->kind != JSON_OBJECT)
		return NULL;
	for (const struct json *c = obj->child; c; c = c->next)
		if (c->key && !strcmp(c->key, key))
			return c;
	return NULL;
}

const char *json_str(const struct json *obj, const char *key)
{
	const struct json *v = json_get(obj, key);

	return v && v->kind == JSON_STRING ? v->str : NULL;
}

long long json_int(const struct json *obj, const char *key, long long fallback)
{
	const struct json *v = json_get(obj, key);

	return v && v->kind == JSON_NUMBER ? v->inum : fallback;
}
