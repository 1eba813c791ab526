; Verify the IPv4 header checksum of the packet in memory (r1 = data,
; r2 = length), as a router's fast path would. Returns the header's
; one's-complement sum folded to 16 bits: 0xffff means the checksum is right.
	if r2 < 20 goto short          ; too short for an IPv4 header
	r3 = *(u8 *)(r1 +0)
	r3 &= 15
	r3 <<= 2                       ; header length in bytes (IHL * 4)
	if r3 < 20 goto short
	if r3 > r2 goto short
	r4 = 0                         ; running sum
	r5 = 0                         ; offset
loop:
	r6 = r1
	r6 += r5
	r7 = *(u16 *)(r6 +0)
	r7 = be16 r7                   ; network order on a little-endian host
	r4 += r7
	r5 += 2
	if r5 < r3 goto loop
	r0 = r4                        ; fold the carries back in
	r0 >>= 16
	r4 &= 0xffff
	r0 += r4
	r4 = r0
	r4 >>= 16
	r0 &= 0xffff
	r0 += r4
	exit
short:
	r0 = 0
	exit
