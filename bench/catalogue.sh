#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Whole-process costs of the memfail command (bench/README.md):
#   checker_overhead_ratio: the scenario catalogue with the invariant checker
#     after every step, divided by the catalogue without it (best of 3 each);
#   empty_scenario_process_ms: one `memfail run` of a scenario with one task
#     and no steps, process start and exit included (best of 3 rounds of 50).
# Usage: bench/catalogue.sh build/memfail
MEMFAIL=${1:-build/memfail}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ms() { echo $(($(date +%s%N) / 1000000)); }

catalogue() {
	t=$(ms)
	for f in tests/scenarios/*/*.mf; do
		"$MEMFAIL" run -q "$@" "$f" >/dev/null 2>&1
	done
	echo $(($(ms) - t))
}

best() {
	b=
	for _ in 1 2 3; do
		v=$("$@")
		if [ -z "$b" ] || [ "$v" -lt "$b" ]; then b=$v; fi
	done
	echo "$b"
}

empty_round() {
	t=$(ms)
	for _ in $(seq 50); do "$MEMFAIL" run "$tmp/empty.mf" >/dev/null; done
	echo $(($(ms) - t))
}

printf 'scenario "empty"\nkernel 6.1\ntask A\n' >"$tmp/empty.mf"
on=$(best catalogue)
off=$(best catalogue --no-check-invariants)
echo "bench: checker_overhead_ratio $(awk "BEGIN { printf \"%.2f\", $on / $off }")"
echo "bench: empty_scenario_process_ms $(awk "BEGIN { printf \"%.2f\", $(best empty_round) / 50 }") ms"
