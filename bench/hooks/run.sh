#!/bin/sh
# bench/hooks: packets per second for a parse-and-count XDP program on the
# demo's capture - the exobpf hook (1 and 2 threads), the program alone,
# Linux's BPF_PROG_TEST_RUN with repeat, and the same logic in C - as
# ratios. Builds against the release library. Prints; never fails on time.
set -e
cd "$(dirname "$0")/../.."
make -s -j2 SAN=0 build/libexobpf.a build/progs/hook_parse.bpf.o
mkdir -p build/bench
python3 examples/make_capture.py build/bench/office.pcap >/dev/null
# the same packets 300 times over, so the hook's run is not its start-up
python3 -c 'import sys; d = open(sys.argv[1], "rb").read(); open(sys.argv[2], "wb").write(d[:24] + d[24:] * 300)' \
	build/bench/office.pcap build/bench/office-x300.pcap
gcc -O2 -std=gnu11 -Wall -Wextra -Werror -Iinclude -Isrc -D_GNU_SOURCE \
	bench/hooks/bench_hooks.c bench/hooks/native_parse.c tests/unit/kmirror.c \
	tests/unit/pktgen.c tests/unit/util.c build/libexobpf.a -lpthread -lm -lpcap -lcapstone \
	-lelf -lz -o build/bench/bench-hooks
exec build/bench/bench-hooks build build/bench/office.pcap build/bench/office-x300.pcap
