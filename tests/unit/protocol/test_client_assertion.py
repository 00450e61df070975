"""``private_key_jwt`` client assertions (protocol/client_auth.py over protocol/jws.py):
RFC 7523 §3 (iss, sub, aud, exp, nbf, iat, jti), RFC 7521 §4.2, OIDC Core §9,
RFC 9700 §2.3 (a single audience), RFC 8725 §3.1 (an explicit algorithm list).

Every refused row also names, in the log, the rule that refused it: an assertion can be
refused for many reasons, and the test must prove it was this one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import uuid
from typing import Any

import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from authserver.protocol import jws
from authserver.protocol.client_auth import (
    ASSERTION_TYPE,
    DEFAULT_MAX_LIFETIME,
    LEEWAY,
    PrivateKeyJWTAuthenticator,
)
from authserver.protocol.ports import ClientRecord
from tests.unit.protocol.fakes import (
    ISSUER,
    START,
    FakeClientDirectory,
    FakeReplayGuard,
    FixedClock,
    client,
    form_request,
    public_jwk,
    world,
)

TOKEN_ENDPOINT = f"{ISSUER}/token"
KEY = ec.generate_private_key(ec.SECP256R1())
OTHER_KEY = ec.generate_private_key(ec.SECP256R1())
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
JWT_CLIENT = client("jwt-app", token_endpoint_auth_method="private_key_jwt", secret_digest=None,
                    jwks={"keys": [public_jwk(KEY, "k1", "ES256"),
                                   public_jwk(RSA_KEY, "r1", "RS256")]})
NOW = int(START.timestamp())
MINUTE = 60


def claims(**changes: Any) -> dict[str, Any]:
    """A valid assertion's claims; a change to None removes the claim."""
    values = {"iss": "jwt-app", "sub": "jwt-app", "aud": TOKEN_ENDPOINT, "iat": NOW,
              "exp": NOW + 5 * MINUTE, "jti": str(uuid.uuid4()), **changes}
    return {k: v for k, v in values.items() if v is not None}


def signed(payload: dict[str, Any], key: Any = KEY, alg: str = "ES256", kid: str = "k1") -> str:
    return jws.sign(payload, key, alg, kid)


def unsigned(payload: dict[str, Any], header: dict[str, Any]) -> str:
    """A token with an arbitrary header and a junk signature (for alg none and HMAC)."""
    return ".".join([jws.b64url(orjson.dumps(header)), jws.b64url(orjson.dumps(payload)),
                     jws.b64url(b"sig")])


class Setup:
    def __init__(self, registered: ClientRecord = JWT_CLIENT) -> None:
        self.clock = FixedClock()
        self.replay = FakeReplayGuard()
        self.clients = FakeClientDirectory([registered, client("secret-app")])
        self.authenticate = PrivateKeyJWTAuthenticator((ISSUER, TOKEN_ENDPOINT), self.replay,
                                                       self.clock, DEFAULT_MAX_LIFETIME)

    def __call__(self, assertion: str, **form: str) -> ClientRecord | None:
        fields = {"grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE,
                  "client_assertion": assertion, **form}
        return self.authenticate(self.clients.get, form_request(fields))


ACCEPTED = [
    pytest.param(claims(), id="a complete assertion"),
    pytest.param(claims(aud=ISSUER), id="the issuer as audience"),
    pytest.param(claims(aud=[TOKEN_ENDPOINT]), id="a one-element audience list"),
    pytest.param(claims(iat=None, nbf=None), id="neither iat nor nbf (both optional)"),
    pytest.param(claims(nbf=NOW), id="nbf now"),
    pytest.param(claims(iat=NOW + 20, nbf=NOW + 20), id="iat and nbf within the leeway ahead"),
    pytest.param(claims(exp=NOW - 20), id="expired within the leeway"),
    pytest.param(claims(exp=NOW + 3600 + 20), id="a full hour, from a clock a little ahead"),
    pytest.param(claims(exp=NOW + 60.5, iat=NOW + 0.5), id="fractional NumericDates"),
    pytest.param(claims(jti="j" * 255), id="a jti of 255 characters"),
]


