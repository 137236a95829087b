#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The engine's cost of geo per packet: darkcap's worker data path (TSC cycles
# per packet, from its exit log) on the same generated traffic, replayed in a
# loop from memory (net_pcap infinite_rx), with and without a country
# database, alternating runs; medians and their ratio.
#   bench/geo/geo_cost.sh COUNTRY.mmdb [runs] [seconds]
set -euo pipefail
db=${1:?usage: geo_cost.sh COUNTRY.mmdb [runs] [seconds]}
runs=${2:-3}
secs=${3:-8}
here=$(cd "$(dirname "$0")/../.." && pwd)
bin=$here/build/app/darkcap/darkcap
gen=$here/build/bench/gen/darkcap-gen
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$gen" --out "$tmp/t.pcap" --truth "$tmp/t.truth" --packets 50000 --seed 5 >/dev/null
one() {
	timeout -s INT "$secs" "$bin" -l 0-1 --no-huge -m 2048 --no-pci --file-prefix "geocost$$" \
		--log-level lib.eal:warning --vdev "net_pcap0,rx_pcap=$tmp/t.pcap,infinite_rx=1" -- \
		-o "$tmp/o.jsonl" --truncate on --interval 60 --mbuf-size 9344 --mbufs-per-queue 65536 "$@" \
		>"$tmp/log" 2>&1 || true # stopped by SIGINT after $secs seconds
	sed -n 's/.*data path \([0-9.]*\) TSC cycles per packet.*/\1/p' "$tmp/log"
}
off=() on=()
for ((i = 0; i < runs; i++)); do
	off+=("$(one)")
	on+=("$(one --geo-country "$db")")
done
python3 - "${off[*]}" "${on[*]}" <<'PY'
import statistics, sys
off = [float(x) for x in sys.argv[1].split()]
on = [float(x) for x in sys.argv[2].split()]
mo, mn = statistics.median(off), statistics.median(on)
print("| geo | data path cycles/packet (runs) | median |")
print("|---|---|---|")
print("| off | %s | %.1f |" % (", ".join("%.1f" % x for x in off), mo))
print("| on  | %s | %.1f |" % (", ".join("%.1f" % x for x in on), mn))
print("geo costs %.1f cycles per packet (on/off = %.3f)" % (mn - mo, mn / mo))
PY
