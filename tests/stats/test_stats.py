#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The statistics segment's readers against stats_fake_writer, whose values
are known (the table below is the one in stats_fake_writer.c):

- darkcap-stat info/list/dump (text, --json, --prom)/top/watch/check, every
  value compared with the writer's table; one-line errors and exit codes;
- payload signatures: rows keyed by id with names and families, renamed
  (and a new id) between two publishes: dump, top signatures, --prom and the
  exporter (and Prometheus) show each snapshot's names with its counts;
- promtool check metrics on `dump --prom` and on the exporter's /metrics;
- darkcap-exporter: the same families as `dump --prom`, 404/405, re-open
  on a writer restart (darkcap_exporter_restarts_seen_total), darkcap_up 0
  when stopped, stale, starting or missing, clean SIGTERM;
- a real Prometheus server scraping the exporter every second, queried
  through its HTTP API before and after a writer restart;
- check: OK, stopped, stale (writer SIGSTOPped), starting, NIC drops.

Usage: test_stats.py --stat BIN --exporter BIN --writer BIN --workdir DIR
Exit 0 = pass, 1 = fail, 77 = skipped (prometheus or promtool missing; the
rest still runs and a failure there still fails).
"""
import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

failures = []
procs = []

# ---- the fake writer's table (stats_fake_writer.c) -----------------------
SCALARS = {"packets": 1000, "bytes": 64000, "non_ip": 25, "malformed": 15, "ipv4": 880,
           "ipv6": 80, "fragments": 12, "l4_truncated": 8, "tcp_syn": 600, "tcp_synack": 40,
           "mirai": 300, "zmap": 200, "masscan": 100, "late": 0}
PROTOS = {6: 700, 17: 200, 1: 50, 58: 10}
TCP = {23: 300, 2323: 50, 22: 100, 80: 80, 445: 60, 3389: 40, 8080: 20, 12345: 30, 60000: 20}
UDP = {53: 80, 123: 40, 1900: 30, 5060: 20, 40000: 30}
CFIELDS = ["packets", "bytes", "mirai", "zmap", "masscan"]
SFIELDS = ["sources", "mirai_sources", "zmap_sources", "masscan_sources"]
COUNTRIES = [("CN", [400, 25600, 150, 50, 30], [40, 15, 5, 3]),
             ("US", [300, 19200, 50, 100, 40], [30, 5, 10, 4]),
             ("JP", [150, 9600, 50, 30, 20], [15, 5, 3, 2]),
             ("BR", [100, 6400, 50, 20, 10], [10, 5, 2, 1]),
             ("unknown", [50, 3200, 0, 0, 0], [5, 0, 0, 0])]
TABLES = ["sources", "destinations", "flowtuples", "asns"]
TABLE_FULL = [0, 0, 5, 1]
TABLE_FILL = [60, 230, 400, 0]
TABLE_CAPACITY = [1000000, 1000000, 4000000, 0]
TFIELDS = ["packets", "bytes", "mirai", "zmap", "masscan", "dst_ports", "dst_ports_more", "asn"]
TOP_ROWS = [("192.0.2.1", "CN", [100, 6400, 50, 0, 0, 3, 0, 64500]),
            ("192.0.2.2", "US", [90, 5760, 0, 40, 0, 20, 1, 64501]),
            ("2001:db8::1", "JP", [80, 5120, 0, 0, 30, 5, 0, 64502]),
            ("198.51.100.7", "BR", [70, 4480, 10, 0, 0, 1, 0, 0]),
            ("203.0.113.9", "unknown", [60, 3840, 0, 0, 0, 2, 0, 64500])]
AFIELDS = ["asn", "packets", "bytes", "mirai", "zmap", "masscan", "sources", "mirai_sources"]
ASN_ROWS = [[64500, 160, 10240, 50, 0, 0, 2, 1],
            [64501, 90, 5760, 0, 40, 0, 1, 0],
            [64502, 80, 5120, 0, 0, 30, 1, 0]]
IVL_BASE = 1699999980
DEFAULT_PORTS = [22, 23, 53, 80, 123, 161, 443, 445, 1433, 1900, 2323, 3389, 5060, 5555, 5900,
                 6379, 8080, 8443, 37215, 52869]
VERSION = "0.1.0-fake"
ABI = "1.1"
# payload signatures: rows given in this order as each first appears (publish `from`);
# (id, name and family at publish 1, the same from publish 2 on (renamed), packets, sources, from)
SIGS = [(1001, "sip-options", "sip-scan", "sip-options", "sip-scan", 120, 12, 1),
        (2003, "jaws-shell", "mirai-exploit", "jaws-shell-v2", "mirai-exploit", 80, 8, 1),
        (1004, "ntp-monlist", "ntp-amp", "ntp-monlist", "ntp-amplification", 40, 4, 1),
        (2007, "loader-wget", "iot-downloader", "loader-wget", "iot-downloader", 30, 3, 2)]
SIG_SCALARS = {"signature_payload_packets": 500, "signature_scanned_bytes": 32000,
               "signature_matched_packets": 260}
SIG_RULES = 18
SIG_ROWS = 1024


def sig_rows(k=1, s=1):
    """[(row, id, name, family, total packets, interval packets, sources)] of publish k."""
    rows = []
    for sid, n1, f1, n2, f2, pk, src, first in SIGS:
        if k >= first:
            rows.append((len(rows), sid, n1 if k == 1 else n2, f1 if k == 1 else f2,
                         pk * s * (k - first + 1), pk * s, src * s))
    return rows


def model(k=1, s=1, workers=2, ports=2, missed=0, no_mbuf=0, geo=True, asn=True, top=10, sig=True):
    """{(scope/name, ((label, value), ...)): value} of every non-zero element."""
    m = {}

    def put(scope, name, labels, v):
        if v not in (0, "unknown", "::"):
            m[(scope + "/" + name, tuple(labels))] = str(v)

    for scope, mult in (("total", s * k), ("interval", s)):
        for n, b in SCALARS.items():
            put(scope, n, (), b * mult)
        for p, v in PROTOS.items():
            put(scope, "proto_packets", (("proto", str(p)),), v * mult)
        for name, tab in (("tcp_dst_port_packets", TCP), ("udp_dst_port_packets", UDP)):
            for p, v in tab.items():
                put(scope, name, (("port", str(p)),), v * mult)
        if geo:
            for cc, vals, _ in COUNTRIES:
                for f, v in zip(CFIELDS, vals):
                    put(scope, "countries", (("country", cc), ("counter", f)), v * mult)
        for t, v in zip(TABLES, TABLE_FULL):
            put(scope, "table_full", (("table", t),), v * mult)
    if geo:
        for cc, _, src in COUNTRIES:
            for f, v in zip(SFIELDS, src):
                put("interval", "country_sources", (("country", cc), ("counter", f)), v * s)
    put("interval", "unique_sources", (), 123 * s)
    put("interval", "unique_destinations", (), 456 * s)
    put("interval", "unique_flowtuples", (), 789 * s)
    rows = min(top, len(TOP_ROWS))
    put("interval", "top_sources_count", (), rows)
    for r, (addr, cc, vals) in enumerate(TOP_ROWS[:rows]):
        put("interval", "top_sources_addr", (("rank", str(r)),), addr)
        put("interval", "top_sources_country", (("rank", str(r)),), cc)
        for i, (f, v) in enumerate(zip(TFIELDS, vals)):
            put("interval", "top_sources", (("rank", str(r)), ("counter", f)), v * (s if i < 5 else 1))
    if asn:
        rows = min(top, len(ASN_ROWS))
        put("interval", "top_asns_count", (), rows)
        for r, vals in enumerate(ASN_ROWS[:rows]):
            for i, (f, v) in enumerate(zip(AFIELDS, vals)):
                put("interval", "top_asns", (("rank", str(r)), ("counter", f)),
                    v * (s if 1 <= i <= 5 else 1))
    for w in range(workers):
        pk = 1000 * s * k // workers + (1000 * s * k % workers if w == 0 else 0)
        put("total", "worker", (("worker", str(w)), ("counter", "packets")), pk)
        put("total", "worker", (("worker", str(w)), ("counter", "interval_stalls")), w)
    for p in range(ports):
        name = "0000:03:00.%d" % p
        rx = 1000 * s * k // ports + (1000 * s * k % ports if p == 0 else 0)
        put("total", "port", (("port", name), ("counter", "received")), rx)
        if p == 0:
            put("total", "port", (("port", name), ("counter", "missed")), missed * k)
            put("total", "port", (("port", name), ("counter", "no_mbuf")), no_mbuf * k)
    for w in range(workers):
        for t, v in zip(TABLES, TABLE_FILL):
            put("now", "table_fill", (("worker", str(w)), ("table", t)), v * s + w)
    for t, v in zip(TABLES, TABLE_CAPACITY):
        put("now", "table_capacity", (("table", t),), v)
    put("total", "intervals", (), k)
    put("now", "interval_seconds", (), 60)
    if sig:
        for row, sid, name, fam, tot, ivl, src in sig_rows(k, s):
            lab = (("signature", str(sid)),)
            put("now", "signature_id", (("row", str(row)),), sid)
            put("now", "signature_name", lab, name)
            put("now", "signature_family", lab, fam)
            put("total", "signature_packets", lab, tot)
            put("interval", "signature_packets", lab, ivl)
            put("interval", "signature_sources", lab, src)
        for n, b in SIG_SCALARS.items():
            put("total", n, (), b * s * k)
            put("interval", n, (), b * s)
        put("now", "signature_rules", (), SIG_RULES)
    return m


# ---- helpers --------------------------------------------------------------

def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg)
    sys.stdout.flush()


def check(cond, msg):
    if not cond:
        fail(msg)
    return cond


def run(cmd, env=None, timeout=30, input=None):
    print("$ " + " ".join(cmd))
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       env=env, timeout=timeout, input=input)
    return p.returncode, p.stdout, p.stderr


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_until(fn, timeout, step=0.1):
    end = time.time() + timeout
    while True:
        try:
            v = fn()
            if v:
                return v
        except (OSError, ValueError, KeyError, IndexError):
            pass
        if time.time() > end:
            return None
        time.sleep(step)


def diff(a, b, what):
    """Compare two {key: value} maps; one failure naming up to 8 differences."""
    if a == b:
        return True
    d = []
    for k in sorted(set(a) | set(b), key=str):
        if a.get(k) != b.get(k):
            d.append("%s: %r != %r" % (k, a.get(k), b.get(k)))
    fail("%s: %d differences, e.g. %s" % (what, len(d), "; ".join(d[:8])))
    return False


def one_line_error(rc, err, want_rc, prog, what):
    lines = [l for l in err.splitlines() if not l.startswith("Usage: ")]
    check(rc == want_rc, "%s: exit %d, want %d" % (what, rc, want_rc))
    check(len(lines) == 1 and lines[0].startswith(prog + ": "),
          "%s: want one '%s: ...' line on stderr, got %r" % (what, prog, err))


class Writer:
    def __init__(self, a, path, *opts):
        cmd = [a.writer, "--path", path] + list(opts)
        print("$ " + " ".join(cmd) + " &")
        self.p = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        procs.append(self.p)
        line = self.p.stdout.readline()
        if not line.startswith("ready"):
            raise RuntimeError("fake writer did not start: %r" % line)
        self.pid = self.p.pid

    def stop(self, sig=signal.SIGTERM):
        self.p.send_signal(sig)
        self.p.wait(timeout=10)


# ---- darkcap-stat ---------------------------------------------------------

def parse_labels(s):
    if not s:
        return ()
    return tuple(tuple(kv.split("=", 1)) for kv in s[1:-1].split(","))


def json_elements(doc):
    """{(scope/name, labels): value} of the non-zero elements of dump --json."""
    out = {}
    for key, m in doc["metrics"].items():
        elems = [({}, m["value"])] if "value" in m else [(e["labels"], e["value"]) for e in m["values"]]
        for labels, v in elems:
            if v in (0, "::", "unknown"):
                continue
            out[(key, tuple((d["name"], labels[d["name"]]) for d in m["dims"]))] = str(v)
    return out


def text_elements(text):
    out = {}
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        mo = re.match(r"^(\S+?)(\{[^}]*\})? (\S+)$", line)
        if not check(mo is not None, "dump: bad line %r" % line):
            continue
        out[(mo.group(1), parse_labels(mo.group(2)))] = mo.group(3)
    return out


def prom_samples(text):
    """{(name, ((label, value), ...)): value}; also checks one HELP/TYPE per family."""
    out, seen = {}, set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            fam = line.split()[2]
            check(fam not in seen, "prom: family %s declared twice" % fam)
            seen.add(fam)
            continue
        if line.startswith("#") or not line:
            continue
        mo = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$', line)
        if not check(mo is not None, "prom: bad line %r" % line):
            continue
        labels = tuple(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', mo.group(2) or ""))
        out[(mo.group(1), labels)] = mo.group(3)
    return out


def promtool_ok(a, text, what):
    if not a.promtool:
        return
    rc, out, err = run([a.promtool, "check", "metrics"], input=text)
    check(rc == 0, "promtool check metrics (%s): rc %d: %s%s" % (what, rc, out, err))


def check_prom(a, text, s, what, countries=False, ports=DEFAULT_PORTS, geo=True, k=1, sig=True):
    """The exposition text against the writer's table."""
    promtool_ok(a, text, what)
    p = prom_samples(text)

    def want(name, v, *labels):
        got = p.get((name, tuple(labels)))
        check(got == str(v), "%s: %s%s = %r, want %s" % (what, name, dict(labels) or "", got, v))

    want("darkcap_up", 1)
    want("darkcap_build_info", 1, ("version", VERSION), ("abi", ABI))
    want("darkcap_packets_total", 1000 * s * k)
    want("darkcap_bytes_total", 64000 * s * k)
    want("darkcap_ipv6_packets_total", 80 * s * k)
    want("darkcap_fragment_packets_total", 12 * s * k)
    want("darkcap_late_packets_total", 0)
    want("darkcap_interval_packets", 1000 * s)
    for fp in ("mirai", "zmap", "masscan"):
        want("darkcap_fingerprint_packets_total", SCALARS[fp] * s * k, ("fingerprint", fp))
        want("darkcap_interval_fingerprint_packets", SCALARS[fp] * s, ("fingerprint", fp))
    protos = {l[0][1]: v for (n, l), v in p.items() if n == "darkcap_proto_packets_total"}
    check(protos == {str(k2): str(v * s * k) for k2, v in PROTOS.items()},
          "%s: proto series %r (want only the non-zero protocols)" % (what, protos))
    for fam, tab in (("darkcap_tcp_dst_port_packets_total", TCP),
                     ("darkcap_udp_dst_port_packets_total", UDP)):
        got = {l[0][1]: v for (n, l), v in p.items() if n == fam}
        exp = {str(q): str(tab.get(q, 0) * s * k) for q in ports}
        exp["other"] = str(sum(v for q, v in tab.items() if q not in ports) * s * k)
        check(got == exp, "%s: %s = %r, want %r" % (what, fam, got, exp))
    for t, v in zip(TABLES, TABLE_FULL):
        want("darkcap_table_full_total", v * s * k, ("table", t))
        want("darkcap_interval_table_full", v * s, ("table", t))
    want("darkcap_interval_unique_sources", 123 * s)
    want("darkcap_interval_unique_destinations", 456 * s)
    want("darkcap_interval_unique_flowtuples", 789 * s)
    want("darkcap_worker_packets_total", 500 * s * k, ("worker", "1"))
    want("darkcap_worker_interval_stalls_total", 1, ("worker", "1"))
    want("darkcap_nic_received_packets_total", 500 * s * k, ("port", "0000:03:00.1"))
    want("darkcap_nic_missed_packets_total", 0, ("port", "0000:03:00.1"))
    want("darkcap_nic_errors_total", 0, ("port", "0000:03:00.0"))
    want("darkcap_nic_no_mbuf_total", 0, ("port", "0000:03:00.0"))
    want("darkcap_table_fill", 230 * s + 1, ("worker", "1"), ("table", "destinations"))
    want("darkcap_table_capacity", 4000000, ("table", "flowtuples"))
    want("darkcap_intervals_total", k)
    want("darkcap_interval_length_seconds", 60)
    want("darkcap_interval_start_seconds", IVL_BASE + 60 * (k - 1))
    want("darkcap_interval_end_seconds", IVL_BASE + 60 * k)
    want("darkcap_publishes_total", k)
    check(("darkcap_start_time_seconds", ()) in p, "%s: no darkcap_start_time_seconds" % what)
    check(("darkcap_snapshot_age_seconds", ()) in p, "%s: no darkcap_snapshot_age_seconds" % what)
    cfam = [n for (n, _) in p if n.startswith(("darkcap_country", "darkcap_interval_country"))]
    if countries and geo:
        want("darkcap_country_packets_total", 400 * s * k, ("country", "CN"))
        want("darkcap_country_bytes_total", 3200 * s * k, ("country", "unknown"))
        want("darkcap_country_fingerprint_packets_total", 150 * s * k, ("country", "CN"), ("fingerprint", "mirai"))
        want("darkcap_interval_country_sources", 5 * s, ("country", "unknown"))
        want("darkcap_interval_country_fingerprint_sources", 10 * s, ("country", "US"), ("fingerprint", "zmap"))
        ccs = {dict(l)["country"] for (n, l) in p if n == "darkcap_country_packets_total"}
        check(ccs == {c[0] for c in COUNTRIES}, "%s: countries %r (want those with traffic)" % (what, ccs))
    else:
        check(not cfam, "%s: country families without --countries (or geo): %r" % (what, cfam[:3]))
    # signatures: one series per row in use, labelled id, name, family of the same snapshot
    sfam = {n for (n, _) in p if "signature" in n}
    if sig:
        for fam, col in (("darkcap_signature_packets_total", 4), ("darkcap_interval_signature_sources", 6)):
            got = {l: v for (n, l), v in p.items() if n == fam}
            exp = {(("id", str(r[1])), ("name", r[2]), ("family", r[3])): str(r[col]) for r in sig_rows(k, s)}
            check(got == exp, "%s: %s = %r, want %r" % (what, fam, got, exp))
        for n, b in SIG_SCALARS.items():
            want("darkcap_%s_total" % n, b * s * k)
            want("darkcap_interval_%s" % n, b * s)
        want("darkcap_signature_overflow_packets_total", 0)
        want("darkcap_signature_rules", SIG_RULES)
        extra = sfam - {"darkcap_signature_packets_total", "darkcap_interval_signature_sources",
                        "darkcap_signature_overflow_packets_total", "darkcap_interval_signature_overflow_packets",
                        "darkcap_signature_rules"} - {"darkcap_%s_total" % n for n in SIG_SCALARS} - \
            {"darkcap_interval_%s" % n for n in SIG_SCALARS}
        check(not extra, "%s: unexpected signature families %r (ids, names or per-interval packets?)" % (what, extra))
    else:
        check(not sfam, "%s: signature families without signatures: %r" % (what, sfam))
    # never per-address labels, never the ranked tables
    for addr, _, _ in TOP_ROWS:
        check(addr not in text, "%s: address %s exported" % (what, addr))
    check("top_" not in text and "64501" not in text, "%s: ranked tables exported" % what)
    return p


