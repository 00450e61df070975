"""Truncated, garbage, oversized or wrongly typed input yields InvalidToken and nothing else."""

from __future__ import annotations

import pytest
from avtestkit import AUDIENCE, default_claims, mint

from authserver_verifier import DEFAULT_MAX_TOKEN_SIZE, InvalidToken, Verifier

GARBAGE = [
    "",
    ".",
    "..",
    "...",
    "a.b",
    "a.b.c",
    "a.b.c.d",
    "a.b.c.d.e",
    "null",
    "{}",
    "eyJ",
    "eyJhbGciOiJFUzI1NiJ9",
    "eyJhbGciOiJFUzI1NiJ9..",
    "====.====.====",
    "é.é.é",
    "\x00.\x00.\x00",
    " . . ",
    "Bearer x.y.z",
    "a+b.c/d.e=f",
]


@pytest.mark.parametrize("token", GARBAGE)
def test_garbage_is_invalid_token(token, static_verifier):
    with pytest.raises(InvalidToken):
        static_verifier.verify(token)


@pytest.mark.parametrize("value", [None, 12, 1.5, ["a.b.c"], {"t": 1}, object()])
def test_non_string_tokens_are_invalid_token(value, static_verifier):
    with pytest.raises(InvalidToken):
        static_verifier.verify(value)  # type: ignore[arg-type]


def test_every_truncation_of_a_valid_token_is_rejected(keys, static_verifier, static_issuer):
    token = mint(keys["ES256"], default_claims(static_issuer))
    for cut in range(len(token)):
        with pytest.raises(InvalidToken):
            static_verifier.verify(token[:cut])


def test_padding_and_standard_base64_characters_are_rejected(keys, static_verifier, static_issuer):
    head, payload, sig = mint(keys["ES256"], default_claims(static_issuer)).split(".")
    variants = [
        f"{head}=.{payload}.{sig}",
        f"{head}.{payload}.{sig}==",
        f"{head}.{payload}.{sig.replace('-', '+').replace('_', '/')}"
        if ("-" in sig or "_" in sig)
        else f"{head}.{payload}.{sig}+",
        f" {head}.{payload}.{sig}",
        f"{head}.{payload}.{sig}\n",
    ]
    for token in variants:
        with pytest.raises(InvalidToken):
            static_verifier.verify(token)


def test_non_canonical_base64_spelling_of_the_signature_is_rejected(
    keys, static_verifier, static_issuer
):
    # 64-byte ES256 signatures leave 4 unused bits in the last character;
    # setting them keeps the decoded bytes but changes the token text.
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    head, payload, sig = mint(keys["ES256"], default_claims(static_issuer)).split(".")
    last = alphabet.index(sig[-1])
    twin = alphabet[last | 0x01]
    assert twin != sig[-1], "test setup: expected a zero low bit"
    with pytest.raises(InvalidToken):
        static_verifier.verify(f"{head}.{payload}.{sig[:-1]}{twin}")


def test_oversized_token_is_rejected_before_parsing(keys, static_verifier, static_issuer):
    big = mint(keys["ES256"], default_claims(static_issuer, pad="x" * DEFAULT_MAX_TOKEN_SIZE))
    with pytest.raises(InvalidToken) as info:
        static_verifier.verify(big)
    assert info.value.description == "token too large"
    with pytest.raises(InvalidToken) as info:
        static_verifier.verify("x" * 10_000_000)
    assert info.value.description == "token too large", "huge garbage not rejected by size"


def test_token_size_limit_is_configurable(keys, static_issuer):
    token = mint(keys["ES256"], default_claims(static_issuer, pad="x" * 10_000))
    verifier = Verifier(
        issuer=static_issuer,
        audience=AUDIENCE,
        algorithms=("ES256",),
        jwks={"keys": [keys["ES256"].jwk()]},
        max_token_size=20_000,
    )
    assert verifier.verify(token)["pad"] == "x" * 10_000, "raised size limit not honoured"


def test_deeply_nested_json_is_invalid_token_not_recursion_error(static_verifier):
    from avtestkit import b64u

    deep = b64u(b"[" * 2000 + b"]" * 2000)
    assert len(deep) < DEFAULT_MAX_TOKEN_SIZE - 20, "test setup: must pass the size check"
    with pytest.raises(InvalidToken) as info:
        static_verifier.verify(f"{deep}.e30.AAAA")
    assert info.value.description == "malformed header"


def test_opaque_token_without_introspection_is_invalid(static_verifier):
    with pytest.raises(InvalidToken) as info:
        static_verifier.verify("2YotnFZFEjr1zCsicMWpAA")
    assert info.value.description == "malformed token"
