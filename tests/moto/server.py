"""moto's IAM server for residue's live-collection tests, with two corrections.

moto (5.x) answers GetAccountAuthorizationDetails
- with every entity in one page, ignoring MaxItems and Marker, where AWS pages through users,
  groups, roles and policies together: this wrapper pages the way AWS does, so the
  collector's pagination is exercised against a server that really truncates;
- without PolicyName and PolicyId in the managed policies (AWS always sends both): the
  wrapper lets moto's serializer find them.
Everything else is moto, unchanged.

Usage: python3 tests/moto/server.py -H 127.0.0.1 -p PORT   (the arguments of moto_server)
"""

import sys

from moto.core.responses import ActionResult
from moto.iam import responses
from moto.iam.models import ManagedPolicy
from moto.server import main

_original = responses.IamResponse.get_account_authorization_details
_LISTS = ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")


def _paged(self):
    full = _original(self).result
    entries = [(name, item) for name in _LISTS for item in full[name]]
    start = int(self._get_param("Marker") or 0)
    size = int(self._get_param("MaxItems") or 100)
    page = entries[start : start + size]
    result = {name: [item for (n, item) in page if n == name] for name in _LISTS}
    truncated = start + size < len(entries)
    result["IsTruncated"] = truncated
    if truncated:
        result["Marker"] = str(start + size)
    return ActionResult(result)


responses.IamResponse.get_account_authorization_details = _paged
if not hasattr(ManagedPolicy, "policy_name"):
    ManagedPolicy.policy_name = property(lambda self: self.name)
if not hasattr(ManagedPolicy, "policy_id"):
    ManagedPolicy.policy_id = property(lambda self: self.id)

if __name__ == "__main__":
    main(sys.argv[1:])
