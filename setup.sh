#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Set-up entry point for a fresh Debian 12: installs what the build needs
# (make, a C compiler, the libraries) when it is missing, then runs make with
# the arguments given. As root the packages come from apt-get; anyone else is
# told the exact command. POSIX sh, because a fresh machine may lack the rest.
#
# Usage: ./setup.sh demo | ./setup.sh check | ./setup.sh [MAKE ARGUMENTS]
set -eu
cd "$(dirname "$0")"
# The libraries come from the Makefile's deps target (tools/need-packages).
PKGS="make gcc libc6-dev"

missing=
if command -v dpkg-query >/dev/null 2>&1; then
	for p in $PKGS; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing="$missing $p"
	done
fi
if [ -n "$missing" ]; then
	if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "setup.sh: installing$missing" >&2
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq >&2
		# shellcheck disable=SC2086 # one word per package
		apt-get install -y -qq --no-install-recommends $missing >&2
	else
		echo "setup.sh: memfail needs Debian packages: sudo apt-get install$missing" >&2
		exit 1
	fi
fi
exec make -j2 "$@"
