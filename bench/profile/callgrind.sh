#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Exact instruction counts of the worker's in-process data path, per packet:
# valgrind's callgrind over darkcap-stages-bench (generated frames, every
# feature on: fingerprints, the three tables, country and AS databases),
# collecting only inside dc_counters_burst() and dc_tset_burst(), the two
# library functions a worker calls per burst. Unlike TSC cycles, these
# counts do not move with the other tenants of a shared machine: a change to
# the data path is measured exactly by running this before and after it.
#
# Usage: bench/profile/callgrind.sh [--keys N] [--packets N] [--dist uniform|zipf]
#            [--build DIR] [--out FILE] [--lines N] [--telescope PREFIXES]
#        bench/profile/callgrind.sh --sig [--no-fast] [--rules FILE]... [--build DIR]
#        bench/profile/callgrind.sh --signatures-compare [--frames N] [--build DIR]
#   --keys     distinct sources (default 100000)
#   --packets  packets per pass (default 200000; two passes are counted:
#              "insert" from empty tables, then "steady")
#   --build    build directory (default build-prof: release + debug info, made
#              here when missing, so that the counts map to source lines)
#   --out      keep callgrind's output file (default: a temporary file)
#   --lines    source lines listed (default 25)
#   --telescope the telescope's prefixes (the generator's is 198.18.0.0/15):
#              destinations in them counted in the bitmap, not the table
#   --sig      instead: Hyperscan's instructions per payload-bearing packet of
#              darkcap-gen's default mix (100,000 frames, seed 1), every payload
#              found and capped as the engine does and scanned once by
#              dc_sig_scan() with the rules (darkcap-sig-count), in all and per
#              port of the default rules; each --rules FILE adds a rule set (one
#              or more files joined with commas) to compare with the default;
#              --no-fast adds the default rules scanned by Hyperscan alone
#              (DC_SIG_NO_FAST: no group decided by darkcap's matcher)
#   --signatures-compare
#              instead: the engine itself, darkcap --read of darkcap-gen's
#              default mix (--frames, default 100,000, seed 1) with the shipped
#              signatures and with --signatures off, instructions per frame of
#              its in-process path (dc_counters_burst() + dc_tset_burst(), the
#              signature stage and dc_sig_scan() inside it) and their ratio:
#              issue #8's "signatures on at most 1.10 x off", counted exactly;
#              the two runs' records must agree on every packet count
# Needs valgrind (./run.sh bench installs it). About a minute and a half at
# the defaults; the counts scale with --packets, the cost per packet hardly.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
keys=100000
packets=200000
dist=uniform
build=$root/build-prof
out=
lines=25
sig=0
sigcmp=0
frames=100000
nofast=0
rulesets=()
tel=()
while [ $# -gt 0 ]; do
	case $1 in
	--sig) sig=1; shift ;;
	--signatures-compare) sigcmp=1; shift ;;
	--frames) frames=$2; shift 2 ;;
	--no-fast) nofast=1; shift ;;
	--rules) rulesets+=("$2"); shift 2 ;;
	--keys) keys=$2; shift 2 ;;
	--packets) packets=$2; shift 2 ;;
	--dist) dist=$2; shift 2 ;;
	--build) build=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--lines) lines=$2; shift 2 ;;
	--telescope) tel=(--telescope "$2"); shift 2 ;;
	-h|--help) sed -n '3,42p' "$0"; exit 0 ;;
	*) echo "callgrind.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
	esac
done
case $dist in uniform|zipf) ;; *) echo "callgrind.sh: --dist: uniform or zipf, not '$dist'" >&2; exit 2 ;; esac
for v in "$keys" "$packets" "$lines" "$frames"; do
	[[ $v =~ ^[1-9][0-9]*$ ]] || { echo "callgrind.sh: '$v' is not a positive count" >&2; exit 2; }
done
for t in valgrind callgrind_annotate; do
	command -v "$t" >/dev/null || { echo "callgrind.sh: $t not found (apt-get install valgrind, or ./run.sh bench)" >&2; exit 2; }