def test_stat(a, seg):
    w = Writer(a, seg, "--once")
    st = a.stat
    exp = model()

    # info
    rc, out, err = run([st, "--path", seg, "info"])
    info = dict(re.split(r"\s{2,}", l, 1) for l in out.splitlines() if l.strip())
    check(rc == 0, "info: rc %d %s" % (rc, err))
    check(info.get("path") == seg and info.get("abi") == ABI and info.get("version") == VERSION,
          "info: path/abi/version %r" % info)
    check(info.get("pid") == str(w.pid), "info: pid %r, want %d" % (info.get("pid"), w.pid))
    check(info.get("state") == "live (judged live)", "info: state %r" % info.get("state"))
    check(info.get("workers") == "2" and info.get("ports") == "2" and info.get("interval") == "60 s",
          "info: workers/ports/interval %r" % info)
    check(info.get("last interval", "").startswith("2023-11-14T22:13:00Z .. 2023-11-14T22:14:00Z"),
          "info: last interval %r" % info.get("last interval"))
    check(re.match(r"^0x[0-9a-f]{16}$", info.get("instance", "")), "info: instance %r" % info.get("instance"))
    check(re.match(r"^\d+ bytes, \d+ metrics$", info.get("segment", "")), "info: segment %r" % info.get("segment"))
    check(re.match(r"^\d+\.\d{3} s ago \(every 0\.300 s\)$", info.get("heartbeat", "")),
          "info: heartbeat %r" % info.get("heartbeat"))
    env = dict(os.environ, DARKCAP_STATS=seg)
    rc, out2, _ = run([st, "info"], env=env)
    check(rc == 0 and ("path           %s" % seg) in out2, "info: $DARKCAP_STATS not used")

    # list
    rc, out, err = run([st, "-p", seg, "list"])
    names = {l.split()[0]: l.split() for l in out.splitlines()}
    want_metrics = {k[0] for k in exp} | {"total/late", "interval/late"}
    check(rc == 0 and want_metrics <= set(names), "list: missing %r" % sorted(want_metrics - set(names)))
    check(names.get("total/tcp_dst_port_packets", [])[1:5] == ["counter", "u64", "packets", "port[65536]"],
          "list: tcp_dst_port_packets line %r" % names.get("total/tcp_dst_port_packets"))
    check(names.get("interval/countries", [])[1:5] == ["gauge", "u64", "packets", "country[677],counter[5]"],
          "list: countries line %r" % names.get("interval/countries"))
    check(names.get("interval/top_sources_addr", [])[1:5] == ["gauge", "addr", "-", "rank[10]"],
          "list: top_sources_addr line %r" % names.get("interval/top_sources_addr"))
    check(names.get("now/signature_name", [])[1:5] == ["gauge", "str", "-", "signature[1024]"],
          "list: signature_name line %r" % names.get("now/signature_name"))
    check(names.get("total/signature_packets", [])[1:5] == ["counter", "u64", "packets", "signature[1024]"],
          "list: signature_packets line %r" % names.get("total/signature_packets"))
    check(names.get("now/signature_id", [])[1:5] == ["gauge", "u64", "-", "row[1024]"],
          "list: signature_id line %r" % names.get("now/signature_id"))
    rc, out, _ = run([st, "-p", seg, "list", "^total/.*port"])
    got = sorted(l.split()[0] for l in out.splitlines())
    check(got == ["total/port", "total/tcp_dst_port_packets", "total/udp_dst_port_packets"],
          "list REGEX: %r" % got)

    # dump --json: every non-zero element equals the table
    rc, out, err = run([st, "-p", seg, "dump", "--json"])
    doc = json.loads(out)
    check(rc == 0 and doc["pid"] == w.pid and doc["state"] == "live" and doc["liveness"] == "live",
          "dump --json: header %r" % {k: doc.get(k) for k in ("pid", "state", "liveness")})
    check(doc["snapshot"]["interval_start"] == IVL_BASE and doc["snapshot"]["interval_end"] == IVL_BASE + 60
          and doc["snapshot"]["publish"] == 1, "dump --json: snapshot %r" % doc["snapshot"])
    jel = json_elements(doc)
    diff(jel, exp, "dump --json vs the writer's table")
    m = doc["metrics"]
    check(m["total/late"]["value"] == 0, "dump --json: total/late missing (small metrics keep zeros)")
    check(len(m["total/worker"]["values"]) == 6, "dump --json: worker zeros left out")
    check(len(m["total/tcp_dst_port_packets"]["values"]) == len(TCP),
          "dump --json: zero ports not left out")
    check(len(m["interval/top_sources_addr"]["values"]) == 5, "dump --json: empty ranks not left out")
    check(m["total/countries"]["dims"] == [{"name": "country", "size": 677, "kind": "cc"},
                                           {"name": "counter", "size": 5, "kind": "dict"}],
          "dump --json: countries dims %r" % m["total/countries"]["dims"])
    key_dim = [{"name": "signature", "size": SIG_ROWS, "kind": "key", "key": "now/signature_id"}]
    for name in ("now/signature_name", "now/signature_family", "total/signature_packets",
                 "interval/signature_packets", "interval/signature_sources"):
        check(m[name]["dims"] == key_dim, "dump --json: %s dims %r" % (name, m[name]["dims"]))
    check(m["now/signature_id"]["dims"] == [{"name": "row", "size": SIG_ROWS, "kind": "index"}],
          "dump --json: signature_id dims %r" % m["now/signature_id"]["dims"])
    check(m["now/signature_name"]["kind"] == "str" and
          [e["value"] for e in m["now/signature_name"]["values"]] == [r[2] for r in sig_rows()],
          "dump --json: signature names %r" % m["now/signature_name"])
    rc, out, _ = run([st, "-p", seg, "dump", "--json", "--all", "^total/tcp_dst"])
    d2 = json.loads(out)
    check(list(d2["metrics"]) == ["total/tcp_dst_port_packets"] and
          len(d2["metrics"]["total/tcp_dst_port_packets"]["values"]) == 65536,
          "dump --json --all REGEX: want the 65536 elements of one metric")

    # dump text = dump --json
    rc, out, err = run([st, "-p", seg, "dump"])
    check(rc == 0 and out.startswith("# %s: snapshot 1 at " % seg), "dump: header line %r" % out[:80])
    tel = text_elements(out)
    diff({k: v for k, v in tel.items() if v not in ("0", "::", "unknown")}, jel, "dump text vs --json")
    check(tel.get(("total/port", (("port", "0000:03:00.0"), ("counter", "missed")))) == "0",
          "dump: small metric's zero left out")
    check(tel.get(("interval/top_sources_addr", (("rank", "2"),))) == "2001:db8::1",
          "dump: IPv6 top source %r" % tel.get(("interval/top_sources_addr", (("rank", "2"),))))
    check(tel.get(("interval/top_sources_country", (("rank", "0"),))) == "CN", "dump: CC value")
    rc, out, _ = run([st, "-p", seg, "dump", "--all", "^interval/proto_packets$"])
    check(len(out.splitlines()) == 257, "dump --all: %d lines, want 256 + header" % len(out.splitlines()))
    # rows not given to a signature are never shown, even with --all
    rc, out, _ = run([st, "-p", seg, "dump", "--all", "^total/signature_packets$"])
    check(out.splitlines()[1:] == ["total/signature_packets{signature=%d} %d" % (r[1], r[4]) for r in sig_rows()],
          "dump --all signature_packets: %r" % out)

    # dump --prom
    rc, out, err = run([st, "-p", seg, "dump", "--prom"])
    check(rc == 0, "dump --prom: rc %d %s" % (rc, err))
    check_prom(a, out, 1, "dump --prom")
    rc, out, err = run([st, "-p", seg, "dump", "--prom", "--countries", "--ports", "23,2323"])
    check_prom(a, out, 1, "dump --prom --countries --ports", countries=True, ports=[23, 2323])
    rc, out, _ = run([st, "-p", seg, "dump", "--prom", "^darkcap_nic_"])
    fams = {n for (n, _) in prom_samples(out)}
    check(fams == {"darkcap_nic_received_packets_total", "darkcap_nic_missed_packets_total",
                   "darkcap_nic_errors_total", "darkcap_nic_no_mbuf_total"},
          "dump --prom REGEX: families %r" % fams)

    # top
    def table(cmd):
        rc, out, err = run([st, "-p", seg, "top"] + cmd)
        check(rc == 0, "top %s: rc %d %s" % (" ".join(cmd), rc, err))
        return [l.split() for l in out.splitlines()[1:]]

    rows = table(["ports"])
    allp = sorted([(v, "tcp/%d" % q) for q, v in TCP.items()] + [(v, "udp/%d" % q) for q, v in UDP.items()],
                  key=lambda x: (-x[0], x[1][:3], int(x[1][4:])))
    check([(int(r[2]), r[1]) for r in rows] == allp[:10], "top ports: %r" % rows)
    check(rows[0][3] == "30.0%", "top ports: share %r" % rows[0])
    rows = table(["ports", "--total", "-n", "3"])
    check([r[1] for r in rows] == ["tcp/23", "tcp/22", "tcp/80"] and len(rows) == 3, "top ports --total -n 3: %r" % rows)
    rows = table(["countries"])
    check([r[1] for r in rows] == [c[0] for c in COUNTRIES], "top countries: order %r" % rows)
    check(rows[0][2:] == [str(v) for v in COUNTRIES[0][1] + COUNTRIES[0][2]], "top countries: CN row %r" % rows[0])
    rows = table(["countries", "--total"])
    check(len(rows[0]) == 2 + len(CFIELDS), "top countries --total: sources columns %r" % rows[0])
    rows = table(["sources"])
    check([r[1] for r in rows] == [t[0] for t in TOP_ROWS] and [r[2] for r in rows] == [t[1] for t in TOP_ROWS],
          "top sources: %r" % rows)
    check(rows[2][3:] == [str(v) for v in TOP_ROWS[2][2]], "top sources: row 3 %r" % rows[2])
    rows = table(["asns", "-n", "2"])
    check([r[1:] for r in rows] == [[str(v) for v in ASN_ROWS[i]] for i in range(2)], "top asns: %r" % rows)
    rc, out, err = run([st, "-p", seg, "top", "sources", "--total"])
    one_line_error(rc, err, 1, "darkcap-stat", "top sources --total")
    check_top_signatures(a, seg, 1)

    # check: OK
    rc, out, err = run([st, "-p", seg, "check"])
    check(rc == 0 and out.startswith("OK: darkcap live, pid %d" % w.pid) and len(out.splitlines()) == 1,
          "check: rc %d %r" % (rc, out))
    check("1000 packets" in out and "0 NIC drops of 1000 received" in out, "check: counts %r" % out)

    # no geo, no AS database: commands that need them say so; the rest works
    seg2 = seg + ".nogeo"
    w2 = Writer(a, seg2, "--once", "--no-geo", "--no-asn", "--no-sig", "--scale", "2")
    rc, out, err = run([st, "-p", seg2, "dump", "--json"])
    diff(json_elements(json.loads(out)), model(s=2, geo=False, asn=False, sig=False), "dump --json (no geo)")
    rc, out, err = run([st, "-p", seg2, "dump", "--prom", "--countries"])
    check_prom(a, out, 2, "dump --prom (no geo)", countries=True, geo=False, sig=False)
    rc, out, err = run([st, "-p", seg2, "top", "signatures"])
    one_line_error(rc, err, 1, "darkcap-stat", "top signatures without signatures")
    check("interval/signature_packets" in err, "top signatures without signatures: %r" % err)
    rc, out, err = run([st, "-p", seg2, "top", "countries"])
    one_line_error(rc, err, 1, "darkcap-stat", "top countries without geo")
    check("interval/countries" in err, "top countries without geo: %r" % err)
    rc, out, err = run([st, "-p", seg2, "top", "asns"])
    one_line_error(rc, err, 1, "darkcap-stat", "top asns without AS database")
    rc, out, err = run([st, "-p", seg2, "check"])
    check(rc == 0, "check (no geo): %r" % out)
    w2.stop()
    os.unlink(seg2)
    return w


