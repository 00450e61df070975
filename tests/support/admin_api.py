"""Calling the admin REST API as a test: an administering client in a tenant, its bearer
token (client credentials for the admin audience, through the real token endpoint), and
a test client that sends it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from authserver.runtime import Runtime
from authserver.runtime import admin_context as build_admin_context
from authserver.services import api_grants
from authserver.services.clients import ClientSpec, register_client
from authserver.services.tenants import create_tenant
from authserver.storage.repositories import AuditRepository, ClientRepository, TenantRepository
from tests.support.oauth import basic

PREFIX = "/admin/api/v1"
FULL_ACCESS = ("admin:read", "admin:write", "users:read:pii")


def admin_audience(runtime: Runtime) -> str:
    return f"{runtime.settings.public_url}/admin/api"


def ensure_tenant(runtime: Runtime, slug: str) -> None:
    with runtime.database.session() as session:
        if TenantRepository(session).by_slug(slug) is None:
            create_tenant(session, runtime.master_key, runtime.key_timing, slug, slug.title(),
                          "test", runtime.clock())


def admin_client(runtime: Runtime, tenant_slug: str, client_id: str = "admin",
                 scopes: Iterable[str] = FULL_ACCESS) -> str:
    """Register a client-credentials client allowed ``scopes`` of the admin API in
    ``tenant_slug`` (created if missing); returns its secret."""
    ensure_tenant(runtime, tenant_slug)
    with runtime.database.session() as session:
        tenant = TenantRepository(session).by_slug(tenant_slug)
        assert tenant is not None
        created = register_client(
            ClientRepository(session, tenant.id), AuditRepository(session, tenant.id),
            ClientSpec(name=f"Admin {client_id}", client_id=client_id,
                       grant_types=("client_credentials",), scopes=tuple(scopes)), "test")
    # The admin API is granted like any API (services/api_admin.py): its scopes among
    # ``scopes``, or none (a token for the admin API without any admin permission).
    api_grants.grant_api(build_admin_context(runtime, "test"), tenant_slug,
                        admin_audience(runtime), client_id,
                        [s for s in scopes if s in FULL_ACCESS])
    runtime.clients.invalidate()
    return created.client_secret or ""


def admin_token(http: FlaskClient, runtime: Runtime, tenant_slug: str, client_id: str,
                secret: str, scope: str = " ".join(FULL_ACCESS)) -> str:
    """A bearer token for the admin API from ``tenant_slug``'s token endpoint."""
    # Beside the admin API only its own scopes may be asked for (protocol/audience.py);
    # none asked: every admin scope the client holds, possibly none.
    wanted = " ".join(s for s in scope.split() if s in FULL_ACCESS)
    data = {"grant_type": "client_credentials", "resource": admin_audience(runtime),
            **({"scope": wanted} if wanted else {})}
    response = http.post(f"/t/{tenant_slug}/token", headers=basic(client_id, secret),
                         data=data)
    assert response.status_code == 200, f"no admin token: {response.get_json()}"
    token: str = response.get_json()["access_token"]
    return token


@dataclass
class AdminHttp:
    """A test client that sends ``token`` (None: no Authorization header)."""

    http: FlaskClient
    token: str | None

    def _headers(self, headers: dict[str, str] | None) -> dict[str, str]:
        sent = dict(headers or {})
        if self.token is not None:
            sent.setdefault("Authorization", f"Bearer {self.token}")
        return sent

    def get(self, path: str, headers: dict[str, str] | None = None,
            **kwargs: Any) -> TestResponse:
        return self.http.get(PREFIX + path, headers=self._headers(headers), **kwargs)

    def post(self, path: str, json: Any = None, headers: dict[str, str] | None = None,
             **kwargs: Any) -> TestResponse:
        return self.http.post(PREFIX + path, json=json, headers=self._headers(headers),
                              **kwargs)

    def put(self, path: str, json: Any = None, headers: dict[str, str] | None = None,
            **kwargs: Any) -> TestResponse:
        return self.http.put(PREFIX + path, json=json, headers=self._headers(headers),
                             **kwargs)

    def patch(self, path: str, json: Any = None, headers: dict[str, str] | None = None,
              etag: str | None = None, **kwargs: Any) -> TestResponse:
        sent = self._headers(headers)
        if etag is not None:
            sent["If-Match"] = etag
        return self.http.patch(PREFIX + path, json=json, headers=sent, **kwargs)

    def delete(self, path: str, headers: dict[str, str] | None = None,
               etag: str | None = None, **kwargs: Any) -> TestResponse:
        sent = self._headers(headers)
        if etag is not None:
            sent["If-Match"] = etag
        return self.http.delete(PREFIX + path, headers=sent, **kwargs)

    def etag_of(self, path: str) -> str:
        response = self.get(path)
        assert response.status_code == 200, f"GET {path}: {response.get_json()}"
        etag = response.headers.get("ETag")
        assert etag, f"GET {path} must carry an ETag"
        return etag


def as_admin(http: FlaskClient, runtime: Runtime, tenant_slug: str,
             client_id: str = "admin", scopes: Iterable[str] = FULL_ACCESS) -> AdminHttp:
    """An :class:`AdminHttp` for a new administering client of ``tenant_slug``."""
    scopes = tuple(scopes)
    secret = admin_client(runtime, tenant_slug, client_id, scopes)
    return AdminHttp(http, admin_token(http, runtime, tenant_slug, client_id, secret,
                                       " ".join(scopes)))


def error_code(response: TestResponse) -> str:
    """The stable code of an admin-API error response."""
    body = response.get_json(silent=True) or {}
    code: str = body.get("error", {}).get("code", f"<no error body: {response.data[:200]!r}>")
    return code
