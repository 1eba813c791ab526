#!/bin/sh
# Build the classic BPF libFuzzer target (clang, ASan+UBSan, coverage over
# the whole library) and run it: fuzz/cbpf.sh [libFuzzer options...]
# e.g. fuzz/cbpf.sh -runs=100000, or -max_total_time=600 for a long run.
set -e
out=build/fuzz
bin=$out/cbpf
mkdir -p "$out"
srcs="fuzz/cbpf.c $(ls src/*/*.c)"
stale=yes
if [ -x "$bin" ]; then
	stale=$(find fuzz/cbpf.c src include -newer "$bin" -type f | head -n 1)
fi
if [ -n "$stale" ]; then
	libs=$(sed -n 's/^LDLIBS += //p' src/*/module.mk | tr '\n' ' ')
	${FUZZ_CC:-clang} -std=gnu11 -O1 -g -Wall -Wextra -Werror -Iinclude -Isrc -D_GNU_SOURCE \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-o "$bin" $srcs $libs -lpthread -lm
fi
# seeds: one program in each text format
seeds=$(mktemp -d)
trap 'rm -rf "$seeds"' EXIT
printf 'ldh [12]\njneq #0x800, drop\nldxb 4*([14]&0xf)\nld [x + 16]\njset #1, keep, drop\nkeep: ret #-1\ndrop: ret a\n\0\x45\0\0\x54\0\0\0\0\x40\x06\0\0\x0a\0\0\x01\xc0\xa8\0\x02\0\x50\0\x50' >"$seeds/asm"
printf '(000) ldh      [12]\n(001) jeq      #0x800           jt 2\tjf 3\n(002) ret      #262144\n(003) ret      #0\n' >"$seeds/listing"
printf '4,40 0 0 12,21 0 1 2048,6 0 0 262144,6 0 0 0\n' >"$seeds/bytecode"
printf 'ld [4]\njeq #0xc000003e, ok, bad\nok: ld [0]\njge #400, bad, good\ngood: ret #0x7fff0000\nbad: ret #0x50001\n' >"$seeds/seccomp"
exec "$bin" "$@" "$seeds"
