"""Authorization code grant at the token endpoint (RFC 6749 §4.1.3, §10.5), PKCE
(RFC 7636, RFC 9700 §2.1.1, §4.8) and the tokens issued (OIDC Core §3.1.3.3, §3.1.3.6;
RFC 9068 §2.2.1)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from authserver.runtime import Runtime
from authserver.services.clients import ClientSpec
from tests.conftest import Clock
from tests.support.oauth import ISSUER, REDIRECT, Pkce, World, build_world, exchange
from tests.support.tokens import (
    add_client,
    at_hash,
    audit_events,
    describe,
    expect_error,
    expect_tokens,
    is_active,
    refresh,
    unverified_parts,
    user_code,
    user_tokens,
    userinfo,
    verify_jwt,
)

PARALLEL = 20


@pytest.fixture
def world(runtime: Runtime) -> World:
    return build_world(runtime)


def redeem(http: FlaskClient, world: World, code: str, pkce: Pkce | None, **extra: str) -> Any:
    return exchange(http, code, pkce, world.web_id, world.web_secret, **extra)


# --- single use ------------------------------------------------------------------------------


def test_a_code_works_once_and_its_replay_revokes_what_it_issued(
    runtime: Runtime, world: World, http: FlaskClient
) -> None:
    code, pkce, _ = user_code(http, world)
    first = expect_tokens(redeem(http, world, code, pkce), "first redemption")
    assert is_active(http, world, first["access_token"]), "fresh access token must be active"

    expect_error(redeem(http, world, code, pkce), 400, "invalid_grant", "second redemption")

    assert not is_active(http, world, first["access_token"]), (
        "RFC 6749 §4.1.2: after a replay, the first redemption's access token must be revoked")
    assert userinfo(http, first["access_token"]).status_code == 401, (
        "userinfo must refuse the access token of a replayed code")
    expect_error(refresh(http, first["refresh_token"], world.web_id, world.web_secret), 400,
                 "invalid_grant", "refresh token of a replayed code")
    assert audit_events(runtime, "token.code_replayed"), "a code replay must be audited"


def race(app: Flask, world: World, code: str, pkce: Pkce | None) -> list[tuple[int, Any]]:
    """Redeem ``code`` from PARALLEL threads at once, each with its own test client."""
    barrier = threading.Barrier(PARALLEL)

    def attempt(_: int) -> tuple[int, Any]:
        client = app.test_client()
        barrier.wait(timeout=30)
        response = redeem(client, world, code, pkce)
        return response.status_code, response.get_json() or {}

    with ThreadPoolExecutor(PARALLEL) as pool:
        return list(pool.map(attempt, range(PARALLEL)))


def test_parallel_redemptions_of_one_code_never_issue_twice(
    app: Flask, world: World, http: FlaskClient
) -> None:
    code, pkce, _ = user_code(http, world)
    outcomes = race(app, world, code, pkce)
    summary = sorted((status, body.get("error")) for status, body in outcomes)
    successes = [body for status, body in outcomes if status == 200]
    assert len(successes) <= 1, f"{PARALLEL} parallel redemptions issued twice: {summary}"
    assert all((s, b.get("error")) == (400, "invalid_grant") for s, b in outcomes if s != 200), (
        f"the losers must get invalid_grant, never a 500: {summary}")
    for body in successes:
        # The other 19 were replays, so whatever the winner got must be revoked by now.
        assert not is_active(http, world, body["access_token"]), (
            "tokens from a code that was replayed must end up revoked")


def test_parallel_redemptions_of_one_code_yield_exactly_one_success(
    app: Flask, world: World, http: FlaskClient
) -> None:
    code, pkce, _ = user_code(http, world)
    outcomes = race(app, world, code, pkce)
    summary = sorted((status, body.get("error")) for status, body in outcomes)
    assert [s for s, _ in outcomes].count(200) == 1, (
        f"SECURITY.md: {PARALLEL} parallel redemptions -> exactly one success: {summary}")


def test_an_unknown_code_is_invalid_grant(world: World, http: FlaskClient) -> None:
    expect_error(redeem(http, world, "not-a-code", Pkce()), 400, "invalid_grant", "made-up code")


def test_a_missing_code_is_invalid_request(world: World, http: FlaskClient) -> None:
    from tests.support.oauth import basic
    from tests.support.tokens import TOKEN

    response = http.post(TOKEN, data={"grant_type": "authorization_code",
                                      "redirect_uri": REDIRECT},
                         headers=basic(world.web_id, world.web_secret))
    expect_error(response, 400, "invalid_request", "no code parameter")


# --- bound to client and redirect URI --------------------------------------------------------


def test_a_code_is_bound_to_its_client_and_another_client_burns_it(
    runtime: Runtime, world: World, http: FlaskClient
) -> None:
    other_secret = add_client(runtime, ClientSpec(
        name="Other", client_id="other", redirect_uris=(REDIRECT,), scopes=("openid",)))
    assert other_secret
    code, pkce, _ = user_code(http, world)
    response = exchange(http, code, pkce, "other", other_secret)
    expect_error(response, 400, "invalid_grant", "web's code redeemed by another client")
    expect_error(redeem(http, world, code, pkce), 400, "invalid_grant",
                 "the code after another client tried it (it must be burned)")


def test_a_public_client_cannot_redeem_a_confidential_clients_code(
    world: World, http: FlaskClient
) -> None:
    code, pkce, _ = user_code(http, world)
    expect_error(exchange(http, code, pkce, world.spa_id), 400, "invalid_grant",
                 "web's code redeemed by spa")


def test_a_code_is_bound_to_its_redirect_uri(world: World, http: FlaskClient) -> None:
    code, pkce, _ = user_code(http, world)
    # Registered for web too, but not the one this code was issued for.
    response = redeem(http, world, code, pkce, redirect_uri="http://127.0.0.1/native")
    expect_error(response, 400, "invalid_grant", "redirect_uri differs from the request's")


def test_a_missing_redirect_uri_is_invalid_request(world: World, http: FlaskClient) -> None:
    code, pkce, _ = user_code(http, world)
    response = redeem(http, world, code, pkce, redirect_uri="")
    expect_error(response, 400, "invalid_request", "no redirect_uri (OIDC Core §3.1.3.1)")


def test_an_expired_code_is_invalid_grant(
    world: World, http: FlaskClient, clock: Clock
) -> None:
    code, pkce, _ = user_code(http, world)
    clock.advance(seconds=61)
    expect_error(redeem(http, world, code, pkce), 400, "invalid_grant", "a code 61 s old")


# --- PKCE -----------------------------------------------------------------------------------


def test_a_wrong_verifier_is_invalid_grant_and_burns_the_code(
    world: World, http: FlaskClient
) -> None:
    code, pkce, _ = user_code(http, world)
    expect_error(redeem(http, world, code, Pkce()), 400, "invalid_grant", "wrong code_verifier")
    expect_error(redeem(http, world, code, pkce), 400, "invalid_grant",
                 "the right verifier after a wrong one (RFC 9700 §4.8: the code is burned)")


def test_a_missing_verifier_for_a_code_with_a_challenge_is_invalid_grant(
    world: World, http: FlaskClient
) -> None:
    code, _pkce, _ = user_code(http, world)
    expect_error(redeem(http, world, code, None), 400, "invalid_grant", "no code_verifier")


def test_a_malformed_verifier_is_refused(world: World, http: FlaskClient) -> None:
    code, _pkce, _ = user_code(http, world)
    short = Pkce(verifier="too-short")
    expect_error(redeem(http, world, code, short), 400, "invalid_grant",
                 "a 9-character verifier (RFC 7636 §4.1: 43-128)")


def test_a_verifier_for_a_code_without_challenge_is_a_downgrade(
    runtime: Runtime, world: World, http: FlaskClient
) -> None:
    secret = add_client(runtime, ClientSpec(
        name="Legacy", client_id="legacy", redirect_uris=(REDIRECT,),
        scopes=("openid",), require_pkce=False))
    assert secret
    code, none, _ = user_code(http, world, "legacy", pkce=False, scope="openid")
    assert none is None
    response = exchange(http, code, Pkce(), "legacy", secret)
    expect_error(response, 400, "invalid_grant",
                 "code_verifier for a code issued without code_challenge (PKCE downgrade)")


def test_a_client_without_mandatory_pkce_can_still_redeem_without_it(
    runtime: Runtime, world: World, http: FlaskClient
) -> None:
    secret = add_client(runtime, ClientSpec(
        name="Legacy", client_id="legacy", redirect_uris=(REDIRECT,),
        scopes=("openid",), require_pkce=False))
    code, _, _ = user_code(http, world, "legacy", pkce=False, scope="openid")
    expect_tokens(exchange(http, code, None, "legacy", secret), "legacy client without PKCE")


def test_a_public_client_redeems_with_pkce_and_no_secret(world: World, http: FlaskClient) -> None:
    code, pkce, _ = user_code(http, world, world.spa_id, redirect_uri="https://spa.example/cb")
    response = exchange(http, code, pkce, world.spa_id, redirect_uri="https://spa.example/cb")
    body = expect_tokens(response, "spa with PKCE and token_endpoint_auth_method none")
    _, claims = verify_jwt(http, body["id_token"])
    assert claims["aud"] == world.spa_id


def test_a_public_client_without_verifier_gets_nothing(world: World, http: FlaskClient) -> None:
    code, _pkce, _ = user_code(http, world, world.spa_id, redirect_uri="https://spa.example/cb")
    response = exchange(http, code, None, world.spa_id, redirect_uri="https://spa.example/cb")
    expect_error(response, 400, "invalid_grant", "spa without code_verifier")


# --- what is issued --------------------------------------------------------------------------


def test_the_id_token_is_complete_and_bound_to_the_access_token(
    world: World, http: FlaskClient
) -> None:
    tokens = user_tokens(http, world)
    header, claims = verify_jwt(http, tokens.id_token)
    assert header["alg"] == "RS256", "ID tokens default to RS256 (OIDC Core §15.1)"
    assert header.get("typ") != "at+jwt", "an ID token must not look like an access token"
    assert claims["iss"] == ISSUER
    assert claims["aud"] == world.web_id, "aud must be the client_id"
    assert claims["sub"] == world.user_sub
    assert claims["nonce"] == tokens.params["nonce"], "the request's nonce must be echoed"
    assert claims["at_hash"] == at_hash(tokens.access_token), (
        "at_hash must be the left half of SHA-256 of the access token (OIDC Core §3.1.3.6)")
    assert isinstance(claims["auth_time"], int) and claims["auth_time"] <= claims["iat"]
    assert claims["acr"] == "1"
    assert claims["amr"] == ["pwd"]
    assert isinstance(claims.get("sid"), str) and claims["sid"], "sid enables logout"
    assert claims["exp"] > claims["iat"]
    assert "email" not in claims, "scope claims belong to userinfo unless asked for in claims"


def test_the_access_token_is_a_user_token(world: World, http: FlaskClient) -> None:
    tokens = user_tokens(http, world)
    header, claims = verify_jwt(http, tokens.access_token)
    id_claims = unverified_parts(tokens.id_token)[1]
    assert header["typ"] == "at+jwt" and header["alg"] == "ES256"
    assert claims["sub"] == world.user_sub, "a user token's subject is the user"
    assert claims["client_id"] == world.web_id
    assert claims["aud"] == ISSUER
    assert claims["scope"] == "openid profile email"
    for name in ("auth_time", "acr", "amr"):
        assert claims[name] == id_claims[name], f"RFC 9068 §2.2.1: {name} must match the session"


def test_a_refresh_token_is_issued_only_to_clients_with_that_grant(
    runtime: Runtime, world: World, http: FlaskClient
) -> None:
    secret = add_client(runtime, ClientSpec(
        name="NoRefresh", client_id="norefresh", redirect_uris=(REDIRECT,),
        scopes=("openid",), grant_types=("authorization_code",)))
    tokens = user_tokens(http, world)
    assert tokens.body.get("refresh_token"), "web has the refresh_token grant"
    code, pkce, _ = user_code(http, world, "norefresh", scope="openid")
    body = expect_tokens(exchange(http, code, pkce, "norefresh", secret), "norefresh exchange")
    assert "refresh_token" not in body, "no refresh token without the refresh_token grant"
    assert body.get("id_token"), "openid scope still yields an ID token"


def test_without_openid_there_is_no_id_token(world: World, http: FlaskClient) -> None:
    tokens = user_tokens(http, world, scope="stores:read")
    assert "id_token" not in tokens.body, f"an OAuth-only request got an ID token: {tokens.body}"
    assert tokens.body["scope"] == "stores:read"


def test_the_grant_type_must_be_allowed_for_the_client(
    runtime: Runtime, world: World, http: FlaskClient
) -> None:
    from tests.support.oauth import basic
    from tests.support.tokens import TOKEN

    response = http.post(TOKEN, data={"grant_type": "authorization_code", "code": "x",
                                      "redirect_uri": REDIRECT},
                         headers=basic(world.service_id, world.service_secret))
    assert response.status_code in (400, 401), describe(response)
    assert response.get_json()["error"] in ("unauthorized_client", "invalid_grant"), (
        f"service has no authorization_code grant: {describe(response)}")
