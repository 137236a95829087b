#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# darkcap on a fresh Debian 12 machine, as root. Installs what is missing,
# builds, and runs:
#   ./run.sh demo   the main job: generated darknet traffic replayed through a
#                   DPDK virtual device (no NIC, no hugepages), a summary per
#                   interval, and where the full output went
#   ./run.sh test   the whole test suite (unit, functional, robustness), also
#                   under AddressSanitizer + UndefinedBehaviorSanitizer; ends
#                   with the line "N passed, N failed"
#   ./run.sh bench [--quick]
#                   every benchmark of docs/PERFORMANCE.md (bench/run_all.sh),
#                   with the peers it compares against (libtrace-tools,
#                   nfdump, softflowd, pmacct); about 30 minutes
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$here"

PKGS=(meson ninja-build pkg-config gcc python3 dpdk dpdk-dev libdpdk-dev
      libhyperscan-dev libjemalloc-dev libpcap-dev zlib1g-dev
      libmaxminddb-dev libmaxmind-db-writer-perl mmdb-bin
      libmicrohttpd-dev prometheus clang libclang-rt-14-dev libsqlite3-dev tzdata
      chromium)

say() { printf '==> %s\n' "$*" >&2; }

install_deps() {
	local missing=() p
	for p in "${PKGS[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		if [ "$(id -u)" != 0 ]; then
			echo "run.sh: missing packages ${missing[*]}: run as root (or install them) first" >&2
			exit 2
		fi
		say "installing ${missing[*]}"
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	fi
}

# build DIR [meson options...]
build() {
	local dir=$1; shift
	if [ -f "$dir/build.ninja" ]; then
		meson configure "$dir" "$@" >/dev/null
	else
		meson setup "$dir" "$@" >/dev/null
	fi
	ninja -C "$dir" >/dev/null
}

# A public country database (CC0, RIR-derived; the npm registry is
# reachable from this kind of machine). Prints its path, or nothing.
country_db() {
	local dir=$1 f=$1/package/geo-whois-asn-country.mmdb
	[ -f "$f" ] || f=""
	if [ -z "$f" ]; then
		if ! command -v npm >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm >/dev/null 2>&1 || true
		fi
		if command -v npm >/dev/null 2>&1; then
			mkdir -p "$dir"
			(cd "$dir" && timeout 120 npm pack --silent @ip-location-db/geo-whois-asn-country-mmdb >/dev/null 2>&1 &&
				tar xzf ip-location-db-geo-whois-asn-country-mmdb-*.tgz) || true
			f=$dir/package/geo-whois-asn-country.mmdb
			[ -f "$f" ] || f=""
		fi
	fi
	echo "$f"
}

demo() {
	install_deps
	say "building (release)"
	build build --buildtype=release
	local work=$here/demo-out
	rm -rf "$work/records" "$work/darkcap.db" "$work/darkcap.db-wal" "$work/darkcap.db-shm"
	mkdir -p "$work/records"
	say "generating one day of darknet traffic (Mirai, ZMap, Masscan, backscatter, UDP probes, IPv6, malformed frames)"
	./build/bench/gen/darkcap-gen --seed 2022 --start 2022-05-10T00:00:00Z --days 1 \
		--packets 400000 --interval 3600 \
		--out "$work/darknet.pcap" --truth "$work/truth.jsonl"
	local geo geo_opt=()
	say "getting a public country database (npm: @ip-location-db/geo-whois-asn-country-mmdb, CC0)"
	geo=$(country_db "$work/geo")
	if [ -n "$geo" ]; then
		geo_opt=(--geo-country "$geo")
	else
		say "no country database could be had: running without one (every country unknown)"
	fi
	say "replaying it through DPDK's net_pcap device into darkcap (1 worker, hourly intervals, telescope 198.18.0.0/15)"
	./build/app/darkcap/darkcap -l 0-1 --no-huge -m 1024 --no-pci --file-prefix darkcap-demo \
		--log-level lib.eal:warning \
		--vdev "net_pcap0,rx_pcap=$work/darknet.pcap" -- \
		--interval 3600 --summary on --truncate on --output "$work/intervals.jsonl" \
		--records-dir "$work/records" --stats-path "$work/darkcap.stats" \
		--store-path "$work/darkcap.db" --store-timezone Asia/Tokyo --telescope 198.18.0.0/15 \
		"${geo_opt[@]}"
	echo
	echo "Top destination ports since start, from the shared-memory statistics (darkcap-stat):"
	./build/app/darkcap-stat/darkcap-stat --path "$work/darkcap.stats" top ports -n 5 --total
	echo
	python3 - "$work/intervals.jsonl" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
busiest = max(recs, key=lambda r: r["packets"])
print("Top sources of the busiest hour (%d packets, %d unique sources):"
      % (busiest["packets"], busiest["unique_sources"]))
for s in busiest["top_sources"][:5]:
    print("  %-40s %7d pkts  mirai %6d  dst ports %d%s"
          % (s["addr"], s["packets"], s["mirai"], s["dst_ports"], "+" if s["dst_ports_more"] else ""))
if any("countries" in r for r in recs):
    tot = {}
    for r in recs:
        for cc, v in r.get("countries", {}).items():
            t = tot.setdefault(cc, [0, 0])
            t[0] += v["packets"]
            t[1] += v["mirai"]
    print("Top source countries of the day (packets, Mirai-type packets):")
    for cc, (p, m) in sorted(tot.items(), key=lambda x: -x[1][0])[:5]:
        print("  %-8s %8d %8d" % (cc, p, m))
sig = {}
for r in recs:
    for sid, v in r.get("signatures", {}).items():
        t = sig.setdefault(sid, [v["name"], v["family"], 0, 0])
        t[2] += v["packets"]
        t[3] += v["sources"]
if sig:
    print("Top payload signatures of the day (docs/SIGNATURES.md; packets, sources summed over hours):")
    for sid, (name, fam, p, s) in sorted(sig.items(), key=lambda x: -x[1][2])[:5]:
        print("  %-5s %-18s %-15s %7d %6d" % (sid, name, fam, p, s))
for r in recs:
    if "day" in r:
        d = r["day"]
        print("Day %s: %d distinct sources, %d of them sent Mirai-type packets%s"
              % (d["date"], d["unique_sources"], d["mirai_unique_sources"],
                 " (estimated)" if d["estimated"] else ""))
PY
	echo
	say "the report (docs/REPORT.md) from the store"
	rm -rf "$work/report"
	./build/tools/report/darkcap-report --from 2022-05-10 --to 2022-05-11 --previous none \
		--country US --out "$work/report" "$work/darkcap.db"
	echo "Full per-interval records (docs/OUTPUT.md): $work/intervals.jsonl"
	echo "Per-interval sources and flowtuples (CSV):  $work/records/"
	echo "Generator's ground truth for comparison:    $work/truth.jsonl"
	echo "Statistics segment (darkcap-stat --path):   $work/darkcap.stats"
	echo "Store, days in Asia/Tokyo (docs/STORE.md):  $work/darkcap.db"
	echo "Report (HTML, Markdown, CSV):               $work/report/"
}

