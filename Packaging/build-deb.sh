#!/usr/bin/env bash
# Builds out/kimi-media_<version>_<arch>.deb from the release build (`make deb`).
#
#   Packaging/build-deb.sh BINARY MANDIR COMPLETIONSDIR OUTDIR
#
# The files are laid out by Packaging/install.sh with PREFIX=/usr, as `make install` lays them out.
# The version is the binary's own (`kimi-media --version`: 0.1.0+git.N.HASH, the GitVersion
# plugin), so the package and the program can never disagree. Depends: what dpkg-shlibdeps finds in
# the binary's DT_NEEDED entries, plus the libraries kimi-media dlopen()s at run time (below).
set -euo pipefail
[ $# -eq 4 ] || { echo "usage: $0 BINARY MANDIR COMPLETIONSDIR OUTDIR" >&2; exit 2; }
binary=$1 mandir=$2 completions=$3 outdir=$4
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
maintainer=${DEB_MAINTAINER:-"kimi-media maintainers <maintainers@users.noreply.r-seed-baa9ac7d.example>"}

# The libraries loaded with dlopen() by soname on first use (Sources/CFFmpegLoader/ffmpeg_loader.c,
# Sources/CHeifLoader/heif_loader.c): an image-only run never maps FFmpeg's ~130 libraries, and runs
# where it is missing. They are in no DT_NEEDED entry, so dpkg-shlibdeps cannot see them:
# they are listed here by hand, soname and the Debian package that ships it. No version bound: the
# soname in the package's name is the ABI, and any build of it serves (a bound from its shlibs file
# would be the build machine's own point release). Checked below against `dpkg -S` on this machine,
# so a build on a release with other sonames (Debian 13: libavcodec61) fails instead of producing a
# package that installs and then cannot open a video.
dlopened=(
  "libavformat.so.59 libavformat59"     # FFmpeg: demuxing and muxing (probe, convert, prepare of video)
  "libavcodec.so.59 libavcodec59"       # FFmpeg: decoding keyframes, H.264 encoding (libx264)
  "libavutil.so.57 libavutil57"         # FFmpeg: frames, dictionaries, the rest of its API
  "libswscale.so.6 libswscale6"         # FFmpeg: pixel-format conversion and scaling of frames
  "libswresample.so.4 libswresample4"   # FFmpeg: audio re-encoded to AAC in the video file
  "libheif.so.1 libheif1"               # HEIC and AVIF images (brings libde265, dav1d, aom)
  "libde265.so.0 libde265-0"            # HEVC pictures of HEICs decoded directly, on every core
)

for tool in dpkg-deb dpkg-shlibdeps strip chrpath; do
  command -v "$tool" >/dev/null || { echo "build-deb.sh: $tool missing (make deb installs dpkg-dev binutils chrpath)" >&2; exit 1; }
done

version=$("$binary" --version)
# A Debian upstream version: starts with a digit; letters, digits and . + ~ only (no '-': there is
# no Debian revision; no ':': no epoch).
if ! [[ $version =~ ^[0-9][A-Za-z0-9.+~]*$ ]]; then
  echo "build-deb.sh: '$version' (kimi-media --version) is not a valid Debian version" >&2; exit 1
fi
arch=$(dpkg --print-architecture)
deb=$outdir/kimi-media_${version}_${arch}.deb

work=$(mktemp -d "${TMPDIR:-/tmp}/kimi-media-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
# A scratch Debian source tree: dpkg-shlibdeps wants debian/control naming the package, and the
# files in debian/<package> with its DEBIAN folder.
root=$work/src/debian/kimi-media
mkdir -p "$root/DEBIAN"
printf 'Source: kimi-media\n\nPackage: kimi-media\nArchitecture: any\n' > "$work/src/debian/control"

# The files, owned by root (dpkg-deb --root-owner-group). The binary stripped as dh_strip would
# (77 MB instead of 142; the Swift metadata sections stay: they are allocated, strip keeps them),
# and without SwiftPM's RUNPATH $ORIGIN, which would have the loader look for libraries in /usr/bin.
"$here/install.sh" "$binary" "$mandir" "$completions" "$root" /usr --gzip-man >/dev/null
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$root/usr/bin/kimi-media"
chrpath -d "$root/usr/bin/kimi-media" >/dev/null

# Reproducible: timestamps are the commit's (the changelog's date too), not the build's.
if epoch=$(git -C "$repo" log -1 --format=%ct 2>/dev/null); then :; else epoch=$(date +%s); fi
export SOURCE_DATE_EPOCH=$epoch
commit=$(git -C "$repo" log -1 --format='%h: %s' 2>/dev/null || echo "unknown")
# The years of the first and the last commit, for the copyright notice.
first=$(git -C "$repo" log --reverse --format=%cd --date=format:%Y 2>/dev/null | head -n1 || true)
last=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y)
years=${first:-$last}; [ "$years" = "$last" ] || years="$years-$last"
swift_packages=$(cd "$repo" && swift package show-dependencies --format flatlist 2>/dev/null | sort -u | tr '\n' ' ' || true)

doc=$root/usr/share/doc/kimi-media
install -d "$doc"
{
  cat <<COPYRIGHT
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: kimi-media
Comment: The C libraries kimi-media uses (FFmpeg, libjpeg-turbo, libpng, libwebp, giflib,
 libheif, libtiff, zlib, libdeflate, OpenSSL) are the system's, from their own Debian packages.

Files: *
Copyright: Copyright $years the kimi-media authors
License: unspecified
 The kimi-media source tree states no licence; ask its maintainers before redistributing.
Comment: usr/bin/kimi-media also holds, linked statically, the Swift runtime and Foundation
 (Apple Inc. and the Swift project authors; Apache-2.0 with Runtime Library Exception; they
 carry their own copy of zlib, zlib licence) and code from the Swift packages its build
 resolves (Apache-2.0; swift-nio-ssl's BoringSSL: OpenSSL and ISC licences; each package's
 licence is in its repository):
COPYRIGHT
  echo " ${swift_packages:-see Package.swift}" | fold -s -w 95 | sed -e 's/ *$//' -e '2,$s/^/ /'
  echo " On Debian systems, the Apache License 2.0 is in /usr/share/common-licenses/Apache-2.0."
} > "$doc/copyright"
# changelog.gz, not changelog.Debian.gz: a native package, its version being the program's own
# (no Debian revision).
{
  echo "kimi-media ($version) bookworm; urgency=medium"
  echo
  echo "  * Built from git commit $commit" | fold -s -w 78 | sed -e 's/ *$//' -e '2,$s/^/    /'
  echo
  echo " -- $maintainer  $(date -u -R -d "@$SOURCE_DATE_EPOCH")"
} | gzip -9n > "$doc/changelog.gz"
chmod 0644 "$doc/copyright" "$doc/changelog.gz"

# Depends from the binary's DT_NEEDED entries, as a Debian source package's ${shlibs:Depends}.
shlibs=$(cd "$work/src" && dpkg-shlibdeps -O -edebian/kimi-media/usr/bin/kimi-media 2>"$work/shlibdeps.err") || {
  cat "$work/shlibdeps.err" >&2; exit 1; }
sed 's/^/  /' "$work/shlibdeps.err" >&2
shlibs=${shlibs#shlibs:Depends=}
[ -n "$shlibs" ] || { echo "build-deb.sh: dpkg-shlibdeps found no dependencies" >&2; exit 1; }

extra=()
for entry in "${dlopened[@]}"; do
  read -r soname package <<<"$entry"
  owner=$(dpkg -S "*/$soname" 2>/dev/null | head -n1 | cut -d: -f1 || true)
  if [ "$owner" != "$package" ]; then
    echo "build-deb.sh: $soname (dlopen'ed by kimi-media) is in package '${owner:-none}' here, not $package:" \
         "update the list in $0 and the soname in Sources/" >&2
    exit 1
  fi
  extra+=("$package")
done
depends="$shlibs, $(IFS=,; echo "${extra[*]}" | sed 's/,/, /g')"

# md5sums, as dh_md5sums writes them (dpkg --verify uses them).
(cd "$root" && find usr -type f -print0 | sort -z | xargs -0 md5sum) > "$work/md5sums"
install -m 0644 "$work/md5sums" "$root/DEBIAN/md5sums"
cat > "$root/DEBIAN/control" <<CONTROL
Package: kimi-media
Version: $version
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)
Depends: $depends
Section: graphics
Priority: optional
Description: prepare images and videos for the Kimi K2.6 multimodal API
 kimi-media probes, converts, resizes and re-encodes images (JPEG, PNG, WebP,
 GIF, HEIC, AVIF, TIFF, ...) and videos (any container FFmpeg reads) into what
 the Moonshot Kimi API accepts, estimates their prompt tokens offline, and
 builds, validates and sends requests. A batch CLI: resumable, shardable
 (Slurm, Kubernetes), with a manifest and an HTML report.
CONTROL

find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
mkdir -p "$outdir"
rm -f "$outdir"/kimi-media_*_"$arch".deb
# xz at its default level, as Debian's own packages: 19 MB in ~45 s here (xz -1: 22.5 MB in 8 s).
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"
echo "  $(du -h "$deb" | cut -f1)  Version: $version"
echo "  Depends: $depends"
