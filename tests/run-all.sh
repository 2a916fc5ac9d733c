#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Runs every test: the unit test binaries given as arguments (cmocka), every
# scenario tests/scenarios/*/*.mf under each kernel profile its header names
# (exit 0, or the "# expect-exit: N" of its first line; stdout equal to
# FOO.trace, for 6.12 to FOO.6.12.trace where that exists, else FOO.trace) and every
# tests/parse-errors/*.mf (exit 2, stderr equal to FOO.err), every CLI test
# tests/cli/*.sh (exit 0) and, with each fuzz target's replay binary in
# $REPLAY, every file of tests/fuzz/regressions/ (no crash).
# Ends with one line "N passed, N failed". UPDATE_GOLDEN=1 rewrites the
# .trace and .err files from the current output instead of comparing.
#
# Usage: O=build ./tests/run-all.sh build/tests/test_*

O=${O:-build}
MEMFAIL=$O/memfail
passed=0
failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { passed=$((passed + $1)); }
bad() { failed=$((failed + $1)); }

# ---- unit tests ----
for bin in "$@"; do
	"$bin" >"$tmp/unit.out" 2>&1
	rc=$?
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\..*/\1/p' "$tmp/unit.out" | tail -n 1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test(s), listed below:.*/\1/p' "$tmp/unit.out" |
		tail -n 1)
	p=${p:-0}
	f=${f:-0}
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1	# crashed, or a sanitizer report after the tests
	fi
	ok "$p"
	bad "$f"
	if [ "$f" -ne 0 ]; then
		echo "FAIL $bin ($p passed, $f failed, exit $rc):"
		grep -E '^\[  (ERROR|FAILED|  LINE)|ERROR|Sanitizer|runtime error' "$tmp/unit.out" |
			head -n 40
	else
		echo "ok   $bin ($p tests)"
	fi
done

# ---- scenarios ----
# check_scenario MF KERNEL GOLDEN: run MF under the kernel profile KERNEL; its
# exit status must be the "# expect-exit" one and its trace equal GOLDEN.
check_scenario() {
	mf=$1 kernel=$2 golden=$3
	"$MEMFAIL" run --kernel "$kernel" "$mf" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	why=
	if [ "$rc" -eq 77 ] && [ "$want" -eq 0 ]; then
		echo "skip $mf ($kernel): $(head -n 1 "$tmp/out")"
		ok 1
		return
	fi
	[ "$rc" -eq "$want" ] || why="exit $rc, expected $want"
	if [ -n "$UPDATE_GOLDEN" ] && [ -z "$why" ]; then
		update_golden "$golden"
	elif [ -e "$golden" ] && ! cmp -s "$golden" "$tmp/out"; then
		why="${why:+$why; }trace differs from $golden"
	fi
	if [ -n "$why" ]; then
		echo "FAIL $mf ($kernel): $why"
		if [ -e "$golden" ]; then
			diff -u "$golden" "$tmp/out" | head -n 60
		else
			tail -n 20 "$tmp/out"
		fi
		head -n 20 "$tmp/err"
		bad 1
	else
		echo "ok   $mf ($kernel)"
		ok 1
	fi
}

# The 6.12 golden FOO.6.12.trace exists only where it differs from FOO.trace.
update_golden() {
	case $1 in
	*.6.12.trace)
		if cmp -s "$tmp/out" "${1%.6.12.trace}.trace"; then
			rm -f "$1"
		else
			cp "$tmp/out" "$1"
		fi ;;
	*) cp "$tmp/out" "$1" ;;
	esac
}

# Every scenario runs under each kernel its header names ("kernel 6.1 6.12").
for mf in tests/scenarios/*/*.mf; do
	[ -e "$mf" ] || continue
	want=0
	first=$(head -n 1 "$mf")
	case "$first" in
	"# expect-exit: "*) want=${first#"# expect-exit: "} ;;
	esac
	golden=${mf%.mf}.trace
	check_scenario "$mf" 6.1 "$golden"
	grep -qE '(^|; )kernel( [0-9.]+)* 6\.12' "$mf" || continue
	g612=${mf%.mf}.6.12.trace
	if [ -e "$g612" ] || [ -n "$UPDATE_GOLDEN" ] || [ ! -e "$golden" ]; then
		check_scenario "$mf" 6.12 "$g612"
	else
		check_scenario "$mf" 6.12 "$golden"
	fi
done

# ---- parse errors ----
for mf in tests/parse-errors/*.mf; do
	[ -e "$mf" ] || continue
	want=${mf%.mf}.err
	"$MEMFAIL" run "$mf" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	why=
	[ "$rc" -eq 2 ] || why="exit $rc, expected 2"
	if [ -n "$UPDATE_GOLDEN" ] && [ -z "$why" ]; then
		cp "$tmp/err" "$want"
	elif ! cmp -s "$want" "$tmp/err"; then
		why="${why:+$why; }stderr differs from $want"
	fi
	if [ -n "$why" ]; then
		echo "FAIL $mf: $why"
		[ -e "$want" ] && diff -u "$want" "$tmp/err" | head -n 20
		bad 1
	else
		echo "ok   $mf"
		ok 1
	fi
done

# ---- command line ----
for t in tests/cli/*.sh; do
	[ -x "$t" ] || continue
	if MEMFAIL=$MEMFAIL O=$O "$t" >"$tmp/out" 2>&1; then
		echo "ok   $t"
		ok 1
	else
		echo "FAIL $t:"
		head -n 20 "$tmp/out"
		bad 1
	fi
done

# ---- fuzz regressions: inputs that once crashed a fuzz target ----
for bin in $REPLAY; do
	for f in tests/fuzz/regressions/*; do
		[ -f "$f" ] || continue
		if "$bin" "$f" >"$tmp/out" 2>&1; then
			echo "ok   $(basename "$bin") $f"
			ok 1
		else
			echo "FAIL $(basename "$bin") $f:"
			grep -E 'ERROR|SUMMARY|runtime error|invariant' "$tmp/out" | head -n 20
			bad 1
		fi
	done
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
