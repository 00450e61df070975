"""Client authentication that nobody can turn into a lockout (SECURITY.md, availability;
docs/security.md "Throttling").

Credentials are checked first and a correct one is always accepted, at the token,
revocation and introspection endpoints alike. Failures are counted per (client_id,
source address) for confidential clients that exist, per address alone for client_ids
that do not (bounded rows), and never for public clients. The answer to a failure is the
same for unknown and known clients.
"""

from __future__ import annotations

import logging

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from authserver.runtime import Runtime
from authserver.services.throttle import CLIENT_PAIR, CLIENT_UNKNOWN
from authserver.storage.models import ThrottleBucket
from tests.conftest import Clock
from tests.support.oauth import World, basic, build_world, exchange
from tests.support.tokens import INTROSPECT, REVOKE, TOKEN, describe, user_code

CLIENT_ADDRESS = "198.51.100.7"
STRANGER_ADDRESS = "203.0.113.9"
SPA = "https://spa.example/cb"
CC = {"grant_type": "client_credentials"}


@pytest.fixture
def world(runtime: Runtime) -> World:
    return build_world(runtime)


def from_address(app: Flask, address: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def bucket_count(runtime: Runtime) -> int:
    with runtime.database.session() as session:
        return int(session.scalar(select(func.count()).select_from(ThrottleBucket)) or 0)


def answer(response) -> tuple[int, list[tuple[str, str]], bytes]:  # type: ignore[no-untyped-def]
    # X-Request-ID is each request's own (docs/audit.md), whoever asked.
    headers = [h for h in response.headers.items() if h[0] != "X-Request-ID"]
    return response.status_code, sorted(headers), response.get_data()


FAILED = {"error": "invalid_client", "error_description": "Client authentication failed."}


# --- a correct credential is always accepted -----------------------------------------------


def test_a_strangers_failures_never_lock_out_the_real_client(world: World, app: Flask) -> None:
    stranger = from_address(app, STRANGER_ADDRESS)
    for _ in range(CLIENT_PAIR.limit + 20):
        wrong = stranger.post(TOKEN, data=CC, headers=basic("service", "guess"))
        assert (wrong.status_code, wrong.get_json()) == (401, FAILED)
    real = from_address(app, CLIENT_ADDRESS).post(
        TOKEN, data=CC, headers=basic("service", world.service_secret))
    assert real.status_code == 200, \
        f"the real client must not be locked out by a stranger: {describe(real)}"


def test_a_correct_secret_is_accepted_even_from_an_address_that_failed(
    world: World, app: Flask
) -> None:
    # Behind a proxy whose hops are not configured, every client shares one address.
    shared = from_address(app, "10.0.0.1")
    for _ in range(CLIENT_PAIR.limit + 20):
        shared.post(TOKEN, data=CC, headers=basic("service", "guess"))
    right = shared.post(TOKEN, data=CC, headers=basic("service", world.service_secret))
    assert right.status_code == 200, f"a correct secret must always pass: {describe(right)}"


def test_revocation_and_introspection_accept_the_real_client_after_a_flood(
    world: World, app: Flask
) -> None:
    stranger = from_address(app, STRANGER_ADDRESS)
    for _ in range(CLIENT_PAIR.limit + 5):
        for endpoint in (REVOKE, INTROSPECT):
            wrong = stranger.post(endpoint, data={"token": "x"}, headers=basic("web", "guess"))
            assert (wrong.status_code, wrong.get_json()) == (401, FAILED), endpoint
    real = from_address(app, CLIENT_ADDRESS)
    for endpoint in (REVOKE, INTROSPECT):
        ok = real.post(endpoint, data={"token": "x"}, headers=basic("web", world.web_secret))
        assert ok.status_code == 200, f"{endpoint} refused the real client: {describe(ok)}"


def test_a_public_clients_code_exchange_works_after_floods_of_failures_with_its_client_id(
    world: World, app: Flask, http: FlaskClient, runtime: Runtime
) -> None:
    stranger = from_address(app, STRANGER_ADDRESS)
    for _ in range(CLIENT_PAIR.limit + 10):
        stranger.post(TOKEN, data={**CC, "client_id": "spa"})
        stranger.post(TOKEN, data={**CC, "client_id": "spa", "client_secret": "guess"})
        stranger.post(TOKEN, data=CC, headers=basic("spa", "guess"))
        stranger.post(REVOKE, data={"token": "x", "client_id": "spa", "client_secret": "g"})
    assert bucket_count(runtime) == 0, "nothing may be counted for a public client"
    code, pkce, _ = user_code(http, world, "spa", redirect_uri=SPA)
    token = exchange(http, code, pkce, client_id="spa", redirect_uri=SPA)
    assert token.status_code == 200, \
        f"the SPA's users must still get tokens after the flood: {describe(token)}"


# --- what is counted, and where ------------------------------------------------------------


def test_unknown_client_ids_add_no_rows_however_many_are_tried(
    world: World, app: Flask, runtime: Runtime
) -> None:
    stranger = from_address(app, STRANGER_ADDRESS)
    for n in range(50):
        stranger.post(TOKEN, data=CC, headers=basic(f"made-up-{n}", "guess"))
        stranger.post(TOKEN, data={**CC, "client_id": f"other-{n}", "client_secret": "g"})
    assert bucket_count(runtime) == 1, \
        "made-up client_ids must be counted in one bucket per source address"


def test_unknown_and_known_clients_get_byte_identical_answers(world: World, app: Flask) -> None:
    stranger = from_address(app, STRANGER_ADDRESS)
    for _ in range(CLIENT_UNKNOWN.limit + 5):  # before, at and past every limit
        known = stranger.post(TOKEN, data=CC, headers=basic("service", "guess"))
        unknown = stranger.post(TOKEN, data=CC, headers=basic("nobody", "guess"))
        assert answer(known) == answer(unknown), \
            "a failure must not tell whether the client exists"
        for endpoint in (REVOKE, INTROSPECT):
            known = stranger.post(endpoint, data={"token": "x"}, headers=basic("web", "g"))
            unknown = stranger.post(endpoint, data={"token": "x"}, headers=basic("nope", "g"))
            assert answer(known) == answer(unknown), endpoint


def test_failures_are_counted_per_client_and_address_and_logged_past_the_limit(
    world: World, app: Flask, runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="authserver.services.throttle")
    for address in (STRANGER_ADDRESS, "192.0.2.1"):
        guesser = from_address(app, address)
        for _ in range(CLIENT_PAIR.limit):
            guesser.post(TOKEN, data=CC, headers=basic("service", "guess"))
    assert bucket_count(runtime) == 2, "one bucket per (client_id, address)"
    warnings = [r.getMessage() for r in caplog.records]
    assert f"client authentication: repeated failures for client service from " \
           f"{STRANGER_ADDRESS}" in warnings, warnings


def test_a_flood_past_the_limit_costs_no_further_writes(
    world: World, app: Flask, runtime: Runtime, clock: Clock
) -> None:
    stranger = from_address(app, STRANGER_ADDRESS)
    for _ in range(CLIENT_PAIR.limit + 30):
        stranger.post(TOKEN, data=CC, headers=basic("service", "guess"))
    with runtime.database.session() as session:
        failures = session.scalar(select(ThrottleBucket.failures))
    assert failures == CLIENT_PAIR.limit, \
        "failures during a block must be absorbed in memory, not written"
    assert runtime.throttle.purge(clock.advance(hours=2)) == 1, "db purge must remove it"


def test_the_source_address_of_an_ipv6_client_is_its_slash_64(
    world: World, app: Flask, runtime: Runtime
) -> None:
    for host in range(10):
        stranger = from_address(app, f"2001:db8:1:2::{host + 1:x}")
        stranger.post(TOKEN, data=CC, headers=basic(f"made-up-{host}", "guess"))
    assert bucket_count(runtime) == 1, "one /64 must count as one source"
