/* Test traffic: Ethernet frames built from a description (VLAN tags,
 * IPv4 with options or fragments, IPv6, TCP/UDP/ICMP/ICMPv6, padding) with
 * correct checksums, and capture files written and read with libpcap
 * directly (not through the code under test). */
#ifndef EXOBPF_TEST_PKTGEN_H
#define EXOBPF_TEST_PKTGEN_H

#include <stddef.h>
#include <stdint.h>

struct pg_spec {
	uint8_t nvlan;	     /* 0, 1 or 2 tags */
	uint16_t vlan[2];    /* their TCI, outermost first */
	uint16_t outer_tpid; /* of the first tag of two: 0x88a8 (default) or 0x8100 */
	uint8_t ipver;	     /* 4, 6, or 0: an ARP frame */
	uint8_t l4;	     /* 6, 17, 1 or 58 */
	uint16_t sport, dport;
	uint8_t icmp_type;
	uint32_t src4, dst4;	      /* host order */
	uint8_t src6_last, dst6_last; /* 2001:db8::N */
	uint16_t payload;	      /* bytes after the transport header */
	uint8_t ip_opts;	      /* IPv4 option bytes (multiple of 4) */
	uint16_t frag;		      /* IPv4 fragment field (flags | offset), host order */
	uint8_t pad;		      /* Ethernet padding after the datagram */
	uint8_t
	    dst_mac_first; /* first byte of the destination MAC (odd: multicast; 0xff: broadcast) */
	uint8_t seed;	   /* varies the payload bytes */
};

/* Build the frame into buf (at least 2048 bytes); returns its length. */
size_t pg_build(uint8_t *buf, const struct pg_spec *s);

/* A mixed set of n frames (every kind above, flows repeating), into one
 * malloc'ed block: frames[i] points at frame i, lens[i] its length. */
struct pg_set {
	uint8_t *mem;
	uint8_t **frames;
	uint32_t *lens;
	uint32_t *wire; /* pg_read_pcap: lengths on the wire */
	unsigned n;
};
int pg_mixed(struct pg_set *set, unsigned n, uint32_t seed);
void pg_free(struct pg_set *set);

/* Write frames as a pcap (nanosecond timestamps i * 1000 + 1) or read one
 * back: 0 or -1. pg_read returns the frames as a pg_set (caplen only). */
int pg_write_pcap(const char *path, const struct pg_set *set);
int pg_read_pcap(const char *path, struct pg_set *set);

/* An empty capture of link type dlt: 0 or -1. */
int pg_write_empty_pcap(const char *path, int dlt);

/* The Internet checksum of n bytes. */
uint16_t pg_csum(const void *buf, size_t n);

#endif
