/* Ring buffers, perf buffers and bpf_spin_lock: helpers against the kernel
 * where it can run them, and the consumers under concurrent producers. */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/wait.h>

#include "exobpf/exobpf.h"
#include "helper_run.h"
#include "test.h"
#include "util.h"

static struct exobpf_prog *asm_prog(const char *fmt, int fd)
{
	char text[4096];
	struct bpf_insn *insns;
	size_t cnt;
	struct exobpf_prog *p;

	snprintf(text, sizeof(text), fmt, fd, fd, fd, fd);
	if (exobpf_asm(text, "t.s", &insns, &cnt))
		return NULL;
	p = exobpf_prog__new(insns, cnt, NULL);
	free(insns);
	return p;
}

/* reserve+submit 16, output 8, reserve+discard 8: query says 24+16+16 bytes
 * are waiting; bad flags are -EINVAL. Same on the kernel. */
TEST(ringbuf_helpers_vs_kernel)
{
	static const char *text = "r1 = map[fd:%d]\nr2 = 16\nr3 = 0\ncall bpf_ringbuf_reserve\n"
				  "if r0 == 0 goto fail\n"
				  "*(u64 *)(r0 +0) = 7\n*(u64 *)(r0 +8) = 8\n"
				  "r1 = r0\nr2 = 0\ncall bpf_ringbuf_submit\n"
				  "*(u64 *)(r10 -8) = 9\n"
				  "r1 = map[fd:%d]\nr2 = r10\nr2 += -8\nr3 = 8\nr4 = 0\n"
				  "call bpf_ringbuf_output\nr6 = r0\n"
				  "r1 = map[fd:%d]\nr2 = 8\nr3 = 0\ncall bpf_ringbuf_reserve\n"
				  "if r0 == 0 goto fail\n"
				  "r1 = r0\nr2 = 0\ncall bpf_ringbuf_discard\n"
				  "r1 = map[fd:%d]\nr2 = r10\nr2 += -8\nr3 = 8\nr4 = 4\n"
				  "call bpf_ringbuf_output\nr7 = r0\n"
				  "r1 = map[fd:%d]\nr2 = 0\ncall bpf_ringbuf_query\n"
				  "r7 &= 0xff\nr7 <<= 16\nr0 |= r7\nr6 <<= 8\nr0 |= r6\n"
				  "exit\n"
				  "fail:\nr0 = 999\nexit\n";
	int e = exobpf_map_create(BPF_MAP_TYPE_RINGBUF, "rb", 0, 0, 4096, NULL), k = -1;
	struct both b;

	CHECK(e >= 0);
	if (kbpf_available())
		k = kbpf_map_create(BPF_MAP_TYPE_RINGBUF, 0, 0, 4096, 0, 0, 0);
	int ef[5] = {e, e, e, e, e}, kf[5] = {k, k, k, k, k};
	CHECK_MSG(run_both(text, ef, k >= 0 ? kf : NULL, 0, &b), "%s", b.why);
	/* the checked run (reported) is first: 24 + 16 + 16 bytes waiting */
	uint32_t want = (uint32_t)(uint8_t)-EINVAL << 16 | 56;
	CHECK_EQ(b.r0, want);
	CHECK_MSG(!b.kernel_tried || b.kernel_ran, "kernel refused: %s", b.klog);
	if (b.kernel_ran)
		CHECK_EQ(b.kr0, (uint32_t)(uint8_t)-EINVAL << 16 | 56);
	/* user space gets Linux's ENOTSUPP for element commands */
	uint32_t key = 0, v;
	CHECK_EQ(exobpf_map_lookup_elem(e, &key, &v), -EINVAL); /* key_size 0: a key is wrong */
	CHECK_EQ(exobpf_map_lookup_elem(e, NULL, &v), -524);
	CHECK_EQ(exobpf_map_update_elem(e, NULL, &v, 0), -524);
	CHECK_EQ(exobpf_map_delete_elem(e, NULL), -524);
	CHECK_EQ(exobpf_map_get_next_key(e, NULL, &v), -524);
	if (k >= 0) {
		CHECK_EQ(kbpf_map_lookup(k, NULL, &v, 0), -524);
		CHECK_EQ(kbpf_map_update(k, NULL, &v, 0), -524);
		CHECK_EQ(kbpf_map_delete(k, NULL), -524);
		CHECK_EQ(kbpf_map_next_key(k, NULL, &v), -524);
		close(k);
	}
	/* Linux's size rules */
	CHECK_EQ(exobpf_map_create(BPF_MAP_TYPE_RINGBUF, "rb", 0, 0, 4096 * 3, NULL), -EINVAL);
	CHECK_EQ(exobpf_map_create(BPF_MAP_TYPE_RINGBUF, "rb", 0, 0, 2048, NULL), -EINVAL);
	CHECK_EQ(exobpf_map_create(BPF_MAP_TYPE_RINGBUF, "rb", 4, 0, 4096, NULL), -EINVAL);
	close(e);
}

