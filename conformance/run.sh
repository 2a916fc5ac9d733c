#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# conformance/run.sh - run scenarios on a real Linux 6.1 kernel (Debian's, booted once
# under QEMU TCG) and on the model, and compare the two traces byte for byte.
#
#   conformance/run.sh [options] [FILE.mf ...]     (make conformance)
#
# Scenarios: the FILEs given, else $CONFORMANCE_SUBSET (a name: conformance/NAME-subset.txt,
# e.g. ci; or a path to a list file), else tests/scenarios/*/*.mf and conformance/smoke/*.mf.
# Prints per scenario "match", "skip: reason" or the unified diff (kernel vs model), then
# "N passed, N failed, N skipped" and "bench: conformance_model_vs_kernel_speedup X".
# Exit: 0 when nothing failed; 1 a mismatch; 2 the guest failed (boot, timeout, crash).
#
# Options (environment in brackets):
#   -t SECS   wall-clock limit for the guest: boot + all scenarios + poweroff [CONFORMANCE_TIMEOUT=1200]
#   -T SECS   limit for one scenario inside the guest                      [CONFORMANCE_STEP_TIMEOUT=120]
#   -r        raw mode: guest prints the back end's raw facts; no model, no diff [CONFORMANCE_RAW=1]
#   -K        kernel only: print the guest's traces; no model, no diff      [CONFORMANCE_KERNEL_ONLY=1]
#   -k        keep the run directory (console, kmsg, per-scenario traces)  [CONFORMANCE_KEEP=1]
#   -v        stream the guest console to stderr                           [CONFORMANCE_VERBOSE=1]
# Other environment: CONFORMANCE_CACHE (default /var/tmp/memfail-conformance),
# CONFORMANCE_KERNEL_PKG (default linux-image-6.1.0-56-amd64, else what linux-image-amd64
# depends on), CONFORMANCE_MEM (1G), CONFORMANCE_SMP (2), MEMFAIL (model CLI, build/memfail),
# MEMFAIL_LINUX (runner, build/memfail-linux).
# CONFORMANCE_PMEM=xfs|xfs-normap|ext4 boots with 512M of legacy pmem (memmap=512M!1G, -m 2G)
# holding a fresh filesystem of that kind, mounted dax=always on /mnt/pmem: see
# conformance/pmem-run.sh, which runs each DAX scenario in its own boot.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HERE=$ROOT/conformance
CACHE=${CONFORMANCE_CACHE:-/var/tmp/memfail-conformance}
TIMEOUT=${CONFORMANCE_TIMEOUT:-1200}
STEP_TIMEOUT=${CONFORMANCE_STEP_TIMEOUT:-120}
RAW=${CONFORMANCE_RAW:-0}
KONLY=${CONFORMANCE_KERNEL_ONLY:-0}
KEEP=${CONFORMANCE_KEEP:-0}
VERBOSE=${CONFORMANCE_VERBOSE:-0}
MEM=${CONFORMANCE_MEM:-1G}
SMP=${CONFORMANCE_SMP:-2}
MEMFAIL=${MEMFAIL:-$ROOT/build/memfail}
RUNNER=${MEMFAIL_LINUX:-$ROOT/build/memfail-linux}
DEFAULT_PKG=${CONFORMANCE_KERNEL_PKG:-linux-image-6.1.0-56-amd64}
PKGS=(qemu-system-x86 busybox-static e2fsprogs cpio kmod)
MODULES=(crc32c_generic virtio_pci virtio_blk ext4 hwpoison-inject)
PMEM=${CONFORMANCE_PMEM:-}
if [[ -n $PMEM ]]; then
	MEM=2G	# RAM below and above [1G, 1.5G): a 1536M guest would clip the pmem range
	MODULES+=(nd_e820 nd_pmem)
	[[ $PMEM == ext4 ]] || MODULES+=(xfs)
fi

die() { echo "conformance: $*" >&2; exit 2; }
log() { echo "conformance: $*" >&2; }

while getopts "t:T:rKkvh" opt; do
	case $opt in
	t) TIMEOUT=$OPTARG ;; T) STEP_TIMEOUT=$OPTARG ;; r) RAW=1 ;; K) KONLY=1 ;; k) KEEP=1 ;; v) VERBOSE=1 ;;
	*) sed -n '3,/^set -uo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//' >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
cd "$ROOT" || exit 2

