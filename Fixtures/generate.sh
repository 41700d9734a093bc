#!/usr/bin/env bash
# Regenerates every fixture from our own sources: ffmpeg's lavfi test sources, ImageMagick drawings,
# the webp/giflib command-line tools, and small Python writers for the hand-made hostile files.
# Output is deterministic for a given tool set (Debian 12 packages); the results are committed, so
# tests never need these tools. Run: `make fixtures` (installs the tools, then runs this script).
set -euo pipefail
cd "$(dirname "$0")"
# invalid/fuzz-*: inputs `make fuzz` found, kept as found (they cannot be remade): not removed.
rm -rf images video convert quirks progressive
find invalid -maxdepth 1 -type f ! -name 'fuzz-*' -delete 2>/dev/null
mkdir -p images video invalid convert quirks
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

ff() { ffmpeg -nostdin -hide_banner -loglevel error -y "$@"; }
# Deterministic encodes: no muxer/encoder version strings, no creation times.
FFBIT=(-fflags +bitexact -flags:v +bitexact -flags:a +bitexact -map_metadata -1)

# ---------------------------------------------------------------------------------------------------
# Still images. The upright reference is 96×64 with four coloured quadrants (red top-left, green
# top-right, blue bottom-left, white bottom-right), so any flip or rotation is visible in the pixels.
convert -size 48x32 xc:red -size 48x32 xc:lime +append "$tmp/top.png"
convert -size 48x32 xc:blue -size 48x32 xc:white +append "$tmp/bottom.png"
convert "$tmp/top.png" "$tmp/bottom.png" -append -define png:exclude-chunks=date,time "$tmp/upright.png"
# A photo-like 320×240 source (gradients + detail) for codec fixtures.
ff -f lavfi -i "testsrc2=size=320x240:rate=1" -frames:v 1 "$tmp/photo.png"

strip=(-strip -define png:exclude-chunks=date,time,tIME,tEXt,zTXt)
convert "$tmp/photo.png" "${strip[@]}" -type TrueColor -depth 8 PNG24:images/png-rgb.png
convert "$tmp/photo.png" "${strip[@]}" -alpha set -channel A -fx 'i/w' +channel PNG32:images/png-rgba.png
convert "$tmp/photo.png" "${strip[@]}" -depth 16 PNG48:images/png-rgb16.png
convert "$tmp/photo.png" "${strip[@]}" -colors 64 PNG8:images/png-palette.png
convert "$tmp/photo.png" "${strip[@]}" -colorspace Gray -type Grayscale -depth 8 images/png-gray.png
# Animated PNG (APNG): 3 frames of 160×120 at 10 fps.
ff -f lavfi -i "testsrc2=size=160x120:rate=10" -frames:v 3 -plays 0 -f apng images/png-animated.png

convert "$tmp/photo.png" -strip -quality 90 -interlace none images/jpeg-baseline.jpg
convert "$tmp/photo.png" -strip -quality 90 -interlace JPEG images/jpeg-progressive.jpg
convert "$tmp/photo.png" -strip -quality 90 -colorspace CMYK images/jpeg-cmyk.jpg
# Progressive JPEGs beside baseline twins holding the very same coefficients (jpegtran transcodes
# losslessly): our progressive decoder must give exactly the samples libjpeg gives for the twin.
# 4:2:0 with a restart marker every MCU row; 4:4:4 by a scan script with successive approximation
# of DC and AC (refinement scans, a non-interleaved DC refinement); gray.
mkdir -p progressive
ff -f lavfi -i "testsrc2=size=488x328:rate=1" -frames:v 1 -vf "noise=alls=16:allf=t" "$tmp/noisy.ppm"
cat > "$tmp/scans.txt" <<'SCANS'
0,1,2: 0 0 0 2;
0: 1 5 0 2;
0: 6 63 0 2;
1: 1 63 0 1;
2: 1 63 0 1;
0: 1 63 2 1;
0: 0 0 2 1;
1,2: 0 0 2 1;
0,1,2: 0 0 1 0;
1: 1 63 1 0;
2: 1 63 1 0;
0: 1 63 1 0;
SCANS
cjpeg -quality 85 -sample 2x2 -progressive -restart 1 -outfile progressive/420-restart.jpg "$tmp/noisy.ppm"
cjpeg -quality 92 -sample 1x1 -scans "$tmp/scans.txt" -outfile progressive/444-refinements.jpg "$tmp/noisy.ppm"
cjpeg -quality 85 -grayscale -progressive -outfile progressive/gray.jpg "$tmp/noisy.ppm"
for f in 420-restart 444-refinements gray; do
  jpegtran -copy none -outfile "progressive/$f-baseline.jpg" "progressive/$f.jpg"
