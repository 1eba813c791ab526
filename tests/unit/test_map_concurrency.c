/* Maps under concurrency: program atomics from two threads and from two
 * processes, lookup/update/delete storms on a hash map, a process that
 * pins and another that opens by path (also after the first exits), and a
 * process that dies holding a map's locks. */
#include <pthread.h>
#include <signal.h>
#include <sched.h>
#include <sys/mman.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>

#include "exobpf/exobpf.h"
#include "maps/internal.h"
#include "test.h"
#include "util.h"

#define ADDS 1000000

/* 10^6 atomic adds of 1 to the value at key 0, in a loop inside the program. */
static struct exobpf_prog *adder(int fd)
{
	char text[1024];
	struct bpf_insn *insns;
	size_t cnt;
	struct exobpf_prog *p;

	snprintf(text, sizeof(text),
		 "*(u32 *)(r10 -4) = 0\nr2 = r10\nr2 += -4\nr1 = map[fd:%d]\n"
		 "call bpf_map_lookup_elem\nif r0 == 0 goto out\nr6 = r0\nr7 = %d\n"
		 "again:\nr1 = 1\nlock *(u64 *)(r6 +0) += r1\nr7 += -1\nif r7 != 0 goto again\n"
		 "out:\nr0 = 0\nexit\n",
		 fd, ADDS);
	if (exobpf_asm(text, "adder.s", &insns, &cnt))
		return NULL;
	p = exobpf_prog__new(insns, cnt, NULL);
	free(insns);
	return p;
}

static void *run_prog(void *p)
{
	EXOBPF_OPTS(exobpf_run_opts, o);
	exobpf_prog__run(p, &o);
	return NULL;
}

static void two_thread_adds(enum bpf_map_type t)
{
	int fd = exobpf_map_create(t, "adds", 4, 8, 4, NULL);
	uint32_t k = 0;
	uint64_t v = 0;
	pthread_t th[2];

	CHECK(fd >= 0);
	if (t == BPF_MAP_TYPE_HASH)
		CHECK_EQ(exobpf_map_update_elem(fd, &k, &v, 0), 0);
	struct exobpf_prog *p = adder(fd);
	CHECK_MSG(p, "%s", exobpf_errmsg());
	for (int i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, run_prog, p);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	CHECK_EQ(exobpf_map_lookup_elem(fd, &k, &v), 0);
	CHECK_EQ(v, 2 * ADDS);
	exobpf_prog__free(p);
	close(fd);
}

TEST(map_concurrent_atomic_adds_array)
{
	two_thread_adds(BPF_MAP_TYPE_ARRAY);
}

TEST(map_concurrent_atomic_adds_hash)
{
	two_thread_adds(BPF_MAP_TYPE_HASH);
}

#define STORM_KEYS 64
#define STORM_OPS  60000

struct storm {
	int fd;
	int id;
	uint64_t torn, found, ops;
};

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Writers store (key, ~key, key * 3) triples; a reader that ever sees
 * another shape saw a torn or freed value. */
static void *storm_worker(void *arg)
{
	struct storm *s = arg;
	uint64_t seed = 0x9e3779b97f4a7c15ull * (uint64_t)(s->id + 1), v[3];

	for (int i = 0; i < STORM_OPS; i++) {
		uint32_t key = (uint32_t)(rnd(&seed) % STORM_KEYS);
		unsigned op = (unsigned)(rnd(&seed) % 4);

		if (s->id < 2 && op < 2) {
			v[0] = key, v[1] = ~(uint64_t)key, v[2] = key * 3ull;
			exobpf_map_update_elem(s->fd, &key, v, BPF_ANY);
		} else if (s->id < 2 && op == 2) {
			exobpf_map_delete_elem(s->fd, &key);
		} else if (exobpf_map_lookup_elem(s->fd, &key, v) == 0) {
			s->found++;
			if (v[0] != key || v[1] != ~(uint64_t)key || v[2] != key * 3ull)
				s->torn++;
		}
		s->ops++;
	}
	return NULL;
}

