#!/usr/bin/env bash
# Do two builds write the same bytes? Runs `prepare` with each binary over the same inputs and
# compares the output folders (`diff -r`, manifests and reports left out: they name times and paths).
# Meant for changes that must not change any output (a faster kernel, a new thread layout).
#
# Usage: Benchmarks/identical-outputs.sh OLD_BINARY NEW_BINARY [INPUT…]
#   default inputs: every fixture video (keyframes and model frames), the fixture images, and the
#   bench clips under $TMPDIR/kimi-media-video-corpus when `make bench-video` made them (keyframes;
#   model frames of the 1080p-and-smaller ones). Exit 1 and a DIFF line per input that differs.
set -uo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { sed -n 2,9p "$0" >&2; exit 2; }
old=$1 new=$2
shift 2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
corpus=${TMPDIR:-/tmp}/kimi-media-video-corpus
failed=0 compared=0

# compare LABEL ARGS…: one prepare per binary, outputs diffed.
compare() {
  local label=$1
  shift
  rm -rf "$work/a" "$work/b"
  "$old" prepare --quiet "$@" --out "$work/a" >/dev/null 2>&1
  "$new" prepare --quiet "$@" --out "$work/b" >/dev/null 2>&1
  compared=$((compared + 1))
  if ! diff -r -q -x manifest.jsonl -x 'report*' "$work/a" "$work/b" >/dev/null; then
    echo "DIFF $label"
    failed=1
  fi
}

if [ $# -gt 0 ]; then
  for input in "$@"; do compare "$input" "$input"; done
else
  for video in Fixtures/video/*.*; do
    compare "keyframes $video" --frames keyframes --video none "$video"
    compare "model $video" --frames model --video none "$video"
  done
  compare "images Fixtures/images" Fixtures/images
  for clip in "$corpus"/*.mp4 "$corpus"/*.webm; do
    [ -f "$clip" ] || continue
    compare "keyframes $clip" --frames keyframes --video none "$clip"
    case "$clip" in *4k*|*30s*) ;; *) compare "model $clip" --frames model --video none "$clip" ;; esac
  done
fi
echo "$compared compared, $([ $failed = 0 ] && echo "all identical" || echo "some differ")"
exit $failed
