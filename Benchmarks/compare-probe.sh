#!/usr/bin/env bash
# Side-by-side probe benchmark: kimi-media against ffprobe, vipsheader and ImageMagick `identify -ping`
# on the same files, interleaved by hyperfine in one run. Each peer is run the way its users run it
# (ffprobe and vipsheader take one file per process; identify and kimi-media take many).
# Usage: Benchmarks/compare-probe.sh [RESULTS.md]   (run via `make bench-probe`)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-Benchmarks/results/probe.md}
mkdir -p "$(dirname "$out")"
bin=$(swift build -c release --show-bin-path)/kimi-media
# The fixtures as they are (start-up dominated), and a corpus of 20 copies of each (per-file cost).
corpus=$(mktemp -d); trap 'rm -rf "$corpus"' EXIT
for i in $(seq -w 1 20); do
  mkdir -p "$corpus/$i"
  cp Fixtures/images/* Fixtures/video/* "$corpus/$i/"
done
run() {  # run LABEL RUNS FILES...: images and videos of that set, side by side
  local label=$1 runs=$2; shift 2
  local images=() videos=()
  for f in "$@"; do case $f in *.png|*.jpg|*.webp|*.gif) images+=("$f");; *) videos+=("$f");; esac; done
  local img vid
  img=$(printf ' %q' "${images[@]}"); vid=$(printf ' %q' "${videos[@]}")
  hyperfine -N --warmup 1 --min-runs "$runs" --export-markdown "$out.part" \
    -n "kimi-media probe, ${#images[@]} images" "$bin probe --json --jobs 1 $img" \
    -n "identify -ping, ${#images[@]} images" "identify -ping $img" \
    -n "vipsheader, one process per image" "bash -c 'for f in $img; do vipsheader \$f; done'" >&2
  { echo "$label, images:"; echo; cat "$out.part"; echo; } >> "$out"
  hyperfine -N --warmup 1 --min-runs "$runs" --export-markdown "$out.part" \
    -n "kimi-media probe, ${#videos[@]} videos" "$bin probe --json --jobs 1 $vid" \
    -n "ffprobe, one process per video" "bash -c 'for f in $vid; do ffprobe -v error -show_format -show_streams \$f; done'" >&2
  { echo "$label, videos:"; echo; cat "$out.part"; echo; } >> "$out"
  rm -f "$out.part"
}
: > "$out"
mapfile -t small < <(find Fixtures/images Fixtures/video -type f | sort)
mapfile -t large < <(find "$corpus" -type f | sort)
run "The fixtures once" 10 "${small[@]}"
run "The fixtures 20 times" 3 "${large[@]}"
cat "$out"