TEST(map_hash_storm)
{
	/* fewer entries than keys: E2BIG under pressure is part of the storm */
	int fd = exobpf_map_create(BPF_MAP_TYPE_HASH, "storm", 4, 24, STORM_KEYS / 2, NULL);
	struct storm s[4];
	pthread_t th[4];
	uint64_t torn = 0, found = 0;

	CHECK(fd >= 0);
	for (int i = 0; i < 4; i++) {
		s[i] = (struct storm){.fd = fd, .id = i};
		pthread_create(&th[i], NULL, storm_worker, &s[i]);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		torn += s[i].torn;
		found += s[i].found;
	}
	CHECK_EQ(torn, 0);
	CHECK(found > 0);
	/* afterwards: every key once, every value whole, no more than max */
	uint32_t k, nk, n = 0;
	uint8_t seen[STORM_KEYS] = {0};
	uint64_t v[3];
	for (int rc = exobpf_map_get_next_key(fd, NULL, &nk); rc == 0;
	     k = nk, rc = exobpf_map_get_next_key(fd, &k, &nk)) {
		CHECK(nk < STORM_KEYS && !seen[nk]++);
		CHECK_EQ(exobpf_map_lookup_elem(fd, &nk, v), 0);
		CHECK_EQ(v[2], nk * 3ull);
		n++;
	}
	CHECK(n <= STORM_KEYS / 2);
	/* and it still takes exactly max_entries */
	for (k = 0; k < STORM_KEYS; k++)
		exobpf_map_delete_elem(fd, &k);
	for (k = 0; k < STORM_KEYS / 2; k++) {
		v[0] = k, v[1] = ~(uint64_t)k, v[2] = k * 3ull;
		CHECK_EQ(exobpf_map_update_elem(fd, &k, v, BPF_NOEXIST), 0);
	}
	CHECK_EQ(exobpf_map_update_elem(fd, &k, v, BPF_NOEXIST), -E2BIG);
	close(fd);
}

/* Process A pins a map and keeps updating it; process B opens it by path,
 * reads A's values while A runs and after A exited; both add atomically to
 * one value and no add is lost. */
TEST(map_cross_process)
{
	char path[256];
	int sync_pipe[2], done_pipe[2];
	pid_t pid;

	snprintf(path, sizeof(path), "%s/xproc_map", exobpf_pin_dir());
	unlink(path);
	CHECK(pipe(sync_pipe) == 0 && pipe(done_pipe) == 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		int fd = exobpf_map_create(BPF_MAP_TYPE_ARRAY, "xproc", 4, 8, 1000, NULL);
		char c = 1;
		uint64_t v;

		for (uint32_t k = 0; k < 1000; k++) {
			v = k * 10;
			if (fd < 0 || exobpf_map_update_elem(fd, &k, &v, 0))
				_exit(2);
		}
		if (exobpf_obj_pin(fd, "xproc_map"))
			_exit(3);
		if (write(sync_pipe[1], &c, 1) != 1)
			_exit(4);
		struct exobpf_prog *p = adder(fd);
		EXOBPF_OPTS(exobpf_run_opts, o);
		if (!p || exobpf_prog__run(p, &o))
			_exit(5);
		exobpf_prog__free(p);
		if (read(done_pipe[0], &c, 1) != 1) /* parent done reading while we live */
			_exit(6);
		_exit(0);
	}
	char c;
	CHECK_EQ(read(sync_pipe[0], &c, 1), 1);
	int fd = exobpf_obj_get(path);
	CHECK_MSG(fd >= 0, "%s", exobpf_errmsg());
	uint64_t v;
	uint32_t k = 999;
	CHECK_EQ(exobpf_map_lookup_elem(fd, &k, &v), 0);
	CHECK_EQ(v, 9990);
	struct exobpf_prog *p = adder(fd); /* adds to key 0, as A does */
	CHECK(p);
	EXOBPF_OPTS(exobpf_run_opts, o);
	CHECK_EQ(exobpf_prog__run(p, &o), 0);
	exobpf_prog__free(p);
	CHECK_EQ(write(done_pipe[1], "x", 1), 1);
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status 0x%x", status);
	close(fd);
	/* A is gone; the pin holds the map: open it afresh */
	fd = exobpf_obj_get(path);
	CHECK(fd >= 0);
	k = 0;
	CHECK_EQ(exobpf_map_lookup_elem(fd, &k, &v), 0);
	CHECK_EQ(v, 2ull * ADDS); /* 0 + A's adds + B's adds */
	k = 500;
	CHECK_EQ(exobpf_map_lookup_elem(fd, &k, &v), 0);
	CHECK_EQ(v, 5000);
	close(fd);
	unlink(path);
	close(sync_pipe[0]), close(sync_pipe[1]), close(done_pipe[0]), close(done_pipe[1]);
}

