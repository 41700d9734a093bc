#!/usr/bin/env bash
# Runs every program of Examples/ against the tests' stand-in for the Moonshot API (a loopback
# server that enforces the documented contract), in a fresh folder holding copies of the fixtures
# under the names the programs use, each with an empty temporary directory of its own: a program
# that fails, or leaves anything in its temporary directory, fails the run.
# Usage: Examples/run-examples.sh   (after `swift build` here and `swift build` of the main package)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
bin=$(cd "$repo/Examples" && swift build --show-bin-path)
standin="$(cd "$repo" && swift build --show-bin-path)/kimi-media-stand-in"
work=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

# The stand-in prints the MOONSHOT_BASE_URL and MOONSHOT_API_KEY to use, then serves until killed.
"$standin" > "$work/stand-in.env" &
pid=$!
for _ in $(seq 200); do [ "$(wc -l < "$work/stand-in.env")" -ge 2 ] && break; sleep 0.05; done
set -a; . "$work/stand-in.env"; set +a

# The files the programs name: an iPhone HEIC, a PNG with alpha, a QuickTime clip, a lecture, an album.
run="$work/run"
mkdir -p "$run/holiday" "$work/home"
fixtures="$repo/Fixtures"
cp "$fixtures/convert/heic.heic" "$run/IMG_0001.HEIC"
cp "$fixtures/images/png-rgba.png" "$run/IMG_0002.png"
cp "$fixtures/video/h264.mov" "$run/clip.mov"
cp "$fixtures/video/h264.mp4" "$run/lecture.mp4"
cp "$fixtures/images/jpeg-orientation-6.jpg" "$run/holiday/IMG_0001.jpg"
cp "$fixtures/images/webp-lossy.webp" "$run/holiday/IMG_0002.webp"

failed=0
for program in PrepareOne SplitLongVideo PrepareManyAndSend EstimateBeforeSending TwoImagesAndAVideo OtherEntryPoints; do
    tmp="$work/tmp-$program"
    mkdir -p "$tmp"
    start=$(date +%s%N)
    if (cd "$run" && TMPDIR="$tmp" HOME="$work/home" "$bin/$program" > "$work/$program.log" 2>&1); then
        left=$(find "$tmp" -mindepth 1 | head -5)
        if [ -n "$left" ]; then
            echo "FAILED  $program left files in its temporary directory:"; echo "$left" | sed 's/^/        /'
            failed=1
        else
            printf 'ok      %-22s %5d ms, temporary directory empty; said: %s\n' "$program" $(( ($(date +%s%N) - start) / 1000000 )) \
                "$(tail -1 "$work/$program.log" | cut -c1-70)"
        fi
    else
        echo "FAILED  $program:"; sed 's/^/        /' "$work/$program.log"
        failed=1
    fi
done
exit $failed
