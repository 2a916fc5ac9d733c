#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Runs each libFuzzer target given for FUZZ_SECONDS (default 60), seeded with
# every scenario, parse-error test and regression file. A crash is kept as
# $O/fuzz-crashes/crash-* and fails the run: reduce it (the target with
# -minimize_crash=1), fix the bug and add the file to tests/fuzz/regressions/,
# which `make check` replays.
#
# Usage: O=build-fuzz FUZZ_SECONDS=60 tests/fuzz/run.sh build-fuzz/fuzz/fuzz_*
set -eu
O=${O:-build-fuzz}
secs=${FUZZ_SECONDS:-60}
seeds=$(mktemp -d)
trap 'rm -rf "$seeds"' EXIT
mkdir -p "$O/fuzz-crashes" "$seeds/in"
for f in tests/scenarios/*/*.mf tests/parse-errors/*.mf tests/fuzz/regressions/*; do
	[ -f "$f" ] && cp "$f" "$seeds/in/$(echo "$f" | tr / _)"
done
rc=0
for bin in "$@"; do
	name=$(basename "$bin")
	mkdir -p "$O/fuzz-corpus/$name"
	echo "fuzz: $name for ${secs}s"
	# corpus first (grows), then the read-only seeds
	if ! "$bin" -max_total_time="$secs" -timeout=20 -rss_limit_mb=2048 -max_len=65536 \
		-dict=tests/fuzz/scenario.dict -print_final_stats=1 \
		-artifact_prefix="$O/fuzz-crashes/$name-" \
		"$O/fuzz-corpus/$name" "$seeds/in" >"$O/fuzz-$name.log" 2>&1; then
		echo "fuzz: $name FAILED; log $O/fuzz-$name.log, input $O/fuzz-crashes/"
		grep -E 'ERROR|SUMMARY|invariant|runtime error' "$O/fuzz-$name.log" | head -n 20
		rc=1
	else
		grep -E '^stat::number_of_executed_units|^stat::new_units_added' \
			"$O/fuzz-$name.log" | sed "s/^/fuzz: $name /"
	fi
done
exit $rc
