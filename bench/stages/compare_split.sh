#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Same-run comparison of the worker's whole in-process path as built now
# (dc_counters_burst() + dc_tset_burst() of the build directory's
# libraries) against another revision's (lib/counters/dc_counters.[ch] and
# dc_tset.[ch] as of REV, e.g. the commit before a change to them), and a
# check that both leave identical tables and counters.
#
#   bench/stages/compare_split.sh REV <EAL args> -- <darkcap-stages-bench options>
#
# It reads REV's four files with `git show` (nothing in the work tree
# changes), compiles them with the build's own compiler command, renames
# their global symbols to ref_*, and links them into a copy of
# darkcap-stages-bench built with -DDC_STAGES_REF, which then runs three
# variants per repetition (this build's whole path, the staged drivers,
# REV's whole path), rotated, and prints REV against this build at the end.
# BUILD (default: <source>/build) is the meson build directory; it must be
# built. Example (before/after the stage split of issue #7):
#
#   bench/stages/compare_split.sh 3dc4627 --no-huge -m 2048 --no-pci --no-shconf \
#       -l 1 --log-level lib.eal:warning -- --keys 1000000 --dist uniform --repeat 5 \
#       --timer lfence
set -eu

[ $# -ge 1 ] || { echo "usage: $0 REV <EAL args> -- <bench options>" >&2; exit 2; }
rev=$1
shift
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$src/build}
[ -f "$build/compile_commands.json" ] || { echo "$0: $build is not a meson build directory" >&2; exit 2; }
tmp=$(mktemp -d /tmp/dc_compare_split.XXXXXX)
trap 'rm -rf "$tmp"' EXIT INT TERM
mkdir "$tmp/ref"
for f in dc_counters.c dc_counters.h dc_tset.c dc_tset.h; do
	git -C "$src" show "$rev:lib/counters/$f" >"$tmp/ref/$f"
done

# The build's compile command for the bench, its geo.c, and the link arguments.
python3 - "$build" "$tmp" <<'EOF'
import json, os, re, shlex, sys
build, tmp = sys.argv[1], sys.argv[2]
cmds = {}
for e in json.load(open(os.path.join(build, "compile_commands.json"))):
    if "darkcap-stages-bench.p" in e["output"] if "output" in e else "darkcap-stages-bench.p" in e["command"]:
        cmds[os.path.basename(e["file"])] = shlex.split(e["command"])
if "stages_bench.c" not in cmds or "geo.c" not in cmds:
    sys.exit("compare_split.sh: darkcap-stages-bench is not in %s/compile_commands.json" % build)

def retarget(argv, source, obj, extra):
    out, skip = [], False
    for a in argv:
        if skip:
            skip = False
            continue
        if a in ("-MD",):
            continue
        if a in ("-MQ", "-MF", "-o"):
            skip = True
            continue
        if a == "-c":
            skip = True
            continue
        out.append(a)
    return out + extra + ["-o", obj, "-c", source]

bench = cmds["stages_bench.c"]
with open(os.path.join(tmp, "cmds.sh"), "w") as f:
    src_bench = bench[bench.index("-c") + 1]
    f.write(shlex.join(retarget(bench, src_bench, tmp + "/bench.o", ["-DDC_STAGES_REF"])) + "\n")
    geo = cmds["geo.c"]
    f.write(shlex.join(retarget(geo, geo[geo.index("-c") + 1], tmp + "/geo.o", [])) + "\n")
    for name in ("dc_counters", "dc_tset"):
        # REV's headers first: its .c files find them next to themselves.
        f.write(shlex.join(retarget(bench, "%s/ref/%s.c" % (tmp, name), "%s/%s.o" % (tmp, name), [])) + "\n")
ninja = open(os.path.join(build, "build.ninja")).read()
m = re.search(r"^build bench/stages/darkcap-stages-bench: .*?\n((?: .*\n)*)", ninja, re.M)
link = re.search(r"^ LINK_ARGS = (.*)$", m.group(1), re.M).group(1)
with open(os.path.join(tmp, "link_args"), "w") as f:
    f.write(link + "\n")
EOF

# Compile and link where the build's relative paths hold; run from here.
(
	cd "$build"
	sh -e "$tmp/cmds.sh"
	# REV's global symbols -> ref_*; the rest (dc_parse, dc_fp_eval, ...) stay.
	for o in dc_counters dc_tset; do
		nm --defined-only -g "$tmp/$o.o" | awk '{ print $3, "ref_" $3 }' >"$tmp/$o.syms"
		objcopy --redefine-syms="$tmp/$o.syms" "$tmp/$o.o"
	done
	cc -o "$tmp/darkcap-stages-bench-ref" "$tmp/bench.o" "$tmp/geo.o" "$tmp/dc_counters.o" \
		"$tmp/dc_tset.o" $(cat "$tmp/link_args")
)
echo "compare_split.sh: reference revision $(git -C "$src" rev-parse --short "$rev") ($rev)"
"$tmp/darkcap-stages-bench-ref" "$@"
