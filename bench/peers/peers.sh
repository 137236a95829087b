#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Offline peers benchmark (issue #7): darkcap reading a pcap once (itself,
# --read; and through DPDK's net_pcap, "darkcap-vdev", for comparison) against
# libtrace's tracestats, nfdump's nfpcapd, softflowd and pmacctd, on the same
# generated darknet file, in the same run. Every tool runs --repeat times,
# round robin (the order rotates each round, so machine noise hits all
# alike); each run's wall time and user+sys CPU are measured and its output
# is checked. Each tool is also run on a 1-packet file of the same traffic:
# its start-up (and shut-down) cost. Prints medians, packets per second and
# the speed ratios against the issue's targets (darkcap >= 1.0x tracestats,
# >= 10x each flow exporter; ratio = tool wall time / darkcap wall time, with
# start-up included: the honest number; a second ratio subtracts each tool's
# own start-up).
#
# Usage:
#   bench/peers/peers.sh [--packets N] [--many-sources] [--days D] [--seed N]
#                        [--repeat R] [--workdir DIR] [--darkcap PATH]
#                        [--gen PATH] [--timeout SECS] [--keep] [--no-huge]
#
#   --packets N      frames in the generated pcap (default 5000000)
#   --many-sources   generator's --many-sources (every packet from a uniform
#                    pool of max(N, 3000) sources); default: its normal mix
#   --days D         capture span for the generator (default 1, its default)
#   --seed N         generator seed (default 1)
#   --repeat R       timed runs per tool (default 5)
#   --workdir DIR    pcaps (cached by their parameters), outputs, raw results
#                    (default /tmp/darkcap-peers)
#   --darkcap PATH   darkcap binary (default build-release/, then build/)
#   --gen PATH       darkcap-gen binary (default build-release/, then build/)
#   --timeout SECS   a run taking longer is killed and counts as failed
#                    (default 600)
#   --keep           keep the per-run outputs and the generator's truth file
#   --no-huge        darkcap on 4 KiB pages (DPDK --no-huge). By default, as
#                    root, darkcap runs as it is deployed, on 2 MiB hugepages
#                    (docs/HARDWARE.md): 600 are reserved for the run and the
#                    count before is restored at the end; without root, or
#                    with this option, --no-huge (its start-up then faults in
#                    its tables 4 KiB at a time: about 0.5 s more here)
#
# Needs the Debian packages libtrace-tools, nfdump, softflowd, pmacct (and
# python3, time). Exit status 0 when every run of every tool passed its check
# (whether the targets were reached or not), 1 otherwise. A run whose
# output fails its check is rerun once per tool (the table notes it).
set -euo pipefail

prog=peers.sh
die() { echo "$prog: $*" >&2; exit 1; }

root=$(cd "$(dirname "$0")/../.." && pwd)
packets=5000000
many=0
days=1
seed=1
repeat=5
workdir=/tmp/darkcap-peers
darkcap=""
gen=""
timeout_s=600
keep=0
huge=1

usage() { sed -n '/^# Usage:/,/^# (whether the targets/p' "$0" | sed 's/^# \{0,1\}//'; }

while (($#)); do
	case $1 in
	--packets) packets=${2:?}; shift 2 ;;
	--many-sources) many=1; shift ;;
	--days) days=${2:?}; shift 2 ;;
	--seed) seed=${2:?}; shift 2 ;;
	--repeat) repeat=${2:?}; shift 2 ;;
	--workdir) workdir=${2:?}; shift 2 ;;
	--darkcap) darkcap=${2:?}; shift 2 ;;
	--gen) gen=${2:?}; shift 2 ;;
	--timeout) timeout_s=${2:?}; shift 2 ;;
	--keep) keep=1; shift ;;
	--no-huge) huge=0; shift ;;
	-h | --help) usage; exit 0 ;;
	*) die "unknown option $1 (see --help)" ;;
	esac
