"""The `authserver demo` data set: a tenant, three typical clients and a user.

Development only. Secrets and passwords are stored as digests and hashes, so the
plaintext credentials `make run` prints are kept in ``instance/demo-credentials.json``
(mode 0600) and reused while they still match what the database holds: a newcomer's
credentials, and the built-in demo relying party (web/demo_rp/), keep working across runs.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import secrets
from pathlib import Path
from typing import Any

from authserver.runtime import Runtime
from authserver.services.accounts import NewUser, create_user
from authserver.services.client_uris import validate_redirect_uri, validate_web_origin
from authserver.services.clients import (
    ClientSpec,
    register_client,
    secret_digest,
    secret_digest_matches,
)
from authserver.services.errors import ServiceError
from authserver.services.passwords import Passwords
from authserver.services.tenants import create_tenant
from authserver.settings import Settings
from authserver.storage.models import Client, User
from authserver.storage.repositories import (
    AuditRepository,
    ClientRepository,
    TenantRepository,
    UserRepository,
)

DEMO_TENANT = "demo"
DEMO_EMAIL = "demo@example.com"
DEMO_RP_CLIENT = "demo-web"
DEMO_RP_PATH = "/demo-rp"
CREDENTIALS_FILE = "demo-credentials.json"
DEMO_CLIENTS = (
    ClientSpec(name="Demo web app", client_id=DEMO_RP_CLIENT,
               redirect_uris=("http://127.0.0.1:9000/callback",),
               post_logout_redirect_uris=("http://127.0.0.1:9000/",),
               scopes=("openid", "profile", "email", "offline_access")),
    ClientSpec(name="Demo single-page app", client_id="demo-spa", public=True,
               redirect_uris=("http://127.0.0.1:5173/callback",),
               post_logout_redirect_uris=("http://127.0.0.1:5173/",),
               scopes=("openid", "profile", "email"), web_origins=("http://127.0.0.1:5173",)),
    ClientSpec(name="Demo service", client_id="demo-service",
               grant_types=("client_credentials",), scopes=("stores:read", "stores:write")),
)


class DemoRefused(ServiceError):
    """The demo data set was asked for where it must not exist."""


def demo_rp_url(settings: Settings) -> str:
    """Where the built-in demo relying party lives (web/demo_rp/, development only)."""
    return f"{settings.public_url}{DEMO_RP_PATH}/"


def demo_rp_uris(settings: Settings) -> tuple[str, str]:
    """The demo relying party's (redirect URI, post-logout redirect URI)."""
    return f"{settings.public_url}{DEMO_RP_PATH}/callback", demo_rp_url(settings)


def credentials_path(settings: Settings) -> Path:
    return settings.instance_path / CREDENTIALS_FILE


def read_credentials(settings: Settings) -> dict[str, Any]:
    """The saved plaintext demo credentials, or {} when there are none (or unreadable)."""
    try:
        data = json.loads(credentials_path(settings).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_credentials(settings: Settings, data: dict[str, Any]) -> None:
    path = credentials_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    # Created 0600 from the start (never briefly world-readable), then renamed into place.
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2)
        handle.write("\n")
    os.replace(temporary, path)


def _specs(settings: Settings) -> list[ClientSpec]:
    callback, after_logout = demo_rp_uris(settings)
    specs = []
    for spec in DEMO_CLIENTS:
        if spec.client_id == DEMO_RP_CLIENT:
            spec = dataclasses.replace(
                spec, redirect_uris=(*spec.redirect_uris, callback),
                post_logout_redirect_uris=(*spec.post_logout_redirect_uris, after_logout))
        specs.append(spec)
    return specs


def _align_uris(row: Client, spec: ClientSpec, audit: AuditRepository, actor: str) -> None:
    # PUBLIC_URL may have changed since the client was made: the demo RP's URIs follow it.
    redirect_uris = [validate_redirect_uri(u) for u in spec.redirect_uris]
    after_logout = [validate_redirect_uri(u, "post_logout_redirect_uri")
                    for u in spec.post_logout_redirect_uris]
    # Demo databases made before web origins existed get the SPA's origin too.
    web_origins = [validate_web_origin(o) for o in spec.web_origins]
    if (row.redirect_uris != redirect_uris or row.post_logout_redirect_uris != after_logout
            or list(row.web_origins or ()) != web_origins):
        row.redirect_uris, row.post_logout_redirect_uris = redirect_uris, after_logout
        row.web_origins = web_origins
        if web_origins:
            row.application_type = "web"
        audit.record(actor, "client.updated", row.client_id)