struct rec {
	uint32_t producer;
	uint32_t pad;
	uint64_t seq;
};

#define PER_PRODUCER 20000

struct consumer_state {
	uint64_t next[2]; /* lowest seq not yet seen per producer */
	uint64_t got, order_errors, dup_errors;
	uint8_t *seen[2];
};

static int on_record(void *ctx, void *data, size_t size)
{
	struct consumer_state *c = ctx;
	struct rec r;

	if (size != sizeof(r))
		return -EINVAL;
	memcpy(&r, data, sizeof(r));
	if (r.producer > 1 || r.seq >= PER_PRODUCER)
		return -EINVAL;
	if (r.seq < c->next[r.producer])
		c->order_errors++;
	if (c->seen[r.producer][r.seq]++)
		c->dup_errors++;
	c->next[r.producer] = r.seq + 1;
	c->got++;
	return 0;
}

struct producer_arg {
	struct exobpf_prog *prog;
	uint32_t id;
	uint64_t failed;
};

static void *produce(void *p)
{
	struct producer_arg *a = p;

	for (uint64_t i = 0; i < PER_PRODUCER; i++) {
		struct rec r = {.producer = a->id, .seq = i};
		EXOBPF_OPTS(exobpf_run_opts, o, .data_in = &r, .data_size_in = sizeof(r),
			    .slot = a->id);
		if (exobpf_prog__run(a->prog, &o) || o.retval)
			a->failed++;
	}
	return NULL;
}

/* Two producer threads, one consumer: every committed record seen exactly
 * once and in commit order per producer; what did not fit is counted. */
TEST(ringbuf_two_producers_one_consumer)
{
	int fd = exobpf_map_create(BPF_MAP_TYPE_RINGBUF, "rb", 0, 0, 16384, NULL);
	struct consumer_state c = {0};
	struct producer_arg pa[2];
	pthread_t t[2];
	struct exobpf_ring_buffer *rb;

	CHECK(fd >= 0);
	c.seen[0] = calloc(PER_PRODUCER, 1);
	c.seen[1] = calloc(PER_PRODUCER, 1);
	rb = exobpf_ring_buffer__new(fd, on_record, &c, NULL);
	CHECK_MSG(rb, "%s", exobpf_errmsg());
	CHECK(exobpf_ring_buffer__epoll_fd(rb) >= 0);
	for (int i = 0; i < 2; i++) {
		pa[i] = (struct producer_arg){.id = (uint32_t)i};
		pa[i].prog = asm_prog("r2 = r1\nr1 = map[fd:%d]\nr3 = 16\nr4 = 0\n"
				      "call bpf_ringbuf_output\nexit\n",
				      fd);
		CHECK(pa[i].prog);
		pthread_create(&t[i], NULL, produce, &pa[i]);
	}
	bool joined[2] = {false, false};
	while (!joined[0] || !joined[1]) {
		int n = exobpf_ring_buffer__poll(rb, 10);
		CHECK_MSG(n >= 0, "poll: %d %s", n, exobpf_errmsg());
		for (int i = 0; i < 2; i++)
			if (!joined[i])
				joined[i] = pthread_tryjoin_np(t[i], NULL) == 0;
	}
	CHECK(exobpf_ring_buffer__consume(rb) >= 0);
	CHECK_EQ(c.order_errors, 0);
	CHECK_EQ(c.dup_errors, 0);
	CHECK_EQ(c.got + pa[0].failed + pa[1].failed, 2 * PER_PRODUCER);
	CHECK_EQ(exobpf_ring_buffer__lost(rb), pa[0].failed + pa[1].failed);
	exobpf_ring_buffer__free(rb);
	for (int i = 0; i < 2; i++)
		exobpf_prog__free(pa[i].prog);
	free(c.seen[0]);
	free(c.seen[1]);
	close(fd);
}

