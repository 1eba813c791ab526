/* Packet hooks: the public API and the offline engine.
 *
 * Offline, the thread calling __run reads the capture files into batches
 * (each frame copied once into its own page-sized buffer in the batch's
 * arena), the workers run the program on the frames of their flows (a
 * frame's worker is its flow hash modulo the workers), and the reading
 * thread writes the outcomes in input order. Two batches alternate, so
 * reading and writing overlap the workers' runs; the output is the same
 * whatever the number of workers. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/if_packet.h>

#include "core/err.h"
#include "core/opts.h"
#include "core/prog.h"
#include "hooks/engine.h"
#include "hooks/flow.h"
#include "maps/map.h"

#define BATCH_PKTS  1024
#define BATCH_ARENA (8u << 20)

static const char *const action_names[EXOBPF_PKT__MAX] = {
    [EXOBPF_PKT_PASS] = "pass",		[EXOBPF_PKT_DROP] = "drop",	  [EXOBPF_PKT_TX] = "tx",
    [EXOBPF_PKT_REDIRECT] = "redirect", [EXOBPF_PKT_ABORTED] = "aborted",
};

EXOBPF_API const char *exobpf_pkt_action_str(enum exobpf_pkt_action a)
{
	return (unsigned)a < EXOBPF_PKT__MAX ? action_names[a] : "unknown";
}

uint64_t hook_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct hook_port *hook_port_find(struct exobpf_pkt_hook *h, uint32_t ifindex)
{
	for (unsigned i = 0; i < h->nports; i++)
		if (h->ports[i].ifindex == ifindex)
			return &h->ports[i];
	return NULL;
}

struct bcast_arg {
	uint32_t ingress;
	bool exclude;
	uint32_t **list, *n, *cap;
	unsigned added;
};

static uint64_t bcast_one(struct exo_map *map, void *key, void *value, void *ctx, void *arg)
{
	struct bcast_arg *a = arg;
	uint32_t ifindex = __atomic_load_n((uint32_t *)value, __ATOMIC_RELAXED);

	(void)map, (void)key, (void)ctx;
	if (!ifindex || (a->exclude && ifindex == a->ingress))
		return 0;
	if (*a->n == *a->cap) {
		uint32_t cap = *a->cap ? *a->cap * 2 : 16, *l = realloc(*a->list, cap * 4);

		if (!l)
			return 1;
		*a->list = l;
		*a->cap = cap;
	}
	(*a->list)[(*a->n)++] = ifindex;
	a->added++;
	return 0;
}

unsigned hook_broadcast_ports(const struct hook_verdict *v, uint32_t ingress, uint32_t **list,
			      uint32_t *n, uint32_t *cap)
{
	struct bcast_arg a = {ingress, v->exclude_ingress, list, n, cap, 0};

	exo_map_for_each(v->map, bcast_one, NULL, &a, 0);
	return a.added;
}

/* ---- the object ---- */

static int supported_type(enum bpf_prog_type t)
{
	return t == BPF_PROG_TYPE_XDP || t == BPF_PROG_TYPE_SCHED_CLS ||
	       t == BPF_PROG_TYPE_SCHED_ACT || t == BPF_PROG_TYPE_SOCKET_FILTER;
}

static char *dup_opt(const char *s, bool *oom)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		*oom = true;
	return d;
}

