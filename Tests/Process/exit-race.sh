#!/usr/bin/env bash
# Short `kimi-media probe` runs of misnamed and damaged files, two at a time, RUNS times (default
# 5,000): every run must end with an exit status, never a signal. A video name on the command line
# starts FFmpeg's load in the background; a run that ended first used to exit while FFmpeg's
# libraries were still loading and abort (SIGABRT in libgomp's goacc_register) about once in 500.
# Usage: exit-race.sh KIMI_MEDIA_BINARY [RUNS]
set -euo pipefail
bin=$(realpath "$1")
runs=${2:-5000}
fixtures=$(cd "$(dirname "$0")/../../Fixtures" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
# Named as videos, so FFmpeg's load starts in the background, yet none of them needs FFmpeg (each is
# told apart by its content, from its first bytes): the run ends in a few milliseconds, while the
# load still runs — the race. Misnamed images, a damaged one, an MP4 cut inside its first box.
cp "$fixtures/images/jpeg-baseline.jpg" photo.mp4
cp "$fixtures/images/png-rgb.png" picture.mov
head -c 2000 "$fixtures/images/jpeg-baseline.jpg" > cut-photo.mov
head -c 3000 "$fixtures/video/h264.mp4" > cut.mp4
start=$(date +%s)
# Each run prints its status; 128 + N is a death by signal N.
seq 1 "$runs" | xargs -P2 -I{} sh -c '"$0" probe photo.mp4 picture.mov cut-photo.mov cut.mp4 >/dev/null 2>&1; echo $?' "$bin" \
  | sort | uniq -c > statuses
echo "exit-race: $runs probe runs in $(( $(date +%s) - start )) s; exit statuses (count status):"
cat statuses
if awk '$2 >= 128 { bad = 1 } END { exit !bad }' statuses; then
  echo "exit-race: FAILED: some runs died by a signal" >&2
  exit 1
fi
