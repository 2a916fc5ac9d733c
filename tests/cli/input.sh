#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Inputs: only a regular file or a pipe of at most 64 MiB; "-" is standard input.
. tests/cli/lib.sh

run "$MEMFAIL" run "$T"
want_rc 2 "a directory"
want_in "$T/err" "$T: error: a directory, not a scenario file (a regular file or a pipe)" \
	"a directory"

run "$MEMFAIL" check /dev/zero
want_rc 2 "/dev/zero"
want_in "$T/err" "/dev/zero: error: a character device, not a scenario file" "/dev/zero"

run "$MEMFAIL" run "$T/missing.mf"
want_rc 2 "a missing file"
want_in "$T/err" "$T/missing.mf: error: No such file or directory" "a missing file"

# a sparse file over the limit is refused from its size, without reading it
truncate -s 65M "$T/big.mf"
run "$MEMFAIL" check "$T/big.mf"
want_rc 2 "a 65 MiB file"
want_in "$T/err" "big.mf: error: larger than 64 MiB, the limit for a scenario" "a 65 MiB file"

# a pipe is read up to the limit, then refused
head -c 70000000 /dev/zero | "$MEMFAIL" check - >"$T/out" 2>"$T/err"
rc=$?
want_rc 2 "70 MB on a pipe"
want_in "$T/err" "<stdin>: error: larger than 64 MiB" "70 MB on a pipe"

# standard input and a FIFO give the same trace as the file
"$MEMFAIL" run "$SCEN" >"$T/want" 2>&1
"$MEMFAIL" run - <"$SCEN" >"$T/out" 2>&1
rc=$?
want_rc 0 "run - <FILE"
cmp -s "$T/want" "$T/out" || fail "run - <FILE: trace differs"
cat "$SCEN" | "$MEMFAIL" run - >"$T/out" 2>&1
cmp -s "$T/want" "$T/out" || fail "cat FILE | run -: trace differs"
mkfifo "$T/fifo"
cat "$SCEN" >"$T/fifo" &
run "$MEMFAIL" run "$T/fifo"
wait
want_rc 0 "a FIFO"
cmp -s "$T/want" "$T/out" || fail "a FIFO: trace differs"

# a parse error on standard input names <stdin>
printf 'scenario "x"\ntask A\nA: bogus\n' | "$MEMFAIL" check - >"$T/out" 2>"$T/err"
rc=$?
want_rc 2 "a parse error on stdin"
want_in "$T/err" "<stdin>:3:" "a parse error on stdin"

run "$MEMFAIL" check - - </dev/null
want_rc 2 "- twice"
want_in "$T/err" "standard input named twice" "- twice"
done_
