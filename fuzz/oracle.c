/* The soundness, interpreter/JIT and Linux oracles (see oracle.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exobpf/exobpf.h"
#include "oracle.h"
#include "util.h"

#define KLOG_SIZE (1u << 20)
#define OUT_MAX	  512

/* Everything a run leaves behind that the oracles compare. */
struct outcome {
	uint64_t r0;
	uint32_t pkt_len;
	uint8_t pkt[OUT_MAX];
	uint8_t array[4][64];
	uint8_t hash_present[PG_HASH_KEYS];
	uint8_t hash[PG_HASH_KEYS][16];
	char why[256]; /* the run's error, before reading the maps resets it */
};

static void say(struct oracle *o, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(o->why, sizeof(o->why), fmt, ap);
	va_end(ap);
}

/* The maps' starting contents: a pattern in every array slot, hash keys
 * 0-3 present, so lookups both hit and miss. */
static void fill(uint32_t key, uint8_t *v, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		v[i] = (uint8_t)(key * 37 + i * 11 + 5);
}

typedef int (*upd_fn)(int fd, const void *k, const void *v, uint64_t flags);
typedef int (*del_fn)(int fd, const void *k);
typedef int (*look_fn)(int fd, const void *k, void *v);

static int exo_upd(int fd, const void *k, const void *v, uint64_t flags)
{
	return exobpf_map_update_elem(fd, k, v, flags);
}
static int exo_del(int fd, const void *k)
{
	return exobpf_map_delete_elem(fd, k);
}
static int exo_look(int fd, const void *k, void *v)
{
	return exobpf_map_lookup_elem(fd, k, v);
}
static int k_look(int fd, const void *k, void *v)
{
	return kbpf_map_lookup(fd, k, v, 0);
}

static int reset_maps(const int *fds, upd_fn upd, del_fn del)
{
	uint8_t v[64];
	for (uint32_t k = 0; k < pg_maps[PG_MAP_ARRAY].max_entries; k++) {
		fill(k, v, sizeof(v));
		if (upd(fds[PG_MAP_ARRAY], &k, v, BPF_ANY))
			return -1;
	}
	for (uint64_t k = 0; k < PG_HASH_KEYS; k++) {
		del(fds[PG_MAP_HASH], &k);
		fill((uint32_t)k + 100, v, 16);
		if (k < 4 && upd(fds[PG_MAP_HASH], &k, v, BPF_ANY))
			return -1;
	}
	return 0;
}

static void read_maps(const int *fds, look_fn look, struct outcome *out)
{
	for (uint32_t k = 0; k < pg_maps[PG_MAP_ARRAY].max_entries; k++)
		look(fds[PG_MAP_ARRAY], &k, out->array[k]);
	for (uint64_t k = 0; k < PG_HASH_KEYS; k++)
		out->hash_present[k] = look(fds[PG_MAP_HASH], &k, out->hash[k]) == 0;
}

/* Where two outcomes differ, in words; NULL when they do not. */
static const char *differ(const struct outcome *a, const struct outcome *b, bool low32, char *buf,
			  size_t size)
{
	uint64_t mask = low32 ? 0xffffffffull : ~0ull;
	if ((a->r0 & mask) != (b->r0 & mask))
		snprintf(buf, size, "r0 %#llx vs %#llx", (unsigned long long)a->r0,
			 (unsigned long long)b->r0);
	else if (a->pkt_len != b->pkt_len)
		snprintf(buf, size, "packet length %u vs %u", a->pkt_len, b->pkt_len);
	else if (memcmp(a->pkt, b->pkt, a->pkt_len)) {
		uint32_t i = 0;
		while (a->pkt[i] == b->pkt[i])
			i++;
		snprintf(buf, size, "packet byte %u: %#x vs %#x", i, a->pkt[i], b->pkt[i]);
	} else if (memcmp(a->array, b->array, sizeof(a->array))) {
		uint32_t i = 0;
		const uint8_t *x = &a->array[0][0], *y = &b->array[0][0];
		while (x[i] == y[i])
			i++;
		snprintf(buf, size, "array map value %u byte %u: %#x vs %#x", i / 64, i % 64, x[i],
			 y[i]);
	}
	else if (memcmp(a->hash_present, b->hash_present, sizeof(a->hash_present)))
		snprintf(buf, size, "hash map keys differ");
	else {
		for (int k = 0; k < PG_HASH_KEYS; k++)
			if (a->hash_present[k] && memcmp(a->hash[k], b->hash[k], 16)) {
				snprintf(buf, size, "hash map value of key %d differs", k);
				return buf;
			}
		return NULL;
	}
	return buf;
}

