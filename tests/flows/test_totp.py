"""Authenticator apps over HTTP (RFC 6238; docs/sign-in/totp-and-recovery-codes.md):
set up on the account page from the key it shows, then sign in with password + code;
each code once, ±1 step, throttled, sealed at rest, never logged; forced enrolment."""

from __future__ import annotations

import base64
import logging

import pytest
from flask import Flask
from flask.testing import FlaskClient

from authserver.runtime import Runtime
from authserver.storage.models import AuditEvent, TotpCredential
from tests.conftest import Clock
from tests.support.browser_flow import authorize, html_of, page_after, session_cookie
from tests.support.factors import (
    ACCOUNT,
    account_page,
    account_post,
    app_code,
    enrol_on_account_page,
    post_factor,
    shown_secret,
    to_factor_page,
    tokens_after,
)
from tests.support.oauth import (
    PASSWORD,
    Pkce,
    World,
    authorize_params,
    build_world,
    csrf_of,
    sign_in,
)
from tests.support.sign_in_policy import set_sign_in_policy

REPLAYED = "That code has already been used. Wait for your app to show the next one."
WRONG = "That code is not correct. Type the code your app shows now."


@pytest.fixture
def world(runtime: Runtime) -> World:
    built = build_world(runtime)
    # Second factors are set up on the account page only where the tenant asks for them.
    set_sign_in_policy(runtime, mfa="optional")
    return built


@pytest.fixture
def seed(world: World, app: Flask, runtime: Runtime, clock: Clock) -> str:
    """Ann set up an app on her account page (in a browser of her own); the tenant then
    asks a second factor of everyone who has one."""
    found = enrol_on_account_page(app.test_client(), clock)
    set_sign_in_policy(runtime, mfa="optional")
    return found


def test_set_up_on_the_account_page_then_password_and_code_give_pwd_otp_mfa_and_acr_2(
        http: FlaskClient, seed: str, world: World, clock: Clock) -> None:
    pkce = Pkce()
    location, html = to_factor_page(http, pkce)
    assert session_cookie(http) is None, "no session before the second factor"
    assert "Code from your authenticator app" in html
    done = post_factor(http, location, html, "totp", app_code(seed, clock()))
    assert done.status_code == 303, f"the right code completes sign-in: {done.status_code}"
    id_claims, access_claims = tokens_after(http, done, pkce, world)
    for name, claims in (("ID token", id_claims), ("access token", access_claims)):
        assert (claims["amr"], claims["acr"]) == (["pwd", "otp", "mfa"], "2"), \
            f"{name}: {claims}"


def test_the_same_code_twice_is_refused_the_second_time(
        app: Flask, http: FlaskClient, seed: str, clock: Clock) -> None:
    code = app_code(seed, clock())
    location, html = to_factor_page(http, Pkce())
    assert post_factor(http, location, html, "totp", code).status_code == 303
    other = app.test_client()  # someone who watched the code being typed
    location, html = to_factor_page(other, Pkce())
    replay = post_factor(other, location, html, "totp", code)
    assert replay.status_code == 401, f"a replayed code is refused, got {replay.status_code}"
    assert REPLAYED in html_of(replay)
    assert session_cookie(other) is None


@pytest.mark.parametrize(("steps", "status"), [(-2, 401), (-1, 303), (1, 303), (2, 401)])
def test_a_code_one_step_away_is_accepted_and_two_steps_away_refused(
        http: FlaskClient, seed: str, clock: Clock, steps: int, status: int) -> None:
    clock.advance(seconds=90)  # the confirming code's step is well behind
    location, html = to_factor_page(http, Pkce())
    answer = post_factor(http, location, html, "totp", app_code(seed, clock(), steps))
    assert answer.status_code == status, f"a code {steps:+d} steps away: {answer.status_code}"
    if status == 401:
        assert WRONG in html_of(answer)


