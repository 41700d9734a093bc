#!/usr/bin/env python3
"""`kimi-media serve` driven by the official `openai` Python package, changed only in `base_url`, with
the tests' stand-in for the Moonshot API as the upstream (two processes of our own build; nothing
leaves loopback). Each case prints one line; any failure exits 1.

    Tests/Gateway/openai_client_test.py BIN_DIR

BIN_DIR holds `kimi-media` and `kimi-media-stand-in`. Media: the repository's fixtures, a 24 MP JPEG
and a 4K MKV made here with ffmpeg."""
import base64
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

import openai

BIN = os.path.abspath(sys.argv[1])
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIX = os.path.join(ROOT, "Fixtures")
WORK = tempfile.mkdtemp(prefix="kimi-gateway-test-")
failures = []


def check(name, condition, detail=""):
    print(("ok   " if condition else "FAIL ") + name + ("" if condition else f": {detail}"), flush=True)
    if not condition:
        failures.append(name)


def data_url(path, mime):
    with open(path, "rb") as f:
        return f"data:{mime};base64," + base64.b64encode(f.read()).decode()


def start(args, env):
    """Starts a process whose first line of output says where it listens."""
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=open(os.path.join(WORK, os.path.basename(args[0]) + f"-{len(args)}.err"), "w"),
                               env=env, text=True)
    return process, process.stdout.readline().strip()


def get_json(url, method="GET"):
    with urllib.request.urlopen(urllib.request.Request(url, method=method)) as r:
        return json.load(r)


# --- media ------------------------------------------------------------------------------------------
big_jpeg = os.path.join(WORK, "24mp.jpg")
subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=6000x4000", "-frames:v", "1", "-q:v", "4", big_jpeg],
               check=True)
uhd_mkv = os.path.join(WORK, "uhd.mkv")
subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=3840x2160:rate=30", "-t", "2", "-c:v", "libx264",
                "-preset", "ultrafast", uhd_mkv], check=True)
heic = os.path.join(FIX, "convert", "heic.heic")
avif = os.path.join(FIX, "convert", "avif.avif")
mkv = os.path.join(FIX, "convert", "h264.mkv")

allowed = os.path.join(WORK, "allowed")
os.makedirs(allowed)
with open(os.path.join(allowed, "photo.jpg"), "wb") as f, open(os.path.join(FIX, "images", "jpeg-baseline.jpg"), "rb") as src:
    f.write(src.read())
os.symlink("/etc/passwd", os.path.join(allowed, "escape.jpg"))
os.symlink(big_jpeg, os.path.join(allowed, "outside-link.jpg"))

# --- processes --------------------------------------------------------------------------------------
stand_in, _ = start([os.path.join(BIN, "kimi-media-stand-in"), os.path.join(WORK, "stand-in.url")], dict(os.environ))
for _ in range(100):
    if os.path.exists(os.path.join(WORK, "stand-in.url")):
        break
    time.sleep(0.05)
upstream = open(os.path.join(WORK, "stand-in.url")).read().strip()
UPSTREAM_KEY = "sk-stand-in-0123456789abcdef"
stand_in_root = upstream[: -len("/v1")]
env = dict(os.environ, MOONSHOT_BASE_URL=upstream, MOONSHOT_API_KEY=UPSTREAM_KEY, XDG_CACHE_HOME=os.path.join(WORK, "cache"))

serve = [os.path.join(BIN, "kimi-media"), "serve", "--port", "0", "--allow-dir", allowed, "--allow-dir", FIX]
gateway, line = start(serve, env)
check("the gateway prints its one line", re.fullmatch(r"kimi-media serve: listening on http://127\.0\.0\.1:\d+/v1", line) is not None, line)
base = line.split(" on ")[1]
client = openai.OpenAI(base_url=base, api_key="anything: the gateway holds the upstream key", max_retries=0)

