#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# memfail whatif on the saved snapshots (docs/exposure.md, "whatif"): the
# traces of a sample of pfns of every class against tests/snapshots/*.whatif
# (UPDATE_GOLDEN=1 rewrites them: review the diff), every outcome agreeing
# with exposure's class (exit 0), the other injections, and bad inputs.
. tests/cli/lib.sh

# NAME:K[:PROFILE]: K sampled pfns of tests/snapshots/NAME.snap, predicted as PROFILE
for s in synthetic:40 guest-6.1:40 guest-6.12:40:6.12 dev-vm-6.18:24; do
	name=${s%%:*} k=${s#*:} profile=6.1
	case $k in *:*) profile=${k#*:} k=${k%%:*} ;; esac
	snap=tests/snapshots/$name.snap
	run "$MEMFAIL" whatif --kernel "$profile" --sample "$k" "$snap"
	want_rc 0 "whatif --sample on $name (a disagreement with exposure?)"
	want_empty "$T/err" "whatif on $name"
	if [ -n "$UPDATE_GOLDEN" ]; then
		cp "$T/out" "tests/snapshots/$name.whatif"
	elif ! cmp -s "$T/out" "tests/snapshots/$name.whatif"; then
		fail "whatif on $name differs from tests/snapshots/$name.whatif: \
$(diff "tests/snapshots/$name.whatif" "$T/out" | head -n 20)"
	fi
done

G=tests/snapshots/guest-6.1.snap
# pfn 0xc205: a page of the awk heap (pid 148) in guest-6.1.snap
run "$MEMFAIL" whatif --pfn 0xc205 --ar 148 "$G"
want_rc 0 "whatif --ar"
want_in "$T/out" "step 1 mce ar 0xc205 awk[148] = ok" "whatif --ar step"
want_in "$T/out" "killed awk[148] SIGBUS" "whatif --ar kills the consumer"
want_in "$T/out" "user-access at c205000" "whatif --ar: the snapshot's physical address"
run "$MEMFAIL" whatif --pfn 0xc205 --early-kill 148 "$G"
want_rc 0 "whatif --early-kill"
want_in "$T/out" "#  - awk[148] has per-task early kill (--early-kill)" "whatif --early-kill assumption"
want_in "$T/out" "Sending SIGBUS to awk:148" "whatif --early-kill: an AO kill at once"
want_in "$T/out" "killed awk[148] SIGBUS" "whatif --early-kill: awk does not catch it"
run "$MEMFAIL" whatif --pfn 0xc205 --madvise 148 "$G"
want_rc 0 "whatif --madvise"
want_in "$T/out" "at process virtual address 0x7f5517c98000" "whatif --madvise address"
run "$MEMFAIL" whatif --pfn 0xc205 --json "$G"
want_rc 0 "whatif --json"
want_in "$T/out" '"class":"anon"' "whatif --json class"
"$O/tests/jsonlines" <"$T/out" >/dev/null 2>&1 || fail "whatif --json: not JSON lines"

# bad inputs: clear errors, exit 1 (2 for usage)
run "$MEMFAIL" whatif --pfn 0x99999999 "$G"
want_rc 1 "whatif on a pfn beyond the snapshot"
want_in "$T/err" "is beyond the snapshot's" "whatif on a pfn beyond the snapshot"
run "$MEMFAIL" whatif --pfn 0xab "$G"
want_rc 1 "whatif on a pfn that is not RAM"
want_in "$T/err" "pfn 0xab is not RAM in the snapshot" "whatif on a pfn that is not RAM"
run "$MEMFAIL" whatif --pfn 0xc205 --ar 4242 "$G"
want_rc 1 "whatif --ar on a process that does not map the pfn"
want_in "$T/err" "process 4242 does not map it" "whatif --ar wrong process"
head -c 3000 "$G" >"$T/trunc.snap"
run "$MEMFAIL" whatif --pfn 1 "$T/trunc.snap"
want_rc 1 "whatif on a truncated snapshot"
want_in "$T/err" "truncated: section KPFL" "whatif on a truncated snapshot"
run "$MEMFAIL" whatif --pfn 1 "$T/none.snap"
want_rc 1 "whatif on a missing file"
run "$MEMFAIL" whatif "$G"
want_rc 2 "whatif without --pfn"
want_in "$T/err" "never injected into the live machine" "whatif usage"
run "$MEMFAIL" whatif --pfn 1 --sample 3 "$G"
want_rc 2 "whatif with both --pfn and --sample"
run "$MEMFAIL" whatif --pfn 1 --kernel 6.5 "$G"
want_rc 2 "whatif --kernel 6.5"
want_in "$T/err" "no '6.5' profile" "whatif --kernel 6.5"
run "$MEMFAIL" whatif --pfn x1 "$G"
want_rc 2 "whatif --pfn x1"

# exposure --kernel: the 6.12 profile names itself; an unknown one is a usage error
run "$MEMFAIL" exposure --kernel 6.12 --summary tests/snapshots/guest-6.12.snap
want_rc 0 "exposure --kernel 6.12"
want_in "$T/out" "predicted with the 6.12 profile" "exposure --kernel 6.12"
run "$MEMFAIL" exposure --kernel 5.10 --summary "$G"
want_rc 2 "exposure --kernel 5.10"
done_
