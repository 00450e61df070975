"""Client registration: generated credentials, secrets kept as digests, safe summaries.

The rules a registration must follow are in client_rules.py (and the URIs' in
client_uris.py); their names are re-exported here, where callers have always found them.
"""

from __future__ import annotations

import datetime as dt
import hmac
import re
import secrets
import string
from dataclasses import dataclass
from typing import Any

from authserver.protocol.tokens import digest
from authserver.services.client_rules import (
    APPLICATION_TYPES,
    AUTH_METHODS,
    DEFAULT_SCOPES,
    GRANT_TYPES,
    SECRET_METHODS,
    ClientSpec,
    validate_scopes,
    validated_fields,
)
from authserver.services.client_uris import (
    LOOPBACK_HOSTS,
    validate_jwks_uri,
    validate_redirect_uri,
    validate_web_origin,
)
from authserver.services.errors import Conflict, InvalidInput
from authserver.services.refresh_limits import (
    InheritedAbsolute,
    RefreshLimits,
    inherited_absolute,
)
from authserver.storage.models import Client
from authserver.storage.repositories import AuditRepository, ClientRepository
from authserver.storage.repositories.apis import AccessGroupRepository

__all__ = [
    "APPLICATION_TYPES", "AUTH_METHODS", "DEFAULT_SCOPES", "GRANT_TYPES", "LOOPBACK_HOSTS",
    "SECRET_METHODS", "ClientSpec", "RegisteredClient", "client_summary",
    "inherited_absolute_for", "new_client_id", "register_client", "secret_digest",
    "secret_digest_matches", "validate_jwks_uri", "validate_redirect_uri", "validate_scopes",
    "validate_web_origin", "validated_fields",
]

_CLIENT_ID = re.compile(r"^[A-Za-z0-9._~-]{3,64}$")


@dataclass(frozen=True, slots=True)
class RegisteredClient:
    client: Client
    client_secret: str | None  # shown once, never stored


_ID_ALPHABET = string.ascii_letters + string.digits


def new_client_id() -> str:
    """24 letters and digits (~143 bits). Not token_urlsafe: an id starting with '-' would
    be read as an option by the CLI and by many operators' scripts."""
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(24))


def secret_digest(secret: str) -> str:
    # Generated secrets carry 256 bits of entropy, so a fast hash suffices (and keeps the
    # token endpoint fast); a slow KDF only matters for human-chosen passwords.
    return digest(secret)


def secret_digest_matches(stored_digest: str | None, presented: str) -> bool:
    """Constant-time comparison of a presented secret against the stored digest."""
    if stored_digest is None or not presented or len(presented) > 512:
        return False
    return hmac.compare_digest(stored_digest, secret_digest(presented))


def inherited_absolute_for(repo: ClientRepository,
                        global_limits: RefreshLimits | None) -> InheritedAbsolute:
    tenant = repo.owner()
    own = RefreshLimits(tenant.refresh_token_idle_ttl, tenant.refresh_token_absolute_ttl) \
        if tenant is not None else None
    return inherited_absolute(own, global_limits)


def register_client(repo: ClientRepository, audit: AuditRepository, spec: ClientSpec,
                    actor: str, *, global_limits: RefreshLimits | None = None,
                    allow_private_jwks_uri: bool = False,
                    join_default_group: bool = True) -> RegisteredClient:
    """Register a client. ``global_limits``: the REFRESH_TOKEN_* settings, and
    ``allow_private_jwks_uri`` the JWKS_URI_ALLOW_PRIVATE one, which the service cannot
    read itself (services do not import settings). ``join_default_group``: False for a
    client that registered itself (RFC 7591), which an operator has not vetted."""
    client_id = spec.client_id if spec.client_id is not None else new_client_id()
    if not _CLIENT_ID.fullmatch(client_id):
        raise InvalidInput("client_id", "use 3-64 letters, digits, '.', '_', '~' or '-'")
    if repo.get(client_id) is not None:
        raise Conflict(f"client {client_id!r} already exists in this tenant")
    fields = validated_fields(spec, inherited_absolute_for(repo, global_limits),
                              allow_private_jwks_uri)
    method = fields["token_endpoint_auth_method"]
    secret = secrets.token_urlsafe(32) if method in SECRET_METHODS else None
    client = repo.add(Client(
        client_id=client_id, is_public=spec.public,
        secret_digest=secret_digest(secret) if secret else None, **fields))
    audit.record(actor, "client.created", client.client_id, name=fields["name"],
                 public=spec.public, grant_types=fields["grant_types"])
    if join_default_group:
        _join_default_group(repo, audit, client, actor)
    return RegisteredClient(client=client, client_secret=secret)


def _join_default_group(repo: ClientRepository, audit: AuditRepository, client: Client,
                        actor: str) -> None:
    """A new client joins the tenant's default access group (services/access_groups.py)."""
    groups = AccessGroupRepository(repo.session, repo.tenant_id)
    defaults = groups.defaults()
    if defaults is not None and defaults.default_group_ref:
        groups.set_refs(client.id, [defaults.default_group_ref])
        audit.record(actor, "access_group.assigned", client.client_id,
                     group=defaults.default_group_ref, reason="tenant default")


def client_summary(client: Client) -> dict[str, Any]:
    """Everything about a client that is safe to print (no secret digest)."""
    return {
        "client_id": client.client_id,
        "name": client.name,
        "public": client.is_public,
        "token_endpoint_auth_method": client.token_endpoint_auth_method,
        "grant_types": list(client.grant_types),
        "redirect_uris": list(client.redirect_uris),
        "post_logout_redirect_uris": list(client.post_logout_redirect_uris),
        "scope": " ".join(client.allowed_scopes),
        "first_party": client.first_party,
        "require_pkce": client.require_pkce,
        "require_state": client.require_state,
        "id_token_signed_response_alg": client.id_token_signed_response_alg,
        "access_token_signed_response_alg": client.access_token_signed_response_alg,
        "refresh_token_idle_ttl": client.refresh_token_idle_ttl,
        "refresh_token_absolute_ttl": client.refresh_token_absolute_ttl,
        "web_origins": list(client.web_origins or ()),
        "application_type": client.application_type,
        "explicit_errors": client.explicit_errors,
        "jwks_uri": client.jwks_uri,
        "jwks": client.jwks,
        "backchannel_logout_uri": client.backchannel_logout_uri,
        "backchannel_logout_session_required": client.backchannel_logout_session_required,
        # RFC 7591 §3.2.1 names it; None (never) rather than its 0, for operators.
        "client_secret_expires_at": _iso(client.secret_expires_at),
        # While a rotation's overlap runs, the replaced secret works until then.
        "previous_secret_expires_at": _iso(client.previous_secret_expires_at),
        # The claim mapping (services/claim_mapping.py); None: no roles or attributes.
        "claims": client.claim_mapping,
        "created_at": _iso(client.created_at),
    }


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None
