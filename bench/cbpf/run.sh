#!/bin/sh
# Build and run the classic filter benchmark against a build of exobpf:
#   bench/cbpf/run.sh [BUILD_DIR [PACKETS [ROUNDS [EXPRESSION_PART]]]]
# BUILD_DIR defaults to build, the release build `make` makes; the benchmark
# links its shared library, which carries its own dependencies.
set -e
out=${1:-build}
here=$(dirname "$0")
[ -f "$out/libexobpf.so" ] || { echo "bench: no $out/libexobpf.so; run make first" >&2; exit 2; }
mkdir -p "$out/bench"
ln -sf ../libexobpf.so "$out/bench/libexobpf.so.0" # its soname
${CC:-cc} -std=gnu11 -O2 -Wall -Wextra -Werror -Iinclude -D_GNU_SOURCE \
	-o "$out/bench/cbpf-filter" "$here/filter_bench.c" "$here/pcap_side.c" \
	"$out/bench/libexobpf.so.0" -Wl,-rpath,"$(cd "$out/bench" && pwd)" -lpcap
[ $# -gt 0 ] && shift
exec "$out/bench/cbpf-filter" "$@"
