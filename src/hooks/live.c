/* The live engine: every worker has a receive ring on each input interface
 * (one hash fanout group per interface, so the kernel keeps a flow on one
 * worker) and a send socket on each port, and runs the program on frames
 * as they arrive.
 *
 * exobpf sees copies of the packets the kernel receives (packet sockets
 * are taps): XDP_TX and redirects send the program's frame out of a port,
 * but a dropped packet has reached the kernel's own stack all the same,
 * and a passed one needs nothing more. A tc redirect to a device's ingress
 * (BPF_F_INGRESS) cannot be done from user space: it counts as a redirect
 * error. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "core/prog.h"
#include "hooks/engine.h"

/* A live output: the file and the callback, shared by the workers. */
static void emit(struct hook_worker *w, const struct afp_frame *f, uint32_t ingress,
		 const struct hook_verdict *v, enum exobpf_pkt_action a, uint32_t port,
		 struct cap_out *out)
{
	struct exobpf_pkt_hook *h = w->h;
	uint32_t wire = v->wire_len + (f->len - f->caplen);

	if (out) {
		pthread_mutex_lock(&h->out_mu);
		cap_out_write(out, f->ts_ns, v->data, v->len, wire);
		pthread_mutex_unlock(&h->out_mu);
	}
	if (h->on_packet) {
		struct exobpf_pkt_event ev = {
		    .action = a,
		    .retval = v->retval,
		    .ingress = ingress,
		    .port = port,
		    .ts_ns = f->ts_ns,
		    .data = v->data,
		    .len = v->len,
		    .wire_len = wire,
		    .worker = w->idx,
		};
		h->on_packet(h->ctx, &ev);
	}
}

/* Send v's frame out of the port with this ifindex; a port the hook does
 * not have is a redirect error (Linux: no such device), the frame dropped. */
static void send_to(struct hook_worker *w, const struct afp_frame *f, uint32_t ingress,
		    const struct hook_verdict *v, uint32_t ifindex, struct cap_out *out)
{
	struct hook_port *p = hook_port_find(w->h, ifindex);

	if (!p) {
		hook_count(&w->c.redirect_errors, 1);
		emit(w, f, ingress, v, v->action, 0, w->h->drop);
		return;
	}
	if (afp_send(p->tx_fd[w->idx], v->data, v->len))
		hook_count(&w->c.tx_errors, 1);
	emit(w, f, ingress, v, v->action, ifindex, out);
}

struct frame_arg {
	struct hook_worker *w;
	uint32_t ifindex, max_len;
};

static void on_frame(void *arg, const struct afp_frame *f)
{
	struct frame_arg *fa = arg;
	struct hook_worker *w = fa->w;
	struct exobpf_pkt_hook *h = w->h;
	struct hook_meta m = {
	    .ts_ns = f->ts_ns,
	    .wire_len = f->len,
	    .ifindex = fa->ifindex,
	    .hash = f->hash,
	    .max_len = fa->max_len,
	    .pkt_type = f->pkt_type,
	    .vlan_present = f->vlan_present,
	    .vlan_tci = f->vlan_tci,
	    .vlan_proto = f->vlan_proto,
	};
	struct hook_verdict v;
	uint32_t len = f->caplen;

	if (len < EXO_ETH_HLEN || hook_frame_size(len) > w->buf_size)
		return; /* runts, and frames past the ring's own limit */
	memcpy(w->buf + HOOK_HEADROOM, f->data, len);
	hook_exec_packet(&w->exec, w->buf, w->buf_size, len, &m, &v);
	hook_count(&w->c.packets, 1);
	hook_count(&w->c.bytes, f->caplen);
	hook_count(&w->c.actions[v.action], 1);
	if (v.fault)
		hook_count(&w->c.faults, 1);
	switch (v.action) {
	case EXOBPF_PKT_PASS:
		emit(w, f, fa->ifindex, &v, v.action, 0, h->pass);
		break;
	case EXOBPF_PKT_TX:
		send_to(w, f, fa->ifindex, &v, fa->ifindex, h->tx);
		break;
	case EXOBPF_PKT_REDIRECT:
		if (v.broadcast) {
			w->nbcast = 0;
			hook_broadcast_ports(&v, fa->ifindex, &w->bcast, &w->nbcast, &w->bcast_cap);
			for (uint32_t i = 0; i < w->nbcast; i++)
				send_to(w, f, fa->ifindex, &v, w->bcast[i], NULL);
		} else if (v.port && !v.to_ingress) {
			send_to(w, f, fa->ifindex, &v, v.port, NULL);
		} else {
			hook_count(&w->c.redirect_errors, 1);
			emit(w, f, fa->ifindex, &v, v.action, 0, h->drop);
		}
		break;
	default:
		emit(w, f, fa->ifindex, &v, v.action, 0, h->drop);
		break;
	}
	free(v.own);
}

