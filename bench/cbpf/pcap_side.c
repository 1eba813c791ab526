#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pcap/pcap.h>

#include "pcap_side.h"

struct pcap_filter {
	struct bpf_program prog;
};

struct pcap_filter *pcap_side_compile(const char *expr, uint32_t snaplen)
{
	pcap_t *p = pcap_open_dead(DLT_EN10MB, (int)snaplen);
	struct pcap_filter *f = calloc(1, sizeof(*f));

	if (!p || !f || pcap_compile(p, &f->prog, expr, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		fprintf(stderr, "libpcap: '%s': %s\n", expr, p ? pcap_geterr(p) : "out of memory");
		free(f);
		f = NULL;
	}
	if (p)
		pcap_close(p);
	return f;
}

size_t pcap_side_run(struct pcap_filter *f, const struct bench_pkt *pkts, size_t n)
{
	struct pcap_pkthdr h;
	size_t matched = 0;

	memset(&h, 0, sizeof(h));
	for (size_t i = 0; i < n; i++) {
		h.caplen = pkts[i].caplen;
		h.len = pkts[i].wirelen;
		matched += pcap_offline_filter(&f->prog, &h, pkts[i].data) != 0;
	}
	return matched;
}

void pcap_side_free(struct pcap_filter *f)
{
	if (f) {
		pcap_freecode(&f->prog);
		free(f);
	}
}

int pcap_side_write(const char *path, const struct bench_pkt *pkts, size_t n, uint32_t snaplen)
{
	pcap_t *p = pcap_open_dead(DLT_EN10MB, (int)snaplen);
	pcap_dumper_t *d = p ? pcap_dump_open(p, path) : NULL;
	struct pcap_pkthdr h;

	if (!d) {
		fprintf(stderr, "%s: %s\n", path, p ? pcap_geterr(p) : "out of memory");
		if (p)
			pcap_close(p);
		return -1;
	}
	memset(&h, 0, sizeof(h));
	for (size_t i = 0; i < n; i++) {
		h.ts.tv_sec = (time_t)(1700000000 + i / 1000);
		h.ts.tv_usec = (suseconds_t)(i % 1000) * 1000;
		h.caplen = pkts[i].caplen;
		h.len = pkts[i].wirelen;
		pcap_dump((u_char *)d, &h, pkts[i].data);
	}
	pcap_dump_close(d);
	pcap_close(p);
	return 0;
}