done
[[ $packets =~ ^[0-9]+$ && $packets -ge 1000 ]] || die "--packets: a whole number >= 1000"
[[ $repeat =~ ^[0-9]+$ && $repeat -ge 1 ]] || die "--repeat: a whole number >= 1"
[[ $seed =~ ^[0-9]+$ ]] || die "--seed: a whole number"
[[ $timeout_s =~ ^[0-9]+$ && $timeout_s -ge 10 ]] || die "--timeout: seconds >= 10"
[[ $days =~ ^[0-9]*\.?[0-9]+$ ]] || die "--days: a positive number"

pick() { # first executable of the candidates
	local c
	for c in "$@"; do [[ -x $c ]] && { echo "$c"; return 0; }; done
	return 1
}
[[ -n $darkcap ]] || darkcap=$(pick "$root/build-release/app/darkcap/darkcap" "$root/build/app/darkcap/darkcap") ||
	die "darkcap binary not found (build it: ninja -C build), or give --darkcap PATH"
[[ -n $gen ]] || gen=$(pick "$root/build-release/bench/gen/darkcap-gen" "$root/build/bench/gen/darkcap-gen") ||
	die "darkcap-gen binary not found (build it: ninja -C build), or give --gen PATH"
[[ -x $darkcap ]] || die "$darkcap: not executable"
[[ -x $gen ]] || die "$gen: not executable"
darkcap=$(realpath "$darkcap")
gen=$(realpath "$gen")

need() { # command package
	command -v "$1" >/dev/null 2>&1 || die "$1 not found: install the Debian package $2 (apt-get install $2)"
}
need tracestats libtrace-tools
need nfpcapd nfdump
need nfdump nfdump
need softflowd softflowd
need pmacctd pmacct
need python3 python3
need pgrep procps
need timeout coreutils
[[ -x /usr/bin/time ]] || die "/usr/bin/time not found: install the Debian package time (apt-get install time)"

mkdir -p "$workdir/in" "$workdir/run"
workdir=$(realpath "$workdir")
run=$workdir/run
prefix=peers$$
hp_before=""
cleanup() {
	rm -rf "/var/run/dpdk/$prefix" 2>/dev/null || true
	((keep)) || rm -rf "$run"
	[[ -z $hp_before ]] || echo "$hp_before" >/proc/sys/vm/nr_hugepages
}
trap cleanup EXIT
# darkcap's memory: 2 MiB hugepages as deployed, when root can reserve them
dc_mem=(--no-huge -m 1024)
pages="4 KiB pages (--no-huge)"
if ((huge)) && [[ $(id -u) == 0 ]]; then
	hp_before=$(cat /proc/sys/vm/nr_hugepages)
	((hp_before >= 600)) || echo 600 >/proc/sys/vm/nr_hugepages
	if (($(cat /proc/sys/vm/nr_hugepages) >= 600)); then
		dc_mem=(--in-memory) # DPDK takes the hugepages it needs as it allocates
		pages="2 MiB hugepages"
	else
		echo "$prog: warning: could not reserve 600 hugepages: darkcap runs with --no-huge" >&2
	fi
fi

# A packaged collector left running (the packages enable services) would
# share the two cores with the benchmark: say so, touch nothing.
for d in nfcapd nfpcapd softflowd pmacctd nfacctd sfacctd; do
	if pgrep -x "$d" >/dev/null 2>&1; then
		echo "$prog: warning: a $d process is running (systemctl disable --now nfdump softflowd pmacctd?)" >&2
	fi
done