EXOBPF_API struct exobpf_pkt_hook *exobpf_pkt_hook__new(struct exobpf_prog *prog,
							const struct exobpf_pkt_hook_opts *opts)
{
	struct exobpf_pkt_hook *h;
	unsigned threads;
	bool oom = false;

	if (!OPTS_VALID(opts, exobpf_pkt_hook_opts))
		return NULL;
	if (!prog) {
		exo_err(EINVAL, "exobpf_pkt_hook__new: no program");
		return NULL;
	}
	if (!supported_type(prog->type)) {
		exo_err(EINVAL,
			"%s: a %s program cannot run on packets (xdp, sched_cls, sched_act "
			"and socket_filter can)",
			prog->name, pt_type_name(prog->type));
		return NULL;
	}
	threads = OPT(opts, threads, 0) ? OPT(opts, threads, 0) : 1;
	if (threads > HOOK_MAX_THREADS) {
		exo_err(EINVAL, "%u threads: at most %d", threads, HOOK_MAX_THREADS);
		return NULL;
	}
	/* every worker owns a slot of every per-CPU map the program uses */
	for (uint32_t i = 0; i < prog->nr_maps; i++)
		if (exo_map_nslots(prog->maps[i]) < threads) {
			exo_err(EINVAL,
				"%u threads, but map %u has %u execution slots (one per thread "
				"is needed: set EXOBPF_SLOTS before creating the maps)",
				threads, exo_map_id(prog->maps[i]), exo_map_nslots(prog->maps[i]));
			return NULL;
		}
	h = calloc(1, sizeof(*h));
	if (!h) {
		exo_err(ENOMEM, "out of memory");
		return NULL;
	}
	h->prog = prog;
	h->nworkers = threads;
	h->ifindex = OPT(opts, ifindex, 0) ? OPT(opts, ifindex, 0) : 1;
	h->flags = OPT(opts, flags, 0);
	h->on_packet = OPT(opts, on_packet, NULL);
	h->ctx = OPT(opts, ctx, NULL);
	h->pass_path = dup_opt(OPT(opts, pass_file, NULL), &oom);
	h->tx_path = dup_opt(OPT(opts, tx_file, NULL), &oom);
	h->drop_path = dup_opt(OPT(opts, drop_file, NULL), &oom);
	h->redirect_dir = dup_opt(OPT(opts, redirect_dir, NULL), &oom);
	pthread_mutex_init(&h->out_mu, NULL);
	h->workers = calloc(threads, sizeof(*h->workers));
	if (oom || !h->workers) {
		exobpf_pkt_hook__free(h);
		exo_err(ENOMEM, "out of memory");
		return NULL;
	}
	for (unsigned i = 0; i < threads; i++) {
		h->workers[i].h = h;
		h->workers[i].idx = i;
		hook_exec_init(&h->workers[i].exec, prog, i, h->flags & EXOBPF_PKT_CHECKED);
	}
	return h;
}

EXOBPF_API int exobpf_pkt_hook__add_file(struct exobpf_pkt_hook *h, const char *path)
{
	char **f, *p;

	if (!h || !path)
		return exo_err(EINVAL, "exobpf_pkt_hook__add_file: no hook or path");
	if (h->live)
		return exo_err(EINVAL,
			       "%s: this hook reads interfaces; files and interfaces do "
			       "not mix",
			       path);
	f = realloc(h->files, (h->nfiles + 1) * sizeof(*f));
	if (!f)
		return exo_err(ENOMEM, "out of memory");
	h->files = f;
	if (!(p = strdup(path)))
		return exo_err(ENOMEM, "out of memory");
	h->files[h->nfiles++] = p;
	return 0;
}

static int add_port(struct exobpf_pkt_hook *h, const char *ifname, bool input)
{
	struct hook_port *p;
	uint32_t ifindex, mtu = 1500;
	int err;

	if (!h || !ifname)
		return exo_err(EINVAL, "exobpf_pkt_hook__add_dev: no hook or interface");
	if (h->nfiles)
		return exo_err(EINVAL,
			       "%s: this hook reads capture files; files and interfaces "
			       "do not mix",
			       ifname);
	if ((err = afp_dev_info(ifname, &ifindex, &mtu)))
		return err;
	if (input) {
		unsigned inputs = 0;

		for (unsigned i = 0; i < h->nports; i++)
			inputs += h->ports[i].input && h->ports[i].ifindex != ifindex;
		if (inputs == HOOK_MAX_INPUTS)
			return exo_err(E2BIG, "%s: a hook reads at most %d interfaces", ifname,
				       HOOK_MAX_INPUTS);
	}
	if ((p = hook_port_find(h, ifindex))) {
		p->input |= input;
		h->live = true;
		return 0;
	}
	p = realloc(h->ports, (h->nports + 1) * sizeof(*p));
	if (!p)
		return exo_err(ENOMEM, "out of memory");
	h->ports = p;
	p = &h->ports[h->nports++];
	memset(p, 0, sizeof(*p));
	p->ifindex = ifindex;
	p->mtu = mtu;
	p->input = input;
	snprintf(p->name, sizeof(p->name), "%s", ifname);
	h->live = true;
	return 0;
}

EXOBPF_API int exobpf_pkt_hook__add_dev(struct exobpf_pkt_hook *h, const char *ifname)
{
	return add_port(h, ifname, true);
}

