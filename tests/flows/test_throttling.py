"""Throttling of secret checks (SECURITY.md): sign-in per identifier,
client secrets per client_id. Blocks are temporary and never reveal whether an account
or client exists."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from flask.testing import FlaskClient

from authserver.runtime import Runtime
from authserver.services.throttle import CLIENT_SECRET, LOGIN_IDENTIFIER, Throttle
from tests.conftest import Clock
from tests.support.oauth import (
    ISSUER_PATH,
    PASSWORD,
    REDIRECT,
    Pkce,
    World,
    authorize_params,
    basic,
    build_world,
    sign_in,
)


@pytest.fixture
def world(runtime: Runtime) -> World:
    return build_world(runtime, first_party=True)


def login_page(http: FlaskClient) -> str:
    response = http.get(f"{ISSUER_PATH}/authorize?{urlencode(authorize_params(pkce=Pkce()))}")
    return str(response.headers["Location"])


def attempt(http: FlaskClient, location: str, identifier: str, password: str):  # type: ignore[no-untyped-def]
    return sign_in(http, location, identifier=identifier, password=password)


def test_an_identifier_is_blocked_after_repeated_failures_then_released(
    world: World, http: FlaskClient, clock: Clock
) -> None:
    location = login_page(http)
    for _ in range(LOGIN_IDENTIFIER.limit):
        assert attempt(http, location, "ann@example.com", "wrong").status_code == 401
    blocked = attempt(http, location, "ann@example.com", PASSWORD)
    assert blocked.status_code == 429, "the right password must not get through while blocked"
    assert "Too many attempts" in blocked.get_data(as_text=True)
    clock.advance(seconds=LOGIN_IDENTIFIER.block.total_seconds() + 1)
    done = attempt(http, location, "ann@example.com", PASSWORD)
    assert done.status_code in (302, 303), "after the block the right password works"
    assert done.headers["Location"].startswith(REDIRECT)


def test_unknown_and_known_identifiers_are_throttled_alike(
    world: World, http: FlaskClient
) -> None:
    location = login_page(http)
    answers = {}
    for identifier in ("ann@example.com", "nobody@example.com"):
        for _ in range(LOGIN_IDENTIFIER.limit):
            attempt(http, location, identifier, "wrong")
        response = attempt(http, location, identifier, "wrong")
        body = response.get_data(as_text=True).replace(identifier, "<id>")
        answers[identifier] = (response.status_code, body.split('name="csrf_token"')[0])
    assert answers["ann@example.com"] == answers["nobody@example.com"], \
        "a blocked unknown identifier must look exactly like a blocked real account"


def test_a_successful_sign_in_resets_the_identifier_count(
    world: World, http: FlaskClient
) -> None:
    location = login_page(http)
    for _ in range(LOGIN_IDENTIFIER.limit - 1):
        attempt(http, location, "ann@example.com", "wrong")
    assert attempt(http, location, "ann@example.com", PASSWORD).status_code in (302, 303)
    browser = http.application.test_client()  # a second browser, not signed in
    location = login_page(browser)
    for _ in range(LOGIN_IDENTIFIER.limit - 1):
        assert attempt(browser, location, "ann@example.com", "wrong").status_code == 401, \
            "failures before the successful sign-in must have been forgotten"


def test_client_secret_guessing_is_throttled_per_client(
    world: World, http: FlaskClient, clock: Clock
) -> None:
    body = {"grant_type": "client_credentials"}
    for _ in range(CLIENT_SECRET.limit):
        wrong = http.post(f"{ISSUER_PATH}/token", data=body, headers=basic("service", "guess"))
        assert wrong.status_code == 401
    right = http.post(f"{ISSUER_PATH}/token", data=body,
                      headers=basic("service", world.service_secret))
    assert right.status_code == 401, "the right secret must not get through while blocked"
    assert right.get_json() == {"error": "invalid_client",
                                "error_description": "Client authentication failed."}, \
        "a blocked client must get exactly the answer of a wrong secret"
    other = http.post(f"{ISSUER_PATH}/token", data=body, headers=basic("web", world.web_secret))
    assert other.status_code != 401, "other clients are not affected"
    clock.advance(seconds=CLIENT_SECRET.block.total_seconds() + 1)
    again = http.post(f"{ISSUER_PATH}/token", data=body,
                      headers=basic("service", world.service_secret))
    assert again.status_code == 200, "after the block the right secret works"


def test_blocks_are_shared_through_the_database(runtime: Runtime, clock: Clock) -> None:
    one = Throttle(runtime.database, clock)
    other = Throttle(runtime.database, clock)  # another worker or host
    for _ in range(CLIENT_SECRET.limit):
        one.failure(1, "client", "service", CLIENT_SECRET)
    assert other.retry_after(1, "client", "service") is not None
    assert other.retry_after(1, "client", "service", check_database=False) is not None, \
        "once seen, a block is remembered in memory for the hot path"
    assert other.retry_after(2, "client", "service") is None, "tenants are separate"