static int count_cb(void *ctx, void *data, size_t size)
{
	(void)data, (void)size;
	(*(int *)ctx)++;
	return 0;
}

/* A full ring: reservations fail, are counted, and the consumer wakes
 * through epoll when a record arrives after it caught up. */
TEST(ringbuf_full_and_epoll_wakeup)
{
	int fd = exobpf_map_create(BPF_MAP_TYPE_RINGBUF, "rb", 0, 0, 4096, NULL), n = 0;
	struct exobpf_ring_buffer *rb;
	struct exobpf_prog *p;
	struct epoll_event ev;
	uint8_t data[1000] = {0};

	CHECK(fd >= 0);
	rb = exobpf_ring_buffer__new(fd, count_cb, &n, NULL);
	CHECK(rb);
	p = asm_prog("r2 = r1\nr1 = map[fd:%d]\nr3 = 1000\nr4 = 0\ncall bpf_ringbuf_output\nexit\n",
		     fd);
	CHECK(p);
	int ok = 0, full = 0;
	for (int i = 0; i < 6; i++) { /* 1008 bytes each: 4 fit in 4096 */
		EXOBPF_OPTS(exobpf_run_opts, o, .data_in = data, .data_size_in = sizeof(data));
		CHECK_EQ(exobpf_prog__run(p, &o), 0);
		if (o.retval == 0)
			ok++;
		else if (o.retval == (uint64_t)-EAGAIN)
			full++;
	}
	CHECK_EQ(ok, 4);
	CHECK_EQ(full, 2);
	CHECK_EQ(exobpf_ring_buffer__lost(rb), 2);
	CHECK_EQ(exobpf_ring_buffer__consume(rb), 4);
	/* caught up (poll also takes the wakeups already pending): the next
	 * record wakes the epoll fd */
	CHECK_EQ(exobpf_ring_buffer__poll(rb, 0), 0);
	int epfd = exobpf_ring_buffer__epoll_fd(rb);
	CHECK_EQ(epoll_wait(epfd, &ev, 1, 0), 0);
	EXOBPF_OPTS(exobpf_run_opts, o, .data_in = data, .data_size_in = sizeof(data));
	CHECK_EQ(exobpf_prog__run(p, &o), 0);
	CHECK_EQ(epoll_wait(epfd, &ev, 1, -1), 1);
	CHECK_EQ(exobpf_ring_buffer__poll(rb, 0), 1);
	CHECK_EQ(n, 5);
	exobpf_prog__free(p);
	exobpf_ring_buffer__free(rb);
	close(fd);
	int hash = exobpf_map_create(BPF_MAP_TYPE_HASH, "h", 4, 4, 4, NULL);
	CHECK(!exobpf_ring_buffer__new(hash, count_cb, &n, NULL));
	CHECK_EQ(errno, EINVAL);
	close(hash);
}

struct perf_state {
	int samples, cpu_seen;
	uint32_t size;
	uint8_t first[32];
	uint64_t lost;
};

static void on_sample(void *ctx, int cpu, void *data, __u32 size)
{
	struct perf_state *s = ctx;

	if (!s->samples++) {
		s->cpu_seen = cpu;
		s->size = size;
		memcpy(s->first, data, size < 32 ? size : 32);
	}
}

static void on_lost(void *ctx, int cpu, __u64 cnt)
{
	(void)cpu;
	((struct perf_state *)ctx)->lost += cnt;
}

