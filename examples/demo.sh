#!/bin/sh
# The bundled demo: an XDP firewall written in C (examples/firewall.bpf.c),
# compiled by clang, loaded, verified and JIT-compiled by exobpf, run over a
# capture of a made-up office network (examples/make_capture.py) on two
# worker threads; then the verdicts, the maps and the ring buffer's events.
set -e
out=${1:-build}
here=$(dirname "$0")
work="$out/examples/run"
rm -rf "$work"
mkdir -p "$work"
# maps live in the pin directory (tmpfs where there is one): the demo's own
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
	EXOBPF_PIN_DIR=$(mktemp -d /dev/shm/exobpf-demo-XXXXXX)
else
	EXOBPF_PIN_DIR=$(mktemp -d)
fi
export EXOBPF_PIN_DIR
trap 'rm -rf "$EXOBPF_PIN_DIR"' EXIT

echo "== the capture"
python3 "$here/make_capture.py" "$work/office.pcap"
echo
echo "== the firewall ($here/firewall.bpf.c) through the library ($here/demo.c)"
"$out/examples/demo" "$out/examples/firewall.bpf.o" "$work/office.pcap" "$work"
echo
echo "== the same from the command line"
echo "\$ exobpf xdp firewall.bpf.o --in office.pcap --out passed.pcap --drop dropped.pcap --tx replies.pcap --stats"
"$out/exobpf" xdp "$out/examples/firewall.bpf.o" --in "$work/office.pcap" --out "$work/passed.pcap" \
	--drop "$work/dropped.pcap" --tx "$work/replies.pcap" --stats 2>&1
if command -v tcpdump >/dev/null 2>&1; then
	echo
	echo "== the first echo reply the firewall sent (XDP_TX), as tcpdump reads it"
	tcpdump -nr "$work/replies.pcap" -c 1 2>/dev/null
	echo "== the packets it dropped"
	tcpdump -nr "$work/dropped.pcap" 2>/dev/null | sed -n '1,4p;$p'
fi
