#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Campaign checks for make check: every errors/*.mfc fails with exit 2 and the
# stderr of its .err; too-many-faults.mfc and recipe-too-big.mfc fail with exit 1;
# small.mfc, snapshot.mfc (a machine from a snapshot
# file) and the bundled examples/campaign/fleet.mfc run and each give the same
# results digest with one rank and, when the build has MPI and mpirun exists,
# with two; small.mfc on kernel 6.12 gives 6.1's figures.
O=${O:-build}
MEMFAIL=$O/memfail
dir=tests/campaigns
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0
for f in "$dir"/errors/*.mfc; do
	"$MEMFAIL" campaign --db "$tmp/x.db" "$f" >/dev/null 2>"$tmp/err"
	rc=$?
	if [ "$rc" -ne 2 ] || ! cmp -s "${f%.mfc}.err" "$tmp/err"; then
		echo "FAIL $f: exit $rc"
		diff -u "${f%.mfc}.err" "$tmp/err"
		status=1
	fi
done
one=$("$MEMFAIL" campaign --quiet --digest --no-progress --db "$tmp/one.db" --plot "$tmp/p" \
	"$dir/small.mfc" 2>/dev/null) || { echo "FAIL small.mfc: $one"; exit 1; }
for png in "$tmp/p-outcomes.png" "$tmp/p-timeline.png"; do
	[ -s "$png" ] || { echo "FAIL: no $png"; status=1; }
done
# a machine from a snapshot file: built, filled, and its pages take machine checks
snap=$("$MEMFAIL" campaign --quiet --digest --no-progress --db "$tmp/snap.db" \
	"$dir/snapshot.mfc" 2>"$tmp/snap.err") || { echo "FAIL snapshot.mfc: $(cat "$tmp/snap.err")"; exit 1; }
grep -q ' [1-9][0-9]* machine checks' "$tmp/snap.err" ||
	{ echo "FAIL snapshot.mfc: no machine checks: $(cat "$tmp/snap.err")"; status=1; }
# run-time errors: exit 1 and what to change, no results written
for f in "too-many-faults.mfc:trial 0: more than 1000000 DRAM faults" \
	"recipe-too-big.mfc:was killed (signal 9) while the machine was built"; do
	"$MEMFAIL" campaign --quiet --no-progress --db "$tmp/err.db" "$dir/${f%%:*}" 2>"$tmp/err"
	rc=$?
	if [ "$rc" -ne 1 ] || ! grep -qF "${f#*:}" "$tmp/err" || [ -e "$tmp/err.db" ]; then
		echo "FAIL ${f%%:*}: exit $rc: $(cat "$tmp/err")"
		status=1
	fi
done
# kernel 6.12: the same trials on the 6.12 profile. This recipe's outcomes are 6.1's; in
# particular an anonymous page's kills count as anon, though 6.12's kpageflags says ksm
sed '2a kernel 6.12' "$dir/small.mfc" >"$tmp/small-612.mfc"
"$MEMFAIL" campaign --no-progress --db "$tmp/612.db" "$tmp/small-612.mfc" >"$tmp/612.txt" 2>&1 &&
	"$MEMFAIL" campaign --no-progress --db "$tmp/61.db" "$dir/small.mfc" >"$tmp/61.txt" 2>&1 ||
	{ echo "FAIL small.mfc on 6.12: $(cat "$tmp/612.txt")"; exit 1; }
grep -q '^campaign "test fleet": Linux 6.12,' "$tmp/612.txt" ||
	{ echo "FAIL small.mfc on 6.12: $(sed -n 2p "$tmp/612.txt")"; status=1; }
sed 1,2d "$tmp/61.txt" >"$tmp/61.tab"
sed 1,2d "$tmp/612.txt" >"$tmp/612.tab"
if ! diff "$tmp/61.tab" "$tmp/612.tab"; then
	echo "FAIL small.mfc: 6.1 and 6.12 differ"
	status=1
fi
# the bundled example (10,000 machine-years, three policies)
fleet=$("$MEMFAIL" campaign --quiet --digest --no-progress --db "$tmp/fleet.db" \
	examples/campaign/fleet.mfc 2>/dev/null) || { echo "FAIL fleet.mfc: $fleet"; exit 1; }
if command -v mpirun >/dev/null && [ -x "$MEMFAIL-mpi" ]; then
	for f in "$dir/small.mfc:$one" "$dir/snapshot.mfc:$snap" "examples/campaign/fleet.mfc:$fleet"; do
		two=$(ASAN_OPTIONS=detect_leaks=0 mpirun --allow-run-as-root --oversubscribe -n 2 \
			"$MEMFAIL" campaign --quiet --digest --no-progress --db "$tmp/two.db" \
			"${f%%:*}" 2>"$tmp/mpi.err")
		if [ "${f#*:}" != "$two" ]; then
			echo "FAIL ${f%%:*}: 1 rank: ${f#*:}; 2 ranks: $two"
			cat "$tmp/mpi.err"
			status=1
		fi
		echo "${f%%:*}, 1 and 2 ranks: $two"
	done
else
	echo "no MPI in this build: one-rank runs only ($one; $snap; $fleet)"
fi
exit $status