int oracle_init(struct oracle *o, unsigned kinds)
{
	memset(o, 0, sizeof(*o));
	o->kinds = kinds;
	for (int i = 0; i < PG_NMAPS; i++)
		o->fds[i] = o->kfds[i] = -1;
	for (int i = 0; i < PG_NMAPS; i++) {
		const struct pg_map *m = &pg_maps[i];
		/* hash maps iterate in Linux's order with a zero seed */
		EXOBPF_OPTS(exobpf_map_create_opts, mo, .map_flags = m->flags);
		o->fds[i] = exobpf_map_create(m->type, NULL, m->key_size, m->value_size,
					      m->max_entries, &mo);
		if (o->fds[i] < 0) {
			say(o, "creating map %d: %s", i, exobpf_errmsg());
			return o->fds[i];
		}
	}
	if ((kinds & ORACLE_KERNEL) && !kbpf_available())
		o->kinds &= ~(unsigned)ORACLE_KERNEL;
	if (o->kinds & ORACLE_KERNEL) {
		for (int i = 0; i < PG_NMAPS; i++) {
			const struct pg_map *m = &pg_maps[i];
			o->kfds[i] = kbpf_map_create(m->type, m->key_size, m->value_size,
						     m->max_entries, m->flags, 0, -1);
			if (o->kfds[i] < 0) {
				say(o, "creating Linux's map %d: %s", i, strerror(-o->kfds[i]));
				return o->kfds[i];
			}
		}
		if (!(o->klog = malloc(KLOG_SIZE)))
			return -ENOMEM;
	}
	return 0;
}

void oracle_fini(struct oracle *o)
{
	for (int i = 0; i < PG_NMAPS; i++) {
		if (o->fds[i] >= 0)
			close(o->fds[i]);
		if (o->kfds[i] >= 0)
			close(o->kfds[i]);
	}
	free(o->klog);
	o->klog = NULL;
}

/* One exobpf run from fresh maps; 0, or the run's error. */
static int exo_run(struct oracle *o, struct exobpf_prog *prog, const struct pg_prog *p,
		   uint32_t flags, uint64_t budget, struct outcome *out)
{
	memset(out, 0, sizeof(*out));
	if (reset_maps(o->fds, exo_upd, exo_del)) {
		say(o, "resetting maps: %s", exobpf_errmsg());
		return -EIO;
	}
	EXOBPF_OPTS(exobpf_run_opts, ro, .data_in = p->pkt, .data_size_in = PG_PKT_LEN,
		    .data_out = out->pkt, .data_size_out = OUT_MAX, .flags = flags,
		    .insn_budget = budget);
	int err = exobpf_prog__run(prog, &ro);
	if (err)
		snprintf(out->why, sizeof(out->why), "%s", exobpf_errmsg());
	out->r0 = ro.retval;
	out->pkt_len = ro.data_size_out;
	read_maps(o->fds, exo_look, out);
	return err;
}

/* Linux's verdict (fd or -errno) with its last log line in msg. */
static int kernel_load(struct oracle *o, const struct pg_prog *p, char *msg, size_t size)
{
	static struct bpf_insn bound[PG_MAX_INSNS];
	progen_bind_maps(p->insns, p->cnt, o->kfds, bound);
	int fd = kbpf_prog_load(BPF_PROG_TYPE_XDP, bound, p->cnt, o->klog, KLOG_SIZE, 1);
	msg[0] = '\0';
	if (fd < 0) {
		/* the reason is the log's last non-empty line before the stats */
		char *end = o->klog + strlen(o->klog), *line = NULL;
		for (char *c = o->klog; c < end; c = strchr(c, '\n') ? strchr(c, '\n') + 1 : end) {
			if (!strncmp(c, "processed ", 10) || !strncmp(c, "verification time", 17))
				break;
			if (*c != '\n')
				line = c;
		}
		if (line)
			snprintf(msg, size, "%.*s", (int)strcspn(line, "\n"), line);
		else
			snprintf(msg, size, "errno %d", -fd);
	}
	return fd;
}

static int kernel_run(struct oracle *o, int fd, const struct pg_prog *p, struct outcome *out)
{
	union bpf_attr attr;
	memset(out, 0, sizeof(*out));
	if (reset_maps(o->kfds, kbpf_map_update, kbpf_map_delete)) {
		say(o, "resetting Linux's maps failed");
		return -EIO;
	}
	memset(&attr, 0, sizeof(attr));
	attr.test.prog_fd = (uint32_t)fd;
	attr.test.data_in = (uintptr_t)p->pkt;
	attr.test.data_size_in = PG_PKT_LEN;
	attr.test.data_out = (uintptr_t)out->pkt;
	attr.test.data_size_out = OUT_MAX;
	attr.test.repeat = 1;
	long err = kbpf_sys(BPF_PROG_TEST_RUN, &attr);
	if (err < 0)
		return (int)err;
	out->r0 = attr.test.retval;
	out->pkt_len = attr.test.data_size_out;
	read_maps(o->kfds, k_look, out);
	return 0;
}

