"""OpenID Connect Back-Channel Logout 1.0 (issue 10 item 5): every way a session ends
tells the relying parties that took part in it, from the durable outbox.

Each kind of session end (logout, expiry, single-session displacement, an operator,
a password reset, a disabled user) sends the client a logout token that verifies
against our JWKS; a relying party that is down, or answers 5xx, gets it once it is back;
one that never answers is given up on after a day, with an audit event.
The outbox worker is driven by ``run_once`` with the test clock (no threads, no sleeps).
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import time

import pytest

from authserver.runtime import admin_context
from authserver.runtime.outbox_wiring import outbox_worker
from authserver.services.account_policy import AccountPolicyChange
from authserver.services.notifications import Notifier
from authserver.services.outbox import notification_enqueuer
from authserver.services.outbox_worker import OutboxWorker
from authserver.services.senders import Channel, OutgoingMessage, Senders
from authserver.services.session_end import EndReason, end_sessions
from authserver.services.tenant_admin import update_tenant
from authserver.storage.database import Database
from authserver.storage.models import LoginSession, Tenant
from tests.flows.test_oidc_rp_initiated_logout import confirm, logout_page
from tests.support import mail_runtime
from tests.support.backchannel import (
    assert_logout_token,
    end_directly,
    ended_reason,
    outbox_rows,
    register_backchannel,
)
from tests.support.backchannel_receiver import ELSEWHERE, LogoutReceiver
from tests.support.browser_flow import html_of, id_token_claims
from tests.support.oauth import (
    Pkce,
    authorize_params,
    csrf_of,
    exchange,
    obtain_code,
)
from tests.support.runtimes import make_runtime
from tests.support.tokens import audit_events, tenant_id, unverified_parts, user_tokens

# The mailing runtime's fixtures (tests/support/mail_runtime.py).
runtime, sender, world = mail_runtime.runtime, mail_runtime.sender, mail_runtime.world

EMAIL = "ann@example.com"


@pytest.fixture
def receiver():
    rp = LogoutReceiver().start()
    yield rp
    rp.stop()


@pytest.fixture
def worker(runtime) -> OutboxWorker:
    return outbox_worker(runtime)


@pytest.fixture
def signed_in(http, world, runtime, receiver):
    """ann signed in to ``web``, which registered the receiver: (sid, sub)."""
    register_backchannel(runtime, receiver.url)
    claims = id_token_claims(user_tokens(http, world).id_token)
    return claims["sid"], claims["sub"]


def delivered_once(http, receiver, worker, clock, sid, sub):
    done = worker.run_once()
    assert done.delivered.delivered == 1, f"one logout must be delivered: {done}"
    accepted = receiver.accepted()
    assert len(accepted) == 1, f"the RP must get exactly one token: {receiver.deliveries}"
    return assert_logout_token(http, accepted[0], clock(), sid=sid, sub=sub)


# --- every kind of session end ----------------------------------------------------------


def test_rp_initiated_logout_sends_a_logout_token(http, runtime, receiver, worker, clock,
                                                  signed_in):
    sid, sub = signed_in
    confirm(http, logout_page(http))
    assert ended_reason(runtime, sid) == "logout"
    delivered_once(http, receiver, worker, clock, sid, sub)


def test_expiry_is_announced_by_the_sweep_though_nobody_comes_back(
        http, runtime, receiver, worker, clock, signed_in):
    sid, sub = signed_in
    quiet = worker.run_once()
    assert (quiet.sessions_expired, receiver.deliveries) == (0, []), \
        "a live session must be left alone"
    clock.advance(seconds=runtime.settings.session_idle_ttl + 1)
    done = worker.run_once()
    assert done.sessions_expired == 1, f"the idle session must be ended: {done}"
    assert ended_reason(runtime, sid) == "expired"
    assert_logout_token(http, receiver.accepted()[0], clock(), sid=sid, sub=sub)


def test_the_absolute_limit_is_announced_too(http, runtime, receiver, worker, clock,
                                            signed_in):
    sid, sub = signed_in
    with runtime.database.session() as session:  # seen a moment ago, but started long ago
        row = session.query(LoginSession).filter_by(sid=sid).one()
        row.created_at = clock() - dt.timedelta(
            seconds=runtime.settings.session_absolute_ttl + 1)
    worker.run_once()
    assert ended_reason(runtime, sid) == "expired"
    assert_logout_token(http, receiver.accepted()[0], clock(), sid=sid, sub=sub)


def test_a_sign_in_elsewhere_under_single_session_displaces_and_tells_the_rp(
        app, http, world, runtime, receiver, worker, clock):
    register_backchannel(runtime, receiver.url)
    update_tenant(admin_context(runtime, "test"), "acme", None, None, None,
                  accounts=AccountPolicyChange(single_session=True))
    runtime.tenants.invalidate()
    first = id_token_claims(_tokens_via_login(app.test_client(), world))
    second = id_token_claims(_tokens_via_login(app.test_client(), world))
    assert ended_reason(runtime, first["sid"]) == "displaced"
    assert ended_reason(runtime, second["sid"]) is None, "the newer session lives on"
    delivered_once(http, receiver, worker, clock, first["sid"], first["sub"])


def _tokens_via_login(browser, world) -> str:
    """A fresh browser through the real login page (where single session applies)."""
    pkce = Pkce()
    query = obtain_code(browser, authorize_params(pkce=pkce))
    response = exchange(browser, query["code"], pkce, secret=world.web_secret)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["id_token"]


@pytest.mark.parametrize("reason", [EndReason.DISPLACED, EndReason.ADMIN,
                                    EndReason.USER_ENDED, EndReason.PASSWORD_CHANGED])
def test_an_end_through_end_sessions_sends_a_logout_token(http, runtime, receiver, worker,
                                                          clock, signed_in, reason):
    # Single-session displacement and the operator's `session end` are helper C's; both
    # end through end_sessions, which is what is driven here.
    sid, sub = signed_in
    end_directly(runtime, reason, sid)
    assert ended_reason(runtime, sid) == reason.value
    delivered_once(http, receiver, worker, clock, sid, sub)


def test_a_password_reset_sends_a_logout_token(http, runtime, receiver, worker, clock,
                                               signed_in, sender):
    sid, sub = signed_in
    form = http.get("/t/acme/reset")
    http.post("/t/acme/reset", data={"csrf_token": csrf_of(html_of(form)), "email": EMAIL})
    path = re.search(r"https?://[^/\s]+(/t/acme/reset\?token=[\w\-]+)",
                     sender.wait_for(1)[0].text).group(1)
    page = html_of(http.get(path))
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)
    done = http.post("/t/acme/reset/password", data={
        "csrf_token": csrf_of(page), "token": token,
        "password": "a brand new long passphrase 42"})
    assert done.status_code == 200, f"the reset must succeed: {html_of(done)[:300]}"
    assert ended_reason(runtime, sid) == "password_reset"
    delivered_once(http, receiver, worker, clock, sid, sub)


def test_disabling_the_user_sends_a_logout_token(http, runtime, receiver, worker, clock,
                                                 signed_in, cli):
    sid, sub = signed_in
    result = cli("user", "disable", "--tenant", "acme", "--email", EMAIL)
    assert result.status == 0, f"user disable: {result.err}"
    assert ended_reason(runtime, sid) == "user_disabled"
    assert audit_events(runtime, "user.disabled")[0].details["sessions_ended"] == 1
    clock.advance(seconds=5)  # the CLI ran on the wall clock, a moment after the test's
    delivered_once(http, receiver, worker, clock, sid, sub)


# --- who is told --------------------------------------------------------------------------


def test_only_clients_used_in_that_session_with_a_uri_are_told(http, runtime, receiver,
                                                               worker, clock, signed_in):
    sid, sub = signed_in
    register_backchannel(runtime, receiver.url, client_id="spa")  # never used by ann
    end_directly(runtime, EndReason.ADMIN, sid)
    delivered_once(http, receiver, worker, clock, sid, sub)
    assert [r.kind for r in outbox_rows(runtime)] == ["backchannel_logout"], \
        "spa took no part in the session: it must not be told"


def test_a_client_without_a_uri_gets_nothing(http, world, runtime, receiver, worker):
    sid = id_token_claims(user_tokens(http, world).id_token)["sid"]
    end_directly(runtime, EndReason.ADMIN, sid)
    worker.run_once()
    assert (outbox_rows(runtime), receiver.deliveries) == ([], []), \
        "no backchannel_logout_uri, no message"


def test_a_session_required_client_gets_its_sid(http, world, runtime, receiver, worker,
                                                clock):
    register_backchannel(runtime, receiver.url, session_required=True)
    claims = id_token_claims(user_tokens(http, world).id_token)
    end_directly(runtime, EndReason.ADMIN, claims["sid"])
    delivered_once(http, receiver, worker, clock, claims["sid"], claims["sub"])


def test_a_client_that_dropped_its_uri_is_not_called(http, runtime, receiver, worker,
                                                     signed_in):
    sid, _ = signed_in
    end_directly(runtime, EndReason.ADMIN, sid)
    register_backchannel(runtime, "")
    done = worker.run_once()
    assert (done.delivered.dead, receiver.deliveries) == (1, []), \
        f"a client no longer registered is not called, and not retried: {done}"
    assert audit_events(runtime, "outbox.gave_up")[0].details["error"] == \
        "the client no longer registers a backchannel_logout_uri"


# --- delivery: down, failing, redirecting, concurrent -------------------------------------


def test_a_receiver_that_is_down_gets_the_token_once_it_is_back(http, runtime, worker,
                                                                 clock, world):
    rp = LogoutReceiver()  # port chosen, nothing listening yet
    register_backchannel(runtime, rp.url)
    claims = id_token_claims(user_tokens(http, world).id_token)
    end_directly(runtime, EndReason.ADMIN, claims["sid"])
    first = worker.run_once()
    assert first.delivered.retried == 1, f"a closed port must mean retry later: {first}"
    [row] = outbox_rows(runtime)
    assert (row.status, row.attempts) == ("pending", 1), f"{row.status} {row.attempts}"
    assert "no answer" in (row.last_error or ""), row.last_error
    wait = (row.next_attempt_at - clock()).total_seconds()
    assert 8 <= wait <= 12, f"the first retry comes after about 10 s, not {wait}"
    rp.start()
    try:
        assert worker.run_once().delivered.delivered == 0, "not before its back-off"
        clock.advance(seconds=12)
        assert worker.run_once().delivered.delivered == 1
        assert_logout_token(http, rp.accepted()[0], clock(), sid=claims["sid"],
                            sub=claims["sub"])
        assert outbox_rows(runtime)[0].status == "delivered"
    finally:
        rp.stop()


def test_a_5xx_then_200_is_delivered_on_the_retry(http, runtime, receiver, worker, clock,
                                                 signed_in):
    sid, sub = signed_in
    receiver.script(503)
    end_directly(runtime, EndReason.ADMIN, sid)
    assert worker.run_once().delivered.retried == 1
    assert "answered HTTP 503" in outbox_rows(runtime)[0].last_error
    clock.advance(seconds=12)
    assert worker.run_once().delivered.delivered == 1
    assert [d.status for d in receiver.deliveries] == [503, 200]
    first, second = (d.logout_token for d in receiver.deliveries)
    assert first != second, "each attempt signs a fresh token (new jti, iat and exp)"
    assert_logout_token(http, receiver.deliveries[1], clock(), sid=sid, sub=sub)


def test_a_redirect_is_not_followed(http, runtime, receiver, worker, clock, signed_in):
    sid, _ = signed_in
    receiver.script(302)
    end_directly(runtime, EndReason.ADMIN, sid)
    assert worker.run_once().delivered.retried == 1, "a 3xx is not delivery"
    assert [d.path for d in receiver.deliveries] == ["/backchannel-logout"], \
        f"the token goes to the registered URI only, never to {ELSEWHERE}"


def test_a_receiver_that_always_fails_goes_dead_after_a_day(http, runtime, receiver,
                                                            worker, clock, signed_in):
    sid, _ = signed_in
    receiver.script(*[500] * 100)
    end_directly(runtime, EndReason.ADMIN, sid)
    waits = []
    for _ in range(40):  # each retry exactly when it is due, as a running worker would
        worker.run_once()
        [row] = outbox_rows(runtime)
        if row.status != "pending":
            break
        waits.append(row.next_attempt_at - clock())
        clock.now = row.next_attempt_at
    assert row.status == "dead", f"gave up? {row.status} after {row.attempts} attempts"
    # 10 s, 30 s, 1.5 min, ... tripling to the 4 h cap (±20 %), over 24 h: about 13.
    assert 10 <= row.attempts <= 16, f"about a day of tripling back-off: {row.attempts}"
    assert 8 <= waits[0].total_seconds() <= 12 and 24 <= waits[1].total_seconds() <= 36, \
        f"the first waits are about 10 s and 30 s: {waits[:2]}"
    assert max(waits).total_seconds() <= 4 * 3600 * 1.2, f"capped at 4 h: {max(waits)}"
    [event] = audit_events(runtime, "outbox.gave_up")
    assert event.details["client_id"] == "web" and event.details["sid"] == sid
    assert event.details["error"].endswith("answered HTTP 500"), event.details
    tried = len(receiver.deliveries)
    clock.advance(hours=5)
    worker.run_once()
    assert len(receiver.deliveries) == tried, "a dead message is never tried again"


def test_two_processors_at_once_deliver_each_token_once(http, world, runtime, receiver,
                                                        clock):
    register_backchannel(runtime, receiver.url)
    sids = []
    for _ in range(6):  # six sessions of ann, each with a grant to web
        browser = http.application.test_client()
        sids.append(id_token_claims(user_tokens(browser, world).id_token)["sid"])
    for sid in sids:
        end_directly(runtime, EndReason.ADMIN, sid)
    # Two workers as two instances have them: their own runtime and database engine.
    workers = [outbox_worker(make_runtime(runtime.settings, Database(
        runtime.settings.database_url), clock)) for _ in range(2)]
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def work(worker: OutboxWorker) -> None:
        try:
            start.wait()
            worker.processor.deliver_due()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for w in workers:
        w.processor.database.dispose()
    assert errors == [], f"a processor failed: {errors}"
    told = sorted(assert_logout_token(http, d, clock(), sid=_sid_of(d), sub=world.user_sub)
                  ["sid"] for d in receiver.accepted())
    assert told == sorted(sids), f"each session's logout exactly once: {told}"
    assert {r.status for r in outbox_rows(runtime)} == {"delivered"}


def _sid_of(delivery) -> str:
    return str(unverified_parts(delivery.logout_token)[1]["sid"])


# --- discovery ----------------------------------------------------------------------------


def test_discovery_advertises_back_channel_logout(http, world):
    doc = http.get("/t/acme/.well-known/openid-configuration").get_json()
    assert (doc.get("backchannel_logout_supported"),
            doc.get("backchannel_logout_session_supported")) == (True, True), \
        f"§2.1: the OP says it sends logout tokens, with sid: {doc}"


# --- mail through the outbox --------------------------------------------------------------


def test_a_queued_mail_is_sealed_in_the_outbox_and_delivered_by_the_worker(
        runtime, world, worker, sender):
    tid = tenant_id(runtime)
    notifier = Notifier(runtime.database, runtime.senders,
                        enqueue=notification_enqueuer(runtime.master_key, runtime.clock))
    with runtime.database.unit_of_work() as uow:
        notifier.queue(uow, tid, Channel.EMAIL, OutgoingMessage(
            to=EMAIL, text="Your link: https://example.test/secret-link", purpose="test"))
    [row] = outbox_rows(runtime)
    assert row.kind == "notification"
    assert b"secret-link" not in row.payload and EMAIL.encode() not in row.payload, \
        "a mail's address and text are sealed under the tenant's data key"
    assert sender.sent == [], "nothing is sent before the worker runs"
    assert worker.run_once().delivered.delivered == 1
    [mail] = sender.wait_for(1)
    assert (mail.to, mail.text) == (EMAIL, "Your link: https://example.test/secret-link")


def test_a_session_ended_twice_at_once_is_announced_once(http, runtime, receiver, worker,
                                                         clock, signed_in):
    # E.g. the expiry sweep and a logout racing: the conditional UPDATE in end_sessions
    # lets one win; the other ends nothing, audits nothing and queues nothing.
    sid, sub = signed_in
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def end(reason: EndReason) -> None:
        try:
            start.wait()
            with runtime.database.unit_of_work() as uow:
                end_sessions(uow, tenant_id(runtime), clock(), reason, actor="test",
                             sids=[sid])
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=end, args=(r,)) for r in (
        EndReason.EXPIRED, EndReason.ADMIN, EndReason.LOGOUT, EndReason.DISPLACED)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == [], f"an end failed: {errors}"
    assert len(audit_events(runtime, "session.ended")) == 1, "one end, audited once"
    assert len(outbox_rows(runtime)) == 1, "one end, one logout message"
    delivered_once(http, receiver, worker, clock, sid, sub)


def test_a_reset_mail_that_fails_at_first_is_retried_by_the_worker(http, world, runtime,
                                                                   worker, clock, sender):
    sender.failing = True
    form = http.get("/t/acme/reset")
    http.post("/t/acme/reset", data={"csrf_token": csrf_of(html_of(form)), "email": EMAIL})
    # The attempt right after commit runs on its own thread: wait until it has failed.
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not (
            outbox_rows(runtime) and outbox_rows(runtime)[0].attempts == 1):
        time.sleep(0.02)
    [row] = outbox_rows(runtime)
    assert (row.kind, row.status, row.attempts) == ("notification", "pending", 1), \
        f"a failed mail must wait in the outbox for a retry: {row.status} {row.attempts}"
    assert row.last_error == "test gateway refused the message"
    sender.failing = False
    clock.advance(seconds=12)
    assert worker.run_once().delivered.delivered == 1
    [mail] = sender.wait_for(1)
    assert mail.to == EMAIL and "/t/acme/reset?token=" in mail.text, mail


def test_the_sweep_uses_the_tenants_own_idle_limit(http, runtime, receiver, worker, clock,
                                                   signed_in):
    sid, sub = signed_in
    with runtime.database.session() as session:
        session.query(Tenant).filter_by(slug="acme").one().session_idle_ttl = 300
    clock.advance(seconds=299)
    assert worker.run_once().sessions_expired == 0, "within the tenant's 5 minutes"
    clock.advance(seconds=2)
    assert worker.run_once().sessions_expired == 1, "past the tenant's 5 minutes"
    assert_logout_token(http, receiver.accepted()[0], clock(), sid=sid, sub=sub)


def test_a_malformed_message_is_retried_and_does_not_stop_the_batch(
        http, runtime, receiver, worker, clock, signed_in):
    sid, sub = signed_in
    with runtime.database.unit_of_work() as uow:
        uow.outbox().enqueue(tenant_id(runtime), "backchannel_logout", b"\xff not json",
                             clock())
    end_directly(runtime, EndReason.ADMIN, sid)
    done = worker.run_once().delivered
    assert (done.delivered, done.retried) == (1, 1), f"the good one still goes: {done}"
    bad = outbox_rows(runtime)[0]
    assert (bad.status, bad.last_error) == ("pending", "internal error: UnicodeDecodeError"), \
        f"{bad.status} {bad.last_error}"
    assert_logout_token(http, receiver.accepted()[0], clock(), sid=sid, sub=sub)


def test_a_worker_without_the_mail_sender_leaves_the_mail_for_one_that_has_it(
        runtime, world, clock, settings, database, sender):
    tid = tenant_id(runtime)
    notifier = Notifier(runtime.database, runtime.senders,
                        enqueue=notification_enqueuer(runtime.master_key, runtime.clock))
    with runtime.database.unit_of_work() as uow:
        notifier.queue(uow, tid, Channel.EMAIL, OutgoingMessage(
            to=EMAIL, text="hello", purpose="test"))
    bare = outbox_worker(make_runtime(settings, database, clock, senders=Senders()))
    assert bare.run_once().delivered.retried == 1, "no sender is no delivery"
    assert outbox_rows(runtime)[0].last_error == "this worker has no email sender"
    clock.advance(seconds=12)
    assert outbox_worker(runtime).run_once().delivered.delivered == 1
    assert [m.text for m in sender.wait_for(1)] == ["hello"]
