#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Functional and robustness tests: the real darkcap binary on DPDK virtual
devices, its JSON Lines output compared counter by counter with the ground
truth that darkcap-gen computes from what it built (never by parsing).

Usage: dc_func.py --darkcap BIN --gen GEN --workdir DIR CASE
Exit 0 = pass, 1 = fail, 77 = skipped.
"""
import argparse
import csv
import gzip
import json
import os
import re
import signal
import subprocess
import sys
import time

SCALARS = ["packets", "bytes", "non_ip", "malformed", "ipv4", "ipv6", "fragments",
           "l4_truncated", "tcp_syn", "tcp_synack"]
MAPS = ["proto", "tcp_dst_ports", "udp_dst_ports", "icmp_types", "icmp6_types", "fingerprints"]

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg)


def eal(prefix, vdevs, lcores="0,1", mem=512):
    # A prefix of its own per process, so parallel runs (two build trees,
    # two checkouts) never share EAL's run directory.
    prefix = "dctest_%s_%d" % (prefix, os.getpid())
    args = ["--no-huge", "-m", str(mem), "--no-pci", "--file-prefix", prefix,
            "--log-level", "lib.eal:warning"]
    args += ["--lcores", lcores] if ("@" in lcores or "," in lcores) else ["-l", lcores]
    for v in vdevs:
        args += ["--vdev", v]
    return args


def stats_opts(a, eal_args, opts):
    """Each run its own statistics segment (not the shared default path)."""
    if "--stats-path" in opts or "--help" in opts:
        return []
    name = eal_args[eal_args.index("--file-prefix") + 1] if "--file-prefix" in eal_args else "run"
    return ["--stats-path", os.path.join(a.workdir, name + ".stats")]


# Table sizes for the runs that do not test sizes: each test interval holds
# at most some tens of thousands of keys, and the defaults (docs/CONFIG.md: 131072
# sources, ...: ~180 MiB a worker) cost every run half a second of page
# faults in 4 KiB pages at start (about a minute per pass of the suite).
# An interval that overflowed them would show in the exact comparisons
# (unique counts below the truth, refused keys counted).
TEST_TABLES = [("--sources-max", "16384"), ("--destinations-max", "65536"),
               ("--flowtuples-max", "65536"), ("--sig-table-max", "8192")]


def table_opts(opts):
    """The TEST_TABLES sizes the options do not set themselves (none with
    a config file, whose sizes are its own)."""
    if "--config" in opts or "--help" in opts:
        return []
    extra = []
    for opt, val in TEST_TABLES:
        if opt not in opts:
            extra += [opt, val]
    return extra


def run_darkcap(a, eal_args, opts, timeout=300, sig_after=None):
    cmd = [a.darkcap] + eal_args + ["--"] + stats_opts(a, eal_args, opts) + table_opts(opts) + opts
    print("$ " + " ".join(cmd))
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if sig_after is not None:
        time.sleep(sig_after)
        p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=timeout)
    if "--file-prefix" in eal_args:
        import shutil
        shutil.rmtree("/var/run/dpdk/" + eal_args[eal_args.index("--file-prefix") + 1], ignore_errors=True)
    if p.returncode < 0 or p.returncode >= 128:
        fail("darkcap died from signal (rc %d): %s" % (p.returncode, err[-2000:]))
    return p.returncode, out, err


def gen(a, name, extra):
    truth = os.path.join(a.workdir, name + ".truth.jsonl")
    cmd = [a.gen, "--truth", truth] + extra
    print("$ " + " ".join(cmd))
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    lines = [json.loads(l) for l in open(truth)]
    total = lines[-1]
    assert total.get("total"), "truth file must end with its total line"
    return lines[:-1], total


def load_out(path):
    return [json.loads(l) for l in open(path)]


def nonzero(d):
    return {k: v for k, v in d.items() if v}


def compare(records, truth, total, interval, label, tables=True):
    """Every record equals the truth interval with the same start; records
    with no truth interval are all zero; every truth interval is present;
    records are contiguous and aligned."""
    by_start = {t["start"]: t for t in truth}
    seen = set()
    prev_end = None
    checked = 0
    for r in records:
        if r["start"] % interval or r["end"] - r["start"] != interval:
            fail("%s: record %d..%d not aligned to %d s" % (label, r["start"], r["end"], interval))
        if prev_end is not None and r["start"] != prev_end:
            fail("%s: hole or overlap before record %d (previous end %d)" % (label, r["start"], prev_end))
        prev_end = r["end"]
        if r.get("late", 0) or r.get("extended"):
            fail("%s: record %d has late=%s extended=%s" % (label, r["start"], r.get("late"), r.get("extended")))
        t = by_start.get(r["start"])
        if t is None:
            if r["packets"] != 0 or any(nonzero(r[m]) for m in MAPS):
                fail("%s: record %d has packets but the truth has none" % (label, r["start"]))
            continue
        seen.add(r["start"])
        if tables and "unique_sources" in t:
            checked += compare_tables(r, t, label)
        for k in SCALARS:
            checked += 1
            if r[k] != t[k]:
                fail("%s: interval %d: %s = %d, truth %d" % (label, r["start"], k, r[k], t[k]))
        for m in MAPS:
            checked += 1
            if nonzero(r[m]) != nonzero(t[m]):
                diff = {k: (r[m].get(k), t[m].get(k)) for k in set(r[m]) | set(t[m])
                        if r[m].get(k, 0) != t[m].get(k, 0)}
                fail("%s: interval %d: %s differs (got, truth): %s" % (label, r["start"], m, dict(list(diff.items())[:8])))
    missing = sorted(set(by_start) - seen)
    if missing:
        fail("%s: %d truth intervals missing from the output, first %s" % (label, len(missing), missing[:3]))
    if tables and "days" in total:
        got_days = [r["day"] for r in records if "day" in r]
        want = {d["date"]: d for d in total["days"]}
        if [d["date"] for d in got_days] != sorted(want):
            fail("%s: day objects for %s, truth days %s" % (label, [d["date"] for d in got_days][:5], sorted(want)[:5]))
        for d in got_days:
            w = want.get(d["date"])
            if w is None:
                continue
            for k in ("unique_sources", "mirai_unique_sources", "zmap_unique_sources", "masscan_unique_sources"):
                checked += 1
                if d[k] != w[k]:
                    fail("%s: day %s: %s = %d, truth %d" % (label, d["date"], k, d[k], w[k]))
            if d.get("estimated"):
                fail("%s: day %s estimated, expected exact" % (label, d["date"]))
        for d in got_days[:-1]:
            if d.get("partial"):
                fail("%s: day %s partial but not the last" % (label, d["date"]))
    sums = {k: sum(r[k] for r in records) for k in SCALARS}
    for k in SCALARS:
        if sums[k] != total[k]:
            fail("%s: sum of %s over records %d, truth total %d" % (label, k, sums[k], total[k]))
    fp = {k: sum(r["fingerprints"][k] for r in records) for k in ("mirai", "zmap", "masscan")}
    if fp != total["fingerprints"]:
        fail("%s: fingerprint totals %s, truth %s" % (label, fp, total["fingerprints"]))
    if records:
        rx = sum(p["received"] for p in records[-1]["ports"])
        if rx != total["packets"]:
            fail("%s: ports received %d, truth packets %d" % (label, rx, total["packets"]))
    print("%s: %d records, %d truth intervals, %d comparisons, totals packets=%d mirai=%d zmap=%d masscan=%d"
          % (label, len(records), len(truth), checked, total["packets"], fp["mirai"], fp["zmap"], fp["masscan"]))
    # The truth must exercise the rules, or the comparison proves little.
    for k in ("non_ip", "malformed", "ipv6", "fragments", "l4_truncated", "tcp_synack"):
        if total[k] == 0:
            fail("%s: generated traffic has no %s: the test would not notice a broken rule" % (label, k))
    for k in ("mirai", "zmap", "masscan"):
        if total["fingerprints"][k] == 0:
            fail("%s: generated traffic has no %s packets" % (label, k))


def compare_tables(r, t, label):
    """Distinct counts and the top sources of one interval."""
    n = 0
    for k in ("unique_sources", "unique_destinations", "unique_flowtuples"):
        n += 1
        if r.get(k) != t[k]:
            fail("%s: interval %d: %s = %s, truth %d" % (label, r["start"], k, r.get(k), t[k]))
    if any(r["table_full"].values()):
        fail("%s: interval %d: table_full %s" % (label, r["start"], r["table_full"]))
    n += 1
    if r["top_sources"] != t["top_sources"]:
        for i, (a, b) in enumerate(zip(r["top_sources"], t["top_sources"])):
            if a != b:
                fail("%s: interval %d: top_sources[%d] = %s, truth %s" % (label, r["start"], i, a, b))
                break
        else:
            fail("%s: interval %d: top_sources has %d entries, truth %d" % (label, r["start"], len(r["top_sources"]), len(t["top_sources"])))
    return n


def check_records_dir(records, rdir, label, exact=True):
    """The per-interval files agree with the records: one row per source and
    flowtuple; their packets plus what full tables refused make up every IP
    packet."""
    import datetime
    for r in records:
        if r["packets"] == 0 or r.get("workers", 0) == 0:
            continue
        stamp = datetime.datetime.utcfromtimestamp(r["start"]).strftime("%Y%m%dT%H%M%SZ")
        ip = r["ipv4"] + r["ipv6"]
        for kind, uniq, full in (("sources", "unique_sources", "sources"),
                                 ("flowtuples", "unique_flowtuples", "flowtuples")):
            path = os.path.join(rdir, "%s.%s.csv.gz" % (stamp, kind))
            if not os.path.exists(path):
                if "tables_end" not in r and r[uniq]:
                    fail("%s: %s missing" % (label, path))
                continue
            with gzip.open(path, "rt") as fh:
                rows = list(csv.DictReader(fh))
            if len(rows) != r[uniq]:
                fail("%s: %s has %d rows, record says %s %d" % (label, path, len(rows), uniq, r[uniq]))
            pk = sum(int(x["packets"]) for x in rows)
            if exact and pk + r["table_full"][full] != ip:
                fail("%s: %s: %d packets + %d refused != %d IP packets" % (label, path, pk, r["table_full"][full], ip))


def check_exact_log(err, label):
    if not re.search(r"accounting: ports delivered \d+ frames, intervals count \d+ packets in \d+ records: exact", err):
        fail("%s: no 'accounting ... exact' line in the log" % label)


def replay_case(a, label, gen_args, files, vdev_of, lcores, opts, interval=60, tables=True,
                records=False):
    outs = [os.path.join(a.workdir, "%s.%d.pcap" % (label, i)) for i in range(files)]
    truth, total = gen(a, label, ["--out", ",".join(outs), "--interval", str(interval)] + gen_args)
    out = os.path.join(a.workdir, label + ".out.jsonl")
    if os.path.exists(out):
        os.unlink(out)
    extra = []
    rdir = os.path.join(a.workdir, "records")
    if records:
        import shutil
        shutil.rmtree(rdir, ignore_errors=True)
        os.makedirs(rdir)
        extra = ["--records-dir", rdir]
    rc, so, err = run_darkcap(a, eal(label, vdev_of(outs), lcores),
                              ["--output", out, "--interval", str(interval)] + opts + extra)
    if rc != 0:
        fail("%s: darkcap exit %d: %s" % (label, rc, err[-1500:]))
        return None
    check_exact_log(err, label)
    recs = load_out(out)
    compare(recs, truth, total, interval, label, tables)
    if records:
        check_records_dir(recs, rdir, label)
    return recs


def one_port(outs):
    return ["net_pcap0,rx_pcap=" + outs[0]]


def case_single_3days(a):
    replay_case(a, "single_3days", ["--seed", "11", "--days", "3", "--packets", "200000",
                                    "--start", "2022-04-01T00:00:00Z"], 1, one_port, "0,1", [],
                records=True)


def case_read_file(a):
    # --read: darkcap reads the pcap itself (lib/pcapfile, no ethdev, no
    # mbufs). Every counter against the generator's truth; the same file
    # through net_pcap gives the same records (but the port's name); the
    # file gzip-compressed through a pipe on standard input too, and split
    # in two files read as a list; a file cut
    # inside a record counts everything before it exactly, reports the cut
    # as the port's error and exits 1 naming the record.
    label = "read_file"
    path = os.path.join(a.workdir, label + ".0.pcap")
    recs = replay_case(a, label, ["--seed", "41", "--days", "2", "--packets", "150000",
                                  "--start", "2022-04-01T00:00:00Z"], 1, lambda o: [], "0,1",
                       ["--read", path, "--telescope", "198.18.0.0/15"])
    if recs is None:
        return

    def strip(rs):
        for r in rs:
            r.pop("ports", None)
        return rs

    out = os.path.join(a.workdir, label + ".vdev.jsonl")
    rc, so, err = run_darkcap(a, eal(label + "_vdev", ["net_pcap0,rx_pcap=" + path]),
                              ["--output", out, "--truncate", "on", "--telescope", "198.18.0.0/15"])
    if rc != 0:
        fail("%s: through net_pcap: exit %d: %s" % (label, rc, err[-800:]))
        return
    if strip(load_out(out)) != strip([dict(r) for r in recs]):
        fail("%s: records read by darkcap and through net_pcap differ" % label)

    # gzip through a pipe on standard input
    import gzip
    gz = path + ".gz"
    with open(path, "rb") as fi, gzip.open(gz, "wb", compresslevel=1) as fo:
        fo.write(fi.read())
    out = os.path.join(a.workdir, label + ".stdin.jsonl")
    cmd = ("zcat %s | %s %s -- --output %s --truncate on --stats-path off --telescope 198.18.0.0/15 --read -"
           % (gz, a.darkcap, " ".join(eal(label + "_stdin", [])), out))
    print("$ " + cmd)
    p = subprocess.run(["bash", "-o", "pipefail", "-c", cmd], capture_output=True, text=True, timeout=300)
    if p.returncode != 0:
        fail("%s: from standard input: exit %d: %s" % (label, p.returncode, p.stderr[-800:]))
    else:
        got = load_out(out)
        if any(r["ports"][0]["name"] != "stdin" for r in got):
            fail("%s: from standard input: the port is not named stdin" % label)
        if strip(got) != strip([dict(r) for r in recs]):
            fail("%s: records read from standard input differ from the file's" % label)

    # the same records split in two files (in time), read as one list
    data = open(path, "rb").read()
    off = 24
    while off < len(data) // 2:
        off += 16 + int.from_bytes(data[off + 8:off + 12], "little")
    halves = [os.path.join(a.workdir, label + ".h%d.pcap" % i) for i in (1, 2)]
    with open(halves[0], "wb") as fo:
        fo.write(data[:off])
    with open(halves[1], "wb") as fo:
        fo.write(data[:24] + data[off:])
    out = os.path.join(a.workdir, label + ".list.jsonl")
    rc, so, err = run_darkcap(a, eal(label + "_list", []),
                              ["--output", out, "--truncate", "on", "--telescope", "198.18.0.0/15",
                               "--read", ",".join(halves)])
    if rc != 0:
        fail("%s: two files: exit %d: %s" % (label, rc, err[-800:]))
    else:
        got = load_out(out)
        if got[-1]["ports"][0]["name"] != os.path.basename(halves[0]) + "+1":
            fail("%s: two files: port named %r" % (label, got[-1]["ports"][0]["name"]))
        if strip(got) != strip([dict(r) for r in recs]):
            fail("%s: the file read as two halves gives other records" % label)

    # cut inside a record: the records before it exact, then exit 1
    off, n, cut_at = 24, 0, len(data) * 2 // 3
    while True:
        caplen = int.from_bytes(data[off + 8:off + 12], "little")
        if off + 16 + caplen > cut_at:
            break
        off += 16 + caplen
        n += 1
    cut = os.path.join(a.workdir, label + ".cut.pcap")
    with open(cut, "wb") as fo:
        fo.write(data[:off + 16 + 3])
    out = os.path.join(a.workdir, label + ".cut.jsonl")
    rc, so, err = run_darkcap(a, eal(label + "_cut", []), ["--output", out, "--truncate", "on", "--read", cut])
    want = "truncated: the file ends inside record %d (byte %d)" % (n + 1, off)
    if rc != 1 or want not in err:
        fail("%s: cut file: exit %d (want 1), no '%s' in: %s" % (label, rc, want, err[-800:]))
    check_exact_log(err, label + "_cut")
    got = load_out(out)
    if sum(r["packets"] for r in got) != n or got[-1]["ports"][0] != {
            "port": 0, "name": os.path.basename(cut), "received": n, "missed": 0, "errors": 1, "no_mbuf": 0}:
        fail("%s: cut file: %d packets counted, last ports %s; want %d records and one error"
             % (label, sum(r["packets"] for r in got), got[-1]["ports"], n))
    print("%s: cut after %d records: %s" % (label, n, want))

    # --read with an ethdev port, or of a file that is not a capture
    for opts, vdevs, msg in ((["--read", path], ["net_pcap0,rx_pcap=" + path], "together: give one or the other"),
                             (["--read", truth_path(a, label)], [], "not a pcap file")):
        rc, so, err = run_darkcap(a, eal(label + "_bad", vdevs), ["--output", os.devnull] + opts)
        last = err.strip().splitlines()[-1] if err.strip() else ""
        if rc == 0 or msg not in last:
            fail("%s: %s: exit %d, last line %r (want %r)" % (label, opts, rc, last, msg))
        else:
            print("%s: %s" % (label, last))


def case_table_autosize(a):
    # table_autosize (finite inputs, on by default): a set's tables use as
    # much of their memory as the interval before needed, from 4096 keys,
    # and grow within an interval by handing the set over and going on in
    # the next one, which the control core merges with it. Two files read
    # as one input: a quiet day (hundreds of packets a minute: the tables
    # shrink to their least) then a busy one (about 17,000 packets a minute,
    # nearly every one a new source and flowtuple: its first minute grows
    # its set twice). Every counter and distinct count against the
    # generator's truth, table_full 0; with a records directory (every set
    # merged key by key) each source and flowtuple in the files; without it
    # (one worker: a set's distinct counts taken as they are unless the
    # interval grew); the log counting the grown sets; and the same records
    # with table_autosize off. The day between the files is written as zero
    # records (they once lacked top_sources' closing bracket).
    label = "table_autosize"
    pa, pb = (os.path.join(a.workdir, label + ".%s.pcap" % x) for x in "ab")
    ta, tota = gen(a, label + "_a", ["--out", pa, "--seed", "51", "--packets", "6000", "--days", "0.01",
                                     "--start", "2022-04-01T00:00:00Z", "--interval", "60"])
    tb, totb = gen(a, label + "_b", ["--out", pb, "--seed", "52", "--many-sources", "--packets", "120000",
                                     "--days", "0.005", "--start", "2022-04-02T00:00:00Z",
                                     "--interval", "60"])
    truth = ta + tb
    total = {k: tota[k] + totb[k] for k in SCALARS}
    total["fingerprints"] = {k: tota["fingerprints"][k] + totb["fingerprints"][k]
                             for k in ("mirai", "zmap", "masscan")}
    total["days"] = tota["days"] + totb["days"]
    runs = {}
    for name, opts in (("auto", []), ("records", ["--records-dir"]), ("off", ["--table-autosize", "off"])):
        out = os.path.join(a.workdir, "%s.%s.jsonl" % (label, name))
        if os.path.exists(out):
            os.unlink(out)
        rdir = None
        if opts and opts[0] == "--records-dir":
            import shutil
            rdir = os.path.join(a.workdir, "records")
            shutil.rmtree(rdir, ignore_errors=True)
            os.makedirs(rdir)
            opts = opts + [rdir]
        rc, so, err = run_darkcap(a, eal(label + "_" + name, []),
                                  ["--output", out, "--interval", "60", "--stats-path", "off",
                                   "--sources-max", "65536", "--flowtuples-max", "131072",
                                   "--read", pa + "," + pb] + opts)
        if rc != 0:
            fail("%s (%s): exit %d: %s" % (label, name, rc, err[-1500:]))
            return
        check_exact_log(err, label + "_" + name)
        grown = re.search(r"tables sized to the intervals, (\d+) table sets grown within an interval", err)
        if name == "off":
            if grown:
                fail("%s (off): the log says the tables were sized: %s" % (label, grown.group(0)))
        elif grown is None or int(grown.group(1)) < 2:
            fail("%s (%s): want 2 or more sets grown within an interval, log: %s"
                 % (label, name, grown.group(0) if grown else "no such line"))
        else:
            print("%s (%s): %s" % (label, name, grown.group(0)))
        recs = load_out(out)
        compare(recs, truth, total, 60, label + "_" + name)
        if rdir:
            check_records_dir(recs, rdir, label + "_" + name)
        for r in recs:
            r.pop("ports", None)
        runs[name] = recs
    if runs["auto"] != runs["off"] or runs["auto"] != runs["records"]:
        fail("%s: the records differ with table_autosize off or a records directory" % label)


def truth_path(a, name):
    return os.path.join(a.workdir, name + ".truth.jsonl")


def case_two_ports_two_workers(a):
    replay_case(a, "two_ports", ["--seed", "23", "--days", "4", "--packets", "200000",
                                 "--start", "2022-06-28T00:00:00Z", "--split", "src"], 2,
                lambda o: ["net_pcap0,rx_pcap=" + o[0], "net_pcap1,rx_pcap=" + o[1]],
                "0@0,1@1,2@1", ["--workers", "2"], records=True)


def case_telescope(a):
    # The generator's telescope is 198.18.0.0/15 (and 2001:db8:dead::/48).
    # Declared as its lower half plus an unused /12, half the IPv4
    # destinations go to the bitmap and half (with every IPv6 one) to the
    # destination table: unique_destinations must still equal the truth,
    # with two workers that see the same destinations (OR of the bitmaps),
    # and with a slow control core whose tables span several intervals.
    replay_case(a, "telescope", ["--seed", "29", "--days", "2", "--packets", "150000",
                                 "--start", "2022-06-28T00:00:00Z", "--split", "src"], 2,
                lambda o: ["net_pcap0,rx_pcap=" + o[0], "net_pcap1,rx_pcap=" + o[1]],
                "0@0,1@1,2@1", ["--workers", "2", "--telescope", "198.18.0.0/16, 10.0.0.0/12"])
    replay_case(a, "telescope_whole", ["--seed", "31", "--days", "1", "--packets", "60000"], 2,
                lambda o: ["net_pcap0,rx_pcap=" + o[0], "net_pcap1,rx_pcap=" + o[1]],
                "0@0,1@1,2@1", ["--workers", "2", "--blocks", "2", "--max-pending", "2",
                                "--ctl-delay-ms", "1", "--telescope", "198.18.0.0/15"])
    # Only the destinations outside the telescope can fill the table: with
    # room for 100, the whole /15 is counted exactly and no packet refused.
    recs = replay_case(a, "telescope_small", ["--seed", "37", "--days", "1", "--packets", "60000",
                                              "--many-sources"], 1, one_port, "0,1",
                       ["--destinations-max", "2000", "--telescope", "198.18.0.0/15"],
                       interval=3600)
    if recs is not None and max(r["unique_destinations"] for r in recs) <= 2000:
        fail("telescope_small: every interval has at most 2000 destinations: the test shows nothing")


def case_two_queues_one_port(a):
    replay_case(a, "two_queues", ["--seed", "31", "--days", "2", "--packets", "120000", "--split", "rr"], 2,
                lambda o: ["net_pcap0,rx_pcap=%s,rx_pcap=%s" % (o[0], o[1])],
                "0@0,1@1,2@1", ["--workers", "2", "--rx-queues", "2"], interval=300)


def case_slow_control(a):
    # Two blocks per worker and two open intervals: workers outrun the
    # control core constantly; nothing may be lost or counted twice.
    replay_case(a, "slow_control", ["--seed", "47", "--days", "2", "--packets", "60000"], 2,
                lambda o: ["net_pcap0,rx_pcap=" + o[0], "net_pcap1,rx_pcap=" + o[1]],
                "0@0,1@1,2@1", ["--workers", "2", "--blocks", "2", "--max-pending", "2",
                                "--ctl-delay-ms", "1"], interval=60)


def merge_truths(parts):
    """Sum the counters of several truth files interval by interval (only
    the additive keys: distinct counts do not add)."""
    by = {}
    total = None
    for truth, tot in parts:
        for t in truth:
            m = by.setdefault(t["start"], {"start": t["start"], "end": t["end"],
                                           **{k: 0 for k in SCALARS}, **{k: {} for k in MAPS}})
            for k in SCALARS:
                m[k] += t[k]
            for k in MAPS:
                for kk, v in t[k].items():
                    m[k][kk] = m[k].get(kk, 0) + v
        if total is None:
            total = {k: 0 for k in SCALARS}
            total["fingerprints"] = {"mirai": 0, "zmap": 0, "masscan": 0}
        for k in SCALARS:
            total[k] += tot[k]
        for k in total["fingerprints"]:
            total["fingerprints"][k] += tot["fingerprints"].get(k, 0)
    return [by[s] for s in sorted(by)], total


def case_skewed_workers(a):
    # Two ports whose captures start a day apart: the second worker runs far
    # ahead of the first. With 2 open intervals at most, the leader's blocks
    # and table sets wait in its rings (it waits on a finite input) until the
    # slower one catches up; every counter is still exact, and the record
    # files hold every IP packet once.
    label = "skewed"
    pa, pb = (os.path.join(a.workdir, "skewed.%s.pcap" % x) for x in "ab")
    ta = gen(a, "skewed_a", ["--out", pa, "--seed", "91", "--days", "2", "--packets", "40000",
                             "--start", "2022-04-01T00:00:00Z", "--interval", "300"])
    tb = gen(a, "skewed_b", ["--out", pb, "--seed", "92", "--days", "2", "--packets", "40000",
                             "--start", "2022-04-02T00:00:00Z", "--interval", "300"])
    truth, total = merge_truths([ta, tb])
    out = os.path.join(a.workdir, label + ".out.jsonl")
    rdir = os.path.join(a.workdir, "records")
    import shutil
    shutil.rmtree(rdir, ignore_errors=True)
    os.makedirs(rdir)
    if os.path.exists(out):
        os.unlink(out)
    rc, so, err = run_darkcap(a, eal(label, ["net_pcap0,rx_pcap=" + pa, "net_pcap1,rx_pcap=" + pb],
                                     "0@0,1@1,2@1"),
                              ["--output", out, "--interval", "300", "--workers", "2",
                               "--max-pending", "2", "--blocks", "2", "--table-sets", "2",
                               "--records-dir", rdir])
    if rc != 0:
        fail("%s: exit %d: %s" % (label, rc, err[-800:]))
        return
    check_exact_log(err, label)
    recs = load_out(out)
    compare(recs, truth, total, 300, label, tables=False)
    check_records_dir(recs, rdir, label)


def pcap_frames(path):
    """(seconds, frame bytes) of every record of a classic pcap file (micro-
    or nanosecond, either byte order): read here, not by darkcap's reader."""
    import struct
    with open(path, "rb") as fh:
        data = fh.read()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        raise ValueError("%s: not a pcap file" % path)
    off = 24
    while off + 16 <= len(data):
        sec, _, caplen, _ = struct.unpack(e + "IIII", data[off:off + 16])
        yield sec, data[off + 16:off + 16 + caplen]
        off += 16 + caplen


