#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Guest side of conformance/exposure-run.sh, installed as /mf/memfail-linux so
# that the conformance /init runs it: a mixed workload, `memfail snapshot`,
# then every sampled pfn injected through debugfs, one "@@INJ" line each with
# the kernel's messages for that pfn. Usage: exposure-guest.sh PER_CLASS PROFILE NAME
# (PROFILE: 6.1 or 6.12, the profile exposure samples with).
#
# Every wait is bounded and says what it waited for when it gives up: the
# workload's start (30 s), its reports after each injection (10 s), each
# write to corrupt-pfn (60 s: a write still running then is stuck in the
# kernel, and the run stops there with "@@INJ-STUCK").
#
# The injecting shell runs a busybox copy on ext4: the initramfs's own busybox
# is tmpfs memory, which the injections poison. Its users, /init and the
# `timeout` that runs this script, are stopped or waiting (a poisoned page
# kills only on access), and this script powers the guest off itself.
per=$1 profile=$2
BB=/mnt/ext4/busybox
cp /bin/busybox $BB
echo 8 > /proc/sys/vm/nr_hugepages
# swap on the ext4 disk (swap cache pages), KSM merging quickly
{ dd if=/dev/zero of=/mnt/ext4/swap bs=1M count=32 && chmod 600 /mnt/ext4/swap &&
	mkswap /mnt/ext4/swap && swapon /mnt/ext4/swap; } >/dev/null 2>&1 || echo "exposure-guest: no swap"
K=/sys/kernel/mm/ksm
[ -d $K ] && echo 1000 > $K/pages_to_scan && echo 10 > $K/sleep_millisecs && echo 1 > $K/run
dd if=/dev/urandom of=/dev/shm/tmpfs-file bs=1M count=8 2>/dev/null
dd if=/dev/urandom of=/mnt/ext4/clean bs=1M count=8 2>/dev/null
sync
cat /mnt/ext4/clean > /dev/null
dd if=/dev/urandom of=/mnt/ext4/dirty bs=1M count=8 2>/dev/null
# an anonymous heap that stays put while the pfns are injected
awk 'BEGIN { s = "x"; for (i = 0; i < 22; i++) s = s s; system("sleep 600") }' &
# every other kind of page, three processes reporting their SIGBUS (exposure-workload.c)
XL=/mnt/ext4/xw.log
/mf/xw /mnt/ext4 &
i=0
until [ "$(grep -c "^READY" $XL 2>/dev/null)" = 3 ]; do
	i=$((i + 1))
	[ $i -le 300 ] && { sleep 0.1; continue; }
	echo "exposure-guest: waited 30 s for the workload's 3 READY lines in $XL, got" \
		"$(grep -c "^READY" $XL 2>/dev/null)"
	break
done
# let KSM merge the workload's mergeable pages (it scans 1000 pages every 10 ms)
sleep 2
HOME=/tmp /mf/memfail snapshot -o /tmp/guest.snap 2>&1
/mf/memfail exposure /tmp/guest.snap --kernel "$profile" --summary
# no user page of the workload's own (exposure-workload.c's OWN lines): an error there ends it
/mf/memfail exposure /tmp/guest.snap --kernel "$profile" --sample "$per" |
	awk -v xl=$XL 'BEGIN { while ((getline l < xl) > 0) { split(l, f, " "); if (f[1] == "OWN") own[f[3]] = 1 } }
		!($1 in own) || $2 ~ /^(reserved|slab|pgtable|kernel|zero_page)$/' > /tmp/samples
# to the host, which predicts with memfail whatif and compares
$BB base64 /tmp/guest.snap | $BB sed "s/^/@@SNAP /"
$BB grep "^READY" $XL | $BB sed "s/^/@@XW /"
$BB grep "^MAP" $XL | $BB sed "s/^/@@XW /"
kill -STOP $PPID
# a new process: this shell's own pages are in the snapshot, and it only waits
$BB sh -c '
BB=$1 XL=$2
XW=$($BB awk "/^READY/ { print \$2 }" $XL)
# after an injection: every live workload process touches its pages; its new log lines
settle() {
	want=0
	for p in $XW; do
		# one that exited (GONE) may be a zombie, which takes the signal and never answers
		case $($BB awk "/^State:/ { print \$2 }" /proc/$p/status 2>/dev/null) in
		"" | Z) continue ;;
		esac
		$BB kill -USR1 $p 2>/dev/null && want=$((want + 1))
	done
	for i in $($BB seq 200); do
		got=$($BB tail -c +$(($1 + 1)) $XL | $BB grep -c "^DONE")
		[ $got -ge $want ] && break
		$BB usleep 50000
	done
	[ $got -ge $want ] || echo "exposure-guest: pfn $2: waited 10 s for DONE from $want workload processes, got $got" >&2
	$BB tail -c +$(($1 + 1)) $XL | $BB grep -v "^DONE" | $BB tr "\n" "|"
}
# write PFN to corrupt-pfn, waiting at most 60 s; 1 if the write is stuck in the kernel
inject() {
	echo "$1" > /sys/kernel/debug/hwpoison/corrupt-pfn 2>/dev/null &
	w=$!
	for i in $($BB seq 600); do
		$BB kill -0 $w 2>/dev/null || { wait $w; return 0; }
		$BB usleep 100000
	done
	echo "@@INJ-STUCK $1: the write to corrupt-pfn has not returned after 60 s"
	return 1
}
flags() {
	$BB dd if=/proc/kpageflags bs=8 skip="$1" count=1 2>/dev/null | $BB od -A n -t x1 | $BB tr -d " \n"
}
# in memory: the file is tmpfs, which the injections poison
S=$($BB cat /tmp/samples)
# kernel pages last: they stay poisoned while in use
ok=1
for pass in user kernel; do
	echo "$S" | while read -r pfn cls then; do
		case $cls in reserved|slab|pgtable|kernel|zero_page) k=kernel ;; *) k=user ;; esac
		[ $k = $pass ] || continue
		x=$(printf "0x%x" "$pfn")
		# the flags now and after, as little-endian bytes: the host tells changed pages apart
		now=$(flags $pfn)
		off=$($BB wc -c < $XL)
		inject "$pfn" || exit 1
		after=$(flags $pfn)
		sigs=
		[ $pass = user ] && sigs=$(settle $off $x)
		msg=$($BB dmesg | $BB grep "$x[: ]" | $BB sed "s/^\[[^]]*\] //" | $BB tr "\n" "|")
		echo "@@INJ $cls $x $then $now $after :: $msg :: $sigs"
	done || { ok=0; break; }
done
[ $ok = 1 ] && echo "@@INJ-DONE@@"
$BB sync
$BB poweroff -f' sh $BB $XL
