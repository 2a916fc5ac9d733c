#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Output errors: a trace that cannot be written is exit 1 with a message; a
# closed pipe ends the run quietly.
. tests/cli/lib.sh

[ -w /dev/full ] || { echo "no /dev/full"; exit 0; }
for args in "run $SCEN" "run --json $SCEN" "run -q $SCEN $SCEN" "help" "help run" \
	"--version"; do
	# shellcheck disable=SC2086 # words of the command
	"$MEMFAIL" $args >/dev/full 2>"$T/err"
	rc=$?
	want_rc 1 "$args >/dev/full"
	want_in "$T/err" "No space left on device" "$args >/dev/full"
done

# a reader that stops early: no message (SIGPIPE or EPIPE, both quiet)
"$MEMFAIL" run "$SCEN" "$SCEN" "$SCEN" 2>"$T/err" | head -n 1 >/dev/null
want_empty "$T/err" "run | head -n 1"
done_
