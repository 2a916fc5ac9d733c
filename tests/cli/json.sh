#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# JSON mode prints only JSON; check parses its options (--json is no file).
. tests/cli/lib.sh
JSONLINES=${JSONLINES:-${O:-build}/tests/jsonlines}

run "$MEMFAIL" run --json --state --log "$SCEN" "$SCEN"
want_rc 0 "run --json --state --log"
"$JSONLINES" <"$T/out" || fail "run --json --state --log: not JSON lines"
want_in "$T/out" '{"event":"state","text":"MemTotal:' "run --json --state"
want_in "$T/out" '{"event":"dmesg"' "run --json --log"
want_in "$T/out" '{"event":"summary"' "run --json, two files"
want_empty "$T/err" "run --json --state --log"

run "$MEMFAIL" run --state "$SCEN"
want_in "$T/out" "--- state ---" "run --state (text)"

run "$MEMFAIL" check --json "$SCEN"
want_rc 0 "check --json FILE"
want_empty "$T/err" "check --json FILE"

printf 'scenario "x"\ntask A\nA: bogus\n' >"$T/bad.mf"
run "$MEMFAIL" check --json "$T/bad.mf"
want_rc 2 "check --json BAD"
"$JSONLINES" <"$T/err" || fail "check --json BAD: error not JSON"
want_in "$T/err" '"line":3,' "check --json BAD"
run "$MEMFAIL" run --json "$T/bad.mf" "$T"
want_rc 2 "run --json BAD DIR"
"$JSONLINES" <"$T/err" || fail "run --json BAD DIR: errors not JSON"

run "$MEMFAIL" check --bogus "$SCEN"
want_rc 2 "check --bogus"
want_in "$T/err" "unrecognized option" "check --bogus"
run "$MEMFAIL" check --json
want_rc 2 "check --json (no file)"
want_in "$T/err" "no scenario file" "check --json (no file)"
run "$MEMFAIL" check -- --json
want_rc 2 "check -- --json"
want_in "$T/err" "--json: error: No such file" "check -- --json"
done_
