#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""darkcap-report's HyperLogLog (Python port) against lib/sketch (C):

- dc_hll_add() and the report's hll_add() give the same registers for the
  same hashes (the store's sketch contract);
- dc_hll_estimate() and hll_estimate() give the same integer for empty,
  sparse, mid-range, large (10^6) and synthetic extreme registers;
- the register-wise maximum (SWAR on one big integer) equals the naive one;
- merging: sparse lists give the exact size of the union; a dense input
  gives exactly the C estimate of the union's registers;
- blobs outside the contract are rejected.

Usage: test_hll.py --report darkcap-report --helper hll_estimate --workdir DIR
"""
import argparse
import importlib.machinery
import importlib.util
import os
import random
import struct
import subprocess
import sys

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
import tally  # noqa: E402
from tally import check  # noqa: E402





def load_report(path):
    loader = importlib.machinery.SourceFileLoader("darkcap_report", path)
    spec = importlib.util.spec_from_loader("darkcap_report", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--report", required=True)
    ap.add_argument("--helper", required=True)
    ap.add_argument("--workdir", required=True)
    a = ap.parse_args()
    R = load_report(a.report)
    os.makedirs(a.workdir, exist_ok=True)
    rng = random.Random(14)
    M = R.HLL_M

    def c_from_hashes(hashes):
        hp = os.path.join(a.workdir, "hashes.bin")
        rp = os.path.join(a.workdir, "regs.bin")
        with open(hp, "wb") as f:
            f.write(struct.pack("<%dQ" % len(hashes), *hashes))
        out = subprocess.run([a.helper, "hashes", hp, rp], capture_output=True, text=True, check=True).stdout
        return open(rp, "rb").read(), int(out)

    def c_estimates(reg_list):
        paths = []
        for i, r in enumerate(reg_list):
            p = os.path.join(a.workdir, "r%d.bin" % i)
            with open(p, "wb") as f:
                f.write(r)
            paths.append(p)
        out = subprocess.run([a.helper, "regs"] + paths, capture_output=True, text=True, check=True).stdout
        return [int(x) for x in out.split()]

    # 1. adding hashes: same registers, same estimate
    sizes = [0, 1, 5, 100, 1000, 2047, 5000, 20000, 100000]
    for n in sizes:
        hs = [rng.getrandbits(64) for _ in range(n)]
        creg, cest = c_from_hashes(hs)
        preg = R.hll_from_hashes(hs)
        check(creg == preg, "registers of %d hashes differ between dc_hll_add and hll_add" % n)
        pest = R.hll_estimate(preg)
        check(pest == cest, "estimate of %d hashes: C %d, Python %d" % (n, cest, pest))
        if n >= 1000:
            check(abs(pest - n) / n < 0.04, "estimate of %d hashes is %d (over 4 %% off)" % (n, pest))
    # edge hashes: zero, all ones, only the index bits, only the low bits
    edge = [0, R.MASK64, 1 << 50, (1 << 50) - 1, 1, 1 << 63, 0x3FFF << 50]
    creg, cest = c_from_hashes(edge)
    check(creg == R.hll_from_hashes(edge), "registers of edge hashes differ")
    check(R.hll_estimate(creg) == cest, "estimate of edge hashes differs")
    # a million (registers from C, too slow to add in Python here)
    hs = [rng.getrandbits(64) for _ in range(1000000)]
    creg, cest = c_from_hashes(hs)
    check(R.hll_estimate(creg) == cest, "estimate of 10^6 hashes: C %d, Python %d" % (cest, R.hll_estimate(creg)))
    check(abs(cest - 1000000) / 1000000 < 0.03, "10^6 hashes estimated as %d" % cest)

    # 2. synthetic registers, including the estimator's extreme branches
    synth = [bytes(M), bytes([51]) * M, bytes([1]) * M, bytes([50]) * M, bytes([0, 51]) * (M // 2),
             bytes(rng.randrange(0, 52) for _ in range(M)), bytes(rng.randrange(0, 4) for _ in range(M)),
             bytes(min(51, int(rng.expovariate(0.7))) for _ in range(M)),
             bytes([0] * (M - 1) + [51]), bytes([51] * (M - 1) + [0])]
    for _ in range(10):
        base = rng.randrange(0, 30)
        synth.append(bytes(min(51, base + int(rng.expovariate(1.0))) for _ in range(M)))
    cests = c_estimates(synth)
    compared = 0
    for i, (r, ce) in enumerate(zip(synth, cests)):
        pe = R.hll_estimate(r)
        if pe == R.MASK64:
            # past 2^64 the C cast to uint64_t is undefined behaviour (there
            # the port saturates instead): only reachable with ~2^60 items
            continue
        compared += 1
        check(pe == ce, "synthetic registers #%d: C %d, Python %d" % (i, ce, pe))
    check(compared >= 15, "only %d synthetic register sets compared" % compared)

    # 3. register-wise maximum
    for i in range(40):
        x = bytes(rng.randrange(0, 52) for _ in range(M))
        y = bytes(rng.randrange(0, 52) for _ in range(M))
        if i == 0:
            x, y = bytes(M), bytes([51]) * M
        if i == 1:
            x, y = bytes([51]) * M, bytes(M)
        check(R.hll_max(x, y) == bytes(map(max, x, y)), "hll_max #%d differs from the naive maximum" % i)

    # 4. merging
    a_h = [rng.getrandbits(64) for _ in range(1500)]
    b_h = a_h[:700] + [rng.getrandbits(64) for _ in range(1200)]
    sparse = lambda hs: R.parse_sketch(struct.pack("<%dQ" % len(hs), *hs))
    n, est = R.merge_sketches([sparse(a_h), sparse(b_h)])
    check((n, est) == (len(set(a_h) | set(b_h)), False), "sparse merge: %r, expected exact %d" % ((n, est), len(set(a_h) | set(b_h))))
    c_h = [rng.getrandbits(64) for _ in range(6000)] + a_h[:100]
    dense_c = R.parse_sketch(R.hll_from_hashes(c_h))
    check(dense_c[0] == "dense", "16384 bytes not read as dense")
    n, est = R.merge_sketches([sparse(a_h), dense_c, sparse(b_h)])
    _reg, cest = c_from_hashes(sorted(set(a_h) | set(b_h) | set(c_h)))
    check(est and n == cest, "mixed merge %d, C estimate of the union %d" % (n, cest))
    d_h = [rng.getrandbits(64) for _ in range(9000)] + c_h[:3000]
    n, est = R.merge_sketches([dense_c, R.parse_sketch(R.hll_from_hashes(d_h))])
    _reg, cest = c_from_hashes(sorted(set(c_h) | set(d_h)))
    check(est and n == cest, "dense merge %d, C estimate of the union %d" % (n, cest))
    check(R.merge_sketches([]) == (0, False), "empty merge")

    # 5. the contract's forms
    check(R.parse_sketch(b"") == ("sparse", ()), "empty blob is an empty sparse list")
    check(R.parse_sketch(b"\x00" * 12) is None, "12-byte blob accepted")
    check(R.parse_sketch(b"\x00" * (M + 8)) is None, "16392-byte blob accepted")
    check(R.parse_sketch(b"\x00" * (2048 * 8 - 8))[0] == "sparse", "2047 hashes not sparse")
    check(R.parse_sketch(bytes([52]) * M) is None, "register value 52 accepted")

    return tally.summary()


if __name__ == "__main__":
    sys.exit(main())
