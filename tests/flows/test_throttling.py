"""Sign-in throttling that nobody can turn into a lockout (SECURITY.md, availability;
docs/security.md "Throttling").

Failures count per (account, source address) and, with a higher limit, per account across
sources; a browser holding the account's known-device cookie is exempt from both. So a
stranger's failures block the stranger, never the owner. Blocks are temporary, say how
long in words and in ``Retry-After``, and never reveal whether an account exists.
"""

from __future__ import annotations

import dataclasses
import re
from urllib.parse import urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from authserver.runtime import Runtime
from authserver.services.throttle import LOGIN_ACCOUNT, LOGIN_DEVICE, LOGIN_PAIR, Throttle
from authserver.settings import Settings
from authserver.storage.database import Database
from authserver.storage.models import ThrottleBucket
from tests.conftest import Clock
from tests.support.oauth import (
    ISSUER_PATH,
    PASSWORD,
    REDIRECT,
    Pkce,
    World,
    authorize_params,
    build_world,
    sign_in,
)
from tests.support.runtimes import make_app, make_runtime

OWNER_ADDRESS = "198.51.100.7"
STRANGER_ADDRESS = "203.0.113.9"
DEVICE_COOKIE = "as-acme-device"
SESSION_COOKIE = "as-acme"


@pytest.fixture
def world(runtime: Runtime) -> World:
    return build_world(runtime, first_party=True)


def browser(app: Flask, address: str = "127.0.0.1") -> FlaskClient:
    """A new browser (no cookies) whose requests come from ``address``."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def login_page(http: FlaskClient) -> str:
    response = http.get(f"{ISSUER_PATH}/authorize?{urlencode(authorize_params(pkce=Pkce()))}")
    assert response.status_code in (302, 303), f"expected the login redirect: {response.status}"
    return str(response.headers["Location"])


def attempt(http: FlaskClient, identifier: str, password: str):  # type: ignore[no-untyped-def]
    return sign_in(http, login_page(http), identifier=identifier, password=password)


def signed_in(response) -> bool:  # type: ignore[no-untyped-def]
    return response.status_code in (302, 303) and response.headers["Location"].startswith(
        REDIRECT)


def fail(http: FlaskClient, times: int, identifier: str = "ann@example.com") -> list[int]:
    return [attempt(http, identifier, "wrong").status_code for _ in range(times)]


def known_browser(app: Flask, address: str) -> FlaskClient:
    """The owner's browser after one successful sign-in: it holds the known-device cookie,
    and its sign-in session is gone (signed out), so the next sign-in needs the password."""
    owner = browser(app, address)
    assert signed_in(attempt(owner, "ann@example.com", PASSWORD)), "first sign-in must work"
    assert owner.get_cookie(DEVICE_COOKIE) is not None, "sign-in must set the device cookie"
    owner.delete_cookie(SESSION_COOKIE)
    return owner


def page_text(response) -> str:  # type: ignore[no-untyped-def]
    """The page up to its per-browser parts (CSRF token), with the flow's id blanked."""
    html = response.get_data(as_text=True).split('name="csrf_token"')[0]
    return re.sub(r"/interaction/[^/]+/", "/interaction/<uid>/", html)


# --- the attacker's own address is blocked -------------------------------------------------


def test_an_address_is_blocked_after_repeated_failures_then_released(
    world: World, app: Flask, clock: Clock
) -> None:
    stranger = browser(app, STRANGER_ADDRESS)
    assert fail(stranger, LOGIN_PAIR.limit) == [401] * LOGIN_PAIR.limit
    blocked = attempt(stranger, "ann@example.com", PASSWORD)
    assert blocked.status_code == 429, "the blocked address's right password must not pass"
    assert "Too many attempts. Try again in 1 minute." in blocked.get_data(as_text=True)
    assert blocked.headers.get("Retry-After") == "60", "a 429 must say when to retry"
    clock.advance(seconds=LOGIN_PAIR.block.total_seconds() + 1)
    assert signed_in(attempt(stranger, "ann@example.com", PASSWORD)), \
        "after the block the right password works"


def test_a_blocked_address_gets_the_same_answer_for_the_right_and_the_wrong_password(
    world: World, app: Flask
) -> None:
    stranger = browser(app, STRANGER_ADDRESS)
    fail(stranger, LOGIN_PAIR.limit)
    right = attempt(stranger, "ann@example.com", PASSWORD)
    wrong = attempt(stranger, "ann@example.com", "wrong")
    assert (right.status_code, right.headers["Retry-After"], page_text(right)) == \
        (wrong.status_code, wrong.headers["Retry-After"], page_text(wrong)), \
        "while blocked the answer must not depend on the password (no oracle)"