done
convert "$tmp/photo.png" -strip -quality 90 -colorspace Gray images/jpeg-gray.jpg
# EXIF orientations 1–8: each file stores the upright picture transformed by the inverse of its
# orientation, so a viewer that honours the tag shows the same upright 96×64 picture for all eight.
inverse=([1]="" [2]="-flop" [3]="-rotate 180" [4]="-flip" [5]="-transpose" [6]="-rotate 270"
         [7]="-transverse" [8]="-rotate 90")
for o in 1 2 3 4 5 6 7 8; do
  # shellcheck disable=SC2086
  convert "$tmp/upright.png" ${inverse[$o]} -strip -quality 95 -sampling-factor 1x1 "$tmp/o.jpg"
  exiftool -q -overwrite_original -n -Orientation="$o" -o "images/jpeg-orientation-$o.jpg" "$tmp/o.jpg"
done

cwebp -quiet -q 80 "$tmp/photo.png" -o images/webp-lossy.webp
cwebp -quiet -lossless "$tmp/photo.png" -o images/webp-lossless.webp
cwebp -quiet -q 80 -alpha_q 100 images/png-rgba.png -o images/webp-alpha.webp
for i in 0 1 2; do ff -f lavfi -i "testsrc2=size=160x120:rate=1" -vf "trim=start_frame=$i" -frames:v 1 "$tmp/f$i.png"; done
# Three frames of 100 ms: 0.3 s in all.
img2webp -loop 0 -lossy -q 70 -d 100 "$tmp/f0.png" "$tmp/f1.png" "$tmp/f2.png" -o images/webp-animated.webp 2>/dev/null

convert "$tmp/photo.png" -strip -colors 128 images/gif-static.gif
# Four frames of 100 ms (delay 10 cs), each with a transparent 40×30 top-left corner: 0.4 s in all.
for i in 0 1 2; do
  convert "$tmp/f$i.png" -alpha set -region 40x30+0+0 -channel A -evaluate set 0 +channel +region "$tmp/t$i.png"
done
convert -delay 10 -loop 0 -dispose previous "$tmp/t0.png" "$tmp/t1.png" "$tmp/t2.png" "$tmp/t0.png" \
  -strip images/gif-animated.gif

# ---------------------------------------------------------------------------------------------------
# Video: 2 s of 160×90 at 25 fps (50 frames), a keyframe every 25 frames (t = 0 s and 1 s) unless
# said otherwise, in every container the API accepts.
SRC=(-f lavfi -i "testsrc2=size=160x90:rate=25" -t 2)
GOP=(-g 25 -keyint_min 25 -sc_threshold 0 -bf 0)
X264=(-c:v libx264 -preset veryfast -pix_fmt yuv420p -x264-params "keyint=25:min-keyint=25:scenecut=0:bframes=0")
ff "${SRC[@]}" "${X264[@]}" "${FFBIT[@]}" -movflags +faststart video/h264.mp4
ff "${SRC[@]}" -c:v mpeg2video "${GOP[@]}" -q:v 4 "${FFBIT[@]}" -f vob video/mpeg2.mpeg
ff "${SRC[@]}" -c:v mpeg1video "${GOP[@]}" -q:v 4 "${FFBIT[@]}" -f mpeg video/mpeg1.mpg
ff "${SRC[@]}" "${X264[@]}" "${FFBIT[@]}" -f mov video/h264.mov
ff "${SRC[@]}" -c:v mpeg4 "${GOP[@]}" -q:v 4 "${FFBIT[@]}" video/mpeg4.avi
ff "${SRC[@]}" -c:v flv1 "${GOP[@]}" -q:v 4 "${FFBIT[@]}" video/flv1.flv
ff "${SRC[@]}" -c:v libvpx-vp9 -g 25 -keyint_min 25 -b:v 200k -deadline realtime -cpu-used 8 "${FFBIT[@]}" video/vp9.webm
ff "${SRC[@]}" -c:v wmv2 "${GOP[@]}" -q:v 4 "${FFBIT[@]}" video/wmv2.wmv
ff -f lavfi -i "testsrc2=size=176x144:rate=25" -t 2 -c:v h263 "${GOP[@]}" -q:v 4 "${FFBIT[@]}" -f 3gp video/h263.3gp
# Rotated like a phone's portrait video: stored 160×90 quadrants (red, green / blue, white) with a
# display matrix that turns them 90° clockwise, shown as 90×160 with blue top-left. FFmpeg 5.1 writes
# the matrix only when stream-copying, and reads its `rotate` tag as counter-clockwise: hence 270.
convert "$tmp/upright.png" -resize 160x90! "$tmp/quadrants.png"
ff -loop 1 -framerate 25 -i "$tmp/quadrants.png" -t 2 "${X264[@]}" "${FFBIT[@]}" "$tmp/quadrants.mp4"
ff -i "$tmp/quadrants.mp4" -c copy "${FFBIT[@]}" -metadata:s:v:0 rotate=270 -movflags +faststart video/rotated-90.mp4
# Variable frame rate: 25 frames in the first second, then 20 frames at 10 fps (45 frames, 3 s).
ff -f lavfi -i "testsrc2=size=160x90:rate=25" -frames:v 45 \
  -vf "setpts='if(lt(N,25),N/25,1+(N-25)/10)/TB'" -fps_mode vfr "${X264[@]}" -video_track_timescale 1000 \
  "${FFBIT[@]}" video/vfr.mp4
