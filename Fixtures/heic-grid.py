#!/usr/bin/env python3
"""Writes a HEIC as phones do: the picture cut into 512x512 tiles, each tile its own HEVC
picture (x265, through the ffmpeg CLI), and a `grid` item that assembles them (ISO/IEC 23008-12
6.6.2.3), cropped to the picture's size. heif-enc 1.15 writes one HEVC picture only, and iPhones'
own files cannot be committed, so the fixtures and the benchmark make theirs with this.

Usage: heic-grid.py INPUT OUTPUT.heic [--tile 512] [--irot N] [--crf 22] [--nclx]
  --irot N  an `irot` property of N anticlockwise quarter turns on the grid (as a portrait photo)
  --nclx    an nclx `colr` box (BT.601, full range); without it the tiles' VUI says the same
"""
import argparse, os, struct, subprocess, tempfile


def box(kind, body):
    return struct.pack(">I4s", 8 + len(body), kind.encode()) + body


def full(kind, version, flags, body):
    return box(kind, struct.pack(">I", version << 24 | flags) + body)


def nal_units(stream):
    """Annex B byte stream -> NAL units (start codes removed)."""
    units, i, n = [], 0, len(stream)
    starts = []
    while True:
        j = stream.find(b"\x00\x00\x01", i)
        if j < 0:
            break
        starts.append(j + 3)
        i = j + 3
    for k, s in enumerate(starts):
        end = starts[k + 1] - 3 if k + 1 < len(starts) else n
        unit = stream[s:end]
        while unit.endswith(b"\x00"):  # the next start code's leading zero byte
            unit = unit[:-1]
        units.append(unit)
    return units


def hvcc(units):
    """An hvcC body: profile fields from the SPS, the VPS/SPS/PPS in arrays, 4-byte NAL lengths."""
    sets = {32: [], 33: [], 34: []}
    for u in units:
        t = u[0] >> 1 & 0x3F
        if t in sets:
            sets[t].append(u)
    sps = sets[33][0]
    ptl = sps[3:15]  # general profile_space..level_idc, after the NAL header and one byte
    # version 1, the 12 bytes of profile, compatibility, constraints and level, no segmentation or
    # parallelism declared, 4:2:0, 8 bits, no frame rate, lengthSizeMinusOne 3.
    body = bytes([1]) + ptl + struct.pack(">H", 0xF000) + bytes([0xFC, 0xFD, 0xF8, 0xF8]) + struct.pack(">H", 0) + bytes([0x0F])
    arrays = [(t, sets[t]) for t in (32, 33, 34) if sets[t]]
    body += bytes([len(arrays)])
    for t, us in arrays:
        body += bytes([0x80 | t]) + struct.pack(">H", len(us))
        for u in us:
            body += struct.pack(">H", len(u)) + u
    return body


def encode_tile(png, x, y, tile, width, height, crf, folder):
    out = os.path.join(folder, f"tile-{x}-{y}.hevc")
    # The edge tiles are padded (the grid crops them), as cameras pad theirs.
    crop = f"crop={min(tile, width - x)}:{min(tile, height - y)}:{x}:{y},pad={tile}:{tile}:0:0"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", png, "-vf", crop + ",format=yuvj420p", "-frames:v", "1",
                    "-c:v", "libx265", "-preset", "fast", "-crf", str(crf), "-x265-params", "log-level=error",
                    "-color_range", "pc", "-colorspace", "bt470bg", "-f", "hevc", out], check=True)
    with open(out, "rb") as f:
        return nal_units(f.read())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("--tile", type=int, default=512)
    parser.add_argument("--irot", type=int, default=0)
    parser.add_argument("--crf", type=int, default=22)
    parser.add_argument("--nclx", action="store_true")
    a = parser.parse_args()
    size = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=width,height", "-of", "csv=p=0", a.input],
                          check=True, capture_output=True, text=True).stdout.split(",")
    width, height = int(size[0]), int(size[1])
    columns, rows = -(-width // a.tile), -(-height // a.tile)
    with tempfile.TemporaryDirectory() as folder:
        tiles = [encode_tile(a.input, c * a.tile, r * a.tile, a.tile, width, height, a.crf, folder)
                 for r in range(rows) for c in range(columns)]
    config = hvcc(tiles[0])
    datas = [b"".join(struct.pack(">I", len(u)) + u for u in units if (u[0] >> 1 & 0x3F) not in (32, 33, 34)) for units in tiles]
    grid_id, ids = 1, list(range(2, 2 + len(tiles)))
    grid = struct.pack(">BBBBHH", 0, 0, rows - 1, columns - 1, width, height)
    # Items: the grid (primary, its description in idat), then the tiles (hidden).
    infe = [full("infe", 2, 0, struct.pack(">HH4s", grid_id, 0, b"grid") + b"\0")]
    infe += [full("infe", 2, 1, struct.pack(">HH4s", i, 0, b"hvc1") + b"\0") for i in ids]
    iinf = full("iinf", 0, 0, struct.pack(">H", len(infe)) + b"".join(infe))
    iref = full("iref", 0, 0, box("dimg", struct.pack(">HH", grid_id, len(ids)) + b"".join(struct.pack(">H", i) for i in ids)))
    # Properties: 1 hvcC, 2 ispe of a tile, 3 ispe of the grid, 4 irot, 5 colr nclx.
    props = [box("hvcC", config), full("ispe", 0, 0, struct.pack(">II", a.tile, a.tile)),
             full("ispe", 0, 0, struct.pack(">II", width, height)), box("irot", bytes([a.irot & 3])),
             box("colr", b"nclx" + struct.pack(">HHHB", 1, 13, 6, 0x80))]
    ipco = box("ipco", b"".join(props))
    grid_props = [3] + ([4] if a.irot else []) + ([5] if a.nclx else [])
    entries = struct.pack(">HB", grid_id, len(grid_props)) + bytes(0x80 | p if p == 4 else p for p in grid_props)
    for i in ids:
        entries += struct.pack(">HB", i, 2) + bytes([0x81, 2])
    ipma = full("ipma", 0, 0, struct.pack(">I", 1 + len(ids)) + entries)
    iprp = box("iprp", ipco + ipma)
    hdlr = full("hdlr", 0, 0, b"\0\0\0\0pict" + b"\0" * 12 + b"\0")
    pitm = full("pitm", 0, 0, struct.pack(">H", grid_id))
    idat = box("idat", grid)

    def iloc(mdat_start):
        # version 1 (construction methods): offset 4, length 4, base 0, index 0.
        body = struct.pack(">BBH", 0x44, 0x00, 1 + len(ids))
        body += struct.pack(">HHHHII", grid_id, 1, 0, 1, 0, len(grid))  # in idat
        at = mdat_start
        for i, d in zip(ids, datas):
            body += struct.pack(">HHHHII", i, 0, 0, 1, at, len(d))
            at += len(d)
        return full("iloc", 1, 0, body)

    ftyp = box("ftyp", b"heic" + struct.pack(">I", 0) + b"mif1heic")
    def meta(mdat_start):
        return full("meta", 0, 0, hdlr + pitm + iloc(mdat_start) + iinf + iref + iprp + idat)
    head = ftyp + meta(0)
    mdat_start = len(head) + 8
    head = ftyp + meta(mdat_start)
    assert len(head) + 8 == mdat_start
    with open(a.output, "wb") as f:
        f.write(head + box("mdat", b"".join(datas)))


if __name__ == "__main__":
    main()
