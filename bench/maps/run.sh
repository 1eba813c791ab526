#!/bin/sh
# bench/maps: map lookups and updates from a program on exobpf and on the
# kernel, side by side, as ns per operation and a ratio (exobpf / kernel).
# Builds against the release library (make first). Prints; never fails on time.
set -e
cd "$(dirname "$0")/../.."
make -s -j2 SAN=0 build/libexobpf.a build/libexobpf.pc
mkdir -p build/bench
# the static library's own dependencies (libpcap, capstone, libelf) as the
# build records them
libs=$(sed -n 's/^Libs.private: //p' build/libexobpf.pc)
cc -O2 -Iinclude -Isrc -D_GNU_SOURCE bench/maps/bench_maps.c tests/unit/util.c \
	build/libexobpf.a $libs -o build/bench/bench-maps
exec build/bench/bench-maps
