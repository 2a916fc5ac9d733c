#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Campaign benchmarks (bench/README.md): UEs injected and handled per minute on
# a 4 GiB model with 100 processes (bench/campaign/ue-storm.mfc), the cost of
# a run that only builds that machine (a restore replays the same calls), and
# the speed-up of 2 MPI ranks over 1 on the same campaign.
O=${O:-build}
MEMFAIL=$O/memfail
F=bench/campaign/ue-storm.mfc
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.6f\", $1 }"; }
run() { # run LOG [mpirun args]: prints wall seconds
	log=$1
	shift
	t0=$(now)
	"$@" "$MEMFAIL" campaign --quiet --no-progress --db "$tmp/b.db" "$F" 2>"$log" >/dev/null ||
		{ cat "$log" >&2; exit 1; }
	calc "$(now) - $t0"
}

sed 's/^horizon .*/horizon 0.000001/; s/^trials .*/trials 1/' "$F" >"$tmp/build.mfc"
t0=$(now)
"$MEMFAIL" campaign --quiet --no-progress --db "$tmp/b.db" "$tmp/build.mfc" 2>/dev/null >/dev/null
build=$(calc "$(now) - $t0")
t1=$(run "$tmp/one.log")
mces=$(sed -n 's/.* \([0-9]*\) machine checks.*/\1/p' "$tmp/one.log")
printf 'bench: campaign_injections_per_min %.0f\n' "$(calc "$mces * 60 / $t1")"
printf 'bench: campaign_build_run_s %.2f s\n' "$build"
if command -v mpirun >/dev/null && [ -x "$MEMFAIL-mpi" ]; then
	m1=$(run "$tmp/m1.log" mpirun --allow-run-as-root --oversubscribe -n 1)
	m2=$(run "$tmp/m2.log" mpirun --allow-run-as-root --oversubscribe -n 2)
	printf 'bench: campaign_mpi_speedup_2_ranks %.2f\n' "$(calc "$m1 / $m2")"
else
	echo "bench: campaign_mpi_speedup_2_ranks n/a (no MPI in this build)"
fi
