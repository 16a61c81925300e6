#!/usr/bin/env bash
# The test command README.md gives: installs what the tests need when it is missing, then
# runs every test (unit, integration, snapshot, catalog examples, sample organisation).
set -euo pipefail
cd "$(dirname "$0")/.."
export INSTA_UPDATE="${INSTA_UPDATE:-no}"
# The HTML report tests (tests/integration/html.rs) open the report in headless Chromium
# (Debian's package); they fail, not skip, without it.
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "warning: chromium is missing and installing it needs root (apt-get install -y chromium); the HTML report tests will fail" >&2
  fi
fi
# The live AWS tests (tests/integration/live_aws.rs) start moto's IAM server.
if ! python3 -c "import moto, moto.server" >/dev/null 2>&1; then
  python3 -m pip install --quiet 'moto[server]==5.2.1'
fi
cargo test --all-targets
# Doc examples are compiled and run too.
cargo test --doc
