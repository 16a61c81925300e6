#!/usr/bin/env bash
# Runs cloudsplaining (PyPI) and residue on the same `get-account-authorization-details`
# file and prints both wall times, their ratio, and which principals each tool flags as
# admin-equivalent.
#
#   scripts/compare-cloudsplaining.sh [AUTHZ_JSON]
#
# Without an argument, generates one account with 1,000 principals
# (`residue generate --compare-principals 1000`) under $BENCH_DIR (default /tmp/residue-bench).
# cloudsplaining is installed into a virtualenv under $BENCH_DIR when it is not on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH_DIR="${BENCH_DIR:-/tmp/residue-bench}"
NOW=2026-11-20T09:00:00Z
mkdir -p "$BENCH_DIR"
cargo build --release --quiet ${CARGO_FLAGS:-}
BIN="${CARGO_TARGET_DIR:-target}/release/residue"
FILE="${1:-}"
if [ -z "$FILE" ]; then
  "$BIN" generate --profile custom --seed 1 --out "$BENCH_DIR/compare" \
    --identities 1 --groups 1 --roles 1 --assignments 0 --secrets 0 --grant-events 0 \
    --accounts 1 --aws-principals 0 --cloudtrail-events 0 --k8s-service-accounts 0 \
    --policies 200 --compare-principals 1000 2>/dev/null
  FILE="$BENCH_DIR/compare/aws/authorization-details.json"
fi
if ! command -v cloudsplaining >/dev/null; then
  if [ ! -x "$BENCH_DIR/venv/bin/cloudsplaining" ]; then
    python3 -m venv "$BENCH_DIR/venv"
    "$BENCH_DIR/venv/bin/pip" install --quiet cloudsplaining
  fi
  PATH="$BENCH_DIR/venv/bin:$PATH"
fi
seconds() { awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$1" \
  | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }'; }

rm -rf "$BENCH_DIR/cs-out" "$BENCH_DIR/residue-out"
mkdir -p "$BENCH_DIR/cs-out"  # cloudsplaining requires the output directory to exist
/usr/bin/time -v cloudsplaining scan --input-file "$FILE" --output "$BENCH_DIR/cs-out" \
  --skip-open-report >/dev/null 2>"$BENCH_DIR/cs-time.txt" || {
  echo "cloudsplaining failed:" >&2; tail -20 "$BENCH_DIR/cs-time.txt" >&2; exit 1; }
code=0
/usr/bin/time -v "$BIN" scan "$FILE" --now "$NOW" --format json --out "$BENCH_DIR/residue-out" -q \
  2>"$BENCH_DIR/residue-time.txt" || code=$?
if [ "$code" -ne 0 ] && [ "$code" -ne 1 ]; then
  echo "residue failed (exit $code):" >&2; grep -v '^\s' "$BENCH_DIR/residue-time.txt" >&2; exit 1
fi
cs=$(seconds "$BENCH_DIR/cs-time.txt")
# /usr/bin/time reports wall time in hundredths of a second, too coarse for residue's scan:
# time it again with the nanosecond clock, five runs, and take the median.
rs=$(for _ in 1 2 3 4 5; do
  t0=$(date +%s%N)
  "$BIN" scan "$FILE" --now "$NOW" --format json --out "$BENCH_DIR/residue-out" -q 2>/dev/null || true
  t1=$(date +%s%N)
  echo $(( t1 - t0 ))
done | sort -n | sed -n 3p | awk '{ printf "%.4f", $1 / 1e9 }')
awk -v c="$cs" -v r="$rs" 'BEGIN { printf "cloudsplaining %.2f s, residue %.3f s (median of 5), ratio %.0fx\n", c, r, (r > 0 ? c / r : 0) }'

# Admin-equivalent principals. cloudsplaining reports per policy: a policy whose
# PrivilegeEscalation finding lists at least one method (its "findings") flags every user
# and role it is attached to, and every member of every group it is attached to.
# residue reports per principal: SP001 (standing admin) and SP004 (can escalate to admin).
python3 - "$BENCH_DIR/cs-out/iam-findings-authorization-details.json" "$BENCH_DIR/residue-out/report.json" <<'PY'
import json, sys
cs_file, residue_report = sys.argv[1], sys.argv[2]
data = json.load(open(cs_file))
flagged_users, flagged_roles, flagged_groups = set(), set(), set()
for kind in ("customer_managed_policies", "aws_managed_policies", "inline_policies"):
    for pol in (data.get(kind) or {}).values():
        if not ((pol.get("PrivilegeEscalation") or {}).get("findings")):
            continue
        attached = pol.get("AttachedTo") or {}
        flagged_users.update(attached.get("users") or [])
        flagged_roles.update(attached.get("roles") or [])
        flagged_groups.update(attached.get("groups") or [])
cs = {("user", u) for u in flagged_users} | {("role", r) for r in flagged_roles}
for user in (data.get("users") or {}).values():
    if set((user.get("groups") or {}).keys()) & flagged_groups:
        cs.add(("user", user["name"]))
report = json.load(open(residue_report))
residue = set()
for f in report["findings"]:
    if f["rule_id"] in ("SP001", "SP004") and (":user/" in f["subject"] or ":role/" in f["subject"]):
        kind = "user" if ":user/" in f["subject"] else "role"
        residue.add((kind, f["subject"].rsplit("/", 1)[-1]))
print(f"residue: {len(residue)} users and roles admin-equivalent (SP001 standing admin, SP004 escalation to admin)")
print(f"cloudsplaining: {len(cs)} users and roles with a privilege-escalation policy (attached directly or through a group)")
both = residue & cs
print(f"both: {len(both)}; only residue: {len(residue - cs)} {sorted(residue - cs)[:5]}; only cloudsplaining: {len(cs - residue)} {sorted(cs - residue)[:5]}")
PY