def _secret_for(row: Client, saved: object, audit: AuditRepository, actor: str) -> str:
    if isinstance(saved, str) and secret_digest_matches(row.secret_digest, saved):
        return saved
    secret = secrets.token_urlsafe(32)
    row.secret_digest = secret_digest(secret)
    audit.record(actor, "client.secret_rotated", row.client_id)
    return secret


def _ensure_clients(clients_repo: ClientRepository, audit: AuditRepository,
                    settings: Settings, saved_secrets: dict[str, Any],
                    actor: str) -> list[dict[str, Any]]:
    """Register the demo clients that are missing and bring the others up to date; each
    with its plaintext secret (None for public clients)."""
    out = []
    for spec in _specs(settings):
        existing = clients_repo.get(spec.client_id or "")
        if existing is None:
            registered = register_client(clients_repo, audit, spec, actor)
            row, secret = registered.client, registered.client_secret
        else:
            row, secret = existing, None
            _align_uris(row, spec, audit, actor)
            if not row.is_public:
                secret = _secret_for(row, saved_secrets.get(row.client_id), audit, actor)
        out.append({"name": row.name, "client_id": row.client_id, "client_secret": secret,
                    "grant_types": list(row.grant_types),
                    "redirect_uris": list(row.redirect_uris)})
    return out


def _ensure_user(users: UserRepository, audit: AuditRepository, saved: object,
                 actor: str, now: dt.datetime, passwords: Passwords) -> tuple[User, str]:
    """The demo user and its password: the saved one while it still matches."""
    user = users.by_email(DEMO_EMAIL)
    if user is None:
        password = secrets.token_urlsafe(12)
        user = create_user(users, audit, NewUser(
            email=DEMO_EMAIL, password=password, username="demo", given_name="Dana",
            family_name="Demo", email_verified=True), actor, now, passwords)
        return user, password
    if isinstance(saved, str) and passwords.verify(user.password_hash, saved):
        return user, saved
    password = secrets.token_urlsafe(12)
    user.password_hash = passwords.hash(password)
    user.password_changed_at = now
    audit.record(actor, "user.password_reset", user.sub)
    return user, password


def ensure_demo(rt: Runtime, actor: str) -> dict[str, Any]:
    """Create what is missing; reuse the saved credentials while they still match.

    A saved secret or password that no longer matches (the database was replaced, someone
    reset it) is replaced by a new one, and the file is rewritten.
    """
    if rt.settings.is_production:
        raise DemoRefused("demo creates accounts with well-known credentials and is for "
                          "development only; it refuses to run with AUTHSERVER_ENV=production")
    saved = read_credentials(rt.settings)
    saved_secrets = saved.get("client_secrets") if isinstance(saved.get("client_secrets"),
                                                              dict) else {}
    with rt.database.session() as session:
        tenant = TenantRepository(session).by_slug(DEMO_TENANT) or create_tenant(
            session, rt.master_key, rt.key_timing, DEMO_TENANT, "Demo", actor, rt.clock())
        audit = AuditRepository(session, tenant.id)
        out_clients = _ensure_clients(ClientRepository(session, tenant.id), audit,
                                      rt.settings, saved_secrets, actor)
        user, password = _ensure_user(UserRepository(session, tenant.id), audit,
                                      saved.get("password"), actor, rt.clock(), rt.passwords)
        # Written before the commit: if writing fails, the database keeps the old values.
        _write_credentials(rt.settings, {
            "note": "authserver demo credentials, development only",
            "client_secrets": {c["client_id"]: c["client_secret"] for c in out_clients
                               if c["client_secret"]},
            "email": DEMO_EMAIL, "password": password})
        issuer = rt.issuer(DEMO_TENANT)
        return {"tenant": DEMO_TENANT, "issuer": issuer, "jwks_uri": f"{issuer}/jwks",
                "demo_rp": demo_rp_url(rt.settings), "clients": out_clients,
                "credentials_file": str(credentials_path(rt.settings).resolve()),
                "user": {"sub": user.sub, "email": DEMO_EMAIL, "password": password}}
