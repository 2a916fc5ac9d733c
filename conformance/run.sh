#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# conformance/run.sh - run scenarios on a real Linux kernel (Debian's 6.1 or 6.12, or one you
# built; booted once under QEMU TCG) and on the model, and compare the two traces byte for byte.
#
#   conformance/run.sh [options] [FILE.mf ...]     (make conformance [KERNEL=6.12])
#
# Scenarios: the FILEs given, else $CONFORMANCE_SUBSET (a name: conformance/NAME-subset.txt,
# e.g. ci; or a path to a list file), else tests/scenarios/*/*.mf and conformance/smoke/*.mf.
# Prints per scenario "match", "skip: reason" or the unified diff (kernel vs model), then
# "N passed, N failed, N skipped", "bench: conformance_model_vs_kernel_speedup X" (the model
# in one process) and "bench: conformance_model_vs_kernel_speedup_process_each X".
# Exit: 0 when nothing failed; 1 a mismatch; 2 the guest failed (boot, timeout, crash).
#
# Options (environment in brackets):
#   -t SECS   wall-clock limit for the guest: boot + all scenarios + poweroff [CONFORMANCE_TIMEOUT=1200]
#   -T SECS   limit for one scenario inside the guest                      [CONFORMANCE_STEP_TIMEOUT=120]
#   -r        raw mode: guest prints the back end's raw facts; no model, no diff [CONFORMANCE_RAW=1]
#   -K        kernel only: print the guest's traces; no model, no diff      [CONFORMANCE_KERNEL_ONLY=1]
#   -o DIR    save each kernel trace (scenarios that ran) as DIR/NAME.trace, NAME: the
#             scenario's path without .mf, tests/scenarios/ or conformance/  [CONFORMANCE_SAVE]
#   -g DIR    compare with the traces saved in DIR (-o) instead of the model [CONFORMANCE_GOLDEN]
#   --tap     TAP 13 as kselftest prints it (diffs and logs as "# " lines) [CONFORMANCE_TAP=1]
#   -k        keep the run directory (console, kmsg, per-scenario traces)  [CONFORMANCE_KEEP=1]
#   -v        stream the guest console to stderr                           [CONFORMANCE_VERBOSE=1]
# The kernel:
#   CONFORMANCE_KERNEL=6.1|6.12 (make KERNEL=): Debian's package, 6.1 (default:
#     linux-image-6.1.0-56-amd64, else what linux-image-amd64 depends on) or 6.12
#     (linux-image-6.12.118+deb12-amd64-unsigned, else the newest 6.12 -unsigned package);
#     CONFORMANCE_KERNEL_PKG names another package.
#   KERNEL_IMAGE=.../bzImage [KERNEL_MODULES=.../lib/modules/VERSION]: a kernel you built
#     (no KERNEL_MODULES: everything needed is built in; see conformance/README.md).
#   PROFILE=6.1|6.12: the model profile to compare with (default: the kernel's version).
#     When the model has no such profile, the comparison uses conformance/traces-PROFILE
#     (real-kernel traces saved with -o) if it exists.
# Other environment: CONFORMANCE_CACHE (default /var/tmp/memfail-conformance),
# CONFORMANCE_MEM (1G), CONFORMANCE_SMP (2), MEMFAIL (model CLI, build/memfail),
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
KSEL=${CONFORMANCE_KERNEL:-6.1}
KIMAGE=${KERNEL_IMAGE:-}
KMODS=${KERNEL_MODULES:-}
PROFILE=${PROFILE:-}
SAVE=${CONFORMANCE_SAVE:-}
GOLDEN=${CONFORMANCE_GOLDEN:-}
TAP=${CONFORMANCE_TAP:-0}
PKGS=(qemu-system-x86 busybox-static e2fsprogs cpio kmod xz-utils)
MODULES=(crc32c_generic virtio_pci virtio_blk ext4 hwpoison-inject)
PMEM=${CONFORMANCE_PMEM:-}
if [[ -n $PMEM ]]; then
	MEM=2G	# RAM below and above [1G, 1.5G): a 1536M guest would clip the pmem range
	MODULES+=(nd_e820 nd_pmem)
	[[ $PMEM == ext4 ]] || MODULES+=(xfs)
fi

die() { echo "conformance: $*" >&2; exit 2; }
log() { echo "conformance: $*" >&2; }

