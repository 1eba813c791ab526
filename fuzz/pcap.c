/* libFuzzer target for capture input to the packet hooks: the input is a
 * capture file (pcap or pcapng). Every packet it yields is filtered by a
 * compiled expression (classic, converted, as `exobpf filter` runs it) and
 * by an XDP program that reads the packet behind range checks, in checked
 * mode; a malformed file must fail with an error, never a crash. Seeds:
 * libpcap's test captures in ../shared/pcap (read in place) and a capture
 * of generated packets (make fuzz). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* r0 = the packet's length if its first 14 bytes fit, else 0 */
static const struct bpf_insn xdp_len[] = {
    {BPF_LDX | BPF_W | BPF_MEM, 2, 1, 0, 0},	 /* r2 = data */
    {BPF_LDX | BPF_W | BPF_MEM, 3, 1, 4, 0},	 /* r3 = data_end */
    {BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0},	 /* r0 = 0 */
    {BPF_ALU64 | BPF_MOV | BPF_X, 4, 2, 0, 0},	 /* r4 = r2 */
    {BPF_ALU64 | BPF_ADD | BPF_K, 4, 0, 0, 14},	 /* r4 += 14 */
    {BPF_JMP | BPF_JGT | BPF_X, 4, 3, 3, 0},	 /* if r4 > r3 goto exit */
    {BPF_LDX | BPF_H | BPF_MEM, 0, 2, 12, 0},	 /* r0 = ethertype */
    {BPF_ALU64 | BPF_MOV | BPF_X, 0, 3, 0, 0},	 /* r0 = r3 */
    {BPF_ALU64 | BPF_SUB | BPF_X, 0, 2, 0, 0},	 /* r0 -= r2 */
    {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct exobpf_prog *xdp;
	static int init;
	char path[64];

	if (!init) {
		fuzz_init(0);
		EXOBPF_OPTS(exobpf_prog_opts, po, .type = BPF_PROG_TYPE_XDP);
		xdp = exobpf_prog__new(xdp_len, sizeof(xdp_len) / sizeof(xdp_len[0]), &po);
		if (!xdp) {
			fprintf(stderr, "pcap: the XDP program does not load: %s\n", exobpf_errmsg());
			abort();
		}
		init = 1;
	}
	int fd = memfd_create("capture", 0);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	struct exobpf_capture *cap = exobpf_capture__open(path);
	if (cap) {
		struct sock_filter *f = NULL;
		size_t n = 0;
		EXOBPF_OPTS(exobpf_cbpf_compile_opts, co);
		struct exobpf_cbpf_prog *cp = NULL;
		if (!exobpf_capture__compile(cap, "tcp or udp or icmp", &co, &f, &n)) {
			EXOBPF_OPTS(exobpf_cbpf_opts, o, .kind = EXOBPF_CBPF_PCAP);
			cp = exobpf_cbpf_prog__new(f, n, &o);
			free(f);
		}
		struct exobpf_packet pk;
		for (int i = 0; i < 4096 && exobpf_capture__next(cap, &pk) == 1; i++) {
			if (cp)
				exobpf_cbpf_prog__filter(cp, pk.data, pk.caplen, pk.wirelen);
			if (pk.caplen && pk.caplen <= 4096) {
				EXOBPF_OPTS(exobpf_run_opts, ro, .data_in = pk.data,
					    .data_size_in = pk.caplen, .flags = EXOBPF_RUN_CHECKED);
				if (exobpf_prog__run(xdp, &ro) == -EFAULT) {
					fprintf(stderr, "pcap: checked XDP run faults: %s\n",
						exobpf_errmsg());
					abort();
				}
			}
		}
		exobpf_cbpf_prog__free(cp);
		exobpf_capture__close(cap);
	}
	close(fd);
	return 0;
}