def ref_packet(f):
    """One frame as docs/COUNTERS.md and docs/TABLES.md define it, written
    from those documents: None for a frame that is not a well-formed IP
    packet, else a dict with its flowtuple ("ft": src, dst, sport, dport,
    proto, ttl, tcp_flags, ip_len, addresses as text) and what a source
    record counts ("src", "proto", "port": the destination port when the
    packet's ports are counted, else None, "fp": its fingerprints as a set)."""
    import ipaddress

    def u16(o):
        return f[o] << 8 | f[o + 1]

    def u32(o):
        return u16(o) << 16 | u16(o + 2)

    if len(f) < 14:
        return None
    et, off, tags = u16(12), 14, 0
    while et in (0x8100, 0x88A8) and tags < 2:
        if off + 4 > len(f):
            return None
        et, off, tags = u16(off + 2), off + 4, tags + 1
    sport = dport = flags = 0
    ports = False
    fp = set()
    if et == 0x0800:
        ip = off
        if len(f) - ip < 20 or f[ip] >> 4 != 4 or f[ip] & 15 < 5:
            return None
        hl, tl = (f[ip] & 15) * 4, u16(ip + 2)
        if hl > len(f) - ip or tl < hl:
            return None
        end = min(ip + tl, len(f))
        src = str(ipaddress.IPv4Address(f[ip + 12:ip + 16]))
        dst = str(ipaddress.IPv4Address(f[ip + 16:ip + 20]))
        proto, ttl, iplen = f[ip + 9], f[ip + 8], tl
        l4 = None if u16(ip + 6) & 0x1FFF else ip + hl
        icmp = 1
    elif et == 0x86DD:
        ip = off
        if len(f) - ip < 40 or f[ip] >> 4 != 6:
            return None
        end = min(ip + 40 + u16(ip + 4), len(f))
        src = str(ipaddress.IPv6Address(f[ip + 8:ip + 24]))
        dst = str(ipaddress.IPv6Address(f[ip + 24:ip + 40]))
        ttl, iplen = f[ip + 7], (u16(ip + 4) + 40) & 0xFFFF
        proto, pos, l4 = f[ip + 6], ip + 40, None
        while True:
            if proto not in (0, 43, 44, 60):
                l4 = pos
                break
            if pos + 8 > end:
                break  # truncated extension header: proto is where it stopped
            if proto == 44:
                if u16(pos + 2) >> 3:
                    proto = f[pos]  # non-first fragment: its next header
                    break
                proto, pos = f[pos], pos + 8
            else:
                n = (f[pos + 1] + 1) * 8
                if pos + n > end:
                    break
                proto, pos = f[pos], pos + n
        icmp = 58
    else:
        return None
    if l4 is not None:
        if proto == icmp and l4 + 4 <= end:
            sport, dport = f[l4], f[l4 + 1]
        elif proto == 6 and l4 + 20 <= end:
            sport, dport, flags, ports = u16(l4), u16(l4 + 2), f[l4 + 13], True
            if et == 0x0800 and flags & 0x12 == 0x02:
                seq, ipid, d = u32(l4 + 4), u16(ip + 4), u32(ip + 16)
                if seq == d:
                    fp.add("mirai")
                if ipid == 54321:
                    fp.add("zmap")
                if ipid == (d ^ dport ^ seq) & 0xFFFF:
                    fp.add("masscan")
        elif proto == 17 and l4 + 8 <= end:
            sport, dport, ports = u16(l4), u16(l4 + 2), True
    return {"ft": (src, dst, sport, dport, proto, ttl, flags, iplen), "src": src, "proto": proto,
            "port": dport if ports else None, "fp": fp}


def case_flowtuples(a):
    # The flowtuple and source records (records_dir) against flowtuples and
    # sources computed here from the capture itself, frame by frame, per
    # interval: every field of every row (the generator's edge cases
    # included: VLAN tags, IPv6 extension headers and fragments, truncated
    # headers, ICMP, malformed frames, padding; Mirai, ZMap and Masscan
    # probes for the fingerprints).
    import collections
    import datetime
    label = "flowtuples"
    path = os.path.join(a.workdir, label + ".pcap")
    gen(a, label, ["--out", path, "--seed", "73", "--days", "1", "--packets", "40000",
                   "--interval", "3600", "--start", "2022-06-01T00:00:00Z"])
    out = os.path.join(a.workdir, label + ".out.jsonl")
    rdir = os.path.join(a.workdir, label + ".records")
    import shutil
    shutil.rmtree(rdir, ignore_errors=True)
    os.makedirs(rdir)
    rc, so, err = run_darkcap(a, eal(label, []), ["--read", path, "--output", out, "--truncate", "on",
                                                  "--interval", "3600", "--records-dir", rdir,
                                                  "--telescope", "198.18.0.0/15"])
    if rc != 0:
        fail("%s: exit %d: %s" % (label, rc, err[-800:]))
        return
    want = collections.defaultdict(collections.Counter)
    srcs = collections.defaultdict(dict)
    for sec, frame in pcap_frames(path):
        x = ref_packet(frame)
        if x is None:
            continue
        iv = sec - sec % 3600
        want[iv][x["ft"]] += 1
        s = srcs[iv].setdefault(x["src"], {"packets": 0, "bytes": 0, "first_seen": sec, "last_seen": sec,
                                           "mirai": 0, "zmap": 0, "masscan": 0, "tcp": 0, "udp": 0,
                                           "icmp": 0, "other": 0, "ports": set()})
        s["packets"] += 1
        s["bytes"] += len(frame)
        s["first_seen"], s["last_seen"] = min(s["first_seen"], sec), max(s["last_seen"], sec)
        for k in x["fp"]:
            s[k] += 1
        s[{6: "tcp", 17: "udp", 1: "icmp", 58: "icmp"}.get(x["proto"], "other")] += 1
        if x["port"] is not None:
            s["ports"].add(x["port"])
    recs = load_out(out)
    rows = nsrc = 0
    for r in recs:
        if r["table_full"]["flowtuples"] or r["table_full"]["sources"]:
            fail("%s: interval %d: a table refused packets: raise its size" % (label, r["start"]))
            continue
        stamp = datetime.datetime.utcfromtimestamp(r["start"]).strftime("%Y%m%dT%H%M%SZ")
        fn = os.path.join(rdir, "%s.flowtuples.csv.gz" % stamp)
        got = collections.Counter()
        if os.path.exists(fn):
            with gzip.open(fn, "rt") as fh:
                for x in csv.DictReader(fh):
                    got[(x["src"], x["dst"], int(x["sport"]), int(x["dport"]), int(x["proto"]),
                         int(x["ttl"]), int(x["tcp_flags"]), int(x["ip_len"]))] += int(x["packets"])
        exp = want.pop(r["start"], collections.Counter())
        if got != exp:
            diff = [(k, got.get(k, 0), exp.get(k, 0)) for k in set(got) | set(exp) if got.get(k) != exp.get(k)]
            fail("%s: interval %d: %d flowtuples differ (tuple, got, expected), e.g. %s" % (
                label, r["start"], len(diff), sorted(diff, key=str)[:3]))
        rows += len(got)
        # the sources file: every source, every field
        fn = os.path.join(rdir, "%s.sources.csv.gz" % stamp)
        gots = {}
        if os.path.exists(fn):
            with gzip.open(fn, "rt") as fh:
                gots = {x.pop("addr"): {k: int(v) for k, v in x.items()} for x in csv.DictReader(fh)}
        exps = {}
        for ad, v in srcs.pop(r["start"], {}).items():
            v = dict(v)
            n = len(v.pop("ports"))
            v["dst_ports"], v["dst_ports_more"] = min(n, 8), int(n > 8)
            exps[ad] = v
        if gots != exps:
            bad = [ad for ad in set(gots) | set(exps) if gots.get(ad) != exps.get(ad)]
            fail("%s: interval %d: %d source records differ, e.g. %s: got %s, expected %s" % (
                label, r["start"], len(bad), sorted(bad)[0], gots.get(sorted(bad)[0]), exps.get(sorted(bad)[0])))
        nsrc += len(gots)
    if want:
        fail("%s: no record for intervals %s" % (label, sorted(want)[:3]))
    print("%s: %d records, %d flowtuple rows and %d source rows equal to the capture's, field by field" % (
        label, len(recs), rows, nsrc))


