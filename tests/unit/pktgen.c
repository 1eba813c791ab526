#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>

#include "pktgen.h"

uint16_t pg_csum(const void *buf, size_t n)
{
	const uint8_t *p = buf;
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* The transport checksum over a pseudo-header (addresses, protocol, length). */
static uint16_t l4_csum(const uint8_t *src, const uint8_t *dst, unsigned alen, uint8_t proto,
			const uint8_t *l4, size_t len)
{
	uint8_t tmp[2048 + 40];
	size_t n = 0;

	memcpy(tmp, src, alen);
	memcpy(tmp + alen, dst, alen);
	n = 2 * alen;
	put32(tmp + n, (uint32_t)len);
	tmp[n + 4] = 0;
	tmp[n + 5] = 0;
	tmp[n + 6] = 0;
	tmp[n + 7] = proto;
	n += 8;
	memcpy(tmp + n, l4, len);
	return pg_csum(tmp, n + len);
}

size_t pg_build(uint8_t *buf, const struct pg_spec *s)
{
	size_t off = 14, l4len, ip_off;
	uint8_t *l4;

	memset(buf, 0, 2048);
	buf[0] = s->dst_mac_first ? s->dst_mac_first : 0x02;
	buf[5] = 0x02;
	if (s->dst_mac_first == 0xff)
		memset(buf, 0xff, 6);
	buf[6] = 0x02;
	buf[11] = 0x01;
	for (unsigned i = 0; i < s->nvlan && i < 2; i++) {
		uint16_t tpid =
		    i == 0 && s->nvlan == 2 ? (s->outer_tpid ? s->outer_tpid : 0x88a8) : 0x8100;

		put16(buf + off - 2, tpid);
		put16(buf + off, s->vlan[i]);
		off += 4;
	}
	if (s->ipver == 0) { /* ARP request, padded to the Ethernet minimum */
		put16(buf + off - 2, 0x0806);
		put16(buf + off, 1);
		put16(buf + off + 2, 0x0800);
		buf[off + 4] = 6;
		buf[off + 5] = 4;
		put16(buf + off + 6, 1);
		return off + 28 + 18;
	}
	l4len = s->l4 == 6 ? 20 : 8;
	l4len += s->payload;
	ip_off = off;
	if (s->ipver == 4) {
		uint8_t *ip = buf + off;
		size_t ihl = 20 + s->ip_opts;

		put16(buf + off - 2, 0x0800);
		ip[0] = (uint8_t)(0x40 | ihl / 4);
		put16(ip + 2, (uint16_t)(ihl + l4len));
		put16(ip + 4, (uint16_t)(0x1000 + s->seed));
		put16(ip + 6, s->frag ? s->frag : 0x4000);
		ip[8] = 64;
		ip[9] = s->l4;
		put32(ip + 12, s->src4 ? s->src4 : 0xc0a8010a);
		put32(ip + 16, s->dst4 ? s->dst4 : 0x0a000002);
		for (unsigned i = 0; i < s->ip_opts; i++)
			ip[20 + i] = 1; /* NOP options */
		put16(ip + 10, pg_csum(ip, ihl));
		off += ihl;
	} else {
		uint8_t *ip = buf + off;

		put16(buf + off - 2, 0x86dd);
		ip[0] = 0x60;
		put16(ip + 4, (uint16_t)l4len);
		ip[6] = s->l4;
		ip[7] = 64;
		ip[8] = 0x20;
		ip[9] = 0x01;
		ip[10] = 0x0d;
		ip[11] = 0xb8;
		ip[23] = s->src6_last ? s->src6_last : 1;
		memcpy(ip + 24, ip + 8, 15);
		ip[39] = s->dst6_last ? s->dst6_last : 2;
		off += 40;
	}
	l4 = buf + off;
	if (s->l4 == 6) {
		put16(l4, s->sport);
		put16(l4 + 2, s->dport);
		put32(l4 + 4, 0x1000000u * s->seed);
		l4[12] = 5 << 4;
		l4[13] = 0x18; /* PSH ACK */
		put16(l4 + 14, 65535);
	} else if (s->l4 == 17) {
		put16(l4, s->sport);
		put16(l4 + 2, s->dport);
		put16(l4 + 4, (uint16_t)l4len);
	} else { /* ICMP / ICMPv6 echo */
		l4[0] = s->icmp_type;
		put16(l4 + 4, 0x4242);
		put16(l4 + 6, s->seed);
	}
	for (unsigned i = 0; i < s->payload; i++)
		l4[l4len - s->payload + i] = (uint8_t)(s->seed * 31 + i);
	if (s->frag & 0x1fff) {
		/* a later fragment: its bytes are payload, no header to sum */
	} else if (s->ipver == 4 && s->l4 == 1) {
		put16(l4 + 2, pg_csum(l4, l4len));
	} else {
		const uint8_t *ip = buf + ip_off;
		unsigned alen = s->ipver == 4 ? 4 : 16;
		const uint8_t *src = s->ipver == 4 ? ip + 12 : ip + 8;
		uint16_t c = l4_csum(src, src + alen, alen, s->l4, l4, l4len);
		size_t at = s->l4 == 6 ? 16 : s->l4 == 17 ? 6 : 2;

		put16(l4 + at, s->l4 == 17 && !c ? 0xffff : c);
	}
	off += l4len;
	return off + s->pad;
}

int pg_mixed(struct pg_set *set, unsigned n, uint32_t seed)
{
	uint32_t x = seed * 2654435761u + 1;
	size_t cap = 0;

	memset(set, 0, sizeof(*set));
	set->mem = malloc((size_t)n * 2048);
	set->frames = calloc(n, sizeof(*set->frames));
	set->lens = calloc(n, sizeof(*set->lens));
	set->wire = calloc(n, sizeof(*set->wire));
	if (!set->mem || !set->frames || !set->lens || !set->wire) {
		pg_free(set);
		return -1;
	}
	for (unsigned i = 0; i < n; i++) {
		struct pg_spec s = {0};
		unsigned kind, flow;

		x = x * 1103515245u + 12345u;
		kind = (x >> 16) % 12;
		flow = (x >> 8) % 16;
		s.seed = (uint8_t)i;
		s.sport = (uint16_t)(40000 + flow);
		s.dport = (uint16_t[]){80, 443, 53, 9, 123, 22}[flow % 6];
		s.src4 = 0xc0a80100 + flow;
		s.src6_last = (uint8_t)(flow + 1);
		s.payload = (uint16_t)((x >> 4) % 200);
		switch (kind) {
		case 0:
		case 1:
		case 2:
			s.ipver = 4, s.l4 = 6;
			break;
		case 3:
		case 4:
			s.ipver = 4, s.l4 = 17;
			break;
		case 5:
			s.ipver = 4, s.l4 = 1, s.icmp_type = 8;
			break;
		case 6:
			s.ipver = 6, s.l4 = 6;
			break;
		case 7:
			s.ipver = 6, s.l4 = 17;
			break;
		case 8:
			s.ipver = 6, s.l4 = 58, s.icmp_type = 128;
			break;
		case 9:
			s.ipver = 4, s.l4 = 17, s.nvlan = 1, s.vlan[0] = (uint16_t)(100 + flow);
			break;
		case 10:
			s.ipver = 4, s.l4 = 6, s.nvlan = 2, s.vlan[0] = 10, s.vlan[1] = 20;
			s.ip_opts = 8;
			break;
		default:
			if (flow & 1) {
				s.ipver = 0;
			} else {
				s.ipver = 4, s.l4 = 17, s.frag = 0x00b9; /* a later fragment */
				s.pad = 6;
			}
			break;
		}
		set->frames[i] = set->mem + cap;
		set->lens[i] = (uint32_t)pg_build(set->frames[i], &s);
		set->wire[i] = set->lens[i];
		cap += 2048;
	}
	set->n = n;
	return 0;
}

void pg_free(struct pg_set *set)
{
	free(set->mem);
	free(set->frames);
	free(set->lens);
	free(set->wire);
	memset(set, 0, sizeof(*set));
}

int pg_write_pcap(const char *path, const struct pg_set *set)
{
	pcap_t *p =
	    pcap_open_dead_with_tstamp_precision(DLT_EN10MB, 65535, PCAP_TSTAMP_PRECISION_NANO);
	pcap_dumper_t *d = p ? pcap_dump_open(p, path) : NULL;

	if (!d) {
		if (p)
			pcap_close(p);
		return -1;
	}
	for (unsigned i = 0; i < set->n; i++) {
		struct pcap_pkthdr h = {.caplen = set->lens[i], .len = set->lens[i]};

		h.ts.tv_sec = 1700000000;
		h.ts.tv_usec = (suseconds_t)(i * 1000 + 1);
		pcap_dump((u_char *)d, &h, set->frames[i]);
	}
	pcap_dump_close(d);
	pcap_close(p);
	return 0;
}

int pg_write_empty_pcap(const char *path, int dlt)
{
	pcap_t *p = pcap_open_dead(dlt, 65535);
	pcap_dumper_t *d = p ? pcap_dump_open(p, path) : NULL;

	if (d)
		pcap_dump_close(d);
	if (p)
		pcap_close(p);
	return d ? 0 : -1;
}

int pg_read_pcap(const char *path, struct pg_set *set)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(path, err);
	struct pcap_pkthdr *h;
	const u_char *data;
	size_t used = 0, cap = 1 << 16;
	unsigned fcap = 64;
	int rc;

	memset(set, 0, sizeof(*set));
	if (!p)
		return -1;
	set->mem = malloc(cap);
	set->frames = calloc(fcap, sizeof(*set->frames));
	set->lens = calloc(fcap, sizeof(*set->lens));
	set->wire = calloc(fcap, sizeof(*set->wire));
	while (set->mem && set->frames && set->lens && set->wire &&
	       (rc = pcap_next_ex(p, &h, &data)) == 1) {
		if (set->n == fcap) {
			fcap *= 2;
			set->frames = realloc(set->frames, fcap * sizeof(*set->frames));
			set->lens = realloc(set->lens, fcap * sizeof(*set->lens));
			set->wire = realloc(set->wire, fcap * sizeof(*set->wire));
			if (!set->frames || !set->lens || !set->wire)
				break;
		}
		if (used + h->caplen > cap) {
			while (used + h->caplen > cap)
				cap *= 2;
			set->mem = realloc(set->mem, cap);
			if (!set->mem)
				break;
		}
		memcpy(set->mem + used, data, h->caplen);
		set->frames[set->n] = (uint8_t *)(uintptr_t)used; /* fixed up below */
		set->wire[set->n] = h->len;
		set->lens[set->n++] = h->caplen;
		used += h->caplen;
	}
	pcap_close(p);
	if (!set->mem || !set->frames || !set->lens || !set->wire) {
		pg_free(set);
		return -1;
	}
	for (unsigned i = 0; i < set->n; i++)
		set->frames[i] = set->mem + (uintptr_t)set->frames[i];
	return 0;
}
