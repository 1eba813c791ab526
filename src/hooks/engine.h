/* The hook object behind include/exobpf/hook.h, shared by its offline
 * engine (hook.c: capture files, batches in input order) and its live one
 * (live.c: AF_PACKET rings). */
#ifndef EXOBPF_HOOKS_ENGINE_H
#define EXOBPF_HOOKS_ENGINE_H

#include <net/if.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "exobpf/hook.h"
#include "hooks/afpacket.h"
#include "hooks/capture.h"
#include "hooks/exec.h"

#define HOOK_MAX_THREADS 256
#define HOOK_MAX_INPUTS	 64 /* live interfaces read by one hook (one poll set) */

/* One worker's counters: written by one thread, read by any (relaxed). */
struct hook_counters {
	uint64_t packets, bytes;
	uint64_t actions[EXOBPF_PKT__MAX];
	uint64_t redirect_errors, tx_errors, faults, rx_dropped;
} __attribute__((aligned(64)));

static inline void hook_count(uint64_t *c, uint64_t n)
{
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}

/* A place packets can leave by. */
struct hook_port {
	uint32_t ifindex;
	uint32_t mtu;
	char name[IF_NAMESIZE];
	bool input;	     /* live: also read from */
	struct cap_out *out; /* offline: redirect_dir/port-N.pcap, opened on first use */
	int *tx_fd;	     /* live: one send socket per worker */
};

struct hook_worker {
	struct exobpf_pkt_hook *h;
	unsigned idx;
	pthread_t thread;
	bool started;
	struct hook_exec exec;
	struct hook_counters c;
	void *offline; /* the offline engine's shared state */
	/* live */
	struct afp_ring *rings; /* one per input port */
	unsigned nrings;
	uint8_t *buf;
	uint32_t buf_size;
	uint32_t *bcast; /* broadcast port lists */
	uint32_t nbcast, bcast_cap;
};

struct exobpf_pkt_hook {
	struct exobpf_prog *prog;
	unsigned nworkers;
	uint32_t ifindex, flags;
	exobpf_pkt_event_fn on_packet;
	void *ctx;
	char *pass_path, *tx_path, *drop_path, *redirect_dir;
	struct cap_out *pass, *tx, *drop; /* open while __run runs */
	char **files;
	unsigned nfiles;
	struct hook_port *ports;
	unsigned nports;
	bool live;
	struct hook_worker *workers;
	struct hook_counters main_c; /* offline: counted in input order by __run's thread */
	pthread_mutex_t out_mu;	     /* live: outputs are shared by the workers */
	int stop;
	uint64_t start_ns, elapsed_ns;
	int running;
};

uint64_t hook_now_ns(void);

/* The port with this ifindex, or NULL. */
struct hook_port *hook_port_find(struct exobpf_pkt_hook *h, uint32_t ifindex);

/* Every port of a broadcast redirect (the device map's entries, without
 * the ingress port when asked), appended to *list. */
unsigned hook_broadcast_ports(const struct hook_verdict *v, uint32_t ingress, uint32_t **list,
			      uint32_t *n, uint32_t *cap);

/* The live engine (live.c). */
int hook_live_run(struct exobpf_pkt_hook *h, uint64_t duration_ms);
void hook_live_release(struct exobpf_pkt_hook *h);

#endif