def check_top_signatures(a, seg, k, s=1):
    """top signatures (interval, --total, -n) against the writer's table at publish k."""
    rows = sig_rows(k, s)

    def table(cmd):
        rc, out, err = run([a.stat, "-p", seg, "top", "signatures"] + cmd)
        check(rc == 0, "top signatures %s: rc %d %s" % (" ".join(cmd), rc, err))
        lines = out.splitlines()
        return (lines[0].split() if lines else []), [l.split() for l in lines[1:]]

    head, got = table([])
    want = [[str(i + 1), str(r[1]), r[2], r[3], str(r[5]), str(r[6])]
            for i, r in enumerate(sorted(rows, key=lambda r: (-r[5], r[1])))]
    check(head == ["rank", "id", "name", "family", "packets", "sources"] and got == want,
          "top signatures (publish %d): %r %r, want %r" % (k, head, got, want))
    head, got = table(["--total", "-n", "3"])
    want = [[str(i + 1), str(r[1]), r[2], r[3], str(r[4])]
            for i, r in enumerate(sorted(rows, key=lambda r: (-r[4], r[1])))][:3]
    check(head == ["rank", "id", "name", "family", "packets"] and got == want,
          "top signatures --total -n 3 (publish %d): %r %r, want %r" % (k, head, got, want))


