#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Minimal PNG reader (8-bit grey/RGB/RGBA, not interlaced: what headless
Chromium writes), standard library only: decode, count colours, crop.

  pngcheck.py stats FILE.png            size, distinct colours, non-white share
  pngcheck.py crop FILE.png Y0 Y1 OUT   rows Y0..Y1 as a new PNG
"""
import struct
import sys
import zlib


def read_png(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos = 8
    idat = b""
    w = h = ctype = None
    while pos < len(data):
        n, t = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        pos += 12 + n
        if t == b"IHDR":
            w, h, depth, ctype, _c, _f, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or interlace != 0 or ctype not in (0, 2, 6):
                raise ValueError("unsupported PNG (depth %d, type %d, interlace %d)" % (depth, ctype, interlace))
        elif t == b"IDAT":
            idat += body
        elif t == b"IEND":
            break
    bpp = {0: 1, 2: 3, 6: 4}[ctype]
    raw = zlib.decompress(idat)
    stride = w * bpp
    rows = []
    prev = bytearray(stride)
    i = 0
    for _y in range(h):
        f = raw[i]
        line = bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        if f == 1:
            for x in range(bpp, stride):
                line[x] = (line[x] + line[x - bpp]) & 255
        elif f == 2:
            for x in range(stride):
                line[x] = (line[x] + prev[x]) & 255
        elif f == 3:
            for x in range(stride):
                a = line[x - bpp] if x >= bpp else 0
                line[x] = (line[x] + ((a + prev[x]) >> 1)) & 255
        elif f == 4:
            for x in range(stride):
                a = line[x - bpp] if x >= bpp else 0
                b = prev[x]
                c = prev[x - bpp] if x >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pr = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[x] = (line[x] + pr) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows


def stats(path):
    w, h, bpp, rows = read_png(path)
    colours = set()
    nonwhite = 0
    total = 0
    for y in range(0, h, 3):
        r = rows[y]
        for x in range(0, w * bpp, bpp * 3):
            px = r[x:x + 3] if bpp >= 3 else bytes([r[x]] * 3)
            colours.add(px)
            total += 1
            if px != b"\xff\xff\xff":
                nonwhite += 1
    return {"width": w, "height": h, "colours": len(colours), "nonwhite": nonwhite / total if total else 0}


def write_png(path, w, h, bpp, rows):
    ctype = {1: 0, 3: 2, 4: 6}[bpp]
    raw = b"".join(b"\x00" + r for r in rows)

    def chunk(t, body):
        return struct.pack(">I", len(body)) + t + body + struct.pack(">I", zlib.crc32(t + body) & 0xFFFFFFFF)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, ctype, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))


if __name__ == "__main__":
    if sys.argv[1] == "stats":
        print(stats(sys.argv[2]))
    elif sys.argv[1] == "crop":
        w, h, bpp, rows = read_png(sys.argv[2])
        y0, y1 = int(sys.argv[3]), min(int(sys.argv[4]), h)
        write_png(sys.argv[5], w, y1 - y0, bpp, rows[y0:y1])
