#!/usr/bin/env python3
"""make bench-check — a regression guard on instruction counts, not wall time.

Each workload runs kimi-media (the release build, debug info stripped so valgrind can read it) once
under callgrind, which counts the instructions executed whatever else the machine does. The count
of each stage is the instructions spent in that stage's own functions, summed over every thread
(so work handed to band threads or a decode thread is counted where it is done):

  probe          probe of the fixtures (images, videos, converted formats): the whole process
  startup        `kimi-media --version`: the whole process
  probe-one      `kimi-media probe FILE` of one small JPEG (a fixture): the whole process, start-up
                 included, as a user types it
  prepare-one    `kimi-media prepare FILE --out DIR` of the same JPEG: the whole process
  jpeg-codec     fitting a 15 MP JPEG: instructions inside libjpeg-turbo (decode and encode)
  resize         the same run: kimi-media's resampler, colour and half-scale kernels
  png-decode     fitting a 12 MP RGB PNG: inflate (libdeflate) and kimi-media's PNG unfilter
  video-decode   keyframes of a 20 s 720p H.264 clip: inside libavcodec
  keyframes      the same run: the frame path after decoding (swscale, the JPEG encoder, kimi-media's
                 extractor and colour code)
  progressive    fitting the 15 MP JPEG made progressive (jpegtran): our scan decoder and IDCT
                 (jpeg_progressive.c)
  heic-decode    fitting a 3 MP HEIC (one HEVC picture, heif-enc's): inside libde265, and our HEVC
                 path (item boxes, the colour pass into JPEG's planes)
  tiles          `--tiles auto` of a 1080x8000 screenshot-shaped PNG: the whole process (decode,
                 the tiles cut and encoded)
  model-rate     `--video model --frames none` of a 6 s 640x360 H.264 clip: the whole process (every
                 frame decoded, 2 a second scaled and encoded by libx264)

A stage fails when its count exceeds the baseline in Benchmarks/bench-check.json by more than the
tolerance (default 10 %): a stage made 20 % slower fails. Counts depend on the compiler and on the
Debian packages' library builds: after an intended change (or on another machine), record new
baselines with `make bench-check UPDATE=1` and commit the file.
bench-check.json's "references" are counts from before a change that was made for them, each
printed as a ratio beside its stage (probe-one and prepare-one: the start-up before the common
command lines skipped ArgumentParser's reflection); they are history, never a pass or fail.
Usage: Benchmarks/bench-check.py [--update] [--tolerance 0.10] [--only STAGE,...]
"""
import argparse, json, os, re, shutil, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import benchlib  # noqa: E402

BASELINES = os.path.join(HERE, "bench-check.json")
OURS = re.compile(r"\$s(\d+)(MediaCodecs|MediaCore|KimiMedia)")


def in_object(pattern):
    return lambda function, obj: re.search(pattern, os.path.basename(obj)) is not None


def c_functions(pattern):
    """kimi-media's own C functions (the binary itself) whose name matches `pattern`."""
    return lambda function, obj: os.path.basename(obj) == "kimi-media" and re.match(pattern, function) is not None


def ours(pattern):
    """kimi-media's own Swift functions (its media modules) whose mangled name matches `pattern`."""
    return lambda function, obj: OURS.search(function) is not None and re.search(pattern, function) is not None


def either(*rules):
    return lambda function, obj: any(rule(function, obj) for rule in rules)


# stage: (workload, which functions count; None: the whole process)
STAGES = {
    "probe": ("probe", None),
    "startup": ("version", None),
    "probe-one": ("probe-one", None),
    "prepare-one": ("prepare-one", None),
    "jpeg-codec": ("jpeg", in_object(r"libjpeg|libturbojpeg")),
    "resize": ("jpeg", ours(r"Resampler|ColorMatrix|HalfScale|resizeWhileDecoding|Plane")),
    "png-decode": ("png", either(in_object(r"libdeflate"), ours(r"PNG"))),
    "video-decode": ("keyframes", in_object(r"libavcodec")),
    "keyframes": ("keyframes", either(in_object(r"libswscale|libturbojpeg"), ours(r"Frame|Video|ColorMatrix|Resampler|Plane|JPEG"))),
    "progressive": ("progressive", c_functions(r"kp_|kimi_jpeg_progressive")),
    "heic-decode": ("heic", either(in_object(r"libde265"), ours(r"HEVC|HEIF"), c_functions(r"kimi_hevc|kimi_video_to_jfif"))),
    "tiles": ("tiles", None),
    "model-rate": ("model-rate", None),
}


