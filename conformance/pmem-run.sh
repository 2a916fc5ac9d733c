#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# conformance/pmem-run.sh [FILE.mf ...] - run filesystem-DAX scenarios on the real kernel,
# each in its own boot (a DAX scenario changes the pmem filesystem, and only a boot restores
# the pristine image), with the pmem variant its files ask for. Default: every portable
# scenario with "machine ... pmem=" under tests/scenarios/. Prints run.sh's output per
# scenario, then "N passed, N failed, N skipped". Exit as run.sh: 0, 1 mismatch, 2 guest.
# run.sh's environment applies to every boot: CONFORMANCE_KERNEL=6.12 (make KERNEL=6.12),
# KERNEL_IMAGE/KERNEL_MODULES/PROFILE, CONFORMANCE_KERNEL_ONLY=1 and CONFORMANCE_SAVE=DIR.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 2
# --tap (or CONFORMANCE_TAP=1): one TAP 13 stream, run.sh's per-boot results renumbered
TAP=${CONFORMANCE_TAP:-0}
[[ ${1:-} == --tap ]] && { TAP=1; shift; }
export CONFORMANCE_TAP=$TAP
FILES=("$@")
if ((${#FILES[@]} == 0)); then
	mapfile -t FILES < <(grep -l '^machine.*pmem=' tests/scenarios/*/*.mf | sort)
fi
((TAP)) && printf 'TAP version 13\n1..%d\n' "${#FILES[@]}"
pass=0 fail=0 skip=0 rc=0 n=0
for f in "${FILES[@]}"; do
	n=$((n + 1))
	v=$(grep -o '^file pmem-[a-z0-9-]*:' "$f" | head -n1 | sed 's/^file pmem-//; s/:$//')
	if [[ -z $v ]]; then
		if ((TAP)); then echo "ok $n $f # SKIP no pmem file"; else echo "$f: skip: no pmem file"; fi
		skip=$((skip + 1)); continue
	fi
	out=$(CONFORMANCE_PMEM=$v "$ROOT/conformance/run.sh" "$f" 2>&1)
	r=$?
	if ((TAP)); then
		echo "$out" | sed -e '/^TAP version 13$/d' -e '/^1\.\.1$/d' -e '/^# Totals: /d' -e '/^# [0-9]* passed, /d' \
			-e "s/^ok 1 /ok $n /" -e "s/^not ok 1 /not ok $n /" -e '/^\(ok\|not ok\) /!{/^# /!s/^/# /}'
		p=$(grep -c '^ok [0-9]* [^#]*$' <<<"$out") s=$(grep -c '^ok .* # SKIP' <<<"$out")
		fl=$(grep -c '^not ok ' <<<"$out")
	else
		echo "$out"
		summary=$(echo "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped' | tail -n1)
		read -r p _ fl _ s _ <<<"${summary//,/}"
	fi
	pass=$((pass + ${p:-0})) fail=$((fail + ${fl:-0})) skip=$((skip + ${s:-0}))
	((r > rc)) && rc=$r
done
if ((TAP)); then
	echo "# $pass passed, $fail failed, $skip skipped"
	echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:$skip error:0"
else
	echo "$pass passed, $fail failed, $skip skipped"
fi
exit $rc
