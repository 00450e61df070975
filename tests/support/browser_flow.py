"""Browser-side helpers for the authorization endpoint and the hosted pages.

They build on tests/support/oauth.py: start an authorization request, read what came back
(an error page on authserver, or a redirect / form_post to the client), and set up extra
clients, users and an https deployment without mocking anything.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update
from werkzeug.test import TestResponse

from authserver.runtime import Runtime
from authserver.services.accounts import NewUser, create_user
from authserver.services.clients import ClientSpec, register_client
from authserver.settings import Settings
from authserver.storage.database import Database
from authserver.storage.models import User
from authserver.storage.repositories import AuditRepository, ClientRepository, UserRepository
from tests.support.oauth import (
    ISSUER,
    ISSUER_PATH,
    PASSWORD,
    csrf_of,
    form_action,
    password_hash,
    query_of,
)
from tests.support.runtimes import make_app, make_runtime

AUTHORIZE = f"{ISSUER_PATH}/authorize"


def authorize(http: FlaskClient, params: Mapping[str, str], method: str = "GET") -> TestResponse:
    """Send an authorization request as a browser would (query string, or a form POST)."""
    if method == "POST":
        return http.post(AUTHORIZE, data=dict(params))
    return http.get(f"{AUTHORIZE}?{urlencode(params)}")


def authorize_raw(http: FlaskClient, query: str) -> TestResponse:
    """An authorization request with a hand-built query string (duplicates, odd encodings)."""
    return http.get(f"{AUTHORIZE}?{query}")


def html_of(response: TestResponse) -> str:
    return response.get_data(as_text=True)


def assert_error_page(response: TestResponse, why: str = "") -> str:
    """The request was answered on authserver itself: a 400 page, no redirect anywhere."""
    body = html_of(response)
    assert "Location" not in response.headers, (
        f"{why}: an untrusted request must never redirect, "
        f"but got Location: {response.headers.get('Location')}")
    assert response.status_code == 400, f"{why}: expected the 400 error page, got " \
        f"{response.status_code}: {body[:200]}"
    assert response.mimetype == "text/html", f"{why}: the error page must be HTML"
    assert "We can\u2019t continue" in body, f"{why}: not our error page: {body[:200]}"
    return body


def redirected_to_client(response: TestResponse, redirect_uri: str,
                         status: int | tuple[int, ...] = (302, 303)) -> dict[str, str]:
    """The authorization response's query parameters; checks it went to ``redirect_uri``."""
    statuses = (status,) if isinstance(status, int) else status
    body = html_of(response)[:300]
    assert response.status_code in statuses, \
        f"expected a redirect ({statuses}) to the client, got {response.status_code}: {body}"
    location = response.headers["Location"]
    assert location.split("?", 1)[0] == redirect_uri, \
        f"expected a redirect to {redirect_uri}, got {location}"
    return query_of(location)


def assert_error_redirect(response: TestResponse, error: str, redirect_uri: str,
                          state: str | None = None) -> dict[str, str]:
    """An OAuth error sent to the client, with ``iss`` (RFC 9207) and ``state`` echoed."""
    query = redirected_to_client(response, redirect_uri)
    assert query.get("error") == error, f"expected error={error}, got {query}"
    assert "code" not in query, f"an error response must not carry a code: {query}"
    assert query.get("iss") == ISSUER, f"iss must be the issuer on error responses: {query}"
    if state is not None:
        assert query.get("state") == state, f"state must come back unchanged: {query}"
    return query


def interaction_location(response: TestResponse) -> str:
    """The redirect from the endpoint to one of authserver's own interaction pages."""
    assert response.status_code in (302, 303), \
        f"expected a redirect to an interaction page, got {response.status_code}: " \
        f"{html_of(response)[:200]}"
    location = response.headers["Location"]
    path = urlsplit(location).path
    assert path.startswith(f"{ISSUER_PATH}/interaction/"), \
        f"expected authserver's interaction page, got {location}"
    return location


def page_after(http: FlaskClient, response: TestResponse) -> tuple[str, str]:
    """Follow the endpoint's redirect to the interaction page; (url, html)."""
    location = interaction_location(response)
    page = http.get(location)
    assert page.status_code == 200, f"interaction page answered {page.status_code}"
    return location, html_of(page)


def page_kind(html: str) -> str:
    if 'name="password"' in html:
        return "login"
    if 'value="approve"' in html:
        return "consent"
    if 'value="continue"' in html:
        return "select_account"
    if 'name="logout_id"' in html:  # signed in ("Sign out?") or not ("Back to …")
        return "logout"
    return "other"


def submit(http: FlaskClient, html: str, **fields: str) -> TestResponse:
    """Post the page's form with its CSRF token and ``fields``."""
    return http.post(form_action(html), data={"csrf_token": csrf_of(html), **fields})




def identifier_value(html: str) -> str:
    match = re.search(r'<input id="identifier"[^>]*value="([^"]*)"', html, re.S)
    assert match, "the login page must have the identifier field"
    return match.group(1)


def session_cookie(http: FlaskClient, name: str = "as-acme") -> str | None:
    cookie = http.get_cookie(name)
    return cookie.value if cookie else None




# --- world set-up --------------------------------------------------------------------------


def _user(session: Any, runtime: Runtime, tid: int, new: NewUser, password: str) -> Any:
    user = create_user(UserRepository(session, tid), AuditRepository(session, tid), new, "test",
                       runtime.clock(), runtime.passwords)
    user.password_hash = password_hash(password, runtime.passwords)
    user.password_changed_at = runtime.clock()
    return user


def tenant_id(runtime: Runtime, slug: str = "acme") -> int:
    info = runtime.tenants.find(slug)
    assert info is not None
    return int(info.id)


def register_extra_client(runtime: Runtime, spec: ClientSpec, slug: str = "acme") -> str | None:
    """Register another client in the tenant; returns its secret (None for public)."""
    with runtime.database.session() as session:
        tid = tenant_id(runtime, slug)
        registered = register_client(ClientRepository(session, tid), AuditRepository(session, tid),
                                     spec, "test")
        return registered.client_secret


def add_user(runtime: Runtime, email: str, password: str = PASSWORD,
             disabled: bool = False) -> str:
    with runtime.database.session() as session:
        user = _user(session, runtime, tenant_id(runtime), NewUser(email=email, password=None),
                     password)
        user.disabled = disabled
        return str(user.sub)


def disable_user(runtime: Runtime, email: str) -> None:
    with runtime.database.session() as session:
        session.execute(update(User).where(User.email == email).values(disabled=True))




def https_app(settings: Settings, database: Database, clock: Any,
              public_url: str = "https://id.example") -> tuple[Runtime, Flask]:
    """A second app on the same database whose PUBLIC_URL is https."""
    rt = make_runtime(dataclasses.replace(settings, public_url=public_url), database, clock)
    return rt, make_app(rt)


def id_token_claims(id_token: str) -> dict[str, Any]:
    """The payload of an ID token we were just given (signature checked elsewhere)."""
    from authserver.protocol.jws import parse_unverified

    return parse_unverified(id_token)[1]