# --- input: generated once, cached by its parameters ------------------------
mix=default
((many)) && mix=many
base=$workdir/in/darknet-p$packets-s$seed-d$days-$mix
one=$workdir/in/one-s$seed
gen_pcap() { # base packets extra-args...
	local b=$1 n=$2
	shift 2
	if [[ -s $b.pcap && -s $b.frames ]]; then
		return 0
	fi
	echo "$prog: generating $b.pcap ($n frames)" >&2
	"$gen" --out "$b.tmp.pcap" --truth "$b.truth" --packets "$n" --seed "$seed" "$@" >&2
	python3 - "$b.truth" >"$b.frames" <<'PY'
import json, sys
last = None
with open(sys.argv[1]) as f:
    for line in f:
        if line.strip():
            last = line
print(sum(x["packets"] for x in json.loads(last)["files"]))
PY
	mv "$b.tmp.pcap" "$b.pcap"
	((keep)) || rm -f "$b.truth"
}
gen_args=(--days "$days")
((many)) && gen_args+=(--many-sources)
gen_pcap "$base" "$packets" "${gen_args[@]}"
gen_pcap "$one" 1
frames=$(<"$base.frames")
one_frames=$(<"$one.frames")
[[ $frames -gt 0 && $one_frames -eq 1 ]] || die "generated files have $frames / $one_frames frames"
pcap=$base.pcap
one_pcap=$one.pcap

# --- the peers' configurations ------------------------------------------------

# nfpcapd 1.7.1 (Debian 12) never finishes on an IPv4 header whose IHL is
# below 5 (it spins at 100 % CPU forever; found by bisecting the generated
# file: a frame with IHL 0). The generator writes such malformed frames
# (about 0.12 %), untagged and behind one or two VLAN tags. nfpcapd gets a
# BPF filter that drops exactly those (libpcap evaluates it before nfpcapd
# sees the packet); everything else is its default configuration.
nf_filter='not ((ip and ip[0] & 0xf < 5) or (vlan and ((ip and ip[0] & 0xf < 5) or (vlan and ip and ip[0] & 0xf < 5))))'

