#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# make conformance-exposure [KERNEL=6.12]: boot Debian's 6.1 (or 6.12) once (the
# conformance guest and its cache), run a mixed workload, take a snapshot inside
# the guest, inject up to PER_CLASS pfns of every class it finds (debugfs
# corrupt-pfn) and compare the kernel's "recovery action" line with the class
# memfail predicted with that kernel's profile (exposure --kernel).
# Prints a per-class table and bench: exposure_prediction_accuracy over the
# pfns whose page flags did not change between the snapshot and the injection.
# Per pfn it compares the recovery line (with the class), the SIGBUS each
# workload process reports (AO or AR, with memfail whatif's trace) and the fsync
# result of the workload's dirty file (EIO for its own dirty pages).
# Exit 0 when the guest injected every sampled pfn and at least MIN_ACCURACY
# percent (default 99) agree; 1 otherwise; 2 when the guest cannot run.
# Every wait is bounded: the guest's (exposure-guest.sh) say what they waited
# for, and a guest that has not powered off after 900 s is stopped and reported
# with how far it got.
set -euo pipefail
cd "$(dirname "$0")/.."
CACHE=/var/tmp/memfail-conformance
PROFILE=${CONFORMANCE_KERNEL:-6.1}
case $PROFILE in 6.1 | 6.12) ;; *) echo "exposure-run: KERNEL must be 6.1 or 6.12" >&2; exit 2 ;; esac
PER_CLASS=${PER_CLASS:-25}
MIN_ACCURACY=${MIN_ACCURACY:-99}
QEMU_LIMIT=900
# the kernel run.sh unpacked for CONFORMANCE_KERNEL: its directory holds KVER
kdir() { ls -d "$CACHE/kernel/$PROFILE".* 2>/dev/null | head -n 1; }
kver() { cat "$(kdir)/KVER" 2>/dev/null || basename "$(kdir)"; }
base() { ls -t "$CACHE"/initramfs-"$(kver)"-*.cpio 2>/dev/null | head -n 1; }
vmlinuz() { echo "$(kdir)/boot/vmlinuz-$(kver)"; }
if [[ -z $(kdir) || ! -s $(vmlinuz) || -z $(base) ]]; then	# run.sh downloads the kernel, builds the initramfs
	CONFORMANCE_KERNEL=$PROFILE ./conformance/run.sh -K conformance/smoke/*.mf >/dev/null 2>&1 || true
fi
[[ -n $(kdir) && -s $(vmlinuz) && -n $(base) ]] ||
	{ echo "exposure-run: no conformance guest cache for $PROFILE" >&2; exit 2; }
KVER=$(kver)
VMLINUZ=$(vmlinuz)
RUN=$(mktemp -d "$CACHE/exposure.XXXXXX")
# KEEP=1 keeps the run directory (results.log: the guest's whole output)
trap '[[ ${KEEP:-0} == 1 ]] && echo "kept $RUN" >&2 || rm -rf "$RUN"' EXIT
mkdir -p "$RUN/ov/mf/root"
# static: the guest has no libraries (a build without MPI, which has no static library)
make -s -j2 O=build/guest MPI=0 build/guest/memfail
make -s -j2 build/memfail
G=build/guest
cc -static -o "$RUN/ov/mf/memfail" $G/cli/*.o $G/libmfcampaign.a $G/libmfscenario.a \
	$G/libmemfail.a -ljson-c $(pkg-config --static --libs cairo) -lzstd -lsqlite3 -lpthread \
	-lm 2>/dev/null || { echo "exposure-run: cannot link a static memfail" >&2; exit 2; }
cc -std=gnu11 -O2 -Wall -Wextra -Werror -static -o "$RUN/ov/mf/xw" conformance/exposure-workload.c
install -m 0755 conformance/exposure-guest.sh "$RUN/ov/mf/memfail-linux"
echo workload > "$RUN/ov/mf/list"
touch "$RUN/ov/mf/root/workload"
echo 600 > "$RUN/ov/mf/step-timeout"
echo "$PER_CLASS $PROFILE" > "$RUN/ov/mf/args"
(cd "$RUN/ov" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) > "$RUN/ov.cpio"
cat "$(base)" "$RUN/ov.cpio" > "$RUN/initrd"
echo "exposure-run: booting $KVER (profile $PROFILE), at most $QEMU_LIMIT s" >&2
qrc=0
timeout -k 5 $QEMU_LIMIT qemu-system-x86_64 -nodefaults -no-user-config -nographic -no-reboot \
	-monitor none -machine pc -accel tcg,thread=multi -cpu max -smp 2 -m 1G \
	-kernel "$VMLINUZ" -initrd "$RUN/initrd" \
	-append "console=ttyS0,115200 panic=-1 quiet mitigations=off nokaslr rdinit=/init" \
	-serial null -serial "file:$RUN/results.log" -serial null \
	-drive "file=$CACHE/ext4.img,if=virtio,format=raw,snapshot=on" </dev/null >/dev/null 2>&1 || qrc=$?
tr -d '\r' < "$RUN/results.log" > "$RUN/guest.log"
grep -v '^@@INJ \|^@@MF\|^@@SNAP\|^@@XW\|^@@INJ-DONE' "$RUN/guest.log" || true
# how far the guest got, when it did not finish
nready=$(grep -c "^@@XW READY" "$RUN/guest.log" || true)
ninj=$(grep -c '^@@INJ ' "$RUN/guest.log" || true)
complete=1
if ! grep -q '^@@INJ-DONE@@' "$RUN/guest.log"; then
	complete=0
	if ((qrc == 124 || qrc == 137)); then
		echo "exposure-run: the guest had not powered off after $QEMU_LIMIT s (stopped)" >&2
	elif grep -q 'rc=hung@@' "$RUN/guest.log"; then
		echo "exposure-run: the guest's watchdog ended the run (step limit $(cat "$RUN/ov/mf/step-timeout") s + 30)" >&2
	else
		echo "exposure-run: the guest powered off (qemu rc=$qrc) before injecting every pfn" >&2
	fi
	grep -q '^@@SNAP ' "$RUN/guest.log" || { echo "exposure-run: no snapshot came from the guest (workload READY lines: $nready)" >&2; exit 1; }
	echo "exposure-run: $ninj pfns injected; the guest's last lines:" >&2
	grep -v '^@@SNAP\|^@@XW' "$RUN/guest.log" | tail -n 5 | cut -c 1-300 >&2
fi
# the model's prediction: memfail whatif on the guest's snapshot, told the early-kill task
sed -n 's/^@@SNAP //p' "$RUN/guest.log" | base64 -d > "$RUN/guest.snap"
# SAVE_SNAP=FILE keeps the guest's snapshot (tests/snapshots/guest-*.snap)
[[ -n ${SAVE_SNAP:-} ]] && cp "$RUN/guest.snap" "$SAVE_SNAP"
early=$(awk '/^@@XW READY .* xw-early/ { print $3 }' "$RUN/guest.log")
pfns=$(awk '/^@@INJ .* :: / { printf " --pfn %s", $3 }' "$RUN/guest.log")
# shellcheck disable=SC2086
build/memfail whatif --kernel "$PROFILE" ${early:+--early-kill $early} $pfns "$RUN/guest.snap" > "$RUN/whatif.out" 2>&1 || true
# the kernel's recovery line each class predicts (mm/memory-failure.c's action_page_types)
{ cat "$RUN/whatif.out"; grep '^@@INJ .* :: \|^@@XW' "$RUN/guest.log" || true; } |
	awk -v profile="$PROFILE" -v complete=$complete -v min="$MIN_ACCURACY" '
BEGIN {
	want["free"] = "free buddy page: Recovered"
	want["hugetlb_unmapped"] = "free huge page: Recovered"
	want["hugetlb"] = "huge page: Recovered"
	want["thp"] = "LRU page: Recovered"; want["anon"] = "LRU page: Recovered"
	want["mlocked"] = "dirty LRU page: Recovered"
	want["shmem"] = "dirty LRU page: Recovered"
	want["file_dirty"] = "dirty LRU page: Recovered"
	want["file_clean"] = "clean LRU page: Recovered"
	want["swapcache_dirty"] = "dirty swapcache page"
	want["swapcache_clean"] = "clean swapcache page"
	want["ksm"] = "unmapping failed page"
	want["hwpoison"] = "already hardware poisoned"
	want["dax"] = "dax page"
	split("reserved slab pgtable kernel zero_page", k, " ")
	for (i in k) want[k[i]] = "unknown page: Ignored"
	# 6.12: a failed get_hwpoison_page has a line of its own; KSM pages are anonymous ones
	if (profile == "6.12") for (i in k) want[k[i]] = "get hwpoison page: Ignored"
	if (profile == "6.12") want["hwpoison"] = "already poisoned page"
}
# the bits that decide a class (not THP: splitting a THP, as an injection into
# it does, leaves anonymous pages of the same outcome); a page whose bits
# changed between the snapshot and its injection is counted apart, not as a miss
function class_bits(v,    b, r, i) {
	split("4 5 7 10 12 13 14 17 20 21 24 26 32 33", b, " ")
	r = ""
	for (i = 1; i in b; i++) r = r (int(v / 2 ^ b[i]) % 2)
	return r
}
function le_bytes(s,    v, i) {
	v = 0
	for (i = length(s) - 1; i >= 1; i -= 2) v = v * 256 + hex(substr(s, i, 2))
	return v
}
function hex(s,    v, i) {
	v = 0
	for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
	return v
}
# whatif trace: per pfn, the first signal code of each workload process
/^whatif pfn / { wp = $3; sub(":", "", wp); next }
# (an AR comes on access: only for pages the workload touches, those in its table)
/^  signal xw-/ { model_sig(wp, $2, $4 ~ /AO/ ? "AO" : "AR"); next }
/^step [0-9]+ xw-.*= SIGBUS/ { model_sig(wp, $3, $(NF - 2) ~ /AO/ ? "AO" : "AR"); next }
/^@@XW READY/ { next }
/^@@XW MAP/ { touched[$3, $5] = 1; if ($4 == 6) dirtyfile[$5] = 1; next }
/^@@INJ/ {
	cls = $2
	# a kernel page whose kind changed by just after the injection (a page table
	# the harness'"'"'s own short-lived processes freed meanwhile) changed too
	if (class_bits(hex($4)) != class_bits(le_bytes($5)) ||
	    (cls ~ /^(reserved|slab|pgtable)$/ && class_bits(hex($4)) != class_bits(le_bytes($6)))) {
		changed[cls]++; nchanged++
		# kpageflags cannot tell a free page on a per-CPU list from a kernel page
		if (cls == "kernel" && index($0, "free buddy page")) pcp++
		next
	}
	n[cls]++; total++
	split($0, part, " :: ")
	# observed: the first signal code of each workload process, fsync errors
	obs = ""; fs = 0; split("", seen)
	m = split(part[3], ev, "|")
	for (i = 1; i <= m; i++) {
		split(ev[i], f, " ")
		# an AR in the workload'\''s own memory (not its test pages) ends it: not compared
		if (f[1] == "SIG" && f[3] == "AR" && f[4] == "0") continue
		if (f[1] == "SIG" && !(f[2] in seen)) { seen[f[2]] = 1; obs = obs " " f[2] ":" f[3] }
		if (f[1] == "FSYNC" && f[3] == 5) fs = 1
	}
	line = (cls in want) && index(part[2], want[cls]) > 0
	pred = ""
	nk = split(mpred[$3], pp, " ")
	for (i = 1; i <= nk; i++) {
		split(pp[i], q, ":")
		if (q[2] == "AO" || (q[1], $3) in touched) pred = pred " " pp[i]
	}
	sig = sorted(obs) == sorted(pred)
	fsok = fs == (cls == "file_dirty" && ($3 in dirtyfile))
	lhit[cls] += line; shit[cls] += sig; fhit[cls] += fsok
	if (line && sig && fsok) { hit[cls]++; hits++ }
	else if (miss[cls]++ < 3)
		print "miss: " cls " " $3 (line ? "" : " [line]") (sig ? "" : " [signals: guest" obs ", model" pred "]") (fsok ? "" : " [fsync]") " :: " part[2] " :: " part[3]
}
function model_sig(pfn, who, c,    p) {
	p = who; sub(/.*\[/, "", p); sub(/\].*/, "", p)
	if ((pfn, p) in pc) return
	pc[pfn, p] = c
	mpred[pfn] = mpred[pfn] " " p ":" c
}
function sorted(s,    a, k, i, j, t, r) {
	k = split(s, a, " ")
	for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
	r = ""
	for (i = 1; i <= k; i++) r = r " " a[i]
	return r
}
END {
	printf "%-18s %8s %8s %8s %8s %8s %8s\n", "class", "injected", "line", "signals", "fsync", "all", "changed"
	for (c in n) printf "%-18s %8d %8d %8d %8d %8d %8d\n", c, n[c], lhit[c], shit[c], fhit[c], hit[c], changed[c]
	for (c in changed) if (!(c in n)) printf "%-18s %8d %8d %8d %8d %8d %8d\n", c, 0, 0, 0, 0, 0, changed[c]
	printf "bench: exposure_prediction_accuracy %.1f %% (%d of %d pfns unchanged since the snapshot: recovery line, signals per process, fsync; %d changed)\n",
		total ? 100 * hits / total : 0, hits, total, nchanged
	printf "counting the %d \"kernel: other\" pfns that were free pages on per-CPU lists as misses: %.1f %% (%d of %d)\n",
		pcp, 100 * hits / (total + pcp), hits, total + pcp
	if (!complete) print "exposure-run: incomplete run (see above): not a pass"
	exit !(complete && total && 100 * hits / total >= min)
}'