def test_sig_rename(a, workdir):
    """A rule reload renames signatures (and one new id appears) between two
    publishes: every reader shows the names of the snapshot it read, with
    that snapshot's counts, and a renamed signature keeps its row and total."""
    st = a.stat
    seg = os.path.join(workdir, "rename.stats")
    w = Writer(a, seg, "--count", "2", "--period-ms", "2500")
    for k in (1, 2):
        if k == 2:
            check(wait_until(lambda: json.loads(run([st, "-p", seg, "dump", "--json", "^total/intervals$"])[1])
                             ["snapshot"]["publish"] == 2, 10), "rename: no second publish")
        rc, out, err = run([st, "-p", seg, "dump", "--json"])
        doc = json.loads(out)
        if not check(doc["snapshot"]["publish"] == k,
                     "rename: read publish %d, want %d (loaded machine?)" % (doc["snapshot"]["publish"], k)):
            continue
        exp = model(k=k)
        diff(json_elements(doc), exp, "rename: dump --json at publish %d" % k)
        rc, out, _ = run([st, "-p", seg, "dump", "^(now|total|interval)/signature"])
        tel = {key: v for key, v in text_elements(out).items() if v not in ("0", "::", "unknown")}
        diff(tel, {key: v for key, v in exp.items() if "/signature" in key[0]},
             "rename: dump text at publish %d" % k)
        rc, out, _ = run([st, "-p", seg, "dump", "--prom"])
        check_prom(a, out, 1, "rename: dump --prom at publish %d" % k, k=k)
        check_top_signatures(a, seg, k)
        # the renamed signature: same id, same row, its total carried on
        names = {e["labels"]["signature"]: e["value"] for e in doc["metrics"]["now/signature_name"]["values"]}
        check(names.get("2003") == ("jaws-shell" if k == 1 else "jaws-shell-v2"),
              "rename: 2003 is %r at publish %d" % (names.get("2003"), k))
        ids = [e["value"] for e in doc["metrics"]["now/signature_id"]["values"]]
        check(ids[:3] == [1001, 2003, 1004], "rename: rows %r at publish %d" % (ids, k))
    w.stop()
    os.unlink(seg)