TEST(perf_event_output_and_buffer)
{
	int fd = exobpf_map_create(BPF_MAP_TYPE_PERF_EVENT_ARRAY, "pe", 4, 4, 4, NULL);
	struct perf_state s = {0};
	struct exobpf_perf_buffer *pb;
	struct exobpf_prog *p;
	uint8_t data[1000];

	CHECK(fd >= 0);
	for (int i = 0; i < 1000; i++)
		data[i] = (uint8_t)i;
	/* no consumer yet: the slot is empty */
	p = asm_prog("r4 = r1\nr1 = 0\nr2 = map[fd:%d]\nr3 = 0xffffffff ll\nr5 = 13\n"
		     "call bpf_perf_event_output\nexit\n",
		     fd);
	CHECK(p);
	EXOBPF_OPTS(exobpf_run_opts, o, .data_in = data, .data_size_in = 1000, .slot = 1);
	CHECK_EQ(exobpf_prog__run(p, &o), 0);
	CHECK_EQ(o.retval, (uint64_t)-ENOENT);
	pb = exobpf_perf_buffer__new(fd, 1, on_sample, on_lost, &s, NULL);
	CHECK_MSG(pb, "%s", exobpf_errmsg());
	CHECK_EQ(exobpf_prog__run(p, &o), 0);
	CHECK_EQ(o.retval, 0);
	CHECK_EQ(exobpf_perf_buffer__poll(pb, 100), 1);
	CHECK_EQ(s.cpu_seen, 1);
	CHECK_EQ(s.size, 20); /* 13 bytes + u32 size, padded to 8: raw size 20 (as Linux) */
	CHECK(!memcmp(s.first, data, 13));
	exobpf_prog__free(p);
	/* 1000-byte samples into one page: 4 fit, then -ENOSPC and lost */
	p = asm_prog("r4 = r1\nr1 = 0\nr2 = map[fd:%d]\nr3 = 0\nr5 = 1000\n"
		     "call bpf_perf_event_output\nexit\n",
		     fd);
	int ok = 0, nospc = 0;
	for (int i = 0; i < 6; i++) {
		EXOBPF_OPTS(exobpf_run_opts, o2, .data_in = data, .data_size_in = 1000);
		CHECK_EQ(exobpf_prog__run(p, &o2), 0);
		ok += o2.retval == 0;
		nospc += o2.retval == (uint64_t)-ENOSPC;
	}
	CHECK_EQ(ok, 4);
	CHECK_EQ(nospc, 2);
	CHECK_EQ(exobpf_perf_buffer__consume(pb), 4);
	CHECK_EQ(s.lost, 2);
	/* bad flags, index past the end */
	exobpf_prog__free(p);
	p = asm_prog(
	    "r4 = r1\nr1 = 0\nr2 = map[fd:%d]\nr3 = 9\nr5 = 8\ncall bpf_perf_event_output\nexit\n",
	    fd);
	CHECK_EQ(exobpf_prog__run(p, &o), 0);
	CHECK_EQ(o.retval, (uint64_t)-E2BIG);
	exobpf_prog__free(p);
	exobpf_perf_buffer__free(pb);
	close(fd);
}

struct lock_arg {
	struct exobpf_prog *prog;
	uint32_t slot;
};

static void *lock_worker(void *p)
{
	struct lock_arg *a = p;

	for (int i = 0; i < 50000; i++) {
		EXOBPF_OPTS(exobpf_run_opts, o, .slot = a->slot);
		exobpf_prog__run(a->prog, &o);
	}
	return NULL;
}

/* bpf_spin_lock guards a plain read-modify-write from two threads, and
 * BPF_F_LOCK copies take the same lock. */
