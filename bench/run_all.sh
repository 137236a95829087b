#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Every benchmark of docs/PERFORMANCE.md in one run, each row against its
# reference measured in the same run (./run.sh bench calls this after
# installing the packages it needs):
#   1. end to end, per worker: darkcap against dpdk-testpmd rxonly on the
#      same input (bench/e2e/e2e.sh);
#   2. per stage: cycles per packet of each stage of the data path at 1M and
#      16M distinct sources (bench/stages);
#   3. the per-source table against DPDK's rte_hash (bench/table);
#   4. offline, on the same capture file: darkcap against tracestats,
#      nfpcapd, softflowd and pmacctd (bench/peers/peers.sh);
#   5. payload signatures: dc_sig_scan() per payload-bearing packet, and the
#      data path on the realistic mix with signatures off and on (bench/sig),
#      and the engine end to end with them on and off (e2e.sh --signatures-compare);
#   6. exact instructions per packet of the in-process data path, per
#      source file and line, and of the signature scan per payload
#      (valgrind's callgrind, bench/profile/callgrind.sh [--sig]):
#      the one figure here that other tenants of the machine do not move.
# (Scaling on paper, docs/PERFORMANCE.md, is worked out from 1 and 2.)
# Builds build-release (meson --buildtype=release) first. As root it
# reserves 2 MiB hugepages for the runs and gives them back at the end.
#
# Usage: bench/run_all.sh [--quick] [--only e2e,stages,table,peers,signatures,profile] [--out FILE]
#   --quick  small sizes and 1-3 repetitions (minutes, not the quoted figures)
#   --out    also write everything printed to FILE (default bench-results.md
#            in the build directory)
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
quick=0
only=e2e,stages,table,peers,signatures,profile
out=$root/build-release/bench-results.md
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=1; shift ;;
	--only) only=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	-h|--help) sed -n '3,27p' "$0"; exit 0 ;;
	*) echo "run_all.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
	esac
done
for part in ${only//,/ }; do
	case $part in e2e|stages|table|peers|signatures|profile) ;; *) echo "run_all.sh: --only: unknown part '$part'" >&2; exit 2 ;; esac
done
want() { [[ ",$only," == *",$1,"* ]]; }
rc=0
part_failed() { echo "(this part failed: see the lines above)"; rc=1; }
say() { printf '==> %s\n' "$*" >&2; }

say "building (release) in build-release"
if [ -f "$root/build-release/build.ninja" ]; then
	meson configure "$root/build-release" --buildtype=release >/dev/null
else
	meson setup "$root/build-release" "$root" --buildtype=release >/dev/null
fi
ninja -C "$root/build-release" >/dev/null || { echo "run_all.sh: the release build failed" >&2; exit 1; }
bin=$root/build-release

# Nothing else may poll a core during the runs.
busy=$(pgrep -a -f 'dpdk-testpmd|app/darkcap/darkcap |darkcap-send|darkcap-table-bench|darkcap-stages-bench|darkcap-sig-bench' || true)
if [ -n "$busy" ]; then
	echo "run_all.sh: other DPDK processes are running and would skew every number:" >&2
	echo "$busy" >&2
	exit 2
fi

hp_before=$(cat /proc/sys/vm/nr_hugepages)
huge=0
if [ "$(id -u)" = 0 ]; then
	huge=1
	trap 'echo "$hp_before" >/proc/sys/vm/nr_hugepages' EXIT
else
	say "not root: no hugepages (every rate is lower, mostly from TLB misses)"
fi
hugepages() { # N: reserve N 2 MiB pages (root only)
	[ $huge = 1 ] && echo "$1" >/proc/sys/vm/nr_hugepages
	return 0
}

mkdir -p "$(dirname "$out")"
exec > >(tee "$out") 2>&1
echo "# darkcap benchmarks, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo
echo "Machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) CPUs," \
	"$(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), load average $(cut -d' ' -f1-3 /proc/loadavg)," \
	"commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')"
