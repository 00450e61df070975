"""Back-Channel Logout 1.0 §2.4-§2.8 in protocol/backchannel_logout.py, without I/O."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from authserver.protocol import backchannel_logout as bcl
from authserver.protocol import jws


def test_the_claims_are_those_of_section_2_4() -> None:
    claims = bcl.logout_token_claims("https://op.example/t/a", "web", "sub-1", "sid-1", 1000)
    assert set(claims) == {"iss", "aud", "iat", "exp", "jti", "sub", "sid", "events"}
    assert (claims["iss"], claims["aud"], claims["sub"], claims["sid"]) == \
        ("https://op.example/t/a", "web", "sub-1", "sid-1")
    assert (claims["iat"], claims["exp"]) == (1000, 1120)
    assert claims["events"] == {"http://schemas.openid.net/event/backchannel-logout": {}}
    other = bcl.logout_token_claims("https://op.example/t/a", "web", "sub-1", "sid-1", 1000)
    assert claims["jti"] != other["jti"], "every token has its own jti"


def test_the_token_is_typed_logout_jwt_and_verifies() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    claims = bcl.logout_token_claims("https://op.example", "web", "s", "d", 1000)
    token = bcl.sign_logout_token(claims, key, "ES256", "k1")
    header, payload, _, _ = jws.parse_unverified(token)
    assert header == {"alg": "ES256", "kid": "k1", "typ": "logout+jwt"}
    assert payload == claims


def test_a_nonce_is_refused() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(ValueError, match="must not contain a nonce"):
        bcl.sign_logout_token({"nonce": "n"}, key, "ES256", "k1")


def test_the_body_is_one_form_field() -> None:
    assert parse_qs(bcl.request_body("a.b+c").decode()) == {"logout_token": ["a.b+c"]}


@pytest.mark.parametrize(("status", "delivered"), [
    (200, True), (204, True), (299, True), (301, False), (302, False), (400, False),
    (404, False), (500, False), (503, False)])
def test_only_a_2xx_answer_is_delivery(status: int, delivered: bool) -> None:
    assert bcl.delivered(status) is delivered
