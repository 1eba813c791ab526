#!/bin/sh
# CLI tests for the JIT: run --jit/--interp, disasm --jited (text and JSON),
# the conformance plugin's --jit, and the usage errors around them.
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

printf 'r0 = *(u16 *)(r1 +2)\nr0 += r2\nexit\n' >"$tmp/a.s"
check "run --jit" "0x4437" "$("$exo" run --jit "$tmp/a.s" --mem "11 22 33 44")"
check "run --interp" "0x4437" "$("$exo" run --interp --unchecked "$tmp/a.s" --mem "11 22 33 44")"
out=$("$exo" run --jit "$tmp/a.s" --mem "11 22 33 44" --repeat 1000)
check "run --jit --repeat reports ns/run" "yes" "$(echo "$out" | grep -q '^[0-9]* ns/run (1000 runs)$' && echo yes)"
"$exo" run --jit --checked "$tmp/a.s" >/dev/null 2>&1
check "--jit with --checked is a usage error" "2" "$?"
"$exo" run --jit --interp "$tmp/a.s" >/dev/null 2>&1
check "--jit with --interp is a usage error" "2" "$?"
"$exo" run --jit --budget 5 "$tmp/a.s" >/dev/null 2>&1
check "--jit with --budget is a usage error" "2" "$?"
printf 'r0 = 1\n' >"$tmp/off.s"
"$exo" run --jit "$tmp/off.s" >/dev/null 2>"$tmp/err"
check "JIT fall-off exits 1 naming the insn" "1:yes" "$?:$(grep -q 'insn 1: ran past the last instruction' "$tmp/err" && echo yes)"

# disasm --jited: each instruction's block, its machine code, the trampoline
printf 'r0 = r1\nr0 += 7\nexit\n' >"$tmp/d.s"
"$exo" disasm --jited "$tmp/d.s" >"$tmp/dump"
check "dump names the trampoline" "yes" "$(grep -q '^; trampoline$' "$tmp/dump" && echo yes)"
check "dump: insn 1 and its code" "; 1: r0 += 7
48 83 c0 07 add rax, 7" "$(grep -A1 '^; 1:' "$tmp/dump" | sed 's/^ *[0-9]*: *//; s/  */ /g')"
check "dump: exit is ret" "c3 ret" "$(grep -A1 '^; 2: exit' "$tmp/dump" | tail -1 | sed 's/^ *[0-9]*: *//; s/  */ /g')"
"$exo" disasm --jited -j "$tmp/d.s" >"$tmp/dump.json"
check "dump -j is JSON with every instruction" "0 1 2" "$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(" ".join(str(b["insn"]) for b in d["blocks"] if b["kind"] == "insn"))' "$tmp/dump.json")"
check "dump -j asm text" "add rax, 7" "$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print([b for b in d["blocks"] if b.get("insn") == 1][0]["code"][0]["asm"])' "$tmp/dump.json")"
"$exo" disasm --jited --blind "$tmp/d.s" >"$tmp/blind"
check "blinded dump has no add of the immediate" "no" "$(grep -q 'add rax, 7$' "$tmp/blind" && echo yes || echo no)"
check "blinded program still runs" "0x7" "$("$exo" run --jit "$tmp/d.s")"
"$exo" disasm -j "$tmp/d.s" >/dev/null 2>&1
check "-j without --jited is a usage error" "2" "$?"

# the conformance plugin
check "plugin --jit" "3" "$(echo 'b400000003000000 9500000000000000' | "$exo" conformance-plugin --jit)"
check "plugin --interp" "3" "$(echo 'b400000003000000 9500000000000000' | "$exo" conformance-plugin --interp)"
echo 'b400000003000000 9500000000000000' | "$exo" conformance-plugin --jit --checked >/dev/null 2>&1
check "plugin --jit --checked is a usage error" "2" "$?"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
