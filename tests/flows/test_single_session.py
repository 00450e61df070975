"""Single active session (issue 10 item 5): with the tenant's switch on, or the user's
own setting overriding it, a new sign-in ends the user's other sessions (reason
``displaced``) and the refresh tokens of their grants, except ``offline_access`` ones
(GrantRepository.is_live ties a non-offline grant to its session); the displaced browser
is asked to sign in again on its next visit. A re-sign-in in the same browser is a
``replaced`` session, not a displacement, and other people's sessions are untouched.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from authserver.runtime import admin_context
from authserver.services import tenant_admin, user_admin
from authserver.services.account_policy import AccountPolicyChange
from authserver.services.accounts import UserChanges
from authserver.services.sessions import SessionService
from authserver.storage.models import AuditEvent, LoginSession, User
from tests.support.browser_flow import add_user, assert_error_redirect, authorize
from tests.support.oauth import (
    ISSUER_PATH,
    REDIRECT,
    Pkce,
    approve_consent,
    authorize_params,
    basic,
    build_world,
    exchange,
    obtain_code,
    query_of,
    sign_in,
)


@pytest.fixture
def world(runtime):
    return build_world(runtime, first_party=True)


def single_session_for_tenant(runtime, on: bool) -> None:
    tenant_admin.update_tenant(admin_context(runtime, "test"), "acme", None, None, None,
                               accounts=AccountPolicyChange(single_session=on))


def single_session_for_user(runtime, setting: bool | None, email="ann@example.com") -> None:
    changes = (UserChanges(clear=frozenset({"single_session"})) if setting is None
               else UserChanges(single_session=setting))
    user_admin.update_user(admin_context(runtime, "test"), "acme", email, None, changes)


def signed_in(app, world, scope="openid profile", email="ann@example.com"):
    """A new browser, signed in as ``email`` through the web client; (browser, refresh
    token)."""
    browser = app.test_client()
    pkce = Pkce()
    params = authorize_params(pkce=pkce, scope=scope)
    response = sign_in(browser, authorize(browser, params).headers["Location"], email)
    while not response.headers["Location"].startswith(REDIRECT):
        response = approve_consent(browser, response.headers["Location"])
    query = query_of(response.headers["Location"])
    tokens = exchange(browser, query["code"], pkce, secret=world.web_secret).get_json()
    assert "refresh_token" in tokens, tokens
    return browser, tokens["refresh_token"]


def refresh(http, world, token):
    return http.post(f"{ISSUER_PATH}/token", headers=basic("web", world.web_secret),
                     data={"grant_type": "refresh_token", "refresh_token": token}).get_json()


def silent(browser):
    return authorize(browser, authorize_params(pkce=Pkce(), prompt="none"))


def sessions(runtime, email="ann@example.com") -> list[LoginSession]:
    with runtime.database.session() as session:
        user = session.scalar(select(User).where(User.email == email))
        return list(session.scalars(select(LoginSession).where(
            LoginSession.user_id == user.id).order_by(LoginSession.id)))


def test_a_new_sign_in_displaces_the_earlier_browser_and_its_refresh_token(
        app, runtime, world):
    single_session_for_tenant(runtime, True)
    first, first_refresh = signed_in(app, world)
    second, second_refresh = signed_in(app, world)
    earlier, later = sessions(runtime)
    assert earlier.ended_reason == "displaced" and earlier.ended_at is not None
    assert later.ended_at is None
    assert_error_redirect(silent(first), "login_required", REDIRECT)
    assert silent(second).status_code == 302 and "code=" in silent(second).headers["Location"]
    assert refresh(app.test_client(), world, first_refresh).get("error") == "invalid_grant", \
        "the displaced session's refresh token stops"
    assert "access_token" in refresh(app.test_client(), world, second_refresh)
    with runtime.database.session() as session:
        event = session.scalar(select(AuditEvent).where(
            AuditEvent.action == "session.ended", AuditEvent.target == earlier.sid))
        assert event.details.get("reason") == "displaced", event.details


def test_the_displaced_browser_is_asked_to_sign_in_again(app, runtime, world):
    single_session_for_tenant(runtime, True)
    first, _ = signed_in(app, world)
    signed_in(app, world)
    page = first.get(f"{ISSUER_PATH}/account")
    assert page.status_code == 303 and "/interaction/" in page.headers["Location"]
    login = first.get(page.headers["Location"])
    assert 'name="password"' in login.get_data(as_text=True), "the sign-in page again"


def test_an_offline_access_refresh_token_outlives_the_displacement(app, runtime, world):
    single_session_for_tenant(runtime, True)
    _first, offline = signed_in(app, world, scope="openid offline_access")
    signed_in(app, world)
    answer = refresh(app.test_client(), world, offline)
    assert "access_token" in answer, f"offline_access is not bound to the session: {answer}"


def test_without_single_session_both_browsers_stay_signed_in(app, runtime, world):
    first, first_refresh = signed_in(app, world)
    signed_in(app, world)
    assert [s.ended_at for s in sessions(runtime)] == [None, None]
    assert silent(first).status_code == 302 and "code=" in silent(first).headers["Location"]
    assert "access_token" in refresh(app.test_client(), world, first_refresh)


@pytest.mark.parametrize(("tenant_on", "user_setting", "displaced"), [
    (False, True, True),  # the user's own setting on, the tenant's off
    (True, False, False),  # the user exempted from the tenant's rule
    (True, None, True),  # None follows the tenant
    (False, None, False),
])
def test_the_users_own_setting_overrides_the_tenants(app, runtime, world, tenant_on,
                                                     user_setting, displaced):
    single_session_for_tenant(runtime, tenant_on)
    single_session_for_user(runtime, user_setting)
    signed_in(app, world)
    signed_in(app, world)
    first, _second = sessions(runtime)
    assert (first.ended_reason == "displaced") is displaced, \
        f"tenant {tenant_on}, user {user_setting}: {first.ended_reason}"


def test_a_re_sign_in_in_the_same_browser_replaces_rather_than_displaces(
        app, runtime, world):
    single_session_for_tenant(runtime, True)
    browser, _ = signed_in(app, world)
    obtain_code(browser, authorize_params(pkce=Pkce(), prompt="login"))
    first, second = sessions(runtime)
    assert first.ended_reason == "replaced" and second.ended_at is None


def test_other_peoples_sessions_are_untouched(app, runtime, world):
    single_session_for_tenant(runtime, True)
    add_user(runtime, "bob@example.com")
    signed_in(app, world, email="bob@example.com")
    signed_in(app, world)
    signed_in(app, world)
    assert [s.ended_at for s in sessions(runtime, "bob@example.com")] == [None]
    assert [s.ended_reason for s in sessions(runtime)] == ["displaced", None]


def test_two_sign_ins_at_the_same_moment_leave_exactly_one_session(runtime, world):
    """The user's row lock serialises them: the later one sees, and ends, the other."""
    with runtime.database.session() as session:
        user = session.scalar(select(User).where(User.email == "ann@example.com"))
        user_id, tenant_id = user.id, user.tenant_id
    service = SessionService(runtime.database, tenant_id, 1800, 3600, single_session=True)

    def sign_in_now(barrier: threading.Barrier) -> str:
        barrier.wait()
        return service.start(user_id, ["pwd"], "1", runtime.clock())[1]

    for _ in range(3):
        barrier = threading.Barrier(4)
        with ThreadPoolExecutor(4) as pool:
            started = list(pool.map(sign_in_now, [barrier] * 4))
        open_now = [s.sid for s in sessions(runtime) if s.ended_at is None]
        assert len(open_now) == 1 and open_now[0] in started, \
            f"exactly one of four concurrent sign-ins stays open: {open_now}"
