/* SPDX-License-Identifier: MIT */
/* exobpf: packet hooks - XDP, tc (sched_cls/sched_act) and socket-filter
 * programs run on packets from capture files (pcap, pcapng) or from live
 * interfaces (AF_PACKET with a TPACKET_V3 ring), by several worker threads
 * each owning one execution slot (per-CPU map index). Packets of one flow
 * always go to the same worker, so they are processed in order.
 *
 * What each verdict leads to follows Linux: XDP_PASS hands the packet on,
 * XDP_TX sends it back out of its port, XDP_REDIRECT sends it to the port
 * bpf_redirect/bpf_redirect_map chose (every port of the device map with
 * BPF_F_BROADCAST); tc's TC_ACT_OK/UNSPEC pass, SHOT/STOLEN/TRAP drop,
 * REDIRECT redirects; a socket filter's return value is the snap length (0
 * drops). Ports are numbered by ifindex. Offline, a port is an output file;
 * live, it is an interface the hook was given. */
#ifndef EXOBPF_HOOK_H
#define EXOBPF_HOOK_H

#include <stdbool.h>
#include <stdint.h>

#include "exobpf/common.h"
#include "exobpf/prog.h"

struct exobpf_pkt_hook;

/* What became of a packet. */
enum exobpf_pkt_action {
	EXOBPF_PKT_PASS,
	EXOBPF_PKT_DROP,
	EXOBPF_PKT_TX,
	EXOBPF_PKT_REDIRECT,
	EXOBPF_PKT_ABORTED, /* XDP_ABORTED, an XDP action Linux does not know, a fault */
	EXOBPF_PKT__MAX,
};

/* "pass", "drop", "tx", "redirect", "aborted". */
EXOBPF_API const char *exobpf_pkt_action_str(enum exobpf_pkt_action a);

/* One packet's outcome, as on_packet sees it. */
struct exobpf_pkt_event {
	enum exobpf_pkt_action action;
	uint32_t retval;     /* the program's return value */
	uint32_t ingress;    /* the port it arrived on */
	uint32_t port;	     /* TX/REDIRECT: the port it leaves by (0: no such port) */
	uint64_t seq;	     /* its number in its input, from 1 */
	uint64_t ts_ns;	     /* capture or arrival time */
	const uint8_t *data; /* the packet as the program left it (snap length applied) */
	uint32_t len;	     /* bytes at data */
	uint32_t wire_len;   /* its length on the wire */
	unsigned int worker; /* which worker (= execution slot) ran it */
};

typedef void (*exobpf_pkt_event_fn)(void *ctx, const struct exobpf_pkt_event *ev);

enum exobpf_pkt_hook_flags {
	EXOBPF_PKT_CHECKED = 1 << 0, /* run the program checked (every access bounds-checked) */
};

struct exobpf_pkt_hook_opts {
	size_t sz;
	unsigned int threads; /* workers (0: 1); at most the maps' slot count */
	uint32_t ifindex;     /* offline: the port packets arrive on (0: 1) */
	/* Capture files for what the verdicts lead to (pcapng when the name
	 * ends in ".pcapng", else pcap); NULL: not written. Dropped and
	 * aborted packets, and redirects to no port, go to drop_file. */
	const char *pass_file;
	const char *tx_file;
	const char *drop_file;
	/* Offline redirects: DIR/port-IFINDEX.pcap per port (NULL: not written). */
	const char *redirect_dir;
	/* Called once per packet (once per port for broadcasts). Offline in
	 * input order from the thread calling __run; live from the workers,
	 * concurrently. */
	exobpf_pkt_event_fn on_packet;
	void *ctx;
	uint32_t flags; /* enum exobpf_pkt_hook_flags */
};

/* A hook for prog (XDP, SCHED_CLS, SCHED_ACT or SOCKET_FILTER), which must
 * outlive it. NULL and errno on failure. */
EXOBPF_API struct exobpf_pkt_hook *exobpf_pkt_hook__new(struct exobpf_prog *prog,
							const struct exobpf_pkt_hook_opts *opts);

/* Inputs: capture files, read in the order added; or live interfaces
 * (which are also ports). A hook reads files or interfaces, not both. */
EXOBPF_API int exobpf_pkt_hook__add_file(struct exobpf_pkt_hook *h, const char *path);
EXOBPF_API int exobpf_pkt_hook__add_dev(struct exobpf_pkt_hook *h, const char *ifname);
/* A live port packets may be redirected to but are not read from. */
EXOBPF_API int exobpf_pkt_hook__add_port(struct exobpf_pkt_hook *h, const char *ifname);

/* Process until the files end, duration_ms passes (0: no limit; live only)
 * or __stop is called. 0, or -errno when an input or output failed (the
 * packets before it were processed and written). */
EXOBPF_API int exobpf_pkt_hook__run(struct exobpf_pkt_hook *h, uint64_t duration_ms);

/* Ask __run to return; safe from a signal handler and any thread. */
EXOBPF_API void exobpf_pkt_hook__stop(struct exobpf_pkt_hook *h);

struct exobpf_pkt_stats {
	size_t sz;
	uint64_t packets, bytes;
	uint64_t actions[EXOBPF_PKT__MAX];
	uint64_t redirect_errors; /* redirects to no port (dropped) */
	uint64_t tx_errors;	  /* live sends that failed */
	uint64_t faults;	  /* runs that faulted (counted as aborted) */
	uint64_t rx_dropped;	  /* live: frames the kernel could not queue for us */
	uint64_t elapsed_ns;	  /* time spent in __run */
};

/* Counters so far; callable while __run runs (from another thread). */
EXOBPF_API int exobpf_pkt_hook__stats(const struct exobpf_pkt_hook *h,
				      struct exobpf_pkt_stats *stats);

EXOBPF_API void exobpf_pkt_hook__free(struct exobpf_pkt_hook *h);

#endif
