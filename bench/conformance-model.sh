#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The model's side of `make conformance`'s two speed-ups, without QEMU: the
# scenarios the guest ran, timed as conformance/run.sh times them (one
# `memfail run` of all of them, then one process each, spawned by xargs),
# best of N rounds (conformance/run.sh runs this script with -n 5).
# conformance/run.sh saves the files and the kernel's seconds of its last
# full run in $CONFORMANCE_CACHE/last-run-6.1; with them (or -k) the
# speed-ups against that kernel time are printed too.
#   usage: bench/conformance-model.sh [-n ROUNDS] [-k KERNEL_SECONDS] [-l LIST] [-m MEMFAIL]
#          [-- MEMFAIL-RUN-OPTIONS]
# LIST: one scenario a line (default: the saved run's; without one, an
# approximation: not DAX, no "requires model", no memfail.* sysctl).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${CONFORMANCE_CACHE:-/var/tmp/memfail-conformance}
SAVED=$CACHE/last-run-6.1
ROUNDS=5 KSECS= LIST= MEMFAIL=$ROOT/build/memfail
while getopts "n:k:l:m:" o; do
	case $o in
	n) ROUNDS=$OPTARG ;; k) KSECS=$OPTARG ;; l) LIST=$OPTARG ;; m) MEMFAIL=$OPTARG ;;
	*) sed -n '3,/^set -u/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//' >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
cd "$ROOT" || exit 2

FILES=() FROM="an approximate list"
if [[ -n $LIST ]]; then
	mapfile -t FILES < "$LIST"
	FROM=$LIST
elif [[ -s $SAVED ]]; then
	[[ -n $KSECS ]] || KSECS=$(sed -n 's/^kernel_seconds //p' "$SAVED")
	mapfile -t FILES < <(sed -n 's/^ran //p' "$SAVED")
	FROM="the last conformance run"
else
	for f in tests/scenarios/*/*.mf conformance/smoke/*.mf; do
		[[ $f == */dax/* ]] || grep -q -e '^requires model' -e 'memfail\.' "$f" || FILES+=("$f")
	done
fi
((${#FILES[@]})) || { echo "conformance-model: no scenarios" >&2; exit 2; }

# One process each is spawned by xargs (a fork and an exec a file, no shell per
# file); the same xargs running /bin/true over the same files is the spawner's
# own cost, printed so it can be told apart from memfail's.
now() { date +%s%N; }
each() { printf '%s\0' "${FILES[@]}" | xargs -0 -n1 "$@" >/dev/null 2>&1; }
one=0 per=0 spawn=0
for ((r = 0; r < ROUNDS; r++)); do
	t0=$(now)
	"$MEMFAIL" run "$@" --quiet "${FILES[@]}" >/dev/null 2>&1
	t1=$(now)
	each "$MEMFAIL" run "$@" --quiet
	t2=$(now)
	each /bin/true
	t3=$(now)
	a=$(((t1 - t0) / 1000)) b=$(((t2 - t1) / 1000)) c=$(((t3 - t2) / 1000))
	((one == 0 || a < one)) && one=$a
	((per == 0 || b < per)) && per=$b
	((spawn == 0 || c < spawn)) && spawn=$c
done
ms() { awk -v u="$1" 'BEGIN { printf "%.1f", u / 1000 }'; }
echo "bench: conformance_model_one_process_ms $(ms $one) ms (${#FILES[@]} scenarios of $FROM, best of $ROUNDS)"
echo "bench: conformance_model_process_each_ms $(ms $per) ms (xargs -n1; /bin/true the same way: $(ms $spawn) ms)"
if [[ -n $KSECS ]]; then
	sp() { awk -v k="$KSECS" -v u="$1" 'BEGIN { printf "%.0f", k * 1e6 / u }'; }
	echo "bench: conformance_model_vs_saved_kernel_speedup $(sp $one) (kernel ${KSECS} s)"
	echo "bench: conformance_model_vs_saved_kernel_speedup_process_each $(sp $per)"
fi