# totals DIR...: sum meson's results into "N passed, N failed[, N skipped]"
totals() {
	python3 - "$@" <<'PY'
import glob, json, sys
p = f = s = 0
for d in sys.argv[1:]:
    logs = sorted(glob.glob(d + "/meson-logs/testlog*.json"))
    if not logs:
        f += 1
        continue
    lines = [l for log in logs for l in open(log).read().splitlines()]
    for l in lines:
        r = json.loads(l).get("result")
        if r in ("OK", "EXPECTEDFAIL"):
            p += 1
        elif r == "SKIP":
            s += 1
        else:
            f += 1
print("%d passed, %d failed%s" % (p, f, ", %d skipped" % s if s else ""))
PY
}

run_tests() {
	install_deps
	local rc=0
	say "building (debugoptimized) and running every test"
	build build-test --buildtype=debugoptimized
	# The functional tests one at a time (each runs DPDK lcores on both
	# cores); the others (unit, robustness, report, statistics tools: they
	# check results, never timing) two at a time. Each run its own log;
	# totals() reads them all.
	rm -f build-test/meson-logs/testlog*.json build-asan/meson-logs/testlog*.json
	meson test -C build-test --print-errorlogs --num-processes 1 --suite func --logbase testlog-func || rc=1
	meson test -C build-test --print-errorlogs --num-processes 2 --no-suite func --logbase testlog-rest || rc=1
	say "building with AddressSanitizer + UndefinedBehaviorSanitizer and running the unit and functional tests"
	build build-asan --buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false
	# Not again here: the fuzz suite (it builds its own sanitized target) and
	# the report suite (the Python report on generated stores; the engine's
	# store path runs here in func_store; func_report_e2e is in the report
	# suite too: two quarters through the engine take minutes under ASan),
	# and the bench-smoke suite (the benchmarks' own code; the data path
	# they drive runs here in the functional tests).
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:halt_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		meson test -C build-asan --print-errorlogs --num-processes 1 --suite func --no-suite report --logbase testlog-func || rc=1
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:halt_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		meson test -C build-asan --print-errorlogs --num-processes 2 --no-suite func --no-suite fuzz --no-suite report --no-suite bench-smoke --logbase testlog-rest || rc=1
	totals build-test build-asan
	return $rc
}

# The peers of the offline benchmark (their packages start daemons: stop
# and disable them, the benchmark runs its own instances), and valgrind for
# the instruction counts.
BENCH_PKGS=(libtrace-tools nfdump softflowd pmacct valgrind)

bench() {
	install_deps
	PKGS=("${BENCH_PKGS[@]}")
	install_deps
	systemctl disable --now nfdump softflowd pmacctd nfacctd sfacctd >/dev/null 2>&1 || true
	shift
	bench/run_all.sh "$@"
}

case "${1:-}" in
demo) demo ;;
test) run_tests ;;
bench) bench "$@" ;;
*)
	echo "usage: $0 demo|test|bench" >&2
	exit 2
	;;
esac