# pmacct: the print plugin aggregating flows (the 5-tuple, like the flow
# exporters), a cache sized for every flow of the file (pmacct's docs: about
# 10 entries per bucket, prime bucket count: frames/8), a core->plugin ring
# that can hold the core's lead over the plugin (200 bytes per frame of the
# file, at least 256 MiB; a packet takes ~300 bytes in the ring and the lead
# reached ~1.8M packets of a 5M file; plugin_buffer_size = ring/256, inside
# the documented 1:100..1:1000),
# the fragment buffer raised so fragments are not skipped, the minimum
# start-up delay (1 s; 0 means pmacct's default 2 s). pcap_savefile_wait
# keeps pmacctd alive after the end of the file until this script sees the
# plugin idle (the core past the end of the file, both processes asleep and
# neither run for 20 ms; polled every 10 ms), then SIGINT makes it purge its
# cache to the CSV and exit: without it pmacctd stops the plugin 2 s after
# reading the last packet, and a plugin still behind loses what it had not
# read yet (measured: 20-40 % of a 5M-packet file). pmacct 1.7.7 then counts
# the last ring buffer twice (a 1-packet file gives 2 packets in its CSV):
# a few thousand packets too many, no effect on the timing.
pm_cache=$(python3 - "$frames" <<'PY'
import sys
n = max(16411, int(sys.argv[1]) // 8)
def prime(k):
    if k < 2: return False
    i = 2
    while i * i <= k:
        if k % i == 0: return False
        i += 1
    return True
while not prime(n): n += 1
print(n)
PY
)
pm_pipe=$((frames * 200))
((pm_pipe < 268435456)) && pm_pipe=268435456
pm_pipe=$((pm_pipe / 1048576 * 1048576))
pm_buf=$((pm_pipe / 256))
pm_conf() { # pcap csv > config
	cat <<EOF
daemonize: false
pcap_savefile: $1
pcap_savefile_delay: 1
pcap_savefile_wait: true
aggregate: src_host, dst_host, src_port, dst_port, proto
plugins: print
print_output: csv
print_output_file: $2
print_cache_entries: $pm_cache
print_refresh_time: 86400
plugin_buffer_size: $pm_buf
plugin_pipe_size: $pm_pipe
pmacctd_frag_buffer_size: 67108864
EOF
}

# softflowd 1.1.0 reading a file (-r) blocks in accept() on its control
# socket (its poll set is left uninitialised in file mode): -c none turns the
# socket off. Flows go as NetFlow v9 to a local UDP port nobody listens on
# (the datagrams are built and sent; the kernel drops them). The flow table
# keeps its default size (8192): in file mode softflowd expires flows only
# when the table is full, and the default measured fastest (2M packets: 2.5 s
# at 8192, 6.0 s at 65536, 7.3 s at 2.5M entries, same flows exported).
sf_port=39995

# cmd_TOOL FILE OUTDIR: fills the array cmd with the command line. darkcap
# is told the generated telescope's prefix, as its operator would
# (docs/TABLES.md, "Destinations in the telescope"), and reads the file
# itself (--read: lib/pcapfile); darkcap-vdev is the same through DPDK's
# net_pcap virtual device (libpcap, an mbuf copy per frame).
cmd_darkcap() {
	cmd=("$darkcap" "${dc_mem[@]}" --no-pci --file-prefix "$prefix" --log-level lib.eal:warning -l 0,1
		-- --read "$1" --output "$2/darkcap.jsonl" --interval 60 --stats-path off
		--telescope 198.18.0.0/15)
}
cmd_darkcap-vdev() {
	cmd=("$darkcap" "${dc_mem[@]}" --no-pci --file-prefix "$prefix" --log-level lib.eal:warning -l 0,1
		--vdev "net_pcap0,rx_pcap=$1" -- --output "$2/darkcap.jsonl" --interval 60 --stats-path off
		--telescope 198.18.0.0/15)
}
cmd_tracestats() { cmd=(tracestats "pcap:$1"); }
cmd_nfpcapd() { cmd=(nfpcapd -r "$1" -w "$2/nf" "$nf_filter"); }
cmd_softflowd() { cmd=(softflowd -d -r "$1" -n "127.0.0.1:$sf_port" -v 9 -6 -c none -p "$2/softflowd.pid"); }
cmd_pmacctd() { cmd=(pmacctd -f "$2/pmacctd.conf"); }

prepare() { # tool file outdir
	rm -rf "$3"
	mkdir -p "$3"
	case $1 in
	nfpcapd) mkdir -p "$3/nf" ;;
	pmacctd) pm_conf "$2" "$3/pmacctd.csv" >"$3/pmacctd.conf" ;;
	esac
}

