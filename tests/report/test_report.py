#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""darkcap-report against stores with known ground truth (gen_store.py).

--part main (the default):
  - one sensor, two quarters (an estimated-count bound, a day without data,
    an incomplete day): the Q2 report in English and in Japanese, a 30-day
    report with --top 7 --country KR, Q1 (no previous data), an explicit
    --previous, --format csv; every table, CSV and Markdown, against the
    generator's truth: ranks, previous ranks, packets, shares, daily series
    and 7-day averages, Mirai series, cumulative distinct sources, the
    countries high in one ranking only, the chosen country's ranks, the
    chosen country's Mirai source list, the payload signature families
    (packets, share of signature packets, cumulative distinct sources,
    previous ranks, latest names) and the top 3 families of each top port
    (share of the port's packets; an em-dash row for a port without any);
  - three overlapping sensors (Asia/Tokyo days, one sensor missing a day):
    packets add up exactly; distinct sources merged from the sketches are
    within 2 % of the true union (exact where all are sparse lists) and
    strictly less than the per-sensor sum; fingerprint sources united by
    address; two sensors (UTC) likewise, signature families included;
  - no signature data: a version-2 store (read as is), a version-3 store
    without signature rows (ja), and a version-3 store merged with a
    version-2 one (the section counts the first, and names the second);
  - the HTML: well-formed (html.parser, tags balanced), every <svg> well-formed
    XML, no script, no http(s) src/href; rendered by headless Chromium to a
    non-blank PNG when chromium is installed (else that check is skipped);
  - bad inputs: one line "darkcap-report: ...", exit status 1.
--part scale: a scaled-down /8-like store (every day 8,192 ports, 250
  countries, dense sketches); the quarterly report's time is printed and
  must stay under 30 s.

Usage: test_report.py --report SCRIPT --workdir DIR [--schema SQL] [--part main|scale]
Ends with "N passed, N failed"; exit 0 = all passed, 1 = a failure.
"""
import argparse
import csv
import html.parser
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True   # no __pycache__ in the source tree
import gen_store  # noqa: E402
import tally  # noqa: E402
from tally import check, note  # noqa: E402
import pngcheck   # noqa: E402

NAMES_JA = {"US": "米国", "GB": "英国", "CN": "中国", "RU": "ロシア", "KR": "韓国", "JP": "日本"}





class Runner:
    def __init__(self, script):
        self.script = script

    def __call__(self, *args):
        t = time.time()
        p = subprocess.run([sys.executable, self.script] + [str(a) for a in args], capture_output=True, text=True)
        return p.returncode, p.stdout, p.stderr, time.time() - t


# ---------------------------------------------------------------------------
# Reading the outputs
# ---------------------------------------------------------------------------

def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def md_tables(text):
    """{table id: (header, rows)} from '<!-- table: ID -->' markers."""
    out = {}
    lines = text.splitlines()
    for i, l in enumerate(lines):
        m = re.match(r"<!-- table: (\S+) -->", l)
        if not m:
            continue
        j = i + 1
        while j < len(lines) and not lines[j].startswith("|"):
            j += 1
        rows = []
        while j < len(lines) and lines[j].startswith("|"):
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", lines[j].strip())[1:-1]]
            rows.append(cells)
            j += 1
        out[m.group(1)] = (rows[0], rows[2:])
    return out


def num(s):
    s = s.replace(",", "").replace("≈", "").replace("%", "").strip()
    if s == "":
        return None
    return float(s) if "." in s else int(s)


def close(a, b, tol):
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= tol


def prev_text(v, lang):
    if v == "new":
        return "new" if lang == "en" else "新規"
    return str(v)


# ---------------------------------------------------------------------------
# Checks of one report against the truth
# ---------------------------------------------------------------------------

def check_report(out, E, lang, multi, country, tag, world):
    md = open(os.path.join(out, "report.md"), encoding="utf-8").read()
    T = md_tables(md)
    days = [d["day"] for d in E["mirai_daily"]]
    # overview
    ov = {r["metric"]: r["value"] for r in read_csv(os.path.join(out, "overview.csv"))}
    check(int(ov["packets"]) == E["total_packets"], "%s: total packets %s, expected %d" % (tag, ov["packets"], E["total_packets"]))
    check(int(ov["days"]) == len(E["data_days"]), "%s: days with data %s, expected %d" % (tag, ov["days"], len(E["data_days"])))

    # 1. ports
    rows = read_csv(os.path.join(out, "top_ports.csv"))
    ok = check(len(rows) == len(E["ports"]), "%s: top_ports.csv has %d rows, expected %d" % (tag, len(rows), len(E["ports"])))
    mdrows = T["top_ports"][1]
    check(len(mdrows) == len(E["ports"]), "%s: top_ports table has %d rows" % (tag, len(mdrows)))
    for r, m, e in zip(rows, mdrows, E["ports"]):
        want = (str(e["rank"]), e["label"], str(e["packets"]), str(e["prev_rank"]))
        got = (r["rank"], r["port"], r["packets"], r["prev_rank"])
        check(got == want, "%s: top_ports.csv row %s, expected %s" % (tag, got, want))
        check(close(float(r["share_pct"]), e["share_pct"], 0.00006), "%s: %s share %s, expected %.5f" % (tag, e["label"], r["share_pct"], e["share_pct"]))
        gotm = (m[0], m[1], num(m[3]), m[5])
        wantm = (str(e["rank"]), e["label"], e["packets"], prev_text(e["prev_rank"], lang))
        check(gotm == wantm, "%s: top_ports table row %s, expected %s" % (tag, gotm, wantm))
        check(close(num(m[4]), e["share_pct"], 0.0051), "%s: top_ports table share %s" % (tag, m[4]))
    check_daily(out, T, "top_ports_daily", "port", [(e["label"], e["label"], e) for e in E["ports"]], days, tag)

    # 2. countries
    rows = read_csv(os.path.join(out, "top_countries.csv"))
    mdrows = T["top_countries"][1]
    check(len(rows) == len(E["countries"]) == len(mdrows), "%s: top_countries rows %d/%d, expected %d" % (tag, len(rows), len(mdrows), len(E["countries"])))
    for r, m, e in zip(rows, mdrows, E["countries"]):
        want = (str(e["rank"]), e["country"], str(e["packets"]), str(e["prev_rank"]))
        got = (r["rank"], r["country"], r["packets"], r["prev_rank"])
        check(got == want, "%s: top_countries.csv row %s, expected %s" % (tag, got, want))
        check(close(float(r["share_pct"]), e["share_pct"], 0.00006), "%s: %s share" % (tag, e["country"]))
        gotm = (m[0], m[2], num(m[3]), m[5])
        wantm = (str(e["rank"]), e["country"], e["packets"], prev_text(e["prev_rank"], lang))
        check(gotm == wantm, "%s: top_countries table row %s, expected %s" % (tag, gotm, wantm))
        if lang == "ja" and e["country"] in NAMES_JA:
            check(m[1] == NAMES_JA[e["country"]], "%s: Japanese name of %s is '%s'" % (tag, e["country"], m[1]))
    check_daily(out, T, "top_countries_daily", "country", [(e["country"], None, e) for e in E["countries"]], days, tag)

    # 3. Mirai
    rows = read_csv(os.path.join(out, "mirai_daily.csv"))
    mdrows = T["mirai_daily"][1]
    check(len(rows) == len(E["mirai_daily"]) == len(mdrows), "%s: mirai_daily has %d rows" % (tag, len(rows)))
    for r, m, e in zip(rows, mdrows, E["mirai_daily"]):
        if e["packets"] is None:
            check(r["packets"] == "" and m[1] == "", "%s: mirai_daily %s should be empty (no data)" % (tag, e["day"]))
            continue
        check(r["day"] == e["day"] and int(r["packets"]) == e["packets"] and close(float(r["ma7"]), e["ma7"], 0.0051),
              "%s: mirai_daily %s: %s, expected %s %s" % (tag, e["day"], r, e["packets"], e["ma7"]))
        check(num(m[1]) == e["packets"] and close(num(m[2]), e["ma7"], 0.051), "%s: mirai_daily table %s" % (tag, m))
        src = int(r["sources"])
        if multi:
            tr, sm = e["true_sources"], e["sum_sources"]
            check(abs(src - tr) <= 0.04 * tr, "%s: Mirai sources on %s: %d, true union %d" % (tag, e["day"], src, tr))
            if sm > tr:
                check(src < sm, "%s: Mirai sources on %s: %d not below the sum %d" % (tag, e["day"], src, sm))
        else:
            check(src == e["sources"], "%s: Mirai sources on %s: %d, expected %d" % (tag, e["day"], src, e["sources"]))
    rows = read_csv(os.path.join(out, "mirai_countries.csv"))
    check(len(rows) == len(E["mirai_countries"]), "%s: mirai_countries.csv has %d rows, expected %d" % (tag, len(rows), len(E["mirai_countries"])))
    mdrows = T["mirai_countries"][1]
    for i, (r, e) in enumerate(zip(rows, E["mirai_countries"])):
        check((r["rank"], r["country"], r["mirai_packets"]) == (str(e["rank"]), e["country"], str(e["mirai_packets"])),
              "%s: mirai_countries row %s, expected %s" % (tag, (r["rank"], r["country"], r["mirai_packets"]), e))
        cum = int(r["mirai_sources_cum"])
        if multi:
            check(abs(cum - e["mirai_sources_cum"]) <= 0.02 * e["mirai_sources_cum"],
                  "%s: %s Mirai sources %d, true %d" % (tag, e["country"], cum, e["mirai_sources_cum"]))
            check(close(float(r["sources_share_pct"]), e["sources_share_pct"], 0.03 * e["sources_share_pct"] + 0.01),
                  "%s: %s Mirai sources share" % (tag, e["country"]))
        else:
            check(cum == e["mirai_sources_cum"], "%s: %s Mirai sources %d, expected %d" % (tag, e["country"], cum, e["mirai_sources_cum"]))
            check(close(float(r["sources_share_pct"]), e["sources_share_pct"], 0.00006), "%s: %s Mirai share" % (tag, e["country"]))
        if i < len(mdrows):
            m = mdrows[i]
            check((m[0], m[2], num(m[3])) == (str(e["rank"]), e["country"], e["mirai_packets"]), "%s: mirai_countries table %s" % (tag, m))
    series = [(cc, None, v) for cc, v in E["mirai_countries_daily"].items()]
    check_daily(out, T, "mirai_countries_daily", "country", series, days, tag)

    # 4. cumulative distinct sources
    rows = {r["country"]: r for r in read_csv(os.path.join(out, "cumulative_sources.csv"))}
    C = E["cumulative"]
    check(set(rows) == set(C), "%s: cumulative_sources countries %s, expected %s" % (tag, sorted(set(rows) ^ set(C)), ""))
    robust = lambda order, key, cc: all(
        abs(C[cc][key] - C[o][key]) > 0.03 * C[cc][key] for o in order[max(0, order.index(cc) - 1):order.index(cc) + 2] if o != cc)
    for cc, e in C.items():
        r = rows.get(cc)
        if r is None:
            continue
        gm, ga = int(r["mirai_sources_cum"]), int(r["sources_cum"])
        if multi:
            for what, g, t, s in (("Mirai", gm, e["mirai"], e["mirai_sum"]), ("all", ga, e["all"], e["all_sum"])):
                check(abs(g - t) <= 0.02 * t, "%s: %s cumulative %s sources %d, true union %d" % (tag, cc, what, g, t))
                if s > t:
                    check(g < s, "%s: %s cumulative %s sources %d not below the per-sensor sum %d" % (tag, cc, what, g, s))
                if not e.get("dense"):
                    check(g == t, "%s: %s cumulative %s sources %d, exact union (sparse) %d" % (tag, cc, what, g, t))
            if e["mirai_rank"] and robust(E["cum_mirai_order"], "mirai", cc):
                check(r["mirai_rank"] == str(e["mirai_rank"]), "%s: %s Mirai rank %s, expected %s" % (tag, cc, r["mirai_rank"], e["mirai_rank"]))
            if e["all_rank"] and robust(E["cum_all_order"], "all", cc):
                check(r["sources_rank"] == str(e["all_rank"]), "%s: %s sources rank %s, expected %s" % (tag, cc, r["sources_rank"], e["all_rank"]))
        else:
            check((gm, ga) == (e["mirai"], e["all"]), "%s: %s cumulative sources %s, expected %s" % (tag, cc, (gm, ga), (e["mirai"], e["all"])))
            check((r["mirai_rank"], r["sources_rank"]) == (str(e["mirai_rank"] or ""), str(e["all_rank"] or "")),
                  "%s: %s ranks %s, expected %s" % (tag, cc, (r["mirai_rank"], r["sources_rank"]), (e["mirai_rank"], e["all_rank"])))
            check(r["estimated"] == str(int(e["estimated"])), "%s: %s estimated flag %s, expected %s" % (tag, cc, r["estimated"], e["estimated"]))
    mdrows = {m[1]: m for m in T["cumulative_sources"][1]}
    for cc in E["cum_mirai_order"][:10]:
        m = mdrows.get(cc)
        if check(m is not None, "%s: %s missing from the cumulative table" % (tag, cc)):
            check(num(m[2]) == int(rows[cc]["mirai_sources_cum"]) and num(m[4]) == int(rows[cc]["sources_cum"]),
                  "%s: cumulative table row %s differs from the CSV" % (tag, m))
            check(("≈" in m[2]) == (rows[cc]["estimated"] == "1"), "%s: %s estimate mark" % (tag, cc))
    diff = [(r["country"], r["top_in"]) for r in read_csv(os.path.join(out, "rank_differences.csv"))]
    want = [tuple(x) for x in E["rank_differences"]]
    if not multi or all(robust(E["cum_mirai_order"], "mirai", c) for c in E["cum_mirai_order"][9:11]) and \
            all(robust(E["cum_all_order"], "all", c) for c in E["cum_all_order"][9:11]):
        check(diff == want, "%s: rank differences %s, expected %s" % (tag, diff, want))
        check([(m[1]) for m in T["rank_differences"][1]] == [c for c, _w in want], "%s: rank differences table" % tag)
    a, b = E["country_ranks"]
    if lang == "en":
        sentence = "%s ranks %s for Mirai-type sources and %s for all sources." % (
            {"JP": "Japan", "KR": "South Korea"}[country], a or "not ranked", b or "not ranked")
    else:
        sentence = "%sは、前者では %s 番目、後者では %s 番目にランクされました。" % (
            {"JP": "日本", "KR": "韓国"}[country], a or "圏外", b or "圏外")
    check(sentence in md, "%s: the sentence '%s' is missing" % (tag, sentence))

    # 5. the country's Mirai sources
    rows = read_csv(os.path.join(out, "mirai_sources_%s.csv" % country))
    got = {r["addr"]: {"asn": int(r["asn"]), "first_seen": r["first_seen"], "last_seen": r["last_seen"],
                       "days": int(r["days"]), "packets": int(r["packets"]), "mirai_packets": int(r["mirai_packets"]),
                       "ports": r["ports"]} for r in rows}
    check(len(rows) == len(got) == len(E["fp"]) and len(rows) > 0,
          "%s: mirai_sources_%s.csv has %d rows (%d addresses), expected %d" % (tag, country, len(rows), len(got), len(E["fp"])))
    bad = [a for a in E["fp"] if got.get(a) != E["fp"][a]]
    check(not bad, "%s: %d source rows differ, e.g. %s: %s, expected %s" % (
        tag, len(bad), bad[:1], got.get(bad[0]) if bad else "", E["fp"][bad[0]] if bad else ""))
    mp = [int(r["mirai_packets"]) for r in rows]
    check(mp == sorted(mp, reverse=True), "%s: source rows not by Mirai-type packets" % tag)
    tid = "mirai_sources_%s" % country
    check([m[0] for m in T[tid][1]] == [r["addr"] for r in rows[:20]], "%s: the Markdown source table is not the CSV's first rows" % tag)

    # 6. payload signatures
    check_signatures(out, T, E, lang, multi, tag)
    return md


def check_signatures(out, T, E, lang, multi, tag):
    F = E["sig_families"]
    rows = read_csv(os.path.join(out, "signature_families.csv"))
    check(len(rows) == len(F) > 5, "%s: signature_families.csv has %d rows, expected %d" % (tag, len(rows), len(F)))
    for r, e in zip(rows, F):
        want = (str(e["rank"]), e["family"], e["signatures"], str(e["packets"]), str(e["prev_rank"]))
        got = (r["rank"], r["family"], r["signatures"], r["packets"], r["prev_rank"])
        check(got == want, "%s: signature_families.csv row %s, expected %s" % (tag, got, want))
        check(close(float(r["share_pct"]), e["share_pct"], 0.00006),
              "%s: %s share %s, expected %.4f" % (tag, e["family"], r["share_pct"], e["share_pct"]))
        g = int(r["sources_cum"])
        if e["dense"]:
            check(abs(g - e["sources_cum"]) <= 0.02 * e["sources_cum"] and r["estimated"] == "1",
                  "%s: %s sources %d (estimated %s), true %d" % (tag, e["family"], g, r["estimated"], e["sources_cum"]))
        else:
            check(g == e["sources_cum"] and r["estimated"] == "0",
                  "%s: %s sources %d (estimated %s), expected exactly %d" % (tag, e["family"], g, r["estimated"], e["sources_cum"]))
    rich = "Q2" in tag      # the quarter the test world is built to exercise
    check(not rich or (any(e["dense"] for e in F) and not all(e["dense"] for e in F)),
          "%s: the truth should have estimated and exact families" % tag)
    mdrows = T["signature_families"][1]
    check(len(mdrows) == min(len(F), 10), "%s: signature families table has %d rows" % (tag, len(mdrows)))
    for m, r, e in zip(mdrows, rows, F):
        gotm = (m[0], m[1], m[2], num(m[3]), num(m[5]), "≈" in m[5], m[6])
        wantm = (str(e["rank"]), e["family"], e["signatures"], e["packets"], int(r["sources_cum"]), r["estimated"] == "1",
                 prev_text(e["prev_rank"], lang))
        check(gotm == wantm, "%s: signature families table row %s, expected %s" % (tag, gotm, wantm))
        check(close(num(m[4]), e["share_pct"], 0.0051), "%s: signature families table share %s" % (tag, m[4]))
    # the top families of each top port
    want = []
    for p in E["sig_port_families"]:
        if not p["families"]:
            want.append((str(p["rank"]), p["label"], "", "", "0", 0.0))
        for j, f in enumerate(p["families"]):
            want.append((str(p["rank"]), p["label"], str(j + 1), f["family"], str(f["packets"]), f["share_pct"]))
    rows = read_csv(os.path.join(out, "signature_port_families.csv"))
    got = [(r["port_rank"], r["port"], r["family_rank"], r["family"], r["packets"], float(r["share_pct"])) for r in rows]
    check(len(got) == len(want) and all(g[:5] == w[:5] and close(g[5], w[5], 0.00006) for g, w in zip(got, want)),
          "%s: signature_port_families.csv %s, expected %s" % (tag, got, want))
    check(not rich or (any(len(p["families"]) == 3 for p in E["sig_port_families"]) and
                       any(not p["families"] for p in E["sig_port_families"])),
          "%s: the truth should have a port with 3 families and one with none" % tag)
    mdrows = T["signature_port_families"][1]
    gotm = [(m[0], m[1], m[3] if m[3] != "—" else "", m[4] if m[4] != "—" else "",
             str(num(m[5])) if m[5] != "—" else "0", num(m[6]) if m[6] != "—" else 0.0) for m in mdrows]
    bad = [m for m in mdrows if m[4] == "—" and not (m[3] == m[5] == m[6] == "—")]
    check(not bad and len(gotm) == len(want) and all(g[:5] == w[:5] and close(g[5], w[5], 0.0051) for g, w in zip(gotm, want)),
          "%s: signature port families table %s, expected %s" % (tag, mdrows, want))


def check_daily(out, T, tid, col, series, days, tag):
    """series: [(csv key, md label or None = by position, expected)]"""
    rows = read_csv(os.path.join(out, tid + ".csv"))
    got = {(r[col], r["day"]): (r["packets"], r["ma7"]) for r in rows}
    check(len(rows) == len(series) * len(days), "%s: %s.csv has %d rows, expected %d" % (tag, tid, len(rows), len(series) * len(days)))
    header, mrows = T[tid]
    bad = 0
    for si, (key, _label, e) in enumerate(series):
        for di, d in enumerate(days):
            p, ma = got.get((key, d), (None, None))
            want = e["daily"][d]
            wma = e["ma7"][d]
            ok = (p == "" if want is None else p == str(want)) and \
                (ma == "" if wma is None else (ma not in (None, "") and abs(float(ma) - wma) <= 0.0051))
            m = mrows[di]
            mp, mma = num(m[1 + 2 * si]), num(m[2 + 2 * si])
            ok = ok and m[0] == d and mp == want and close(mma, wma, 0.051)
            if not ok:
                bad += 1
                if bad <= 3:
                    print("  %s: %s %s %s: csv (%s, %s) table (%s, %s), expected (%s, %s)" % (tag, tid, key, d, p, ma, mp, mma, want, wma))
    check(bad == 0, "%s: %s: %d daily values differ" % (tag, tid, bad))


class Balance(html.parser.HTMLParser):
    VOID = {"meta", "br", "img", "hr", "input", "link", "col", "area", "base", "wbr", "source", "track", "embed", "param"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []
        self.errors = []
        self.urls = []
        self.tags = {}

    def handle_starttag(self, tag, attrs):
        self.tags[tag] = self.tags.get(tag, 0) + 1
        for k, v in attrs:
            if k in ("src", "href", "xlink:href") and v and re.match(r"(?i)\s*(https?:)?//", v):
                self.urls.append(v)
        if tag not in self.VOID:
            self.stack.append((tag, self.getpos()))

    def handle_startendtag(self, tag, attrs):
        self.tags[tag] = self.tags.get(tag, 0) + 1
        for k, v in attrs:
            if k in ("src", "href", "xlink:href") and v and re.match(r"(?i)\s*(https?:)?//", v):
                self.urls.append(v)

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        if not self.stack or self.stack[-1][0] != tag:
            self.errors.append("</%s> at %s closes %s" % (tag, self.getpos(), self.stack[-1] if self.stack else "nothing"))
            return
        self.stack.pop()


def check_html(path, tag, min_svgs, chromium_shot=None):
    text = open(path, encoding="utf-8").read()
    p = Balance()
    p.feed(text)
    p.close()
    check(not p.errors and not p.stack, "%s: HTML not well-formed: %s %s" % (tag, p.errors[:3], p.stack[:3]))
    check(text.startswith("<!DOCTYPE html>"), "%s: no doctype" % tag)
    svgs = re.findall(r"<svg\b.*?</svg>", text, re.S)
    check(len(svgs) >= min_svgs and p.tags.get("svg", 0) == len(svgs),
          "%s: %d <svg> charts, expected at least %d" % (tag, len(svgs), min_svgs))
    bad = 0
    for s in svgs:
        try:
            root = ET.fromstring(s)
            if root.tag != "{http://www.w3.org/2000/svg}svg":
                bad += 1
        except ET.ParseError as e:
            bad += 1
            print("  %s: SVG parse error %s" % (tag, e))
    check(bad == 0, "%s: %d <svg> elements are not well-formed SVG" % (tag, bad))
    check(not p.urls, "%s: external references %s" % (tag, p.urls[:3]))
    check("<script" not in text.lower(), "%s: has a script" % tag)
    check(not re.search(r"(?i)url\(\s*['\"]?(https?:)?//|@import|<link\b|<iframe|<img\b", text), "%s: loads an external resource" % tag)
    if chromium_shot:
        chrome = shutil.which("chromium") or shutil.which("chromium-browser")
        if not chrome:
            note("SKIP: headless rendering check (chromium is not installed; it is optional: apt-get install chromium)")
            return
        png = chromium_shot
        if os.path.exists(png):
            os.unlink(png)
        try:
            subprocess.run([chrome, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                            "--window-size=1100,2600", "--screenshot=" + png, "file://" + os.path.abspath(path)],
                           capture_output=True, timeout=90)
        except subprocess.TimeoutExpired:
            check(False, "%s: chromium did not finish in 90 s" % tag)
            return
        if check(os.path.exists(png), "%s: chromium wrote no screenshot" % tag):
            st = pngcheck.stats(png)
            note("rendered %s: %dx%d, %d colours, %.0f %% non-white" % (os.path.basename(png), st["width"], st["height"],
                                                                      st["colours"], 100 * st["nonwhite"]))
            check(st["colours"] >= 20 and 0.03 < st["nonwhite"] < 0.97, "%s: the rendered page looks blank: %s" % (tag, st))


def check_errors(run, work, one_db, three_dbs):
    cases = []
    txt = os.path.join(work, "not_a_store.db")
    with open(txt, "w") as f:
        f.write("this is not a database\n" * 100)
    nometa = os.path.join(work, "no_meta.db")
    if os.path.exists(nometa):
        os.unlink(nometa)
    db = sqlite3.connect(nometa)
    db.execute("CREATE TABLE t (x)")
    db.commit()
    db.close()
    newer = os.path.join(work, "newer.db")
    db = gen_store.create_store(newer, SCHEMA, "future", "UTC")
    db.execute("UPDATE meta SET value = '4' WHERE key = 'schema_version'")
    db.commit()
    db.close()
    empty = os.path.join(work, "empty.db")
    db = gen_store.create_store(empty, SCHEMA, "empty", "UTC")
    db.commit()
    db.close()
    q = ["--from", "2022-04-01", "--to", "2022-06-30", "--out", os.path.join(work, "err")]
    cases = [
        ("missing file", q + [os.path.join(work, "nonexistent.db")], "no such file"),
        ("not a database", q + [txt], "not a darkcap store"),
        ("no meta table", q + [nometa], "not a darkcap store"),
        ("newer schema", q + [newer], "newer"),
        ("empty store", q + [empty], "no data"),
        ("empty period", ["--from", "2023-01-01", "--to", "2023-03-31", "--out", os.path.join(work, "err"), one_db], "no data"),
        ("bad date", ["--from", "2022-02-30", "--to", "2022-06-30", one_db], "bad date"),
        ("bad date format", ["--from", "2022/04/01", "--to", "2022-06-30", one_db], "bad date"),
        ("to before from", ["--from", "2022-06-30", "--to", "2022-04-01", one_db], "before"),
        ("bad previous", q + ["--previous", "last-quarter", one_db], "--previous"),
        ("bad lang", q + ["--lang", "fr", one_db], "--lang"),
        ("bad country", q + ["--country", "JPN", one_db], "--country"),
        ("bad top", q + ["--top", "0", one_db], "--top"),
        ("bad format", q + ["--format", "pdf", one_db], "--format"),
        ("unknown option", q + ["--colour", one_db], "unrecognized"),
        ("missing --from", ["--to", "2022-06-30", one_db], "--from"),
        ("same store twice", q + [one_db, one_db], "twice"),
        ("time zones differ", q + [one_db, three_dbs[0]], "time zone"),
    ]
    for what, args, needle in cases:
        rc, out, err, _t = run(*args)
        lines = err.strip().splitlines()
        check(rc == 1 and len(lines) == 1 and lines[0].startswith("darkcap-report: ") and needle in lines[0]
              and "Traceback" not in err and out == "",
              "error case '%s': exit %d, stderr %r" % (what, rc, err[:300]))


def listing(out):
    return sorted(os.listdir(out))


# ---------------------------------------------------------------------------

SCHEMA = gen_store.DEFAULT_SCHEMA


def part_main(run, work):
    t0 = time.time()
    # one sensor
    w1 = gen_store.World(1, seed=1, tz="UTC", exact_bound=6000, missing=[(None, "2022-06-12")])
    one = w1.generate(os.path.join(work, "one"), SCHEMA)
    # three overlapping sensors
    w3 = gen_store.World(3, seed=2, tz="Asia/Tokyo", missing=[(1, "2022-05-03")])
    three = w3.generate(os.path.join(work, "three"), SCHEMA)
    # two sensors
    w2 = gen_store.World(2, seed=3, tz="UTC")
    two = w2.generate(os.path.join(work, "two"), SCHEMA)
    note("generated 1 + 3 + 2 stores in %.1f s" % (time.time() - t0))
    for w in (w1, w3, w2):
        mark_dense(w)

    # the store follows the schema: same tables and columns as the schema file
    db = sqlite3.connect(one[0])
    ref = sqlite3.connect(":memory:")
    ref.executescript(open(SCHEMA).read())
    shape = lambda c: sorted((r[0], r[1]) for r in c.execute("SELECT name, sql FROM sqlite_master"))
    check(shape(db) == shape(ref), "generated store differs from the schema")
    meta = dict(db.execute("SELECT key, value FROM meta"))
    check(meta.get("schema_version") == "3" and meta.get("timezone") == "UTC", "generated meta %s" % meta)
    db.close()

    Q2 = ("2022-04-01", "2022-06-30")
    Q1 = ("2022-01-01", "2022-03-31")

    # Q2, English
    out = os.path.join(work, "q2_en")
    rc, _o, err, t = run("--from", Q2[0], "--to", Q2[1], "--out", out, one[0])
    note("one sensor, Q2, en: %.2f s" % t)
    if check(rc == 0, "one sensor Q2: exit %d: %s" % (rc, err)):
        E = w1.expected(*Q2, prev=Q1, top=5, country="JP")
        md = check_report(out, E, "en", False, "JP", "1x Q2 en", w1)
        check("Previous quarter's rank" in md, "Q2 en: previous quarter's rank heading")
        check("2022-06-12" in md and "No data on 1 day" in md, "Q2 en: the day without data is not stated")
        for h in ("6. Payload signatures", "Table 6: payload signature families",
                  "Table 7: top 3 families per top destination port", "Share of the port's packets"):
            check(h in md, "en: heading or label '%s' missing" % h)
        check("HyperLogLog estimates" in md, "Q2 en: estimated numbers not stated")
        check_html(os.path.join(out, "report.html"), "1x Q2 en html", 18, os.path.join(work, "q2_en.png"))
        want = ["cumulative_sources.csv", "mirai_countries.csv", "mirai_countries_daily.csv", "mirai_daily.csv",
                "mirai_sources_JP.csv", "overview.csv", "rank_differences.csv", "report.html", "report.md",
                "signature_families.csv", "signature_port_families.csv",
                "top_countries.csv", "top_countries_daily.csv", "top_ports.csv", "top_ports_daily.csv"]
        check(listing(out) == want, "Q2 en: output files %s" % listing(out))

    # Q2, Japanese
    out = os.path.join(work, "q2_ja")
    rc, _o, err, t = run("--from", Q2[0], "--to", Q2[1], "--lang", "ja", "--out", out, one[0])
    note("one sensor, Q2, ja: %.2f s" % t)
    if check(rc == 0, "one sensor Q2 ja: exit %d: %s" % (rc, err)):
        E = w1.expected(*Q2, prev=Q1, top=5, country="JP")
        md = check_report(out, E, "ja", False, "JP", "1x Q2 ja", w1)
        for h in ("宛先ポート番号トップ 5", "前四半期の順位", "送信元地域トップ 5", "Mirai 型のパケット数の推移",
                  "Mirai 型のパケットの送信元アドレスの延べ数の割合", "送信元地域別のパケット数の推移 (TOP5)",
                  "送信元地域別のパケット数の推移 (日本)", "7日間平均", "延べ数", "日本の Mirai 型パケットの送信元アドレス",
                  "6. ペイロードシグネチャ", "表 6：ペイロードシグネチャのファミリー", "表 7：上位の宛先ポート番号ごとのファミリー上位 3",
                  "シグネチャ一致パケットに占める割合", "ポート宛パケットに占める割合", "ファミリー"):
            check(h in md, "ja: heading or label '%s' missing" % h)
        html_ja = open(os.path.join(out, "report.html"), encoding="utf-8").read()
        check('<html lang="ja">' in html_ja and "インターネット定点観測レポート" in html_ja, "ja: HTML title/lang")
        check_html(os.path.join(out, "report.html"), "1x Q2 ja html", 18)

    # 30 days (not whole months): previous = the 30 days before; --top 7, KR
    out = os.path.join(work, "d30")
    rc, _o, err, t = run("--from", "2022-05-10", "--to", "2022-06-08", "--top", "7", "--country", "kr",
                         "--out", out, one[0])
    if check(rc == 0, "30 days: exit %d: %s" % (rc, err)):
        E = w1.expected("2022-05-10", "2022-06-08", prev=("2022-04-10", "2022-05-09"), top=7, country="KR")
        md = check_report(out, E, "en", False, "KR", "1x 30d top7 KR", w1)
        check("2022-04-10 – 2022-05-09" in md and "Previous period's rank" in md, "30 days: previous period not stated")

    # Q1: no data before it (previous ranks '-', averages over the days there are)
    out = os.path.join(work, "q1")
    rc, _o, err, t = run("--from", Q1[0], "--to", Q1[1], "--out", out, one[0])
    if check(rc == 0, "Q1: exit %d: %s" % (rc, err)):
        E = w1.expected(*Q1, prev=("2021-10-01", "2021-12-31"), top=5, country="JP")
        check(all(e["prev_rank"] == "-" for e in E["ports"]), "Q1 truth: previous ranks should be '-'")
        md = check_report(out, E, "en", False, "JP", "1x Q1", w1)
        check("No data for the previous period" in md, "Q1: missing previous data not stated")

    # an explicit previous period, CSV only
    out = os.path.join(work, "prev_explicit")
    rc, _o, err, t = run("--from", Q2[0], "--to", Q2[1], "--previous", "2022-02-01:2022-03-31", "--format", "csv",
                         "--out", out, one[0])
    if check(rc == 0, "explicit previous: exit %d: %s" % (rc, err)):
        E = w1.expected(*Q2, prev=("2022-02-01", "2022-03-31"), top=5, country="JP")
        rows = read_csv(os.path.join(out, "top_ports.csv"))
        check([r["prev_rank"] for r in rows] == [str(e["prev_rank"]) for e in E["ports"]],
              "explicit previous: previous ranks %s, expected %s" % ([r["prev_rank"] for r in rows], [e["prev_rank"] for e in E["ports"]]))
        rows = read_csv(os.path.join(out, "top_countries.csv"))
        check([r["prev_rank"] for r in rows] == [str(e["prev_rank"]) for e in E["countries"]], "explicit previous: countries")
        check("report.html" not in listing(out) and "report.md" not in listing(out), "--format csv wrote %s" % listing(out))

    # three sensors
    out = os.path.join(work, "q2_three")
    rc, _o, err, t = run("--from", Q2[0], "--to", Q2[1], "--out", out, *three)
    note("three sensors, Q2: %.2f s" % t)
    if check(rc == 0, "three sensors: exit %d: %s" % (rc, err)):
        E = w3.expected(*Q2, prev=Q1, top=5, country="JP")
        md = check_report(out, E, "en", True, "JP", "3x Q2", w3)
        check("merged from their HyperLogLog sketches" in md, "3x: merging not stated")
        check("sensor-2 has no data on 1 day" in md, "3x: the sensor's missing day not stated")
        rows = {r["country"]: r for r in read_csv(os.path.join(out, "cumulative_sources.csv"))}
        check(rows["CN"]["estimated"] == "1" and rows["JP"]["estimated"] == "0",
              "3x: estimated flags CN %s JP %s (expected 1, 0)" % (rows["CN"]["estimated"], rows["JP"]["estimated"]))
        cn = E["cumulative"]["CN"]
        note("3x CN cumulative sources: report %s, true union %d, per-sensor sum %d; Mirai: report %s, union %d, sum %d"
             % (rows["CN"]["sources_cum"], cn["all"], cn["all_sum"], rows["CN"]["mirai_sources_cum"], cn["mirai"], cn["mirai_sum"]))
        check_html(os.path.join(out, "report.html"), "3x Q2 html", 18)

    # two sensors, UTC
    out = os.path.join(work, "q2_two")
    rc, _o, err, t = run("--from", Q2[0], "--to", Q2[1], "--out", out, *two)
    note("two sensors, Q2: %.2f s" % t)
    if check(rc == 0, "two sensors: exit %d: %s" % (rc, err)):
        E = w2.expected(*Q2, prev=Q1, top=5, country="JP")
        check_report(out, E, "en", True, "JP", "2x Q2", w2)

    check_no_signatures(run, work, one[0], three)
    check_errors(run, work, one[0], three)
    note("main part: %.1f s" % (time.time() - t0))


def copy_store(src, dst, version=None):
    """A copy of a store: taken back to schema version 2 (the signature
    tables dropped), or with its signature rows deleted."""
    if version:
        return gen_store.downgrade(src, dst, version)
    b = gen_store.copy_db(src, dst)
    for t in gen_store.SIG_TABLES:
        b.execute("DELETE FROM %s" % t)
    b.execute("DELETE FROM day_sketches WHERE kind LIKE 'sig:%'")
    b.commit()
    b.close()
    return dst


def check_no_signatures(run, work, one_db, three):
    Q = ["--from", "2022-04-01", "--to", "2022-06-30"]
    v2 = copy_store(one_db, os.path.join(work, "v2.db"), version=2)
    empty = copy_store(one_db, os.path.join(work, "nosig.db"))
    for what, db, lang, needle in (("version-2 store", v2, "en", "No payload signature data in the period"),
                                   ("no signature rows", empty, "ja", "期間中のペイロードシグネチャのデータはありません")):
        out = os.path.join(work, "nosig_" + lang)
        rc, _o, err, _t = run(*Q, "--lang", lang, "--out", out, db)
        if not check(rc == 0, "%s: exit %d: %s" % (what, rc, err)):
            continue
        md = open(os.path.join(out, "report.md"), encoding="utf-8").read()
        check(needle in md, "%s: the section does not say there is no signature data" % what)
        check("<!-- table: signature_families -->" not in md, "%s: an empty families table is shown" % what)
        check(read_csv(os.path.join(out, "signature_families.csv")) == [], "%s: signature_families.csv has rows" % what)
        rows = read_csv(os.path.join(out, "signature_port_families.csv"))
        check(len(rows) == 5 and all(r["family"] == "" and r["packets"] == "0" for r in rows),
              "%s: signature_port_families.csv %s" % (what, rows))
        if db == v2:
            check("Sensor sensor-1 has no payload signature tables (store schema version 2)" in md,
                  "%s: the store without signature tables is not named" % what)
        check_html(os.path.join(out, "report.html"), what + " html", 18)
    # a version-3 store merged with a version-2 one: the section counts the first
    v2b = copy_store(three[1], os.path.join(work, "three_v2.db"), version=2)
    out = os.path.join(work, "nosig_mixed")
    rc, _o, err, _t = run(*Q, "--out", out, three[0], v2b)
    if check(rc == 0, "mixed versions: exit %d: %s" % (rc, err)):
        c = sqlite3.connect(three[0])
        want = dict(c.execute("SELECT family, SUM(packets) FROM day_signatures WHERE day BETWEEN ? AND ? GROUP BY family",
                              (Q[1], Q[3])))
        c.close()
        got = {r["family"]: int(r["packets"]) for r in read_csv(os.path.join(out, "signature_families.csv"))}
        check(got == want, "mixed versions: families %s, expected sensor-1's %s" % (got, want))
        md = open(os.path.join(out, "report.md"), encoding="utf-8").read()
        check("Sensor sensor-2 has no payload signature tables (store schema version 2)" in md,
              "mixed versions: the version-2 store is not named")


def mark_dense(w):
    """Flag countries whose sketches include a dense one in any sensor-day
    (their merged counts are estimates; the others merge exactly)."""
    dense = set()
    for (d, cc), v in w.t_cc.items():
        if max(v["sensor_sources"]) >= gen_store.SPARSE_MAX or max(v["sensor_mirai_sources"]) >= gen_store.SPARSE_MAX:
            dense.add(cc)
    orig = w.expected

    def expected(*a, **k):
        E = orig(*a, **k)
        for cc, e in E["cumulative"].items():
            e["dense"] = cc in dense
        return E
    w.expected = expected


def part_scale(run, work):
    db = os.path.join(work, "scale.db")
    t0 = time.time()
    gen_store.gen_scale(db, SCHEMA, days=91, ports_per_day=8192, fp_per_day=2000, ncountries=250, dense=20,
                        verbose=False, sources=100000, sig_pairs=30000)
    tg = time.time() - t0
    size = os.path.getsize(db)
    c = sqlite3.connect(db)
    nports = c.execute("SELECT COUNT(*) FROM day_ports").fetchone()[0]
    c.close()
    out = os.path.join(work, "scale_out")
    rc, _o, err, t = run("--from", "2022-04-01", "--to", "2022-06-30", "--out", out, db)
    note("scaled-down store: 91 days, %d day_ports rows (%.0f%% of every port every day), 250 countries, "
         "%.0f MiB, generated in %.1f s; quarterly report in %.2f s" % (nports, 100 * nports / (91 * 131073), size / 2 ** 20, tg, t))
    if check(rc == 0, "scale: exit %d: %s" % (rc, err)):
        check(t < 30, "scale: report took %.1f s" % t)
        rows = read_csv(os.path.join(out, "top_ports.csv"))
        check(len(rows) == 5, "scale: top ports %d rows" % len(rows))
        rows = read_csv(os.path.join(out, "cumulative_sources.csv"))
        check(len(rows) >= 249, "scale: %d countries ranked" % len(rows))
        rows = read_csv(os.path.join(out, "signature_families.csv"))
        fams = {x[2] for x in gen_store.SCALE_SIGS}
        check({r["family"] for r in rows} == fams, "scale: signature families %s" % [r["family"] for r in rows])
        rows = read_csv(os.path.join(out, "signature_port_families.csv"))
        check(any(r["family"] for r in rows), "scale: no family on a top port")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--report", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--schema")
    ap.add_argument("--part", choices=("main", "scale"), default="main")
    a = ap.parse_args()
    global SCHEMA
    if a.schema:
        SCHEMA = a.schema
    os.makedirs(a.workdir, exist_ok=True)
    run = Runner(a.report)
    if a.part == "main":
        part_main(run, a.workdir)
    else:
        part_scale(run, a.workdir)
    return tally.summary()


if __name__ == "__main__":
    sys.exit(main())
