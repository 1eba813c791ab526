/* Ring buffer and perf buffer consumers in libbpf's shape: callbacks per
 * record, poll with a timeout, consume without waiting, an epoll fd that
 * becomes readable when producers wake the consumer (maps/notify.c). */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <linux/perf_event.h>

#include "core/opts.h"
#include "exobpf/map.h"
#include "maps/internal.h"
#include "maps/ringbuf.h"

struct rb_ring {
	struct exo_map *map;
	exobpf_ring_buffer_sample_fn fn;
	void *ctx;
	int wake; /* FIFO read end, or -1 (then poll sleeps in short steps) */
};

struct exobpf_ring_buffer {
	struct rb_ring *rings;
	int n;
	int epfd;
	bool sleep_poll;
};

static int add_wake(int epfd, int wake, void *ptr)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = ptr};

	return wake >= 0 ? epoll_ctl(epfd, EPOLL_CTL_ADD, wake, &ev) : 0;
}

EXOBPF_API int exobpf_ring_buffer__add(struct exobpf_ring_buffer *rb, int map_fd,
				       exobpf_ring_buffer_sample_fn sample_cb, void *ctx)
{
	struct exo_map *map;
	struct rb_ring *r;

	if (!rb || !sample_cb)
		return exo_err(EINVAL, "ring_buffer__add: no ring buffer or callback");
	if (!(map = exo_map_get(map_fd))) {
		exo_err_prefix("ring_buffer__add");
		return -errno;
	}
	if (map->type != BPF_MAP_TYPE_RINGBUF) {
		exo_map_put(map);
		return exo_err(EINVAL, "ring_buffer__add: fd %d is a %s map, not a ringbuf", map_fd,
			       map_type_name(map->type));
	}
	r = realloc(rb->rings, (size_t)(rb->n + 1) * sizeof(*r));
	if (!r) {
		exo_map_put(map);
		return exo_err(ENOMEM, "ring_buffer__add: out of memory");
	}
	rb->rings = r;
	r = &rb->rings[rb->n];
	*r = (struct rb_ring){.map = map, .fn = sample_cb, .ctx = ctx, .wake = notify_reader(map)};
	if (r->wake < 0)
		rb->sleep_poll = true;
	if (add_wake(rb->epfd, r->wake, NULL) < 0) {
		int err = errno;
		if (r->wake >= 0)
			close(r->wake);
		exo_map_put(map);
		return exo_err(err, "ring_buffer__add: epoll: %s", strerror(err));
	}
	rb->n++;
	return 0;
}

EXOBPF_API struct exobpf_ring_buffer *
exobpf_ring_buffer__new(int map_fd, exobpf_ring_buffer_sample_fn sample_cb, void *ctx,
			const struct exobpf_ring_buffer_opts *opts)
{
	struct exobpf_ring_buffer *rb;
	int err;

	if (!OPTS_VALID(opts, exobpf_ring_buffer_opts))
		return NULL;
	rb = calloc(1, sizeof(*rb));
	if (!rb) {
		exo_err(ENOMEM, "ring_buffer__new: out of memory");
		return NULL;
	}
	rb->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (rb->epfd < 0) {
		exo_err(errno, "ring_buffer__new: epoll_create1: %s", strerror(errno));
		free(rb);
		return NULL;
	}
	if ((err = exobpf_ring_buffer__add(rb, map_fd, sample_cb, ctx))) {
		exobpf_ring_buffer__free(rb);
		errno = -err;
		return NULL;
	}
	return rb;
}

EXOBPF_API int exobpf_ring_buffer__consume(struct exobpf_ring_buffer *rb)
{
	long total = 0;

	if (!rb)
		return exo_err(EINVAL, "ring_buffer__consume: no ring buffer");
	/* take pending wakeups first: what they announce is consumed below, and
	 * a record committed after that wakes us again */
	for (int i = 0; i < rb->n; i++)
		notify_drain(rb->rings[i].wake);
	for (int i = 0; i < rb->n; i++) {
		long n = exo_ringbuf_consume(rb->rings[i].map, rb->rings[i].fn, rb->rings[i].ctx);

		if (n < 0)
			return (int)n;
		total += n;
	}
	return total > INT32_MAX ? INT32_MAX : (int)total;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
	nanosleep(&ts, NULL);
}

/* Wait for a wakeup on epfd (or, with sleep_poll, up to 1 ms at a time). */
static int wait_events(int epfd, bool sleep_poll, int timeout_ms)
{
	struct epoll_event ev[16];
	int n;

	if (sleep_poll) {
		sleep_ms(timeout_ms < 0 || timeout_ms > 1 ? 1 : timeout_ms);
		return 0;
	}
	n = epoll_wait(epfd, ev, 16, timeout_ms);
	return n < 0 && errno != EINTR ? -errno : 0;
}

