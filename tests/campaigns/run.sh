#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Campaign checks for make check: every errors/*.mfc fails with exit 2 and the
# stderr of its .err; small.mfc runs and gives the same results digest with
# one rank and, when the build has MPI and mpirun exists, with two.
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
if command -v mpirun >/dev/null && [ -x "$MEMFAIL-mpi" ]; then
	two=$(ASAN_OPTIONS=detect_leaks=0 mpirun --allow-run-as-root --oversubscribe -n 2 \
		"$MEMFAIL" campaign --quiet --digest --no-progress --db "$tmp/two.db" \
		"$dir/small.mfc" 2>"$tmp/mpi.err")
	if [ "$one" != "$two" ]; then
		echo "FAIL: 1 rank: $one; 2 ranks: $two"
		cat "$tmp/mpi.err"
		status=1
	fi
	echo "1 and 2 ranks: $one"
else
	echo "no MPI in this build: one-rank run only ($one)"
fi
exit $status
