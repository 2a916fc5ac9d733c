#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# /init of the memfail conformance guest (busybox ash), put in the initramfs by
# conformance/run.sh. Runs every scenario of /mf/list with /mf/memfail-linux and
# powers off. Each trace, between markers, becomes one record on the results
# disk (/mf/results-disk names the id run.sh wrote in its first block): a
# header block "@@MF-REC LENGTH MD5@@", then the trace padded to 512-byte
# blocks, written and fsynced before the next scenario starts. run.sh reads the
# disk after poweroff and checks every record, so a trace cannot be lost
# silently. The second serial port (ttyS1) gets a live copy (run.sh -v, and
# post-mortems), or, without a results disk (exposure-run.sh), the only copy.
# The console (ttyS0) gets only init's own messages; a live copy of the kernel
# log goes to ttyS2 (kept for post-mortems).
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
/bin/busybox mkdir -p /proc /sys /dev /tmp /mnt/ext4 /sbin /usr/bin /usr/sbin
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t debugfs debugfs /sys/kernel/debug
mount -t tmpfs -o mode=1777 tmpfs /tmp
mkdir -p /dev/shm && mount -t tmpfs tmpfs /dev/shm

say() { echo "mf-init: $*"; }
[ -c /dev/ttyS2 ] && { cat /dev/kmsg > /dev/ttyS2 2>/dev/null & }

for m in $(cat /lib/modules/mf/order); do
	insmod "/lib/modules/mf/$m.ko" || say "insmod $m failed"
done
i=0
while [ ! -b /dev/vda ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
mount -t ext4 /dev/vda /mnt/ext4 || say "mount ext4 failed"
# pmem-run.sh boots: the filesystem QEMU loaded into the legacy pmem, mounted dax=always
if [ -s /mf/pmem ]; then
	i=0
	while [ ! -b /dev/pmem0 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	mkdir -p /mnt/pmem
	case $(cat /mf/pmem) in ext4) pfs=ext4 ;; *) pfs=xfs ;; esac
	mount -t $pfs -o dax=always /dev/pmem0 /mnt/pmem || say "mount pmem ($pfs) failed"
fi
# deterministic machine: no background write-back, no printk ratelimit
sysctl -q -w vm.dirty_writeback_centisecs=0 vm.dirty_expire_centisecs=360000 \
	kernel.printk_ratelimit=0 kernel.printk_ratelimit_burst=10000 >/dev/null
# no background collapse: a khugepaged pass (every 10 s by default) rebuilt a shmem THP that
# tmpfs/thp-soft-offline had split and dropped its page table (retract_page_tables); the model
# has no khugepaged thread, and MADV_COLLAPSE does not need one. Written once: a write wakes it.
for k in scan_sleep_millisecs alloc_sleep_millisecs; do
	echo 2147483647 > /sys/kernel/mm/transparent_hugepage/khugepaged/$k
done
dmesg -n 1

# ttyS1 stays open for the whole run: at a tty's last close the kernel waits for
# its output to drain only until a signal arrives (tty_wait_until_sent is
# interruptible), then drops the rest, and PID 1 gets SIGCHLD at random times
# (busybox timeout's watcher process is reparented to it and exits about a
# second after the runner). An echo per marker, each opening and closing the
# port, lost markers that way under host load.
OUT=/dev/ttyS1
[ -c $OUT ] || OUT=/dev/console
exec 3> $OUT
RES=
if [ -s /mf/results-disk ]; then
	for d in /dev/vdb /dev/vdc /dev/vda; do
		[ -b $d ] && [ "$(head -c 64 $d | head -n 1)" = "$(cat /mf/results-disk)" ] && { RES=$d; break; }
	done
	[ -n "$RES" ] || say "no results disk: traces go to the serial port only"
fi
echo 1 > /tmp/mf-blk
# emit FILE: FILE as one record on the results disk, and its live copy on ttyS1
emit() {
	cat "$1" >&3
	[ -n "$RES" ] || return 0
	n=$(wc -c < "$1")
	sum=$(md5sum < "$1")
	blk=$(cat /tmp/mf-blk)
	echo "@@MF-REC $n ${sum%% *}@@" > /tmp/mf-hdr
	dd if=/tmp/mf-hdr of=$RES bs=512 seek=$blk conv=sync,notrunc,fsync 2>/dev/null &&
		dd if="$1" of=$RES bs=512 seek=$((blk + 1)) conv=sync,notrunc,fsync 2>/dev/null ||
		say "writing the record of $1 failed"
	echo $((blk + 1 + (n + 511) / 512)) > /tmp/mf-blk
}
# mark LINE: a record of one line
mark() {
	echo "$1" > /tmp/mf-mark
	emit /tmp/mf-mark
}
STEP_TIMEOUT=$(cat /mf/step-timeout 2>/dev/null || echo 120)
MF_ARGS=$(cat /mf/args 2>/dev/null)
# A runner stuck in uninterruptible sleep (e.g. waiting for mf_mutex after an oops) survives
# timeout's SIGKILL and would keep the guest up until the host's limit: past the scenario's
# limit (+30 s) the watchdog ends that scenario as "rc=hung" (with what it printed so far)
# and powers off.
watchdog() {
	while sleep 5; do
		read -r t0 f < /tmp/mf-cur 2>/dev/null || continue
		[ -n "$f" ] || continue
		[ $(($(cut -d. -f1 /proc/uptime) - t0)) -gt $((STEP_TIMEOUT + 30)) ] || continue
		cp /tmp/mf-trace /tmp/mf-hung
		echo "@@MF-END $f rc=hung@@ $(cut -d' ' -f1 /proc/uptime)" >> /tmp/mf-hung
		emit /tmp/mf-hung
		mark "@@MF-GUEST-END $(cut -d' ' -f1 /proc/uptime) hung@@"
		sync
		poweroff -f
	done
}
cd /mf/root
mark "@@MF-GUEST-BEGIN $(uname -r) $(cut -d' ' -f1 /proc/uptime)@@"
: > /tmp/mf-cur
watchdog &
while read -r f; do
	[ -n "$f" ] || continue
	echo "$(cut -d. -f1 /proc/uptime) $f" > /tmp/mf-cur
	echo "@@MF-BEGIN $f@@ $(cut -d' ' -f1 /proc/uptime)" > /tmp/mf-trace
	if [ -n "$RES" ]; then
		timeout -s KILL "$STEP_TIMEOUT" /mf/memfail-linux $MF_ARGS "$f" >> /tmp/mf-trace 2>&1
	else
		# no results disk: straight to the port, as the scenario runs
		cat /tmp/mf-trace >&3
		: > /tmp/mf-trace
		timeout -s KILL "$STEP_TIMEOUT" /mf/memfail-linux $MF_ARGS "$f" >&3 2>&1
	fi
	rc=$?
	: > /tmp/mf-cur
	echo "@@MF-END $f rc=$rc@@ $(cut -d' ' -f1 /proc/uptime)" >> /tmp/mf-trace
	emit /tmp/mf-trace
done < /mf/list
mark "@@MF-GUEST-END $(cut -d' ' -f1 /proc/uptime) hwcorrupt=$(grep HardwareCorrupted /proc/meminfo | tr -s ' ' | cut -d' ' -f2)@@"
sync
umount /mnt/ext4 2>/dev/null
poweroff -f
