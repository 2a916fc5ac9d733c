#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# conformance/pmem-image.sh VARIANT - print the path of a 512M filesystem image for the
# conformance guest's pmem, making it (once, cached, sparse) if needed.
#   xfs         mkfs.xfs reflink=1 rmapbt=1 (notify_failure walks the rmap btree)
#   xfs-normap  mkfs.xfs reflink=1 rmapbt=0 (XFS declines: generic path)
#   ext4        mkfs.ext4 (no dax holder: generic path)
# -d su=2m (XFS) / stride=512 (ext4): files given 2M extents are 2M aligned (PMD mappings);
# XFS needs agcount=2 and a 32k log stripe unit for that geometry at this size (and
# refuses filesystems under 300M, hence 512M). xfsprogs/e2fsprogs are installed if missing.
set -euo pipefail
CACHE=${CONFORMANCE_CACHE:-/var/tmp/memfail-conformance}
case ${1:-} in
xfs) TOOL=mkfs.xfs PKG=xfsprogs MKFS=(mkfs.xfs -q -f -L mfxfs -m reflink=1,rmapbt=1 -d su=2m,sw=1,agcount=2 -l su=32k) ;;
xfs-normap) TOOL=mkfs.xfs PKG=xfsprogs MKFS=(mkfs.xfs -q -f -L mfxfs -m reflink=1,rmapbt=0 -d su=2m,sw=1,agcount=2 -l su=32k) ;;
ext4) TOOL=mkfs.ext4 PKG=e2fsprogs MKFS=(mkfs.ext4 -q -F -L mfext4 -b 4096 -E stride=512,stripe_width=512) ;;
*) echo "usage: $0 xfs|xfs-normap|ext4" >&2; exit 2 ;;
esac
mkdir -p "$CACHE/pmem"
IMG=$CACHE/pmem/$1-512M-$(echo "${MKFS[*]}" | sha256sum | cut -c1-8).img
if [[ ! -s $IMG ]]; then
	if ! command -v "$TOOL" >/dev/null; then
		echo "pmem-image: installing $PKG" >&2
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq --no-install-recommends "$PKG" >/dev/null
	fi
	rm -f "$IMG.tmp" && truncate -s 512M "$IMG.tmp"
	"${MKFS[@]}" "$IMG.tmp" >&2
	mv "$IMG.tmp" "$IMG"
fi
echo "$IMG"