def generated(name, args):
    """An input made once by ffmpeg with `args` under the cache."""
    return benchlib.cached_file(os.path.join(benchlib.CACHE, "bench-check"), name, lambda path: subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", *args, path], check=True))


def workloads(binary, out):
    jpeg = generated("photo-15mp.jpg", ["-f", "lavfi", "-i", "testsrc2=size=5000x3000:rate=1", "-frames:v", "1",
                                        "-vf", "noise=alls=12:allf=t", "-q:v", "3"])
    png = generated("scan-12mp.png", ["-f", "lavfi", "-i", "testsrc2=size=4000x3000:rate=1", "-frames:v", "1",
                                      "-vf", "noise=alls=12:allf=t", "-pix_fmt", "rgb24"])
    clip = generated("h264-720p-20s.mp4", ["-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30", "-t", "20",
                                           "-c:v", "libx264", "-preset", "veryfast", "-g", "60", "-pix_fmt", "yuv420p"])
    fixtures = [os.path.join(benchlib.ROOT, "Fixtures", f) for f in ("images", "video", "convert")]
    one = os.path.join(benchlib.ROOT, "Fixtures", "images", "jpeg-baseline.jpg")
    progressive = benchlib.cached_file(os.path.join(benchlib.CACHE, "bench-check"), "photo-15mp-progressive.jpg", lambda path: subprocess.run(
        ["jpegtran", "-progressive", "-outfile", path, jpeg], check=True))
    small = generated("photo-3mp.png", ["-f", "lavfi", "-i", "testsrc2=size=2000x1500:rate=1", "-frames:v", "1",
                                        "-vf", "noise=alls=12:allf=t", "-pix_fmt", "rgb24"])
    heic = benchlib.cached_file(os.path.join(benchlib.CACHE, "bench-check"), "photo-3mp.heic", lambda path: subprocess.run(
        ["heif-enc", "-q", "80", "-o", path, small], check=True, stdout=subprocess.DEVNULL))
    short = generated("h264-360p-6s.mp4", ["-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30", "-t", "6",
                                           "-c:v", "libx264", "-preset", "veryfast", "-g", "60", "-pix_fmt", "yuv420p"])
    tall = generated("screenshot-1080x8000.png", ["-f", "lavfi", "-i", "testsrc2=size=1080x8000:rate=1", "-frames:v", "1",
                                                  "-pix_fmt", "rgb24"])
    return {
        "probe": [binary, "probe", "--json", *fixtures],
        "tiles": [binary, "prepare", "--quiet", "--tiles", "auto", "--out", out + "/tiles", tall],
        "model-rate": [binary, "prepare", "--quiet", "--video", "model", "--frames", "none", "--out", out + "/model-rate", short],
        "version": [binary, "--version"],
        "probe-one": [binary, "probe", one],
        "prepare-one": [binary, "prepare", one, "--out", out + "/one"],
        "jpeg": [binary, "prepare", "--quiet", "--out", out + "/jpeg", jpeg],
        "png": [binary, "prepare", "--quiet", "--out", out + "/png", png],
        "keyframes": [binary, "prepare", "--quiet", "--video", "none", "--out", out + "/keyframes", clip],
        "progressive": [binary, "prepare", "--quiet", "--out", out + "/progressive", progressive],
        "heic": [binary, "prepare", "--quiet", "--out", out + "/heic", heic],
    }


def made_what_it_measures(name, work):
    """The tiles and model-rate stages count whole processes: fail unless the run really tiled, or
    really wrote a model-rate video (else a change that stopped it would pass as faster)."""
    if name not in ("tiles", "model-rate"):
        return
    entry = json.loads(open(os.path.join(work, name, "manifest.jsonl")).readline())
    if name == "tiles" and not (len(entry["outputs"]) > 1 and all(o.get("tile") for o in entry["outputs"])):
        raise SystemExit(f"bench-check: the tiles workload made no tiles: {entry['outputs']}")
    if name == "model-rate" and not (any(o["format"] == "mp4" for o in entry["outputs"])
                                     and ((entry.get("plan") or {}).get("encode") or {}).get("modelRate")):
        raise SystemExit(f"bench-check: the model-rate workload wrote no video: {entry['outputs']}")


def self_costs(profile):
    """[(instructions, function, object)] from callgrind_annotate's self-cost listing."""
    text = subprocess.check_output(["callgrind_annotate", "--inclusive=no", "--threshold=100", profile], text=True,
                                   stderr=subprocess.DEVNULL)
    rows = []
    for line in text.splitlines():
        match = re.match(r"\s*([\d,]+) \([ \d.]+%\)\s+(.*?):(.*) \[(.*)\]\s*$", line)
        if match:
            rows.append((int(match.group(1).replace(",", "")), match.group(3), match.group(4)))
    return rows


def total(profile):
    for line in open(profile):
        if line.startswith("totals:") or line.startswith("summary:"):
            return int(line.split()[1])
    raise SystemExit(f"no totals in {profile}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--update", action="store_true", help="record the counts as the new baselines")
    ap.add_argument("--tolerance", type=float, default=None)
    ap.add_argument("--only", default=",".join(STAGES))
    args = ap.parse_args()
    if not shutil.which("valgrind"):
        raise SystemExit("valgrind is needed (make bench-check installs it)")
    work = tempfile.mkdtemp(prefix="kimi-media-bench-check-")
    try:
        # valgrind 3.19 cannot read the static build's DWARF 5 debug info; the symbol table is enough.
        binary = os.path.join(work, "kimi-media")
        subprocess.run(["strip", "--strip-debug", "-o", binary, benchlib.binary()], check=True)
        commands = workloads(binary, work)
        wanted = args.only.split(",")
        profiles = {}
        for name in sorted({STAGES[s][0] for s in wanted}):
            profile = os.path.join(work, f"{name}.callgrind")
            subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={profile}", *commands[name]],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            profiles[name] = profile
            made_what_it_measures(name, work)
        counts = {}
        for stage in wanted:
            workload, rule = STAGES[stage]
            if rule is None:
                counts[stage] = total(profiles[workload])
                continue
            counts[stage] = sum(ir for ir, function, obj in self_costs(profiles[workload]) if rule(function, obj))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    saved = json.load(open(BASELINES)) if os.path.exists(BASELINES) else {"tolerance": 0.10, "stages": {}}
    tolerance = args.tolerance if args.tolerance is not None else saved.get("tolerance", 0.10)
    if args.update:
        saved["stages"].update(counts)
        saved["tolerance"] = tolerance
        with open(BASELINES, "w") as f:
            json.dump(saved, f, indent=1, sort_keys=True)
            f.write("\n")
        print(f"baselines written to {os.path.relpath(BASELINES, benchlib.ROOT)}")
    failed = []
    references = saved.get("references", {})
    print(f"{'stage':<14} {'instructions':>15} {'baseline':>15} {'change':>8}")
    for stage, count in counts.items():
        base = saved["stages"].get(stage)
        change = (count / base - 1) if base else None
        verdict = ""
        if change is not None and change > tolerance:
            verdict = f"  FAIL (> +{tolerance:.0%})"
            failed.append(stage)
        elif change is not None and change < -tolerance:
            verdict = "  faster: record it with UPDATE=1"
        reference = references.get(stage)
        if reference:
            verdict += f"  ({count / reference['instructions']:.2f}x of {reference['instructions']:,}, {reference['when']})"
        print(f"{stage:<14} {count:>15,} {base or 0:>15,} {'' if change is None else f'{change:+.1%}':>8}{verdict}")
    if failed:
        raise SystemExit(f"bench-check: {', '.join(failed)} above the baseline by more than {tolerance:.0%}")


if __name__ == "__main__":
    main()