# --- checks: print a short note, return 1 when the output is not sane ------
check() { # tool outdir log expected-frames
	local t=$1 d=$2 log=$3 want=$4 got n a b
	case $t in
	darkcap | darkcap-vdev)
		got=$(python3 -c '
import json, sys
print(sum(json.loads(l)["packets"] for l in open(sys.argv[1]) if l.strip()))' "$d/darkcap.jsonl" 2>/dev/null) || got=""
		[[ $got == "$want" ]] || { echo "records count ${got:-no} packets, the file has $want"; return 1; }
		echo "$got packets in records"
		;;
	tracestats)
		got=$(sed -n 's/.*Accepted Packets:[[:space:]]*\([0-9]*\).*/\1/p' "$log" | head -1)
		[[ $got == "$want" ]] || { echo "counted ${got:-no} packets, the file has $want"; return 1; }
		echo "$got packets"
		;;
	nfpcapd)
		got=$(nfdump -R "$d/nf" -I 2>/dev/null | sed -n 's/^Packets: *\([0-9]*\).*/\1/p' | head -1)
		n=$(nfdump -R "$d/nf" -I 2>/dev/null | sed -n 's/^Flows: *\([0-9]*\).*/\1/p' | head -1)
		[[ -n $got ]] || { echo "no nfcapd files readable by nfdump"; return 1; }
		if ((want > 1)) && ((got < want * 9 / 10 || got > want)); then
			echo "nfcapd files hold $got packets, the file has $want frames"; return 1
		fi
		echo "$got packets in $n flows"
		;;
	softflowd)
		a=$(sed -n 's/^Packets processed: *\([0-9]*\).*/\1/p' "$log" | head -1)
		b=$(sed -n 's/^Ignored packets: *[0-9]* (\([0-9]*\) non-IP.*/\1/p' "$log" | head -1)
		n=$(sed -n 's/^Flows exported: *\([0-9]*\).*/\1/p' "$log" | head -1)
		[[ -n $a && -n $b ]] || { echo "no statistics at exit"; return 1; }
		(((a + b) == want)) || { echo "processed $a + $b non-IP != $want frames"; return 1; }
		echo "$a packets, $n flows exported"
		;;
	pmacctd)
		[[ -f $d/pmacctd.csv ]] || { echo "no CSV written"; return 1; }
		got=$(awk -F, 'NR > 1 { p += $6 } END { print p + 0 }' "$d/pmacctd.csv")
		n=$(($(wc -l <"$d/pmacctd.csv") - 1))
		if grep -q -i 'missing data' "$log"; then
			echo "pmacctd lost data: $(grep -i -m1 'missing data' "$log")"; return 1
		fi
		# up to one ring buffer more: pmacct counts its last buffer twice
		# (see pm_conf), and a packet takes at least 200 bytes of a buffer
		if ((want > 1)) && ((got < want * 9 / 10 || got > want + pm_buf / 200)); then
			echo "CSV holds $got packets, the file has $want frames"; return 1
		fi
		a=""
		grep -q -i 'buffer full' "$log" && a=" ($(grep -i -m1 -o '[A-Za-z/0-9]* buffer full.*' "$log"))"
		echo "$got packets in $n flows$a"
		;;
	esac
}

# --- SysV IPC left by a killed nfpcapd (its bookkeeper: 64-byte segment and
# a one-semaphore set, removed on a clean exit) ----------------------------------
ipc_ids() { ipcs -m 2>/dev/null | awk '$5 == 64 && $6 == 0 { print "m " $2 }'; ipcs -s 2>/dev/null | awk '$5 == 1 { print "s " $2 }'; }
ipc_cleanup() { # ids-before
	local k id
	while read -r k id; do
		[[ -n $id ]] || continue
		grep -qx "$k $id" <<<"$1" && continue
		ipcrm "-$k" "$id" 2>/dev/null || true
	done < <(ipc_ids)
}

# A sleep that forks nothing (the pmacctd poll loop runs every 10 ms).
exec {sleepfd}<> <(:)
nap() { read -r -t "$1" -u "$sleepfd" _ || true; }

