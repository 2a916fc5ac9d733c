#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Campaign benchmarks (bench/README.md): UEs injected and handled per minute on
# a 4 GiB model with 100 processes (bench/campaign/ue-storm.mfc: one build,
# then a restore in place per trial), the cost of a run that only builds that
# machine, and the speed-up of 2 MPI ranks over 1 on the same storm made 16
# times longer (256 trials, about 35 s on one core), so that what each rank
# pays once (mpirun's start, its own build of the machine: about 0.8 s) is a
# few per cent of the run; best of two runs of each.
O=${O:-build}
MEMFAIL=$O/memfail
F=bench/campaign/ue-storm.mfc
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.6f\", $1 }"; }
min() { awk "BEGIN { print ($1 < $2) ? $1 : $2 }"; }
run() { # run LOG FILE [mpirun args]: prints wall seconds
	log=$1 file=$2
	shift 2
	t0=$(now)
	"$@" "$MEMFAIL" campaign --quiet --no-progress --db "$tmp/b.db" "$file" 2>"$log" >/dev/null ||
		{ cat "$log" >&2; exit 1; }
	calc "$(now) - $t0"
}

sed 's/^horizon .*/horizon 0.000001/; s/^trials .*/trials 1/' "$F" >"$tmp/build.mfc"
build=$(run "$tmp/build.log" "$tmp/build.mfc")
t1=$(run "$tmp/one.log" "$F")
mces=$(sed -n 's/.* \([0-9]*\) machine checks.*/\1/p' "$tmp/one.log")
printf 'bench: campaign_injections_per_min %.0f\n' "$(calc "$mces * 60 / $t1")"
printf 'bench: campaign_build_run_s %.2f s\n' "$build"
if command -v mpirun >/dev/null && [ -x "$MEMFAIL-mpi" ]; then
	sed 's/^horizon .*/horizon 1.4601/; s/^trials .*/trials 256/' "$F" >"$tmp/long.mfc"
	# best of two of each, interleaved: a burst of other work on the shared cores hits one run
	m1=$(run "$tmp/m1.log" "$tmp/long.mfc" mpirun --allow-run-as-root --oversubscribe -n 1)
	m2=$(run "$tmp/m2.log" "$tmp/long.mfc" mpirun --allow-run-as-root --oversubscribe -n 2)
	m2=$(min "$m2" "$(run "$tmp/m2.log" "$tmp/long.mfc" mpirun --allow-run-as-root --oversubscribe -n 2)")
	m1=$(min "$m1" "$(run "$tmp/m1.log" "$tmp/long.mfc" mpirun --allow-run-as-root --oversubscribe -n 1)")
	printf 'bench: campaign_mpi_speedup_2_ranks %.2f (256 trials: %.1f s on 1 rank, %.1f s on 2)\n' \
		"$(calc "$m1 / $m2")" "$m1" "$m2"
else
	echo "bench: campaign_mpi_speedup_2_ranks n/a (no MPI in this build)"
fi
# wall times mean little on a shared machine: say how busy it was
printf 'bench: campaign_load_average %s\n' "$(cut -d' ' -f1 /proc/loadavg)"
