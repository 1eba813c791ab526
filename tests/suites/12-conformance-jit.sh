#!/bin/sh
# bpf_conformance through the plugin, as machine code (the plugin fails any
# program the JIT did not compile).
exec "$1/exobpf" conformance --jit "${SHARED:-../shared}/conformance"
