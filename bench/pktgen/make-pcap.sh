#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Write darknet.pcap (and darknet.truth.jsonl) for pktgen's pcap replay:
# the realistic mix of bench/gen/darkcap-gen without jumbo frames (pktgen
# and a 1500-byte MTU link do not take them).
#   bench/pktgen/make-pcap.sh [PACKETS] [OUTDIR]     (default 1000000, .)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
n=${1:-1000000}
out=${2:-.}
gen=$root/build-release/bench/gen/darkcap-gen
[ -x "$gen" ] || gen=$root/build/bench/gen/darkcap-gen
[ -x "$gen" ] || { echo "make-pcap.sh: build darkcap first (ninja -C build)" >&2; exit 2; }
"$gen" --out "$out/darknet.pcap" --truth "$out/darknet.truth.jsonl" --packets "$n" --many-sources --no-jumbo
echo "darknet.pcap: $n frames; darknet.truth.jsonl: darkcap's totals for one pass must equal its last line"
