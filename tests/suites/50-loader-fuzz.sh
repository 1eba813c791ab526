#!/bin/sh
# A short, deterministic smoke run of the loader's libFuzzer target
# (fuzz/loader_fuzz.c) over the seed corpus built from tests/progs: a fixed
# number of runs with a fixed seed, so it is repeatable and has no time
# limit. Any sanitizer report fails it.
build=${1:-build}
make -s fuzz >/dev/null 2>&1 || { echo "make fuzz failed"; echo "0 passed, 1 failed"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
if build/fuzz/loader_fuzz -runs=20000 -seed=1 -max_len=65536 -artifact_prefix="$tmp/" \
	"$tmp" fuzz/corpus-loader >"$tmp/log" 2>&1; then
	pass=$((pass + 1))
else
	fail=$((fail + 1))
	grep -E 'ERROR|SUMMARY|runtime error' "$tmp/log" | head -n 20
fi
# Every seed must also open cleanly: they are the objects the tests load.
for s in fuzz/corpus-loader/*.bpf.o; do
	case $(basename "$s") in err_*) continue ;; esac
	if "$build/exobpf" prog show "$s" >/dev/null 2>"$tmp/err"; then pass=$((pass + 1)); else
		fail=$((fail + 1))
		echo "FAIL seed $s does not open: $(cat "$tmp/err")"
	fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
