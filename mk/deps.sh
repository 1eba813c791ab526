#!/bin/sh
# Make sure every Debian package in mk/packages.txt is installed.
# As root: install the missing ones with apt-get. Otherwise: print the exact
# command and fail, so the build never half-works on a machine without them.
set -e
here=$(dirname "$0")
missing=""
for p in $(grep -v '^#' "$here/packages.txt"); do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
	echo "exobpf: installing missing packages:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y --no-install-recommends $missing >/dev/null ||
		{ apt-get update >/dev/null && apt-get install -y --no-install-recommends $missing >/dev/null; }
	exit 0
fi
echo "exobpf: missing Debian packages. Run as root:" >&2
echo "  apt-get install -y$missing" >&2
exit 1