EXOBPF_API int exobpf_ring_buffer__poll(struct exobpf_ring_buffer *rb, int timeout_ms)
{
	int n, err;

	if (!rb)
		return exo_err(EINVAL, "ring_buffer__poll: no ring buffer");
	if ((n = exobpf_ring_buffer__consume(rb)) != 0)
		return n;
	if ((err = wait_events(rb->epfd, rb->sleep_poll, timeout_ms)))
		return exo_err(-err, "ring_buffer__poll: epoll_wait: %s", strerror(-err));
	return exobpf_ring_buffer__consume(rb);
}

EXOBPF_API int exobpf_ring_buffer__epoll_fd(const struct exobpf_ring_buffer *rb)
{
	return rb ? rb->epfd : -EINVAL;
}

EXOBPF_API __u64 exobpf_ring_buffer__lost(const struct exobpf_ring_buffer *rb)
{
	__u64 n = 0;

	for (int i = 0; rb && i < rb->n; i++)
		n += exo_ringbuf_dropped(rb->rings[i].map);
	return n;
}

EXOBPF_API void exobpf_ring_buffer__free(struct exobpf_ring_buffer *rb)
{
	if (!rb)
		return;
	for (int i = 0; i < rb->n; i++) {
		if (rb->rings[i].wake >= 0)
			close(rb->rings[i].wake);
		exo_map_put(rb->rings[i].map);
	}
	free(rb->rings);
	if (rb->epfd >= 0)
		close(rb->epfd);
	free(rb);
}

/* ---- perf buffer ---- */

struct pb_ring {
	struct exo_map *ring;
	int fd;	  /* the ring's map fd */
	int wake; /* FIFO read end or -1 */
	int cpu;
	uint64_t lost_seen;
};

struct exobpf_perf_buffer {
	struct exo_map *array;
	struct pb_ring *rings;
	int n;
	int epfd;
	bool sleep_poll;
	exobpf_perf_buffer_sample_fn sample_cb;
	exobpf_perf_buffer_lost_fn lost_cb;
	void *ctx;
	uint8_t *copy; /* a record that wraps is copied here */
	size_t copy_len;
};

EXOBPF_API void exobpf_perf_buffer__free(struct exobpf_perf_buffer *pb)
{
	if (!pb)
		return;
	for (int i = 0; i < pb->n; i++) {
		struct pb_ring *r = &pb->rings[i];

		/* Linux drops a perf event's slot when the event goes away */
		if (!(pb->array->flags & BPF_F_PRESERVE_ELEMS) &&
		    map_perf_ring_at(pb->array, (uint32_t)r->cpu) == r->ring)
			map_perf_ring_set(pb->array, (uint32_t)r->cpu, NULL);
		if (r->wake >= 0)
			close(r->wake);
		exo_map_put(r->ring);
		close(r->fd);
	}
	exo_map_put(pb->array);
	free(pb->rings);
	free(pb->copy);
	if (pb->epfd >= 0)
		close(pb->epfd);
	free(pb);
}

static int pb_add_ring(struct exobpf_perf_buffer *pb, int cpu, uint32_t size)
{
	union bpf_attr attr;
	struct pb_ring *r = &pb->rings[pb->n];
	int fd, err;

	memset(&attr, 0, sizeof(attr));
	attr.map_type = EXO_MAP_TYPE_PERF_RING;
	attr.max_entries = size;
	fd = exo_map_create_attr(&attr);
	if (fd < 0)
		return fd;
	*r = (struct pb_ring){.ring = exo_map_get(fd), .fd = fd, .cpu = cpu};
	if (!r->ring) {
		close(fd);
		return -errno;
	}
	perf_ring_describe(r->ring);
	r->wake = notify_reader(r->ring);
	if (r->wake < 0)
		pb->sleep_poll = true;
	pb->n++;
	if (add_wake(pb->epfd, r->wake, NULL) < 0)
		return exo_err(errno, "perf_buffer__new: epoll: %s", strerror(errno));
	if ((err = map_perf_ring_set(pb->array, (uint32_t)cpu, r->ring)))
		return err;
	return 0;
}

