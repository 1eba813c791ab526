#!/bin/sh
# The kernel-verifier corpus as machine code: every accepted program must be
# JIT-compiled, every run (Linux's data) must give the interpreter's return
# value and data, and as many cases must pass with --jit as with --interp.
exo=${1:-build}/exobpf
corpus=${SHARED:-../shared}/kernel-verifier/test_verifier-6.1.jsonl
reviewed=tests/verifier/accepted-rejects.txt
jit=$(mktemp)
interp=$(mktemp)
trap 'rm -f "$jit" "$interp"' EXIT
pass=0
fail=0
check() { # name condition
	if [ "$2" = 1 ]; then pass=$((pass + 1)); else
		fail=$((fail + 1))
		echo "FAIL $1"
	fi
}
"$exo" verify-corpus "$corpus" --reviewed "$reviewed" --jit >"$jit" 2>&1
"$exo" verify-corpus "$corpus" --reviewed "$reviewed" --interp >"$interp" 2>&1
grep ' jit: ' "$jit" | head -n 20
same=$(sed -n 's/^jit: \([0-9]*\) runs identical.*/\1/p' "$jit")
check "no run differs between the JIT and the interpreter" "$(grep -q ' jit: ' "$jit" && echo 0 || echo 1)"
check "runs compared (${same:-0}) >= 600" "$([ "${same:-0}" -ge 600 ] && echo 1)"
a=$(grep '^accept:' "$jit")
b=$(grep '^accept:' "$interp")
check "the same ACCEPT results with --jit and --interp ($a)" "$([ -n "$a" ] && [ "$a" = "$b" ] && echo 1)"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
