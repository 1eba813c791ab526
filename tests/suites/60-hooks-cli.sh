#!/bin/sh
# exobpf xdp / exobpf skb: the demo's firewall and the test programs over a
# generated capture, every count checked against tcpdump reading the same
# files (libpcap's filters, not exobpf's code); usage and input errors; and
# live, in a network namespace of its own, the maps pinned while it runs
# and Ctrl-C printing the totals.
out=${1:-build}
exo=$out/exobpf
tmp=$(mktemp -d /dev/shm/exobpf-hooks-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
export EXOBPF_PIN_DIR="$tmp/pins"
mkdir -p "$EXOBPF_PIN_DIR"
pass=0
fail=0
skip=0
check() { # name expected actual
	if [ "$2" = "$3" ]; then pass=$((pass + 1)); else
		fail=$((fail + 1))
		printf 'FAIL %s\n  expected: %s\n  actual:   %s\n' "$1" "$2" "$3"
	fi
}
count() { # FILE [FILTER...]: packets tcpdump reads
	f=$1
	shift
	tcpdump -nr "$f" "$@" 2>/dev/null | wc -l | tr -d ' '
}
stat_of() { # WORD STATS-LINE: the number after WORD
	echo "$2" | tr -s ' ' '\n' | grep -A1 -x "$1" | tail -n 1
}

fw=$out/examples/firewall.bpf.o
python3 examples/make_capture.py "$tmp/in.pcap" >/dev/null
total=$(count "$tmp/in.pcap")

# ---- the firewall over the capture
"$exo" xdp "$fw" --in "$tmp/in.pcap" --out "$tmp/pass.pcap" --drop "$tmp/drop.pcap" \
	--tx "$tmp/tx.pcapng" --stats >"$tmp/stats" 2>"$tmp/err"
check "xdp exits 0" "0" "$?"
actions=$(grep '^pass ' "$tmp/stats")
check "every packet counted" "$total" "$(stat_of packets "$(head -n 1 "$tmp/stats")")"
check "passed file = pass count" "$(stat_of pass "$actions")" "$(count "$tmp/pass.pcap")"
check "dropped file = drop count" "$(stat_of drop "$actions")" "$(count "$tmp/drop.pcap")"
check "tx file (pcapng) = tx count" "$(stat_of tx "$actions")" "$(count "$tmp/tx.pcapng")"
check "nothing lost" "$total" "$(($(count "$tmp/pass.pcap") + $(count "$tmp/drop.pcap") + $(count "$tmp/tx.pcapng")))"
check "each ping to 10.0.0.1 answered" "$(count "$tmp/in.pcap" 'icmp[icmptype] == 8 and dst host 10.0.0.1')" \
	"$(count "$tmp/tx.pcapng" 'icmp[icmptype] == 0 and src host 10.0.0.1')"
check "no telnet or SMB passes" "0" "$(count "$tmp/pass.pcap" 'tcp dst port 23 or tcp dst port 445')"
check "the scanner is cut off" "yes" \
	"$([ "$(count "$tmp/pass.pcap" 'src host 203.0.113.66')" -le 8 ] && echo yes)"
check "web traffic passes" "$(count "$tmp/in.pcap" 'tcp dst port 443 and not src host 203.0.113.66')" \
	"$(count "$tmp/pass.pcap" 'tcp dst port 443 and not src host 203.0.113.66')"
check "stats name the program and the pins" "yes" \
	"$(grep -q "firewall (xdp, JIT-compiled), maps pinned in $EXOBPF_PIN_DIR/hook-" "$tmp/err" && echo yes)"
check "pins removed at the end" "" "$(ls "$EXOBPF_PIN_DIR")"

# the same with two threads and checked mode: same verdict files
"$exo" xdp "$fw" --in "$tmp/in.pcap" --out "$tmp/pass2.pcap" --threads 2 --checked --dump-maps \
	>"$tmp/maps" 2>&1
check "two threads, checked: exits 0" "0" "$?"
check "two threads: same web traffic passed" \
	"$(count "$tmp/pass.pcap" 'tcp port 443')" "$(count "$tmp/pass2.pcap" 'tcp port 443')"
check "--dump-maps prints the per-CPU map" "yes" \
	"$(grep -q '^map proto_stats:' "$tmp/maps" && grep -q 'value (CPU 01)' "$tmp/maps" && echo yes)"
check "--dump-maps: the port map holds 443 (bb 01)" "yes" \
	"$(grep -q '^key: bb 01  value:' "$tmp/maps" && echo yes)"
check "--dump-maps: ring buffers are not dumped" "yes" \
	"$(grep -q 'a ring buffer: its records are for consumers' "$tmp/maps" && echo yes)"

# ---- a socket filter: the return value is the snap length
"$exo" skb "$out/progs/hook_sockfilter.bpf.o" --program tcp_head --in "$tmp/in.pcap" \
	--out "$tmp/head.pcap" --stats >"$tmp/stats" 2>&1
check "skb exits 0" "0" "$?"
check "socket filter keeps IPv4 TCP" "$(count "$tmp/in.pcap" 'ip and tcp and not vlan')" "$(count "$tmp/head.pcap")"
caplens() { # FILE: the captured length of each record (pcap, any byte order)
	python3 -c '
import struct, sys
d = open(sys.argv[1], "rb").read()
e = "<" if d[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
o = 24
while o + 16 <= len(d):
    n = struct.unpack(e + "I", d[o + 8:o + 12])[0]
    print(n)
    o += 16 + n
' "$1"
}
check "cut to at most 64 bytes" "" "$(caplens "$tmp/head.pcap" | awk '$1 > 64')"
check "longer frames cut at exactly 64" "$(count "$tmp/in.pcap" 'ip and tcp and greater 64')" \
	"$(caplens "$tmp/head.pcap" | grep -cx 64)"
"$exo" skb "$out/progs/hook_tc.bpf.o" --in "$tmp/in.pcap" --stats >"$tmp/stats" 2>&1
check "tc program runs" "0" "$?"

# ---- mistakes
"$exo" xdp "$fw" --in "$tmp/missing.pcap" 2>"$tmp/err"
check "missing capture: exit 3, named" "3:yes" "$?:$(grep -q "$tmp/missing.pcap" "$tmp/err" && echo yes)"
echo "not a capture" >"$tmp/junk.pcap"
"$exo" xdp "$fw" --in "$tmp/junk.pcap" 2>"$tmp/err"
check "junk capture: exit 3" "3:yes" "$?:$(grep -q 'not a readable pcap or pcapng file' "$tmp/err" && echo yes)"
"$exo" xdp "$out/progs/hook_sockfilter.bpf.o" --program tcp_head --in "$tmp/in.pcap" 2>"$tmp/err"
check "xdp on a socket filter: exit 3" "3:yes" "$?:$(grep -q 'is a socket_filter program' "$tmp/err" && echo yes)"
"$exo" skb "$fw" --in "$tmp/in.pcap" 2>"$tmp/err"
check "skb on an XDP object: exit 3" "3:yes" "$?:$(grep -q 'no socket filter or tc program' "$tmp/err" && echo yes)"
"$exo" xdp "$fw" 2>/dev/null
check "no input: exit 2" "2" "$?"
"$exo" xdp "$fw" --in "$tmp/in.pcap" --dev lo 2>/dev/null
check "files and interfaces: exit 2" "2" "$?"
"$exo" xdp "$fw" --in "$tmp/in.pcap" --threads 0 2>/dev/null
check "--threads 0: exit 2" "2" "$?"
"$exo" xdp "$fw" --in "$tmp/in.pcap" --duration 3 2>/dev/null
check "--duration offline: exit 2" "2" "$?"
"$exo" xdp "$fw" --in "$tmp/in.pcap" --out "$tmp/no/such/dir/p.pcap" 2>"$tmp/err"
check "unwritable output: fails, named" "yes" "$([ $? -ne 0 ] && grep -q "$tmp/no/such/dir/p.pcap" "$tmp/err" && echo yes)"
"$exo" xdp "$fw" --dev exobpfnoif0 2>"$tmp/err"
check "no such interface: exit 3" "3:yes" "$?:$(grep -q 'exobpfnoif0: no such interface' "$tmp/err" && echo yes)"

# ---- live, in a namespace of its own: pinned while running, Ctrl-C
if unshare -n true 2>/dev/null && command -v ip >/dev/null; then
	unshare -n sh -c '
		ip link add xa0 type veth peer name xa1 && ip link set xa0 up && ip link set xa1 up || exit 77
		"$1" xdp "$2" --dev xa1 --stats --pin "$3/live" >"$3/live.out" 2>"$3/live.err" &
		pid=$!
		i=0
		while [ ! -e "$3/live/proto_stats" ] && [ $i -lt 3000 ]; do sleep 0.01; i=$((i + 1)); done
		"$1" map show pinned "$3/live/proto_stats" >"$3/show.out" 2>&1
		kill -INT $pid
		wait $pid
		echo $? >"$3/live.rc"
	' sh "$exo" "$fw" "$tmp"
	if [ "$?" = 77 ]; then
		skip=$((skip + 1))
		echo "SKIP live: no veth pair in a new namespace"
	else
		check "live: maps pinned while it runs" "yes" \
			"$(grep -q 'percpu_array  name proto_stats' "$tmp/show.out" && echo yes)"
		check "live: Ctrl-C exits 0" "0" "$(cat "$tmp/live.rc")"
		check "live: totals printed" "yes" "$(grep -q '^pass [0-9]* *drop' "$tmp/live.out" && echo yes)"
	fi
else
	skip=$((skip + 1))
	echo "SKIP live: cannot make a network namespace (needs CAP_SYS_ADMIN)"
fi

echo "$skip skipped"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
