#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/pkt_cls.h>

#include "hook_util.h"
#include "util.h"

struct exobpf_object *hu_load(const char *name, char *why, size_t whylen)
{
	const char *b = getenv("EXOBPF_BUILD");
	char path[512];
	struct exobpf_object *obj;

	snprintf(path, sizeof(path), "%s/progs/%s.bpf.o", b && *b ? b : "build", name);
	obj = exobpf_object__open_file(path, NULL);
	if (!obj) {
		snprintf(why, whylen, "%s: %s", path, exobpf_errmsg());
		return NULL;
	}
	if (exobpf_object__load(obj)) {
		snprintf(why, whylen, "%s: %s", path, exobpf_errmsg());
		exobpf_object__close(obj);
		return NULL;
	}
	return obj;
}

struct exobpf_prog *hu_prog(struct exobpf_object *obj, const char *name)
{
	struct exobpf_program *p = exobpf_object__find_program_by_name(obj, name);

	return p ? exobpf_program__prog(p) : NULL;
}

int hu_map_fd(struct exobpf_object *obj, const char *name)
{
	struct exobpf_map *m = exobpf_object__find_map_by_name(obj, name);

	return m ? exobpf_map__fd(m) : -1;
}

char *hu_tmpdir(void)
{
	char *d = strdup("/tmp/exobpf-hooks-XXXXXX");

	if (d && !mkdtemp(d)) {
		free(d);
		return NULL;
	}
	return d;
}

void hu_rmdir(char *dir)
{
	char cmd[600];

	if (!dir)
		return;
	if (!strncmp(dir, "/tmp/exobpf-hooks-", 18)) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", dir);
	}
	free(dir);
}

void hu_events_init(struct hu_events *e)
{
	memset(e, 0, sizeof(*e));
	pthread_mutex_init(&e->mu, NULL);
}

void hu_on_packet(void *ctx, const struct exobpf_pkt_event *ev)
{
	struct hu_events *e = ctx;
	struct hu_event *x;

	pthread_mutex_lock(&e->mu);
	if (e->n == e->cap) {
		unsigned cap = e->cap ? e->cap * 2 : 256;
		struct hu_event *n = realloc(e->ev, cap * sizeof(*n));

		if (!n) {
			pthread_mutex_unlock(&e->mu);
			return;
		}
		e->ev = n;
		e->cap = cap;
	}
	x = &e->ev[e->n];
	*x = (struct hu_event){ev->action, ev->retval, ev->ingress,
			       ev->port,   ev->len,    ev->wire_len,
			       ev->seq,	   ev->worker, malloc(ev->len ? ev->len : 1)};
	if (x->data) {
		memcpy(x->data, ev->data, ev->len);
		e->n++;
	}
	pthread_mutex_unlock(&e->mu);
}

void hu_events_free(struct hu_events *e)
{
	for (unsigned i = 0; i < e->n; i++)
		free(e->ev[i].data);
	free(e->ev);
	pthread_mutex_destroy(&e->mu);
	memset(e, 0, sizeof(*e));
}

void hu_kernel_run(int fd, const uint8_t *frame, uint32_t len, struct hu_krun *out)
{
	union bpf_attr attr;

	memset(out, 0, sizeof(*out));
	memset(&attr, 0, sizeof(attr));
	attr.test.prog_fd = (uint32_t)fd;
	attr.test.data_in = (uintptr_t)frame;
	attr.test.data_size_in = len;
	attr.test.data_out = (uintptr_t)out->data;
	attr.test.data_size_out = sizeof(out->data);
	attr.test.repeat = 1;
	out->err = (int)kbpf_sys(BPF_PROG_TEST_RUN, &attr);
	out->retval = attr.test.retval;
	out->len = attr.test.data_size_out;
}

enum exobpf_pkt_action hu_expected_action(enum bpf_prog_type type, uint32_t retval)
{
	if (type == BPF_PROG_TYPE_XDP) {
		switch (retval) {
		case XDP_DROP:
			return EXOBPF_PKT_DROP;
		case XDP_PASS:
			return EXOBPF_PKT_PASS;
		case XDP_TX:
			return EXOBPF_PKT_TX;
		case XDP_REDIRECT:
			return EXOBPF_PKT_REDIRECT;
		default:
			return EXOBPF_PKT_ABORTED;
		}
	}
	if (type == BPF_PROG_TYPE_SOCKET_FILTER)
		return retval ? EXOBPF_PKT_PASS : EXOBPF_PKT_DROP;
	if (retval == TC_ACT_SHOT || retval == TC_ACT_STOLEN || retval == TC_ACT_TRAP)
		return EXOBPF_PKT_DROP;
	return retval == TC_ACT_REDIRECT ? EXOBPF_PKT_REDIRECT : EXOBPF_PKT_PASS;
}
