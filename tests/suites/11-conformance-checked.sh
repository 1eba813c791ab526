#!/bin/sh
# bpf_conformance through the plugin, checked mode.
exec "$1/exobpf" conformance --checked "${SHARED:-../shared}/conformance"
