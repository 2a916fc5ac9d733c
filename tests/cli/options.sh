#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# --seed is gone (the model draws no random numbers): refused, and not in help; explore's
# count options are checked.
. tests/cli/lib.sh

run "$MEMFAIL" run --seed 3 "$SCEN"
want_rc 2 "run --seed"
want_in "$T/err" "unrecognized option '--seed'" "run --seed"
run "$MEMFAIL" help run
grep -q -- --seed "$T/out" && fail "help run mentions --seed"
grep -q -- '--seed' docs/memfail.1 && fail "docs/memfail.1 mentions --seed"
run "$MEMFAIL" run --no-check-invariants --check-invariants -q "$SCEN"
want_rc 0 "run with the remaining options"
want_empty "$T/out" "run -q"
run "$MEMFAIL" run --check-invariants=full -q "$SCEN"
want_rc 0 "run --check-invariants=full"
run "$MEMFAIL" run --check-invariants=some "$SCEN"
want_rc 2 "run --check-invariants=some"
want_in "$T/err" "takes =full or nothing" "run --check-invariants=some"
# explore's counts: out of range or not a number is refused, naming the option
for arg in "--preemptions 17" "--max-states -5" "--max-states 99999999999999999999" "--max-states 1x"; do
	# shellcheck disable=SC2086 # the option and its value are two words
	run "$MEMFAIL" explore tests/explore/seed001-leak.mf $arg -o "$T/cex"
	want_rc 2 "explore $arg"
	want_in "$T/err" "memfail explore: ${arg%% *} '${arg#* }': expected a number from 0 to" "explore $arg"
done
done_
