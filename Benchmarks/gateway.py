#!/usr/bin/env python3
"""make bench-gateway — `kimi-media serve` under load, with the tests' stand-in as its upstream (both
release builds, on this machine, nothing beyond loopback). Writes Benchmarks/results/gateway.md and
gateway.json. The gateway runs with its defaults plus `--port 0 --quiet`.

1. Load: CLIENTS concurrent clients, each sending ROUNDS chats of three 12 MP photos (4032x3024
   JPEGs, ~3 MB each) as base64 data URLs: every request's status, throughput, p50/p99 latency, and the
   gateway's resident memory (VmHWM, VmRSS from /proc) after each round — the same peak after the
   first round and the last says memory does not grow with the request count.
2. Overhead: a chat whose media need no change (a 640x480 JPEG) sent N times to the gateway and N
   times straight to the stand-in, interleaved, one at a time: p50 and p99 of each and the difference
   (the gateway's own cost: reading the body, probing the photo, planning, relaying).
3. Preparation: one chat with the three 12 MP photos through the gateway (end to end, the stand-in's
   answer included) against `kimi-media prepare` of the same three files (one process), medians of 5.

Usage: Benchmarks/gateway.py [--clients 50] [--rounds 3] [--overhead 200]"""
import argparse, base64, concurrent.futures, datetime, http.client, json, os, statistics, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import benchlib  # noqa: E402

CACHE = os.path.join(benchlib.CACHE, "bench", "gateway")


def photo(i):
    """A 12 MP photo-like JPEG: a moving test pattern with film grain, so it compresses like a photo."""
    def make(path):
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=size=4032x3024:rate=1,noise=alls=18:allf=t+u",
                        "-ss", str(i), "-frames:v", "1", "-q:v", "3", path], check=True)
    return benchlib.cached_file(CACHE, f"photo-{i}.jpg", make)


def start(args, env):
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True)
    return process, process.stdout.readline().strip()


