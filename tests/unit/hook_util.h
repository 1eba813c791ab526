/* Shared by the hooks' tests: the test programs (tests/progs/hook_*.bpf.c,
 * built into $EXOBPF_BUILD/progs), temporary directories, and the events a
 * hook reports, collected in order. */
#ifndef EXOBPF_TEST_HOOK_UTIL_H
#define EXOBPF_TEST_HOOK_UTIL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "exobpf/exobpf.h"

/* Open and load tests/progs/NAME.bpf.o; NULL with why set. */
struct exobpf_object *hu_load(const char *name, char *why, size_t whylen);
struct exobpf_prog *hu_prog(struct exobpf_object *obj, const char *name);
int hu_map_fd(struct exobpf_object *obj, const char *name);

/* mkdtemp under /tmp; hu_rmdir removes it and what is in it. */
char *hu_tmpdir(void);
void hu_rmdir(char *dir);

struct hu_event {
	enum exobpf_pkt_action action;
	uint32_t retval, ingress, port, len, wire_len;
	uint64_t seq;
	unsigned worker;
	uint8_t *data;
};

/* on_packet callback collecting copies of every event (thread-safe). */
struct hu_events {
	pthread_mutex_t mu;
	struct hu_event *ev;
	unsigned n, cap;
};
void hu_events_init(struct hu_events *e);
void hu_on_packet(void *ctx, const struct exobpf_pkt_event *ev);
void hu_events_free(struct hu_events *e);

/* Linux's test run of a loaded kernel program on one frame. */
struct hu_krun {
	int err;
	uint32_t retval, len;
	uint8_t data[4096];
};
void hu_kernel_run(int fd, const uint8_t *frame, uint32_t len, struct hu_krun *out);

/* What a retval of this program type means for the packet (the hook's
 * table, written again from Linux's definitions for the comparison). */
enum exobpf_pkt_action hu_expected_action(enum bpf_prog_type type, uint32_t retval);

#endif
