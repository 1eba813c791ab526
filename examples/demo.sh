#!/bin/sh
# The bundled demo: assemble an eBPF program, show it as the kernel's verifier
# log would, and run it on a real IPv4 header, checked and at full speed.
set -e
out=${1:-build}
exo="$out/exobpf"
here=$(dirname "$0")
# An IPv4 header (20 bytes) with a correct checksum, then the same header with
# one bit of its source address flipped.
good="45 00 00 3c 1c 46 40 00 40 06 b1 e6 ac 10 0a 63 ac 10 0a 0c"
bad="45 00 00 3c 1c 46 40 00 40 06 b1 e6 ac 10 0a 62 ac 10 0a 0c"

echo "== the program ($here/ipv4_checksum.s), as Linux's verifier log prints it"
"$exo" asm "$here/ipv4_checksum.s" -o "$out/ipv4_checksum.bin"
"$exo" disasm "$out/ipv4_checksum.bin"
echo
echo "== checksum of a good header (0xffff means valid), checked mode"
"$exo" run --checked "$out/ipv4_checksum.bin" --mem "$good"
echo "== the same header with one bit flipped"
"$exo" run --checked "$out/ipv4_checksum.bin" --mem "$bad"
echo "== a truncated packet: the program rejects it"
"$exo" run --checked "$out/ipv4_checksum.bin" --mem "45 00 00 3c"
echo "== speed, unchecked interpreter, 1000000 runs"
"$exo" run --unchecked "$out/ipv4_checksum.bin" --mem "$good" --repeat 1000000
