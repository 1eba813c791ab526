/* A libbpf application's loader, written the usual way against the
 * system's libbpf and the skeleton `bpftool gen skeleton` made. It prints
 * only what the kernel determines, so its output on Linux and under
 * `exobpf exec` must be the same. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "ringstat.skel.h"

struct event {
	__u32 key;
	__u32 len;
	__u64 total;
};

static int events_seen;

static int on_event(void *ctx, void *data, size_t size)
{
	const struct event *e = data;

	(void)ctx;
	printf("event %d: key %u len %u total %llu (size %zu)\n", events_seen++, e->key, e->len,
	       (unsigned long long)e->total, size);
	return 0;
}

int main(void)
{
	struct ringstat_bpf *skel;
	struct ring_buffer *rb;
	unsigned char pkt[128];
	int err, ncpu = libbpf_num_possible_cpus();

	skel = ringstat_bpf__open();
	if (!skel) {
		fprintf(stderr, "open: %s\n", strerror(errno));
		return 1;
	}
	skel->rodata->multiplier = 3;
	err = ringstat_bpf__load(skel);
	if (err) {
		fprintf(stderr, "load: %s\n", strerror(-err));
		return 1;
	}
	printf("banner %s multiplier %u\n", skel->data->banner, skel->rodata->multiplier);
	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_event, NULL, NULL);
	if (!rb) {
		fprintf(stderr, "ring_buffer__new: %s\n", strerror(errno));
		return 1;
	}
	for (int i = 0; i < 8; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = pkt, .data_size_in = 60 + i,
			    .repeat = 1);

		memset(pkt, 0, sizeof(pkt));
		pkt[0] = (unsigned char)(i * 3);
		err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.count_pkt), &opts);
		printf("run %d: err %d retval %u size_out %u\n", i, err, opts.retval,
		       opts.data_size_out);
	}
	/* the records wait in the ring; the epoll wakeup must say so */
	for (int tries = 0; events_seen < 8 && tries < 50; tries++)
		if (ring_buffer__poll(rb, 200) < 0)
			break;
	printf("events %d, total in .bss %llu\n", events_seen,
	       (unsigned long long)skel->bss->total);
	for (__u32 k = 0; k < 4; k++) {
		__u64 c = 0, b = 0;
		int rc = bpf_map_lookup_elem(bpf_map__fd(skel->maps.counts), &k, &c);

		bpf_map_lookup_elem(bpf_map__fd(skel->maps.bytes), &k, &b);
		printf("key %u: count %llu (lookup %d) bytes %llu\n", k, (unsigned long long)c,
		       rc, (unsigned long long)b);
	}
	{
		__u64 vals[1024] = {0}, sum = 0;
		__u32 zero = 0;

		if (ncpu > 0 && ncpu <= 1024 &&
		    !bpf_map_lookup_elem(bpf_map__fd(skel->maps.runs), &zero, vals))
			for (int c = 0; c < ncpu; c++)
				sum += vals[c];
		printf("runs over all cpus %llu\n", (unsigned long long)sum);
	}
	{
		__u32 k = 0, next;
		int n = 0;

		while (!bpf_map_get_next_key(bpf_map__fd(skel->maps.counts), n ? &k : NULL, &next)) {
			k = next;
			n++;
		}
		printf("hash keys %d\n", n);
	}
	ring_buffer__free(rb);
	ringstat_bpf__destroy(skel);
	printf("done\n");
	return 0;
}
