#!/usr/bin/env python3
"""Side-by-side image benchmark: kimi-media prepare against vipsthumbnail, vips thumbnail,
ImageMagick convert -resize and ffmpeg scale (lanczos), on one generated corpus, fitting into the
same 4096x2160 box, JPEG quality 90. Tools are interleaved round by round (each round runs every
tool once on every class), so drift hits all alike. Wall time per class and tool is the median over
rounds; peak memory is the largest resident size of any one process (wait4's ru_maxrss).

Corpus (made once under --corpus, not committed): 24 MP baseline and progressive JPEGs, 12 MP
phone JPEGs with EXIF orientation 6, large RGBA PNGs and large WebPs, photo-like (test pattern plus
grain, so entropy decoding costs what it does on photographs).

Usage: Benchmarks/compare-images.py [--rounds N] [--corpus DIR] [--out Benchmarks/results/images.md]
"""
import argparse, os, shutil, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CLASSES = [  # name, count, size, how
    ("jpeg-24mp-baseline", 6, "6000x4000", "baseline"),
    ("jpeg-24mp-progressive", 4, "6000x4000", "progressive"),
    # 4:2:0, as cameras, phones and web encoders write progressive JPEGs (ImageMagick's own choice
    # above quality 90, the class above, is 4:4:4).
    ("jpeg-24mp-progressive-420", 2, "6000x4000", "progressive420"),
    ("jpeg-12mp-phone-orientation-6", 4, "4032x3024", "phone"),
    ("png-rgb-12mp", 3, "4000x3000", "pngrgb"),
    ("png-16bit-12mp", 2, "4000x3000", "png16"),
    ("png-rgba-12mp", 3, "4000x3000", "png"),
    ("webp-12mp", 3, "4000x3000", "webp"),
    ("webp-alpha-12mp", 2, "4000x3000", "webpalpha"),
]
# Classes whose images have alpha: kimi-media keeps it (PNG out, its default), and so must the peers.
ALPHA = {"png-rgba-12mp", "webp-alpha-12mp"}
SOURCES = ["testsrc2", "smptehdbars", "rgbtestsrc", "testsrc", "yuvtestsrc", "pal100bars"]


def sh(*args, **kw):
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)


def make_corpus(folder):
    """Makes the classes not made yet (a class added later is made alone)."""
    os.makedirs(folder, exist_ok=True)
    for name, count, size, how in CLASSES:
        marker = os.path.join(folder, name, ".complete")
        if os.path.exists(marker):
            continue
        os.makedirs(os.path.join(folder, name), exist_ok=True)
        w, h = size.split("x")
        for i in range(count):
            src = SOURCES[i % len(SOURCES)]
            png = os.path.join(folder, f"tmp-{name}-{i}.png")
            # A test pattern with film grain: flat patterns alone would make decoding unrealistically cheap.
            sh("ffmpeg", "-nostdin", "-y", "-f", "lavfi", "-i", f"{src}=size={size}:rate=1", "-frames:v", "1",
               "-vf", f"noise=alls={10 + 2 * i}:allf=t", png)
            # Some sources come out RGBA with transparent pixels, which ImageMagick keeps as a tRNS
            # colour even in PNG24: opaque RGB for every class (the alpha classes add theirs below).
            sh("convert", png, "-alpha", "off", "PNG24:" + png)
            base = os.path.join(folder, name, f"{i:02d}")
            if how == "baseline":
                sh("convert", png, "-quality", "92", "-sampling-factor", "2x2", base + ".jpg")
            elif how == "progressive":
                sh("convert", png, "-quality", "92", "-interlace", "JPEG", base + ".jpg")
            elif how == "progressive420":
                sh("convert", png, "-quality", "92", "-sampling-factor", "2x2", "-interlace", "JPEG", base + ".jpg")
            elif how == "phone":
                # Stored landscape, tagged "rotate 90° clockwise to display", as phones write portraits.
                sh("convert", png, "-quality", "92", base + ".jpg")
                sh("exiftool", "-q", "-overwrite_original", "-n", "-Orientation=6", base + ".jpg")
            elif how == "png":
                sh("convert", png, "-alpha", "set", "-channel", "A", "-fx", "0.5+0.5*sin(i/97)", "+channel",
                   "PNG32:" + base + ".png")
            elif how == "webp":
                sh("cwebp", "-quiet", "-noalpha", "-q", "85", png, "-o", base + ".webp")
            elif how == "pngrgb":
                sh("convert", png, "PNG24:" + base + ".png")
            elif how == "png16":
                sh("convert", png, "-depth", "16", "PNG48:" + base + ".png")
            elif how == "webpalpha":
                sh("convert", png, "-alpha", "set", "-channel", "A", "-fx", "0.5+0.5*sin(j/89)", "+channel", "PNG32:" + base + ".a.png")
                sh("cwebp", "-quiet", "-q", "85", base + ".a.png", "-o", base + ".webp")
                os.remove(base + ".a.png")
            os.remove(png)
        open(marker, "w").close()
    open(os.path.join(folder, ".complete"), "w").close()