# With audio: 2 s of a 440 Hz sine in AAC beside the video.
ff "${SRC[@]}" -f lavfi -i "sine=frequency=440:sample_rate=22050" -t 2 "${X264[@]}" -c:a aac -b:a 32k -shortest \
  "${FFBIT[@]}" video/with-audio.mp4
# Audio MP4 cannot carry (MP2) beside MPEG-4 video in AVI: re-encoded to AAC by prepare.
ff "${SRC[@]}" -f lavfi -i "sine=frequency=440:sample_rate=22050" -t 2 -c:v mpeg4 "${GOP[@]}" -q:v 4 -c:a mp2 -b:a 64k \
  -shortest "${FFBIT[@]}" video/mp2-audio.avi
# H.264 with B-frames (x264's defaults: 3 B-frames, pyramid), the kind `--frames model` skips undecoded.
ff "${SRC[@]}" -c:v libx264 -preset veryfast -pix_fmt yuv420p -x264-params "keyint=25:min-keyint=25:scenecut=0" \
  "${FFBIT[@]}" -movflags +faststart video/h264-bframes.mp4
# HEVC with B-frames and closed GOPs whose keyframes have leading pictures (IDR_W_RADL, RADL):
# `--frames model` drops a GOP's tail and leading pictures no target needs.
ff "${SRC[@]}" -c:v libx265 -preset veryfast -pix_fmt yuv420p -tag:v hvc1 \
  -x265-params "keyint=25:min-keyint=25:scenecut=0:bframes=3:no-open-gop=1:radl=2:info=0:frame-threads=1:pools=none:log-level=error" \
  "${FFBIT[@]}" -movflags +faststart video/hevc-radl.mp4
# One hour at 1 fps, 16×16, a keyframe a minute (60 keyframes): proves memory does not grow with length.
ff -f lavfi -i "testsrc2=size=16x16:rate=1" -t 3600 -c:v libx264 -preset veryfast -pix_fmt yuv420p \
  -x264-params "keyint=60:min-keyint=60:scenecut=0:bframes=0" "${FFBIT[@]}" -movflags +faststart video/one-hour-16x16.mp4
# A slideshow: three still pictures of 20 s each under temporal noise (as a camera or an encoder
# adds it), 5 fps: `--dedupe` must keep exactly three frames of the model's 120.
ff -f lavfi -i "color=c=0x2050a0:s=128x72:r=5:d=20" -f lavfi -i "smptebars=s=128x72:r=5:d=20" -f lavfi -i "rgbtestsrc=s=128x72:r=5:d=20" \
  -filter_complex "[0:v][1:v][2:v]concat=n=3:v=1:a=0,noise=alls=8:allf=t+u,format=yuv420p[v]" -map "[v]" -c:v libx264 -preset veryfast \
  -crf 28 -x264-params "keyint=50:min-keyint=50:scenecut=0" "${FFBIT[@]}" -movflags +faststart video/slideshow.mp4
