/* A libbpf application's loader, written as libbpf-bootstrap's `uprobe`
 * example: bpf_program__attach_uprobe_opts by function name (entry and
 * return) on its own executable and on the shared library it links, the
 * skeleton's auto-attach for SEC("uprobe//proc/self/exe:..."), attach
 * cookies (bpf_get_attach_cookie), a perf
 * buffer (perf_buffer__new/poll) for the hits, global data for totals,
 * then the perf link's bpf_link_info (Linux 6.18's perf_event member, read
 * by offset: the system's <linux/bpf.h> may predate it), detach, and a
 * last call that must not be seen. It prints only what the kernel
 * determines, so its output on Linux and under `exobpf exec` is the same. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "probed.skel.h"

long probed_lib_mul(long a, long b);

/* noinline and not static: each is a real function with a symbol */
__attribute__((noinline)) int probed_add(int a, int b)
{
	return a + b;
}

__attribute__((noinline)) int probed_sub(int a, int b)
{
	return a - b;
}

struct hit {
	unsigned int what, pad;
	long long a, b;
};

static const char *const names[] = {"?", "add", "add ret", "sub", "sub ret", "lib", "lib ret"};
static int quiet, counted; /* the overflow phase counts hits instead of printing them */

static void on_hit(void *ctx, int cpu, void *data, unsigned int size)
{
	const struct hit *h = data;

	(void)ctx, (void)cpu;
	if (quiet) {
		counted++;
		return;
	}
	if (h->what % 2)
		printf("hit %s(%lld, %lld) size %u cookie %u\n", names[h->what % 7], h->a, h->b,
		       size, h->pad);
	else
		printf("hit %s = %lld size %u cookie %u\n", names[h->what % 7], h->a, size, h->pad);
}

static void on_lost(void *ctx, int cpu, unsigned long long n)
{
	(void)ctx, (void)cpu;
	printf("lost %llu\n", n);
}

static struct bpf_link *attach(struct bpf_program *p, int ret, const char *bin, const char *func,
			       __u64 cookie)
{
	LIBBPF_OPTS(bpf_uprobe_opts, o, .func_name = func, .retprobe = ret, .bpf_cookie = cookie);
	struct bpf_link *l = bpf_program__attach_uprobe_opts(p, 0, bin, 0, &o);

	if (!l)
		printf("attach %s %s: %s\n", bin, func, strerror(errno));
	return l;
}

/* bpf_link_info's perf_event.uprobe (Linux 6.5+), at offset 16. */
static void show_link(struct bpf_link *l, const char *exe)
{
	unsigned char info[72];
	char name[PATH_MAX];
	__u32 len = sizeof(info), u32;
	__u64 ptr = (unsigned long)name;
	int err;

	memset(info, 0, sizeof(info));
	memcpy(info + 24, &ptr, 8);
	u32 = sizeof(name);
	memcpy(info + 32, &u32, 4);
	err = bpf_obj_get_info_by_fd(bpf_link__fd(l), info, &len);
	if (err) {
		printf("link info: %s\n", strerror(errno));
		return;
	}
	memcpy(&u32, info, 4);
	printf("link type %u", u32);
	memcpy(&u32, info + 16, 4);
	printf(" perf_event type %u", u32);
	memcpy(&u32, info + 32, 4);
	printf(" name_len ok %d", u32 == strlen(exe) + 1);
	printf(" file_name %s", strcmp(name, exe) ? name : "= the executable");
	memcpy(&u32, info + 36, 4);
	printf(" offset nonzero %d info_len %u\n", u32 != 0, len);
	/* a short name buffer: ENOSPC, as Linux */
	memset(info, 0, sizeof(info));
	memcpy(info + 24, &ptr, 8);
	u32 = 4;
	memcpy(info + 32, &u32, 4);
	len = sizeof(info);
	err = bpf_obj_get_info_by_fd(bpf_link__fd(l), info, &len);
	printf("short name: %s\n", err ? strerror(errno) : "ok");
}

int main(void)
{
	struct probed_bpf *skel;
	struct perf_buffer *pb;
	struct bpf_link *links[4];
	char exe[PATH_MAX], lib[PATH_MAX];
	cpu_set_t one;
	int sum = 0;

	/* one CPU: the records come in call order */
	CPU_ZERO(&one);
	CPU_SET(0, &one);
	sched_setaffinity(0, sizeof(one), &one);
	if (!realpath("/proc/self/exe", exe) ||
	    !realpath(getenv("PROBED_LIB") ? getenv("PROBED_LIB") : "libprobed.so", lib)) {
		printf("paths: %s\n", strerror(errno));
		return 1;
	}
	skel = probed_bpf__open_and_load();
	if (!skel) {
		printf("open_and_load: %s\n", strerror(errno));
		return 1;
	}
	links[0] = attach(skel->progs.add_entry, 0, exe, "probed_add", 0x1234);
	links[1] = attach(skel->progs.add_return, 1, exe, "probed_add", 0);
	links[2] = attach(skel->progs.lib_entry, 0, lib, "probed_lib_mul", 77);
	links[3] = attach(skel->progs.lib_return, 1, lib, "probed_lib_mul", 0);
	if (probed_bpf__attach(skel)) { /* sub_entry, sub_return: by their SEC names */
		printf("auto-attach: %s\n", strerror(errno));
		return 1;
	}
	pb = perf_buffer__new(bpf_map__fd(skel->maps.hits), 8, on_hit, on_lost, NULL, NULL);
	if (!pb) {
		printf("perf_buffer__new: %s\n", strerror(errno));
		return 1;
	}
	for (int i = 1; i <= 3; i++) {
		sum += probed_add(i, 10 * i);
		sum += probed_sub(100, i);
		sum += (int)probed_lib_mul(i, 7);
	}
	printf("sum %d\n", sum);
	while (perf_buffer__poll(pb, 100) > 0)
		;
	printf("entries %llu returns %llu ret_sum %lld\n", (unsigned long long)skel->bss->entries,
	       (unsigned long long)skel->bss->returns, (long long)skel->bss->ret_sum);
	if (links[0])
		show_link(links[0], exe);
	for (int i = 0; i < 4; i++)
		bpf_link__destroy(links[i]);
	bpf_link__destroy(skel->links.sub_entry);
	skel->links.sub_entry = NULL;
	/* detached: only sub's return probe is left */
	sum = probed_add(1, 1) + probed_sub(5, 1) + (int)probed_lib_mul(2, 2);
	while (perf_buffer__poll(pb, 100) > 0)
		;
	printf("after detach: sum %d entries %llu returns %llu\n", sum,
	       (unsigned long long)skel->bss->entries, (unsigned long long)skel->bss->returns);
	perf_buffer__free(pb);
	/* overflow: one page per CPU, 300 samples of 40 bytes before a poll;
	 * the lost count comes as a PERF_RECORD_LOST before the next sample */
	pb = perf_buffer__new(bpf_map__fd(skel->maps.hits), 1, on_hit, on_lost, NULL, NULL);
	if (!pb) {
		printf("perf_buffer__new (1 page): %s\n", strerror(errno));
		return 1;
	}
	quiet = 1;
	for (int i = 0; i < 300; i++)
		probed_sub(i, 1); /* only sub's return probe is attached */
	while (perf_buffer__poll(pb, 100) > 0)
		;
	printf("overflow: %d samples read\n", counted);
	probed_sub(1, 1);
	while (perf_buffer__poll(pb, 100) > 0)
		;
	printf("after the overflow: %d samples read\n", counted);
	perf_buffer__free(pb);
	probed_bpf__destroy(skel);
	return 0;
}
