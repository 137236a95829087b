#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""darkcap-sig-count's line against darkcap-gen's truth (its total record):
frames, payloads scanned, bytes scanned, payloads matched, matches."""
import json
import sys


def main():
    truth, line = sys.argv[1], sys.argv[2].strip()
    with open(truth) as f:
        rows = [json.loads(x) for x in f if x.strip()]
    tot = [r for r in rows if r.get("total")]
    if not tot:
        print("sig_count_check: no total record in %s" % truth)
        return 1
    t = tot[-1]
    sc = t["signature_scan"]
    matches = sum(v["packets"] for v in t["signatures"].values())
    want = "%d frames, %d payloads scanned (%d bytes), %d matched, %d matches" % (
        t["packets"], sc["payload_packets"], sc["scanned_bytes"], sc["matched_packets"], matches)
    if line != want:
        print("sig_count_check: got  '%s'\n                 want '%s'" % (line, want))
        return 1
    print("sig_count_check: equal to the generator's truth")
    return 0


if __name__ == "__main__":
    sys.exit(main())
