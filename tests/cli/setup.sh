#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# The set-up entry point (./setup.sh) and the Makefile's order of work on a
# fresh machine.
. tests/cli/lib.sh

# a user who is not root, on a machine without the packages: told the command
mkdir "$T/bin"
printf '#!/bin/sh\nexit 1\n' >"$T/bin/dpkg-query"
printf '#!/bin/sh\necho 1000\n' >"$T/bin/id"
chmod +x "$T/bin/dpkg-query" "$T/bin/id"
PATH="$T/bin:$PATH" run ./setup.sh demo
want_rc 1 "setup.sh as a user without packages"
want_in "$T/err" "sudo apt-get install make gcc libc6-dev" \
	"setup.sh as a user without packages"

# with the packages there it is make: a dry run of the demo
run ./setup.sh -n demo
want_rc 0 "setup.sh -n demo"
want_in "$T/out" "memfail run examples/" "setup.sh -n demo"

# the package check comes before any compile, even with -j2
run make -n -B -j2 O="$T/o" demo
first=$(grep -m 1 -E 'need-packages|cc |clang ' "$T/out")
case "$first" in
*need-packages*) ;;
*) fail "make -j2 demo: compiles before the package check: $first" ;;
esac
done_
