"""The JWKS cache: lifetime, clamping, stale-if-error, rotation, rate limits, threads.

All served by a real HTTP server on 127.0.0.1; time is a FakeClock so no test sleeps.
"""

from __future__ import annotations

import threading

import pytest
from avtestkit import ALL_ALGS, AUDIENCE, ISSUER_PATH, default_claims, mint

from authserver_verifier import InvalidToken, VerificationUnavailable, Verifier


def make_verifier(server, clock, **cache_options) -> Verifier:
    return Verifier(
        issuer=server.issuer,
        audience=AUDIENCE,
        algorithms=ALL_ALGS,
        jwks_uri=server.jwks_uri,
        cache_options={"clock": clock, **cache_options},
    )


def token_for(server, key, **claims) -> str:
    return mint(key, default_claims(server.issuer, **claims))


def test_keys_are_fetched_once_and_reused(server, keys, clock):
    verifier = make_verifier(server, clock)
    token = token_for(server, keys["ES256"])
    for _ in range(50):
        verifier.verify(token)
    assert server.jwks_fetches() == 1, "JWKS fetched more than once while fresh"


def test_max_age_is_honoured(server, keys, clock):
    server.state.cache_control = "public, max-age=120"
    verifier = make_verifier(server, clock, refresh_ahead=1.0)
    token = token_for(server, keys["ES256"])
    verifier.verify(token)
    clock.advance(119)
    verifier.verify(token)
    assert server.jwks_fetches() == 1, "refetched before max-age elapsed"
    clock.advance(2)
    verifier.verify(token)
    assert server.jwks_fetches() == 2, "did not refetch after max-age elapsed"


def test_age_header_shortens_lifetime_via_parser():
    from authserver_verifier._http import parse_max_age

    assert parse_max_age({"cache-control": "max-age=300", "age": "200"}) == 100
    assert parse_max_age({"cache-control": "no-store"}) == 0
    assert parse_max_age({"cache-control": "max-age=abc"}) is None


@pytest.mark.parametrize(
    ("cache_control", "expect_fresh_at", "expect_refetch_at"),
    [
        ("max-age=5", 59, 61),  # below min_ttl=60 -> 60
        ("no-store", 59, 61),  # treated as 0 -> 60
        ("max-age=999999", 599, 601),  # above max_ttl=600 -> 600
        (None, 299, 301),  # absent -> default_ttl=300
    ],
)
def test_lifetime_is_clamped_to_configured_bounds(
    server, keys, clock, cache_control, expect_fresh_at, expect_refetch_at
):
    server.state.cache_control = cache_control
    verifier = make_verifier(
        server, clock, min_ttl=60, max_ttl=600, default_ttl=300, refresh_ahead=1.0
    )
    token = token_for(server, keys["ES256"])
    verifier.verify(token)
    clock.advance(expect_fresh_at)
    verifier.verify(token)
    assert server.jwks_fetches() == 1, f"{cache_control}: refetched too early"
    clock.advance(expect_refetch_at - expect_fresh_at)
    verifier.verify(token)
    assert server.jwks_fetches() == 2, f"{cache_control}: lifetime not clamped as expected"


def test_stale_keys_are_served_when_server_returns_500(server, keys, clock):
    verifier = make_verifier(server, clock, refresh_ahead=1.0, error_retry_interval=5)
    token = token_for(server, keys["ES256"])
    verifier.verify(token)
    server.state.jwks_status = 500
    clock.advance(301)
    assert verifier.verify(token).sub == "user-123", "stale keys not served on HTTP 500"
    assert server.jwks_fetches() == 2, "refresh was not attempted after expiry"
    assert "500" in (verifier.jwks.last_error or ""), "failure not recorded"
    for _ in range(20):
        verifier.verify(token)
    assert server.jwks_fetches() == 2, "failed refresh retried on every request"
    clock.advance(6)
    server.state.jwks_status = 200
    verifier.verify(token)
    assert server.jwks_fetches() == 3 and verifier.jwks.last_error is None, "no recovery"


