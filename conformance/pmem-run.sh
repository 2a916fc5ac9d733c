#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# conformance/pmem-run.sh [FILE.mf ...] - run filesystem-DAX scenarios on the real kernel,
# each in its own boot (a DAX scenario changes the pmem filesystem, and only a boot restores
# the pristine image), with the pmem variant its files ask for. Default: every portable
# scenario with "machine ... pmem=" under tests/scenarios/. Prints run.sh's output per
# scenario, then "N passed, N failed, N skipped". Exit as run.sh: 0, 1 mismatch, 2 guest.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 2
FILES=("$@")
if ((${#FILES[@]} == 0)); then
	mapfile -t FILES < <(grep -l '^machine.*pmem=' tests/scenarios/*/*.mf | sort)
fi
pass=0 fail=0 skip=0 rc=0
for f in "${FILES[@]}"; do
	v=$(grep -o '^file pmem-[a-z0-9-]*:' "$f" | head -n1 | sed 's/^file pmem-//; s/:$//')
	if [[ -z $v ]]; then
		echo "$f: skip: no pmem file"; skip=$((skip + 1)); continue
	fi
	out=$(CONFORMANCE_PMEM=$v "$ROOT/conformance/run.sh" "$f" 2>&1)
	r=$?
	echo "$out"
	summary=$(echo "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped' | tail -n1)
	read -r p _ fl _ s _ <<<"${summary//,/}"
	pass=$((pass + ${p:-0})) fail=$((fail + ${fl:-0})) skip=$((skip + ${s:-0}))
	((r > rc)) && rc=$r
done
echo "$pass passed, $fail failed, $skip skipped"
exit $rc
