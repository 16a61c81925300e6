#!/usr/bin/env bash
# Runs the cargo-fuzz targets (fuzz/) for a bounded time each. Not part of CI: CI replays
# the checked-in corpus instead (tests/integration/fuzz_corpus.rs). See docs/security.md.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET…]     default: 60 s, every target
#
# Needs a nightly toolchain and cargo-fuzz (`rustup toolchain install nightly`,
# `cargo install cargo-fuzz`). New inputs the fuzzer finds go to $FUZZ_DIR/<target>
# (default /tmp/residue-fuzz), not into the checked-in seeds; crashes go to
# fuzz/artifacts/<target>/. A crash is fixed, then its input copied into
# fuzz/corpus/<target>/ so the replay test keeps it fixed.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true
work="${FUZZ_DIR:-/tmp/residue-fuzz}"
if [ "$#" -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <(sed -n 's/^name = "\(.*\)"$/\1/p' fuzz/Cargo.toml | grep -v '^residue-fuzz$')
fi
cd fuzz
cargo +nightly fuzz build -O "${targets[@]:0:1}" >/dev/null 2>&1 || true
status=0
for t in "${targets[@]}"; do
  mkdir -p "$work/$t"
  echo "== $t (${seconds} s)"
  if ! cargo +nightly fuzz run -O "$t" "$work/$t" "corpus/$t" -- \
      -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
      2>"$work/$t.log"; then
    echo "   FAILED: see $work/$t.log and fuzz/artifacts/$t/"
    status=1
  fi
  grep -E '^stat::(number_of_executed_units|peak_rss_mb)|^#[0-9]+.*DONE' "$work/$t.log" | sed 's/^/   /' || true
done
exit $status
