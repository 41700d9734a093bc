#!/usr/bin/env python3
"""make bench-video-model — `prepare --video model` against `prepare` (its default, `--video fit`) on
a 60 s 1080p30 H.264 clip and the bench's 20 s 4K HEVC clip (made as Benchmarks/compare-video.py makes
its corpus), both with `--frames none --out DIR` (the video file alone), interleaved, median of
--rounds; and ffmpeg's bare decode of each clip (`ffmpeg -i CLIP -f null -`), the floor of any file
made from every frame. Reported: time, the video file's bytes, the offline tokens from each
manifest, and each file's fidelity to what the model reads (PSNR against the source's sampled
frames resized to the model's frame size). Writes Benchmarks/results/video-model.md.

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


def fidelity(source, fit, model, size, frames, work):
    """PSNR (ffmpeg's average over the planes) of the fitted and the model-rate file against what the
    model reads: the source's own sampled frames (NumPy's linspace over them) resized to the
    model's frame size (bicubic). The fitted file is sampled and resized the same way."""
    count = int(subprocess.check_output(["ffprobe", "-v", "error", "-count_packets", "-select_streams", "v:0", "-show_entries",
                                         "stream=nb_read_packets", "-of", "csv=p=0", source], text=True).strip())
    step = (count - 1) / max(1, frames - 1)
    indices = [count - 1 if i == frames - 1 else round(i * step) for i in range(frames)]
    w, h = size.split("x")

    def raw(path, select, out):
        # ffmpeg's expression parser runs out of memory past ~100 terms: 40 indices a pass, appended.
        groups = [indices[k:k + 40] for k in range(0, len(indices), 40)] if select else [None]
        with open(out, "wb") as f:
            for group in groups:
                chain = (("select='" + "+".join(f"eq(n\\,{i})" for i in group) + "',") if group else "") + f"scale={w}:{h}:flags=bicubic"
                f.write(subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", path, "-vf", chain, "-vsync", "0",
                                        "-f", "rawvideo", "-pix_fmt", "yuv420p", "-"], check=True, capture_output=True).stdout)
        return out

    ref = raw(source, True, os.path.join(work, "ref.yuv"))
    scores = {}
    for name, path, select in (("fit", fit, True), ("model", model, False)):
        test = raw(path, select, os.path.join(work, name + ".yuv"))
        text = subprocess.run(["ffmpeg", "-nostdin", "-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", size, "-i", test, "-f", "rawvideo",
                               "-pix_fmt", "yuv420p", "-s", size, "-i", ref, "-lavfi", "psnr", "-f", "null", "-"],
                              capture_output=True, text=True).stderr
        value = text.rsplit("average:", 1)[-1].split()[0] if "average:" in text else "?"
        scores[name] = "inf" if value == "inf" else f"{float(value):.1f}" if value != "?" else "?"
    return scores


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
                                 "size": f"{video[0]['width']}x{video[0]['height']}" if video else "?",
                                 "path": os.path.join(out, video[0]["path"]) if video else None,
                                 "frames": entry["plan"]["encode"].get("modelRate", {}).get("frames")}
            seconds_taken, _ = benchlib.run(["ffmpeg", "-nostdin", "-v", "error", "-i", path, "-f", "null", "-"])
            times["decode"].append(seconds_taken)
        fit, model, decode = (statistics.median(times[k]) for k in ("fit", "model", "decode"))
        psnr = fidelity(path, results["fit"]["path"], results["model"]["path"], results["model"]["size"], results["model"]["frames"], work)
        rows.append({"clip": name, "fit_s": fit, "model_s": model, "decode_s": decode, "time_ratio": model / fit, "decode_ratio": decode / fit,
                     "fit": results["fit"], "model": results["model"], "bytes_ratio": results["model"]["bytes"] / results["fit"]["bytes"], "psnr": psnr})
    os.makedirs(args.out, exist_ok=True)
    lines = ["# `--video model` against `--video fit`", "",
             f"`make bench-video-model` (`Benchmarks/compare-video-model.py`, {args.rounds} rounds, median), "
             f"{benchlib.machine()['cpu']}, {os.cpu_count()} cores; both `kimi-media prepare CLIP --out DIR --frames none`, "
             "the model run with `--video model`.", "",
             "| clip | fit: s | model: s | model ÷ fit | bare decode ÷ fit | fit: bytes, size | model: bytes, size | bytes ratio | tokens fit / model | PSNR fit / model |",
             "|---|---:|---:|---:|---:|---|---|---:|---|---|"]
    for r in rows:
        lines.append(f"| {r['clip']} | {r['fit_s']:.2f} | {r['model_s']:.2f} | **{r['time_ratio']:.2f}** | {r['decode_ratio']:.2f} | "
                     f"{r['fit']['bytes']:,}, {r['fit']['size']} | {r['model']['bytes']:,}, {r['model']['size']} | **{r['bytes_ratio']:.3f}** | "
                     f"{r['fit']['tokens']} / {r['model']['tokens']} | {r['psnr']['fit']} / {r['psnr']['model']} dB |")
    text = "\n".join(lines) + "\n"
    with open(os.path.join(args.out, "video-model.md"), "w") as f:
        f.write(text)
    with open(os.path.join(args.out, "video-model.json"), "w") as f:
        json.dump(rows, f, indent=2)
    print(text)


if __name__ == "__main__":
    main()