# One keyframe only: the first frame, then 49 predicted frames.
ff "${SRC[@]}" -c:v libx264 -preset veryfast -pix_fmt yuv420p -x264-params "keyint=1000:min-keyint=1000:scenecut=0:bframes=0" \
  "${FFBIT[@]}" video/single-keyframe.mp4

# ---------------------------------------------------------------------------------------------------
# Invalid and hostile inputs. Each yields one exact error code (see docs/cli.md, probe's error codes).
cut_half() { local n; n=$(stat -c %s "$1"); head -c $((n / 2)) "$1" > "$2"; }
cut_half images/png-rgb.png invalid/truncated.png
cut_half images/jpeg-baseline.jpg invalid/truncated.jpg
cut_half images/webp-lossy.webp invalid/truncated.webp
cut_half images/gif-animated.gif invalid/truncated.gif
for v in h264.mp4 mpeg2.mpeg mpeg1.mpg h264.mov mpeg4.avi flv1.flv vp9.webm wmv2.wmv h263.3gp; do
  cut_half "video/$v" "invalid/truncated.${v##*.}"
done
: > invalid/empty.jpg
printf 'This is a text file, not a video.\n' > invalid/text.mp4
ff -f lavfi -i "sine=frequency=440:sample_rate=22050" -t 1 -c:a aac -b:a 32k "${FFBIT[@]}" invalid/audio-only.mp4
# ---------------------------------------------------------------------------------------------------
# Formats the API does not take and `prepare` converts: what phones, cameras, screen recorders and
# other tools write. Images are the 160×120 photo; videos 2 s of 160×90 at 25 fps as above.
ff -f lavfi -i "testsrc2=size=160x120:rate=1" -frames:v 1 "$tmp/small.png"
convert "$tmp/small.png" -alpha set -channel A -fx 'i/w' +channel "$tmp/small-alpha.png"
heif-enc -q 60 "$tmp/small.png" -o convert/heic.heic >/dev/null
# As phones write HEIC: a grid of tiles (64×64 here, 512×512 on a phone), the last row and column
# cropped by the grid; the portrait one turned by `irot` as iPhones turn theirs, with an nclx box.
ff -f lavfi -i "testsrc2=size=200x150:rate=1" -frames:v 1 "$tmp/grid.png"
python3 heic-grid.py "$tmp/grid.png" convert/heic-grid.heic --tile 64
python3 heic-grid.py "$tmp/grid.png" convert/heic-grid-portrait.heic --tile 64 --irot 3 --nclx
heif-enc -A -q 60 "$tmp/small.png" -o convert/avif.avif >/dev/null
heif-enc -A -q 60 "$tmp/small-alpha.png" -o convert/avif-alpha.avif >/dev/null
convert "$tmp/small.png" -strip -compress zip convert/tiff.tiff
convert "$tmp/small.png" -strip -colorspace Lab -compress zip convert/lab.tiff          # CIE L*a*b*: libtiff, not FFmpeg
convert "$tmp/small.png" -strip -colorspace Gray -depth 32 -define quantum:format=floating-point -compress zip convert/float32.tiff
convert "$tmp/small.png" -strip -resize 64x48 convert/tga.tga                        # no signature: found by its extension
convert "$tmp/small.png" -strip -resize 64x48 -compress none convert/plain.ppm       # plain (text) PPM
convert "$tmp/small.png" -strip BMP3:convert/bmp.bmp
ff -i "$tmp/small.png" "${FFBIT[@]}" convert/qoi.qoi
cjxl -q 90 "$tmp/small.png" convert/jxl.jxl >/dev/null 2>&1
convert "$tmp/small.png" -strip convert/jpeg2000.jp2                    # FFmpeg decodes it: format "image"
ff "${SRC[@]}" "${X264[@]}" "${FFBIT[@]}" -f matroska convert/h264.mkv     # H.264: remuxed, not re-encoded
ff "${SRC[@]}" -c:v libaom-av1 -cpu-used 8 -b:v 100k -g 25 "${FFBIT[@]}" -f matroska convert/av1.mkv
ff "${SRC[@]}" "${X264[@]}" "${FFBIT[@]}" -f mpegts convert/h264.ts
ff "${SRC[@]}" "${X264[@]}" "${FFBIT[@]}" -f mpegts -mpegts_m2ts_mode 1 convert/camcorder.m2ts
ff "${SRC[@]}" -c:v libtheora -g 25 -q:v 5 "${FFBIT[@]}" convert/theora.ogv
ff "${SRC[@]}" -c:v mpeg2video "${GOP[@]}" -q:v 6 "${FFBIT[@]}" -f mxf convert/mpeg2.mxf
ff "${SRC[@]}" "${X264[@]}" "${FFBIT[@]}" -f nut convert/h264.nut       # no name of ours: format "video"
ff -f lavfi -i "testsrc2=size=32x32:rate=25" -frames:v 5 -pix_fmt yuv420p "${FFBIT[@]}" convert/raw.y4m

