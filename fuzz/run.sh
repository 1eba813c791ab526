#!/bin/sh
# Run one libFuzzer target over its seed corpus: fuzz/run.sh TARGET
# [libFuzzer options...], e.g. fuzz/run.sh btf -max_total_time=1800.
# New inputs go to build/fuzz/campaign/TARGET (kept between runs); crashes
# to build/fuzz/crash-TARGET-*. `make fuzz` first.
set -e
t=$1
shift
shared=${SHARED:-../shared}
dirs=build/fuzz/corpus/$t
case $t in
asm) dirs="$dirs $shared/conformance/tests" ;;
pcap) dirs="$dirs $shared/pcap" ;;
esac
mkdir -p build/fuzz/campaign/$t
exec build/fuzz/$t -max_len=65536 -artifact_prefix=build/fuzz/crash-$t- "$@" \
	build/fuzz/campaign/$t $dirs