EXOBPF_API struct exobpf_perf_buffer *
exobpf_perf_buffer__new(int map_fd, size_t page_cnt, exobpf_perf_buffer_sample_fn sample_cb,
			exobpf_perf_buffer_lost_fn lost_cb, void *ctx,
			const struct exobpf_perf_buffer_opts *opts)
{
	struct exobpf_perf_buffer *pb;
	uint32_t n;
	int err;

	if (!OPTS_VALID(opts, exobpf_perf_buffer_opts))
		return NULL;
	if (!page_cnt || (page_cnt & (page_cnt - 1)) || page_cnt > (1u << 20)) {
		exo_err(EINVAL, "perf_buffer__new: page_cnt %zu is not a power of 2", page_cnt);
		return NULL;
	}
	if (!sample_cb) {
		exo_err(EINVAL, "perf_buffer__new: no sample callback");
		return NULL;
	}
	pb = calloc(1, sizeof(*pb));
	if (!pb) {
		exo_err(ENOMEM, "perf_buffer__new: out of memory");
		return NULL;
	}
	pb->epfd = -1;
	pb->sample_cb = sample_cb;
	pb->lost_cb = lost_cb;
	pb->ctx = ctx;
	if (!(pb->array = exo_map_get(map_fd))) {
		exo_err_prefix("perf_buffer__new");
		goto fail;
	}
	if (pb->array->type != BPF_MAP_TYPE_PERF_EVENT_ARRAY) {
		exo_err(EINVAL, "perf_buffer__new: fd %d is a %s map, not a perf_event_array",
			map_fd, map_type_name(pb->array->type));
		goto fail;
	}
	/* libbpf: one ring per possible CPU, at most max_entries */
	n = pb->array->nslots < pb->array->max_entries ? pb->array->nslots : pb->array->max_entries;
	pb->rings = calloc(n, sizeof(*pb->rings));
	pb->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (!pb->rings || pb->epfd < 0) {
		exo_err(ENOMEM, "perf_buffer__new: out of memory");
		goto fail;
	}
	for (uint32_t i = 0; i < n; i++)
		if ((err = pb_add_ring(pb, (int)i, (uint32_t)(page_cnt * MAP_PAGE)))) {
			exo_err_prefix("perf_buffer__new: cpu %u", i);
			goto fail;
		}
	return pb;
fail:
	err = errno;
	exobpf_perf_buffer__free(pb);
	errno = err;
	return NULL;
}

static int pb_consume_ring(struct exobpf_perf_buffer *pb, struct pb_ring *r)
{
	uint64_t head = perf_ring_head(r->ring), tail = perf_ring_tail(r->ring), lost;
	int n = 0;

	while (tail < head) {
		struct perf_event_header h;
		uint8_t *rec;

		perf_ring_read(r->ring, tail, &h, sizeof(h));
		if (h.size < sizeof(h) || tail + h.size > head)
			break; /* corrupt: stop rather than read garbage */
		if (pb->copy_len < h.size) {
			uint8_t *c = realloc(pb->copy, h.size);
			if (!c)
				return exo_err(ENOMEM, "perf_buffer: out of memory");
			pb->copy = c;
			pb->copy_len = h.size;
		}
		rec = pb->copy;
		perf_ring_read(r->ring, tail, rec, h.size);
		if (h.type == PERF_RECORD_SAMPLE && h.size >= sizeof(h) + 4) {
			uint32_t size;
			memcpy(&size, rec + sizeof(h), 4);
			if (size <= h.size - sizeof(h) - 4)
				pb->sample_cb(pb->ctx, r->cpu, rec + sizeof(h) + 4, size);
		}
		tail += h.size;
		perf_ring_set_tail(r->ring, tail);
		n++;
	}
	lost = perf_ring_lost(r->ring);
	if (lost != r->lost_seen) {
		if (pb->lost_cb)
			pb->lost_cb(pb->ctx, r->cpu, lost - r->lost_seen);
		r->lost_seen = lost;
	}
	return n;
}

EXOBPF_API int exobpf_perf_buffer__consume(struct exobpf_perf_buffer *pb)
{
	int total = 0;

	if (!pb)
		return exo_err(EINVAL, "perf_buffer__consume: no perf buffer");
	for (int i = 0; i < pb->n; i++)
		notify_drain(pb->rings[i].wake);
	for (int i = 0; i < pb->n; i++) {
		int n = pb_consume_ring(pb, &pb->rings[i]);
		if (n < 0)
			return n;
		total += n;
	}
	return total;
}

EXOBPF_API int exobpf_perf_buffer__poll(struct exobpf_perf_buffer *pb, int timeout_ms)
{
	int n, err;

	if (!pb)
		return exo_err(EINVAL, "perf_buffer__poll: no perf buffer");
	if ((n = exobpf_perf_buffer__consume(pb)) != 0)
		return n;
	if ((err = wait_events(pb->epfd, pb->sleep_poll, timeout_ms)))
		return exo_err(-err, "perf_buffer__poll: epoll_wait: %s", strerror(-err));
	return exobpf_perf_buffer__consume(pb);
}

EXOBPF_API int exobpf_perf_buffer__epoll_fd(const struct exobpf_perf_buffer *pb)
{
	return pb ? pb->epfd : -EINVAL;
}