@pytest.mark.parametrize("payload", ACCEPTED)
def test_a_valid_assertion_authenticates_its_client(payload: dict[str, Any]) -> None:
    assert Setup()(signed(payload)) == JWT_CLIENT, f"{payload} must authenticate jwt-app"


def test_an_rs256_assertion_verifies_with_the_clients_rsa_key() -> None:
    assert Setup()(signed(claims(), RSA_KEY, "RS256", "r1")) == JWT_CLIENT


CLAIM_REFUSALS = [
    pytest.param(claims(iss="other"), "iss and sub must both be the client_id", id="iss differs"),
    pytest.param(claims(iss=None), "iss and sub must both be the client_id", id="no iss"),
    pytest.param(claims(aud="https://other.example/token"),
                 "aud must be the issuer or the token endpoint", id="another audience"),
    pytest.param(claims(aud=[TOKEN_ENDPOINT, ISSUER]),
                 "aud must be the issuer or the token endpoint", id="two audiences"),
    pytest.param(claims(aud=[]), "aud must be the issuer or the token endpoint",
                 id="an empty audience list"),
    pytest.param(claims(aud=None), "aud must be the issuer or the token endpoint", id="no aud"),
    pytest.param(claims(aud=f"{ISSUER}/introspect"),
                 "aud must be the issuer or the token endpoint", id="another endpoint"),
    pytest.param(claims(exp=None), "exp missing or not a NumericDate", id="no exp"),
    pytest.param(claims(exp=str(NOW + 60)), "exp missing or not a NumericDate",
                 id="exp as a string"),
    pytest.param(claims(exp=True), "exp missing or not a NumericDate", id="exp as a boolean"),
    pytest.param(claims(exp=NOW + 365 * 86_400), "exp more than 3600 s in the future",
                 id="exp a year ahead"),
    pytest.param(claims(exp=2**62), "exp missing or not a NumericDate",
                 id="exp beyond any date"),
    pytest.param(claims(exp=NOW - 31), "expired", id="expired beyond the leeway"),
    pytest.param(claims(exp=NOW + 3600 + 31), "exp more than 3600 s in the future",
                 id="a lifetime over the maximum"),
    pytest.param(claims(iat=NOW + 31), "iat in the future", id="iat in the future"),
    pytest.param(claims(nbf=NOW + 31), "nbf in the future", id="not yet valid (nbf)"),
    pytest.param(claims(iat="now"), "iat is not a NumericDate", id="iat as a string"),
    pytest.param(claims(nbf=-1), "nbf is not a NumericDate", id="nbf before 1970"),
    pytest.param(claims(jti=None), "jti missing", id="no jti"),
    pytest.param(claims(jti=""), "jti missing", id="an empty jti"),
    pytest.param(claims(jti=7), "jti missing", id="a jti that is no string"),
    pytest.param(claims(jti="j" * 256), "jti missing", id="a jti of 256 characters"),
]


@pytest.mark.parametrize(("payload", "reason"), CLAIM_REFUSALS)
def test_an_assertion_breaking_a_claim_rule_is_refused(
    payload: dict[str, Any], reason: str, caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger="authserver.protocol.client_auth"):
        assert Setup()(signed(payload)) is None, f"{payload} must not authenticate"
    assert f"assertion rejected: {reason}" in caplog.text, (
        f"refused for another reason than {reason!r}: {caplog.text}")


SIGNATURE_REFUSALS = [
    pytest.param(signed(claims(), OTHER_KEY), "signature does not verify with any known key",
                 id="signed by a key the client did not register"),
    pytest.param(signed(claims(), KEY, "ES256", "r1"),
                 "signature does not verify with any known key",
                 id="the kid of the client's other key"),
    pytest.param(signed(claims(), KEY, "ES256", "unknown"),
                 "signature does not verify with any known key", id="an unknown kid"),
    pytest.param(unsigned(claims(), {"alg": "none"}), "algorithm 'none' not allowed",
                 id="alg none"),
    pytest.param(unsigned(claims(), {"alg": "HS256", "kid": "k1"}),
                 "algorithm 'HS256' not allowed", id="HMAC with the public key as secret"),
    pytest.param(unsigned(claims(), {"alg": ["ES256"]}), "alg must be a string",
                 id="alg as a list"),
    pytest.param(unsigned(claims(), {"alg": "ES256", "crit": ["exp"]}),
                 "unsupported critical header", id="a critical header"),
    pytest.param(signed(claims(), RSA_KEY, "PS256", "r1"),
                 "signature does not verify with any known key",
                 id="PS256 with a key registered for RS256"),
]


