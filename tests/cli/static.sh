#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# The static memfail (Makefile STATIC=1) draws by running its command line in
# memfail-dynamic, next to it (cli/cairo_exec.c): the same plot as the dynamic
# program's, and a clear error when the twin is missing. Under SAN or COV
# memfail is dynamic and draws itself: the same plot either way.
. tests/cli/lib.sh

DYN=$(dirname "$MEMFAIL")/memfail-dynamic
SNAP=tests/snapshots/synthetic.snap
for ext in png svg; do
	run "$MEMFAIL" exposure --summary --plot "$T/a.$ext" "$SNAP"
	want_rc 0 "exposure --plot $ext"
	cp "$T/out" "$T/a.out"
	run "$DYN" exposure --summary --plot "$T/b.$ext" "$SNAP"
	want_rc 0 "memfail-dynamic exposure --plot $ext"
	cmp -s "$T/a.out" "$T/out" || fail "exposure --plot $ext: the summary differs from memfail-dynamic's"
	cmp -s "$T/a.$ext" "$T/b.$ext" || fail "exposure --plot $ext: the plot differs from memfail-dynamic's"
done
case $(head -c 8 "$T/a.png" | od -An -c | tr -d ' ') in
*PNG*) ;;
*) fail "exposure --plot FILE.png wrote no PNG" ;;
esac

if ! ldd "$MEMFAIL" >/dev/null 2>&1; then
	# alone, the static program says what it lacks, before any work
	cp "$MEMFAIL" "$T/memfail"
	run "$T/memfail" exposure --summary --plot "$T/c.png" "$SNAP"
	want_rc 1 "a static memfail without memfail-dynamic"
	want_in "$T/err" "memfail exposure: --plot: cannot load cairo: this memfail is static and draws with $T/memfail-dynamic" \
		"a static memfail without memfail-dynamic"
	want_empty "$T/out" "a static memfail without memfail-dynamic (nothing done)"
	run "$T/memfail" campaign --quiet --db "$T/c.db" --plot "$T/c" tests/campaigns/small.mfc
	want_rc 1 "campaign --plot: a static memfail without memfail-dynamic"
	[ ! -e "$T/c.db" ] || fail "campaign --plot without memfail-dynamic ran its trials"
	# and a scenario runs as it does in the dynamic program
	run "$T/memfail" run "$SCEN"
	cp "$T/out" "$T/s.out"
	run "$DYN" run "$SCEN"
	cmp -s "$T/s.out" "$T/out" || fail "memfail and memfail-dynamic: different traces of $SCEN"
fi
done_
