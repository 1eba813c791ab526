#!/bin/sh
# `make fuzz-smoke`: each libFuzzer target for a fixed number of runs from a
# fixed seed over its seed corpus (no time limit: the same run every time),
# then every ELF seed must open, since they are the objects the tests load.
# Prints one line per target and ends with "N passed, N failed".
shared=${SHARED:-../shared}
runs=${FUZZ_SMOKE_RUNS:-3000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
for t in "$@"; do
	dirs=build/fuzz/corpus/$t
	case $t in
	asm) dirs="$dirs $shared/conformance/tests" ;;
	pcap) dirs="$dirs $shared/pcap" ;;
	esac
	n=$runs
	# attr's id commands scan every process's fds, as exobpf's ids are
	# global: each run costs milliseconds, so fewer of them here
	[ "$t" = attr ] && n=$((runs / 6))
	mkdir -p "$tmp/$t" build/fuzz/corpus/$t
	# shellcheck disable=SC2086
	if build/fuzz/$t -runs="$n" -seed=1 -max_len=65536 -artifact_prefix="$tmp/$t-" \
		"$tmp/$t" $dirs >"$tmp/$t.log" 2>&1; then
		pass=$((pass + 1))
		echo "ok   $t: $(grep -E '^Done' "$tmp/$t.log")"
	else
		fail=$((fail + 1))
		echo "FAIL $t"
		grep -E '^(elf|btf|verifier|cbpf|asm|pcap|jit-diff|soundness|attr):|ERROR|SUMMARY|runtime error' \
			"$tmp/$t.log" | head -n 20
	fi
done
for s in build/fuzz/corpus/elf/*.bpf.o; do
	[ -e "$s" ] || continue
	case $(basename "$s") in err_*) continue ;; esac
	if "${BUILD:-build}/exobpf" prog show "$s" >/dev/null 2>"$tmp/err"; then pass=$((pass + 1)); else
		fail=$((fail + 1))
		echo "FAIL seed $s does not open: $(cat "$tmp/err")"
	fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
