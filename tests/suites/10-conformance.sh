#!/bin/sh
# bpf_conformance through the plugin, the interpreter's fast mode.
exec "$1/exobpf" conformance --interp "${SHARED:-../shared}/conformance"
