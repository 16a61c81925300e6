#!/usr/bin/env bash
# Regenerates docs/report.png, the README's screenshot of the HTML report: scans the ACME
# sample organisation at its pinned audit time and photographs the page in headless
# Chromium (Debian's `chromium` package; scripts/test.sh installs it when run as root).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1; then
  echo "error: chromium is required (apt-get install -y chromium)" >&2
  exit 2
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Exit code 1 means findings at or above a configured `fail_on`: the report is written.
code=0
cargo run --quiet -- scan sample-data/acme --now 2026-11-20T09:00:00Z \
  --format html --out "$work/report" --quiet || code=$?
if [ "$code" -gt 1 ]; then
  echo "error: residue scan failed with exit code $code" >&2
  exit "$code"
fi

chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$work/profile" --virtual-time-budget=5000 \
  --window-size=1400,2000 --screenshot="$PWD/docs/report.png" \
  "file://$work/report/report.html" 2>/dev/null

test -s docs/report.png
echo "wrote docs/report.png"