TEST(spin_lock_in_values)
{
	struct exobpf_map_create_opts o = {
	    .sz = sizeof(o), .has_spin_lock = true, .spin_lock_off = 0};
	int fd = exobpf_map_create(BPF_MAP_TYPE_ARRAY, "locked", 4, 16, 1, &o);
	struct lock_arg a[2];
	pthread_t t[2];
	uint32_t k = 0;
	uint64_t v[2];

	CHECK_MSG(fd >= 0, "%s", exobpf_errmsg());
	struct exobpf_prog *p = asm_prog("*(u32 *)(r10 -4) = 0\nr2 = r10\nr2 += -4\n"
					 "r1 = map[fd:%d]\ncall bpf_map_lookup_elem\n"
					 "if r0 == 0 goto out\nr6 = r0\n"
					 "r1 = r6\ncall bpf_spin_lock\n"
					 "r1 = *(u64 *)(r6 +8)\nr1 += 1\n*(u64 *)(r6 +8) = r1\n"
					 "r1 = r6\ncall bpf_spin_unlock\n"
					 "out:\nr0 = 0\nexit\n",
					 fd);
	CHECK_MSG(p, "%s", exobpf_errmsg());
	for (int i = 0; i < 2; i++) {
		a[i] = (struct lock_arg){p, (uint32_t)i};
		pthread_create(&t[i], NULL, lock_worker, &a[i]);
	}
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	CHECK_EQ(exobpf_map_lookup_elem_flags(fd, &k, v, BPF_F_LOCK), 0);
	CHECK_EQ(v[1], 100000);
	v[0] = 0xffffffff; /* the lock word is never copied in */
	v[1] = 5;
	CHECK_EQ(exobpf_map_update_elem(fd, &k, v, BPF_F_LOCK), 0);
	CHECK_EQ(exobpf_map_lookup_elem(fd, &k, v), 0);
	CHECK_EQ(v[1], 5);
	CHECK_EQ((uint32_t)v[0], 0);
	CHECK_EQ(exobpf_map_freeze(fd), -524); /* Linux: maps with special fields */
	exobpf_prog__free(p);
	close(fd);
	o.spin_lock_off = 14;
	CHECK_EQ(exobpf_map_create(BPF_MAP_TYPE_ARRAY, "bad", 4, 16, 1, &o), -EINVAL);
	o.spin_lock_off = 0;
	CHECK_EQ(exobpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "bad", 4, 16, 1, &o), -EOPNOTSUPP);
}

/* A producer in another process: records arrive through the pinned ring,
 * and the consumer's epoll fd is woken across the process boundary. */
TEST(ringbuf_cross_process)
{
	int fd = exobpf_map_create(BPF_MAP_TYPE_RINGBUF, "xrb", 0, 0, 1 << 16, NULL), n = 0;
	struct exobpf_ring_buffer *rb;
	char path[256];
	pid_t pid;

	CHECK(fd >= 0);
	snprintf(path, sizeof(path), "%s/xrb", exobpf_pin_dir());
	unlink(path);
	CHECK_EQ(exobpf_obj_pin(fd, "xrb"), 0);
	rb = exobpf_ring_buffer__new(fd, count_cb, &n, NULL);
	CHECK(rb);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		int cfd = exobpf_obj_get(path);
		struct exobpf_prog *p = cfd >= 0
					    ? asm_prog("r2 = r1\nr1 = map[fd:%d]\nr3 = 8\nr4 = 0\n"
						       "call bpf_ringbuf_output\nexit\n",
						       cfd)
					    : NULL;
		uint64_t v = 0;

		if (!p)
			_exit(2);
		for (int i = 0; i < 100; i++) {
			EXOBPF_OPTS(exobpf_run_opts, o, .data_in = &v, .data_size_in = 8);
			if (exobpf_prog__run(p, &o) || o.retval)
				_exit(3);
		}
		_exit(0);
	}
	int status;
	struct epoll_event ev;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	/* the first record found us caught up: its wakeup is waiting */
	CHECK_EQ(epoll_wait(exobpf_ring_buffer__epoll_fd(rb), &ev, 1, 0), 1);
	CHECK_EQ(exobpf_ring_buffer__poll(rb, 0), 100);
	CHECK_EQ(epoll_wait(exobpf_ring_buffer__epoll_fd(rb), &ev, 1, 0), 0);
	CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status 0x%x", status);
	CHECK_EQ(n, 100);
	exobpf_ring_buffer__free(rb);
	close(fd);
	unlink(path);
}
