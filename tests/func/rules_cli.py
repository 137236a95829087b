#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""darkcap-rules: the rules check an operator runs before a reload.

Expected engines are written here from docs/SIGNATURES.md ("Rules decided
without Hyperscan"): a rule in the matcher's subset, anchored at the payload's
first byte or floating (no anchor), in port groups whose every rule is such, is
decided by darkcap's matcher; a rule outside the subset, or one sharing every
group with one, by Hyperscan.

usage: rules_cli.py DARKCAP_RULES DEFAULT_RULES WORKDIR
"""
import os
import subprocess
import sys

tool, default, work = sys.argv[1], sys.argv[2], sys.argv[3]
os.makedirs(work, exist_ok=True)
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL: " + what, file=sys.stderr)


def run(*args):
    p = subprocess.run([tool, *args], capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


def write(name, text):
    path = os.path.join(work, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def engines(out):
    rows = {}
    for line in out.splitlines()[2:]:
        f = line.split("\t")
        check(len(f) == 6, "six tab-separated fields: %r" % line)
        if len(f) == 6:
            rows[int(f[0])] = f
    return rows


# 1. The default set.
rc, out, err = run(default)
check(rc == 0 and err == "", "default rules load (rc %d, stderr %r)" % (rc, err))
first = out.splitlines()[0] if out else ""
check(first.startswith("18 rules in 13 port groups (hash ") and
      first.endswith("; 18 rules taken by darkcap's matcher (5 floating), 13 groups decided without Hyperscan"),
      "summary line: %r" % first)
check(out.splitlines()[1:2] == ["id\tname\tfamily\tproto\tports\tscanned by"], "header line")
rows = engines(out)
anchored = {1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1010, 1011, 2001, 2002, 2004}
floating = {1009, 2003, 2005, 2006, 2007}
check(set(rows) == anchored | floating, "the 18 default ids: %s" % sorted(rows))
for i, f in rows.items():
    want = "darkcap's matcher (%s)" % ("anchored" if i in anchored else "floating")
    check(f[5] == want, "rule %d: %r, expected %r" % (i, f[5], want))
check(rows.get(1001, [""] * 6)[3:5] == ["udp", "5060-5061"], "rule 1001's protocol and ports")
check(rows.get(2004, [""] * 6)[3:5] == ["tcp", "80,8080"], "rule 2004's protocol and ports")
check(rows.get(2003, [""] * 6)[3:5] == ["tcp", "any"], "rule 2003's protocol and ports")

# 2. A rule in two port groups, one shared with a rule outside the subset ($);
#    a floating rule with an anchored one; a caseless anchored rule on any
#    protocol; a rule that anchors one branch and not the other.
path = write("mixed.rules",
             "10 both x udp 53,161 /^SSH-2\\.0-/\n"
             "11 web x tcp 80 /GET \\/cgi-bin/\n"
             "12 dollar x udp 53 /^abc$/\n"
             "13 any x any any /^\\x00\\x01/i\n"
             "14 half x tcp 443 /^abc|def/\n"
             "15 web2 x tcp 80 /^POST /\n")
rc, out, err = run(path)
check(rc == 0, "mixed rules load (rc %d, %r)" % (rc, err))
rows = engines(out)
check(rows.get(10, [""] * 6)[5] == "darkcap's matcher (anchored) in 1 of its 2 port groups, Hyperscan in the others",
      "rule 10: %r" % rows.get(10))
check(rows.get(11, [""] * 6)[5] == "darkcap's matcher (floating)", "rule 11: %r" % rows.get(11))
check(rows.get(15, [""] * 6)[5] == "darkcap's matcher (anchored)", "rule 15: %r" % rows.get(15))
check(rows.get(12, [""] * 6)[5] == "Hyperscan (uses ^ or $ past the start)", "rule 12: %r" % rows.get(12))
check(rows.get(13, [""] * 6)[3:5] == ["any", "any"], "rule 13: %r" % rows.get(13))
check(rows.get(14, [""] * 6)[5] == "Hyperscan (anchors some top-level branches and not others)",
      "rule 14: %r" % rows.get(14))

# 3. Bad files: one line naming file and line, exit 1; nothing on stdout.
bad = write("bad.rules", "# comment\n1 a a udp 53 /^(a/\n")
rc, out, err = run(default, bad)
check(rc == 1 and out == "" and len(err.splitlines()) == 1 and
      err.startswith("darkcap-rules: %s:2: rule 1: " % bad), "bad rule: rc %d, %r" % (rc, err))
rc, out, err = run(os.path.join(work, "missing.rules"))
check(rc == 1 and len(err.splitlines()) == 1 and "missing.rules" in err, "missing file: %r" % err)
dup = write("dup.rules", "5 a a udp 53 /^a/\n")
rc, out, err = run(dup, dup)
check(rc == 1 and len(err.splitlines()) == 1 and "5" in err, "duplicate id across files: %r" % err)

# 4. Usage.
rc, out, err = run()
check(rc == 2 and err.startswith("usage: darkcap-rules"), "no file: rc %d" % rc)
rc, out, err = run("--bogus", default)
check(rc == 2 and err.strip() == "darkcap-rules: unknown option '--bogus' (see --help)", "unknown option: %r" % err)
rc, out, err = run("--quiet", default)
check(rc == 0 and out == "" and err == "", "--quiet")
rc, out, err = run("--help")
check(rc == 0 and out.startswith("usage: darkcap-rules"), "--help")

print("rules_cli: %d failures" % len(failures))
sys.exit(1 if failures else 0)
