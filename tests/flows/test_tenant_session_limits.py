"""A tenant's own sign-in session limits (``tenant update --session-idle-ttl
--session-absolute-ttl``; OWASP ASVS 5.0 V7.3): they replace the SESSION_* settings for
that tenant's sessions, the refresh tokens bound to them, the session cookie's lifetime
and ``db purge``."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from authserver.runtime import admin_context
from authserver.services import tenant_admin
from authserver.services.session_limits import SessionLimitsChange
from authserver.storage.models import LoginSession
from tests.support.browser_flow import assert_error_redirect, authorize
from tests.support.oauth import (
    REDIRECT,
    Pkce,
    authorize_params,
    basic,
    build_world,
    exchange,
    obtain_code,
    sign_in,
)


@pytest.fixture
def world(runtime):
    return build_world(runtime, first_party=True)


def limit_sessions(runtime, idle=None, absolute=None) -> None:
    tenant_admin.update_tenant(admin_context(runtime, "test"), "acme", None, None, None,
                               sessions=SessionLimitsChange(idle, absolute))


def signed_in_with_refresh_token(http, world) -> str:
    pkce = Pkce()
    query = obtain_code(http, authorize_params(pkce=pkce))
    tokens = exchange(http, query["code"], pkce, secret=world.web_secret).get_json()
    return tokens["refresh_token"]


def silent(http):
    return authorize(http, authorize_params(pkce=Pkce(), prompt="none"))


def test_a_tenant_idle_limit_ends_its_sessions_and_their_refresh_tokens(
        http, world, runtime, clock):
    limit_sessions(runtime, idle=120)
    refresh = signed_in_with_refresh_token(http, world)
    clock.advance(seconds=100)
    assert silent(http).status_code == 302, "within the idle limit the session goes on"
    clock.advance(seconds=121)
    assert_error_redirect(silent(http), "login_required", REDIRECT)
    answer = http.post("/t/acme/token", headers=basic("web", world.web_secret),
                       data={"grant_type": "refresh_token", "refresh_token": refresh})
    assert answer.get_json().get("error") == "invalid_grant", \
        f"a refresh token bound to an ended session stops: {answer.get_json()}"


def test_a_tenant_absolute_limit_ends_sessions_however_busy(http, world, runtime, clock):
    limit_sessions(runtime, absolute=300)
    obtain_code(http, authorize_params(pkce=Pkce()))
    for _ in range(4):
        clock.advance(seconds=70)
        assert silent(http).status_code == 302, "busy and young: still signed in"
    clock.advance(seconds=30)
    assert_error_redirect(silent(http), "login_required", REDIRECT)


def test_the_session_cookie_lives_as_long_as_the_tenant_absolute_limit(http, world, runtime):
    limit_sessions(runtime, absolute=3600)
    location = authorize(http, authorize_params(pkce=Pkce())).headers["Location"]
    cookie = next(h for h in sign_in(http, location).headers.getlist("Set-Cookie")
                  if h.startswith("as-acme="))
    assert "Max-Age=3600" in cookie, cookie


def test_db_purge_keeps_sessions_a_longer_tenant_limit_still_allows(
        http, world, runtime, clock):
    limit_sessions(runtime, idle=3600, absolute=24 * 3600)
    obtain_code(http, authorize_params(pkce=Pkce()))
    clock.advance(hours=13)  # past the 12 h setting, within the tenant's 24 h
    with runtime.database.session() as session:
        tenant_id = session.scalar(select(LoginSession.tenant_id))
    runtime.token_store(tenant_id).purge_expired(clock())
    with runtime.database.session() as session:
        assert session.scalar(select(func.count()).select_from(LoginSession)) == 1, \
            "a session the tenant's limit still allows must survive db purge"
    runtime.token_store(tenant_id).purge_expired(clock() + dt.timedelta(hours=12))
    with runtime.database.session() as session:
        assert session.scalar(select(func.count()).select_from(LoginSession)) == 0