def test_the_block_doubles_and_the_page_counts_minutes_in_words(
    world: World, app: Flask, clock: Clock
) -> None:
    stranger = browser(app, STRANGER_ADDRESS)
    fail(stranger, LOGIN_PAIR.limit)
    clock.advance(seconds=LOGIN_PAIR.block.total_seconds() + 1)
    assert fail(stranger, 1) == [401]
    blocked = attempt(stranger, "ann@example.com", "wrong")
    assert blocked.status_code == 429
    assert "Try again in 2 minutes." in blocked.get_data(as_text=True), \
        "the second block is twice as long, worded in plural"
    assert blocked.headers["Retry-After"] == "120"


def test_unknown_and_known_identifiers_are_throttled_alike(world: World, app: Flask) -> None:
    answers = {}
    for identifier in ("ann@example.com", "nobody@example.com"):
        stranger = browser(app, STRANGER_ADDRESS)
        statuses = fail(stranger, LOGIN_PAIR.limit + 1, identifier)
        response = attempt(stranger, identifier, "wrong")
        body = page_text(response).replace(identifier, "<id>")
        answers[identifier] = (statuses, response.status_code,
                               response.headers.get("Retry-After"), body)
    assert answers["ann@example.com"][1] == 429, "the real account must have been blocked"
    assert answers["ann@example.com"] == answers["nobody@example.com"], \
        "a blocked unknown identifier must look exactly like a blocked real account"


def test_a_successful_sign_in_resets_the_count_of_its_address(world: World, app: Flask) -> None:
    first = browser(app, STRANGER_ADDRESS)
    fail(first, LOGIN_PAIR.limit - 1)
    assert signed_in(attempt(first, "ann@example.com", PASSWORD))
    second = browser(app, STRANGER_ADDRESS)  # another browser, same address
    assert fail(second, LOGIN_PAIR.limit - 1) == [401] * (LOGIN_PAIR.limit - 1), \
        "failures before the successful sign-in must have been forgotten"


def test_one_account_has_one_bucket_whatever_identifier_is_typed(
    world: World, app: Flask
) -> None:
    stranger = browser(app, STRANGER_ADDRESS)
    fail(stranger, 3, "ann@example.com")
    fail(stranger, LOGIN_PAIR.limit - 3, "ann")
    for identifier in ("ann", "ANN@example.com"):
        assert attempt(stranger, identifier, PASSWORD).status_code == 429, \
            f"failures by email and user name must add up, whichever ({identifier}) is typed"


# --- nobody else's failures keep the owner out ---------------------------------------------


def test_a_strangers_failures_never_block_the_owner_at_another_address(
    world: World, app: Flask
) -> None:
    stranger = browser(app, STRANGER_ADDRESS)
    statuses = fail(stranger, 50)
    assert statuses.count(401) == LOGIN_PAIR.limit and 429 in statuses, \
        "the stranger's own address must be blocked"
    owner = browser(app, OWNER_ADDRESS)  # a new browser: no known-device cookie
    assert signed_in(attempt(owner, "ann@example.com", PASSWORD)), \
        "the owner at another address must sign in although a stranger failed 50 times"


def test_the_owner_signs_in_from_a_known_browser_during_a_distributed_attack(
    world: World, app: Flask
) -> None:
    owner = known_browser(app, OWNER_ADDRESS)
    statuses = []
    for n in range(10):  # 50 attempts, 5 from each of 10 addresses
        statuses += fail(browser(app, f"203.0.113.{n + 10}"), LOGIN_PAIR.limit)
    assert statuses.count(401) == LOGIN_ACCOUNT.limit and statuses[-1] == 429, \
        "past the account-wide limit, attempts from unknown browsers must be refused"
    newcomer = browser(app, "192.0.2.44")
    assert attempt(newcomer, "ann@example.com", PASSWORD).status_code == 429, \
        "guessing spread over many addresses must block the account for unknown browsers"
    assert signed_in(attempt(owner, "ann@example.com", PASSWORD)), \
        "the owner's known browser must be exempt from the account-wide block"


def test_a_known_browser_is_not_blocked_by_failures_from_its_own_address(
    world: World, app: Flask
) -> None:
    # Behind NAT, or a proxy whose hops are not configured, everyone shares one address.
    owner = known_browser(app, "10.0.0.1")
    stranger = browser(app, "10.0.0.1")
    assert 429 in fail(stranger, LOGIN_PAIR.limit + 3)
    assert signed_in(attempt(owner, "ann@example.com", PASSWORD)), \
        "the known browser must not share the stranger's block"


