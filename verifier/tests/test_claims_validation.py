"""Registered claims (iss, aud, exp, nbf, iat) and required claims are enforced."""

from __future__ import annotations

import time

import pytest
from avtestkit import AUDIENCE, default_claims, mint

from authserver_verifier import RFC9068_REQUIRED_CLAIMS, InvalidToken, Verifier


def reason(verifier: Verifier, token: str) -> str:
    with pytest.raises(InvalidToken) as info:
        verifier.verify(token)
    return info.value.description


def test_wrong_issuer_is_rejected(keys, static_verifier, static_issuer):
    for iss in (static_issuer + "/", "https://evil.example/t/default", None, 7):
        token = mint(keys["ES256"], default_claims(static_issuer, iss=iss if iss else ...))
        assert reason(static_verifier, token) == "invalid issuer", f"iss={iss!r} accepted"


def test_missing_audience_is_rejected(keys, static_verifier, static_issuer):
    for aud in (..., [], None, 42):
        token = mint(keys["ES256"], default_claims(static_issuer, aud=aud))
        assert reason(static_verifier, token) == "missing audience", f"aud={aud!r}"


def test_wrong_audience_is_rejected(keys, static_verifier, static_issuer):
    for aud in ("https://other.example", ["a", "b"], [AUDIENCE, 5], AUDIENCE.upper()):
        token = mint(keys["ES256"], default_claims(static_issuer, aud=aud))
        assert reason(static_verifier, token) == "invalid audience", f"aud={aud!r} accepted"


def test_expired_token_is_rejected(keys, static_verifier, static_issuer):
    now = int(time.time())
    token = mint(keys["ES256"], default_claims(static_issuer, exp=now - 31, iat=now - 400))
    assert reason(static_verifier, token) == "token expired"


def test_expiry_within_leeway_is_tolerated_and_leeway_is_configurable(keys, static_issuer):
    jwks = {"keys": [keys["ES256"].jwk()]}
    now = int(time.time())
    token = mint(keys["ES256"], default_claims(static_issuer, exp=now - 10, iat=now - 400))
    lenient = Verifier(issuer=static_issuer, audience=AUDIENCE, algorithms=("ES256",), jwks=jwks)
    assert lenient.verify(token).sub == "user-123", "default 30 s leeway not applied"
    strict = Verifier(
        issuer=static_issuer, audience=AUDIENCE, algorithms=("ES256",), jwks=jwks, leeway=0
    )
    assert reason(strict, token) == "token expired", "leeway=0 still tolerated expiry"


def test_missing_or_non_numeric_exp_is_rejected(keys, static_verifier, static_issuer):
    for exp in (..., "9999999999", True, None, [1]):
        token = mint(keys["ES256"], default_claims(static_issuer, exp=exp))
        assert reason(static_verifier, token) == "missing or invalid exp", f"exp={exp!r}"


def test_overflowing_exp_is_rejected(keys, static_verifier, static_issuer):
    claims = default_claims(static_issuer)
    token_claims = __import__("json").dumps(claims).replace(str(claims["exp"]), "1e400")
    from avtestkit import b64u, encode_segments, sign

    signing_input = encode_segments(
        {"alg": "ES256", "typ": "at+jwt", "kid": "ec256"}, token_claims.encode()
    )
    token = (
        signing_input + b"." + b64u(sign(keys["ES256"].private, "ES256", signing_input)).encode()
    ).decode()
    assert reason(static_verifier, token) == "missing or invalid exp"


def test_not_yet_valid_nbf_is_rejected(keys, static_verifier, static_issuer):
    now = int(time.time())
    token = mint(keys["ES256"], default_claims(static_issuer, nbf=now + 120))
    assert reason(static_verifier, token) == "token not yet valid"
    ok = mint(keys["ES256"], default_claims(static_issuer, nbf=now + 10))
    assert static_verifier.verify(ok).nbf == now + 10, "nbf within leeway wrongly rejected"


def test_iat_in_the_future_beyond_leeway_is_rejected(keys, static_verifier, static_issuer):
    now = int(time.time())
    token = mint(keys["ES256"], default_claims(static_issuer, iat=now + 120, exp=now + 600))
    assert reason(static_verifier, token) == "token issued in the future"


def test_non_numeric_nbf_and_iat_are_rejected(keys, static_verifier, static_issuer):
    assert (
        reason(static_verifier, mint(keys["ES256"], default_claims(static_issuer, nbf="0")))
        == "invalid nbf"
    )
    assert (
        reason(static_verifier, mint(keys["ES256"], default_claims(static_issuer, iat=None)))
        == "invalid iat"
    )


def test_required_claims_are_enforced(keys, static_issuer):
    verifier = Verifier(
        issuer=static_issuer,
        audience=AUDIENCE,
        algorithms=("ES256",),
        jwks={"keys": [keys["ES256"].jwk()]},
        required_claims=RFC9068_REQUIRED_CLAIMS,
    )
    assert verifier.verify(mint(keys["ES256"], default_claims(static_issuer))).jti == "jti-1"
    for name in ("sub", "client_id", "iat", "jti"):
        token = mint(keys["ES256"], default_claims(static_issuer, **{name: ...}))
        assert reason(verifier, token) == f"missing required claim {name}", name


def test_payload_that_is_not_a_json_object_is_rejected(keys, static_verifier):
    from avtestkit import b64u, sign

    for payload in (b"[]", b"null", b'"x"', b"{", b'{"exp": NaN}', b"\xff\xfe"):
        signing_input = (
            b64u(b'{"alg":"ES256","typ":"at+jwt","kid":"ec256"}') + "." + b64u(payload)
        ).encode()
        token = (
            signing_input
            + b"."
            + b64u(sign(keys["ES256"].private, "ES256", signing_input)).encode()
        )
        with pytest.raises(InvalidToken) as info:
            static_verifier.verify(token)
        assert info.value.description == "malformed payload", payload
