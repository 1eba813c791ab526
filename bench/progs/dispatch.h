/* dispatch: a switch over 16 cases per byte of a 512-byte packet, the shape
 * of a bytecode interpreter or a protocol state machine. */
#include "common.h"

BENCH_FN u64 bench_dispatch(const u8 *p, const u8 *end)
{
	u64 acc = 1, x = 0x9e3779b97f4a7c15ull;

	for (u32 i = 0; i < 512; i++) {
		if (p + i + 1 > end)
			break;
		u8 op = p[i];
		switch (op & 15) {
		case 0: acc += x; break;
		case 1: acc ^= x << 3; break;
		case 2: x += op; break;
		case 3: x ^= acc; break;
		case 4: acc = acc * 3 + 1; break;
		case 5: x = (x >> 1) | (x << 63); break;
		case 6: acc -= op; break;
		case 7: x += acc >> 7; break;
		case 8: acc |= (u64)op << (i & 31); break;
		case 9: x &= ~(u64)op; break;
		case 10: acc += x >> (op & 7); break;
		case 11: x -= acc; break;
		case 12: acc ^= acc >> 17; break;
		case 13: x = x * 5 + op; break;
		case 14: acc += i; break;
		default: x ^= x >> 9; break;
		}
	}
	return acc ^ x;
}
