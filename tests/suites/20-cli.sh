#!/bin/sh
# CLI tests for run/disasm/asm/conformance-plugin: run the command, compare output and exit code with expectations.
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

# run: assembly in both syntaxes, memory, exit codes
printf 'r0 = *(u16 *)(r1 +2)\nr0 += r2\nexit\n' >"$tmp/a.s"
check "run linux syntax" "0x4437" "$("$exo" run "$tmp/a.s" --mem "11 22 33 44")"
printf 'ldxh %%r0, [%%r1+2]\nadd %%r0, %%r2\nexit\n' >"$tmp/u.s"
check "run ubpf syntax" "0x4437" "$("$exo" run "$tmp/u.s" --mem 11223344)"
printf '\021\042\063\104' >"$tmp/mem.bin"
check "run --mem-file" "0x4437" "$("$exo" run "$tmp/a.s" --mem-file "$tmp/mem.bin")"
out=$("$exo" run "$tmp/a.s" --mem "11 22 33 44" --repeat 100)
check "run --repeat reports ns/run" "yes" "$(echo "$out" | grep -q '^[0-9]* ns/run (100 runs)$' && echo yes)"
"$exo" run "$tmp/a.s" --mem "11" >/dev/null 2>"$tmp/err"
check "run out of bounds exits 1" "1" "$?"
check "run out of bounds names insn" "yes" "$(grep -q 'insn 0: read of 2 bytes' "$tmp/err" && echo yes)"
printf 'r0 = 1\nloop:\ngoto loop\n' >"$tmp/loop.s"
"$exo" run "$tmp/loop.s" --budget 100 >/dev/null 2>"$tmp/err"
check "run --budget stops" "1:yes" "$?:$(grep -q 'budget of 100 exhausted' "$tmp/err" && echo yes)"
printf 'r0 = *(u32 *)(r1 +0)\nr0 += 1\nexit\n' >"$tmp/sys.s"
check "run --type syscall --ctx: r1 is the context" "0x6" \
	"$("$exo" run "$tmp/sys.s" --type syscall --ctx 05000000)"
"$exo" run "$tmp/sys.s" --type syscall --ctx 0500 2>"$tmp/err"
check "a context shorter than the program reads is refused" "1:yes" \
	"$?:$(grep -q 'ctx_size_in 2: the program accesses 4 bytes' "$tmp/err" && echo yes)"
printf 'r0 = 1\nfoo r1\n' >"$tmp/bad.s"
"$exo" run "$tmp/bad.s" >/dev/null 2>"$tmp/err"
check "bad assembly exits 3" "3" "$?"
check "bad assembly names file:line" "yes" "$(grep -q "bad.s:2:" "$tmp/err" && echo yes)"
"$exo" run "$tmp/nonexistent.s" >/dev/null 2>&1
check "missing file exits 3" "3" "$?"
"$exo" run >/dev/null 2>&1
check "run without program exits 2" "2" "$?"
"$exo" frobnicate >/dev/null 2>&1
check "unknown command exits 2" "2" "$?"

# asm / disasm round trip through files
"$exo" asm "$tmp/a.s" -o "$tmp/a.bin"
check "asm writes 3 insns" "24" "$(wc -c <"$tmp/a.bin" | tr -d ' ')"
check "disasm linux" "   0: (69) r0 = *(u16 *)(r1 +2)
   1: (0f) r0 += r2
   2: (95) exit" "$("$exo" disasm "$tmp/a.bin")"
check "disasm ubpf" "ldxh %r0, [%r1+2]
add %r0, %r2
exit" "$("$exo" disasm --syntax ubpf "$tmp/a.bin")"
"$exo" disasm "$tmp/a.bin" >"$tmp/re.s"
"$exo" asm "$tmp/re.s" -o "$tmp/re.bin"
check "disasm output reassembles" "same" "$(cmp -s "$tmp/a.bin" "$tmp/re.bin" && echo same)"
check "run raw bytecode" "0x4437" "$("$exo" run "$tmp/a.bin" --mem 11223344)"
printf '1234567' >"$tmp/odd.bin"
"$exo" disasm "$tmp/odd.bin" >/dev/null 2>"$tmp/err"
check "truncated bytecode exits 3" "3:yes" "$?:$(grep -q 'not a whole number of 8-byte instructions' "$tmp/err" && echo yes)"
printf '\007\000\001\000\001\000\000\000\225\000\000\000\000\000\000\000' >"$tmp/resv.bin"
"$exo" run "$tmp/resv.bin" >/dev/null 2>"$tmp/err"
check "reserved field rejected" "3:yes" "$?:$(grep -q 'insn 0: opcode 0x07: invalid off 1' "$tmp/err" && echo yes)"

# the conformance plugin protocol
check "plugin" "3" "$(echo 'b400000003000000 9500000000000000' | "$exo" conformance-plugin)"
check "plugin memory" "2211" "$(echo '6910000000000000 9500000000000000' | "$exo" conformance-plugin '11 22')"
echo 'zz' | "$exo" conformance-plugin >/dev/null 2>&1
check "plugin bad hex exits 3" "3" "$?"
echo '0700010001000000 9500000000000000' | "$exo" conformance-plugin >"$tmp/out" 2>&1
check "plugin rejects reserved field" "1:yes" "$?:$(grep -q 'Invalid program' "$tmp/out" && echo yes)"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
