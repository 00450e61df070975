"""Operator operations for dynamic client registration: initial access tokens (RFC 7591
§3) and a tenant's registration settings (mode, trusted software statement issuers).

A tenant's registration settings are in registration_settings.py (applied by
``tenant update``).
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from authserver.protocol.tokens import digest
from authserver.services.admin_context import AdminContext
from authserver.services.errors import InvalidInput, NotFound
from authserver.services.registration_settings import registration_view
from authserver.services.tenants import get_tenant
from authserver.storage.models import InitialAccessToken
from authserver.storage.repositories import AuditRepository
from authserver.storage.repositories.registration import InitialAccessTokenRepository

MAX_TOKEN_LIFETIME = 365 * 24 * 3600
# An initial access token is a bearer credential to create clients: it is printed once
# and kept only as a digest. A short default life; one use unless more are asked for.
DEFAULT_TOKEN_LIFETIME = 24 * 3600


@dataclass(frozen=True, slots=True)
class CreatedToken:
    token: str  # shown once
    view: dict[str, Any]


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def token_view(token: InitialAccessToken, now: dt.datetime) -> dict[str, Any]:
    if token.revoked_at is not None:
        state = "revoked"
    elif token.expires_at <= now:
        state = "expired"
    elif token.max_uses is not None and token.uses >= token.max_uses:
        state = "used up"
    else:
        state = "live"
    return {"token_id": token.token_id, "description": token.description, "state": state,
            "expires_at": _iso(token.expires_at), "max_uses": token.max_uses,
            "uses": token.uses, "revoked_at": _iso(token.revoked_at),
            "created_by": token.created_by, "created_at": _iso(token.created_at)}


def create_token(ctx: AdminContext, tenant_slug: str, expires_in: int | None = None,
                 max_uses: int | None = 1, description: str | None = None) -> CreatedToken:
    """A new initial access token; ``max_uses`` None: any number until it expires."""
    lifetime = DEFAULT_TOKEN_LIFETIME if expires_in is None else expires_in
    if not 0 < lifetime <= MAX_TOKEN_LIFETIME:
        raise InvalidInput("expires_in", "must be between 1 second and 365 days")
    if max_uses is not None and not 0 < max_uses <= 1_000_000:
        raise InvalidInput("max_uses", "must be between 1 and 1000000")
    if description is not None and (not description.strip() or len(description) > 200):
        raise InvalidInput("description", "must be 1-200 characters")
    now = ctx.clock()
    token_id = "iat_" + secrets.token_hex(6)
    value = secrets.token_urlsafe(32)
    with ctx.transaction() as session:
        tenant = get_tenant(session, tenant_slug)
        row = InitialAccessTokenRepository(session, tenant.id).add(InitialAccessToken(
            token_id=token_id, token_digest=digest(value), description=description,
            expires_at=now + dt.timedelta(seconds=lifetime), max_uses=max_uses, uses=0,
            created_by=ctx.actor, created_at=now))
        AuditRepository(session, tenant.id).record(
            ctx.actor, "dcr.token_created", token_id, expires_at=_iso(row.expires_at),
            max_uses=max_uses, token="[redacted]")
        return CreatedToken(value, token_view(row, now))


def list_tokens(ctx: AdminContext, tenant_slug: str) -> list[dict[str, Any]]:
    now = ctx.clock()
    with ctx.transaction() as session:
        tenant = get_tenant(session, tenant_slug)
        return [token_view(t, now) for t in InitialAccessTokenRepository(session,
                                                                         tenant.id).all()]


def page_tokens(ctx: AdminContext, tenant_slug: str, after: str | None,
                limit: int) -> list[dict[str, Any]]:
    """Up to ``limit`` tokens in token_id order after ``after`` (the admin API's pages)."""
    now = ctx.clock()
    with ctx.transaction() as session:
        tenant = get_tenant(session, tenant_slug)
        return [token_view(t, now) for t in InitialAccessTokenRepository(
            session, tenant.id).page(after, limit)]


def registration_settings(ctx: AdminContext, tenant_slug: str) -> dict[str, Any]:
    """The tenant's registration mode, statement requirement and trusted issuers."""
    with ctx.transaction() as session:
        view: dict[str, Any] = registration_view(get_tenant(session, tenant_slug))
        return view["registration"]


def revoke_token(ctx: AdminContext, tenant_slug: str, token_id: str) -> dict[str, Any]:
    """Revoke ``token_id`` (clients it registered stay registered)."""
    now = ctx.clock()
    with ctx.transaction() as session:
        tenant = get_tenant(session, tenant_slug)
        row = InitialAccessTokenRepository(session, tenant.id).by_token_id(token_id)
        if row is None:
            raise NotFound(f"no initial access token {token_id!r} in tenant {tenant_slug!r} "
                           "(see: authserver dcr token list)")
        if row.revoked_at is None:
            row.revoked_at = now
            session.flush()
            AuditRepository(session, tenant.id).record(ctx.actor, "dcr.token_revoked",
                                                       token_id)
        return token_view(row, now)