def test_stat_errors(a, workdir):
    st = a.stat
    missing = os.path.join(workdir, "missing.stats")
    rc, out, err = run([st, "--path", missing, "info"])
    one_line_error(rc, err, 1, "darkcap-stat", "info on a missing file")
    check("cannot open" in err, "info on a missing file: %r" % err)
    rc, out, err = run([st, "--path", missing, "check"])
    check(rc == 2 and out.startswith("CRITICAL: ") and len(out.splitlines()) == 1,
          "check on a missing file: rc %d %r" % (rc, out))
    junk = os.path.join(workdir, "junk.stats")
    with open(junk, "wb") as f:
        f.write(os.urandom(8192))
    rc, out, err = run([st, "--path", junk, "dump"])
    one_line_error(rc, err, 1, "darkcap-stat", "dump of a foreign file")
    check("not a darkcap stats file" in err, "dump of a foreign file: %r" % err)
    rc, out, err = run([st, "--path", junk, "check"])
    check(rc == 2 and out.startswith("CRITICAL: ") and "not a darkcap stats file" in out,
          "check of a foreign file: rc %d %r" % (rc, out))
    with open(junk, "wb") as f:
        f.write(b"DCSTATS\0" + b"\0" * 100)
    rc, out, err = run([st, "--path", junk, "info"])
    one_line_error(rc, err, 1, "darkcap-stat", "info of a truncated file")
    for cmd, want_rc in ((["info", "--bogus"], 1), ([], 1), (["frobnicate"], 1),
                         (["check", "--max-age", "x"], 2), (["check", "--json"], 2),
                         (["dump", "--json", "--prom"], 1), (["top"], 1), (["top", "bogus"], 1),
                         (["list", "("], 1), (["watch", "-i", "0"], 1), (["dump", "--ports", "1"], 1),
                         (["--path"], 1), (["top", "ports", "-n"], 1)):
        rc, out, err = run([st, "--path", missing] + cmd)
        check(rc == want_rc and err.startswith("darkcap-stat: ") and len(err.splitlines()) == 2 and
              err.splitlines()[1].startswith("Usage: darkcap-stat "),
              "bad usage %r: rc %d (want %d), stderr %r" % (cmd, rc, want_rc, err))
    rc, out, err = run([st, "--help"])
    check(rc == 0 and "Usage: darkcap-stat" in out and "check" in out, "--help")