# ---------------------------------------------------------------------------------------------------
# Valid files that real tools write and that strict readers refuse: each must be prepared.
# A screen recording of odd size (1279×719 shrunk to 321×179 to stay small; 4:4:4, as screen
# recorders write, since 4:2:0 cannot be odd) in a codec that must be re-encoded: H.264 4:2:0 needs
# even sides, so the video is written 320×178 while the frames keep 321×179.
ff -f lavfi -i "testsrc2=size=322x180:rate=10" -t 1 -vf "format=yuv444p,crop=321:179:0:0" -c:v libvpx-vp9 -pix_fmt yuv444p \
  -b:v 100k -deadline realtime -cpu-used 8 "${FFBIT[@]}" quirks/odd-size.webm
# A 2.39:1 film in a compliant MP4; `--max-side 301` fits it to 301×126 (odd width): re-encoded even.
ff -f lavfi -i "testsrc2=size=478x200:rate=10" -t 1 "${X264[@]}" "${FFBIT[@]}" -movflags +faststart quirks/film-239.mp4
# JPEG chroma sampling TurboJPEG 2.1 cannot classify (luma subsampled against chroma); libjpeg decodes it.
convert "$tmp/small.png" "$tmp/small.ppm"
cjpeg -sample 1x1,2x2,2x2 -quality 90 -outfile quirks/jpeg-unusual-sampling.jpg "$tmp/small.ppm"
# The same picture at ordinary 4:2:0, the reference the unusual one is compared with.
cjpeg -sample 2x2,1x1,1x1 -quality 90 -outfile quirks/jpeg-ordinary-sampling.jpg "$tmp/small.ppm"
# A camera's multi-picture file (MPO): two JPEGs back to back; the first is the picture.
cat images/jpeg-baseline.jpg images/jpeg-gray.jpg > quirks/camera.mpo
# A PNG under a name that says nothing (found in a folder by its content).
cp images/png-rgb.png quirks/misnamed.dat
python3 - <<'PY'
import random, struct, zlib
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
def lzw(pixels, min_code):
    """GIF LZW with one clear code at the start and none after the table fills (a deferred clear:
    the table stays at 4,096 entries and codes stay 12 bits wide)."""
    clear = 1 << min_code
    table = {(i,): i for i in range(clear)}
    codes, next_code, width = [(clear, min_code + 1)], clear + 2, min_code + 1
    w = (pixels[0],)
    for p in pixels[1:]:
        if w + (p,) in table:
            w += (p,)
            continue
        codes.append((table[w], width))
        if next_code < 4096:
            table[w + (p,)] = next_code
            next_code += 1
            if next_code - 1 == 1 << width and width < 12:
                width += 1
        w = (p,)
    codes += [(table[w], width), (clear + 1, width)]
    acc = n = 0
    data = bytearray()
    for code, bits in codes:
        acc |= code << n
        n += bits
        while n >= 8:
            data.append(acc & 0xFF)
            acc >>= 8
            n -= 8
    if n:
        data.append(acc)
    blocks = b"".join(bytes([len(data[i:i + 255])]) + data[i:i + 255] for i in range(0, len(data), 255))
    return bytes([min_code]) + blocks + b"\0"
