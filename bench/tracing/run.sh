#!/bin/sh
# bench/tracing: what a probe hit costs the traced program, exobpf beside
# Linux on the same target in the same run. The target times its own loop
# (ns per iteration); a hit's cost is that minus the untraced loop's.
#   exobpf fast uprobe (--fast) vs  Linux uprobe (bpf() + perf uprobe)
#   exobpf breakpoint uprobe   vs  Linux uprobe
#   exobpf syscall tracepoint  vs  Linux syscalls/sys_enter_getppid
# Builds the release binary (make first). Prints ratios; never fails on time.
# N=... sets the iterations of the probed loops (default 100000).
set -e
cd "$(dirname "$0")/../.."
make -s -j2 SAN=0 build/exobpf build/libexobpf-uprobe.so
out=build/bench/tracing
mkdir -p $out
cc -O2 -o $out/bench_target bench/tracing/target.c
clang -O2 -g -target bpf -I/usr/include/$(cc -dumpmachine) -c bench/tracing/bench.bpf.c \
	-o $out/bench.bpf.o
cc -O2 -o $out/kernel_side bench/tracing/kernel_side.c -lbpf
n=${N:-100000}
t=$out/bench_target
export EXOBPF_PIN_DIR=$(mktemp -d /dev/shm/exobpf-bench-XXXXXX)
trap 'rm -rf "$EXOBPF_PIN_DIR"' EXIT

base_fn=$($t func 10000000)
base_sys=$($t sys 2000000)
fast=$(build/exobpf trace $out/bench.bpf.o --fast --program on_fn -- $t func "$((n * 100))")
bp=$(build/exobpf trace $out/bench.bpf.o --program on_fn -- $t func "$n")
sys=$(build/exobpf trace $out/bench.bpf.o --program on_sys -- $t sys "$n")
k_fn=$($out/kernel_side $out/bench.bpf.o on_fn "$PWD/$t" func "$((n * 10))" 2>/dev/null) || k_fn=
k_sys=$($out/kernel_side $out/bench.bpf.o on_sys "$PWD/$t" sys "$((n * 10))" 2>/dev/null) || k_sys=

awk -v bf="$base_fn" -v bs="$base_sys" -v fast="$fast" -v bp="$bp" -v sys="$sys" -v kf="$k_fn" -v ks="$k_sys" '
function row(name, t, base) { printf "%-34s %10.1f ns/hit\n", name, t - base; return t - base }
BEGIN {
	printf "%-34s %10.1f ns/call\n", "untraced call", bf
	printf "%-34s %10.1f ns/call\n", "untraced getppid", bs
	e0 = row("exobpf uprobe (fast, in-process)", fast, bf)
	e1 = row("exobpf uprobe (breakpoint)", bp, bf)
	e2 = row("exobpf tracepoint (seccomp+ptrace)", sys, bs)
	if (kf == "" || ks == "") { print "Linux: bpf() refused here (run as root), no ratios"; exit }
	k1 = row("Linux uprobe", kf, bf)
	k2 = row("Linux tracepoint", ks, bs)
	printf "ratio uprobe     Linux / exobpf fast:       %.1fx (goal: >= 10x)\n", k1 / (e0 > 0.5 ? e0 : 0.5)
	printf "ratio uprobe     exobpf breakpoint / Linux: %.1fx\n", e1 / k1
	printf "ratio tracepoint exobpf / Linux:            %.1fx\n", e2 / (k2 > 0.5 ? k2 : 0.5)
}'
