#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""darkcap store generator with ground truth, for testing darkcap-report.

Two modes:

  world  (default) 1-3 sensors over two quarters (2022-01-01 .. 2022-06-30):
         synthetic source addresses per country, each sensor seeing an
         overlapping part of each day's active sources; every table of the
         schema filled consistently (day_totals = sum of countries, day_ports
         sums to the packets, sketches built from real 64-bit hashes of the
         addresses, fingerprint sources per address; payload signatures
         drawn from the same sources: day_signatures, day_sig_ports,
         day_sig_countries, interval_signatures and 'sig:ID' sketches). The
         generator keeps the ground truth and computes what the report must
         say for any period (expected()).
  scale  one sensor, a store sized like a /8 telescope: every TCP and UDP port
         (or --ports-per-day of them) and ICMP every day, 250 countries,
         dense sketches for the big ones, --fp-per-day fingerprint sources,
         --sig-pairs (signature, source) pairs a day over 18 signatures.
         No truth: for timing the report and measuring the database.

The stores are created with lib/store/dc_store_schema.sql itself (--schema),
so they follow the schema exactly; meta has schema_version 3, sensor,
timezone, interval_s, hll_precision, created_utc, darkcap_version.

Hashes of addresses: the first 8 bytes (little-endian) of BLAKE2b-64 keyed
with "darkcap-test" over the address bytes (the report only needs
well-mixed 64-bit hashes; the engine's own hash is its business).

Usage: gen_store.py --out DIR [--sensors N] [--seed S] [--tz ZONE]
                    [--exact-bound N] [--missing-day DAY]
       gen_store.py --mode scale --out FILE [--days N] [--ports-per-day N]
                    [--fp-per-day N] [--countries N] [--dense N] [--sig-pairs N]
"""
import argparse
import bisect
import datetime as dt
import hashlib
import json
import math
import os
import random
import sqlite3
import struct
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SCHEMA = os.path.join(HERE, "..", "..", "lib", "store", "dc_store_schema.sql")

M64 = (1 << 64) - 1
HLL_P = 14
HLL_M = 1 << HLL_P
SPARSE_MAX = 2048


def mix(*xs):
    """A fast deterministic 64-bit mix of small integers (splitmix64 steps)."""
    h = 0x9E3779B97F4A7C15
    for x in xs:
        h = ((h ^ (x & M64)) * 0xBF58476D1CE4E5B9) & M64
        h ^= h >> 31
        h = (h * 0x94D049BB133111EB) & M64
        h ^= h >> 29
    return h


def addr_hash(addr_int):
    d = hashlib.blake2b(addr_int.to_bytes(4, "big"), digest_size=8, key=b"darkcap-test").digest()
    return struct.unpack("<Q", d)[0]


def reg_of(h):
    """(register index, rank) of a hash, per the sketch contract."""
    idx = h >> (64 - HLL_P)
    w = ((h << HLL_P) & M64) | (1 << (HLL_P - 1))
    rank = 64 - w.bit_length() + 1
    return idx, rank


def dotted(a):
    return "%d.%d.%d.%d" % (a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255)


def create_store(path, schema, sensor, tz):
    if os.path.exists(path):
        os.unlink(path)
    db = sqlite3.connect(path)
    db.execute("PRAGMA synchronous = OFF")
    db.executescript(open(schema).read())
    meta = {"schema_version": "3", "sensor": sensor, "timezone": tz, "interval_s": "3600",
            "hll_precision": str(HLL_P), "created_utc": "2022-01-01T00:00:00Z", "darkcap_version": "0.1.0"}
    db.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", sorted(meta.items()))
    return db


SIG_TABLES = ("interval_signatures", "day_signatures", "day_sig_ports", "day_sig_countries")


def copy_db(src, dst):
    """An open connection to a fresh copy of store @src at @dst."""
    for f in (dst, dst + "-wal", dst + "-shm"):
        if os.path.exists(f):
            os.unlink(f)
    a, b = sqlite3.connect(src), sqlite3.connect(dst)
    a.backup(b)
    a.close()
    return b


def downgrade(src, dst, version):
    """A copy of store @src at @dst as schema @version had it: version 2
    without the signature tables and sketches (schema 3), version 1 also
    without day_icmp_types (schema 2). For the migration tests."""
    b = copy_db(src, dst)
    for t in SIG_TABLES + (("day_icmp_types",) if version == 1 else ()):
        b.execute("DROP TABLE %s" % t)
    b.execute("DELETE FROM day_sketches WHERE kind LIKE 'sig:%'")
    b.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(version),))
    b.commit()
    b.close()
    return dst


def day_start(day, tz):
    from zoneinfo import ZoneInfo
    d = dt.date.fromisoformat(day)
    return int(dt.datetime(d.year, d.month, d.day, tzinfo=ZoneInfo(tz)).timestamp())


def days_between(a, b):
    out = []
    d = dt.date.fromisoformat(a)
    e = dt.date.fromisoformat(b)
    while d <= e:
        out.append(d.isoformat())
        d += dt.timedelta(days=1)
    return out


# ---------------------------------------------------------------------------
# The world: countries, ports, sources
# ---------------------------------------------------------------------------

# cc, active sources per day (whole telescope), % of them Mirai bots,
# packets per non-Mirai source per day, packet factor in Q1
COUNTRIES = [
    ("US", 2600, 15, 40, 1.0), ("CN", 3000, 40, 6, 1.4), ("IN", 1500, 2, 5, 1.0),
    ("TW", 1300, 2, 6, 1.0), ("BR", 1100, 10, 8, 1.0), ("KR", 1000, 30, 25, 0.6),
    ("VN", 900, 6, 6, 1.0), ("RU", 800, 8, 60, 0.55), ("ID", 700, 5, 6, 1.0),
    ("EG", 650, 9, 5, 1.0), ("GB", 600, 3, 120, 1.0), ("DE", 560, 4, 30, 1.0),
    ("NL", 520, 3, 45, 1.3), ("FR", 480, 4, 20, 1.0), ("MX", 450, 10, 5, 1.0),
    ("TH", 420, 7, 5, 1.0), ("IR", 390, 10, 5, 1.0), ("TR", 360, 5, 6, 1.0),
    ("AR", 330, 12, 5, 1.0), ("JP", 150, 33, 10, 1.0), ("IT", 140, 4, 15, 1.0),
    ("CA", 130, 3, 25, 1.0), ("ES", 120, 4, 10, 1.0), ("PL", 110, 5, 8, 1.0),
    ("UA", 100, 8, 8, 1.0), ("ZA", 90, 6, 6, 1.0), ("SG", 80, 2, 50, 1.0),
    ("HK", 70, 5, 20, 1.0), ("AU", 60, 3, 10, 1.0), ("??", 200, 5, 10, 1.0),
]
# CN's Mirai wave at the start of Q2 (the seed report's April surge): more
# active sources, more of them Mirai bots (dense Mirai sketches).
SURGE = ("CN", "2022-04-01", "2022-04-25", 7500)
TRACKED = ("JP", "KR", "TW")     # countries whose fingerprint sources the truth keeps

# Destination ports: (proto, port) -> (weight Q1, weight Q2). ICMP is port -1.
PORTS = {
    ("tcp", 23): (0.17, 0.20), ("tcp", 6379): (0.19, 0.16), ("tcp", 22): (0.10, 0.12),
    ("tcp", 80): (0.08, 0.09), ("icmp", -1): (0.036, 0.07), ("tcp", 443): (0.085, 0.06),
    ("tcp", 8080): (0.07, 0.05), ("tcp", 445): (0.11, 0.045), ("tcp", 3389): (0.06, 0.04),
    ("tcp", 2323): (0.05, 0.035), ("tcp", 5555): (0.02, 0.03), ("udp", 53): (0.015, 0.02),
    ("udp", 123): (0.012, 0.015), ("tcp", 1433): (0.01, 0.012), ("udp", 37215): (0.003, 0.004),
    ("tcp", 37215): (0.008, 0.01), ("tcp", 81): (0.006, 0.008), ("udp", 1900): (0.006, 0.006),
}
BACKGROUND_PORTS = 300
MIRAI_PORTS = [23, 2323, 22, 80, 8080, 37215, 52869, 5555, 81, 7547, 60001]
# Payload signatures: id, name, family, proto, destination ports (the first
# gets the most packets), source countries, the part of each country's
# sensor window it takes and where in it (so signatures of a family overlap
# and sensors see overlapping parts), packets per source per day, packet
# factor in Q1, when it is active ('all', 'q2' only, 'even' days).
SIGS = [
    (1002, "dns-any", "dns-amp", "udp", (53,), ("US", "CN", "RU"), 0.06, 0.10, 3, 1.0, "all"),
    (1003, "dns-version-bind", "dns-recon", "udp", (53,), ("US", "DE", "NL"), 0.04, 0.50, 2, 1.0, "even"),
    (1004, "ntp-monlist", "ntp-amp", "udp", (123,), ("CN", "BR"), 0.05, 0.30, 1.5, 1.8, "all"),
    (1005, "ntp-client", "ntp-scan", "udp", (123,), ("US", "GB", "JP"), 0.10, 0.20, 1, 1.0, "all"),
    (1006, "ssdp-msearch", "ssdp-amp", "udp", (1900,), ("CN", "KR", "TW"), 0.05, 0.60, 1.5, 1.0, "all"),
    (2001, "huawei-hg532", "mirai-exploit", "tcp", (37215,), ("CN", "BR", "EG"), 0.30, 0.05, 0.4, 1.0, "all"),
    (2003, "jaws-shell", "mirai-exploit", "tcp", (80, 8080, 81), ("CN", "VN", "IN"), 0.08, 0.30, 3, 1.0, "all"),
    (2004, "gpon-diag", "mirai-exploit", "tcp", (80, 8080), ("CN", "MX", "KR"), 0.06, 0.35, 3, 1.0, "all"),
    (2005, "thinkphp-rce", "botnet-exploit", "tcp", (80, 8080), ("CN", "US", "ID"), 0.05, 0.55, 4, 0.5, "all"),
    (2006, "netgear-setup-cgi", "mozi-exploit", "tcp", (80, 8080), ("CN", "IN"), 0.07, 0.70, 3, 3.0, "all"),
    (2007, "loader-wget", "iot-downloader", "tcp", (80, 8080, 81, 37215), ("CN", "VN", "BR", "??"), 0.09, 0.32, 2, 1.0, "all"),
    (3001, "redis-info", "redis-scan", "tcp", (6379,), ("US", "NL", "RU", "DE"), 0.12, 0.40, 5, 1.0, "q2"),
]
# gpon-diag's rule was renamed on this day: the report shows the latest name
SIG_RENAME = (2004, "gpon-diag-old", "2022-05-01")
SENSOR_MULT = [1.0, 0.7, 0.5]
# sensor k sees [s + off_k*n, s + off_k*n + vis*n) of the day's active window [s, s+n)
VIS = 0.75
OFFS = [0.0, 0.125, 0.25]


class Country:
    def __init__(self, ci, cc, active, mirai_pct, ppsrc, q1f):
        self.ci, self.cc, self.active, self.mirai_pct, self.ppsrc, self.q1f = ci, cc, active, mirai_pct, ppsrc, q1f
        maxn = active * 1.3
        if cc == SURGE[0]:
            maxn = max(maxn, SURGE[3] * 1.1)
        self.pool = int(maxn * 3) + 100
        self.base = (11 + ci) << 24
        self.flags = bytearray(self.pool)   # 0 none, 1 Mirai, 2 ZMap, 3 Masscan
        for j in range(self.pool):
            r = mix(ci, j, 7) % 1000
            if r < mirai_pct * 10:
                self.flags[j] = 1
            elif r < mirai_pct * 10 + 10:
                self.flags[j] = 2
            elif r < mirai_pct * 10 + 15:
                self.flags[j] = 3
        self.hashes = [addr_hash(self.base + j) for j in range(self.pool)]
        self.regs = [reg_of(h) for h in self.hashes]
        self.flagged = [j for j in range(self.pool) if self.flags[j]]
        self.addrs = {j: dotted(self.base + j) for j in self.flagged}
        self.prefix = {}
        for f in (1, 2, 3):
            p = [0] * (self.pool + 1)
            for j in range(self.pool):
                p[j + 1] = p[j] + (self.flags[j] == f)
            self.prefix[f] = p

    def count(self, f, lo, hi):
        p = self.prefix[f]
        return p[hi] - p[lo]


def union_len(intervals, fn=None):
    """Length (or fn-measure) of a union of [lo, hi) intervals."""
    iv = sorted(i for i in intervals if i[1] > i[0])
    tot = 0
    cur = None
    for lo, hi in iv:
        if cur is None or lo > cur[1]:
            if cur is not None:
                tot += fn(*cur) if fn else cur[1] - cur[0]
            cur = [lo, hi]
        else:
            cur[1] = max(cur[1], hi)
    if cur is not None:
        tot += fn(*cur) if fn else cur[1] - cur[0]
    return tot


def sketch_blob(js, c):
    if len(js) < SPARSE_MAX:
        return struct.pack("<%dQ" % len(js), *[c.hashes[j] for j in js])
    reg = bytearray(HLL_M)
    regs = c.regs
    for j in js:
        i, r = regs[j]
        if r > reg[i]:
            reg[i] = r
    return bytes(reg)


def blob_registers(blob, regs_of_hash=reg_of):
    if len(blob) == HLL_M:
        return bytearray(blob)
    reg = bytearray(HLL_M)
    for (h,) in struct.iter_unpack("<Q", blob):
        i, r = regs_of_hash(h)
        if r > reg[i]:
            reg[i] = r
    return reg


class World:
    def __init__(self, sensors=1, seed=1, tz="UTC", first="2022-01-01", last="2022-06-30",
                 exact_bound=None, missing=()):
        self.sensors = sensors
        self.seed = seed
        self.tz = tz
        self.days = days_between(first, last)
        self.exact_bound = exact_bound
        self.missing = set(missing)       # (sensor index or None for all, day)
        self.rng = random.Random(seed)
        self.countries = [Country(i, *c) for i, c in enumerate(COUNTRIES)]
        self.bg_ports = []
        seen = set(PORTS)
        while len(self.bg_ports) < BACKGROUND_PORTS:
            k = (self.rng.choice(("tcp", "udp")), self.rng.randrange(1024, 65536))
            if k not in seen:
                seen.add(k)
                self.bg_ports.append(k)
        # truth
        self.t_ports = {}       # (proto, port) -> {day: packets}
        self.t_cc = {}          # (day, cc) -> dict
        self.t_tot = {}         # day -> dict
        self.t_fp = []          # tracked fingerprint rows: (day, sensor, cc, addr, asn, packets, mirai, first, last, ports)
        self.t_sig = {}         # (day, sensor, sig id) -> {name, family, packets, sources, ports: {(proto, port): n}}
        self.t_sig_ranges = {}  # (day, family) -> [(cc, lo, hi)] source index ranges, every sensor and signature
        self.cmap = {c.cc: c for c in self.countries}
        self.data_days = set()

    def has(self, s, d):
        return (None, d) not in self.missing and (s, d) not in self.missing

    def window(self, c, di, d):
        """Active window [s, s+n) of country c on day index di."""
        n = c.active * (1 + 0.2 * math.sin(2 * math.pi * di / 29 + c.ci) + 0.05 * ((mix(c.ci, di, 1) % 100) / 50 - 1))
        if c.cc == SURGE[0] and SURGE[1] <= d <= SURGE[2]:
            n = SURGE[3] * (1 + 0.05 * ((mix(c.ci, di, 2) % 100) / 50 - 1))
        n = max(1, int(n))
        s = (di * 37 * (c.ci + 1)) % (c.pool - n)
        return s, n

    def sensor_window(self, si, s, n):
        if self.sensors == 1:
            return s, s + n
        lo = s + int(OFFS[si] * n)
        return lo, lo + int(VIS * n)

    def generate(self, outdir, schema, verbose=False):
        os.makedirs(outdir, exist_ok=True)
        paths = [os.path.join(outdir, "sensor%d.db" % (i + 1)) for i in range(self.sensors)]
        dbs = [create_store(p, schema, "sensor-%d" % (i + 1), self.tz) for i, p in enumerate(paths)]
        q2_start = "2022-04-01"
        for di, d in enumerate(self.days):
            t0 = day_start(d, self.tz)
            q1 = d < q2_start
            windows = {c.cc: self.window(c, di, d) for c in self.countries}
            tot_true = {"packets": 0, "mirai": 0, "zmap": 0, "masscan": 0}
            sensor_tot_packets = []
            for si in range(self.sensors):
                if not self.has(si, d):
                    sensor_tot_packets.append(None)
                    continue
                self.data_days.add(d)
                db = dbs[si]
                cc_rows, sk_rows, fp_rows, asn_rows = [], [], [], []
                star = {k: bytearray(HLL_M) for k in ("all", "mirai", "zmap", "masscan")}
                star_hashes = {k: [] for k in star}
                star_n = {k: 0 for k in star}
                T = {"packets": 0, "bytes": 0, "sources": 0, "mirai": 0, "mirai_sources": 0, "zmap": 0,
                     "zmap_sources": 0, "masscan": 0, "masscan_sources": 0}
                for c in self.countries:
                    s, n = windows[c.cc]
                    lo, hi = self.sensor_window(si, s, n)
                    js = range(lo, hi)
                    sets = {"all": js}
                    kinds = {1: [], 2: [], 3: []}
                    pk = {1: 0, 2: 0, 3: 0}
                    pk_all_fp = 0
                    fl = c.flags
                    fj = c.flagged
                    for j in fj[bisect.bisect_left(fj, lo):bisect.bisect_left(fj, hi)]:
                        f = fl[j]
                        if True:
                            kinds[f].append(j)
                            h1 = ((c.hashes[j] ^ (di * 0x9E3779B97F4A7C15) ^ (si << 40)) * 0xBF58476D1CE4E5B9) & M64
                            h1 ^= h1 >> 29
                            if f == 1:
                                p = 5 + h1 % 50
                                mi = p - (h1 >> 20) % 3 if p > 10 else p
                                r = (h1 >> 8) % 10
                                if r < 6:
                                    ports = "23"
                                elif r < 9:
                                    ports = "23 2323"
                                else:
                                    ports = " ".join(str(x) for x in MIRAI_PORTS[:8]) + " +"
                                zm = ms = 0
                            else:
                                p = 1 + h1 % 5
                                mi = 0
                                zm = p if f == 2 else 0
                                ms = p if f == 3 else 0
                                ports = str((22, 80, 443)[h1 % 3])
                            pk[f] += mi if f == 1 else p
                            pk_all_fp += p
                            asn = 64500 + c.ci * 10 + (j % 7)
                            if c.cc == "JP" and j % 11 == 0 and d >= "2022-05-15":
                                asn = 64999
                            first = t0 + (h1 >> 16) % 40000 + si * 60
                            last = first + (h1 >> 32) % 40000
                            addr = c.addrs[j]
                            fp_rows.append((d, addr, c.cc, asn, p, mi, zm, ms, first, last, ports))
                            if c.cc in TRACKED:
                                self.t_fp.append((d, si, c.cc, addr, asn, p, mi, first, last, ports))
                    n_all = hi - lo
                    nonfp = n_all - len(kinds[1]) - len(kinds[2]) - len(kinds[3])
                    fac = (c.q1f if q1 else 1.0) * SENSOR_MULT[si] * (1 + 0.3 * math.sin(2 * math.pi * di / 17 + c.ci * 0.7))
                    packets = pk_all_fp + int(nonfp * c.ppsrc * fac)
                    # stored distinct counts (an estimate past the exact bound)
                    counts = {"all": n_all, "mirai": len(kinds[1]), "zmap": len(kinds[2]), "masscan": len(kinds[3])}
                    stored = {}
                    est = 0
                    for k, v in counts.items():
                        if self.exact_bound is not None and v > self.exact_bound:
                            stored[k] = int(round(v * (1 + 0.004 * ((mix(di, c.ci, si, len(k)) % 5) - 2))))
                            est = 1
                        else:
                            stored[k] = v
                    cc_rows.append((d, c.cc, packets, packets * 60, stored["all"], pk[1], stored["mirai"], pk[2],
                                    stored["zmap"], pk[3], stored["masscan"], est))
                    asn_rows.append((d, 64500 + c.ci * 10, "AS-" + c.cc, packets, n_all, pk[1], len(kinds[1])))
                    for k, members in (("all", js), ("mirai", kinds[1]), ("zmap", kinds[2]), ("masscan", kinds[3])):
                        if len(members) == 0:
                            continue
                        blob = sketch_blob(members, c)
                        sk_rows.append((d, c.cc, k, blob))
                        star_n[k] += len(members)
                        if len(blob) == HLL_M:
                            star[k] = bytearray(map(max, star[k], blob))
                        else:
                            star_hashes[k].append((c, members, blob))
                    T["packets"] += packets
                    T["bytes"] += packets * 60
                    T["sources"] += n_all
                    T["mirai"] += pk[1]
                    T["mirai_sources"] += len(kinds[1])
                    T["zmap"] += pk[2]
                    T["zmap_sources"] += len(kinds[2])
                    T["masscan"] += pk[3]
                    T["masscan_sources"] += len(kinds[3])
                    tc = self.t_cc.setdefault((d, c.cc), {"packets": 0, "mirai": 0, "sensor_sources": [],
                                                           "sensor_mirai_sources": [], "stored_sources": [],
                                                           "stored_mirai_sources": [], "est": 0,
                                                           "windows": []})
                    tc["packets"] += packets
                    tc["mirai"] += pk[1]
                    tc["sensor_sources"].append(n_all)
                    tc["sensor_mirai_sources"].append(len(kinds[1]))
                    tc["stored_sources"].append(stored["all"])
                    tc["stored_mirai_sources"].append(stored["mirai"])
                    tc["est"] |= est
                    tc["windows"].append((lo, hi))
                # '*' sketches and totals
                tot_est = 0
                stored_t = {}
                for k in ("all", "mirai", "zmap", "masscan"):
                    key = {"all": "sources", "mirai": "mirai_sources", "zmap": "zmap_sources",
                           "masscan": "masscan_sources"}[k]
                    v = T[key]
                    if self.exact_bound is not None and v > self.exact_bound:
                        stored_t[key] = int(round(v * (1 + 0.003 * ((mix(di, si, len(k)) % 5) - 2))))
                        tot_est = 1
                    else:
                        stored_t[key] = v
                    if star_n[k] == 0:
                        continue
                    if star_n[k] < SPARSE_MAX and not any(star[k]):
                        blob = b"".join(x[2] for x in star_hashes[k])
                    else:
                        reg = star[k]
                        for c, members, _b in star_hashes[k]:
                            regs = c.regs
                            for j in members:
                                i, r = regs[j]
                                if r > reg[i]:
                                    reg[i] = r
                        blob = bytes(reg)
                    sk_rows.append((d, "*", k, blob))
                complete = 0 if (d == "2022-05-20" and si == 0) else 1
                db.execute("INSERT INTO day_totals VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                           (d, T["packets"], T["bytes"], stored_t["sources"], T["mirai"], stored_t["mirai_sources"],
                            T["zmap"], stored_t["zmap_sources"], T["masscan"], stored_t["masscan_sources"],
                            tot_est, complete))
                db.executemany("INSERT INTO day_countries VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", cc_rows)
                db.executemany("INSERT INTO day_sketches VALUES (?,?,?,?)", sk_rows)
                fp_rows.sort(key=lambda r: r[1])
                db.executemany("INSERT INTO day_fp_sources VALUES (?,?,?,?,?,?,?,?,?,?,?)", fp_rows)
                db.executemany("INSERT INTO day_asns VALUES (?,?,?,?,?,?,?)", asn_rows)
                self.gen_sigs(db, si, di, d, t0, windows, q1)
                # ports: the day's packets spread over the ports by weight (the
                # rest, ~1%, other protocols)
                port_rows = self.port_rows(di, d, T["packets"])
                db.executemany("INSERT INTO day_ports VALUES (?,?,?,?)", port_rows)
                for _d, proto, port, v in port_rows:
                    pd = self.t_ports.setdefault((proto, port), {})
                    pd[d] = pd.get(d, 0) + v
                self.interval_rows(db, d, t0, T)
                tt = self.t_tot.setdefault(d, {"packets": 0, "mirai": 0, "zmap": 0, "masscan": 0,
                                               "sensor_sources": [], "sensor_mirai_sources": [],
                                               "stored_sources": [], "stored_mirai_sources": [], "est": 0})
                tt["packets"] += T["packets"]
                tt["mirai"] += T["mirai"]
                tt["zmap"] += T["zmap"]
                tt["masscan"] += T["masscan"]
                tt["sensor_sources"].append(T["sources"])
                tt["sensor_mirai_sources"].append(T["mirai_sources"])
                tt["stored_sources"].append(stored_t["sources"])
                tt["stored_mirai_sources"].append(stored_t["mirai_sources"])
                tt["est"] |= tot_est
            # true unions across sensors
            if self.sensors > 1:
                tu_all = tu_m = 0
                for c in self.countries:
                    tc = self.t_cc.get((d, c.cc))
                    if tc is None:
                        continue
                    tc["union_sources"] = union_len(tc["windows"])
                    tc["union_mirai_sources"] = union_len(tc["windows"], lambda lo, hi, c=c: c.count(1, lo, hi))
                    tu_all += tc["union_sources"]
                    tu_m += tc["union_mirai_sources"]
                if d in self.t_tot:
                    self.t_tot[d]["union_sources"] = tu_all
                    self.t_tot[d]["union_mirai_sources"] = tu_m
            if verbose and di % 30 == 0:
                print("  %s" % d, file=sys.stderr)
        for db in dbs:
            db.commit()
            db.close()
        return paths

    def gen_sigs(self, db, si, di, d, t0, windows, q1):
        """One sensor-day of payload signatures: each signature's sources are
        a range of its countries' sources seen by this sensor that day."""
        sig_rows, port_rows, cc_rows, sk_rows, iv_rows = [], [], [], [], []
        for sid, name, fam, proto, ports, ccs, frac, off, pps, q1f, when in SIGS:
            if (when == "q2" and q1) or (when == "even" and di % 2):
                continue
            if sid == SIG_RENAME[0] and d < SIG_RENAME[2]:
                name = SIG_RENAME[1]
            fac = (q1f if q1 else 1.0) * (1 + 0.25 * math.sin(2 * math.pi * di / 13 + sid % 7))
            parts = []
            for cc in ccs:
                c = self.cmap[cc]
                lo, hi = self.sensor_window(si, *windows[cc])
                a = lo + int(off * (hi - lo))
                b = min(hi, a + max(1, int(frac * (hi - lo))))
                if b > a:
                    parts.append((c, a, b))
            if not parts:
                continue
            pk_total = n_total = 0
            star = bytearray(HLL_M)
            star_list = []
            for c, a, b in parts:
                n = b - a
                pk = max(1, int(n * pps * fac))
                cc_rows.append((d, sid, c.cc, pk, n, 0))
                blob = sketch_blob(range(a, b), c)
                sk_rows.append((d, c.cc, "sig:%d" % sid, blob))
                star_list.append(blob)
                for j in range(a, b):
                    i, r = c.regs[j]
                    if r > star[i]:
                        star[i] = r
                pk_total += pk
                n_total += n
                self.t_sig_ranges.setdefault((d, fam), []).append((c.cc, a, b))
            sk_rows.append((d, "*", "sig:%d" % sid, b"".join(star_list) if n_total < SPARSE_MAX else bytes(star)))
            sig_rows.append((d, sid, name, fam, pk_total, n_total, 0))
            wts = [1.0 / (i + 1) for i in range(len(ports))]
            left = pk_total
            tp = {}
            for i, port in enumerate(ports):
                v = left if i == len(ports) - 1 else int(pk_total * wts[i] / sum(wts))
                left -= v
                if v > 0:
                    port_rows.append((d, sid, proto, port, v))
                    tp[(proto, port)] = v
            for h in range(24):
                v = pk_total // 24 + (pk_total % 24 if h == 0 else 0)
                if v:
                    iv_rows.append((t0 + 3600 * h, sid, v, min(n_total, v)))
            self.t_sig[(d, si, sid)] = {"name": name, "family": fam, "packets": pk_total, "sources": n_total,
                                        "ports": tp}
        db.executemany("INSERT INTO day_signatures VALUES (?,?,?,?,?,?,?)", sig_rows)
        db.executemany("INSERT INTO day_sig_ports VALUES (?,?,?,?,?)", port_rows)
        db.executemany("INSERT INTO day_sig_countries VALUES (?,?,?,?,?,?)", cc_rows)
        db.executemany("INSERT INTO day_sketches VALUES (?,?,?,?)", sk_rows)
        db.executemany("INSERT INTO interval_signatures VALUES (?,?,?,?)", iv_rows)

    def port_rows(self, di, d, total):
        x = (dt.date.fromisoformat(d) - dt.date(2022, 4, 1)).days
        lam = 1 / (1 + math.exp(-x / 4.0))     # Q1 -> Q2 weights around April 1st
        w = {}
        for k, (a, b) in PORTS.items():
            f = 1 + 0.35 * math.sin(2 * math.pi * di / (11 + (k[1] % 7)) + k[1] % 5) \
                + 0.1 * ((mix(di, k[1], len(k[0])) % 100) / 50 - 1)
            w[k] = ((1 - lam) * a + lam * b) * f
        for i, k in enumerate(self.bg_ports):
            w[k] = 0.0003 * (1 + (mix(di, i) % 100) / 100)
        s = sum(w.values())
        rows = []
        for k, v in w.items():
            p = int(total * 0.99 * v / s)
            if p > 0:
                rows.append((d, k[0], k[1], p))
        return rows

    def interval_rows(self, db, d, t0, T):
        rows = []
        for h in range(24):
            share = 1 / 24
            p = int(T["packets"] * share)
            rows.append((t0 + 3600 * h, t0 + 3600 * (h + 1), d, p, p * 60, 0, 0, p, 0, 0, 0, int(p * 0.9), 0, 0,
                         int(p * 0.93), int(p * 0.05), int(p * 0.02), 0, int(T["mirai"] * share),
                         int(T["zmap"] * share), int(T["masscan"] * share), T["sources"] // 6, 1000, 0))
        db.executemany("INSERT INTO intervals VALUES (%s)" % ",".join("?" * 24), rows)

    # -----------------------------------------------------------------------
    # What the report must say
    # -----------------------------------------------------------------------
    def expected(self, a, b, prev=None, top=5, country="JP"):
        """prev: (from, to) ISO strings or None."""
        days = days_between(a, b)
        period = set(days)
        win = days_between((dt.date.fromisoformat(a) - dt.timedelta(days=6)).isoformat(), b)
        prev_days = set(days_between(*prev)) if prev else set()
        prev_has = bool(prev_days & self.data_days)
        multi = self.sensors > 1

        def ma(series):
            out = {}
            for d in days:
                dd = dt.date.fromisoformat(d)
                vals = []
                for i in range(7):
                    x = (dd - dt.timedelta(days=i)).isoformat()
                    if x in self.data_days:
                        vals.append(series.get(x, 0))
                out[d] = sum(vals) / len(vals) if vals else None
            return out

        def ranks(tot, key):
            order = sorted((k for k in tot if tot[k] > 0), key=lambda k: (-tot[k], key(k)))
            return order, {k: i + 1 for i, k in enumerate(order)}

        def prev_rank(rk, k):
            if not prev or not prev_has:
                return "-"
            return rk.get(k, "new")

        total = sum(self.t_tot[d]["packets"] for d in days if d in self.t_tot)
        E = {"total_packets": total, "data_days": sorted(self.data_days & period),
             "missing_days": [d for d in days if d not in self.data_days]}
        # ports
        cur = {k: sum(v for d, v in s.items() if d in period) for k, s in self.t_ports.items()}
        prv = {k: sum(v for d, v in s.items() if d in prev_days) for k, s in self.t_ports.items()}
        order, rk = ranks(cur, lambda k: k)
        _po, prk = ranks(prv, lambda k: k)
        E["ports"] = []
        for k in order[:top]:
            label = "ICMP" if k[0] == "icmp" else "%d/%s" % (k[1], k[0].upper())
            E["ports"].append({"rank": rk[k], "label": label, "proto": k[0], "port": k[1], "packets": cur[k],
                               "share_pct": 100.0 * cur[k] / total, "prev_rank": prev_rank(prk, k),
                               "daily": {d: (self.t_ports[k].get(d, 0) if d in self.data_days else None) for d in days},
                               "ma7": ma({d: self.t_ports[k].get(d, 0) for d in win})})
        # countries
        cp, cprev, cm = {}, {}, {}
        for (d, cc), v in self.t_cc.items():
            if d in period:
                cp[cc] = cp.get(cc, 0) + v["packets"]
                cm[cc] = cm.get(cc, 0) + v["mirai"]
            if d in prev_days:
                cprev[cc] = cprev.get(cc, 0) + v["packets"]
        known = lambda dct: {k: v for k, v in dct.items() if k != "??"}
        corder, crk = ranks(known(cp), lambda k: k)
        _co, cprk = ranks(known(cprev), lambda k: k)
        E["countries"] = []
        for cc in corder[:top]:
            series = {d: self.t_cc[(d, cc)]["packets"] for d in win if (d, cc) in self.t_cc}
            E["countries"].append({"rank": crk[cc], "country": cc, "packets": cp[cc],
                                   "share_pct": 100.0 * cp[cc] / total, "prev_rank": prev_rank(cprk, cc),
                                   "daily": {d: (series.get(d, 0) if d in self.data_days else None) for d in days},
                                   "ma7": ma(series)})
        # Mirai
        md = {d: self.t_tot[d]["mirai"] for d in win if d in self.t_tot}
        mma = ma(md)
        E["mirai_daily"] = []
        for d in days:
            if d not in self.t_tot:
                E["mirai_daily"].append({"day": d, "packets": None})
                continue
            t = self.t_tot[d]
            if multi:
                src, true, summ = t["union_mirai_sources"], t["union_mirai_sources"], sum(t["sensor_mirai_sources"])
            else:
                src, true, summ = t["stored_mirai_sources"][0], t["sensor_mirai_sources"][0], t["sensor_mirai_sources"][0]
            E["mirai_daily"].append({"day": d, "packets": t["mirai"], "ma7": mma[d], "sources": src,
                                     "true_sources": true, "sum_sources": summ})
        cum_m, cum_a, cum_m_sum, cum_a_sum, cum_est = {}, {}, {}, {}, {}
        for (d, cc), v in self.t_cc.items():
            if d not in period:
                continue
            if multi:
                m_, a_ = v["union_mirai_sources"], v["union_sources"]
            else:
                m_, a_ = v["stored_mirai_sources"][0], v["stored_sources"][0]
                if v["est"]:
                    cum_est[cc] = True
            cum_m[cc] = cum_m.get(cc, 0) + m_
            cum_a[cc] = cum_a.get(cc, 0) + a_
            cum_m_sum[cc] = cum_m_sum.get(cc, 0) + sum(v["sensor_mirai_sources"])
            cum_a_sum[cc] = cum_a_sum.get(cc, 0) + sum(v["sensor_sources"])
        morder, mrk = ranks(known(cm), lambda k: k)
        tot_cum_m = sum(cum_m.values())
        E["mirai_countries"] = [{"rank": mrk[cc], "country": cc, "mirai_packets": cm[cc],
                                 "mirai_sources_cum": cum_m.get(cc, 0),
                                 "sources_share_pct": 100.0 * cum_m.get(cc, 0) / tot_cum_m if tot_cum_m else 0}
                                for cc in morder]
        E["mirai_countries_daily"] = {}
        for cc in morder[:top] + ([country] if country not in morder[:top] else []):
            series = {d: self.t_cc[(d, cc)]["mirai"] for d in win if (d, cc) in self.t_cc}
            E["mirai_countries_daily"][cc] = {
                "daily": {d: (series.get(d, 0) if d in self.data_days else None) for d in days}, "ma7": ma(series)}
        aorder, ark = ranks(known(cum_a), lambda k: k)
        m2order, m2rk = ranks(known(cum_m), lambda k: k)
        E["cumulative"] = {cc: {"mirai": cum_m.get(cc, 0), "all": cum_a.get(cc, 0),
                                "mirai_sum": cum_m_sum.get(cc, 0), "all_sum": cum_a_sum.get(cc, 0),
                                "mirai_rank": m2rk.get(cc), "all_rank": ark.get(cc),
                                "estimated": bool(cum_est.get(cc))}
                           for cc in set(cum_m) | set(cum_a) if cc != "??"}
        E["cum_mirai_order"] = m2order
        E["cum_all_order"] = aorder
        hm, ha = set(m2order[:10]), set(aorder[:10])
        E["rank_differences"] = [(cc, "mirai") for cc in m2order[:10] if cc not in ha] + \
                                [(cc, "all") for cc in aorder[:10] if cc not in hm]
        E["country_ranks"] = (m2rk.get(country), ark.get(country))
        # fingerprint sources of the country
        by = {}
        for d, si, cc, addr, asn, p, mi, first, last, ports in self.t_fp:
            if cc != country or d not in period:
                continue
            x = by.setdefault(addr, {"addr": addr, "first": first, "last": last, "asn": asn, "asn_last": last,
                                     "days": set(), "packets": 0, "mirai": 0, "ports": set(), "more": False})
            x["first"] = min(x["first"], first)
            if last >= x["asn_last"]:
                x["asn"], x["asn_last"] = asn, last
            x["last"] = max(x["last"], last)
            x["days"].add(d)
            x["packets"] += p
            x["mirai"] += mi
            for t in ports.split():
                if t == "+":
                    x["more"] = True
                else:
                    x["ports"].add(int(t))
        fmt = lambda t: dt.datetime.fromtimestamp(t, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        E["fp"] = {x["addr"]: {"asn": x["asn"], "first_seen": fmt(x["first"]), "last_seen": fmt(x["last"]),
                               "days": len(x["days"]), "packets": x["packets"], "mirai_packets": x["mirai"],
                               "ports": (" ".join(str(p) for p in sorted(x["ports"])) + (" +" if x["more"] else "")).strip()}
                   for x in by.values() if x["mirai"] > 0}
        self.expected_sigs(E, period, prev_days, prev, order[:top], cur)
        return E

    def expected_sigs(self, E, period, prev_days, prev, top_ports, port_pk):
        """Section 6 from the signature truth: families by packets (share of
        all signature packets), their distinct sources per day (the true
        union over signatures and sensors) summed over days, previous ranks;
        the top 3 families of each top port, share of the port's packets."""
        agg = sig_family_sums(((d, sid, v) for (d, si, sid), v in self.t_sig.items()), period, prev_days)
        src, dense = {}, {}
        for (d, fam), vs in agg["by_day"].items():
            by_cc = {}
            for cc, lo, hi in self.t_sig_ranges[(d, fam)]:
                by_cc.setdefault(cc, []).append((lo, hi))
            src[fam] = src.get(fam, 0) + sum(union_len(r) for r in by_cc.values())
            # one (store, signature) set: its own count; several: merged
            # sketches, exact while every one is a list
            counts = [v["sources"] for v in vs]
            if len(counts) > 1 and max(counts) >= SPARSE_MAX:
                dense[fam] = True
        sig_tables(E, agg, src, dense, prev, top_ports, port_pk)


def sig_family_sums(items, period, prev_days):
    """Per family, from (day, signature id, {packets, name, family, ports})
    items: packets in the period and in the previous one, each signature's
    latest name, packets per port, and the items of each (day, family)."""
    fam_pk, fam_prev, latest, by_day, on_port = {}, {}, {}, {}, {}
    for d, sid, v in items:
        fam = v["family"]
        if d in period:
            fam_pk[fam] = fam_pk.get(fam, 0) + v["packets"]
            if d >= latest.get(sid, ("", ""))[0]:
                latest[sid] = (d, v["name"], fam)
            by_day.setdefault((d, fam), []).append(v)
            for k, n in v["ports"].items():
                x = on_port.setdefault(k, {})
                x[fam] = x.get(fam, 0) + n
        if d in prev_days:
            fam_prev[fam] = fam_prev.get(fam, 0) + v["packets"]
    return {"pk": fam_pk, "prev": fam_prev, "latest": latest, "by_day": by_day, "on_port": on_port}


def sig_tables(E, agg, src, dense, prev, top_ports, port_pk):
    """The report's signature tables (E["sig_total"], E["sig_families"],
    E["sig_port_families"]) from sig_family_sums() and each family's
    distinct sources summed over days (src) and dense flags."""
    fam_pk, fam_prev, latest, on_port = agg["pk"], agg["prev"], agg["latest"], agg["on_port"]
    total = sum(fam_pk.values())
    order = sorted(fam_pk, key=lambda f: (-fam_pk[f], f))
    porder = sorted(fam_prev, key=lambda f: (-fam_prev[f], f))
    prev_has = bool(prev) and bool(fam_prev)
    names = {}
    for sid in sorted(latest):
        names.setdefault(latest[sid][2], []).append(latest[sid][1])
    E["sig_total"] = total
    E["sig_families"] = [{"rank": i + 1, "family": f, "signatures": " ".join(names[f]), "packets": fam_pk[f],
                          "share_pct": 100.0 * fam_pk[f] / total, "sources_cum": src.get(f, 0),
                          "dense": bool(dense.get(f)),
                          "prev_rank": (porder.index(f) + 1 if f in porder else "new") if prev_has else "-"}
                         for i, f in enumerate(order)]
    E["sig_port_families"] = []
    for rank, k in enumerate(top_ports, 1):
        label = "ICMP" if k[0] == "icmp" else "%d/%s" % (k[1], k[0].upper())
        fams = sorted(on_port.get(k, {}).items(), key=lambda x: (-x[1], x[0]))[:3]
        E["sig_port_families"].append({"rank": rank, "label": label, "families": [
            {"family": f, "packets": n, "share_pct": 100.0 * n / port_pk[k]} for f, n in fams]})


# ---------------------------------------------------------------------------
# Scale mode
# ---------------------------------------------------------------------------

# The default rule set (lib/sig/rules/default.rules): id, name, family,
# proto, ports (None = any port), relative weight of its (signature, source)
# pairs in scale mode.
SCALE_SIGS = [
    (1001, "sip-options", "sip-scan", "udp", (5060, 5061), 8), (1002, "dns-any", "dns-amp", "udp", (53,), 6),
    (1003, "dns-version-bind", "dns-recon", "udp", (53,), 2), (1004, "ntp-monlist", "ntp-amp", "udp", (123,), 3),
    (1005, "ntp-client", "ntp-scan", "udp", (123,), 4), (1006, "ssdp-msearch", "ssdp-amp", "udp", (1900,), 3),
    (1007, "memcached-stats", "memcached-amp", "udp", (11211,), 1), (1008, "cldap-rootdse", "cldap-amp", "udp", (389,), 1),
    (1009, "wsd-probe", "wsd-amp", "udp", (3702,), 1), (1010, "snmp-public", "snmp-scan", "udp", (161,), 3),
    (1011, "netbios-nbstat", "netbios-scan", "udp", (137,), 2), (2001, "huawei-hg532", "mirai-exploit", "tcp", (37215,), 10),
    (2002, "realtek-miniigd", "mirai-exploit", "tcp", (52869,), 6), (2003, "jaws-shell", "mirai-exploit", "tcp", None, 5),
    (2004, "gpon-diag", "mirai-exploit", "tcp", (80, 8080), 5), (2005, "thinkphp-rce", "botnet-exploit", "tcp", None, 4),
    (2006, "netgear-setup-cgi", "mozi-exploit", "tcp", None, 4), (2007, "loader-wget", "iot-downloader", "tcp", None, 12),
]
SCALE_ANY_PORTS = 1000     # destination ports a day of an any-port rule


def gen_scale(path, schema, days=91, ports_per_day=131072, fp_per_day=100000, ncountries=250, dense=40,
              first="2022-04-01", verbose=True, sources=3000000, sig_pairs=300000):
    """A big store for timing: no truth kept. Big countries get dense
    'all' and 'mirai' sketches (drawn from a few real ones, rotated).
    Payload signatures: sig_pairs distinct (signature, source) pairs a day
    over the default rule set, spread over the 60 biggest countries:
    day_signatures, day_sig_countries, day_sig_ports (an any-port rule on
    SCALE_ANY_PORTS ports a day), interval_signatures and their sketches
    (a list of hashes per set under 2,048 sources, else registers)."""
    t_start = time.time()
    rng = random.Random(7)
    db = create_store(path, schema, "scale", "UTC")
    cc_all = []
    for a in range(26):
        for b in range(26):
            cc_all.append(chr(65 + a) + chr(65 + b))
    ccs = ["US", "CN", "IN", "TW", "BR", "KR", "VN", "RU", "ID", "EG", "GB", "DE", "NL", "FR", "JP"]
    for c in cc_all:
        if len(ccs) >= ncountries - 1:
            break
        if c not in ccs:
            ccs.append(c)
    ccs.append("??")
    weight = {cc: 1.0 / (i + 1) ** 1.1 for i, cc in enumerate(ccs)}
    # a few real dense sketches of various sizes
    bases = []
    for n in (3000, 12000, 40000, 120000):
        reg = bytearray(HLL_M)
        for i in range(n):
            ix, r = reg_of(addr_hash(rng.getrandbits(32)))
            if r > reg[ix]:
                reg[ix] = r
        bases.append(bytes(reg))
    tcp_n = ports_per_day // 2
    udp_n = ports_per_day - tcp_n
    d0 = dt.date.fromisoformat(first)
    for di in range(days):
        d = (d0 + dt.timedelta(days=di)).isoformat()
        t0 = day_start(d, "UTC")
        total = 0

        def port_gen():
            nonlocal total
            yield (d, "icmp", -1, 3000000 + di * 1000)
            total += 3000000 + di * 1000
            for proto, n in (("tcp", tcp_n), ("udp", udp_n)):
                for p in range(n):
                    v = 50 + (mix(di, p, len(proto)) & 1023)
                    if proto == "tcp" and p in (22, 23, 80, 443, 445, 3389, 6379, 8080):
                        v = 5000000 + p * 10
                    total += v
                    yield (d, proto, p, v)
        db.executemany("INSERT INTO day_ports VALUES (?,?,?,?)", port_gen())
        # every ICMP and ICMPv6 type, every day
        db.executemany("INSERT INTO day_icmp_types VALUES (?,?,?,?)",
                       ((d, fam, t, 10 + (mix(di, t, fam) & 4095)) for fam in (4, 6) for t in range(256)))
        rows, sk = [], []
        src_tot = 0
        for i, cc in enumerate(ccs):
            w = weight[cc]
            packets = int(total * w / 4.3)
            nsrc = int(sources * w / 4.6) + 1
            ms = int(nsrc * 0.2) + 1
            rows.append((d, cc, packets, packets * 60, nsrc, packets // 5, ms, packets // 50, nsrc // 100,
                         packets // 80, nsrc // 200, int(nsrc >= SPARSE_MAX)))
            src_tot += nsrc
            # dense where the count needs it (at most `dense` countries), as
            # the engine would write them; else a list of hashes
            for kind, n, rot in (("all", nsrc, 7), ("mirai", ms, 5)):
                if i < dense and n >= SPARSE_MAX:
                    b = bases[(i + di + len(kind)) % 4]
                    sk.append((d, cc, kind, b[i * rot:] + b[:i * rot]))
                else:
                    sk.append((d, cc, kind, rng.randbytes(8 * min(n, SPARSE_MAX - 1))))
            for kind, n in (("zmap", nsrc // 100), ("masscan", nsrc // 200)):
                if n:
                    sk.append((d, cc, kind, rng.randbytes(8 * min(n, SPARSE_MAX - 1))))
        db.executemany("INSERT INTO day_countries VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", rows)
        for k in ("all", "mirai", "zmap", "masscan"):
            sk.append((d, "*", k, bases[3]))
        db.executemany("INSERT INTO day_sketches VALUES (?,?,?,?)", sk)
        rows = []
        for h in range(24):
            p = total // 24
            rows.append((t0 + 3600 * h, t0 + 3600 * (h + 1), d, p, p * 60, 0, 0, p, 0, 0, 0, int(p * 0.9), 0, 0,
                         int(p * 0.93), int(p * 0.05), int(p * 0.02), 0, p // 5, p // 50, p // 80, src_tot // 6,
                         16000000, 0))
        db.executemany("INSERT INTO intervals VALUES (%s)" % ",".join("?" * 24), rows)
        db.execute("INSERT INTO day_totals VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                   (d, total, total * 60, src_tot, total // 5, src_tot // 5, total // 50, src_tot // 100,
                    total // 80, src_tot // 200, 1, 1))

        def fp_gen():
            for x in range(fp_per_day):
                h = mix(x, di, 99)
                cc = ccs[min(int((h % 10000) / 10000 * 40), len(ccs) - 1)] if x % 50 else "JP"
                a = (h >> 16) & 0xFFFFFFFF
                p = 5 + h % 50
                yield (d, dotted(a), cc, 64500 + (h % 3000), p, p, 0, 0, t0 + h % 40000,
                       t0 + 40000 + h % 40000, "23 2323")
        db.executemany("INSERT OR IGNORE INTO day_fp_sources VALUES (?,?,?,?,?,?,?,?,?,?,?)", fp_gen())
        if sig_pairs:
            scale_sigs(db, rng, d, di, t0, ccs[:60], weight, bases, sig_pairs)
        db.commit()
        if verbose and di % 10 == 0:
            print("  day %d/%d  %.0f s" % (di + 1, days, time.time() - t_start), file=sys.stderr)
    db.commit()
    db.close()


def scale_sigs(db, rng, d, di, t0, ccs, weight, bases, pairs):
    """One day of signature rows at scale (see gen_scale)."""
    wsum = sum(x[5] for x in SCALE_SIGS)
    csum = sum(weight[cc] for cc in ccs)
    srows, crows, prows, irows, sk = [], [], [], [], []
    for k, (sid, name, fam, proto, ports, w) in enumerate(SCALE_SIGS):
        n_sig = int(pairs * w / wsum)
        pk_sig = 0
        for i, cc in enumerate(ccs):
            n = int(n_sig * weight[cc] / csum)
            if n == 0:
                continue
            pk = n * (2 + (mix(di, sid, i) & 7))
            pk_sig += pk
            crows.append((d, sid, cc, pk, n, 0))
            if n < SPARSE_MAX:
                sk.append((d, cc, "sig:%d" % sid, rng.randbytes(8 * n)))
            else:
                b = bases[(i + k) % 4]
                sk.append((d, cc, "sig:%d" % sid, b[i:] + b[:i]))
        if pk_sig == 0:
            continue
        sk.append((d, "*", "sig:%d" % sid, rng.randbytes(8 * n_sig) if n_sig < SPARSE_MAX else bases[(k + di) % 4]))
        srows.append((d, sid, name, fam, pk_sig, n_sig, 0))
        plist = ports if ports else [80, 8080] + rng.sample(range(1, 65536), SCALE_ANY_PORTS - 2)
        left = pk_sig
        for j, p in enumerate(plist):
            v = left if j == len(plist) - 1 else (pk_sig // 2 if j == 0 else max(0, min(left, pk_sig // (2 * len(plist)))))
            left -= v
            if v:
                prows.append((d, sid, proto, p, v))
        for h in range(24):
            irows.append((t0 + 3600 * h, sid, pk_sig // 24 + 1, n_sig // 6 + 1))
    db.executemany("INSERT INTO day_signatures VALUES (?,?,?,?,?,?,?)", srows)
    db.executemany("INSERT INTO day_sig_countries VALUES (?,?,?,?,?,?)", crows)
    db.executemany("INSERT OR IGNORE INTO day_sig_ports VALUES (?,?,?,?,?)", prows)
    db.executemany("INSERT INTO interval_signatures VALUES (?,?,?,?)", irows)
    db.executemany("INSERT INTO day_sketches VALUES (?,?,?,?)", sk)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mode", choices=("world", "scale"), default="world")
    ap.add_argument("--out", required=True)
    ap.add_argument("--schema", default=DEFAULT_SCHEMA)
    ap.add_argument("--sensors", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--tz", default="UTC")
    ap.add_argument("--exact-bound", type=int)
    ap.add_argument("--missing-day", action="append", default=[], metavar="[SENSOR:]DAY")
    ap.add_argument("--truth", metavar="FROM:TO", help="write DIR/truth.json for this period (world mode)")
    ap.add_argument("--days", type=int, default=91)
    ap.add_argument("--ports-per-day", type=int, default=131072)
    ap.add_argument("--fp-per-day", type=int, default=100000)
    ap.add_argument("--countries", type=int, default=250)
    ap.add_argument("--dense", type=int, default=40)
    ap.add_argument("--sources", type=int, default=3000000, help="distinct sources a day (scale mode)")
    ap.add_argument("--sig-pairs", type=int, default=300000,
                    help="distinct (signature, source) pairs a day (scale mode; 0 = no signature rows)")
    a = ap.parse_args()
    if a.mode == "scale":
        gen_scale(a.out, a.schema, a.days, a.ports_per_day, a.fp_per_day, a.countries, a.dense, sources=a.sources,
                  sig_pairs=a.sig_pairs)
        return 0
    missing = []
    for m in a.missing_day:
        if ":" in m:
            s, d = m.split(":", 1)
            missing.append((int(s) - 1, d))
        else:
            missing.append((None, m))
    w = World(a.sensors, a.seed, a.tz, exact_bound=a.exact_bound, missing=missing)
    paths = w.generate(a.out, a.schema, verbose=True)
    print("\n".join(paths))
    if a.truth:
        f, t = a.truth.split(":")
        with open(os.path.join(a.out, "truth.json"), "w") as fh:
            json.dump(w.expected(f, t), fh, indent=1, default=list)
    return 0


if __name__ == "__main__":
    sys.exit(main())