def gif(width, height, flags, palette, frame, pixels, min_code):
    left, top, w, h = frame
    return (b"GIF89a" + struct.pack("<HHBBB", width, height, flags, 0, 0) + palette
            + b"\x2c" + struct.pack("<HHHHB", left, top, w, h, 0) + lzw(pixels, min_code) + b"\x3b")
rnd = random.Random(7)
ramp = b"".join(bytes([i, (i * 3) & 255, 255 - i]) for i in range(256))
# 96×96 noise: ~9,000 codes, so the 4,096-entry table fills and stays full (deferred clear).
open("quirks/gif-deferred-clear.gif", "wb").write(
    gif(96, 96, 0xF7, ramp, (0, 0, 96, 96), [rnd.randrange(256) for _ in range(96 * 96)], 8))
# Neither a global nor a local colour table: decoders use a gray ramp.
open("quirks/gif-no-palette.gif", "wb").write(gif(16, 16, 0x00, b"", (0, 0, 16, 16), [i % 4 for i in range(256)], 2))
# A 24×24 frame at (4, 4) on a 16×16 screen: it reaches past the screen's edge.
four = bytes([255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255])
open("quirks/gif-frame-past-screen.gif", "wb").write(gif(16, 16, 0x81, four, (4, 4, 24, 24), [i % 4 for i in range(576)], 2))
# An APNG whose acTL declares 2^31 frames: past the frame limit, but its default image is a PNG.
png = open("images/png-rgb.png", "rb").read()
actl = chunk(b"acTL", struct.pack(">II", 2**31, 0))
open("quirks/apng-huge-frame-count.png", "wb").write(png[:33] + actl + png[33:])
# A JPEG with 4 stray bytes before its DQT marker ("Corrupt JPEG data: 4 extraneous bytes before
# marker 0xdb", which libjpeg only warns about), as Photoshop has written.
jpg = open("images/jpeg-baseline.jpg", "rb").read()
i = jpg.find(b"\xff\xdb")
open("quirks/jpeg-extraneous-bytes.jpg", "wb").write(jpg[:i] + b"\x00\x01\x02\x03" + jpg[i:])