def test_the_device_cookie_is_httponly_strict_and_lasts_90_days(
    world: World, app: Flask
) -> None:
    owner = browser(app, OWNER_ADDRESS)
    response = attempt(owner, "ann@example.com", PASSWORD)
    cookie = next(c for c in response.headers.getlist("Set-Cookie")
                  if c.startswith(DEVICE_COOKIE + "="))
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "path", "max-age"} <= attributes, cookie
    assert "Max-Age=7776000" in cookie and "SameSite=Strict" in cookie, cookie
    other = browser(app, OWNER_ADDRESS)
    attempt(other, "ann@example.com", PASSWORD)
    device = owner.get_cookie(DEVICE_COOKIE)
    other_device = other.get_cookie(DEVICE_COOKIE)
    assert device is not None and other_device is not None
    assert device.value.split(".")[4] != other_device.value.split(".")[4], \
        "every browser must get its own random device id"


def test_a_device_cookie_of_another_account_exempts_nothing(
    world: World, app: Flask, runtime: Runtime
) -> None:
    owner = known_browser(app, "10.0.0.1")
    fail(browser(app, "10.0.0.1"), LOGIN_PAIR.limit, "bob@example.com")
    assert attempt(owner, "bob@example.com", "wrong").status_code == 429, \
        "Ann's device cookie must not lift the block on another identifier"


def test_a_known_browser_has_its_own_limit(world: World, app: Flask) -> None:
    owner = known_browser(app, OWNER_ADDRESS)
    assert fail(owner, LOGIN_DEVICE.limit) == [401] * LOGIN_DEVICE.limit
    assert attempt(owner, "ann@example.com", PASSWORD).status_code == 429, \
        "a stolen device cookie must not give unlimited guesses"


# --- source addresses, storage and housekeeping ---------------------------------------------


def test_x_forwarded_for_is_ignored_without_trusted_proxies(world: World, app: Flask) -> None:
    stranger = browser(app, STRANGER_ADDRESS)
    for n in range(LOGIN_PAIR.limit):
        stranger.environ_base["HTTP_X_FORWARDED_FOR"] = f"192.0.2.{n}"
        attempt(stranger, "ann@example.com", "wrong")
    stranger.environ_base["HTTP_X_FORWARDED_FOR"] = "192.0.2.200"
    assert attempt(stranger, "ann@example.com", PASSWORD).status_code == 429, \
        "a client-written X-Forwarded-For must not give a fresh address"


def test_with_one_trusted_proxy_the_forwarded_address_is_the_source(
    world: World, settings: Settings, database: Database, clock: Clock
) -> None:
    app = make_app(make_runtime(dataclasses.replace(settings, trusted_proxies=1), database,
                                clock))
    stranger = browser(app, "10.0.0.1")  # the proxy
    stranger.environ_base["HTTP_X_FORWARDED_FOR"] = f"1.2.3.4, {STRANGER_ADDRESS}"
    assert 429 in fail(stranger, LOGIN_PAIR.limit + 1)
    owner = browser(app, "10.0.0.1")  # same proxy, another client behind it
    owner.environ_base["HTTP_X_FORWARDED_FOR"] = STRANGER_ADDRESS.replace(".9", ".10")
    assert signed_in(attempt(owner, "ann@example.com", PASSWORD)), \
        "behind a trusted proxy each client must be counted by its own address"


def test_the_account_wide_limit_needs_more_than_one_address(world: World, app: Flask,
                                                            clock: Clock) -> None:
    stranger = browser(app, STRANGER_ADDRESS)
    for _ in range(8):  # a patient guesser from one address, retrying after every block
        fail(stranger, LOGIN_PAIR.limit)
        clock.advance(minutes=2)
    assert signed_in(attempt(browser(app, OWNER_ADDRESS), "ann@example.com", PASSWORD)), \
        f"one address alone must stay under the account-wide limit ({LOGIN_ACCOUNT.limit})"


def test_blocks_are_shared_through_the_database(runtime: Runtime, clock: Clock) -> None:
    one = Throttle(runtime.database, clock)
    other = Throttle(runtime.database, clock)  # another worker or host
    for _ in range(LOGIN_PAIR.limit):
        one.failure(1, "login-pair", "user:1|192.0.2.1", LOGIN_PAIR)
    assert other.retry_after(1, "login-pair", "user:1|192.0.2.1") is not None
    assert other.retry_after(2, "login-pair", "user:1|192.0.2.1") is None, \
        "tenants are separate"


def test_db_purge_removes_sign_in_buckets_once_their_window_and_block_are_over(
    world: World, app: Flask, runtime: Runtime, clock: Clock
) -> None:
    fail(browser(app, STRANGER_ADDRESS), LOGIN_PAIR.limit)
    with runtime.database.session() as session:
        assert session.scalar(select(func.count()).select_from(ThrottleBucket)) == 3, \
            "one bucket for the (account, address) pair, one for the account, one for the " \
            "address"
    assert runtime.throttle.purge(clock.advance(seconds=30)) == 0, "live buckets stay"
    assert runtime.throttle.purge(clock.advance(hours=2)) == 3

