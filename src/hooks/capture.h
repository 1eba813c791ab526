/* Capture files: reading pcap and pcapng through libpcap, writing pcap
 * (libpcap) or pcapng (by the file name's extension). Every error names
 * the file and, for packets, the packet's number and byte offset. */
#ifndef EXOBPF_HOOKS_CAPTURE_H
#define EXOBPF_HOOKS_CAPTURE_H

#include <stdbool.h>
#include <stdint.h>

struct cap_in;
struct cap_out;

struct cap_pkt {
	const uint8_t *data; /* valid until the next cap_in_next */
	uint32_t caplen;     /* bytes captured */
	uint32_t len;	     /* bytes on the wire */
	uint64_t ts_ns;	     /* since the epoch */
	uint64_t seq;	     /* 1-based number in the file */
};

/* Open a capture of Ethernet frames. NULL and errno with the message set. */
struct cap_in *cap_in_open(const char *path);
/* 1 and *pkt filled, 0 at the end, or -errno (truncated or corrupt file). */
int cap_in_next(struct cap_in *c, struct cap_pkt *pkt);
const char *cap_in_path(const struct cap_in *c);
void cap_in_close(struct cap_in *c);

/* Create (truncate) a capture file: pcapng when path ends in ".pcapng",
 * else pcap, nanosecond timestamps, Ethernet. */
struct cap_out *cap_out_open(const char *path);
int cap_out_write(struct cap_out *c, uint64_t ts_ns, const uint8_t *data, uint32_t caplen,
		  uint32_t len);
/* Flush and close; -errno when anything could not be written. */
int cap_out_close(struct cap_out *c);

#endif