done

if [ ! -f "$build/build.ninja" ]; then
	echo "==> configuring $build (release, with debug info)" >&2
	meson setup "$build" "$root" --buildtype=release -Ddebug=true >/dev/null
fi
ninja -C "$build" bench/stages/darkcap-stages-bench bench/gen/darkcap-gen \
	bench/profile/darkcap-sig-count app/darkcap/darkcap >/dev/null

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ $sigcmp = 1 ]; then
	# The engine's in-process path, signatures on and off, on the same file.
	"$build/bench/gen/darkcap-gen" --out "$tmp/mix.pcap" --truth "$tmp/mix.truth" \
		--packets "$frames" >/dev/null
	run() { # tag [darkcap options...] -> "instructions scan_instructions"
		local tag=$1 ir sc; shift
		valgrind --tool=callgrind --callgrind-out-file="$tmp/$tag.cg" \
			--toggle-collect=dc_counters_burst --toggle-collect=dc_tset_burst \
			"$build/app/darkcap/darkcap" --no-huge -m 2048 --no-pci --no-shconf -l 0,1 \
			--file-prefix "dc_cg_${tag}_$$" --log-level lib.eal:warning -- \
			--read "$tmp/mix.pcap" --output "$tmp/$tag.jsonl" --interval 60 \
			--stats-path off --telescope 198.18.0.0/15 "$@" >"$tmp/$tag.log" 2>&1 ||
			{ cat "$tmp/$tag.log" >&2; echo "callgrind.sh: darkcap ($tag) failed" >&2; exit 1; }
		ir=$(grep -o 'Collected : [0-9]*' "$tmp/$tag.log" | awk '{print $3}')
		# dc_sig_scan() inclusive (Hyperscan and darkcap's matcher in it)
		sc=$(callgrind_annotate --inclusive=yes "$tmp/$tag.cg" 2>/dev/null |
			awk '/dc_sig\.c:dc_sig_scan/ && !n {gsub(",", "", $1); print $1; n = 1}')
		echo "$ir ${sc:-0}"
	}
	read -r ion son < <(run on)
	read -r ioff _ < <(run off --signatures off)
	python3 - "$tmp/on.jsonl" "$tmp/off.jsonl" "$frames" "$ion" "$son" "$ioff" <<'PY'
import json, sys
on, off = ([json.loads(l) for l in open(p)] for p in sys.argv[1:3])
frames, ion, son, ioff = (int(x) for x in sys.argv[3:7])
keys = ("packets", "bytes", "non_ip", "malformed", "ipv4", "ipv6", "fragments", "l4_truncated",
        "tcp_syn", "unique_sources", "unique_flowtuples")
tot = lambda rs: [sum(r.get(k, 0) for r in rs) for k in keys]
if tot(on) != tot(off) or sum(r["packets"] for r in on) != frames:
    sys.exit("callgrind.sh: the runs with signatures on and off counted different packets")
sc = [r["signature_scan"] for r in on]
pay, mat = sum(x["payload_packets"] for x in sc), sum(x["matched_packets"] for x in sc)
print("### Instructions per frame of darkcap's in-process path, signatures on and off (callgrind)\n")
print(f"darkcap --read of darkcap-gen's default mix: {frames} frames, {pay} with a TCP/UDP payload "
      f"({100 * pay / frames:.2f} %), {mat} of them matching a signature.\n")
print("| signatures | instructions / frame | of it dc_sig_scan() | the rest of the signature work |")
print("|---|---|---|---|")
print(f"| off | {ioff / frames:.1f} | - | - |")
print(f"| on (shipped rules) | {ion / frames:.1f} | {son / frames:.1f} ({son / pay:.1f} per payload) "
      f"| {(ion - son - ioff) / frames:.1f} ({(ion - son - ioff) / pay:.1f} per payload) |")
print(f"\non / off: **{ion / ioff:.3f}** (target <= 1.10)")
PY
	exit 0
