#!/bin/sh
# The classic BPF commands end to end: exobpf filter/cbpf/seccomp against
# tcpdump (the same libpcap) and libpcap's filter corpus, errors and exit
# codes. tcpdump comparisons skip cleanly where tcpdump is missing.
exo=${1:-build}/exobpf
shared=${SHARED:-../shared}
pcaps=$shared/pcap/libpcap_tests
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
has_tcpdump=no
command -v tcpdump >/dev/null 2>&1 && tcpdump --version >/dev/null 2>&1 && has_tcpdump=yes

# -d/-dd/-ddd: tcpdump's own output for the same capture and expression
for f in isakmp4500.pcap loopback.pcap vxlan.pcap mstp_20140225214217.pcap; do
	for e in "tcp port 80" "ip and udp" "vlan and icmp" "ip6 or arp" "len > 100" "ip[2:2] / (ip[0] & 0) = 1" ""; do
		for d in -d -dd -ddd; do
			[ $has_tcpdump = yes ] || continue
			want=$(tcpdump $d -r "$pcaps/filter/$f" "$e" 2>/dev/null)
			[ -n "$want" ] || continue # libpcap refuses it for this link type
			check "cbpf $d -r $f '$e'" "$want" "$("$exo" cbpf $d -r "$pcaps/filter/$f" "$e")"
		done
	done
done
[ $has_tcpdump = yes ] || echo "skipped: tcpdump comparisons (tcpdump not installed)"

# the listing with a link type and snap length given, without a capture
check "cbpf -d -y -s" "(000) ld       [0]
(001) and      #0xffff0000
(002) jeq      #0x55ff0000      jt 3	jf 6
(003) ldh      [4]
(004) jset     #0x1fff          jt 5	jf 6
(005) ret      #1000
(006) ret      #0" "$("$exo" cbpf -d -y BACNET_MS_TP -s 1000 'ip[6:2] & 0x1fff != 0')"

# filter --verdicts over libpcap's corpus (every row this libpcap compiles)
python3 - "$exo" "$shared" >"$tmp/corpus" <<'EOF'
import json, subprocess, sys
exo, shared = sys.argv[1], sys.argv[2]
ok = bad = skipped = libpcap_differs = 0
for line in open(shared + "/pcap/libpcap_testrun/filter_apply.jsonl"):
    row = json.loads(line)
    args = [exo, "filter", "--verdicts", "-r", shared + "/pcap/libpcap_tests/" + row["savefile"]]
    if "netmask" in row:
        args += ["--netmask", row["netmask"]]
    r = subprocess.run(args + ["--", row["expr"]], capture_output=True, text=True)
    if r.returncode == 3 and "error" in row["opt"]:
        skipped += 1  # this libpcap refuses it, as the data records
        continue
    got = [int(x) for x in r.stdout.split()]
    if got == row["expected_results"]:
        ok += 1
    elif not row["opt"].get("local_agrees", True) and got == row["opt"]["local_results"]:
        libpcap_differs += 1
    else:
        bad += 1
        print("row %s: got %s, expected %s (%s)" % (row["name"], got, row["expected_results"], r.stderr.strip()))
print("corpus", ok, libpcap_differs, skipped, bad)
EOF
grep -v '^corpus' "$tmp/corpus"
check "filter --verdicts over the corpus: expected, libpcap-differs, not compiled, wrong" \
	"corpus 134 11 40 0" "$(grep '^corpus' "$tmp/corpus")"

# -c and -w against tcpdump
if [ $has_tcpdump = yes ]; then
	for f in isakmp4500.pcap vxlan.pcap pim-packet-assortment.pcap rarp_req_reply.pcapng ipv6_ext_headers.pcap; do
		for e in "udp" "icmp or icmp6" "ip6 protochain 17" "greater 100" "not ip"; do
			# tcpdump -w writes exactly the packets it matches
			tcpdump -r "$pcaps/filter/$f" -w "$tmp/theirs.pcap" "$e" 2>/dev/null
			"$exo" filter -r "$pcaps/filter/$f" -w "$tmp/ours.pcap" "$e"
			check "filter -w -r $f '$e' writes what tcpdump -w writes" "same" \
				"$(cmp -s "$tmp/ours.pcap" "$tmp/theirs.pcap" && echo same)"
			check "filter -c -r $f '$e'" "$("$exo" filter -c -r "$tmp/theirs.pcap" "")" \
				"$("$exo" filter -c -r "$pcaps/filter/$f" "$e")"
		done
	done
fi
"$exo" filter -r "$pcaps/filter/vxlan.pcap" -w "$tmp/ours.pcap" "udp port 4789"
check "filter -w output reads back" "10" "$("$exo" filter -c -r "$tmp/ours.pcap" "")"
check "filter lists matches" "1 1368908504.837063 148" "$("$exo" filter -r "$pcaps/filter/vxlan.pcap" "udp port 4789" | head -n 1)"

# classic programs from files, in any format
printf 'ldh [12]\njneq #0x800, drop\nldb [23]\njneq #17, drop\nret #-1\ndrop: ret #0\n' >"$tmp/udp.bpf"
check "filter --program (bpf_asm)" "$("$exo" filter -c -r "$pcaps/filter/vxlan.pcap" "ip and udp")" \
	"$("$exo" filter -c -r "$pcaps/filter/vxlan.pcap" --program "$tmp/udp.bpf")"