# A BMP with a 56-byte BITMAPV3INFOHEADER and alpha bit fields (FFmpeg's decoder refuses both):
# 16×8, left half opaque red, right half half-transparent blue, bottom-up.
def bmp_v3(width, height):
    rows = b""
    for y in range(height):
        row = b""
        for x in range(width):
            row += struct.pack("<I", 0xFFFF0000 if x < width // 2 else 0x800000FF)
        rows += row
    header = struct.pack("<IiiHHIIiiII", 56, width, height, 1, 32, 3, len(rows), 2835, 2835, 0, 0)
    header += struct.pack("<IIII", 0x00FF0000, 0x0000FF00, 0x000000FF, 0xFF000000)
    offset = 14 + len(header)
    return b"BM" + struct.pack("<IHHI", offset + len(rows), 0, 0, offset) + header + rows
open("quirks/bmp-v3-alpha.bmp", "wb").write(bmp_v3(16, 8))
# A clipboard DIB: a 40-byte header and 24-bit rows, no "BM" file header (green 12×6).
rows = (bytes([0, 255, 0]) * 12) * 6  # 36 bytes a row: already a multiple of 4
dib = struct.pack("<IiiHHIIiiII", 40, 12, 6, 1, 24, 0, len(rows), 2835, 2835, 0, 0) + rows
open("quirks/clipboard.dib", "wb").write(dib)

# A Windows cursor: one 8×8 24-bit DIB entry (header height 16: colour rows, then the AND mask),
# all red, its left half transparent through the mask.
xor = (bytes([0, 0, 255]) * 8) * 8                      # 24 bytes a row, bottom-up
mask = bytes([0xF0, 0, 0, 0]) * 8                       # 1 = transparent: the four left pixels
dib = struct.pack("<IiiHHIIiiII", 40, 8, 16, 1, 24, 0, len(xor) + len(mask), 0, 0, 0, 0) + xor + mask
cur = struct.pack("<HHH", 0, 2, 1) + struct.pack("<BBBBHHII", 8, 8, 0, 0, 4, 4, len(dib), 22) + dib
open("quirks/cursor.cur", "wb").write(cur)
# An Apple icon whose one element (ic07) is a PNG: png-rgba.png.
element = open("images/png-rgba.png", "rb").read()
icns = b"ic07" + struct.pack(">I", 8 + len(element)) + element
open("quirks/icon.icns", "wb").write(b"icns" + struct.pack(">I", 8 + len(icns)) + icns)

# An AVI whose audio stream has a format tag no decoder knows (0x1234): the video is written
# without it.
avi = bytearray(open("video/mp2-audio.avi", "rb").read())
strf = avi.find(b"strf", avi.find(b"auds"))
avi[strf + 8:strf + 10] = struct.pack("<H", 0x1234)
open("quirks/unknown-audio.avi", "wb").write(avi)

# Damaged or hostile files that must be refused with the right code.
rgb = bytearray(open("images/png-rgb.png", "rb").read())
# One byte of the image data flipped: the IDAT CRC no longer matches (the probe's header read passes).
idat = rgb.find(b"IDAT")
bad = bytearray(rgb)
bad[idat + 40] ^= 0xFF
open("invalid/bad-crc.png", "wb").write(bad)
# The zlib stream's compression method set to 15 (only 8, deflate, exists), CRC recomputed.
length = struct.unpack(">I", rgb[idat - 4:idat])[0]
data = bytearray(rgb[idat + 4:idat + 4 + length])
data[0] = (data[0] & 0xF0) | 0x0F
fixed = rgb[:idat - 4] + chunk(b"IDAT", bytes(data)) + rgb[idat + 8 + length:]
open("invalid/bad-zlib.png", "wb").write(fixed)
# An MP4 whose movie box lost its track (the 'trak' box type overwritten): damaged, not audio-only.
mp4 = bytearray(open("video/h264.mp4", "rb").read())
t = mp4.find(b"trak")
mp4[t:t + 4] = b"xxxx"
open("invalid/damaged-moov.mp4", "wb").write(mp4)
# A decompression bomb: a 32×32 screen whose one frame reaches 65,535×66,601 pixels (Pillow's
# decompression_bomb.gif shape), its data cut short.
bomb = b"GIF89a" + struct.pack("<HHBBB", 32, 32, 0xF1, 0, 0) + bytes(12)
bomb += b"\x2c" + struct.pack("<HHHHB", 0, 0xFF00, 0xFFFF, 0x0529, 0) + b"\x08\x01\x00"
open("invalid/gif-bomb.gif", "wb").write(bomb)
# An icon whose directory says 16×16 but whose bitmap declares 16×838,860,816 (found by mutation:
# the bitmap's own header is what a decoder allocates for).
bitmap = struct.pack("<IiiHHIIiiII", 40, 16, 2 * 838_860_816, 1, 24, 0, 0, 0, 0, 0, 0) + bytes(64)
icon = struct.pack("<HHH", 0, 1, 1) + struct.pack("<BBBBHHII", 16, 16, 0, 0, 1, 24, len(bitmap), 22) + bitmap
open("invalid/icon-bomb.ico", "wb").write(icon)
PY

python3 - "$tmp" <<'PY'
import random, struct, sys, zlib
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
# Random bytes under an image extension.
open("invalid/random.jpg", "wb").write(random.Random(42).randbytes(4096))
# A PNG whose IHDR declares 100,000 × 100,000 RGB pixels (30 GB decoded), with a tiny IDAT.
ihdr = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")
open("invalid/huge-dimensions.png", "wb").write(png)
# A JPEG whose SOF0 declares 65,500 × 65,500 (JPEG's 16-bit fields cannot say 100,000).
jpg = bytearray(open("images/jpeg-baseline.jpg", "rb").read())
i = jpg.find(b"\xff\xc0")
jpg[i + 5:i + 9] = struct.pack(">HH", 65_500, 65_500)
open("invalid/huge-dimensions.jpg", "wb").write(jpg)
# A GIF whose logical screen is 65,535 × 65,535 holding one 1×1 image.
gif = b"GIF89a" + struct.pack("<HHBBB", 65535, 65535, 0x80, 0, 0) + b"\0\0\0\xff\xff\xff"
gif += b"\x2c" + struct.pack("<HHHHB", 0, 0, 1, 1, 0) + b"\x02\x02\x44\x01\x00" + b"\x3b"
open("invalid/huge-screen.gif", "wb").write(gif)
PY
du -sh . | cut -f1 | xargs echo "Fixtures size:"
