#!/bin/sh
# bpf_conformance through the plugin, fast mode.
exec "$1/exobpf" conformance "${SHARED:-../shared}/conformance"