def test_wrong_codes_are_throttled_after_five_with_retry_after(
        http: FlaskClient, seed: str, clock: Clock) -> None:
    wrong = "000000" if app_code(seed, clock()) != "000000" else "111111"
    location, html = to_factor_page(http, Pkce())
    for n in range(5):
        answer = post_factor(http, location, html, "totp", wrong)
        assert answer.status_code == 401, f"attempt {n + 1}: {answer.status_code}"
    blocked = post_factor(http, location, html, "totp", app_code(seed, clock()))
    assert blocked.status_code == 429, "past five failures even the right code waits"
    assert blocked.headers["Retry-After"] == "300"
    assert "Too many attempts. Try again in 5 minutes." in html_of(blocked)
    clock.advance(minutes=5)
    assert post_factor(http, location, html, "totp", app_code(seed, clock())).status_code \
        == 303, "the block ends"


def test_the_seed_is_sealed_in_the_database(runtime: Runtime, seed: str) -> None:
    with runtime.database.session() as session:
        stored = session.query(TotpCredential).one().secret_sealed
    assert seed.encode() not in stored and base64.b32decode(seed) not in stored


def test_no_seed_or_code_reaches_the_logs(
        app: Flask, http: FlaskClient, world: World, runtime: Runtime, clock: Clock,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    seed = enrol_on_account_page(app.test_client(), clock)
    set_sign_in_policy(runtime, mfa="optional")
    code = app_code(seed, clock())
    location, html = to_factor_page(http, Pkce())
    post_factor(http, location, html, "totp", "123456")
    post_factor(http, location, html, "totp", code)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for name, value in (("seed", seed), ("code", code), ("password", PASSWORD)):
        assert value not in logged, f"the {name} appeared in a log line"
    with runtime.database.session() as session:
        audited = repr([(e.action, e.details) for e in session.query(AuditEvent)])
    assert seed not in audited and code not in audited


def test_removing_the_app_on_the_account_page_ends_the_second_step(
        app: Flask, http: FlaskClient, seed: str, world: World, clock: Clock) -> None:
    ann = app.test_client()
    start = ann.get(ACCOUNT)
    after_password = sign_in(ann, start.headers["Location"])
    factor_url = after_password.headers["Location"]
    html = html_of(ann.get(factor_url))
    assert "Code from your authenticator app" in html, \
        "the account page's own sign-in asks for the code too"
    back = post_factor(ann, factor_url, html, "totp", app_code(seed, clock()))
    assert back.status_code == 303 and back.headers["Location"].endswith(ACCOUNT)
    assert "Your authenticator app was removed." in html_of(account_post(ann, "totp/remove"))
    pkce = Pkce()
    location, _ = page_after(http, authorize(http, authorize_params(pkce=pkce)))
    id_claims, _ = tokens_after(http, sign_in(http, location), pkce, world)
    assert (id_claims["amr"], id_claims["acr"]) == (["pwd"], "1"), id_claims


def test_the_account_page_shows_the_app_as_set_up_and_removes_it(
        app: Flask, world: World, clock: Clock, runtime: Runtime) -> None:
    ann = app.test_client()
    enrol_on_account_page(ann, clock)
    html = account_page(ann)
    assert "An authenticator app is set up" in html and ">Remove</button>" in html
    removed = account_post(ann, "totp/remove")
    assert removed.status_code == 200 and "Your authenticator app was removed." in \
        html_of(removed)
    assert "No authenticator app is set up" in html_of(removed)
    with runtime.database.session() as session:
        assert session.query(TotpCredential).count() == 0
        actions = [e.action for e in session.query(AuditEvent).order_by(AuditEvent.id)
                   if e.action.startswith("totp.")]
    assert actions == ["totp.enrolment_started", "totp.enrolled", "totp.removed"]


def test_a_mistyped_confirmation_shows_the_same_key_again(
        app: Flask, world: World, clock: Clock) -> None:
    ann = app.test_client()
    begun = html_of(account_post(ann, "totp/begin"))
    seed = shown_secret(begun)
    wrong = "000000" if app_code(seed, clock()) != "000000" else "111111"
    again = ann.post(f"{ACCOUNT}/totp/confirm", data={"csrf_token": csrf_of(begun),
                                                       "code": wrong})
    assert again.status_code == 401 and WRONG in html_of(again)
    assert shown_secret(html_of(again)) == seed, "the same key, to try again"


def test_account_forms_need_the_csrf_token(app: Flask, world: World) -> None:
    ann = app.test_client()
    account_page(ann)
    for path in ("totp/begin", "totp/confirm", "totp/remove", "recovery-codes"):
        assert ann.post(f"{ACCOUNT}/{path}", data={}).status_code == 400, path


def test_required_mfa_makes_a_person_without_a_factor_set_one_up_and_sign_in(
        http: FlaskClient, world: World, runtime: Runtime, clock: Clock) -> None:
    set_sign_in_policy(runtime, mfa="required", methods="totp")
    pkce = Pkce()
    location, html = to_factor_page(http, pkce)
    assert "Set up a second sign-in step" in html and "Set up an authenticator app" in html
    enrol = f"{location}/enrol/totp"
    begun = http.post(enrol, data={"csrf_token": csrf_of(html), "action": "begin"})
    assert begun.status_code == 200 and "<svg" in html_of(begun)
    seed = shown_secret(html_of(begun))
    assert session_cookie(http) is None, "no session until the app is confirmed"
    done = http.post(enrol, data={"csrf_token": csrf_of(html), "action": "confirm",
                                  "code": app_code(seed, clock())})
    assert done.status_code == 303, f"confirming completes sign-in: {done.status_code}"
    id_claims, _ = tokens_after(http, done, pkce, world)
    assert (id_claims["amr"], id_claims["acr"]) == (["pwd", "otp", "mfa"], "2"), id_claims


def test_the_enrolment_route_cannot_replace_an_app_someone_already_has(
        http: FlaskClient, seed: str, runtime: Runtime) -> None:
    set_sign_in_policy(runtime, mfa="required", methods="totp")
    location, html = to_factor_page(http, Pkce())
    assert "Code from your authenticator app" in html, "asked for the code, not enrolment"
    refused = http.post(f"{location}/enrol/totp", data={"csrf_token": csrf_of(html),
                                                         "action": "begin"})
    assert refused.status_code == 400
    assert "An authenticator app cannot be set up here." in html_of(refused)
    with runtime.database.session() as session:
        row = session.query(TotpCredential).one()
        assert row.pending_secret_sealed is None, "no new seed was stored"


def test_the_enrolment_route_needs_a_password_first(http: FlaskClient, world: World,
                                                    runtime: Runtime) -> None:
    set_sign_in_policy(runtime, mfa="required", methods="totp")
    location, html = page_after(http, authorize(http, authorize_params(pkce=Pkce())))
    answer = http.post(f"{location}/enrol/totp", data={"csrf_token": csrf_of(html),
                                                        "action": "begin"})
    assert answer.status_code == 303 and answer.headers["Location"].endswith(location[-20:])
    with runtime.database.session() as session:
        assert session.query(TotpCredential).count() == 0


HOSTILE = ["", " ", "0" * 5000, "\uff11\uff12\uff13\uff14\uff15\uff16", "12345\u200b6",
           "<script>", "%ff", "-" * 40, "12 34 56 78", "None"]


def test_hostile_codes_on_the_sign_in_code_forms_are_plain_refusals(
        http: FlaskClient, seed: str) -> None:
    location, html = to_factor_page(http, Pkce())
    for code in HOSTILE:
        for method in ("totp", "recovery"):
            answer = http.post(f"{location}/factor/{method}",
                               data={"csrf_token": csrf_of(html), "code": code})
            assert answer.status_code in (400, 401, 429), (method, code, answer.status_code)
            assert "<script>" not in html_of(answer)


def test_hostile_codes_confirming_an_app_are_plain_refusals(app: Flask, world: World) -> None:
    ann = app.test_client()
    begun = html_of(account_post(ann, "totp/begin"))
    for code in HOSTILE:
        answer = ann.post(f"{ACCOUNT}/totp/confirm", data={"csrf_token": csrf_of(begun),
                                                            "code": code})
        assert answer.status_code in (401, 429), (code, answer.status_code)