def test_watch(a, seg):
    """Rates from deltas between snapshots; a writer restart is seen."""
    st = a.stat
    w = Writer(a, seg, "--period-ms", "50")
    rc, out, err = run([st, "-p", seg, "watch", "-i", "0.4", "-n", "2", "-l", "100"])
    check(rc == 0, "watch: rc %d %s" % (rc, err))
    reports = [r for r in out.split("\n\n") if r.strip()]
    check(len(reports) == 2, "watch -n 2: %d reports" % len(reports))
    for r in reports:
        rates = {}
        for l in r.splitlines()[1:]:
            v, name = l.split()
            rates[name] = float(v[:-2])
        pk, by = rates.get("total/packets"), rates.get("total/bytes")
        if check(pk and by, "watch: no packets/bytes rates in %r" % r):
            check(abs(by / pk - 64) < 0.05, "watch: bytes/packets rate ratio %.4f, want 64" % (by / pk))
            check(rates.get("total/port{port=0000:03:00.0,counter=received}", 0) == pytest_approx(pk / 2),
                  "watch: port rate %r vs packets %r" % (rates.get("total/port{port=0000:03:00.0,counter=received}"), pk))
            check(rates.get("total/signature_packets{signature=1001}", 0) == pytest_approx(pk * 0.12),
                  "watch: signature 1001 rate %r vs packets %r" %
                  (rates.get("total/signature_packets{signature=1001}"), pk))
            order = list(rates.values())
            check(order == sorted(order, reverse=True), "watch: not sorted by rate")
            check(not any(n.startswith(("interval/", "now/")) for n in rates), "watch: non-TOTAL counters")
    # a restart while watching
    cmd = [st, "-p", seg, "watch", "-i", "0.25", "-n", "10", "total/packets"]
    print("$ " + " ".join(cmd) + " &")
    wp = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    procs.append(wp)
    time.sleep(0.8)
    w.stop()
    time.sleep(0.8)  # a few ticks see it stopped
    w = Writer(a, seg, "--period-ms", "50")
    out, err = wp.communicate(timeout=20)
    check(wp.returncode == 0, "watch across a restart: rc %d %s" % (wp.returncode, err))
    check(re.search(r"^-- darkcap restarted: pid %d, instance 0x[0-9a-f]{16}" % w.pid, out, re.M),
          "watch: no restart line in %r" % out)
    check(re.search(r"^-- darkcap stopped$", out, re.M), "watch: stopped writer not reported: %r" % out)
    check(len([r for r in out.split("\n\n") if re.search(r"^\S+  over ", r, re.M)]) == 10,
          "watch -n 10: want 10 reports in %r" % out)
    w.stop()


def pytest_approx(x):
    class A:
        def __eq__(self, o):
            return abs(o - x) <= max(0.2, abs(x) * 1e-3)
    return A()


# ---- the exporter and Prometheus -------------------------------------------

def http_get(url, method="GET"):
    req = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, r.read().decode(), r.headers
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(), e.headers


def start_exporter(a, seg, port, *opts):
    cmd = [a.exporter, "--path", seg, "--listen", "127.0.0.1:%d" % port] + list(opts)
    print("$ " + " ".join(cmd) + " &")
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    procs.append(p)
    url = "http://127.0.0.1:%d/metrics" % port
    if not wait_until(lambda: http_get(url)[0] == 200, 10):
        fail("exporter did not answer on %s" % url)
    return p, url


