#!/usr/bin/env bash
# Full-size resource-limit cases, too big for CI (their CI-scale versions are
# tests/integration/limits.rs). Generates each input under $LIMITS_DIR (default
# /tmp/residue-limits), scans it with the release binary under /usr/bin/time -v, prints
# exit code, peak RSS and wall time, and deletes the input.
#
#   scripts/limits.sh [CASE…]      cases: cloudtrail-2gb line-100mb grants-10m (default: all)
#
# Needs ~2.5 GB of free disk and python3. Results are recorded in docs/performance.md.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${LIMITS_DIR:-/tmp/residue-limits}"
cases=("$@")
[ "${#cases[@]}" -gt 0 ] || cases=(cloudtrail-2gb line-100mb grants-10m)
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}"
cargo build --release --no-default-features --quiet
bin="$CARGO_TARGET_DIR/release/residue"
mkdir -p "$dir"

generate() {
  python3 - "$1" "$2" <<'PY'
import json, sys
case, out = sys.argv[1], sys.argv[2]
acct = "111122223333"
def record(i, name, source, params, read_only, key="ASIAEXAMPLESESSION01"):
    return json.dumps({"eventVersion": "1.09", "eventTime": "2026-11-02T10:%02d:%02dZ" % (i // 60 % 60, i % 60),
        "eventSource": source, "eventName": name,
        "userIdentity": {"type": "IAMUser", "arn": f"arn:aws:iam::{acct}:user/ops", "accountId": acct, "accessKeyId": key},
        "requestParameters": params, "responseElements": None, "eventID": f"e-{i}", "readOnly": read_only,
        "recipientAccountId": acct}, separators=(",", ":"))
if case == "cloudtrail-2gb":
    # One 2 GiB delivery file: S3 data events, one IAM change in every 1,000 records.
    target = 2 << 30
    with open(f"{out}/trail.json", "w") as f:
        f.write('{"Records": [\n')
        written, i = 0, 0
        while written < target:
            chunk = []
            for _ in range(1000):
                if i % 1000 == 0:
                    chunk.append(record(i, "AttachUserPolicy", "iam.amazonaws.com",
                        {"userName": f"dev-{i // 1000 % 500}", "policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}, False))
                else:
                    chunk.append(record(i, "GetObject", "s3.amazonaws.com", {"bucketName": "acme-logs", "key": f"2026/11/02/object-{i}.json"}, True))
                i += 1
            text = ",\n".join(chunk)
            f.write(("," if written else "") + text + "\n")
            written += len(text) + 2
        f.write("]}\n")
    with open(f"{out}/residue.yaml", "w") as f:
        f.write("sources:\n  - {path: trail.json, format: aws-cloudtrail}\n")
elif case == "line-100mb":
    # A grant log whose one event carries a 100 MiB justification, and a CloudTrail file
    # that is one 100 MiB line.
    huge = "x" * (100 << 20)
    with open(f"{out}/grants.jsonl", "w") as f:
        f.write(json.dumps({"grant_id": "g-1", "event": "activated", "time": "2026-01-01T00:00:00Z",
            "principal": "alice", "entitlement": "admin", "window_end": "2026-01-01T01:00:00Z",
            "justification": huge}) + "\n")
    with open(f"{out}/trail.json", "w") as f:
        f.write('{"Records": [' + record(1, "GetObject", "s3.amazonaws.com", {"key": huge}, True) + "]}")
    with open(f"{out}/residue.yaml", "w") as f:
        f.write("sources:\n  - {path: grants.jsonl, format: grant-log-jsonl}\n  - {path: trail.json, format: aws-cloudtrail}\n")
elif case == "grants-10m":
    # 10 million tiny events: 1 million grants of ten events, 100,000 principals.
    events = ["requested", "approved", "activated", "used", "used", "used", "used", "used", "used", "expired"]
    with open(f"{out}/grants.jsonl", "w") as f:
        for g in range(1_000_000):
            day, p, r = 1 + g % 28, g % 100_000, g % 1_000
            # Approved by someone else: a clean log, so the cost measured is reading and
            # reconstructing, not writing a million findings.
            f.write("".join('{"grant_id":"g%d","event":"%s","time":"2026-05-%02dT10:%02d:%02dZ","principal":"u%d","entitlement":"r%d","window_end":"2026-05-%02dT12:00:00Z"%s}\n'
                % (g, e, day, g % 60, i, p, r, day, ',"approver":"approver-%d"' % (g % 50) if e == "approved" else "") for i, e in enumerate(events)))
    with open(f"{out}/residue.yaml", "w") as f:
        f.write("sources:\n  - {path: grants.jsonl, format: grant-log-jsonl}\n")
PY
}

printf '%-16s %10s %6s %14s %10s\n' case input exit "peak RSS MiB" "wall s"
for case in "${cases[@]}"; do
  work="$dir/$case"
  rm -rf "$work" && mkdir -p "$work/in"
  generate "$case" "$work/in"
  size=$(du -sm --apparent-size "$work/in" | cut -f1)
  set +e
  /usr/bin/time -v "$bin" scan "$work/in" --now 2026-11-20T09:00:00Z --format json -q \
    --out "$work/out" >"$work/stdout" 2>"$work/stderr"
  status=$?
  set -e
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/stderr")
  wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$work/stderr")
  printf '%-16s %8s MB %6s %14s %10s\n' "$case" "$size" "$status" "$((rss / 1024))" "$wall"
  grep -m3 '^error' "$work/stderr" | cut -c1-300 || true
  findings=$(grep -c '"rule_id"' "$work/out/report.json" 2>/dev/null || true)
  echo "   findings: ${findings:-0}, report: $(du -sh --apparent-size "$work/out/report.json" 2>/dev/null | cut -f1)"
  rm -rf "$work/in" "$work/out"
done