@pytest.mark.parametrize(("assertion", "reason"), SIGNATURE_REFUSALS)
def test_an_assertion_that_does_not_verify_is_refused(
    assertion: str, reason: str, caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger="authserver.protocol.client_auth"):
        assert Setup()(assertion) is None
    assert f"assertion signature rejected: {reason}" in caplog.text, caplog.text


@pytest.mark.parametrize(("assertion", "form", "registered"), [
    pytest.param(signed(claims()), {"client_assertion_type": "urn:other"}, JWT_CLIENT,
                 id="another assertion type"),
    pytest.param("", {}, JWT_CLIENT, id="an empty assertion"),
    pytest.param("not.a.jws", {}, JWT_CLIENT, id="not a JWS"),
    pytest.param(signed(claims()), {"client_id": "secret-app"}, JWT_CLIENT,
                 id="a client_id other than the assertion's sub"),
    pytest.param(signed(claims(iss="ghost", sub="ghost")), {}, JWT_CLIENT,
                 id="an unknown client"),
    pytest.param(signed(claims(sub=None)), {}, JWT_CLIENT, id="no sub"),
    pytest.param(signed(claims(iss="secret-app", sub="secret-app")), {}, JWT_CLIENT,
                 id="a client registered for client_secret_basic"),
    pytest.param(signed(claims()), {}, dataclasses.replace(JWT_CLIENT, jwks=None),
                 id="a client with no registered keys"),
])
def test_an_assertion_for_no_private_key_jwt_client_authenticates_nobody(
    assertion: str, form: dict[str, str], registered: ClientRecord,
) -> None:
    assert Setup(registered)(assertion, **form) is None


def test_a_replayed_jti_is_refused_while_the_assertion_could_still_pass(
    caplog: pytest.LogCaptureFixture,
) -> None:
    setup = Setup()
    payload = claims()
    assert setup(signed(payload)) == JWT_CLIENT
    remembered = setup.replay.seen[("jwt-app", payload["jti"])]
    assert remembered == dt.datetime.fromtimestamp(payload["exp"], dt.UTC) + LEEWAY, (
        "RFC 7523 §3 item 7: the jti is kept until exp plus the leeway")
    with caplog.at_level(logging.WARNING, logger="authserver.protocol.client_auth"):
        assert setup(signed(payload)) is None, "the same jti twice"
    assert "client assertion jti replayed" in caplog.text
    assert setup(signed(claims())) == JWT_CLIENT, "a fresh jti still works"


def test_a_jti_is_scoped_to_its_client() -> None:
    other = client("jwt-two", token_endpoint_auth_method="private_key_jwt", secret_digest=None,
                   jwks=JWT_CLIENT.jwks)
    setup = Setup()
    setup.clients.add(other)
    jti = "shared-jti"
    assert setup(signed(claims(jti=jti))) == JWT_CLIENT
    assert setup(signed(claims(iss="jwt-two", sub="jwt-two", jti=jti))) == other, (
        "two clients may pick the same jti")


def test_an_assertion_refused_for_its_claims_spends_no_jti() -> None:
    setup = Setup()
    payload = claims(aud="https://other.example/")
    assert setup(signed(payload)) is None
    assert setup.replay.seen == {}, "only an otherwise valid assertion is remembered"


def test_the_token_server_accepts_an_assertion_and_counts_a_refused_one() -> None:
    w = world([JWT_CLIENT])

    def respond(assertion: str) -> tuple[int, dict[str, Any]]:
        form = {"grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE,
                "client_assertion": assertion}
        status, body, _ = w.server.create_token_response(form_request(form, source="192.0.2.9"))
        return status, body

    status, body = respond(signed(claims()))
    assert status == 200 and body["access_token"], body
    status, body = respond(signed(claims(), OTHER_KEY))
    assert (status, body["error"]) == (401, "invalid_client"), body
    assert w.throttle.failures == [("jwt-app", "192.0.2.9")], (
        "a refused assertion counts against the client it names")
