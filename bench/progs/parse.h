/* parse: an Ethernet (optionally 802.1Q) / IPv4 / TCP parser that walks the
 * TCP options and hashes the flow, as a load balancer or firewall does per
 * packet. Input: a 74-byte TCP SYN with MSS, SACK-permitted, timestamps,
 * NOP and window scale options. */
#include "common.h"

BENCH_FN u64 bench_parse(const u8 *p, const u8 *end)
{
	const u8 *l3 = p + 14, *l4;
	u32 proto, ihl, saddr, daddr, ports, h;

	if (p + 14 > end)
		return 1;
	proto = be16_at(p + 12);
	if (proto == 0x8100) { /* one VLAN tag */
		if (l3 + 4 > end)
			return 2;
		proto = be16_at(l3 + 2);
		l3 += 4;
	}
	if (proto != 0x0800)
		return 3;
	if (l3 + 20 > end)
		return 4;
	if ((l3[0] >> 4) != 4)
		return 5;
	ihl = (u32)(l3[0] & 15) * 4;
	if (ihl < 20 || (be16_at(l3 + 6) & 0x3fff)) /* fragments are not parsed */
		return 6;
	if (l3[9] != 6)
		return 7;
	saddr = be32_at(l3 + 12);
	daddr = be32_at(l3 + 16);
	l4 = l3 + ihl;
	if (l4 + 20 > end)
		return 8;
	ports = be32_at(l4);
	u32 doff = (u32)(l4[12] >> 4) * 4;
	if (doff < 20)
		return 9;
	/* TCP options: up to 5 of them (what a SYN carries) after the header. The
	 * offset is masked and the options fold into one signature, so every
	 * path reaches the loop head in the same state (the kernel's verifier
	 * then explores each iteration once). */
	u32 o = 20, sig = 0;
	for (u32 k = 0; k < 5; k++) {
		if (o >= doff)
			break;
		const u8 *c = l4 + o;
		if (c + 2 > end)
			break;
		u32 kind = c[0], len = c[1], v = 0;
		if (kind == 0)
			break;
		if (kind == 1) {
			o = (o + 1) & 63;
			continue;
		}
		if (len < 2)
			break;
		if (kind == 2 && len == 4 && c + 4 <= end)
			v = be16_at(c + 2);
		else if (kind == 3 && len == 3 && c + 3 <= end)
			v = c[2];
		else if (kind == 8 && len == 10 && c + 10 <= end)
			v = be32_at(c + 2);
		sig = sig * 31 + (kind << 24 ^ v);
		o = (o + len) & 63;
	}
	/* a Jenkins-style mix of the flow and what the options said */
	h = saddr * 0x9e3779b1u;
	h ^= (daddr + 0x7f4a7c15u) * 0x85ebca6bu;
	h ^= ports * 0xc2b2ae35u;
	h ^= h >> 15;
	h += sig;
	h *= 0x27d4eb2fu;
	return h ^ (h >> 13) ^ l4[13];
}