def case_scalar_kernel(a):
    replay_case(a, "scalar", ["--seed", "59", "--days", "1", "--packets", "100000"], 1, one_port, "0,1",
                ["--fingerprint-kernel", "scalar", "--burst", "7"], interval=600)


def case_tables_full(a):
    # Tables far smaller than the distinct keys: new keys are refused and
    # counted in table_full, every aggregate counter stays exact, and the
    # record files plus the refused packets make up every IP packet.
    recs = replay_case(a, "tables_full", ["--seed", "71", "--days", "1", "--packets", "60000",
                                          "--many-sources"], 1, one_port, "0,1",
                       ["--sources-max", "200", "--destinations-max", "100", "--flowtuples-max", "300"],
                       interval=3600, tables=False, records=True)
    if recs is None:
        return
    full = [sum(r["table_full"][k] for r in recs) for k in ("sources", "destinations", "flowtuples")]
    if min(full) == 0:
        fail("tables_full: expected refusals in every table, got %s" % full)
    if any(r["unique_sources"] > 200 or r["unique_destinations"] > 100 for r in recs):
        fail("tables_full: a distinct count exceeds the table size")
    print("tables_full: refused sources/destinations/flowtuples packets: %s" % full)


def case_slow_control_live(a):
    # A live input with a control core slower than the interval: workers
    # never wait, tables are extended over several intervals (tables_end),
    # and across all record files no IP packet is lost or counted twice.
    gen(a, "slowlive", ["--out", os.path.join(a.workdir, "slowlive.pcap"), "--packets", "3000"])
    out = os.path.join(a.workdir, "slowlive.out.jsonl")
    rdir = os.path.join(a.workdir, "records")
    import shutil
    shutil.rmtree(rdir, ignore_errors=True)
    os.makedirs(rdir)
    if os.path.exists(out):
        os.unlink(out)
    rc, so, err = run_darkcap(a, eal("slowlive", ["net_pcap0,rx_pcap=%s,infinite_rx=1" % os.path.join(a.workdir, "slowlive.pcap")]),
                              ["--output", out, "--interval", "1", "--mbuf-size", "9344",
                               "--mbufs-per-queue", "4096", "--ctl-delay-ms", "1500",
                               "--records-dir", rdir], sig_after=6)
    if rc != 0:
        fail("slowlive: exit %d: %s" % (rc, err[-800:]))
        return
    check_exact_log(err, "slowlive")
    recs = load_out(out)
    ip = sum(r["ipv4"] + r["ipv6"] for r in recs)
    refused = sum(r["table_full"]["sources"] for r in recs)
    filed = 0
    for name in os.listdir(rdir):
        if name.endswith(".sources.csv.gz"):
            with gzip.open(os.path.join(rdir, name), "rt") as fh:
                filed += sum(int(x["packets"]) for x in csv.DictReader(fh))
    if filed + refused != ip:
        fail("slowlive: source files hold %d packets + %d refused, records count %d IP packets" % (filed, refused, ip))
    if not any("tables_end" in r for r in recs):
        fail("slowlive: no record with tables_end: the slow path was not exercised")
    print("slowlive: %d records, %d IP packets, %d in source files, %d refused, %d extended"
          % (len(recs), ip, filed, refused, sum("tables_end" in r for r in recs)))


def case_day_estimated(a):
    # Past day_exact_max distinct sources a day, the count comes from the
    # HyperLogLog sketch: flagged estimated, within 3 % of the truth (the
    # sketch's standard error is 0.81 %).
    label = "day_estimated"
    out_pcap = os.path.join(a.workdir, label + ".pcap")
    truth, total = gen(a, label, ["--out", out_pcap, "--packets", "150000", "--days", "2",
                                  "--many-sources", "--seed", "83"])
    out = os.path.join(a.workdir, label + ".out.jsonl")
    if os.path.exists(out):
        os.unlink(out)
    rc, so, err = run_darkcap(a, eal(label, ["net_pcap0,rx_pcap=" + out_pcap]),
                              ["--output", out, "--interval", "3600", "--day-exact-max", "1000"])
    if rc != 0:
        fail("%s: exit %d: %s" % (label, rc, err[-800:]))
        return
    days = [r["day"] for r in load_out(out) if "day" in r]
    want = {d["date"]: d for d in total["days"]}
    if len(days) != len(want):
        fail("%s: %d day objects, truth %d" % (label, len(days), len(want)))
    for d in days:
        w = want[d["date"]]
        if not d["estimated"]:
            fail("%s: day %s not flagged estimated" % (label, d["date"]))
        for k in ("unique_sources", "mirai_unique_sources"):
            err_pct = abs(d[k] - w[k]) * 100.0 / w[k]
            print("%s: %s %s = %d, truth %d (%.2f %%)" % (label, d["date"], k, d[k], w[k], err_pct))
            if w[k] > 1000 and err_pct > 3.0:
                fail("%s: day %s: %s estimate %d is %.2f %% off the truth %d" % (label, d["date"], k, d[k], err_pct, w[k]))
    # A bound between the kinds: all sources go past it (estimated), the
    # Mirai, ZMap and Masscan sources stay under it and stay exact, though
    # the one map that holds every kind stops taking plain sources.
    kinds = ("unique_sources", "mirai_unique_sources", "zmap_unique_sources", "masscan_unique_sources")
    bound = max(max(d[k] for k in kinds[1:]) for d in total["days"]) + 1
    if not all(d["unique_sources"] > bound for d in total["days"]):
        fail("%s: the generated days have too few sources for a bound of %d" % (label, bound))
        return
    os.unlink(out)
    rc, so, err = run_darkcap(a, eal(label + "_mixed", ["net_pcap0,rx_pcap=" + out_pcap]),
                              ["--output", out, "--interval", "3600", "--day-exact-max", str(bound)])
    if rc != 0:
        fail("%s: bound %d: exit %d: %s" % (label, bound, rc, err[-800:]))
        return
    for d in [r["day"] for r in load_out(out) if "day" in r]:
        w = want[d["date"]]
        if not d["estimated"]:
            fail("%s: bound %d: day %s not flagged estimated" % (label, bound, d["date"]))
        err_pct = abs(d[kinds[0]] - w[kinds[0]]) * 100.0 / w[kinds[0]]
        if err_pct > 3.0:
            fail("%s: bound %d: day %s: unique_sources estimate %d is %.2f %% off the truth %d"
                 % (label, bound, d["date"], d[kinds[0]], err_pct, w[kinds[0]]))
        got, truth = [d[k] for k in kinds[1:]], [w[k] for k in kinds[1:]]
        print("%s: bound %d: %s unique_sources %d (truth %d), exact kinds %s (truth %s)"
              % (label, bound, d["date"], d[kinds[0]], w[kinds[0]], got, truth))
        if got != truth:
            fail("%s: bound %d: day %s: Mirai, ZMap, Masscan sources %s, truth %s (under the bound: exact)"
                 % (label, bound, d["date"], got, truth))


GEO_SPEC = [  # shortest first: the writer's later insert wins = longest prefix
    ("0.0.0.0/1", "US"), ("64.0.0.0/2", "CN"), ("96.0.0.0/3", "JP"), ("128.0.0.0/2", "RU"),
    ("160.0.0.0/4", "KR"), ("200.0.0.0/5", "DE"), ("45.0.0.0/8", "BR"), ("45.67.0.0/16", "TW"),
    ("2000::/3", "NL"), ("2400::/8", "JP"),
]


AS_SPEC = [
    ("0.0.0.0/2", 64500, "Alpha Net"), ("64.0.0.0/2", 64501, "Beta, Inc."), ("128.0.0.0/1", 64502, "Gamma \"G\""),
    ("45.0.0.0/8", 64503, "Delta"), ("2000::/3", 64510, "Epsilon v6"),
]


def geo_country_of(addr, spec=None):
    import ipaddress
    ip = ipaddress.ip_address(addr)
    best, code = -1, None
    for net, cc in (spec or GEO_SPEC):
        n = ipaddress.ip_network(net)
        if n.version == ip.version and ip in n and n.prefixlen > best:
            best, code = n.prefixlen, cc
    return code or "unknown"


def geo_as_of(addr):
    code = geo_country_of(addr, [(n, (asn, org)) for n, asn, org in AS_SPEC])
    return (0, "") if code == "unknown" else code


def group_truth(sources, key_of, extra=None):
    """Sum the truth's per-source counts into groups (country, AS): packets,
    bytes, fingerprint packets, distinct sources and distinct sources per
    fingerprint."""
    want = {}
    for s in sources:
        k = key_of(s["addr"])
        w = want.setdefault(k, dict(extra(k) if extra else {}, packets=0, bytes=0, sources=0, mirai=0,
                                     mirai_sources=0, zmap=0, zmap_sources=0, masscan=0,
                                     masscan_sources=0))
        for f in ("packets", "bytes", "mirai", "zmap", "masscan"):
            w[f] += s[f]
        w["sources"] += 1
        for f in ("mirai", "zmap", "masscan"):
            w[f + "_sources"] += s[f] > 0
    return want


def make_geo_dbs(a):
    """The country and AS databases of GEO_SPEC / AS_SPEC, written with
    MaxMind's own writer: (country mmdb, AS mmdb), or None after a failure.
    Exits 77 (skip) when the writer is not installed."""
    import shutil
    perl = shutil.which("perl")
    here = os.path.dirname(os.path.abspath(__file__))
    spec = os.path.join(a.workdir, "geo.spec")
    mmdb = os.path.join(a.workdir, "geo.mmdb")
    with open(spec, "w") as fh:
        for net, cc in GEO_SPEC:
            fh.write("%s\t%s\n" % (net, cc))
    r = subprocess.run([perl, os.path.join(here, "..", "unit", "geo_mkdb.pl"), "--layout", "iso",
                        "--ip-version", "6", spec, mmdb], capture_output=True, text=True)
    aspec = os.path.join(a.workdir, "asn.spec")
    asdb = os.path.join(a.workdir, "asn.mmdb")
    with open(aspec, "w") as fh:
        for net, asn, org in AS_SPEC:
            fh.write("%s\t%d\t%s\n" % (net, asn, org))
    if r.returncode == 0:
        r = subprocess.run([perl, os.path.join(here, "..", "unit", "geo_mkdb.pl"), "--layout", "asn",
                            "--ip-version", "6", aspec, asdb], capture_output=True, text=True)
    if r.returncode != 0:
        if "MaxMind/DB/Writer" in r.stderr:
            print("skip: MaxMind::DB::Writer not installed")
            sys.exit(77)
        fail("geo_mkdb.pl: %s" % r.stderr[-500:])
        return None
    return mmdb, asdb


def case_countries(a):
    # Per-country packets, bytes, distinct sources, Mirai packets and Mirai
    # sources, and ZMap / Masscan packets, against the truth: the generator
    # lists every source of every interval (--top 100000) with its counts;
    # the test maps each to its country by longest prefix over the spec it
    # also wrote, with MaxMind's own writer, into the database darkcap reads.
    dbs = make_geo_dbs(a)
    if dbs is None:
        return
    mmdb, asdb = dbs
    label = "countries"
    pcap = os.path.join(a.workdir, "countries.pcap")
    truth, total = gen(a, label, ["--out", pcap, "--packets", "60000", "--days", "1", "--seed", "101",
                                  "--top", "100000", "--interval", "3600"])
    out = os.path.join(a.workdir, label + ".out.jsonl")
    if os.path.exists(out):
        os.unlink(out)
    rc, so, err = run_darkcap(a, eal(label, ["net_pcap0,rx_pcap=" + pcap], mem=768),
                              ["--output", out, "--interval", "3600", "--geo-country", mmdb,
                               "--geo-asn", asdb, "--top-asns", "100"])
    if rc != 0:
        fail("%s: exit %d: %s" % (label, rc, err[-800:]))
        return
    recs = {x["start"]: x for x in load_out(out)}
    compared = 0
    seen = set()
    for t in truth:
        want = group_truth(t["top_sources"], geo_country_of)
        if len(t["top_sources"]) != t["unique_sources"]:
            fail("%s: truth lists %d of %d sources" % (label, len(t["top_sources"]), t["unique_sources"]))
        rec = recs.get(t["start"], {})
        got = rec.get("countries")
        # ASes: per-packet counts and distinct sources, every AS listed.
        want_as = group_truth(t["top_sources"], lambda ad: geo_as_of(ad)[0],
                              lambda asn: {"asn": asn, "org": dict((n, o) for _, n, o in AS_SPEC).get(asn, "")})
        got_as = rec.get("asns", [])
        if {x["asn"]: x for x in got_as} != want_as:
            fail("%s: interval %d: asns %s, truth %s" % (label, t["start"], got_as[:2], list(want_as.values())[:2]))
        if [x["packets"] for x in got_as] != sorted((x["packets"] for x in got_as), reverse=True):
            fail("%s: interval %d: asns not ordered by packets" % (label, t["start"]))
        for s in rec.get("top_sources", []):
            if s.get("country") != geo_country_of(s["addr"]) or s.get("asn") != geo_as_of(s["addr"])[0]:
                fail("%s: top source %s: country %s asn %s" % (label, s["addr"], s.get("country"), s.get("asn")))
                break
        compared += 1
        seen |= set(want)
        if got != want:
            diff = {k: (got.get(k) if got else None, want.get(k)) for k in set(got or {}) | set(want)
                    if (got or {}).get(k) != want.get(k)}
            fail("%s: interval %d: countries differ (got, truth): %s" % (label, t["start"], dict(list(diff.items())[:3])))
    if len(seen) < 8 or "unknown" not in seen:
        fail("%s: only %s seen: the traffic does not exercise the database" % (label, sorted(seen)))
    print("%s: %d intervals compared, countries seen %s" % (label, compared, sorted(seen)))

    # The same capture with a source table far too small: a source is looked
    # up once, when it enters the table, and its packets counted under that
    # answer; the packets the full table refused are looked up one by one and
    # counted on their own (the worker's per-AS table). Per-country and
    # per-AS packet counts must still equal the truth; distinct sources are
    # those the table held, so they are not compared here.
    label = "countries_full"
    out = os.path.join(a.workdir, label + ".out.jsonl")
    if os.path.exists(out):
        os.unlink(out)
    rc, so, err = run_darkcap(a, eal(label, ["net_pcap0,rx_pcap=" + pcap], mem=768),
                              ["--output", out, "--interval", "3600", "--geo-country", mmdb,
                               "--geo-asn", asdb, "--top-asns", "100000", "--sources-max", "64"])
    if rc != 0:
        fail("%s: exit %d: %s" % (label, rc, err[-800:]))
        return
    recs = {x["start"]: x for x in load_out(out)}
    fields = ("packets", "bytes", "mirai", "zmap", "masscan")
    refused = 0
    for t in truth:
        rec = recs.get(t["start"], {})
        refused += rec.get("table_full", {}).get("sources", 0)
        want = {k: {f: v[f] for f in fields} for k, v in group_truth(t["top_sources"], geo_country_of).items()}
        got = {k: {f: v[f] for f in fields} for k, v in rec.get("countries", {}).items()}
        if got != want:
            fail("%s: interval %d: countries differ (got, truth): %s" % (
                label, t["start"], {k: (got.get(k), want.get(k)) for k in set(got) | set(want)
                                    if got.get(k) != want.get(k)}))
        want_as = {k: {f: v[f] for f in fields} for k, v in
                   group_truth(t["top_sources"], lambda ad: geo_as_of(ad)[0]).items()}
        got_as = {x["asn"]: {f: x[f] for f in fields} for x in rec.get("asns", [])}
        if got_as != want_as:
            fail("%s: interval %d: asns differ (got, truth): %s" % (
                label, t["start"], {k: (got_as.get(k), want_as.get(k)) for k in set(got_as) | set(want_as)
                                    if got_as.get(k) != want_as.get(k)}))
    if refused == 0:
        fail("%s: the source table refused nothing: the case does not exercise the refused path" % label)
    print("%s: %d packets refused by the source table, countries and ASes still exact" % (label, refused))


def case_countries_real_db(a):
    # The same check with a real public database (the CC0 RIR-derived one on
    # npm, the main job's default), the truth from libmaxminddb's own
    # mmdblookup on every source address. Skipped when neither the database
    # nor the registry can be had.
    import re
    import shutil
    db = os.environ.get("DARKCAP_TEST_COUNTRY_DB", "")
    if not db:
        gdir = os.path.join(a.workdir, "geo")
        db = os.path.join(gdir, "package", "geo-whois-asn-country.mmdb")
        if not os.path.exists(db) and shutil.which("npm"):
            os.makedirs(gdir, exist_ok=True)
            subprocess.run("timeout 120 npm pack --silent @ip-location-db/geo-whois-asn-country-mmdb "
                           "&& tar xzf ip-location-db-geo-whois-asn-country-mmdb-*.tgz",
                           shell=True, cwd=gdir, capture_output=True)
    if not os.path.exists(db) or not shutil.which("mmdblookup"):
        print("skip: no public country database (npm unreachable) or no mmdblookup")
        sys.exit(77)
    label = "realdb"
    pcap = os.path.join(a.workdir, "realdb.pcap")
    truth, total = gen(a, label, ["--out", pcap, "--packets", "20000", "--days", "0.25", "--seed", "113",
                                  "--top", "100000", "--interval", "3600"])
    addrs = sorted({s["addr"] for t in truth for s in t["top_sources"]})
    country = {}
    for ad in addrs:
        r = subprocess.run(["mmdblookup", "--file", db, "--ip", ad, "country_code"],
                           capture_output=True, text=True)
        m = re.search(r'"([A-Z]{2})"', r.stdout)
        country[ad] = m.group(1) if m else "unknown"
    out = os.path.join(a.workdir, label + ".out.jsonl")
    if os.path.exists(out):
        os.unlink(out)
    rc, so, err = run_darkcap(a, eal(label, ["net_pcap0,rx_pcap=" + pcap], mem=1024),
                              ["--output", out, "--interval", "3600", "--geo-country", db])
    if rc != 0:
        fail("%s: exit %d: %s" % (label, rc, err[-800:]))
        return
    recs = {x["start"]: x for x in load_out(out)}
    for t in truth:
        want = group_truth(t["top_sources"], country.get)
        got = recs.get(t["start"], {}).get("countries")
        if got != want:
            diff = {k: (got.get(k) if got else None, want.get(k)) for k in set(got or {}) | set(want)
                    if (got or {}).get(k) != want.get(k)}
            fail("%s: interval %d: countries differ (got, truth): %s" % (label, t["start"], dict(list(diff.items())[:3])))
    print("%s: %d sources looked up with mmdblookup, %d countries, %d intervals compared" % (
        label, len(addrs), len(set(country.values())), len(truth)))


