"""PKCE on the authorization side (RFC 7636 §4.3, §4.4.1; RFC 9700 §2.1.1).

S256 only, required for public clients and (by default) for confidential ones too. Every
failure here is reported to the (trusted) redirect URI as ``invalid_request``.
"""

from __future__ import annotations

import pytest

from authserver.services.clients import ClientSpec
from tests.support.browser_flow import (
    assert_error_redirect,
    authorize,
    register_extra_client,
)
from tests.support.oauth import (
    ISSUER,
    REDIRECT,
    Pkce,
    authorize_params,
    build_world,
    exchange,
    obtain_code,
)

SPA = "https://spa.example/cb"
GOOD_CHALLENGE = Pkce().challenge


@pytest.fixture
def world(runtime):
    return build_world(runtime)


def spa_params(**extra):
    return authorize_params("spa", Pkce(), redirect_uri=SPA, **extra)


def test_public_client_without_code_challenge_is_invalid_request(http, world):
    p = authorize_params("spa", redirect_uri=SPA)
    assert_error_redirect(authorize(http, p), "invalid_request", SPA, p["state"])


def test_public_client_with_s256_proceeds_to_sign_in(http, world):
    response = authorize(http, spa_params())
    assert "/interaction/" in response.headers.get("Location", ""), \
        f"a valid S256 request must proceed: {response.headers.get('Location')}"


def test_plain_method_is_refused(http, world):
    p = spa_params(code_challenge="a" * 43, code_challenge_method="plain")
    assert_error_redirect(authorize(http, p), "invalid_request", SPA, p["state"])


def test_plain_method_is_refused_for_confidential_clients_too(http, world):
    p = authorize_params(pkce=Pkce(), code_challenge_method="plain")
    assert_error_redirect(authorize(http, p), "invalid_request", REDIRECT, p["state"])


@pytest.mark.parametrize("method", ["s256", "SHA256", "S512", "none"])
def test_unknown_method_is_refused(http, world, method):
    p = spa_params(code_challenge_method=method)
    assert_error_redirect(authorize(http, p), "invalid_request", SPA, p["state"])


def test_challenge_without_method_is_refused(http, world):
    # A missing method means "plain" (RFC 7636 §4.3), which is not offered.
    p = spa_params(code_challenge_method=None)
    assert_error_redirect(authorize(http, p), "invalid_request", SPA, p["state"])


def test_method_without_challenge_is_refused(http, world):
    p = spa_params(code_challenge=None)
    assert_error_redirect(authorize(http, p), "invalid_request", SPA, p["state"])


MALFORMED_CHALLENGES = [
    ("too short", GOOD_CHALLENGE[:42]),
    ("too long", GOOD_CHALLENGE + "A"),
    ("a verifier-length plain value", "a" * 128),
    ("padding", GOOD_CHALLENGE[:42] + "="),
    ("standard base64 characters", GOOD_CHALLENGE[:41] + "+/"),
    ("a dot", GOOD_CHALLENGE[:42] + "."),
    ("a tilde", GOOD_CHALLENGE[:42] + "~"),
    ("a space", GOOD_CHALLENGE[:21] + " " + GOOD_CHALLENGE[22:]),
    ("non-ASCII", GOOD_CHALLENGE[:42] + "é"),
]


# Named by case: the challenges are random per process, and pytest-xdist needs every
# worker to collect the same test ids.
@pytest.mark.parametrize(("case", "challenge"), MALFORMED_CHALLENGES,
                         ids=[case for case, _ in MALFORMED_CHALLENGES])
def test_malformed_challenge_is_refused(http, world, case, challenge):
    p = spa_params(code_challenge=challenge)
    assert_error_redirect(authorize(http, p), "invalid_request", SPA, p["state"])


def test_confidential_client_needs_pkce_by_default(http, world):
    p = authorize_params()
    assert "code_challenge" not in p
    assert_error_redirect(authorize(http, p), "invalid_request", REDIRECT, p["state"])


def test_confidential_client_registered_without_pkce_may_omit_it(runtime, http, world):
    secret = register_extra_client(runtime, ClientSpec(
        name="Legacy", client_id="legacy", redirect_uris=(REDIRECT,), require_pkce=False))
    query = obtain_code(http, authorize_params("legacy"))
    assert "code" in query and query["iss"] == ISSUER
    token = exchange(http, query["code"], None, client_id="legacy", secret=secret)
    assert token.status_code == 200, f"a code issued without PKCE must redeem: {token.get_json()}"


def test_client_registered_without_pkce_still_gets_s256_checked(runtime, http, world):
    register_extra_client(runtime, ClientSpec(
        name="Legacy", client_id="legacy", redirect_uris=(REDIRECT,), require_pkce=False))
    p = authorize_params("legacy", code_challenge="short", code_challenge_method="S256")
    assert_error_redirect(authorize(http, p), "invalid_request", REDIRECT, p["state"])
    p = authorize_params("legacy", Pkce(), code_challenge_method="plain")
    assert_error_redirect(authorize(http, p), "invalid_request", REDIRECT, p["state"])


def test_public_client_cannot_be_registered_without_pkce(runtime, http, world):
    register_extra_client(runtime, ClientSpec(
        name="Native", client_id="native", public=True, redirect_uris=("http://127.0.0.1/cb",),
        require_pkce=False))
    p = authorize_params("native", redirect_uri="http://127.0.0.1/cb")
    assert_error_redirect(authorize(http, p), "invalid_request", "http://127.0.0.1/cb",
                          p["state"])


def test_code_issued_with_s256_redeems_with_the_verifier(http, world):
    pkce = Pkce()
    query = obtain_code(http, authorize_params("spa", pkce, redirect_uri=SPA))
    token = exchange(http, query["code"], pkce, client_id="spa", redirect_uri=SPA)
    assert token.status_code == 200, token.get_json()