static void *live_worker(void *arg)
{
	struct hook_worker *w = arg;
	struct exobpf_pkt_hook *h = w->h;
	struct pollfd pfd[HOOK_MAX_INPUTS];
	unsigned n = w->nrings; /* at most HOOK_MAX_INPUTS (add_port) */

	for (unsigned i = 0; i < n; i++)
		pfd[i] = (struct pollfd){.fd = w->rings[i].fd, .events = POLLIN | POLLERR};
	while (!__atomic_load_n(&h->stop, __ATOMIC_ACQUIRE)) {
		for (unsigned i = 0; i < n; i++) {
			struct hook_port *p = hook_port_find(h, w->rings[i].ifindex);
			struct frame_arg fa = {w, w->rings[i].ifindex, p ? p->mtu + 14 : 0};

			afp_ring_drain(&w->rings[i], on_frame, &fa);
		}
		/* wake at least every 50 ms to see a stop request */
		poll(pfd, n, 50);
	}
	for (unsigned i = 0; i < n; i++) {
		struct hook_port *p = hook_port_find(h, w->rings[i].ifindex);
		struct frame_arg fa = {w, w->rings[i].ifindex, p ? p->mtu + 14 : 0};

		afp_ring_drain(&w->rings[i], on_frame, &fa);
		hook_count(&w->c.rx_dropped, afp_ring_drops(&w->rings[i]));
	}
	return NULL;
}

void hook_live_release(struct exobpf_pkt_hook *h)
{
	for (unsigned i = 0; i < h->nworkers; i++) {
		struct hook_worker *w = &h->workers[i];

		for (unsigned r = 0; r < w->nrings; r++)
			afp_ring_close(&w->rings[r]);
		free(w->rings);
		w->rings = NULL;
		w->nrings = 0;
		free(w->buf);
		w->buf = NULL;
		free(w->bcast);
		w->bcast = NULL;
		w->nbcast = w->bcast_cap = 0;
	}
	for (unsigned p = 0; p < h->nports; p++) {
		if (!h->ports[p].tx_fd)
			continue;
		for (unsigned i = 0; i < h->nworkers; i++)
			if (h->ports[p].tx_fd[i] >= 0)
				close(h->ports[p].tx_fd[i]);
		free(h->ports[p].tx_fd);
		h->ports[p].tx_fd = NULL;
	}
}

/* Rings and send sockets for every worker, before any thread starts, so
 * an interface that cannot be opened is reported by __run itself. */
static int open_live(struct exobpf_pkt_hook *h)
{
	unsigned ninputs = 0;
	uint32_t maxmtu = 0;
	uint16_t base = (uint16_t)(getpid() * 16);

	for (unsigned p = 0; p < h->nports; p++) {
		ninputs += h->ports[p].input;
		if (h->ports[p].mtu > maxmtu)
			maxmtu = h->ports[p].mtu;
		h->ports[p].tx_fd = malloc(h->nworkers * sizeof(int));
		if (!h->ports[p].tx_fd)
			return exo_err(ENOMEM, "out of memory");
		for (unsigned i = 0; i < h->nworkers; i++)
			h->ports[p].tx_fd[i] = -1;
		for (unsigned i = 0; i < h->nworkers; i++) {
			int fd = afp_tx_open(h->ports[p].ifindex, h->ports[p].name);

			if (fd < 0)
				return fd;
			h->ports[p].tx_fd[i] = fd;
		}
	}
	for (unsigned i = 0; i < h->nworkers; i++) {
		struct hook_worker *w = &h->workers[i];

		/* GRO may hand a packet socket 64 KiB frames */
		w->buf_size = hook_frame_size(maxmtu + 14 > 65536 ? maxmtu + 14 : 65536);
		w->buf = malloc(w->buf_size);
		w->rings = calloc(ninputs, sizeof(*w->rings));
		if (!w->buf || !w->rings)
			return exo_err(ENOMEM, "out of memory");
		for (unsigned p = 0, r = 0; p < h->nports; p++) {
			int err;

			if (!h->ports[p].input)
				continue;
			err = afp_ring_open(&w->rings[r], h->ports[p].ifindex, h->ports[p].name,
					    (uint16_t)(base + p));
			if (err)
				return err;
			w->nrings = ++r;
		}
	}
	return 0;
}

int hook_live_run(struct exobpf_pkt_hook *h, uint64_t duration_ms)
{
	uint64_t deadline = duration_ms ? hook_now_ns() + duration_ms * 1000000ull : 0;
	unsigned started = 0;
	int err = open_live(h);

	for (; !err && started < h->nworkers; started++) {
		int e = pthread_create(&h->workers[started].thread, NULL, live_worker,
				       &h->workers[started]);

		if (e)
			err = exo_err(e, "cannot start worker %u: %s", started, strerror(e));
	}
	while (!err && !__atomic_load_n(&h->stop, __ATOMIC_ACQUIRE) &&
	       (!deadline || hook_now_ns() < deadline))
		poll(NULL, 0, 20);
	__atomic_store_n(&h->stop, 1, __ATOMIC_RELEASE);
	for (unsigned i = 0; i < started; i++)
		pthread_join(h->workers[i].thread, NULL);
	hook_live_release(h);
	return err;
}