def case_geo_reload(a):
    # SIGHUP reloads the country database while a live input flows: the new
    # one is built off the workers, swapped in, the old one freed after every
    # worker passed a quiescent state. No packet is lost or counted twice:
    # every record's countries add up to its IP packets. A bad new database
    # keeps the one in use, with one log line.
    import shutil
    perl = shutil.which("perl")
    here = os.path.dirname(os.path.abspath(__file__))
    mk = os.path.join(here, "..", "unit", "geo_mkdb.pl")

    def build(spec_lines, path):
        spec = path + ".spec"
        with open(spec, "w") as fh:
            fh.write("".join("%s\t%s\n" % x for x in spec_lines))
        r = subprocess.run([perl, mk, "--layout", "iso", "--ip-version", "6", spec, path + ".tmp"],
                           capture_output=True, text=True)
        if r.returncode != 0:
            if "MaxMind/DB/Writer" in r.stderr:
                print("skip: MaxMind::DB::Writer not installed")
                sys.exit(77)
            fail("geo_mkdb.pl: %s" % r.stderr[-300:])
        os.replace(path + ".tmp", path)

    db = os.path.join(a.workdir, "reload.mmdb")
    build(GEO_SPEC, db)
    gen(a, "reload", ["--out", os.path.join(a.workdir, "reload.pcap"), "--packets", "4000"])
    out = os.path.join(a.workdir, "reload.out.jsonl")
    if os.path.exists(out):
        os.unlink(out)
    cmd = [a.darkcap] + eal("reload", ["net_pcap0,rx_pcap=%s,infinite_rx=1" % os.path.join(a.workdir, "reload.pcap")],
                              mem=768) + ["--", "--output", out, "--interval", "1", "--mbuf-size", "9344",
                                          "--mbufs-per-queue", "8192", "--geo-country", db,
                                          "--stats-path", os.path.join(a.workdir, "reload.stats")]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(3)
    build([("0.0.0.0/0", "FR"), ("::/0", "FR")], db)
    p.send_signal(signal.SIGHUP)
    time.sleep(3)
    with open(db + ".tmp", "wb") as fh:
        fh.write(b"not a database")
    os.replace(db + ".tmp", db)
    p.send_signal(signal.SIGHUP)
    time.sleep(2)
    p.send_signal(signal.SIGINT)
    so, err = p.communicate(timeout=60)
    if p.returncode != 0:
        fail("reload: exit %d: %s" % (p.returncode, err[-800:]))
        return
    check_exact_log(err, "reload")
    if err.count("geo reloaded") != 1 or err.count("geo reload failed, keeping the databases in use") != 1:
        fail("reload: expected one reload and one refused reload in the log: %s" % err[-1500:])
    recs = load_out(out)
    for r in recs:
        if sum(v["packets"] for v in r["countries"].values()) != r["ipv4"] + r["ipv6"]:
            fail("reload: record %d: countries add up to %d, IP packets %d" % (
                r["start"], sum(v["packets"] for v in r["countries"].values()), r["ipv4"] + r["ipv6"]))
    before = any("US" in r["countries"] for r in recs)
    after = any(set(r["countries"]) == {"FR"} for r in recs[-3:])
    if not (before and after):
        fail("reload: countries did not change from the first database to the second")
    print("reload: %d records, %d packets, database swapped, bad one refused" % (
        len(recs), sum(r["packets"] for r in recs)))


def case_empty_pcap(a):
    path = os.path.join(a.workdir, "empty.pcap")
    with open(path, "wb") as f:
        f.write(bytes.fromhex("d4c3b2a1020004000000000000000000ffff000001000000"))
    out = os.path.join(a.workdir, "empty.out.jsonl")
    if os.path.exists(out):
        os.unlink(out)
    rc, so, err = run_darkcap(a, eal("empty", ["net_pcap0,rx_pcap=" + path]), ["--output", out])
    if rc != 0:
        fail("empty pcap: exit %d: %s" % (rc, err[-800:]))
    if os.path.exists(out) and os.path.getsize(out) != 0:
        fail("empty pcap: output is not empty")
    check_exact_log(err, "empty pcap")


def case_live_sigint(a):
    # A live input (infinite replay, wall clock) stopped by SIGINT: exits 0,
    # flushes the partial interval, and counts every frame received.
    truth, total = gen(a, "live", ["--out", os.path.join(a.workdir, "live.pcap"), "--packets", "5000"])
    out = os.path.join(a.workdir, "live.out.jsonl")
    if os.path.exists(out):
        os.unlink(out)
    rc, so, err = run_darkcap(a, eal("live", ["net_pcap0,rx_pcap=%s,infinite_rx=1" % os.path.join(a.workdir, "live.pcap")]),
                              ["--output", out, "--interval", "1", "--mbuf-size", "9344", "--mbufs-per-queue", "8192"], sig_after=4)
    if rc != 0:
        fail("live: exit %d after SIGINT: %s" % (rc, err[-800:]))
        return
    check_exact_log(err, "live")
    recs = load_out(out)
    if len(recs) < 2:
        fail("live: expected several 1-second records, got %d" % len(recs))
        return
    for p, r in zip(recs, recs[1:]):
        if r["start"] != p["end"]:
            fail("live: records not contiguous at %d" % r["start"])
    now = time.time()
    if not (now - 120 < recs[0]["start"] <= now):
        fail("live: wall-clock record start %d is not near now %d" % (recs[0]["start"], now))
    got = sum(r["packets"] for r in recs)
    rx = sum(p["received"] for p in recs[-1]["ports"])
    if got != rx or got == 0:
        fail("live: counted %d packets, port received %d" % (got, rx))
    print("live: %d records, %d packets, received %d" % (len(recs), got, rx))


def case_null_sigterm(a):
    out = os.path.join(a.workdir, "null.out.jsonl")
    if os.path.exists(out):
        os.unlink(out)
    cmd = [a.darkcap] + eal("null", ["net_null0,size=64"]) + ["--", "--output", out, "--interval", "1",
                                                               "--stats-path", os.path.join(a.workdir, "null.stats")]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(3)
    p.send_signal(signal.SIGTERM)
    so, err = p.communicate(timeout=60)
    if p.returncode != 0:
        fail("null: exit %d after SIGTERM: %s" % (p.returncode, err[-800:]))
        return
    check_exact_log(err, "null")
    recs = load_out(out)
    got = sum(r["packets"] for r in recs)
    # net_null frames are zeroed: ethertype 0, so every frame is non-IP.
    if got == 0 or any(r["non_ip"] != r["packets"] for r in recs):
        fail("null: expected only non-IP frames, got %s" % [(r["packets"], r["non_ip"]) for r in recs][:4])
    print("null: %d records, %d packets" % (len(recs), got))


