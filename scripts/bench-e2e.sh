#!/usr/bin/env bash
# End-to-end benchmark: runs the release binary on generated organisations of increasing
# size and prints wall time, throughput (MB/s of input, identities/s), peak memory, and the
# CPU time in residue's own code (user) and in the kernel on its behalf (system: mostly
# zeroing the memory it is given, which on a VM varies several-fold from run to run).
#
#   scripts/bench-e2e.sh [SIZE...]       SIZE = identities (default: 25000 50000 100000 200000)
#   BENCH_DIR=/tmp/residue-bench         where organisations and reports go (never the repo)
#   RAYON_NUM_THREADS=1                  to measure the single-thread case
#
# Every other size scales with the identities in the large profile's proportions
# (200,000 identities : 50,000 roles : 1,000,000 assignments : 500,000 secrets :
# 2,000,000 grant events). The scan is the generic one: all rules, JSON + CSV reports.
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH_DIR="${BENCH_DIR:-/tmp/residue-bench}"
SIZES=("$@")
[ ${#SIZES[@]} -eq 0 ] && SIZES=(25000 50000 100000 200000)
NOW=2026-11-20T09:00:00Z
cargo build --release --quiet ${CARGO_FLAGS:-}
BIN="${CARGO_TARGET_DIR:-target}/release/residue"
mkdir -p "$BENCH_DIR"
printf '%-10s %12s %9s %8s %8s %10s %14s %12s %10s\n' identities input_MB wall_s user_s sys_s MB/s identities/s peak_RSS_MB findings
for n in "${SIZES[@]}"; do
  org="$BENCH_DIR/org-$n"
  if [ ! -f "$org/generic/residue.yaml" ]; then
    "$BIN" generate --profile custom --seed 1 --out "$org" \
      --identities "$n" --groups $((n / 50)) --roles $((n / 4)) \
      --assignments $((n * 5)) --secrets $((n * 5 / 2)) --grant-events $((n * 10)) \
      --accounts 1 --aws-principals 0 --compare-principals 0 --cloudtrail-events 0 \
      --k8s-service-accounts 0 2>/dev/null
  fi
  bytes=$(du -sb "$org/generic" | cut -f1)
  out="$BENCH_DIR/report-$n"
  rm -rf "$out"
  log="$BENCH_DIR/time-$n.txt"
  code=0
  /usr/bin/time -v "$BIN" scan "$org/generic" --now "$NOW" --format json,csv --out "$out" -q \
    2>"$log" || code=$?
  if [ "$code" -ne 0 ] && [ "$code" -ne 1 ]; then
    echo "scan of $org failed (exit $code):" >&2
    grep -v '^\s' "$log" >&2 || true
    exit 1
  fi
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$log" \
    | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log")
  user=$(awk -F': ' '/User time \(seconds\)/ {print $2}' "$log")
  sys=$(awk -F': ' '/System time \(seconds\)/ {print $2}' "$log")
  findings=$(grep -c '' "$out/report.csv" || true)
  awk -v n="$n" -v b="$bytes" -v w="$wall" -v u="$user" -v s="$sys" -v r="$rss" -v f="$findings" 'BEGIN {
    printf "%-10d %12.1f %9.2f %8.2f %8.2f %10.1f %14.0f %12.0f %10d\n", n, b/1e6, w, u, s, (b/1e6)/w, n/w, r/1024, f-1 }'
done
