/* checksum: the Internet checksum (RFC 1071) of a 1500-byte packet, 16 bits
 * at a time, folded at the end. */
#include "common.h"

BENCH_FN u64 bench_checksum(const u8 *p, const u8 *end)
{
	u64 sum = 0;

	for (u32 i = 0; i < 1500; i += 2) {
		if (p + i + 2 > end)
			break;
		sum += be16_at(p + i);
	}
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}
