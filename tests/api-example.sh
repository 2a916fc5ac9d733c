#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Installs memfail into a temporary PREFIX, builds examples/api/inject.c with
# `pkg-config --cflags --libs memfail` against that installed copy only, runs
# it and compares its output with examples/api/inject.expected. Run by
# `make check` as one test (MAKE, SAN and CC come from the Makefile).
set -eu
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
${MAKE:-make} -s install PREFIX="$tmp/usr" SAN="${SAN:-0}" >"$tmp/install.log"
export PKG_CONFIG_PATH="$tmp/usr/lib/pkgconfig"
san=
[ "${SAN:-0}" = 1 ] && san=-fsanitize=address,undefined
# shellcheck disable=SC2046 # pkg-config's words are meant to split
${CC:-cc} -std=c11 -Wall -Wextra -Werror $san examples/api/inject.c \
	$(pkg-config --cflags --libs memfail) -o "$tmp/inject"
"$tmp/inject" >"$tmp/out"
diff -u examples/api/inject.expected "$tmp/out"