/* A process that dies holding every lock of a hash map - and having left a
 * half-done insert (an element taken from the free list, never linked) -
 * leaves a map that works: no committed update lost, no element leaked. */
TEST(map_crash_recovery)
{
	char path[256];
	pid_t pid;
	int status;

	snprintf(path, sizeof(path), "%s/crash_map", exobpf_pin_dir());
	unlink(path);
	int fd = exobpf_map_create(BPF_MAP_TYPE_HASH, "crash", 4, 8, 8, NULL);
	CHECK(fd >= 0);
	for (uint32_t k = 0; k < 6; k++) {
		uint64_t v = k + 100;
		CHECK_EQ(exobpf_map_update_elem(fd, &k, &v, 0), 0);
	}
	CHECK_EQ(exobpf_obj_pin(fd, "crash_map"), 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		int cfd = exobpf_obj_get(path);
		struct exo_map *m = cfd >= 0 ? exo_map_get(cfd) : NULL;

		if (!m)
			_exit(2);
		/* a committed update, then die mid-operation with the locks held */
		uint32_t k = 6;
		uint64_t v = 106;
		if (exobpf_map_update_elem(cfd, &k, &v, 0))
			_exit(3);
		for (uint32_t i = 0; i < m->lay[6]; i++) /* every bucket-lock stripe */
			shm_lock(m, (struct shm_lock *)map_data(m, m->lay[2]) + i);
		/* an element popped, counted, never linked: a leak unless recovered */
		struct {
			uint64_t free_top;
			uint32_t bump, count;
		} *sh = map_data(m, 0);
		sh->bump++;
		sh->count++;
		raise(SIGKILL);
		_exit(4);
	}
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFSIGNALED(status));
	/* every key, including the child's last update, is there */
	for (uint32_t k = 0; k < 7; k++) {
		uint64_t v;
		CHECK_EQ(exobpf_map_lookup_elem(fd, &k, &v), 0);
		CHECK_EQ(v, k + 100);
	}
	/* and the map still holds exactly max_entries (8): one more fits */
	uint32_t k = 7;
	uint64_t v = 107;
	CHECK_EQ(exobpf_map_update_elem(fd, &k, &v, BPF_NOEXIST), 0);
	k = 8;
	CHECK_EQ(exobpf_map_update_elem(fd, &k, &v, BPF_NOEXIST), -E2BIG);
	CHECK_EQ(exobpf_map_delete_elem(fd, &k), -ENOENT);
	k = 3;
	CHECK_EQ(exobpf_map_delete_elem(fd, &k), 0);
	close(fd);
	unlink(path);
}

/* An LPM trie whose writer died mid-insert (entry counted, node taken,
 * never linked, map lock held) still takes exactly max_entries prefixes. */
TEST(map_crash_recovery_lpm)
{
	struct exobpf_map_create_opts o = {.sz = sizeof(o), .map_flags = BPF_F_NO_PREALLOC};
	int fd = exobpf_map_create(BPF_MAP_TYPE_LPM_TRIE, "lpm", 8, 4, 4, &o);
	struct {
		uint32_t plen;
		uint8_t a[4];
	} k = {32, {10, 0, 0, 1}};
	uint32_t v = 1;
	pid_t pid;
	int status;

	CHECK(fd >= 0);
	CHECK_EQ(exobpf_map_update_elem(fd, &k, &v, 0), 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		struct exo_map *m = exo_map_get(fd);
		struct {
			uint32_t root, entries, free, bump;
		} * st;

		if (!m)
			_exit(2);
		shm_lock(m, &m->hdr->lock);
		st = map_data(m, 0);
		st->entries++;
		st->bump++;
		raise(SIGKILL);
		_exit(3);
	}
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFSIGNALED(status));
	CHECK_EQ(exobpf_map_lookup_elem(fd, &k, &v), 0);
	CHECK_EQ(v, 1);
	for (uint8_t i = 2; i <= 4; i++) { /* 3 more: 4 in all */
		k.a[3] = i;
		CHECK_MSG(exobpf_map_update_elem(fd, &k, &v, 0) == 0, "prefix %u: %s", i,
			  exobpf_errmsg());
	}
	k.a[3] = 5;
	CHECK_EQ(exobpf_map_update_elem(fd, &k, &v, 0), -ENOSPC);
	close(fd);
}

