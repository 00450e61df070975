"""The `authserver demo` data set: a tenant, three typical clients and a user."""

from __future__ import annotations

import secrets
from typing import Any

from authserver.runtime import Runtime
from authserver.services.accounts import NewUser, create_user
from authserver.services.clients import ClientSpec, register_client, secret_digest
from authserver.services.passwords import hash_password
from authserver.services.tenants import create_tenant
from authserver.storage.repositories import (
    AuditRepository,
    ClientRepository,
    TenantRepository,
    UserRepository,
)

DEMO_TENANT = "demo"
DEMO_EMAIL = "demo@example.com"
DEMO_CLIENTS = (
    ClientSpec(name="Demo web app", client_id="demo-web",
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


def ensure_demo(rt: Runtime, actor: str) -> dict[str, Any]:
    """Create what is missing; issue fresh secrets and a fresh password for what exists.

    Secrets are stored only as hashes, so printing credentials for existing clients
    means replacing them: the demo data set is for trying authserver out, nothing else.
    """
    with rt.database.session() as session:
        tenant = TenantRepository(session).by_slug(DEMO_TENANT) or create_tenant(
            session, rt.master_key, rt.key_timing, DEMO_TENANT, "Demo", actor, rt.clock())
        clients_repo = ClientRepository(session, tenant.id)
        audit = AuditRepository(session, tenant.id)
        out_clients = []
        for spec in DEMO_CLIENTS:
            existing = clients_repo.get(spec.client_id or "")
            if existing is None:
                registered = register_client(clients_repo, audit, spec, actor)
                row, secret = registered.client, registered.client_secret
            else:
                row, secret = existing, None
                if not existing.is_public:
                    secret = secrets.token_urlsafe(32)
                    existing.secret_digest = secret_digest(secret)
                    audit.record(actor, "client.secret_rotated", existing.client_id)
            out_clients.append({"name": row.name, "client_id": row.client_id,
                                "client_secret": secret, "grant_types": list(row.grant_types),
                                "redirect_uris": list(row.redirect_uris)})
        users = UserRepository(session, tenant.id)
        password = secrets.token_urlsafe(12)
        user = users.by_email(DEMO_EMAIL)
        if user is None:
            user = create_user(users, audit, NewUser(
                email=DEMO_EMAIL, password=password, username="demo", given_name="Dana",
                family_name="Demo", email_verified=True), actor, rt.clock())
        else:
            user.password_hash = hash_password(password)
            user.password_changed_at = rt.clock()
            audit.record(actor, "user.password_reset", user.sub)
        issuer = rt.issuer(DEMO_TENANT)
        return {"tenant": DEMO_TENANT, "issuer": issuer, "jwks_uri": f"{issuer}/jwks",
                "clients": out_clients,
                "user": {"sub": user.sub, "email": DEMO_EMAIL, "password": password}}