args=()
for a in "$@"; do
	if [[ $a == --tap ]]; then TAP=1; else args+=("$a"); fi
done
set -- "${args[@]}"
while getopts "t:T:rKo:g:kvh" opt; do
	case $opt in
	t) TIMEOUT=$OPTARG ;; T) STEP_TIMEOUT=$OPTARG ;; r) RAW=1 ;; K) KONLY=1 ;; k) KEEP=1 ;; v) VERBOSE=1 ;;
	o) SAVE=$OPTARG ;; g) GOLDEN=$OPTARG ;;
	*) sed -n '3,/^set -uo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//' >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
cd "$ROOT" || exit 2

# ---- scenarios -----------------------------------------------------------------------
FILES=() CATALOGUE=0
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
	CATALOGUE=1
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

# The Debian package to boot for CONFORMANCE_KERNEL (first choice, else a fallback).
debian_pkg() {
	case $KSEL in
	6.1)
		if apt-cache show "$1" >/dev/null 2>&1; then echo "$1"; return; fi
		apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-/{print $2; exit}' ;;
	6.12)
		if apt-cache show "$1" >/dev/null 2>&1; then echo "$1"; return; fi
		apt-cache search --names-only '^linux-image-6\.12\.[0-9]+\+deb[0-9]+-amd64-unsigned$' |
			awk '{print $1}' | sort -V | tail -n1 ;;
	esac
}