def scrape(url):
    status, body, headers = http_get(url)
    check(status == 200, "GET %s: %d" % (url, status))
    return body, prom_samples(body)


def stop_exporter(p, what):
    p.send_signal(signal.SIGTERM)
    try:
        out, err = p.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
        fail("%s: did not stop on SIGTERM" % what)
        return
    check(p.returncode == 0, "%s: exit %d after SIGTERM: %s" % (what, p.returncode, err))
    check("stopping" in err, "%s: no stop message: %r" % (what, err))


class Prometheus:
    def __init__(self, a, workdir, target):
        self.port = free_port()
        cfg = os.path.join(workdir, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                    "scrape_configs:\n  - job_name: darkcap\n    static_configs:\n"
                    "      - targets: ['%s']\n" % target)
        data = os.path.join(workdir, "prom-data")
        shutil.rmtree(data, ignore_errors=True)
        self.log = open(os.path.join(workdir, "prometheus.log"), "w")
        cmd = [a.prometheus, "--config.file=" + cfg, "--storage.tsdb.path=" + data,
               "--web.listen-address=127.0.0.1:%d" % self.port, "--log.level=warn"]
        print("$ " + " ".join(cmd) + " &")
        self.p = subprocess.Popen(cmd, stdout=self.log, stderr=self.log)
        procs.append(self.p)

    def query(self, q):
        url = "http://127.0.0.1:%d/api/v1/query?%s" % (self.port, urllib.parse.urlencode({"query": q}))
        status, body, _ = http_get(url)
        if status != 200:
            return None
        r = json.loads(body)["data"]["result"]
        return r[0]["value"][1] if len(r) == 1 else None

    def wait_value(self, q, want, timeout=30):
        got = wait_until(lambda: self.query(q) == want, timeout, 0.25)
        check(got, "prometheus: %s = %r, want %s (after %d s)" % (q, self.query(q), want, timeout))

    def stop(self):
        self.p.terminate()
        try:
            self.p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.p.kill()
        self.log.close()