def test_stale_keys_are_served_when_server_is_down(server, keys, clock):
    verifier = make_verifier(server, clock, refresh_ahead=1.0)
    token = token_for(server, keys["EdDSA"])
    verifier.verify(token)
    server.close()
    clock.advance(3600)
    assert verifier.verify(token).sub == "user-123", "stale keys not served while server down"


def test_stale_keys_expire_after_stale_if_error(server, keys, clock):
    verifier = make_verifier(server, clock, refresh_ahead=1.0, stale_if_error=600)
    token = token_for(server, keys["ES256"])
    verifier.verify(token)
    server.state.jwks_status = 503
    clock.advance(300 + 601)
    with pytest.raises(VerificationUnavailable) as info:
        verifier.verify(token)
    assert info.value.status_code == 503, "outage must be 503, not a token error"


def test_unreachable_jwks_without_cached_keys_is_unavailable_not_invalid(keys, clock):
    verifier = Verifier(
        issuer="http://127.0.0.1:9/t/default",
        audience=AUDIENCE,
        algorithms=("ES256",),
        jwks_uri="http://127.0.0.1:9/t/default/jwks",
        timeout=2,
        cache_options={"clock": clock},
    )
    token = mint(keys["ES256"], default_claims("http://127.0.0.1:9/t/default"))
    with pytest.raises(VerificationUnavailable):
        verifier.verify(token)


def test_rotated_key_is_picked_up_by_unknown_kid_refetch(server, keys, clock):
    server.state.jwks = {"keys": [keys["ES256"].jwk()]}
    verifier = make_verifier(server, clock, refetch_interval=30)
    verifier.verify(token_for(server, keys["ES256"]))
    server.state.jwks = {"keys": [keys["ES256"].jwk(), keys["EdDSA"].jwk()]}
    clock.advance(31)
    assert verifier.verify(token_for(server, keys["EdDSA"])).sub == "user-123", (
        "new kid not picked up"
    )
    assert server.jwks_fetches() == 2, "rotation should cost exactly one refetch"


def test_unknown_kid_refetch_is_rate_limited(server, keys, clock):
    verifier = make_verifier(server, clock, refetch_interval=30)
    verifier.verify(token_for(server, keys["ES256"]))
    clock.advance(31)
    for i in range(100):
        with pytest.raises(InvalidToken):
            verifier.verify(mint(keys["ES256"], default_claims(server.issuer), kid=f"forged-{i}"))
    assert server.jwks_fetches() == 2, "100 forged kids caused more than one refetch"
    clock.advance(31)
    with pytest.raises(InvalidToken):
        verifier.verify(mint(keys["ES256"], default_claims(server.issuer), kid="forged-x"))
    assert server.jwks_fetches() == 3, "refetch not allowed again after the interval"


def test_unknown_kid_within_interval_of_last_fetch_does_not_refetch(server, keys, clock):
    verifier = make_verifier(server, clock, refetch_interval=30)
    verifier.verify(token_for(server, keys["ES256"]))
    clock.advance(5)
    with pytest.raises(InvalidToken):
        verifier.verify(mint(keys["ES256"], default_claims(server.issuer), kid="forged"))
    assert server.jwks_fetches() == 1, "refetched within the interval of the last fetch"


def test_concurrent_flood_of_unknown_kids_causes_at_most_one_refetch(server, keys, clock):
    verifier = make_verifier(server, clock, refetch_interval=30)
    verifier.verify(token_for(server, keys["ES256"]))
    clock.advance(31)
    tokens = [mint(keys["ES256"], default_claims(server.issuer), kid=f"f{i}") for i in range(100)]
    errors: list[BaseException] = []

    def attack(tok: str) -> None:
        try:
            verifier.verify(tok)
        except InvalidToken:
            pass
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=attack, args=(t,)) for t in tokens]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, f"unexpected exceptions: {errors[:3]}"
    assert server.jwks_fetches() <= 2, f"flood caused {server.jwks_fetches() - 1} refetches"


