#!/usr/bin/env python3
"""Side-by-side keyframe benchmark: kimi-media prepare (keyframes, frames fitted to 2048x1080, JPEG)
against the fastest ffmpeg CLI form that yields the same frames at the same size:
  ffmpeg -discard nokey -skip_frame nokey -i IN -vf scale=W:H:flags=lanczos -fps_mode vfr -q:v 2 out%04d.jpg
and, for decoders that ignore skip_frame (VP9), the select form:
  ffmpeg -i IN -vf "select='eq(pict_type,I)',scale=W:H:flags=lanczos" -fps_mode vfr -q:v 2 out%04d.jpg
Clips (generated once under --corpus, ≥ 20 s, realistic GOPs of 2 s): 1080p and 4K H.264, 1080p VP9,
and a portrait phone clip (stored 1920x1080, display matrix 90°). Tools interleaved round by round;
median wall time and peak RSS (wait4) per clip; the frame counts are checked to be equal.
Usage: Benchmarks/compare-video.py [--rounds N] [--out Benchmarks/results/video.md]
"""
import argparse, glob, json, os, shutil, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLIPS = [  # name, lavfi size, seconds, fps, codec args, post
    ("h264-1080p-30s.mp4", "1920x1080", 30, 30, ["-c:v", "libx264", "-preset", "veryfast", "-g", "60", "-pix_fmt", "yuv420p"], None),
    ("h264-4k-20s.mp4", "3840x2160", 20, 30, ["-c:v", "libx264", "-preset", "ultrafast", "-g", "60", "-pix_fmt", "yuv420p"], None),
    ("vp9-1080p-20s.webm", "1920x1080", 20, 30, ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-g", "60", "-b:v", "4M"], None),
    ("h264-portrait-20s.mp4", "1920x1080", 20, 30, ["-c:v", "libx264", "-preset", "veryfast", "-g", "60", "-pix_fmt", "yuv420p"], "rotate"),
]


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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--corpus", default=os.path.join(tempfile.gettempdir(), "kimi-media-video-corpus"))
    ap.add_argument("--out", default=os.path.join(ROOT, "Benchmarks", "results", "video.md"))
    args = ap.parse_args()
    binary = os.path.join(subprocess.check_output(["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT,
                                                  text=True).strip(), "kimi-media")
    make_corpus(args.corpus)
    work = tempfile.mkdtemp(prefix="kimi-media-video-bench-")
    rows = []
    for name, *_ in CLIPS:
        clip = os.path.join(args.corpus, name)
        info = json.loads(subprocess.check_output([binary, "probe", "--json", clip]))
        # Our frame size: the 2048x1080 box, displayed orientation (what ffmpeg's autorotate yields).
        w, h = info["width"], info["height"]
        scale = min(1, 2048 / max(w, h), 1080 / min(w, h))
        tw, th = round(w * scale), round(h * scale)
        ours = lambda out: [binary, "prepare", "--jobs", "1", "--out", out, clip]
        skip = lambda out: ["ffmpeg", "-nostdin", "-loglevel", "error", "-discard", "nokey", "-skip_frame", "nokey", "-i", clip,
                            "-vf", f"scale={tw}:{th}:flags=lanczos", "-fps_mode", "vfr", "-q:v", "2", out + "/out%04d.jpg"]
        select = lambda out: ["ffmpeg", "-nostdin", "-loglevel", "error", "-i", clip, "-vf",
                              f"select='eq(pict_type,I)',scale={tw}:{th}:flags=lanczos", "-fps_mode", "vfr", "-q:v", "2",
                              out + "/out%04d.jpg"]
        tools = {"kimi-media": ours, "ffmpeg -discard nokey -skip_frame nokey": skip, "ffmpeg select I-frames": select}
        times = {t: [] for t in tools}
        peaks = {t: 0 for t in tools}
        counts = {}
        for r in range(args.rounds):
            for t, make in tools.items():
                out = os.path.join(work, f"{r}-{t.replace(' ', '_')}")
                os.makedirs(out)
                seconds, peak = run(make(out))
                times[t].append(seconds)
                peaks[t] = max(peaks[t], peak)
                counts[t] = len(glob.glob(out + "/**/*.jpg", recursive=True))
                shutil.rmtree(out)
        ours_median = statistics.median(times["kimi-media"])
        for t in tools:
            m = statistics.median(times[t])
            rows.append(f"| {name} ({tw}x{th}) | {t} | {counts[t]} | {m:.3f} | {m / ours_median:.2f} | {peaks[t] / 1024:.0f} |")
        print(f"{name} done", file=sys.stderr)
    shutil.rmtree(work)
    text = "\n".join([
        f"Keyframes as JPEG fitted to 2048x1080; median of {args.rounds} interleaved rounds; ratio = tool / kimi-media "
        "(above 1: kimi-media is faster); frames = JPEGs written (must match); peak = RSS of the process.", "",
        "| clip (frame size) | tool | frames | median s | ratio | peak MiB |", "|---|---|---:|---:|---:|---:|", *rows]) + "\n"
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    open(args.out, "w").write(text)
    print(text)


if __name__ == "__main__":
    main()