def test_exporter(a, workdir, seg, w):
    st = a.stat
    port = free_port()
    ex, url = start_exporter(a, seg, port)
    body, p = scrape(url)
    check_prom(a, body, 1, "exporter /metrics")
    for fam in ("darkcap_exporter_read_retries_total", "darkcap_exporter_scrape_errors_total",
                "darkcap_exporter_restarts_seen_total"):
        check(p.get((fam, ())) == "0", "exporter: %s = %r, want 0" % (fam, p.get((fam, ()))))
    # the same families and values as darkcap-stat dump --prom (ages apart)
    rc, out, _ = run([st, "-p", seg, "dump", "--prom"])
    volatile = ("darkcap_snapshot_age_seconds", "darkcap_heartbeat_age_seconds")
    q = {k: v for k, v in prom_samples(out).items() if k[0] not in volatile}
    e = {k: v for k, v in p.items() if k[0] not in volatile and not k[0].startswith("darkcap_exporter_")}
    diff(e, q, "exporter vs dump --prom")
    status, body404, _ = http_get(url.replace("/metrics", "/"))
    check(status == 404, "exporter: GET / gave %d, want 404" % status)
    status, _, _ = http_get(url.replace("/metrics", "/metricsx"))
    check(status == 404, "exporter: GET /metricsx gave %d, want 404" % status)
    status, _, hdr = http_get(url, method="POST")
    check(status == 405, "exporter: POST gave %d, want 405" % status)
    status, _, hdr = http_get(url, method="HEAD")
    check(status == 200 and hdr.get("Content-Type", "").startswith("text/plain; version=0.0.4"),
          "exporter: HEAD %d %r" % (status, hdr.get("Content-Type")))

    # bad options, a port in use
    rc, out, err = run([a.exporter, "--path", seg, "--listen", "127.0.0.1:%d" % port])
    one_line_error(rc, err, 1, "darkcap-exporter", "exporter on a port in use")
    check("cannot listen on 127.0.0.1:%d" % port in err, "exporter on a port in use: %r" % err)
    for opts in (["--listen", "nowhere"], ["--listen", "127.0.0.1:99999"], ["--ports", "22,x"],
                 ["--ports", "70000"], ["--bogus"], ["--listen"], ["extra"]):
        rc, out, err = run([a.exporter] + opts)
        one_line_error(rc, err, 1, "darkcap-exporter", "exporter %r" % opts)
    rc, out, err = run([a.exporter, "--help"])
    check(rc == 0 and "--listen" in out and "9477" in out, "exporter --help")

    prom = None
    if a.prometheus:
        prom = Prometheus(a, workdir, "127.0.0.1:%d" % port)
        prom.wait_value("darkcap_packets_total", "1000")
        prom.wait_value("darkcap_up", "1", 5)
        prom.wait_value('darkcap_signature_packets_total{id="1001",name="sip-options",family="sip-scan"}', "120", 5)
        prom.wait_value('darkcap_tcp_dst_port_packets_total{port="23"}', "300", 5)
        prom.wait_value('darkcap_fingerprint_packets_total{fingerprint="mirai"}', "300", 5)

    # the writer stops: check CRITICAL, darkcap_up 0 and nothing else
    w.stop()
    rc, out, err = run([st, "-p", seg, "check"])
    check(rc == 2 and out.startswith("CRITICAL: ") and "stopped" in out, "check (stopped): rc %d %r" % (rc, out))
    rc, out, err = run([st, "-p", seg, "info"])
    check("state          stopped (judged stopped)" in out, "info (stopped): %r" % out)
    body, p = scrape(url)
    check(p.get(("darkcap_up", ())) == "0", "exporter (stopped): darkcap_up %r" % p.get(("darkcap_up", ())))
    check(not [k for k in p if not k[0].startswith("darkcap_exporter_") and k[0] != "darkcap_up"],
          "exporter (stopped): families besides darkcap_up: %r" % sorted({k[0] for k in p})[:5])
    promtool_ok(a, body, "exporter, stopped")
    rc, out, _ = run([st, "-p", seg, "dump", "--prom"])
    check(prom_samples(out) == {("darkcap_up", ()): "0"}, "dump --prom (stopped): %r" % out[:200])

    # a restart: new instance, new values
    w = Writer(a, seg, "--once", "--scale", "3")
    body, p = scrape(url)
    check(p.get(("darkcap_exporter_restarts_seen_total", ())) == "1",
          "exporter: restarts_seen %r, want 1" % p.get(("darkcap_exporter_restarts_seen_total", ())))
    check_prom(a, body, 3, "exporter after a restart")
    if prom:
        prom.wait_value("darkcap_packets_total", "3000")
        prom.wait_value("darkcap_exporter_restarts_seen_total", "1", 5)

    # stale: the writer hangs (SIGSTOP) beyond 3 heartbeat periods
    os.kill(w.pid, signal.SIGSTOP)
    time.sleep(1.3)
    rc, out, err = run([st, "-p", seg, "check"])
    check(rc == 2 and out.startswith("CRITICAL: darkcap stale"), "check (stale): rc %d %r" % (rc, out))
    rc, out, err = run([st, "-p", seg, "check", "--max-age", "3600"])
    check(rc == 0, "check --max-age 3600 (stale): rc %d %r" % (rc, out))
    rc, out, err = run([st, "-p", seg, "info"])
    check("(judged stale)" in out, "info (stale): %r" % out)
    body, p = scrape(url)
    check(p.get(("darkcap_up", ())) == "0" and ("darkcap_packets_total", ()) not in p,
          "exporter (stale): darkcap_up %r" % p.get(("darkcap_up", ())))
    os.kill(w.pid, signal.SIGCONT)
    check(wait_until(lambda: run([st, "-p", seg, "check"])[0] == 0, 5), "check: not OK again after SIGCONT")
    w.stop()

    # NIC drops: WARNING over the ratio
    w = Writer(a, seg, "--once", "--missed", "10", "--no-mbuf", "5")
    rc, out, err = run([st, "-p", seg, "check"])
    check(rc == 1 and out.startswith("WARNING: NIC drops 15 of 1000 received") and "missed 10, no_mbuf 5" in out,
          "check (drops): rc %d %r" % (rc, out))
    rc, out, err = run([st, "-p", seg, "check", "--max-drop-ratio", "0.05"])
    check(rc == 0 and out.startswith("OK: "), "check --max-drop-ratio 0.05: rc %d %r" % (rc, out))
    rc, out, err = run([st, "-p", seg, "check", "--max-drop-ratio", "0.01"])
    check(rc == 1, "check --max-drop-ratio 0.01 (ratio 0.015): rc %d %r" % (rc, out))
    body, p = scrape(url)
    check(p.get(("darkcap_nic_missed_packets_total", (("port", "0000:03:00.0"),))) == "10" and
          p.get(("darkcap_nic_no_mbuf_total", (("port", "0000:03:00.0"),))) == "5",
          "exporter: NIC drops not exported")
    check(p.get(("darkcap_exporter_restarts_seen_total", ())) == "2", "exporter: second restart not seen")
    w.stop()

    # a rule reload renames signatures between two publishes: the exporter
    # labels every series with the names of the snapshot it read
    w = Writer(a, seg, "--count", "2", "--period-ms", "2500")
    body, p = scrape(url)
    if check(p.get(("darkcap_publishes_total", ())) == "1", "exporter (rename): not publish 1"):
        check_prom(a, body, 1, "exporter, signatures before a rename", k=1)
    check(wait_until(lambda: scrape(url)[1].get(("darkcap_publishes_total", ())) == "2", 10),
          "exporter (rename): no second publish")
    body, p = scrape(url)
    check_prom(a, body, 1, "exporter, signatures after a rename", k=2)
    check(("darkcap_signature_packets_total", (("id", "2003"), ("name", "jaws-shell"), ("family", "mirai-exploit")))
          not in p, "exporter: the old name of 2003 still exported")
    if prom:
        prom.wait_value('darkcap_signature_packets_total{id="2003",name="jaws-shell-v2"}', "160")
        prom.wait_value('darkcap_interval_signature_sources{id="2007",family="iot-downloader"}', "3", 5)
        prom.wait_value('darkcap_signature_rules', "18", 5)
    w.stop()

    # starting: created, nothing published
    w = Writer(a, seg, "--count", "0")
    rc, out, err = run([st, "-p", seg, "check"])
    check(rc == 1 and out.startswith("WARNING: darkcap starting"), "check (starting): rc %d %r" % (rc, out))
    body, p = scrape(url)
    check(p.get(("darkcap_up", ())) == "0", "exporter (starting): darkcap_up %r" % p.get(("darkcap_up", ())))
    w.stop()
    if prom:
        prom.stop()
    stop_exporter(ex, "exporter")

    # a segment that appears after the exporter started; --countries
    later = os.path.join(workdir, "later.stats")
    if os.path.exists(later):
        os.unlink(later)
    port2 = free_port()
    ex2, url2 = start_exporter(a, later, port2, "--countries", "--ports", "23,2323")
    body, p = scrape(url2)
    check(p.get(("darkcap_up", ())) == "0" and p.get(("darkcap_exporter_scrape_errors_total", ())) == "0",
          "exporter (no segment yet): %r" % body)
    promtool_ok(a, body, "exporter, no segment")
    w = Writer(a, later, "--once", "--scale", "2")
    body, p = scrape(url2)
    check_prom(a, body, 2, "exporter --countries --ports 23,2323", countries=True, ports=[23, 2323])
    check(p.get(("darkcap_exporter_restarts_seen_total", ())) == "0", "exporter: first instance counted as a restart")
    w.stop()
    os.unlink(later)
    body, p = scrape(url2)
    check(p.get(("darkcap_up", ())) == "0", "exporter (segment removed): up %r" % p.get(("darkcap_up", ())))
    with open(later, "wb") as f:
        f.write(b"not a segment" * 1000)
    body, p = scrape(url2)
    check(p.get(("darkcap_up", ())) == "0" and p.get(("darkcap_exporter_scrape_errors_total", ())) == "1",
          "exporter (corrupt segment): %r" % body)
    stop_exporter(ex2, "exporter --countries")
    os.unlink(later)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--stat", required=True)
    ap.add_argument("--exporter", required=True)
    ap.add_argument("--writer", required=True)
    ap.add_argument("--workdir", required=True)
    a = ap.parse_args()
    a.prometheus = shutil.which("prometheus")
    a.promtool = shutil.which("promtool")
    os.makedirs(a.workdir, exist_ok=True)
    seg = os.path.join(a.workdir, "darkcap.stats")
    for f in os.listdir(a.workdir):
        if f.endswith(".stats") or ".stats." in f:
            os.unlink(os.path.join(a.workdir, f))
    t0 = time.time()
    try:
        test_stat_errors(a, a.workdir)
        w = test_stat(a, seg)
        test_sig_rename(a, a.workdir)
        test_exporter(a, a.workdir, seg, w)
        test_watch(a, seg)
    except Exception as e:  # a crash of the test itself is a failure too
        import traceback
        traceback.print_exc()
        fail("exception: %r" % e)
    finally:
        for p in procs:
            if p.poll() is None:
                try:
                    p.send_signal(signal.SIGCONT)
                    p.kill()
                    p.wait(timeout=5)
                except OSError:
                    pass
    print("%.1f s" % (time.time() - t0))
    if failures:
        print("%d failures" % len(failures))
        return 1
    if not a.prometheus or not a.promtool:
        print("SKIP: prometheus/promtool not installed (Debian package prometheus); the rest passed")
        return 77
    print("all passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
