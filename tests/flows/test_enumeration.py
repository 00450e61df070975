"""Enumeration resistance (issue 10 "Done when", SECURITY.md "Sign-in"): for an account
that exists — enabled, disabled, or still awaiting email verification — and for one that
does not, every public page that takes an address or number gives the same status, body,
cookies and headers, takes time from the same distribution, and is throttled alike.

Each endpoint is driven through the real WSGI app against the real database with the
real argon2 parameters. Every request is a fresh browser from its own address asking
about its own account, so no throttle interferes with the comparison; the throttle is
compared on its own at the end. The statistics (tests/support/enumeration.py,
docs/security.md "Enumeration resistance"): requests of all kinds interleaved in one
seeded random order, compared with a two-sided Mann-Whitney U test at alpha 1e-4 and a
bound on the difference in medians (10%); the last two tests check that rule itself.

The mail and SMS senders are :class:`GatewaySender`: they take 20 ms, like a real
gateway, so a page that sends before it answers is caught.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from authserver.runtime import admin_context
from authserver.services import deferred, tenant_admin
from authserver.services.account_policy import AccountPolicyChange
from authserver.services.accounts import NewUser, create_user
from authserver.services.senders import Channel, Senders
from authserver.storage.repositories import AuditRepository, UserRepository
from tests.support.browser_flow import html_of, page_after, tenant_id
from tests.support.enumeration import (
    SAMPLES,
    WARM_UP,
    GatewaySender,
    Observed,
    Prepare,
    Prepared,
    assert_no_timing_leak,
    assert_same,
    assert_same_answers,
    compare,
    mann_whitney_p,
    observed,
    sample_timings,
)
from tests.support.oauth import (
    PASSWORD,
    Pkce,
    authorize_params,
    build_world,
    csrf_of,
    password_hash,
)
from tests.support.runtimes import make_runtime
from tests.support.sign_in_policy import set_sign_in_policy

WRONG = "not the password at all 17"
NEW_PASSWORD = "a long and unusual passphrase 42"
POOL = SAMPLES + WARM_UP
# One letter per kind of account, so every address has the same length.
KINDS = {"known": "k", "disabled": "d", "unverified": "v", "unknown": "u"}
REPORT: list[str] = []  # the measured medians and p-values, printed at the end (-s)


def email(kind: str, i: int) -> str:
    return f"{KINDS[kind]}{i:03d}-person@example.com"


def phone(kind: str, i: int) -> str:
    return f"+1555{list(KINDS).index(kind) + 1}{i:06d}"


@pytest.fixture
def gateway() -> GatewaySender:
    return GatewaySender()


@pytest.fixture
def runtime(settings, database, clock, gateway):
    return make_runtime(settings, database, clock,
                        senders=Senders({Channel.EMAIL: gateway, Channel.SMS: gateway}))


@pytest.fixture
def world(runtime):
    built = build_world(runtime)
    tenant_admin.update_tenant(admin_context(runtime, "test"), "acme", None, None, None,
                               accounts=AccountPolicyChange(signup=True))
    set_sign_in_policy(runtime, phone_sign_in=True, magic_links=True)
    _accounts(runtime)
    return built


def _accounts(runtime) -> None:
    """POOL accounts of each existing kind, each with a verified phone (the unverified
    kind's phone is unverified too), all with PASSWORD."""
    hashed = password_hash(PASSWORD, runtime.passwords)
    with runtime.database.session() as session:
        tid = tenant_id(runtime)
        users, audit = UserRepository(session, tid), AuditRepository(session, tid)
        for kind, i in itertools.product(("known", "disabled", "unverified"), range(POOL)):
            user = create_user(users, audit, NewUser(
                email=email(kind, i), password=None, email_verified=kind != "unverified"),
                "test", runtime.clock(), runtime.passwords)
            user.password_hash, user.password_changed_at = hashed, runtime.clock()
            user.disabled = kind == "disabled"
            user.verification_required = kind == "unverified"
            user.phone, user.phone_verified = phone(kind, i), kind != "unverified"


_addresses = itertools.count(1)


def browser(app: Flask) -> FlaskClient:
    """A fresh browser from an address no other request used."""
    n = next(_addresses)
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"
    return client


def login_page(http: FlaskClient) -> tuple[str, str]:
    location, html = page_after(http, http.get("/t/acme/authorize",
                                               query_string=authorize_params(pkce=Pkce())))
    return urlsplit(location).path, html


def each(kinds: tuple[str, ...], prepare: Callable[[str, int], Prepared]
         ) -> dict[str, Prepare]:
    return {kind: (lambda i, kind=kind: prepare(kind, i)) for kind in kinds}


def check(kinds: dict[str, Prepare], what: str, status: int, says: str) -> None:
    """The same answer for all, the one expected (so the requests really reached the
    check: a CSRF failure for all would be "the same" too), and the same time."""
    samples = sample_timings(kinds)
    assert_same_answers(samples, what)
    answer = next(iter(samples.answers["unknown"]))
    assert answer.status == status and says in answer.body, (
        f"{what}: expected {status} saying {says!r}, got {answer.status}: "
        f"{answer.body[:500]}")
    assert_no_timing_leak(samples.timings, "unknown", what, REPORT)


@pytest.fixture(scope="module", autouse=True)
def _print_report() -> Iterator[None]:
    yield
    print("\nEnumeration timing (tests/flows/test_enumeration.py):")
    print("\n".join(REPORT))


# --- sign-in ------------------------------------------------------------------------------


def test_password_sign_in_answers_alike_for_every_kind_of_account(app, world):
    """A wrong password for an existing account, the right password of a disabled one,
    any password for an unknown one: one "not correct" page, one argon2 check each."""
    def prepare(kind: str, i: int) -> Prepared:
        http = browser(app)
        path, html = login_page(http)
        typed = email(kind, i)
        password = PASSWORD if kind == "disabled" else WRONG
        return Prepared(lambda: http.post(f"{path}/login", data={
            "csrf_token": csrf_of(html), "identifier": typed, "password": password}),
            typed=(typed,))

    check(each(("known", "disabled", "unverified", "unknown"), prepare), "password sign-in",
          401, "The email address or password is not correct.")


# --- passwordless requests on the login page --------------------------------------------


def test_asking_for_a_magic_link_answers_alike_for_every_kind_of_account(app, world, gateway):
    def prepare(kind: str, i: int) -> Prepared:
        http = browser(app)
        path, html = login_page(http)
        typed = email(kind, i)
        return Prepared(lambda: http.post(f"{path}/magic-link", data={
            "csrf_token": csrf_of(html), "identifier": typed}), typed=(typed,))

    check(each(("known", "disabled", "unknown"), prepare), "magic-link request", 200,
          "Check your inbox")
    # Sent to every known account that asked (warm-up included), and to nobody else.
    sent = gateway.wait_for(POOL)
    assert {m.to for m in sent} == {email("known", i) for i in range(POOL)}, \
        "every known account, and only those, must get a link"


def test_asking_for_an_sms_code_by_number_answers_alike_for_every_kind_of_number(
        app, world, gateway):
    def prepare(kind: str, i: int) -> Prepared:
        http = browser(app)
        path, html = login_page(http)
        typed = phone(kind, i)
        return Prepared(lambda: http.post(f"{path}/phone", data={
            "csrf_token": csrf_of(html), "identifier": typed}), typed=(typed,))

    check(each(("known", "disabled", "unverified", "unknown"), prepare),
          "SMS code request by phone number", 200,
          "If this number belongs to an account, we sent it a code")
    sent = gateway.wait_for(POOL)
    assert {m.to for m in sent} == {phone("known", i) for i in range(POOL)}, \
        "only enabled accounts' verified numbers may get a code"


# --- sign-up ------------------------------------------------------------------------------


def test_the_sign_up_page_answers_alike_whether_or_not_the_address_has_an_account(
        app, world, gateway):
    def prepare(kind: str, i: int) -> Prepared:
        http = browser(app)
        html = html_of(http.get("/t/acme/signup"))
        typed = email(kind, i)  # a new address each time: it is known once used
        return Prepared(lambda: http.post("/t/acme/signup", data={
            "csrf_token": csrf_of(html), "email": typed, "password": NEW_PASSWORD}),
            typed=(typed,))

    # A disabled account's address takes the known one's branch (a notice); its answer
    # is compared in test_sign_up_requests_are_limited_alike_…, its time is not, to keep
    # the module under a minute (each sign-up costs an argon2 hash, a new one two).
    check(each(("known", "unverified", "unknown"), prepare), "sign-up page", 200,
          "Check your inbox")
    gateway.wait_for(3 * POOL)  # every address got one mail (link or notice)


def test_the_sign_up_api_answers_alike_whether_or_not_the_address_has_an_account(
        app, world, gateway):
    def prepare(kind: str, i: int) -> Prepared:
        http = browser(app)
        typed = email(kind, i)  # a new address each time: it is known once used
        return Prepared(lambda: http.post("/t/acme/api/v1/signup", json={
            "email": typed, "password": NEW_PASSWORD}), typed=(typed,))

    check(each(("known", "unverified", "unknown"), prepare), "sign-up API", 202,
          '"status":"verification_sent"')
    gateway.wait_for(3 * POOL)


# --- password reset -----------------------------------------------------------------------


def test_asking_for_a_password_reset_answers_alike_for_every_kind_of_account(
        app, world, gateway):
    def prepare(kind: str, i: int) -> Prepared:
        http = browser(app)
        html = html_of(http.get("/t/acme/reset"))
        typed = email(kind, i)
        return Prepared(lambda: http.post("/t/acme/reset", data={
            "csrf_token": csrf_of(html), "email": typed}), typed=(typed,))

    check(each(("known", "disabled", "unverified", "unknown"), prepare),
          "password reset request", 200, "Check your inbox")
    sent = gateway.wait_for(2 * POOL)
    assert {m.to for m in sent} == ({email("known", i) for i in range(POOL)}
                                    | {email("unverified", i) for i in range(POOL)}), \
        "enabled accounts, verified or not, get a link; nobody else"


# --- the throttle is no oracle ------------------------------------------------------------


def repeated(app: Flask, kind: str, times: int,
             send: Callable[[FlaskClient, str], TestResponse]) -> list[Observed]:
    """``times`` requests about one account of ``kind`` from one browser and address."""
    http, typed = browser(app), (phone if send is _phone_request else email)(kind, 0)
    return [observed(send(http, typed), (typed,)) for _ in range(times)]


def assert_throttled_alike(app: Flask, what: str, times: int,
                           send: Callable[[FlaskClient, str], TestResponse],
                           kinds: tuple[str, ...] = ("known", "unknown")) -> list[Observed]:
    answers = {kind: repeated(app, kind, times, send) for kind in kinds}
    for n in range(times):
        assert_same({kind: seen[n] for kind, seen in answers.items()},
                    f"{what}, request {n + 1} of {times} from one address")
    return answers[kinds[0]]


def _sign_in_page(http: FlaskClient) -> tuple[str, str]:
    # One sign-in attempt per browser, reused: the throttle, not the attempt, is counted.
    page: tuple[str, str] | None = getattr(http, "enumeration_page", None)
    if page is None:
        page = login_page(http)
        http.enumeration_page = page  # type: ignore[attr-defined]
    return page


def _login_request(http: FlaskClient, typed: str) -> TestResponse:
    path, html = _sign_in_page(http)
    return http.post(f"{path}/login", data={"csrf_token": csrf_of(html), "identifier": typed,
                                            "password": WRONG})


def _phone_request(http: FlaskClient, typed: str) -> TestResponse:
    path, html = _sign_in_page(http)
    return http.post(f"{path}/phone", data={"csrf_token": csrf_of(html), "identifier": typed})


def _magic_request(http: FlaskClient, typed: str) -> TestResponse:
    path, html = _sign_in_page(http)
    return http.post(f"{path}/magic-link", data={"csrf_token": csrf_of(html),
                                                 "identifier": typed})


def _reset_request(http: FlaskClient, typed: str) -> TestResponse:
    html = html_of(http.get("/t/acme/reset"))
    return http.post("/t/acme/reset", data={"csrf_token": csrf_of(html), "email": typed})


def _signup_request(http: FlaskClient, typed: str) -> TestResponse:
    return http.post("/t/acme/api/v1/signup", json={"email": typed, "password": NEW_PASSWORD})


def test_failed_sign_ins_are_throttled_alike_for_known_unknown_and_disabled_accounts(
        app, world):
    answers = assert_throttled_alike(app, "password sign-in", 7, _login_request,
                                     ("known", "disabled", "unverified", "unknown"))
    statuses = [a.status for a in answers]
    assert statuses == [401] * 5 + [429] * 2, \
        f"five wrong passwords from one address, then a wait, for everyone: {statuses}"
    assert ("retry-after", "60") in answers[-1].headers, answers[-1].headers


def test_reset_requests_are_limited_alike_for_known_and_unknown_addresses(
        app, world, gateway):
    # Past the per-address limit (3) and the per-source one (10): the page never changes.
    assert_throttled_alike(app, "password reset request", 12, _reset_request)
    deferred.wait_idle()
    assert len(gateway.wait_for(3)) == 3, "three links a quarter hour for one address"


def test_magic_link_requests_are_limited_alike_for_known_and_unknown_addresses(
        app, world, gateway):
    assert_throttled_alike(app, "magic-link request", 4, _magic_request,
                           ("known", "disabled", "unknown"))
    deferred.wait_idle()
    assert len(gateway.wait_for(1)) == 1, "one link per 30 seconds for one address"


def test_phone_code_requests_are_limited_alike_for_known_and_unknown_numbers(
        app, world, gateway):
    assert_throttled_alike(app, "SMS code request by phone number", 4, _phone_request,
                           ("known", "disabled", "unverified", "unknown"))
    deferred.wait_idle()
    assert len(gateway.wait_for(1)) == 1, "one code per 30 seconds for one number"


def test_sign_up_requests_are_limited_alike_for_new_and_existing_addresses(
        app, world, gateway):
    # Past the per-address limit (3) and the per-source one (10).
    answers = assert_throttled_alike(app, "sign-up API", 12, _signup_request,
                                     ("known", "disabled", "unverified", "unknown"))
    assert {a.status for a in answers} == {202}, answers[0]
    # Three mails per address: the new one's link and two fresh links (the account it
    # created is unverified), the existing ones' notices or fresh links.
    assert len(gateway.wait_for(12)) == 12


# --- the method itself --------------------------------------------------------------------


def test_the_rank_test_gives_the_textbook_p_value() -> None:
    # Two fully separated samples of five: U = 0, z = 2.5067 with the continuity
    # correction, two-sided p = 0.01219 (any statistics package, asymptotic method).
    assert abs(mann_whitney_p([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]) - 0.012186) < 1e-5
    assert mann_whitney_p([3.0] * 30, [3.0] * 30) == 1.0, "all ties: no evidence"
    assert mann_whitney_p([1, 2, 3], [1, 2, 3]) > 0.99


def _noisy(rng: random.Random, n: int, shift: float = 0.0) -> list[float]:
    """Request times as noisy as this machine's: 5 ms median, a spread of about 30%, and
    one in twenty delayed by another process by about 10 ms."""
    return [0.005 * rng.lognormvariate(0, 0.3) + shift
            + (rng.expovariate(100) if rng.random() < 0.05 else 0.0) for _ in range(n)]


def test_the_rule_stays_quiet_on_noise_and_catches_a_real_difference() -> None:
    rng = random.Random(7)
    false_alarms = sum(compare({"a": _noisy(rng, SAMPLES), "b": _noisy(rng, SAMPLES)},
                               "a", "b").leaks for _ in range(2000))
    assert false_alarms <= 2, f"{false_alarms} false alarms in 2000 comparisons of noise"
    caught = sum(compare({"a": _noisy(rng, SAMPLES, 0.002), "b": _noisy(rng, SAMPLES)},
                         "a", "b").leaks for _ in range(200))
    assert caught >= 196, f"a 2 ms (40%) difference was caught only {caught} times in 200"
