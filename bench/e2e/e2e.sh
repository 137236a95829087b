#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# End to end, per worker: darkcap against dpdk-testpmd --forward-mode=rxonly
# on the same device and the same input, in the same run.
#
# The input is a realistic darknet mix from bench/gen/darkcap-gen, replayed
# from memory by DPDK's net_pcap (infinite_rx=1: the PMD copies each frame
# into a fresh mbuf, as a NIC's DMA would fill one). Each tool gets one
# receive lcore (lcore 1) and the main lcore (lcore 0); darkcap runs with
# every feature on: country and AS databases, flowtuples, stats segment,
# payload signatures (the shipped rules), 1-second intervals (so the control
# core merges while the worker runs), and the telescope's prefix declared as
# an operator declares it (the generator's 198.18.0.0/15: its destinations
# in a bitmap, docs/TABLES.md; --telescope off for every destination in the
# destination table).
# Rates are sampled once a second (testpmd --stats-period 1, darkcap's
# per-interval records); the first and last samples are dropped and the
# median of the rest is the run's rate. Runs alternate tool by tool, R
# rounds; the table gives medians over rounds.
#
# Usage: bench/e2e/e2e.sh [--packets N] [--seconds S] [--repeat R]
#            [--darkcap PATH] [--gen PATH] [--testpmd PATH] [--workdir DIR]
#            [--geo-country MMDB --geo-asn MMDB] [--telescope PREFIXES|off] [--no-huge]
#            [--signatures-compare]
# --signatures-compare: instead of testpmd, each round runs darkcap twice,
# with the shipped signatures and with --signatures off (the order
# alternating per round), and reports both and their ratios: all work per
# packet (from the rate) and in-process, medians and paired (the median of
# the rounds' own ratios), for issue #8's "signatures on costs at most 10 %".
# Defaults: 1,700,000 frames over a pool of 1,700,000 sources (about 1.07 M
# distinct), 12 s per run, 5 rounds, build-release binaries (else build/),
# the test databases of tests/func (made with MaxMind's writer) when no
# database is given. With root and no --no-huge it reserves 2 MiB hugepages
# for the run and gives them back.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
packets=1700000
seconds=12
repeat=5
work=/tmp/darkcap-e2e
darkcap="" gen="" testpmd=$(command -v dpdk-testpmd || true)
geo_cc="" geo_as=""
telescope=198.18.0.0/15
huge=1
sigcmp=0

die() { echo "e2e.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
	case $1 in
	--packets) packets=$2; shift 2 ;;
	--seconds) seconds=$2; shift 2 ;;
	--repeat) repeat=$2; shift 2 ;;
	--darkcap) darkcap=$2; shift 2 ;;
	--gen) gen=$2; shift 2 ;;
	--testpmd) testpmd=$2; shift 2 ;;
	--workdir) work=$2; shift 2 ;;
	--geo-country) geo_cc=$2; shift 2 ;;
	--geo-asn) geo_as=$2; shift 2 ;;
	--telescope) telescope=$2; shift 2 ;;
	--no-huge) huge=0; shift ;;
	--signatures-compare) sigcmp=1; shift ;;
	-h|--help) sed -n '3,35p' "$0"; exit 0 ;;
	*) die "unknown option '$1' (see --help)" ;;
	esac
done
[[ $packets =~ ^[0-9]+$ && $packets -ge 1000 ]] || die "--packets: want a whole number >= 1000"
[[ $seconds =~ ^[0-9]+$ && $seconds -ge 5 ]] || die "--seconds: want a whole number >= 5"
[[ $repeat =~ ^[0-9]+$ && $repeat -ge 1 ]] || die "--repeat: want a whole number >= 1"
pick() { # first existing of the arguments
	local f
	for f in "$@"; do [ -x "$f" ] && { echo "$f"; return; }; done
}
darkcap=${darkcap:-$(pick "$root/build-release/app/darkcap/darkcap" "$root/build/app/darkcap/darkcap")}
gen=${gen:-$(pick "$root/build-release/bench/gen/darkcap-gen" "$root/build/bench/gen/darkcap-gen")}
[ -n "$darkcap" ] && [ -x "$darkcap" ] || die "darkcap not built (meson setup build-release --buildtype release && ninja -C build-release)"
[ -n "$gen" ] && [ -x "$gen" ] || die "darkcap-gen not built"
[ -n "$testpmd" ] && [ -x "$testpmd" ] || die "dpdk-testpmd not found (Debian package dpdk)"
mkdir -p "$work"

