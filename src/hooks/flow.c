/* Flow hash: Ethernet, up to two VLAN tags, IPv4 or IPv6 (with extension
 * headers), TCP/UDP/SCTP/UDP-Lite ports. Anything else hashes on its MAC
 * addresses and EtherType. */
#include <string.h>

#include "hooks/flow.h"

#define ETH_P_IP_     0x0800
#define ETH_P_IPV6_   0x86dd
#define ETH_P_8021Q_  0x8100
#define ETH_P_8021AD_ 0x88a8

static uint32_t be16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t mix(uint32_t h, uint32_t v)
{
	h ^= v * 0xcc9e2d51u;
	h = (h << 13 | h >> 19) * 5 + 0xe6546b64u;
	return h;
}

static uint32_t fin(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	return h ^ (h >> 16);
}

/* Hash two endpoints (address bytes + port) in a fixed order. */
static uint32_t endpoints(const uint8_t *a, const uint8_t *b, unsigned alen, uint32_t pa,
			  uint32_t pb, uint32_t proto)
{
	int c = memcmp(a, b, alen);
	uint32_t h = mix(0x9747b28cu, proto);

	if (c > 0 || (c == 0 && pa > pb)) {
		const uint8_t *t = a;
		uint32_t tp = pa;

		a = b;
		b = t;
		pa = pb;
		pb = tp;
	}
	for (unsigned i = 0; i < alen; i += 4) {
		uint32_t wa, wb;

		memcpy(&wa, a + i, 4);
		memcpy(&wb, b + i, 4);
		h = mix(mix(h, wa), wb);
	}
	return fin(mix(h, pa << 16 | pb));
}

static int has_ports(uint32_t proto)
{
	return proto == 6 || proto == 17 || proto == 132 || proto == 136;
}

uint32_t flow_hash(const uint8_t *f, uint32_t len)
{
	uint32_t off = 14, type, proto, ports = 0, sp = 0, dp = 0;

	if (len < 14)
		return fin(len);
	type = be16(f + 12);
	for (int tags = 0; tags < 2 && (type == ETH_P_8021Q_ || type == ETH_P_8021AD_); tags++) {
		if (len < off + 4)
			break;
		type = be16(f + off + 2);
		off += 4;
	}
	if (type == ETH_P_IP_ && len >= off + 20 && (f[off] >> 4) == 4) {
		const uint8_t *ip = f + off;
		uint32_t ihl = (uint32_t)(ip[0] & 15) * 4;
		int frag = (be16(ip + 6) & 0x3fff) != 0; /* MF or an offset */

		proto = ip[9];
		if (!frag && ihl >= 20 && has_ports(proto) && len >= off + ihl + 4) {
			sp = be16(ip + ihl);
			dp = be16(ip + ihl + 2);
			ports = 1;
		}
		return endpoints(ip + 12, ip + 16, 4, sp, dp, proto | ports << 8);
	}
	if (type == ETH_P_IPV6_ && len >= off + 40) {
		const uint8_t *ip = f + off;
		uint32_t l4 = off + 40;
		int frag = 0;

		proto = ip[6];
		/* hop-by-hop, routing, fragment, destination options */
		for (int n = 0; n < 8 && (proto == 0 || proto == 43 || proto == 44 || proto == 60);
		     n++) {
			if (len < l4 + 8)
				break;
			if (proto == 44) {
				frag = 1;
				proto = f[l4];
				l4 += 8;
				continue;
			}
			proto = f[l4];
			l4 += ((uint32_t)f[l4 + 1] + 1) * 8;
		}
		if (!frag && has_ports(proto) && len >= l4 + 4) {
			sp = be16(f + l4);
			dp = be16(f + l4 + 2);
			ports = 1;
		}
		return endpoints(ip + 8, ip + 24, 16, sp, dp, proto | ports << 8);
	}
	return endpoints(f, f + 6, 4, be16(f + 4), be16(f + 10), type);
}