# Unpack (once, cached) the package into $CACHE/kernel/NAME; print that directory.
debian_kernel() {
	local want=$1 pkg kdir deb kver
	kdir=$CACHE/kernel/${want#linux-image-}
	if [[ ! -e $kdir/.complete ]]; then
		((updated)) || { apt-get update -qq >&2; updated=1; }
		pkg=$(debian_pkg "$want")
		[[ -n $pkg ]] || die "no Debian $KSEL kernel package found"
		kdir=$CACHE/kernel/${pkg#linux-image-}
	fi
	if [[ ! -e $kdir/.complete ]]; then
		log "fetching $pkg"
		rm -f "$CACHE"/debs/"$pkg"_*.deb
		(cd "$CACHE/debs" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >/dev/null) ||
			die "apt-get download $pkg failed"
		deb=$(ls "$CACHE"/debs/"$pkg"_*.deb | head -n1)
		rm -rf "$kdir.tmp" && mkdir -p "$kdir.tmp"
		dpkg-deb -x "$deb" "$kdir.tmp" || die "cannot unpack $deb"
		# the version is the image's (an -unsigned package's name is not)
		kver=$(cd "$kdir.tmp/boot" && ls vmlinuz-* 2>/dev/null | head -n1)
		kver=${kver#vmlinuz-}
		[[ -n $kver ]] && depmod -b "$kdir.tmp" "$kver" || die "no kernel image in $deb"
		echo "$kver" > "$kdir.tmp/KVER"
		dpkg-deb -f "$deb" Version > "$kdir.tmp/DEB_VERSION"
		rm -rf "$kdir" && mv "$kdir.tmp" "$kdir" && rm -f "$deb"
		touch "$kdir/.complete"
	fi
	echo "$kdir"
}

# The release string of a bzImage: the kernel_version field of its setup header.
bzimage_version() {
	local off
	[[ $(dd if="$1" bs=1 skip=$((0x202)) count=4 2>/dev/null) == HdrS ]] || return 1
	off=$(od -An -tu2 -j $((0x20e)) -N2 "$1" | tr -d ' ')
	dd if="$1" bs=1 skip=$((off + 0x200)) count=128 2>/dev/null | tr '\0' '\n' | head -n1 | cut -d' ' -f1
}

if [[ -n $KIMAGE ]]; then
	VMLINUZ=$(realpath "$KIMAGE") || die "no kernel image $KIMAGE"
	if [[ -n $KMODS ]]; then
		KMODS=$(realpath "$KMODS") || die "no module directory $KMODS"
		[[ $KMODS == */lib/modules/* ]] || die "KERNEL_MODULES must be .../lib/modules/VERSION"
		KVER=$(basename "$KMODS")
		kdir=${KMODS%/lib/modules/*}
		[[ -s $KMODS/modules.dep ]] || die "no modules.dep in $KMODS (make modules_install runs depmod)"
	else
		KVER=$(bzimage_version "$VMLINUZ") || die "$VMLINUZ is not a bzImage"
		kdir=
	fi
	KDESC="$KVER (built: $VMLINUZ)"
else
	case $KSEL in
	6.1) want=${CONFORMANCE_KERNEL_PKG:-linux-image-6.1.0-56-amd64} ;;
	6.12) want=${CONFORMANCE_KERNEL_PKG:-linux-image-6.12.118+deb12-amd64-unsigned} ;;
	*) die "CONFORMANCE_KERNEL (KERNEL=) must be 6.1 or 6.12, not $KSEL" ;;
	esac
	kdir=$(debian_kernel "$want") || exit 2
	KVER=$(cat "$kdir/KVER" 2>/dev/null || basename "$kdir")
	VMLINUZ=$kdir/boot/vmlinuz-$KVER
	KDESC="$KVER ($(cat "$kdir/DEB_VERSION" 2>/dev/null))"
fi
[[ -r $VMLINUZ ]] || die "no kernel image $VMLINUZ"
KMAJMIN=$(echo "$KVER" | grep -o '^[0-9]*\.[0-9]*')
[[ -n $KMAJMIN ]] || die "cannot tell the version of $KVER"
if [[ -z $PROFILE ]]; then
	case $KMAJMIN in 6.1 | 6.12) PROFILE=$KMAJMIN ;; *) die "kernel $KVER: name the profile to compare with (PROFILE=6.1|6.12)" ;; esac
fi
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

# The model's profile: 6.1 is the default; another needs `memfail run --kernel P`. Without
# it, compare with the real-kernel traces saved in conformance/traces-P (else die: -K).
MODEL_ARGS=()
[[ $PROFILE == 6.1 ]] || MODEL_ARGS=(--kernel "$PROFILE")
if [[ $KONLY != 1 && -z $GOLDEN && $PROFILE != 6.1 ]]; then
	"$MEMFAIL" run "${MODEL_ARGS[@]}" --quiet "${FILES[0]}" >/dev/null 2>&1
	if (($? == 2)); then
		[[ -d $HERE/traces-$PROFILE ]] || die "the model has no $PROFILE profile: use -K (kernel traces only)"
		GOLDEN=$HERE/traces-$PROFILE
		log "the model has no $PROFILE profile yet: comparing with the real-kernel traces in ${GOLDEN#$ROOT/}"
	fi
fi

# ---- initramfs: cached base (busybox, init, modules) + per-run overlay --------------------
key=$({ echo "$KVER"; [[ -n $KIMAGE ]] && stat -c '%n %s %Y' "$VMLINUZ" ${KMODS:+"$KMODS/modules.dep"}
	cat "$HERE/guest-init.sh"; echo "${MODULES[*]}"; sha256sum /bin/busybox; } | sha256sum | cut -c1-16)
BASE=$CACHE/initramfs-$KVER-$key.cpio
# The modules (and what they depend on) in load order, uncompressed (busybox insmod
# reads plain .ko); built-in ones are skipped. A kernel you built may have none.
stage_modules() {
	local st=$1 m ko n list=
	[[ -n $kdir ]] || return 0
	for m in "${MODULES[@]}"; do
		ko=$(modprobe -d "$kdir" -S "$KVER" --show-depends "$m" 2>/dev/null) ||
			{ [[ -n $KIMAGE ]] && continue; die "module $m not in $kdir"; }
		list+=$(awk '$1=="insmod"{print $2}' <<<"$ko")$'\n'
	done
	while read -r ko; do
		[[ -n $ko ]] || continue
		n=$(basename "$ko")
		n=${n%.xz} n=${n%.zst} n=${n%.gz} n=${n%.ko}
		case $ko in
		*.xz) xz -dc "$ko" ;; *.zst) zstd -qdc "$ko" ;; *.gz) gzip -dc "$ko" ;; *) cat "$ko" ;;
		esac > "$st/lib/modules/mf/$n.ko" || die "cannot copy $ko"
		echo "$n" >> "$st/lib/modules/mf/order"
	done < <(awk '!seen[$0]++' <<<"$list")
	[[ -n $KIMAGE || -s $st/lib/modules/mf/hwpoison-inject.ko ]] || die "hwpoison-inject.ko not in $kdir"
}
if [[ ! -s $BASE ]]; then
	st=$(mktemp -d "$CACHE/stage.XXXXXX")
	mkdir -p "$st"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,mnt/ext4,lib/modules/mf}
	cp /bin/busybox "$st/bin/busybox" && ln -s busybox "$st/bin/sh"
	install -m 0755 "$HERE/guest-init.sh" "$st/init"
	: > "$st/lib/modules/mf/order"
	stage_modules "$st" || { rm -rf "$st"; exit 2; }
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
# the runner checks that it runs on the kernel booted here (not the scenario's kernel line)
echo "--kernel $KMAJMIN$([[ $RAW == 1 ]] && echo " --raw")" > "$RUN/ov/mf/args"
[[ -n $PMEM ]] && echo "$PMEM" > "$RUN/ov/mf/pmem"
# The results disk (guest-init.sh): block 0 holds this run's id, the guest's records follow.
RESID="@@MF-RESULTS $(basename "$RUN") $(date +%s%N)@@"
echo "$RESID" > "$RUN/ov/mf/results-disk"
for i in "${!FILES[@]}"; do
	g=${GUEST[$i]}
	mkdir -p "$RUN/ov/mf/root/$(dirname "$g")" && cp "${FILES[$i]}" "$RUN/ov/mf/root/$g"
done
(cd "$RUN/ov" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) > "$RUN/ov.cpio"
cat "$BASE" "$RUN/ov.cpio" > "$RUN/initrd"

# ---- boot once (again if the kernel dies booting), run everything ------------------------------
CMDLINE="console=ttyS0,115200 panic=-1 no_timer_check quiet mitigations=off nokaslr rdinit=/init memfail.conformance=1"
[[ -n $PMEM ]] && CMDLINE+=" memmap=512M!1G"	# legacy (e820 type 12) pmem at 1G
QEMU=(qemu-system-x86_64 -nodefaults -no-user-config -nographic -no-reboot -monitor none
	-machine pc -accel tcg,thread=multi -cpu max -smp "$SMP" -m "$MEM"
	-kernel "$VMLINUZ" -initrd "$RUN/initrd" -append "$CMDLINE"
	-serial stdio -serial "file:$RUN/results.log" -serial "file:$RUN/kmsg.log"
	-drive "file=$CACHE/ext4.img,if=virtio,format=raw,snapshot=on"
	-drive "file=$RUN/results.img,if=virtio,format=raw")
if [[ -n $PMEM ]]; then
	# the kernel never writes a memmap=! range at boot: the loader's copy is what it finds
	QEMU+=(-device "loader,file=$PMEM_IMG,addr=0x40000000,force-raw=on")
fi
boot_guest() {
	{ echo "$RESID"; } | dd of="$RUN/results.img" bs=512 conv=sync 2>/dev/null &&
		truncate -s 64M "$RUN/results.img" || die "cannot make the results disk"
	log "booting $KDESC under TCG for ${#FILES[@]} scenarios"
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
}

# The guest's records, in order, into results.txt: each header "@@MF-REC LENGTH MD5@@" in a
# block of its own, its text in the blocks that follow. A record that fails its check stops
# the reading (what follows cannot be trusted to start where the length says): the
# scenarios it held and those after it have no trace and are reported so.
read_results() {
	local img=$1 blk=1 hdr n sum nb
	REC_BAD=
	: > "$RUN/results.txt"
	while :; do
		hdr=$(dd if="$img" bs=512 skip=$blk count=1 2>/dev/null | tr -d '\0' | head -n 1)
		[[ $hdr =~ ^@@MF-REC\ ([0-9]+)\ ([0-9a-f]{32})@@$ ]] || break
		n=${BASH_REMATCH[1]} sum=${BASH_REMATCH[2]} nb=$(((BASH_REMATCH[1] + 511) / 512))
		dd if="$img" bs=512 skip=$((blk + 1)) count=$nb 2>/dev/null | head -c "$n" > "$RUN/record"
		if [[ $(md5sum < "$RUN/record") != "$sum  -" ]]; then
			REC_BAD="the record at block $blk fails its checksum"
			log "results disk: $REC_BAD"
			break
		fi
		cat "$RUN/record" >> "$RUN/results.txt"
		blk=$((blk + 1 + nb))
	done
	rm -f "$RUN/record"
	[[ -z $hdr || $hdr =~ ^@@MF-REC ]] || { REC_BAD="unreadable record header at block $blk"; log "results disk: $REC_BAD"; }
}
# A kernel that dies before the runner starts ran no scenario: under TCG a 6.12 guest
# now and then takes an int3 oops while patching static keys at boot (about one boot
# in ten, cpu_latency_qos_init). Boot again, up to three times; the kernel's seconds
# are the boot that ran the scenarios.
for attempt in 1 2 3; do
	boot_guest
	read_results "$RUN/results.img"
	grep -q '^@@MF-GUEST-BEGIN' "$RUN/results.txt" || ((attempt == 3)) || {
		log "the kernel died before the runner started (attempt $attempt):"
		tr -d '\r' < "$RUN/console.log" | grep -o -m 3 -E '(Oops|RIP): .*|Kernel panic.*' >&2
		continue
	}
	break
done

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

# Split the guest output into one trace per scenario (an oops is the runner's MF_EV_OOPS event:
# the driver prints its "  oops FUNCTION" line, as for the model).
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

# where -o saves, and -g finds, the kernel trace of scenario $1
saved_name() {
	local n=${1%.mf}
	n=${n#tests/scenarios/} n=${n#conformance/}
	echo "$n.trace"
}
if [[ -n $SAVE && $RAW != 1 ]]; then
	for g in "${GUEST[@]}"; do
		k=$RUN/out/${g//\//%}
		rc=$(cat "$k.rc" 2>/dev/null) || continue
		[[ $rc == 0 || $rc == 1 ]] || continue
		mkdir -p "$SAVE/$(dirname "$(saved_name "$g")")" && cp "$k.kernel" "$SAVE/$(saved_name "$g")"
	done
fi

# ---- results: plain, or TAP 13 as kselftest prints it ---------------------------------------
n=0 pass=0 fail=0 skip=0
((TAP)) && printf 'TAP version 13\n1..%d\n' "${#FILES[@]}"
# report FILE pass|fail|skip TEXT [DETAILS-FILE]: plain "FILE: TEXT" and the details, or
# the details as "# " lines and "ok N FILE", "not ok N FILE", "ok N FILE # SKIP reason"
report() {
	local f=$1 st=$2 text=$3 details=${4:-}
	n=$((n + 1))
	case $st in pass) pass=$((pass + 1)) ;; fail) fail=$((fail + 1)) ;; skip) skip=$((skip + 1)) ;; esac
	if ((!TAP)); then
		echo "$f: $text"
		[[ -n $details ]] && cat "$details"
		return 0
	fi
	[[ -n $details ]] && sed 's/^/# /' "$details"
	case $st in
	pass) echo "ok $n $f" ;;
	fail) echo "not ok $n $f" ;;
	skip) text=${text#skip:} text=${text# } text=${text#skip:} && echo "ok $n $f # SKIP ${text# }" ;;
	esac
}
summary() {
	if ((TAP)); then
		echo "# $pass passed, $fail failed, $skip skipped"
		echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:$skip error:0"
	else
		echo "$pass passed, $fail failed, $skip skipped"
	fi
}

if [[ $KONLY == 1 ]]; then
	for i in "${!FILES[@]}"; do
		f=${FILES[$i]} g=${GUEST[$i]}
		k=$RUN/out/${g//\//%}
		krc=$(cat "$k.rc" 2>/dev/null || echo none)
		if ((!TAP)); then
			echo "=== $f (linux $KVER$([[ $RAW == 1 ]] && echo ", raw")) rc=$krc"
			cat "$k.kernel" 2>/dev/null
			continue
		fi
		# TAP: ok when the scenario's expectations hold on this kernel
		case $krc in
		0) report "$f" pass "" "$k.kernel" ;;
		77) report "$f" skip "$(grep -m1 -o 'skip.*' "$k.kernel" | cut -d: -f2-)" ;;
		*) report "$f" fail "" "$k.kernel" ;;
		esac
	done
	((TAP)) && summary
	exit $((guest_fail ? 2 : 0))
fi

# ---- the model (or the saved traces of -g) on the same scenarios, and the comparison ----------
# the model is timed on what the guest ran (not what it skipped: model-only, DAX), in one
# process and one process each, by bench/conformance-model.sh: the model is deterministic, so
# it is timed as a benchmark is, the best of 5 rounds, against the kernel's one run
RAN=()
for f in "${FILES[@]}"; do
	[[ $(cat "$RUN/out/${f//\//%}.rc" 2>/dev/null) == 77 ]] || RAN+=("$f")
done
MSECS=0 MSECS_EACH=0 SPAWN=
if [[ -z $GOLDEN ]]; then
	printf '%s\n' "${RAN[@]}" > "$RUN/ran"
	"$ROOT/bench/conformance-model.sh" -n 5 -l "$RUN/ran" -m "$MEMFAIL" -- "${MODEL_ARGS[@]}" \
		> "$RUN/model-times" 2>&1
	MSECS=$(awk '/one_process_ms/{ printf "%.4f", $3 / 1000 }' "$RUN/model-times")
	MSECS_EACH=$(awk '/process_each_ms/{ printf "%.4f", $3 / 1000 }' "$RUN/model-times")
	SPAWN=$(sed -n 's/.*the same way: \([0-9.]*\) ms.*/\1/p' "$RUN/model-times")
fi
# the kernel's seconds and the files it ran, for bench/conformance-model.sh (the model's side alone)
[[ -n $GOLDEN || $CATALOGUE == 0 ]] || { echo "kernel_seconds $KSECS"; printf 'ran %s\n' "${RAN[@]}"; } \
	2>/dev/null > "$CACHE/last-run-$PROFILE"
OTHER=model
[[ -n $GOLDEN ]] && OTHER="saved in $GOLDEN"
for i in "${!FILES[@]}"; do
	f=${FILES[$i]} g=${GUEST[$i]}
	k=$RUN/out/${g//\//%}
	krc=$(cat "$k.rc" 2>/dev/null || echo none)
	if [[ -z $GOLDEN ]]; then
		"$MEMFAIL" run "${MODEL_ARGS[@]}" "$f" > "$k.model" 2>&1
		mrc=$?
	elif [[ -f $GOLDEN/$(saved_name "$g") ]]; then
		cp "$GOLDEN/$(saved_name "$g")" "$k.model" && mrc=$krc
	else
		: > "$k.model" && mrc=none
	fi
	if [[ $krc == none ]]; then
		if [[ -n $REC_BAD ]]; then
			report "$f" fail "no kernel trace (results disk: $REC_BAD)"
		elif ((guest_fail)); then
			report "$f" fail "no kernel trace (the guest died or timed out before it)"
		else
			report "$f" fail "no kernel trace (the guest ran every scenario but wrote no record for it)"
		fi
	elif [[ $krc == 77 || $mrc == 77 ]]; then
		report "$f" skip "skip: $(grep -m1 -o 'skip.*' "$k.kernel" "$k.model" 2>/dev/null | head -n1 | cut -d: -f2-)"
	elif [[ $mrc == none ]]; then
		report "$f" fail "no saved trace $GOLDEN/$(saved_name "$g")"
	elif cmp -s "$k.kernel" "$k.model" && [[ $krc == "$mrc" ]]; then
		report "$f" pass "match"
	else
		diff -u --label "$f (linux $KVER)" --label "$f ($OTHER)" "$k.kernel" "$k.model" > "$k.diff"
		report "$f" fail "MISMATCH (kernel rc=$krc, model rc=$mrc)" "$k.diff"
	fi
done
summary
speedup() { awk -v k="$KSECS" -v m="$1" 'BEGIN{ if (m <= 0) m = 0.0001; printf "%.0f", k/m }'; }
[[ -n $GOLDEN ]] || printf '%sbench: conformance_model_vs_kernel_speedup %s\n%sbench: conformance_model_vs_kernel_speedup_process_each %s\n' \
	"$( ((TAP)) && echo "# ")" "$(speedup "$MSECS")" "$( ((TAP)) && echo "# ")" "$(speedup "$MSECS_EACH")"
log "kernel ${KSECS}s (boot included), model ${MSECS}s in one process, ${MSECS_EACH}s one process each (xargs -n1; /bin/true the same way ${SPAWN:-?} ms; best of 5; ${#RAN[@]} scenarios)"
((guest_fail)) && exit 2
((fail)) && exit 1
exit 0
