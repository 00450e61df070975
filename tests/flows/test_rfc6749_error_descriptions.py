"""Error descriptions (RFC 6749 §4.1.2.1, §5.2): "Values for the error_description
parameter MUST NOT include characters outside the set %x20-21 / %x23-5B / %x5D-7E".

Parameter names and scope values are the requester's own input, and may hold anything:
non-ASCII, right-to-left marks, ``"``, ``\\``, control characters. Authlib's error classes
refuse such descriptions with a ValueError, so an error built from that input used to
answer 500. Now every error names the problem in fixed words and the input goes only to
the log: never echoed, to the client's redirect URI least of all.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

import pytest
from flask.testing import FlaskClient

from authserver.runtime import Runtime
from tests.support.browser_flow import assert_error_redirect, authorize_raw
from tests.support.hostile import assert_handled
from tests.support.oauth import REDIRECT, World, authorize_params, basic, build_world
from tests.support.tokens import TOKEN, expect_error

HOSTILE = [
    pytest.param("caf\u00e9", id="non-ascii"),
    pytest.param('say"hi"', id="double-quote"),
    pytest.param("back\\slash", id="backslash"),
    pytest.param("\u202eevil", id="rtl-override"),
    pytest.param("tab\there", id="control-char"),
    pytest.param("\U0001f600", id="emoji"),
    pytest.param("<script>x</script>", id="markup"),
]
ALLOWED = {chr(c) for c in range(0x20, 0x7F)} - {'"', "\\"}


@pytest.fixture
def world(runtime: Runtime) -> World:
    return build_world(runtime)


def assert_fixed_description(description: str | None, hostile: str, what: str) -> None:
    assert description, f"{what}: an error description is expected"
    assert set(description) <= ALLOWED, (
        f"{what}: description {description!r} breaks RFC 6749 §5.2's character set")
    assert hostile not in description and "<" not in description, (
        f"{what}: the description echoes the request: {description!r}")


def _query(params: dict[str, str], extra: str) -> str:
    return urlencode(params) + "&" + extra


@pytest.mark.parametrize("hostile", HOSTILE)
def test_a_hostile_scope_value_at_authorize_is_invalid_scope_with_a_fixed_description(
        world: World, http: FlaskClient, caplog: pytest.LogCaptureFixture, hostile: str) -> None:
    params = authorize_params(scope=f"openid {hostile}", code_challenge="x" * 43,
                              code_challenge_method="S256")
    response = authorize_raw(http, urlencode(params))
    assert_handled(response, caplog, f"authorize with scope {hostile!r}")
    query = assert_error_redirect(response, "invalid_scope", REDIRECT, params["state"])
    assert_fixed_description(query.get("error_description"), hostile, "invalid_scope")


@pytest.mark.parametrize("hostile", HOSTILE)
def test_a_repeated_hostile_parameter_name_at_authorize_is_invalid_request(
        world: World, http: FlaskClient, caplog: pytest.LogCaptureFixture, hostile: str) -> None:
    params = authorize_params(code_challenge="x" * 43, code_challenge_method="S256")
    name = quote(hostile, safe="")
    response = authorize_raw(http, _query(params, f"{name}=1&{name}=2"))
    assert_handled(response, caplog, f"authorize with {hostile!r} twice")
    query = assert_error_redirect(response, "invalid_request", REDIRECT, params["state"])
    assert_fixed_description(query.get("error_description"), hostile, "repeated parameter")


@pytest.mark.parametrize("hostile", HOSTILE)
def test_a_hostile_response_type_is_not_echoed(
        world: World, http: FlaskClient, caplog: pytest.LogCaptureFixture, hostile: str) -> None:
    params = authorize_params(response_type=hostile, code_challenge="x" * 43,
                              code_challenge_method="S256")
    response = authorize_raw(http, urlencode(params))
    assert_handled(response, caplog, f"authorize with response_type {hostile!r}")
    query = assert_error_redirect(response, "unsupported_response_type", REDIRECT,
                                  params["state"])
    assert_fixed_description(query.get("error_description"), hostile, "response_type")


@pytest.mark.parametrize("hostile", HOSTILE)
def test_a_repeated_hostile_parameter_name_at_the_token_endpoint_is_invalid_request(
        world: World, http: FlaskClient, caplog: pytest.LogCaptureFixture, hostile: str) -> None:
    name = quote(hostile, safe="")
    response = http.post(TOKEN, data=f"grant_type=client_credentials&{name}=1&{name}=2",
                         content_type="application/x-www-form-urlencoded",
                         headers=basic(world.service_id, world.service_secret))
    assert_handled(response, caplog, f"token endpoint with {hostile!r} twice")
    body = expect_error(response, 400, "invalid_request", f"{hostile!r} sent twice")
    assert_fixed_description(body.get("error_description"), hostile, "token endpoint")


@pytest.mark.parametrize("hostile", HOSTILE)
def test_a_hostile_scope_at_the_token_endpoint_is_invalid_scope(
        world: World, http: FlaskClient, caplog: pytest.LogCaptureFixture, hostile: str) -> None:
    response = http.post(TOKEN, data={"grant_type": "client_credentials", "scope": hostile},
                         headers=basic(world.service_id, world.service_secret))
    assert_handled(response, caplog, f"client credentials with scope {hostile!r}")
    body = expect_error(response, 400, "invalid_scope", f"scope {hostile!r}")
    assert_fixed_description(body.get("error_description"), hostile, "token scope")


@pytest.mark.parametrize("hostile", HOSTILE)
def test_a_hostile_grant_type_is_unsupported_and_not_echoed(
        world: World, http: FlaskClient, caplog: pytest.LogCaptureFixture, hostile: str) -> None:
    response = http.post(TOKEN, data={"grant_type": hostile},
                         headers=basic(world.service_id, world.service_secret))
    assert_handled(response, caplog, f"grant_type {hostile!r}")
    body = expect_error(response, 400, "unsupported_grant_type", f"grant_type {hostile!r}")
    assert_fixed_description(body.get("error_description"), hostile, "grant_type")


def test_a_plain_repeated_parameter_is_still_named(world: World, http: FlaskClient) -> None:
    response = http.post(TOKEN, data="grant_type=client_credentials&scope=a&scope=b",
                         content_type="application/x-www-form-urlencoded",
                         headers=basic(world.service_id, world.service_secret))
    body = expect_error(response, 400, "invalid_request", "scope sent twice")
    assert body.get("error_description") == "Parameter 'scope' was sent more than once.", (
        f"a client developer needs to know which parameter: {body}")
