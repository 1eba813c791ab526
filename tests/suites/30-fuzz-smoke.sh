#!/bin/sh
# The fuzz targets (`make fuzz`: every input surface, clang with
# ASan+UBSan) for a fixed number of runs from a fixed seed each: see
# fuzz/smoke.sh. The build's seed corpora come from this build's tests.
build=${1:-build/san}
san=0
case $build in */san) san=1 ;; esac
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! make -s fuzz SAN=$san >"$log" 2>&1; then
	tail -n 20 "$log"
	echo "0 passed, 1 failed"
	exit 1
fi
exec make -s fuzz-smoke SAN=$san
