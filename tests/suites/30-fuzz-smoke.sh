#!/bin/sh
# A short smoke run of the JIT differential fuzz target (`make fuzz`): a fixed
# number of inputs from a fixed seed, so it is the same run every time.
log=$(mktemp)
corpus=$(mktemp -d)
trap 'rm -rf "$log" "$corpus"' EXIT
if ! make -s fuzz >"$log" 2>&1; then
	tail -n 20 "$log"
	echo "0 passed, 1 failed"
	exit 1
fi
if build/fuzz/jit-diff -runs=2000 -seed=1 "$corpus" >"$log" 2>&1; then
	grep -E '^Done' "$log"
	echo "1 passed, 0 failed"
else
	grep -E 'jit-diff:|ERROR|SUMMARY' "$log" | head -n 20
	echo "0 passed, 1 failed"
	exit 1
fi
