# SPDX-License-Identifier: GPL-2.0-only
# Helpers of the CLI tests (sourced). Each test script checks one area of
# memfail's command line; it prints "FAIL: ..." lines and exits 1 on any
# failed check, else 0. MEMFAIL is the binary, T a fresh temporary directory.

MEMFAIL=${MEMFAIL:-build/memfail}
SCEN=tests/scenarios/anon/already-poisoned.mf
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0

fail() {
	echo "FAIL: $*"
	fails=$((fails + 1))
}

# run CMD...: runs it, stdout in $T/out, stderr in $T/err, status in $rc
run() {
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
}

want_rc() {
	[ "$rc" -eq "$1" ] || fail "$2: exit $rc, expected $1 ($(head -c 300 "$T/err"))"
}

# want_in FILE TEXT WHAT: FILE ($T/out or $T/err) contains TEXT
want_in() {
	grep -qF -- "$2" "$1" || fail "$3: no '$2' in $(basename "$1"): $(head -c 300 "$1")"
}

want_empty() {
	[ ! -s "$1" ] || fail "$2: $(basename "$1") not empty: $(head -c 300 "$1")"
}

done_() {
	[ "$fails" -eq 0 ]
	exit $?
}