def case_memif_two_process(a):
    # Two processes over net_memif: dpdk-testpmd (server, txonly: 64-byte
    # IPv4/UDP frames to port 9) sends, darkcap (client) receives and is
    # stopped by SIGINT. Every frame received is counted, and every one is
    # what testpmd's txonly mode builds.
    import shutil
    testpmd = shutil.which("dpdk-testpmd")
    if not testpmd:
        print("skip: dpdk-testpmd not installed")
        sys.exit(77)
    sock = "/tmp/darkcap-test-memif-%d.sock" % os.getpid()
    tx = subprocess.Popen([testpmd, "-l", "0-1", "--no-huge", "-m", "512", "--no-pci",
                           "--file-prefix", "dctest_memif_tx_%d" % os.getpid(), "--log-level", "lib.eal:warning",
                           "--vdev", "net_memif0,role=server,socket=" + sock, "--",
                           "--forward-mode=txonly", "--auto-start", "--txpkts", "64",
                           "--total-num-mbufs", "8192"],
                          stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(3)
        out = os.path.join(a.workdir, "memif.out.jsonl")
        if os.path.exists(out):
            os.unlink(out)
        rc, so, err = run_darkcap(a, eal("memif_rx", ["net_memif0,role=client,socket=" + sock]),
                                  ["--output", out, "--interval", "1"], sig_after=4)
    finally:
        tx.communicate(input=b"\n", timeout=30)
    if rc != 0:
        fail("memif: exit %d: %s" % (rc, err[-800:]))
        return
    check_exact_log(err, "memif")
    recs = load_out(out)
    got = sum(r["packets"] for r in recs)
    udp9 = sum(r["udp_dst_ports"].get("9", 0) for r in recs)
    rx = sum(p["received"] for p in recs[-1]["ports"])
    if got == 0 or got != rx:
        fail("memif: counted %d, port received %d" % (got, rx))
    if udp9 != got or sum(r["ipv4"] for r in recs) != got or sum(r["bytes"] for r in recs) != 64 * got:
        fail("memif: expected only 64-byte IPv4/UDP port 9 frames: packets %d, udp/9 %d" % (got, udp9))
    print("memif: %d records, %d packets from testpmd" % (len(recs), got))


def case_memif_sender(a):
    # darkcap-send (net_memif server, 2 TX queues, 2 workers) replays a
    # generated capture once to darkcap (memif client, 2 RX queues, 2
    # workers) in another process. Every frame sent is received, counted
    # once, and the totals over all records equal the generator's truth.
    # Before that: the sender's own one-line errors and its loop accounting
    # on net_null.
    if not a.sender or not os.path.exists(a.sender):
        print("skip: darkcap-send not built (--sender %s)" % a.sender)
        sys.exit(77)
    import struct
    label = "memif_sender"
    pcap = os.path.join(a.workdir, label + ".pcap")
    truth, total = gen(a, label, ["--out", pcap, "--packets", "60000", "--seed", "53", "--days", "1"])
    # The frames of each TX queue: frame i goes to queue i % 2.
    qframes, qbytes, maxlen = [0, 0], [0, 0], 0
    with open(pcap, "rb") as f:
        order = "<" if struct.unpack("<I", f.read(24)[:4])[0] in (0xa1b2c3d4, 0xa1b23c4d) else ">"
        i = 0
        while True:
            h = f.read(16)
            if len(h) < 16:
                break
            caplen = struct.unpack(order + "IIII", h)[2]
            f.seek(caplen, 1)
            qframes[i % 2] += 1
            qbytes[i % 2] += caplen
            maxlen = max(maxlen, caplen)
            i += 1

    def send(prefix, vdev, lcores, opts, timeout=120):
        cmd = [a.sender] + eal(prefix, [vdev] if vdev else [], lcores) + ["--"] + opts
        print("$ " + " ".join(cmd))
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        shutil_rm_prefix(prefix)
        if p.returncode < 0 or p.returncode >= 128:
            fail("sender died from signal (rc %d): %s" % (p.returncode, p.stderr[-1500:]))
        return p

    # One-line errors, exit 2: options and file before EAL, lcores and the
    # memif buffer size after.
    errors = [
        ("no --pcap", None, "0,1", [], "--pcap FILE is required", True),
        ("not a pcap", None, "0,1", ["--pcap", os.path.join(a.workdir, label + ".truth.jsonl")], "cannot read as a pcap", True),
        ("bad --txq", None, "0,1", ["--pcap", pcap, "--txq", "0"], "--txq '0'", True),
        ("bad --rate", None, "0,1", ["--pcap", pcap, "--rate", "fast"], "--rate 'fast'", True),
        ("unknown option", None, "0,1", ["--pcap", pcap, "--speed", "1"], "unknown option '--speed'", True),
        ("too few lcores", "net_null0", "0,1", ["--pcap", pcap, "--txq", "2"], "needs 2 worker lcores", False),
        ("memif bsize", "net_memif0,role=server,socket=/tmp/darkcap-test-bsize-%d.sock" % os.getpid(), "0,1",
         ["--pcap", pcap], "bsize=", False),
    ]
    if maxlen <= 2048:
        fail("memif_sender: generated traffic has no frame longer than 2048 bytes")
    for what, vdev, lc, opts, must, pre_eal in errors:
        p = send("snd_bad", vdev, lc, opts)
        lines = [l for l in p.stderr.splitlines() if l.strip()]
        mine = [l for l in lines if l.startswith("darkcap-send: ")]
        if p.returncode != 2 or not mine or must not in mine[-1] or p.stdout:
            fail("sender %s: rc %d, expected 2 and a 'darkcap-send: ...%s...' line; stderr: %s"
                 % (what, p.returncode, must, lines[-3:]))
        elif pre_eal and len(lines) != 1:
            fail("sender %s: expected one line on stderr before EAL, got %s" % (what, lines[:4]))
        else:
            print("sender %s: rc 2: %s" % (what, mine[-1]))

    # net_null: three loops over the file, two queues.
    p = send("snd_null", "net_null0", "0@0,1@1,2@1", ["--pcap", pcap, "--txq", "2", "--loops", "3", "--linger", "0"])
    try:
        js = json.loads(p.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        fail("sender on net_null: rc %d, no JSON line: %s" % (p.returncode, p.stderr[-800:]))
        return
    want = (3 * total["packets"], 3 * total["bytes"], 3)
    if p.returncode != 0 or (js["sent"], js["bytes"], js["loops"]) != want or js["port"]["opackets"] != js["sent"]:
        fail("sender on net_null: rc %d, sent/bytes/loops %s, want %s, opackets %d"
             % (p.returncode, (js["sent"], js["bytes"], js["loops"]), want, js["port"]["opackets"]))
    if [(q["sent"], q["bytes"]) for q in js["queues"]] != [(3 * qframes[i], 3 * qbytes[i]) for i in (0, 1)]:
        fail("sender on net_null: queues %s, want frames %s bytes %s x 3" % (js["queues"], qframes, qbytes))
    print("sender on net_null: %d packets in %.3f s, 3 loops" % (js["sent"], js["seconds"]))

    # memif: the sender is the server; buffers hold the longest frame whole
    # (bsize: a frame over several memif descriptors is not safe in 22.11).
    sock = "/tmp/darkcap-test-memif-snd-%d.sock" % os.getpid()
    vargs = "socket=%s,bsize=%d" % (sock, max(2048, (maxlen + 1023) // 1024 * 1024))
    out = os.path.join(a.workdir, label + ".out.jsonl")
    serr = os.path.join(a.workdir, label + ".sender.err")
    for path in (out, sock):
        if os.path.exists(path):
            os.unlink(path)
    tx_eal = eal("memif_snd", ["net_memif0,role=server," + vargs], "0@0,1@1,2@1")
    cmd = [a.sender] + tx_eal + ["--", "--pcap", pcap, "--txq", "2", "--loops", "1",
                                 "--wait-link", "60", "--linger", "120"]
    print("$ " + " ".join(cmd))
    errf = open(serr, "w")
    tx = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=errf, text=True)
    rx = None

    def wait_for(text, timeout):
        end = time.time() + timeout
        while time.time() < end:
            if text in open(serr).read():
                return True
            if tx.poll() is not None or (rx is not None and rx.poll() is not None):
                return False
            time.sleep(0.1)
        return False

    try:
        if not wait_for("waiting up to", 60):
            fail("memif sender: never got ready: %s" % open(serr).read()[-1500:])
            return
        rx_eal = eal("memif_rcv", ["net_memif0,role=client," + vargs], "0@0,1@1,2@1")
        rcmd = [a.darkcap] + rx_eal + ["--"] + stats_opts(a, rx_eal, []) + table_opts([]) + [
            "--output", out, "--interval", "60", "--workers", "2", "--rx-queues", "2"]
        print("$ " + " ".join(rcmd))
        rx = subprocess.Popen(rcmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # net_memif forgets its counters when the peer disconnects: darkcap
        # is stopped once everything is sent, while the sender still holds
        # the connection (it lingers until the link drops).
        if not wait_for("lingering", 300):
            fail("memif sender: did not finish sending: %s" % open(serr).read()[-1500:])
            return
        time.sleep(1)
        rx.send_signal(signal.SIGINT)
        so, err = rx.communicate(timeout=120)
        so_tx, _ = tx.communicate(timeout=60)
    finally:
        for p in (rx, tx):
            if p is not None and p.poll() is None:
                p.send_signal(signal.SIGINT)
                try:
                    p.communicate(timeout=30)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.communicate()
        errf.close()
        shutil_rm_prefix("memif_snd")
        shutil_rm_prefix("memif_rcv")
    if rx.returncode != 0:
        fail("memif_sender: darkcap exit %d: %s" % (rx.returncode, err[-1500:]))
        return
    if tx.returncode != 0:
        fail("memif_sender: sender exit %d: %s" % (tx.returncode, open(serr).read()[-1500:]))
        return
    check_exact_log(err, label)
    js = json.loads(so_tx.strip().splitlines()[-1])
    recs = load_out(out)
    counted = sum(r["packets"] for r in recs)
    ports = recs[-1]["ports"] if recs else []
    received = sum(p["received"] for p in ports)
    missed = sum(p["missed"] for p in ports)
    drops = missed + sum(p["errors"] + p["no_mbuf"] for p in ports)
    print("memif_sender: sender %s" % json.dumps(js))
    if (js["sent"], js["bytes"], js["loops"]) != (total["packets"], total["bytes"], 1):
        fail("memif_sender: sender sent %d packets, %d bytes, %d loops; the file has %d, %d"
             % (js["sent"], js["bytes"], js["loops"], total["packets"], total["bytes"]))
    if (js["port"]["opackets"], js["port"]["obytes"], js["port"]["oerrors"]) != (js["sent"], js["bytes"], 0):
        fail("memif_sender: sender port %s, sent %d packets %d bytes" % (js["port"], js["sent"], js["bytes"]))
    if [(q["sent"], q["bytes"]) for q in js["queues"]] != list(zip(qframes, qbytes)):
        fail("memif_sender: queues %s, want frames %s bytes %s (round robin)" % (js["queues"], qframes, qbytes))
    if counted != received:
        fail("memif_sender: darkcap counted %d packets, its port received %d" % (counted, received))
    if drops == 0:
        if received != js["sent"]:
            fail("memif_sender: darkcap received %d, the sender sent %d" % (received, js["sent"]))
    else:
        # memif pushes back on a full ring rather than drop; should a port
        # ever drop, the drops must make up the difference.
        print("memif_sender: NOTE: darkcap's port dropped %d frames (missed %d)" % (drops, missed))
        if received + missed != js["sent"]:
            fail("memif_sender: received %d + missed %d != sent %d" % (received, missed, js["sent"]))
    for r in recs:
        if r.get("late", 0) or any(r["table_full"].values()):
            fail("memif_sender: record %d: late %s, table_full %s" % (r["start"], r.get("late"), r["table_full"]))
    checked = 0
    for k in SCALARS:
        got = sum(r[k] for r in recs)
        checked += 1
        if (got != total[k]) if drops == 0 else (got > total[k]):
            fail("memif_sender: sum of %s over records %d, truth total %d" % (k, got, total[k]))
    for m in MAPS:
        got = {}
        for r in recs:
            for key, v in r[m].items():
                got[key] = got.get(key, 0) + v
        checked += 1
        if drops == 0 and nonzero(got) != nonzero(total[m]):
            diff = {key: (got.get(key), total[m].get(key)) for key in set(got) | set(total[m])
                    if got.get(key, 0) != total[m].get(key, 0)}
            fail("memif_sender: %s totals differ (got, truth): %s" % (m, dict(list(diff.items())[:8])))
    # Distinct sources per day (all records of this run in one UTC day, the
    # generated traffic in one day too), and per record when there is one.
    days = [r["day"] for r in recs if "day" in r]
    if drops == 0 and len(total["days"]) == 1 and len({r["start"] // 86400 for r in recs}) == 1 and days:
        for k in ("unique_sources", "mirai_unique_sources", "zmap_unique_sources", "masscan_unique_sources"):
            checked += 1
            if days[-1][k] != total["days"][0][k]:
                fail("memif_sender: day %s = %d, truth %d" % (k, days[-1][k], total["days"][0][k]))
    busy = [r for r in recs if r["packets"]]
    if drops == 0 and len(busy) == 1:
        for k in ("unique_sources", "unique_destinations"):
            checked += 1
            if busy[0][k] != total[k]:
                fail("memif_sender: %s = %d, truth %d" % (k, busy[0][k], total[k]))
    for k in ("non_ip", "malformed", "ipv6", "fragments", "l4_truncated", "tcp_synack"):
        if total[k] == 0:
            fail("memif_sender: generated traffic has no %s" % k)
    print("memif_sender: %d records, %d packets sent on 2 queues (%.4f Mpps, %s retries), received %d, counted %d, %d comparisons with the truth"
          % (len(recs), js["sent"], js["mpps"], [q["retries"] for q in js["queues"]], received, counted, checked))
    memif_peer_leaves(a, pcap, vargs.replace(sock, sock + ".2"), total["packets"])


def memif_peer_leaves(a, pcap, vargs, n):
    # The sender leaves first: net_memif zeroes the client's counters when
    # the peer disconnects; darkcap carries what the port delivered before
    # (logged), so its accounting stays exact and its records' `received`
    # never goes back.
    label = "memif_leaves"
    out = os.path.join(a.workdir, label + ".out.jsonl")
    for path in (out, vargs.split(",")[0][len("socket="):]):
        if os.path.exists(path):
            os.unlink(path)
    tx_eal = eal("memif_lsnd", ["net_memif0,role=server," + vargs], "0@0,1@1")
    # A long linger: darkcap reads the backlog before the sender leaves (DPDK
    # 22.11's memif unmaps the rings under a receive in progress when the
    # peer leaves; docs/HARDWARE.md).
    serr = os.path.join(a.workdir, label + ".sender.err")
    errf = open(serr, "w")
    tx = subprocess.Popen([a.sender] + tx_eal + ["--", "--pcap", pcap, "--loops", "2", "--wait-link", "60",
                                                 "--linger", "3"],
                          stdout=subprocess.PIPE, stderr=errf, text=True)
    rx_eal = eal("memif_lrcv", ["net_memif0,role=client," + vargs], "0@0,1@1")
    rx = None
    try:
        # darkcap (the memif client) only once the sender's socket is up:
        # a client started before it does not connect later (under ASan the
        # sender's start-up can take more than a second)
        end = time.time() + 60
        while "waiting up to" not in open(serr).read() and tx.poll() is None and time.time() < end:
            time.sleep(0.1)
        rcmd = [a.darkcap] + rx_eal + ["--"] + stats_opts(a, rx_eal, []) + table_opts([]) + ["--output", out, "--interval", "1"]
        print("$ " + " ".join(rcmd))
        rx = subprocess.Popen(rcmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        so_tx, _ = tx.communicate(timeout=300)
        errf.close()
        err_tx = open(serr).read()
        time.sleep(2)
        rx.send_signal(signal.SIGINT)
        so, err = rx.communicate(timeout=120)
    finally:
        for p in (rx, tx):
            if p is not None and p.poll() is None:
                p.kill()
                p.communicate()
        shutil_rm_prefix("memif_lsnd")
        shutil_rm_prefix("memif_lrcv")
    if tx.returncode != 0 or rx.returncode != 0:
        fail("%s: sender exit %d, darkcap exit %d: %s %s" % (label, tx.returncode, rx.returncode, err_tx[-500:], err[-800:]))
        return
    js = json.loads(so_tx.strip().splitlines()[-1])
    recs = load_out(out)
    counted = sum(r["packets"] for r in recs)
    rcv = [sum(p["received"] for p in r["ports"]) for r in recs]
    check_exact_log(err, label)
    if "reset its counters" not in err:
        fail("%s: no log line for the counters the driver reset" % label)
    if not (counted == js["sent"] == 2 * n == rcv[-1]):
        fail("%s: counted %d, sent %d, file x2 %d, last record's received %d" % (label, counted, js["sent"], 2 * n, rcv[-1]))
    if rcv != sorted(rcv):
        fail("%s: the records' received went back: %s" % (label, rcv))
    print("%s: sender gone first; %d packets counted = received = sent, across the counter reset" % (label, counted))


def darkcap_stat(a, path, *args):
    tool = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(a.darkcap))), "darkcap-stat", "darkcap-stat")
    p = subprocess.run([tool, "--path", path] + list(args), capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def stat_json(a, path, regex=None):
    rc, so, err = darkcap_stat(a, path, "dump", "--json", "--all", *([regex] if regex else []))
    if rc != 0:
        fail("darkcap-stat dump --json: rc %d: %s" % (rc, err.strip()))
        return None
    return json.loads(so)


def stat_values(d, name, label=None):
    """{label value: value} of a metric in darkcap-stat's JSON (label: the
    first dimension's name), or the single value of a scalar."""
    m = d["metrics"].get(name)
    if m is None:
        fail("segment has no metric %s" % name)
        return {}
    if not m["dims"]:
        return m["value"]
    out = {}
    for v in m["values"]:
        key = tuple(v["labels"][dim["name"]] for dim in m["dims"])
        out[key if len(key) > 1 else key[0]] = v["value"]
    return out


def case_stats_segment(a):
    # The segment after a replay against the interval JSON of the same run:
    # totals = the sum of every record, the interval metrics = the last
    # record, top sources row by row; state stopped; then a live run: live,
    # publishing, check OK; stopped on SIGINT; a restart is a new instance.
    truth, total = gen(a, "stseg", ["--out", os.path.join(a.workdir, "stseg.pcap"), "--interval", "60",
                                    "--packets", "30000", "--seed", "77", "--days", "1"])
    out = os.path.join(a.workdir, "stseg.out.jsonl")
    st = os.path.join(a.workdir, "stseg.stats")
    for f in (out, st):
        if os.path.exists(f):
            os.unlink(f)
    rc, so, err = run_darkcap(a, eal("stseg", ["net_pcap0,rx_pcap=" + os.path.join(a.workdir, "stseg.pcap")]),
                              ["--output", out, "--interval", "60", "--stats-path", st, "--top-sources", "20"])
    if rc != 0:
        fail("stats_segment: darkcap rc %d: %s" % (rc, err[-1500:]))
        return
    recs = [json.loads(l) for l in open(out)]
    d = stat_json(a, st)
    if d is None:
        return
    if d["state"] != "stopped":
        fail("stats_segment: state %s after exit, want stopped" % d["state"])
    if d["snapshot"]["intervals"] != len(recs):
        fail("stats_segment: snapshot says %d intervals, %d records written" % (d["snapshot"]["intervals"], len(recs)))
    last = recs[-1]
    if (d["snapshot"]["interval_start"], d["snapshot"]["interval_end"]) != (last["start"], last["end"]):
        fail("stats_segment: snapshot interval %s..%s, last record %s..%s" % (
            d["snapshot"]["interval_start"], d["snapshot"]["interval_end"], last["start"], last["end"]))
    scal = ["packets", "bytes", "non_ip", "malformed", "ipv4", "ipv6", "fragments", "l4_truncated",
            "tcp_syn", "tcp_synack", "late"]
    checked = 0
    for k in scal + ["mirai", "zmap", "masscan"]:
        get = (lambda r: r["fingerprints"][k]) if k in ("mirai", "zmap", "masscan") else (lambda r: r[k])
        want_total, want_last = sum(get(r) for r in recs), get(last)
        got_total, got_last = stat_values(d, "total/" + k), stat_values(d, "interval/" + k)
        if (got_total, got_last) != (want_total, want_last):
            fail("stats_segment: %s total/interval %s/%s, records say %s/%s" % (k, got_total, got_last, want_total, want_last))
        checked += 2
    if stat_values(d, "total/packets") != total["packets"]:
        fail("stats_segment: total packets %s, generator %s" % (stat_values(d, "total/packets"), total["packets"]))
    for m, key in (("proto_packets", "proto"), ("tcp_dst_port_packets", "tcp_dst_ports"),
                   ("udp_dst_port_packets", "udp_dst_ports"), ("icmp_type_packets", "icmp_types"),
                   ("icmp6_type_packets", "icmp6_types")):
        want = {}
        for r in recs:
            for p_, n in r[key].items():
                want[p_] = want.get(p_, 0) + n
        got = {k: v for k, v in stat_values(d, "total/" + m).items() if v}
        if got != want:
            fail("stats_segment: total/%s differs from the records' sum (%d vs %d entries)" % (m, len(got), len(want)))
        got = {k: v for k, v in stat_values(d, "interval/" + m).items() if v}
        if got != {k: v for k, v in last[key].items() if v}:
            fail("stats_segment: interval/%s differs from the last record" % m)
        checked += 2
    for k in ("unique_sources", "unique_destinations", "unique_flowtuples"):
        if stat_values(d, "interval/" + k) != last[k]:
            fail("stats_segment: interval/%s %s, last record %s" % (k, stat_values(d, "interval/" + k), last[k]))
        checked += 1
    full = stat_values(d, "total/table_full")
    for k in ("sources", "destinations", "flowtuples", "asns"):
        if full[k] != sum(r["table_full"][k] for r in recs):
            fail("stats_segment: total/table_full %s" % k)
    n = stat_values(d, "interval/top_sources_count")
    addrs = stat_values(d, "interval/top_sources_addr")
    rows = stat_values(d, "interval/top_sources")
    if n != len(last["top_sources"]):
        fail("stats_segment: %s top sources, last record has %d" % (n, len(last["top_sources"])))
    for i, t in enumerate(last["top_sources"][:n]):
        got = {"addr": addrs[str(i)]}
        for f in ("packets", "bytes", "mirai", "zmap", "masscan", "dst_ports"):
            got[f] = rows[(str(i), f)]
        got["dst_ports_more"] = bool(rows[(str(i), "dst_ports_more")])
        want = {f: t[f] for f in got}
        if got != want:
            fail("stats_segment: top source %d: %s, record %s" % (i, got, want))
            break
        checked += 1
    fill = stat_values(d, "now/table_fill")
    if (fill[("0", "sources")], fill[("0", "destinations")]) != (last["unique_sources"], last["unique_destinations"]):
        fail("stats_segment: table_fill %s/%s, last record's unique sources/destinations %s/%s (one worker)" % (
            fill[("0", "sources")], fill[("0", "destinations")], last["unique_sources"], last["unique_destinations"]))
    ports = stat_values(d, "total/port")
    if ports[("net_pcap0", "received")] != total["packets"]:
        fail("stats_segment: port received %s, want %s" % (ports[("net_pcap0", "received")], total["packets"]))
    rc, so, err = darkcap_stat(a, st, "check")
    if rc != 2 or "stopped" not in so + err:
        fail("stats_segment: check on a stopped writer: rc %d, %s" % (rc, (so + err).strip()))
    print("stats_segment: %d records, %d values checked against them" % (len(recs), checked))

    # Live: a 1-second interval on a looping input.
    gen(a, "stlive", ["--out", os.path.join(a.workdir, "stlive.pcap"), "--packets", "4000"])
    cmd = [a.darkcap] + eal("stlive", ["net_pcap0,rx_pcap=%s,infinite_rx=1" % os.path.join(a.workdir, "stlive.pcap")],
                              mem=768) + ["--", "--output", os.path.join(a.workdir, "stlive.jsonl"), "--interval", "1",
                                          "--mbuf-size", "9344", "--mbufs-per-queue", "8192", "--stats-path", st]
    ids = []
    for run in range(2):
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(3.5)
        d1 = stat_json(a, st, "^total/packets$")
        time.sleep(1.5)
        d2 = stat_json(a, st, "^total/packets$")
        rc, so, err = darkcap_stat(a, st, "check")
        p.send_signal(signal.SIGINT)
        so_, err_ = p.communicate(timeout=60)
        if p.returncode != 0:
            fail("stats_segment: live darkcap rc %d: %s" % (p.returncode, err_[-1500:]))
            return
        if d1 is None or d2 is None:
            return
        ids.append(d2["instance_id"])
        if d2["state"] != "live" or d2["liveness"] != "live":
            fail("stats_segment: live run: state %s, liveness %s" % (d2["state"], d2["liveness"]))
        if not d2["snapshot"]["publish"] > d1["snapshot"]["publish"]:
            fail("stats_segment: live run: publishes did not advance (%s then %s)" % (d1["snapshot"]["publish"], d2["snapshot"]["publish"]))
        if not stat_values(d2, "total/packets") > stat_values(d1, "total/packets") > 0:
            fail("stats_segment: live run: total packets did not grow")
        if rc != 0 or not so.startswith("OK"):
            fail("stats_segment: check on a live writer: rc %d, %s" % (rc, (so + err).strip()))
        d3 = stat_json(a, st, "^total/packets$")
        if d3 is None or d3["state"] != "stopped":
            fail("stats_segment: after SIGINT: state %s" % (d3 or {}).get("state"))
    if len(ids) == 2 and ids[0] == ids[1]:
        fail("stats_segment: a restarted darkcap kept the instance id")
    print("stats_segment: live runs ok, instances %s" % ", ".join(ids))


def report_hll_estimate(reg):
    # darkcap-report's estimator (tests/report checks it against lib/sketch)
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, os.path.join(here, "..", "..", "tools", "report"))
    import darkcap_report
    return darkcap_report.hll_estimate(reg)


def gen_store_mod():
    # tests/report/gen_store.py (store fixtures shared with the report tests)
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "report")
    if here not in sys.path:
        sys.path.insert(0, here)
    sys.dont_write_bytecode = True
    import gen_store
    return gen_store


def store_migration(a, db):
    # A version-1 store (this one taken back to schema 1: no signature
    # tables, no day_icmp_types) opened by darkcap is migrated in place: the
    # new tables appear, meta records the step, every other row stays.
    import sqlite3
    v1 = gen_store_mod().downgrade(db, os.path.join(a.workdir, "store.v1.db"), 1)
    dst = sqlite3.connect(v1)
    tables = ("intervals", "day_ports", "day_countries", "day_totals", "day_fp_sources", "day_sketches", "day_asns")
    before = {t: dst.execute("SELECT count(*) FROM %s" % t).fetchone()[0] for t in tables}
    dst.close()
    empty = os.path.join(a.workdir, "store.empty.pcap")
    with open(empty, "wb") as f:
        f.write(bytes.fromhex("d4c3b2a1020004000000000000000000ffff000001000000"))
    rc, so, err = run_darkcap(a, eal("stmig", ["net_pcap0,rx_pcap=" + empty]),
                              ["--output", os.path.join(a.workdir, "store.v1.jsonl"), "--interval", "60",
                               "--store-path", v1, "--store-sensor", "test-sensor"])
    if rc != 0:
        fail("store migration: darkcap rc %d: %s" % (rc, err[-800:]))
        return 0
    if "schema migrated from version 1 to 3" not in err:
        fail("store migration: no log line for the migration: %s" % err[-800:])
    con = sqlite3.connect(v1)
    meta = dict(con.execute("SELECT key, value FROM meta"))
    names = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    after = {t: con.execute("SELECT count(*) FROM %s" % t).fetchone()[0] for t in tables}
    con.close()
    if meta.get("schema_version") != "3" or not meta.get("migrated_from", "").startswith("1 "):
        fail("store migration: meta %s" % meta)
    if "day_icmp_types" not in names:
        fail("store migration: day_icmp_types not created")
    if after != before:
        fail("store migration: rows changed: %s -> %s" % (before, after))
    return 3


class EngineWorld:
    """The generator's truth (every source of every interval, --top 100000
    --source-detail) in the shape gen_store.World.expected() reads, so the
    report's tables are derived from it by the same independent rules as
    tests/report use. Days are UTC days. A source's country and AS come from
    GEO_SPEC / AS_SPEC by longest prefix; a fingerprint source's day row sums
    the intervals in which it matched a fingerprint (docs/STORE.md), its
    ports merged in arrival order, 8 at most, then "+"."""
    sensors = 1

    def __init__(self, truth):
        self.t_ports, self.t_cc, self.t_tot, self.data_days = {}, {}, {}, set()
        cc_of, as_of, fp = {}, {}, {}
        for t in truth:
            if not t["packets"]:
                continue
            d = time.strftime("%Y-%m-%d", time.gmtime(t["start"]))
            self.data_days.add(d)
            tot = self.t_tot.setdefault(d, {"packets": 0, "mirai": 0, "msrc": set()})
            tot["packets"] += t["packets"]
            tot["mirai"] += t["fingerprints"].get("mirai", 0)
            for proto, key in (("tcp", "tcp_dst_ports"), ("udp", "udp_dst_ports")):
                for p_, n in t[key].items():
                    s_ = self.t_ports.setdefault((proto, int(p_)), {})
                    s_[d] = s_.get(d, 0) + n
            icmp = t["proto"].get("1", 0) + t["proto"].get("58", 0)
            if icmp:
                s_ = self.t_ports.setdefault(("icmp", -1), {})
                s_[d] = s_.get(d, 0) + icmp
            if len(t["top_sources"]) != t["unique_sources"]:
                raise SystemExit("report_e2e: the truth lists %d of %d sources" % (len(t["top_sources"]), t["unique_sources"]))
            for x in t["top_sources"]:
                ad = x["addr"]
                if ad not in cc_of:
                    cc = geo_country_of(ad)
                    cc_of[ad] = "??" if cc == "unknown" else cc
                    as_of[ad] = geo_as_of(ad)[0]
                cc = cc_of[ad]
                c = self.t_cc.setdefault((d, cc), {"packets": 0, "mirai": 0, "src": set(), "msrc": set()})
                c["packets"] += x["packets"]
                c["mirai"] += x["mirai"]
                c["src"].add(ad)
                if x["mirai"]:
                    c["msrc"].add(ad)
                    tot["msrc"].add(ad)
                if x["mirai"] or x["zmap"] or x["masscan"]:
                    f = fp.get((d, ad))
                    if f is None:
                        f = fp[(d, ad)] = {"packets": 0, "mirai": 0, "first": x["first"], "last": x["last"],
                                           "ports": [], "more": False}
                    f["packets"] += x["packets"]
                    f["mirai"] += x["mirai"]
                    f["first"] = min(f["first"], x["first"])
                    f["last"] = max(f["last"], x["last"])
                    for p_ in x["ports"]:
                        if p_ not in f["ports"]:
                            if len(f["ports"]) < 8:
                                f["ports"].append(p_)
                            else:
                                f["more"] = True
                    f["more"] = f["more"] or x["dst_ports_more"]
        for v in self.t_cc.values():
            n, m = len(v.pop("src")), len(v.pop("msrc"))
            v.update(stored_sources=[n], stored_mirai_sources=[m], sensor_sources=[n], sensor_mirai_sources=[m],
                     union_sources=n, union_mirai_sources=m, est=False)
        for v in self.t_tot.values():
            m = len(v.pop("msrc"))
            v.update(stored_mirai_sources=[m], sensor_mirai_sources=[m], union_mirai_sources=m)
        self.t_fp = [(d, 0, cc_of[ad], ad, as_of[ad], f["packets"], f["mirai"], f["first"], f["last"],
                      " ".join(str(p_) for p_ in f["ports"]) + (" +" if f["more"] else ""))
                     for (d, ad), f in fp.items()]
        # Payload signatures per (day, id): packets, name, family, ports,
        # the set of sources (the truth lists every one).
        self.sig_day = {}
        for t in truth:
            d = time.strftime("%Y-%m-%d", time.gmtime(t["start"]))
            for sid, v in t.get("signatures", {}).items():
                x = self.sig_day.setdefault((d, int(sid)), {"packets": 0, "name": v["name"], "family": v["family"],
                                                            "ports": {}, "src": set()})
                x["packets"] += v["packets"]
                x["src"].update(v["sources"])
                for k, n in v["ports"].items():
                    proto, port = k.split("/")
                    x["ports"][(proto, int(port))] = x["ports"].get((proto, int(port)), 0) + n

    def expected_sigs(self, E, period, prev_days, prev, top_ports, port_pk):
        """The report's signature tables from the truth, by the rules of
        gen_store (sig_family_sums, sig_tables): a family's distinct sources
        of a day are the union over its signatures (the truth lists them)."""
        import gen_store
        agg = gen_store.sig_family_sums(((d, sid, v) for (d, sid), v in self.sig_day.items()), period, prev_days)
        src = {}
        for (d, fam), vs in agg["by_day"].items():
            day = set().union(*(v["src"] for v in vs))
            if len(day) >= gen_store.SPARSE_MAX:
                raise SystemExit("report_e2e: a family's day has %d sources: sketches would be dense" % len(day))
            src[fam] = src.get(fam, 0) + len(day)
        gen_store.sig_tables(E, agg, src, {}, prev, top_ports, port_pk)

def case_report_e2e(a):
    # Two quarters of generated traffic through the engine into the store,
    # then darkcap-report: every table (ranks, previous ranks, daily values,
    # 7-day averages, shares, cumulative distinct sources and ranks, the
    # Mirai source CSV) equals what the generator's truth gives, in English
    # and Japanese; two sensors' stores (the same stream split round robin,
    # so most sources are seen by both) merged by the report give the same
    # tables as one store fed the whole stream.
    import sqlite3
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, os.path.join(here, "..", "report"))
    sys.dont_write_bytecode = True
    import gen_store
    import test_report as tr
    report = os.path.join(here, "..", "..", "tools", "report", "darkcap_report.py")
    dbs = make_geo_dbs(a)
    if dbs is None:
        return
    mmdb, asdb = dbs
    g = ["--start", "2022-01-01T00:00:00Z", "--days", "181", "--packets", "240000", "--interval", "3600",
         "--seed", "2026", "--top", "100000", "--source-detail"]
    truth, total = gen(a, "e2e", ["--out", os.path.join(a.workdir, "e2e.pcap")] + g)
    _t2, total2 = gen(a, "e2e_split", ["--out", os.path.join(a.workdir, "e2e_a.pcap") + "," +
                                       os.path.join(a.workdir, "e2e_b.pcap"), "--split", "rr"] + g)
    if (total2["packets"], total2["unique_sources"]) != (total["packets"], total["unique_sources"]):
        fail("report_e2e: the split stream differs from the whole one")
        return
    stores = {}
    for name, pcap in (("all", "e2e.pcap"), ("a", "e2e_a.pcap"), ("b", "e2e_b.pcap")):
        db = os.path.join(a.workdir, "e2e_%s.db" % name)
        out = os.path.join(a.workdir, "e2e_%s.jsonl" % name)
        for f in (db, db + "-wal", db + "-shm", out):
            if os.path.exists(f):
                os.unlink(f)
        rc, so, err = run_darkcap(a, eal("e2e" + name, ["net_pcap0,rx_pcap=" + os.path.join(a.workdir, pcap)], mem=768),
                                  ["--output", out, "--interval", "3600", "--geo-country", mmdb, "--geo-asn", asdb,
                                   "--store-path", db, "--store-sensor", "sensor-" + name, "--top-sources", "10"],
                                  timeout=600)
        if rc != 0:
            fail("report_e2e: darkcap on %s: rc %d: %s" % (pcap, rc, err[-1500:]))
            return
        stores[name] = db
    w = EngineWorld(truth)
    jp = sum(1 for r in w.t_fp if r[2] == "JP" and r[6] and "2022-04-01" <= r[0] <= "2022-06-30")
    print("report_e2e: %d days, %d packets, %d Mirai source-days of JP in Q2" % (len(w.data_days), total["packets"], jp))
    if jp == 0:
        fail("report_e2e: the capture has no JP Mirai sources in Q2: the source list would not be tested")
    Q1, Q2 = ("2022-01-01", "2022-03-31"), ("2022-04-01", "2022-06-30")
    outs = {}
    for tag, lang, dbl in (("one store, en", "en", [stores["all"]]), ("one store, ja", "ja", [stores["all"]]),
                           ("two stores merged, en", "en", [stores["a"], stores["b"]])):
        out = os.path.join(a.workdir, "e2e_report_%d" % len(outs))
        if os.path.isdir(out):
            import shutil
            shutil.rmtree(out)
        cmd = [sys.executable, report, "--from", Q2[0], "--to", Q2[1], "--country", "JP", "--lang", lang,
               "--out", out] + dbl
        print("$ " + " ".join(cmd))
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode != 0:
            fail("report_e2e: %s: darkcap-report rc %d: %s" % (tag, p.returncode, p.stderr[-800:]))
            return
        outs[tag] = out
        if len(dbl) == 1:
            E = gen_store.World.expected(w, *Q2, prev=Q1, top=5, country="JP")
            before = tr.tally.failed
            tr.check_report(out, E, lang, False, "JP", "report_e2e " + tag, w)
            tr.check_html(os.path.join(out, "report.html"), "report_e2e %s html" % tag, 18,
                          os.path.join(a.workdir, "e2e_%s.png" % lang) if lang == "en" else None)
            if tr.tally.failed != before:
                fail("report_e2e: %s: %d report values differ from the truth (FAIL lines above)" % (tag, tr.tally.failed - before))
    # two sensors merged == one store fed both captures: every CSV the same
    one, two = outs["one store, en"], outs["two stores merged, en"]
    names = sorted(f for f in os.listdir(one) if f.endswith(".csv"))
    if names != sorted(f for f in os.listdir(two) if f.endswith(".csv")):
        fail("report_e2e: the merged report wrote other CSV files")
    same = 0
    for f in names:
        x, y = open(os.path.join(one, f)).read(), open(os.path.join(two, f)).read()
        if f.startswith("mirai_sources_"):
            # A sensor keeps a source's day row from the intervals in which
            # IT saw the source match a fingerprint (docs/STORE.md), so merged
            # rows have exact Mirai packets and days, and packets, first/last
            # seen and ports from the matching intervals of each sensor only.
            rx = {r["addr"]: r for r in csv.DictReader(x.splitlines())}
            ry = {r["addr"]: r for r in csv.DictReader(y.splitlines())}
            if set(rx) != set(ry):
                fail("report_e2e: %s: %d addresses in one store, %d merged" % (f, len(rx), len(ry)))
                continue
            bad = [ad for ad in rx if any(rx[ad][k] != ry[ad][k] for k in ("asn", "days", "mirai_packets")) or
                   int(ry[ad]["packets"]) > int(rx[ad]["packets"]) or
                   int(ry[ad]["packets"]) < int(ry[ad]["mirai_packets"]) or
                   ry[ad]["first_seen"] < rx[ad]["first_seen"] or ry[ad]["last_seen"] > rx[ad]["last_seen"]]
            if bad:
                fail("report_e2e: %s: %d rows disagree, e.g. %s vs %s" % (f, len(bad), rx[bad[0]], ry[bad[0]]))
            else:
                same += 1
            continue
        if x != y:
            xl, yl = x.splitlines(), y.splitlines()
            diff = [(u, v) for u, v in zip(xl, yl) if u != v][:2]
            fail("report_e2e: %s differs between one store and two merged: %s" % (f, diff or (len(xl), len(yl))))
        else:
            same += 1
    # the two stores really overlap: most sources were seen by both sensors
    con_a, con_b = sqlite3.connect(stores["a"]), sqlite3.connect(stores["b"])
    both = len({r[0] for r in con_a.execute("SELECT addr FROM day_fp_sources")} &
               {r[0] for r in con_b.execute("SELECT addr FROM day_fp_sources")})
    con_a.close()
    con_b.close()
    if both == 0:
        fail("report_e2e: no fingerprint source is in both sensors' stores: the merge is not exercised")
    print("report_e2e: %d report checks passed; %d CSV files equal for one store and two merged; "
          "%d fingerprint sources seen by both sensors" % (tr.tally.passed, same, both))


def case_store(a):
    # The store against the generator's truth: every interval row equals
    # its JSON record; per UTC day, packets, ports and ICMP add up to the
    # truth's intervals, distinct sources (all and per fingerprint) equal
    # the truth's days, fingerprint sources account for every Mirai packet;
    # Asia/Tokyo days regroup the same intervals; a kill -9 leaves a database
    # that opens with every committed interval intact; a slow store drops
    # intervals with a count, never silently.
    import sqlite3
    truth, total = gen(a, "store", ["--out", os.path.join(a.workdir, "store.pcap"), "--interval", "60",
                                    "--packets", "30000", "--seed", "91", "--days", "2"])
    pcap = os.path.join(a.workdir, "store.pcap")
    checked = 0
    for tz, off in (("UTC", 0), ("Asia/Tokyo", 9 * 3600)):
        db = os.path.join(a.workdir, "store.%s.db" % tz.replace("/", "_"))
        out = os.path.join(a.workdir, "store.out.jsonl")
        for f in (db, db + "-wal", db + "-shm", out):
            if os.path.exists(f):
                os.unlink(f)
        rc, so, err = run_darkcap(a, eal("store", ["net_pcap0,rx_pcap=" + pcap]),
                                  ["--output", out, "--interval", "60", "--store-path", db,
                                   "--store-timezone", tz, "--store-sensor", "test-sensor"])
        if rc != 0:
            fail("store: darkcap rc %d: %s" % (rc, err[-1500:]))
            return
        recs = {r["start"]: r for r in (json.loads(l) for l in open(out))}
        con = sqlite3.connect(db)
        meta = dict(con.execute("SELECT key, value FROM meta"))
        if (meta.get("schema_version"), meta.get("timezone"), meta.get("sensor")) != ("3", tz, "test-sensor"):
            fail("store: meta %s" % meta)
        rows = con.execute("SELECT start, end, packets, bytes, tcp_syn, mirai, zmap, masscan, unique_sources FROM intervals").fetchall()
        for r in rows:
            j = recs.get(r[0])
            want = j and (j["start"], j["end"], j["packets"], j["bytes"], j["tcp_syn"], j["fingerprints"]["mirai"],
                          j["fingerprints"]["zmap"], j["fingerprints"]["masscan"], j["unique_sources"])
            if tuple(r) != want:
                fail("store %s: interval row %s, JSON %s" % (tz, r, want))
                break
        if sum(r[2] for r in rows) != total["packets"]:
            fail("store %s: intervals hold %d packets, truth %d" % (tz, sum(r[2] for r in rows), total["packets"]))
        # per local day, from the truth's intervals
        def dayof(t):
            return time.strftime("%Y-%m-%d", time.gmtime(t + off))
        want_pk, want_ports, want_icmp = {}, {}, {}
        for t in truth:
            d = dayof(t["start"])
            want_pk[d] = want_pk.get(d, 0) + t["packets"]
            for fam, key in ((4, "icmp_types"), (6, "icmp6_types")):
                for ty, n in t[key].items():
                    want_icmp[(d, fam, int(ty))] = want_icmp.get((d, fam, int(ty)), 0) + n
            for proto, key in (("tcp", "tcp_dst_ports"), ("udp", "udp_dst_ports")):
                for p_, n in t[key].items():
                    want_ports[(d, proto, int(p_))] = want_ports.get((d, proto, int(p_)), 0) + n
            icmp = t["proto"].get("1", 0) + t["proto"].get("58", 0)
            if icmp:
                want_ports[(d, "icmp", -1)] = want_ports.get((d, "icmp", -1), 0) + icmp
        want_pk = {d: n for d, n in want_pk.items() if n}
        got_pk = dict(con.execute("SELECT day, packets FROM day_totals"))
        if got_pk != want_pk:
            fail("store %s: day packets %s, truth %s" % (tz, got_pk, want_pk))
        got_ports = {(d, p_, n): v for d, p_, n, v in con.execute("SELECT day, proto, port, packets FROM day_ports")}
        if got_ports != want_ports:
            fail("store %s: day_ports differ from the truth (%d vs %d rows)" % (tz, len(got_ports), len(want_ports)))
        got_icmp = {(d, f_, ty): v for d, f_, ty, v in con.execute("SELECT day, family, type, packets FROM day_icmp_types")}
        if got_icmp != want_icmp:
            diff = sorted(k for k in set(got_icmp) | set(want_icmp) if got_icmp.get(k) != want_icmp.get(k))
            fail("store %s: day_icmp_types differ from the truth at %s" % (tz, [(k, got_icmp.get(k), want_icmp.get(k)) for k in diff[:5]]))
        if len({k[2] for k in want_icmp}) < 8:
            fail("store %s: the truth has only %d ICMP types: the test would not see a type mix-up" % (tz, len({k[2] for k in want_icmp})))
        checked += len(got_ports) + len(got_pk) + len(got_icmp)
        if tz == "UTC":
            checked += store_migration(a, db)
        if tz == "UTC":
            for d in total["days"]:
                row = con.execute("SELECT sources, mirai_sources, zmap_sources, masscan_sources, mirai, estimated "
                                  "FROM day_totals WHERE day = ?", (d["date"],)).fetchone()
                want = (d["unique_sources"], d["mirai_unique_sources"], d["zmap_unique_sources"],
                        d["masscan_unique_sources"])
                if row is None or tuple(row[:4]) != want or row[5] != 0:
                    fail("store: day %s distinct sources %s, truth %s" % (d["date"], row, want))
                    continue
                fp = con.execute("SELECT count(*), sum(mirai) FROM day_fp_sources WHERE day = ? AND mirai > 0",
                                 (d["date"],)).fetchone()
                if fp != (d["mirai_unique_sources"], row[4]):
                    fail("store: day %s Mirai sources listed %s, want %s sources and %s packets" % (
                        d["date"], fp, d["mirai_unique_sources"], row[4]))
                sk = con.execute("SELECT length(registers) FROM day_sketches WHERE day = ? AND country = '*' AND kind = 'all'",
                                 (d["date"],)).fetchone()
                if sk is None or (sk[0] != 16384 and sk[0] // 8 != d["unique_sources"]):
                    fail("store: day %s sketch %s for %d sources" % (d["date"], sk, d["unique_sources"]))
                checked += 4
            comp = dict(con.execute("SELECT day, complete FROM day_totals"))
            if comp != {d["date"]: 1 for d in total["days"]}:
                fail("store: complete flags %s (both UTC days were covered whole)" % comp)
        con.close()
    print("store: %d values checked against the truth" % checked)

    # kill -9 in the middle of a live capture; sketches checkpointed each second
    _, live_total = gen(a, "stlive2", ["--out", os.path.join(a.workdir, "stlive2.pcap"), "--packets", "4000"])
    db = os.path.join(a.workdir, "store.kill.db")
    out = os.path.join(a.workdir, "store.kill.jsonl")
    for f in (db, db + "-wal", db + "-shm", out):
        if os.path.exists(f):
            os.unlink(f)
    base = [a.darkcap] + eal("stkill", ["net_pcap0,rx_pcap=%s,infinite_rx=1" % os.path.join(a.workdir, "stlive2.pcap")],
                               mem=768) + ["--", "--interval", "1", "--mbuf-size", "9344", "--mbufs-per-queue", "8192",
                                           "--stats-path", "off", "--store-path", db]
    p = subprocess.Popen(base + ["--output", out, "--store-checkpoint", "1"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    time.sleep(4)
    p.kill()
    p.communicate(timeout=60)
    shutil_rm_prefix("stkill")
    con = sqlite3.connect(db)
    ok = con.execute("PRAGMA integrity_check").fetchone()[0]
    rows = con.execute("SELECT start, packets FROM intervals").fetchall()
    sk = con.execute("SELECT registers FROM day_sketches WHERE country = '*' AND kind = 'all'").fetchall()
    con.close()
    recs = {r["start"]: r for r in (json.loads(l) for l in open(out))}
    # the file loops many times a second, so every checkpoint holds all its sources
    want = sum(d["unique_sources"] for d in live_total["days"]) if len(live_total["days"]) == 1 else None
    if not sk:
        fail("store: after kill -9: no day sketch was checkpointed")
    elif want is not None:
        reg = sk[-1][0]
        if len(reg) < 16384:
            if len(reg) // 8 != want:
                fail("store: after kill -9: the checkpointed sketch lists %d sources, the capture has %d" % (len(reg) // 8, want))
        else:
            est = report_hll_estimate(reg)
            if abs(est - want) > 0.03 * want:
                fail("store: after kill -9: the checkpointed sketch estimates %d sources, the capture has %d" % (est, want))
    if ok != "ok" or not rows:
        fail("store: after kill -9: integrity %s, %d intervals" % (ok, len(rows)))
    for s_, n in rows:
        if s_ not in recs or recs[s_]["packets"] != n:
            fail("store: after kill -9: interval %d has %d packets, JSON %s" % (s_, n, recs.get(s_, {}).get("packets")))
            break
    print("store: kill -9: integrity ok, %d intervals intact" % len(rows))

    # a slow store: counted as delayed, then dropped, never silently
    db = os.path.join(a.workdir, "store.slow.db")
    for f in (db, db + "-wal", db + "-shm", out):
        if os.path.exists(f):
            os.unlink(f)
    st = os.path.join(a.workdir, "store.slow.stats")
    p = subprocess.Popen(base[:-1] + [db, "--output", out, "--store-delay-ms", "2500", "--store-queue", "1",
                                      "--stats-path", st],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(6)
    p.send_signal(signal.SIGINT)
    so, err = p.communicate(timeout=120)
    m = re.search(r"(\d+) intervals written, (\d+) delayed, (\d+) dropped", err)
    nrec = sum(1 for _ in open(out))
    if not m:
        fail("store: slow store: no counts in the log: %s" % err[-800:])
        return
    w, dl, dr = (int(x) for x in m.groups())
    con = sqlite3.connect(db)
    nrows = con.execute("SELECT count(*) FROM intervals").fetchone()[0]
    con.close()
    if dr == 0 or dl == 0 or w + dr != nrec or nrows != w or "dropped (store_dropped counts it)" not in err:
        fail("store: slow store: written %d delayed %d dropped %d, %d records, %d rows" % (w, dl, dr, nrec, nrows))
    d = stat_json(a, st, "store")
    if d is not None:
        seg = stat_values(d, "total/store")
        if (seg["written"], seg["delayed"], seg["dropped"], stat_values(d, "now/store_queued")) != (w, dl, dr, 0):
            fail("store: slow store: the statistics segment says %s, the log %d/%d/%d" % (seg, w, dl, dr))
    print("store: slow store: %d records = %d written + %d dropped (%d delayed)" % (nrec, w, dr, dl))


def case_store_migrate3(a):
    # Schema version 3 (the payload signature tables) with the real darkcap:
    # a store darkcap wrote, taken back to version 2 (its four signature
    # tables dropped) and to version 1 (day_icmp_types dropped too), is
    # migrated in place by the next run, in one step from either version:
    # the log line, meta schema_version 3 and migrated_from, the tables
    # back, every other row kept. A store of another zone is refused first
    # and left at its version.
    import sqlite3
    pcap = os.path.join(a.workdir, "stmig3.pcap")
    gen(a, "stmig3", ["--out", pcap, "--interval", "60", "--packets", "3000", "--seed", "93"])
    db = os.path.join(a.workdir, "stmig3.db")
    out = os.path.join(a.workdir, "stmig3.jsonl")
    for f in (db, db + "-wal", db + "-shm", out):
        if os.path.exists(f):
            os.unlink(f)
    rc, so, err = run_darkcap(a, eal("stmig3", ["net_pcap0,rx_pcap=" + pcap]),
                              ["--output", out, "--interval", "60", "--store-path", db, "--store-sensor", "test-sensor"])
    if rc != 0:
        fail("store v3 migration: darkcap rc %d: %s" % (rc, err[-800:]))
        return
    empty = os.path.join(a.workdir, "stmig3.empty.pcap")
    with open(empty, "wb") as f:
        f.write(bytes.fromhex("d4c3b2a1020004000000000000000000ffff000001000000"))
    gen_store = gen_store_mod()
    sig_tables = gen_store.SIG_TABLES
    tables = ("intervals", "day_ports", "day_countries", "day_totals", "day_fp_sources", "day_sketches", "day_asns")
    checked = 0
    for version in (2, 1):
        old = gen_store.downgrade(db, os.path.join(a.workdir, "stmig3.v%d.db" % version), version)
        dst = sqlite3.connect(old)
        before = {t: dst.execute("SELECT count(*) FROM %s" % t).fetchone()[0] for t in tables}
        dst.close()
        if before["intervals"] == 0 or before["day_sketches"] == 0:
            fail("store v3 migration: the version-%d store is empty: %s" % (version, before))
        opts = ["--output", os.path.join(a.workdir, "stmig3.v%d.jsonl" % version), "--interval", "60",
                "--store-path", old, "--store-sensor", "test-sensor"]
        rc, so, err = run_darkcap(a, eal("stmig3z", ["net_pcap0,rx_pcap=" + empty]),
                                  opts + ["--store-timezone", "Asia/Tokyo"])
        con = sqlite3.connect(old)
        v = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0]
        con.close()
        if rc == 0 or "another time zone" not in err or v != str(version):
            fail("store v3 migration: a version-%d store of another zone: rc %d, version now %s: %s"
                 % (version, rc, v, err[-400:]))
        rc, so, err = run_darkcap(a, eal("stmig3", ["net_pcap0,rx_pcap=" + empty]), opts)
        if rc != 0:
            fail("store v3 migration: version %d: darkcap rc %d: %s" % (version, rc, err[-800:]))
            continue
        if "schema migrated from version %d to 3" % version not in err:
            fail("store v3 migration: version %d: no log line for the migration: %s" % (version, err[-800:]))
        con = sqlite3.connect(old)
        meta = dict(con.execute("SELECT key, value FROM meta"))
        names = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        after = {t: con.execute("SELECT count(*) FROM %s" % t).fetchone()[0] for t in tables}
        con.close()
        if meta.get("schema_version") != "3" or not meta.get("migrated_from", "").startswith("%d " % version):
            fail("store v3 migration: version %d: meta %s" % (version, meta))
        if not set(sig_tables) <= names or "day_icmp_types" not in names:
            fail("store v3 migration: version %d: tables %s" % (version, sorted(names)))
        if after != before:
            fail("store v3 migration: version %d: rows changed: %s -> %s" % (version, before, after))
        checked += 5
    print("store v3 migration: %d checks" % checked)


def shutil_rm_prefix(name):
    import glob
    import shutil
    for d in glob.glob("/var/run/dpdk/dctest_%s_*" % name):
        shutil.rmtree(d, ignore_errors=True)


def case_config_documented(a):
    # Every key darkcap knows is documented in docs/CONFIG.md, and the
    # shipped example config is what --dump-config prints.
    here = os.path.dirname(os.path.abspath(__file__))
    p = subprocess.run([a.darkcap, "--", "--dump-config"], capture_output=True, text=True)
    if p.returncode != 0:
        fail("--dump-config: exit %d" % p.returncode)
        return
    keys = re.findall(r"^#? ?([a-z_]+) = ", p.stdout, re.M)
    doc = open(os.path.join(here, "..", "..", "docs", "CONFIG.md")).read()
    for k in keys:
        if "| `%s` |" % k not in doc:
            fail("key %s is not documented in docs/CONFIG.md" % k)
    example = open(os.path.join(here, "..", "..", "docs", "darkcap.conf.example")).read()
    dump = re.sub(r"(drivers_cfg_dir = ).*", r"\1", p.stdout)
    if re.sub(r"(drivers_cfg_dir = ).*", r"\1", example) != dump:
        fail("docs/darkcap.conf.example differs from darkcap -- --dump-config (regenerate it)")
    if len(keys) < 15:
        fail("only %d keys found in --dump-config" % len(keys))
    print("config: %d keys documented" % len(keys))


def expect_error(a, label, eal_args, opts, must, pre_eal):
    rc, so, err = run_darkcap(a, eal_args, opts, timeout=60)
    lines = [l for l in err.splitlines() if l.strip()]
    if rc in (0,) or rc < 0 or rc >= 128:
        fail("%s: exit %d, expected a clean non-zero exit" % (label, rc))
    mine = [l for l in lines if l.startswith("darkcap: ")]
    if not mine or must not in mine[-1]:
        fail("%s: expected a 'darkcap: ...%s...' line, stderr was: %s" % (label, must, lines[-5:]))
    if pre_eal and len(lines) != 1:
        fail("%s: expected exactly one line on stderr, got %d: %s" % (label, len(lines), lines[:5]))
    print("%s: rc %d: %s" % (label, rc, mine[-1] if mine else ""))


def case_sig_reload(a):
    # SIGHUP reloads the signature rules while a capture is being counted
    # (a finite pcap, slowed down by a slow control core so the reloads land
    # mid-way): the first reload renames one rule and adds one, the second
    # gives a broken file and must keep the rules in use. Every packet is
    # scanned by exactly one rule set, so the per-signature totals over all
    # records of the rules present in both sets equal the generator's
    # truth, and the counters of the new rule appear only after the reload.
    here = os.path.dirname(os.path.abspath(__file__))
    default = os.path.join(here, "..", "..", "lib", "sig", "rules", "default.rules")
    rules = os.path.join(a.workdir, "reload.rules")
    base = open(default).read()
    with open(rules, "w") as f:
        f.write(base)
    pcap = os.path.join(a.workdir, "sigreload.pcap")
    truth, total = gen(a, "sigreload", ["--out", pcap, "--packets", "60000", "--days", "1", "--seed", "808",
                                        "--interval", "300", "--payload-share", "0.05"])
    want = {k: v["packets"] for k, v in total["signatures"].items()}
    if len(want) < 10:
        fail("sig_reload: the truth exercises only %d signatures" % len(want))
    out = os.path.join(a.workdir, "sigreload.out.jsonl")
    if os.path.exists(out):
        os.unlink(out)
    cmd = [a.darkcap] + eal("sigreload", ["net_pcap0,rx_pcap=" + pcap]) + [
        "--", "--output", out, "--interval", "300", "--ctl-delay-ms", "60", "--signatures", rules,
        "--sig-cache-dir", os.path.join(a.workdir, "sigcache"), "--sig-top", "100000",
        "--stats-path", os.path.join(a.workdir, "sigreload.stats")]
    print("$ " + " ".join(cmd))
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(4)
    with open(rules + ".tmp", "w") as f:
        f.write(base.replace(" sip-options ", " sip-options-v2 ") +
                "\n# added by the reload test: chargen probes (one byte)\n"
                "3001 chargen-probe chargen-amp udp 19 /\\A\\x01/\n")
    os.replace(rules + ".tmp", rules)
    p.send_signal(signal.SIGHUP)
    time.sleep(4)
    with open(rules + ".tmp", "w") as f:
        f.write(base + "\n9999 broken fam tcp 80 /a(b/\n")
    os.replace(rules + ".tmp", rules)
    p.send_signal(signal.SIGHUP)
    time.sleep(1.5)
    # 1024 rules (the most one load takes), 1006 of them new ids: one more
    # than the run's 1024 signature slots can still take (19 in use). Refused
    # whole, taking no slot (the segment below lists the 19).
    with open(rules + ".tmp", "w") as f:
        f.write(base + "".join("%d many%d fam tcp 1 /many%d/\n" % (50000 + i, i, i) for i in range(1006)))
    os.replace(rules + ".tmp", rules)
    p.send_signal(signal.SIGHUP)
    try:
        so, err = p.communicate(timeout=300)
    except subprocess.TimeoutExpired:
        p.kill()
        so, err = p.communicate()
        fail("sig_reload: darkcap did not finish: %s" % err[-800:])
        return
    if p.returncode != 0:
        fail("sig_reload: exit %d: %s" % (p.returncode, err[-800:]))
        return
    check_exact_log(err, "sig_reload")
    refused = [x.splitlines()[0] for x in err.split("signature reload failed")[1:]]
    if err.count("signatures reloaded") != 1 or len(refused) != 2 or \
            "reload.rules:" not in refused[0] or \
            "would be the 1025-th distinct signature id of this run; at most 1024" not in refused[1]:
        fail("sig_reload: expected one reload and two refused reloads (a bad line, too many ids): %s" % err[-1500:])
    recs = load_out(out)
    got = {}
    names = {}
    first_new = None
    for i, r in enumerate(recs):
        for k, v in r.get("signatures", {}).items():
            got[k] = got.get(k, 0) + v["packets"]
            names.setdefault(k, []).append(v["name"])
            if k == "3001" and first_new is None:
                first_new = i
            if sum(x["packets"] for x in v["ports"]) != v["packets"] or \
                    sum(x["packets"] for x in v["countries"]) != v["packets"]:
                fail("sig_reload: record %d: signature %s ports/countries do not add up to %d" % (
                    r["start"], k, v["packets"]))
    for k, n in want.items():
        if got.get(k, 0) != n:
            fail("sig_reload: signature %s: %d packets over all records, truth %d" % (k, got.get(k, 0), n))
    for k in got:
        if k not in want and k != "3001":
            fail("sig_reload: signature %s counted, not in the truth" % k)
    if first_new is None or first_new == 0:
        fail("sig_reload: the added rule 3001 never counted, or counted from the first record (%s)" % first_new)
    n1001 = names.get("1001", [])
    if not n1001 or n1001[0] != "sip-options" or n1001[-1] != "sip-options-v2":
        fail("sig_reload: rule 1001 was not renamed by the reload: %s" % sorted(set(n1001)))
    # The statistics segment of the same run: per-signature totals = the
    # records' sums (across the reload), names as last loaded, scan counters.
    d = stat_json(a, os.path.join(a.workdir, "sigreload.stats"))
    if d is not None:
        seg = {k: v for k, v in stat_values(d, "total/signature_packets").items() if v}
        if seg != got:
            fail("sig_reload: segment total/signature_packets %s, records %s" % (seg, got))
        cap = stat_values(d, "now/table_capacity")
        if cap.get("signatures") != 65536:
            fail("sig_reload: segment table_capacity of signatures %s, sig_table_max 65536" % cap.get("signatures"))
        seg_names = stat_values(d, "now/signature_name")
        if seg_names.get("1001") != "sip-options-v2":
            fail("sig_reload: segment name of 1001 is %s" % seg_names.get("1001"))
        loaded = [x.split()[0] for x in base.splitlines() if x.strip() and not x.lstrip().startswith("#")]
        if sorted(seg_names) != sorted(loaded + ["3001"]) or not all(seg_names.values()):
            fail("sig_reload: the segment's signatures are not the 19 loaded ones, all named: %d ids, %d unnamed" % (
                len(seg_names), sum(1 for v in seg_names.values() if not v)))
        for k, key in (("payload_packets", "payload_packets"), ("scanned_bytes", "scanned_bytes"),
                       ("matched_packets", "matched_packets")):
            want_k = sum(r["signature_scan"][key] for r in recs)
            # (matched_packets gains the added rule's packets: no truth for it)
            if stat_values(d, "total/signature_" + k) != want_k or \
                    (k != "matched_packets" and total["signature_scan"][key] != want_k):
                fail("sig_reload: %s: segment %s, records %d, truth %s" % (
                    k, stat_values(d, "total/signature_" + k), want_k, total["signature_scan"][key]))
    print("sig_reload: %d records, %d signatures exact over the reloads, 3001 from record %d, bad file refused" % (
        len(recs), len(want), first_new or -1))


def case_bad_inputs(a):
    pcap = os.path.join(a.workdir, "bad.pcap")
    gen(a, "bad", ["--out", pcap, "--packets", "1000"])
    ok_eal = eal("bad", ["net_pcap0,rx_pcap=" + pcap])
    conf = os.path.join(a.workdir, "bad.conf")
    with open(conf, "w") as f:
        f.write("interval = 60\nworkres = 2\n")
    import sqlite3
    notdb = os.path.join(a.workdir, "bad.notdb")
    with open(notdb, "w") as f:
        f.write("this is not a database, it only has a .db-like purpose\n" * 100)
    newer = os.path.join(a.workdir, "bad.newer.db")
    tokyo = os.path.join(a.workdir, "bad.tokyo.db")
    for f_, rows in ((newer, [("schema_version", "99"), ("timezone", "UTC")]),
                     (tokyo, [("schema_version", "1"), ("timezone", "Asia/Tokyo")])):
        if os.path.exists(f_):
            os.unlink(f_)
        con = sqlite3.connect(f_)
        con.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        con.executemany("INSERT INTO meta VALUES (?, ?)", rows)
        con.commit()
        con.close()
    # Rules files: a good one, a bad protocol on line 3, a regex Hyperscan
    # refuses on line 2 (each error names the file and the line).
    rules_ok = os.path.join(a.workdir, "ok.rules")
    rules_bad_proto = os.path.join(a.workdir, "bad_proto.rules")
    rules_bad_re = os.path.join(a.workdir, "bad_re.rules")
    with open(rules_ok, "w") as f:
        f.write("# fine\n5 probe-x test-fam udp any /^XPROBE/\n")
    with open(rules_bad_proto, "w") as f:
        f.write("# comment\n6 fine-one fam udp 53 /^abc/\n8 bad-proto fam icmp any /^x/\n")
    with open(rules_bad_re, "w") as f:
        f.write("\n7 bad-re fam tcp 80 /a(b/\n")
    pre = [
        ("unknown option", ["--bogus", "1"], "unknown option '--bogus'"),
        ("interval 0", ["--interval", "0"], "interval = '0'"),
        ("interval text", ["-i", "soon"], "interval = 'soon'"),
        ("missing value", ["--output"], "needs a value"),
        ("bad enum", ["--rss", "everything"], "expected one of"),
        ("stray argument", ["extra"], "unexpected argument 'extra'"),
        ("missing config", ["--config", "/nonexistent/darkcap.conf"], "/nonexistent/darkcap.conf: cannot open"),
        ("bad config key", ["--config", conf], "bad.conf:2: unknown key 'workres'"),
        ("telescope not a prefix", ["--telescope", "198.18.0.0"], "telescope: '198.18.0.0' is not an IPv4 prefix"),
        ("telescope host bits", ["--telescope", "198.18.0.1/15"], "'198.18.0.1/15' has host bits set (198.18.0.0/15?)"),
        ("telescope overlap", ["--telescope", "198.18.0.0/15,198.19.0.0/16"], "198.19.0.0/16 overlaps 198.18.0.0/15"),
        ("telescope ipv6", ["--telescope", "2001:db8::/32"], "'2001:db8::/32' is not an IPv4 prefix"),
        ("telescope too big", ["--telescope", "8.0.0.0/5"], "134217728 addresses in all; at most 67108864"),
    ]
    for label, opts, must in pre:
        expect_error(a, label, ok_eal, opts, must, True)
    post = [
        ("missing pcap", eal("bad2", ["net_pcap0,rx_pcap=/nonexistent/x.pcap"]), [], "no ethdev port"),
        ("too many workers", ok_eal, ["--workers", "3"], "workers = 3 but EAL gave only 1 worker lcores"),
        ("one lcore", eal("bad3", ["net_pcap0,rx_pcap=" + pcap], lcores="0"), [], "no worker lcore"),
        ("no port", eal("bad4", []), [], "no ethdev port"),
        ("unknown nic profile", ok_eal, ["--nic", "e1000x"], "nic = e1000x: no profile"),
        ("unwritable output", ok_eal, ["--output", "/nonexistent/dir/out.jsonl"], "cannot open"),
        ("missing records dir", ok_eal, ["--records-dir", "/nonexistent/records"], "records_dir /nonexistent/records: not a writable directory"),
        ("unwritable stats path", ok_eal, ["--stats-path", "/nonexistent/dir/darkcap.stats"], "stats_path /nonexistent/dir/darkcap.stats: cannot create"),
        ("store in a missing dir", ok_eal, ["--store-path", "/nonexistent/dir/s.db"], "store /nonexistent/dir/s.db: cannot open"),
        ("store not a database", ok_eal, ["--store-path", notdb], "not a darkcap store"),
        ("store schema newer", ok_eal, ["--store-path", newer], "schema version 99 is newer"),
        ("store unknown time zone", ok_eal, ["--store-path", os.path.join(a.workdir, "bad.tz.db"), "--store-timezone", "Mars/Olympus"], "store_timezone Mars/Olympus: unknown time zone"),
        ("store other time zone", ok_eal, ["--store-path", tokyo], "written with another time zone than store_timezone = UTC"),
        ("missing geo database", ok_eal, ["--geo-country", "/nonexistent/geo.mmdb"], "/nonexistent/geo.mmdb"),
        ("table too big", ok_eal, ["--sources-max", "1000000000"], "cannot allocate table set"),
        ("port clock on null", eal("bad5", ["net_null0"]), ["--timestamps", "port"], "offers no RX timestamps"),
        ("missing rules file", ok_eal, ["--signatures", "/nonexistent/x.rules"], "/nonexistent/x.rules: cannot open"),
        ("bad rule proto", ok_eal, ["--signatures", rules_bad_proto], "bad_proto.rules:3: "),
        ("bad rule regex", ok_eal, ["--signatures", rules_bad_re], "bad_re.rules:2: rule 7: "),
        ("duplicate rule id", ok_eal, ["--signatures", rules_ok + "," + rules_ok], "duplicate id 5"),
        ("not a pcap", eal("bad6", ["net_pcap0,rx_pcap=" + conf]), [], "no ethdev port"),
    ]
    for label, e, opts, must in post:
        expect_error(a, label, e, ["--output", os.path.join(a.workdir, "bad.out.jsonl")] + opts
                     if "--output" not in opts else opts, must, False)


def compare_signatures(records, truth, label, geo_country_of=None):
    """Per interval, every signature darkcap reports against the generator's
    truth: packets, distinct sources (the truth lists each source with its
    packets), every port entry and every country's packets and distinct
    sources (the truth's sources grouped by geo_country_of, or all "unknown"
    without a country database), name and family; ids on one side only fail.
    signature_scan's three counts too, and the sums over the run against the
    truth's total line (the last one of truth when it has "total"). Run
    darkcap with --sig-top 100000 so the lists are complete."""
    SIG_SCAN_KEYS = ("payload_packets", "scanned_bytes", "matched_packets")
    n_default = 18  # rules in lib/sig/rules/default.rules: 1001-1011, 2001-2007
    intervals = [t for t in truth if not t.get("total")]
    total = next((t for t in truth if t.get("total")), None)
    by_start = {t["start"]: t for t in intervals}
    zero = {k: 0 for k in SIG_SCAN_KEYS}
    seen = set()
    checked = 0
    sums = {}
    scan_sums = dict(zero)
    for r in records:
        t = by_start.get(r["start"])
        if t is not None:
            seen.add(r["start"])
        want = t["signatures"] if t else {}
        wscan = t["signature_scan"] if t else zero
        got, gscan = r.get("signatures"), r.get("signature_scan")
        where = "%s: interval %d" % (label, r["start"])
        if not isinstance(got, dict) or not isinstance(gscan, dict):
            fail("%s: no signatures / signature_scan object" % where)
            continue
        if "signatures" not in r.get("table_full", {}) or r["table_full"]["signatures"]:
            fail("%s: table_full.signatures = %s" % (where, r.get("table_full", {}).get("signatures")))
        if not isinstance(gscan.get("rules"), int) or gscan["rules"] < n_default:
            fail("%s: signature_scan.rules = %s, the default set has %d" % (where, gscan.get("rules"), n_default))
        for k in SIG_SCAN_KEYS:
            checked += 1
            scan_sums[k] += gscan.get(k, 0)
            if gscan.get(k) != wscan[k]:
                fail("%s: signature_scan.%s = %s, truth %d" % (where, k, gscan.get(k), wscan[k]))
        for sid in sorted(set(got) - set(want)):
            fail("%s: signature %s has %s packets, the truth none" % (where, sid, got[sid].get("packets")))
        for sid in sorted(set(want) - set(got)):
            fail("%s: signature %s missing, truth %d packets" % (where, sid, want[sid]["packets"]))
        for sid in sorted(set(got) & set(want)):
            g, w = got[sid], want[sid]
            what = "%s: signature %s" % (where, sid)
            sums[sid] = sums.get(sid, 0) + g.get("packets", 0)
            for k in ("name", "family"):
                checked += 1
                if g.get(k) != w[k]:
                    fail("%s: %s = %r, expected %r" % (what, k, g.get(k), w[k]))
            checked += 2
            if g.get("packets") != w["packets"]:
                fail("%s: packets = %s, truth %d" % (what, g.get("packets"), w["packets"]))
            if g.get("sources") != len(w["sources"]):
                fail("%s: sources = %s, truth %d" % (what, g.get("sources"), len(w["sources"])))
            ports = g.get("ports", [])
            gp = {"%s/%d" % (p["proto"], p["port"]): p["packets"] for p in ports}
            checked += 1
            if len(gp) != len(ports) or gp != w["ports"]:
                diff = {k: (gp.get(k), w["ports"].get(k)) for k in set(gp) | set(w["ports"])
                        if gp.get(k) != w["ports"].get(k)}
                fail("%s: ports differ (got, truth): %s%s" % (what, dict(list(diff.items())[:6]),
                                                              "" if len(gp) == len(ports) else " (a port listed twice)"))
            order = sorted(ports, key=lambda p: (-p["packets"], {"tcp": 6, "udp": 17}.get(p["proto"], 256), p["port"]))
            if ports != order:
                fail("%s: ports not ordered by packets, then (proto, port)" % what)
            wc = {}
            for addr, n in w["sources"].items():
                cc = geo_country_of(addr) if geo_country_of else "unknown"
                x = wc.setdefault(cc, {"packets": 0, "sources": 0})
                x["packets"] += n
                x["sources"] += 1
            countries = g.get("countries", [])
            gc = {c["country"]: {"packets": c["packets"], "sources": c["sources"]} for c in countries}
            checked += 1
            if len(gc) != len(countries) or gc != wc:
                diff = {k: (gc.get(k), wc.get(k)) for k in set(gc) | set(wc) if gc.get(k) != wc.get(k)}
                fail("%s: countries differ (got, truth): %s" % (what, dict(list(diff.items())[:4])))
            known = [c for c in countries if c["country"] != "unknown"]
            if [c["packets"] for c in countries] != sorted((c["packets"] for c in countries), reverse=True) or \
                    known != sorted(known, key=lambda c: (-c["packets"], c["country"])):
                fail("%s: countries not ordered by packets, then country code" % what)
    missing = sorted(s for s in set(by_start) - seen if by_start[s]["signature_scan"]["payload_packets"])
    if missing:
        fail("%s: %d truth intervals with payloads missing from the output, first %s" % (label, len(missing), missing[:3]))
    if total is not None:
        for k in SIG_SCAN_KEYS:
            if scan_sums[k] != total["signature_scan"][k]:
                fail("%s: signature_scan.%s sums to %d over the records, truth total %d"
                     % (label, k, scan_sums[k], total["signature_scan"][k]))
        tsums = {sid: v["packets"] for sid, v in total["signatures"].items()}
        if sums != tsums:
            diff = {k: (sums.get(k), tsums.get(k)) for k in set(sums) | set(tsums) if sums.get(k) != tsums.get(k)}
            fail("%s: signature packets over the records differ from the truth total (got, truth): %s" % (label, diff))
    print("%s: %d records, %d signature comparisons, %d signatures, %d signature packets"
          % (label, len(records), checked, len(sums), sum(sums.values())))
    return checked


def case_signatures(a):
    # Payload signatures against the generator's truth, which knows what
    # each payload template matches where it chose the template (exploit
    # requests over TCP with and without a downloader URL, UDP probes over
    # IPv4 and IPv6, ports outside a rule's filter, decoys, payloads cut by
    # the capture or by a short IP length): per interval and signature the
    # packets, distinct sources, every port and every country; the scan's
    # payload packets, scanned bytes and matched packets. One worker on one
    # file, then the same stream split by source over two ports and two
    # workers: the same truth, the same signature counts.
    dbs = make_geo_dbs(a)
    if dbs is None:
        return
    mmdb = dbs[0]
    here = os.path.dirname(os.path.abspath(__file__))
    rules = os.path.join(here, "..", "..", "lib", "sig", "rules", "default.rules")
    label = "signatures"
    interval = 600
    args = ["--packets", "120000", "--days", "0.5", "--seed", "131", "--payload-share", "0.06",
            "--interval", str(interval)]
    one = [os.path.join(a.workdir, "signatures.pcap")]
    two = [os.path.join(a.workdir, "signatures.%d.pcap" % i) for i in range(2)]
    truth, total = gen(a, label, ["--out", one[0]] + args)
    truth2, total2 = gen(a, label + "2", ["--out", ",".join(two), "--split", "src"] + args)
    if truth2 != truth or dict(total2, files=None) != dict(total, files=None):
        fail("%s: the truth depends on how the stream is split over files" % label)
    # The truth must exercise every rule, decoys, filters and cut payloads,
    # or the comparison proves little.
    default_ids = [str(i) for i in list(range(1001, 1012)) + list(range(2001, 2008))]
    missing = [i for i in default_ids if total["signatures"].get(i, {}).get("packets", 0) == 0]
    if missing:
        fail("%s: the generated traffic matches no packet of rules %s" % (label, missing))
    chk = total["signature_checks"]
    for k in ("decoy_packets", "off_port", "short_scan", "ipv6_matched", "tcp_matched", "udp_matched"):
        if chk[k] < 20:
            fail("%s: generated traffic has only %d %s" % (label, chk[k], k))
    matched = total["signature_scan"]["matched_packets"]
    if matched < 3000 or sum(v["packets"] for v in total["signatures"].values()) <= matched:
        fail("%s: %d matched packets, or no packet under two signatures" % (label, matched))
    print("%s: truth %s, %s" % (label, total["signature_scan"], chk))
    cache = os.path.join(a.workdir, "sigcache")
    runs = []
    for run, files, lcores, opts in (("1w", one, "0,1", []), ("2w", two, "0@0,1@1,2@1", ["--workers", "2"])):
        lab = "%s_%s" % (label, run)
        out = os.path.join(a.workdir, lab + ".out.jsonl")
        if os.path.exists(out):
            os.unlink(out)
        ports = ["net_pcap%d,rx_pcap=%s" % (i, f) for i, f in enumerate(files)]
        rc, so, err = run_darkcap(a, eal(lab, ports, lcores, mem=768),
                                  ["--output", out, "--interval", str(interval), "--geo-country", mmdb,
                                   "--signatures", rules, "--sig-cache-dir", cache, "--sig-top", "100000"] + opts)
        if rc != 0:
            fail("%s: darkcap exit %d: %s" % (lab, rc, err[-1500:]))
            continue
        check_exact_log(err, lab)
        recs = load_out(out)
        compare(recs, truth, total, interval, lab, tables=False)
        compare_signatures(recs, truth + [total], lab, geo_country_of)
        runs.append({r["start"]: (r.get("signatures"), r.get("signature_scan")) for r in recs if r["packets"]})
    if len(runs) == 2 and runs[0] != runs[1]:
        diff = [s for s in sorted(set(runs[0]) | set(runs[1])) if runs[0].get(s) != runs[1].get(s)]
        fail("%s: one worker and two workers differ in %d intervals, first %s" % (label, len(diff), diff[:3]))


CASES = {n[5:]: f for n, f in globals().items() if n.startswith("case_")}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--darkcap", required=True)
    ap.add_argument("--gen", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--sender")
    ap.add_argument("case", choices=sorted(CASES))
    a = ap.parse_args()
    a.workdir = os.path.join(a.workdir, a.case)
    os.makedirs(a.workdir, exist_ok=True)
    CASES[a.case](a)
    if failures:
        print("%d failures" % len(failures))
        return 1
    print("pass")
    return 0


if __name__ == "__main__":
    sys.exit(main())
