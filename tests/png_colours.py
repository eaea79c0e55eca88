#!/usr/bin/env python3
"""png_colours.py FILE.png [ROWS]: print the number of distinct colours of
an 8-bit RGB or RGBA, non-interlaced PNG (what headless Chromium writes),
and the share of pixels that differ from the most common colour, over its
first ROWS rows (default 400: the top of a page, where every page has its
header, summary and first pictures; decoding in Python costs about a
second per million pixels).  Standard library only (zlib): the browser
tests use it to tell a rendered page from a blank one."""
import struct
import sys
import zlib
from collections import Counter


def pixels(path, max_rows):
    data = open(path, 'rb').read()
    if data[:8] != b'\x89PNG\r\n\x1a\n':
        raise SystemExit(f'{path}: not a PNG file')
    pos, idat, hdr = 8, b'', None
    while pos < len(data):
        n, kind = struct.unpack('>I4s', data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b'IHDR':
            hdr = struct.unpack('>IIBBBBB', body)
        elif kind == b'IDAT':
            idat += body
        pos += 12 + n
    w, h, depth, ctype, _, _, interlace = hdr
    if depth != 8 or ctype not in (2, 6) or interlace:
        raise SystemExit(f'{path}: expected 8-bit RGB(A), non-interlaced')
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(idat)
    stride = w * bpp
    prev = bytearray(stride)
    out = []
    for y in range(min(h, max_rows)):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):   # PNG filters (RFC 2083, 6)
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pr = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[i] = (line[i] + pr) & 255
        out.extend(bytes(line[i:i + 3]) for i in range(0, stride, bpp))
        prev = line
    return out


px = pixels(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 400)
count = Counter(px)
top = count.most_common(1)[0][1]
print(len(count), f'{1 - top / len(px):.4f}')
