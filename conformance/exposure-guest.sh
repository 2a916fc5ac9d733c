#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Guest side of conformance/exposure-run.sh, installed as /mf/memfail-linux so
# that the conformance /init runs it: a mixed workload, `memfail snapshot`,
# then every sampled pfn injected through debugfs, one "@@INJ" line each with
# the kernel's messages for that pfn. Usage: exposure-guest.sh PER_CLASS NAME
#
# The injecting shell runs a busybox copy on ext4: the initramfs's own busybox
# is tmpfs memory, which the injections poison. Its users, /init and the
# `timeout` that runs this script, are stopped or waiting (a poisoned page
# kills only on access), and this script powers the guest off itself.
per=$1
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
sleep 4
HOME=/tmp /mf/memfail snapshot -o /tmp/guest.snap 2>&1
/mf/memfail exposure /tmp/guest.snap --summary
/mf/memfail exposure /tmp/guest.snap --sample "$per" > /tmp/samples
# to the host, which predicts with memfail whatif and compares
$BB base64 /tmp/guest.snap | $BB sed "s/^/@@SNAP /"
$BB grep "^READY" $XL | $BB sed "s/^/@@XW /"
$BB grep "^MAP" $XL | $BB sed "s/^/@@XW /"
kill -STOP $PPID
# a new process: this shell's own pages are in the snapshot, and it only waits
$BB sh -c '
BB=$1 XL=$2
XW=$($BB awk "/^READY/ { print \$2 }" $XL)
# after an injection: every workload process touches its pages; its new log lines
settle() {
	want=0
	for p in $XW; do $BB kill -USR1 $p 2>/dev/null && want=$((want + 1)); done
	for i in $($BB seq 40); do
		[ $($BB tail -c +$(($1 + 1)) $XL | $BB grep -c "^DONE") -ge $want ] && break
		$BB usleep 50000
	done
	$BB tail -c +$(($1 + 1)) $XL | $BB grep -v "^DONE" | $BB tr "\n" "|"
}
# in memory: the file is tmpfs, which the injections poison
S=$($BB cat /tmp/samples)
# kernel pages last: they stay poisoned while in use
for pass in user kernel; do
	echo "$S" | while read -r pfn cls then; do
		case $cls in reserved|slab|pgtable|kernel|zero_page) k=kernel ;; *) k=user ;; esac
		[ $k = $pass ] || continue
		x=$(printf "0x%x" "$pfn")
		# the flags now, as little-endian bytes: the host tells changed pages apart
		now=$($BB dd if=/proc/kpageflags bs=8 skip="$pfn" count=1 2>/dev/null |
			$BB od -A n -t x1 | $BB tr -d " \n")
		off=$($BB wc -c < $XL)
		echo "$pfn" > /sys/kernel/debug/hwpoison/corrupt-pfn 2>/dev/null
		sigs=
		[ $pass = user ] && sigs=$(settle $off)
		msg=$($BB dmesg | $BB grep "$x[: ]" | $BB sed "s/^\[[^]]*\] //" | $BB tr "\n" "|")
		echo "@@INJ $cls $x $then $now :: $msg :: $sigs"
	done
done
echo "@@INJ-DONE@@"
$BB sync
$BB poweroff -f' sh $BB $XL
