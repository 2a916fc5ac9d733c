#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# /init of the memfail conformance guest (busybox ash), put in the initramfs by
# conformance/run.sh. Runs every scenario of /mf/list with /mf/memfail-linux,
# writing each trace between markers on the second serial port (ttyS1), then
# powers off. The console (ttyS0) gets only init's own messages; a live copy
# of the kernel log goes to ttyS2 (kept for post-mortems).
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
dmesg -n 1

OUT=/dev/ttyS1
[ -c $OUT ] || OUT=/dev/console
STEP_TIMEOUT=$(cat /mf/step-timeout 2>/dev/null || echo 120)
MF_ARGS=$(cat /mf/args 2>/dev/null)
# A runner stuck in uninterruptible sleep (e.g. waiting for mf_mutex after an oops) survives
# timeout's SIGKILL and would keep the guest up until the host's limit: past the scenario's
# limit (+30 s) the watchdog ends that scenario as "rc=hung" and powers off.
watchdog() {
	while sleep 5; do
		read -r t0 f < /tmp/mf-cur 2>/dev/null || continue
		[ -n "$f" ] || continue
		[ $(($(cut -d. -f1 /proc/uptime) - t0)) -gt $((STEP_TIMEOUT + 30)) ] || continue
		echo "@@MF-END $f rc=hung@@ $(cut -d' ' -f1 /proc/uptime)" > $OUT
		echo "@@MF-GUEST-END $(cut -d' ' -f1 /proc/uptime) hung@@" > $OUT
		sync
		poweroff -f
	done
}
cd /mf/root
echo "@@MF-GUEST-BEGIN $(uname -r) $(cut -d' ' -f1 /proc/uptime)@@" > $OUT
: > /tmp/mf-cur
watchdog &
while read -r f; do
	[ -n "$f" ] || continue
	echo "$(cut -d. -f1 /proc/uptime) $f" > /tmp/mf-cur
	echo "@@MF-BEGIN $f@@ $(cut -d' ' -f1 /proc/uptime)" > $OUT
	timeout -s KILL "$STEP_TIMEOUT" /mf/memfail-linux $MF_ARGS "$f" > $OUT 2>&1
	rc=$?
	echo "@@MF-END $f rc=$rc@@ $(cut -d' ' -f1 /proc/uptime)" > $OUT
	: > /tmp/mf-cur
done < /mf/list
echo "@@MF-GUEST-END $(cut -d' ' -f1 /proc/uptime) hwcorrupt=$(grep HardwareCorrupted /proc/meminfo | tr -s ' ' | cut -d' ' -f2)@@" > $OUT
sync
umount /mnt/ext4 2>/dev/null
poweroff -f
