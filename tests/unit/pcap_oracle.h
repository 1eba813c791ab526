/* libpcap's own classic BPF as a test oracle: its interpreter (bpf_filter)
 * and its listing (bpf_image). A separate file because <pcap/pcap.h> and
 * <linux/bpf.h> both define struct bpf_insn. */
#ifndef EXOBPF_TEST_PCAP_ORACLE_H
#define EXOBPF_TEST_PCAP_ORACLE_H

#include <stddef.h>
#include <stdint.h>
#include <linux/filter.h>

/* bpf_filter(): the value libpcap's interpreter returns for a packet. */
uint32_t oracle_bpf_filter(const struct sock_filter *insns, size_t cnt, const uint8_t *pkt,
			   uint32_t wirelen, uint32_t caplen);

/* bpf_image(): libpcap's listing line for insns[n] (no newline). */
void oracle_bpf_image(const struct sock_filter *in, int n, char *buf, size_t size);

#endif
