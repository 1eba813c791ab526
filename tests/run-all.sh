#!/bin/sh
# Run every test suite against the build in $1 and print the totals. Suites:
# the unit-test binary, then each tests/suites/*.sh (called with the build
# directory; each prints "N passed, N failed" as its last line).
out=${1:-build}
export EXOBPF="$PWD/$out/exobpf"
export EXOBPF_BUILD="$PWD/$out"
export SHARED="${SHARED:-../shared}"
# a pointer into a returned function's frame is a read of memory the
# program was not given (helpers hand programs pointers into C frames)
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:detect_stack_use_after_return=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
# A fresh machine may take bpf() but have no bpffs on /sys/fs/bpf, where the
# tests pin Linux's objects (and libbpf pins maps that ask for it): mount it,
# as bpftool does before it pins. Without root this fails quietly and those
# comparisons are skipped with a note.
if [ "$(stat -f -c %T /sys/fs/bpf 2>/dev/null)" != bpf_fs ]; then
	mount -t bpf bpf /sys/fs/bpf 2>/dev/null && echo "note: mounted bpffs on /sys/fs/bpf"
fi
total_pass=0
total_fail=0
run_suite() {
	name=$1
	shift
	echo "== $name"
	log=$(mktemp)
	"$@" >"$log" 2>&1
	rc=$?
	tail -n 40 "$log"
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
	if [ -z "$line" ]; then
		echo "suite $name did not report (exit $rc)"
		total_fail=$((total_fail + 1))
	else
		p=${line%% passed*}
		f=${line#*passed, }
		f=${f%% failed}
		total_pass=$((total_pass + p))
		total_fail=$((total_fail + f))
		[ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && { echo "suite $name exited $rc"; total_fail=$((total_fail + 1)); }
	fi
	rm -f "$log"
}
run_suite unit "$out/exobpf-tests"
for s in tests/suites/*.sh; do
	name=$(basename "$s" .sh)
	run_suite "$name" "$s" "$out"
done
echo "== total"
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