fi
if [ $sig = 1 ]; then
	# Instructions inside dc_sig_scan() (Hyperscan included) over the mix's payloads.
	"$build/bench/gen/darkcap-gen" --out "$tmp/mix.pcap" --truth "$tmp/mix.truth" >/dev/null
	rulesets=("$root/lib/sig/rules/default.rules" "${rulesets[@]}")
	[ $nofast = 1 ] && rulesets+=("no-fast:$root/lib/sig/rules/default.rules")
	ports=(all udp/53 udp/123 udp/3702 udp/1900 udp/5060 udp/161 udp/389 udp/11211 udp/137
	       tcp/80 tcp/8080 tcp/37215 tcp/52869)
	count() { # RULESET PORT -> "payloads matches instructions"
		local rs=$1 port=$2 files=() f o ir fl=()
		case $rs in no-fast:*) rs=${rs#no-fast:}; fl=(--no-fast) ;; esac
		IFS=, read -r -a files <<<"$rs"
		for f in "${files[@]}"; do [ -f "$f" ] || { echo "callgrind.sh: --rules: no file '$f'" >&2; exit 2; }; done
		local sel=()
		[ "$port" != all ] && sel=(--port "$port")
		o=$(valgrind --tool=callgrind --callgrind-out-file="$tmp/sig.out" --toggle-collect=dc_sig_scan \
			"$build/bench/profile/darkcap-sig-count" "${fl[@]}" "${sel[@]}" "${files[@]}" -- "$tmp/mix.pcap" 2>"$tmp/vg.txt") ||
			{ cat "$tmp/vg.txt" >&2; echo "callgrind.sh: darkcap-sig-count failed" >&2; exit 1; }
		ir=$(grep -o 'Collected : [0-9]*' "$tmp/vg.txt" | awk '{print $3}')
		echo "$o" | sed -E 's/.* ([0-9]+) payloads scanned .* ([0-9]+) matched, ([0-9]+) matches/\1 \3/' | tr '\n' ' '
		echo "$ir"
	}
	echo "### Instructions per payload in dc_sig_scan() (callgrind), darkcap-gen's default mix"
	echo
	hdr="| port |"; sep="|---|"
	for rs in "${rulesets[@]}"; do
		nm=$(basename "${rs%%,*}"); [[ $rs == no-fast:* ]] && nm="$nm, Hyperscan alone"
		hdr+=" payloads | matches | instructions / payload ($nm) |"; sep+="---|---|---|"
	done
	echo "$hdr"; echo "$sep"
	for port in "${ports[@]}"; do
		row="| $port |"
		for rs in "${rulesets[@]}"; do
			read -r np nm ir <<<"$(count "$rs" "$port")"
			if [ "${np:-0}" -gt 0 ]; then
				row+=" $np | $nm | $(awk -v a="$ir" -v b="$np" 'BEGIN{printf "%.1f", a / b}') |"
			else
				row+=" 0 | 0 | - |"
			fi
		done
		echo "$row"
	done
	exit 0
fi
cg=${out:-$tmp/callgrind.out}
log=$tmp/bench.txt
echo "==> callgrind over darkcap-stages-bench: $keys sources ($dist), $packets packets per pass, 2 passes" >&2
valgrind --tool=callgrind --callgrind-out-file="$cg" \
	--toggle-collect=dc_counters_burst --toggle-collect=dc_tset_burst \
	"$build/bench/stages/darkcap-stages-bench" --no-huge -m 2048 --no-pci --no-shconf -l 0 \
	--file-prefix "dc_cg_$$" --log-level lib.eal:warning -- --gen "$build/bench/gen/darkcap-gen" \
	--quick --repeat 1 --keys "$keys" --packets "$packets" --dist "$dist" --timer lfence "${tel[@]}" \
	>"$log" 2>"$tmp/valgrind.txt" || { cat "$log" "$tmp/valgrind.txt" >&2; echo "callgrind.sh: the run failed" >&2; exit 1; }
