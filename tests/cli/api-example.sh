#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# The library as a user gets it: `make install` into a temporary PREFIX, then
# examples/api/inject.c built with `pkg-config --cflags --libs memfail` against
# that installed copy only, run, and its output compared with
# examples/api/inject.expected. `make check` passes MAKE, CC, SAN, COV and
# LDFLAGS (the sanitizer or coverage link flags the library was built with).
. tests/cli/lib.sh

run ${MAKE:-make} -s install PREFIX="$T/usr" SAN="${SAN:-0}" COV="${COV:-0}"
want_rc 0 "make install"
export PKG_CONFIG_PATH="$T/usr/lib/pkgconfig"
run pkg-config --cflags --libs memfail
want_rc 0 "pkg-config memfail"
# shellcheck disable=SC2046,SC2086 # pkg-config's and LDFLAGS' words are meant to split
run ${CC:-cc} -std=c11 -Wall -Wextra -Werror examples/api/inject.c \
	$(pkg-config --cflags --libs memfail) ${LDFLAGS:-} -o "$T/inject"
want_rc 0 "cc examples/api/inject.c"
run "$T/inject"
want_rc 0 "examples/api/inject"
cmp -s examples/api/inject.expected "$T/out" ||
	fail "examples/api/inject: $(diff examples/api/inject.expected "$T/out" | head -n 10)"
done_
