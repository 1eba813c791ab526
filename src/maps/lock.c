/* Process-shared synchronisation for maps.
 *
 * Structure locks are robust process-shared mutexes: when a holder dies, the
 * kernel hands the next locker EOWNERDEAD, we mark the map for recovery and
 * the type's ops->recover rebuilds what a half-done operation may have left
 * (leaked or duplicated elements). Committed updates are already in the file.
 *
 * bpf_spin_lock in a value is one 32-bit word holding the holder's thread id
 * (Linux's is a 4-byte struct too). A waiter that spins long checks whether
 * the holder still lives and takes the lock over from a dead one, so a crash
 * inside a critical section never wedges the map. */
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "maps/internal.h"

int shm_lock_init(struct shm_lock *l)
{
	pthread_mutexattr_t a;
	int err;

	pthread_mutexattr_init(&a);
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	err = pthread_mutex_init(&l->m, &a);
	pthread_mutexattr_destroy(&a);
	return -err;
}

void shm_lock(struct exo_map *map, struct shm_lock *l)
{
	int err = pthread_mutex_lock(&l->m);

	if (err == EOWNERDEAD) {
		__atomic_store_n(&map->hdr->needs_recovery, 1, __ATOMIC_SEQ_CST);
		pthread_mutex_consistent(&l->m);
	}
}

void shm_unlock(struct shm_lock *l)
{
	pthread_mutex_unlock(&l->m);
}

void map_maybe_recover(struct exo_map *map)
{
	if (!__atomic_load_n(&map->hdr->needs_recovery, __ATOMIC_ACQUIRE) || !map->ops->recover)
		return;
	shm_lock(map, &map->hdr->lock);
	if (__atomic_load_n(&map->hdr->needs_recovery, __ATOMIC_ACQUIRE)) {
		map->ops->recover(map);
		__atomic_store_n(&map->hdr->needs_recovery, 0, __ATOMIC_RELEASE);
	}
	shm_unlock(&map->hdr->lock);
}

static uint32_t my_tid(void)
{
	static __thread uint32_t tid;

	if (!tid)
		tid = (uint32_t)syscall(SYS_gettid);
	return tid;
}

static bool thread_gone(uint32_t tid)
{
	return kill((pid_t)tid, 0) < 0 && errno == ESRCH;
}

void map_value_lock(void *lockword)
{
	uint32_t *w = lockword, me = my_tid();

	for (unsigned spins = 1;; spins++) {
		uint32_t cur = 0;

		if (__atomic_compare_exchange_n(w, &cur, me, false, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return;
		if (spins % 64 == 0)
			sched_yield();
		if (spins % 4096 == 0 && cur && thread_gone(cur) &&
		    __atomic_compare_exchange_n(w, &cur, me, false, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return;
	}
}

void map_value_unlock(void *lockword)
{
	__atomic_store_n((uint32_t *)lockword, 0, __ATOMIC_RELEASE);
}

void map_copy_out(struct exo_map *map, void *dst, const void *src, bool lock)
{
	map_copy_value(map, dst, src, lock);
	/* Linux zeroes special fields in what user space reads */
	if (map->spin_lock_off >= 0)
		memset((uint8_t *)dst + map->spin_lock_off, 0, 4);
}

void map_copy_value(struct exo_map *map, void *dst, const void *src, bool lock)
{
	int32_t off = map->spin_lock_off;

	if (off < 0) {
		memcpy(dst, src, map->value_size);
		return;
	}
	/* Linux never copies the lock word itself: the destination's stays. */
	void *lw =
	    lock ? (uint8_t *)(map->base <= (uint8_t *)dst && (uint8_t *)dst < map->base + map->size
				   ? dst
				   : (void *)src) +
		       off
		 : NULL;
	if (lw)
		map_value_lock(lw);
	memcpy(dst, src, (size_t)off);
	memcpy((uint8_t *)dst + off + 4, (const uint8_t *)src + off + 4,
	       map->value_size - (size_t)off - 4);
	if (lw)
		map_value_unlock(lw);
}

void exo_value_lock(void *lockword)
{
	map_value_lock(lockword);
}

void exo_value_unlock(void *lockword)
{
	map_value_unlock(lockword);
}