# --- one timed run --------------------------------------------------------------
# run_one tool kind(full|startup|warmup) round: appends a result line.
res=$workdir/results-$(date -u +%Y%m%dT%H%M%SZ).tsv
: >"$res"
printf '%s\n' "# frames=$frames pcap=$pcap" >>"$res"
declare -A failed=() retried=()
run_one() {
	local t=$1 kind=$2 r=$3 file want d log tf t0 t1 rc note ipc_before="" wall_ns=0
	if [[ $kind == full ]]; then file=$pcap want=$frames; else file=$one_pcap want=1; fi
	d=$run/$t-$kind-$r
	log=$d.log
	tf=$d.time
	prepare "$t" "$file" "$d"
	"cmd_$t" "$file" "$d"
	[[ $t == nfpcapd ]] && ipc_before=$(ipc_ids)
	rc=0
	if [[ $t == pmacctd ]]; then
		run_pmacctd "$log" "$tf" || rc=$?
	else
		t0=$(date +%s%N)
		/usr/bin/time -o "$tf" -f '%U %S' timeout -s KILL "$timeout_s" "${cmd[@]}" >"$log" 2>&1 || rc=$?
		t1=$(date +%s%N)
		wall_ns=$((t1 - t0))
	fi
	[[ $t == nfpcapd && $rc -ne 0 ]] && ipc_cleanup "$ipc_before"
	local cpu wall
	# the last "user sys" line (/usr/bin/time may print a status line first)
	cpu=$(awk 'NF == 2 && $1 ~ /^[0-9.]+$/ && $2 ~ /^[0-9.]+$/ { v = $1 + $2 } END { if (v != "") printf "%.3f", v }' "$tf" 2>/dev/null || true)
	wall=$(awk -v n="$wall_ns" 'BEGIN { printf "%.3f", n / 1e9 }')
	local ok=1
	if ((rc != 0)); then
		ok=0
		if ((wall_ns >= timeout_s * 1000000000)); then
			note="killed after ${timeout_s}s (did not finish)"
		else
			note="exit status $rc: $(grep -v -E 'short IPv|^$' "$log" | tail -1 | cut -c1-160)"
		fi
	else
		note=$(check "$t" "$d" "$log" "$want") || ok=0
	fi
	local extra=""
	if [[ $t == darkcap* && $kind == full && $ok == 1 ]]; then
		extra=$(sed -n 's/.*data path \([0-9.]*\) TSC cycles per packet.*/\1/p' "$log" | head -1)
	fi
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "$kind" "$r" "$wall" "${cpu:-nan}" "$ok" "$extra" "$note" >>"$res"
	printf '%s: %-8s %-10s %7s s wall %7s s CPU  %s%s\n' "$prog" "$kind${r:+ $r}" "$t" "$wall" "${cpu:-?}" \
		"$( ((ok)) && echo ok || echo FAILED)" ": $note" >&2
	if ((!ok)); then
		failed[$t]="$kind run: $note (log: $workdir/failed-$t-$kind$r.log)"
		cp "$log" "$workdir/failed-$t-$kind$r.log" 2>/dev/null || true
	fi
	((keep)) || rm -rf "$d" "$log" "$tf"
}