def test_background_refresh_does_not_block_verification(server, keys, clock):
    server.state.cache_control = "max-age=100"
    verifier = make_verifier(server, clock, refresh_ahead=0.5)
    token = token_for(server, keys["ES256"])
    verifier.verify(token)
    gate = threading.Event()
    server.state.gate = gate  # the refresh request now hangs until we open the gate
    clock.advance(60)
    assert verifier.verify(token).sub == "user-123", "verification failed during refresh"
    assert verifier.verify(token).sub == "user-123", "verification blocked by refresh"
    thread = verifier.jwks._bg_thread
    assert thread is not None, "no background refresh was started"
    gate.set()
    thread.join(10)
    assert not thread.is_alive(), "background refresh thread did not finish"
    assert server.jwks_fetches() == 2, "background refresh did not fetch exactly once"
    clock.advance(49)  # fresh again thanks to the background fetch at t=60
    verifier.verify(token)
    assert server.jwks_fetches() == 2, "background refresh did not extend the lifetime"


def test_many_threads_verifying_at_once_cause_one_fetch(server, keys, clock):
    verifier = make_verifier(server, clock)
    token = token_for(server, keys["RS256"])
    gate = threading.Event()
    server.state.gate = gate
    results: list[object] = []
    start = threading.Barrier(17)

    def work() -> None:
        start.wait()
        try:
            results.append(verifier.verify(token).sub)
        except BaseException as exc:  # pragma: no cover - reported below
            results.append(exc)

    threads = [threading.Thread(target=work) for _ in range(16)]
    for t in threads:
        t.start()
    start.wait()
    gate.set()
    for t in threads:
        t.join(10)
    assert results == ["user-123"] * 16, f"some verifications failed: {results}"
    assert server.jwks_fetches() == 1, f"{server.jwks_fetches()} fetches for 16 threads"


def test_parsed_key_objects_are_reused_across_refreshes(server, keys, clock):
    verifier = make_verifier(server, clock)
    verifier.verify(token_for(server, keys["ES256"]))
    before = verifier.jwks.get_keyset().by_kid["ec256"].public_key
    assert verifier.jwks.refresh(), "explicit refresh failed"
    after = verifier.jwks.get_keyset().by_kid["ec256"].public_key
    assert before is after, "unchanged JWK was parsed again"


class TestDiscovery:
    def test_jwks_uri_is_discovered_from_openid_configuration(self, server, keys, clock):
        verifier = Verifier(
            issuer=server.issuer,
            audience=AUDIENCE,
            algorithms=("ES256",),
            cache_options={"clock": clock},
        )
        assert verifier.verify(token_for(server, keys["ES256"])).sub == "user-123"
        assert server.state.count(ISSUER_PATH + "/.well-known/openid-configuration") == 1
        assert verifier.jwks.jwks_uri == server.jwks_uri, "discovered jwks_uri not used"

    def test_falls_back_to_oauth_authorization_server_metadata(self, server, keys, clock):
        server.state.openid_config_status = 404
        verifier = Verifier(
            issuer=server.issuer,
            audience=AUDIENCE,
            algorithms=("ES256",),
            cache_options={"clock": clock},
        )
        assert verifier.verify(token_for(server, keys["ES256"])).sub == "user-123"
        assert server.state.count("/.well-known/oauth-authorization-server" + ISSUER_PATH) == 1, (
            "RFC 8414 metadata URL not tried"
        )

    def test_metadata_with_a_different_issuer_is_refused(self, server, keys, clock):
        server.state.metadata_issuer = "https://evil.example/t/default"
        verifier = Verifier(
            issuer=server.issuer,
            audience=AUDIENCE,
            algorithms=("ES256",),
            cache_options={"clock": clock},
        )
        with pytest.raises(VerificationUnavailable):
            verifier.verify(token_for(server, keys["ES256"]))
        assert server.jwks_fetches() == 0, "keys fetched from an unverified metadata document"
        assert "does not match" in (verifier.jwks.last_error or "")