def memory(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                fields[key] = int(value.split()[0]) // 1024
    return fields


def post(base, path, body, headers=None):
    """One POST on a fresh connection; returns (status, seconds)."""
    host, port = base.split("//")[1].split("/")[0].split(":")
    prefix = "/" + base.split("//")[1].split("/", 1)[1]
    started = time.perf_counter()
    connection = http.client.HTTPConnection(host, int(port), timeout=600)
    connection.request("POST", prefix + path, body=body, headers={"Content-Type": "application/json", **(headers or {})})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response.status, time.perf_counter() - started


def chat_body(paths):
    content = [{"type": "image_url", "image_url": {"url": "data:image/jpeg;base64," + base64.b64encode(open(p, "rb").read()).decode()}}
               for p in paths]
    content.append({"type": "text", "text": "What is in these photos?"})
    return json.dumps({"model": "kimi-k2.6", "messages": [{"role": "user", "content": content}]}).encode()


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--overhead", type=int, default=200)
    parser.add_argument("--out", default=os.path.join(HERE, "results"))
    args = parser.parse_args()

    kimi = benchlib.binary()
    stand_in_bin = os.path.join(os.path.dirname(kimi), "kimi-media-stand-in")
    photos = [photo(i) for i in range(3)]
    small = os.path.join(benchlib.ROOT, "Fixtures", "images", "jpeg-baseline.jpg")
    work = tempfile.mkdtemp(prefix="kimi-bench-gateway-")
    url_file = os.path.join(work, "stand-in.url")
    stand_in = subprocess.Popen([stand_in_bin, url_file], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while not os.path.exists(url_file):
        time.sleep(0.05)
    upstream = open(url_file).read().strip()
    key = "sk-stand-in-0123456789abcdef"
    env = dict(os.environ, MOONSHOT_BASE_URL=upstream, MOONSHOT_API_KEY=key, XDG_CACHE_HOME=os.path.join(work, "cache"))
    gateway, line = start([kimi, "serve", "--port", "0", "--quiet"], env)
    base = line.split(" on ")[1]
    results = {"date": datetime.date.today().isoformat(), "machine": benchlib.machine(), "clients": args.clients, "rounds": args.rounds}
    try:
        # 1. Load.
        body = chat_body(photos)
        latencies, statuses, rounds = [], {}, []
        started = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(args.clients) as pool:
            for r in range(args.rounds):
                round_started = time.perf_counter()
                for status, seconds in pool.map(lambda _: post(base, "/chat/completions", body), range(args.clients)):
                    statuses[status] = statuses.get(status, 0) + 1
                    latencies.append(seconds)
                rounds.append({"round": r + 1, "requests": (r + 1) * args.clients, "seconds": time.perf_counter() - round_started,
                               **memory(gateway.pid)})
        elapsed = time.perf_counter() - started
        results["load"] = {"requests": len(latencies), "statuses": statuses, "seconds": elapsed, "throughput": len(latencies) / elapsed,
                           "p50": percentile(latencies, 0.5), "p99": percentile(latencies, 0.99), "body_bytes": len(body), "rounds": rounds}

        # 2. Overhead for media that need no change.
        small_body = chat_body([small])
        through, direct = [], []
        for _ in range(args.overhead):
            status, seconds = post(base, "/chat/completions", small_body)
            assert status == 200, status
            through.append(seconds)
            status, seconds = post(upstream, "/chat/completions", small_body, {"Authorization": "Bearer " + key})
            assert status == 200, status
            direct.append(seconds)
        results["overhead"] = {"requests": args.overhead, "gateway_p50": percentile(through, 0.5), "direct_p50": percentile(direct, 0.5),
                               "gateway_p99": percentile(through, 0.99), "direct_p99": percentile(direct, 0.99),
                               "overhead_p50": percentile(through, 0.5) - percentile(direct, 0.5)}

        # 3. Preparation inside the gateway against `kimi-media prepare`, interleaved.
        inside, cli = [], []
        folder = os.path.join(work, "photos")
        os.makedirs(folder)
        for i, p in enumerate(photos):
            os.symlink(p, os.path.join(folder, f"photo-{i}.jpg"))
        for _ in range(5):
            status, seconds = post(base, "/chat/completions", body)
            inside.append(seconds)
            seconds, _ = benchlib.run([kimi, "prepare", folder, "--out", os.path.join(work, "out")], out=os.path.join(work, "out"))
            cli.append(seconds)
        results["preparation"] = {"gateway": statistics.median(inside), "prepare": statistics.median(cli),
                                  "ratio": statistics.median(inside) / statistics.median(cli)}
    finally:
        gateway.terminate()
        gateway.wait(60)
        stand_in.kill()

    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "gateway.json"), "w") as f:
        json.dump(results, f, indent=2)
    load, over, prep = results["load"], results["overhead"], results["preparation"]
    ms = lambda s: f"{s * 1000:.1f} ms"  # noqa: E731
    lines = [
        "# kimi-media serve under load",
        "",
        f"`make bench-gateway` (`Benchmarks/gateway.py`), {results['date']}, {results['machine'].get('cpu', '')}, "
        f"{results['machine'].get('cores', '')} cores; release builds; the upstream is the tests' stand-in on loopback.",
        "",
        f"**Load**: {args.clients} concurrent clients, {args.rounds} rounds, each request a chat with three 12 MP JPEGs "
        f"({load['body_bytes'] / 1e6:.1f} MB body): {load['requests']} requests, statuses {load['statuses']}, "
        f"{load['throughput']:.2f} requests/s ({load['throughput'] * 3:.1f} photos/s), p50 {load['p50']:.2f} s, p99 {load['p99']:.2f} s.",
        "",
        "| after round | requests | round time | peak RSS (VmHWM) | RSS now |",
        "|---:|---:|---:|---:|---:|",
    ] + [f"| {r['round']} | {r['requests']} | {r['seconds']:.1f} s | {r['VmHWM']} MiB | {r['VmRSS']} MiB |" for r in load["rounds"]] + [
        "",
        f"**Overhead** for media that need no change (a 640x480 JPEG), {over['requests']} requests each way, one at a time: "
        f"through the gateway p50 {ms(over['gateway_p50'])} (p99 {ms(over['gateway_p99'])}), straight to the stand-in p50 "
        f"{ms(over['direct_p50'])} (p99 {ms(over['direct_p99'])}): **{ms(over['overhead_p50'])}** of the gateway's own at p50.",
        "",
        f"**Preparation**: one chat with the three photos through the gateway, end to end, {prep['gateway']:.2f} s; "
        f"`kimi-media prepare` of the same three files {prep['prepare']:.2f} s (ratio {prep['ratio']:.2f}; medians of 5).",
        "",
    ]
    with open(os.path.join(args.out, "gateway.md"), "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
