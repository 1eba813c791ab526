#!/bin/sh
# bench/maps: map lookups and updates from a program on exobpf and on the
# kernel, side by side, as ns per operation and a ratio (exobpf / kernel).
# Builds against the release library (make first). Prints; never fails on time.
set -e
cd "$(dirname "$0")/../.."
make -s -j2 SAN=0 build/libexobpf.a
mkdir -p build/bench
cc -O2 -Iinclude -Isrc -D_GNU_SOURCE bench/maps/bench_maps.c tests/unit/util.c \
	build/libexobpf.a -lpthread -lm -o build/bench/bench-maps
exec build/bench/bench-maps
