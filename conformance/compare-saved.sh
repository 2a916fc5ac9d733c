#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Compare the model under a kernel profile with the real kernel's traces saved by
# `conformance/run.sh -K -o DIR` (no QEMU): for each DIR/X.trace, run the scenario
# (tests/scenarios/X.mf or conformance/X.mf) with `memfail run --kernel P` and
# compare byte for byte. Prints the differing files (-v: their diffs) and
# "N of M identical".
#   usage: conformance/compare-saved.sh [-v] [-k PROFILE] [-m MEMFAIL] [DIR]
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PROFILE=6.12 MEMFAIL=$ROOT/build/memfail VERBOSE=0
while getopts "vk:m:" o; do
	case $o in v) VERBOSE=1 ;; k) PROFILE=$OPTARG ;; m) MEMFAIL=$OPTARG ;; *) exit 2 ;; esac
done
shift $((OPTIND - 1))
DIR=${1:-$ROOT/conformance/traces-$PROFILE}
tmp=$(mktemp) && trap 'rm -f "$tmp"' EXIT
n=0 same=0
cd "$ROOT" || exit 2
while IFS= read -r t; do
	name=${t#"$DIR"/} name=${name%.trace}
	f=tests/scenarios/$name.mf
	[[ -f $f ]] || f=conformance/$name.mf
	n=$((n + 1))
	if [[ ! -f $f ]]; then
		echo "$name: no scenario file"
		continue
	fi
	"$MEMFAIL" run --kernel "$PROFILE" "$f" >"$tmp" 2>&1
	if cmp -s "$t" "$tmp"; then
		same=$((same + 1))
	else
		echo "$name: differs"
		((VERBOSE)) && diff -u --label "$name (linux $PROFILE)" --label "$name (model)" "$t" "$tmp"
	fi
done < <(find "$DIR" -name '*.trace' | sort)
echo "$same of $n identical"
((same == n))
