#!/bin/sh
# CLI tests for 'exobpf verify', 'exobpf run --type' and 'exobpf verify-corpus'.
exo=${1:-build}/exobpf
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
check() { # name expected actual
	if [ "$2" = "$3" ]; then pass=$((pass + 1)); else
		fail=$((fail + 1))
		printf 'FAIL %s\n  expected: %s\n  actual:   %s\n' "$1" "$2" "$3"
	fi
}

# verify: accepted with Linux's level-2 log, rejected with the error and exit 1
printf 'r0 = 0\nexit\n' >"$tmp/ok.s"
out=$("$exo" verify "$tmp/ok.s")
check "verify accepts" "0" "$?"
check "verify log lines" "0: (b7) r0 = 0                        ; R0=0" "$(echo "$out" | sed -n 3p)"
printf 'exit\n' >"$tmp/bad.s"
"$exo" verify "$tmp/bad.s" >"$tmp/out" 2>"$tmp/err"
check "verify rejects with exit 1" "1" "$?"
check "verify prints the error" "R0 !read_ok" "$(grep -x 'R0 !read_ok' "$tmp/out")"
check "verify names the reason" "yes" "$(grep -q 'rejected by the verifier: R0 !read_ok' "$tmp/err" && echo yes)"
"$exo" verify "$tmp/ok.s" --type nosuchtype >/dev/null 2>&1
check "unknown type is a usage error" "2" "$?"

# run --type: verified first, log on rejection, then runs on a real context
printf 'r2 = *(u32 *)(r1 +0)\nr3 = *(u32 *)(r1 +4)\nr4 = r2\nr4 += 1\nif r4 > r3 goto +2\nr0 = *(u8 *)(r2 +0)\nexit\nr0 = 0\nexit\n' >"$tmp/xdp.s"
check "run xdp reads the packet" "0xab" "$("$exo" run "$tmp/xdp.s" --type xdp --mem "ab cd")"
printf 'r2 = *(u32 *)(r1 +0)\nr0 = *(u8 *)(r2 +0)\nexit\n' >"$tmp/unsafe.s"
"$exo" run "$tmp/unsafe.s" --type xdp --mem "ab" >/dev/null 2>"$tmp/err"
check "run refuses an unsafe program" "3" "$?"
check "run prints the log" "yes" "$(grep -q 'R2 offset is outside of the packet' "$tmp/err" && echo yes)"
"$exo" run "$tmp/unsafe.s" --type xdp --no-verify --mem "ab" >"$tmp/out" 2>"$tmp/err"
check "run --no-verify runs checked and stops the bad read" "1:yes" "$?:$(grep -q 'insn 1: read of 1 bytes' "$tmp/err" && echo yes)"
printf 'r0 = *(u32 *)(r1 +12)\nexit\n' >"$tmp/ifindex.s"
"$exo" run "$tmp/ifindex.s" --type xdp --no-verify --mem "ab" >"$tmp/out" 2>"$tmp/err"
check "run --no-verify warns" "0:0x1:yes" "$?:$(cat "$tmp/out"):$(grep -q 'unverified' "$tmp/err" && echo yes)"

# verify-corpus on a file of our own in the corpus format
cat >"$tmp/c.jsonl" <<'J'
{"file":"t.c","index_in_file":0,"global_index":0,"descr":"ok","prog_type":"BPF_PROG_TYPE_SOCKET_FILTER","result":"ACCEPT","errstr":null,"flags":0,"insns":["b700000007000000","9500000000000000"],"runs":[{"retval":7,"data":""}],"fixups":{}}
{"file":"t.c","index_in_file":1,"global_index":1,"descr":"bad","prog_type":"BPF_PROG_TYPE_SOCKET_FILTER","result":"REJECT","errstr":"R0 !read_ok","flags":0,"insns":["9500000000000000"],"runs":[],"fixups":{}}
{"file":"t.c","index_in_file":2,"global_index":2,"descr":"wrong retval","prog_type":"BPF_PROG_TYPE_SOCKET_FILTER","result":"ACCEPT","errstr":null,"flags":0,"insns":["b700000007000000","9500000000000000"],"runs":[{"retval":8,"data":""}],"fixups":{}}
J
"$exo" verify-corpus "$tmp/c.jsonl" >"$tmp/out" 2>&1
check "corpus exit 1 on a failure" "1" "$?"
check "corpus totals" "2 passed, 1 failed, 0 skipped" "$(tail -n 1 "$tmp/out")"
check "corpus names the failing case" "yes" "$(grep -q '^FAIL #2 t.c:2 wrong retval: retval 7' "$tmp/out" && echo yes)"
check "corpus reports time" "yes" "$(grep -q '^verification time: ' "$tmp/out" && echo yes)"
"$exo" verify-corpus "$tmp/c.jsonl" --filter ok >"$tmp/out" 2>&1
check "corpus --filter" "1 passed, 0 failed, 0 skipped" "$(tail -n 1 "$tmp/out")"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
