#!/usr/bin/env bash
# The test command README.md gives: installs what the tests need when it is missing, then
# runs every test (unit, integration, snapshot, catalog examples, sample organisation).
set -euo pipefail
cd "$(dirname "$0")/.."
export INSTA_UPDATE="${INSTA_UPDATE:-no}"
cargo test --all-targets
# Doc examples are compiled and run too.
cargo test --doc
