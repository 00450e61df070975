"""The client authentication method is the one the request presents (RFC 6749 §2.3).

An ``Authorization: Basic`` header always means ``client_secret_basic``; a
``client_secret`` in the body always means ``client_secret_post``. A public client
(method ``none``) cannot authenticate with either, and an empty secret never
authenticates: failing one method never falls through to ``none``, at the token,
revocation and introspection endpoints alike. (An empty body parameter is absent, RFC 6749
§3.1, so ``client_id=spa&client_secret=`` is simply ``none``.)
"""

from __future__ import annotations

import base64

import pytest
from flask.testing import FlaskClient

from authserver.runtime import Runtime
from tests.support.oauth import World, build_world, exchange
from tests.support.tokens import INTROSPECT, REVOKE, TOKEN, describe, user_code

SPA = "https://spa.example/cb"
FAILED = {"error": "invalid_client", "error_description": "Client authentication failed."}
EMPTY_BASIC = {"Authorization": "Basic " + base64.b64encode(b"spa:").decode()}


@pytest.fixture
def world(runtime: Runtime) -> World:
    return build_world(runtime)


def refused(response, what: str) -> None:  # type: ignore[no-untyped-def]
    assert (response.status_code, response.get_json()) == (401, FAILED), \
        f"{what} must be invalid_client, got {describe(response)}"


def test_an_empty_password_basic_header_does_not_authenticate_a_public_client_at_the_token(
    world: World, http: FlaskClient
) -> None:
    code, pkce, _ = user_code(http, world, "spa", redirect_uri=SPA)
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": SPA,
            "code_verifier": pkce.verifier if pkce else "", "client_id": "spa"}
    refused(http.post(TOKEN, data=data, headers=EMPTY_BASIC), "Basic 'spa:' + client_id")
    token = exchange(http, code, pkce, client_id="spa", redirect_uri=SPA)
    assert token.status_code == 200, \
        f"the refused request must not have used up the code: {describe(token)}"


def test_an_empty_password_basic_header_does_not_authenticate_at_revocation(
    world: World, http: FlaskClient
) -> None:
    refused(http.post(REVOKE, data={"token": "x", "client_id": "spa"}, headers=EMPTY_BASIC),
            "revocation with Basic 'spa:'")


def test_an_empty_password_basic_header_does_not_authenticate_at_introspection(
    world: World, http: FlaskClient
) -> None:
    refused(http.post(INTROSPECT, data={"token": "x", "client_id": "spa"},
                      headers=EMPTY_BASIC), "introspection with Basic 'spa:'")


@pytest.mark.parametrize("endpoint", [TOKEN, REVOKE, INTROSPECT])
def test_an_empty_client_secret_in_the_body_is_absent_so_a_confidential_client_is_refused(
    world: World, http: FlaskClient, endpoint: str
) -> None:
    # RFC 6749 §3.1: an empty parameter is treated as omitted; what is left is ``none``,
    # which a confidential client may not use.
    data = {"grant_type": "refresh_token", "refresh_token": "x", "token": "x",
            "client_id": "web", "client_secret": ""}
    refused(http.post(endpoint, data=data), f"{endpoint} with client_secret=''")


def test_a_public_client_cannot_use_basic_even_with_some_password(
    world: World, http: FlaskClient
) -> None:
    header = {"Authorization": "Basic " + base64.b64encode(b"spa:anything").decode()}
    refused(http.post(REVOKE, data={"token": "x"}, headers=header), "Basic for a public client")


def test_an_empty_secret_never_authenticates_a_confidential_client(
    world: World, http: FlaskClient
) -> None:
    header = {"Authorization": "Basic " + base64.b64encode(b"service:").decode()}
    refused(http.post(TOKEN, data={"grant_type": "client_credentials"}, headers=header),
            "Basic 'service:'")
