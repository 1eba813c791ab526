/* tests/progs/hook_parse.bpf.c written as plain C, for the benchmark's
 * third column: the same parse (Ethernet, two VLAN tags, IPv4/IPv6,
 * TCP/UDP/ICMP), the same counters (one per thread, per header kind, per
 * destination port in a 1024-entry hash table with atomic adds) and the
 * same verdicts. gcc -O2. */
#include <stdint.h>
#include <string.h>

#include "native_parse.h"

enum { K_OTHER, K_VLAN, K_IPV4, K_IPV6, K_TCP, K_UDP, K_ICMP, K_ICMPV6, K_BAD };

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void bump_port(struct np_state *s, uint16_t port)
{
	uint32_t h = (port * 2654435761u) >> 22; /* 10 bits */

	for (uint32_t i = 0; i < NP_PORTS; i++, h = (h + 1) & (NP_PORTS - 1)) {
		uint32_t k = __atomic_load_n(&s->port_key[h], __ATOMIC_ACQUIRE);

		if (k == port + 1u) {
			__atomic_fetch_add(&s->port_count[h], 1, __ATOMIC_RELAXED);
			return;
		}
		if (!k) {
			uint32_t want = 0;

			if (__atomic_compare_exchange_n(&s->port_key[h], &want, port + 1u, false,
							__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE) ||
			    want == port + 1u) {
				__atomic_fetch_add(&s->port_count[h], 1, __ATOMIC_RELAXED);
				return;
			}
		}
	}
}

static void kind(struct np_state *s, int k)
{
	__atomic_fetch_add(&s->kinds[k], 1, __ATOMIC_RELAXED);
}

int np_parse_count(struct np_state *s, unsigned slot, const uint8_t *d, uint32_t len)
{
	uint32_t off = 14, l4 = 0;
	uint16_t proto;
	uint8_t l4proto = 0;
	int vlans = 0;

	s->packets[slot * 8]++;
	if (len < 14) {
		kind(s, K_BAD);
		return NP_DROP;
	}
	proto = be16(d + 12);
	for (int i = 0; i < 2 && (proto == 0x8100 || proto == 0x88a8); i++) {
		if (len < off + 4) {
			kind(s, K_BAD);
			return NP_DROP;
		}
		proto = be16(d + off + 2);
		off += 4;
		vlans++;
	}
	if (vlans)
		kind(s, K_VLAN);
	if (proto == 0x0800) {
		if (len < off + 20 || (d[off] & 15) < 5) {
			kind(s, K_BAD);
			return NP_DROP;
		}
		kind(s, K_IPV4);
		l4proto = d[off + 9];
		if (!(be16(d + off + 6) & 0x1fff))
			l4 = off + (d[off] & 15) * 4u;
	} else if (proto == 0x86dd) {
		if (len < off + 40) {
			kind(s, K_BAD);
			return NP_DROP;
		}
		kind(s, K_IPV6);
		l4proto = d[off + 6];
		l4 = off + 40;
	} else {
		kind(s, K_OTHER);
		return NP_PASS;
	}
	if (!l4)
		return NP_PASS;
	switch (l4proto) {
	case 6:
		if (len < l4 + 20)
			return NP_DROP;
		kind(s, K_TCP);
		bump_port(s, be16(d + l4 + 2));
		break;
	case 17:
		if (len < l4 + 8)
			return NP_DROP;
		kind(s, K_UDP);
		bump_port(s, be16(d + l4 + 2));
		if (be16(d + l4 + 2) == 9)
			return NP_DROP;
		break;
	case 1:
		kind(s, K_ICMP);
		break;
	case 58:
		kind(s, K_ICMPV6);
		break;
	}
	return NP_PASS;
}

void np_reset(struct np_state *s)
{
	memset(s, 0, sizeof(*s));
}
