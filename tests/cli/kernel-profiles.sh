#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# The 6.12 kernel profile (run by `make check`): the model under --kernel 6.12
# against the real 6.12 traces in conformance/traces-6.12
# (conformance/compare-saved.sh; the expected list of scenarios that still
# differ is tests/kernel-profiles/compare-saved.out), and `memfail
# diff-kernels` on a few scenarios (tests/kernel-profiles/diff-kernels.out).
set -eu
MEMFAIL=${MEMFAIL:-${O:-build}/memfail}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
conformance/compare-saved.sh -m "$MEMFAIL" >"$tmp/compare" || true
diff -u tests/kernel-profiles/compare-saved.out "$tmp/compare"
"$MEMFAIL" diff-kernels tests/scenarios/anon/dirty-late.mf tests/scenarios/pin/thp-split-fails.mf \
	tests/scenarios/dax/normap-reflink.mf tests/scenarios/ksm/hwpoison-late.mf tests/scenarios/offline/unpoison-mapped.mf >"$tmp/diffk" || true
diff -u tests/kernel-profiles/diff-kernels.out "$tmp/diffk"