EXOBPF_API int exobpf_pkt_hook__add_port(struct exobpf_pkt_hook *h, const char *ifname)
{
	return add_port(h, ifname, false);
}

EXOBPF_API void exobpf_pkt_hook__stop(struct exobpf_pkt_hook *h)
{
	if (h)
		__atomic_store_n(&h->stop, 1, __ATOMIC_RELEASE);
}

static void add_counters(struct exobpf_pkt_stats *s, const struct hook_counters *c)
{
	s->packets += __atomic_load_n(&c->packets, __ATOMIC_RELAXED);
	s->bytes += __atomic_load_n(&c->bytes, __ATOMIC_RELAXED);
	for (int a = 0; a < EXOBPF_PKT__MAX; a++)
		s->actions[a] += __atomic_load_n(&c->actions[a], __ATOMIC_RELAXED);
	s->redirect_errors += __atomic_load_n(&c->redirect_errors, __ATOMIC_RELAXED);
	s->tx_errors += __atomic_load_n(&c->tx_errors, __ATOMIC_RELAXED);
	s->faults += __atomic_load_n(&c->faults, __ATOMIC_RELAXED);
	s->rx_dropped += __atomic_load_n(&c->rx_dropped, __ATOMIC_RELAXED);
}

EXOBPF_API int exobpf_pkt_hook__stats(const struct exobpf_pkt_hook *h,
				      struct exobpf_pkt_stats *stats)
{
	struct exobpf_pkt_stats s = {.sz = sizeof(s)};
	size_t n;

	if (!h || !stats || stats->sz < offsetof(struct exobpf_pkt_stats, bytes))
		return exo_err(EINVAL, "exobpf_pkt_hook__stats: no hook or stats");
	add_counters(&s, &h->main_c);
	for (unsigned i = 0; i < h->nworkers; i++)
		add_counters(&s, &h->workers[i].c);
	s.elapsed_ns = __atomic_load_n(&h->running, __ATOMIC_ACQUIRE) ? hook_now_ns() - h->start_ns
								      : h->elapsed_ns;
	n = stats->sz < sizeof(s) ? stats->sz : sizeof(s);
	memcpy((char *)stats + sizeof(size_t), (char *)&s + sizeof(size_t), n - sizeof(size_t));
	return 0;
}

EXOBPF_API void exobpf_pkt_hook__free(struct exobpf_pkt_hook *h)
{
	if (!h)
		return;
	hook_live_release(h);
	for (unsigned i = 0; i < h->nfiles; i++)
		free(h->files[i]);
	free(h->files);
	for (unsigned i = 0; i < h->nports; i++)
		cap_out_close(h->ports[i].out);
	free(h->ports);
	free(h->workers);
	free(h->pass_path);
	free(h->tx_path);
	free(h->drop_path);
	free(h->redirect_dir);
	pthread_mutex_destroy(&h->out_mu);
	free(h);
}

/* ---- offline ---- */

struct rec {
	struct hook_meta m;
	uint64_t seq;
	size_t off; /* the frame's buffer in the arena */
	uint32_t size, len;
	uint32_t worker;
	uint32_t bc_off, bc_n; /* broadcast ports in the worker's list */
	struct hook_verdict v;
};

struct plist {
	uint32_t *list;
	uint32_t n, cap;
};

struct batch {
	uint8_t *arena;
	size_t used;
	struct rec *recs;
	uint32_t n;
	struct plist *ports; /* per worker */
};

struct offline {
	struct exobpf_pkt_hook *h;
	pthread_mutex_t mu;
	pthread_cond_t go, done;
	uint64_t gen;
	unsigned pending;
	bool quit;
	struct batch *cur;
	struct cap_in *in;
	unsigned next_file;
	bool eof;
	int err;
};

static void batch_free(struct batch *b, unsigned nworkers)
{
	free(b->arena);
	free(b->recs);
	if (b->ports)
		for (unsigned i = 0; i < nworkers; i++)
			free(b->ports[i].list);
	free(b->ports);
}

