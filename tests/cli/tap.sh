#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# run --tap: TAP 13 as kselftest prints it (and as conformance/run.sh --tap does):
# each trace as "# " lines before its "ok N FILE" / "not ok N FILE", then the
# "# Totals:" line; the exit status is the run's. --kernel 6.12 checks 6.12's
# expectations (a file with 6.12 results of its own passes there too).
. tests/cli/lib.sh

A=tests/scenarios/anon/dirty-late.mf
B=tests/scenarios/lang/failed-mmap-step.mf
{
	printf 'TAP version 13\n1..2\n'
	sed 's/^/# /' "${A%.mf}.trace"
	echo "ok 1 $A"
	sed 's/^/# /' "${B%.mf}.trace"
	echo "not ok 2 $B"
	echo "# 1 passed, 1 failed, 0 skipped"
	echo "# Totals: pass:1 fail:0 xfail:0 xpass:0 skip:0 error:1"
} >"$T/want"
run "$MEMFAIL" run --tap "$A" "$B"
want_rc 1 "run --tap (a run-time error)"
cmp -s "$T/want" "$T/out" || fail "run --tap: $(diff -u "$T/want" "$T/out" | head -n 20)"

{
	printf 'TAP version 13\n1..1\n'
	sed 's/^/# /' "${A%.mf}.6.12.trace"
	echo "ok 1 $A"
	echo "# 1 passed, 0 failed, 0 skipped"
	echo "# Totals: pass:1 fail:0 xfail:0 xpass:0 skip:0 error:0"
} >"$T/want"
run "$MEMFAIL" run --tap --kernel 6.12 "$A"
want_rc 0 "run --tap --kernel 6.12"
cmp -s "$T/want" "$T/out" || fail "run --tap --kernel 6.12: $(diff -u "$T/want" "$T/out" | head -n 20)"
done_