say() { printf '==> %s\n' "$*" >&2; }

# --- input ---------------------------------------------------------------
pcap=$work/mix-$packets.pcap
if [ ! -f "$pcap" ]; then
	say "generating $pcap ($packets frames, many sources)"
	# --no-jumbo: net_pcap's infinite_rx takes no chained mbufs, and a
	# 1500-byte MTU link carries no jumbo frames
	"$gen" --out "$pcap.tmp" --truth "$work/mix-$packets.truth.jsonl" --packets "$packets" \
		--many-sources --no-jumbo --days 1 --interval 3600 --top 0 --seed 7 >/dev/null
	mv "$pcap.tmp" "$pcap"
fi
cat "$pcap" >/dev/null
distinct=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readlines()[-1])["unique_sources"])' \
	"$work/mix-$packets.truth.jsonl")

if [ -z "$geo_cc" ]; then
	# tests/func's databases: a handful of prefixes, every address covered
	geo_cc=$work/geo.mmdb geo_as=$work/asn.mmdb
	if [ ! -f "$geo_as" ]; then
		printf '0.0.0.0/1\tUS\n64.0.0.0/2\tCN\n96.0.0.0/3\tJP\n128.0.0.0/2\tRU\n160.0.0.0/4\tKR\n200.0.0.0/5\tDE\n45.0.0.0/8\tBR\n2000::/3\tNL\n' >"$work/geo.spec"
		printf '0.0.0.0/2\t64500\tAlpha\n64.0.0.0/2\t64501\tBeta\n128.0.0.0/1\t64502\tGamma\n2000::/3\t64510\tEpsilon\n' >"$work/asn.spec"
		perl "$root/tests/unit/geo_mkdb.pl" --layout iso --ip-version 6 "$work/geo.spec" "$geo_cc" ||
			die "cannot write the test country database (Debian package libmaxmind-db-writer-perl)"
		perl "$root/tests/unit/geo_mkdb.pl" --layout asn --ip-version 6 "$work/asn.spec" "$geo_as"
	fi
fi

# --- memory --------------------------------------------------------------
# Every frame of the file sits in an mbuf (infinite_rx, which takes no
# chained mbufs: 2048-byte data rooms for the largest frames), plus the
# working set; and tables for all sources.
mbufs=$((packets + 65536))
hp_before=""
if [ $huge = 1 ] && [ "$(id -u)" = 0 ]; then
	hp_before=$(cat /proc/sys/vm/nr_hugepages)
	echo 4608 >/proc/sys/vm/nr_hugepages
	trap 'echo "$hp_before" >/proc/sys/vm/nr_hugepages' EXIT
	mem=(--in-memory -m 8800)
	pages="2 MiB hugepages"
else
	mem=(--no-huge -m 9600 --no-shconf)
	pages="no hugepages (rates roughly halve: TLB misses)"
fi
vdev="net_pcap0,rx_pcap=$pcap,infinite_rx=1"
srcmax=$(( (distinct * 5 / 4 + 1023) / 1024 * 1024 ))

tsc_mhz=$(dmesg 2>/dev/null | sed -n 's/.*tsc: Detected \([0-9.]*\) MHz.*/\1/p' | head -1)
[ -n "$tsc_mhz" ] || tsc_mhz=$(awk -F: '/^cpu MHz/ {print $2; exit}' /proc/cpuinfo | tr -d ' ')

