"""Test helpers that drive authserver over HTTP the way a client and a browser would."""

from __future__ import annotations

import base64
import functools
import hashlib
import re
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from flask.testing import FlaskClient

from authserver.runtime import Runtime
from authserver.services.accounts import NewUser, create_user
from authserver.services.clients import ClientSpec, register_client
from authserver.services.passwords import Argon2Parameters, Passwords
from authserver.services.tenants import create_tenant
from authserver.settings import Settings
from authserver.storage.repositories import AuditRepository, ClientRepository, UserRepository
from tests.support.apis import register_world_apis

ISSUER_PATH = "/t/acme"
ISSUER = "http://127.0.0.1:8000/t/acme"
REDIRECT = "https://app.example/cb"
PASSWORD = "correct horse battery staple"


@dataclass
class Pkce:
    verifier: str = field(default_factory=lambda: secrets.token_urlsafe(48))

    @property
    def challenge(self) -> str:
        digest = hashlib.sha256(self.verifier.encode()).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@dataclass
class World:
    """A tenant with a confidential web client, a public client, a service and a user."""

    runtime: Runtime
    web_id: str
    web_secret: str
    spa_id: str
    service_id: str
    service_secret: str
    user_sub: str
    user_email: str = "ann@example.com"


def password_hash(password: str, passwords: Passwords | None = None) -> str:
    """A real argon2id hash at ``passwords``' parameters (default: the settings' default),
    computed once per test process: argon2 is slow on purpose and sign-in still verifies
    it for real."""
    settings = Settings()
    parameters = passwords.parameters if passwords is not None else Argon2Parameters(
        settings.argon2_memory_kib, settings.argon2_time_cost, settings.argon2_parallelism)
    return _hash_once(parameters, password)


@functools.cache
def _hash_once(parameters: Argon2Parameters, password: str) -> str:
    return Passwords(parameters).hash(password)


def build_world(runtime: Runtime, first_party: bool = False) -> World:
    with runtime.database.session() as session:
        tenant = create_tenant(session, runtime.master_key, runtime.key_timing, "acme", "Acme",
                               "test", runtime.clock())
        clients = ClientRepository(session, tenant.id)
        audit = AuditRepository(session, tenant.id)
        web = register_client(clients, audit, ClientSpec(
            name="Web", client_id="web", redirect_uris=(REDIRECT, "http://127.0.0.1/native"),
            post_logout_redirect_uris=("https://app.example/bye",),
            scopes=("openid", "profile", "email", "offline_access", "stores:read"),
            first_party=first_party), "test")
        register_client(clients, audit, ClientSpec(
            name="SPA", client_id="spa", public=True, redirect_uris=("https://spa.example/cb",),
            scopes=("openid", "profile", "email")), "test")
        service = register_client(clients, audit, ClientSpec(
            name="Service", client_id="service", grant_types=("client_credentials",),
            scopes=("stores:read", "stores:write")), "test")
        user = create_user(UserRepository(session, tenant.id), audit, NewUser(
            email="ann@example.com", password=None, username="ann", given_name="Ann",
            family_name="Lee", email_verified=True), "test", runtime.clock(),
            runtime.passwords)
        user.password_hash = password_hash(PASSWORD, runtime.passwords)
        user.password_changed_at = runtime.clock()
        world = World(runtime, "web", web.client_secret or "", "spa", "service",
                      service.client_secret or "", user.sub)
    register_world_apis(runtime)
    return world


def basic(client_id: str, secret: str) -> dict[str, str]:
    raw = f"{client_id}:{secret}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page must carry a CSRF token"
    return match.group(1)


def form_action(html: str) -> str:
    match = re.search(r'<form method="post" action="([^"]+)"', html)
    assert match, "the page must have a POST form"
    return match.group(1).replace("&amp;", "&")


def authorize_params(client_id: str = "web", pkce: Pkce | None = None,
                     **extra: str) -> dict[str, str]:
    params = {"response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT,
              "scope": "openid profile email", "state": "st-" + secrets.token_hex(4),
              "nonce": "n-" + secrets.token_hex(4)}
    if pkce is not None:
        params.update(code_challenge=pkce.challenge, code_challenge_method="S256")
    params.update(extra)
    return {k: v for k, v in params.items() if v is not None}


def query_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def sign_in(http: FlaskClient, location: str, identifier: str = "ann@example.com",
            password: str = PASSWORD) -> Any:
    """Follow to the login page and submit it; returns the response to the POST."""
    page = http.get(location)
    assert page.status_code == 200, f"expected the login page, got {page.status_code}"
    html = page.get_data(as_text=True)
    assert 'name="password"' in html, "expected the login form"
    return http.post(form_action(html), data={"csrf_token": csrf_of(html), "identifier": identifier,
                                              "password": password, "action": "login"})


def approve_consent(http: FlaskClient, location: str) -> Any:
    page = http.get(location)
    html = page.get_data(as_text=True)
    assert "Allow" in html, f"expected the consent page: {html[:200]}"
    return http.post(form_action(html), data={"csrf_token": csrf_of(html), "action": "approve"})


def obtain_code(http: FlaskClient, params: dict[str, str], consent: bool = True) -> dict[str, str]:
    """Run the browser side of the flow; returns the redirect's query parameters."""
    response = http.get(f"{ISSUER_PATH}/authorize?{urlencode(params)}")
    for _ in range(6):
        body = response.get_data(as_text=True)[:300]
        assert response.status_code in (302, 303), \
            f"expected a redirect, got {response.status_code}: {body}"
        location = response.headers["Location"]
        if location.startswith(params["redirect_uri"]):
            return query_of(location)
        page = http.get(location)
        html = page.get_data(as_text=True)
        if 'name="password"' in html:
            response = sign_in(http, location)
        elif consent and 'value="approve"' in html:
            response = approve_consent(http, location)
        elif 'value="continue"' in html:
            response = http.post(form_action(html), data={"csrf_token": csrf_of(html),
                                                          "action": "continue"})
        else:
            raise AssertionError(f"unexpected page: {html[:300]}")
    raise AssertionError("too many redirects")


def exchange(http: FlaskClient, code: str, pkce: Pkce | None, client_id: str = "web",
             secret: str | None = None, redirect_uri: str = REDIRECT, **extra: str) -> Any:
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    if pkce is not None:
        data["code_verifier"] = pkce.verifier
    headers = basic(client_id, secret) if secret is not None else {}
    if secret is None:
        data["client_id"] = client_id
    data.update(extra)
    return http.post(f"{ISSUER_PATH}/token", data=data, headers=headers)
