/* exobpf map create|show|dump|lookup|update|delete|getnext|pin|freeze, in
 * bpftool's shape: maps named by "id N", "pinned PATH" or a bare path; keys
 * and values as hex bytes; -j (or --json) prints JSON. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static bool json;

/* bpftool -j reports errors as {"error":"..."} on stdout; text goes to stderr. */
static int map_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int map_fail(int code, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!json)
		return cli_fail(code, "%s", msg);
	printf("{\"error\":\"");
	for (const char *p = msg; *p; p++)
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if ((unsigned char)*p >= 0x20)
			putchar(*p);
	printf("\"}\n");
	return code;
}

static int map_usage(void)
{
	fprintf(stderr,
		"usage: exobpf map [-j] COMMAND\n"
		"  create PATH type TYPE key N value N entries N [flags F] [name NAME]\n"
		"         [inner_map MAP] [extra N]\n"
		"  show [MAP]          dump MAP\n"
		"  lookup MAP key BYTES\n"
		"  update MAP key BYTES value BYTES [any|noexist|exist]\n"
		"  delete MAP key BYTES    getnext MAP [key BYTES]\n"
		"  pin MAP PATH            freeze MAP\n"
		"  MAP: id N | pinned PATH | PATH (relative paths are under the pin directory)\n"
		"  BYTES: hex bytes, e.g. 01 00 00 00 or 0x01 0x00 or 01000000\n");
	return EXIT_USAGE;
}

static const char *const type_names[] = {
    [BPF_MAP_TYPE_HASH] = "hash",
    [BPF_MAP_TYPE_ARRAY] = "array",
    [BPF_MAP_TYPE_PROG_ARRAY] = "prog_array",
    [BPF_MAP_TYPE_PERF_EVENT_ARRAY] = "perf_event_array",
    [BPF_MAP_TYPE_PERCPU_HASH] = "percpu_hash",
    [BPF_MAP_TYPE_PERCPU_ARRAY] = "percpu_array",
    [BPF_MAP_TYPE_LRU_HASH] = "lru_hash",
    [BPF_MAP_TYPE_LRU_PERCPU_HASH] = "lru_percpu_hash",
    [BPF_MAP_TYPE_LPM_TRIE] = "lpm_trie",
    [BPF_MAP_TYPE_ARRAY_OF_MAPS] = "array_of_maps",
    [BPF_MAP_TYPE_HASH_OF_MAPS] = "hash_of_maps",
    [BPF_MAP_TYPE_QUEUE] = "queue",
    [BPF_MAP_TYPE_STACK] = "stack",
    [BPF_MAP_TYPE_RINGBUF] = "ringbuf",
    [BPF_MAP_TYPE_BLOOM_FILTER] = "bloom_filter",
};
#define NTYPES (sizeof(type_names) / sizeof(type_names[0]))

static const char *type_name(uint32_t t)
{
	return t < NTYPES && type_names[t] ? type_names[t] : "unknown";
}

static int type_by_name(const char *s)
{
	for (size_t i = 0; i < NTYPES; i++)
		if (type_names[i] && !strcmp(type_names[i], s))
			return (int)i;
	return -1;
}