/* Writers killed at arbitrary points of real updates (not at a staged
 * place): two processes update their own keys of one hash map with
 * self-checking values and an increasing generation, recording each
 * generation once its update returned; the parent SIGKILLs each after a
 * seeded number of operations, twenty rounds on the same map. After every
 * round: no value torn, no acknowledged update lost (a key's generation is
 * at least the last one recorded, at most one beyond), and the map still
 * takes exactly max_entries once cleared (no element leaked). */
#define KILL_KEYS   24 /* per writer */
#define KILL_ROUNDS 20

struct kill_log {
	volatile uint64_t ops[2];
	volatile uint64_t done[2][KILL_KEYS]; /* generation acknowledged */
};

static void kill_writer(int fd, int id, struct kill_log *log)
{
	uint64_t seed = 0x2545f4914f6cdd1dull * (uint64_t)(id + 7), v[3];
	for (;;) {
		uint32_t slot = (uint32_t)(rnd(&seed) % KILL_KEYS), key = (uint32_t)id * 100 + slot;
		uint64_t gen = log->done[id][slot] + 1;
		v[0] = key, v[1] = gen, v[2] = ~(key ^ gen);
		if (exobpf_map_update_elem(fd, &key, v, BPF_ANY))
			_exit(2);
		log->done[id][slot] = gen;
		__atomic_add_fetch(&log->ops[id], 1, __ATOMIC_RELEASE);
	}
}

TEST(map_kill_storm)
{
	const uint32_t max = 2 * KILL_KEYS + 4;
	int fd = exobpf_map_create(BPF_MAP_TYPE_HASH, "killstorm", 4, 24, max, NULL);
	struct kill_log *log = mmap(NULL, sizeof(*log), PROT_READ | PROT_WRITE,
				    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	uint64_t seed = 12345;

	CHECK(fd >= 0 && log != MAP_FAILED);
	memset(log, 0, sizeof(*log));
	for (int round = 0; round < KILL_ROUNDS; round++) {
		pid_t pid[2];
		for (int id = 0; id < 2; id++) {
			log->ops[id] = 0;
			pid[id] = fork();
			CHECK(pid[id] >= 0);
			if (pid[id] == 0)
				kill_writer(fd, id, log);
		}
		for (int id = 0; id < 2; id++) {
			/* at a seeded point of its run: between updates or inside one */
			uint64_t at = 1 + rnd(&seed) % 2000;
			int status;
			while (__atomic_load_n(&log->ops[id], __ATOMIC_ACQUIRE) < at &&
			       waitpid(pid[id], &status, WNOHANG) == 0)
				sched_yield();
			kill(pid[id], SIGKILL);
			CHECK_EQ(waitpid(pid[id], &status, 0), pid[id]);
			CHECK_MSG(WIFSIGNALED(status), "writer %d exited 0x%x", id, status);
		}
		for (int id = 0; id < 2; id++)
			for (uint32_t slot = 0; slot < KILL_KEYS; slot++) {
				uint32_t key = (uint32_t)id * 100 + slot;
				uint64_t v[3], want = log->done[id][slot];
				int rc = exobpf_map_lookup_elem(fd, &key, v);
				if (!want) {
					/* never acknowledged: absent, or the first in flight */
					CHECK(rc == -ENOENT || (rc == 0 && v[1] == 1));
					if (rc == 0)
						log->done[id][slot] = 1;
					continue;
				}
				CHECK_MSG(rc == 0, "round %d key %u lost", round, key);
				CHECK(v[0] == key && v[2] == ~(key ^ v[1]));
				CHECK_MSG(v[1] == want || v[1] == want + 1,
					  "round %d key %u generation %llu, acknowledged %llu", round,
					  key, (unsigned long long)v[1], (unsigned long long)want);
				log->done[id][slot] = v[1]; /* the in-flight one landed */
			}
	}
	/* no element leaked across twenty crashes: clear, then exactly max fit */
	uint32_t k, nk;
	while (exobpf_map_get_next_key(fd, NULL, &nk) == 0)
		CHECK_EQ(exobpf_map_delete_elem(fd, &nk), 0);
	uint64_t v[3] = {0};
	for (k = 0; k < max; k++)
		CHECK_EQ(exobpf_map_update_elem(fd, &k, v, BPF_NOEXIST), 0);
	CHECK_EQ(exobpf_map_update_elem(fd, &k, v, BPF_NOEXIST), -E2BIG);
	munmap(log, sizeof(*log));
	close(fd);
}
