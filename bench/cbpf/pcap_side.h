/* libpcap's side of the benchmark, apart because <pcap/pcap.h> and
 * <linux/bpf.h> both define struct bpf_insn. */
#ifndef EXOBPF_BENCH_PCAP_SIDE_H
#define EXOBPF_BENCH_PCAP_SIDE_H

#include <stddef.h>
#include <stdint.h>

struct bench_pkt {
	const uint8_t *data;
	uint32_t caplen, wirelen;
};

struct pcap_filter;

/* pcap_compile for Ethernet with snaplen; NULL (message printed) on failure. */
struct pcap_filter *pcap_side_compile(const char *expr, uint32_t snaplen);
/* pcap_offline_filter over every packet; the number that match. */
size_t pcap_side_run(struct pcap_filter *f, const struct bench_pkt *pkts, size_t n);
void pcap_side_free(struct pcap_filter *f);
/* Write the packets as a pcap file (the benchmark's capture). */
int pcap_side_write(const char *path, const struct bench_pkt *pkts, size_t n, uint32_t snaplen);

#endif