static int batch_alloc(struct batch *b, unsigned nworkers)
{
	memset(b, 0, sizeof(*b));
	b->arena = malloc(BATCH_ARENA);
	b->recs = calloc(BATCH_PKTS, sizeof(*b->recs));
	b->ports = calloc(nworkers, sizeof(*b->ports));
	if (!b->arena || !b->recs || !b->ports) {
		batch_free(b, nworkers);
		return exo_err(ENOMEM, "out of memory for a batch of packets");
	}
	return 0;
}

/* What a receive path without an interface address knows of the type. */
static uint8_t pkt_type_of(const uint8_t *eth)
{
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

	if (!(eth[0] & 1))
		return PACKET_HOST;
	return memcmp(eth, bcast, 6) ? PACKET_MULTICAST : PACKET_BROADCAST;
}

/* Read packets into b until it is full or the inputs end. */
static void fill(struct offline *o, struct batch *b)
{
	struct exobpf_pkt_hook *h = o->h;

	b->n = 0;
	b->used = 0;
	for (unsigned w = 0; w < h->nworkers; w++)
		b->ports[w].n = 0;
	while (b->n < BATCH_PKTS && !o->eof && !__atomic_load_n(&h->stop, __ATOMIC_ACQUIRE)) {
		struct cap_pkt p;
		struct rec *r;
		uint32_t size;
		int rc;

		if (!o->in) {
			if (o->next_file == h->nfiles) {
				o->eof = true;
				break;
			}
			o->in = cap_in_open(h->files[o->next_file++]);
			if (!o->in) {
				o->err = -errno;
				o->eof = true;
				break;
			}
		}
		/* room for the largest frame libpcap hands out, then read */
		if (b->used + hook_frame_size(262144) > BATCH_ARENA)
			break;
		rc = cap_in_next(o->in, &p);
		if (rc <= 0) {
			cap_in_close(o->in);
			o->in = NULL;
			if (rc < 0) {
				o->err = rc;
				o->eof = true;
			}
			continue;
		}
		if (p.caplen < EXO_ETH_HLEN) {
			o->err = exo_err(EINVAL,
					 "%s: packet %llu has %u bytes, less than an Ethernet "
					 "header",
					 cap_in_path(o->in), (unsigned long long)p.seq, p.caplen);
			o->eof = true;
			break;
		}
		size = hook_frame_size(p.caplen);
		r = &b->recs[b->n++];
		memset(r, 0, sizeof(*r));
		r->off = b->used;
		r->size = size;
		r->len = p.caplen;
		r->seq = p.seq;
		r->m.ts_ns = p.ts_ns;
		r->m.wire_len = p.len;
		r->m.ifindex = h->ifindex;
		r->m.hash = flow_hash(p.data, p.caplen);
		r->m.pkt_type = pkt_type_of(p.data);
		r->worker = r->m.hash % h->nworkers;
		memcpy(b->arena + r->off + HOOK_HEADROOM, p.data, p.caplen);
		b->used += size;
	}
}

static void run_batch(struct hook_worker *w, struct batch *b)
{
	struct plist *pl = &b->ports[w->idx];

	pl->n = 0;
	for (uint32_t i = 0; i < b->n; i++) {
		struct rec *r = &b->recs[i];

		if (r->worker != w->idx)
			continue;
		hook_exec_packet(&w->exec, b->arena + r->off, r->size, r->len, &r->m, &r->v);
		if (r->v.action == EXOBPF_PKT_REDIRECT && r->v.broadcast) {
			r->bc_off = pl->n;
			r->bc_n =
			    hook_broadcast_ports(&r->v, r->m.ifindex, &pl->list, &pl->n, &pl->cap);
		}
	}
}

static void *offline_worker(void *arg)
{
	struct hook_worker *w = arg;
	struct offline *o = w->offline;
	uint64_t seen = 0;

	for (;;) {
		struct batch *b;

		pthread_mutex_lock(&o->mu);
		while (o->gen == seen && !o->quit)
			pthread_cond_wait(&o->go, &o->mu);
		if (o->quit) {
			pthread_mutex_unlock(&o->mu);
			return NULL;
		}
		seen = o->gen;
		b = o->cur;
		pthread_mutex_unlock(&o->mu);
		run_batch(w, b);
		pthread_mutex_lock(&o->mu);
		if (--o->pending == 0)
			pthread_cond_signal(&o->done);
		pthread_mutex_unlock(&o->mu);
	}
}