def run(cmd, cwd=None):
    """Runs cmd; returns (seconds, peak RSS in KiB of that process)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=cwd)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"failed ({status}): {' '.join(cmd)}")
    return elapsed, usage.ru_maxrss


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--corpus", default=os.path.join(tempfile.gettempdir(), "kimi-media-image-corpus"))
    ap.add_argument("--out", default=os.path.join(ROOT, "Benchmarks", "results", "images.md"))
    ap.add_argument("--bin", default=None)
    args = ap.parse_args()
    binary = args.bin or os.path.join(subprocess.check_output(
        ["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT, text=True).strip(), "kimi-media")
    make_corpus(args.corpus)
    work = tempfile.mkdtemp(prefix="kimi-media-bench-")
    files = {name: sorted(os.path.join(args.corpus, name, f) for f in os.listdir(os.path.join(args.corpus, name)))
             for name, *_ in CLASSES}
    box = "4096x2160"

    def per_file(make):  # a tool that takes one file per process: run them one after another
        def go(paths, out, ext):
            total, peak = 0.0, 0
            for p in paths:
                t, m = run(make(p, os.path.join(out, os.path.splitext(os.path.basename(p))[0] + ext)))
                total += t
                peak = max(peak, m)
            return total, peak
        return go

    def whole(make):  # a tool that takes the whole list in one process
        return lambda paths, out, ext: run(make(paths, out, ext))

    def vips_target(out, ext):
        return out + "/%s" + (ext if ext == ".png" else ext + "[Q=90]")

    cores = os.cpu_count() or 1
    # kimi-media always with its default options (plus --out): JPEG q90 out, PNG where the input has alpha.
    tools = {
        "kimi-media": whole(lambda ps, out, ext: [binary, "prepare", "--quiet", "--out", out, *ps]),
        "kimi-media, a process a file": per_file(lambda p, o: [binary, "prepare", "--quiet", "--out", os.path.dirname(o) + "/" + os.path.basename(o) + ".d", p]),
        "vipsthumbnail": whole(lambda ps, out, ext: ["vipsthumbnail", "--size", box, "-o", vips_target(out, ext), *ps]),
        f"xargs -P {cores} vipsthumbnail": whole(lambda ps, out, ext: [
            "sh", "-c", f'printf "%s\\0" "$@" | xargs -0 -n 1 -P {cores} vipsthumbnail --size {box} -o "{vips_target(out, ext)}"', "sh", *ps]),
        "convert -resize": per_file(lambda p, o: ["convert", p, "-auto-orient", "-resize", box + ">", "-quality", "90", o]),
        "ffmpeg lanczos": per_file(lambda p, o: ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", p, "-vf",
                                                 "scale=w=4096:h=2160:force_original_aspect_ratio=decrease:flags=lanczos",
                                                 "-q:v", "2", o]),
        "djpeg (full decode only)": per_file(lambda p, o: ["djpeg", "-outfile", "/dev/null", p]),
    }
    times = {(c, t): [] for c, *_ in CLASSES for t in tools}
    peaks = {(c, t): 0 for c, *_ in CLASSES for t in tools}
    for r in range(args.rounds):
        for c, *_ in CLASSES:
            for t, go in tools.items():
                if t.startswith("djpeg") and not c.startswith("jpeg"):
                    continue
                out = os.path.join(work, f"{r}-{c}-{t.replace(' ', '_')}")
                os.makedirs(out)
                seconds, peak = go(files[c], out, ".png" if c in ALPHA else ".jpg")
                times[(c, t)].append(seconds)
                peaks[(c, t)] = max(peaks[(c, t)], peak)
                shutil.rmtree(out)
        print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)
    shutil.rmtree(work)

    megapixels = {c: sum(int(s.split("x")[0]) * int(s.split("x")[1]) for _ in range(n)) / 1e6 for c, n, s, _ in CLASSES}
    lines = [f"Fit into {box}: JPEG q90 out, PNG out for the inputs with alpha (kimi-media's default; the peers made to "
             f"write the same). kimi-media with its default options (plus --out). Median of {args.rounds} interleaved rounds; "
             f"ratio = tool time / kimi-media time (above 1: kimi-media is faster). Peak = largest RSS of one process. "
             f"{cores} cores.", ""]
    lines.append("| class (files) | tool | median s | ratio | MP/s | peak MiB |")
    lines.append("|---|---|---:|---:|---:|---:|")
    for c, n, *_ in CLASSES:
        ours = statistics.median(times[(c, "kimi-media")])
        for t in tools:
            if not times[(c, t)]:
                continue
            m = statistics.median(times[(c, t)])
            lines.append(f"| {c} ({n}) | {t} | {m:.3f} | {m / ours:.2f} | {megapixels[c] / m:.0f} | {peaks[(c, t)] / 1024:.0f} |")
    totals = {t: sum(statistics.median(times[(c, t)]) for c, *_ in CLASSES if times[(c, t)]) for t in tools}
    corpus_mp = sum(megapixels.values())
    lines += ["", f"Whole corpus ({sum(n for _, n, *_ in CLASSES)} images, {corpus_mp:.0f} MP):", "",
              "| tool | seconds | ratio | MP/s |", "|---|---:|---:|---:|"]
    for t, s in totals.items():
        if t.startswith("djpeg"):
            continue
        lines.append(f"| {t} | {s:.2f} | {s / totals['kimi-media']:.2f} | {corpus_mp / s:.0f} |")
    one = "kimi-media, a process a file"
    n24 = dict((c, n) for c, n, *_ in CLASSES)["jpeg-24mp-baseline"]
    per = {t: statistics.median(times[("jpeg-24mp-baseline", t)]) / n24 * 1000 for t in (one, "vipsthumbnail", "djpeg (full decode only)")}
    lines += ["", f"One 24 MP JPEG, a process a file: kimi-media {per[one]:.0f} ms = {per[one] / per['vipsthumbnail']:.2f}× "
              f"vipsthumbnail ({per['vipsthumbnail']:.0f} ms) and {per[one] / per['djpeg (full decode only)']:.2f}× a bare djpeg "
              f"full decode ({per['djpeg (full decode only)']:.0f} ms); peak {peaks[('jpeg-24mp-baseline', one)] / 1024:.0f} MiB."]
    lines += ["", "Each input kind, a process a file (kimi-media / vipsthumbnail): " + ", ".join(
        f"{c} {statistics.median(times[(c, one)]) / statistics.median(times[(c, 'vipsthumbnail')]):.2f}" for c, *_ in CLASSES) + "."]
    xargs = [t for t in tools if t.startswith("xargs")][0]
    lines += ["", f"Whole corpus: kimi-media {totals['kimi-media']:.2f} s = {totals['kimi-media'] / totals[xargs]:.2f}× "
              f"`{xargs}` ({totals[xargs]:.2f} s)."]
    jpeg_classes = [c for c, *_ in CLASSES if c.startswith("jpeg")]
    ours_jpeg = sum(statistics.median(times[(c, "kimi-media")]) for c in jpeg_classes)
    djpeg = sum(statistics.median(times[(c, "djpeg (full decode only)")]) for c in jpeg_classes)
    vt = sum(statistics.median(times[(c, "vipsthumbnail")]) for c in jpeg_classes)
    lines += ["", f"JPEG classes: kimi-media {ours_jpeg:.2f} s = {ours_jpeg / vt:.2f}× vipsthumbnail ({vt:.2f} s) and "
              f"{ours_jpeg / djpeg:.2f}× a bare djpeg full decode ({djpeg:.2f} s)."]
    text = "\n".join(lines) + "\n"
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    open(args.out, "w").write(text)
    print(text)


if __name__ == "__main__":
    main()
