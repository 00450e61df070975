"""Opaque tokens are checked with RFC 7662 introspection against a real local endpoint."""

from __future__ import annotations

import time

import pytest
from avtestkit import AUDIENCE, default_claims, mint

from authserver_verifier import InsufficientScope, InvalidToken, VerificationUnavailable, Verifier

OPAQUE = "2YotnFZFEjr1zCsicMWpAA"


def make_verifier(server, *, secret=None, clock=None, **kwargs) -> Verifier:
    cid, real_secret = server.state.introspection_client
    return Verifier(
        issuer=server.issuer,
        audience=AUDIENCE,
        algorithms=("ES256",),
        jwks_uri=server.jwks_uri,
        introspection_endpoint=server.introspection_endpoint,
        introspection_client_id=cid,
        introspection_client_secret=secret or real_secret,
        clock=clock or time.time,
        **kwargs,
    )


def active(server, **overrides):
    return {"active": True, "token_type": "Bearer", **default_claims(server.issuer, **overrides)}


def introspections(server) -> int:
    return server.state.count("/t/default/introspect")


def test_active_opaque_token_is_accepted_with_basic_auth(server):
    server.state.introspection_responses[OPAQUE] = active(server)
    claims = make_verifier(server).verify(OPAQUE, required_scopes=["stores:read"])
    assert claims.sub == "user-123" and "profile" in claims.scopes, "claims not taken from answer"
    assert server.state.bad_auth == 0, "client_secret_basic credentials were wrong"


def test_inactive_token_is_invalid(server):
    with pytest.raises(InvalidToken) as info:
        make_verifier(server).verify("unknown-opaque-token")
    assert info.value.description == "token is not active"


def test_positive_answers_are_cached(server):
    server.state.introspection_responses[OPAQUE] = active(server)
    verifier = make_verifier(server)
    for _ in range(10):
        verifier.verify(OPAQUE)
    assert introspections(server) == 1, "active answer not cached"


def test_cache_expires_after_ttl_and_never_outlives_exp(server):
    now = [1_000_000.0]
    server.state.introspection_responses[OPAQUE] = active(
        server, exp=int(now[0]) + 10, iat=int(now[0])
    )
    verifier = make_verifier(server, clock=lambda: now[0], introspection_cache_ttl=30, leeway=0)
    verifier.verify(OPAQUE)
    now[0] += 9
    verifier.verify(OPAQUE)
    assert introspections(server) == 1, "cache entry dropped too early"
    now[0] += 2  # past exp (10 s) although cache_ttl is 30 s
    with pytest.raises(InvalidToken):
        verifier.verify(OPAQUE)
    assert introspections(server) == 2, "cached answer used beyond the token's exp"


def test_negative_answers_are_cached_only_briefly(server):
    now = [1_000_000.0]
    verifier = make_verifier(server, clock=lambda: now[0], introspection_negative_ttl=5)
    for _ in range(3):
        with pytest.raises(InvalidToken):
            verifier.verify(OPAQUE)
    assert introspections(server) == 1, "inactive answer not cached at all"
    server.state.introspection_responses[OPAQUE] = active(
        server, exp=int(now[0]) + 300, iat=int(now[0])
    )
    now[0] += 6
    assert verifier.verify(OPAQUE).sub == "user-123", "negative answer cached too long"


def test_cache_is_keyed_by_hash_not_raw_token(server):
    server.state.introspection_responses[OPAQUE] = active(server)
    verifier = make_verifier(server)
    verifier.verify(OPAQUE)
    cache = verifier.introspector._cache
    assert all(isinstance(k, bytes) and len(k) == 32 for k in cache), "cache key is not SHA-256"
    assert OPAQUE.encode() not in cache and OPAQUE not in repr(cache), "raw token stored"


def test_audience_issuer_and_scope_are_checked_on_introspection_answers(server):
    state = server.state
    state.introspection_responses["t-aud"] = active(server, aud="other-api")
    state.introspection_responses["t-iss"] = active(server, iss="https://evil.example")
    state.introspection_responses["t-noaud"] = active(server, aud=...)
    state.introspection_responses["t-exp"] = active(server, exp=int(time.time()) - 100)
    verifier = make_verifier(server)
    for token, why in [
        ("t-aud", "invalid audience"),
        ("t-iss", "invalid issuer"),
        ("t-noaud", "missing audience"),
        ("t-exp", "token expired"),
    ]:
        with pytest.raises(InvalidToken) as info:
            verifier.verify(token)
        assert info.value.description == why, f"{token}: {info.value.description}"
    state.introspection_responses[OPAQUE] = active(server)
    with pytest.raises(InsufficientScope):
        verifier.verify(OPAQUE, required_scopes=["admin"])


def test_wrong_client_secret_is_a_service_error_not_a_token_error(server):
    server.state.introspection_responses[OPAQUE] = active(server)
    with pytest.raises(VerificationUnavailable):
        make_verifier(server, secret="wrong").verify(OPAQUE)
    assert server.state.bad_auth == 1, "server did not see the (wrong) credentials"


def test_endpoint_failure_is_unavailable(server):
    server.state.introspection_status = 500
    with pytest.raises(VerificationUnavailable):
        make_verifier(server).verify(OPAQUE)


def test_jwts_are_not_sent_to_introspection(server, keys):
    verifier = make_verifier(server)
    assert verifier.verify(mint(keys["ES256"], default_claims(server.issuer))).sub == "user-123"
    assert introspections(server) == 0, "a JWT was introspected"