static void start(struct offline *o, struct batch *b)
{
	pthread_mutex_lock(&o->mu);
	o->cur = b;
	o->pending = o->h->nworkers;
	o->gen++;
	pthread_cond_broadcast(&o->go);
	pthread_mutex_unlock(&o->mu);
}

static void wait_done(struct offline *o)
{
	pthread_mutex_lock(&o->mu);
	while (o->pending)
		pthread_cond_wait(&o->done, &o->mu);
	pthread_mutex_unlock(&o->mu);
}

/* The capture file for redirects to a port, opened on first use. */
static struct cap_out *port_file(struct exobpf_pkt_hook *h, uint32_t ifindex, int *err)
{
	struct hook_port *p = hook_port_find(h, ifindex);
	char path[PATH_MAX];

	if (!p) {
		p = realloc(h->ports, (h->nports + 1) * sizeof(*p));
		if (!p) {
			*err = exo_err(ENOMEM, "out of memory");
			return NULL;
		}
		h->ports = p;
		p = &h->ports[h->nports++];
		memset(p, 0, sizeof(*p));
		p->ifindex = ifindex;
	}
	if (p->out)
		return p->out;
	if (snprintf(path, sizeof(path), "%s/port-%u.pcap", h->redirect_dir, ifindex) >=
	    (int)sizeof(path)) {
		*err = exo_err(ENAMETOOLONG, "%s: the directory name is too long", h->redirect_dir);
		return NULL;
	}
	p->out = cap_out_open(path);
	if (!p->out)
		*err = -errno;
	return p->out;
}

/* One outcome of a packet: to its file and the callback. */
static int emit(struct exobpf_pkt_hook *h, const struct rec *r, enum exobpf_pkt_action a,
		uint32_t port, struct cap_out *out)
{
	const struct hook_verdict *v = &r->v;
	uint32_t wire = v->wire_len + (r->m.wire_len - r->len); /* bytes never captured */
	int err = 0;

	if (out)
		err = cap_out_write(out, r->m.ts_ns, v->data, v->len, wire);
	if (h->on_packet) {
		struct exobpf_pkt_event ev = {
		    .action = a,
		    .retval = v->retval,
		    .ingress = r->m.ifindex,
		    .port = port,
		    .seq = r->seq,
		    .ts_ns = r->m.ts_ns,
		    .data = v->data,
		    .len = v->len,
		    .wire_len = wire,
		    .worker = r->worker,
		};
		h->on_packet(h->ctx, &ev);
	}
	return err;
}

static int write_batch(struct exobpf_pkt_hook *h, struct batch *b)
{
	struct hook_counters *c = &h->main_c;
	int err = 0;

	for (uint32_t i = 0; i < b->n; i++) {
		struct rec *r = &b->recs[i];
		struct hook_verdict *v = &r->v;
		int e = 0;

		hook_count(&c->packets, 1);
		hook_count(&c->bytes, r->len);
		hook_count(&c->actions[v->action], 1);
		if (v->fault)
			hook_count(&c->faults, 1);
		switch (v->action) {
		case EXOBPF_PKT_PASS:
			e = emit(h, r, v->action, 0, h->pass);
			break;
		case EXOBPF_PKT_TX:
			e = emit(h, r, v->action, v->port, h->tx);
			break;
		case EXOBPF_PKT_REDIRECT:
			if (v->broadcast) {
				const struct plist *pl = &b->ports[r->worker];

				for (uint32_t k = 0; k < r->bc_n && !e; k++) {
					uint32_t port = pl->list[r->bc_off + k];
					struct cap_out *out =
					    h->redirect_dir ? port_file(h, port, &e) : NULL;

					if (!e)
						e = emit(h, r, v->action, port, out);
				}
			} else if (!v->port) {
				hook_count(&c->redirect_errors, 1);
				e = emit(h, r, v->action, 0, h->drop);
			} else {
				struct cap_out *out =
				    h->redirect_dir ? port_file(h, v->port, &e) : NULL;

				if (!e)
					e = emit(h, r, v->action, v->port, out);
			}
			break;
		default:
			e = emit(h, r, v->action, 0, h->drop);
			break;
		}
		free(v->own);
		v->own = NULL;
		if (e && !err)
			err = e;
	}
	b->n = 0;
	return err;
}

