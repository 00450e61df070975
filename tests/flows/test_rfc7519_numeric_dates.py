"""NumericDate claims we did not sign (RFC 7519 §2, §4.1.4-6): ``exp``, ``iat`` and
``nbf`` of a validly signed client assertion may be any JSON value. Values that name no
instant we can reason about (too large, negative, infinite, not a number) make the
assertion invalid: 401 ``invalid_client``, never an OverflowError turned into a 500.
Non-integer values are NumericDates too, and are accepted."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask.testing import FlaskClient

from authserver.runtime import Runtime
from tests.conftest import Clock
from tests.support.hostile import assert_handled, signed_text
from tests.support.oauth import World
from tests.support.tokens import (
    TOKEN,
    assertion_claims,
    assertion_form,
    build_world_with_jwt_client,
    expect_error,
    expect_tokens,
    jwt_client_key,
)

CC = {"grant_type": "client_credentials"}
# Raw JSON text: 1e400 cannot even be written by json.dumps.
OUT_OF_RANGE = [
    pytest.param("1e400", id="overflows-a-double"),
    pytest.param("-1e400", id="overflows-negative"),
    pytest.param("1" + "0" * 30, id="thirty-one-digits"),
    pytest.param("-" + "1" + "0" * 30, id="thirty-one-digits-negative"),
    pytest.param("1e300", id="float-far-future"),
    pytest.param("253402300800", id="year-10000"),
    pytest.param("-1", id="before-1970"),
    pytest.param("true", id="boolean"),
    pytest.param('"1700000000"', id="string"),
    pytest.param("null", id="null"),
    pytest.param("[1]", id="list"),
    pytest.param("NaN", id="nan"),
]


client_key = jwt_client_key


@pytest.fixture
def world(runtime: Runtime) -> World:
    return build_world_with_jwt_client(runtime)


def assertion_with(clock: Clock, claim: str, raw_json: str) -> str:
    claims: dict[str, Any] = assertion_claims("jwt", clock.now.timestamp())
    claims[claim] = "@@"
    payload = json.dumps(claims).replace('"@@"', raw_json)
    header = json.dumps({"alg": "ES256", "kid": client_key().kid, "typ": "JWT"})
    return signed_text(client_key(), header, payload)


@pytest.mark.parametrize("claim", ["exp", "iat", "nbf"])
@pytest.mark.parametrize("raw", OUT_OF_RANGE)
def test_an_out_of_range_numeric_date_makes_the_assertion_invalid_client(
        world: World, http: FlaskClient, clock: Clock, caplog: pytest.LogCaptureFixture,
        claim: str, raw: str) -> None:
    response = http.post(TOKEN, data={**CC, **assertion_form(
        "jwt", assertion_with(clock, claim, raw))})
    assert_handled(response, caplog, f"{claim}={raw[:20]}")
    expect_error(response, 401, "invalid_client", f"client assertion with {claim}={raw[:20]}")


@pytest.mark.parametrize(("claim", "offset"), [("exp", 60.5), ("iat", -0.25), ("nbf", -1.5)])
def test_a_non_integer_numeric_date_is_accepted(
        world: World, http: FlaskClient, clock: Clock, claim: str, offset: float) -> None:
    raw = repr(clock.now.timestamp() + offset)
    response = http.post(TOKEN, data={**CC, **assertion_form(
        "jwt", assertion_with(clock, claim, raw))})
    expect_tokens(response, f"RFC 7519 §2 allows non-integer values: {claim}={raw}")
