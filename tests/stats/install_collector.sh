#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# A collector built against the INSTALLED library alone: meson install into
# a scratch root, the collector example of docs/STATS.md compiled with
# `pkg-config darkcap-stats` from there (no DPDK on its command line or in
# its dependencies), run against a segment written with known values.
#   install_collector.sh BUILD_DIR SOURCE_DIR FAKE_WRITER
set -euo pipefail
build=$1 src=$2 writer=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

meson install -C "$build" --destdir "$tmp/root" --no-rebuild --quiet >/dev/null
pc=$(find "$tmp/root" -name darkcap-stats.pc | head -1)
[ -n "$pc" ] || fail "darkcap-stats.pc not installed"
hdr=$(find "$tmp/root" -path '*/include/darkcap/dc_stats_abi.h' | head -1)
[ -n "$hdr" ] || fail "dc_stats_abi.h not installed under include/darkcap"
export PKG_CONFIG_PATH=$(dirname "$pc") PKG_CONFIG_SYSROOT_DIR=$tmp/root
flags=$(pkg-config --cflags --libs darkcap-stats)
case "$flags" in *rte_*|*dpdk*) fail "pkg-config darkcap-stats pulls DPDK: $flags" ;; esac
# the example exactly as the documentation shows it
awk '/^```c$/ {on = 1; next} /^```$/ {if (on) exit} on' "$src/docs/STATS.md" >"$tmp/collector.c"
grep -q dc_stats_open "$tmp/collector.c" || fail "no collector example in docs/STATS.md"
libdir=$(dirname "$(find "$tmp/root" -name 'libdarkcap-stats.so*' | head -1)")
# a sanitizer build installs a sanitized library: its users must be too
san=
if ldd "$libdir/libdarkcap-stats.so" | grep -q libasan; then san="-fsanitize=address,undefined"; fi
# shellcheck disable=SC2086
cc -Wall -Werror $san -o "$tmp/collector" "$tmp/collector.c" $flags
if LD_LIBRARY_PATH=$libdir ldd "$tmp/collector" | grep -q -E 'librte_|libdpdk'; then
	fail "the collector links DPDK"
fi
"$writer" --path "$tmp/seg" --once --stop --scale 3 >/dev/null
out=$(LD_LIBRARY_PATH=$libdir "$tmp/collector" "$tmp/seg")
echo "$out"
want=$("$build/app/darkcap-stat/darkcap-stat" --path "$tmp/seg" dump '^total/packets$' | awk '$1 == "total/packets" {print $2}')
[ -n "$want" ] || fail "darkcap-stat found no total/packets"
echo "$out" | grep -qx "packets $want" || fail "collector printed '$out', darkcap-stat says packets $want"
want23=$("$build/app/darkcap-stat/darkcap-stat" --path "$tmp/seg" dump --all '^total/tcp_dst_port_packets$' |
	awk '$1 == "total/tcp_dst_port_packets{port=23}" {print $2}')
echo "$out" | grep -qx "tcp/23 $want23" || fail "collector printed '$out', darkcap-stat says tcp/23 $want23"
LD_LIBRARY_PATH=$libdir "$tmp/collector" "$tmp/nonexistent" 2>"$tmp/err" && fail "collector succeeded on a missing file"
grep -q "^collector: $tmp/nonexistent: cannot open" "$tmp/err" || fail "missing file: $(cat "$tmp/err")"
echo "installed library: collector built from docs/STATS.md, values agree, no DPDK"