"$exo" cbpf -ddd --program "$tmp/udp.bpf" >"$tmp/udp.ddd"
check "cbpf -ddd reads back" "$("$exo" cbpf -d --program "$tmp/udp.bpf")" "$("$exo" cbpf -d --program "$tmp/udp.ddd")"
check "cbpf --asm" "	ldh [12]
	jeq #0x800, l2, l5
l2:	ldb [23]
	jeq #0x11, l4, l5
l4:	ret #-1
l5:	ret #0" "$("$exo" cbpf --asm --program "$tmp/udp.ddd")"
check "cbpf --bytecode" "6,40 0 0 12,21 0 3 2048,48 0 0 23,21 0 1 17,6 0 0 4294967295,6 0 0 0" \
	"$("$exo" cbpf --bytecode --program "$tmp/udp.bpf")"
check "cbpf check" "$tmp/udp.bpf: ok (6 instructions)" "$("$exo" cbpf check "$tmp/udp.bpf")"
check "cbpf convert" "   0: (b4) w0 = 0
   1: (b4) w7 = 0
   2: (bf) r6 = r1
   3: (28) r0 = *(u16 *)skb[12]
   4: (56) if w0 != 0x800 goto pc+4" "$("$exo" cbpf convert "$tmp/udp.bpf" | head -n 5)"

# errors: exit codes and messages naming the input
"$exo" filter -r "$pcaps/filter/vxlan.pcap" "udp port" >/dev/null 2>"$tmp/err"
check "bad expression exits 3" "3" "$?"
check "bad expression names it" "yes" "$(grep -q "'udp port' for link type EN10MB: can't parse filter expression: syntax error" "$tmp/err" && echo yes)"
for f in pcap-invalid-version-1.pcap pcap-invalid-version-2.pcap pcapng-invalid-vers-1.pcapng shb-option-too-long.pcapng; do
	"$exo" filter -c -r "$pcaps/$f" ip >/dev/null 2>"$tmp/err"
	check "malformed $f exits 3" "3:yes" "$?:$(grep -q "$f: " "$tmp/err" && echo yes)"
done
"$exo" filter -c ip >/dev/null 2>&1
check "filter without -r exits 2" "2" "$?"
printf 'ldh [12]\njeq #1, nowhere\nret #0\n' >"$tmp/bad.bpf"
"$exo" cbpf check "$tmp/bad.bpf" >/dev/null 2>"$tmp/err"
check "bad program names file:line" "3:yes" "$?:$(grep -q "bad.bpf:2: no such label 'nowhere'" "$tmp/err" && echo yes)"
printf 'ld M[2]\nret a\n' >"$tmp/mem.bpf"
"$exo" cbpf check "$tmp/mem.bpf" >/dev/null 2>"$tmp/err"
check "checker refusal exits 1" "1:yes" "$?:$(grep -q "insn 0: ld M\[2\] may be read before it is written" "$tmp/err" && echo yes)"
printf '123' >"$tmp/odd.bin"
"$exo" cbpf check "$tmp/odd.bin" >/dev/null 2>"$tmp/err"
check "truncated raw program exits 3" "3" "$?"

# seccomp
"$exo" seccomp trace-filter -o "$tmp/trace.bin" getppid openat 2
check "seccomp check" "$tmp/trace.bin: ok (11 instructions)" "$("$exo" seccomp check "$tmp/trace.bin")"
check "seccomp run traced" "TRACE(0)" "$("$exo" seccomp run "$tmp/trace.bin" --nr openat)"
check "seccomp run by number" "TRACE(0)" "$("$exo" seccomp run "$tmp/trace.bin" --nr 2)"
check "seccomp run allowed" "ALLOW" "$("$exo" seccomp run "$tmp/trace.bin" --nr getpid)"
check "seccomp run other arch" "TRACE(0)" "$("$exo" seccomp run "$tmp/trace.bin" --nr getpid --arch i386)"
check "seccomp explain" "yes" "$("$exo" seccomp explain "$tmp/trace.bin" | grep -q '; if (nr == getppid)' && echo yes)"
check "seccomp run --trace" "8" "$("$exo" seccomp run "$tmp/trace.bin" --nr getpid --trace | grep -c '; A=')"
printf 'ld [16]\njeq #7, deny\nret #0x7fff0000\ndeny: ret #0x50001\n' >"$tmp/args.bpf"
check "seccomp run --args" "ERRNO(1)" "$("$exo" seccomp run "$tmp/args.bpf" --nr 0 --args 7,0)"
check "seccomp run --args (other)" "ALLOW" "$("$exo" seccomp run "$tmp/args.bpf" --nr 0 --args 8)"
printf 'ldh [0]\nret a\n' >"$tmp/sc.bpf"
"$exo" seccomp check "$tmp/sc.bpf" >/dev/null 2>"$tmp/err"
check "seccomp refusal" "1:yes" "$?:$(grep -q 'insn 0: ldh (opcode 0x28) is not allowed in seccomp filters' "$tmp/err" && echo yes)"
"$exo" seccomp run "$tmp/args.bpf" --nr nosuchcall >/dev/null 2>&1
check "seccomp run unknown call exits 2" "2" "$?"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
