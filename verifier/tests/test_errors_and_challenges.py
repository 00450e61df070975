"""Exceptions carry the RFC 6750 error code, status and an exact WWW-Authenticate value."""

from __future__ import annotations

import pickle

import pytest
from avtestkit import default_claims, mint

from authserver_verifier import (
    Claims,
    InsufficientScope,
    InvalidRequest,
    InvalidToken,
    VerificationUnavailable,
    bearer_challenge,
)


def test_invalid_token_challenge():
    exc = InvalidToken("token expired", realm="stores")
    assert (exc.error, exc.status_code) == ("invalid_token", 401)
    assert exc.www_authenticate() == (
        'Bearer realm="stores", error="invalid_token", error_description="token expired"'
    )


def test_insufficient_scope_challenge_lists_every_required_scope():
    exc = InsufficientScope(["stores:read", "stores:write"], realm="stores")
    assert (exc.error, exc.status_code) == ("insufficient_scope", 403)
    assert exc.www_authenticate() == (
        'Bearer realm="stores", error="insufficient_scope", '
        'error_description="token lacks required scope", scope="stores:read stores:write"'
    )


def test_invalid_request_and_unavailable_statuses():
    assert (InvalidRequest("x").status_code, InvalidRequest("x").error) == (400, "invalid_request")
    exc = VerificationUnavailable("down", realm="r")
    assert exc.status_code == 503 and exc.www_authenticate() == 'Bearer realm="r"'


def test_realm_argument_overrides_the_stored_realm():
    assert InvalidToken("x", realm="a").www_authenticate("b").startswith('Bearer realm="b"')


def test_challenge_values_cannot_inject_header_syntax():
    value = bearer_challenge('ev"il\\realm', "invalid_token", 'bad "quote"\r\nX-Injected: 1')
    assert "\r" not in value and "\n" not in value, "CR/LF reached the header value"
    assert value == (
        'Bearer realm="ev?il?realm", error="invalid_token", '
        'error_description="bad ?quote???X-Injected: 1"'
    ), value


def test_verifier_errors_use_the_verifier_realm(keys):
    from authserver_verifier import Verifier

    verifier = Verifier(
        issuer="https://i",
        audience="stores-api",
        algorithms=("ES256",),
        jwks={"keys": [keys["ES256"].jwk()]},
    )
    with pytest.raises(InvalidToken) as info:
        verifier.verify("garbage")
    assert info.value.www_authenticate().startswith('Bearer realm="stores-api"'), (
        "default realm should be the audience"
    )
    token = mint(keys["ES256"], default_claims("https://i", aud="stores-api"))
    with pytest.raises(InsufficientScope) as scope_info:
        verifier.verify(token, required_scopes=["admin"])
    assert scope_info.value.realm == "stores-api", "InsufficientScope lost the realm"


def test_error_descriptions_never_echo_token_content(keys, static_verifier, static_issuer):
    token = mint(keys["ES256"], default_claims(static_issuer), kid="<script>secret-kid")
    with pytest.raises(InvalidToken) as info:
        static_verifier.verify(token)
    assert "secret-kid" not in info.value.www_authenticate(), "kid echoed into the challenge"


def test_claims_survive_pickling(keys, static_verifier, static_issuer):
    claims = static_verifier.verify(mint(keys["ES256"], default_claims(static_issuer)))
    again = pickle.loads(pickle.dumps(claims))  # noqa: S301 - our own bytes
    assert isinstance(again, Claims) and again == claims and again.scopes == claims.scopes
