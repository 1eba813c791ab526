#include <stdio.h>
#include <stdlib.h>
#include <pcap/pcap.h>

#include "pcap_oracle.h"

uint32_t oracle_bpf_filter(const struct sock_filter *insns, size_t cnt, const uint8_t *pkt,
			   uint32_t wirelen, uint32_t caplen)
{
	/* same layout; libpcap's interpreter takes its own type */
	(void)cnt;
	return bpf_filter((const struct bpf_insn *)(const void *)insns, pkt, wirelen, caplen);
}

void oracle_bpf_image(const struct sock_filter *in, int n, char *buf, size_t size)
{
	struct bpf_insn i = {.code = in->code, .jt = in->jt, .jf = in->jf, .k = in->k};

	snprintf(buf, size, "%s", bpf_image(&i, n));
}