static int open_outputs(struct exobpf_pkt_hook *h)
{
	if ((h->pass_path && !(h->pass = cap_out_open(h->pass_path))) ||
	    (h->tx_path && !(h->tx = cap_out_open(h->tx_path))) ||
	    (h->drop_path && !(h->drop = cap_out_open(h->drop_path))))
		return -errno;
	return 0;
}

static int close_outputs(struct exobpf_pkt_hook *h)
{
	int err = 0, e;

	e = cap_out_close(h->pass);
	err = err ? err : e;
	e = cap_out_close(h->tx);
	err = err ? err : e;
	e = cap_out_close(h->drop);
	err = err ? err : e;
	h->pass = h->tx = h->drop = NULL;
	for (unsigned i = 0; i < h->nports; i++) {
		e = cap_out_close(h->ports[i].out);
		err = err ? err : e;
		h->ports[i].out = NULL;
	}
	return err;
}

static int offline_run(struct exobpf_pkt_hook *h)
{
	struct offline o = {.h = h};
	struct batch bs[2], *a = &bs[0], *b = &bs[1];
	unsigned started = 0;
	int err, werr = 0;

	if ((err = batch_alloc(a, h->nworkers)))
		return err;
	if ((err = batch_alloc(b, h->nworkers))) {
		batch_free(a, h->nworkers);
		return err;
	}
	pthread_mutex_init(&o.mu, NULL);
	pthread_cond_init(&o.go, NULL);
	pthread_cond_init(&o.done, NULL);
	/* One worker runs in the caller's thread: handing batches to a thread
	 * and back costs more than reading and writing them alongside gains. */
	bool inline_run = h->nworkers == 1;

	for (; !inline_run && started < h->nworkers; started++) {
		h->workers[started].offline = &o;
		if ((err = pthread_create(&h->workers[started].thread, NULL, offline_worker,
					  &h->workers[started]))) {
			err = exo_err(err, "cannot start worker %u: %s", started, strerror(err));
			break;
		}
	}
	if (!err) {
		fill(&o, a);
		while (a->n) {
			if (inline_run)
				run_batch(&h->workers[0], a);
			else
				start(&o, a);
			if ((err = write_batch(h, b)) && !werr) {
				werr = err; /* an output failed: stop reading */
				__atomic_store_n(&h->stop, 1, __ATOMIC_RELEASE);
			}
			err = 0;
			fill(&o, b);
			if (!inline_run)
				wait_done(&o);
			struct batch *t = a;
			a = b;
			b = t;
		}
		if ((err = write_batch(h, b)) && !werr)
			werr = err;
		err = 0;
	}
	pthread_mutex_lock(&o.mu);
	o.quit = true;
	pthread_cond_broadcast(&o.go);
	pthread_mutex_unlock(&o.mu);
	for (unsigned i = 0; i < started; i++)
		pthread_join(h->workers[i].thread, NULL);
	cap_in_close(o.in);
	batch_free(a, h->nworkers);
	batch_free(b, h->nworkers);
	pthread_cond_destroy(&o.go);
	pthread_cond_destroy(&o.done);
	pthread_mutex_destroy(&o.mu);
	return err ? err : o.err ? o.err : werr;
}

EXOBPF_API int exobpf_pkt_hook__run(struct exobpf_pkt_hook *h, uint64_t duration_ms)
{
	int err, cerr;

	if (!h)
		return exo_err(EINVAL, "exobpf_pkt_hook__run: no hook");
	if (!h->nfiles && !h->live)
		return exo_err(EINVAL, "nothing to read: add a capture file or an interface");
	if (h->live && !h->nports)
		return exo_err(EINVAL, "nothing to read: add an interface");
	if (__atomic_exchange_n(&h->running, 1, __ATOMIC_ACQ_REL))
		return exo_err(EBUSY, "the hook is running already");
	h->start_ns = hook_now_ns();
	__atomic_store_n(&h->stop, 0, __ATOMIC_RELEASE);
	err = open_outputs(h);
	if (!err)
		err = h->live ? hook_live_run(h, duration_ms) : offline_run(h);
	cerr = close_outputs(h);
	h->elapsed_ns = hook_now_ns() - h->start_ns;
	__atomic_store_n(&h->running, 0, __ATOMIC_RELEASE);
	if (!err && cerr)
		err = cerr;
	if (err)
		errno = -err;
	return err;
}
