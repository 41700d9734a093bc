#!/usr/bin/env bash
# `make package-test`: installs the .deb with apt into a minimal Debian root and runs it there, as a
# user of a fresh Debian 12 machine would (needs root: debootstrap, chroot, mount).
#
#   Packaging/package-test.sh path/to/kimi-media_VERSION_ARCH.deb
#
# The root (debootstrap --variant=minbase) is made once and kept as a tarball under
# ~/.cache/kimi-media/debootstrap, keyed by suite, variant and architecture; each run unpacks a
# fresh copy, so nothing a previous run installed is there. The .debs apt downloads are kept beside
# it (apt checks them against the index, so a stale one is fetched again). Then, in the root:
# apt-get install ./the.deb (dependencies from Debian), ldd (nothing "not found"), --version,
# probe, prepare (manifest statuses, output formats by their bytes) and estimate of a HEIC, a JPEG
# and an MKV. Any failure exits non-zero; the mounts are undone and the root removed in every case.
set -euo pipefail
[ $# -eq 1 ] && [ -f "$1" ] || { echo "usage: $0 path/to/kimi-media_VERSION_ARCH.deb" >&2; exit 2; }
deb=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
repo=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" = 0 ] || { echo "package-test.sh: needs root (debootstrap, chroot, mount)" >&2; exit 1; }

suite=${SUITE:-bookworm}
variant=${VARIANT:-minbase}
arch=$(dpkg --print-architecture)
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
security_mirror=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
cache=${KIMI_MEDIA_CACHE:-$HOME/.cache/kimi-media}/debootstrap
tarball=$cache/$suite-$variant-$arch.tar.gz
archives=$cache/apt-archives-$suite-$arch
fixtures=(Fixtures/convert/heic.heic Fixtures/images/jpeg-baseline.jpg Fixtures/convert/h264.mkv)

fail() { echo "package-test: FAIL: $*" >&2; exit 1; }
# Milliseconds since the epoch (bash 5's EPOCHREALTIME; no bc on a minimal machine).
now_ms() { local t=${EPOCHREALTIME/[.,]/}; echo $((t / 1000)); }
started=$(now_ms)
step_start=$started
# Prints how long the step just finished took.
step() {
  local now; now=$(now_ms)
  printf 'package-test: %-60s %4d.%d s\n' "$1" $(((now - step_start) / 1000)) $(((now - step_start) % 1000 / 100))
  step_start=$now
}

work=$(mktemp -d "${TMPDIR:-/var/tmp}/kimi-media-package-test.XXXXXX")
root=$work/root
mounts=()
# Every mount is undone (last first; lazily if busy) and the root removed only when nothing is
# mounted below it any more: rm -rf over a bound /dev would empty the host's /dev.
cleanup() {
  local status=$? i mounted
  for ((i=${#mounts[@]}-1; i>=0; i--)); do
    umount "${mounts[i]}" 2>/dev/null || umount -l "${mounts[i]}" 2>/dev/null ||
      echo "package-test: could not unmount ${mounts[i]}" >&2
  done
  # Any other mount below the root (debootstrap's own /proc and /sys when it fails), deepest first.
  awk -v r="$root/" 'index($2, r) == 1 { print $2 }' /proc/self/mounts | sort -r | while read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
  done
  mounted=$(awk -v r="$root/" 'index($2, r) == 1 { print $2 }' /proc/self/mounts)
  if [ -n "$mounted" ]; then
    echo "package-test: still mounted, $work left in place:" $mounted >&2
    status=1
  else
    rm -rf --one-file-system "$work"
  fi
  step "unmount, remove the root"
  if [ "$status" = 0 ]; then
    printf 'package-test: PASS (%s in a fresh %s %s root) in %d s\n' "$(basename "$deb")" "$suite" "$variant" \
      $((($(now_ms) - started) / 1000))
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Runs a command in the root, with a plain environment.
in_root() {
  chroot "$root" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
}

# 1. The root: from the cache, or made and cached.
if [ ! -s "$tarball" ]; then
  command -v debootstrap >/dev/null || fail "debootstrap is not installed (make package-test installs it)"
  echo "package-test: no cached root at $tarball: debootstrap --variant=$variant $suite (a few minutes, once)"
  mkdir -p "$cache"
  debootstrap --variant="$variant" --arch="$arch" "$suite" "$root" "$mirror" > "$work/debootstrap.log" 2>&1 || {
    tail -n 30 "$work/debootstrap.log" >&2; fail "debootstrap failed (log above)"; }
  # The suites a Debian 12 machine has: the release, its updates and its security fixes.
  cat > "$root/etc/apt/sources.list" <<SOURCES
deb $mirror $suite main
deb $mirror $suite-updates main
deb $security_mirror $suite-security main
SOURCES
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*_Packages
  tar -C "$root" --numeric-owner -czf "$tarball.partial" . && mv "$tarball.partial" "$tarball"
  rm -rf --one-file-system "$root"
  step "debootstrap $suite $variant, cached"
fi
mkdir "$root"
tar -C "$root" --numeric-owner -xzf "$tarball"
step "unpack a fresh root ($(du -sh "$tarball" | cut -f1) cached)"

# 2. What the root needs from the host: name resolution, /proc and /dev (apt and dpkg use
# /dev/null; ldd and the loader /proc), and the downloads of earlier runs.
cp -L /etc/resolv.conf "$root/etc/resolv.conf"
mount -t proc proc "$root/proc" && mounts+=("$root/proc")
mount --bind /dev "$root/dev" && mounts+=("$root/dev")
mkdir -p "$archives"
find "$archives" -maxdepth 1 -name '*.deb' -exec cp {} "$root/var/cache/apt/archives/" \;
cp "$deb" "$root/tmp/"
mkdir -p "$root/tmp/fixtures"
for f in "${fixtures[@]}"; do cp "$repo/$f" "$root/tmp/fixtures/"; done
name=$(basename "$deb")

in_root apt-get update -qq > "$work/apt.log" 2>&1 || { cat "$work/apt.log" >&2; fail "apt-get update"; }
step "apt-get update"
in_root apt-get install -y -q --no-install-recommends "/tmp/$name" > "$work/apt.log" 2>&1 || {
  tail -n 40 "$work/apt.log" >&2; fail "apt-get install ./$name"; }
cp -n "$root"/var/cache/apt/archives/*.deb "$archives/" 2>/dev/null || true
step "apt-get install ./$name ($(grep -c '^Unpacking' "$work/apt.log") packages)"

# 3. The installed program.
# (Outputs are read whole, then searched: `cmd | grep -q` fails under pipefail when grep stops
# reading first.)
pkg_status=$(in_root dpkg -s kimi-media) || fail "dpkg -s kimi-media"
grep -q '^Status: install ok installed' <<<"$pkg_status" || fail "dpkg says kimi-media is not installed"
for f in /usr/bin/kimi-media /usr/share/man/man1/kimi-media.1.gz /usr/share/bash-completion/completions/kimi-media \
         /usr/share/zsh/site-functions/_kimi-media /usr/share/fish/vendor_completions.d/kimi-media.fish \
         /usr/share/doc/kimi-media/copyright; do
  [ -s "$root$f" ] || fail "$f is not installed"
done
ldd=$(in_root ldd /usr/bin/kimi-media) || fail "ldd /usr/bin/kimi-media"
if grep -q 'not found' <<<"$ldd"; then echo "$ldd" >&2; fail "ldd: libraries not found (above)"; fi
# The dlopen()ed ones, which ldd cannot show.
cache_list=$(in_root ldconfig -p) || fail "ldconfig -p"
for soname in libavformat.so.59 libavcodec.so.59 libavutil.so.57 libswscale.so.6 libswresample.so.4 libheif.so.1 libde265.so.0; do
  grep -q "$soname " <<<"$cache_list" || fail "$soname (loaded at run time) is not installed"
done
step "ldd: $(grep -c '=>' <<<"$ldd") libraries, none missing; dlopen'ed ones present"

version=$(in_root kimi-media --version) || fail "kimi-media --version"
expected=$(dpkg-deb -f "$deb" Version)
[ "$version" = "$expected" ] || fail "kimi-media --version says '$version', the package '$expected'"
step "kimi-media --version: $version"

in_root sh -c 'cd /tmp/fixtures && kimi-media probe heic.heic jpeg-baseline.jpg h264.mkv' > "$work/probe.txt" 2>&1 || {
  cat "$work/probe.txt" >&2; fail "kimi-media probe"; }
sed 's/^/    /' "$work/probe.txt"
step "kimi-media probe (HEIC, JPEG, MKV)"

in_root sh -c 'cd /tmp/fixtures && kimi-media prepare --out /tmp/prepared heic.heic jpeg-baseline.jpg h264.mkv' \
  > "$work/prepare.txt" 2>&1 || { cat "$work/prepare.txt" >&2; fail "kimi-media prepare"; }
sed 's/^/    /' "$work/prepare.txt"
# Each source ok, and each output what it claims by its first bytes: the HEIC a JPEG, the MKV an MP4.
python3 - "$root/tmp/prepared" <<'PY' || fail "prepare's outputs (above)"
import json, pathlib, sys
out = pathlib.Path(sys.argv[1])
lines = [json.loads(l) for l in (out / "manifest.jsonl").read_text().splitlines() if l.strip()]
by_source = {pathlib.Path(l["source"]).name: l for l in lines}
errors = []
if sorted(by_source) != ["h264.mkv", "heic.heic", "jpeg-baseline.jpg"]:
    errors.append(f"manifest sources: {sorted(by_source)}")
magic = {"jpeg": lambda b: b[:3] == b"\xff\xd8\xff", "png": lambda b: b[:8] == b"\x89PNG\r\n\x1a\n",
         "mp4": lambda b: b[4:8] == b"ftyp"}
want = {"heic.heic": "jpeg", "jpeg-baseline.jpg": "jpeg", "h264.mkv": "mp4"}
for name, line in by_source.items():
    if line["status"] != "ok":
        errors.append(f"{name}: status {line['status']} {line.get('error')}")
        continue
    outputs = line["outputs"] or []
    if not outputs:
        errors.append(f"{name}: no outputs")
        continue
    first = outputs[0]
    if first["format"] != want.get(name):
        errors.append(f"{name}: first output is {first['format']}, expected {want.get(name)}")
    for o in outputs:
        data = (out / o["path"]).read_bytes()
        check = magic.get(o["format"])
        if len(data) != o["bytes"] or (check and not check(data[:16])):
            errors.append(f"{name}: {o['path']} is not a {o['format']} of {o['bytes']} bytes")
    print(f"    {name}: ok, " + ", ".join(f"{o['path']} ({o['format']}, {o['bytes']} B)" for o in outputs))
for e in errors:
    print("    " + e, file=sys.stderr)
sys.exit(1 if errors else 0)
PY
step "kimi-media prepare: 3 ok, HEIC → JPEG, MKV → MP4"

in_root sh -c 'cd /tmp/fixtures && kimi-media estimate heic.heic jpeg-baseline.jpg h264.mkv' > "$work/estimate.txt" 2>&1 || {
  cat "$work/estimate.txt" >&2; fail "kimi-media estimate"; }
sed 's/^/    /' "$work/estimate.txt"
step "kimi-media estimate"

