#!/usr/bin/env python3
"""Side-by-side video benchmark: kimi-media against the ffmpeg CLI, three modes, same output.

keyframes  kimi-media prepare --frames keyframes --video none (JPEGs fitted to 2048x1080) against the fastest
           ffmpeg form that yields the same frames at the same size:
             ffmpeg -discard nokey -skip_frame nokey -i IN -vf scale=W:H:flags=lanczos -fps_mode vfr -q:v 2 out%04d.jpg
           and, for decoders that ignore skip_frame (VP9, AV1), the select form:
             ffmpeg -i IN -vf "select='eq(pict_type,I)',scale=W:H:flags=lanczos" -fps_mode vfr -q:v 2 out%04d.jpg
model      kimi-media prepare --frames model --video none (the frames Kimi samples, 2 a second) against
             ffmpeg -i IN -vf fps=2,scale=W:H:flags=lanczos -q:v 2 out%04d.jpg
           and a bare full decode (ffmpeg -i IN -f null -) for reference.
reencode   kimi-media prepare --frames none --video fit (an H.264 MP4 inside 2048x1080) against
             ffmpeg -i IN -vf scale=W:H -c:v libx264 -preset veryfast -crf 23 -movflags +faststart out.mp4
           on the clips that need it (outside the box, or not H.264).
Clips (generated once under --corpus, >= 20 s, GOPs of 2 s): 1080p and 4K H.264, 1080p VP9, 1080p AV1, 4K HEVC,
and a portrait phone clip (stored 1920x1080, display matrix 90 degrees). Tools interleaved round by round;
median wall time and peak RSS (wait4) per clip; output counts reported side by side.
Usage: Benchmarks/compare-video.py [--rounds N] [--modes keyframes,model,reencode] [--out Benchmarks/results/video.md]
"""
import argparse, glob, json, os, shutil, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLIPS = [  # name, lavfi size, seconds, fps, codec args, post
    ("h264-1080p-30s.mp4", "1920x1080", 30, 30, ["-c:v", "libx264", "-preset", "veryfast", "-g", "60", "-pix_fmt", "yuv420p"], None),
    ("h264-4k-20s.mp4", "3840x2160", 20, 30, ["-c:v", "libx264", "-preset", "ultrafast", "-g", "60", "-pix_fmt", "yuv420p"], None),
    ("vp9-1080p-20s.webm", "1920x1080", 20, 30, ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-g", "60", "-b:v", "4M"], None),
    ("h264-portrait-20s.mp4", "1920x1080", 20, 30, ["-c:v", "libx264", "-preset", "veryfast", "-g", "60", "-pix_fmt", "yuv420p"], "rotate"),
    ("av1-1080p-20s.mp4", "1920x1080", 20, 30, ["-c:v", "libsvtav1", "-preset", "12", "-g", "60", "-pix_fmt", "yuv420p"], None),
    ("hevc-4k-20s.mp4", "3840x2160", 20, 30, ["-c:v", "libx265", "-preset", "ultrafast", "-g", "60", "-pix_fmt", "yuv420p",
                                               "-tag:v", "hvc1"], None),
]
SKIP_IGNORED = ("vp9", "av1")  # decoders that ignore skip_frame: the select form is the right-frames baseline


def sh(*args):
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def make_corpus(folder):
    os.makedirs(folder, exist_ok=True)
    for name, size, seconds, fps, codec, post in CLIPS:
        path = os.path.join(folder, name)
        if os.path.exists(path):
            continue
        tmp = path + ".tmp" + os.path.splitext(name)[1]
        sh("ffmpeg", "-nostdin", "-y", "-f", "lavfi", "-i", f"testsrc2=size={size}:rate={fps}", "-t", str(seconds),
           "-vf", "noise=alls=6:allf=t", *codec, tmp)
        if post == "rotate":
            sh("ffmpeg", "-nostdin", "-y", "-i", tmp, "-c", "copy", "-metadata:s:v:0", "rotate=270", path)
            os.remove(tmp)
        else:
            os.rename(tmp, path)


def run(cmd):
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        raise SystemExit(f"failed ({status}): {' '.join(cmd)}")
    return time.perf_counter() - start, usage.ru_maxrss


def ffmpeg(*args):
    return ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", *args]


def count(out):
    return len(glob.glob(out + "/**/*.jpg", recursive=True)) or len(glob.glob(out + "/**/*.mp4", recursive=True))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--modes", default="keyframes,model,reencode")
    ap.add_argument("--clips", default="", help="comma-separated clip names (default: all)")
    ap.add_argument("--corpus", default=os.path.join(tempfile.gettempdir(), "kimi-media-video-corpus"))
    ap.add_argument("--out", default=os.path.join(ROOT, "Benchmarks", "results", "video.md"))
    args = ap.parse_args()
    binary = os.path.join(subprocess.check_output(["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT,
                                                  text=True).strip(), "kimi-media")
    make_corpus(args.corpus)
    work = tempfile.mkdtemp(prefix="kimi-media-video-bench-")
    sections = []
    for mode in args.modes.split(","):
        rows = []
        for name, *_ in CLIPS:
            if args.clips and name not in args.clips.split(","):
                continue
            clip = os.path.join(args.corpus, name)
            info = json.loads(subprocess.check_output([binary, "probe", "--json", clip]))
            # Our frame size: the 2048x1080 box, displayed orientation (what ffmpeg's autorotate yields).
            w, h = info["width"], info["height"]
            scale = min(1, 2048 / max(w, h), 1080 / min(w, h))
            tw, th = round(w * scale), round(h * scale)
            sw, sh_ = round(info["storedWidth"] * scale), round(info["storedHeight"] * scale)
            # Default options: the flags choose the work (which frames, whether a video file), never its tuning.
            ours = lambda extra: (lambda out: [binary, "prepare", *extra, "--out", out, clip])
            jpegs = lambda vf: (lambda out: ffmpeg("-i", clip, "-vf", vf, "-fps_mode", "vfr", "-q:v", "2", out + "/out%04d.jpg"))
            if mode == "keyframes":
                tools = {"kimi-media --frames keyframes": ours(["--frames", "keyframes", "--video", "none"])}
                if info["videoCodec"] in SKIP_IGNORED:
                    tools["ffmpeg select I-frames"] = jpegs(f"select='eq(pict_type,I)',scale={tw}:{th}:flags=lanczos")
                else:
                    tools["ffmpeg -discard nokey -skip_frame nokey"] = lambda out: ffmpeg(
                        "-discard", "nokey", "-skip_frame", "nokey", "-i", clip, "-vf", f"scale={tw}:{th}:flags=lanczos",
                        "-fps_mode", "vfr", "-q:v", "2", out + "/out%04d.jpg")
            elif mode == "model":
                tools = {"kimi-media --frames model": ours(["--frames", "model", "--video", "none"]),
                         "ffmpeg -vf fps=2": jpegs(f"fps=2,scale={tw}:{th}:flags=lanczos"),
                         "ffmpeg bare decode (-f null)": lambda out: ffmpeg("-i", clip, "-f", "null", "-")}
            else:
                if info["videoCodec"] == "h264" and scale == 1 and info["format"] == "mp4":
                    continue  # compliant: copied, nothing to compare
                tools = {"kimi-media --video fit": ours(["--frames", "none", "--video", "fit"]),
                         "ffmpeg libx264 veryfast": lambda out: ffmpeg(
                             "-noautorotate", "-i", clip, "-vf", f"scale={sw}:{sh_}", "-c:v", "libx264", "-preset", "veryfast",
                             "-crf", "23", "-movflags", "+faststart", out + "/out.mp4")}
            times = {t: [] for t in tools}
            peaks = {t: 0 for t in tools}
            counts = {}
            for r in range(args.rounds):
                for t, make in tools.items():
                    out = os.path.join(work, f"{r}-{len(times[t])}-{abs(hash(t))}")
                    os.makedirs(out)
                    seconds, peak = run(make(out))
                    times[t].append(seconds)
                    peaks[t] = max(peaks[t], peak)
                    counts[t] = count(out)
                    shutil.rmtree(out)
            first = next(iter(tools))
            ours_median = statistics.median(times[first])
            size = f"{sw}x{sh_}" if mode == "reencode" else f"{tw}x{th}"
            for t in tools:
                m = statistics.median(times[t])
                rows.append(f"| {name} ({size}) | {t} | {counts[t]} | {m:.3f} | {m / ours_median:.2f} | {peaks[t] / 1024:.0f} |")
            print(f"{mode} {name} done", file=sys.stderr)
        sections += [f"### {mode}", "", "| clip (output size) | tool | outputs | median s | ratio | peak MiB |",
                     "|---|---|---:|---:|---:|---:|", *rows, ""]
    shutil.rmtree(work)
    text = "\n".join([
        f"Median of {args.rounds} interleaved rounds on this machine; ratio = tool / kimi-media (above 1: kimi-media is "
        "faster); outputs = JPEGs (or MP4s) written; peak = RSS of the process (MiB).", "", *sections])
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    open(args.out, "w").write(text)
    print(text)


if __name__ == "__main__":
    main()