# Uploads always, a small body limit and a short header timeout: the hostile cases.
strict, line2 = start(serve + ["--upload-all", "--max-body-bytes", "4000000", "--header-timeout", "1"], env)
strict_base = line2.split(" on ")[1]
strict_client = openai.OpenAI(base_url=strict_base, api_key="x", max_retries=0)


def received():
    return get_json(stand_in_root + "/stand-in/received")["data"]


def clear_received():
    get_json(stand_in_root + "/stand-in/received", method="DELETE")


def media_message(*parts, text="What is in these?"):
    content = []
    for kind, url in parts:
        content.append({"type": kind, kind: {"url": url}})
    content.append({"type": "text", "text": text})
    return [{"role": "user", "content": content}]


try:
    # --- a chat with a HEIC, a 24 MP JPEG, an AVIF and MKVs, as data URLs --------------------------
    messages = media_message(("image_url", data_url(heic, "image/heic")), ("image_url", data_url(big_jpeg, "image/jpeg")),
                             ("image_url", data_url(avif, "image/avif")), ("video_url", data_url(mkv, "video/x-matroska")),
                             ("video_url", data_url(uhd_mkv, "video/x-matroska")))
    clear_received()
    raw = client.chat.completions.with_raw_response.create(model="kimi-k2.6", messages=messages)
    answer = raw.parse()
    check("chat with HEIC, 24 MP JPEG, AVIF and MKVs answered", answer.choices[0].message.content.startswith("stand-in answer: 3 image(s), 2 video(s)"),
          answer.choices[0].message.content)
    seen = received()
    images = [m for m in seen if m["kind"] == "image"]
    videos = [m for m in seen if m["kind"] == "video"]
    check("the upstream received only accepted image formats within 4096x2160",
          len(images) == 3 and all(m["format"] in ("png", "jpeg", "webp", "gif") and m["width"] <= 4096 and m["height"] <= 2160 for m in images),
          images)
    check("the upstream received only MP4 videos within 2048x1080",
          len(videos) == 2 and all(m["format"] == "mp4" and max(m["width"], m["height"]) <= 2048 and min(m["width"], m["height"]) <= 1080
                                   for m in videos), videos)
    check("the 24 MP JPEG arrived fitted (4096 wide or 2160 high at most)", any(m["width"] * m["height"] < 9_000_000 for m in images), images)
    headers = raw.headers
    check("headers say what the gateway did", headers.get("x-kimi-media-prepared") == "5"
          and int(headers.get("x-kimi-media-bytes-in")) > int(headers.get("x-kimi-media-bytes-out")) > 0, dict(headers))
    offline = int(headers.get("x-kimi-media-prompt-tokens"))
    check("the offline prompt tokens equal the upstream's count", offline == answer.usage.prompt_tokens, (offline, answer.usage.prompt_tokens))

    # --- the same, streamed ---------------------------------------------------------------------------
    chunks = []
    for chunk in client.chat.completions.create(model="kimi-k2.6", messages=messages, stream=True):
        if chunk.choices and chunk.choices[0].delta.content:
            chunks.append(chunk.choices[0].delta.content)
    check("the same request streamed gives the same answer", "".join(chunks) == answer.choices[0].message.content, "".join(chunks))

    # --- an estimate, offline -------------------------------------------------------------------------
    estimate = client.post("/tokenizers/estimate-token-count", body={"model": "kimi-k2.6", "messages": messages}, cast_to=object)
    check("the estimate is answered offline with the upstream's count", estimate["data"]["total_tokens"] == answer.usage.prompt_tokens, estimate)

    # --- a path under --allow-dir, and paths that escape it -------------------------------------------
    local = client.chat.completions.create(model="kimi-k2.6", messages=media_message(("image_url", "file://" + os.path.join(allowed, "photo.jpg"))))
    check("a file under --allow-dir is taken by path", local.choices[0].message.content.startswith("stand-in answer: 1 image(s)"))
    for name, url in [("a path outside --allow-dir", "/etc/passwd"), ("a link out of --allow-dir", os.path.join(allowed, "escape.jpg")),
                      ("a link to a photo outside", "file://" + os.path.join(allowed, "outside-link.jpg")),
                      ("a path with ..", os.path.join(allowed, "..", "24mp.jpg"))]:
        try:
            client.chat.completions.create(model="kimi-k2.6", messages=media_message(("image_url", url)))
            check(name + " is refused", False, "answered 200")
        except openai.BadRequestError as error:
            body = error.response.json()["error"]
            check(name + " is refused 400 naming the field", body["param"] == "messages[0].content[0].image_url.url" and "--allow-dir" in body["message"],
                  body)

    # --- a retired model ------------------------------------------------------------------------------
    try:
        client.chat.completions.create(model="kimi-k2.5", messages=media_message(("image_url", data_url(heic, "image/heic"))))
        check("a retired model is refused", False, "answered 200")
    except openai.NotFoundError as error:
        check("a retired model answers the upstream's 404 in the API's shape", "error" in error.response.json(), error.response.text)

    # --- corrupt base64, a rule of the API, a web URL ---------------------------------------------------
    for name, parts, kwargs, field in [
        ("corrupt base64", [("image_url", "data:image/jpeg;base64,/9j/4AAQ$$$$")], {}, "messages[0].content[0].image_url.url"),
        ("an image's bytes that are not an image", [("image_url", "data:image/png;base64," + base64.b64encode(b"not a picture at all").decode())],
         {}, "messages[0].content[0].image_url.url"),
        ("a temperature K2.6 does not allow", [("image_url", data_url(heic, "image/heic"))], {"temperature": 0.2}, "temperature"),
        ("a web URL", [("image_url", "https://example.com/cat.jpg")], {}, "messages[0].content[0].image_url.url"),
    ]:
        try:
            client.chat.completions.create(model="kimi-k2.6", messages=media_message(*parts), **kwargs)
            check(name + " is refused", False, "answered 200")
        except openai.BadRequestError as error:
            body = error.response.json()["error"]
            check(name + " answers 400 naming " + field, body.get("param") == field and body.get("type") == "invalid_request_error", body)

    # --- the same file twice is uploaded once -----------------------------------------------------------
    def files():
        return len(get_json_with_key(upstream + "/files")["data"])

    def get_json_with_key(url):
        request = urllib.request.Request(url, headers={"Authorization": "Bearer " + UPSTREAM_KEY})
        with urllib.request.urlopen(request) as r:
            return json.load(r)

    before = files()
    clear_received()
    first = strict_client.chat.completions.with_raw_response.create(model="kimi-k2.6", messages=media_message(("image_url", data_url(heic, "image/heic"))))
    second = strict_client.chat.completions.with_raw_response.create(model="kimi-k2.6", messages=media_message(("image_url", data_url(heic, "image/heic"))))
    check("the same HEIC sent twice is uploaded once", files() == before + 1 and first.headers.get("x-kimi-media-uploaded") == "1"
          and second.headers.get("x-kimi-media-uploaded") == "0", (files() - before, first.headers.get("x-kimi-media-uploaded"),
                                                                    second.headers.get("x-kimi-media-uploaded")))
    check("both went up as ms:// references", [m["via"] for m in received()] == ["upload", "upload"], received())

    # --- a body over --max-body-bytes ---------------------------------------------------------------------
    try:
        strict_client.chat.completions.create(model="kimi-k2.6", messages=media_message(("image_url", data_url(heic, "image/heic")),
                                                                                        text="many words " * 400_000))
        check("a body over the limit is refused", False, "answered 200")
    except openai.APIStatusError as error:
        check("a body over --max-body-bytes answers 413 in the API's shape", error.status_code == 413 and "error" in error.response.json(),
              (error.status_code, error.response.text[:200]))

    # --- a slow client ------------------------------------------------------------------------------------
    host, port = strict_base.split("//")[1].split("/")[0].split(":")
    slow = socket.create_connection((host, int(port)))
    slow.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n")
    slow.settimeout(5)
    started = time.time()
    try:
        closed = slow.recv(100) == b""
    except (ConnectionResetError, socket.timeout):
        closed = True
    check("a client that never finishes its headers is cut off (--header-timeout 1)", closed and time.time() - started < 4,
          f"{time.time() - started:.1f} s")
    slow.close()

    # --- docs/gateway.md's curl examples, as written ---------------------------------------------------
    doc = open(os.path.join(ROOT, "docs", "gateway.md")).read()
    blocks = [b for b in re.findall(r"```sh\n(.*?)```", doc, re.S) if b.lstrip().startswith("curl")]
    check("docs/gateway.md has curl examples", len(blocks) >= 4, len(blocks))
    for block in blocks:
        ran = subprocess.run(["bash", "-c", "set -eo pipefail\n" + block], cwd=ROOT, env=dict(os.environ, KIMI_GATEWAY=base),
                             capture_output=True, text=True, timeout=120)
        check("docs example runs: " + block.splitlines()[0][:70], ran.returncode == 0 and '"error"' not in ran.stdout and ran.stdout.strip() != "",
              (ran.returncode, ran.stdout[-300:], ran.stderr[-300:]))

    # --- metrics and health -------------------------------------------------------------------------------
    metrics = urllib.request.urlopen(base.replace("/v1", "/metrics")).read().decode()
    check("/metrics counts requests and media in Prometheus text",
          'kimi_gateway_requests_total{route="chat",status="200"}' in metrics and 'kimi_gateway_media_prepared_total{kind="video"}' in metrics
          and "kimi_gateway_preparation_seconds_bucket" in metrics, metrics[:300])
    check("/healthz answers", get_json(base.replace("/v1", "/healthz"))["status"] == "ok")

    # --- SIGTERM with a request in flight ------------------------------------------------------------------
    outcome = {}

    def slow_request():
        try:
            reply = client.chat.completions.create(model="kimi-k2.6", messages=media_message(("video_url", data_url(uhd_mkv, "video/x-matroska"))))
            outcome["answer"] = reply.choices[0].message.content
        except Exception as error:  # noqa: BLE001 - recorded for the check
            outcome["error"] = repr(error)

    worker = threading.Thread(target=slow_request)
    worker.start()
    time.sleep(0.4)
    gateway.send_signal(signal.SIGTERM)
    worker.join(60)
    code = gateway.wait(30)
    check("SIGTERM lets the request in flight finish, then the gateway exits 0",
          outcome.get("answer", "").startswith("stand-in answer: 0 image(s), 1 video(s)") and code == 0, (outcome, code))
    try:
        socket.create_connection((base.split("//")[1].split(":")[0], int(base.split(":")[2].split("/")[0])), timeout=2)
        check("after SIGTERM nothing listens", False, "connected")
    except OSError:
        check("after SIGTERM nothing listens", True)

    logs = open(os.path.join(WORK, f"kimi-media-{len(serve)}.err")).read()
    check("one JSON log line per request, with an id", all("id" in json.loads(l) for l in logs.splitlines()) and len(logs.splitlines()) >= 10,
          logs[:300])
    check("the upstream key appears in no log line", UPSTREAM_KEY not in logs and UPSTREAM_KEY not in metrics)
    check("no request folder is left behind", not any(name.startswith("kimi-media-serve-") for name in os.listdir(tempfile.gettempdir()))
          or all(not os.listdir(os.path.join(tempfile.gettempdir(), n)) for n in os.listdir(tempfile.gettempdir()) if n.startswith("kimi-media-serve-")))
finally:
    for process in (gateway, strict, stand_in):
        if process.poll() is None:
            process.kill()
    shutil.rmtree(WORK, ignore_errors=True)

print(f"{'FAILED' if failures else 'passed'}: gateway with the openai client ({len(failures)} failing)")
sys.exit(1 if failures else 0)