static bool is_percpu(uint32_t t)
{
	return t == BPF_MAP_TYPE_PERCPU_ARRAY || t == BPF_MAP_TYPE_PERCPU_HASH ||
	       t == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

/* MAP at argv[*i]: "id N", "pinned PATH" or PATH. Returns an fd or < 0 (the
 * error already printed, *code set). */
static int open_map(int argc, char **argv, int *i, int *code)
{
	int fd;

	*code = EXIT_USAGE;
	if (*i >= argc)
		return map_fail(EXIT_USAGE, "map: expected MAP (id N | pinned PATH)"), -1;
	if (!strcmp(argv[*i], "id")) {
		char *end;
		unsigned long id;

		if (*i + 1 >= argc)
			return map_fail(EXIT_USAGE, "map: id needs a number"), -1;
		id = strtoul(argv[*i + 1], &end, 0);
		if (*end || !*argv[*i + 1])
			return map_fail(EXIT_USAGE, "map: id '%s' is not a number", argv[*i + 1]),
			       -1;
		*i += 2;
		fd = exobpf_map_get_fd_by_id((__u32)id);
	} else {
		if (!strcmp(argv[*i], "pinned") && ++*i >= argc)
			return map_fail(EXIT_USAGE, "map: pinned needs a path"), -1;
		fd = exobpf_obj_get(argv[(*i)++]);
	}
	if (fd < 0) {
		*code = EXIT_INPUT;
		map_fail(EXIT_INPUT, "%s", exobpf_errmsg());
	}
	return fd;
}

/* Hex bytes from argv[*i] until a keyword; exactly want bytes. A token of
 * one or two digits (optionally 0x) is one byte, as bpftool reads them; a
 * longer one is a run of byte pairs ("01000000"). */
static int parse_bytes(int argc, char **argv, int *i, const char *what, size_t want, uint8_t **out)
{
	static const char *const stop[] = {"value", "any", "noexist", "exist", "key", NULL};
	uint8_t *buf = malloc(want + 1);
	size_t len = 0;

	if (!buf)
		return map_fail(EXIT_FAILED, "out of memory");
	if (*i < argc && !strcmp(argv[*i], "hex"))
		(*i)++;
	for (; *i < argc; (*i)++) {
		const char *t = argv[*i], *digits = t;
		bool kw = false;
		uint8_t *bytes;
		size_t n;

		for (int s = 0; stop[s]; s++)
			kw |= !strcmp(t, stop[s]);
		if (kw)
			break;
		if (t[0] == '0' && (t[1] == 'x' || t[1] == 'X'))
			digits = t + 2;
		if (strlen(digits) == 1 || strlen(digits) == 2) {
			char *end;
			unsigned long v = strtoul(digits, &end, 16);
			if (*end) {
				free(buf);
				return map_fail(EXIT_INPUT, "%s: '%s' is not a hex byte", what, t);
			}
			bytes = NULL;
			n = 1;
			if (len < want)
				buf[len] = (uint8_t)v;
			len++;
			continue;
		}
		if (cli_parse_hex(t, &bytes, &n)) {
			free(buf);
			return map_fail(EXIT_INPUT, "%s: '%s' is not hex bytes", what, t);
		}
		for (size_t b = 0; b < n; b++, len++)
			if (len < want)
				buf[len] = bytes[b];
		free(bytes);
	}
	if (len != want) {
		free(buf);
		return map_fail(EXIT_INPUT, "%s: %zu bytes given, the map's %s size is %zu", what,
				len, what, want);
	}
	*out = buf;
	return 0;
}

static void print_bytes(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf(json ? "%s\"0x%02x\"" : "%s%02x", i ? (json ? "," : " ") : "", p[i]);
}

static void print_info(const struct bpf_map_info *info, bool frozen)
{
	if (json) {
		printf("{\"id\":%u,\"type\":\"%s\",\"name\":\"%s\",\"flags\":%u,\"bytes_key\":%u,"
		       "\"bytes_value\":%u,\"max_entries\":%u,\"frozen\":%d}",
		       info->id, type_name(info->type), info->name, info->map_flags, info->key_size,
		       info->value_size, info->max_entries, frozen);
		return;
	}
	printf("%u: %s  name %s  flags 0x%x\n\tkey %uB  value %uB  max_entries %u%s\n", info->id,
	       type_name(info->type), info->name, info->map_flags, info->key_size, info->value_size,
	       info->max_entries, frozen ? "  frozen" : "");
}

static int info_of(int fd, struct bpf_map_info *info)
{
	__u32 len = sizeof(*info);

	memset(info, 0, sizeof(*info));
	if (exobpf_map_get_info_by_fd(fd, info, &len))
		return map_fail(EXIT_FAILED, "%s", exobpf_errmsg());
	return 0;
}

/* Frozen maps refuse updates with EPERM; there is no other way to ask. */
static bool is_frozen(int fd, const struct bpf_map_info *info)
{
	return !(info->map_flags & BPF_F_RDONLY) &&
	       exobpf_map_update_elem(fd, NULL, NULL, 0) == -EPERM;
}

static int cmd_show(int argc, char **argv, int i)
{
	struct bpf_map_info info;
	int fd, code;

	if (i < argc) {
		if ((fd = open_map(argc, argv, &i, &code)) < 0)
			return code;
		if (info_of(fd, &info)) {
			close(fd);
			return EXIT_FAILED;
		}
		print_info(&info, is_frozen(fd, &info));
		if (json)
			printf("\n");
		close(fd);
		return EXIT_OK;
	}
	__u32 id = 0;
	bool first = true;
	if (json)
		printf("[");
	while (!exobpf_map_get_next_id(id, &id)) {
		if ((fd = exobpf_map_get_fd_by_id(id)) < 0)
			continue; /* went away meanwhile */
		if (!info_of(fd, &info)) {
			if (json && !first)
				printf(",");
			print_info(&info, is_frozen(fd, &info));
			first = false;
		}
		close(fd);
	}
	if (json)
		printf("]\n");
	return EXIT_OK;
}

static size_t value_bytes(const struct bpf_map_info *info)
{
	return is_percpu(info->type) ? (size_t)exobpf_num_slots() * ((info->value_size + 7) & ~7u)
				     : info->value_size;
}

static void print_elem(const struct bpf_map_info *info, const uint8_t *key, const uint8_t *value)
{
	size_t stride = (info->value_size + 7) & ~7u;
	int slots = exobpf_num_slots();

	if (json) {
		printf("{\"key\":[");
		print_bytes(key, info->key_size);
		if (is_percpu(info->type)) {
			printf("],\"values\":[");
			for (int s = 0; s < slots; s++) {
				printf("%s{\"cpu\":%d,\"value\":[", s ? "," : "", s);
				print_bytes(value + s * stride, info->value_size);
				printf("]}");
			}
			printf("]}");
		} else {
			printf("],\"value\":[");
			print_bytes(value, info->value_size);
			printf("]}");
		}
		return;
	}
	if (is_percpu(info->type)) {
		printf("key:\n");
		print_bytes(key, info->key_size);
		printf("\n");
		for (int s = 0; s < slots; s++) {
			printf("value (CPU %02d): ", s);
			print_bytes(value + s * stride, info->value_size);
			printf("\n");
		}
		return;
	}
	printf("key: ");
	print_bytes(key, info->key_size);
	printf("  value: ");
	print_bytes(value, info->value_size);
	printf("\n");
}

static int cmd_dump(int fd, const struct bpf_map_info *info)
{
	uint8_t *key = calloc(1, info->key_size + 1), *next = calloc(1, info->key_size + 1);
	uint8_t *value = calloc(1, value_bytes(info) + 1);
	unsigned n = 0;
	int err;

	if (!key || !next || !value) {
		free(key), free(next), free(value);
		return map_fail(EXIT_FAILED, "out of memory");
	}
	if (json)
		printf("[");
	for (err = exobpf_map_get_next_key(fd, NULL, next); !err;
	     err = exobpf_map_get_next_key(fd, key, next)) {
		memcpy(key, next, info->key_size);
		if (exobpf_map_lookup_elem(fd, key, value))
			continue; /* deleted meanwhile */
		if (json && n)
			printf(",");
		print_elem(info, key, value);
		n++;
	}
	if (json)
		printf("]\n");
	else
		printf("Found %u element%s\n", n, n == 1 ? "" : "s");
	free(key), free(next), free(value);
	if (err != -ENOENT)
		return map_fail(EXIT_FAILED, "%s", exobpf_errmsg());
	return EXIT_OK;
}

int cli_map_dump(int fd)
{
	struct bpf_map_info info;

	if (info_of(fd, &info))
		return EXIT_FAILED;
	return cmd_dump(fd, &info);
}

static int cmd_create(int argc, char **argv, int i)
{
	struct exobpf_map_create_opts o = {.sz = sizeof(o)};
	const char *path, *name = NULL;
	long type = -1, key = -1, value = -1, entries = -1;
	int fd, code, inner = -1;

	if (i >= argc)
		return map_usage();
	path = argv[i++];
	while (i < argc) {
		const char *k = argv[i];
		char *end;

		if (i + 1 >= argc)
			return map_fail(EXIT_USAGE, "map create: %s needs a value", k);
		const char *v = argv[i + 1];
		if (!strcmp(k, "inner_map")) {
			i++;
			if ((inner = open_map(argc, argv, &i, &code)) < 0)
				return code;
			o.inner_map_fd = (__u32)inner;
			continue;
		}
		i += 2;
		if (!strcmp(k, "type")) {
			if ((type = type_by_name(v)) < 0)
				return map_fail(EXIT_INPUT, "map create: unknown type '%s'", v);
			continue;
		}
		if (!strcmp(k, "name")) {
			name = v;
			continue;
		}
		long n = strtol(v, &end, 0);
		if (*end || !*v || n < 0 || n > UINT32_MAX)
			return map_fail(EXIT_INPUT, "map create: %s '%s' is not a number", k, v);
		if (!strcmp(k, "key"))
			key = n;
		else if (!strcmp(k, "value"))
			value = n;
		else if (!strcmp(k, "entries"))
			entries = n;
		else if (!strcmp(k, "flags"))
			o.map_flags = (__u32)n;
		else if (!strcmp(k, "extra"))
			o.map_extra = (__u64)n;
		else
			return map_fail(EXIT_USAGE, "map create: unknown argument '%s'", k);
	}
	if (type < 0 || key < 0 || value < 0 || entries < 0)
		return map_fail(EXIT_USAGE,
				"map create: type, key, value and entries are required");
	fd = exobpf_map_create((enum bpf_map_type)type, name, (__u32)key, (__u32)value,
			       (__u32)entries, &o);
	if (inner >= 0)
		close(inner);
	if (fd < 0)
		return map_fail(EXIT_FAILED, "%s", exobpf_errmsg());
	if (exobpf_obj_pin(fd, path)) {
		close(fd);
		return map_fail(EXIT_FAILED, "%s", exobpf_errmsg());
	}
	close(fd);
	return EXIT_OK;
}

static int with_map(const char *cmd, int argc, char **argv, int i)
{
	struct bpf_map_info info;
	uint8_t *key = NULL, *next = NULL, *value = NULL;
	int fd, code, rc = EXIT_OK, err;

	if ((fd = open_map(argc, argv, &i, &code)) < 0)
		return code;
	if (info_of(fd, &info)) {
		close(fd);
		return EXIT_FAILED;
	}
	if (!strcmp(cmd, "dump")) {
		rc = cmd_dump(fd, &info);
	} else if (!strcmp(cmd, "freeze")) {
		if (exobpf_map_freeze(fd))
			rc = map_fail(EXIT_FAILED, "%s", exobpf_errmsg());
	} else if (!strcmp(cmd, "pin")) {
		if (i >= argc)
			rc = map_fail(EXIT_USAGE, "map pin: expected a path");
		else if (exobpf_obj_pin(fd, argv[i]))
			rc = map_fail(EXIT_FAILED, "%s", exobpf_errmsg());
	} else {
		bool has_key = i < argc && !strcmp(argv[i], "key");
		if (has_key) {
			i++;
			if ((rc = parse_bytes(argc, argv, &i, "key", info.key_size, &key)))
				goto out;
		} else if (strcmp(cmd, "getnext") && info.key_size) {
			rc = map_fail(EXIT_USAGE, "map %s: expected key BYTES", cmd);
			goto out;
		}
		value = calloc(1, value_bytes(&info) + 1);
		next = calloc(1, info.key_size + 1);
		if (!strcmp(cmd, "lookup")) {
			if ((err = exobpf_map_lookup_elem(fd, key, value)))
				rc = map_fail(EXIT_FAILED, "lookup: %s", exobpf_errmsg());
			else if (json)
				print_elem(&info, key ? key : next, value), printf("\n");
			else
				print_elem(&info, key ? key : next, value);
		} else if (!strcmp(cmd, "delete")) {
			if (exobpf_map_delete_elem(fd, key))
				rc = map_fail(EXIT_FAILED, "delete: %s", exobpf_errmsg());
		} else if (!strcmp(cmd, "getnext")) {
			if (exobpf_map_get_next_key(fd, key, next)) {
				rc = map_fail(EXIT_FAILED, "getnext: %s", exobpf_errmsg());
			} else if (json) {
				printf("{\"key\":[");
				if (key)
					print_bytes(key, info.key_size);
				printf("],\"next_key\":[");
				print_bytes(next, info.key_size);
				printf("]}\n");
			} else {
				if (key) {
					printf("key:\n");
					print_bytes(key, info.key_size);
					printf("\n");
				}
				printf("next key:\n");
				print_bytes(next, info.key_size);
				printf("\n");
			}
		} else if (!strcmp(cmd, "update")) {
			uint8_t *v = NULL;
			__u64 flags = BPF_ANY;

			if (i >= argc || strcmp(argv[i], "value")) {
				rc = map_fail(EXIT_USAGE, "map update: expected value BYTES");
				goto out;
			}
			i++;
			if ((rc = parse_bytes(argc, argv, &i, "value", value_bytes(&info), &v)))
				goto out;
			if (i < argc) {
				if (!strcmp(argv[i], "noexist"))
					flags = BPF_NOEXIST;
				else if (!strcmp(argv[i], "exist"))
					flags = BPF_EXIST;
				else if (strcmp(argv[i], "any"))
					rc = map_fail(EXIT_USAGE, "map update: unknown flag '%s'",
						      argv[i]);
			}
			if (!rc && exobpf_map_update_elem(fd, key, v, flags))
				rc = map_fail(EXIT_FAILED, "update: %s", exobpf_errmsg());
			free(v);
		} else {
			rc = map_usage();
		}
	}
out:
	free(key), free(next), free(value);
	close(fd);
	return rc;
}

int cmd_map(int argc, char **argv)
{
	int i = 1;

	json = false;
	while (i < argc && (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json") ||
			    !strcmp(argv[i], "-p") || !strcmp(argv[i], "--pretty")))
		json = true, i++;
	for (int k = i; k < argc; k++) /* bpftool also takes -j after the command */
		if (!strcmp(argv[k], "-j") || !strcmp(argv[k], "--json")) {
			json = true;
			memmove(&argv[k], &argv[k + 1], (size_t)(argc - k - 1) * sizeof(*argv));
			argc--, k--;
		}
	if (i >= argc)
		return map_usage();
	const char *cmd = argv[i++];
	if (!strcmp(cmd, "create"))
		return cmd_create(argc, argv, i);
	if (!strcmp(cmd, "show") || !strcmp(cmd, "list"))
		return cmd_show(argc, argv, i);
	if (!strcmp(cmd, "dump") || !strcmp(cmd, "lookup") || !strcmp(cmd, "update") ||
	    !strcmp(cmd, "delete") || !strcmp(cmd, "getnext") || !strcmp(cmd, "pin") ||
	    !strcmp(cmd, "freeze"))
		return with_map(cmd, argc, argv, i);
	if (!strcmp(cmd, "help") || !strcmp(cmd, "-h") || !strcmp(cmd, "--help"))
		return map_usage(), EXIT_OK;
	fprintf(stderr, "exobpf map: unknown command '%s'\n", cmd);
	return map_usage();
}
