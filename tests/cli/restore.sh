#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# mf_checkpoint / mf_restore_into over the whole catalogue: every scenario runs
# with MEMFAIL_RESTORE_CHECK=1, so before each step the model back end takes a
# checkpoint, changes the machine (a new process maps and writes memory, a
# machine check hits a free page), restores it in place and goes on. The
# trace and exit status must be the golden ones.
. tests/cli/lib.sh

for mf in tests/scenarios/*/*.mf; do
	golden=${mf%.mf}.trace
	[ -e "$golden" ] || continue
	want=0
	first=$(head -n 1 "$mf")
	case "$first" in
	"# expect-exit: "*) want=${first#"# expect-exit: "} ;;
	esac
	run env MEMFAIL_RESTORE_CHECK=1 "$MEMFAIL" run "$mf"
	[ "$rc" -eq 77 ] && continue
	[ "$rc" -eq "$want" ] || fail "$mf: exit $rc, expected $want: $(head -n 3 "$T/err")"
	cmp -s "$golden" "$T/out" || fail "$mf: trace differs after restores: $(diff "$golden" "$T/out" | head -n 6)"
done
exit $((fails != 0))
