"""Property tests: arbitrary or mutated input is only ever rejected with InvalidToken.

A mutated token must never be accepted unless the mutation left it unchanged.
"""

from __future__ import annotations

import json

import pytest
from avtestkit import AUDIENCE, b64u, default_claims, encode_segments, mint, sign
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from authserver_verifier import Claims, InsufficientScope, InvalidToken, Verifier

ISSUER = "https://issuer.example.test/t/default"
ALGS = ("ES256", "RS256", "PS256", "EdDSA")
# database=None: the suite must not write example databases wherever it runs from.
FUZZ = settings(
    max_examples=250,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
# Everything a token could plausibly contain plus characters it must not.
TOKEN_CHARS = st.sampled_from(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ \t\n\x00é€"
)


@pytest.fixture(scope="module")
def fuzz_env():
    from avtestkit import make_keys

    keys = make_keys()
    verifier = Verifier(
        issuer=ISSUER,
        audience=AUDIENCE,
        algorithms=ALGS,
        jwks={"keys": [k.jwk() for k in keys.values()]},
    )
    tokens = {alg: mint(keys[alg], default_claims(ISSUER, exp=2**40)) for alg in ALGS}
    return keys, verifier, tokens


def only_invalid_token(verifier: Verifier, token) -> None:
    try:
        verifier.verify(token)
    except InvalidToken:
        return
    raise AssertionError(f"token was accepted: {token!r}")


@FUZZ
@given(data=st.binary(max_size=600))
def test_random_bytes_are_invalid_token(fuzz_env, data):
    only_invalid_token(fuzz_env[1], data)


@FUZZ
@given(text=st.text(max_size=300))
def test_random_text_is_invalid_token(fuzz_env, text):
    only_invalid_token(fuzz_env[1], text)


@FUZZ
@given(parts=st.lists(st.text(TOKEN_CHARS, max_size=40), min_size=3, max_size=3))
def test_random_three_part_strings_are_invalid_token(fuzz_env, parts):
    only_invalid_token(fuzz_env[1], ".".join(parts))


mutation = st.tuples(
    st.sampled_from(ALGS),
    st.integers(0, 2),  # segment
    st.sampled_from(["flip", "insert", "delete", "replace"]),
    st.integers(0, 10_000),  # position (mod segment length)
    TOKEN_CHARS,
)


@FUZZ
@given(m=mutation)
def test_mutated_valid_tokens_are_never_accepted(fuzz_env, m):
    _, verifier, tokens = fuzz_env
    alg, seg_index, op, pos, char = m
    segments = tokens[alg].split(".")
    seg = segments[seg_index]
    i = pos % (len(seg) + 1)
    if op == "insert":
        seg = seg[:i] + char + seg[i:]
    elif op == "delete" and seg:
        i = pos % len(seg)
        seg = seg[:i] + seg[i + 1 :]
    elif op == "replace" and seg:
        i = pos % len(seg)
        seg = seg[:i] + char + seg[i + 1 :]
    elif op == "flip" and seg:
        i = pos % len(seg)
        seg = seg[:i] + chr(ord(seg[i]) ^ (1 << (pos % 7))) + seg[i + 1 :]
    segments[seg_index] = seg
    mutated = ".".join(segments)
    if mutated == tokens[alg]:
        assert verifier.verify(mutated).sub == "user-123", "unchanged token rejected"
        return
    only_invalid_token(verifier, mutated)


@FUZZ
@given(pair=st.permutations(ALGS), seg=st.sampled_from(["header", "payload", "signature"]))
def test_segments_swapped_between_tokens_are_rejected(fuzz_env, pair, seg):
    _, verifier, tokens = fuzz_env
    a, b = tokens[pair[0]].split("."), tokens[pair[1]].split(".")
    index = ["header", "payload", "signature"].index(seg)
    a[index] = b[index]
    mutated = ".".join(a)
    assume(mutated != tokens[pair[0]])
    only_invalid_token(verifier, mutated)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=10)
    | st.sampled_from(["ES256", "at+jwt", "ec256", "none", "HS256"]),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=8,
)


@FUZZ
@given(
    header=st.dictionaries(
        st.sampled_from(["alg", "typ", "kid", "crit", "jwk", "b64", "x"]), json_values, max_size=5
    ),
    claims=st.dictionaries(
        st.sampled_from(["iss", "aud", "exp", "nbf", "iat", "scope", "scp"]),
        json_values,
        max_size=7,
    ),
)
def test_properly_signed_arbitrary_headers_and_claims_raise_only_token_errors(
    fuzz_env, header, claims
):
    keys, verifier, _ = fuzz_env
    signing_input = encode_segments(header, claims)
    token = (
        signing_input + b"." + b64u(sign(keys["ES256"].private, "ES256", signing_input)).encode()
    )
    try:
        result = verifier.verify(token, required_scopes=["stores:read"])
    except (InvalidToken, InsufficientScope):
        return
    # Accepted: then every rule must really hold.
    assert isinstance(result, Claims)
    assert header.get("alg") == "ES256" and str(header.get("typ")).lower() in (
        "at+jwt",
        "application/at+jwt",
    ), f"bad header accepted: {header}"
    assert "crit" not in header, "crit accepted"
    assert claims.get("iss") == ISSUER, "wrong iss accepted"
    assert "stores:read" in result.scopes, "missing scope accepted"


def test_fuzz_helpers_really_sign(fuzz_env):
    """Guard: the structured fuzz test would be vacuous if its tokens never verified."""
    keys, verifier, _ = fuzz_env
    signing_input = encode_segments(
        {"alg": "ES256", "typ": "at+jwt", "kid": "ec256"},
        json.dumps(default_claims(ISSUER)).encode(),
    )
    token = (
        signing_input + b"." + b64u(sign(keys["ES256"].private, "ES256", signing_input)).encode()
    )
    assert verifier.verify(token).sub == "user-123"
