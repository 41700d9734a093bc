#!/usr/bin/env bash
# Renders a `kimi-media prepare --report` page to a PNG with headless Chromium (Debian's `chromium`
# package, installed here when missing), for docs/cli.md (prepare's report): docs/report.png.
# Usage: Benchmarks/screenshot-report.sh [REPORT.html] [OUT.png]   (default: make demo's report)
set -euo pipefail
cd "$(dirname "$0")/.."
report="${1:-out/demo/report.html}"
png="${2:-docs/report.png}"
if ! command -v chromium >/dev/null; then
  SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
[ -f "$report" ] || make demo >/dev/null
mkdir -p "$(dirname "$png")"
chromium --headless=new --no-sandbox --disable-gpu --hide-scrollbars --window-size=1100,1000 \
  --screenshot="$png" "file://$(realpath "$report")" 2>/dev/null
echo "wrote $png"
