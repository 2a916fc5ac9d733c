#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# After `make COV=1 check`: line coverage per folder on stdout and, in
# $O/coverage.txt, every line and function of mm/ fs/ kernel/ that no test
# reached (the list to shrink). gcovr reads the .gcda files; python3 (a
# dependency of gcovr) sums them up. Goal: 95% of mm/, fs/ and kernel/.
#
# Usage: tests/coverage.sh build-cov
set -eu
O=${1:-build-cov}
gcovr -r . --object-directory "$O" --json -o "$O/coverage.json"
python3 - "$O" <<'PY'
import json, sys
o = sys.argv[1]
files = json.load(open(f"{o}/coverage.json"))["files"]
folders = ["mm", "fs", "kernel", "lib", "scenario", "backend", "cli"]
tot = {f: [0, 0] for f in folders}
report = []
for f in sorted(files, key=lambda f: f["file"]):
    top = f["file"].split("/")[0]
    if top not in tot:
        continue
    lines = [l for l in f["lines"] if not l["gcovr/noncode"] and not l["gcovr/excluded"]]
    tot[top][0] += sum(1 for l in lines if l["count"])
    tot[top][1] += len(lines)
    if top not in ("mm", "fs", "kernel"):
        continue
    miss = [l["line_number"] for l in lines if not l["count"]]
    if not miss:
        continue
    runs, start = [], miss[0]
    for a, b in zip(miss, miss[1:] + [None]):
        if b != a + 1:
            runs.append(str(start) if start == a else f"{start}-{a}")
            start = b
    funcs = [fn["name"] for fn in f["functions"] if not fn["execution_count"]]
    report.append(f"{f['file']}: {len(miss)} of {len(lines)} lines uncovered: {', '.join(runs)}")
    if funcs:
        report.append(f"  functions never called: {', '.join(funcs)}")
core = [0, 0]
for k in folders:
    c, n = tot[k]
    if n:
        print(f"coverage: {k + '/':10} {100.0 * c / n:5.1f}% of {n} lines")
    if k in ("mm", "fs", "kernel"):
        core[0] += c
        core[1] += n
print(f"coverage: mm/ fs/ kernel/ together {100.0 * core[0] / core[1]:.1f}% of {core[1]} lines")
with open(f"{o}/coverage.txt", "w") as r:
    r.write("Lines and functions of mm/ fs/ kernel/ that no test reaches\n")
    r.write("\n".join(report) + "\n")
print(f"coverage: uncovered lines of mm/ fs/ kernel/ in {o}/coverage.txt")
PY