grep -q 'checks passed' "$log" || { cat "$log" >&2; echo "callgrind.sh: the bench's checks did not pass" >&2; exit 1; }

# Packets through the collected functions: the two timed passes of the
# frames the bench reports ("N packets per pass"; dc_parse() is inline, so
# its calls no longer count them).
callgrind_annotate --inclusive=yes "$cg" >"$tmp/incl.txt" 2>/dev/null
callgrind_annotate --inclusive=no --auto=yes --show-percs=no "$cg" >"$tmp/self.txt" 2>/dev/null
npp=$(sed -n 's/.*: \([0-9]*\) packets per pass.*/\1/p' "$log" | head -1)
[ -n "$npp" ] && [ "$npp" -gt 0 ] || { echo "callgrind.sh: could not find the packet count in the bench's output" >&2; exit 1; }
npkt=$((2 * npp))
total=$(grep -m1 'PROGRAM TOTALS' "$tmp/incl.txt" | awk '{gsub(",","",$1); print $1}')

python3 - "$tmp/self.txt" "$npkt" "$total" "$lines" "$keys" "$dist" "$packets" <<'PY'
import re, sys
path, npkt, total, nlines = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
keys, dist, packets = sys.argv[5], sys.argv[6], sys.argv[7]
txt = open(path).read()


def short(f):
    """A source path as the tables show it: repository-relative, or the
    compiler's or DPDK's header by name."""
    f = f.strip()
    if "/gcc/" in f or f.startswith("/usr/"):
        return f.rsplit("/", 1)[-1] + " (system header)"
    return re.sub(r".*/(lib|app|bench|tests)/", r"\1/", f)


print(f"### Instructions per packet of the in-process data path (callgrind)\n")
print(f"{keys} distinct sources ({dist}), {packets} packets per pass, 2 passes: "
      f"{npkt} packets through dc_counters_burst() + dc_tset_burst(), "
      f"{total:,} instructions: **{total / npkt:.1f} per packet**.\n")
# Per function and source file (self cost, inlined code charged to the file it came from).
sec = txt.split("file:function", 1)[1].split("-- Auto-annotated", 1)[0]
rows = []
for line in sec.splitlines():
    m = re.match(r"\s*([\d,]+)\s+(\S+):(\S+)", line)
    if m:
        rows.append((int(m.group(1).replace(",", "")), m.group(2), m.group(3)))
byfn = {}
for ir, f, fn in rows:
    byfn[fn] = byfn.get(fn, 0) + ir
print("| instructions / packet | share | function (with the code inlined into it) |")
print("|---|---|---|")
for fn, ir in sorted(byfn.items(), key=lambda x: -x[1]):
    if ir * 1000 >= total:
        print(f"| {ir / npkt:.1f} | {100 * ir / total:.1f} % | {fn} |")
print()
print("| instructions / packet | share | source file | in function |")
print("|---|---|---|---|")
for ir, f, fn in rows:
    if ir * 1000 < total:
        continue
    f = short(f)
    print(f"| {ir / npkt:.1f} | {100 * ir / total:.1f} % | {f} | {fn} |")
# The heaviest source lines.
cur, lines = None, []
for line in txt.splitlines():
    m = re.match(r"-- Auto-annotated source: (.*)", line)
    if m:
        cur = short(m.group(1))
        continue
    m = re.match(r"\s*([\d,]+)\s+(.*)", line)
    if cur and m and not m.group(2).lstrip().startswith("=>") and \
            m.group(2).strip() != "events annotated":
        lines.append((int(m.group(1).replace(",", "")), cur, m.group(2).strip()[:90]))
lines.sort(reverse=True)
print(f"\nHeaviest source lines (self, per packet):\n")
print("| instructions / packet | file | line |")
print("|---|---|---|")
for ir, f, src in lines[:nlines]:
    src = src.replace("|", "\\|")
    print(f"| {ir / npkt:.1f} | {f} | `{src}` |")
PY
