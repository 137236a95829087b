#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""lib/store's payload signature tables (schema version 3) without the
engine: store_driver.c hands intervals written here to the store, and every
row is compared with what this script computes on its own from the same
intervals (docs/STORE.md):

  - exact: interval_signatures; day_signatures (packets summed, distinct
    sources over the day, the latest name and family, rows only for
    signatures with packets); day_sig_ports; day_sig_countries (packets by
    the interval's country, distinct sources by the country of the pair's
    first interval of the day); the 'sig:ID' sketches are lists of exactly
    those sources' hashes, the same hashes as the day's source sketch;
  - past the exact bound: rows say estimated = 1, registers are written, and
    the counts are within 3 % (or 2) of the truth;
  - a crash and a restart within the day (1-second checkpoints): the next
    run restores the signature sets from the sketches, says so, and its
    counts are estimates of the whole day's union; packets stay exact;
  - migration: a version-2 and a version-1 store are migrated in place to
    version 3 in one step (log line, meta migrated_from, every row kept); a
    newer version and another time zone are refused and the file unchanged.

Usage: test_store.py --driver BIN --workdir DIR
Ends with "N passed, N failed"; exit 0 = all passed, 1 = a failure.
"""
import argparse
import os
import random
import sqlite3
import struct
import subprocess
import sys

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
import gen_store  # noqa: E402
import tally  # noqa: E402
from tally import check, note  # noqa: E402


SIGS = [(1001, "sip-options", "sip-scan", "udp", [5060, 5061]),
        (1002, "dns-any", "dns-amp", "udp", [53]),
        (2001, "huawei-hg532", "mirai-exploit", "tcp", [37215]),
        (2003, "jaws-shell", "mirai-exploit", "tcp", [80, 8080, 81]),
        (2007, "loader-wget", "iot-downloader", "tcp", [80, 8080])]
CCS = ["JP", "US", "CN", "??"]
DAY0 = 1652140800          # 2022-05-10T00:00:00Z





class Truth:
    """Intervals as the driver's text and what the store must hold."""

    def __init__(self, seed, n_addr=160):
        self.rng = random.Random(seed)
        self.addrs = ["10.%d.%d.%d" % (1 + i // 250, i % 250, 7 + i % 13) for i in range(n_addr)] + \
                     ["2001:db8::%x" % (0x100 + i) for i in range(n_addr // 8)]
        self.home = {a: self.rng.choice(CCS) for a in self.addrs}
        self.lines = []
        self.iv = {}          # (start, id) -> (packets, sources)
        self.day = {}         # (day, id) -> {name, family, packets, srcs:set}
        self.ports = {}       # (day, id, proto, port) -> packets
        self.cc = {}          # (day, id, cc) -> packets
        self.first_cc = {}    # (day, id, addr) -> cc of the pair's first interval
        self.any_cc = {}      # (day, id, cc) -> addresses that came from cc in some interval
        self.day_srcs = {}    # day -> set of addresses

    def interval(self, start, length=600, rename=None, zero_sig=False):
        rng = self.rng
        day = "2022-05-%02d" % (10 + (start - DAY0) // 86400)
        lines = ["iv %d %d %d" % (start, start + length, 0)]
        srcs = {}
        # a source's country may change between intervals (a reload)
        icc = {a: (self.home[a] if rng.random() < 0.85 else rng.choice(CCS)) for a in self.addrs}
        sig_lines = []
        for sid, name, fam, proto, ports in SIGS:
            if rename and sid == rename[0]:
                name = rename[1]
            members = rng.sample(self.addrs, rng.randrange(3, 40))
            per_cc = {}
            pk = 0
            port_pk = {}
            for a in members:
                cc = icc[a]
                n = rng.randrange(1, 6)
                pk += n
                srcs[a] = (cc, srcs.get(a, (cc, 0))[1] + n)
                x = per_cc.setdefault(cc, [0, set()])
                x[0] += n
                x[1].add(a)
                p = ports[rng.randrange(len(ports))]
                port_pk[p] = port_pk.get(p, 0) + n
                sig_lines.append("ssrc %d %s %s %d" % (sid, a, cc, n))
                self.first_cc.setdefault((day, sid, a), cc)
                self.any_cc.setdefault((day, sid, cc), set()).add(a)
                self.cc[(day, sid, cc)] = self.cc.get((day, sid, cc), 0) + n
            sig_lines.append("sig %d %s %s %d %d" % (sid, name, fam, pk, len(members)))
            for p, n in sorted(port_pk.items()):
                sig_lines.append("port %d %s %d %d" % (sid, proto, p, n))
                k = (day, sid, proto, p)
                self.ports[k] = self.ports.get(k, 0) + n
            for cc, (n, s) in sorted(per_cc.items()):
                sig_lines.append("cc %d %s %d %d" % (sid, cc, n, len(s)))
            self.iv[(start, sid)] = (pk, len(members))
            d = self.day.setdefault((day, sid), {"packets": 0, "srcs": set()})
            d["name"], d["family"] = name, fam
            d["packets"] += pk
            d["srcs"].update(members)
        if zero_sig:
            sig_lines.append("sig 9999 nothing none 0 0")
        # sources of the interval: every signature source, and a few more
        for a in rng.sample(self.addrs, 20):
            srcs.setdefault(a, (self.home[a], 1))
        for a, (cc, n) in srcs.items():
            lines.append("src %s %s %d" % (a, cc, n))
        self.day_srcs.setdefault(day, set()).update(srcs)
        lines += sig_lines + ["put"]
        self.lines += lines

    def day_sig(self):
        return {k: (v["name"], v["family"], v["packets"], len(v["srcs"])) for k, v in self.day.items()}

    def day_sig_cc(self):
        src = {}
        for (day, sid, a), cc in self.first_cc.items():
            src[(day, sid, cc)] = src.get((day, sid, cc), 0) + 1
        return {k: (v, src.get(k, 0)) for k, v in self.cc.items()}


def drive(driver, lines, must_fail=False):
    p = subprocess.run([driver], input="\n".join(lines) + "\n", capture_output=True, text=True, timeout=300)
    if not must_fail and p.returncode != 0:
        check(False, "driver exit %d: %s" % (p.returncode, p.stderr[-800:]))
    return p.returncode, p.stderr


def rm(path):
    for f in (path, path + "-wal", path + "-shm"):
        if os.path.exists(f):
            os.unlink(f)


def rows(db, sql):
    c = sqlite3.connect(db)
    try:
        return c.execute(sql).fetchall()
    finally:
        c.close()


def hashes(blob):
    return set(struct.unpack("<%dQ" % (len(blob) // 8), blob)) if len(blob) != 16384 else None


def near(got, want):
    return abs(got - want) <= max(2, 0.03 * want)


def exact_case(driver, work):
    db = os.path.join(work, "exact.db")
    rm(db)
    t = Truth(1)
    for k in range(5):
        t.interval(DAY0 + 3600 * k, rename=(2003, "jaws-shell-v2") if k == 3 else None, zero_sig=(k == 1))
    for k in range(3):     # the next day, with the name back
        t.interval(DAY0 + 86400 + 3600 * k)
    drive(driver, ["open %s UTC 100000 0" % db] + t.lines + ["close"])
    meta = dict(rows(db, "SELECT key, value FROM meta"))
    check(meta.get("schema_version") == "3" and "migrated_from" not in meta, "exact: meta %s" % meta)
    got = {(r[0], r[1]): r[2:] for r in rows(db, "SELECT start, sig_id, packets, sources FROM interval_signatures")}
    check(got == t.iv, "exact: interval_signatures differ (%d rows, want %d)" % (len(got), len(t.iv)))
    got = {(r[0], r[1]): r[2:6] for r in rows(db, "SELECT day, sig_id, name, family, packets, sources, estimated "
                                                  "FROM day_signatures")}
    want = t.day_sig()
    bad = [k for k in set(got) | set(want) if got.get(k) != want.get(k)]
    check(not bad, "exact: day_signatures differ at %s: %s, want %s" % (bad[:2], [got.get(k) for k in bad[:2]],
                                                                        [want.get(k) for k in bad[:2]]))
    check(got.get(("2022-05-10", 2003), ("",))[0] == "jaws-shell" and
          got.get(("2022-05-11", 2003), ("",))[0] == "jaws-shell", "exact: the latest name of the day")
    check(all(r[0] == 0 for r in rows(db, "SELECT estimated FROM day_signatures UNION ALL "
                                          "SELECT estimated FROM day_sig_countries")), "exact: a row says estimated")
    check(not rows(db, "SELECT * FROM day_signatures WHERE sig_id = 9999 UNION ALL "
                       "SELECT start, sig_id, packets, sources, 0, 0, 0 FROM interval_signatures WHERE sig_id = 9999"),
          "exact: rows for a signature without packets")
    got = {tuple(r[:4]): r[4] for r in rows(db, "SELECT day, sig_id, proto, port, packets FROM day_sig_ports")}
    check(got == t.ports, "exact: day_sig_ports differ (%d rows, want %d)" % (len(got), len(t.ports)))
    got = {tuple(r[:3]): tuple(r[3:]) for r in rows(db, "SELECT day, sig_id, country, packets, sources FROM day_sig_countries")}
    want = t.day_sig_cc()
    bad = [k for k in set(got) | set(want) if got.get(k) != want.get(k)]
    check(not bad, "exact: day_sig_countries differ at %s: %s, want %s" % (bad[:3], [got.get(k) for k in bad[:3]],
                                                                           [want.get(k) for k in bad[:3]]))
    moved = sum(1 for (d, s, a), cc in t.first_cc.items() if cc != t.home[a])
    check(moved > 0, "exact: the truth has no source that changed country: the first-country rule is untested")
    # sketches: lists of the sources' hashes; the same hashes as the day's sources
    sk = {(r[0], r[1], r[2]): r[3] for r in rows(db, "SELECT day, country, kind, registers FROM day_sketches")}
    nsk = 0
    for (day, sid), v in t.day.items():
        kind = "sig:%d" % sid
        star = hashes(sk.get((day, "*", kind), b"\0" * 16384)) or set()
        check(len(star) == len(v["srcs"]), "exact: %s %s '*' sketch lists %d sources, want %d" % (day, kind, len(star), len(v["srcs"])))
        union = set()
        for cc in CCS:
            n = t.day_sig_cc().get((day, sid, cc), (0, 0))[1]
            blob = sk.get((day, cc, kind))
            if n == 0:
                check(blob is None, "exact: %s %s %s: a sketch without sources" % (day, kind, cc))
                continue
            hs = hashes(blob or b"") or set()
            check(len(hs) == n, "exact: %s %s %s sketch lists %d, want %d" % (day, kind, cc, len(hs), n))
            union |= hs
            nsk += 1
        check(union == star, "exact: %s %s: the countries' lists are not the '*' list" % (day, kind))
        check(star <= (hashes(sk[(day, "*", "all")]) or set()), "exact: %s %s: hashes not those of the day's sources" % (day, kind))
    note("exact: %d interval rows, %d day rows, %d port rows, %d country rows, %d sketches compared"
         % (len(t.iv), len(t.day), len(t.ports), len(want), nsk + len(t.day)))
    return db


def estimated_case(driver, work):
    db = os.path.join(work, "est.db")
    rm(db)
    t = Truth(2, n_addr=2400)
    for k in range(6):
        t.interval(DAY0 + 3600 * k)
    _rc, err = drive(driver, ["open %s UTC 60 0" % db] + t.lines + ["close"])
    check("signature source counts estimated from here on" in err, "estimated: no log line: %s" % err[-400:])
    got = {(r[0], r[1]): r[2:] for r in rows(db, "SELECT day, sig_id, packets, sources, estimated FROM day_signatures")}
    for k, v in t.day_sig().items():
        g = got.get(k)
        if check(g is not None, "estimated: no row %s" % (k,)):
            check(g[0] == v[2] and g[2] == 1 and near(g[1], v[3]),
                  "estimated: %s: %s, want packets %d, sources about %d, estimated" % (k, g, v[2], v[3]))
    got = {tuple(r[:3]): r[3:] for r in rows(db, "SELECT day, sig_id, country, packets, sources, estimated FROM day_sig_countries")}
    for k, (pk, n) in t.day_sig_cc().items():
        g = got.get(k)
        # the sketch of a (signature, country) takes a source under every
        # country it came from, the exact set under its first only
        if check(g is not None, "estimated: no country row %s" % (k,)):
            hi = len(t.any_cc[k])
            check(g[0] == pk and g[2] == 1 and n - max(2, 0.03 * n) <= g[1] <= hi + max(2, 0.03 * hi),
                  "estimated: %s: %s, want %d packets, %d to %d sources" % (k, g, pk, n, hi))
    lens = {r[0] for r in rows(db, "SELECT length(registers) FROM day_sketches WHERE kind LIKE 'sig:%'")}
    check(lens == {16384}, "estimated: signature sketch sizes %s, want registers only" % lens)


def restart_case(driver, work):
    db = os.path.join(work, "restart.db")
    rm(db)
    t = Truth(3)
    for k in range(3):
        t.interval(DAY0 + 3600 * k)
    n1 = len(t.lines)
    for k in range(3, 6):
        t.interval(DAY0 + 3600 * k)
    drive(driver, ["open %s UTC 100000 1" % db] + t.lines[:n1] + ["crash"])
    first = {(r[0], r[1]): r[2] for r in rows(db, "SELECT day, sig_id, estimated FROM day_signatures")}
    check(first and all(v == 0 for v in first.values()), "restart: before the crash the rows are exact: %s" % first)
    _rc, err = drive(driver, ["open %s UTC 100000 1" % db] + t.lines[n1:] + ["close"])
    check("already has signature data (a restart)" in err, "restart: no log line: %s" % err[-400:])
    got = {(r[0], r[1]): r[2:] for r in rows(db, "SELECT day, sig_id, packets, sources, estimated FROM day_signatures")}
    for k, v in t.day_sig().items():
        g = got.get(k)
        check(g is not None and g[0] == v[2] and g[2] == 1 and near(g[1], v[3]),
              "restart: %s: %s, want packets %d, sources about %d (the whole day's union), estimated" % (k, g, v[2], v[3]))


def migration_case(driver, work, src):
    tables = ("intervals", "day_ports", "day_countries", "day_totals", "day_fp_sources", "day_sketches", "day_asns")
    sig_tables = gen_store.SIG_TABLES
    for version in (2, 1):
        db = gen_store.downgrade(src, os.path.join(work, "v%d.db" % version), version)
        b = sqlite3.connect(db)
        before = {tb: b.execute("SELECT count(*) FROM %s" % tb).fetchone()[0] for tb in tables}
        b.close()
        check(before["intervals"] > 0 and before["day_sketches"] > 0, "migration: the v%d store has rows %s" % (version, before))
        # another zone: refused before any migration
        rc, err = drive(driver, ["open %s Asia/Tokyo 100000 0" % db, "close"], must_fail=True)
        v = dict(rows(db, "SELECT key, value FROM meta"))
        check(rc == 1 and "another time zone" in err and v["schema_version"] == str(version),
              "migration v%d: another zone: rc %d, %s, version %s" % (version, rc, err.strip(), v["schema_version"]))
        _rc, err = drive(driver, ["open %s UTC 100000 0" % db, "close"])
        check("schema migrated from version %d to 3" % version in err, "migration v%d: log %s" % (version, err.strip()))
        meta = dict(rows(db, "SELECT key, value FROM meta"))
        check(meta.get("schema_version") == "3" and meta.get("migrated_from", "").startswith("%d " % version),
              "migration v%d: meta %s" % (version, meta))
        names = {r[0] for r in rows(db, "SELECT name FROM sqlite_master WHERE type = 'table'")}
        check(set(sig_tables) <= names and "day_icmp_types" in names, "migration v%d: tables %s" % (version, names))
        after = {tb: rows(db, "SELECT count(*) FROM %s" % tb)[0][0] for tb in tables}
        check(after == before, "migration v%d: rows changed %s -> %s" % (version, before, after))
    # a newer version: refused, file unchanged
    db = os.path.join(work, "v4.db")
    rm(db)
    c = sqlite3.connect(db)
    c.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    c.executemany("INSERT INTO meta VALUES (?, ?)", [("schema_version", "4"), ("timezone", "UTC")])
    c.commit()
    c.close()
    rc, err = drive(driver, ["open %s UTC 100000 0" % db, "close"], must_fail=True)
    check(rc == 1 and "schema version 4 is newer than this darkcap's 3" in err, "newer version: rc %d, %s" % (rc, err.strip()))
    check(rows(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table'")[0][0] == 1, "newer version: the file was changed")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--driver", required=True)
    ap.add_argument("--workdir", required=True)
    a = ap.parse_args()
    os.makedirs(a.workdir, exist_ok=True)
    db = exact_case(a.driver, a.workdir)
    estimated_case(a.driver, a.workdir)
    restart_case(a.driver, a.workdir)
    migration_case(a.driver, a.workdir, db)
    return tally.summary()


if __name__ == "__main__":
    sys.exit(main())