# ---- scenarios -----------------------------------------------------------------------
FILES=()
if (($#)); then
	FILES=("$@")
elif [[ -n ${CONFORMANCE_SUBSET:-} ]]; then
	list=$CONFORMANCE_SUBSET
	[[ -f $list ]] || list=$HERE/$CONFORMANCE_SUBSET-subset.txt
	[[ -f $list ]] || die "no subset list $CONFORMANCE_SUBSET"
	while read -r f _; do
		[[ -z $f || $f == \#* ]] && continue
		FILES+=("$f")
	done < "$list"
else
	shopt -s nullglob
	FILES=(tests/scenarios/*/*.mf conformance/smoke/*.mf)
	shopt -u nullglob
fi
((${#FILES[@]})) || die "no scenarios"
# Each scenario's path inside the guest (GUEST[i] for FILES[i]): a path below the repository
# keeps its name; any other (absolute, or climbing with ..) goes to ext/N/ under its base name.
GUEST=()
for f in "${FILES[@]}"; do
	[[ -f $f ]] || die "no such scenario: $f"
	if [[ $f != /* && $f != *..* ]]; then
		GUEST+=("$f")
	else
		GUEST+=("ext/${#GUEST[@]}/$(basename "$f")")
	fi
done

# ---- packages, kernel, disk image (idempotent) ------------------------------------------
missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
updated=0
if ((${#missing[@]})); then
	[[ $(id -u) == 0 ]] || die "needs Debian packages: sudo apt-get install ${missing[*]}"
	log "installing ${missing[*]}"
	apt-get update -qq >&2 && updated=1
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 ||
		die "apt-get install failed"
fi
mkdir -p "$CACHE/debs" "$CACHE/kernel" || die "cannot create $CACHE"
kdir=
for d in "$CACHE"/kernel/*/; do
	[[ -e $d/.complete && $(basename "$d") == ${DEFAULT_PKG#linux-image-} ]] && kdir=${d%/}
done
if [[ -z $kdir ]]; then
	((updated)) || { apt-get update -qq >&2; updated=1; }
	pkg=$DEFAULT_PKG
	if ! apt-cache show "$pkg" >/dev/null 2>&1; then
		pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-/{print $2; exit}')
	fi
	[[ -n $pkg ]] || die "no Debian 6.1 kernel package found"
	kver=${pkg#linux-image-}
	kdir=$CACHE/kernel/$kver
	if [[ ! -e $kdir/.complete ]]; then
		log "fetching $pkg"
		rm -f "$CACHE"/debs/"$pkg"_*.deb
		(cd "$CACHE/debs" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >/dev/null) ||
			die "apt-get download $pkg failed"
		deb=$(ls "$CACHE"/debs/"$pkg"_*.deb | head -n1)
		rm -rf "$kdir.tmp" && mkdir -p "$kdir.tmp"
		dpkg-deb -x "$deb" "$kdir.tmp" && depmod -b "$kdir.tmp" "$kver" || die "cannot unpack $deb"
		dpkg-deb -f "$deb" Version > "$kdir.tmp/DEB_VERSION"
		rm -rf "$kdir" && mv "$kdir.tmp" "$kdir" && rm -f "$deb"
		touch "$kdir/.complete"
	fi
fi
KVER=$(basename "$kdir")
VMLINUZ=$kdir/boot/vmlinuz-$KVER
[[ -r $VMLINUZ ]] || die "no kernel image $VMLINUZ"
if [[ ! -s $CACHE/ext4.img ]]; then
	truncate -s 128M "$CACHE/ext4.img.tmp" && mkfs.ext4 -q -F -L memfail "$CACHE/ext4.img.tmp" &&
		mv "$CACHE/ext4.img.tmp" "$CACHE/ext4.img" || die "mkfs.ext4 failed"
fi

PMEM_IMG=
if [[ -n $PMEM ]]; then
	PMEM_IMG=$("$HERE/pmem-image.sh" "$PMEM") || die "cannot make the $PMEM pmem image"
fi

# ---- build ----------------------------------------------------------------------------
[[ $RAW == 1 ]] && KONLY=1
# Always (incrementally) rebuilt: a stale runner would test old code. An explicit
# MEMFAIL_LINUX is used as given.
if [[ -z ${MEMFAIL_LINUX:-} ]]; then
	make -s -C "$ROOT" build/memfail-linux $([[ $KONLY == 1 ]] || echo build/memfail) >&2 || die "build failed"
fi
[[ -x $RUNNER ]] || die "no runner at $RUNNER"
readelf -l "$RUNNER" 2>/dev/null | grep -q 'Requesting program interpreter' && die "$RUNNER is not static"

# ---- initramfs: cached base (busybox, init, modules) + per-run overlay --------------------
key=$({ echo "$KVER"; cat "$HERE/guest-init.sh"; echo "${MODULES[*]}"; sha256sum /bin/busybox; } |
	sha256sum | cut -c1-16)
BASE=$CACHE/initramfs-$KVER-$key.cpio
if [[ ! -s $BASE ]]; then
	st=$(mktemp -d "$CACHE/stage.XXXXXX")
	mkdir -p "$st"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,mnt/ext4,lib/modules/mf}
	cp /bin/busybox "$st/bin/busybox" && ln -s busybox "$st/bin/sh"
	install -m 0755 "$HERE/guest-init.sh" "$st/init"
	: > "$st/lib/modules/mf/order"
	for m in "${MODULES[@]}"; do
		modprobe -d "$kdir" -S "$KVER" --show-depends "$m" | awk '$1=="insmod"{print $2}'
	done | awk '!seen[$0]++' | while read -r ko; do
		n=$(basename "$ko" .ko)
		cp "$ko" "$st/lib/modules/mf/$n.ko" && echo "$n" >> "$st/lib/modules/mf/order"
	done
	[[ -s $st/lib/modules/mf/hwpoison-inject.ko ]] || die "hwpoison-inject.ko not in $kdir"
	(cd "$st" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) > "$BASE.tmp" &&
		mv "$BASE.tmp" "$BASE"
	rm -rf "$st"
fi
RUN=$(mktemp -d "$CACHE/run.XXXXXX")
QPID=
cleanup() {
	if [[ $KEEP == 1 ]]; then log "run directory kept: $RUN"; else rm -rf "$RUN"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$RUN/ov/mf/root" "$RUN/out"
install -m 0755 "$RUNNER" "$RUN/ov/mf/memfail-linux"
printf '%s\n' "${GUEST[@]}" > "$RUN/ov/mf/list"
echo "$STEP_TIMEOUT" > "$RUN/ov/mf/step-timeout"
[[ $RAW == 1 ]] && echo "--raw" > "$RUN/ov/mf/args"
[[ -n $PMEM ]] && echo "$PMEM" > "$RUN/ov/mf/pmem"
for i in "${!FILES[@]}"; do
	g=${GUEST[$i]}
	mkdir -p "$RUN/ov/mf/root/$(dirname "$g")" && cp "${FILES[$i]}" "$RUN/ov/mf/root/$g"
done
(cd "$RUN/ov" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) > "$RUN/ov.cpio"
cat "$BASE" "$RUN/ov.cpio" > "$RUN/initrd"

# ---- boot once, run everything --------------------------------------------------------------
CMDLINE="console=ttyS0,115200 panic=-1 quiet mitigations=off nokaslr rdinit=/init memfail.conformance=1"
[[ -n $PMEM ]] && CMDLINE+=" memmap=512M!1G"	# legacy (e820 type 12) pmem at 1G
QEMU=(qemu-system-x86_64 -nodefaults -no-user-config -nographic -no-reboot -monitor none
	-machine pc -accel tcg,thread=multi -cpu max -smp "$SMP" -m "$MEM"
	-kernel "$VMLINUZ" -initrd "$RUN/initrd" -append "$CMDLINE"
	-serial stdio -serial "file:$RUN/results.log" -serial "file:$RUN/kmsg.log"
	-drive "file=$CACHE/ext4.img,if=virtio,format=raw,snapshot=on")
if [[ -n $PMEM ]]; then
	# the kernel never writes a memmap=! range at boot: the loader's copy is what it finds
	QEMU+=(-device "loader,file=$PMEM_IMG,addr=0x40000000,force-raw=on")
fi
log "booting $KVER ($(cat "$kdir/DEB_VERSION" 2>/dev/null)) under TCG for ${#FILES[@]} scenarios"
t0=$(date +%s.%N)
if [[ $VERBOSE == 1 ]]; then
	timeout -k 5 "$TIMEOUT" "${QEMU[@]}" </dev/null 2>"$RUN/qemu.err" | tee "$RUN/console.log" >&2
	qrc=${PIPESTATUS[0]}
else
	timeout -k 5 "$TIMEOUT" "${QEMU[@]}" </dev/null >"$RUN/console.log" 2>"$RUN/qemu.err"
	qrc=$?
fi
t1=$(date +%s.%N)
KSECS=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", b-a}')
tr -d '\r' < "$RUN/results.log" > "$RUN/results.txt"

guest_fail=0
if ! grep -q '^@@MF-GUEST-END' "$RUN/results.txt"; then
	guest_fail=1
	((qrc == 124 || qrc == 137)) && log "guest timed out after ${TIMEOUT}s" || log "guest died (qemu rc=$qrc)"
	tail -n 30 "$RUN/console.log" | tr -d '\r' >&2
	tr -d '\r' < "$RUN/kmsg.log" | awk '/^ /{next} {sub(/^[^;]*;/,""); print}' | tail -n 40 >&2
fi
gb=$(sed -n 's/^@@MF-GUEST-BEGIN [^ ]* \([0-9.]*\)@@$/\1/p' "$RUN/results.txt")
ge=$(sed -n 's/^@@MF-GUEST-END \([0-9.]*\) .*@@$/\1/p' "$RUN/results.txt")
log "guest: wall ${KSECS}s (boot to first scenario ${gb:-?}s of guest time, scenarios end at ${ge:-?}s)"

# split the guest output into one trace per scenario
awk -v dir="$RUN/out" '
	/^@@MF-BEGIN /{ f=$2; sub(/@@$/,"",f); gsub("/","%",f); out=dir "/" f ".kernel"; printf "" > out;
		t0=$3; next }
	/^@@MF-END /{ f=$2; gsub("/","%",f); rc=$3; sub(/^rc=/,"",rc); sub(/@@$/,"",rc);
		printf "%.2f %s\n", $4 - t0, $2 >> (dir "/times");
		print rc > (dir "/" f ".rc"); close(dir "/" f ".rc"); close(out); out=""; next }
	out != "" { print >> out }
' "$RUN/results.txt"

[[ -s $RUN/out/times ]] &&
	log "slowest in the guest (s): $(sort -rn "$RUN/out/times" | head -n 3 | tr '\n' ' ')"

if [[ $KONLY == 1 ]]; then
	for i in "${!FILES[@]}"; do
		f=${FILES[$i]} g=${GUEST[$i]}
		k=$RUN/out/${g//\//%}
		echo "=== $f (linux $KVER$([[ $RAW == 1 ]] && echo ", raw")) rc=$(cat "$k.rc" 2>/dev/null || echo none)"
		cat "$k.kernel" 2>/dev/null
	done
	exit $((guest_fail ? 2 : 0))
fi

# ---- the model on the same scenarios, and the comparison -----------------------------------
m0=$(date +%s.%N)
"$MEMFAIL" run --quiet "${FILES[@]}" >/dev/null 2>&1
m1=$(date +%s.%N)
MSECS=$(awk -v a="$m0" -v b="$m1" 'BEGIN{printf "%.4f", b-a}')
pass=0 fail=0 skip=0
for i in "${!FILES[@]}"; do
	f=${FILES[$i]} g=${GUEST[$i]}
	k=$RUN/out/${g//\//%}
	"$MEMFAIL" run "$f" > "$k.model" 2>&1
	mrc=$?
	krc=$(cat "$k.rc" 2>/dev/null || echo none)
	if [[ $krc == none ]]; then
		echo "$f: no kernel trace (guest did not run it)"
		fail=$((fail + 1))
	elif [[ $krc == 77 || $mrc == 77 ]]; then
		echo "$f: skip: $(grep -m1 -o 'skip.*' "$k.kernel" "$k.model" 2>/dev/null | head -n1 | cut -d: -f2-)"
		skip=$((skip + 1))
	elif cmp -s "$k.kernel" "$k.model" && [[ $krc == "$mrc" ]]; then
		echo "$f: match"
		pass=$((pass + 1))
	else
		echo "$f: MISMATCH (kernel rc=$krc, model rc=$mrc)"
		diff -u --label "$f (linux $KVER)" --label "$f (model)" "$k.kernel" "$k.model"
		fail=$((fail + 1))
	fi
done
echo "$pass passed, $fail failed, $skip skipped"
echo "bench: conformance_model_vs_kernel_speedup $(awk -v k="$KSECS" -v m="$MSECS" 'BEGIN{ if (m <= 0) m = 0.0001; printf "%.0f", k/m }')"
log "kernel ${KSECS}s (boot included), model ${MSECS}s"
((guest_fail)) && exit 2
((fail)) && exit 1
exit 0
