#!/usr/bin/env python3
"""Scale benchmark: N small inputs (default 100,000 one-pixel PNGs, generated once under the cache)
through `prepare` with default options: a whole run, a resumed run with nothing left to do, a run
killed with SIGKILL halfway and resumed (no loss, no duplicate), and 10 shards merged. Reports wall
time, peak resident memory (wait4) and the manifest's size.
Usage: Benchmarks/scale.py [--inputs N] [--out Benchmarks/results/scale.md]
"""
import argparse, json, os, shutil, signal, struct, subprocess, sys, tempfile, time, zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def png(value):
    """A 1×1 gray PNG whose pixel is `value` (so inputs differ in content)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(bytes([0, value]))) + chunk(b"IEND", b""))


def corpus(n):
    folder = os.path.join(os.path.expanduser("~/.cache/kimi-media/scale"), str(n))
    if os.path.exists(os.path.join(folder, ".done")):
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    for i in range(n):
        sub = os.path.join(folder, f"{i // 1000:03d}")
        if i % 1000 == 0:
            os.makedirs(sub, exist_ok=True)
        with open(os.path.join(sub, f"{i:06d}.png"), "wb") as f:
            f.write(png(i % 256))
    open(os.path.join(folder, ".done"), "w").close()
    return folder


def run(cmd, kill_after=None):
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if kill_after is not None:
        time.sleep(kill_after)
        proc.send_signal(signal.SIGKILL)
    _, status, usage = os.wait4(proc.pid, 0)
    return time.perf_counter() - start, usage.ru_maxrss / 1024, status


def manifest(path):
    sources = [json.loads(line)["source"] for line in open(path)]
    return len(sources), len(set(sources)), os.path.getsize(path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--inputs", type=int, default=100_000)
    ap.add_argument("--out", default=os.path.join(ROOT, "Benchmarks", "results", "scale.md"))
    args = ap.parse_args()
    binary = os.path.join(subprocess.check_output(["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT,
                                                  text=True).strip(), "kimi-media")
    n = args.inputs
    inputs = corpus(n)
    work = tempfile.mkdtemp(prefix="kimi-media-scale-")
    out = os.path.join(work, "out")
    rows = []
    seconds, peak, status = run([binary, "prepare", "--quiet", "--out", out, inputs])
    lines, unique, size = manifest(out + "/manifest.jsonl")
    rows.append(("whole run", seconds, peak, f"{lines} lines ({unique} sources), {size / 1e6:.1f} MB"))
    whole = seconds
    seconds, peak, status = run([binary, "prepare", "--quiet", "--out", out, inputs])
    rows.append(("rerun, all resumed", seconds, peak, "nothing redone"))
    shutil.rmtree(out)
    seconds, peak, status = run([binary, "prepare", "--quiet", "--out", out, inputs], kill_after=whole / 2)
    killed_lines = sum(1 for _ in open(out + "/manifest.jsonl")) if os.path.exists(out + "/manifest.jsonl") else 0
    rows.append(("killed (SIGKILL) halfway", seconds, peak, f"{killed_lines} lines written before the kill"))
    seconds, peak, status = run([binary, "prepare", "--quiet", "--out", out, inputs])
    lines, unique, size = manifest(out + "/manifest.jsonl")
    ok = lines == n and unique == n and status == 0
    rows.append(("resumed after the kill", seconds, peak, f"{lines} lines, {unique} sources: {'no loss, no duplicate' if ok else 'WRONG'}"))
    sharded = os.path.join(work, "sharded")
    total = 0.0
    worst = 0.0
    for i in range(10):
        seconds, peak, status = run([binary, "prepare", "--quiet", "--shard", f"{i}/10", "--out", sharded, inputs])
        total += seconds
        worst = max(worst, peak)
    rows.append(("10 shards, one after another", total, worst, "each writes manifest.shard-I-of-10.jsonl"))
    seconds, peak, status = run([binary, "merge", sharded])
    lines, unique, size = manifest(sharded + "/manifest.jsonl")
    rows.append(("merge of the 10 shards", seconds, peak, f"{lines} lines, {unique} sources, {size / 1e6:.1f} MB"))
    shutil.rmtree(work)
    text = "\n".join([
        f"{n:,} one-pixel PNGs (generated), `kimi-media prepare --quiet --out OUT IN` with default options on this machine;",
        "peak = largest resident size of the process (wait4).", "",
        "| step | wall s | peak MiB | result |", "|---|---:|---:|---|",
        *[f"| {name} | {s:.1f} | {p:.0f} | {what} |" for name, s, p, what in rows], ""])
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    open(args.out, "w").write(text)
    print(text)
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
