#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# darkcap-report at full size: builds a store sized like a /8 telescope's
# quarter (91 days; every TCP and UDP port and ICMP every day = 131,073
# day_ports rows a day, 11.9 M in all; every ICMP and ICMPv6 type every day;
# 250 countries; 10 M distinct sources a day, so dense HyperLogLog sketches
# for every country past 2,048 sources; 100,000 fingerprint sources a day;
# payload signatures: the default rule set's 18 signatures with 300,000
# distinct (signature, source) pairs a day over 60 countries, any-port rules
# on 1,000 ports a day) and times:
#   1. the quarterly report (its previous quarter is not in the store);
#   2. a report over the last 46 days, whose previous 45 days are in the
#      store (both port aggregations run: all 91 days are read);
#   3. with --multi, the quarterly report over three such stores (copies
#      renamed as other sensors: every distinct-source number is merged
#      from sketches).
# Targets (docs/REPORT.md): report < 30 s, store < 4 GiB.
#
# Usage: tools/report/scale_check.sh [--multi] [WORKDIR]   (default /tmp/darkcap-scale)
# DARKCAP_REPORT=path runs that darkcap-report instead of the build's.
# Needs ~3 GB of disk per store and a few minutes to generate.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
multi=0
if [ "${1:-}" = "--multi" ]; then
	multi=1
	shift
fi
work=${1:-/tmp/darkcap-scale}
mkdir -p "$work"
report=${DARKCAP_REPORT:-$root/build/tools/report/darkcap-report}
[ -f "$report" ] || report=$here/darkcap_report.py
db=$work/scale.db

say() { printf '==> %s\n' "$*" >&2; }

# timed LABEL CMD...: run, print wall time and peak memory of the child
timed() {
	local label=$1
	shift
	python3 - "$label" "$@" <<'PY'
import resource, subprocess, sys, time
label, cmd = sys.argv[1], sys.argv[2:]
t = time.time()
p = subprocess.run(cmd)
dt = time.time() - t
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print("%-44s %7.1f s   peak RSS %5.0f MiB   exit %d" % (label, dt, rss, p.returncode))
sys.exit(p.returncode)
PY
}

if [ ! -f "$db" ]; then
	say "generating $db (a few minutes)"
	timed "generate the store" python3 "$root/tests/report/gen_store.py" --mode scale --out "$db.tmp" \
		--schema "$root/lib/store/dc_store_schema.sql" --days 91 --ports-per-day 131072 \
		--fp-per-day 100000 --countries 250 --dense 250 --sources 10000000 --sig-pairs 300000
	mv "$db.tmp" "$db"
fi

python3 - "$db" <<'PY'
import os, sqlite3, sys
db = sys.argv[1]
c = sqlite3.connect(db)
print("store %s: %.2f GiB" % (db, os.path.getsize(db) / 2 ** 30))
for t in ("day_ports", "day_icmp_types", "day_countries", "day_totals", "day_sketches", "day_fp_sources", "intervals",
          "day_signatures", "day_sig_ports", "day_sig_countries", "interval_signatures"):
    n = c.execute("SELECT COUNT(*) FROM %s" % t).fetchone()[0]
    print("  %-19s %12s rows" % (t, format(n, ",")))
dense = c.execute("SELECT COUNT(*) FROM day_sketches WHERE length(registers) = 16384").fetchone()[0]
print("  dense sketches      %12s" % format(dense, ","))
n, b = c.execute("SELECT COUNT(*), SUM(length(registers)) FROM day_sketches WHERE kind LIKE 'sig:%'").fetchone()
print("  signature sketches  %12s (%.0f MiB of blobs)" % (format(n, ","), (b or 0) / 2 ** 20))
PY

out=$work/out
rm -rf "$out"
timed "quarterly report (1 store)" python3 "$report" --from 2022-04-01 --to 2022-06-30 --out "$out/q" "$db"
timed "46 days + previous 45 days (1 store)" python3 "$report" --from 2022-05-16 --to 2022-06-30 --out "$out/h" "$db"
if [ $multi = 1 ]; then
	for s in 2 3; do
		if [ ! -f "$work/scale$s.db" ]; then
			cp "$db" "$work/scale$s.db.tmp"
			python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute(\"UPDATE meta SET value=? WHERE key='sensor'\", (sys.argv[2],)); c.commit()" \
				"$work/scale$s.db.tmp" "scale-$s"
			mv "$work/scale$s.db.tmp" "$work/scale$s.db"
		fi
	done
	timed "quarterly report (3 stores, merged)" python3 "$report" --from 2022-04-01 --to 2022-06-30 \
		--out "$out/m" "$db" "$work/scale2.db" "$work/scale3.db"
fi
ls -la "$out/q" | sed -n '1,20p'
