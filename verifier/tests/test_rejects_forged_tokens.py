"""Forged, re-signed or key-confused tokens are rejected with invalid_token."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from avtestkit import AUDIENCE, FakeAuthServer, b64u, default_claims, encode_segments, mint, sign
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from authserver_verifier import InvalidToken, Verifier


def rejected(verifier: Verifier, token: str | bytes) -> InvalidToken:
    with pytest.raises(InvalidToken) as info:
        verifier.verify(token)
    exc = info.value
    assert exc.error == "invalid_token" and exc.status_code == 401, "wrong error code/status"
    return exc


def test_alg_none_is_rejected(static_verifier, static_issuer):
    for alg in ("none", "None", "NONE"):
        token = (
            encode_segments(
                {"alg": alg, "typ": "at+jwt", "kid": "ec256"},
                json.dumps(default_claims(static_issuer)).encode(),
            ).decode()
            + "."
        )
        exc = rejected(static_verifier, token)
        assert exc.description == "algorithm not allowed", f"alg {alg!r}: {exc.description}"


@pytest.mark.parametrize("variant", ["pem", "jwk-json", "der"])
@pytest.mark.parametrize("kid", ["ec256", "rsa2048"])
def test_hs256_signed_with_the_public_key_is_rejected(
    variant, kid, keys, static_verifier, static_issuer
):
    key = keys["ES256"] if kid == "ec256" else keys["RS256"]
    if variant == "pem":
        secret = key.public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    elif variant == "der":
        secret = key.public.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    else:
        secret = json.dumps(key.jwk()).encode()
    signing_input = encode_segments(
        {"alg": "HS256", "typ": "at+jwt", "kid": kid}, default_claims(static_issuer)
    )
    token = signing_input + b"." + b64u(hmac.digest(secret, signing_input, hashlib.sha256)).encode()
    exc = rejected(static_verifier, token)
    assert exc.description == "algorithm not allowed", f"HS256/{variant}: {exc.description}"


@pytest.mark.parametrize(
    ("signing_alg", "kid", "signing_key"),
    [
        ("ES256", "rsa2048", "ES256"),  # ES256 header on an RSA kid
        ("RS256", "ec256", "RS256"),  # RS256 header on an EC kid
        ("PS256", "ec256", "PS256"),
        ("EdDSA", "ec256", "EdDSA"),  # EdDSA header on an EC kid
        ("ES256", "ed25519", "ES256"),  # ES256 header on an OKP kid
        ("ES384", "ec256", "ES384"),  # P-384 alg on a P-256 key
        ("ES256", "ec384", "ES256"),  # P-256 alg on a P-384 key
    ],
)
def test_algorithm_must_match_the_key_type_and_curve(
    signing_alg, kid, signing_key, keys, static_verifier, static_issuer
):
    token = mint(keys[signing_key], default_claims(static_issuer), kid=kid)
    exc = rejected(static_verifier, token)
    assert exc.description == "algorithm does not match the signing key", (
        f"{signing_alg} on {kid}: {exc.description}"
    )


def test_algorithm_outside_the_allow_list_is_rejected_even_if_key_fits(keys):
    verifier = Verifier(
        issuer="https://i",
        audience=AUDIENCE,
        algorithms=("ES256",),
        jwks={"keys": [k.jwk() for k in keys.values()]},
    )
    exc = rejected(verifier, mint(keys["RS256"], default_claims("https://i")))
    assert exc.description == "algorithm not allowed", exc.description


def test_jwk_alg_member_narrows_a_key_to_one_algorithm(keys):
    jwk = keys["RS256"].jwk(alg="RS256")
    verifier = Verifier(
        issuer="https://i", audience=AUDIENCE, algorithms=("RS256", "PS256"), jwks={"keys": [jwk]}
    )
    token = mint(keys["RS256"], default_claims("https://i"), alg="PS256")
    assert rejected(verifier, token).description == "algorithm does not match the signing key"


def test_unknown_kid_is_rejected(keys, static_verifier, static_issuer):
    exc = rejected(static_verifier, mint(keys["ES256"], default_claims(static_issuer), kid="nope"))
    assert exc.description == "unknown signing key", exc.description


def test_token_signed_by_another_key_under_a_real_kid_fails_signature(
    attacker_keys, static_verifier, static_issuer
):
    for alg, key in attacker_keys.items():
        exc = rejected(static_verifier, mint(key, default_claims(static_issuer)))
        assert exc.description == "invalid signature", f"{alg}: {exc.description}"


@pytest.mark.parametrize("alg", ["ES256", "RS256", "PS256", "EdDSA"])
def test_flipped_signature_byte_is_rejected(alg, keys, static_verifier, static_issuer):
    head, payload, sig = mint(keys[alg], default_claims(static_issuer)).split(".")
    raw = bytearray(__import__("base64").urlsafe_b64decode(sig + "=="))
    raw[len(raw) // 2] ^= 0x01
    exc = rejected(static_verifier, f"{head}.{payload}.{b64u(bytes(raw))}")
    assert exc.description == "invalid signature", f"{alg}: {exc.description}"


def test_flipped_payload_byte_is_rejected(keys, static_verifier, static_issuer):
    head, _, sig = mint(keys["ES256"], default_claims(static_issuer)).split(".")
    forged = b64u(json.dumps(default_claims(static_issuer, sub="admin")).encode())
    assert rejected(static_verifier, f"{head}.{forged}.{sig}").description == "invalid signature"


@pytest.mark.parametrize("length", [0, 32, 63, 65, 70, 72, 96])
def test_es256_signature_of_wrong_length_is_rejected(length, keys, static_verifier, static_issuer):
    token = mint(keys["ES256"], default_claims(static_issuer))
    head, payload, sig = token.split(".")
    raw = __import__("base64").urlsafe_b64decode(sig + "==")
    wrong = (raw * 2)[:length]
    exc = rejected(static_verifier, f"{head}.{payload}.{b64u(wrong)}")
    assert exc.description == "invalid signature", f"len {length}: {exc.description}"


def test_der_encoded_es256_signature_is_rejected(keys, static_verifier, static_issuer):
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    signing_input = encode_segments(
        {"alg": "ES256", "typ": "at+jwt", "kid": "ec256"}, default_claims(static_issuer)
    )
    der = keys["ES256"].private.sign(signing_input, ec.ECDSA(hashes.SHA256()))
    token = signing_input.decode() + "." + b64u(der)
    assert rejected(static_verifier, token).description == "invalid signature"


def test_embedded_jwk_header_is_ignored(attacker_keys, static_verifier, static_issuer):
    evil = attacker_keys["ES256"]
    for kid in ("evil", "ec256", None):
        header = {"jwk": evil.jwk(kid=kid or "evil")}
        token = mint(evil, default_claims(static_issuer), kid=kid, header=header)
        exc = rejected(static_verifier, token)
        assert exc.description in ("unknown signing key", "invalid signature"), (
            f"kid={kid}: {exc.description}"
        )


def test_x5c_header_is_ignored(attacker_keys, static_verifier, static_issuer):
    evil = attacker_keys["RS256"]
    der = evil.public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    token = mint(
        evil,
        default_claims(static_issuer),
        header={"x5c": [__import__("base64").b64encode(der).decode()]},
    )
    assert rejected(static_verifier, token).description == "invalid signature"


def test_jku_and_x5u_headers_are_never_fetched(attacker_keys, keys):
    evil_server = FakeAuthServer()
    try:
        evil = attacker_keys["ES256"]
        evil_server.state.jwks = {"keys": [evil.jwk(kid="evil")]}
        verifier = Verifier(
            issuer="https://i",
            audience=AUDIENCE,
            algorithms=("ES256",),
            jwks={"keys": [keys["ES256"].jwk()]},
        )
        for name in ("jku", "x5u"):
            token = mint(
                evil, default_claims("https://i"), kid="evil", header={name: evil_server.jwks_uri}
            )
            assert rejected(verifier, token).description == "unknown signing key", name
        assert evil_server.jwks_fetches() == 0, "verifier fetched a URL named by the token"
    finally:
        evil_server.close()


@pytest.mark.parametrize("crit", [["exp"], ["b64"], ["urn:example:unknown"], [], "x"])
def test_any_crit_header_is_rejected(crit, keys, static_verifier, static_issuer):
    token = mint(
        keys["ES256"],
        default_claims(static_issuer),
        header={"crit": crit, "urn:example:unknown": 1},
    )
    exc = rejected(static_verifier, token)
    assert exc.description == "unsupported critical header parameter", exc.description


def test_duplicate_header_parameters_are_rejected(keys, static_verifier, static_issuer):
    header = b'{"alg":"ES256","typ":"at+jwt","kid":"ec256","kid":"ec256"}'
    signing_input = encode_segments(header, default_claims(static_issuer))
    token = (
        signing_input + b"." + b64u(sign(keys["ES256"].private, "ES256", signing_input)).encode()
    )
    assert rejected(static_verifier, token).description == "malformed header"


def test_rsa_keys_below_2048_bits_are_never_used(static_issuer):
    from avtestkit import TestKey

    weak = TestKey("weak", "RS256", rsa.generate_private_key(65537, 1024))
    verifier = Verifier(
        issuer=static_issuer, audience=AUDIENCE, algorithms=("RS256",), jwks={"keys": [weak.jwk()]}
    )
    assert len(verifier.jwks.get_keyset()) == 0, "1024-bit RSA key was loaded"
    assert rejected(verifier, mint(weak, default_claims(static_issuer))).description == (
        "unknown signing key"
    )


def test_symmetric_keys_in_the_jwks_are_never_used(static_issuer):
    secret = b"0123456789abcdef0123456789abcdef"
    jwks = {"keys": [{"kty": "oct", "k": b64u(secret), "kid": "hmac"}]}
    verifier = Verifier(issuer=static_issuer, audience=AUDIENCE, algorithms=("ES256",), jwks=jwks)
    assert len(verifier.jwks.get_keyset()) == 0, "oct key was loaded"


def test_kidless_token_is_rejected_when_several_keys_fit_its_alg(keys, static_issuer):
    from avtestkit import make_keys

    other = make_keys()["ES256"]
    other.kid = "ec256-b"
    verifier = Verifier(
        issuer=static_issuer,
        audience=AUDIENCE,
        algorithms=("ES256",),
        jwks={"keys": [keys["ES256"].jwk(), other.jwk()]},
    )
    token = mint(keys["ES256"], default_claims(static_issuer), kid=None)
    assert rejected(verifier, token).description == "no unique key for alg"


@pytest.mark.parametrize("typ", [None, "JWT", "jwt", "at+JWT2", "application/jwt", 5])
def test_wrong_or_missing_typ_is_rejected(typ, keys, static_verifier, static_issuer):
    token = mint(keys["ES256"], default_claims(static_issuer), typ=typ)
    assert rejected(static_verifier, token).description == "token type is not at+jwt", typ
