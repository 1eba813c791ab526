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
printf 'r0 = r2\nr0 ^= 7\nexit\n' >"$tmp/d.s"
"$exo" disasm --jited "$tmp/d.s" >"$tmp/dump"
check "dump names the trampoline" "yes" "$(grep -q '^; trampoline$' "$tmp/dump" && echo yes)"
check "dump: insn 1 and its code" "; 1: r0 ^= 7
48 83 f0 07 xor rax, 7" "$(grep -A1 '^; 1:' "$tmp/dump" | sed 's/^ *[0-9]*: *//; s/  */ /g')"
check "dump: exit is ret" "c3 ret" "$(grep -A1 '^; 2: exit' "$tmp/dump" | tail -1 | sed 's/^ *[0-9]*: *//; s/  */ /g')"
"$exo" disasm --jited -j "$tmp/d.s" >"$tmp/dump.json"
check "dump -j is JSON with every instruction" "0 1 2" "$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(" ".join(str(b["insn"]) for b in d["blocks"] if b["kind"] == "insn"))' "$tmp/dump.json")"
check "dump -j asm text" "xor rax, 7" "$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print([b for b in d["blocks"] if b.get("insn") == 1][0]["code"][0]["asm"])' "$tmp/dump.json")"
"$exo" disasm --jited --blind "$tmp/d.s" >"$tmp/blind"
check "blinded dump has no xor with the immediate" "no" "$(grep -q 'xor rax, 7$' "$tmp/blind" && echo yes || echo no)"
check "blinded program still runs" "0x7" "$("$exo" run --jit "$tmp/d.s")"
# r0 = r2; r0 += 7 is one lea (x86 has three-operand adds); the second
# instruction keeps its line, with no code of its own
printf 'r0 = r2\nr0 += 7\nexit\n' >"$tmp/l.s"
"$exo" disasm --jited "$tmp/l.s" >"$tmp/lea"
check "mov + add merged into lea" "; 0: r0 = r2
48 8d 46 07 lea rax, [rsi + 7]
; 1: r0 += 7
; 2: exit" "$(sed -n '/^; 0:/,/^; 2:/p' "$tmp/lea" | sed 's/^ *[0-9]*: *//; s/  */ /g')"
"$exo" disasm --jited --blind "$tmp/l.s" >"$tmp/lea"
check "not merged when blinding (no 7 in the code)" "no" "$(sed -n '/^; 0:/,/^; 2:/p' "$tmp/lea" | grep -q '+ 7\]\|, 7$' && echo yes || echo no)"
check "the merged pair runs" "0xa" "$("$exo" run --jit "$tmp/l.s" --mem "00 00 00")"
"$exo" disasm -j "$tmp/d.s" >/dev/null 2>&1
check "-j without --jited is a usage error" "2" "$?"

# objects: the engine at load, and their machine code
obj=${1:-build}/progs/arith.bpf.o
ctx="02 00 00 00 00 00 00 00 03 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"
check "run OBJ (JIT by default): r0 = a + b" "0x5" "$("$exo" run "$obj" --ctx "$ctx")"
check "run OBJ --jit" "0x5" "$("$exo" run "$obj" --ctx "$ctx" --jit)"
check "run OBJ --interp" "0x5" "$("$exo" run "$obj" --ctx "$ctx" --interp)"
check "run OBJ --checked" "0x5" "$("$exo" run "$obj" --ctx "$ctx" --checked)"
"$exo" prog dump jited "$obj" >"$tmp/odump"
check "prog dump jited names the program" "arith:" "$(head -n 1 "$tmp/odump")"
check "prog dump jited: insn 3's code" "; 3: r3 *= r2
48 0f af d6 imul rdx, rsi" "$(grep -A1 '^; 3:' "$tmp/odump" | sed 's/^ *[0-9]*: *//; s/  */ /g')"
"$exo" prog dump jited "${1:-build}"/progs/subprog_chain.bpf.o -j >"$tmp/odump.json"
check "prog dump jited -j: one object per program" "chain chain_rev" "$(python3 -c '
import json, sys
print(" ".join(p["name"] for p in json.load(open(sys.argv[1]))))' "$tmp/odump.json")"
"$exo" prog dump jited "$obj" --blind >"$tmp/oblind"
check "prog dump jited --blind: no add of 7" "no" "$(grep -q 'add rdx, 7$' "$tmp/oblind" && echo yes || echo no)"
check "prog dump jited without --blind adds 7" "yes" "$(grep -q 'add rdx, 7$' "$tmp/odump" && echo yes || echo no)"
"$exo" prog dump jited "$obj" --program nosuch >/dev/null 2>"$tmp/err"
check "prog dump jited --program nosuch" "3:yes" "$?:$(grep -q 'no loaded program named nosuch' "$tmp/err" && echo yes)"
"$exo" prog dump xlated "$obj" -j >/dev/null 2>&1
check "-j is for dump jited only" "2" "$?"
"$exo" prog dump jited "$obj" --interp >/dev/null 2>&1
check "dump jited --interp is a usage error" "2" "$?"
"$exo" prog load "$obj" --interp >/dev/null 2>&1
check "prog load --interp" "0" "$?"
"$exo" run "$obj" --ctx "$ctx" --jit --interp >/dev/null 2>&1
check "run OBJ --jit --interp is a usage error" "2" "$?"

# the conformance plugin
check "plugin --jit" "3" "$(echo 'b400000003000000 9500000000000000' | "$exo" conformance-plugin --jit)"
check "plugin --interp" "3" "$(echo 'b400000003000000 9500000000000000' | "$exo" conformance-plugin --interp)"
echo 'b400000003000000 9500000000000000' | "$exo" conformance-plugin --jit --checked >/dev/null 2>&1
check "plugin --jit --checked is a usage error" "2" "$?"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