int oracle_run(struct oracle *o, const struct pg_prog *p)
{
	static struct bpf_insn bound[PG_MAX_INSNS];
	static struct outcome checked, fast, jit, lin;
	char exo_msg[160] = "", buf[160];
	const char *d;
	int ret = 0;

	o->why[0] = o->exobpf_msg[0] = '\0';
	o->st.programs++;
	o->st.invalid += p->invalid;
	progen_bind_maps(p->insns, p->cnt, o->fds, bound);
	EXOBPF_OPTS(exobpf_prog_opts, po, .type = BPF_PROG_TYPE_XDP, .license = "GPL",
		    .flags = o->prog_flags);
	struct exobpf_prog *prog = exobpf_prog__new(bound, p->cnt, &po);
	if (!prog) {
		o->st.rejected++;
		snprintf(exo_msg, sizeof(exo_msg), "%s", exobpf_errmsg());
		snprintf(o->exobpf_msg, sizeof(o->exobpf_msg), "%s", exobpf_errmsg());
		/* Linux's verdict errnos: EACCES, EINVAL, E2BIG (too large or
		 * complex), EFAULT ("The sequence of N jumps is too complex") */
		if (errno != EACCES && errno != EINVAL && errno != E2BIG && errno != EFAULT) {
			say(o, "exobpf_prog__new failed with %s: %s", strerror(errno), exo_msg);
			ret = 1;
			goto out;
		}
	} else {
		o->st.accepted++;
		o->st.invalid_accepted += p->invalid;
	}

	if (prog && (o->kinds & (ORACLE_SOUND | ORACLE_JIT))) {
		struct exobpf_verifier_stats vs = {.sz = sizeof(vs)};
		if (exobpf_prog__verifier_stats(prog, &vs)) {
			if (!(o->prog_flags & EXOBPF_PROG_NO_VERIFY)) {
				say(o, "no verifier statistics: %s", exobpf_errmsg());
				ret = -1;
				goto out;
			}
			vs.insn_processed = 1u << 20;
		}
		/* a run longer than every path the verifier walked took a path
		 * it did not see (with callbacks, one walked path may run
		 * budget_scale times) */
		uint64_t budget =
		    ((uint64_t)vs.insn_processed + 1) * (p->budget_scale ? p->budget_scale : 1);
		int err =
		    exo_run(o, prog, p, EXOBPF_RUN_CHECKED | EXOBPF_RUN_INTERP, budget, &checked);
		if (err == -EIO) {
			ret = -1;
			goto out;
		}
		if (err) {
			say(o, "soundness: accepted program faults in checked mode: %s", checked.why);
			ret = 1;
			goto out;
		}
		if (o->kinds & ORACLE_JIT) {
			if (exo_run(o, prog, p, EXOBPF_RUN_INTERP, 0, &fast)) {
				say(o, "fast interpreter failed: %s", fast.why);
				ret = 1;
				goto out;
			}
			if ((d = differ(&checked, &fast, false, buf, sizeof(buf)))) {
				say(o, "checked vs fast interpreter: %s", d);
				ret = 1;
				goto out;
			}
			if (exobpf_prog__is_jited(prog)) {
				o->st.jited++;
				if (exo_run(o, prog, p, 0, 0, &jit)) {
					say(o, "JIT run failed: %s", exobpf_errmsg());
					ret = 1;
					goto out;
				}
				if ((d = differ(&checked, &jit, false, buf, sizeof(buf)))) {
					say(o, "interpreter vs JIT: %s", d);
					ret = 1;
					goto out;
				}
			}
		}
	}

	if (o->kinds & ORACLE_KERNEL) {
		char lmsg[160];
		int fd = kernel_load(o, p, lmsg, sizeof(lmsg));
		o->st.kernel_runs++;
		if (fd >= 0 && prog) {
			o->st.both_accept++;
			int err = kernel_run(o, fd, p, &lin);
			if (!err && !(o->kinds & (ORACLE_SOUND | ORACLE_JIT)))
				err = exo_run(o, prog, p, EXOBPF_RUN_INTERP, 0, &checked);
			if (err == -EIO) {
				ret = -1;
			} else if (err) {
				say(o, "Linux's test run failed: %s", strerror(-err));
				ret = 1;
			} else if ((d = differ(&checked, &lin, true, buf, sizeof(buf)))) {
				say(o, "exobpf vs Linux: %s", d);
				ret = 1;
			}
		} else if (fd < 0 && !prog) {
			o->st.both_reject++;
		} else {
			o->last.exobpf_accepts = prog != NULL;
			snprintf(o->last.exobpf_msg, sizeof(o->last.exobpf_msg), "%s",
				 prog ? "" : exo_msg);
			snprintf(o->last.linux_msg, sizeof(o->last.linux_msg), "%s", lmsg);
			/* Linux's own internal error ("verifier bug: ...", 6.16+'s
			 * verifier_bug()) is no verdict on the program */
			if (prog && !strncmp(lmsg, "verifier bug", 12))
				o->st.linux_internal++;
			else if (prog)
				o->st.only_exobpf++;
			else
				o->st.only_linux++;
			ret = 2;
		}
		if (fd >= 0)
			close(fd);
	}
out:
	if (ret == 1)
		o->st.findings++;
	exobpf_prog__free(prog);
	return ret;
}
