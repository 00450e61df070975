"""Checks shared by grants: scopes (RFC 6749 §3.3) and resource indicators (RFC 8707)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol
from urllib.parse import urlsplit

from authserver.protocol.context import TenantContext
from authserver.protocol.errors import InvalidScopeError, InvalidTargetError
from authserver.protocol.ports import ClientRecord

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


def client_credentials_scope(client: ClientRecord, raw: str | None) -> str:
    requested = requested_scopes(raw)
    check_scope_subset(requested, client.allowed_scopes)
    if any(s in USER_SCOPES for s in requested):
        raise InvalidScopeError("User scopes cannot be granted to client credentials")
    if not requested:
        requested = [s for s in client.allowed_scopes if s not in USER_SCOPES]
    return " ".join(requested)


def validate_resources(resources: Sequence[str]) -> tuple[str, ...]:
    """RFC 8707 §2: absolute URIs without a fragment."""
    if len(resources) > MAX_RESOURCES:
        raise InvalidTargetError(f"At most {MAX_RESOURCES} resource parameters")
    for resource in resources:
        parts = urlsplit(resource)
        if (not parts.scheme or not parts.netloc or parts.fragment or "#" in resource
                or len(resource) > 2000):
            raise InvalidTargetError("resource must be an absolute URI without a fragment")
    return tuple(dict.fromkeys(resources))
