"""Every way services/sessions.py ends a session goes through end_sessions with its
reason, recorded on the session and in the audit trail: ``logout`` (the sign-out page),
``replaced`` (a new sign-in in the same browser), ``expired`` (find() seeing the idle or
absolute limit passed) and whatever end_all_for_user is given."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from authserver.services.session_end import EndReason
from authserver.services.sessions import SessionService
from authserver.storage.models import AuditEvent, LoginSession, User
from tests.support.browser_flow import tenant_id
from tests.support.oauth import (
    ISSUER_PATH,
    Pkce,
    authorize_params,
    build_world,
    csrf_of,
    form_action,
    obtain_code,
)


@pytest.fixture
def world(runtime):
    return build_world(runtime, first_party=True)


def only_session(runtime) -> LoginSession:
    with runtime.database.session() as session:
        rows = list(session.scalars(select(LoginSession).order_by(LoginSession.id)))
    assert rows, "a session was started"
    return rows[-1]


def audited_reason(runtime, sid: str) -> str | None:
    with runtime.database.session() as session:
        event = session.scalar(select(AuditEvent).where(
            AuditEvent.action == "session.ended", AuditEvent.target == sid))
        return event.details.get("reason") if event else None


def test_signing_out_ends_the_session_as_logout(http, runtime, world):
    obtain_code(http, authorize_params(pkce=Pkce()))
    sid = only_session(runtime).sid
    page = http.get(f"{ISSUER_PATH}/logout?{urlencode({'client_id': 'web'})}")
    html = page.get_data(as_text=True)
    logout_id = re.search(r'name="logout_id" value="([^"]+)"', html).group(1)
    done = http.post(form_action(html), data={"csrf_token": csrf_of(html),
                                              "logout_id": logout_id, "action": "logout"})
    assert done.status_code in (200, 303), done.status_code
    ended = only_session(runtime)
    assert ended.sid == sid and ended.ended_reason == "logout"
    assert audited_reason(runtime, sid) == "logout"


def test_a_new_sign_in_in_the_same_browser_replaces_the_old_session(http, runtime, world):
    obtain_code(http, authorize_params(pkce=Pkce()))
    first = only_session(runtime).sid
    obtain_code(http, authorize_params(pkce=Pkce(), prompt="login"))
    with runtime.database.session() as session:
        old = session.scalar(select(LoginSession).where(LoginSession.sid == first))
    assert old.ended_reason == "replaced" and audited_reason(runtime, first) == "replaced"
    assert only_session(runtime).ended_at is None


@pytest.mark.parametrize("past", ["idle", "absolute"])
def test_a_session_seen_past_its_limit_is_ended_as_expired(http, runtime, world, clock,
                                                           past):
    obtain_code(http, authorize_params(pkce=Pkce()))
    sid = only_session(runtime).sid
    if past == "idle":
        clock.advance(seconds=runtime.settings.session_idle_ttl + 1)
    else:
        for _ in range(int(runtime.settings.session_absolute_ttl
                           // runtime.settings.session_idle_ttl) + 1):
            clock.advance(seconds=runtime.settings.session_idle_ttl - 60)
            http.get(f"{ISSUER_PATH}/account")  # seen: the idle limit never passes
    answer = http.get(f"{ISSUER_PATH}/account")
    assert answer.status_code == 303, "an expired session signs nobody in"
    ended = only_session(runtime)
    assert ended.sid == sid and ended.ended_reason == "expired", ended.ended_reason
    assert ended.ended_at == clock(), "ended when it was seen expired"
    assert audited_reason(runtime, sid) == "expired"


def test_end_all_for_user_ends_every_open_session_with_the_reason_given(runtime, world):
    service = SessionService(runtime.database, tenant_id(runtime), 1800, 3600)
    with runtime.database.session() as session:
        user_id = session.scalar(select(User.id).where(User.email == "ann@example.com"))
    sids = [service.start(user_id, ["pwd"], "1", runtime.clock())[1] for _ in range(2)]
    assert service.end_all_for_user(user_id, runtime.clock(), EndReason.ADMIN,
                                    actor="test") == 2
    for sid in sids:
        assert audited_reason(runtime, sid) == "admin"
    assert service.end_all_for_user(user_id, runtime.clock()) == 0, "nothing left to end"


def test_a_hostile_session_cookie_signs_nobody_in_and_ends_nothing(http, runtime, world):
    obtain_code(http, authorize_params(pkce=Pkce()))
    for value in ("x" * 4000, "' OR 1=1 --", "\u202e\U0001f642"):
        stranger = http.application.test_client()  # same server, a browser of its own
        stranger.set_cookie("as-acme", value)
        answer = stranger.get(f"{ISSUER_PATH}/account")
        assert answer.status_code == 303, f"{value[:10]!r}: {answer.status_code}"
        assert only_session(runtime).ended_at is None
