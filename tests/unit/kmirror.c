#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exobpf/exobpf.h"
#include "kmirror.h"
#include "util.h"

int kmirror_ncpus(void)
{
	static int n;
	FILE *f;
	int lo, hi;

	if (n)
		return n;
	f = fopen("/sys/devices/system/cpu/possible", "r");
	n = 1;
	if (f) {
		if (fscanf(f, "%d-%d", &lo, &hi) == 2)
			n = hi + 1;
		fclose(f);
	}
	return n;
}

static bool percpu(enum bpf_map_type t)
{
	return t == BPF_MAP_TYPE_PERCPU_ARRAY || t == BPF_MAP_TYPE_PERCPU_HASH ||
	       t == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

static bool comparable(enum bpf_map_type t)
{
	return t != BPF_MAP_TYPE_RINGBUF && t != BPF_MAP_TYPE_PROG_ARRAY &&
	       t != BPF_MAP_TYPE_PERF_EVENT_ARRAY && t != BPF_MAP_TYPE_ARRAY_OF_MAPS &&
	       t != BPF_MAP_TYPE_HASH_OF_MAPS && t != BPF_MAP_TYPE_QUEUE &&
	       t != BPF_MAP_TYPE_STACK && t != BPF_MAP_TYPE_BLOOM_FILTER;
}

/* Copy every element exobpf's map holds into the kernel's (global data,
 * entries the test put in before mirroring). */
static int copy_in(int efd, int kfd, const struct exobpf_map *m)
{
	uint32_t ks = exobpf_map__key_size(m), vs = exobpf_map__value_size(m);
	uint8_t *key = calloc(1, ks), *next = calloc(1, ks), *val = calloc(1, vs);
	int err = 0;
	bool first = true;

	if (!key || !next || !val) {
		err = -ENOMEM;
		goto out;
	}
	while (exobpf_map_get_next_key(efd, first ? NULL : key, next) == 0) {
		first = false;
		memcpy(key, next, ks);
		if (exobpf_map_lookup_elem(efd, key, val))
			continue;
		if ((err = kbpf_map_update(kfd, key, val, 0)))
			break;
	}
out:
	free(key);
	free(next);
	free(val);
	return err;
}

int kmirror_open(struct kmirror *km, struct exobpf_object *obj, char *why, size_t whylen)
{
	struct exobpf_map *m;

	memset(km, 0, sizeof(*km));
	km->obj = obj;
	if (!kbpf_available())
		return -ENOSYS;
	exobpf_object__for_each_map(m, obj)
	{
		enum bpf_map_type t = exobpf_map__type(m);
		uint32_t flags = exobpf_map__map_flags(m);
		int efd = exobpf_map__fd(m), kfd, err;

		if (km->n == KMIRROR_MAPS || efd < 0)
			continue;
		/* device maps get BPF_F_RDONLY_PROG from Linux itself */
		if (t == BPF_MAP_TYPE_DEVMAP || t == BPF_MAP_TYPE_DEVMAP_HASH)
			flags &= ~(uint32_t)BPF_F_RDONLY_PROG;
		kfd =
		    kbpf_map_create(t, exobpf_map__key_size(m), exobpf_map__value_size(m),
				    exobpf_map__max_entries(m), flags, exobpf_map__map_extra(m), 0);
		if (kfd < 0) {
			snprintf(why, whylen, "map %s: the kernel refuses it: %s",
				 exobpf_map__name(m), strerror(-kfd));
			kmirror_close(km);
			return kfd;
		}
		km->maps[km->n] = m;
		km->efd[km->n] = efd;
		km->kfd[km->n++] = kfd;
		if (comparable(t) && !percpu(t) && (err = copy_in(efd, kfd, m))) {
			snprintf(why, whylen, "map %s: copying its elements: %s",
				 exobpf_map__name(m), strerror(-err));
			kmirror_close(km);
			return err;
		}
		if (exobpf_map__is_internal(m) && (flags & BPF_F_RDONLY_PROG))
			kbpf_map_freeze(kfd);
	}
	return 0;
}

int kmirror_fd(const struct kmirror *km, const struct exobpf_map *map)
{
	for (unsigned i = 0; i < km->n; i++)
		if (km->maps[i] == map)
			return km->kfd[i];
	return -1;
}

int kmirror_prog(struct kmirror *km, const char *name, char *log, size_t loglen)
{
	struct exobpf_program *p = exobpf_object__find_program_by_name(km->obj, name);
	const struct bpf_insn *in;
	struct bpf_insn *insns;
	union bpf_attr attr;
	size_t cnt;
	long fd;

	if (!p)
		return -ENOENT;
	in = exobpf_program__insns(p);
	cnt = exobpf_program__insn_cnt(p);
	insns = malloc(cnt * sizeof(*insns));
	if (!insns)
		return -ENOMEM;
	memcpy(insns, in, cnt * sizeof(*insns));
	for (size_t i = 0; i + 1 < cnt; i++) {
		if (insns[i].code != (BPF_LD | BPF_DW | BPF_IMM))
			continue;
		if (insns[i].src_reg == BPF_PSEUDO_MAP_FD ||
		    insns[i].src_reg == BPF_PSEUDO_MAP_VALUE)
			for (unsigned k = 0; k < km->n; k++)
				if (km->efd[k] == insns[i].imm) {
					insns[i].imm = km->kfd[k];
					break;
				}
		i++;
	}
	memset(&attr, 0, sizeof(attr));
	attr.prog_type = exobpf_program__type(p);
	attr.expected_attach_type = exobpf_program__expected_attach_type(p);
	attr.insns = (uintptr_t)insns;
	attr.insn_cnt = (uint32_t)cnt;
	attr.license = (uintptr_t) "GPL";
	fd = kbpf_sys(BPF_PROG_LOAD, &attr);
	if (fd < 0 && log) {
		log[0] = '\0';
		attr.log_buf = (uintptr_t)log;
		attr.log_size = (uint32_t)loglen;
		attr.log_level = 1;
		kbpf_sys(BPF_PROG_LOAD, &attr);
	}
	free(insns);
	return (int)fd;
}

/* Sum each 8-byte word over n per-CPU copies of stride bytes. */
static void sum_words(const uint8_t *v, unsigned n, uint32_t stride, uint64_t *out)
{
	memset(out, 0, stride);
	for (unsigned c = 0; c < n; c++)
		for (uint32_t w = 0; w < stride / 8; w++) {
			uint64_t x;

			memcpy(&x, v + (size_t)c * stride + w * 8, 8);
			out[w] += x;
		}
}

static bool same_map(int efd, int kfd, const struct exobpf_map *m, char *why, size_t whylen)
{
	enum bpf_map_type t = exobpf_map__type(m);
	uint32_t ks = exobpf_map__key_size(m), vs = exobpf_map__value_size(m);
	uint32_t stride = (vs + 7) & ~7u;
	unsigned eslots = percpu(t) ? (unsigned)exobpf_map_num_slots(efd) : 1;
	unsigned kslots = percpu(t) ? (unsigned)kmirror_ncpus() : 1;
	uint8_t *key = calloc(1, ks + 8), *next = calloc(1, ks + 8);
	uint8_t *ev = calloc(eslots, stride), *kv = calloc(kslots, stride);
	uint64_t *es = calloc(1, stride), *ksum = calloc(1, stride);
	unsigned ecount = 0, kcount = 0;
	bool ok = false, first = true;

	if (!key || !next || !ev || !kv || !es || !ksum) {
		snprintf(why, whylen, "out of memory");
		goto out;
	}
	while (exobpf_map_get_next_key(efd, first ? NULL : key, next) == 0) {
		int er, kr;

		first = false;
		memcpy(key, next, ks);
		er = exobpf_map_lookup_elem(efd, key, ev);
		kr = kbpf_map_lookup(kfd, key, kv, 0);
		if (er != kr) {
			snprintf(why, whylen, "map %s: a key reads %d on exobpf, %d on Linux",
				 exobpf_map__name(m), er, kr);
			goto out;
		}
		if (er)
			continue;
		ecount++;
		if (percpu(t)) {
			sum_words(ev, eslots, stride, es);
			sum_words(kv, kslots, stride, ksum);
		}
		if (percpu(t) ? memcmp(es, ksum, stride) : memcmp(ev, kv, vs)) {
			uint64_t k = 0, a = 0, b = 0;

			memcpy(&k, key, ks < 8 ? ks : 8);
			memcpy(&a, percpu(t) ? (uint8_t *)es : ev, vs < 8 ? vs : 8);
			memcpy(&b, percpu(t) ? (uint8_t *)ksum : kv, vs < 8 ? vs : 8);
			snprintf(why, whylen,
				 "map %s: key 0x%llx: exobpf 0x%llx, Linux 0x%llx (first 8 bytes)",
				 exobpf_map__name(m), (unsigned long long)k, (unsigned long long)a,
				 (unsigned long long)b);
			goto out;
		}
	}
	first = true;
	while (kbpf_map_next_key(kfd, first ? NULL : key, next) == 0) {
		first = false;
		memcpy(key, next, ks);
		if (kbpf_map_lookup(kfd, key, kv, 0) == 0)
			kcount++;
	}
	if (ecount != kcount) {
		snprintf(why, whylen, "map %s: %u elements on exobpf, %u on Linux",
			 exobpf_map__name(m), ecount, kcount);
		goto out;
	}
	ok = true;
out:
	free(key);
	free(next);
	free(ev);
	free(kv);
	free(es);
	free(ksum);
	return ok;
}

bool kmirror_maps_equal(struct kmirror *km, const char *const *skip, char *why, size_t whylen)
{
	for (unsigned i = 0; i < km->n; i++) {
		const char *name = exobpf_map__name(km->maps[i]);
		bool skipped = false;

		for (const char *const *s = skip; s && *s; s++)
			skipped |= !strcmp(*s, name);
		if (skipped || !comparable(exobpf_map__type(km->maps[i])))
			continue;
		if (!same_map(km->efd[i], km->kfd[i], km->maps[i], why, whylen))
			return false;
	}
	return true;
}

void kmirror_close(struct kmirror *km)
{
	for (unsigned i = 0; i < km->n; i++)
		close(km->kfd[i]);
	km->n = 0;
}
