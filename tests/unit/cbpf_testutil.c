#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cbpf_testutil.h"

int test_capture_load(const char *path, struct test_capture *cap)
{
	struct exobpf_capture *c = exobpf_capture__open(path);
	struct exobpf_packet p;
	size_t capn = 0;
	int r;

	memset(cap, 0, sizeof(*cap));
	if (!c)
		return -errno;
	cap->linktype = exobpf_capture__linktype(c);
	cap->snaplen = exobpf_capture__snaplen(c);
	while ((r = exobpf_capture__next(c, &p)) > 0) {
		if (cap->n == capn) {
			capn = capn ? capn * 2 : 64;
			struct test_pkt *n = realloc(cap->pkts, capn * sizeof(*n));
			if (!n) {
				r = -ENOMEM;
				break;
			}
			cap->pkts = n;
		}
		struct test_pkt *t = &cap->pkts[cap->n];
		if (!(t->data = malloc(p.caplen ? p.caplen : 1))) {
			r = -ENOMEM;
			break;
		}
		memcpy(t->data, p.data, p.caplen);
		t->caplen = p.caplen;
		t->wirelen = p.wirelen;
		cap->n++;
	}
	exobpf_capture__close(c);
	if (r < 0) {
		test_capture_free(cap);
		return r;
	}
	return 0;
}

void test_capture_free(struct test_capture *cap)
{
	for (size_t i = 0; i < cap->n; i++)
		free(cap->pkts[i].data);
	free(cap->pkts);
	memset(cap, 0, sizeof(*cap));
}

bool test_cbpf_all_engines(struct exobpf_cbpf_prog *prog, const struct sock_filter *insns,
			   size_t cnt, const struct test_pkt *pkt, uint32_t *verdict, char *why,
			   size_t why_size)
{
	uint32_t fast = exobpf_cbpf_prog__filter(prog, pkt->data, pkt->caplen, pkt->wirelen);
	EXOBPF_OPTS(exobpf_cbpf_run_opts, ro, .pkt = pkt->data, .caplen = pkt->caplen,
		    .wirelen = pkt->wirelen, .flags = EXOBPF_RUN_CHECKED);
	if (exobpf_cbpf_prog__run(prog, &ro)) {
		snprintf(why, why_size, "checked run failed: %s", exobpf_errmsg());
		return false;
	}
	EXOBPF_OPTS(exobpf_cbpf_run_opts, io, .pkt = pkt->data, .caplen = pkt->caplen,
		    .wirelen = pkt->wirelen);
	EXOBPF_OPTS(exobpf_cbpf_opts, po, .kind = EXOBPF_CBPF_PCAP);
	if (exobpf_cbpf_interp(insns, cnt, &po, &io, NULL)) {
		snprintf(why, why_size, "classic interpreter failed: %s", exobpf_errmsg());
		return false;
	}
	if (fast != ro.retval || fast != io.retval) {
		snprintf(why, why_size, "engines disagree: converted %u, checked %u, classic %u",
			 fast, ro.retval, io.retval);
		return false;
	}
	*verdict = fast;
	return true;
}

const char *const test_corpus_captures[] = {
    "AH-IPcomp-IPv4.pcap",
    "AH-IPcomp-IPv6.pcap",
    "ISIS_external_lsp.pcap",
    "ISIS_p2p_adjacency.pcap",
    "Network_Join_Nokia_Mobile.pcap",
    "ah-ipip-ping.pcap",
    "arcnet-rfc1051-arp-icmp-http.pcap",
    "arcnet-rfc1201-arp-icmp-http.pcap",
    "bacnet-arcnet-linux.pcap",
    "brcm-tag-stp.pcap",
    "brcm-tag.pcap",
    "carp.pcap",
    "decnet.pcap",
    "dhcp-rfc3004.pcap",
    "dsa.pcap",
    "gateway_or_not.pcap",
    "geneve.pcap",
    "http_PPI.pcap",
    "ieee802.11_exthdr.pcap",
    "ipv6_ah_modes.pcap",
    "ipv6_ext_headers.pcap",
    "isakmp4500.pcap",
    "isup_load_generator.pcap",
    "llc.pcap",
    "loopback.pcap",
    "mstp_20140225214217.pcap",
    "pim-packet-assortment.pcap",
    "pppoe.pcap",
    "pppoes.pcap",
    "rarp_req_reply.pcapng",
    "slip-bad-direction.pcap",
    "slip-compressed_sl_print-oobr.pcap",
    "slip-sliplink_print-oobr.pcap",
    "vrrp.pcap",
    "vxlan.pcap",
    "wpa-Induction.pcap",
    "wpa2linkuppassphraseiswireshark.pcap",
    NULL,
};
