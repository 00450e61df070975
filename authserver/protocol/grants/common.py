"""Checks shared by grants: scopes (RFC 6749 §3.3) and resource indicators (RFC 8707)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol
from urllib.parse import urlsplit

from authserver.protocol.context import TenantContext
from authserver.protocol.errors import InvalidScopeError, InvalidTargetError

MAX_RESOURCES = 10
# Scopes that only make sense with a user present.
USER_SCOPES = frozenset({"openid", "profile", "email", "phone", "address", "offline_access"})


class GrantServer(Protocol):
    """What a grant reads of the token server that runs it (``protocol/server.py``),
    declared here so that no grant imports the server that registers it."""

    ctx: TenantContext


def requested_scopes(raw: str | None) -> list[str]:
    return list(dict.fromkeys((raw or "").split()))


def check_scope_subset(requested: Sequence[str], allowed: Sequence[str]) -> None:
    extra = [s for s in requested if s not in allowed]
    if extra:
        # The values are the requester's own input: logged, never echoed (errors.py).
        raise InvalidScopeError("The client may not request one or more of these scopes.",
                                detail=f"not allowed: {' '.join(sorted(extra))}")


# RFC 8141 §2: urn:<NID>:<NSS>, the other absolute URI an API may be named by.
_URN = re.compile(r"^urn:[A-Za-z0-9][A-Za-z0-9-]{0,30}[A-Za-z0-9]:[^\s#]+$", re.IGNORECASE)
MAX_RESOURCE_LENGTH = 2000


def is_resource_identifier(value: str) -> bool:
    """RFC 8707 §2: an absolute URI without a fragment; with an authority (https://…),
    or a URN."""
    if len(value) > MAX_RESOURCE_LENGTH or "#" in value or any(c.isspace() for c in value):
        return False
    if _URN.match(value):
        return True
    parts = urlsplit(value)
    return bool(parts.scheme and parts.netloc) and not parts.fragment


def validate_resources(resources: Sequence[str]) -> tuple[str, ...]:
    """RFC 8707 §2: absolute URIs without a fragment."""
    if len(resources) > MAX_RESOURCES:
        raise InvalidTargetError(f"At most {MAX_RESOURCES} resource parameters")
    for resource in resources:
        if not is_resource_identifier(resource):
            raise InvalidTargetError("resource must be an absolute URI without a fragment")
    return tuple(dict.fromkeys(resources))
