#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# make conformance-exposure: boot Debian's 6.1 once (the conformance guest and
# its cache), run a mixed workload, take a snapshot inside the guest, inject
# up to PER_CLASS pfns of every class it finds (debugfs corrupt-pfn) and
# compare the kernel's "recovery action" line with the class memfail predicted.
# Prints a per-class table and bench: exposure_prediction_accuracy over the
# pfns whose page flags did not change between the snapshot and the injection.
# Only the recovery line is compared; signals and fsync results are not (yet).
set -euo pipefail
cd "$(dirname "$0")/.."
CACHE=/var/tmp/memfail-conformance
KVER=6.1.0-56-amd64
VMLINUZ=$CACHE/kernel/$KVER/boot/vmlinuz-$KVER
PER_CLASS=${PER_CLASS:-25}
base() { ls -t "$CACHE"/initramfs-"$KVER"-*.cpio 2>/dev/null | head -n 1; }
if [[ ! -s $VMLINUZ || -z $(base) ]]; then	# run.sh downloads the kernel, builds the initramfs
	./conformance/run.sh -K conformance/smoke/*.mf >/dev/null 2>&1 || true
fi
[[ -s $VMLINUZ && -n $(base) ]] || { echo "exposure-run: no conformance guest cache" >&2; exit 2; }
RUN=$(mktemp -d "$CACHE/exposure.XXXXXX")
# KEEP=1 keeps the run directory (results.log: the guest's whole output)
trap '[[ ${KEEP:-0} == 1 ]] && echo "kept $RUN" >&2 || rm -rf "$RUN"' EXIT
mkdir -p "$RUN/ov/mf/root"
# static: the guest has no libraries
cc -static -o "$RUN/ov/mf/memfail" build/cli/*.o build/libmemfail.a -ljson-c \
	$(pkg-config --static --libs cairo) -lzstd -lpthread
install -m 0755 conformance/exposure-guest.sh "$RUN/ov/mf/memfail-linux"
echo workload > "$RUN/ov/mf/list"
touch "$RUN/ov/mf/root/workload"
echo 600 > "$RUN/ov/mf/step-timeout"
echo "$PER_CLASS" > "$RUN/ov/mf/args"
(cd "$RUN/ov" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) > "$RUN/ov.cpio"
cat "$(base)" "$RUN/ov.cpio" > "$RUN/initrd"
timeout -k 5 900 qemu-system-x86_64 -nodefaults -no-user-config -nographic -no-reboot \
	-monitor none -machine pc -accel tcg,thread=multi -cpu max -smp 2 -m 1G \
	-kernel "$VMLINUZ" -initrd "$RUN/initrd" \
	-append "console=ttyS0,115200 panic=-1 quiet mitigations=off nokaslr rdinit=/init" \
	-serial null -serial "file:$RUN/results.log" -serial null \
	-drive "file=$CACHE/ext4.img,if=virtio,format=raw,snapshot=on" </dev/null >/dev/null 2>&1 ||
	{ echo "exposure-run: the guest failed" >&2; exit 2; }
tr -d '\r' < "$RUN/results.log" | grep -v '^@@INJ' | grep -v '^@@MF' || true
# the kernel's recovery line each class predicts (mm/memory-failure.c's action_page_types)
{ tr -d '\r' < "$RUN/results.log" | grep '^@@INJ .* :: ' || true; } | awk '
BEGIN {
	want["free"] = "free buddy page: Recovered"
	want["hugetlb_unmapped"] = "free huge page: Recovered"
	want["hugetlb"] = "huge page: Recovered"
	want["thp"] = "LRU page: Recovered"; want["anon"] = "LRU page: Recovered"
	want["mlocked"] = "mlocked LRU page"
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
{
	cls = $2
	if (class_bits(hex($4)) != class_bits(le_bytes($5))) { changed[cls]++; nchanged++; next }
	n[cls]++; total++
	if (cls in want && index($0, want[cls])) { hit[cls]++; hits++ }
	else if (miss[cls] < 2) { miss[cls]++; print "miss: " $0 }
}
END {
	printf "%-18s %8s %8s %8s\n", "class", "injected", "matched", "changed"
	for (c in n) printf "%-18s %8d %8d %8d\n", c, n[c], hit[c], changed[c]
	for (c in changed) if (!(c in n)) printf "%-18s %8d %8d %8d\n", c, 0, 0, changed[c]
	printf "bench: exposure_prediction_accuracy %.1f %% (%d of %d pfns unchanged since the snapshot; %d changed)\n",
		total ? 100 * hits / total : 0, hits, total, nchanged
}'
