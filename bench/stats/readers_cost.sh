#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The cost of statistics readers to the workers: darkcap replays the same
# generated traffic from memory (net_pcap infinite_rx, one worker on CPU 1,
# 1-second intervals, so the control core publishes a snapshot every second)
# for a fixed time, with no reader and with N busy readers
# (darkcap-stats-load: back-to-back consistent reads, each checking an
# invariant), runs alternating. The readers share CPU 0 with the control
# core, never the worker's CPU: what is measured is what they do to the
# worker through memory and caches, not time slices taken from it.
# A third arm runs N spinners instead (processes that burn CPU 0 without
# touching the segment): on a virtual machine whose vCPUs are not
# independent, any busy process on CPU 0 slows CPU 1, and readers/spinners
# separates what reading costs from what merely being busy costs.
# Reported: packets per second the worker got through in steady state (the
# median packets of the run's 1-second interval records, the first two and
# the last left out: start-up runs on CPU 0 too, so a whole-run rate would
# measure how fast darkcap starts next to busy processes), its data-path
# cycles per packet, medians, and the ratios.
#   bench/stats/readers_cost.sh [runs] [seconds] [readers]
set -euo pipefail
runs=${1:-3}
secs=${2:-8}
nread=${3:-4}
here=$(cd "$(dirname "$0")/../.." && pwd)
bin=$here/build/app/darkcap/darkcap
gen=$here/build/bench/gen/darkcap-gen
load=$here/build/bench/stats/darkcap-stats-load
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$gen" --out "$tmp/t.pcap" --truth "$tmp/t.truth" --packets 50000 --seed 5 >/dev/null
one() { # $1 = readers, $2 = "spin" for spinners instead
	local pids=() t0 t1
	rm -f "$tmp/s.stats"
	t0=$(date +%s.%N)
	timeout -s INT "$secs" taskset -c 0,1 "$bin" -l 0-1 --no-huge -m 2048 --no-pci \
		--file-prefix "rdcost$$" --log-level lib.eal:warning \
		--vdev "net_pcap0,rx_pcap=$tmp/t.pcap,infinite_rx=1" -- \
		-o "$tmp/o.jsonl" --truncate on --interval 1 --mbuf-size 9344 --mbufs-per-queue 65536 \
		--stats-path "$tmp/s.stats" >"$tmp/log" 2>&1 &
	local dpid=$!
	for ((r = 0; r < $1; r++)); do
		if [ "${2:-}" = spin ]; then
			taskset -c 0 timeout "$((secs - 1))" sh -c 'while :; do :; done' &
		else
			taskset -c 0 "$load" "$tmp/s.stats" "$((secs - 1))" >"$tmp/load.$r" 2>&1 &
		fi
		pids+=($!)
	done
	wait "$dpid" || true # stopped by SIGINT after $secs seconds
	t1=$(date +%s.%N)
	local pk cyc reads=0
	pk=$(python3 -c "
import json, statistics
r = sorted((json.loads(l) for l in open('$tmp/o.jsonl')), key=lambda x: x['start'])[2:-1]
print(statistics.median(x['packets'] for x in r) if r else 0)")
	cyc=$(sed -n 's/.*data path \([0-9.]*\) TSC cycles per packet.*/\1/p' "$tmp/log")
	if [ "${2:-}" = spin ]; then
		wait "${pids[@]}" || true
		python3 -c "print('%.0f %s 0' % ($pk, '$cyc'))"
		return
	fi
	for p in "${pids[@]}"; do wait "$p" || { echo "reader failed: $(cat "$tmp"/load.*)" >&2; exit 1; }; done
	for ((r = 0; r < $1; r++)); do
		reads=$((reads + $(sed -n 's/^reads \([0-9]*\) .*/\1/p' "$tmp/load.$r")))
		grep -q "violations 0" "$tmp/load.$r" || { echo "torn snapshot: $(cat "$tmp/load.$r")" >&2; exit 1; }
	done
	python3 -c "print('%.0f %s %d' % ($pk, '$cyc', $reads))"
}
no=() with=() spin=()
for ((i = 0; i < runs; i++)); do
	no+=("$(one 0)")
	with+=("$(one "$nread")")
	spin+=("$(one "$nread" spin)")
done
python3 - "$nread" "$secs" "${no[@]}" -- "${with[@]}" -- "${spin[@]}" <<'PY'
import statistics, sys
n, secs = sys.argv[1], float(sys.argv[2])
args = sys.argv[3:]
k1 = args.index("--")
k2 = args.index("--", k1 + 1)
arms = [("none", [x.split() for x in args[:k1]]),
        ("%s readers" % n, [x.split() for x in args[k1 + 1:k2]]),
        ("%s spinners" % n, [x.split() for x in args[k2 + 1:]])]
def col(rows, i):
    return [float(r[i]) for r in rows]
med = {}
print("| CPU 0 also runs | packets/s (runs) | median | data path cycles/packet (median) | snapshot reads/s |")
print("|---|---|---|---|---|")
for name, rows in arms:
    p, c = statistics.median(col(rows, 0)), statistics.median(col(rows, 1))
    r = statistics.median(col(rows, 2)) / (secs - 1)
    med[name] = p
    print("| %s | %s | %.0f | %.1f | %s |" % (name, ", ".join("%.0f" % x for x in col(rows, 0)), p, c,
          "%.0f" % r if r else "-"))
none, rd, sp = med["none"], med["%s readers" % n], med["%s spinners" % n]
print("throughput with %s readers / without: %.3f (target >= 0.98)" % (n, rd / none))
print("throughput with %s spinners / without: %.3f (CPU 0 merely busy)" % (n, sp / none))
print("throughput with %s readers / with %s spinners: %.3f (what reading itself costs)" % (n, n, rd / sp))
PY
