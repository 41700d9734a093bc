#!/usr/bin/env python3
"""make bench-video-model — `prepare --video model` against `prepare` (its default, `--video fit`) on
a 60 s 1080p30 H.264 clip and the bench's 20 s 4K HEVC clip (made as Benchmarks/compare-video.py makes
its corpus), both with `--frames none --out DIR` (the video file alone), interleaved, median of
--rounds; and ffmpeg's bare decode of each clip (`ffmpeg -i CLIP -f null -`), the floor of any file
made from every frame. Reported: time, the video file's bytes, and the offline tokens from each
manifest. Writes Benchmarks/results/video-model.md.

Usage: Benchmarks/compare-video-model.py [--rounds 3]"""
import argparse, json, os, statistics, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import benchlib  # noqa: E402

CACHE = os.path.join(benchlib.CACHE, "bench", "video-model")
CLIPS = [  # as compare-video.py makes its corpus; the 1080p clip 60 s long
    ("h264-1080p-60s.mp4", "1920x1080", 60, ["-c:v", "libx264", "-preset", "veryfast", "-g", "60", "-pix_fmt", "yuv420p"]),
    ("hevc-4k-20s.mp4", "3840x2160", 20, ["-c:v", "libx265", "-preset", "ultrafast", "-g", "60", "-pix_fmt", "yuv420p", "-tag:v", "hvc1"]),
]


def clip(name, size, seconds, codec):
    def make(path):
        subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=size={size}:rate=30", "-t", str(seconds),
                        "-vf", "noise=alls=6:allf=t", *codec, path], check=True)
    return benchlib.cached_file(CACHE, name, make)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", default=os.path.join(HERE, "results"))
    args = parser.parse_args()
    kimi = benchlib.binary()
    work = tempfile.mkdtemp(prefix="kimi-bench-video-model-")
    rows = []
    for name, size, seconds, codec in CLIPS:
        path = clip(name, size, seconds, codec)
        times = {"fit": [], "model": [], "decode": []}
        results = {}
        for _ in range(args.rounds):
            for mode in ("fit", "model"):
                out = os.path.join(work, mode)
                extra = ["--video", "model"] if mode == "model" else []
                seconds_taken, _ = benchlib.run([kimi, "prepare", path, "--out", out, "--frames", "none", *extra], out=out)
                times[mode].append(seconds_taken)
                entry = json.loads(open(os.path.join(out, "manifest.jsonl")).readline())
                video = [o for o in entry["outputs"] if o.get("format") == "mp4"]
                results[mode] = {"tokens": entry["tokens"], "bytes": sum(o["bytes"] for o in video),
                                 "size": f"{video[0]['width']}x{video[0]['height']}" if video else "?"}
            seconds_taken, _ = benchlib.run(["ffmpeg", "-nostdin", "-v", "error", "-i", path, "-f", "null", "-"])
            times["decode"].append(seconds_taken)
        fit, model, decode = (statistics.median(times[k]) for k in ("fit", "model", "decode"))
        rows.append({"clip": name, "fit_s": fit, "model_s": model, "decode_s": decode, "time_ratio": model / fit, "decode_ratio": decode / fit,
                     "fit": results["fit"], "model": results["model"], "bytes_ratio": results["model"]["bytes"] / results["fit"]["bytes"]})
    os.makedirs(args.out, exist_ok=True)
    lines = ["# `--video model` against `--video fit`", "",
             f"`make bench-video-model` (`Benchmarks/compare-video-model.py`, {args.rounds} rounds, median), "
             f"{benchlib.machine()['cpu']}, {os.cpu_count()} cores; both `kimi-media prepare CLIP --out DIR --frames none`, "
             "the model run with `--video model`.", "",
             "| clip | fit: s | model: s | model ÷ fit | bare decode ÷ fit | fit: bytes, size | model: bytes, size | bytes ratio | tokens fit / model |",
             "|---|---:|---:|---:|---:|---|---|---:|---|"]
    for r in rows:
        lines.append(f"| {r['clip']} | {r['fit_s']:.2f} | {r['model_s']:.2f} | **{r['time_ratio']:.2f}** | {r['decode_ratio']:.2f} | "
                     f"{r['fit']['bytes']:,}, {r['fit']['size']} | {r['model']['bytes']:,}, {r['model']['size']} | **{r['bytes_ratio']:.3f}** | "
                     f"{r['fit']['tokens']} / {r['model']['tokens']} |")
    text = "\n".join(lines) + "\n"
    with open(os.path.join(args.out, "video-model.md"), "w") as f:
        f.write(text)
    with open(os.path.join(args.out, "video-model.json"), "w") as f:
        json.dump(rows, f, indent=2)
    print(text)


if __name__ == "__main__":
    main()