# pmacctd: started in the background, watched until its plugin has drained
# the ring after the end of the file, then told to purge and exit (SIGINT).
run_pmacctd() { # log timefile; sets wall_ns, returns the exit status
	local log=$1 tf=$2 t0 t1 tp to="" core="" plug="" rc=0 a b sa sb last_a="" last_b="" idle=0
	t0=$(date +%s%N)
	/usr/bin/time -o "$tf" -f '%U %S' timeout -s KILL "$timeout_s" "${cmd[@]}" >"$log" 2>&1 &
	tp=$!
	while kill -0 "$tp" 2>/dev/null; do
		nap 0.01
		[[ -n $to ]] || to=$(pgrep -P "$tp" | head -1 || true)
		[[ -n $to && -z $core ]] && core=$(pgrep -P "$to" | head -1 || true)
		[[ -n $core && -z $plug ]] && plug=$(pgrep -P "$core" | head -1 || true)
		[[ -n $plug ]] || continue
		# run time on a CPU (ns) and state of the core and the plugin
		read -r a _ <"/proc/$core/schedstat" 2>/dev/null || break
		read -r b _ <"/proc/$plug/schedstat" 2>/dev/null || break
		read -r sa <"/proc/$core/stat" 2>/dev/null || break
		read -r sb <"/proc/$plug/stat" 2>/dev/null || break
		sa=${sa##*) } sb=${sb##*) }
		# Both asleep (S: the plugin in poll(), the core in wait(); a
		# preempted process is R and does not count) and neither ran
		# for two samples in a row: the plugin has read everything.
		if [[ ${sa%% *} == S && ${sb%% *} == S && $a == "$last_a" && $b == "$last_b" ]]; then
			idle=$((idle + 1))
		else
			idle=0
		fi
		if ((idle >= 2)) && grep -q -F 'finished reading PCAP capture file' "$log"; then
			kill -INT "$core" 2>/dev/null || true
			break
		fi
		last_a=$a last_b=$b
	done
	wait "$tp" || rc=$?
	t1=$(date +%s%N)
	wall_ns=$((t1 - t0))
	return "$rc"
}

tools=(darkcap darkcap-vdev tracestats nfpcapd softflowd pmacctd)

# Commands as run (the full file), for the table.
cmds=$workdir/commands.txt
: >"$cmds"
for t in "${tools[@]}"; do
	"cmd_$t" "$pcap" "$run/$t-full-N"
	line=""
	for a in "${cmd[@]}"; do
		if [[ $a =~ [^A-Za-z0-9_./:,=@%+-] ]]; then line+="'$a' "; else line+="$a "; fi
	done
	printf '%s\t%s\n' "$t" "$line" >>"$cmds"
done

ident="darkcap $darkcap (sha256 $(sha256sum "$darkcap" | cut -c1-12), built $(date -u -r "$darkcap" +%Y-%m-%dT%H:%M:%SZ)$(git -C "$root" rev-parse --short HEAD 2>/dev/null | sed 's/^/, tree at /'))"
echo "$prog: $frames frames, $(du -h "$pcap" | cut -f1) ($pcap); $repeat rounds; $(nproc) CPUs ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)), load $(cut -d' ' -f1-3 /proc/loadavg); darkcap on $pages" >&2
echo "$prog: $ident" >&2
printf '# %s\n' "$ident" >>"$res"
cat "$pcap" "$one_pcap" >/dev/null

# Warm-up on the 1-packet file (binaries and libraries into the page cache;
# a tool that fails here is left out of the rounds).
for t in "${tools[@]}"; do
	run_one "$t" warmup ""
done

for ((r = 1; r <= repeat; r++)); do
	cat "$pcap" >/dev/null # still in the page cache
	for kind in full startup; do
		for ((i = 0; i < ${#tools[@]}; i++)); do
			t=${tools[$(((i + r - 1) % ${#tools[@]}))]}
			[[ -n ${failed[$t]:-} ]] && continue
			run_one "$t" "$kind" "$r"
			# A run that fails its check is rerun once per tool (pmacctd's
			# plugin has lost most of a file on a busy machine); the
			# failed line stays in the results, marked R, and is reported.
			if [[ -n ${failed[$t]:-} && -z ${retried[$t]:-} ]]; then
				retried[$t]=1
				echo "$prog: $t: rerunning its failed $kind run $r once" >&2
				sed -i '$ s/^\(\([^\t]*\t\)\{5\}\)0\t/\1R\t/' "$res"
				unset "failed[$t]"
				run_one "$t" "$kind" "$r"
			fi
		done
	done
done
echo "$prog: load after: $(cut -d' ' -f1-3 /proc/loadavg); raw results: $res" >&2

# --- table ------------------------------------------------------------------------
python3 - "$res" "$cmds" "$frames" "$repeat" "$pcap" <<'PY'
import statistics, sys
res, cmds, frames, repeat, pcap = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
tools = ["darkcap", "darkcap-vdev", "tracestats", "nfpcapd", "softflowd", "pmacctd"]
runs = {t: {"full": [], "startup": []} for t in tools}
fail, cycles, notes, rerun = {}, [], {}, {}
for line in open(res):
    if line.startswith("#"):
        continue
    t, kind, r, wall, cpu, ok, extra, note = line.rstrip("\n").split("\t")
    if ok == "R":
        rerun[t] = "%s run %s: %s" % (kind, r, note)
        continue
    if ok != "1":
        fail.setdefault(t, "%s run %s: %s" % (kind, r, note))
        continue
    if kind in ("full", "startup"):
        runs[t][kind].append((float(wall), float(cpu) if cpu != "nan" else float("nan")))
    if kind == "full":
        notes.setdefault(t, []).append(note)
    if t == "darkcap" and kind == "full" and extra:
        cycles.append(float(extra))
commands = dict(l.rstrip("\n").split("\t", 1) for l in open(cmds))
med = lambda xs: statistics.median(xs) if xs else float("nan")

def stats(t):
    f, s = runs[t]["full"], runs[t]["startup"]
    if t in fail or not f:
        return None
    w = med([x[0] for x in f]); c = med([x[1] for x in f])
    su = med([x[0] for x in s])
    return dict(n=len(f), wall=w, cpu=c, su=su, net=w - su, mpps=frames / w / 1e6,
                mpps_net=frames / (w - su) / 1e6 if w - su > 0 else float("nan"))

S = {t: stats(t) for t in tools}
d = S["darkcap"]
ident = [l[2:].strip() for l in open(res) if l.startswith("# darkcap ")]
print("Offline peers benchmark: %d frames (%s), %d rounds, medians" % (frames, pcap, repeat))
if ident:
    print(ident[0])
print()
print("| tool | runs | wall s | Mpps | CPU s (user+sys) | start-up s (1-packet file) | wall - start-up s | Mpps w/o start-up | speed ratio darkcap/tool (with start-up) | ratio, both w/o start-up | target | reached |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
targets = {"tracestats": 1.0, "nfpcapd": 10.0, "softflowd": 10.0, "pmacctd": 10.0}
verdicts = []
for t in tools:
    s = S[t]
    if s is None:
        print("| %s | 0 | FAILED: %s | | | | | | | | | |" % (t, fail.get(t, "no run")))
        if t in targets:
            verdicts.append("darkcap >= %gx %s: not measured (%s failed)" % (targets[t], t, t))
        continue
    if d is None:
        ratio = ratio_net = float("nan")
    else:
        ratio = s["wall"] / d["wall"]
        ratio_net = s["net"] / d["net"] if d["net"] > 0 else float("nan")
    tgt = targets.get(t)
    reached = "" if tgt is None else ("reached" if ratio >= tgt else "not reached")
    print("| %s | %d | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %s | %s | %s | %s |" % (
        t, s["n"], s["wall"], s["mpps"], s["cpu"], s["su"], s["net"], s["mpps_net"],
        "1 (reference)" if t == "darkcap" else "%.3f" % ratio,
        "1 (reference)" if t == "darkcap" else "%.3f" % ratio_net,
        "" if tgt is None else ">= %g" % tgt, reached))
    if tgt is not None and d is not None:
        verdicts.append("darkcap >= %gx %s: %s (%.3fx with start-up; %.3fx with every tool's start-up removed)" % (
            tgt, t, reached.upper(), ratio, ratio_net))
print()
if d is not None:
    print("darkcap: %.3f s with start-up, %.3f s without (start-up = EAL init, memory and table allocation, "
          "measured on the 1-packet file: %.3f s); data path %s TSC cycles per packet (median of its exit logs)." % (
              d["wall"], d["net"], d["su"], "%.1f" % med(cycles) if cycles else "?"))
print("Speed ratio = tool wall time / darkcap wall time (> 1: darkcap faster). The targets use the ratio WITH "
      "start-up (darkcap's start-up is part of reading a file once); the next column subtracts each tool's own "
      "1-packet time from its wall time.")
import re
for t in tools:
    if t in rerun:
        print("Note: %s failed one run's check and it was rerun (the rerun is in the table): %s" % (t, rerun[t]))
for t in tools:
    counts = sorted(set(re.match(r"\d+", n).group(0) for n in notes.get(t, []) if re.match(r"\d+", n)))
    if len(counts) > 1:
        print("Note: %s's output counts differ between runs: %s" % (t, ", ".join(counts)))
print()
print("Targets (issue #7):")
for v in verdicts:
    print("- " + v)
print()
print("Commands (full file):")
for t in tools:
    print("- %s: `%s`" % (t, commands.get(t, "?").strip()))
sys.exit(0)
PY

if ((${#failed[@]})); then
	for t in "${!failed[@]}"; do echo "$prog: $t FAILED: ${failed[$t]}" >&2; done
	exit 1
fi