# median of numbers on stdin
# (grep finds no line in a round without samples: not a failure, "nan")
median() { { grep -v nan || true; } | sort -g | awk '{a[NR]=$1} END {if (NR == 0) print "nan"; else if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

wait_started() { # log marker pid: until the marker is in the log (at most 90 s) or pid ends
	local i
	for ((i = 0; i < 900; i++)); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		kill -0 "$3" 2>/dev/null || return 0
		sleep 0.1
	done
	echo "e2e.sh: \"$2\" not in $1 after 90 s; timing from now" >&2
}

run_testpmd() { # prints the run's median Rx-pps
	local log=$work/testpmd.log
	# with --stats-period testpmd runs until a signal
	"$testpmd" -l 0,1 "${mem[@]}" --no-pci --file-prefix dc_e2e_tp \
		--log-level lib.eal:warning --vdev "$vdev" -- --forward-mode=rxonly --auto-start \
		--nb-cores 1 --total-num-mbufs "$mbufs" --mbuf-size 2048 --stats-period 1 </dev/null >"$log" 2>&1 &
	local pid=$!
	# loading the file into mbufs takes a few seconds (more on a busy
	# machine) before forwarding starts: time the run from that point
	wait_started "$log" 'start packet forwarding' $pid
	sleep $((seconds + 2))
	kill -INT $pid 2>/dev/null || true
	wait $pid || true
	# the samples once forwarding runs, less the first and the last
	sed -n 's/.*Rx-pps: *\([0-9]*\).*/\1/p' "$log" | awk '$1 > 0' | awk 'NR > 1' | sed '$d' | median
}

run_darkcap() { # [extra darkcap options...]: prints "median pps, data path cycles/packet"
	local out=$work/darkcap.jsonl log=$work/darkcap.log
	rm -f "$out"
	"$darkcap" -l 0,1 "${mem[@]}" --no-pci --file-prefix dc_e2e_dc --log-level lib.eal:warning \
		--vdev "$vdev" -- \
		--output "$out" --interval 1 --workers 1 --mbuf-size 2048 --mbufs-per-queue "$mbufs" \
		--sources-max "$srcmax" --destinations-max "$srcmax" --flowtuples-max 4194304 \
		--geo-country "$geo_cc" --geo-asn "$geo_as" --telescope "$telescope" \
		--stats-path "$work/e2e.stats" "$@" >"$log" 2>&1 &
	local pid=$!
	wait_started "$log" 'worker 0 on lcore' $pid
	sleep $((seconds + 2))
	kill -INT $pid 2>/dev/null || true
	wait $pid || true
	local pps cyc
	pps=$(python3 -c '
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
r = [x["packets"] / (x["end"] - x["start"]) for x in r if not x.get("extended")][2:-1]
print("\n".join(str(v) for v in r))' "$out" | median)
	cyc=$(sed -n 's/.*data path \([0-9.]*\) TSC cycles per packet.*/\1/p' "$log" | head -1)
	echo "$pps ${cyc:-nan}"
}

if [ $sigcmp = 1 ]; then
	say "input: $pcap, $packets frames, $distinct distinct sources; $pages; TSC $tsc_mhz MHz; telescope $telescope"
	say "$repeat rounds of $seconds s each: darkcap with signatures on and off, the order alternating"
	on=() onp=() off=() offp=()
	for r in $(seq 1 "$repeat"); do
		if [ $((r % 2)) = 1 ]; then
			read -r a b < <(run_darkcap || echo nan nan)
			read -r c d < <(run_darkcap --signatures off || echo nan nan)
		else
			read -r c d < <(run_darkcap --signatures off || echo nan nan)
			read -r a b < <(run_darkcap || echo nan nan)
		fi
		on+=("$a") onp+=("$b") off+=("$c") offp+=("$d")
		python3 -c 'import sys; r, a, b, c, d = sys.argv[1:]
m = lambda v: "no samples" if v == "nan" else "%.2f Mpps" % (float(v) / 1e6)
print("    round %s: on %s (in-process %s cycles/packet), off %s (%s)" % (r, m(a), b, m(c), d))' \
			"$r" "$a" "$b" "$c" "$d" >&2
	done
	python3 - "$tsc_mhz" "$repeat" "$seconds" "$distinct" "${on[*]}" "${onp[*]}" "${off[*]}" "${offp[*]}" <<'PY'
import statistics, sys
mhz, rep, sec, distinct = (float(x) for x in sys.argv[1:5])
on, onp, off, offp = ([float(v) for v in a.split()] for a in sys.argv[5:9])
hz = mhz * 1e6
ok = [i for i in range(len(on)) if on[i] == on[i] and off[i] == off[i]]
if not ok:
    sys.exit("e2e.sh: no round gave rate samples for both (logs in the work directory)")
med = lambda v: statistics.median(v)
all_on, all_off = [hz / on[i] for i in ok], [hz / off[i] for i in ok]
print()
print("End to end, one receive core, signatures on and off, realistic mix (%d distinct sources), median of %d rounds of %d s:" % (distinct, len(ok), sec))
print()
print("| darkcap | Mpps per core | TSC cycles per packet, all work | in-process cycles per packet | per round (Mpps) |")
print("|---|---|---|---|---|")
print("| signatures on (shipped rules) | %.2f | %.1f | %.1f | %s |" % (med([on[i] for i in ok]) / 1e6, med(all_on), med([onp[i] for i in ok]), ", ".join("%.2f" % (on[i] / 1e6) for i in ok)))
print("| signatures off | %.2f | %.1f | %.1f | %s |" % (med([off[i] for i in ok]) / 1e6, med(all_off), med([offp[i] for i in ok]), ", ".join("%.2f" % (off[i] / 1e6) for i in ok)))
print()
pa = med([all_on[k] / all_off[k] for k in range(len(ok))])
pi = med([onp[i] / offp[i] for i in ok])
print("on / off, all work per packet: %.3f (medians), %.3f paired; in-process: %.3f (medians), %.3f paired (target <= 1.10)"
      % (med(all_on) / med(all_off), pa, med([onp[i] for i in ok]) / med([offp[i] for i in ok]), pi))
PY
	exit 0
fi
say "input: $pcap, $packets frames, $distinct distinct sources; $pages; TSC $tsc_mhz MHz; telescope $telescope"
say "$repeat rounds of $seconds s each: testpmd rxonly, then darkcap (lcore 1 receives, lcore 0 main/control)"
tp=() dc=() dp=()
for r in $(seq 1 "$repeat"); do
	t=$(run_testpmd || echo nan)
	read -r d c < <(run_darkcap || echo nan nan)
	tp+=("$t") dc+=("$d") dp+=("$c")
	python3 -c 'import sys; r, t, d, c = sys.argv[1:]
m = lambda v: "no samples" if v == "nan" else "%.2f Mpps" % (float(v) / 1e6)
print("    round %s: testpmd %s, darkcap %s (data path %s cycles/packet)" % (r, m(t), m(d), c))' \
		"$r" "$t" "$d" "$c" >&2
	if [ "$t" = nan ]; then
		echo "    testpmd gave no rate samples; the end of its log:" >&2
		tail -5 "$work/testpmd.log" >&2
	fi
	if [ "$d" = nan ]; then
		echo "    darkcap gave no rate samples; the end of its log:" >&2
		tail -5 "$work/darkcap.log" >&2
	fi
done
mt=$(printf '%s\n' "${tp[@]}" | median)
md=$(printf '%s\n' "${dc[@]}" | median)
mp=$(printf '%s\n' "${dp[@]}" | median)
python3 - "$mt" "$md" "$mp" "$tsc_mhz" "$repeat" "$seconds" "$distinct" <<'PY'
import sys
tp, dc, dp, mhz, rep, sec, distinct = (float(x) for x in sys.argv[1:])
if tp != tp or dc != dc:
    sys.exit("e2e.sh: no round gave rate samples for %s (logs above)" % ("testpmd" if tp != tp else "darkcap"))
hz = mhz * 1e6
print()
print("End to end, one receive core, realistic mix (%d distinct sources), median of %d rounds of %d s:" % (distinct, rep, sec))
print()
print("| tool | Mpps per core | TSC cycles per packet (all work, receive included) | in-process cycles per packet |")
print("|---|---|---|---|")
print("| dpdk-testpmd rxonly (receive floor) | %.2f | %.1f | - |" % (tp / 1e6, hz / tp))
print("| darkcap, every feature on | %.2f | %.1f | %.1f |" % (dc / 1e6, hz / dc, dp))
print()
ratio = dc / tp
print("darkcap / testpmd rxonly = %.2f (target >= 0.70: %s)" % (ratio, "reached" if ratio >= 0.7 else "NOT reached"))
print("darkcap all work = %.1f cycles per packet (target <= 150: %s)" % (hz / dc, "reached" if hz / dc <= 150 else "NOT reached"))
print("darkcap in-process = %.1f cycles per packet (target <= 100: %s)" % (dp, "reached" if dp <= 100 else "NOT reached"))
PY
