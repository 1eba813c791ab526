#!/bin/sh
# exobpf map: every subcommand in text and JSON, exit codes, and a second
# process reading what the first wrote through a pin.
exo=${1:-build}/exobpf
tmp=$(mktemp -d /dev/shm/exobpf-cli-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
export EXOBPF_PIN_DIR="$tmp"
pass=0
fail=0
check() { # name expected actual
	if [ "$2" = "$3" ]; then pass=$((pass + 1)); else
		fail=$((fail + 1))
		printf 'FAIL %s\n  expected: %s\n  actual:   %s\n' "$1" "$2" "$3"
	fi
}

"$exo" map create m type hash key 4 value 8 entries 4 name counts
check "create exits 0" "0" "$?"
check "create pins" "yes" "$([ -f "$tmp/m" ] && echo yes)"
"$exo" map update m key 01 00 00 00 value 2a 00 00 00 00 00 00 00
check "update" "0" "$?"
"$exo" map update pinned m key 2 0 0 0 value 0102030405060708 noexist
check "update noexist, bytes in one token" "0" "$?"
"$exo" map update m key 2 0 0 0 value 0 0 0 0 0 0 0 0 noexist 2>"$tmp/err"
check "update noexist on existing fails" "1:yes" "$?:$(grep -q 'element exists' "$tmp/err" && echo yes)"
check "lookup" "key: 01 00 00 00  value: 2a 00 00 00 00 00 00 00" "$("$exo" map lookup m key 1 0 0 0)"
check "lookup -j" '{"key":["0x02","0x00","0x00","0x00"],"value":["0x01","0x02","0x03","0x04","0x05","0x06","0x07","0x08"]}' \
	"$("$exo" map lookup m key 2 0 0 0 -j)"
"$exo" map lookup m key 9 0 0 0 >/dev/null 2>"$tmp/err"
check "lookup missing exits 1" "1:yes" "$?:$(grep -q 'no such element' "$tmp/err" && echo yes)"
"$exo" map lookup m key 9 0 >/dev/null 2>"$tmp/err"
check "short key exits 3" "3:yes" "$?:$(grep -q '2 bytes given, the map.s key size is 4' "$tmp/err" && echo yes)"
check "dump counts" "Found 2 elements" "$("$exo" map dump m | tail -n 1)"
check "dump -j has both" "2" "$("$exo" map dump m -j | grep -o '"key"' | wc -l | tr -d ' ')"
id=$("$exo" map show m | head -n 1 | cut -d: -f1)
check "show" "$id: hash  name counts  flags 0x0" "$("$exo" map show m | head -n 1)"
check "show -j" "{\"id\":$id,\"type\":\"hash\",\"name\":\"counts\",\"flags\":0,\"bytes_key\":4,\"bytes_value\":8,\"max_entries\":4,\"frozen\":0}" \
	"$("$exo" map -j show m)"
check "show by id" "$id: hash  name counts  flags 0x0" "$("$exo" map show id "$id" | head -n 1)"
check "show lists pinned maps" "yes" "$("$exo" map show | grep -q "^$id: hash" && echo yes)"
check "getnext from start is a key" "yes" "$("$exo" map getnext m | tail -n 1 | grep -Eq '^0[12] 00 00 00$' && echo yes)"
"$exo" map delete m key 1 0 0 0
check "delete" "Found 1 element" "$("$exo" map dump m | tail -n 1)"
"$exo" map pin id "$id" again
check "pin by id" "yes" "$([ -f "$tmp/again" ] && echo yes)"
"$exo" map freeze again
check "freeze" "0" "$?"
"$exo" map update m key 3 0 0 0 value 0 0 0 0 0 0 0 0 2>"$tmp/err"
check "frozen refuses updates" "1:yes" "$?:$(grep -q frozen "$tmp/err" && echo yes)"
check "show says frozen" "yes" "$("$exo" map show m | grep -q frozen && echo yes)"
"$exo" map create pc type percpu_array key 4 value 4 entries 2
check "getnext on an array" "key:
00 00 00 00
next key:
01 00 00 00" "$("$exo" map getnext pc key 0 0 0 0)"
out=$("$exo" map dump pc)
check "per-CPU dump has a line per slot" "yes" "$(echo "$out" | grep -q '^value (CPU 00): 00 00 00 00$' && echo yes)"
"$exo" map create q type queue key 0 value 4 entries 2
"$exo" map update q value 07 00 00 00
check "queue update without key, lookup peeks" "key:   value: 07 00 00 00" "$("$exo" map lookup q)"
"$exo" map create bad type nope key 4 value 4 entries 1 2>"$tmp/err"
check "unknown type exits 3" "3" "$?"
"$exo" map create bad type array key 8 value 4 entries 1 2>"$tmp/err"
check "kernel's EINVAL for a bad array" "1:yes" "$?:$(grep -q 'key_size must be 4' "$tmp/err" && echo yes)"
"$exo" map dump nothing_here 2>"$tmp/err"
check "missing pin exits 3" "3" "$?"
check "errors in JSON with -j" "yes" "$("$exo" map -j lookup m key 9 0 0 0 2>/dev/null | grep -q '^{"error":"lookup: map_lookup_elem: map [0-9]* (hash): no such element"}$' && echo yes)"
"$exo" map >/dev/null 2>&1
check "no command exits 2" "2" "$?"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