echo

if want e2e; then
	echo "## 1. End to end, per worker"
	echo
	if [ $quick = 1 ]; then
		"$here/e2e/e2e.sh" --darkcap "$bin/app/darkcap/darkcap" --gen "$bin/bench/gen/darkcap-gen" \
			--packets 300000 --seconds 8 --repeat 1 || part_failed
	else
		"$here/e2e/e2e.sh" --darkcap "$bin/app/darkcap/darkcap" --gen "$bin/bench/gen/darkcap-gen" || part_failed
	fi
	echo
fi

if want stages; then
	echo "## 2. Per stage"
	echo
	if [ $quick = 1 ]; then
		hugepages 1024
		"$bin/bench/stages/darkcap-stages-bench" --in-memory -m 2000 --no-pci -l 1 --log-level lib.eal:warning \
			-- --quick || part_failed
	else
		hugepages 3072
		geo=()
		db=$root/demo-out/geo/package/geo-whois-asn-country.mmdb # ./run.sh demo fetches it
		[ -f "$db" ] && geo=(--geo-country "$db")
		"$bin/bench/stages/darkcap-stages-bench" --in-memory -m 6000 --no-pci -l 1 --log-level lib.eal:warning \
			-- --keys 1000000,16000000 --repeat 5 --retry 3 "${geo[@]}" || part_failed
	fi
	hugepages 0
	echo
fi

if want table; then
	echo "## 3. Per-source table against rte_hash"
	echo
	if [ $quick = 1 ]; then
		"$bin/bench/table/darkcap-table-bench" --no-huge -m 512 --no-pci --no-shconf -l 1 \
			--log-level lib.eal:warning -- --quick || part_failed
	else
		hugepages 3072
		"$bin/bench/table/darkcap-table-bench" --in-memory -m 5600 --no-pci -l 1 --log-level lib.eal:warning \
			-- --packets 8000000 --repeat 5 --keys 1000000,16000000 || part_failed
		hugepages 0
	fi
	echo
fi

if want peers; then
	echo "## 4. Offline, on the same capture file"
	echo
	if [ $quick = 1 ]; then
		"$here/peers/peers.sh" --darkcap "$bin/app/darkcap/darkcap" --gen "$bin/bench/gen/darkcap-gen" \
			--packets 500000 --repeat 1 || part_failed
	else
		"$here/peers/peers.sh" --darkcap "$bin/app/darkcap/darkcap" --gen "$bin/bench/gen/darkcap-gen" || part_failed
	fi
	echo
fi

if want signatures; then
	echo "## 5. Payload signatures"
	echo
	if [ $quick = 1 ]; then
		"$bin/bench/sig/darkcap-sig-bench" --no-huge -m 1024 --no-pci --no-shconf -l 1 \
			--log-level lib.eal:warning -- --quick || part_failed
	else
		mem=(--no-huge --no-shconf)
		[ $huge = 1 ] && mem=(--in-memory) && hugepages 640
		"$bin/bench/sig/darkcap-sig-bench" "${mem[@]}" -m 1024 --no-pci -l 1 --log-level lib.eal:warning \
			-- --repeat 5 || part_failed
		hugepages 0
		echo
		echo "The engine end to end with signatures on and off (bench/e2e/e2e.sh --signatures-compare):"
		"$here/e2e/e2e.sh" --darkcap "$bin/app/darkcap/darkcap" --gen "$bin/bench/gen/darkcap-gen" \
			--signatures-compare --repeat 4 --seconds 10 || part_failed
	fi
	echo
fi

if want profile; then
	echo "## 6. Instructions per packet (callgrind)"
	echo
	if [ $quick = 1 ]; then
		"$here/profile/callgrind.sh" --packets 50000 --keys 20000 --lines 10 || part_failed
	else
		"$here/profile/callgrind.sh" || part_failed
	fi
	echo
	"$here/profile/callgrind.sh" --sig || part_failed
	echo
fi

echo "Results also in $out"
exit $rc
