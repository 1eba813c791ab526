#!/bin/sh
# The maps' concurrency tests under ThreadSanitizer: builds the library and
# the unit tests with -fsanitize=thread into build/tsan (incrementally) and
# runs the tests that race threads and processes on shared maps.
# (map_kill_storm runs in the ASan unit suite only: its recovery takes every
# bucket-lock stripe of a 52-entry map at once, more locks than TSan's
# deadlock detector can hold - a limit of the tool, not a race.)
out=build/tsan
pass=0
fail=0
if ! make -s -j2 OUT=$out SAN=0 SANFLAGS="-fsanitize=thread -fno-omit-frame-pointer" \
	$out/exobpf-tests >/tmp/exobpf-tsan-build.$$ 2>&1; then
	tail -n 20 /tmp/exobpf-tsan-build.$$
	rm -f /tmp/exobpf-tsan-build.$$
	echo "0 passed, 1 failed"
	exit 1
fi
rm -f /tmp/exobpf-tsan-build.$$
for t in map_concurrent_atomic_adds_array map_concurrent_atomic_adds_hash map_hash_storm \
	map_cross_process map_crash_recovery ringbuf_two_producers_one_consumer spin_lock_in_values; do
	log=$(TSAN_OPTIONS="halt_on_error=1 exitcode=66" $out/exobpf-tests "$t" 2>&1)
	if [ $? -eq 0 ] && echo "$log" | grep -Eq '^[1-9][0-9]* passed, 0 failed$'; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL $t (TSan)"
		echo "$log" | tail -n 30
	fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
